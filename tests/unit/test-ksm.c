/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "kernel/ksm.h"
#include "test-root.h"
#include "test-util.h"

static void check_read_fails(const char *root, int expected) {
        KsmCounters c, untouched;

        fixture_root_use(root);
        memset(&c, 0xa5, sizeof(c));
        untouched = c;
        ASSERT_ERRNO(ksm_read_counters(&c), expected);
        ASSERT_MEMEQ(&c, &untouched, sizeof(c));
        fixture_root_reset();
}

static void test_full(void) {
        KsmCounters c;

        fixture_root_use("full");
        memset(&c, 0xa5, sizeof(c));
        ASSERT_OK(ksm_read_counters(&c));
        ASSERT_EQ_U64(c.pages_shared, 1523);
        ASSERT_EQ_U64(c.pages_sharing, 9876);
        ASSERT_EQ_U64(c.pages_unshared, 40321);
        ASSERT_EQ_U64(c.pages_volatile, 211);
        ASSERT_EQ_U64(c.full_scans, 17);
        ASSERT_TRUE(c.has_ksm_zero_pages);
        ASSERT_EQ_U64(c.ksm_zero_pages, 64);
        ASSERT_TRUE(c.has_general_profit);
        ASSERT_EQ_I64(c.general_profit, 39845888);
        fixture_root_reset();
}

static void test_older_kernel(void) {
        KsmCounters c;

        /* 5.15: neither ksm_zero_pages (6.1) nor general_profit (6.4). */
        fixture_root_use("ksm-5.15");
        memset(&c, 0xa5, sizeof(c));
        ASSERT_OK(ksm_read_counters(&c));
        ASSERT_EQ_U64(c.pages_shared, 12);
        ASSERT_EQ_U64(c.pages_sharing, 345);
        ASSERT_EQ_U64(c.pages_unshared, 6789);
        ASSERT_EQ_U64(c.pages_volatile, 10);
        ASSERT_EQ_U64(c.full_scans, 3);
        ASSERT_FALSE(c.has_ksm_zero_pages);
        ASSERT_FALSE(c.has_general_profit);
        ASSERT_EQ_U64(c.ksm_zero_pages, 0);
        ASSERT_EQ_I64(c.general_profit, 0);
        fixture_root_reset();
}

static void test_negative_profit(void) {
        KsmCounters c;

        fixture_root_use("ksm-negative-profit");
        ASSERT_OK(ksm_read_counters(&c));
        ASSERT_TRUE(c.has_general_profit);
        ASSERT_EQ_I64(c.general_profit, -3335296);
        ASSERT_EQ_U64(c.pages_sharing, 0);
        ASSERT_EQ_U64(c.pages_unshared, 52113);
        ASSERT_TRUE(c.has_ksm_zero_pages);
        ASSERT_EQ_U64(c.ksm_zero_pages, 0);
        fixture_root_reset();
}

static void test_garbage(void) {
        /* pages_volatile holds "4x". */
        check_read_fails("ksm-garbage", -EBADMSG);
}

static void test_garbage_optional(void) {
        /* A counter that is optional is still refused when it is there but
         * unreadable: "--8192" and an empty line. */
        check_read_fails("ksm-garbage-profit", -EBADMSG);
        check_read_fails("ksm-garbage-zero-pages", -EBADMSG);
}

static void test_no_ksm(void) {
        /* A kernel built without CONFIG_KSM has no /sys/kernel/mm/ksm. */
        check_read_fails("bare", -ENOENT);
}

static const TestCase cases[] = {
        { .name = "full", .func = test_full },
        { .name = "older-kernel", .func = test_older_kernel },
        { .name = "negative-profit", .func = test_negative_profit },
        { .name = "garbage", .func = test_garbage },
        { .name = "garbage-optional", .func = test_garbage_optional },
        { .name = "no-ksm", .func = test_no_ksm },
};

TEST_MAIN(cases)
