/* SPDX-License-Identifier: MIT */
#pragma once

/* Assertions and a case runner for the unit tests. A failed assertion prints
 * where and what, then aborts, so that meson shows the case as failed and a
 * sanitizer build still gets its report. */

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_FAIL(fmt, ...)                                                                         \
        do {                                                                                        \
                fprintf(stderr, "%s:%d: %s: " fmt "\n", __FILE__, __LINE__, __func__, __VA_ARGS__); \
                abort();                                                                            \
        } while (0)

#define ASSERT_TRUE(expr)                                         \
        do {                                                      \
                if (!(expr))                                      \
                        TEST_FAIL("Assertion failed: %s", #expr); \
        } while (0)

#define ASSERT_FALSE(expr)                                           \
        do {                                                         \
                if (expr)                                            \
                        TEST_FAIL("Assertion failed: !(%s)", #expr); \
        } while (0)

#define ASSERT_EQ_U64(a, b)                                                                            \
        do {                                                                                           \
                uint64_t _x_ = (a), _y_ = (b);                                                         \
                if (_x_ != _y_)                                                                        \
                        TEST_FAIL("Expected %s == %s, got %" PRIu64 " != %" PRIu64, #a, #b, _x_, _y_); \
        } while (0)

#define ASSERT_EQ_I64(a, b)                                                                            \
        do {                                                                                           \
                int64_t _x_ = (a), _y_ = (b);                                                          \
                if (_x_ != _y_)                                                                        \
                        TEST_FAIL("Expected %s == %s, got %" PRId64 " != %" PRId64, #a, #b, _x_, _y_); \
        } while (0)

#define ASSERT_EQ_INT(a, b)                                                             \
        do {                                                                            \
                int _x_ = (a), _y_ = (b);                                               \
                if (_x_ != _y_)                                                         \
                        TEST_FAIL("Expected %s == %s, got %d != %d", #a, #b, _x_, _y_); \
        } while (0)

#define ASSERT_STREQ(a, b)                                                                            \
        do {                                                                                          \
                const char *_x_ = (a), *_y_ = (b);                                                    \
                if (!_x_ || !_y_ || strcmp(_x_, _y_) != 0)                                            \
                        TEST_FAIL("Expected %s == %s, got \"%s\" != \"%s\"", #a, #b, _x_ ?: "(null)", \
                                  _y_ ?: "(null)");                                                   \
        } while (0)

#define ASSERT_NULL(expr)                                                        \
        do {                                                                     \
                const void *_x_ = (expr);                                        \
                if (_x_)                                                         \
                        TEST_FAIL("Expected %s to be NULL, got %p", #expr, _x_); \
        } while (0)

#define ASSERT_NOT_NULL(expr)                                           \
        do {                                                            \
                if (!(expr))                                            \
                        TEST_FAIL("Expected %s not to be NULL", #expr); \
        } while (0)

/* 'expected' is a negative errno, or 0 for success. */
#define ASSERT_ERRNO(expr, expected)                                                                     \
        do {                                                                                             \
                int _x_ = (expr), _y_ = (expected);                                                      \
                if (_x_ != _y_)                                                                          \
                        TEST_FAIL("%s: expected %d (%s), got %d (%s)", #expr, _y_, test_errno_name(_y_), \
                                  _x_, test_errno_name(_x_));                                            \
        } while (0)

#define ASSERT_OK(expr) ASSERT_ERRNO(expr, 0)

/* Compares two objects byte by byte: an output a failed call must not touch. */
#define ASSERT_MEMEQ(a, b, size)                                                 \
        do {                                                                     \
                if (memcmp((a), (b), (size)) != 0)                               \
                        TEST_FAIL("Expected %s and %s to be identical", #a, #b); \
        } while (0)

static inline const char *test_errno_name(int r) {
        const char *name;

        if (r == 0)
                return "success";
        name = strerrorname_np(r < 0 ? -r : r);
        return name ?: "unknown errno";
}

/* The fixture directory; the tests cannot run without it. */
static inline const char *fixtures_dir(void) {
        const char *dir = getenv("WOLFRAM_FIXTURES_DIR");

        if (!dir || !*dir) {
                fprintf(stderr,
                        "WOLFRAM_FIXTURES_DIR is not set; run the unit tests through 'meson test'.\n");
                abort();
        }
        return dir;
}

/* Returns a newly allocated path to 'rel' under the fixture directory. */
static inline char *fixture_path(const char *rel) {
        char *path;

        if (asprintf(&path, "%s/%s", fixtures_dir(), rel) < 0)
                TEST_FAIL("Out of memory building the path of %s", rel);
        return path;
}

/* Reads a fixture file into a newly allocated NUL-terminated buffer; any
 * failure ends the test, since a missing fixture must never pass. */
static inline char *fixture_read(const char *rel, size_t *ret_size) {
        char *path = fixture_path(rel), *buf = NULL;
        size_t size = 0, allocated = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f)
                TEST_FAIL("Failed to open fixture %s: %m", path);
        for (;;) {
                size_t n;

                if (allocated - size < 2) {
                        allocated = allocated ? allocated * 2 : 4096;
                        buf = realloc(buf, allocated);
                        if (!buf)
                                TEST_FAIL("Out of memory reading %s", path);
                }
                n = fread(buf + size, 1, allocated - size - 1, f);
                size += n;
                if (n == 0)
                        break;
        }
        if (ferror(f))
                TEST_FAIL("Failed to read fixture %s", path);
        fclose(f);
        free(path);

        buf[size] = 0;
        *ret_size = size;
        return buf;
}

typedef struct TestCase {
        const char *name;
        void (*func)(void);
} TestCase;

static inline const TestCase *test_case_find(const TestCase *cases, size_t n_cases, const char *name) {
        for (size_t i = 0; i < n_cases; i++)
                if (strcmp(cases[i].name, name) == 0)
                        return &cases[i];
        return NULL;
}

/* Without arguments runs every case; with names runs those. "--registered
 * NAME..." checks that the names meson.build lists are exactly the cases
 * here, so that no case is silently left out of the suite. */
static inline int test_main(const TestCase *cases, size_t n_cases, int argc, char *argv[]) {
        if (argc >= 2 && strcmp(argv[1], "--registered") == 0) {
                int r = EXIT_SUCCESS;

                for (int i = 2; i < argc; i++)
                        if (!test_case_find(cases, n_cases, argv[i])) {
                                fprintf(stderr, "meson.build lists '%s', which %s does not have.\n", argv[i],
                                        argv[0]);
                                r = EXIT_FAILURE;
                        }
                for (size_t i = 0; i < n_cases; i++) {
                        bool listed = false;

                        for (int j = 2; j < argc; j++)
                                listed = listed || strcmp(argv[j], cases[i].name) == 0;
                        if (!listed) {
                                fprintf(stderr, "Case '%s' is missing from meson.build.\n", cases[i].name);
                                r = EXIT_FAILURE;
                        }
                }
                return r;
        }

        if (argc < 2) {
                for (size_t i = 0; i < n_cases; i++) {
                        cases[i].func();
                        printf("ok %s\n", cases[i].name);
                }
                return EXIT_SUCCESS;
        }

        for (int i = 1; i < argc; i++) {
                const TestCase *c = test_case_find(cases, n_cases, argv[i]);

                if (!c) {
                        fprintf(stderr, "No test case '%s' in %s.\n", argv[i], argv[0]);
                        return EXIT_FAILURE;
                }
                c->func();
                printf("ok %s\n", c->name);
        }
        return EXIT_SUCCESS;
}

/* Defines main() for a program whose cases are the array 'cases'. */
#define TEST_MAIN(cases)                                                                   \
        int main(int argc, char *argv[]) {                                                 \
                return test_main((cases), sizeof(cases) / sizeof((cases)[0]), argc, argv); \
        }
