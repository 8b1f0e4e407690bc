/* SPDX-License-Identifier: MIT */
/* Figures derived from the engine's state and the kernel's counters, in
 * one place for the bus, the stats files and the log. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/macro.h"

#include "common/time-util.h"
#include "engine-internal.h"
#include "kernel/pressure.h"

const char *engine_state_to_string(EngineState s) {
        static const char *const table[_ENGINE_STATE_MAX] = {
                [ENGINE_RUNNING] = "running",
                [ENGINE_PAUSED] = "paused",
        };

        assert(s >= 0 && s < _ENGINE_STATE_MAX);
        return table[s];
}

bool engine_policy_enabled(const Engine *e, PolicyName p) {
        switch (p) {
        case POLICY_COMPRESSION:
                return e->compression_on;
        case POLICY_KSM:
                return e->config.ksm_enabled;
        case POLICY_TUNING:
                return e->config.tuning_enabled;
        default:
                assert(false);
                return false;
        }
}

uint64_t engine_uptime_usec(const Engine *e) {
        return now_usec(CLOCK_MONOTONIC) - e->start_monotonic_usec;
}

static const char *ksm_mode(const Engine *e) {
        if (!e->ksm.started)
                return "off";
        return "wolfram";
}

void engine_figures_read(Engine *e, EngineFigures *ret) {
        EngineFigures f = {};
        int r;

        r = stats_snapshot_collect(&f.kernel);
        if (r < 0) {
                f.kernel = (StatsSnapshot){ .timestamp_usec = now_usec(CLOCK_REALTIME) };
                f.kernel_error = r;
        }
        zram_pool_stats_from(&e->pool, f.kernel.zram, f.kernel.n_zram, &f.pool);
        f.pool_ratio = f.pool.compr_data_bytes > 0
                               ? (double) f.pool.orig_data_bytes / (double) f.pool.compr_data_bytes
                               : 0.0;
        f.pool_saved_bytes = f.pool.orig_data_bytes > f.pool.mem_used_bytes
                                     ? f.pool.orig_data_bytes - f.pool.mem_used_bytes
                                     : 0;
        f.pool_budget_bytes = e->pool_started ? e->pool.budget_bytes : 0;
        f.pool_cap_bytes = e->pool_started ? zram_pool_cap_bytes(&e->pool, &e->config) : 0;
        f.pool_algorithm = e->pool.n_devices > 0 ? e->pool.algorithm : "";
        f.ksm_mode = ksm_mode(e);
        f.ksm_saved_bytes = f.kernel.ksm_available ? ksm_saved_bytes(&f.kernel.ksm) : 0;
        if (e->state_dir) {
                _cleanup_free_ char *dir = NULL;

                if (asprintf(&dir, "%s/%s", e->state_dir, HIBERNATE_DIR_NAME) >= 0 &&
                    hibernate_scan(dir, &f.hibernated, &f.n_hibernated) >= 0)
                        f.hibernated_saved_bytes = hibernate_saved_bytes(f.hibernated, f.n_hibernated);
        }
        f.saved_bytes = f.pool_saved_bytes + (f.ksm_saved_bytes > 0 ? (uint64_t) f.ksm_saved_bytes : 0) +
                        f.hibernated_saved_bytes;
        f.uptime_usec = engine_uptime_usec(e);

        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                if (e->tuning.applied[k])
                        f.tuning_now_read[k] = tuning_read_now(k, &f.tuning_now[k]) >= 0;

        Psi psi;
        if (psi_read("memory", &psi) >= 0)
                f.pressure_memory_percent = psi.some.avg10;
        if (psi_read("io", &psi) >= 0)
                f.pressure_io_percent = psi.some.avg10;
        VmStat vm;
        if (vmstat_read(&vm) >= 0) {
                uint64_t page_size = (uint64_t) sysconf(_SC_PAGESIZE);

                f.system_refault_bytes = vm.workingset_refault_anon * page_size;
                f.swap_in_bytes = vm.pswpin * page_size;
        }
        if (e->total_pageout_bytes > 0)
                f.wasted_pageout_cpu_usec =
                        (uint64_t) ((double) e->total_pageout_cpu_usec * (double) e->total_refault_bytes /
                                    (double) e->total_pageout_bytes);
        f.recompress_algorithm = e->pool.n_devices > 0 ? e->pool.recompress_algorithm : "";
        f.writeback_device = e->pool.backing_device ?: "";
        f.ageing_note = e->pool.ageing_note ?: "";
        f.recompress_saved_bytes = e->recompress_saved_bytes;
        f.recompress_cpu_usec = e->recompress_cpu_usec;
        f.written_back_bytes = e->written_back_bytes;
        if (e->pool.backing_device) {
                ZramBdStat bd;

                if (zram_read_bd_stat(e->pool.backing_id, &bd) >= 0) {
                        f.writeback_stored_bytes = bd.stored_bytes;
                        f.writeback_read_bytes = bd.read_bytes;
                }
                f.writeback_limit_bytes = (uint64_t) e->config.zram_writeback_limit_mib * 1024 * 1024;
                f.writeback_today_bytes = zram_age_day_written(&e->runtime.writeback_day,
                                                               now_usec(CLOCK_REALTIME) / USEC_PER_SEC);
        }
        f.ageing_last_timestamp = e->ageing_last_realtime_usec;
        *ret = f;
}

void engine_figures_done(EngineFigures *f) {
        stats_snapshot_done(&f->kernel);
        hibernate_records_free(f->hibernated, f->n_hibernated);
        f->hibernated = NULL;
        f->n_hibernated = 0;
}
