/* SPDX-License-Identifier: MIT */
#include <assert.h>

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
