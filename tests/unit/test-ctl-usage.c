/* SPDX-License-Identifier: MIT */
/* wolframctl's command line: bad usage is exit status 2 and never reaches a
 * bus; no bus is exit status 3. Runs the built binary ($WOLFRAMCTL) with a
 * system bus address that leads nowhere, so no case can talk to a real
 * engine. Also checks that --help, the man page and the bash completion
 * name the same commands. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"

typedef struct Result {
        int status;
        char out[16384], err[16384];
} Result;

static const char *wolframctl(void) {
        const char *p = getenv("WOLFRAMCTL");

        if (!p || !*p)
                TEST_FAIL("%s", "WOLFRAMCTL is not set; run the unit tests through 'meson test'.");
        return p;
}

static void read_all(int fd, char *buf, size_t size) {
        size_t n = 0;
        ssize_t k;

        while (n + 1 < size && (k = read(fd, buf + n, size - 1 - n)) > 0)
                n += (size_t) k;
        buf[n] = 0;
}

/* Runs wolframctl with 'args' (NULL-terminated) and returns its exit status
 * and output. */
static Result *run(const char *const *args) {
        static Result res;
        int out[2], err[2], wstatus;
        const char *argv[32] = { wolframctl() };
        size_t n = 1;
        pid_t pid;

        for (; args[n - 1]; n++) {
                ASSERT_TRUE(n + 1 < sizeof(argv) / sizeof(argv[0]));
                argv[n] = args[n - 1];
        }
        argv[n] = NULL;
        ASSERT_TRUE(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                /* Nowhere: a case that wrongly connects fails with status 3. */
                setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/wolfram-test/bus", 1);
                dup2(null, STDIN_FILENO);
                dup2(out[1], STDOUT_FILENO);
                dup2(err[1], STDERR_FILENO);
                execv(argv[0], (char **) argv);
                _exit(127);
        }
        close(out[1]);
        close(err[1]);
        /* The outputs are small: stdout first, then stderr, cannot block. */
        read_all(out[0], res.out, sizeof(res.out));
        read_all(err[0], res.err, sizeof(res.err));
        close(out[0]);
        close(err[0]);
        ASSERT_TRUE(waitpid(pid, &wstatus, 0) == pid);
        ASSERT_TRUE(WIFEXITED(wstatus));
        res.status = WEXITSTATUS(wstatus);
        return &res;
}

#define RUN(...) run((const char *const[]){ __VA_ARGS__, NULL })

/* Exit status 2, nothing on stdout, one line on stderr holding 'says'. */
static void assert_usage_error(Result *r, const char *says) {
        if (r->status != 2 || r->out[0] || !strstr(r->err, says) ||
            strchr(r->err, '\n') != r->err + strlen(r->err) - 1)
                TEST_FAIL("expected status 2 and \"%s\", got %d, stdout \"%s\", stderr \"%s\"", says,
                          r->status, r->out, r->err);
}

static void test_unknown_verb(void) {
        assert_usage_error(RUN("frobnicate"), "Unknown command 'frobnicate'");
        assert_usage_error(RUN("st\x1b[2Jatus"), "Unknown command 'st\\x1b[2Jatus'");
}

static void test_unknown_option(void) {
        assert_usage_error(RUN("--frobnicate"), "unrecognized option");
        assert_usage_error(RUN("status", "-x"), "invalid option");
}

static void test_missing_argument(void) {
        assert_usage_error(RUN("exclude"), "'exclude' needs a pattern");
        assert_usage_error(RUN("include"), "'include' needs a pattern");
        assert_usage_error(RUN("reclaim"), "'reclaim' needs a process id");
        assert_usage_error(RUN("set", "ksm"), "'set' needs a policy and on or off");
        assert_usage_error(RUN("--host"), "requires an argument");
}

static void test_extra_argument(void) {
        assert_usage_error(RUN("status", "now"), "Too many arguments after 'status'");
        assert_usage_error(RUN("exclude", "a", "b"), "Too many arguments after 'exclude'");
        assert_usage_error(RUN("set", "ksm", "on", "now"), "Too many arguments after 'set'");
        assert_usage_error(RUN("reclaim", "1", "2"), "Too many arguments after 'reclaim'");
}

static void test_bad_option_value(void) {
        assert_usage_error(RUN("processes", "--sort=size"), "Invalid --sort=size");
        assert_usage_error(RUN("processes", "--top=many"), "Invalid --top=many");
        assert_usage_error(RUN("processes", "--top=-1"), "Invalid --top=-1");
        assert_usage_error(RUN("-H", ""), "Invalid --host=");
}

static void test_bad_pid(void) {
        assert_usage_error(RUN("reclaim", "firefox"), "Invalid process id 'firefox'");
        assert_usage_error(RUN("reclaim", "0"), "Invalid process id '0'");
        assert_usage_error(RUN("reclaim", "12x"), "Invalid process id '12x'");
        assert_usage_error(RUN("reclaim", "--", "-5"), "Invalid process id '-5'");
        assert_usage_error(RUN("reclaim", "99999999999"), "Invalid process id '99999999999'");
}

static void test_set_bad_value(void) {
        assert_usage_error(RUN("set", "ksm", "yes"), "Invalid value 'yes' for ksm: use on, off or default");
        assert_usage_error(RUN("set", "ksm", "ON"), "Invalid value 'ON'");
        assert_usage_error(RUN("set", "swap", "on"), "Unknown policy 'swap'");
}

static void test_option_conflicts(void) {
        assert_usage_error(RUN("reclaim", "1", "--cold", "--pageout"),
                           "--cold and --pageout exclude each other");
        assert_usage_error(RUN("status", "--cold"), "only apply to 'reclaim'");
        assert_usage_error(RUN("exclusions", "--sort=pid"), "only apply to 'processes'");
        assert_usage_error(RUN("status", "--top=3"), "only apply to 'processes'");
}

static void test_no_bus(void) {
        static const char *const verbs[][4] = {
                { "status" },
                { "stats" },
                { "processes", "--top=3" },
                { "exclusions" },
                { "pause" },
                { "resume" },
                { "reload" },
                { "monitor" },
                { "exclude", "x" },
                { "include", "x" },
                { "reclaim", "1", "--cold" },
                { "set", "ksm", "off" },
                { "--json" },
        };

        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
                Result *r = run(verbs[i]);

                if (r->status != 3 || !strstr(r->err, "Failed to connect to the system bus"))
                        TEST_FAIL("%s: expected status 3, got %d: %s", verbs[i][0], r->status, r->err);
        }
}

static void test_help_and_version(void) {
        Result *r = RUN("--version");

        ASSERT_EQ_INT(r->status, 0);
        ASSERT_TRUE(strncmp(r->out, "wolframctl ", 11) == 0);
        r = RUN("--help");
        ASSERT_EQ_INT(r->status, 0);
        ASSERT_NOT_NULL(strstr(r->out, "Commands:"));
        ASSERT_STREQ(r->err, "");
}

/* The commands --help lists, one "  NAME ..." line each under Commands:. */
static size_t help_verbs(char names[][32], size_t max) {
        Result *r = RUN("--help");
        char *p = strstr(r->out, "Commands:\n"), *end = strstr(r->out, "Options:\n");
        size_t n = 0;

        ASSERT_NOT_NULL(p);
        ASSERT_NOT_NULL(end);
        for (p = strchr(p, '\n') + 1; p < end; p = strchr(p, '\n') + 1)
                /* A command starts at the third column; a longer
                 * description goes on below it, indented further. */
                if (p[2] != ' ' && sscanf(p, "  %31[a-z]", names[n]) == 1 && n + 1 < max)
                        n++;
        return n;
}

static void test_docs_name_every_verb(void) {
        char names[32][32], *man, *completion, path[4096];
        const char *src = getenv("WOLFRAM_SOURCE_DIR");
        size_t n = help_verbs(names, 32), size;
        int status;

        ASSERT_TRUE(n >= 12);
        man = fixture_read("../../docs/wolframctl.1", &size);
        completion = fixture_read("../../shell-completion/bash/wolframctl", &size);
        for (size_t i = 0; i < n; i++) {
                char needle[64];

                char with_args[64];

                /* ".B status" or, with arguments, ".BI exclude " PATTERN"". */
                snprintf(needle, sizeof(needle), "\n.B %s\n", names[i]);
                snprintf(with_args, sizeof(with_args), "\n.BI %s \"", names[i]);
                if (!strstr(man, needle) && !strstr(man, with_args))
                        TEST_FAIL("docs/wolframctl.1 has no \".B %s\" entry", names[i]);
                snprintf(needle, sizeof(needle), " %s ", names[i]);
                if (!strstr(completion, needle))
                        TEST_FAIL("the bash completion does not offer '%s'", names[i]);
        }
        ASSERT_NOT_NULL(strstr(man, ".SH EXIT STATUS"));
        free(man);
        free(completion);

        /* The completion is valid bash. */
        ASSERT_NOT_NULL(src);
        snprintf(path, sizeof(path), "bash -n '%s/shell-completion/bash/wolframctl'", src);
        status = system(path);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* What the bash completion offers for the words before the cursor ('cur'
 * last), with a stand-in wolframctl on PATH that lists one exclusion from
 * the configuration and one added at run time. */
static void complete(const char *dir, const char *words, char *out, size_t size) {
        char cmd[8192];
        FILE *f;
        size_t n;

        snprintf(cmd, sizeof(cmd),
                 "PATH='%s':\"$PATH\" bash -c 'source "
                 "\"$WOLFRAM_SOURCE_DIR/shell-completion/bash/wolframctl\"; "
                 "COMP_WORDS=(wolframctl %s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _wolframctl; "
                 "echo \"${COMPREPLY[*]}\"' 2>/dev/null",
                 dir, words);
        f = popen(cmd, "r");
        ASSERT_NOT_NULL(f);
        n = fread(out, 1, size - 1, f);
        out[n] = 0;
        out[strcspn(out, "\n")] = 0;
        ASSERT_TRUE(pclose(f) == 0);
}

static void test_completion_per_verb(void) {
        static const struct {
                const char *words, *expect;
        } cases[] = {
                { "he", "help" },
                { "--no-l", "--no-legend" },
                { "--qu", "--quiet" },
                { "status --s", "" }, /* --sort is for processes only */
                { "processes --s", "--sort=" },
                { "--json processes --t", "--top=" },
                { "reclaim --c", "--cold" },
                { "status --co", "" },
                { "include \"\"", "rt1" }, /* only what include can remove */
                { "set ksm \"\"", "on off default" },
        };
        char dir[] = "/tmp/wolfram-completion-XXXXXX", path[4096], out[4096];
        FILE *f;

        ASSERT_NOT_NULL(getenv("WOLFRAM_SOURCE_DIR"));
        ASSERT_NOT_NULL(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/wolframctl", dir);
        f = fopen(path, "we");
        ASSERT_NOT_NULL(f);
        fputs("#!/bin/sh\nprintf 'keepme name config\\nrt1 name runtime\\n'\n", f);
        ASSERT_TRUE(fclose(f) == 0);
        ASSERT_TRUE(chmod(path, 0755) == 0);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                complete(dir, cases[i].words, out, sizeof(out));
                if (strcmp(out, cases[i].expect) != 0)
                        TEST_FAIL("completing 'wolframctl %s': '%s', expected '%s'", cases[i].words, out,
                                  cases[i].expect);
        }
        unlink(path);
        rmdir(dir);
}

static const TestCase cases[] = {
        { .name = "completion-per-verb", .func = test_completion_per_verb },
        { .name = "unknown-verb", .func = test_unknown_verb },
        { .name = "unknown-option", .func = test_unknown_option },
        { .name = "missing-argument", .func = test_missing_argument },
        { .name = "extra-argument", .func = test_extra_argument },
        { .name = "bad-option-value", .func = test_bad_option_value },
        { .name = "bad-pid", .func = test_bad_pid },
        { .name = "set-bad-value", .func = test_set_bad_value },
        { .name = "option-conflicts", .func = test_option_conflicts },
        { .name = "no-bus", .func = test_no_bus },
        { .name = "help-and-version", .func = test_help_and_version },
        { .name = "docs-name-every-verb", .func = test_docs_name_every_verb },
};

TEST_MAIN(cases)
