/* SPDX-License-Identifier: MIT */
/* stats.json and the Prometheus textfile: the engine's figures for tools
 * that do not speak D-Bus, written after each cycle. */
#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/macro.h"
#include "engine.h"
#include "kernel/ksm.h"
#include "kernel/meminfo.h"
#include "state/stats-export.h"

void engine_stats_report(Engine *e, StatsReport *ret) {
        ZramPoolStats pool = {};
        KsmCounters ksm = {};
        MemInfo mem = {};

        (void) zram_pool_stats(&e->pool, &pool);
        if (ksm_read_counters(&ksm) < 0)
                ksm = (KsmCounters){};
        if (meminfo_read(&mem) < 0)
                mem = (MemInfo){};

        *ret = (StatsReport){
                .timestamp_usec = e->start_realtime_usec + engine_uptime_usec(e),
                .uptime_usec = engine_uptime_usec(e),
                .cycles = e->cycle_count,
                .state = engine_state_to_string(e->state),
                .dry_run = e->config.dry_run,
                .profile = profile_to_string(e->config.profile),
                .idle_backend = e->backend ? e->backend->name : "",
                .pool_algorithm = e->pool.n_devices > 0 ? e->pool.algorithm : "",
                .zram_devices = (unsigned) e->pool.n_devices,
                .original_bytes = pool.orig_data_bytes,
                .compressed_bytes = pool.compr_data_bytes,
                .pool_memory_used_bytes = pool.mem_used_bytes,
                .pool_budget_bytes = e->pool_started ? e->pool.budget_bytes : 0,
                .pool_cap_bytes = e->pool_started ? zram_pool_cap_bytes(&e->pool, &e->config) : 0,
                .ksm_pages_sharing = ksm.pages_sharing,
                .ksm_pages_shared = ksm.pages_shared,
                .ksm_pages_unshared = ksm.pages_unshared,
                .ksm_pages_volatile = ksm.pages_volatile,
                .ksm_zero_pages = ksm.ksm_zero_pages,
                .ksm_full_scans = ksm.full_scans,
                .ksm_saved_bytes = ksm_saved_bytes(&ksm),
                .total_cold_bytes = e->total_cold_bytes,
                .total_paged_out_bytes = e->total_pageout_bytes,
                .lifetime_paged_out_bytes = e->runtime.lifetime_pageout_bytes,
                .last_cycle_duration_usec = e->last_cycle.duration_usec,
                .last_cycle_cpu_usec = e->last_cycle.cpu_usec,
                .mem_total_bytes = mem.total_bytes,
                .mem_available_bytes = mem.available_bytes,
                .swap_total_bytes = mem.swap_total_bytes,
                .swap_used_bytes = meminfo_swap_used_bytes(&mem),
                .policy_compression = engine_policy_enabled(e, POLICY_COMPRESSION),
                .policy_ksm = engine_policy_enabled(e, POLICY_KSM),
                .policy_tuning = engine_policy_enabled(e, POLICY_TUNING),
        };
}

void engine_export_stats(Engine *e) {
        _cleanup_free_ char *json_path = NULL;
        StatsReport report;
        int r;

        r = config_stats_file_path(&e->config, e->state_dir, &json_path);
        if (r < 0) {
                log_oom();
                return;
        }
        if (!json_path && !(e->config.prometheus_textfile_dir && *e->config.prometheus_textfile_dir))
                return;

        engine_stats_report(e, &report);
        if (json_path) {
                r = stats_export_json(&report, json_path);
                if (r < 0 && !e->export_json_failed)
                        log_warning_errno(r, "Failed to write %s, ignoring: %m", json_path);
                e->export_json_failed = r < 0;
        }
        if (e->config.prometheus_textfile_dir && *e->config.prometheus_textfile_dir) {
                r = stats_export_prometheus(&report, e->config.prometheus_textfile_dir);
                if (r < 0 && !e->export_prometheus_failed)
                        log_warning_errno(r, "Failed to write wolfram.prom into %s, ignoring: %m",
                                          e->config.prometheus_textfile_dir);
                e->export_prometheus_failed = r < 0;
        }
}
