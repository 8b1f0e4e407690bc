/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
        (void) sd_event_source_set_time_relative(s, ENGINE_POOL_CHECK_USEC);
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

int engine_start(Engine *e) {
        int r;

        r = tuning_apply(&e->tuning, &e->config);
        if (r < 0)
                return log_error_errno(r,
                                       "Failed to save the kernel's settings before tuning, not tuning: %m");

        (void) engine_sync_pool(e);
        r = sd_event_add_time_relative(e->event, &e->pool_timer, CLOCK_MONOTONIC, ENGINE_POOL_CHECK_USEC, 0,
                                       on_pool_timer, e);
        if (r < 0)
                return log_error_errno(r, "Failed to start the pool timer: %m");
        return sd_event_source_set_enabled(e->pool_timer, SD_EVENT_ON);
}

static bool tuning_differs(const Tuning *a, const long values[], const bool applied[]) {
        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                if (a->applied[k] != applied[k] || (applied[k] && a->value[k] != values[k]))
                        return true;
        return false;
}

int engine_reload(Engine *e, char **ret_error) {
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

        log_info("Configuration reloaded.");
        return changes;
}

void engine_stop(Engine *e) {
        e->pool_timer = sd_event_source_disable_unref(e->pool_timer);
        if (e->pool_started && zram_pool_stop(&e->pool, &e->config) == 0)
                e->pool_started = false;
        (void) tuning_restore(&e->tuning);
}

void engine_done(Engine *e) {
        e->pool_timer = sd_event_source_disable_unref(e->pool_timer);
        zram_pool_done(&e->pool);
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
