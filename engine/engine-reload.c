/* SPDX-License-Identifier: MIT */
/* Reload: the configuration read again; on success in force, with the
 * kernel brought in line; on error the old one stays. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/strv.h"
#include "engine-internal.h"

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

        unsigned old_cycle_secs = e->config.cycle_secs;
        config_done(&e->config);
        e->config = new_config;
        engine_cycle_interval_changed(e, old_cycle_secs);
        e->origin = new_origin;
        e->compression_on = new_compression;

        changes |= engine_sync_kernel(e);
        log_info("Configuration reloaded.");
        engine_notify(e, changes);
        return changes;
}
