/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kernel/proc-scan.h"
#include "ksm/ksm-control.h"
#include "test-util.h"

static void test_pages_to_scan_cpu_bound(void) {
        /* Over the bound: half, whatever merging does. */
        ASSERT_EQ_I64(ksm_next_pages_to_scan(4000, 30.0, 20, 500, 1000000, 20), 2000);
        /* Never below the floor. */
        ASSERT_EQ_I64(ksm_next_pages_to_scan(64, 90.0, 20, 500, 1000000, 20), 64);
}

static void test_pages_to_scan_pays(void) {
        /* Merging pays, under the bound, below the one-pass-a-minute rate
         * (1000000 pages / 3000 wakeups = 333): doubles, up to that rate. */
        ASSERT_EQ_I64(ksm_next_pages_to_scan(100, 5.0, 20, 500, 1000000, 20), 200);
        ASSERT_EQ_I64(ksm_next_pages_to_scan(200, 5.0, 20, 500, 1000000, 20), 333);
        /* At the rate already: stays. */
        ASSERT_EQ_I64(ksm_next_pages_to_scan(333, 5.0, 20, 500, 1000000, 20), 333);
        /* Never above the ceiling, however much is mergeable. */
        ASSERT_EQ_I64(ksm_next_pages_to_scan(16384, 5.0, 20, 500, UINT64_C(1) << 40, 20), 16384);
}

static void test_pages_to_scan_backs_off(void) {
        /* Nothing merged since the last tick: back off. */
        ASSERT_EQ_I64(ksm_next_pages_to_scan(1000, 1.0, 20, 0, 1000000, 20), 500);
        ASSERT_EQ_I64(ksm_next_pages_to_scan(100, 1.0, 20, 0, 1000000, 20), 64);
}

static void test_saved_bytes(void) {
        KsmCounters c = { .pages_sharing = 100, .ksm_zero_pages = 10 };
        long page = sysconf(_SC_PAGESIZE);

        /* Without general_profit: what is shared away, zero pages included. */
        ASSERT_EQ_I64(ksm_saved_bytes(&c), 110 * page);
        /* With it, the kernel's figure, which may be negative. */
        c.has_general_profit = true;
        c.general_profit = -4096;
        ASSERT_EQ_I64(ksm_saved_bytes(&c), -4096);
}

static void test_ksm_stat_parse(void) {
        static const char text[] = "ksm_rmap_items 65536\nksm_zero_pages 0\nksm_merging_pages 16384\n"
                                   "ksm_process_profit 63963136\nksm_merge_any: yes\nksm_mergeable: yes\n";
        static const char text2[] = "ksm_rmap_items 5\nksm_merging_pages 3\nksm_process_profit -120\n"
                                    "ksm_merge_any 1\n";
        ProcKsmStat k = {}, untouched = { .merging_pages = 7 };

        /* As 6.18 prints it: "ksm_merge_any: yes". */
        ASSERT_OK(proc_ksm_stat_parse(text, strlen(text), &k));
        ASSERT_TRUE(k.present);
        ASSERT_TRUE(k.merge_any);
        ASSERT_EQ_U64(k.merging_pages, 16384);
        ASSERT_EQ_I64(k.profit_bytes, 63963136);

        ASSERT_OK(proc_ksm_stat_parse(text2, strlen(text2), &k));
        ASSERT_EQ_U64(k.merging_pages, 3);
        ASSERT_EQ_I64(k.profit_bytes, -120);
        ASSERT_TRUE(k.merge_any);

        k = untouched;
        ASSERT_ERRNO(proc_ksm_stat_parse("ksm_merging_pages x\n", 20, &k), -EBADMSG);
        ASSERT_EQ_U64(k.merging_pages, 7);
        ASSERT_ERRNO(proc_ksm_stat_parse("ksm_merging_pages\n", 18, &k), -EBADMSG);
        ASSERT_ERRNO(proc_ksm_stat_parse("ksm_merge_any: maybe\n", 21, &k), -EBADMSG);
}

static const TestCase cases[] = {
        { .name = "pages-to-scan-cpu-bound", .func = test_pages_to_scan_cpu_bound },
        { .name = "pages-to-scan-pays", .func = test_pages_to_scan_pays },
        { .name = "pages-to-scan-backs-off", .func = test_pages_to_scan_backs_off },
        { .name = "saved-bytes", .func = test_saved_bytes },
        { .name = "ksm-stat-parse", .func = test_ksm_stat_parse },
};

TEST_MAIN(cases)
