/* SPDX-License-Identifier: MIT */
/* Generic getters, as hostnamed's: the vtable entry says where the value
 * is, so one getter serves every property of its type. */
#include <errno.h>
#include <stdint.h>

#include "bus-internal.h"

int bus_property_get_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", *(const uint64_t *) userdata);
}

int bus_property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", (int) *(const bool *) userdata);
}

int bus_property_get_double(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "d", *(const double *) userdata);
}

/* The figure at the absolute offset 'userdata' within this message's
 * figures; NULL with 'error' set. */
static const void *figure(sd_bus *bus, void *userdata, sd_bus_error *error) {
        const EngineFigures *f = bus_figures(bus, error);

        return f ? (const uint8_t *) f + (uintptr_t) userdata : NULL;
}

int bus_property_get_figure_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const uint64_t *v = figure(bus, userdata, error);

        return v ? sd_bus_message_append(reply, "t", *v) : -EIO;
}

int bus_property_get_figure_i64(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const int64_t *v = figure(bus, userdata, error);

        return v ? sd_bus_message_append(reply, "x", *v) : -EIO;
}

int bus_property_get_figure_double(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        const double *v = figure(bus, userdata, error);

        return v ? sd_bus_message_append(reply, "d", *v) : -EIO;
}

int bus_property_get_figure_string(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        const char *const *v = figure(bus, userdata, error);

        return v ? sd_bus_message_append(reply, "s", *v ?: "") : -EIO;
}

void *bus_property_userdata(const sd_bus_vtable *v, Engine *e) {
        if (v->flags & SD_BUS_VTABLE_ABSOLUTE_OFFSET)
                return (void *) (uintptr_t) v->x.property.offset;
        return (uint8_t *) e + v->x.property.offset;
}
