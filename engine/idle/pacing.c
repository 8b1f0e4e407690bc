/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "idle/pacing.h"

bool pacing_pressure_hold(const PacingSettings *s, const Psi *memory, const Psi *io, char *why,
                          size_t size) {
        if (s->pressure_limit_percent <= 0)
                return false;
        if (memory && memory->some.avg10 > s->pressure_limit_percent) {
                snprintf(why, size, "memory pressure %.2f%% is above %.2f%%", memory->some.avg10,
                         s->pressure_limit_percent);
                return true;
        }
        if (io && io->some.avg10 > s->pressure_limit_percent) {
                snprintf(why, size, "IO pressure %.2f%% is above %.2f%%", io->some.avg10,
                         s->pressure_limit_percent);
                return true;
        }
        return false;
}

bool pacing_over_budget(const PacingSettings *s, uint64_t refault_bytes, uint64_t memory_bytes,
                        uint64_t interval_usec) {
        double allowed;

        if (s->refault_budget_percent <= 0 || refault_bytes == 0)
                return false;
        if (memory_bytes == 0 || interval_usec == 0)
                return true;
        allowed = (double) memory_bytes * s->refault_budget_percent / 100.0 * (double) interval_usec / 60e6;
        return (double) refault_bytes > allowed;
}

PaceState pacing_next(PaceState prev, bool over_budget) {
        unsigned backoff = prev.backoff ? prev.backoff : 1;

        if (over_budget)
                return (PaceState){
                        .hold_cycles = backoff,
                        .backoff =
                                backoff * 2 > PACING_HOLD_CYCLES_MAX ? PACING_HOLD_CYCLES_MAX : backoff * 2,
                };
        if (prev.hold_cycles > 0)
                return (PaceState){ .hold_cycles = prev.hold_cycles - 1, .backoff = backoff };
        return (PaceState){ .hold_cycles = 0, .backoff = backoff > 1 ? backoff / 2 : 1 };
}
