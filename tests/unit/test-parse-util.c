/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "common/parse-util.h"
#include "test-util.h"

/* A value no parser here produces, to show that a failed call left the
 * output alone. */
#define U64_UNTOUCHED UINT64_C(0xdeadbeefcafef00d)
#define I64_UNTOUCHED INT64_C(-0x2152411035010ff3)

static void check_u64(const char *s, uint64_t expected) {
        uint64_t v = U64_UNTOUCHED;

        ASSERT_OK(parse_u64(s, strlen(s), &v));
        ASSERT_EQ_U64(v, expected);
}

static void check_u64_fails(const char *s, int expected) {
        uint64_t v = U64_UNTOUCHED;

        ASSERT_ERRNO(parse_u64(s, strlen(s), &v), expected);
        ASSERT_EQ_U64(v, U64_UNTOUCHED);
}

static void check_i64(const char *s, int64_t expected) {
        int64_t v = I64_UNTOUCHED;

        ASSERT_OK(parse_i64(s, strlen(s), &v));
        ASSERT_EQ_I64(v, expected);
}

static void check_i64_fails(const char *s, int expected) {
        int64_t v = I64_UNTOUCHED;

        ASSERT_ERRNO(parse_i64(s, strlen(s), &v), expected);
        ASSERT_EQ_I64(v, I64_UNTOUCHED);
}

static void test_u64_valid(void) {
        check_u64("0", 0);
        check_u64("7", 7);
        check_u64("007", 7);
        check_u64("4294967296", UINT64_C(4294967296));
        check_u64("18446744073709551615", UINT64_MAX);
        check_u64("18446744073709551610", UINT64_MAX - 5);
}

static void test_u64_overflow(void) {
        check_u64_fails("18446744073709551616", -ERANGE);
        check_u64_fails("18446744073709551620", -ERANGE);
        check_u64_fails("99999999999999999999", -ERANGE);
        check_u64_fails("184467440737095516150", -ERANGE);
}

static void test_u64_invalid(void) {
        check_u64_fails("", -EINVAL);
        check_u64_fails("+1", -EINVAL);
        check_u64_fails("-1", -EINVAL);
        check_u64_fails("-0", -EINVAL);
        check_u64_fails(" 1", -EINVAL);
        check_u64_fails("1 ", -EINVAL);
        check_u64_fails("1\n", -EINVAL);
        check_u64_fails("12a", -EINVAL);
        check_u64_fails("a12", -EINVAL);
        check_u64_fails("0x10", -EINVAL);
        check_u64_fails("1.5", -EINVAL);
}

static void test_u64_length(void) {
        /* Only 'len' characters count: a field in the middle of a line. */
        const char buf[] = "123456 kB";
        uint64_t v = U64_UNTOUCHED;

        ASSERT_OK(parse_u64(buf, 3, &v));
        ASSERT_EQ_U64(v, 123);
        ASSERT_OK(parse_u64(buf, 6, &v));
        ASSERT_EQ_U64(v, 123456);

        v = U64_UNTOUCHED;
        ASSERT_ERRNO(parse_u64(buf, 7, &v), -EINVAL);
        ASSERT_ERRNO(parse_u64(buf, 0, &v), -EINVAL);
        /* A NUL inside the given length is not the end of the number. */
        ASSERT_ERRNO(parse_u64("12\0003", 4, &v), -EINVAL);
        ASSERT_EQ_U64(v, U64_UNTOUCHED);
}

static void test_i64_valid(void) {
        check_i64("0", 0);
        check_i64("-0", 0);
        check_i64("42", 42);
        check_i64("-42", -42);
        check_i64("9223372036854775807", INT64_MAX);
        check_i64("-9223372036854775807", -INT64_MAX);
        check_i64("-9223372036854775808", INT64_MIN);
}

static void test_i64_overflow(void) {
        check_i64_fails("9223372036854775808", -ERANGE);
        check_i64_fails("-9223372036854775809", -ERANGE);
        check_i64_fails("18446744073709551615", -ERANGE);
        check_i64_fails("-18446744073709551616", -ERANGE);
}

static void test_i64_invalid(void) {
        check_i64_fails("", -EINVAL);
        check_i64_fails("-", -EINVAL);
        check_i64_fails("--1", -EINVAL);
        check_i64_fails("+1", -EINVAL);
        check_i64_fails(" -1", -EINVAL);
        check_i64_fails("- 1", -EINVAL);
        check_i64_fails("-1-", -EINVAL);
        check_i64_fails("12a", -EINVAL);
}

static void test_u64_line(void) {
        uint64_t v = U64_UNTOUCHED;

        ASSERT_OK(parse_u64_line("42\n", 3, &v));
        ASSERT_EQ_U64(v, 42);
        ASSERT_OK(parse_u64_line("8589934592", 10, &v));
        ASSERT_EQ_U64(v, UINT64_C(8589934592));
        ASSERT_OK(parse_u64_line("18446744073709551615\n", 21, &v));
        ASSERT_EQ_U64(v, UINT64_MAX);

        v = U64_UNTOUCHED;
        ASSERT_ERRNO(parse_u64_line("18446744073709551616\n", 21, &v), -ERANGE);
        ASSERT_ERRNO(parse_u64_line("", 0, &v), -EINVAL);
        ASSERT_ERRNO(parse_u64_line("\n", 1, &v), -EINVAL);
        /* One newline is the attribute's end; a second one is not a number. */
        ASSERT_ERRNO(parse_u64_line("42\n\n", 4, &v), -EINVAL);
        ASSERT_ERRNO(parse_u64_line("\n42", 3, &v), -EINVAL);
        ASSERT_ERRNO(parse_u64_line("42 \n", 4, &v), -EINVAL);
        ASSERT_ERRNO(parse_u64_line(" 42\n", 4, &v), -EINVAL);
        /* Only a newline ends the attribute, not other white space. */
        ASSERT_ERRNO(parse_u64_line("42 ", 3, &v), -EINVAL);
        ASSERT_ERRNO(parse_u64_line("42\t", 3, &v), -EINVAL);
        ASSERT_ERRNO(parse_u64_line("42\r\n", 4, &v), -EINVAL);
        ASSERT_ERRNO(parse_u64_line("-1\n", 3, &v), -EINVAL);
        ASSERT_ERRNO(parse_u64_line("12a\n", 4, &v), -EINVAL);
        ASSERT_EQ_U64(v, U64_UNTOUCHED);
}

static void test_i64_line(void) {
        int64_t v = I64_UNTOUCHED;

        ASSERT_OK(parse_i64_line("-3335296\n", 9, &v));
        ASSERT_EQ_I64(v, -3335296);
        ASSERT_OK(parse_i64_line("39845888", 8, &v));
        ASSERT_EQ_I64(v, 39845888);

        v = I64_UNTOUCHED;
        ASSERT_ERRNO(parse_i64_line("-\n", 2, &v), -EINVAL);
        ASSERT_ERRNO(parse_i64_line("\n", 1, &v), -EINVAL);
        ASSERT_ERRNO(parse_i64_line("-9223372036854775809\n", 21, &v), -ERANGE);
        ASSERT_EQ_I64(v, I64_UNTOUCHED);
}

static void test_mul(void) {
        uint64_t v = U64_UNTOUCHED;

        ASSERT_OK(mul_u64(0, UINT64_MAX, &v));
        ASSERT_EQ_U64(v, 0);
        ASSERT_OK(mul_u64(UINT64_MAX, 0, &v));
        ASSERT_EQ_U64(v, 0);
        ASSERT_OK(mul_u64(UINT64_MAX, 1, &v));
        ASSERT_EQ_U64(v, UINT64_MAX);
        /* The largest kB figure that still fits in bytes. */
        ASSERT_OK(mul_u64(UINT64_C(18014398509481983), 1024, &v));
        ASSERT_EQ_U64(v, UINT64_MAX - 1023);

        v = U64_UNTOUCHED;
        ASSERT_ERRNO(mul_u64(UINT64_C(18014398509481984), 1024, &v), -ERANGE);
        ASSERT_ERRNO(mul_u64(UINT64_C(1) << 32, UINT64_C(1) << 32, &v), -ERANGE);
        ASSERT_ERRNO(mul_u64(2, UINT64_MAX / 2 + 1, &v), -ERANGE);
        ASSERT_EQ_U64(v, U64_UNTOUCHED);
}

/* Collects the lines of 'buf' joined with '|' so each case reads as one
 * string. */
static void check_lines(const char *buf, size_t len, const char *expected, unsigned expected_n) {
        char joined[256] = "";
        const char *line;
        size_t pos = 0, line_len, used = 0;
        unsigned n = 0;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                ASSERT_TRUE(used + line_len + 2 < sizeof(joined));
                ASSERT_TRUE(pos <= len);
                if (n > 0)
                        joined[used++] = '|';
                memcpy(joined + used, line, line_len);
                used += line_len;
                joined[used] = 0;
                n++;
        }
        ASSERT_EQ_U64(pos, len);
        ASSERT_EQ_INT((int) n, (int) expected_n);
        ASSERT_STREQ(joined, expected);
}

#define CHECK_LINES(s, expected, n) check_lines((s), sizeof(s) - 1, (expected), (n))

static void test_next_line(void) {
        CHECK_LINES("", "", 0);
        CHECK_LINES("a", "a", 1);
        CHECK_LINES("a\n", "a", 1);
        CHECK_LINES("\n", "", 1);
        CHECK_LINES("\n\n", "|", 2);
        CHECK_LINES("a\nb", "a|b", 2);
        CHECK_LINES("a\nb\n", "a|b", 2);
        CHECK_LINES("a\n\nb\n", "a||b", 3);
        CHECK_LINES("MemTotal: 1 kB\nMemFree: 2 kB", "MemTotal: 1 kB|MemFree: 2 kB", 2);
        /* The length, not a NUL, ends the buffer. */
        check_lines("ab\ncd\nef", 5, "ab|cd", 2);
}

static void test_next_line_nul(void) {
        static const char buf[] = { 'a', 0, 'b', '\n', 'c' };
        const char *line;
        size_t pos = 0, line_len;

        ASSERT_TRUE(next_line(buf, sizeof(buf), &pos, &line, &line_len));
        ASSERT_TRUE(line == buf);
        ASSERT_EQ_U64(line_len, 3);
        ASSERT_TRUE(next_line(buf, sizeof(buf), &pos, &line, &line_len));
        ASSERT_TRUE(line == buf + 4);
        ASSERT_EQ_U64(line_len, 1);
        ASSERT_FALSE(next_line(buf, sizeof(buf), &pos, &line, &line_len));

        /* A position past the end is the end. */
        pos = sizeof(buf) + 1;
        ASSERT_FALSE(next_line(buf, sizeof(buf), &pos, &line, &line_len));
}

static void check_fields(const char *s, size_t len, const char *expected, unsigned expected_n) {
        const char *p = s, *end = s + len, *field;
        char joined[256] = "";
        size_t field_len, used = 0;
        unsigned n = 0;

        while (next_field(&p, end, &field, &field_len)) {
                ASSERT_TRUE(field >= s && field + field_len <= end);
                ASSERT_TRUE(field_len > 0);
                ASSERT_TRUE(p == field + field_len);
                ASSERT_TRUE(used + field_len + 2 < sizeof(joined));
                if (n > 0)
                        joined[used++] = '|';
                memcpy(joined + used, field, field_len);
                used += field_len;
                joined[used] = 0;
                n++;
        }
        ASSERT_EQ_INT((int) n, (int) expected_n);
        ASSERT_STREQ(joined, expected);
}

#define CHECK_FIELDS(s, expected, n) check_fields((s), sizeof(s) - 1, (expected), (n))

static void test_next_field(void) {
        CHECK_FIELDS("", "", 0);
        CHECK_FIELDS("   ", "", 0);
        CHECK_FIELDS(" \t \t", "", 0);
        CHECK_FIELDS("a", "a", 1);
        CHECK_FIELDS("  a", "a", 1);
        CHECK_FIELDS("a  ", "a", 1);
        CHECK_FIELDS("a b", "a|b", 2);
        CHECK_FIELDS("\ta\t\tb \t c\t", "a|b|c", 3);
        CHECK_FIELDS("/dev/zram0                              partition\t8388604\t\t0\t\t100",
                     "/dev/zram0|partition|8388604|0|100", 5);
        /* 'end' cuts a field short. */
        check_fields("12345 kB", 3, "123", 1);
}

static void test_next_field_exhausted(void) {
        const char s[] = "  x  ";
        const char *p = s, *field = NULL;
        size_t field_len = 99;

        ASSERT_TRUE(next_field(&p, s + 5, &field, &field_len));
        ASSERT_TRUE(field == s + 2);
        ASSERT_EQ_U64(field_len, 1);
        ASSERT_FALSE(next_field(&p, s + 5, &field, &field_len));
        ASSERT_FALSE(next_field(&p, s + 5, &field, &field_len));
}

static const TestCase cases[] = {
        { .name = "u64-valid", .func = test_u64_valid },
        { .name = "u64-overflow", .func = test_u64_overflow },
        { .name = "u64-invalid", .func = test_u64_invalid },
        { .name = "u64-length", .func = test_u64_length },
        { .name = "i64-valid", .func = test_i64_valid },
        { .name = "i64-overflow", .func = test_i64_overflow },
        { .name = "i64-invalid", .func = test_i64_invalid },
        { .name = "u64-line", .func = test_u64_line },
        { .name = "i64-line", .func = test_i64_line },
        { .name = "mul", .func = test_mul },
        { .name = "next-line", .func = test_next_line },
        { .name = "next-line-nul", .func = test_next_line_nul },
        { .name = "next-field", .func = test_next_field },
        { .name = "next-field-exhausted", .func = test_next_field_exhausted },
};

TEST_MAIN(cases)
