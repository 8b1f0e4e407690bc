/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-config.h"
#include "engine.h"
#include "log.h"

const char *engine_state_to_string(EngineState s) {
        static const char *const table[_ENGINE_STATE_MAX] = {
                [ENGINE_RUNNING] = "running",
                [ENGINE_PAUSED] = "paused",
        };

        assert(s >= 0 && s < _ENGINE_STATE_MAX);
        return table[s];
}

/* Says once per load what the configuration asks for that does not exist. */
static void engine_log_unavailable(const Config *c) {
        if (c->enable_hibernation)
                log_notice("enable_hibernation=yes: hibernation is not available yet, ignoring.");
        if (c->enable_port_proxy)
                log_notice("enable_port_proxy=yes: the port proxy is not available yet, ignoring.");
}

static int engine_load_config(Engine *e, Config *ret, char **ret_error) {
        int r = config_load(&e->config_args, ret, ret_error);
        if (r < 0)
                return r;
        log_info("Profile %s (%s)%s.", profile_to_string(ret->profile), ret->profile_reason,
                 ret->dry_run ? ", dry run: nothing will be changed" : "");
        engine_log_unavailable(ret);
        return 0;
}

int engine_init(Engine *e, sd_event *event, const ConfigLoadArgs *args) {
        _cleanup_free_ char *error = NULL;
        const char *dir;
        int r;

        *e = (Engine){ .event = event, .state = ENGINE_RUNNING, .config_args = *args };

        r = engine_load_config(e, &e->config, &error);
        if (r == -EINVAL)
                return log_error_errno(r, "Invalid configuration: %s", error);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %m");

        /* systemd sets this from RuntimeDirectory=; one directory only. */
        dir = getenv("RUNTIME_DIRECTORY");
        e->runtime_dir = strdup(dir && *dir ? dir : RUNTIME_DIR_DEFAULT);
        if (!e->runtime_dir)
                return log_oom();
        if (mkdir(e->runtime_dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", e->runtime_dir);

        r = tuning_init(&e->tuning, e->runtime_dir);
        if (r >= 0)
                r = zram_pool_init(&e->pool, e->runtime_dir);
        if (r >= 0)
                r = ksm_control_init(&e->ksm, e->runtime_dir);
        if (r < 0)
                return log_oom();
        return 0;
}

static void engine_notify(Engine *e, int changes) {
        if (changes > 0 && e->on_change)
                e->on_change(e, changes);
}

static int on_pool_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Engine *e = userdata;

        if (e->pool_started && zram_pool_adjust(&e->pool, &e->config) > 0)
                engine_notify(e, ENGINE_CHANGED_POOL);
        (void) ksm_control_tick(&e->ksm, &e->config);
        (void) sd_event_source_set_time_relative(s, ENGINE_POOL_CHECK_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* Brings the pool in line with the configuration: made when wanted,
 * removed (where safe) when not. Dry run leaves everything alone. */
static int engine_sync_pool(Engine *e) {
        int r;

        if (e->config.dry_run) {
                if (e->config.zram_enabled && !e->pool_started)
                        log_info("Dry run: would create a zram pool of up to %u%% of RAM.",
                                 e->config.zram_max_percent);
                return 0;
        }
        if (e->config.zram_enabled && !e->pool_started) {
                r = zram_pool_start(&e->pool, &e->config);
                if (r < 0)
                        return log_error_errno(r,
                                               "Failed to set up the zram pool, continuing without it: %m");
                e->pool_started = true;
                return ENGINE_CHANGED_POOL;
        }
        if (!e->config.zram_enabled && e->pool_started) {
                if (zram_pool_stop(&e->pool, &e->config) == 0)
                        e->pool_started = false;
                return ENGINE_CHANGED_POOL;
        }
        if (e->pool_started && zram_pool_adjust(&e->pool, &e->config) > 0)
                return ENGINE_CHANGED_POOL;
        return 0;
}

static void engine_finish_job(Engine *e) {
        CycleJob *job = e->job;

        if (!job)
                return;
        cycle_job_finish(job);
        e->job_source = sd_event_source_disable_unref(e->job_source);
        e->job = NULL;

        if (!job->stats.cancelled) {
                process_table_done(&e->processes);
                e->processes = job->table;
                e->cycle_count++;
                e->last_cycle = job->stats;
                if (!job->stats.dry_run) {
                        e->total_cold_bytes += job->stats.cold_bytes;
                        e->total_pageout_bytes += job->stats.pageout_bytes;
                }
                log_info("Cycle %" PRIu64 ": %u processes, %" PRIu64 " MiB scanned, %s%" PRIu64
                         " MiB made cold, %" PRIu64 " MiB paged out, %.1f ms (CPU %.1f ms).",
                         e->cycle_count, job->stats.processes, job->stats.scanned_bytes >> 20,
                         job->stats.dry_run ? "dry run: would have " : "", job->stats.cold_bytes >> 20,
                         job->stats.pageout_bytes >> 20, (double) job->stats.duration_usec / 1000.0,
                         (double) job->stats.cpu_usec / 1000.0);
        } else {
                process_table_done(&job->table);
                log_info("Cycle cancelled.");
        }
        bool finished = !job->stats.cancelled;
        free(job);
        if (finished)
                engine_notify(e, ENGINE_CHANGED_CYCLE);
}

static int on_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        engine_finish_job(userdata);
        return 0;
}

static int engine_start_cycle(Engine *e) {
        CycleJob *job;
        int r;

        if (e->job || e->state != ENGINE_RUNNING || !e->backend || !e->reclaim.have_process_madvise)
                return 0;
        job = calloc(1, sizeof(CycleJob));
        if (!job)
                return log_oom();
        r = proc_scan(&e->config, getpid(), &job->scan);
        if (r < 0) {
                free(job);
                return log_warning_errno(r, "Failed to scan /proc, skipping this cycle: %m");
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
        job->idle_sample_secs = e->config.idle_sample_secs;
        job->dry_run = e->config.dry_run;

        r = cycle_job_start(job);
        if (r < 0) {
                proc_scan_done(&job->scan);
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
        (void) sd_event_source_set_time_relative(s, (uint64_t) e->config.cycle_secs * 1000000ULL);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* Stops the cycle in progress, if any, and waits for its thread. */
static void engine_cancel_cycle(Engine *e) {
        if (!e->job)
                return;
        cycle_job_cancel(e->job);
        engine_finish_job(e);
}

/* Starts or stops KSM as the configuration says. */
static int engine_sync_ksm(Engine *e) {
        int r;

        if (e->config.ksm_enabled && !e->config.dry_run && !e->ksm.started) {
                r = ksm_control_start(&e->ksm, &e->config);
                if (r == -ENOENT)
                        log_info("The kernel has no KSM; deduplication is off.");
                else if (r < 0)
                        log_warning_errno(r, "Failed to start KSM, continuing without it: %m");
                return r >= 0 ? ENGINE_CHANGED_KSM : 0;
        }
        if ((!e->config.ksm_enabled || e->config.dry_run) && e->ksm.started) {
                (void) ksm_control_stop(&e->ksm);
                return ENGINE_CHANGED_KSM;
        }
        if (e->config.dry_run && e->config.ksm_enabled)
                log_info("Dry run: would start KSM.");
        return 0;
}

int engine_start(Engine *e) {
        int r;

        reclaim_probe(&e->reclaim);
        e->backend = idle_backend_pick(&e->config);
        if (!e->backend)
                return -EOPNOTSUPP;
        log_info("Idle tracking: %s.", e->backend->name);

        r = tuning_apply(&e->tuning, &e->config);
        if (r < 0)
                return log_error_errno(r,
                                       "Failed to save the kernel's settings before tuning, not tuning: %m");

        (void) engine_sync_pool(e);
        (void) engine_sync_ksm(e);
        r = sd_event_add_time_relative(e->event, &e->pool_timer, CLOCK_MONOTONIC, ENGINE_POOL_CHECK_USEC, 0,
                                       on_pool_timer, e);
        if (r < 0)
                return log_error_errno(r, "Failed to start the pool timer: %m");

        /* The first cycle soon, then one every cycle_secs. */
        r = sd_event_add_time_relative(e->event, &e->cycle_timer, CLOCK_MONOTONIC, ENGINE_FIRST_CYCLE_USEC,
                                       0, on_cycle_timer, e);
        if (r < 0)
                return log_error_errno(r, "Failed to start the cycle timer: %m");
        return 0;
}

static bool tuning_differs(const Tuning *a, const long values[], const bool applied[]) {
        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                if (a->applied[k] != applied[k] || (applied[k] && a->value[k] != values[k]))
                        return true;
        return false;
}

int engine_reload(Engine *e, char **ret_error) {
        const IdleBackend *backend;
        Config new_config = {};
        long old_values[_KNOB_MAX];
        bool old_applied[_KNOB_MAX];
        int r, changes = 0;

        *ret_error = NULL;
        r = engine_load_config(e, &new_config, ret_error);
        if (r < 0) {
                log_error("Reload failed, the previous configuration stays in force: %s",
                          *ret_error ?: strerror(-r));
                return r;
        }

        backend = idle_backend_pick(&new_config);
        if (!backend) {
                config_done(&new_config);
                if (asprintf(ret_error, "idle_backend=%s is not available on this kernel",
                             config_idle_backend(&new_config)) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        if (backend != e->backend) {
                /* A cycle in progress belongs to the old backend. */
                engine_cancel_cycle(e);
                e->backend = backend;
                changes |= ENGINE_CHANGED_BACKEND;
        }

        if (new_config.profile != e->config.profile)
                changes |= ENGINE_CHANGED_PROFILE;
        if (new_config.dry_run != e->config.dry_run)
                changes |= ENGINE_CHANGED_DRY_RUN;

        config_done(&e->config);
        e->config = new_config;

        memcpy(old_values, e->tuning.value, sizeof(old_values));
        memcpy(old_applied, e->tuning.applied, sizeof(old_applied));
        r = tuning_apply(&e->tuning, &e->config);
        if (r < 0)
                log_warning_errno(r, "Failed to apply the new tuning, ignoring: %m");
        if (tuning_differs(&e->tuning, old_values, old_applied))
                changes |= ENGINE_CHANGED_TUNING;
        r = engine_sync_pool(e);
        if (r > 0)
                changes |= r;
        r = engine_sync_ksm(e);
        if (r > 0)
                changes |= r;

        log_info("Configuration reloaded.");
        return changes;
}

void engine_stop(Engine *e) {
        e->cycle_timer = sd_event_source_disable_unref(e->cycle_timer);
        engine_cancel_cycle(e);
        e->pool_timer = sd_event_source_disable_unref(e->pool_timer);
        if (e->pool_started && zram_pool_stop(&e->pool, &e->config) == 0)
                e->pool_started = false;
        (void) ksm_control_stop(&e->ksm);
        (void) tuning_restore(&e->tuning);
}

void engine_done(Engine *e) {
        e->cycle_timer = sd_event_source_disable_unref(e->cycle_timer);
        engine_cancel_cycle(e);
        process_table_done(&e->processes);
        e->pool_timer = sd_event_source_disable_unref(e->pool_timer);
        zram_pool_done(&e->pool);
        ksm_control_done(&e->ksm);
        tuning_done(&e->tuning);
        config_done(&e->config);
        free(e->runtime_dir);
        e->runtime_dir = NULL;
}

int engine_pause(Engine *e) {
        assert(e);

        if (e->state == ENGINE_PAUSED)
                return 0;
        e->state = ENGINE_PAUSED;
        /* Paused means no advice from now on, also not from a cycle that
         * already started. */
        engine_cancel_cycle(e);
        log_info("Paused.");
        return 1;
}

int engine_resume(Engine *e) {
        assert(e);

        if (e->state == ENGINE_RUNNING)
                return 0;
        e->state = ENGINE_RUNNING;
        log_info("Resumed.");
        return 1;
}
