/* SPDX-License-Identifier: MIT */
/* The connection: the engine's object with every subject's vtable on it,
 * the name, and the figures read once per message. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"
#include "bus-peers.h"
#include "bus-server.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/time-util.h"
#include "wolfram-bus.h"

void bus_figures_forget(BusServer *s) {
        if (s->have_figures)
                engine_figures_done(&s->figures);
        s->have_figures = false;
}

const EngineFigures *bus_figures(sd_bus *bus, sd_bus_error *error) {
        /* Every vtable is registered with the Engine. */
        Engine *e = sd_bus_slot_get_userdata(sd_bus_get_current_slot(bus));
        sd_bus_message *m = sd_bus_get_current_message(bus);
        BusServer *s;

        assert(e && e->bus_server);
        s = e->bus_server;
        /* Outside a message (PropertiesChanged from a timer) they are read
         * afresh: the engine has just changed something. */
        if (!s->have_figures || !m ||
            (m != s->figures_message &&
             now_usec(CLOCK_MONOTONIC) - s->figures_read_usec >= BUS_FIGURES_MAX_AGE_USEC)) {
                bus_figures_forget(s);
                engine_figures_read(e, &s->figures);
                s->figures_read_usec = now_usec(CLOCK_MONOTONIC);
                s->have_figures = true;
                sd_bus_message_unref(s->figures_message);
                s->figures_message = sd_bus_message_ref(m);
        }
        if (s->figures.kernel_error < 0) {
                sd_bus_error_setf(error, WOLFRAM_ERROR_FAILED, "Failed to read the memory statistics: %s",
                                  strerror(-s->figures.kernel_error));
                return NULL;
        }
        return &s->figures;
}

int bus_reply_when_settled(Engine *e, sd_bus_message *call) {
        BusServer *s = e->bus_server;
        sd_bus_message **a;

        if (!engine_settling(e))
                return sd_bus_reply_method_return(call, NULL);
        a = reallocarray(s->settling, s->n_settling + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        s->settling = a;
        s->settling[s->n_settling++] = sd_bus_message_ref(call);
        return 1;
}

static void on_settled(Engine *e) {
        BusServer *s = e->bus_server;
        int r;

        if (!s)
                return;
        for (size_t i = 0; i < s->n_settling; i++) {
                r = sd_bus_reply_method_return(s->settling[i], NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to answer a call when the pool was removed: %m");
                sd_bus_message_unref(s->settling[i]);
        }
        free(s->settling);
        s->settling = NULL;
        s->n_settling = 0;
}

static void on_engine_change(Engine *e, int changes) {
        /* What the engine changed shows at the next read. */
        if (e->bus_server)
                bus_figures_forget(e->bus_server);
        bus_emit_changes(e, changes);
}

static void bus_server_free(BusServer *s) {
        if (!s)
                return;
        if (s->vtable_slots)
                for (size_t i = 0; i < bus_n_vtables; i++)
                        sd_bus_slot_unref(s->vtable_slots[i]);
        free(s->vtable_slots);
        s->polkit = polkit_registry_free(s->polkit);
        sd_bus_message_unref(s->figures_message);
        bus_figures_forget(s);
        for (size_t i = 0; i < s->n_settling; i++)
                sd_bus_message_unref(s->settling[i]);
        free(s->settling);
        s->bus = sd_bus_flush_close_unref(s->bus);
        free(s);
}

int bus_server_start(Engine *e) {
        BusServer *s;
        int r;

        assert(e);
        assert(!e->bus_server);

        s = calloc(1, sizeof(BusServer));
        if (!s)
                return log_oom();
        s->vtable_slots = calloc(bus_n_vtables, sizeof(sd_bus_slot *));
        if (!s->vtable_slots || polkit_registry_new(&s->polkit) < 0) {
                bus_server_free(s);
                return log_oom();
        }

        r = sd_bus_open_system(&s->bus);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to the system bus: %m");
                goto fail;
        }
        (void) sd_bus_set_description(s->bus, "wolframd");

        for (size_t i = 0; i < bus_n_vtables; i++) {
                r = sd_bus_add_object_vtable(s->bus, &s->vtable_slots[i], WOLFRAM_BUS_PATH,
                                             WOLFRAM_BUS_INTERFACE, bus_vtables[i].vtable, e);
                if (r < 0) {
                        log_error_errno(r, "Failed to register %s: %m", WOLFRAM_BUS_PATH);
                        goto fail;
                }
        }

        r = sd_bus_attach_event(s->bus, e->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                log_error_errno(r, "Failed to attach the bus to the event loop: %m");
                goto fail;
        }
        r = bus_peers_watch(e, s->bus);
        if (r < 0)
                log_warning_errno(r, "Failed to ask the bus for its own and polkitd's pids, ignoring: %m");

        /* Losing the bus leaves nothing to serve: leave the loop and let the
         * service manager restart us. */
        r = sd_bus_set_exit_on_disconnect(s->bus, true);
        if (r < 0) {
                log_error_errno(r, "Failed to set exit-on-disconnect: %m");
                goto fail;
        }

        /* Synchronous on purpose: nothing else is served before we own the
         * name, and the outcome decides whether we run at all. */
        r = sd_bus_request_name(s->bus, WOLFRAM_BUS_NAME, 0);
        if (r == -EEXIST)
                log_error("Another process already owns %s; is wolframd running already?", WOLFRAM_BUS_NAME);
        else if (r == -EACCES || r == -EPERM)
                log_error("The bus policy does not let this user own %s (is %s installed, are we root?).",
                          WOLFRAM_BUS_NAME, "org.wolfram.Memory1.conf");
        else if (r < 0)
                log_error_errno(r, "Failed to own %s: %m", WOLFRAM_BUS_NAME);
        if (r < 0)
                goto fail;

        e->bus_server = s;
        e->on_change = on_engine_change;
        e->on_settled = on_settled;
        return 0;

fail:
        bus_server_free(s);
        return r;
}

void bus_server_stop(Engine *e) {
        BusServer *s = e->bus_server;

        if (!s)
                return;
        if (s->bus && sd_bus_is_open(s->bus) > 0)
                (void) sd_bus_release_name(s->bus, WOLFRAM_BUS_NAME);
        e->on_change = NULL;
        e->on_settled = NULL;
        e->bus_server = NULL;
        bus_server_free(s);
}
