/* SPDX-License-Identifier: MIT */
/* When cycles run: the timer, the worker thread's start and end, what a
 * finished cycle leaves behind (the process table, the counters). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/log.h"
#include "common/time-util.h"
#include "engine-internal.h"

#define MIB (UINT64_C(1024) * 1024)

/* Adds to the lifetime counters and keeps them. */
void engine_count_lifetime(Engine *e, uint64_t cold_bytes, uint64_t pageout_bytes) {
        int r;

        if (cold_bytes == 0 && pageout_bytes == 0)
                return;
        e->runtime.lifetime_cold_bytes += cold_bytes;
        e->runtime.lifetime_pageout_bytes += pageout_bytes;
        r = runtime_state_save(&e->runtime, e->runtime_state_path);
        if (r < 0)
                log_warning_errno(r, "Failed to save the lifetime counters to %s, ignoring: %m",
                                  e->runtime_state_path);
}

/* What a step of the pool's ageing does now; its interval in *ret_interval
 * (0: nothing to do). */
static void engine_age_settings(Engine *e, ZramAgeSettings *ret, uint64_t *ret_interval) {
        *ret = (ZramAgeSettings){
                .recompress = e->pool.recompress_algorithm[0] != 0,
                .recompress_after_secs = e->config.zram_recompress_after_secs,
                .writeback = e->pool.backing_device != NULL,
                .writeback_after_secs = e->config.zram_writeback_after_secs,
                .mark_by_age = !e->ageing_no_age,
        };
        if (ret->writeback) {
                ZramAgeDay day = e->runtime.writeback_day; /* counted only once something is written */

                ret->writeback_allowance_bytes =
                        zram_age_day_allowance(&day, now_usec(CLOCK_REALTIME) / USEC_PER_SEC,
                                               (uint64_t) e->config.zram_writeback_limit_mib * MIB);
        }
        *ret_interval = zram_age_interval_secs(ret);
}

/* Whether a step of the pool's ageing is due with this cycle. */
static bool engine_age_due(Engine *e, ZramAgeSettings *ret) {
        uint64_t interval, now = now_usec(CLOCK_MONOTONIC);

        if (!e->pool_started || e->config.dry_run || e->pool.n_devices == 0)
                return false;
        engine_age_settings(e, ret, &interval);
        if (interval == 0)
                return false;
        return e->ageing_last_usec == 0 || now - e->ageing_last_usec >= interval * USEC_PER_SEC;
}

/* Counts what a step of the pool's ageing did. */
static void engine_count_ageing(Engine *e, const ZramAgeResult *a) {
        ZramAgeDay *day = &e->runtime.writeback_day;
        int r;

        e->ageing_last_realtime_usec = now_usec(CLOCK_REALTIME);
        if (a->age_refused)
                e->ageing_no_age = true;
        e->recompress_saved_bytes += a->recompress_saved_bytes;
        e->recompress_cpu_usec += a->recompress_cpu_usec;
        e->written_back_bytes += a->written_bytes;
        if (a->error < 0)
                log_warning_errno(a->error, "The pool's ageing failed at %s: %m", a->error_what);
        if (a->recompress_saved_bytes > 0 || a->recompress_cpu_usec >= 1000)
                log_info("Pool ageing: recompressed with %s, %" PRIu64 " KiB smaller (CPU %.1f ms).",
                         e->pool.recompress_algorithm, a->recompress_saved_bytes / 1024,
                         (double) a->recompress_cpu_usec / 1000.0);
        /* The day begins with its first writeback. */
        if (a->written_bytes > 0) {
                zram_age_day_add(day, e->ageing_last_realtime_usec / USEC_PER_SEC, a->written_bytes);
                r = runtime_state_save(&e->runtime, e->runtime_state_path);
                if (r < 0)
                        log_warning_errno(r, "Failed to save the writeback day to %s, ignoring: %m",
                                          e->runtime_state_path);
        }
        if (a->written_bytes > 0 || a->limit_reached)
                log_info("Pool ageing: %" PRIu64
                         " KiB written to %s in %.1f ms, %.1f MiB of today's %u MiB%s.",
                         a->written_bytes / 1024, e->pool.backing_device ?: "?",
                         (double) a->writeback_usec / 1000.0, (double) day->written_bytes / MIB,
                         e->config.zram_writeback_limit_mib,
                         a->limit_reached ? "; the limit is reached" : "");
}

static void engine_finish_job(Engine *e) {
        CycleJob *job = e->job;

        if (!job)
                return;
        cycle_job_finish(job);
        e->job_source = sd_event_source_disable_unref(e->job_source);
        e->job = NULL;

        if (!job->stats.cancelled && job->scan_error >= 0) {
                process_table_done(&e->processes);
                e->processes = job->table;
                e->cycle_count++;
                e->last_cycle = job->stats;
                if (!job->stats.dry_run) {
                        e->total_cold_bytes += job->stats.cold_bytes;
                        e->total_pageout_bytes += job->stats.pageout_bytes;
                        e->total_refault_bytes += job->stats.refault_bytes;
                        e->total_pageout_cpu_usec += job->stats.pageout_cpu_usec;
                        engine_count_lifetime(e, job->stats.cold_bytes, job->stats.pageout_bytes);
                }
                log_info("Cycle %" PRIu64 ": %u processes, %" PRIu64 " MiB scanned, %s%" PRIu64
                         " MiB made cold, %" PRIu64 " MiB paged out, %.1f ms (CPU %.1f ms).",
                         e->cycle_count, job->stats.processes, job->stats.scanned_bytes >> 20,
                         job->stats.dry_run ? "dry run: would have " : "", job->stats.cold_bytes >> 20,
                         job->stats.pageout_bytes >> 20, (double) job->stats.duration_usec / 1000.0,
                         (double) job->stats.cpu_usec / 1000.0);
                if (job->stats.incompressible_bytes > 0)
                        log_info("Cycle %" PRIu64 ": kept %" PRIu64
                                 " MiB of idle memory out of the pool: it "
                                 "compresses poorly (%" PRIu64 " MiB paged out to learn it).",
                                 e->cycle_count, job->stats.incompressible_bytes >> 20,
                                 job->stats.probe_bytes >> 20);
                if (job->stats.refault_bytes > 0 || job->stats.held_bytes > 0)
                        log_info("Cycle %" PRIu64 ": %" PRIu64 " MiB of earlier pageouts came back; %" PRIu64
                                 " MiB of pageouts waited%s%s%s.",
                                 e->cycle_count, job->stats.refault_bytes >> 20, job->stats.held_bytes >> 20,
                                 job->stats.hold_reason[0] ? " (" : "", job->stats.hold_reason,
                                 job->stats.hold_reason[0] ? ")" : "");
        } else {
                process_table_done(&job->table);
                if (job->stats.cancelled)
                        log_info("Cycle cancelled.");
        }
        bool finished = !job->stats.cancelled && job->scan_error >= 0;
        bool aged = job->age_result.ran;
        if (aged)
                engine_count_ageing(e, &job->age_result);
        free(job);
        if (finished) {
                engine_export_stats(e);
                engine_notify(e, ENGINE_CHANGED_CYCLE | ENGINE_CHANGED_LIFETIME |
                                         (aged ? ENGINE_CHANGED_POOL : 0));
                /* The table is new: what stayed idle long enough sleeps. */
                engine_hibernate_idle(e);
        }
}

static int on_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Engine *e = userdata;

        engine_finish_job(e);
        if (e->cycle_restart && e->cycle_timer) {
                (void) sd_event_source_set_time_relative(e->cycle_timer, ENGINE_FIRST_CYCLE_USEC);
                (void) sd_event_source_set_enabled(e->cycle_timer, SD_EVENT_ONESHOT);
        }
        e->cycle_restart = false;
        engine_settled(e);
        return 0;
}

ProcProtected engine_protected(const Engine *e) {
        return (ProcProtected){
                .self = getpid(),
                .bus_daemon = e->bus_daemon_pid,
                .polkitd = e->polkitd_pid,
        };
}

static int engine_start_cycle(Engine *e) {
        CycleJob *job;
        int r;

        if (e->job || e->state != ENGINE_RUNNING || !e->compression_on || !e->backend ||
            !e->reclaim.have_process_madvise)
                return 0;
        job = calloc(1, sizeof(CycleJob));
        if (!job)
                return log_oom();
        job->protected = engine_protected(e);
        r = cycle_job_set_scan_config(job, &e->config);
        if (r < 0) {
                cycle_job_finish_inputs(job);
                free(job);
                return log_oom();
        }
        job->previous = &e->processes;
        job->backend = e->backend;
        job->reclaim = &e->reclaim;
        job->policy = (PolicySettings){
                .cold_threshold = e->config.cold_threshold,
                .pageout_threshold = e->config.pageout_threshold,
                .pageout_after_cycles = e->config.pageout_after_cycles,
                .min_region_bytes = (uint64_t) e->config.min_region_kib * 1024,
        };
        job->pacing = (PacingSettings){
                .pressure_limit_percent = e->config.pressure_limit_percent,
                .refault_budget_percent = e->config.refault_budget_percent,
        };
        job->idle_sample_secs = e->config.idle_sample_secs;
        job->dry_run = e->config.dry_run;
        job->lru = e->config.cgroup_reclaim;
        job->lru_pending = e->memcg_pending;
        /* Each pageout is judged by what it put into the pool: only ours,
         * whose figures are read without asking the loop. */
        job->n_pool_devices = engine_pool_device_ids(e, job->pool_devices, ELEMENTSOF(job->pool_devices));
        job->age = engine_age_due(e, &job->age_settings);
        if (job->age)
                e->ageing_last_usec = now_usec(CLOCK_MONOTONIC);

        r = cycle_job_start(job);
        if (r < 0) {
                cycle_job_finish_inputs(job);
                free(job);
                return log_error_errno(r, "Failed to start the cycle's thread: %m");
        }
        e->job = job;
        r = sd_event_add_io(e->event, &e->job_source, job->done_fd, EPOLLIN, on_job_done, e);
        if (r < 0) {
                log_error_errno(r, "Failed to watch the cycle: %m");
                cycle_job_cancel(job);
                engine_finish_job(e);
                return r;
        }
        return 0;
}

static int on_cycle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Engine *e = userdata;

        (void) engine_start_cycle(e);
        /* No cycle (paused, compression off): the files still follow. */
        if (!e->job)
                engine_export_stats(e);
        (void) sd_event_source_set_time_relative(s, (uint64_t) e->config.cycle_secs * 1000000ULL);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

int engine_start_cycle_timer(Engine *e) {
        int r;

        /* The first cycle soon, then one every cycle_secs. */
        r = sd_event_add_time_relative(e->event, &e->cycle_timer, CLOCK_MONOTONIC, ENGINE_FIRST_CYCLE_USEC,
                                       0, on_cycle_timer, e);
        if (r < 0)
                return log_error_errno(r, "Failed to start the cycle timer: %m");
        return 0;
}

/* Asks the cycle in progress, if any, to stop; its end (on_job_done)
 * discards it and answers who waited. The loop does not wait: the worker,
 * lifted to the service's priority, gets to its next check within one
 * chunk of advice. */
void engine_cancel_cycle(Engine *e) {
        if (!e->job)
                return;
        cycle_job_cancel(e->job);
}

/* The same, and waits for the thread: at stop. */
void engine_cancel_cycle_wait(Engine *e) {
        engine_cancel_cycle(e);
        engine_finish_job(e);
}

bool engine_settling(const Engine *e) {
        return e->pool_stop || (e->job && atomic_load(&e->job->cancel));
}

void engine_settled(Engine *e) {
        if (!engine_settling(e) && e->on_settled)
                e->on_settled(e);
}

/* Cancels the cycle in progress (it may be working on a process excluded
 * now) and starts the next one soon, once it has ended. */
void engine_restart_cycle(Engine *e) {
        if (!e->job)
                return;
        engine_cancel_cycle(e);
        e->cycle_restart = true;
}

void engine_cycle_interval_changed(Engine *e, unsigned old_secs) {
        uint64_t deadline, now = now_usec(CLOCK_MONOTONIC), armed, next;

        if (!e->cycle_timer || e->config.cycle_secs == old_secs ||
            sd_event_source_get_time(e->cycle_timer, &deadline) < 0)
                return;
        /* The next cycle comes cycle_secs after the timer was last armed,
         * counted with the new interval: soon when that is past already. */
        armed = deadline - (uint64_t) old_secs * USEC_PER_SEC;
        next = armed + (uint64_t) e->config.cycle_secs * USEC_PER_SEC;
        if (next < now + ENGINE_FIRST_CYCLE_USEC)
                next = now + ENGINE_FIRST_CYCLE_USEC;
        (void) sd_event_source_set_time(e->cycle_timer, next);
        (void) sd_event_source_set_enabled(e->cycle_timer, SD_EVENT_ONESHOT);
}
