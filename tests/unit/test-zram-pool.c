/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/zram.h"
#include "kernel/zswap.h"
#include "pool/zram-pool.h"
#include "test-root.h"
#include "test-util.h"

#define MIB (UINT64_C(1024) * 1024)

/* The defaults: 80 and 40 percent; an initial budget of 100 MiB and a cap
 * of 1000 MiB. */
#define INITIAL (100 * MIB)
#define CAP (1000 * MIB)

static uint64_t next_budget(uint64_t budget, uint64_t used) {
        return zram_pool_next_budget(budget, used, INITIAL, CAP, 80, 40);
}

static void test_budget_grow(void) {
        /* Past 80 %: doubles. */
        ASSERT_EQ_U64(next_budget(200 * MIB, 160 * MIB + 1), 400 * MIB);
        ASSERT_EQ_U64(next_budget(200 * MIB, 200 * MIB), 400 * MIB);
        ASSERT_EQ_U64(next_budget(INITIAL, 90 * MIB), 200 * MIB);
        /* At 80 % exactly: not yet. */
        ASSERT_EQ_U64(next_budget(200 * MIB, 160 * MIB), 200 * MIB);
        /* Capped, however full. */
        ASSERT_EQ_U64(next_budget(800 * MIB, 700 * MIB), CAP);
        ASSERT_EQ_U64(next_budget(CAP, CAP), CAP);
        ASSERT_EQ_U64(next_budget(CAP, 999 * MIB), CAP);
        /* grow_at_percent=100: only a full budget grows. */
        ASSERT_EQ_U64(zram_pool_next_budget(200 * MIB, 200 * MIB - 1, INITIAL, CAP, 100, 40), 200 * MIB);
}

static void test_budget_shrink(void) {
        /* Under 40 %: halves. */
        ASSERT_EQ_U64(next_budget(800 * MIB, 320 * MIB - 1), 400 * MIB);
        ASSERT_EQ_U64(next_budget(800 * MIB, 0), 400 * MIB);
        /* At 40 % exactly: not yet. */
        ASSERT_EQ_U64(next_budget(800 * MIB, 320 * MIB), 800 * MIB);
        /* Never below the initial size. */
        ASSERT_EQ_U64(next_budget(150 * MIB, 0), INITIAL);
        ASSERT_EQ_U64(next_budget(INITIAL, 0), INITIAL);
        ASSERT_EQ_U64(next_budget(INITIAL, 10 * MIB), INITIAL);
        /* shrink_at_percent=0: never shrinks. */
        ASSERT_EQ_U64(zram_pool_next_budget(800 * MIB, 0, INITIAL, CAP, 80, 0), 800 * MIB);
}

/* Shrinks a 1000 MiB budget holding 'used', which is under shrink_at_percent
 * but would be past grow_at_percent of half the budget. */
static void check_shrink_stops_at_grow_line(uint64_t used, unsigned grow, unsigned shrink) {
        uint64_t next = zram_pool_next_budget(1000 * MIB, used, INITIAL, 2000 * MIB, grow, shrink);

        ASSERT_TRUE(used * 100 < 1000 * MIB * shrink);
        ASSERT_TRUE(next < 1000 * MIB);
        ASSERT_TRUE(next > 500 * MIB);
        /* At most at the grow line, and by no more than rounding. */
        ASSERT_TRUE(used * 100 <= next * grow);
        ASSERT_TRUE(used * 100 > (next - 1) * grow);
        /* So the next check with the same use leaves it. */
        ASSERT_EQ_U64(zram_pool_next_budget(next, used, INITIAL, 2000 * MIB, grow, shrink), next);
}

static void test_budget_shrink_not_past_grow_line(void) {
        /* With shrink at 60 % and grow at 80 %, halving 1000 MiB holding
         * 590 MiB would put the use at 118 % of the new budget, and the next
         * check would double it again: the budget stops where 590 MiB is
         * just at the grow line. */
        check_shrink_stops_at_grow_line(590 * MIB, 80, 60);
        ASSERT_EQ_U64(zram_pool_next_budget(1000 * MIB, 590 * MIB, INITIAL, 2000 * MIB, 80, 60),
                      590 * MIB * 100 / 80);
        /* 590 MiB * 100 is no multiple of 90: the line is rounded up. */
        check_shrink_stops_at_grow_line(590 * MIB, 90, 60);
        check_shrink_stops_at_grow_line(590 * MIB + 4096, 70, 60);
}

static void test_budget_shrink_settles(void) {
        /* Whatever the percentages, a use that does not change never makes
         * a shrunk budget grow back (no shrink-grow flapping), also where
         * used * 100 is no multiple of grow_at_percent. */
        static const struct {
                unsigned grow, shrink;
        } percents[] = { { 80, 40 }, { 90, 60 }, { 70, 50 }, { 95, 90 }, { 100, 99 }, { 33, 32 } };

        for (size_t i = 0; i < sizeof(percents) / sizeof(percents[0]); i++)
                for (uint64_t used_pages = 1; used_pages < 4096; used_pages += 37) {
                        uint64_t used = used_pages * 4096, budget = UINT64_C(1) << 30;
                        unsigned grow = percents[i].grow, shrink = percents[i].shrink;

                        for (int step = 0; step < 64; step++) {
                                uint64_t next = zram_pool_next_budget(budget, used, 0, UINT64_C(1) << 40,
                                                                      grow, shrink);

                                if (next > budget)
                                        TEST_FAIL("grow=%u shrink=%u used=%" PRIu64 ": step %d grew %" PRIu64
                                                  " -> %" PRIu64,
                                                  grow, shrink, used, step, budget, next);
                                ASSERT_TRUE(next >= used);
                                budget = next;
                        }
                        /* Settled, at or under the grow line. */
                        ASSERT_EQ_U64(
                                zram_pool_next_budget(budget, used, 0, UINT64_C(1) << 40, grow, shrink),
                                budget);
                        ASSERT_TRUE(used * 100 <= budget * grow);
                }
}

static void test_budget_never_below_use(void) {
        /* A smaller cap (the configuration was reloaded) does not put the
         * budget under what the devices hold already. */
        ASSERT_EQ_U64(next_budget(1200 * MIB, 1100 * MIB), 1100 * MIB);
        ASSERT_EQ_U64(zram_pool_next_budget(1200 * MIB, 1100 * MIB, INITIAL, CAP, 100, 40), 1100 * MIB);
        /* A cap above the use still holds. */
        ASSERT_EQ_U64(next_budget(1200 * MIB, 500 * MIB), CAP);
}

static void test_budget_band(void) {
        /* From 40 % to 80 % of the budget nothing moves. */
        for (uint64_t used = 320 * MIB; used <= 640 * MIB; used += MIB / 2)
                ASSERT_EQ_U64(next_budget(800 * MIB, used), 800 * MIB);
}

static void test_budget_sequence(void) {
        /* Demand rises to twice the cap and falls back to nothing; the
         * devices never hold more than the budget (mem_limit). */
        uint64_t budget = INITIAL, demand = 0, peak = 0;
        unsigned changes = 0;

        for (int step = 0; step < 400; step++) {
                uint64_t used, next;

                demand = step < 200 ? demand + 10 * MIB : (demand > 10 * MIB ? demand - 10 * MIB : 0);
                used = demand < budget ? demand : budget;
                next = next_budget(budget, used);

                ASSERT_TRUE(next <= CAP);
                ASSERT_TRUE(next >= INITIAL);
                ASSERT_TRUE(next >= used);
                /* One step at a time: doubling or halving at most. */
                ASSERT_TRUE(next <= budget * 2);
                ASSERT_TRUE(next >= budget / 2);
                if (step < 200)
                        ASSERT_TRUE(next >= budget);
                else
                        ASSERT_TRUE(next <= budget);
                changes += next != budget;
                budget = next;
                peak = next > peak ? next : peak;
        }
        ASSERT_EQ_U64(peak, CAP);
        ASSERT_EQ_U64(budget, INITIAL);
        /* 100 -> 200 -> 400 -> 800 -> 1000 and back down. */
        ASSERT_TRUE(changes >= 8);
        ASSERT_EQ_U64(next_budget(budget, 0), INITIAL);
}

static void test_swapoff_safe(void) {
        uint64_t margin = 256 * MIB;

        /* Exactly the margin left: safe. */
        ASSERT_TRUE(zram_pool_swapoff_safe(1256 * MIB, 1000 * MIB, margin));
        /* A byte short of it: not. */
        ASSERT_FALSE(zram_pool_swapoff_safe(1256 * MIB - 1, 1000 * MIB, margin));
        ASSERT_FALSE(zram_pool_swapoff_safe(1256 * MIB, 1000 * MIB + 1, margin));
        /* Above it. */
        ASSERT_TRUE(zram_pool_swapoff_safe(8000 * MIB, 1000 * MIB, margin));
        ASSERT_TRUE(zram_pool_swapoff_safe(margin, 0, margin));
        /* Holding more than is available, or all of it. */
        ASSERT_FALSE(zram_pool_swapoff_safe(1000 * MIB, 1001 * MIB, margin));
        ASSERT_FALSE(zram_pool_swapoff_safe(1000 * MIB, 1000 * MIB, margin));
        ASSERT_FALSE(zram_pool_swapoff_safe(0, 1, 0));
        ASSERT_FALSE(zram_pool_swapoff_safe(1000 * MIB, UINT64_MAX, 0));
        /* No overflow at the extremes. */
        ASSERT_TRUE(zram_pool_swapoff_safe(UINT64_MAX, 0, UINT64_MAX));
        ASSERT_FALSE(zram_pool_swapoff_safe(UINT64_MAX - 1, 0, UINT64_MAX));
        ASSERT_TRUE(zram_pool_swapoff_safe(UINT64_MAX, UINT64_MAX - margin, margin));
}

static void test_pick_auto_order(void) {
        /* zstd, lz4, lzo-rle, lzo: the first of those offered. */
        ASSERT_STREQ(zram_pick_algorithm("[lzo-rle] lzo lz4\n", NULL), "lz4");
        ASSERT_STREQ(zram_pick_algorithm("lzo [lz4] zstd", NULL), "zstd");
        ASSERT_STREQ(zram_pick_algorithm("lzo [lzo-rle]\n", NULL), "lzo-rle");
        ASSERT_STREQ(zram_pick_algorithm("[lzo] 842\n", NULL), "lzo");
        ASSERT_STREQ(zram_pick_algorithm("lzo lzo-rle lz4 lz4hc [zstd] deflate 842\n", NULL), "zstd");
        ASSERT_STREQ(zram_pick_algorithm("lzo\tlz4\n", NULL), "lz4");
}

static void test_pick_auto(void) {
        ASSERT_STREQ(zram_pick_algorithm("[lzo-rle] lzo lz4\n", "auto"), "lz4");
        ASSERT_STREQ(zram_pick_algorithm("lzo [lz4] zstd\n", "auto"), "zstd");
        ASSERT_STREQ(zram_pick_algorithm("deflate [842]\n", "auto"), "deflate");
}

static void test_pick_configured(void) {
        ASSERT_STREQ(zram_pick_algorithm("[lzo-rle] lzo lz4\n", "lzo"), "lzo");
        ASSERT_STREQ(zram_pick_algorithm("[lzo-rle] lzo lz4\n", "lzo-rle"), "lzo-rle");
        ASSERT_STREQ(zram_pick_algorithm("lzo lz4 [zstd]\n", "lz4"), "lz4");
        /* Also the last one, before the newline, and the one in brackets. */
        ASSERT_STREQ(zram_pick_algorithm("lzo lz4 zstd 842\n", "842"), "842");
        ASSERT_STREQ(zram_pick_algorithm("lzo [lz4hc] zstd\n", "lz4hc"), "lz4hc");
}

static void test_pick_configured_missing(void) {
        /* Not offered: the best there is. */
        ASSERT_STREQ(zram_pick_algorithm("[lzo-rle] lzo lz4\n", "zstd"), "lz4");
        ASSERT_STREQ(zram_pick_algorithm("deflate [842]\n", "zstd"), "deflate");
        /* Names match whole: lz4hc is not lz4, nor lzo-rle lzo. */
        ASSERT_STREQ(zram_pick_algorithm("[lzo-rle] lz4hc\n", "lz4"), "lzo-rle");
        ASSERT_STREQ(zram_pick_algorithm("lz4hc [lzo-rle]\n", "lzo"), "lzo-rle");
        ASSERT_STREQ(zram_pick_algorithm("[lz4hc]\n", "lz4"), "lz4hc");
}

static void test_pick_first_offered(void) {
        /* None of the preferred ones: the first, with or without brackets. */
        ASSERT_STREQ(zram_pick_algorithm("deflate [842]", NULL), "deflate");
        ASSERT_STREQ(zram_pick_algorithm("deflate [842]\n", NULL), "deflate");
        ASSERT_STREQ(zram_pick_algorithm("[842] deflate\n", NULL), "842");
        ASSERT_STREQ(zram_pick_algorithm("[842]\n", NULL), "842");
        ASSERT_STREQ(zram_pick_algorithm("  lz4hc\n", NULL), "lz4hc");
}

static void test_pick_none(void) {
        ASSERT_NULL(zram_pick_algorithm("", NULL));
        ASSERT_NULL(zram_pick_algorithm("", "auto"));
        ASSERT_NULL(zram_pick_algorithm("", "lz4"));
        ASSERT_NULL(zram_pick_algorithm("\n", NULL));
        ASSERT_NULL(zram_pick_algorithm("   \n", NULL));
        ASSERT_NULL(zram_pick_algorithm("[]\n", NULL));
}

static void test_algorithms_fixture(void) {
        char *list = (char *) 0x1;

        /* A kernel without zstd, lzo-rle in use. */
        fixture_root_use("pool-algorithms");
        ASSERT_OK(zram_read_algorithms(1, &list));
        ASSERT_STREQ(list, "lzo [lzo-rle] lz4 lz4hc 842\n");
        ASSERT_STREQ(zram_pick_algorithm(list, "auto"), "lz4");
        ASSERT_STREQ(zram_pick_algorithm(list, NULL), "lz4");
        ASSERT_STREQ(zram_pick_algorithm(list, "zstd"), "lz4");
        ASSERT_STREQ(zram_pick_algorithm(list, "lz4hc"), "lz4hc");
        ASSERT_STREQ(zram_pick_algorithm(list, "842"), "842");
        ASSERT_STREQ(zram_pick_algorithm(list, "lzo"), "lzo");
        free(list);

        list = (char *) 0x1;
        ASSERT_ERRNO(zram_read_algorithms(2, &list), -ENOENT);
        ASSERT_TRUE(list == (char *) 0x1);
        fixture_root_reset();
}

#define PINNED(s) zswap_pinned_in_cmdline((s), sizeof(s) - 1)

static void test_zswap_pinned(void) {
        ASSERT_TRUE(PINNED("quiet zswap.enabled=1 splash"));
        ASSERT_TRUE(PINNED("zswap.enabled=0"));
        ASSERT_TRUE(PINNED("BOOT_IMAGE=/boot/vmlinuz root=/dev/sda1 ro zswap.enabled=N"));
        /* /proc/cmdline ends in a newline. */
        ASSERT_TRUE(PINNED("quiet zswap.enabled=1\n"));
        ASSERT_TRUE(PINNED("zswap.enabled=Y\n"));
        ASSERT_TRUE(PINNED("ro\tzswap.enabled=1\tquiet\n"));
        /* Before "--" it is still the kernel's. */
        ASSERT_TRUE(PINNED("zswap.enabled=1 -- single\n"));
}

static void test_zswap_not_pinned(void) {
        ASSERT_FALSE(PINNED(""));
        ASSERT_FALSE(PINNED("\n"));
        ASSERT_FALSE(PINNED("quiet splash\n"));
        /* Other zswap parameters do not pin it. */
        ASSERT_FALSE(PINNED("zswap.compressor=lz4"));
        ASSERT_FALSE(PINNED("zswap.compressor=lz4 zswap.max_pool_percent=30\n"));
        /* The whole key and its '=', at the start of an argument. */
        ASSERT_FALSE(PINNED("zswap.enabledx=1"));
        ASSERT_FALSE(PINNED("zswap.enabled"));
        ASSERT_FALSE(PINNED("zswap.enabled\n"));
        ASSERT_FALSE(PINNED("xzswap.enabled=1"));
        ASSERT_FALSE(PINNED("nozswap.enabled=1 quiet"));
        /* After "--" the arguments are init's. */
        ASSERT_FALSE(PINNED("quiet splash -- zswap.enabled=1"));
        ASSERT_FALSE(PINNED("quiet -- zswap.enabled=1\n"));
        /* Only 'len' bytes count. */
        ASSERT_FALSE(zswap_pinned_in_cmdline("quiet zswap.enabled=1", 6));
        ASSERT_FALSE(zswap_pinned_in_cmdline("zswap.enabled=1", 13));
}

static const TestCase cases[] = {
        { .name = "budget-grow", .func = test_budget_grow },
        { .name = "budget-shrink", .func = test_budget_shrink },
        { .name = "budget-shrink-not-past-grow-line", .func = test_budget_shrink_not_past_grow_line },
        { .name = "budget-shrink-settles", .func = test_budget_shrink_settles },
        { .name = "budget-never-below-use", .func = test_budget_never_below_use },
        { .name = "budget-band", .func = test_budget_band },
        { .name = "budget-sequence", .func = test_budget_sequence },
        { .name = "swapoff-safe", .func = test_swapoff_safe },
        { .name = "pick-auto-order", .func = test_pick_auto_order },
        { .name = "pick-auto", .func = test_pick_auto },
        { .name = "pick-configured", .func = test_pick_configured },
        { .name = "pick-configured-missing", .func = test_pick_configured_missing },
        { .name = "pick-first-offered", .func = test_pick_first_offered },
        { .name = "pick-none", .func = test_pick_none },
        { .name = "algorithms-fixture", .func = test_algorithms_fixture },
        { .name = "zswap-pinned", .func = test_zswap_pinned },
        { .name = "zswap-not-pinned", .func = test_zswap_not_pinned },
};

TEST_MAIN(cases)
