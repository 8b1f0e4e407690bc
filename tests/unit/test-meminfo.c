/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "kernel/meminfo.h"
#include "test-root.h"
#include "test-util.h"

/* The figures of fixtures/meminfo/real-6.18.txt, in kB as the file has them. */
#define REAL_TOTAL_KIB UINT64_C(24684084)
#define REAL_FREE_KIB UINT64_C(24307780)
#define REAL_AVAILABLE_KIB UINT64_C(24360348)

static const char *const required_keys[] = { "MemTotal", "MemFree", "MemAvailable", "SwapTotal",
                                             "SwapFree" };

static void check_real_figures(const MemInfo *m) {
        ASSERT_EQ_U64(m->total_bytes, REAL_TOTAL_KIB * 1024);
        ASSERT_EQ_U64(m->free_bytes, REAL_FREE_KIB * 1024);
        ASSERT_EQ_U64(m->available_bytes, REAL_AVAILABLE_KIB * 1024);
        ASSERT_EQ_U64(m->swap_total_bytes, 0);
        ASSERT_EQ_U64(m->swap_free_bytes, 0);
}

/* Parses 'len' bytes of 'buf', expects 'expected', and checks that a failure
 * left the output as it was. */
static void check_parse_fails(const char *buf, size_t len, int expected) {
        MemInfo m, untouched;

        memset(&m, 0xa5, sizeof(m));
        untouched = m;
        ASSERT_ERRNO(meminfo_parse(buf, len, &m), expected);
        ASSERT_MEMEQ(&m, &untouched, sizeof(m));
}

static void check_fixture_fails(const char *rel, int expected) {
        char *buf;
        size_t size;

        buf = fixture_read(rel, &size);
        check_parse_fails(buf, size, expected);
        free(buf);
}

/* Returns a copy of 'text' where the line starting with "key:" is replaced by
 * 'replacement' (which brings its own newline), or dropped when NULL. */
static char *replace_line(const char *text, const char *key, const char *replacement, size_t *ret_len) {
        size_t key_len = strlen(key), n = 0;
        char *out = malloc(strlen(text) + (replacement ? strlen(replacement) : 0) + 1);
        bool found = false;

        ASSERT_NOT_NULL(out);
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t line_len = nl ? (size_t) (nl - p) + 1 : strlen(p);

                if (!found && strncmp(p, key, key_len) == 0 && p[key_len] == ':') {
                        found = true;
                        if (replacement) {
                                memcpy(out + n, replacement, strlen(replacement));
                                n += strlen(replacement);
                        }
                } else {
                        memcpy(out + n, p, line_len);
                        n += line_len;
                }
                p += line_len;
        }
        ASSERT_TRUE(found);
        out[n] = 0;
        *ret_len = n;
        return out;
}

static void test_real(void) {
        MemInfo m;
        char *buf;
        size_t size;

        buf = fixture_read("meminfo/real-6.18.txt", &size);
        ASSERT_TRUE(size > 1500); /* the whole file, not a trimmed one */
        ASSERT_OK(meminfo_parse(buf, size, &m));
        check_real_figures(&m);

        /* Without its final newline the last line still counts. */
        memset(&m, 0, sizeof(m));
        ASSERT_OK(meminfo_parse(buf, size - 1, &m));
        check_real_figures(&m);
        free(buf);
}

static void test_each_field_required(void) {
        char *real;
        size_t size;

        real = fixture_read("meminfo/real-6.18.txt", &size);
        for (size_t i = 0; i < sizeof(required_keys) / sizeof(required_keys[0]); i++) {
                char *text = replace_line(real, required_keys[i], NULL, &size);

                check_parse_fails(text, size, -EBADMSG);
                free(text);
        }
        free(real);
}

static void test_missing_memavailable(void) {
        check_fixture_fails("meminfo/missing-memavailable.txt", -EBADMSG);
}

static void test_duplicate_memtotal(void) {
        check_fixture_fails("meminfo/duplicate-memtotal.txt", -EBADMSG);
}

static void test_unit_mb(void) {
        check_fixture_fails("meminfo/unit-mb.txt", -EBADMSG);
}

static void test_overflow_value(void) {
        check_fixture_fails("meminfo/overflow-value.txt", -ERANGE);
}

static void test_overflow_bytes(void) {
        check_fixture_fails("meminfo/overflow-bytes.txt", -ERANGE);
}

static void test_largest_value(void) {
        MemInfo m;
        char *buf;
        size_t size;

        buf = fixture_read("meminfo/largest-value.txt", &size);
        ASSERT_OK(meminfo_parse(buf, size, &m));
        ASSERT_EQ_U64(m.swap_total_bytes, UINT64_MAX - 1023);
        ASSERT_EQ_U64(m.total_bytes, REAL_TOTAL_KIB * 1024);
        free(buf);
}

static void test_trailing_garbage(void) {
        check_fixture_fails("meminfo/trailing-garbage.txt", -EBADMSG);
}

static void test_bad_values(void) {
        static const char *const bad[] = {
                "MemFree:        24307780\n", /* no unit */
                "MemFree:\n", /* nothing */
                "MemFree:        24307780kB\n", /* number and unit glued */
                "MemFree:        24307780 kb\n", /* case matters */
                "MemFree:        -24307780 kB\n", /* negative */
                "MemFree:        243e5 kB\n", /* not decimal */
                "MemFree:        24307780x kB\n", /* trailing garbage in the number */
                "MemFree:        24307780 kB kB\n", /* a field too many */
        };
        char *real;
        size_t size;

        real = fixture_read("meminfo/real-6.18.txt", &size);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *text = replace_line(real, "MemFree", bad[i], &size);

                check_parse_fails(text, size, -EBADMSG);
                free(text);
        }
        free(real);
}

static void test_similar_keys_ignored(void) {
        MemInfo m;
        char *real, *text;
        size_t size;

        /* Keys that start like ours, and lines without a colon, are not ours. */
        real = fixture_read("meminfo/real-6.18.txt", &size);
        text = replace_line(real, "Buffers",
                            "MemTotalHuge:   1 kB\n"
                            "Memtotal:       2 kB\n"
                            " MemFree:       3 kB\n"
                            "SwapFree 4 kB\n"
                            "Buffers:             356 kB\n",
                            &size);
        ASSERT_OK(meminfo_parse(text, size, &m));
        check_real_figures(&m);
        free(text);
        free(real);
}

static void test_empty(void) {
        check_parse_fails("", 0, -EBADMSG);
        check_parse_fails("\n", 1, -EBADMSG);
}

static void test_binary_garbage(void) {
        /* An ELF header, a key cut by NULs, bytes that are no text. */
        static const char garbage[] = "\x7f"
                                      "ELF\2\1\1\0\0\0\n\0MemTotal:\0 5 kB\n\xff\xfe:\0\0\n";
        char *real, *digits;
        size_t size;

        check_parse_fails(garbage, sizeof(garbage) - 1, -EBADMSG);

        /* A NUL inside a value: the explicit length, not the NUL, ends the
         * buffer, so the parser sees it and refuses the number. */
        real = fixture_read("meminfo/real-6.18.txt", &size);
        digits = strstr(real, "\nMemFree:");
        ASSERT_NOT_NULL(digits);
        digits = strpbrk(digits + 1, "0123456789");
        ASSERT_NOT_NULL(digits);
        digits[3] = 0;
        check_parse_fails(real, size, -EBADMSG);
        free(real);
}

static void test_swap_used(void) {
        MemInfo m = { .swap_total_bytes = 10485752ULL * 1024, .swap_free_bytes = 9437176ULL * 1024 };

        ASSERT_EQ_U64(meminfo_swap_used_bytes(&m), 1048576ULL * 1024);

        m.swap_free_bytes = m.swap_total_bytes;
        ASSERT_EQ_U64(meminfo_swap_used_bytes(&m), 0);

        /* Read at two moments, free can exceed total while swap is removed. */
        m.swap_free_bytes = m.swap_total_bytes + 4096;
        ASSERT_EQ_U64(meminfo_swap_used_bytes(&m), 0);
}

static void test_read(void) {
        MemInfo m, untouched;

        fixture_root_use("bare");
        ASSERT_OK(meminfo_read(&m));
        check_real_figures(&m);

        /* A root without /proc/meminfo. */
        fixture_root_use("ksm-5.15");
        memset(&m, 0xa5, sizeof(m));
        untouched = m;
        ASSERT_ERRNO(meminfo_read(&m), -ENOENT);
        ASSERT_MEMEQ(&m, &untouched, sizeof(m));

        fixture_root_use("bad-meminfo");
        ASSERT_ERRNO(meminfo_read(&m), -EBADMSG);
        ASSERT_MEMEQ(&m, &untouched, sizeof(m));
        fixture_root_reset();
}

static const TestCase cases[] = {
        { .name = "real-6.18", .func = test_real },
        { .name = "each-field-required", .func = test_each_field_required },
        { .name = "missing-memavailable", .func = test_missing_memavailable },
        { .name = "duplicate-memtotal", .func = test_duplicate_memtotal },
        { .name = "unit-mb", .func = test_unit_mb },
        { .name = "overflow-value", .func = test_overflow_value },
        { .name = "overflow-bytes", .func = test_overflow_bytes },
        { .name = "largest-value", .func = test_largest_value },
        { .name = "trailing-garbage", .func = test_trailing_garbage },
        { .name = "bad-values", .func = test_bad_values },
        { .name = "similar-keys-ignored", .func = test_similar_keys_ignored },
        { .name = "empty", .func = test_empty },
        { .name = "binary-garbage", .func = test_binary_garbage },
        { .name = "swap-used", .func = test_swap_used },
        { .name = "read", .func = test_read },
};

TEST_MAIN(cases)
