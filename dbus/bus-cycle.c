/* SPDX-License-Identifier: MIT */
/* The cycles: their counters and figures (they change when one finishes,
 * with the CycleFinished signal), the idle backend they use, the processes
 * the last one looked at. */
#include <errno.h>
#include <stddef.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "bus-internal.h"
#include "common/macro.h"
#include "wolfram-bus.h"

int bus_append_cycle_summary(sd_bus_message *m, Engine *e) {
        const CycleStats *c = &e->last_cycle;

        return sd_bus_message_append(
                m, "a{sv}", 19, "Cycle", "t", e->cycle_count, "Timestamp", "t", c->started_usec,
                "DurationUsec", "t", c->duration_usec, "CpuUsec", "t", c->cpu_usec, "Processes", "u",
                c->processes, "ScannedBytes", "t", c->scanned_bytes, "ColdBytes", "t", c->cold_bytes,
                "PagedOutBytes", "t", c->pageout_bytes, "DryRun", "b", c->dry_run, "Backend", "s",
                e->backend ? e->backend->name : "", "RefaultedBytes", "t", c->refault_bytes, "HeldBytes",
                "t", c->held_bytes, "HeldProcesses", "u", c->held_processes, "HoldReason", "s",
                c->hold_reason, "PageoutCpuUsec", "t", c->pageout_cpu_usec, "IncompressibleBytes", "t",
                c->incompressible_bytes, "ProbeBytes", "t", c->probe_bytes, "CgroupReclaimBytes", "t",
                c->lru_bytes, "CgroupReclaimCgroups", "u", c->lru_cgroups);
}

int bus_emit_cycle_finished(Engine *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus *bus = e->bus_server->bus;
        int r;

        r = sd_bus_message_new_signal(bus, &m, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE, "CycleFinished");
        if (r >= 0)
                r = bus_append_cycle_summary(m, e);
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        return r;
}

static int property_get_hold_reason(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "s", e->last_cycle.hold_reason);
}

static int property_get_idle_backend(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "s", e->backend ? e->backend->name : "");
}

static const char *process_state(const ProcessRecord *p) {
        if (p->protected)
                return "protected";
        if (p->excluded)
                return "excluded";
        /* A pageout was due and waited (pressure, refault budget). */
        return p->held ? "held" : policy_action_to_string(p->last_action);
}

static int method_list_processes(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint64_t page_size = (uint64_t) sysconf(_SC_PAGESIZE);
        Engine *e = userdata;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ussttduttstxbt)");
        for (size_t i = 0; r >= 0 && i < e->processes.n_records; i++) {
                const ProcessRecord *p = &e->processes.records[i];

                r = sd_bus_message_append(reply, "(ussttduttstxbt)", (uint32_t) p->pid, p->comm,
                                          strempty(p->cgroup), p->rss_anon_bytes, p->swap_bytes,
                                          p->idle_share, p->cycles_idle, p->cold_bytes, p->pageout_bytes,
                                          process_state(p), p->ksm.merging_pages * page_size,
                                          p->ksm.profit_bytes, p->ksm.merge_any, p->refault_bytes);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* ENGINE_CHANGED_CYCLE */
const sd_bus_vtable bus_cycle_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("CycleCount", "t", bus_property_get_u64, offsetof(Engine, cycle_count),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCycleTimestamp", "t", bus_property_get_u64,
                        offsetof(Engine, last_cycle.started_usec), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCycleDurationUsec", "t", bus_property_get_u64,
                        offsetof(Engine, last_cycle.duration_usec), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCycleColdBytes", "t", bus_property_get_u64,
                        offsetof(Engine, last_cycle.cold_bytes), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCyclePagedOutBytes", "t", bus_property_get_u64,
                        offsetof(Engine, last_cycle.pageout_bytes), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TotalColdBytes", "t", bus_property_get_u64, offsetof(Engine, total_cold_bytes),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TotalPagedOutBytes", "t", bus_property_get_u64,
                        offsetof(Engine, total_pageout_bytes), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TotalRefaultedBytes", "t", bus_property_get_u64,
                        offsetof(Engine, total_refault_bytes), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCycleRefaultedBytes", "t", bus_property_get_u64,
                        offsetof(Engine, last_cycle.refault_bytes), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCycleHeldBytes", "t", bus_property_get_u64,
                        offsetof(Engine, last_cycle.held_bytes), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PageoutHold", "s", property_get_hold_reason, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        BUS_FIGURE("WastedPageoutCpuUsec", "t", bus_property_get_figure_u64, wasted_pageout_cpu_usec, 0),
        SD_BUS_METHOD_WITH_ARGS("ListProcesses", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ussttduttstxbt)", processes), method_list_processes,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("CycleFinished", SD_BUS_ARGS("a{sv}", summary), 0),
        SD_BUS_VTABLE_END,
};

/* ENGINE_CHANGED_BACKEND */
const sd_bus_vtable bus_backend_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("IdleBackend", "s", property_get_idle_backend, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};

/* ENGINE_CHANGED_LIFETIME: by cycles and by ReclaimProcess. */
const sd_bus_vtable bus_lifetime_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("LifetimePagedOutBytes", "t", bus_property_get_u64,
                        offsetof(Engine, runtime.lifetime_pageout_bytes),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};
