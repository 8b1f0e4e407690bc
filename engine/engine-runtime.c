/* SPDX-License-Identifier: MIT */
/* What is changed at run time (AddExclusion, SetPolicy) and kept in the
 * state directory, laid over what the configuration files say. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-config.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/paths.h"
#include "common/strv.h"
#include "engine-internal.h"

/* Says once per load what the hibernation level will do: it stops
 * processes, so the journal says so. */
static void engine_log_hibernation(const Config *c) {
        if (c->enable_hibernation)
                log_notice("enable_hibernation=yes: processes that do nothing for %u cycles in a row are "
                           "checkpointed with CRIU and stopped (see wolframd(8), HIBERNATION).",
                           c->hibernate_after_cycles);
        if (c->enable_port_proxy)
                log_notice("enable_port_proxy=yes: the TCP ports of hibernated processes are listened on; "
                           "the first connection wakes the process.");
}

static bool policy_value(const RuntimeState *rs, PolicyName p, bool file_value) {
        return rs->policies[p] == POLICY_UNSET ? file_value : rs->policies[p] > 0;
}

/* What the configuration files say, before the runtime state is laid over. */
static ConfigOrigin origin_of(const Config *c) {
        return (ConfigOrigin){
                .n_names = c->n_excluded_names,
                .n_cgroups = c->n_excluded_cgroups,
                .zram_enabled = c->zram_enabled,
                .ksm_enabled = c->ksm_enabled,
                .tuning_enabled = c->tuning_enabled,
        };
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

int engine_print_config(const ConfigLoadArgs *args, FILE *f) {
        /* The "enabled" each policy switch overrides. */
        static const char *const sections[_POLICY_MAX] = {
                [POLICY_COMPRESSION] = "Zram",
                [POLICY_KSM] = "KSM",
                [POLICY_TUNING] = "Tuning",
        };
        _cleanup_free_ char *error = NULL, *path = NULL;
        RuntimeState rs;
        ConfigOrigin o;
        bool compression;
        Config c;
        int r;

        r = config_load(args, &c, &error);
        if (r == -EINVAL)
                return log_error_errno(r, "Invalid configuration: %s", error);
        if (r < 0)
                return log_error_errno(r, "Failed to load the configuration: %m");
        /* What wolframctl set, exclude and include changed at run time, as
         * the engine lays it over the files. */
        runtime_state_init(&rs);
        if (asprintf(&path, "%s/%s", engine_state_dir(), RUNTIME_STATE_FILE) < 0) {
                path = NULL;
                r = log_oom();
                goto finish;
        }
        r = runtime_state_load(&rs, path);
        if (r < 0)
                log_warning_errno(r, "Failed to read %s, showing the files' settings only: %m", path);
        o = origin_of(&c);
        r = engine_overlay(&rs, &o, &c, &compression);
        for (PolicyName p = 0; p < _POLICY_MAX && r >= 0; p++) {
                _cleanup_free_ char *source = NULL;
                int v = rs.policies[p];

                if (v == POLICY_UNSET)
                        continue;
                if (asprintf(&source, "runtime: wolframctl set %s %s (%s)", policy_name_to_string(p),
                             v > 0 ? "on" : "off", path) < 0)
                        r = -ENOMEM;
                else
                        r = config_set_source(&c, sections[p], "enabled", source);
        }
        for (size_t i = 0; i < 2 && r >= 0; i++) {
                const char *key = i == 0 ? "excluded_names" : "excluded_cgroups";
                _cleanup_free_ char *source = NULL;

                if ((i == 0 ? c.n_excluded_names - o.n_names : c.n_excluded_cgroups - o.n_cgroups) == 0)
                        continue;
                if (asprintf(&source, "%s, then runtime: wolframctl exclude (%s)",
                             config_get_source(&c, "Exclude", key) ?: "?", path) < 0)
                        r = -ENOMEM;
                else
                        r = config_set_source(&c, "Exclude", key, source);
        }
        if (r < 0) {
                log_error_errno(r, "Failed to lay the runtime changes over the configuration: %m");
                goto finish;
        }
        config_print(&c, f);
finish:
        runtime_state_done(&rs);
        config_done(&c);
        return r < 0 ? r : 0;
}

int engine_load_config(Engine *e, Config *ret, ConfigOrigin *ret_origin, bool *ret_compression,
                       char **ret_error) {
        int r = config_load(&e->config_args, ret, ret_error);
        if (r < 0)
                return r;
        *ret_origin = origin_of(ret);
        r = engine_overlay(&e->runtime, ret_origin, ret, ret_compression);
        if (r < 0) {
                config_done(ret);
                return r;
        }
        log_info("Profile %s (%s)%s.", profile_to_string(ret->profile), ret->profile_reason,
                 ret->dry_run ? ", dry run: nothing will be changed" : "");
        engine_log_hibernation(ret);
        return 0;
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
        engine_notify(e, ENGINE_CHANGED_EXCLUSIONS);
        return 1;
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
        engine_notify(e, ENGINE_CHANGED_EXCLUSIONS);
        return 1;
}

/* Stores a policy's run-time switch (0, 1 or POLICY_UNSET), saved before
 * it takes effect, and applies it. PolicyOverrides changes even where the
 * value in force does not. */
static int policy_store(Engine *e, PolicyName p, int value) {
        int old = e->runtime.policies[p], r;

        e->runtime.policies[p] = value;
        r = runtime_state_save(&e->runtime, e->runtime_state_path);
        if (r < 0) {
                e->runtime.policies[p] = old;
                return r;
        }
        if (value == POLICY_UNSET)
                log_info("Policy %s back to the configuration's value.", policy_name_to_string(p));
        else
                log_info("Policy %s switched %s.", policy_name_to_string(p), value ? "on" : "off");
        r = engine_apply_runtime(e);
        if (r >= 0) {
                r |= ENGINE_CHANGED_POLICIES;
                engine_notify(e, r);
        }
        return r;
}

int engine_reset_policy(Engine *e, PolicyName p) {
        return e->runtime.policies[p] == POLICY_UNSET ? 0 : policy_store(e, p, POLICY_UNSET);
}

int engine_set_policy(Engine *e, PolicyName p, bool enabled) {
        if (p == POLICY_KSM && enabled) {
                _cleanup_free_ char *run = root_path("/sys/kernel/mm/ksm/run");
                if (!run)
                        return -ENOMEM;
                if (access(run, F_OK) < 0)
                        return -EOPNOTSUPP;
        }
        return e->runtime.policies[p] == (int) enabled ? 0 : policy_store(e, p, enabled);
}
