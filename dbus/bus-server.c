/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "build-config.h"
#include "bus-members.h"
#include "bus-peers.h"
#include "bus-polkit.h"
#include "bus-server.h"
#include "common/log.h"
#include "common/macro.h"
#include "kernel/stats.h"
#include "wolfram-bus.h"

struct BusServer {
        sd_bus *bus;
        sd_bus_slot *vtable_slot;
        PolkitRegistry *polkit;
};

static double pool_ratio(const ZramPoolStats *st) {
        return st->compr_data_bytes > 0 ? (double) st->orig_data_bytes / (double) st->compr_data_bytes : 0.0;
}

static int reply_stats_error(sd_bus_error *error, int r, const char *what) {
        return sd_bus_error_setf(error, WOLFRAM_ERROR_FAILED, "Failed to read %s: %s", what, strerror(-r));
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "s", engine_state_to_string(e->state));
}

/* Memory figures are read when asked, so they are never stale. */
static int property_get_memory(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        MemInfo m;
        uint64_t v;
        int r;

        r = meminfo_read(&m);
        if (r < 0)
                return reply_stats_error(error, r, "/proc/meminfo");

        if (streq(property, "MemoryTotalBytes"))
                v = m.total_bytes;
        else if (streq(property, "MemoryAvailableBytes"))
                v = m.available_bytes;
        else if (streq(property, "SwapTotalBytes"))
                v = m.swap_total_bytes;
        else {
                assert(streq(property, "SwapUsedBytes"));
                v = meminfo_swap_used_bytes(&m);
        }
        return sd_bus_message_append(reply, "t", v);
}

static int property_get_zram_devices(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        _cleanup_free_ ZramDevice *devices = NULL;
        size_t n;
        int r;

        r = zram_list_devices(&devices, &n);
        if (r < 0)
                return reply_stats_error(error, r, "zram devices");

        r = sd_bus_message_open_container(reply, 'a', "(sttt)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = sd_bus_message_append(reply, "(sttt)", devices[i].name, devices[i].mm.orig_data_bytes,
                                          devices[i].mm.compr_data_bytes,
                                          devices[i].mm.mem_used_total_bytes);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_paused(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "b", e->state == ENGINE_PAUSED);
}

static int property_get_engine_u64(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        Engine *e = userdata;
        uint64_t v;

        if (streq(property, "StartTimestamp"))
                v = e->start_realtime_usec;
        else if (streq(property, "LifetimePagedOutBytes"))
                v = e->runtime.lifetime_pageout_bytes;
        else if (streq(property, "PoolSavedBytes"))
                v = engine_pool_saved_bytes(e);
        else {
                assert(streq(property, "SavedBytes"));
                v = engine_saved_bytes(e);
        }
        return sd_bus_message_append(reply, "t", v);
}

static int property_get_pool_ratio(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        Engine *e = userdata;
        ZramPoolStats st = {};
        int r;

        r = zram_pool_stats(&e->pool, &st);
        if (r < 0)
                return reply_stats_error(error, r, "the pool's zram devices");
        return sd_bus_message_append(reply, "d", pool_ratio(&st));
}

static int property_get_profile(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "s", profile_to_string(e->config.profile));
}

static int property_get_dry_run(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;

        return sd_bus_message_append(reply, "b", e->config.dry_run);
}

static int property_get_tuning(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(sxx)");
        if (r < 0)
                return r;
        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                if (!e->tuning.applied[k])
                        continue;
                r = sd_bus_message_append(reply, "(sxx)", tuning_knob_sysctl_name(k),
                                          (int64_t) e->tuning.original[k], (int64_t) e->tuning.value[k]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_pool_u64(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Engine *e = userdata;
        ZramPoolStats st = {};
        uint64_t v;
        int r;

        if (streq(property, "PoolBudgetBytes"))
                v = e->pool_started ? e->pool.budget_bytes : 0;
        else if (streq(property, "PoolCapBytes"))
                v = e->pool_started ? zram_pool_cap_bytes(&e->pool, &e->config) : 0;
        else {
                r = zram_pool_stats(&e->pool, &st);
                if (r < 0)
                        return reply_stats_error(error, r, "the pool's zram devices");
                if (streq(property, "PoolOriginalBytes"))
                        v = st.orig_data_bytes;
                else if (streq(property, "PoolCompressedBytes"))
                        v = st.compr_data_bytes;
                else {
                        assert(streq(property, "PoolMemoryUsedBytes"));
                        v = st.mem_used_bytes;
                }
        }
        return sd_bus_message_append(reply, "t", v);
}

static int append_pool_devices(sd_bus_message *m, const ZramPool *p) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "s");
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_devices; i++) {
                char name[32];
                snprintf(name, sizeof(name), "zram%u", p->devices[i]);
                r = sd_bus_message_append(m, "s", name);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int property_get_pool_devices(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        Engine *e = userdata;
        return append_pool_devices(reply, &e->pool);
}

static int property_get_pool_string(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Engine *e = userdata;

        if (streq(property, "PoolAlgorithm"))
                return sd_bus_message_append(reply, "s", e->pool.n_devices > 0 ? e->pool.algorithm : "");
        return sd_bus_message_append(reply, "s", strempty(e->pool.note));
}

static int append_swap_devices(sd_bus_message *m, const void *userdata) {
        const StatsSnapshot *s = userdata;
        int r;

        r = sd_bus_message_open_container(m, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->swaps.n_entries; i++) {
                const SwapEntry *e = &s->swaps.entries[i];

                r = sd_bus_message_append(m, "a{sv}", 5, "Path", "s", e->path, "Type", "s", e->type,
                                          "SizeBytes", "t", e->size_bytes, "UsedBytes", "t", e->used_bytes,
                                          "Priority", "i", e->priority);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int append_zram_devices(sd_bus_message *m, const void *userdata) {
        const StatsSnapshot *s = userdata;
        int r;

        r = sd_bus_message_open_container(m, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_zram; i++) {
                const ZramDevice *d = &s->zram[i];

                r = sd_bus_message_append(m, "a{sv}", 7, "Name", "s", d->name, "DiskSizeBytes", "t",
                                          d->disksize_bytes, "OriginalBytes", "t", d->mm.orig_data_bytes,
                                          "CompressedBytes", "t", d->mm.compr_data_bytes, "MemoryUsedBytes",
                                          "t", d->mm.mem_used_total_bytes, "SamePages", "t",
                                          d->mm.same_pages, "IsSwap", "b", stats_zram_is_swap(s, d));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int append_tuning(sd_bus_message *m, const void *userdata) {
        const Tuning *t = userdata;
        int r;

        r = sd_bus_message_open_container(m, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                if (!t->applied[k])
                        continue;
                r = sd_bus_message_append(m, "a{sv}", 3, "Name", "s", tuning_knob_sysctl_name(k), "Original",
                                          "x", (int64_t) t->original[k], "Value", "x",
                                          (int64_t) t->value[k]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

/* Appends the dict entry key → variant of an aa{sv} list. */
static int append_list_entry(sd_bus_message *m, const char *key,
                             int (*append)(sd_bus_message *, const void *), const void *userdata) {
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "aa{sv}");
        if (r >= 0)
                r = append(m, userdata);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_pool(sd_bus_message *m, Engine *e) {
        ZramPoolStats st = {};
        int r;

        (void) zram_pool_stats(&e->pool, &st);
        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "Pool");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a{sv}");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "Devices");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "as");
        if (r >= 0)
                r = append_pool_devices(m, &e->pool);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(
                        m, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "Algorithm", "s",
                        e->pool.n_devices > 0 ? e->pool.algorithm : "", "BudgetBytes", "t",
                        e->pool_started ? e->pool.budget_bytes : (uint64_t) 0, "CapBytes", "t",
                        e->pool_started ? zram_pool_cap_bytes(&e->pool, &e->config) : (uint64_t) 0,
                        "OriginalBytes", "t", st.orig_data_bytes, "CompressedBytes", "t",
                        st.compr_data_bytes, "MemoryUsedBytes", "t", st.mem_used_bytes, "SamePages", "t",
                        st.same_pages, "CompressionRatio", "d", pool_ratio(&st), "SwapPriority", "i",
                        e->pool.swap_priority, "Note", "s", strempty(e->pool.note));
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_stats(sd_bus_message *m, Engine *e, const StatsSnapshot *s) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        r = sd_bus_message_append(m, "{sv}{sv}{sv}", "Version", "s", PACKAGE_VERSION, "State", "s",
                                  engine_state_to_string(e->state), "Timestamp", "t", s->timestamp_usec);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "{sv}{sv}{sv}{sv}{sv}", "MemoryTotalBytes", "t", s->mem.total_bytes,
                                  "MemoryAvailableBytes", "t", s->mem.available_bytes, "MemoryFreeBytes",
                                  "t", s->mem.free_bytes, "SwapTotalBytes", "t", s->mem.swap_total_bytes,
                                  "SwapUsedBytes", "t", meminfo_swap_used_bytes(&s->mem));
        if (r < 0)
                return r;

        r = append_list_entry(m, "SwapDevices", append_swap_devices, s);
        if (r >= 0)
                r = append_list_entry(m, "ZramDevices", append_zram_devices, s);
        if (r >= 0)
                r = append_list_entry(m, "Tuning", append_tuning, &e->tuning);
        if (r >= 0)
                r = append_pool(m, e);
        if (r >= 0)
                r = append_ksm(m, e);
        if (r < 0)
                return r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "LastCycle");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a{sv}");
        if (r >= 0)
                r = append_cycle_summary(m, e);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}{sv}{sv}", "IdleBackend", "s",
                                          e->backend ? e->backend->name : "", "TotalColdBytes", "t",
                                          e->total_cold_bytes, "TotalPagedOutBytes", "t",
                                          e->total_pageout_bytes);
        if (r < 0)
                return r;

        r = sd_bus_message_append(m, "{sv}{sv}{sv}{sv}", "Profile", "s",
                                  profile_to_string(e->config.profile), "ProfileReason", "s",
                                  e->config.profile_reason, "ProfileDetected", "b",
                                  e->config.profile_detected, "DryRun", "b", e->config.dry_run);
        if (r < 0)
                return r;

        r = sd_bus_message_append(m, "{sv}{sv}{sv}", "KsmAvailable", "b", s->ksm_available,
                                  "KsmPagesSharing", "t", s->ksm.pages_sharing, "KsmPagesShared", "t",
                                  s->ksm.pages_shared);
        if (r < 0)
                return r;

        r = sd_bus_message_append(m, "{sv}{sv}{sv}{sv}{sv}{sv}", "Paused", "b", e->state == ENGINE_PAUSED,
                                  "SavedBytes", "t", engine_saved_bytes(e), "PoolSavedBytes", "t",
                                  engine_pool_saved_bytes(e), "LifetimePagedOutBytes", "t",
                                  e->runtime.lifetime_pageout_bytes, "StartTimestamp", "t",
                                  e->start_realtime_usec, "UptimeUsec", "t", engine_uptime_usec(e));
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "Policies");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a{sb}");
        if (r >= 0)
                r = append_policies(m, e);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", "Exclusions");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "a(sss)");
        if (r >= 0)
                r = append_exclusions(m, e);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;

        return sd_bus_message_close_container(m);
}

static int method_get_stats(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(stats_snapshot_done) StatsSnapshot s = {};
        Engine *e = userdata;
        int r;

        r = stats_snapshot_collect(&s);
        if (r < 0)
                return reply_stats_error(error, r, "memory statistics");

        r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = append_stats(reply, e, &s);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Pause and Resume differ only in the engine call. */
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
        if (r > 0) {
                r = sd_bus_emit_properties_changed(sd_bus_message_get_bus(call), WOLFRAM_BUS_PATH,
                                                   WOLFRAM_BUS_INTERFACE, "State", "Paused", NULL);
                if (r < 0)
                        log_warning_errno(r, "Failed to emit PropertiesChanged for State, ignoring: %m");
        }
        return sd_bus_reply_method_return(call, NULL);
}

static int method_pause(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_set_state(call, userdata, engine_pause, error);
}

static int method_resume(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_set_state(call, userdata, engine_resume, error);
}

sd_bus *bus_server_bus(Engine *e) {
        return e->bus_server->bus;
}

PolkitRegistry *bus_server_polkit(Engine *e) {
        return e->bus_server->polkit;
}

void bus_server_emit_changes(Engine *e, int changes) {
        const char *names[32];
        size_t n = 0;
        int r;

        if (!e->bus_server || changes == 0)
                return;
        if (changes & ENGINE_CHANGED_PROFILE)
                names[n++] = "Profile";
        if (changes & ENGINE_CHANGED_DRY_RUN)
                names[n++] = "DryRun";
        if (changes & ENGINE_CHANGED_TUNING)
                names[n++] = "Tuning";
        if (changes & ENGINE_CHANGED_KSM)
                names[n++] = "KsmMode";
        if (changes & ENGINE_CHANGED_BACKEND)
                names[n++] = "IdleBackend";
        if (changes & ENGINE_CHANGED_EXCLUSIONS)
                names[n++] = "Exclusions";
        if (changes & ENGINE_CHANGED_POLICIES)
                names[n++] = "Policies";
        if (changes & ENGINE_CHANGED_CYCLE) {
                names[n++] = "CycleCount";
                names[n++] = "LastCycleTimestamp";
                names[n++] = "LastCycleDurationUsec";
                names[n++] = "LastCycleColdBytes";
                names[n++] = "LastCyclePagedOutBytes";
                names[n++] = "TotalColdBytes";
                names[n++] = "TotalPagedOutBytes";
                names[n++] = "LifetimePagedOutBytes";
                r = emit_cycle_finished(e);
                if (r < 0)
                        log_warning_errno(r, "Failed to emit CycleFinished, ignoring: %m");
        }
        if (changes & ENGINE_CHANGED_POOL) {
                names[n++] = "PoolBudgetBytes";
                names[n++] = "PoolCapBytes";
                names[n++] = "PoolDevices";
                names[n++] = "PoolAlgorithm";
                names[n++] = "PoolNote";
        }
        names[n] = NULL;
        r = sd_bus_emit_properties_changed_strv(e->bus_server->bus, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE,
                                                (char **) names);
        if (r < 0)
                log_warning_errno(r, "Failed to emit PropertiesChanged after reload, ignoring: %m");
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
        bus_server_emit_changes(e, r);
        return sd_bus_reply_method_return(call, NULL);
}

static const sd_bus_vtable memory1_vtable[] = {
        SD_BUS_VTABLE_START(0),

        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Paused", "b", property_get_paused, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StartTimestamp", "t", property_get_engine_u64, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Policies", "a{sb}", property_get_policies, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Exclusions", "a(sss)", property_get_exclusions, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SavedBytes", "t", property_get_engine_u64, 0, 0),
        SD_BUS_PROPERTY("PoolSavedBytes", "t", property_get_engine_u64, 0, 0),
        SD_BUS_PROPERTY("LifetimePagedOutBytes", "t", property_get_engine_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Profile", "s", property_get_profile, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DryRun", "b", property_get_dry_run, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Tuning", "a(sxx)", property_get_tuning, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MemoryTotalBytes", "t", property_get_memory, 0, 0),
        SD_BUS_PROPERTY("MemoryAvailableBytes", "t", property_get_memory, 0, 0),
        SD_BUS_PROPERTY("SwapTotalBytes", "t", property_get_memory, 0, 0),
        SD_BUS_PROPERTY("SwapUsedBytes", "t", property_get_memory, 0, 0),
        SD_BUS_PROPERTY("ZramDevices", "a(sttt)", property_get_zram_devices, 0, 0),
        SD_BUS_PROPERTY("PoolDevices", "as", property_get_pool_devices, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PoolAlgorithm", "s", property_get_pool_string, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PoolBudgetBytes", "t", property_get_pool_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PoolCapBytes", "t", property_get_pool_u64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PoolOriginalBytes", "t", property_get_pool_u64, 0, 0),
        SD_BUS_PROPERTY("PoolCompressedBytes", "t", property_get_pool_u64, 0, 0),
        SD_BUS_PROPERTY("PoolMemoryUsedBytes", "t", property_get_pool_u64, 0, 0),
        SD_BUS_PROPERTY("PoolNote", "s", property_get_pool_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PoolCompressionRatio", "d", property_get_pool_ratio, 0, 0),
        SD_BUS_PROPERTY("IdleBackend", "s", property_get_idle_backend, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CycleCount", "t", property_get_cycle_u64, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCycleTimestamp", "t", property_get_cycle_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCycleDurationUsec", "t", property_get_cycle_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCycleColdBytes", "t", property_get_cycle_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("LastCyclePagedOutBytes", "t", property_get_cycle_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TotalColdBytes", "t", property_get_cycle_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TotalPagedOutBytes", "t", property_get_cycle_u64, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("KsmPagesSharing", "t", property_get_ksm_u64, 0, 0),
        SD_BUS_PROPERTY("KsmPagesShared", "t", property_get_ksm_u64, 0, 0),
        SD_BUS_PROPERTY("KsmPagesUnshared", "t", property_get_ksm_u64, 0, 0),
        SD_BUS_PROPERTY("KsmPagesVolatile", "t", property_get_ksm_u64, 0, 0),
        SD_BUS_PROPERTY("KsmZeroPages", "t", property_get_ksm_u64, 0, 0),
        SD_BUS_PROPERTY("KsmFullScans", "t", property_get_ksm_u64, 0, 0),
        SD_BUS_PROPERTY("KsmSavedBytes", "x", property_get_ksm_misc, 0, 0),
        SD_BUS_PROPERTY("KsmCpuPercent", "d", property_get_ksm_misc, 0, 0),
        SD_BUS_PROPERTY("KsmMode", "s", property_get_ksm_misc, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),

        SD_BUS_METHOD_WITH_ARGS("GetStats", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", stats), method_get_stats,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Pause", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_pause,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Resume", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_resume,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListProcesses", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ussttduttstxb)", processes), method_list_processes,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("CycleFinished", SD_BUS_ARGS("a{sv}", summary), 0),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AddExclusion", SD_BUS_ARGS("s", pattern), SD_BUS_NO_RESULT,
                                method_add_exclusion, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveExclusion", SD_BUS_ARGS("s", pattern), SD_BUS_NO_RESULT,
                                method_remove_exclusion, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReclaimProcess", SD_BUS_ARGS("u", pid, "s", mode),
                                SD_BUS_RESULT("a{sv}", result), method_reclaim_process,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetPolicy", SD_BUS_ARGS("s", name, "b", enabled), SD_BUS_NO_RESULT,
                                method_set_policy, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_VTABLE_END,
};

int bus_server_start(Engine *e) {
        _cleanup_free_ BusServer *s = NULL;
        int r;

        assert(e);
        assert(!e->bus_server);

        s = calloc(1, sizeof(BusServer));
        if (!s)
                return log_oom();

        r = polkit_registry_new(&s->polkit);
        if (r < 0)
                return log_oom();

        r = sd_bus_open_system(&s->bus);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to the system bus: %m");
                goto fail;
        }
        (void) sd_bus_set_description(s->bus, "wolframd");

        r = sd_bus_add_object_vtable(s->bus, &s->vtable_slot, WOLFRAM_BUS_PATH, WOLFRAM_BUS_INTERFACE,
                                     memory1_vtable, e);
        if (r < 0) {
                log_error_errno(r, "Failed to register %s: %m", WOLFRAM_BUS_PATH);
                goto fail;
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

        e->bus_server = TAKE_PTR(s);
        return 0;

fail:
        s->vtable_slot = sd_bus_slot_unref(s->vtable_slot);
        s->bus = sd_bus_flush_close_unref(s->bus);
        s->polkit = polkit_registry_free(s->polkit);
        return r;
}

void bus_server_stop(Engine *e) {
        BusServer *s = e->bus_server;

        if (!s)
                return;
        if (s->bus && sd_bus_is_open(s->bus) > 0)
                (void) sd_bus_release_name(s->bus, WOLFRAM_BUS_NAME);
        s->polkit = polkit_registry_free(s->polkit);
        s->vtable_slot = sd_bus_slot_unref(s->vtable_slot);
        s->bus = sd_bus_flush_close_unref(s->bus);
        free(s);
        e->bus_server = NULL;
}
