/* SPDX-License-Identifier: MIT */
/* stats.json and the Prometheus textfile: the engine's figures for tools
 * that do not speak D-Bus, written after each cycle. */
#include <errno.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/macro.h"
#include "engine.h"
#include "state/stats-export.h"

void engine_stats_report(Engine *e, StatsReport *ret) {
        EngineFigures f;

        engine_figures_read(e, &f);
        *ret = (StatsReport){
                .timestamp_usec = f.kernel.timestamp_usec,
                .uptime_usec = f.uptime_usec,
                .cycles = e->cycle_count,
                .state = engine_state_to_string(e->state),
                .dry_run = e->config.dry_run,
                .profile = profile_to_string(e->config.profile),
                .idle_backend = e->backend ? e->backend->name : "",
                .pool_algorithm = f.pool_algorithm,
                .zram_devices = (unsigned) e->pool.n_devices,
                .original_bytes = f.pool.orig_data_bytes,
                .compressed_bytes = f.pool.compr_data_bytes,
                .pool_memory_used_bytes = f.pool.mem_used_bytes,
                .pool_budget_bytes = f.pool_budget_bytes,
                .pool_cap_bytes = f.pool_cap_bytes,
                .recompress_algorithm = f.recompress_algorithm,
                .writeback_device = f.writeback_device,
                .recompress_saved_bytes = f.recompress_saved_bytes,
                .recompress_cpu_usec = f.recompress_cpu_usec,
                .written_back_bytes = f.written_back_bytes,
                .writeback_stored_bytes = f.writeback_stored_bytes,
                .writeback_today_bytes = f.writeback_today_bytes,
                .writeback_limit_bytes = f.writeback_limit_bytes,
                .ksm_pages_sharing = f.kernel.ksm.pages_sharing,
                .ksm_pages_shared = f.kernel.ksm.pages_shared,
                .ksm_pages_unshared = f.kernel.ksm.pages_unshared,
                .ksm_pages_volatile = f.kernel.ksm.pages_volatile,
                .ksm_zero_pages = f.kernel.ksm.ksm_zero_pages,
                .ksm_full_scans = f.kernel.ksm.full_scans,
                .ksm_saved_bytes = f.ksm_saved_bytes,
                .total_cold_bytes = e->total_cold_bytes,
                .total_paged_out_bytes = e->total_pageout_bytes,
                .lifetime_paged_out_bytes = e->runtime.lifetime_pageout_bytes,
                .last_cycle_duration_usec = e->last_cycle.duration_usec,
                .last_cycle_cpu_usec = e->last_cycle.cpu_usec,
                .last_cycle_incompressible_bytes = e->last_cycle.incompressible_bytes,
                .last_cycle_cgroup_reclaim_bytes = e->last_cycle.lru_bytes,
                .refaulted_bytes = e->total_refault_bytes,
                .wasted_pageout_cpu_usec = f.wasted_pageout_cpu_usec,
                .pageout_hold = e->last_cycle.hold_reason,
                .pressure_memory_hundredths = (uint64_t) (f.pressure_memory_percent * 100.0 + 0.5),
                .pressure_io_hundredths = (uint64_t) (f.pressure_io_percent * 100.0 + 0.5),
                .mem_total_bytes = f.kernel.mem.total_bytes,
                .mem_available_bytes = f.kernel.mem.available_bytes,
                .swap_total_bytes = f.kernel.mem.swap_total_bytes,
                .swap_used_bytes = meminfo_swap_used_bytes(&f.kernel.mem),
                .hibernated_processes = (unsigned) f.n_hibernated,
                .hibernated_saved_bytes = f.hibernated_saved_bytes,
                .policy_compression = engine_policy_enabled(e, POLICY_COMPRESSION),
                .policy_ksm = engine_policy_enabled(e, POLICY_KSM),
                .policy_tuning = engine_policy_enabled(e, POLICY_TUNING),
        };
        engine_figures_done(&f);
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
