/* SPDX-License-Identifier: MIT */
/* The one way changes reach the bus: the engine reports a mask of
 * EngineChange (Engine.on_change, set by the server), and the properties
 * that follow each bit (bus-vtables.c) go out in one PropertiesChanged. */
#include <assert.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"
#include "common/log.h"
#include "common/macro.h"
#include "wolfram-bus.h"

void bus_emit_changes(Engine *e, int changes) {
        const char *names[64];
        size_t n = 0;
        int r;

        if (!e->bus_server || changes <= 0)
                return;
        for (size_t i = 0; i < bus_n_vtables; i++) {
                if (!(bus_vtables[i].changes & changes))
                        continue;
                for (const sd_bus_vtable *v = bus_vtables[i].vtable; v->type != _SD_BUS_VTABLE_END; v++)
                        if (v->type == _SD_BUS_VTABLE_PROPERTY &&
                            (v->flags & SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)) {
                                assert(n + 1 < ELEMENTSOF(names));
                                names[n++] = v->x.property.member;
                        }
        }
        if (changes & ENGINE_CHANGED_CYCLE) {
                r = bus_emit_cycle_finished(e);
                if (r < 0)
                        log_warning_errno(r, "Failed to emit CycleFinished, ignoring: %m");
        }
        if (n == 0)
                return;
        names[n] = NULL;
        r = sd_bus_emit_properties_changed_strv(e->bus_server->bus, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE,
                                                (char **) names);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged, ignoring: %m");
}
