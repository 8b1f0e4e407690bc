/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

typedef enum EngineState {
        ENGINE_RUNNING,
        ENGINE_PAUSED,
        _ENGINE_STATE_MAX,
} EngineState;

typedef struct BusServer BusServer;

/* The engine's state; the D-Bus adapter (BusServer) is its only window to
 * the bus. */
typedef struct Engine {
        sd_event *event;
        EngineState state;
        BusServer *bus_server;
} Engine;

/* "running" or "paused". */
const char *engine_state_to_string(EngineState s);

/* Pauses the engine's work. Returns 1 when the state changed, 0 when it was
 * already paused. */
int engine_pause(Engine *e);

/* Resumes the engine's work. Returns 1 when the state changed, 0 when it was
 * already running. */
int engine_resume(Engine *e);
