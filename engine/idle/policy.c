/* SPDX-License-Identifier: MIT */
#include <assert.h>

#include "idle/policy.h"

const char *policy_action_to_string(PolicyAction a) {
        static const char *const table[_POLICY_ACTION_MAX] = {
                [POLICY_NONE] = "none",
                [POLICY_COLD] = "cold",
                [POLICY_PAGEOUT] = "pageout",
        };

        assert(a >= 0 && a < _POLICY_ACTION_MAX);
        return table[a];
}

unsigned policy_next_streak(const PolicySettings *s, double idle_share, unsigned streak) {
        return idle_share >= s->pageout_threshold ? streak + 1 : 0;
}

PolicyAction policy_decide(const PolicySettings *s, double idle_share, unsigned streak) {
        if (idle_share >= s->pageout_threshold && streak >= s->pageout_after_cycles)
                return POLICY_PAGEOUT;
        if (idle_share >= s->cold_threshold)
                return POLICY_COLD;
        return POLICY_NONE;
}
