/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "kernel/stats.h"
#include "test-root.h"
#include "test-util.h"

/* fixtures/meminfo/real-6.18.txt, which every root's proc/meminfo is made from. */
#define REAL_TOTAL_KIB UINT64_C(24684084)
#define REAL_FREE_KIB UINT64_C(24307780)
#define REAL_AVAILABLE_KIB UINT64_C(24360348)

static uint64_t realtime_usec(void) {
        struct timespec ts;

        ASSERT_OK(clock_gettime(CLOCK_REALTIME, &ts));
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static void check_real_mem(const MemInfo *m) {
        ASSERT_EQ_U64(m->total_bytes, REAL_TOTAL_KIB * 1024);
        ASSERT_EQ_U64(m->free_bytes, REAL_FREE_KIB * 1024);
        ASSERT_EQ_U64(m->available_bytes, REAL_AVAILABLE_KIB * 1024);
}

static void check_collect_fails(const char *root, int expected) {
        StatsSnapshot s, untouched;

        fixture_root_use(root);
        memset(&s, 0xa5, sizeof(s));
        untouched = s;
        ASSERT_ERRNO(stats_snapshot_collect(&s), expected);
        ASSERT_MEMEQ(&s, &untouched, sizeof(s));
        fixture_root_reset();
}

static void test_full(void) {
        StatsSnapshot s;
        uint64_t before, after;
        const ZramDevice *z;

        fixture_root_use("full");
        before = realtime_usec();
        ASSERT_OK(stats_snapshot_collect(&s));
        after = realtime_usec();
        ASSERT_TRUE(s.timestamp_usec >= before && s.timestamp_usec <= after);

        check_real_mem(&s.mem);
        ASSERT_EQ_U64(s.mem.swap_total_bytes, UINT64_C(10485752) * 1024);
        ASSERT_EQ_U64(s.mem.swap_free_bytes, UINT64_C(9437176) * 1024);
        ASSERT_EQ_U64(meminfo_swap_used_bytes(&s.mem), UINT64_C(1048576) * 1024);

        ASSERT_EQ_U64(s.swaps.n_entries, 2);
        ASSERT_STREQ(s.swaps.entries[0].path, "/dev/zram0");
        ASSERT_STREQ(s.swaps.entries[0].type, "partition");
        ASSERT_EQ_U64(s.swaps.entries[0].size_bytes, UINT64_C(8388604) * 1024);
        ASSERT_EQ_U64(s.swaps.entries[0].used_bytes, UINT64_C(1048576) * 1024);
        ASSERT_EQ_INT(s.swaps.entries[0].priority, 100);
        ASSERT_STREQ(s.swaps.entries[1].path, "/var/lib/swap file");
        ASSERT_STREQ(s.swaps.entries[1].type, "file");
        ASSERT_EQ_U64(s.swaps.entries[1].size_bytes, UINT64_C(2097148) * 1024);
        ASSERT_EQ_U64(s.swaps.entries[1].used_bytes, 0);
        ASSERT_EQ_INT(s.swaps.entries[1].priority, -2);

        /* zram0 and zram1; loop0 is no zram device. */
        ASSERT_EQ_U64(s.n_zram, 2);
        z = &s.zram[0];
        ASSERT_EQ_INT((int) z->id, 0);
        ASSERT_STREQ(z->name, "zram0");
        ASSERT_EQ_U64(z->disksize_bytes, UINT64_C(8589934592));
        ASSERT_EQ_U64(z->mm.orig_data_bytes, UINT64_C(1035993088));
        ASSERT_EQ_U64(z->mm.compr_data_bytes, UINT64_C(310378496));
        ASSERT_EQ_U64(z->mm.mem_used_total_bytes, UINT64_C(321912832));
        ASSERT_EQ_U64(z->mm.mem_limit_bytes, 0);
        ASSERT_EQ_U64(z->mm.mem_used_max_bytes, UINT64_C(335544320));
        ASSERT_EQ_U64(z->mm.same_pages, 9412);
        ASSERT_EQ_U64(z->mm.pages_compacted, 1187);
        ASSERT_EQ_U64(z->mm.huge_pages, 53);
        ASSERT_EQ_U64(z->mm.huge_pages_since, 210);
        ASSERT_EQ_INT((int) z->mm.n_fields, 9);
        ASSERT_TRUE(stats_zram_is_swap(&s, z));

        z = &s.zram[1];
        ASSERT_EQ_INT((int) z->id, 1);
        ASSERT_STREQ(z->name, "zram1");
        ASSERT_EQ_U64(z->disksize_bytes, UINT64_C(536870912));
        ASSERT_EQ_U64(z->mm.orig_data_bytes, UINT64_C(2162688));
        ASSERT_EQ_U64(z->mm.compr_data_bytes, 99442);
        ASSERT_EQ_U64(z->mm.mem_used_total_bytes, 204800);
        ASSERT_EQ_U64(z->mm.mem_limit_bytes, 0);
        ASSERT_EQ_U64(z->mm.mem_used_max_bytes, 204800);
        ASSERT_EQ_U64(z->mm.same_pages, 31);
        ASSERT_EQ_U64(z->mm.pages_compacted, 0);
        ASSERT_EQ_U64(z->mm.huge_pages, 2);
        ASSERT_EQ_U64(z->mm.huge_pages_since, 2);
        ASSERT_EQ_INT((int) z->mm.n_fields, 9);
        ASSERT_FALSE(stats_zram_is_swap(&s, z));

        ASSERT_TRUE(s.ksm_available);
        ASSERT_EQ_U64(s.ksm.pages_shared, 1523);
        ASSERT_EQ_U64(s.ksm.pages_sharing, 9876);
        ASSERT_EQ_U64(s.ksm.pages_unshared, 40321);
        ASSERT_EQ_U64(s.ksm.pages_volatile, 211);
        ASSERT_EQ_U64(s.ksm.full_scans, 17);
        ASSERT_TRUE(s.ksm.has_ksm_zero_pages);
        ASSERT_EQ_U64(s.ksm.ksm_zero_pages, 64);
        ASSERT_TRUE(s.ksm.has_general_profit);
        ASSERT_EQ_I64(s.ksm.general_profit, 39845888);

        stats_snapshot_done(&s);
        ASSERT_NULL(s.zram);
        ASSERT_EQ_U64(s.n_zram, 0);
        ASSERT_NULL(s.swaps.entries);
        ASSERT_EQ_U64(s.swaps.n_entries, 0);
        fixture_root_reset();
}

static void test_bare(void) {
        StatsSnapshot s;

        /* No /sys/block, no KSM: reported as none, not as an error. */
        fixture_root_use("bare");
        memset(&s, 0xa5, sizeof(s));
        ASSERT_OK(stats_snapshot_collect(&s));
        check_real_mem(&s.mem);
        ASSERT_EQ_U64(s.mem.swap_total_bytes, 0);
        ASSERT_EQ_U64(s.swaps.n_entries, 0);
        ASSERT_EQ_U64(s.n_zram, 0);
        ASSERT_NULL(s.zram);
        ASSERT_FALSE(s.ksm_available);
        stats_snapshot_done(&s);
        fixture_root_reset();
}

static void test_broken_sys(void) {
        StatsSnapshot s;

        /* zram0's mm_stat has six fields and pages_volatile holds "4x": both
         * reported as none, the snapshot itself still succeeds. */
        fixture_root_use("broken-sys");
        memset(&s, 0xa5, sizeof(s));
        ASSERT_OK(stats_snapshot_collect(&s));
        check_real_mem(&s.mem);
        ASSERT_EQ_U64(s.swaps.n_entries, 2);
        ASSERT_EQ_U64(s.n_zram, 0);
        ASSERT_NULL(s.zram);
        ASSERT_FALSE(s.ksm_available);
        stats_snapshot_done(&s);
        fixture_root_reset();
}

static void test_bad_meminfo(void) {
        /* proc/meminfo lacks MemAvailable. */
        check_collect_fails("bad-meminfo", -EBADMSG);
}

static void test_bad_swaps(void) {
        /* proc/swaps has a row without its priority. */
        check_collect_fails("bad-swaps", -EBADMSG);
}

static void test_no_proc(void) {
        check_collect_fails("ksm-5.15", -ENOENT);
}

static void test_zram_is_swap_exact(void) {
        SwapEntry entries[] = {
                { .path = (char *) "/dev/zram10", .type = (char *) "partition" },
                { .path = (char *) "/dev/zram1p1", .type = (char *) "partition" },
                { .path = (char *) "/zram1", .type = (char *) "file" },
        };
        StatsSnapshot s = { .swaps = { .entries = entries, .n_entries = 3 } };
        ZramDevice zram1 = { .id = 1, .name = "zram1" }, zram10 = { .id = 10, .name = "zram10" };

        /* Only the whole device path counts, not one that starts alike. */
        ASSERT_FALSE(stats_zram_is_swap(&s, &zram1));
        ASSERT_TRUE(stats_zram_is_swap(&s, &zram10));
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "full", .func = test_full },
                { .name = "bare", .func = test_bare },
                { .name = "broken-sys", .func = test_broken_sys },
                { .name = "bad-meminfo", .func = test_bad_meminfo },
                { .name = "bad-swaps", .func = test_bad_swaps },
                { .name = "no-proc", .func = test_no_proc },
                { .name = "zram-is-swap-exact", .func = test_zram_is_swap_exact },
        };

        /* The engine's warnings about the broken fixtures are expected;
         * debug messages show what it skipped. */
        log_set_max_level(LOG_DEBUG);
        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
