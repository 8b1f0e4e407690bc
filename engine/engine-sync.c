/* SPDX-License-Identifier: MIT */
/* Brings the kernel in line with the configuration in force: tuning, the
 * zram pool and KSM, and the timer that lets the pool follow its use. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "common/log.h"
#include "engine-internal.h"

static int on_pool_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Engine *e = userdata;

        if (e->pool_started && !e->pool_stop && zram_pool_adjust(&e->pool, &e->config) > 0)
                engine_notify(e, ENGINE_CHANGED_POOL);
        (void) ksm_control_tick(&e->ksm, &e->config);
        (void) sd_event_source_set_time_relative(s, ENGINE_POOL_CHECK_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

int engine_start_pool_timer(Engine *e) {
        int r;

        r = sd_event_add_time_relative(e->event, &e->pool_timer, CLOCK_MONOTONIC, ENGINE_POOL_CHECK_USEC, 0,
                                       on_pool_timer, e);
        if (r < 0)
                return log_error_errno(r, "Failed to start the pool timer: %m");
        return 0;
}

void engine_finish_pool_stop(Engine *e, bool sync_again) {
        int changes = ENGINE_CHANGED_POOL, r;

        if (!e->pool_stop)
                return;
        e->pool_stop_source = sd_event_source_disable_unref(e->pool_stop_source);
        if (zram_pool_stop_finish(&e->pool, e->pool_stop) == 0)
                e->pool_started = false;
        zram_pool_stop_done(e->pool_stop);
        free(e->pool_stop);
        e->pool_stop = NULL;
        /* Compression may have been switched on again meanwhile. */
        if (sync_again) {
                r = engine_sync_pool(e);
                if (r > 0)
                        changes |= r;
        }
        engine_notify(e, changes);
        engine_settled(e);
}

static int on_pool_stopped(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        engine_finish_pool_stop(userdata, true);
        return 0;
}

/* Removes the pool with its swapoffs off the loop: they bring everything
 * the pool holds back into RAM, seconds for a full one, and the bus must
 * answer meanwhile. Where no thread can be had, on the loop as before. */
static int engine_stop_pool(Engine *e) {
        ZramPoolStop *stop;
        int r;

        stop = calloc(1, sizeof(ZramPoolStop));
        if (!stop)
                return -ENOMEM;
        r = zram_pool_stop_plan(&e->pool, &e->config, stop);
        if (r < 0) {
                free(stop);
                return r;
        }
        if (stop->devices && stop->n_devices > 0) {
                r = zram_pool_stop_start(stop);
                if (r >= 0) {
                        r = sd_event_add_io(e->event, &e->pool_stop_source, stop->done_fd, EPOLLIN,
                                            on_pool_stopped, e);
                        if (r >= 0) {
                                e->pool_stop = stop;
                                return 0;
                        }
                }
                log_warning_errno(r, "Failed to remove the pool in the background, removing it now: %m");
                if (!stop->running)
                        zram_pool_stop_swapoff(stop);
        }
        if (stop->devices && zram_pool_stop_finish(&e->pool, stop) == 0)
                e->pool_started = false;
        zram_pool_stop_done(stop);
        free(stop);
        return ENGINE_CHANGED_POOL;
}

/* Brings the pool in line with the configuration: made when wanted,
 * removed (where safe) when not. Dry run leaves everything alone. */
size_t engine_pool_device_ids(const Engine *e, unsigned *ids, size_t max) {
        size_t n = 0;

        for (size_t i = 0; e->pool_started && i < e->pool.n_devices && n < max; i++)
                ids[n++] = e->pool.devices[i];
        return n;
}

int engine_sync_pool(Engine *e) {
        int r;

        /* A removal under way syncs again when it ends. */
        if (e->pool_stop)
                return 0;

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
                r = engine_stop_pool(e);
                if (r < 0)
                        return log_error_errno(r, "Failed to remove the zram pool: %m");
                return r;
        }
        if (e->pool_started && zram_pool_adjust(&e->pool, &e->config) > 0)
                return ENGINE_CHANGED_POOL;
        return 0;
}

/* Starts or stops KSM as the configuration says. */
int engine_sync_ksm(Engine *e) {
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

static bool tuning_differs(const Tuning *a, const long values[], const bool applied[]) {
        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                if (a->applied[k] != applied[k] || (applied[k] && a->value[k] != values[k]))
                        return true;
        return false;
}

/* Brings tuning, the pool and KSM in line with the configuration in force;
 * returns a mask of EngineChange. */
int engine_sync_kernel(Engine *e) {
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
