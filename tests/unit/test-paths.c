/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "common/paths.h"
#include "test-util.h"

static void check_root_path(const char *path, const char *expected) {
        char *s = root_path(path);

        ASSERT_STREQ(s, expected);
        free(s);
}

static void test_real_root(void) {
        ASSERT_STREQ(root_prefix(), "");
        check_root_path("/sys/kernel/mm/ksm/pages_shared", "/sys/kernel/mm/ksm/pages_shared");

        ASSERT_OK(root_set_prefix("/srv/root"));
        ASSERT_OK(root_set_prefix(NULL));
        ASSERT_STREQ(root_prefix(), "");
        check_root_path("/proc/meminfo", "/proc/meminfo");

        ASSERT_OK(root_set_prefix("/srv/root"));
        ASSERT_OK(root_set_prefix(""));
        ASSERT_STREQ(root_prefix(), "");
}

static void test_prefix(void) {
        ASSERT_OK(root_set_prefix("/srv/root"));
        ASSERT_STREQ(root_prefix(), "/srv/root");
        check_root_path("/proc/meminfo", "/srv/root/proc/meminfo");

        /* Trailing slashes go. */
        ASSERT_OK(root_set_prefix("/srv/root///"));
        ASSERT_STREQ(root_prefix(), "/srv/root");
        check_root_path("/proc/swaps", "/srv/root/proc/swaps");

        ASSERT_OK(root_set_prefix(NULL));
}

static void test_relative_refused(void) {
        ASSERT_OK(root_set_prefix("/srv/root"));
        ASSERT_ERRNO(root_set_prefix("srv/root"), -EINVAL);
        ASSERT_ERRNO(root_set_prefix("./root"), -EINVAL);
        /* A refused prefix leaves the one before in place. */
        ASSERT_STREQ(root_prefix(), "/srv/root");
        ASSERT_OK(root_set_prefix(NULL));
}

static const TestCase cases[] = {
        { .name = "real-root", .func = test_real_root },
        { .name = "prefix", .func = test_prefix },
        { .name = "relative-refused", .func = test_relative_refused },
};

TEST_MAIN(cases)
