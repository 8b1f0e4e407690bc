/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The counters of /sys/kernel/mm/ksm. Fields newer kernels added are
 * flagged so a missing one is not mistaken for zero. */
typedef struct KsmCounters {
        uint64_t pages_shared;
        uint64_t pages_sharing;
        uint64_t pages_unshared;
        uint64_t pages_volatile;
        uint64_t full_scans;
        uint64_t ksm_zero_pages;
        uint64_t pages_scanned;
        int64_t general_profit;
        bool has_ksm_zero_pages;
        bool has_pages_scanned;
        bool has_general_profit;
} KsmCounters;

/* Reads the counters. -ENOENT when the kernel has no KSM; -EBADMSG when a
 * counter file holds something that is not a number. */
int ksm_read_counters(KsmCounters *ret);
