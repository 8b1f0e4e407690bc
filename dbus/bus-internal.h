/* SPDX-License-Identifier: MIT */
#pragma once

/* Between the files of the bus adapter; not for the engine or clients.
 *
 * Each subject file (bus-engine.c, bus-memory.c, bus-pool.c, bus-ksm.c,
 * bus-cycle.c, bus-control.c, bus-reclaim.c, bus-stats.c) owns its members
 * in one or more vtables on the one object and interface. bus-vtables.c
 * lists them with the change (EngineChange) that makes each vtable's
 * EMITS_CHANGE properties be announced; bus-changes.c announces them and
 * GetStats carries every property. Adding a read-only property is one
 * entry in its subject's vtable (and the XML). Every vtable is registered
 * with the Engine as userdata. */

#include <stddef.h>
#include <systemd/sd-bus.h>

#include "bus-polkit.h"
#include "common/time-util.h"
#include "engine.h"

/* How long the kernel's figures read for one call answer the next ones. */
#define BUS_FIGURES_MAX_AGE_USEC (100 * USEC_PER_MSEC)

struct BusServer {
        sd_bus *bus;
        sd_bus_slot **vtable_slots;
        PolkitRegistry *polkit;
        /* The figures for the message being answered, read once for it
         * (as timedated caches per message), and kept for the next
         * messages for up to BUS_FIGURES_MAX_AGE_USEC unless the engine
         * changed something in between: twenty status readers polling at
         * once cost one read of the kernel's files, not twenty. */
        sd_bus_message *figures_message;
        EngineFigures figures;
        uint64_t figures_read_usec;
        bool have_figures;
        /* Calls answered once the engine has settled (engine_settling):
         * the pool's swapoffs done, a cancelled cycle ended. */
        sd_bus_message **settling;
        size_t n_settling;
};

/* One vtable and the change that its EMITS_CHANGE properties follow (0:
 * none of them changes, or only when asked). */
typedef struct BusVtable {
        const sd_bus_vtable *vtable;
        int changes;
} BusVtable;

extern const BusVtable bus_vtables[];
extern const size_t bus_n_vtables;

/* The subjects' vtables. */
extern const sd_bus_vtable bus_engine_vtable[], bus_state_vtable[], bus_profile_vtable[],
        bus_dry_run_vtable[], bus_tuning_vtable[];
extern const sd_bus_vtable bus_memory_vtable[];
extern const sd_bus_vtable bus_pool_vtable[];
extern const sd_bus_vtable bus_ksm_vtable[];
extern const sd_bus_vtable bus_cycle_vtable[], bus_backend_vtable[], bus_lifetime_vtable[];
extern const sd_bus_vtable bus_policies_vtable[], bus_exclusions_vtable[];
extern const sd_bus_vtable bus_reclaim_vtable[];
extern const sd_bus_vtable bus_hibernate_vtable[];
extern const sd_bus_vtable bus_stats_vtable[];

/* bus-server.c: the engine's figures for the message being answered (read
 * once per message, fresh when there is none); NULL with 'error' set when
 * the kernel's figures could not be read. */
const EngineFigures *bus_figures(sd_bus *bus, sd_bus_error *error);
/* Drops the kept figures: the next read goes to the kernel. */
void bus_figures_forget(BusServer *s);

/* Answers 'call' now, or once what is under way has ended (a removal of
 * the pool, a cancelled cycle): Pause, Resume, Reload, SetPolicy,
 * AddExclusion, RemoveExclusion. Returns what a method handler returns. */
int bus_reply_when_settled(Engine *e, sd_bus_message *call);

/* bus-changes.c: announces what changed (a mask of EngineChange), the one
 * way every change reaches the bus. */
void bus_emit_changes(Engine *e, int changes);

/* bus-pool.c: the pool's device names, as PoolDevices and GetStats send
 * them. */
int bus_append_pool_devices(sd_bus_message *m, const ZramPool *p);

/* bus-cycle.c: the last cycle's summary, as CycleFinished and GetStats
 * send it; the CycleFinished signal. */
int bus_append_cycle_summary(sd_bus_message *m, Engine *e);
int bus_emit_cycle_finished(Engine *e);

/* bus-property.c: getters for plain values, where the vtable entry's
 * offset points at the value in the Engine (offsetof(Engine, …)). */
int bus_property_get_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                         sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                          sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_property_get_double(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error);

/* And for figures (EngineFigures): the entry's offset is
 * offsetof(EngineFigures, …), given with BUS_FIGURE(). */
int bus_property_get_figure_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_property_get_figure_i64(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error);
int bus_property_get_figure_double(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error);
int bus_property_get_figure_string(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error);

/* A property read from the figures of the message: the offset is absolute
 * (not added to the Engine), and the getter adds it to the figures. */
#define BUS_FIGURE(name, signature, getter, field, flags)                        \
        SD_BUS_PROPERTY(name, signature, getter, offsetof(EngineFigures, field), \
                        (flags) | SD_BUS_VTABLE_ABSOLUTE_OFFSET)

/* The userdata sd-bus hands a property's getter (for callers that invoke
 * getters themselves, as GetStats does). */
void *bus_property_userdata(const sd_bus_vtable *v, Engine *e);
