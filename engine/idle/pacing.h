/* SPDX-License-Identifier: MIT */
#pragma once

/* Pacing: pageouts cost something when what went out is needed again (a
 * major fault, a decompression, a stalled task). The engine holds them
 * back while the machine is under memory or IO pressure (PSI), and for a
 * process whose paged-out memory comes back faster than a budget. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/pressure.h"

typedef struct PacingSettings {
        double pressure_limit_percent; /* PSI some avg10; 0: no gate */
        double refault_budget_percent; /* of a process's memory per minute; 0: no budget */
} PacingSettings;

/* The longest a process waits after going over its budget, in cycles. */
#define PACING_HOLD_CYCLES_MAX 16U

/* Whether pageouts wait for pressure now: writes why into 'why' (a
 * sentence) and returns true. NULL pressure: not known (no PSI). */
bool pacing_pressure_hold(const PacingSettings *s, const Psi *memory, const Psi *io, char *why, size_t size);

/* Whether 'refault_bytes' coming back over 'interval_usec' exceeds the
 * budget for a process of 'memory_bytes'. */
bool pacing_over_budget(const PacingSettings *s, uint64_t refault_bytes, uint64_t memory_bytes,
                        uint64_t interval_usec);

/* A process's waiting, from one cycle to the next. */
typedef struct PaceState {
        unsigned hold_cycles; /* pageouts wait this many more cycles */
        unsigned backoff; /* the next wait, in cycles (0: 1) */
} PaceState;

/* The state for this cycle, from last cycle's and whether the refaults
 * seen now went over the budget: over it, a wait of 'backoff' cycles and
 * the next one twice as long; under it, the wait runs down, and once over
 * the next one halves. */
PaceState pacing_next(PaceState prev, bool over_budget);
