/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "test-util.h"

/* Writes 'size' bytes of 'c' to a new temporary file; returns its path. */
static char *make_file(size_t size, char c) {
        char *path = strdup("/tmp/wolfram-test-fileio-XXXXXX");
        char *data = malloc(size + 1);
        int fd;

        ASSERT_NOT_NULL(path);
        ASSERT_NOT_NULL(data);
        memset(data, c, size);
        fd = mkstemp(path);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(write(fd, data, size) == (ssize_t) size);
        close(fd);
        free(data);
        return path;
}

static void test_exact_limit(void) {
        char *path = make_file(READ_FULL_FILE_MAX, 'x'), *buf = NULL;
        size_t size = 0;

        ASSERT_OK(read_full_file(path, &buf, &size));
        ASSERT_EQ_U64(size, READ_FULL_FILE_MAX);
        ASSERT_TRUE(buf[0] == 'x' && buf[size - 1] == 'x' && buf[size] == 0);
        free(buf);
        unlink(path);
        free(path);
}

static void test_over_limit(void) {
        char *path = make_file(READ_FULL_FILE_MAX + 1, 'x'), *buf = NULL;
        size_t size = 0;

        ASSERT_ERRNO(read_full_file(path, &buf, &size), -EFBIG);
        ASSERT_NULL(buf);
        unlink(path);
        free(path);
}

static void test_empty_and_missing(void) {
        char *path = make_file(0, 0), *buf = NULL;
        size_t size = 1;

        ASSERT_OK(read_full_file(path, &buf, &size));
        ASSERT_EQ_U64(size, 0);
        ASSERT_STREQ(buf, "");
        free(buf);
        unlink(path);

        buf = NULL;
        ASSERT_ERRNO(read_full_file(path, &buf, &size), -ENOENT);
        ASSERT_NULL(buf);
        free(path);
}

static void test_u64_file(void) {
        char *path = make_file(3, '7');
        uint64_t v = 0;

        ASSERT_OK(read_u64_file(path, &v));
        ASSERT_EQ_U64(v, 777);
        unlink(path);
        free(path);

        path = make_file(3, 'z');
        ASSERT_ERRNO(read_u64_file(path, &v), -EBADMSG);
        ASSERT_EQ_U64(v, 777);
        unlink(path);
        free(path);
}

static const TestCase cases[] = {
        { .name = "exact-limit", .func = test_exact_limit },
        { .name = "over-limit", .func = test_over_limit },
        { .name = "empty-and-missing", .func = test_empty_and_missing },
        { .name = "u64-file", .func = test_u64_file },
};

TEST_MAIN(cases)
