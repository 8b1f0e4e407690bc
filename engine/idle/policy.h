/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdint.h>

typedef enum PolicyAction {
        POLICY_NONE,
        POLICY_COLD, /* MADV_COLD: first in line when memory runs short */
        POLICY_PAGEOUT, /* MADV_PAGEOUT: into zram now */
        _POLICY_ACTION_MAX,
} PolicyAction;

/* What the graduated policy reads from the configuration. */
typedef struct PolicySettings {
        double cold_threshold;
        double pageout_threshold;
        unsigned pageout_after_cycles;
        uint64_t min_region_bytes;
} PolicySettings;

/* "none", "cold", "pageout". */
const char *policy_action_to_string(PolicyAction a);

/* The next count of consecutive cycles a region has been idle enough to
 * page out: one more when idle_share reaches pageout_threshold, else 0. */
unsigned policy_next_streak(const PolicySettings *s, double idle_share, unsigned streak);

/* The action for a region with 'idle_share' of its resident memory idle
 * that has been idle enough to page out for 'streak' consecutive cycles
 * (this one included): PAGEOUT once the streak reaches
 * pageout_after_cycles, COLD from cold_threshold on, else NONE. */
PolicyAction policy_decide(const PolicySettings *s, double idle_share, unsigned streak);
