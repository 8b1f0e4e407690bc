/* SPDX-License-Identifier: MIT */
#pragma once

/* Between the engine's own files (engine*.c); not for the bus adapter or
 * other modules. Who calls whom, so that no two of them loop:
 *   engine.c         → runtime, sync, cycle, reclaim
 *   engine-reload.c  → runtime, sync, cycle
 *   engine-runtime.c → sync, cycle
 *   engine-reclaim.c → cycle
 *   engine-cycle.c   → export, hibernate
 *   engine-export.c  → figures */

#include "engine.h"

/* Tells the bus adapter what changed outside a method call. */
static inline void engine_notify(Engine *e, int changes) {
        if (changes > 0 && e->on_change)
                e->on_change(e, changes);
}

/* engine-runtime.c: reads the configuration files and lays the runtime
 * state over them; -EINVAL with *ret_error for a bad configuration. */
int engine_load_config(Engine *e, Config *ret, ConfigOrigin *ret_origin, bool *ret_compression,
                       char **ret_error);

/* engine-sync.c: the pool made, adjusted or removed as the configuration
 * says (a mask of EngineChange); KSM started or stopped; all of tuning,
 * pool and KSM; the timer that lets the pool follow its use. */
int engine_sync_pool(Engine *e);

/* Copies the ids of the pool's devices (none while no pool runs) into
 * 'ids', at most 'max'; returns how many. A worker judges its pageouts by
 * their figures. */
size_t engine_pool_device_ids(const Engine *e, unsigned *ids, size_t max);
/* Ends a removal of the pool begun by engine_sync_pool (waiting for its
 * swapoffs), announces it, answers who waited, and with 'sync_again'
 * brings the pool in line with the configuration once more. */
void engine_finish_pool_stop(Engine *e, bool sync_again);
int engine_sync_ksm(Engine *e);
int engine_sync_kernel(Engine *e);
int engine_start_pool_timer(Engine *e);

/* engine-cycle.c: the cycle timer; the cycle in progress stopped (and its
 * thread joined), or stopped and the next one started soon; the lifetime
 * counters added to and kept. */
int engine_start_cycle_timer(Engine *e);
void engine_cancel_cycle(Engine *e);
void engine_cancel_cycle_wait(Engine *e);
void engine_restart_cycle(Engine *e);
/* Calls on_settled when nothing is settling any more (engine_settling). */
void engine_settled(Engine *e);
void engine_count_lifetime(Engine *e, uint64_t cold_bytes, uint64_t pageout_bytes);

/* engine-cycle.c: the cycle timer follows a new cycle_secs at once, not
 * after the interval it was armed with. */
void engine_cycle_interval_changed(Engine *e, unsigned old_secs);

/* engine-hibernate.c: waits for the helper's run in progress and answers it. */
void engine_finish_hibernate(Engine *e);

/* engine-reclaim.c: waits for a ReclaimProcess in progress and answers it. */
void engine_finish_reclaim(Engine *e);
