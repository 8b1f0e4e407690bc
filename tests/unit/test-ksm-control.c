/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kernel/proc-scan.h"
#include "ksm/ksm-control.h"
#include "test-util.h"

/* One 2 s tick at sleep_millisecs 20 (100 wake-ups). */
static KsmRateInput tick(double cpu, uint64_t tracked, int64_t growth, uint64_t merged, uint64_t scans,
                         uint64_t scanned) {
        return (KsmRateInput){ .sleep_millisecs = 20,
                               .max_cpu_percent = 20,
                               .cpu_percent = cpu,
                               .tick_usec = 2000000,
                               .tracked_pages = tracked,
                               .tracked_growth = growth,
                               .merged_growth = merged,
                               .full_scans = scans,
                               .pages_scanned = scanned };
}

static void test_rate_new_memory_quick(void) {
        /* Idle at the floor; 4 x 64 MiB appear (65536 pages, 6400 seen in
         * the tick): quick passes at once, at least the starting rate. */
        KsmRate idle = { .pages_to_scan = KSM_PAGES_TO_SCAN_IDLE };
        KsmRateInput in = tick(0.5, 6400, 6400, 0, 0, 6400);
        KsmRate r = ksm_next_rate(idle, &in);

        ASSERT_EQ_U64(r.passes_left, KSM_QUICK_PASSES);
        ASSERT_EQ_I64(r.pages_to_scan, KSM_PAGES_TO_SCAN_BUSY_START);

        /* Next tick: 65536 known, cheap pages (1 µs each, 2% CPU for 40000
         * pages): a pass every 2 s over them = 65536 × 20 / 2000 = 655,
         * below the start rate, which stays the least while busy. */
        in = tick(2.0, 65536, 59136, 0, 0, 40000);
        r = ksm_next_rate(r, &in);
        ASSERT_EQ_I64(r.pages_to_scan, KSM_PAGES_TO_SCAN_BUSY_START);
        ASSERT_TRUE(r.usec_per_page > 0.99 && r.usec_per_page < 1.01);

        /* A million pages known, 0.1 µs each: 10000 per wake-up is a pass
         * every 2 s, at 5% CPU. */
        in = tick(0.2, 1000000, 5000, 100, 0, 40000);
        r = ksm_next_rate(r, &in);
        ASSERT_EQ_I64(r.pages_to_scan, 10000);
        /* At 1 µs a page that would be 50%: the bound, 90% of 20% of each
         * 20 ms, is 3600 pages. */
        in = tick(2.0, 1000000, 5000, 100, 0, 40000);
        r = ksm_next_rate(r, &in);
        ASSERT_EQ_I64(r.pages_to_scan, 3600);
}

static void test_rate_cpu_bound(void) {
        /* 20 µs a page (ksmd at 100% for 100000 pages in 2 s): the bound,
         * 90% of 20% of each 20 ms, is 0.9 × 0.2 × 20000 / 20 = 180 pages. */
        KsmRate busy = { .pages_to_scan = 5000, .passes_left = 2 };
        KsmRateInput in = tick(100.0, 1000000, 0, 500, 0, 100000);
        KsmRate r = ksm_next_rate(busy, &in);

        ASSERT_EQ_I64(r.pages_to_scan, 180);
        /* The bound holds on a later tick too, the cost remembered. */
        in = tick(18.0, 1000000, 0, 500, 0, 0);
        r = ksm_next_rate(r, &in);
        ASSERT_TRUE(r.pages_to_scan <= 200);
        /* Never under the floor, however dear. */
        busy.usec_per_page = 100000;
        in = tick(0, 1000000, 0, 500, 0, 0);
        ASSERT_EQ_I64(ksm_next_rate(busy, &in).pages_to_scan, KSM_PAGES_TO_SCAN_IDLE);
}

static void test_rate_back_to_idle(void) {
        /* Merging done: each full pass without growth counts down; after
         * KSM_QUICK_PASSES of them, the floor. */
        KsmRate r = { .pages_to_scan = 2000, .passes_left = KSM_QUICK_PASSES, .usec_per_page = 1 };
        KsmRateInput in = tick(5.0, 65536, 0, 0, 1, 100000);

        for (unsigned i = 1; i < KSM_QUICK_PASSES; i++) {
                r = ksm_next_rate(r, &in);
                ASSERT_EQ_U64(r.passes_left, KSM_QUICK_PASSES - i);
                ASSERT_TRUE(r.pages_to_scan > KSM_PAGES_TO_SCAN_IDLE);
        }
        r = ksm_next_rate(r, &in);
        ASSERT_EQ_U64(r.passes_left, 0);
        ASSERT_EQ_I64(r.pages_to_scan, KSM_PAGES_TO_SCAN_IDLE);
        /* Idle stays idle without work; a little churn (under 1% of what
         * is known, under 256 pages) is not work. */
        in = tick(0.2, 65536, 200, 0, 0, 6400);
        ASSERT_EQ_I64(ksm_next_rate(r, &in).pages_to_scan, KSM_PAGES_TO_SCAN_IDLE);
        /* Pages merging again wake it. */
        in = tick(0.2, 65536, 0, 16, 0, 6400);
        ASSERT_EQ_U64(ksm_next_rate(r, &in).passes_left, KSM_QUICK_PASSES);
        /* Several passes in one tick count as such. */
        r.passes_left = 2;
        in = tick(5.0, 65536, 0, 0, 5, 100000);
        ASSERT_EQ_U64(ksm_next_rate(r, &in).passes_left, 0);
}

static void test_rate_quiet_is_idle(void) {
        /* Nothing mergeable at all (ksmd makes no passes then): idle at
         * the first quiet tick. */
        KsmRate r = { .pages_to_scan = KSM_PAGES_TO_SCAN_BUSY_START, .passes_left = KSM_QUICK_PASSES };
        KsmRateInput in = tick(0, 0, 0, 0, 0, 0);

        ASSERT_EQ_I64(ksm_next_rate(r, &in).pages_to_scan, KSM_PAGES_TO_SCAN_IDLE);

        /* Passes too slow to count down (a huge area at the CPU bound):
         * idle after KSM_QUIET_TICKS ticks without work all the same. */
        in = tick(18.0, 100000000, 0, 0, 0, 180000);
        for (unsigned i = 1; i < KSM_QUIET_TICKS; i++) {
                r = ksm_next_rate(r, &in);
                ASSERT_EQ_U64(r.passes_left, KSM_QUICK_PASSES);
        }
        r = ksm_next_rate(r, &in);
        ASSERT_EQ_U64(r.passes_left, 0);
        ASSERT_EQ_I64(r.pages_to_scan, KSM_PAGES_TO_SCAN_IDLE);
        /* Work again starts the count over. */
        in = tick(1.0, 100000000, 0, 5, 0, 180000);
        r = ksm_next_rate(r, &in);
        ASSERT_EQ_U64(r.passes_left, KSM_QUICK_PASSES);
        ASSERT_EQ_U64(r.quiet_ticks, 0);
}

static void test_rate_without_pages_scanned(void) {
        /* Before 6.9 there is no pages_scanned: the cost comes from the
         * rate set (1000 pages × 100 wake-ups) and ksmd's CPU (10%):
         * 0.2 s / 100000 pages = 2 µs. */
        KsmRate busy = { .pages_to_scan = 1000, .passes_left = 3 };
        KsmRateInput in = tick(10.0, 65536, 0, 100, 0, 0);
        KsmRate r = ksm_next_rate(busy, &in);

        ASSERT_TRUE(r.usec_per_page > 1.99 && r.usec_per_page < 2.01);
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
        { .name = "rate-new-memory-quick", .func = test_rate_new_memory_quick },
        { .name = "rate-cpu-bound", .func = test_rate_cpu_bound },
        { .name = "rate-back-to-idle", .func = test_rate_back_to_idle },
        { .name = "rate-quiet-is-idle", .func = test_rate_quiet_is_idle },
        { .name = "rate-without-pages-scanned", .func = test_rate_without_pages_scanned },
        { .name = "saved-bytes", .func = test_saved_bytes },
        { .name = "ksm-stat-parse", .func = test_ksm_stat_parse },
};

TEST_MAIN(cases)
