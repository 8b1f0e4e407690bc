/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bus-members.h"
#include "common/macro.h"
#include "wolfram-bus.h"

int append_cycle_summary(sd_bus_message *m, Engine *e) {
        const CycleStats *c = &e->last_cycle;

        return sd_bus_message_append(m, "a{sv}", 10, "Cycle", "t", e->cycle_count, "Timestamp", "t",
                                     c->started_usec, "DurationUsec", "t", c->duration_usec, "CpuUsec", "t",
                                     c->cpu_usec, "Processes", "u", c->processes, "ScannedBytes", "t",
                                     c->scanned_bytes, "ColdBytes", "t", c->cold_bytes, "PagedOutBytes", "t",
                                     c->pageout_bytes, "DryRun", "b", c->dry_run, "Backend", "s",
                                     e->backend ? e->backend->name : "");
}

int emit_cycle_finished(Engine *e) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_signal(bus_server_bus(e), &m, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE,
                                      "CycleFinished");
        if (r >= 0)
                r = append_cycle_summary(m, e);
        if (r >= 0)
                r = sd_bus_send(bus_server_bus(e), m, NULL);
        return r;
}

int property_get_idle_backend(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;
        return sd_bus_message_append(reply, "s", e->backend ? e->backend->name : "");
}

int property_get_cycle_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;
        uint64_t v;

        if (streq(property, "CycleCount"))
                v = e->cycle_count;
        else if (streq(property, "LastCycleTimestamp"))
                v = e->last_cycle.started_usec;
        else if (streq(property, "LastCycleDurationUsec"))
                v = e->last_cycle.duration_usec;
        else if (streq(property, "LastCycleColdBytes"))
                v = e->last_cycle.cold_bytes;
        else if (streq(property, "LastCyclePagedOutBytes"))
                v = e->last_cycle.pageout_bytes;
        else if (streq(property, "TotalColdBytes"))
                v = e->total_cold_bytes;
        else {
                assert(streq(property, "TotalPagedOutBytes"));
                v = e->total_pageout_bytes;
        }
        return sd_bus_message_append(reply, "t", v);
}

static const char *process_state(const ProcessRecord *p) {
        return p->protected  ? "protected"
               : p->excluded ? "excluded"
                             : policy_action_to_string(p->last_action);
}

int method_list_processes(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Engine *e = userdata;
        int r;

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ussttduttstxb)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < e->processes.n_records; i++) {
                const ProcessRecord *p = &e->processes.records[i];

                r = sd_bus_message_append(reply, "(ussttduttstxb)", (uint32_t) p->pid, p->comm,
                                          strempty(p->cgroup), p->rss_anon_bytes, p->swap_bytes,
                                          p->idle_share, p->cycles_idle, p->cold_bytes, p->pageout_bytes,
                                          process_state(p),
                                          p->ksm.merging_pages * (uint64_t) sysconf(_SC_PAGESIZE),
                                          p->ksm.profit_bytes, p->ksm.merge_any);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}
