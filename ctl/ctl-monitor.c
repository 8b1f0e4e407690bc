/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <systemd/sd-event.h>
#include <time.h>

#include "bus-json.h"
#include "common/macro.h"
#include "ctl-monitor.h"
#include "ctl-stats.h"
#include "format.h"
#include "wolfram-bus.h"

#define DBUS_SERVICE "org.freedesktop.DBus"
#define DBUS_PATH "/org/freedesktop/DBus"

json_object *monitor_event_new(const char *name, uint64_t timestamp_usec) {
        json_object *e = json_object_new_object();

        if (!e)
                return NULL;
        if (json_object_object_add(e, "Event", json_object_new_string(name)) < 0 ||
            json_object_object_add(e, "Timestamp", json_object_new_uint64(timestamp_usec)) < 0) {
                json_object_put(e);
                return NULL;
        }
        return e;
}

static void print_cycle(FILE *f, json_object *summary, const OutputOptions *o) {
        char a[FORMAT_SIZE_MAX], b[FORMAT_SIZE_MAX], c[FORMAT_SIZE_MAX], d[32];

        fprintf(f,
                "Cycle %" PRIu64 ": looked at %" PRIu64
                " processes (%s) in %s, paged out %s, made cold %s%s",
                json_get_u64(summary, "Cycle", 0), json_get_u64(summary, "Processes", 0),
                format_size(a, json_get_u64(summary, "ScannedBytes", 0), o),
                format_duration(d, sizeof(d), json_get_u64(summary, "DurationUsec", 0)),
                format_size(b, json_get_u64(summary, "PagedOutBytes", 0), o),
                format_size(c, json_get_u64(summary, "ColdBytes", 0), o),
                json_get_bool(summary, "DryRun", false) ? " (dry run: planned only)" : "");
}

static void print_properties(FILE *f, json_object *event, const OutputOptions *o) {
        json_object *changed = json_get(event, "Changed"), *invalidated = json_get(event, "Invalidated");
        bool first = true;

        if (changed && json_object_is_type(changed, json_type_object)) {
                json_object_object_foreach(changed, name, value) {
                        fputs(first ? "" : "; ", f);
                        fputs_escaped(f, name);
                        fputs(": ", f);
                        value_print_inline(f, name, value, o);
                        first = false;
                }
        }
        if (invalidated && json_object_is_type(invalidated, json_type_array))
                for (size_t i = 0; i < json_object_array_length(invalidated); i++) {
                        fputs(first ? "" : "; ", f);
                        fputs_escaped(f, json_object_get_string(json_object_array_get_idx(invalidated, i)));
                        fputs(": changed", f);
                        first = false;
                }
        if (first)
                fputs("Properties changed", f);
}

int monitor_event_print(FILE *f, json_object *event, const OutputOptions *o, bool json) {
        const char *name = json_get_str(event, "Event", "?");
        time_t t = (time_t) (json_get_u64(event, "Timestamp", 0) / 1000000);
        struct tm tm;
        char when[16];

        if (json)
                return print_json(f, event, false);

        if (!localtime_r(&t, &tm) || strftime(when, sizeof(when), "%H:%M:%S", &tm) == 0)
                snprintf(when, sizeof(when), "?");
        fprintf(f, "%s ", when);
        if (streq(name, "CycleFinished"))
                print_cycle(f, json_get(event, "Summary"), o);
        else if (streq(name, "PropertiesChanged"))
                print_properties(f, event, o);
        else if (streq(name, "EngineStopped"))
                fprintf(f, "%swolframd stopped%s; waiting for it to come back", ansi_red(o), ansi_normal(o));
        else if (streq(name, "EngineStarted"))
                fprintf(f, "%swolframd started%s", ansi_green(o), ansi_normal(o));
        else
                fputs_escaped(f, name);
        fputc('\n', f);
        return ferror(f) ? -EIO : 0;
}

typedef struct Monitor {
        const CtlContext *ctx;
        sd_event *event;
} Monitor;

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Prints an event, takes it, and ends the loop when stdout is gone. */
static int emit(Monitor *m, json_object *event) {
        int r;

        if (!event)
                return sd_event_exit(m->event, -ENOMEM);
        r = monitor_event_print(stdout, event, &m->ctx->output, m->ctx->json);
        json_object_put(event);
        if (r >= 0 && fflush(stdout) != 0)
                r = -errno;
        return r < 0 ? sd_event_exit(m->event, r) : 0;
}

static int on_cycle_finished(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Monitor *m = userdata;
        json_object *event, *summary = NULL;
        int r;

        (void) ret_error;
        r = bus_message_read_json(message, &summary);
        if (r < 0) {
                fprintf(stderr, "Failed to parse a CycleFinished signal, ignoring: %s\n", strerror(-r));
                return 0;
        }
        event = monitor_event_new("CycleFinished", now_usec());
        if (event)
                json_object_object_add(event, "Summary", summary);
        else
                json_object_put(summary);
        return emit(m, event);
}

static int on_properties_changed(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Monitor *m = userdata;
        json_object *event, *changed = NULL, *invalidated = NULL;
        const char *interface;
        int r;

        (void) ret_error;
        r = sd_bus_message_read(message, "s", &interface);
        if (r < 0 || !streq(interface, WOLFRAM_BUS_INTERFACE))
                return 0;
        r = bus_message_read_json(message, &changed);
        if (r >= 0)
                r = bus_message_read_json(message, &invalidated);
        if (r < 0) {
                json_object_put(changed);
                fprintf(stderr, "Failed to parse a PropertiesChanged signal, ignoring: %s\n", strerror(-r));
                return 0;
        }
        event = monitor_event_new("PropertiesChanged", now_usec());
        if (event) {
                json_object_object_add(event, "Changed", changed);
                json_object_object_add(event, "Invalidated", invalidated);
        } else {
                json_object_put(changed);
                json_object_put(invalidated);
        }
        return emit(m, event);
}

static int on_name_owner_changed(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Monitor *m = userdata;
        const char *name, *old_owner, *new_owner;
        json_object *event;

        (void) ret_error;
        if (sd_bus_message_read(message, "sss", &name, &old_owner, &new_owner) < 0 ||
            !streq(name, WOLFRAM_BUS_NAME))
                return 0;
        if (!*new_owner)
                return emit(m, monitor_event_new("EngineStopped", now_usec()));
        event = monitor_event_new("EngineStarted", now_usec());
        if (event)
                json_object_object_add(event, "Owner", json_object_new_string(new_owner));
        return emit(m, event);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) si;
        (void) userdata;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int subscribe(sd_bus *bus, Monitor *m) {
        int r;

        r = sd_bus_match_signal(bus, NULL, WOLFRAM_BUS_NAME, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE,
                                "CycleFinished", on_cycle_finished, m);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, WOLFRAM_BUS_NAME, WOLFRAM_BUS_PATH,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        on_properties_changed, m);
        /* arg0 narrows NameOwnerChanged to the engine's name in the bus. */
        if (r >= 0)
                r = sd_bus_add_match(bus, NULL,
                                     "type='signal',sender='" DBUS_SERVICE "',path='" DBUS_PATH
                                     "',interface='" DBUS_SERVICE
                                     "',member='NameOwnerChanged',arg0='" WOLFRAM_BUS_NAME "'",
                                     on_name_owner_changed, m);
        return r;
}

int verb_monitor(sd_bus *bus, const CtlContext *c, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        Monitor m = { .ctx = c };
        sigset_t mask;
        int r;

        (void) args;
        /* sd-event takes signals through a signalfd: they must be blocked. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                fprintf(stderr, "Failed to block SIGINT and SIGTERM: %m\n");
                return CTL_EXIT_FAILED;
        }

        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, NULL);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(bus, true);
        if (r < 0) {
                fprintf(stderr, "Failed to set up the event loop: %s\n", strerror(-r));
                return CTL_EXIT_FAILED;
        }
        m.event = event;

        /* Subscribe first, then look: an engine starting in between is seen. */
        r = subscribe(bus, &m);
        if (r < 0)
                return ctl_report_error(c, "subscribe to the engine's signals", &error, r);
        r = sd_bus_call_method(bus, DBUS_SERVICE, DBUS_PATH, DBUS_SERVICE, "GetNameOwner", &error, NULL, "s",
                               WOLFRAM_BUS_NAME);
        if (r < 0 && ctl_exit_from_error(&error, r) == CTL_EXIT_NOT_RUNNING && sd_bus_error_is_set(&error))
                fprintf(stderr, "wolframd is not running; waiting for it to start.\n");
        else if (r < 0)
                return ctl_report_error(c, "look for the engine", &error, r);

        r = sd_event_loop(event);
        (void) sd_bus_detach_event(bus);
        if (r == 0)
                return CTL_EXIT_SUCCESS;
        if (r == EXIT_FAILURE) {
                /* sd-bus ends the loop with EXIT_FAILURE when the bus went away. */
                fprintf(stderr, "Lost the connection to the system bus.\n");
                return CTL_EXIT_NOT_RUNNING;
        }
        if (r < 0 && r != -EPIPE)
                fprintf(stderr, "Failed to follow the engine: %s\n", strerror(-r));
        return CTL_EXIT_FAILED;
}
