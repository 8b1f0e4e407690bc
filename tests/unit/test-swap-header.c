/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/swap-header.h"
#include "test-tempdir.h"
#include "test-util.h"

/* The kernel's union swap_header, version 1: after 1024 boot bytes come
 * version, last_page, nr_badpages, the UUID and the label. */
#define OFFSET_VERSION 1024
#define OFFSET_LAST_PAGE 1028
#define OFFSET_NR_BADPAGES 1032
#define OFFSET_UUID 1036
#define OFFSET_LABEL 1052

#define DEVICE_PAGES 16

static const uint8_t fixed_uuid[16] = {
        0x3f, 0x2a, 0x91, 0x0c, 0x5e, 0x7d, 0x4b, 0x18, 0x8a, 0x03, 0xd4, 0xe6, 0x27, 0xb9, 0x50, 0xcf,
};

static size_t page_size(void) {
        long n = sysconf(_SC_PAGESIZE);

        if (n < 4096)
                TEST_FAIL("Unexpected page size %ld", n);
        return (size_t) n;
}

static uint8_t *page_new(void) {
        uint8_t *page = malloc(page_size());

        ASSERT_NOT_NULL(page);
        memset(page, 0xa5, page_size());
        return page;
}

static uint32_t get_u32(const uint8_t *page, size_t offset) {
        uint32_t v;

        /* Native byte order, as the kernel reads it. */
        memcpy(&v, page + offset, sizeof(v));
        return v;
}

static void format_uuid(const uint8_t uuid[16], char ret[static 37]) {
        size_t len = 0;

        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        ret[len++] = '-';
                len += (size_t) snprintf(ret + len, 37 - len, "%02x", uuid[i]);
        }
        ret[len] = 0;
}

/* The path of an external tool; its absence fails the case, since the
 * point is to check what the system's own tools make of the header. */
static char *tool_find(const char *name) {
        const char *path = getenv("PATH");
        char *search, *saveptr = NULL, *found = NULL;

        /* Unprivileged PATHs often lack the sbin directories. */
        if (asprintf(&search, "%s:/usr/sbin:/sbin", path && *path ? path : "/usr/bin:/bin") < 0)
                TEST_FAIL("%s", "Out of memory building the search path");
        for (char *dir = strtok_r(search, ":", &saveptr); dir; dir = strtok_r(NULL, ":", &saveptr)) {
                char *candidate;

                if (asprintf(&candidate, "%s/%s", dir, name) < 0)
                        TEST_FAIL("%s", "Out of memory building a path");
                if (access(candidate, X_OK) == 0) {
                        found = candidate;
                        break;
                }
                free(candidate);
        }
        free(search);
        if (!found)
                TEST_FAIL("%s is not installed (looked in $PATH, /usr/sbin and /sbin); it comes with "
                          "util-linux, "
                          "see tools/install-deps.sh",
                          name);
        return found;
}

/* Runs "TOOL ARGS 'FILE'" and returns its standard output; a non-zero exit
 * fails the case. */
static char *tool_run(const char *name, const char *args, const char *file) {
        char *tool = tool_find(name), *command, *out = NULL;
        size_t size = 0;
        FILE *p, *o;
        int status;

        ASSERT_TRUE(!strchr(file, '\''));
        if (asprintf(&command, "'%s' %s '%s' 2>&1", tool, args, file) < 0)
                TEST_FAIL("%s", "Out of memory building a command");
        p = popen(command, "re");
        if (!p)
                TEST_FAIL("Failed to run %s: %m", command);
        o = open_memstream(&out, &size);
        ASSERT_NOT_NULL(o);
        for (int c; (c = fgetc(p)) != EOF;)
                fputc(c, o);
        ASSERT_TRUE(fclose(o) == 0);
        status = pclose(p);
        if (status < 0)
                TEST_FAIL("Failed to wait for %s: %m", command);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                TEST_FAIL("%s failed (status %d), printing:\n%s", command, status, out);
        free(command);
        free(tool);
        return out;
}

/* The value of "KEY=" or "KEY: " on a line of 'text'; NULL when absent. */
static char *line_value(const char *text, const char *key, const char *separator) {
        size_t kl = strlen(key), sl = strlen(separator);

        for (const char *line = text; line && *line;
             line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, key, kl) == 0 && strncmp(line + kl, separator, sl) == 0) {
                        const char *v = line + kl + sl;

                        v += strspn(v, " ");
                        return strndup(v, strcspn(v, "\n"));
                }
        return NULL;
}

#define ASSERT_LINE(text, key, separator, expected)                                   \
        do {                                                                          \
                char *_v_ = line_value((text), (key), (separator));                   \
                if (!_v_)                                                             \
                        TEST_FAIL("No \"%s%s\" in:\n%s", (key), (separator), (text)); \
                ASSERT_STREQ(_v_, (expected));                                        \
                free(_v_);                                                            \
        } while (0)

/* Writes a header for a DEVICE_PAGES device, the rest zeros, to a file of
 * exactly that size in 'dir'; returns its path. */
static char *device_file_new(const char *dir, const uint8_t uuid[16], const char *label) {
        size_t size = DEVICE_PAGES * page_size();
        uint8_t *device = calloc(1, size);
        char *path;

        ASSERT_NOT_NULL(device);
        ASSERT_OK(swap_header_build(device, page_size(), size, uuid, label));
        tempdir_write(dir, "swap.img", device, size);
        path = tempdir_path(dir, "swap.img");
        free(device);
        return path;
}

static void test_blkid(void) {
        char *dir = tempdir_new(), *path, *out, uuid_text[37];

        format_uuid(fixed_uuid, uuid_text);
        ASSERT_STREQ(uuid_text, "3f2a910c-5e7d-4b18-8a03-d4e627b950cf");
        path = device_file_new(dir, fixed_uuid, "wolfram");

        /* -p probes the file itself, not the blkid cache. */
        out = tool_run("blkid", "-p -o export", path);
        ASSERT_LINE(out, "TYPE", "=", "swap");
        ASSERT_LINE(out, "UUID", "=", uuid_text);
        ASSERT_LINE(out, "LABEL", "=", "wolfram");
        ASSERT_LINE(out, "VERSION", "=", "1");
        free(out);

        free(path);
        tempdir_remove(dir);
}

static void test_swaplabel(void) {
        char *dir = tempdir_new(), *path, *out, uuid_text[37];
        uint8_t uuid[16];

        ASSERT_OK(swap_uuid_random(uuid));
        format_uuid(uuid, uuid_text);
        path = device_file_new(dir, uuid, "wolfram");

        out = tool_run("swaplabel", "", path);
        ASSERT_LINE(out, "LABEL", ":", "wolfram");
        ASSERT_LINE(out, "UUID", ":", uuid_text);
        free(out);

        free(path);
        tempdir_remove(dir);
}

static void test_layout(void) {
        size_t ps = page_size();
        uint8_t *page = page_new();

        ASSERT_OK(swap_header_build(page, ps, DEVICE_PAGES * ps, fixed_uuid, "wolfram"));
        /* The boot bytes stay zero. */
        for (size_t i = 0; i < OFFSET_VERSION; i++)
                ASSERT_EQ_U64(page[i], 0);
        ASSERT_EQ_U64(get_u32(page, OFFSET_VERSION), 1);
        ASSERT_EQ_U64(get_u32(page, OFFSET_LAST_PAGE), DEVICE_PAGES - 1);
        ASSERT_EQ_U64(get_u32(page, OFFSET_NR_BADPAGES), 0);
        ASSERT_MEMEQ(page + OFFSET_UUID, fixed_uuid, 16);
        ASSERT_MEMEQ(page + OFFSET_LABEL, "wolfram", 8);
        for (size_t i = OFFSET_LABEL + 8; i < ps - 10; i++)
                ASSERT_EQ_U64(page[i], 0);
        ASSERT_MEMEQ(page + ps - 10, "SWAPSPACE2", 10);
        free(page);
}

static void test_partial_page(void) {
        size_t ps = page_size();
        uint8_t *page = page_new();

        /* A tail shorter than a page is not usable. */
        ASSERT_OK(swap_header_build(page, ps, 10 * ps + ps - 1, fixed_uuid, NULL));
        ASSERT_EQ_U64(get_u32(page, OFFSET_LAST_PAGE), 9);
        free(page);
}

static void test_too_few_pages(void) {
        size_t ps = page_size();
        uint8_t *page = page_new(), *untouched = page_new();

        ASSERT_ERRNO(swap_header_build(page, ps, 9 * ps, fixed_uuid, "wolfram"), -EINVAL);
        ASSERT_ERRNO(swap_header_build(page, ps, 10 * ps - 1, fixed_uuid, "wolfram"), -EINVAL);
        ASSERT_ERRNO(swap_header_build(page, ps, 0, fixed_uuid, "wolfram"), -EINVAL);
        ASSERT_MEMEQ(page, untouched, ps);
        ASSERT_OK(swap_header_build(page, ps, 10 * ps, fixed_uuid, "wolfram"));
        ASSERT_EQ_U64(get_u32(page, OFFSET_LAST_PAGE), 9);
        free(untouched);
        free(page);
}

static void test_too_many_pages(void) {
        size_t ps = page_size();
        uint8_t *page = page_new(), *untouched = page_new();

        /* last_page is 32 bits wide. */
        ASSERT_ERRNO(swap_header_build(page, ps, (UINT64_C(1) << 32) * ps + ps, fixed_uuid, NULL), -EINVAL);
        ASSERT_MEMEQ(page, untouched, ps);
        ASSERT_OK(swap_header_build(page, ps, (UINT64_C(1) << 32) * ps, fixed_uuid, NULL));
        ASSERT_EQ_U64(get_u32(page, OFFSET_LAST_PAGE), UINT32_MAX);
        free(untouched);
        free(page);
}

static void test_label_too_long(void) {
        size_t ps = page_size();
        uint8_t *page = page_new(), *untouched = page_new();

        /* The label field is 16 bytes and must keep its terminating NUL. */
        ASSERT_ERRNO(swap_header_build(page, ps, DEVICE_PAGES * ps, fixed_uuid, "0123456789abcdef"),
                     -EINVAL);
        ASSERT_ERRNO(swap_header_build(page, ps, DEVICE_PAGES * ps, fixed_uuid, "0123456789abcdefghij"),
                     -EINVAL);
        ASSERT_MEMEQ(page, untouched, ps);
        ASSERT_OK(swap_header_build(page, ps, DEVICE_PAGES * ps, fixed_uuid, "0123456789abcde"));
        ASSERT_MEMEQ(page + OFFSET_LABEL, "0123456789abcde", 16);
        free(untouched);
        free(page);
}

static void test_no_label(void) {
        size_t ps = page_size();
        uint8_t *page = page_new();
        static const uint8_t zeros[16] = {};

        ASSERT_OK(swap_header_build(page, ps, DEVICE_PAGES * ps, fixed_uuid, NULL));
        ASSERT_MEMEQ(page + OFFSET_LABEL, zeros, 16);
        ASSERT_EQ_U64(get_u32(page, OFFSET_VERSION), 1);
        ASSERT_MEMEQ(page + ps - 10, "SWAPSPACE2", 10);
        free(page);
}

static void test_uuid_random(void) {
        uint8_t a[16], b[16];

        ASSERT_OK(swap_uuid_random(a));
        ASSERT_OK(swap_uuid_random(b));
        ASSERT_TRUE(memcmp(a, b, 16) != 0);
        for (const uint8_t *u = a; u; u = u == a ? b : NULL) {
                ASSERT_EQ_U64(u[6] >> 4, 4); /* version 4: random */
                ASSERT_EQ_U64(u[8] >> 6, UINT64_C(2)); /* variant 10: RFC 4122 */
        }
}

/* What the engine writes, it reads back: the label and UUID it adopts by. */
static void test_parse_round_trip(void) {
        uint8_t *page = page_new(), uuid[16];
        char label[SWAP_LABEL_MAX];

        ASSERT_OK(swap_header_build(page, page_size(), DEVICE_PAGES * page_size(), fixed_uuid, "wolfram"));
        ASSERT_OK(swap_header_parse(page, page_size(), label, uuid));
        ASSERT_STREQ(label, "wolfram");
        ASSERT_MEMEQ(uuid, fixed_uuid, 16);
        /* Fifteen bytes, the most a label has with its NUL. */
        ASSERT_OK(swap_header_build(page, page_size(), DEVICE_PAGES * page_size(), fixed_uuid,
                                    "123456789012345"));
        ASSERT_OK(swap_header_parse(page, page_size(), label, uuid));
        ASSERT_STREQ(label, "123456789012345");
        free(page);
}

/* A header made by mkswap, with another label: read as mkswap wrote it. */
static void test_parse_mkswap(void) {
        char *dir = tempdir_new(), *path, *out, label[SWAP_LABEL_MAX], *buf;
        uint8_t uuid[16];

        path = device_file_new(dir, fixed_uuid, NULL);
        out = tool_run("mkswap", "-L zram-generator -U 3f2a910c-5e7d-4b18-8a03-d4e627b950cf", path);
        buf = tempdir_read(dir, "swap.img");
        ASSERT_OK(swap_header_parse(buf, page_size(), label, uuid));
        ASSERT_STREQ(label, "zram-generator");
        ASSERT_MEMEQ(uuid, fixed_uuid, 16);
        free(buf);
        free(out);
        free(path);
        tempdir_remove(dir);
}

/* Not a swap header: refused, nothing read from it. */
static void test_parse_refused(void) {
        uint8_t *page = page_new(), uuid[16];
        char label[SWAP_LABEL_MAX];
        uint32_t two = 2;

        ASSERT_ERRNO(swap_header_parse(page, page_size(), label, uuid), -EBADMSG);
        ASSERT_OK(swap_header_build(page, page_size(), DEVICE_PAGES * page_size(), fixed_uuid, "wolfram"));
        ASSERT_ERRNO(swap_header_parse(page, 2048, label, uuid), -EINVAL);
        /* Version 2 is not one the kernel knows. */
        memcpy(page + OFFSET_VERSION, &two, sizeof(two));
        ASSERT_ERRNO(swap_header_parse(page, page_size(), label, uuid), -EBADMSG);
        /* A label filling all 16 bytes is cut to 15, never read past. */
        ASSERT_OK(swap_header_build(page, page_size(), DEVICE_PAGES * page_size(), fixed_uuid, NULL));
        memcpy(page + OFFSET_LABEL, "0123456789abcdef", 16);
        ASSERT_OK(swap_header_parse(page, page_size(), label, uuid));
        ASSERT_STREQ(label, "0123456789abcde");
        free(page);
}

static const TestCase cases[] = {
        { .name = "parse-round-trip", .func = test_parse_round_trip },
        { .name = "parse-mkswap", .func = test_parse_mkswap },
        { .name = "parse-refused", .func = test_parse_refused },
        { .name = "blkid", .func = test_blkid },
        { .name = "swaplabel", .func = test_swaplabel },
        { .name = "layout", .func = test_layout },
        { .name = "partial-page", .func = test_partial_page },
        { .name = "too-few-pages", .func = test_too_few_pages },
        { .name = "too-many-pages", .func = test_too_many_pages },
        { .name = "label-too-long", .func = test_label_too_long },
        { .name = "no-label", .func = test_no_label },
        { .name = "uuid-random", .func = test_uuid_random },
};

TEST_MAIN(cases)
