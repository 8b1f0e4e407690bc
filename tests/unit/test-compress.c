/* SPDX-License-Identifier: MIT */
#include "idle/compress.h"
#include "test-util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024ULL)

static CompressPoolFigures figures(uint64_t orig, uint64_t compr) {
        return (CompressPoolFigures){ .orig_bytes = orig, .compr_bytes = compr, .valid = true };
}

static void test_judge(void) {
        CompressPoolFigures before = figures(100 * MIB, 30 * MIB), after;

        /* 512 KiB of text at 0.3: good. */
        after = figures(before.orig_bytes + 512 * KIB, before.compr_bytes + 154 * KIB);
        ASSERT_EQ_INT(compress_judge(&before, &after, 512 * KIB), COMPRESS_GOOD);
        /* Random data: zram stores it whole. */
        after = figures(before.orig_bytes + 512 * KIB, before.compr_bytes + 512 * KIB);
        ASSERT_EQ_INT(compress_judge(&before, &after, 512 * KIB), COMPRESS_POOR);
        /* Just over 3/4 is poor, 3/4 itself is not. */
        after = figures(before.orig_bytes + 400 * KIB, before.compr_bytes + 301 * KIB);
        ASSERT_EQ_INT(compress_judge(&before, &after, 400 * KIB), COMPRESS_POOR);
        after = figures(before.orig_bytes + 400 * KIB, before.compr_bytes + 300 * KIB);
        ASSERT_EQ_INT(compress_judge(&before, &after, 400 * KIB), COMPRESS_GOOD);
        /* Zero pages are stored without compressed bytes: good. */
        after = figures(before.orig_bytes + 512 * KIB, before.compr_bytes);
        ASSERT_EQ_INT(compress_judge(&before, &after, 512 * KIB), COMPRESS_GOOD);
}

static void test_judge_unknown(void) {
        CompressPoolFigures before = figures(100 * MIB, 30 * MIB), after, missing = {};

        /* Less than half of what was advised showed up (pages left the pool
         * meanwhile, or went elsewhere): nothing to judge by. */
        after = figures(before.orig_bytes + 200 * KIB, before.compr_bytes + 200 * KIB);
        ASSERT_EQ_INT(compress_judge(&before, &after, 512 * KIB), COMPRESS_UNKNOWN);
        after = figures(before.orig_bytes - MIB, before.compr_bytes + 512 * KIB);
        ASSERT_EQ_INT(compress_judge(&before, &after, 512 * KIB), COMPRESS_UNKNOWN);
        ASSERT_EQ_INT(compress_judge(&missing, &after, 512 * KIB), COMPRESS_UNKNOWN);
        ASSERT_EQ_INT(compress_judge(&before, &missing, 512 * KIB), COMPRESS_UNKNOWN);
        ASSERT_EQ_INT(compress_judge(&before, &before, 0), COMPRESS_UNKNOWN);
        /* Others' pages leaving lower compr: never read as poor. */
        after = figures(before.orig_bytes + 512 * KIB, before.compr_bytes - MIB);
        ASSERT_EQ_INT(compress_judge(&before, &after, 512 * KIB), COMPRESS_GOOD);
}

static void test_segment_backoff(void) {
        CompressSegment s = {};
        unsigned skipped = 0;

        ASSERT_FALSE(compress_segment_skip(&s));
        compress_segment_update(&s, COMPRESS_POOR);
        while (compress_segment_skip(&s))
                skipped++;
        ASSERT_EQ_INT(skipped, COMPRESS_SKIP_CYCLES_MIN);
        /* Poor again: twice as long, up to the most. */
        compress_segment_update(&s, COMPRESS_POOR);
        ASSERT_EQ_INT(s.skip_cycles, 2 * COMPRESS_SKIP_CYCLES_MIN);
        for (int i = 0; i < 10; i++)
                compress_segment_update(&s, COMPRESS_POOR);
        ASSERT_EQ_INT(s.skip_cycles, COMPRESS_SKIP_CYCLES_MAX);
        /* Unknown changes nothing; good starts over. */
        compress_segment_update(&s, COMPRESS_UNKNOWN);
        ASSERT_EQ_INT(s.verdict, COMPRESS_POOR);
        ASSERT_EQ_INT(s.skip_cycles, COMPRESS_SKIP_CYCLES_MAX);
        compress_segment_update(&s, COMPRESS_GOOD);
        ASSERT_FALSE(compress_segment_skip(&s));
        ASSERT_EQ_INT(s.poor_count, 0);
        compress_segment_update(&s, COMPRESS_POOR);
        ASSERT_EQ_INT(s.skip_cycles, COMPRESS_SKIP_CYCLES_MIN);
}

static void test_room(void) {
        CompressPoolFigures f = { .used_bytes = 200 * MIB, .limit_bytes = 241 * MIB, .valid = true },
                            missing = {};

        /* 16 MiB at 1.0 needs 21 MiB: fits in 41. At 0.3, 100 MiB needs 38.5. */
        ASSERT_TRUE(compress_pool_has_room(&f, 16 * MIB, 1.0));
        ASSERT_TRUE(compress_pool_has_room(&f, 100 * MIB, 0.3));
        ASSERT_FALSE(compress_pool_has_room(&f, 33 * MIB, 1.0));
        ASSERT_TRUE(compress_pool_has_room(&f, 33 * MIB, 0.5));
        ASSERT_FALSE(compress_pool_has_room(&f, 33 * MIB, 7.0)); /* nonsense ratio: taken as 1 */
        f.used_bytes = 250 * MIB;
        ASSERT_FALSE(compress_pool_has_room(&f, 4096, 0.1));
        /* No limit, or nothing read: no reason to stop. */
        f.limit_bytes = 0;
        ASSERT_TRUE(compress_pool_has_room(&f, 1024 * MIB, 1.0));
        ASSERT_TRUE(compress_pool_has_room(&missing, 1024 * MIB, 1.0));
}

static void test_delta_ratio(void) {
        CompressPoolFigures before = figures(10 * MIB, 5 * MIB),
                            after = figures(11 * MIB, 5 * MIB + 256 * KIB), missing = {};

        ASSERT_TRUE(compress_delta_ratio(&before, &after) > 0.24 &&
                    compress_delta_ratio(&before, &after) < 0.26);
        ASSERT_TRUE(compress_delta_ratio(&before, &before) == 1.0);
        ASSERT_TRUE(compress_delta_ratio(&missing, &after) == 1.0);
        after.compr_bytes = 20 * MIB;
        ASSERT_TRUE(compress_delta_ratio(&before, &after) == 1.0);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "judge", .func = test_judge },
                { .name = "judge-unknown", .func = test_judge_unknown },
                { .name = "segment-backoff", .func = test_segment_backoff },
                { .name = "room", .func = test_room },
                { .name = "delta-ratio", .func = test_delta_ratio },
        };

        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
