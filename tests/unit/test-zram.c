/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "kernel/zram.h"
#include "test-root.h"
#include "test-util.h"

static void check_parse_fails(const char *buf, size_t len, int expected) {
        ZramMmStat s, untouched;

        memset(&s, 0xa5, sizeof(s));
        untouched = s;
        ASSERT_ERRNO(zram_mm_stat_parse(buf, len, &s), expected);
        ASSERT_MEMEQ(&s, &untouched, sizeof(s));
}

#define CHECK_PARSE_FAILS(str, expected) check_parse_fails((str), sizeof(str) - 1, (expected))

#define PARSE(str, s) zram_mm_stat_parse((str), sizeof(str) - 1, (s))

static void check_first_seven(const ZramMmStat *s) {
        ASSERT_EQ_U64(s->orig_data_bytes, UINT64_C(1035993088));
        ASSERT_EQ_U64(s->compr_data_bytes, UINT64_C(310378496));
        ASSERT_EQ_U64(s->mem_used_total_bytes, UINT64_C(321912832));
        ASSERT_EQ_U64(s->mem_limit_bytes, 0);
        ASSERT_EQ_U64(s->mem_used_max_bytes, UINT64_C(335544320));
        ASSERT_EQ_U64(s->same_pages, 9412);
        ASSERT_EQ_U64(s->pages_compacted, 1187);
}

static void test_nine_fields(void) {
        ZramMmStat s;

        /* 6.x: "%8llu %8llu %8llu %8lu %8ld %8llu %8lu %8llu %8llu\n". */
        ASSERT_OK(PARSE(
                "1035993088 310378496 321912832        0 335544320     9412     1187       53      210\n",
                &s));
        check_first_seven(&s);
        ASSERT_EQ_U64(s.huge_pages, 53);
        ASSERT_EQ_U64(s.huge_pages_since, 210);
        ASSERT_EQ_INT((int) s.n_fields, 9);
}

static void test_eight_fields(void) {
        ZramMmStat s;

        /* A nine-field line first, so that a field left over from it would show. */
        ASSERT_OK(PARSE("1 2 3 4 5 6 7 777 999\n", &s));
        memset(&s, 0xa5, sizeof(s));
        ASSERT_OK(
                PARSE("1035993088 310378496 321912832        0 335544320     9412     1187       53\n", &s));
        check_first_seven(&s);
        ASSERT_EQ_U64(s.huge_pages, 53);
        ASSERT_EQ_U64(s.huge_pages_since, 0);
        ASSERT_EQ_INT((int) s.n_fields, 8);
}

static void test_seven_fields(void) {
        ZramMmStat s;

        ASSERT_OK(PARSE("1 2 3 4 5 6 7 777 999\n", &s));
        memset(&s, 0xa5, sizeof(s));
        ASSERT_OK(PARSE("1035993088 310378496 321912832        0 335544320     9412     1187\n", &s));
        check_first_seven(&s);
        ASSERT_EQ_U64(s.huge_pages, 0);
        ASSERT_EQ_U64(s.huge_pages_since, 0);
        ASSERT_EQ_INT((int) s.n_fields, 7);
}

static void test_idle_device(void) {
        ZramMmStat s;

        /* A freshly reset device on 6.18, as read from this machine. */
        memset(&s, 0xa5, sizeof(s));
        ASSERT_OK(PARSE("       0        0        0        0        0        0        0        0        0\n",
                        &s));
        ASSERT_EQ_U64(s.orig_data_bytes, 0);
        ASSERT_EQ_U64(s.mem_used_max_bytes, 0);
        ASSERT_EQ_U64(s.huge_pages_since, 0);
        ASSERT_EQ_INT((int) s.n_fields, 9);
}

static void test_no_newline(void) {
        ZramMmStat s;

        ASSERT_OK(PARSE("1 2 3 4 5 6 7 8 18446744073709551615", &s));
        ASSERT_EQ_U64(s.orig_data_bytes, 1);
        ASSERT_EQ_U64(s.pages_compacted, 7);
        ASSERT_EQ_U64(s.huge_pages_since, UINT64_MAX);
}

static void test_six_fields(void) {
        CHECK_PARSE_FAILS("1035993088 310378496 321912832        0 335544320     9412\n", -EBADMSG);
}

static void test_ten_fields(void) {
        /* A later kernel's extra field: read the nine we know. */
        ZramMmStat s;

        ASSERT_OK(
                PARSE("1035993088 310378496 321912832        0 335544320     9412     1187       53      210"
                      "        1\n",
                      &s));
        ASSERT_EQ_U64(s.n_fields, 10);
        ASSERT_EQ_U64(s.orig_data_bytes, 1035993088);
        ASSERT_EQ_U64(s.huge_pages_since, 210);
        /* Still numbers, and not without end. */
        CHECK_PARSE_FAILS("1 2 3 4 5 6 7 8 9 x\n", -EBADMSG);
        char many[512] = "";
        for (int i = 0; i < 65; i++)
                strcat(many, "1 ");
        ASSERT_ERRNO(zram_mm_stat_parse(many, strlen(many), &s), -EBADMSG);
}

static void test_not_numbers(void) {
        CHECK_PARSE_FAILS("1035993088 310378496 abc 0 335544320 9412 1187 53 210\n", -EBADMSG);
        CHECK_PARSE_FAILS("1035993088 310378496 321912832 -1 335544320 9412 1187 53 210\n", -EBADMSG);
        CHECK_PARSE_FAILS("1035993088 310378496 321912832 0 335544320 9412 1187 53 210x\n", -EBADMSG);
        CHECK_PARSE_FAILS("1035993088 310378496 321912832 0 335544320 9412 1.5\n", -EBADMSG);
        /* A sysfs error text instead of numbers. */
        CHECK_PARSE_FAILS("Device or resource busy\n", -EBADMSG);
}

static void test_two_lines(void) {
        CHECK_PARSE_FAILS("1 2 3 4 5 6 7 8 9\n1 2 3 4 5 6 7 8 9\n", -EBADMSG);
        /* Split across lines, seven fields in all. */
        CHECK_PARSE_FAILS("1 2 3 4\n5 6 7\n", -EBADMSG);
        CHECK_PARSE_FAILS("1 2 3 4 5 6 7 8 9\n\n", -EBADMSG);
        CHECK_PARSE_FAILS("\n1 2 3 4 5 6 7 8 9", -EBADMSG);
}

static void test_empty(void) {
        CHECK_PARSE_FAILS("", -EBADMSG);
        CHECK_PARSE_FAILS("\n", -EBADMSG);
        CHECK_PARSE_FAILS("        \n", -EBADMSG);
}

static void test_overflow(void) {
        CHECK_PARSE_FAILS("18446744073709551616 2 3 4 5 6 7 8 9\n", -ERANGE);
}

static void test_list_sorted(void) {
        ZramDevice *d = NULL;
        size_t n = 99;

        /* zram0, zram2 and zram10; zram3 vanished after readdir; "zram",
         * "zramfoo" and nvme0n1 are no zram devices. */
        fixture_root_use("zram-many");
        ASSERT_OK(zram_list_devices(&d, &n));
        ASSERT_EQ_U64(n, 3);
        ASSERT_NOT_NULL(d);

        ASSERT_EQ_INT((int) d[0].id, 0);
        ASSERT_STREQ(d[0].name, "zram0");
        ASSERT_EQ_U64(d[0].disksize_bytes, 0);
        ASSERT_EQ_INT((int) d[0].mm.n_fields, 9);

        ASSERT_EQ_INT((int) d[1].id, 2);
        ASSERT_STREQ(d[1].name, "zram2");
        ASSERT_EQ_U64(d[1].disksize_bytes, UINT64_C(2147483648));
        ASSERT_EQ_U64(d[1].mm.orig_data_bytes, 4096);
        ASSERT_EQ_U64(d[1].mm.compr_data_bytes, 60);

        ASSERT_EQ_INT((int) d[2].id, 10);
        ASSERT_STREQ(d[2].name, "zram10");
        ASSERT_EQ_U64(d[2].disksize_bytes, UINT64_C(1073741824));
        ASSERT_EQ_U64(d[2].mm.orig_data_bytes, 8192);
        ASSERT_EQ_U64(d[2].mm.same_pages, 1);

        free(d);
        fixture_root_reset();
}

static void test_list_none(void) {
        ZramDevice *d = (ZramDevice *) 0x1;
        size_t n = 99;

        /* No /sys/block at all. */
        fixture_root_use("bare");
        ASSERT_OK(zram_list_devices(&d, &n));
        ASSERT_EQ_U64(n, 0);
        ASSERT_NULL(d);
        fixture_root_reset();
}

static void test_list_bad_mm_stat(void) {
        ZramDevice *d = (ZramDevice *) 0x1;
        size_t n = 99;

        /* zram1's mm_stat has three fields: an error, not a missing device. */
        fixture_root_use("zram-bad-mm-stat");
        ASSERT_ERRNO(zram_list_devices(&d, &n), -EBADMSG);
        ASSERT_TRUE(d == (ZramDevice *) 0x1);
        ASSERT_EQ_U64(n, 99);
        fixture_root_reset();
}

static const TestCase cases[] = {
        { .name = "nine-fields", .func = test_nine_fields },
        { .name = "eight-fields", .func = test_eight_fields },
        { .name = "seven-fields", .func = test_seven_fields },
        { .name = "idle-device", .func = test_idle_device },
        { .name = "no-newline", .func = test_no_newline },
        { .name = "six-fields", .func = test_six_fields },
        { .name = "ten-fields", .func = test_ten_fields },
        { .name = "not-numbers", .func = test_not_numbers },
        { .name = "two-lines", .func = test_two_lines },
        { .name = "empty", .func = test_empty },
        { .name = "overflow", .func = test_overflow },
        { .name = "list-sorted", .func = test_list_sorted },
        { .name = "list-none", .func = test_list_none },
        { .name = "list-bad-mm-stat", .func = test_list_bad_mm_stat },
};

TEST_MAIN(cases)
