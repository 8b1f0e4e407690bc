/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/ksm.h"
#include "kernel/meminfo.h"
#include "kernel/swaps.h"
#include "kernel/zram.h"

/* Everything the engine reports about the machine's memory, read together
 * so the figures belong to one moment. */
typedef struct StatsSnapshot {
        uint64_t timestamp_usec; /* CLOCK_REALTIME */
        MemInfo mem;
        SwapList swaps;
        ZramDevice *zram;
        size_t n_zram;
        KsmCounters ksm;
        bool ksm_available;
} StatsSnapshot;

/* Reads /proc/meminfo, /proc/swaps, the zram devices and the KSM counters.
 * Fails only when meminfo or swaps cannot be read; no zram or no KSM is
 * reported as such, not as an error. */
int stats_snapshot_collect(StatsSnapshot *ret);

/* Frees what a snapshot holds. */
void stats_snapshot_done(StatsSnapshot *s);

/* Whether the zram device is active swap in the snapshot. */
bool stats_zram_is_swap(const StatsSnapshot *s, const ZramDevice *d);
