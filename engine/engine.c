/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build-config.h"
#include "common/log.h"
#include "common/paths.h"
#include "engine.h"

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

static void strv_truncate(char **l, size_t *n, size_t keep) {
        for (size_t i = keep; i < *n; i++)
                free(l[i]);
        if (keep < *n)
                *n = keep;
}

static int strv_append_unique(char ***l, size_t *n, const char *s) {
        char **nl, *copy;

        for (size_t i = 0; i < *n; i++)
                if (streq((*l)[i], s))
                        return 0;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        nl = realloc(*l, (*n + 1) * sizeof(char *));
        if (!nl) {
                free(copy);
                return -ENOMEM;
        }
        nl[(*n)++] = copy;
        *l = nl;
        return 1;
}

static bool policy_value(const RuntimeState *rs, PolicyName p, bool file_value) {
        return rs->policies[p] == POLICY_UNSET ? file_value : rs->policies[p] > 0;
}

/* Lays the runtime state over a configuration whose own settings 'o'
 * describes: the runtime exclusions after the files' ones, the policy
 * switches over the files' values. */
static int engine_overlay(const RuntimeState *rs, const ConfigOrigin *o, Config *c, bool *ret_compression) {
        int r;

        strv_truncate(c->excluded_names, &c->n_excluded_names, o->n_names);
        strv_truncate(c->excluded_cgroups, &c->n_excluded_cgroups, o->n_cgroups);
        for (size_t i = 0; i < rs->n_exclusions; i++) {
                const Exclusion *x = &rs->exclusions[i];

                if (x->kind == EXCLUSION_NAME)
                        r = strv_append_unique(&c->excluded_names, &c->n_excluded_names, x->pattern);
                else
                        r = strv_append_unique(&c->excluded_cgroups, &c->n_excluded_cgroups, x->pattern);
                if (r < 0)
                        return r;
        }
        *ret_compression = policy_value(rs, POLICY_COMPRESSION, true);
        c->zram_enabled = o->zram_enabled && *ret_compression;
        c->ksm_enabled = policy_value(rs, POLICY_KSM, o->ksm_enabled);
        c->tuning_enabled = policy_value(rs, POLICY_TUNING, o->tuning_enabled);
        return 0;
}

static int engine_load_config(Engine *e, Config *ret, ConfigOrigin *ret_origin, bool *ret_compression,
                              char **ret_error) {
        int r = config_load(&e->config_args, ret, ret_error);
        if (r < 0)
                return r;
        *ret_origin = (ConfigOrigin){
                .n_names = ret->n_excluded_names,
                .n_cgroups = ret->n_excluded_cgroups,
                .zram_enabled = ret->zram_enabled,
                .ksm_enabled = ret->ksm_enabled,
                .tuning_enabled = ret->tuning_enabled,
        };
        r = engine_overlay(&e->runtime, ret_origin, ret, ret_compression);
        if (r < 0) {
                config_done(ret);
                return r;
        }
        log_info("Profile %s (%s)%s.", profile_to_string(ret->profile), ret->profile_reason,
                 ret->dry_run ? ", dry run: nothing will be changed" : "");
        engine_log_unavailable(ret);
        return 0;
}

static uint64_t clock_usec(clockid_t id) {
        struct timespec ts;

        clock_gettime(id, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

/* Creates 'path' and the directories above it that are missing. */
static int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, mode) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

/* $STATE_DIRECTORY (systemd's StateDirectory=), else /var/lib/wolfram. */
static int engine_open_state(Engine *e) {
        const char *dir = getenv("STATE_DIRECTORY");

        int r;

        e->state_dir = strdup(dir && *dir ? dir : STATE_DIR_DEFAULT);
        if (!e->state_dir)
                return log_oom();
        if (asprintf(&e->runtime_state_path, "%s/%s", e->state_dir, RUNTIME_STATE_FILE) < 0) {
                e->runtime_state_path = NULL;
                return log_oom();
        }
        /* Without it the engine still works; what is changed at run time
         * is then refused (it could not be kept), and said so. */
        r = mkdir_parents(e->state_dir, 0755);
        if (r < 0) {
                log_warning_errno(r, "Failed to create %s, runtime changes cannot be kept: %m",
                                  e->state_dir);
                return 0;
        }
        return runtime_state_load(&e->runtime, e->runtime_state_path);
}

int engine_init(Engine *e, sd_event *event, const ConfigLoadArgs *args) {
        _cleanup_free_ char *error = NULL;
        const char *dir;
        int r;

        *e = (Engine){ .event = event, .state = ENGINE_RUNNING, .config_args = *args };
        runtime_state_init(&e->runtime);
        e->start_realtime_usec = clock_usec(CLOCK_REALTIME);
        e->start_monotonic_usec = clock_usec(CLOCK_MONOTONIC);

        r = engine_open_state(e);
        if (r < 0)
                return r;

        r = engine_load_config(e, &e->config, &e->origin, &e->compression_on, &error);
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

/* Adds to the lifetime counters and keeps them. */
static void engine_count_lifetime(Engine *e, uint64_t cold_bytes, uint64_t pageout_bytes) {
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
                        engine_count_lifetime(e, job->stats.cold_bytes, job->stats.pageout_bytes);
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
        if (finished) {
                engine_export_stats(e);
                engine_notify(e, ENGINE_CHANGED_CYCLE);
        }
}

static int on_job_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        engine_finish_job(userdata);
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
        ProcProtected protected;
        CycleJob *job;
        int r;

        if (e->job || e->state != ENGINE_RUNNING || !e->compression_on || !e->backend ||
            !e->reclaim.have_process_madvise)
                return 0;
        job = calloc(1, sizeof(CycleJob));
        if (!job)
                return log_oom();
        protected = engine_protected(e);
        r = proc_scan(&e->config, &protected, &job->scan);
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
        /* No cycle (paused, compression off): the files still follow. */
        if (!e->job)
                engine_export_stats(e);
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

/* Waits for a ReclaimProcess in progress, counts what it did and hands it
 * to on_reclaim_done. */
static void engine_finish_reclaim(Engine *e) {
        ReclaimProcessJob *job = e->reclaim_job;

        if (!job)
                return;
        reclaim_process_finish(job);
        e->reclaim_source = sd_event_source_disable_unref(e->reclaim_source);
        e->reclaim_job = NULL;
        if (job->error >= 0) {
                log_info("Reclaim of %s (%d): %s %" PRIu64 " MiB, swap %" PRIu64 " -> %" PRIu64
                         " MiB, %.1f ms.",
                         job->target.comm, (int) job->target.pid,
                         job->action == POLICY_PAGEOUT ? "paged out" : "made cold", job->advised_bytes >> 20,
                         job->swap_before_bytes >> 20, job->swap_after_bytes >> 20,
                         (double) job->duration_usec / 1000.0);
                if (job->action == POLICY_PAGEOUT)
                        engine_count_lifetime(e, 0, job->advised_bytes);
                else
                        engine_count_lifetime(e, job->advised_bytes, 0);
        } else
                log_info("Reclaim of %s (%d) failed: %s", job->target.comm, (int) job->target.pid,
                         strerror(-job->error));
        if (e->on_reclaim_done)
                e->on_reclaim_done(e, job);
        free(job);
}

static int on_reclaim_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        engine_finish_reclaim(userdata);
        return 0;
}

int engine_reclaim_process(Engine *e, uint32_t pid, const char *mode, void *userdata, char **ret_error) {
        ProcProtected protected;
        ReclaimProcessJob *job;
        const char *by;
        PolicyAction action;
        bool kernel_thread = false;
        ProcTarget t;
        int r;

        *ret_error = NULL;
        if (streq(mode, "cold"))
                action = POLICY_COLD;
        else if (streq(mode, "pageout"))
                action = POLICY_PAGEOUT;
        else
                return asprintf(ret_error, "Unknown mode '%s': use \"cold\" or \"pageout\".", mode) < 0
                               ? -ENOMEM
                               : -EINVAL;
        if (e->reclaim_job)
                return asprintf(ret_error, "A reclaim of %s (%d) is still running; try again when it ends.",
                                e->reclaim_job->target.comm, (int) e->reclaim_job->target.pid) < 0
                               ? -ENOMEM
                               : -EBUSY;
        if (e->config.dry_run)
                return asprintf(ret_error, "The engine is in dry run and changes nothing.") < 0
                               ? -ENOMEM
                               : -EOPNOTSUPP;
        if (!e->reclaim.have_process_madvise || (action == POLICY_PAGEOUT && !e->reclaim.have_pageout) ||
            (action == POLICY_COLD && !e->reclaim.have_cold))
                return asprintf(ret_error, "This kernel's process_madvise() does not take MADV_%s.",
                                action == POLICY_PAGEOUT ? "PAGEOUT" : "COLD") < 0
                               ? -ENOMEM
                               : -EOPNOTSUPP;
        if (pid == 0 || pid > INT32_MAX)
                return asprintf(ret_error, "No process %" PRIu32 ".", pid) < 0 ? -ENOMEM : -ESRCH;
        r = proc_target_open(&e->config, (pid_t) pid, &t, &kernel_thread);
        if (r == -ESRCH)
                return asprintf(ret_error, "No process %" PRIu32 " (it may have exited).", pid) < 0 ? -ENOMEM
                                                                                                    : -ESRCH;
        if (r < 0)
                return asprintf(ret_error, "Failed to open process %" PRIu32 ": %s", pid, strerror(-r)) < 0
                               ? -ENOMEM
                               : r;
        if (kernel_thread) {
                r = asprintf(ret_error,
                             "Process %" PRIu32 " (%s) is a kernel thread: it has no memory of its own.",
                             pid, t.comm);
                proc_target_done(&t);
                return r < 0 ? -ENOMEM : -EPERM;
        }
        protected = engine_protected(e);
        by = proc_protected_reason(&protected, (pid_t) pid, t.comm);
        if (by) {
                r = asprintf(ret_error, "Process %" PRIu32 " (%s) is %s; wolfram never advises its memory.",
                             pid, t.comm, by);
                proc_target_done(&t);
                return r < 0 ? -ENOMEM : -EPERM;
        }
        by = proc_excluded_by(&e->config, t.comm, t.cgroup);
        if (by) {
                r = asprintf(ret_error,
                             "Process %" PRIu32 " (%s) is excluded by '%s'; remove that exclusion first.",
                             pid, t.comm, by);
                proc_target_done(&t);
                return r < 0 ? -ENOMEM : -EPERM;
        }

        job = calloc(1, sizeof(ReclaimProcessJob));
        if (!job) {
                proc_target_done(&t);
                return -ENOMEM;
        }
        *job = (ReclaimProcessJob){
                .target = t,
                .action = action,
                .reclaim = &e->reclaim,
                .userdata = userdata,
                .done_fd = -EBADF,
        };
        r = reclaim_process_start(job);
        if (r < 0) {
                proc_target_done(&job->target);
                free(job);
                return asprintf(ret_error, "Failed to start the reclaim: %s", strerror(-r)) < 0 ? -ENOMEM
                                                                                                : r;
        }
        r = sd_event_add_io(e->event, &e->reclaim_source, job->done_fd, EPOLLIN, on_reclaim_done, e);
        if (r < 0) {
                reclaim_process_finish(job);
                free(job);
                return asprintf(ret_error, "Failed to watch the reclaim: %s", strerror(-r)) < 0 ? -ENOMEM
                                                                                                : r;
        }
        e->reclaim_job = job;
        return 0;
}

/* Brings tuning, the pool and KSM in line with the configuration in force;
 * returns a mask of EngineChange. */
static int engine_sync_kernel(Engine *e) {
        long old_values[_KNOB_MAX];
        bool old_applied[_KNOB_MAX];
        int r, changes = 0;

        memcpy(old_values, e->tuning.value, sizeof(old_values));
        memcpy(old_applied, e->tuning.applied, sizeof(old_applied));
        r = tuning_apply(&e->tuning, &e->config);
        if (r < 0)
                log_warning_errno(r, "Failed to apply the tuning, ignoring: %m");
        if (tuning_differs(&e->tuning, old_values, old_applied))
                changes |= ENGINE_CHANGED_TUNING;
        r = engine_sync_pool(e);
        if (r > 0)
                changes |= r;
        r = engine_sync_ksm(e);
        if (r > 0)
                changes |= r;
        return changes;
}

/* Applies e->runtime to the configuration in force and brings the kernel
 * in line; returns a mask of EngineChange. */
static int engine_apply_runtime(Engine *e) {
        bool old_compression = e->compression_on, old_ksm = e->config.ksm_enabled,
             old_tuning = e->config.tuning_enabled;
        int r, changes = 0;

        r = engine_overlay(&e->runtime, &e->origin, &e->config, &e->compression_on);
        if (r < 0)
                return r;
        if (old_compression != e->compression_on || old_ksm != e->config.ksm_enabled ||
            old_tuning != e->config.tuning_enabled)
                changes |= ENGINE_CHANGED_POLICIES;
        if (!e->compression_on)
                engine_cancel_cycle(e);

        return changes | engine_sync_kernel(e);
}

/* Cancels the cycle in progress (it may be working on a process excluded
 * now) and starts the next one soon. */
static void engine_restart_cycle(Engine *e) {
        if (!e->job)
                return;
        engine_cancel_cycle(e);
        if (e->cycle_timer) {
                (void) sd_event_source_set_time_relative(e->cycle_timer, ENGINE_FIRST_CYCLE_USEC);
                (void) sd_event_source_set_enabled(e->cycle_timer, SD_EVENT_ONESHOT);
        }
}

int engine_add_exclusion(Engine *e, const char *pattern, const char **ret_error) {
        _cleanup_free_ char *p = NULL;
        ExclusionKind kind;
        int r, index;

        r = exclusion_parse(pattern, &kind, &p, ret_error);
        if (r < 0)
                return r;
        r = runtime_state_add_exclusion(&e->runtime, kind, p);
        if (r <= 0)
                return r;
        index = runtime_state_find_exclusion(&e->runtime, kind, p);
        r = runtime_state_save(&e->runtime, e->runtime_state_path);
        if (r >= 0)
                r = engine_overlay(&e->runtime, &e->origin, &e->config, &e->compression_on);
        if (r < 0) {
                runtime_state_remove_exclusion(&e->runtime, (size_t) index);
                (void) engine_overlay(&e->runtime, &e->origin, &e->config, &e->compression_on);
                return r;
        }
        log_info("Excluded %s pattern '%s'.", exclusion_kind_to_string(kind), p);
        engine_restart_cycle(e);
        return 1;
}

static bool strv_contains(char **l, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

int engine_remove_exclusion(Engine *e, const char *pattern, const char **ret_error) {
        _cleanup_free_ char *saved = NULL, *p = NULL;
        ExclusionKind kind;
        int r, index;

        r = exclusion_parse(pattern, &kind, &p, ret_error);
        if (r < 0)
                return r;
        index = runtime_state_find_exclusion(&e->runtime, kind, p);
        if (index < 0) {
                if (kind == EXCLUSION_NAME
                            ? strv_contains(e->config.excluded_names, e->origin.n_names, p)
                            : strv_contains(e->config.excluded_cgroups, e->origin.n_cgroups, p))
                        return -EPERM;
                return -ENOENT;
        }
        saved = strdup(p);
        if (!saved)
                return -ENOMEM;
        runtime_state_remove_exclusion(&e->runtime, (size_t) index);
        r = runtime_state_save(&e->runtime, e->runtime_state_path);
        if (r >= 0)
                r = engine_overlay(&e->runtime, &e->origin, &e->config, &e->compression_on);
        if (r < 0) {
                (void) runtime_state_add_exclusion(&e->runtime, kind, saved);
                (void) engine_overlay(&e->runtime, &e->origin, &e->config, &e->compression_on);
                return r;
        }
        log_info("No longer excluding %s pattern '%s'.", exclusion_kind_to_string(kind), saved);
        return 1;
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

int engine_set_policy(Engine *e, PolicyName p, bool enabled) {
        int old = e->runtime.policies[p], r;

        if (p == POLICY_KSM && enabled) {
                _cleanup_free_ char *run = root_path("/sys/kernel/mm/ksm/run");
                if (!run)
                        return -ENOMEM;
                if (access(run, F_OK) < 0)
                        return -EOPNOTSUPP;
        }
        if (old == (int) enabled)
                return 0;
        e->runtime.policies[p] = enabled;
        r = runtime_state_save(&e->runtime, e->runtime_state_path);
        if (r < 0) {
                e->runtime.policies[p] = old;
                return r;
        }
        log_info("Policy %s switched %s.", policy_name_to_string(p), enabled ? "on" : "off");
        return engine_apply_runtime(e);
}

uint64_t engine_uptime_usec(const Engine *e) {
        return clock_usec(CLOCK_MONOTONIC) - e->start_monotonic_usec;
}

uint64_t engine_saved_bytes(const Engine *e) {
        KsmCounters c = {};
        int64_t ksm = 0;

        if (ksm_read_counters(&c) >= 0)
                ksm = ksm_saved_bytes(&c);
        return engine_pool_saved_bytes(e) + (ksm > 0 ? (uint64_t) ksm : 0);
}

uint64_t engine_pool_saved_bytes(const Engine *e) {
        ZramPoolStats st = {};

        if (zram_pool_stats(&e->pool, &st) < 0 || st.orig_data_bytes <= st.mem_used_bytes)
                return 0;
        return st.orig_data_bytes - st.mem_used_bytes;
}

static bool strv_equal(char **a, size_t na, char **b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static bool exclusions_equal(const Config *a, const ConfigOrigin *ao, const Config *b,
                             const ConfigOrigin *bo) {
        return ao->n_names == bo->n_names && ao->n_cgroups == bo->n_cgroups &&
               strv_equal(a->excluded_names, a->n_excluded_names, b->excluded_names, b->n_excluded_names) &&
               strv_equal(a->excluded_cgroups, a->n_excluded_cgroups, b->excluded_cgroups,
                          b->n_excluded_cgroups) &&
               strv_equal(a->only_cgroups, a->n_only_cgroups, b->only_cgroups, b->n_only_cgroups);
}

int engine_reload(Engine *e, char **ret_error) {
        const IdleBackend *backend;
        Config new_config = {};
        ConfigOrigin new_origin;
        bool new_compression;
        int r, changes = 0;

        *ret_error = NULL;
        r = engine_load_config(e, &new_config, &new_origin, &new_compression, ret_error);
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
        if (!exclusions_equal(&new_config, &new_origin, &e->config, &e->origin))
                changes |= ENGINE_CHANGED_EXCLUSIONS;
        if (new_compression != e->compression_on || new_config.ksm_enabled != e->config.ksm_enabled ||
            new_config.tuning_enabled != e->config.tuning_enabled)
                changes |= ENGINE_CHANGED_POLICIES;
        if (changes & ENGINE_CHANGED_EXCLUSIONS)
                engine_cancel_cycle(e); /* it may be working on what is excluded now */

        config_done(&e->config);
        e->config = new_config;
        e->origin = new_origin;
        e->compression_on = new_compression;

        changes |= engine_sync_kernel(e);
        log_info("Configuration reloaded.");
        return changes;
}

void engine_stop(Engine *e) {
        e->cycle_timer = sd_event_source_disable_unref(e->cycle_timer);
        engine_cancel_cycle(e);
        engine_finish_reclaim(e);
        e->pool_timer = sd_event_source_disable_unref(e->pool_timer);
        if (e->pool_started && zram_pool_stop(&e->pool, &e->config) == 0)
                e->pool_started = false;
        (void) ksm_control_stop(&e->ksm);
        (void) tuning_restore(&e->tuning);
}

void engine_done(Engine *e) {
        e->cycle_timer = sd_event_source_disable_unref(e->cycle_timer);
        engine_cancel_cycle(e);
        engine_finish_reclaim(e);
        runtime_state_done(&e->runtime);
        free(e->state_dir);
        free(e->runtime_state_path);
        e->state_dir = e->runtime_state_path = NULL;
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
