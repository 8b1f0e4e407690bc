/* SPDX-License-Identifier: MIT */
/* The engine as a whole: what it is, its state (Pause, Resume), the
 * profile, dry run and tuning it runs with (Reload), what it saves. */
#include <errno.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "build-config.h"
#include "bus-internal.h"
#include "common/macro.h"
#include "wolfram-bus.h"

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "s", engine_state_to_string(e->state));
}

static int property_get_paused(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "b", e->state == ENGINE_PAUSED);
}

static int property_get_profile(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "s", profile_to_string(e->config.profile));
}

/* (name, original, value in the kernel now): read, not remembered, so
 * that a knob someone changed since shows as it is. */
static int property_get_tuning(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;
        const EngineFigures *f = bus_figures(bus, error);
        int r;

        if (!f)
                return -sd_bus_error_get_errno(error);
        r = sd_bus_message_open_container(reply, 'a', "(sxx)");
        for (TuningKnob k = 0; r >= 0 && k < _KNOB_MAX; k++)
                if (e->tuning.applied[k] && f->tuning_now_read[k])
                        r = sd_bus_message_append(reply, "(sxx)", tuning_knob_sysctl_name(k),
                                                  (int64_t) e->tuning.original[k],
                                                  (int64_t) f->tuning_now[k]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* Pause and Resume differ only in the engine call; the engine announces
 * the change. */
static int method_set_state(sd_bus_message *call, Engine *e, int (*change)(Engine *e), sd_bus_error *error) {
        int r;

        r = bus_verify_polkit_async(call, WOLFRAM_POLKIT_ACTION_PAUSE, e->bus_server->polkit, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1; /* polkit answers later; the call comes back then */
        r = change(e);
        if (r < 0)
                return r;
        return bus_reply_when_settled(e, call);
}

static int method_pause(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_set_state(call, userdata, engine_pause, error);
}

static int method_resume(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_set_state(call, userdata, engine_resume, error);
}

static int method_reload(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *message = NULL;
        Engine *e = userdata;
        int r;

        r = bus_verify_polkit_async(call, WOLFRAM_POLKIT_ACTION_CONFIGURE, e->bus_server->polkit, error);
        if (r < 0)
                return r;
        if (r == 0)
                return 1;

        r = engine_reload(e, &message);
        if (r == -EINVAL)
                return sd_bus_error_setf(error, WOLFRAM_ERROR_INVALID_CONFIG,
                                         "The configuration is invalid, the previous one stays in force: %s",
                                         strnull(message));
        if (r < 0)
                return r;
        return bus_reply_when_settled(e, call);
}

/* (pid, name, uid, bytes its stop returned, when it went to sleep) for
 * each hibernated process, by pid. */
static int property_get_hibernated(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        const EngineFigures *f = bus_figures(bus, error);
        int r;

        if (!f)
                return -EIO;
        r = sd_bus_message_open_container(reply, 'a', "(usutt)");
        for (size_t i = 0; r >= 0 && i < f->n_hibernated; i++) {
                const HibernateRecord *h = &f->hibernated[i];

                r = sd_bus_message_append(reply, "(usutt)", (uint32_t) h->pid, h->comm, (uint32_t) h->uid,
                                          h->pss_bytes + h->swap_bytes, h->hibernated_realtime_usec);
        }
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int property_get_wake_failures(sd_bus *bus, const char *path, const char *interface,
                                      const char *property, sd_bus_message *reply, void *userdata,
                                      sd_bus_error *error) {
        const EngineFigures *f = bus_figures(bus, error);
        int r;

        if (!f)
                return -EIO;
        r = sd_bus_message_open_container(reply, 'a', "(us)");
        for (size_t i = 0; r >= 0 && i < f->n_hibernated; i++)
                if (f->hibernated[i].wake_error)
                        r = sd_bus_message_append(reply, "(us)", (uint32_t) f->hibernated[i].pid,
                                                  f->hibernated[i].wake_error);
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

const sd_bus_vtable bus_engine_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("StartTimestamp", "t", bus_property_get_u64, offsetof(Engine, start_realtime_usec),
                        SD_BUS_VTABLE_PROPERTY_CONST),
        BUS_FIGURE("SavedBytes", "t", bus_property_get_figure_u64, saved_bytes, 0),
        BUS_FIGURE("PoolSavedBytes", "t", bus_property_get_figure_u64, pool_saved_bytes, 0),
        BUS_FIGURE("HibernatedSavedBytes", "t", bus_property_get_figure_u64, hibernated_saved_bytes, 0),
        SD_BUS_PROPERTY("HibernatedProcesses", "a(usutt)", property_get_hibernated, 0, 0),
        SD_BUS_PROPERTY("HibernateWakeFailures", "a(us)", property_get_wake_failures, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("Pause", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_pause,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Resume", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_resume,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

/* ENGINE_CHANGED_STATE */
const sd_bus_vtable bus_state_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Paused", "b", property_get_paused, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* ENGINE_CHANGED_PROFILE */
const sd_bus_vtable bus_profile_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Profile", "s", property_get_profile, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* ENGINE_CHANGED_DRY_RUN */
const sd_bus_vtable bus_dry_run_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("DryRun", "b", bus_property_get_bool, offsetof(Engine, config.dry_run),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* ENGINE_CHANGED_TUNING */
const sd_bus_vtable bus_tuning_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Tuning", "a(sxx)", property_get_tuning, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};
