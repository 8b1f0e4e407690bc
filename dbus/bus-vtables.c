/* SPDX-License-Identifier: MIT */
/* The one table from changes to properties: every vtable on the object,
 * and the change (EngineChange) its EMITS_CHANGE properties follow. */
#include "bus-internal.h"
#include "common/macro.h"

const BusVtable bus_vtables[] = {
        { bus_engine_vtable, 0 },
        { bus_state_vtable, ENGINE_CHANGED_STATE },
        { bus_profile_vtable, ENGINE_CHANGED_PROFILE },
        { bus_dry_run_vtable, ENGINE_CHANGED_DRY_RUN },
        { bus_tuning_vtable, ENGINE_CHANGED_TUNING },
        { bus_policies_vtable, ENGINE_CHANGED_POLICIES },
        { bus_exclusions_vtable, ENGINE_CHANGED_EXCLUSIONS },
        { bus_memory_vtable, 0 },
        { bus_pool_vtable, ENGINE_CHANGED_POOL },
        { bus_ksm_vtable, ENGINE_CHANGED_KSM },
        { bus_backend_vtable, ENGINE_CHANGED_BACKEND },
        { bus_cycle_vtable, ENGINE_CHANGED_CYCLE },
        { bus_lifetime_vtable, ENGINE_CHANGED_LIFETIME },
        { bus_reclaim_vtable, 0 },
        { bus_hibernate_vtable, 0 },
        { bus_stats_vtable, 0 },
};

const size_t bus_n_vtables = ELEMENTSOF(bus_vtables);
