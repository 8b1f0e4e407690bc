/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "cycle.h"
#include "ksm-control.h"
#include "tuning.h"
#include "zram-pool.h"

typedef enum EngineState {
        ENGINE_RUNNING,
        ENGINE_PAUSED,
        _ENGINE_STATE_MAX,
} EngineState;

/* What a reload changed, for the bus adapter to announce. */
typedef enum EngineChange {
        ENGINE_CHANGED_PROFILE = 1 << 0,
        ENGINE_CHANGED_DRY_RUN = 1 << 1,
        ENGINE_CHANGED_TUNING = 1 << 2,
        ENGINE_CHANGED_POOL = 1 << 3,
        ENGINE_CHANGED_CYCLE = 1 << 4, /* a cycle finished: figures and CycleFinished */
        ENGINE_CHANGED_BACKEND = 1 << 5,
        ENGINE_CHANGED_KSM = 1 << 6,
} EngineChange;

/* When the first cycle starts after the engine did. */
#define ENGINE_FIRST_CYCLE_USEC (1ULL * 1000000ULL)

/* How often the pool's budget follows its use. */
#define ENGINE_POOL_CHECK_USEC (2ULL * 1000000ULL)

typedef struct BusServer BusServer;

/* The engine's state; the D-Bus adapter (BusServer) is its only window to
 * the bus. */
typedef struct Engine Engine;

struct Engine {
        sd_event *event;
        EngineState state;
        BusServer *bus_server;
        ConfigLoadArgs config_args;
        Config config;
        Tuning tuning;
        ZramPool pool;
        KsmControl ksm;
        bool pool_started;
        sd_event_source *pool_timer;
        char *runtime_dir;

        /* Finding cold memory */
        Reclaim reclaim;
        const IdleBackend *backend;
        sd_event_source *cycle_timer;
        sd_event_source *job_source;
        CycleJob *job; /* the cycle in progress, or NULL */
        ProcessTable processes; /* as of the last finished cycle */
        uint64_t cycle_count;
        CycleStats last_cycle;
        uint64_t total_cold_bytes;
        uint64_t total_pageout_bytes;

        /* Told about changes made outside a method call (timer, SIGHUP), so
         * the bus adapter can announce them. */
        void (*on_change)(Engine *e, int changes);
};

/* "running" or "paused". */
const char *engine_state_to_string(EngineState s);

/* Loads the configuration (a bad one fails with its message logged) and
 * prepares the runtime directory ($RUNTIME_DIRECTORY, else /run/wolfram).
 * 'args' must stay valid as long as the engine: reloads read it again. */
int engine_init(Engine *e, sd_event *event, const ConfigLoadArgs *args);

/* Applies what the configuration asks of the kernel: tuning, the zram pool
 * and its budget timer. */
int engine_start(Engine *e);

/* Reads the configuration again. On success it is in force and the return
 * value is a mask of EngineChange; on error the old one stays in force,
 * -EINVAL comes with *ret_error saying what is wrong. */
int engine_reload(Engine *e, char **ret_error);

/* Puts back what the engine changed: removes the pool where that is safe,
 * restores zswap and the sysctls. */
void engine_stop(Engine *e);

/* Frees everything the engine holds. */
void engine_done(Engine *e);

/* Pauses the engine's work. Returns 1 when the state changed, 0 when it was
 * already paused. */
int engine_pause(Engine *e);

/* Resumes the engine's work. Returns 1 when the state changed, 0 when it was
 * already running. */
int engine_resume(Engine *e);
