/* SPDX-License-Identifier: MIT */
/* The engine's life: start (tuning, the pool, KSM, the timers), pause and
 * resume, stop (everything put back). What happens in between lives in
 * the other engine-*.c files. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build-config.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/time-util.h"
#include "engine-internal.h"
#include "kernel/memcg.h"

const char *engine_state_dir(void) {
        const char *dir = getenv("STATE_DIRECTORY");

        return dir && *dir ? dir : STATE_DIR_DEFAULT;
}

static int engine_open_state(Engine *e) {
        int r;

        e->state_dir = strdup(engine_state_dir());
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

const char *engine_runtime_dir(void) {
        /* systemd sets this from RuntimeDirectory=; one directory only. */
        const char *dir = getenv("RUNTIME_DIRECTORY");

        return dir && *dir ? dir : RUNTIME_DIR_DEFAULT;
}

int engine_make_runtime_dir(void) {
        if (mkdir(engine_runtime_dir(), 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", engine_runtime_dir());
        return 0;
}

int engine_init(Engine *e, sd_event *event, const ConfigLoadArgs *args) {
        _cleanup_free_ char *error = NULL;
        int r;

        *e = (Engine){ .event = event, .state = ENGINE_RUNNING, .config_args = *args };
        runtime_state_init(&e->runtime);
        e->start_realtime_usec = now_usec(CLOCK_REALTIME);
        e->start_monotonic_usec = now_usec(CLOCK_MONOTONIC);

        r = engine_open_state(e);
        if (r < 0)
                return r;

        r = engine_load_config(e, &e->config, &e->origin, &e->compression_on, &error);
        if (r == -EINVAL)
                return log_error_errno(r, "Invalid configuration: %s", error);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %m");

        e->runtime_dir = strdup(engine_runtime_dir());
        if (!e->runtime_dir)
                return log_oom();
        r = engine_make_runtime_dir();
        if (r < 0)
                return r;

        if (asprintf(&e->memcg_pending, "%s/memcg-limit", e->runtime_dir) < 0) {
                e->memcg_pending = NULL;
                return log_oom();
        }
        /* An engine that died within a v1 reclaim step left a cgroup's
         * limit lowered. */
        r = memcg_restore_pending(e->memcg_pending);
        if (r > 0)
                log_notice(
                        "Set back a cgroup's memory.limit_in_bytes left lowered by an engine that stopped "
                        "within a reclaim step.");
        else if (r < 0)
                log_warning_errno(r, "Failed to set back the cgroup limit recorded in %s: %m",
                                  e->memcg_pending);

        r = tuning_init(&e->tuning, e->runtime_dir);
        if (r >= 0)
                r = zram_pool_init(&e->pool, e->runtime_dir);
        if (r >= 0)
                r = ksm_control_init(&e->ksm, e->runtime_dir);
        if (r < 0)
                return log_oom();
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
        engine_hibernate_recover(e);
        engine_hibernate_start_proxies(e);
        r = engine_start_pool_timer(e);
        if (r < 0)
                return r;
        return engine_start_cycle_timer(e);
}

void engine_stop(Engine *e) {
        e->stopping = true;
        e->cycle_timer = sd_event_source_disable_unref(e->cycle_timer);
        engine_cancel_cycle_wait(e);
        engine_finish_reclaim(e);
        engine_finish_hibernate(e);
        engine_hibernate_wake_all(e);
        e->pool_timer = sd_event_source_disable_unref(e->pool_timer);
        engine_finish_pool_stop(e, false);
        engine_settled(e); /* calls waiting for the cancelled cycle */
        if (e->pool_started && zram_pool_stop(&e->pool, &e->config) == 0)
                e->pool_started = false;
        (void) ksm_control_stop(&e->ksm);
        (void) tuning_restore(&e->tuning);
}

void engine_done(Engine *e) {
        e->cycle_timer = sd_event_source_disable_unref(e->cycle_timer);
        engine_cancel_cycle_wait(e);
        engine_finish_reclaim(e);
        engine_finish_hibernate(e);
        runtime_state_done(&e->runtime);
        free(e->state_dir);
        free(e->runtime_state_path);
        e->state_dir = e->runtime_state_path = NULL;
        process_table_done(&e->processes);
        e->pool_timer = sd_event_source_disable_unref(e->pool_timer);
        e->pool_stop_source = sd_event_source_disable_unref(e->pool_stop_source);
        if (e->pool_stop) {
                /* Not stopped (an error on the way out): the swapoffs end,
                 * the devices stay recorded for the next start. */
                zram_pool_stop_done(e->pool_stop);
                free(e->pool_stop);
                e->pool_stop = NULL;
        }
        zram_pool_done(&e->pool);
        ksm_control_done(&e->ksm);
        tuning_done(&e->tuning);
        config_done(&e->config);
        free(e->runtime_dir);
        free(e->memcg_pending);
        free(e->hibernate_refused);
        e->runtime_dir = e->memcg_pending = NULL;
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
        engine_notify(e, ENGINE_CHANGED_STATE);
        return 1;
}

int engine_resume(Engine *e) {
        assert(e);

        if (e->state == ENGINE_RUNNING)
                return 0;
        e->state = ENGINE_RUNNING;
        log_info("Resumed.");
        engine_notify(e, ENGINE_CHANGED_STATE);
        return 1;
}
