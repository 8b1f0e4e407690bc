/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/macro.h"
#include "kernel/proc-scan.h"
#include "test-util.h"

/* Escapes 'len' bytes (which may hold what a C string cannot end at) into a
 * buffer of exactly the promised size plus a canary, and compares. */
static void check_escape_len(const char *in, size_t len, EscapeFlags flags, const char *expected) {
        size_t size = ESCAPED_MAX(len) + 1;
        char *buf = malloc(size + 1), *alloc;

        ASSERT_NOT_NULL(buf);
        buf[size] = 'Z';
        ASSERT_EQ_U64(escape_bytes_buf(buf, in, len, flags), strlen(expected));
        ASSERT_STREQ(buf, expected);
        ASSERT_TRUE(buf[size] == 'Z');
        alloc = escape_bytes(in, len, flags);
        ASSERT_STREQ(alloc, expected);
        free(alloc);
        free(buf);
}

static void check_escape(const char *in, const char *expected) {
        check_escape_len(in, strlen(in), ESCAPE_BACKSLASH, expected);
}

static void test_invalid_bytes(void) {
        check_escape("a\xff"
                     "b",
                     "a\\xffb");
        check_escape("\xfe\xff", "\\xfe\\xff");
        /* A continuation byte with nothing before it. */
        check_escape("\x80x", "\\x80x");
        /* Leads no character may have (F5..FF) and C0/C1 leads. */
        check_escape("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
        check_escape("bad\xff\xfename", "bad\\xff\\xfename");
}

static void test_truncated(void) {
        check_escape("cut\xc3", "cut\\xc3");
        /* What follows a cut sequence is a character again. */
        check_escape("\xe2\x98"
                     "x",
                     "\\xe2\\x98x");
        check_escape("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
        check_escape("\xc3\xc3\xa9", "\\xc3\xc3\xa9");
        /* 'len' ends the input, wherever a character does. */
        check_escape_len("caf\xc3\xa9", 4, ESCAPE_BACKSLASH, "caf\\xc3");
}

static void test_overlong(void) {
        check_escape("\xc0\xaf", "\\xc0\\xaf");
        check_escape("\xc1\xbf", "\\xc1\\xbf");
        check_escape("\xe0\x80\xaf", "\\xe0\\x80\\xaf");
        check_escape("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf");
        check_escape("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf");
        check_escape("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf");
        /* The smallest of each length that is not overlong. */
        check_escape("\xc2\xa0\xe0\xa0\x80\xf0\x90\x80\x80", "\xc2\xa0\xe0\xa0\x80\xf0\x90\x80\x80");
}

static void test_surrogate(void) {
        check_escape("\xed\xa0\x80", "\\xed\\xa0\\x80");
        check_escape("\xed\xbf\xbf", "\\xed\\xbf\\xbf");
        /* The code points right before and after them are characters. */
        check_escape("\xed\x9f\xbf\xee\x80\x80", "\xed\x9f\xbf\xee\x80\x80");
}

static void test_above_max(void) {
        check_escape("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
        check_escape("\xf7\xbf\xbf\xbf", "\\xf7\\xbf\\xbf\\xbf");
        /* U+10FFFF is the last one. */
        check_escape("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
}

static void test_control_chars(void) {
        check_escape("\x01\x1b[31mred", "\\x01\\x1b[31mred");
        check_escape("tab\there\rcr", "tab\\there\\rcr");
        check_escape("\x1f ", "\\x1f ");
        /* Valid UTF-8 that terminals act on: C1 controls (CSI), bidi
         * overrides and isolates, the line and paragraph separators. */
        check_escape("x\xc2\x9b"
                     "31m",
                     "x\\xc2\\x9b31m");
        check_escape("\xe2\x80\xae"
                     "gpj.exe",
                     "\\xe2\\x80\\xaegpj.exe");
        check_escape("\xe2\x81\xa6", "\\xe2\\x81\\xa6");
        check_escape("a\xe2\x80\xa8"
                     "b",
                     "a\\xe2\\x80\\xa8b");
        /* No-break space is not a control. */
        check_escape("a\xc2\xa0"
                     "b",
                     "a\xc2\xa0"
                     "b");
}

static void test_del(void) {
        check_escape("del\x7f", "del\\x7f");
        check_escape("\x7f\x7f", "\\x7f\\x7f");
        check_escape("~", "~");
}

static void test_newline(void) {
        check_escape("line\n<0>evil", "line\\n<0>evil");
        check_escape("\n", "\\n");
        check_escape_len("a\nb", 3, 0, "a\\nb");
}

static void test_backslash(void) {
        check_escape("back\\slash", "back\\\\slash");
        check_escape("\\x41", "\\\\x41");
        /* Without ESCAPE_BACKSLASH, for text that holds escapes already. */
        check_escape_len("bad\\xff\n", 8, 0, "bad\\xff\\n");
}

static void test_valid_multibyte(void) {
        uint32_t cp = 0;

        check_escape("café", "café");
        check_escape("日本", "日本");
        check_escape("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
        check_escape("café☕", "café☕");
        ASSERT_EQ_U64(utf8_char_decode("\xc3\xa9", 2, &cp), 2);
        ASSERT_EQ_U64(cp, 0xe9);
        ASSERT_EQ_U64(utf8_char_decode("\xe6\x97\xa5", 3, &cp), 3);
        ASSERT_EQ_U64(cp, 0x65e5);
        ASSERT_EQ_U64(utf8_char_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
        ASSERT_EQ_U64(cp, 0x1f600);
        /* Not past 'left'. */
        ASSERT_EQ_U64(utf8_char_decode("\xf0\x9f\x98\x80", 3, &cp), 0);
        ASSERT_EQ_U64(utf8_char_decode("x", 0, &cp), 0);
}

static void test_empty(void) {
        char *s;
        size_t len = 99;

        check_escape("", "");
        check_escape_len("", 0, 0, "");
        s = unescape_bytes("", &len);
        ASSERT_STREQ(s, "");
        ASSERT_EQ_U64(len, 0);
        free(s);
        ASSERT_OK(escape_normalize("", &s, &len));
        ASSERT_STREQ(s, "");
        ASSERT_EQ_U64(len, 0);
        free(s);
}

/* A comm holds at most 15 bytes; the engine keeps it escaped in
 * PROC_COMM_SIZE bytes, which the worst 15 bytes fill exactly. */
static void test_comm_15_bytes(void) {
        char worst[COMM_MAX + 1], expected[PROC_COMM_SIZE], buf[PROC_COMM_SIZE + 1];

        check_escape("123456789012345", "123456789012345");
        check_escape("abcdefghijklmn\xc3", "abcdefghijklmn\\xc3");
        check_escape("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac",
                     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac");
        memset(worst, 0xff, COMM_MAX);
        worst[COMM_MAX] = 0;
        for (size_t i = 0; i < COMM_MAX; i++)
                memcpy(expected + 4 * i, "\\xff", 4);
        expected[4 * COMM_MAX] = 0;
        ASSERT_EQ_U64(strlen(expected), PROC_COMM_SIZE - 1);
        buf[PROC_COMM_SIZE] = 'Z';
        ASSERT_EQ_U64(escape_bytes_buf(buf, worst, COMM_MAX, ESCAPE_BACKSLASH), PROC_COMM_SIZE - 1);
        ASSERT_STREQ(buf, expected);
        ASSERT_TRUE(buf[PROC_COMM_SIZE] == 'Z');
}

/* Whatever the bytes, unescape_bytes() gives them back from the escaped
 * form, and normalizing twice changes nothing more. */
static void test_round_trip(void) {
        char all[256], *e, *back, *n1, *n2;
        size_t len;

        for (int i = 1; i < 256; i++)
                all[i - 1] = (char) i;
        all[255] = 0;
        e = escape_bytes(all, 255, ESCAPE_BACKSLASH);
        ASSERT_NOT_NULL(e);
        back = unescape_bytes(e, &len);
        ASSERT_EQ_U64(len, 255);
        ASSERT_TRUE(memcmp(back, all, 255) == 0);
        ASSERT_OK(escape_normalize(e, &n1, &len));
        ASSERT_STREQ(n1, e);
        ASSERT_EQ_U64(len, 255);
        ASSERT_OK(escape_normalize(all, &n2, NULL));
        ASSERT_STREQ(n2, e);
        free(n1);
        free(n2);
        free(back);
        free(e);
}

static void check_unescape(const char *in, const char *expected, size_t expected_len) {
        size_t len;
        char *s = unescape_bytes(in, &len);

        ASSERT_NOT_NULL(s);
        ASSERT_EQ_U64(len, expected_len);
        ASSERT_TRUE(memcmp(s, expected, len) == 0 && s[len] == 0);
        free(s);
}

static void test_unescape(void) {
        check_unescape("bad\\xff\\xFEname", "bad\xff\xfename", 9);
        check_unescape("line\\n<0>\\t\\r\\\\", "line\n<0>\t\r\\", 11);
        /* Not escapes: each backslash stands for itself. */
        check_unescape("\\q\\x4\\xg0\\", "\\q\\x4\\xg0\\", 10);
        /* NUL would end the text early. */
        check_unescape("a\\x00b", "a\\x00b", 6);
}

static void test_normalize(void) {
        char *s;
        size_t raw_len;

        ASSERT_OK(escape_normalize("bad\xff\xfe", &s, &raw_len));
        ASSERT_STREQ(s, "bad\\xff\\xfe");
        ASSERT_EQ_U64(raw_len, 5);
        free(s);
        ASSERT_OK(escape_normalize("bad\\xff\\xfe", &s, &raw_len));
        ASSERT_STREQ(s, "bad\\xff\\xfe");
        ASSERT_EQ_U64(raw_len, 5);
        free(s);
        /* An escaped character that is fine as it is comes back as itself. */
        ASSERT_OK(escape_normalize("Web\\x20Content\\x41", &s, &raw_len));
        ASSERT_STREQ(s, "Web ContentA");
        free(s);
        ASSERT_OK(escape_normalize("\\xc3\\xa9", &s, &raw_len));
        ASSERT_STREQ(s, "\xc3\xa9");
        ASSERT_EQ_U64(raw_len, 2);
        free(s);
        ASSERT_OK(escape_normalize("a\\b", &s, &raw_len));
        ASSERT_STREQ(s, "a\\\\b");
        free(s);
}

static void test_unsafe(void) {
        ASSERT_TRUE(unichar_is_unsafe(0));
        ASSERT_TRUE(unichar_is_unsafe(0x1f));
        ASSERT_FALSE(unichar_is_unsafe(0x20));
        ASSERT_FALSE(unichar_is_unsafe(0x7e));
        ASSERT_TRUE(unichar_is_unsafe(0x7f));
        ASSERT_TRUE(unichar_is_unsafe(0x9f));
        ASSERT_FALSE(unichar_is_unsafe(0xa0));
        ASSERT_TRUE(unichar_is_unsafe(0x202e));
        ASSERT_TRUE(unichar_is_unsafe(0x2069));
        ASSERT_FALSE(unichar_is_unsafe(0x2070));
        ASSERT_FALSE(unichar_is_unsafe(0x1f600));
}

static const TestCase cases[] = {
        { .name = "invalid-bytes", .func = test_invalid_bytes },
        { .name = "truncated", .func = test_truncated },
        { .name = "overlong", .func = test_overlong },
        { .name = "surrogate", .func = test_surrogate },
        { .name = "above-max", .func = test_above_max },
        { .name = "control-chars", .func = test_control_chars },
        { .name = "del", .func = test_del },
        { .name = "newline", .func = test_newline },
        { .name = "backslash", .func = test_backslash },
        { .name = "valid-multibyte", .func = test_valid_multibyte },
        { .name = "empty", .func = test_empty },
        { .name = "comm-15-bytes", .func = test_comm_15_bytes },
        { .name = "round-trip", .func = test_round_trip },
        { .name = "unescape", .func = test_unescape },
        { .name = "normalize", .func = test_normalize },
        { .name = "unsafe", .func = test_unsafe },
};

TEST_MAIN(cases)
