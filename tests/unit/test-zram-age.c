/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/zram.h"
#include "pool/zram-age.h"
#include "test-util.h"

#define BD_PARSE(str, s) zram_bd_stat_parse((str), sizeof(str) - 1, (s))

static void test_bd_stat(void) {
        ZramBdStat s;

        /* As 6.12 prints it: 4 KiB units, each right-aligned in 8. */
        ASSERT_EQ_INT(BD_PARSE("    4096      17     5000\n", &s), 0);
        ASSERT_EQ_U64(s.stored_bytes, 4096ULL * 4096);
        ASSERT_EQ_U64(s.read_bytes, 17ULL * 4096);
        ASSERT_EQ_U64(s.written_bytes, 5000ULL * 4096);
        ASSERT_EQ_INT(BD_PARSE("0 0 0", &s), 0);
        ASSERT_EQ_U64(s.written_bytes, 0);
}

static void test_bd_stat_bad(void) {
        ZramBdStat s = { .stored_bytes = 7 };

        ASSERT_ERRNO(BD_PARSE("1 2\n", &s), -EBADMSG);
        ASSERT_ERRNO(BD_PARSE("1 2 3 4\n", &s), -EBADMSG);
        ASSERT_ERRNO(BD_PARSE("1 x 3\n", &s), -EBADMSG);
        ASSERT_ERRNO(BD_PARSE("1 2 3\n4 5 6\n", &s), -EBADMSG);
        ASSERT_ERRNO(BD_PARSE("", &s), -EBADMSG);
        /* Bytes that no longer fit. */
        ASSERT_ERRNO(BD_PARSE("18446744073709551615 0 0\n", &s), -EBADMSG);
        ASSERT_EQ_U64(s.stored_bytes, 7);
}

static void test_interval(void) {
        ZramAgeSettings s = { .recompress = true,
                              .recompress_after_secs = 3600,
                              .writeback = true,
                              .writeback_after_secs = 14400,
                              .mark_by_age = true };

        /* With ages, a quarter of the shorter one. */
        ASSERT_EQ_U64(zram_age_interval_secs(&s), 900);
        /* Without, the shorter one: a page is untouched for one to two. */
        s.mark_by_age = false;
        ASSERT_EQ_U64(zram_age_interval_secs(&s), 3600);
        s.recompress = false;
        ASSERT_EQ_U64(zram_age_interval_secs(&s), 14400);
        s.writeback_after_secs = 12;
        s.mark_by_age = true;
        ASSERT_EQ_U64(zram_age_interval_secs(&s), 10);
        s.writeback = false;
        ASSERT_EQ_U64(zram_age_interval_secs(&s), 0);
}

static void test_day_allowance(void) {
        ZramAgeDay d = {};
        uint64_t limit = 100 * 4096, t0 = 1800000000;

        ASSERT_EQ_U64(zram_age_day_allowance(&d, t0, limit), limit);
        ASSERT_EQ_U64(d.start_secs, t0);
        zram_age_day_add(&d, t0 + 10, 60 * 4096);
        ASSERT_EQ_U64(zram_age_day_written(&d, t0 + 20), 60 * 4096);
        ASSERT_EQ_U64(zram_age_day_written(&d, t0 + ZRAM_AGE_DAY_SECS), 0);
        ASSERT_EQ_U64(zram_age_day_written(&d, t0 - 1), 0);
        ASSERT_EQ_U64(zram_age_day_allowance(&d, t0 + 3600, limit), 40 * 4096);
        zram_age_day_add(&d, t0 + 3700, 50 * 4096);
        /* Over the limit (a page in flight): nothing left, not a wrap. */
        ASSERT_EQ_U64(zram_age_day_allowance(&d, t0 + 7200, limit), 0);
        /* The day ends 24 hours after it began. */
        ASSERT_EQ_U64(zram_age_day_allowance(&d, t0 + ZRAM_AGE_DAY_SECS - 1, limit), 0);
        ASSERT_EQ_U64(zram_age_day_allowance(&d, t0 + ZRAM_AGE_DAY_SECS, limit), limit);
        ASSERT_EQ_U64(d.start_secs, t0 + ZRAM_AGE_DAY_SECS);
        ASSERT_EQ_U64(d.written_bytes, 0);
        /* A clock set back begins a new day, not a negative one. */
        zram_age_day_add(&d, t0 + ZRAM_AGE_DAY_SECS + 5, 99 * 4096);
        ASSERT_EQ_U64(zram_age_day_allowance(&d, t0, limit), limit);
        ASSERT_EQ_U64(d.start_secs, t0);
        /* A limit of 0 allows nothing. */
        ASSERT_EQ_U64(zram_age_day_allowance(&d, t0, 0), 0);
}

static void test_pick_recompress(void) {
        const char *list = "lzo lzo-rle [lz4] zstd";

        ASSERT_STREQ(zram_age_pick_recompress(list, "auto", "lz4"), "zstd");
        /* Nothing stronger to take where zstd is the first. */
        ASSERT_TRUE(zram_age_pick_recompress("lzo [zstd]", "auto", "zstd") == NULL);
        ASSERT_TRUE(zram_age_pick_recompress("lzo [lz4]", "auto", "lz4") == NULL);
        ASSERT_STREQ(zram_age_pick_recompress(list, "lzo", "lz4"), "lzo");
        ASSERT_TRUE(zram_age_pick_recompress(list, "deflate", "lz4") == NULL);
        ASSERT_TRUE(zram_age_pick_recompress(list, "none", "lz4") == NULL);
        ASSERT_TRUE(zram_age_pick_recompress(NULL, "auto", "lz4") == NULL);
}

static void test_backing_refused(void) {
        char buf[128], path[] = "/tmp/wolfram-test-backing.XXXXXX";
        const char *why = NULL;
        int fd;

        ASSERT_ERRNO(zram_age_check_backing_device("/nonexistent/disk", buf, sizeof(buf), &why), -ENOENT);
        ASSERT_STREQ(why, "it cannot be opened");
        ASSERT_ERRNO(zram_age_check_backing_device("/dev/null", buf, sizeof(buf), &why), -ENOTBLK);
        ASSERT_STREQ(why, "it is not a block device");
        fd = mkstemp(path);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        ASSERT_ERRNO(zram_age_check_backing_device(path, buf, sizeof(buf), &why), -ENOTBLK);
        unlink(path);
}

static const TestCase cases[] = {
        { .name = "bd-stat", .func = test_bd_stat },
        { .name = "bd-stat-bad", .func = test_bd_stat_bad },
        { .name = "interval", .func = test_interval },
        { .name = "day-allowance", .func = test_day_allowance },
        { .name = "pick-recompress", .func = test_pick_recompress },
        { .name = "backing-refused", .func = test_backing_refused },
};

TEST_MAIN(cases)
