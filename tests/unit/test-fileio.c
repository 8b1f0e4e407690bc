/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
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

/* What read_file_chunked() handed over: the bytes add up, each chunk at
 * most the size asked for, and the order kept (every byte is its offset
 * modulo 251). */
typedef struct Chunks {
        size_t chunk_size;
        size_t total, calls, largest;
        size_t stop_after; /* fail the call after this many, or 0 */
} Chunks;

static int consume_chunk(const char *buf, size_t len, void *userdata) {
        Chunks *c = userdata;

        for (size_t i = 0; i < len; i++)
                if ((unsigned char) buf[i] != (c->total + i) % 251)
                        TEST_FAIL("byte %zu is %u, expected %zu", c->total + i, (unsigned char) buf[i],
                                  (c->total + i) % 251);
        c->total += len;
        c->calls++;
        c->largest = len > c->largest ? len : c->largest;
        if (c->stop_after && c->calls == c->stop_after)
                return -ECANCELED;
        return 0;
}

static void test_chunked(void) {
        /* Larger than read_full_file() takes: nothing limits a chunked read. */
        size_t size = READ_FULL_FILE_MAX + 12345;
        char *path = make_file(size, 0);
        unsigned char *data = malloc(size);
        Chunks c = { .chunk_size = 65536 };
        int fd;

        ASSERT_NOT_NULL(data);
        for (size_t i = 0; i < size; i++)
                data[i] = (unsigned char) (i % 251);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        ASSERT_TRUE(fd >= 0);
        ASSERT_TRUE(write(fd, data, size) == (ssize_t) size);
        close(fd);
        free(data);

        ASSERT_OK(read_file_chunked(path, c.chunk_size, consume_chunk, &c));
        ASSERT_EQ_U64(c.total, size);
        ASSERT_EQ_U64(c.largest, 65536);
        ASSERT_TRUE(c.calls >= size / 65536 + 1);

        /* An odd chunk size, then one that stops the read. */
        c = (Chunks){ .chunk_size = 4093 };
        ASSERT_OK(read_file_chunked(path, c.chunk_size, consume_chunk, &c));
        ASSERT_EQ_U64(c.total, size);
        ASSERT_EQ_U64(c.largest, 4093);
        c = (Chunks){ .chunk_size = 4096, .stop_after = 3 };
        ASSERT_ERRNO(read_file_chunked(path, c.chunk_size, consume_chunk, &c), -ECANCELED);
        ASSERT_EQ_U64(c.calls, 3);
        ASSERT_EQ_U64(c.total, 3 * 4096);
        unlink(path);

        /* Missing: the error of open(), nothing consumed. */
        c = (Chunks){ .chunk_size = 4096 };
        ASSERT_ERRNO(read_file_chunked(path, c.chunk_size, consume_chunk, &c), -ENOENT);
        ASSERT_EQ_U64(c.calls, 0);
        free(path);

        /* Empty: no call at all. */
        path = make_file(0, 0);
        ASSERT_OK(read_file_chunked(path, 4096, consume_chunk, &c));
        ASSERT_EQ_U64(c.calls, 0);
        unlink(path);
        free(path);
}

static const TestCase cases[] = {
        { .name = "exact-limit", .func = test_exact_limit },
        { .name = "over-limit", .func = test_over_limit },
        { .name = "empty-and-missing", .func = test_empty_and_missing },
        { .name = "u64-file", .func = test_u64_file },
        { .name = "chunked", .func = test_chunked },
};

TEST_MAIN(cases)
