/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "idle/pacing.h"
#include "test-util.h"

#define MIB (1024ULL * 1024ULL)
#define MINUTE_USEC 60000000ULL

static void test_pressure(void) {
        PacingSettings s = { .pressure_limit_percent = 0.1 };
        Psi calm = { .some = { .avg10 = 0.05 } }, busy = { .some = { .avg10 = 0.35 } };
        char why[128] = "";

        ASSERT_FALSE(pacing_pressure_hold(&s, &calm, &calm, why, sizeof(why)));
        ASSERT_TRUE(pacing_pressure_hold(&s, &busy, &calm, why, sizeof(why)));
        ASSERT_STREQ(why, "memory pressure 0.35% is above 0.10%");
        ASSERT_TRUE(pacing_pressure_hold(&s, &calm, &busy, why, sizeof(why)));
        ASSERT_STREQ(why, "IO pressure 0.35% is above 0.10%");
        /* No PSI here: nothing to hold for. Off: never. */
        ASSERT_FALSE(pacing_pressure_hold(&s, NULL, NULL, why, sizeof(why)));
        s.pressure_limit_percent = 0;
        ASSERT_FALSE(pacing_pressure_hold(&s, &busy, &busy, why, sizeof(why)));
}

static void test_budget(void) {
        PacingSettings s = { .refault_budget_percent = 0.2 };

        /* 0.2% of 1000 MiB per minute is 2 MiB per minute, 1/3 MiB per 10 s. */
        ASSERT_FALSE(pacing_over_budget(&s, 2 * MIB, 1000 * MIB, MINUTE_USEC));
        ASSERT_TRUE(pacing_over_budget(&s, 2 * MIB + 4096, 1000 * MIB, MINUTE_USEC));
        ASSERT_TRUE(pacing_over_budget(&s, MIB / 2, 1000 * MIB, MINUTE_USEC / 6));
        ASSERT_FALSE(pacing_over_budget(&s, 0, 1000 * MIB, MINUTE_USEC));
        ASSERT_TRUE(pacing_over_budget(&s, 4096, 0, MINUTE_USEC));
        s.refault_budget_percent = 0;
        ASSERT_FALSE(pacing_over_budget(&s, 1000 * MIB, 1000 * MIB, MINUTE_USEC));
}

static void test_backoff(void) {
        PaceState p = {};

        /* Over: wait 1, then 2, 4, … up to the most. */
        p = pacing_next(p, true);
        ASSERT_EQ_INT(p.hold_cycles, 1);
        p = pacing_next(p, false);
        ASSERT_EQ_INT(p.hold_cycles, 0);
        p = pacing_next(p, true);
        ASSERT_EQ_INT(p.hold_cycles, 2);
        for (int i = 0; i < 10; i++)
                p = pacing_next(p, true);
        ASSERT_EQ_INT(p.hold_cycles, PACING_HOLD_CYCLES_MAX);
        /* Under: the wait runs down, then the next one shrinks. */
        for (unsigned i = 0; i < PACING_HOLD_CYCLES_MAX; i++)
                p = pacing_next(p, false);
        ASSERT_EQ_INT(p.hold_cycles, 0);
        ASSERT_EQ_INT(p.backoff, PACING_HOLD_CYCLES_MAX);
        p = pacing_next(p, false);
        ASSERT_EQ_INT(p.backoff, PACING_HOLD_CYCLES_MAX / 2);
        for (int i = 0; i < 10; i++)
                p = pacing_next(p, false);
        ASSERT_EQ_INT(p.backoff, 1);
        ASSERT_EQ_INT(p.hold_cycles, 0);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "pressure", .func = test_pressure },
                { .name = "budget", .func = test_budget },
                { .name = "backoff", .func = test_backoff },
        };

        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
