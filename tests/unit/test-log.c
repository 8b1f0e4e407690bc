/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "test-util.h"

/* Runs 'emit' in a child whose stderr is a pipe, with or without the
 * journal's JOURNAL_STREAM (log.c reads it once per process), and returns
 * everything the child wrote. */
static char *capture_log(bool journal, void (*emit)(void)) {
        int p[2], status;
        size_t size = 0, allocated = 4096;
        char *buf = malloc(allocated);
        pid_t child;
        ssize_t n;

        ASSERT_NOT_NULL(buf);
        ASSERT_TRUE(pipe(p) == 0);
        child = fork();
        ASSERT_TRUE(child >= 0);
        if (child == 0) {
                if (dup2(p[1], STDERR_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                close(p[0]);
                close(p[1]);
                if (journal)
                        setenv("JOURNAL_STREAM", "8:4242", 1);
                else
                        unsetenv("JOURNAL_STREAM");
                log_set_max_level(LOG_DEBUG);
                emit();
                fflush(stderr);
                _exit(EXIT_SUCCESS);
        }
        close(p[1]);
        while ((n = read(p[0], buf + size, allocated - size - 1)) > 0) {
                size += (size_t) n;
                if (allocated - size < 2) {
                        allocated *= 2;
                        buf = realloc(buf, allocated);
                        ASSERT_NOT_NULL(buf);
                }
        }
        close(p[0]);
        buf[size] = 0;
        ASSERT_TRUE(waitpid(child, &status, 0) == child);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return buf;
}

static void emit_odd_name(void) {
        log_info("Reclaim of %s (%d) failed.", "line\n<0>evil\x1b[31m\xff", 42);
        log_warning("%s", "\r<1>carriage");
}

/* A value that holds "\n<0>" would start a record of its own at emergency
 * priority; it stays inside its line, escaped. */
static void test_journal_one_line(void) {
        char *text = capture_log(true, emit_odd_name);

        ASSERT_STREQ(text, "<6>Reclaim of line\\n<0>evil\\x1b[31m\\xff (42) failed.\n"
                           "<4>\\r<1>carriage\n");
        free(text);
}

static void test_terminal_one_line(void) {
        char *text = capture_log(false, emit_odd_name);

        ASSERT_STREQ(text, "Reclaim of line\\n<0>evil\\x1b[31m\\xff (42) failed.\n\\r<1>carriage\n");
        free(text);
}

static void emit_long(void) {
        char big[5001];

        for (size_t i = 0; i < sizeof(big) - 1; i++)
                big[i] = i % 100 == 99 ? '\n' : 'a';
        big[sizeof(big) - 1] = 0;
        log_notice("%s", big);
}

/* Longer than the buffer on the stack: still one line, nothing cut. */
static void test_long_message(void) {
        char *text = capture_log(true, emit_long);
        size_t lines = 0, escapes = 0;

        for (const char *p = text; *p; p++) {
                lines += *p == '\n';
                escapes += p[0] == '\\' && p[1] == 'n';
        }
        ASSERT_EQ_U64(lines, 1);
        ASSERT_EQ_U64(escapes, 50);
        ASSERT_EQ_U64(strlen(text), strlen("<5>") + 5000 + 50 + 1);
        ASSERT_TRUE(strncmp(text, "<5>aaa", 6) == 0);
        free(text);
}

static void emit_errno(void) {
        int r;

        errno = EBUSY;
        r = log_error_errno(ENOENT, "Failed to open %s: %m", "/run/x\ny");
        /* The caller's errno survives, %m took the one passed. */
        if (r != -ENOENT || errno != EBUSY)
                _exit(EXIT_FAILURE);
}

static void test_errno(void) {
        char *text = capture_log(false, emit_errno);

        ASSERT_STREQ(text, "Failed to open /run/x\\ny: No such file or directory\n");
        free(text);
}

static void emit_escaped_name(void) {
        log_info("Name %s.", "bad\\xff\\xfename");
}

/* Names arrive escaped: shown as they are, not escaped twice. */
static void test_backslash_kept(void) {
        char *text = capture_log(false, emit_escaped_name);

        ASSERT_STREQ(text, "Name bad\\xff\\xfename.\n");
        free(text);
}

static const TestCase cases[] = {
        { .name = "journal-one-line", .func = test_journal_one_line },
        { .name = "terminal-one-line", .func = test_terminal_one_line },
        { .name = "long-message", .func = test_long_message },
        { .name = "errno", .func = test_errno },
        { .name = "backslash-kept", .func = test_backslash_kept },
};

TEST_MAIN(cases)
