/* SPDX-License-Identifier: MIT */
/* The machine's memory and swap, and every zram device: read when asked,
 * once per message, so never stale. */
#include <errno.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"

static int property_get_zram_devices(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        const EngineFigures *f = bus_figures(bus, error);
        int r;

        if (!f)
                return -EIO;
        r = sd_bus_message_open_container(reply, 'a', "(sttt)");
        for (size_t i = 0; r >= 0 && i < f->kernel.n_zram; i++) {
                const ZramDevice *d = &f->kernel.zram[i];

                r = sd_bus_message_append(reply, "(sttt)", d->name, d->mm.orig_data_bytes,
                                          d->mm.compr_data_bytes, d->mm.mem_used_total_bytes);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int property_get_swap_used(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const EngineFigures *f = bus_figures(bus, error);

        return f ? sd_bus_message_append(reply, "t", meminfo_swap_used_bytes(&f->kernel.mem)) : -EIO;
}

const sd_bus_vtable bus_memory_vtable[] = {
        SD_BUS_VTABLE_START(0),
        BUS_FIGURE("MemoryTotalBytes", "t", bus_property_get_figure_u64, kernel.mem.total_bytes, 0),
        BUS_FIGURE("MemoryAvailableBytes", "t", bus_property_get_figure_u64, kernel.mem.available_bytes, 0),
        BUS_FIGURE("SwapTotalBytes", "t", bus_property_get_figure_u64, kernel.mem.swap_total_bytes, 0),
        SD_BUS_PROPERTY("SwapUsedBytes", "t", property_get_swap_used, 0, 0),
        SD_BUS_PROPERTY("ZramDevices", "a(sttt)", property_get_zram_devices, 0, 0),
        BUS_FIGURE("PressureMemoryPercent", "d", bus_property_get_figure_double, pressure_memory_percent, 0),
        BUS_FIGURE("PressureIoPercent", "d", bus_property_get_figure_double, pressure_io_percent, 0),
        BUS_FIGURE("SystemRefaultBytes", "t", bus_property_get_figure_u64, system_refault_bytes, 0),
        BUS_FIGURE("SwapInBytes", "t", bus_property_get_figure_u64, swap_in_bytes, 0),
        SD_BUS_VTABLE_END,
};
