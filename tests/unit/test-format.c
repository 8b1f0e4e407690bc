/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "ctl/format.h"
#include "test-util.h"

static void check_bytes(uint64_t bytes, const char *expected) {
        char buf[32];

        memset(buf, 'x', sizeof(buf));
        ASSERT_TRUE(format_bytes(buf, sizeof(buf), bytes) == buf);
        ASSERT_STREQ(buf, expected);
}

static void test_bytes(void) {
        check_bytes(0, "0 B");
        check_bytes(1, "1 B");
        check_bytes(512, "512 B");
        check_bytes(1023, "1023 B");
        /* The unit is chosen after rounding. */
        check_bytes(1048575, "1.0 MiB");
        check_bytes(1073741823, "1.0 GiB");
}

static void test_kib(void) {
        check_bytes(1024, "1.0 KiB");
        check_bytes(1536, "1.5 KiB");
        check_bytes(10 * 1024 + 102, "10.1 KiB");
        check_bytes(1000 * 1024, "1000.0 KiB");
}

static void test_larger_units(void) {
        check_bytes(UINT64_C(1) << 20, "1.0 MiB");
        check_bytes(UINT64_C(1) << 30, "1.0 GiB");
        check_bytes(UINT64_C(25276502016), "23.5 GiB");
        check_bytes(UINT64_C(8589934592), "8.0 GiB");
        check_bytes(UINT64_C(1) << 40, "1.0 TiB");
        check_bytes(UINT64_C(1) << 50, "1.0 PiB");
        check_bytes(UINT64_C(1) << 60, "1.0 EiB");
}

static void test_max(void) {
        /* EiB is the last unit: 16 of them, not 0.0 of a unit beyond. */
        check_bytes(UINT64_MAX, "16.0 EiB");
}

static void test_small_buffer(void) {
        char buf[5];

        /* Cut short, but always terminated within the given size. */
        memset(buf, 'x', sizeof(buf));
        ASSERT_TRUE(format_bytes(buf, 4, 1536) == buf);
        ASSERT_STREQ(buf, "1.5");
        ASSERT_TRUE(buf[4] == 'x');

        memset(buf, 'x', sizeof(buf));
        format_bytes(buf, 4, 1023);
        ASSERT_STREQ(buf, "102");
        ASSERT_TRUE(buf[4] == 'x');
}

static const TestCase cases[] = {
        { .name = "bytes", .func = test_bytes },
        { .name = "kib", .func = test_kib },
        { .name = "larger-units", .func = test_larger_units },
        { .name = "max", .func = test_max },
        { .name = "small-buffer", .func = test_small_buffer },
};

TEST_MAIN(cases)
