/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "config/config.h"
#include "kernel/proc-scan.h"
#include "test-root.h"
#include "test-util.h"

#define MIB (1024ULL * 1024ULL)

static void parse_stat_fixture(const char *rel, ProcStat *s) {
        size_t size;
        char *buf = fixture_read(rel, &size);

        ASSERT_OK(proc_stat_parse(buf, size, s));
        free(buf);
}

static void parse_status_fixture(const char *rel, ProcStatus *s) {
        size_t size;
        char *buf = fixture_read(rel, &size);

        ASSERT_OK(proc_status_parse(buf, size, s));
        free(buf);
}

/* Expects -EBADMSG and *ret left as it was. */
static void check_stat_bad(const char *text) {
        ProcStat s, untouched;

        memset(&s, 0xa5, sizeof(s));
        memcpy(&untouched, &s, sizeof(s));
        if (proc_stat_parse(text, strlen(text), &s) != -EBADMSG)
                TEST_FAIL("proc_stat_parse(\"%s\") did not fail with EBADMSG", text);
        ASSERT_MEMEQ(&s, &untouched, sizeof(s));
}

static void check_status_bad(const char *text) {
        ProcStatus s, untouched;

        memset(&s, 0xa5, sizeof(s));
        memcpy(&untouched, &s, sizeof(s));
        if (proc_status_parse(text, strlen(text), &s) != -EBADMSG)
                TEST_FAIL("proc_status_parse(\"%s\") did not fail with EBADMSG", text);
        ASSERT_MEMEQ(&s, &untouched, sizeof(s));
}

static void test_stat_real(void) {
        ProcStat s;

        /* A sleep(1) of a 6.18 machine, as read from /proc/PID/stat. */
        parse_stat_fixture("proc-pid/stat-sleep-6.18.txt", &s);
        ASSERT_STREQ(s.comm, "sleep");
        ASSERT_EQ_INT(s.state, 'S');
        ASSERT_EQ_INT(s.ppid, 16242);
        ASSERT_EQ_U64(s.flags, 4194304);
        ASSERT_FALSE(s.flags & PF_KTHREAD);
        ASSERT_EQ_U64(s.start_time, 359483);
}

static void test_stat_comm_parens(void) {
        static const char weird[] =
                "1234 (my (weird) proc) S 77 1234 1234 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 "
                "0 424242 0 0 18446744073709551615 0 0\n";
        static const char fake_fields[] =
                "42 (x) R 1 2 3) S 7 42 42 0 -1 64 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n";
        static const char spaces[] = "9 (Web Content) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 4 0 555";
        static const char empty[] = "10 () S 1 10 10 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 3\n";
        ProcStat s;

        ASSERT_OK(proc_stat_parse(weird, strlen(weird), &s));
        ASSERT_STREQ(s.comm, "my (weird) proc");
        ASSERT_EQ_INT(s.state, 'S');
        ASSERT_EQ_INT(s.ppid, 77);
        ASSERT_EQ_U64(s.flags, 4194560);
        ASSERT_EQ_U64(s.start_time, 424242);

        /* A comm can hold ") S 7": only the last ')' ends it. */
        ASSERT_OK(proc_stat_parse(fake_fields, strlen(fake_fields), &s));
        ASSERT_STREQ(s.comm, "x) R 1 2 3");
        ASSERT_EQ_INT(s.state, 'S');
        ASSERT_EQ_INT(s.ppid, 7);
        ASSERT_EQ_U64(s.flags, 64);
        ASSERT_EQ_U64(s.start_time, 99);

        /* Start time as the last field, without a newline. */
        ASSERT_OK(proc_stat_parse(spaces, strlen(spaces), &s));
        ASSERT_STREQ(s.comm, "Web Content");
        ASSERT_EQ_U64(s.start_time, 555);

        ASSERT_OK(proc_stat_parse(empty, strlen(empty), &s));
        ASSERT_STREQ(s.comm, "");
        ASSERT_EQ_U64(s.start_time, 3);
}

static void test_stat_kthread(void) {
        ProcStat s;

        parse_stat_fixture("proc-pid/stat-kthreadd-6.18.txt", &s);
        ASSERT_STREQ(s.comm, "kthreadd");
        ASSERT_EQ_INT(s.state, 'S');
        ASSERT_EQ_INT(s.ppid, 0);
        ASSERT_TRUE(s.flags & PF_KTHREAD);
        ASSERT_EQ_U64(s.start_time, 22);

        parse_stat_fixture("proc-pid/stat-kworker-6.18.txt", &s);
        ASSERT_STREQ(s.comm, "kworker/R-rcu_g");
        ASSERT_EQ_INT(s.state, 'I');
        ASSERT_EQ_INT(s.ppid, 2);
        ASSERT_TRUE(s.flags & PF_KTHREAD);
        ASSERT_EQ_U64(s.flags, 69238880);
}

static void test_stat_truncated(void) {
        static const char full[] =
                "16246 (sleep) S 16242 16240 10567 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1 0 "
                "359483 2990080 415\n";
        const char *start = strstr(full, " 359483");

        check_stat_bad("");
        check_stat_bad("16246");
        check_stat_bad("16246 (sleep");
        check_stat_bad("16246 sleep) S 1");
        check_stat_bad("16246 (sleep)");
        check_stat_bad("16246 (sleep)\n");
        check_stat_bad("16246 (sleep) S 16242 16240");
        check_stat_bad("16246 (sleep) S 16242 16240 10567 0 -1 4194304 99 0 0 0 0 0 0 0 20 0 1\n");

        /* Cut after each field before the start time (field 22), also
         * right after field 21. */
        ASSERT_NOT_NULL(start);
        for (const char *p = strchr(full, ')'); p && p <= start; p = strchr(p + 1, ' ')) {
                char *cut = strndup(full, (size_t) (p - full));

                ASSERT_NOT_NULL(cut);
                check_stat_bad(cut);
                free(cut);
        }
}

static void test_stat_bad_fields(void) {
        /* Start time not a number. */
        check_stat_bad("1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 abc 0 0\n");
        check_stat_bad("1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 12x 0 0\n");
        check_stat_bad("1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 -5 0 0\n");
        check_stat_bad("1 (init) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99999999999999999999 0\n");
        /* State of more than one character. */
        check_stat_bad("1 (init) Ss 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
        /* Parent pid and flags. */
        check_stat_bad("1 (init) S -1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
        check_stat_bad("1 (init) S 4294967296 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
        check_stat_bad("1 (init) S 0 1 1 0 -1 0x400 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
        check_stat_bad("1 (init) S 0 1 1 0 -1 4294967296 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
}

static void test_status_real(void) {
        ProcStatus s;

        parse_status_fixture("proc-pid/status-sleep-6.18.txt", &s);
        ASSERT_EQ_U64(s.rss_anon_bytes, 108 * 1024);
        ASSERT_EQ_U64(s.vm_swap_bytes, 0);
        ASSERT_FALSE(s.kthread);
}

static void test_status_kthread(void) {
        static const char one[] = "Name:\tkthreadd\nKthread:\t1\nThreads:\t1\n";
        static const char zero[] = "Name:\tx\nKthread:\t0\nRssAnon:\t       4 kB\nVmSwap:\t       8 kB\n";
        static const char last[] = "Name:\tkworker/0:1\nKthread:\t1";
        ProcStatus s;

        /* No RssAnon and no VmSwap lines: zero, not an error. */
        parse_status_fixture("proc-pid/status-kthreadd-6.18.txt", &s);
        ASSERT_TRUE(s.kthread);
        ASSERT_EQ_U64(s.rss_anon_bytes, 0);
        ASSERT_EQ_U64(s.vm_swap_bytes, 0);

        ASSERT_OK(proc_status_parse(one, strlen(one), &s));
        ASSERT_TRUE(s.kthread);
        ASSERT_OK(proc_status_parse(last, strlen(last), &s));
        ASSERT_TRUE(s.kthread);
        ASSERT_OK(proc_status_parse(zero, strlen(zero), &s));
        ASSERT_FALSE(s.kthread);
        ASSERT_EQ_U64(s.rss_anon_bytes, 4096);
        ASSERT_EQ_U64(s.vm_swap_bytes, 8192);

        /* Before 6.x there is no Kthread line at all. */
        ASSERT_OK(proc_status_parse("Name:\tx\n", 8, &s));
        ASSERT_FALSE(s.kthread);
        ASSERT_EQ_U64(s.rss_anon_bytes, 0);
}

static void test_status_bad(void) {
        check_status_bad("Name:\tx\nRssAnon:\t     108 MB\n");
        check_status_bad("Name:\tx\nRssAnon:\t     108\n");
        check_status_bad("Name:\tx\nRssAnon:\t\n");
        check_status_bad("Name:\tx\nRssAnon:\n");
        check_status_bad("Name:\tx\nVmSwap:");
        check_status_bad("Name:\tx\nRssAnon:\t 10x kB\n");
        check_status_bad("Name:\tx\nVmSwap:\t     -1 kB\n");
        check_status_bad("Name:\tx\nVmSwap:\t 18014398509481984 kB\n");
        check_status_bad("Name:\tx\nVmSwap:\t 99999999999999999999 kB\n");
}

static void check_cgroup(const char *text, const char *expected) {
        char *path = NULL;

        ASSERT_OK(proc_cgroup_parse(text, strlen(text), &path));
        ASSERT_STREQ(path, expected);
        free(path);
}

static void test_cgroup_v2(void) {
        check_cgroup("0::/system.slice/sshd.service\n", "/system.slice/sshd.service");
        check_cgroup(
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope",
                "/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-4242.scope");
        /* The root cgroup, as in a container without a namespace of its own. */
        check_cgroup("0::/\n", "/");
}

static void test_cgroup_hybrid(void) {
        /* systemd's hybrid layout: the v2 line wins over name=systemd. */
        check_cgroup("12:pids:/system.slice/nginx.service\n"
                     "11:memory:/system.slice/nginx.service\n"
                     "1:name=systemd:/system.slice/nginx.service\n"
                     "0::/system.slice/nginx.service\n",
                     "/system.slice/nginx.service");
        /* Legacy v1 only: name=systemd is what names the unit. */
        check_cgroup("9:cpu,cpuacct:/\n"
                     "4:memory:/docker/abc\n"
                     "1:name=systemd:/system.slice/docker-abc.scope\n",
                     "/system.slice/docker-abc.scope");
}

static void test_cgroup_none(void) {
        static const char *const texts[] = {
                "",
                "\n",
                "9:cpu,cpuacct:/\n4:memory:/docker/abc\n",
                "1:name=elogind:/1\n",
                "garbage without colons\n",
                "0:/x\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                char *path = (char *) 0x1;

                ASSERT_ERRNO(proc_cgroup_parse(texts[i], strlen(texts[i]), &path), -ENOENT);
                ASSERT_TRUE(path == (char *) 0x1);
        }
}

/* A comm is any bytes the process chose: kept escaped, at most the
 * kernel's 15 bytes of it. */
static void test_stat_comm_escaped(void) {
        static const char odd[] = "77 (bad\xff\xfe\n<0>x\\) S 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5\n";
        static const char cut[] = "78 (abcdefghijklmn\xc3) S 1 78 78 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 6\n";
        static const char utf8[] =
                "79 (caf\xc3\xa9\xe2\x98\x95) S 1 79 79 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7\n";
        static const char kworker[] =
                "80 (kworker/u8:3-events_unbound) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 8\n";
        ProcStat s;

        ASSERT_OK(proc_stat_parse(odd, strlen(odd), &s));
        ASSERT_STREQ(s.comm, "bad\\xff\\xfe\\n<0>x\\\\");
        ASSERT_EQ_INT(s.state, 'S');
        ASSERT_EQ_U64(s.start_time, 5);
        /* 15 bytes, the last one half a character: escaped, not dropped. */
        ASSERT_OK(proc_stat_parse(cut, strlen(cut), &s));
        ASSERT_STREQ(s.comm, "abcdefghijklmn\\xc3");
        ASSERT_OK(proc_stat_parse(utf8, strlen(utf8), &s));
        ASSERT_STREQ(s.comm, "caf\xc3\xa9\xe2\x98\x95");
        ASSERT_OK(proc_stat_parse(kworker, strlen(kworker), &s));
        ASSERT_STREQ(s.comm, "kworker/u8:3-ev");
}

static void test_cgroup_escaped(void) {
        check_cgroup("0::/user.slice/odd\xff dir\\x\n", "/user.slice/odd\\xff dir\\\\x");
        check_cgroup("1:name=systemd:/a\x1b[2J\n", "/a\\x1b[2J");
        /* A newline in a directory name cuts the path there; the next line
         * is never taken for it. */
        check_cgroup("0::/user.slice/x\n0::/system.slice/sshd.service\n", "/user.slice/x");
        check_cgroup("0::/caf\xc3\xa9\n", "/caf\xc3\xa9");
}

static void test_cgroup_matches_unit(void) {
        ASSERT_TRUE(cgroup_matches("/system.slice/sshd.service", "sshd.service"));
        ASSERT_FALSE(cgroup_matches("/system.slice/xsshd.service", "sshd.service"));
        ASSERT_FALSE(cgroup_matches("/system.slice/sshd.servicex", "sshd.service"));
        ASSERT_FALSE(cgroup_matches("/system.slice/sshd.service.d", "sshd.service"));
        /* A later occurrence counts when an earlier one is no component. */
        ASSERT_TRUE(cgroup_matches("/system.slice/xsshd.service/sshd.service", "sshd.service"));
        ASSERT_TRUE(cgroup_matches("/system.slice/sshd.service/payload", "sshd.service"));
        ASSERT_TRUE(cgroup_matches("/system.slice", "system.slice"));
        ASSERT_TRUE(cgroup_matches("system.slice", "system.slice"));
        ASSERT_FALSE(cgroup_matches("/", "sshd.service"));
        ASSERT_FALSE(cgroup_matches(NULL, "sshd.service"));
        ASSERT_FALSE(cgroup_matches("/system.slice/sshd.service", ""));
}

static void test_cgroup_matches_prefix(void) {
        ASSERT_TRUE(cgroup_matches("/system.slice/a.service", "/system.slice"));
        ASSERT_TRUE(cgroup_matches("/system.slice", "/system.slice"));
        ASSERT_TRUE(cgroup_matches("/system.slice/a.service", "/system.slice/"));
        ASSERT_FALSE(cgroup_matches("/system.slicex/a", "/system.slice"));
        ASSERT_FALSE(cgroup_matches("/system.slic", "/system.slice"));
        ASSERT_FALSE(cgroup_matches("/user.slice/system.slice", "/system.slice"));
        ASSERT_TRUE(cgroup_matches("/user.slice/user-1000.slice/session-2.scope",
                                   "/user.slice/user-1000.slice"));
        ASSERT_FALSE(cgroup_matches("/user.slice/user-10000.slice/session-2.scope",
                                    "/user.slice/user-1000.slice"));
        ASSERT_TRUE(cgroup_matches("/anything", "/"));
        ASSERT_FALSE(cgroup_matches(NULL, "/system.slice"));
}

static void test_cgroup_matches_scope(void) {
        static const char docker[] = "/system.slice/docker-abc.scope";

        ASSERT_TRUE(cgroup_matches(docker, "docker-abc.scope"));
        ASSERT_FALSE(cgroup_matches(docker, "docker-ab.scope"));
        ASSERT_FALSE(cgroup_matches(docker, "abc.scope"));
        ASSERT_FALSE(cgroup_matches(docker, "docker-abc"));
        ASSERT_FALSE(cgroup_matches("/system.slice/docker-abcd.scope", "docker-abc.scope"));
        /* A container's own cgroups live below its scope. */
        ASSERT_TRUE(cgroup_matches("/system.slice/docker-abc.scope/init.scope", "docker-abc.scope"));
        ASSERT_TRUE(cgroup_matches("/kubepods.slice/kubepods-pod1.slice/cri-containerd-abc.scope",
                                   "kubepods-pod1.slice"));
}

/* Loads a configuration from the command line only, the engine pointed at
 * 'root' meanwhile (the root has no configuration files). */
static void load_config(const char *root, char **cli, size_t n_cli, Config *c) {
        char *error = NULL;
        int r;

        fixture_root_use(root);
        r = config_load(&(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = n_cli }, c, &error);
        if (r < 0)
                TEST_FAIL("config_load() failed: %s: %s", test_errno_name(r), strnull(error));
        fixture_root_reset();
}

static const ProcTarget *find_target(const ProcScan *s, pid_t pid) {
        for (size_t i = 0; i < s->n_targets; i++)
                if (s->targets[i].pid == pid)
                        return &s->targets[i];
        return NULL;
}

/* An exclusion matches the escaped name however it was written: as the
 * escaped text wolframctl shows, or as the raw bytes. */
static void test_excluded_escaped(void) {
        char *cli[] = { "Engine.profile=server",
                        "Exclude.excluded_names=", "Exclude.excluded_names=bad\\xff\\xfe \x1b[31m tab\\x09",
                        "Exclude.excluded_cgroups=/odd\xff\\x20dir" };
        Config c;

        load_config("config-none", cli, ELEMENTSOF(cli), &c);
        ASSERT_EQ_U64(c.n_excluded_names, 3);
        ASSERT_STREQ(c.excluded_names[0], "bad\\xff\\xfe");
        ASSERT_STREQ(c.excluded_names[1], "\\x1b[31m");
        ASSERT_STREQ(c.excluded_names[2], "tab\\t");
        ASSERT_STREQ(c.excluded_cgroups[0], "/odd\\xff dir");
        ASSERT_STREQ(proc_excluded_by(&c, "bad\\xff\\xfename", NULL), "bad\\xff\\xfe");
        ASSERT_STREQ(proc_excluded_by(&c, "\\x1b[31mred", NULL), "\\x1b[31m");
        ASSERT_STREQ(proc_excluded_by(&c, "tab\\there", NULL), "tab\\t");
        ASSERT_NULL(proc_excluded_by(&c, "bad\\\\xff\\\\xfe", NULL));
        ASSERT_NULL(proc_excluded_by(&c, "tabhere", NULL));
        ASSERT_STREQ(proc_excluded_by(&c, "x", "/odd\\xff dir/sub"), "/odd\\xff dir");
        ASSERT_NULL(proc_excluded_by(&c, "x", "/odd\\xff dirx"));
        config_done(&c);
}

typedef struct Expected {
        pid_t pid;
        const char *comm;
        const char *cgroup; /* NULL: no cgroup file */
        uint64_t rss_anon_bytes, vm_swap_bytes;
        bool excluded;
} Expected;

static void check_targets(const ProcScan *s, const Expected *expected, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const ProcTarget *t = find_target(s, expected[i].pid);

                if (!t)
                        TEST_FAIL("pid %d (%s) is not among the targets", (int) expected[i].pid,
                                  expected[i].comm);
                ASSERT_STREQ(t->comm, expected[i].comm);
                if (expected[i].cgroup)
                        ASSERT_STREQ(t->cgroup, expected[i].cgroup);
                else
                        ASSERT_NULL(t->cgroup);
                ASSERT_EQ_U64(t->rss_anon_bytes, expected[i].rss_anon_bytes);
                ASSERT_EQ_U64(t->vm_swap_bytes, expected[i].vm_swap_bytes);
                if (t->excluded != expected[i].excluded)
                        TEST_FAIL("pid %d (%s): expected excluded=%d", (int) t->pid, t->comm,
                                  expected[i].excluded);
                /* No pidfds for a fixture's pids. */
                ASSERT_TRUE(t->pidfd < 0);
        }
        for (size_t i = 0; i < s->n_targets; i++) {
                bool found = false;

                for (size_t j = 0; j < n; j++)
                        found = found || expected[j].pid == s->targets[i].pid;
                if (!found)
                        TEST_FAIL("pid %d (%s) should not be a target", (int) s->targets[i].pid,
                                  s->targets[i].comm);
        }
}

static void scan_fixture_protected(const Config *c, const ProcProtected *p, ProcScan *s) {
        fixture_root_use("proc-scan");
        ASSERT_OK(proc_scan(c, p, s));
        fixture_root_reset();
}

static void scan_fixture(const Config *c, pid_t self, ProcScan *s) {
        scan_fixture_protected(c, &(ProcProtected){ .self = self }, s);
}

static void test_scan_fixture(void) {
        char *cli[] = {
                "Engine.profile=server",
                "Engine.min_process_anon_mib=50",
                "Exclude.excluded_names=postgres",
                "Exclude.excluded_cgroups=backup.service /user.slice docker-abc123.scope",
        };
        /* Skipped: kernel threads 2, 4, 300 (PF_KTHREAD), 301 (parent 2),
         * 302 (Kthread: 1); 1001 and 1004 below 50 MiB; 1005 the engine;
         * 1006 a zombie, 1016 dead; 1013 without status; 1017 with a cut
         * stat; self, 1x and 0 are no pids. */
        static const Expected expected[] = {
                { 1, "systemd", "/init.scope", 120 * MIB, 0, true },
                { 1000, "big-app", "/system.slice/big-app.service", 200 * MIB, 0, false },
                { 1002, "swapped-app", "/system.slice/swapped-app.service", 20 * MIB, 40 * MIB, false },
                { 1003, "exact-app", "/system.slice/exact-app.service", 50 * MIB, 0, false },
                { 1007, "mypostgres", "/system.slice/postgresql.service", 300 * MIB, 0, true },
                { 1008, "worker", "/system.slice/backup.service", 300 * MIB, 0, true },
                { 1009, "worker", "/system.slice/xbackup.service", 300 * MIB, 0, false },
                { 1010, "java", "/user.slice/user-1000.slice/session-2.scope", 300 * MIB, 0, true },
                { 1011, "java", "/user.slicex/a.scope", 300 * MIB, 0, false },
                { 1012, "node", "/system.slice/docker-abc123.scope", 300 * MIB, 0, true },
                { 1014, "nocgroup-app", NULL, 300 * MIB, 0, false },
                { 1015, "sshd-session", "/system.slice/ssh.service", 300 * MIB, 0, true },
        };
        ProcScan s;
        Config c;

        load_config("proc-scan", cli, ELEMENTSOF(cli), &c);
        ASSERT_EQ_INT(c.profile, PROFILE_SERVER);
        ASSERT_EQ_U64(c.min_process_anon_mib, 50);

        scan_fixture(&c, 1005, &s);
        check_targets(&s, expected, ELEMENTSOF(expected));
        ASSERT_EQ_U64(find_target(&s, 1000)->start_time, 987654321);
        ASSERT_EQ_U64(find_target(&s, 1002)->start_time, 1000 + 1002);
        /* In pid order, whatever order the directory listed them in. */
        for (size_t i = 1; i < s.n_targets; i++)
                ASSERT_TRUE(s.targets[i - 1].pid < s.targets[i].pid);
        for (size_t i = 0; i < ELEMENTSOF(expected); i++)
                ASSERT_TRUE(proc_scan_find(&s, expected[i].pid) == find_target(&s, expected[i].pid));
        ASSERT_NULL(proc_scan_find(&s, 1001));
        ASSERT_NULL(proc_scan_find(&s, 0));
        ASSERT_NULL(proc_scan_find(&s, 99999));
        proc_scan_done(&s);
        ASSERT_NULL(proc_scan_find(&s, 1000));
        ASSERT_NULL(s.targets);
        ASSERT_EQ_U64(s.n_targets, 0);
        config_done(&c);
}

static void test_scan_profile_names_only(void) {
        /* Without exclusions of our own only the profile's names count,
         * and with a lower minimum the small processes come in. */
        char *cli[] = { "Engine.profile=server", "Engine.min_process_anon_mib=10" };
        static const Expected expected[] = {
                { 1, "systemd", "/init.scope", 120 * MIB, 0, true },
                { 1000, "big-app", "/system.slice/big-app.service", 200 * MIB, 0, false },
                { 1001, "small-app", "/system.slice/small-app.service", 10 * MIB, 0, false },
                { 1002, "swapped-app", "/system.slice/swapped-app.service", 20 * MIB, 40 * MIB, false },
                { 1003, "exact-app", "/system.slice/exact-app.service", 50 * MIB, 0, false },
                { 1004, "almost-app", "/system.slice/almost-app.service", 50 * MIB - 1024, 0, false },
                { 1005, "wolframd", "/system.slice/wolfram.service", 300 * MIB, 0, false },
                { 1007, "mypostgres", "/system.slice/postgresql.service", 300 * MIB, 0, false },
                { 1008, "worker", "/system.slice/backup.service", 300 * MIB, 0, false },
                { 1009, "worker", "/system.slice/xbackup.service", 300 * MIB, 0, false },
                { 1010, "java", "/user.slice/user-1000.slice/session-2.scope", 300 * MIB, 0, false },
                { 1011, "java", "/user.slicex/a.scope", 300 * MIB, 0, false },
                { 1012, "node", "/system.slice/docker-abc123.scope", 300 * MIB, 0, false },
                { 1014, "nocgroup-app", NULL, 300 * MIB, 0, false },
                { 1015, "sshd-session", "/system.slice/ssh.service", 300 * MIB, 0, true },
        };
        ProcScan s;
        Config c;

        load_config("proc-scan", cli, ELEMENTSOF(cli), &c);
        /* Another pid as 'self': 1005 is an ordinary process then. */
        scan_fixture(&c, 99999, &s);
        check_targets(&s, expected, ELEMENTSOF(expected));
        proc_scan_done(&s);
        config_done(&c);
}

static void test_scan_threshold(void) {
        char *cli[] = { "Engine.profile=server", "Engine.min_process_anon_mib=250",
                        "Exclude.excluded_names=", "Exclude.excluded_names=java" };
        static const Expected expected[] = {
                { 1005, "wolframd", "/system.slice/wolfram.service", 300 * MIB, 0, false },
                { 1007, "mypostgres", "/system.slice/postgresql.service", 300 * MIB, 0, false },
                { 1008, "worker", "/system.slice/backup.service", 300 * MIB, 0, false },
                { 1009, "worker", "/system.slice/xbackup.service", 300 * MIB, 0, false },
                { 1010, "java", "/user.slice/user-1000.slice/session-2.scope", 300 * MIB, 0, true },
                { 1011, "java", "/user.slicex/a.scope", 300 * MIB, 0, true },
                { 1012, "node", "/system.slice/docker-abc123.scope", 300 * MIB, 0, false },
                { 1014, "nocgroup-app", NULL, 300 * MIB, 0, false },
                /* The profile's names were reset: sshd is fair game. */
                { 1015, "sshd-session", "/system.slice/ssh.service", 300 * MIB, 0, false },
        };
        ProcScan s;
        Config c;

        load_config("proc-scan", cli, ELEMENTSOF(cli), &c);
        ASSERT_EQ_U64(c.n_excluded_names, 1);
        scan_fixture(&c, 0, &s);
        check_targets(&s, expected, ELEMENTSOF(expected));
        proc_scan_done(&s);
        config_done(&c);
}

static void test_scan_protected(void) {
        /* No exclusion at all, not even the profile's: PID 1, the bus and
         * polkitd are still never touched, and shown as protected. */
        char *cli[] = { "Engine.profile=server", "Engine.min_process_anon_mib=100",
                        "Exclude.excluded_names=", "Exclude.excluded_cgroups=" };
        ProcProtected p = { .self = 99999, .bus_daemon = 1009, .polkitd = 1011 };
        ProcScan s;
        Config c;

        load_config("proc-scan", cli, ELEMENTSOF(cli), &c);
        ASSERT_EQ_U64(c.n_excluded_names, 0);
        scan_fixture_protected(&c, &p, &s);
        for (size_t i = 0; i < s.n_targets; i++) {
                const ProcTarget *t = &s.targets[i];
                bool want = t->pid == 1 || t->pid == 1009 || t->pid == 1011;

                if (t->protected != want || t->excluded != want)
                        TEST_FAIL("pid %d (%s): protected %d excluded %d", (int) t->pid, t->comm,
                                  t->protected, t->excluded);
        }
        ASSERT_NOT_NULL(find_target(&s, 1));
        ASSERT_NOT_NULL(find_target(&s, 1000));
        proc_scan_done(&s);
        config_done(&c);
}

static void test_protected_reason(void) {
        ProcProtected p = { .self = 500, .bus_daemon = 600, .polkitd = 700 };

        ASSERT_STREQ(proc_protected_reason(&p, 1, "anything"), "the init system");
        ASSERT_STREQ(proc_protected_reason(&p, 500, "wolframd"), "wolframd itself");
        ASSERT_STREQ(proc_protected_reason(&p, 600, "whatever"), "the system bus");
        ASSERT_NOT_NULL(proc_protected_reason(&p, 700, "polkitd"));
        /* Other buses' daemons by name; near names are not protected. */
        ASSERT_STREQ(proc_protected_reason(&p, 800, "dbus-broker-lau"), "a bus daemon");
        ASSERT_STREQ(proc_protected_reason(&p, 801, "dbus-daemon"), "a bus daemon");
        ASSERT_NOT_NULL(proc_protected_reason(&p, 802, "polkitd"));
        ASSERT_NULL(proc_protected_reason(&p, 803, "dbus-daemonx"));
        ASSERT_NULL(proc_protected_reason(&p, 804, "mypolkitd"));
        ASSERT_NULL(proc_protected_reason(&p, 805, "java"));
        /* Unknown bus pids (0) protect nobody. */
        ProcProtected none = { .self = 500 };
        ASSERT_NULL(proc_protected_reason(&none, 600, "whatever"));
        ASSERT_NULL(proc_protected_reason(&none, 0, "whatever"));
}

static void test_scan_no_proc(void) {
        char *cli[] = { "Engine.profile=server" };
        ProcScan s = {};
        Config c;

        load_config("config-none", cli, ELEMENTSOF(cli), &c);
        fixture_root_use("config-none");
        ASSERT_ERRNO(proc_scan(&c, &(ProcProtected){ .self = 1 }, &s), -ENOENT);
        fixture_root_reset();
        ASSERT_NULL(s.targets);
        config_done(&c);
}

static void test_target_check_fixture(void) {
        char *cli[] = { "Engine.profile=server", "Engine.min_process_anon_mib=50" };
        ProcTarget t;
        ProcScan s;
        Config c;

        load_config("proc-scan", cli, ELEMENTSOF(cli), &c);
        scan_fixture(&c, 0, &s);
        t = *find_target(&s, 1000);

        fixture_root_use("proc-scan");
        ASSERT_EQ_INT(proc_target_check(&t), 1);
        /* The pid now names another process, started later. */
        t.start_time++;
        ASSERT_EQ_INT(proc_target_check(&t), 0);
        /* Gone. */
        t.pid = 4321;
        ASSERT_EQ_INT(proc_target_check(&t), 0);
        /* A stat that does not parse is an error, not "gone". */
        t.pid = 1017;
        ASSERT_ERRNO(proc_target_check(&t), -EBADMSG);
        fixture_root_reset();

        proc_scan_done(&s);
        config_done(&c);
}

static uint64_t stat_start_time(pid_t pid) {
        char path[64], buf[1024];
        ProcStat st;
        size_t n;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        f = fopen(path, "re");
        ASSERT_NOT_NULL(f);
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        ASSERT_OK(proc_stat_parse(buf, n, &st));
        return st.start_time;
}

static void test_scan_real(void) {
        char *cli[] = { "Engine.profile=server", "Engine.min_process_anon_mib=8" };
        const ProcTarget *t;
        int ready[2], status;
        ProcScan s;
        pid_t child;
        Config c;
        char b;

        /* A child with 16 MiB of touched anonymous memory and a name of its
         * own; it waits until killed. */
        ASSERT_TRUE(pipe2(ready, O_CLOEXEC) == 0);
        child = fork();
        ASSERT_TRUE(child >= 0);
        if (child == 0) {
                char *p = mmap(NULL, 16 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

                if (p == MAP_FAILED)
                        _exit(EXIT_FAILURE);
                memset(p, 0x5a, 16 * MIB);
                (void) prctl(PR_SET_NAME, "wolfram-target");
                if (write(ready[1], "x", 1) != 1)
                        _exit(EXIT_FAILURE);
                for (;;)
                        pause();
        }
        close(ready[1]);
        ASSERT_TRUE(read(ready[0], &b, 1) == 1);
        close(ready[0]);

        load_config("config-none", cli, ELEMENTSOF(cli), &c);
        ASSERT_OK(proc_scan(&c, &(ProcProtected){ .self = getpid() }, &s));
        ASSERT_NULL(find_target(&s, getpid()));
        t = find_target(&s, child);
        ASSERT_NOT_NULL(t);
        ASSERT_STREQ(t->comm, "wolfram-target");
        ASSERT_TRUE(t->rss_anon_bytes + t->vm_swap_bytes >= 16 * MIB);
        ASSERT_FALSE(t->excluded);
        ASSERT_EQ_U64(t->start_time, stat_start_time(child));
        /* The scan holds no descriptor, whatever the number of targets. */
        for (size_t i = 0; i < s.n_targets; i++)
                ASSERT_TRUE(s.targets[i].pidfd < 0);

        /* Pinned by its start time: a pidfd that is this process. */
        ProcTarget pinned = *t, stale = *t;
        ASSERT_OK(proc_target_pin(&pinned));
        ASSERT_TRUE(pinned.pidfd >= 0);
        ASSERT_EQ_INT(proc_target_check(&pinned), 1);
        /* A start time that is not the process's: the pid names another. */
        stale.start_time++;
        ASSERT_EQ_INT(proc_target_pin(&stale), -ESRCH);
        ASSERT_TRUE(stale.pidfd < 0);

        ASSERT_TRUE(kill(child, SIGKILL) == 0);
        ASSERT_TRUE(waitpid(child, &status, 0) == child);
        ASSERT_EQ_INT(proc_target_check(&pinned), 0);
        proc_target_unpin(&pinned);
        ASSERT_TRUE(pinned.pidfd < 0);
        ASSERT_EQ_INT(proc_target_pin(&pinned), -ESRCH);

        proc_scan_done(&s);
        config_done(&c);
}

/* A process of ours that names itself with bytes that are no text: the
 * scan keeps it, escaped. */
static void test_scan_real_odd_name(void) {
        char *cli[] = { "Engine.profile=server", "Engine.min_process_anon_mib=8" };
        const ProcTarget *t;
        int ready[2], status;
        ProcScan s;
        pid_t child;
        Config c;
        char b;

        ASSERT_TRUE(pipe2(ready, O_CLOEXEC) == 0);
        child = fork();
        ASSERT_TRUE(child >= 0);
        if (child == 0) {
                char *p = mmap(NULL, 16 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

                if (p == MAP_FAILED)
                        _exit(EXIT_FAILURE);
                memset(p, 0x5a, 16 * MIB);
                (void) prctl(PR_SET_NAME, "odd\n<0>\xff\x1b"
                                          "x");
                if (write(ready[1], "x", 1) != 1)
                        _exit(EXIT_FAILURE);
                for (;;)
                        pause();
        }
        close(ready[1]);
        ASSERT_TRUE(read(ready[0], &b, 1) == 1);
        close(ready[0]);

        load_config("config-none", cli, ELEMENTSOF(cli), &c);
        ASSERT_OK(proc_scan(&c, &(ProcProtected){ .self = getpid() }, &s));
        t = find_target(&s, child);
        ASSERT_NOT_NULL(t);
        ASSERT_STREQ(t->comm, "odd\\n<0>\\xff\\x1bx");
        ASSERT_NOT_NULL(t->cgroup);
        ASSERT_TRUE(kill(child, SIGKILL) == 0);
        ASSERT_TRUE(waitpid(child, &status, 0) == child);
        proc_scan_done(&s);
        config_done(&c);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "stat-real", .func = test_stat_real },
                { .name = "stat-comm-parens", .func = test_stat_comm_parens },
                { .name = "stat-kthread", .func = test_stat_kthread },
                { .name = "stat-truncated", .func = test_stat_truncated },
                { .name = "stat-bad-fields", .func = test_stat_bad_fields },
                { .name = "stat-comm-escaped", .func = test_stat_comm_escaped },
                { .name = "status-real", .func = test_status_real },
                { .name = "status-kthread", .func = test_status_kthread },
                { .name = "status-bad", .func = test_status_bad },
                { .name = "cgroup-v2", .func = test_cgroup_v2 },
                { .name = "cgroup-hybrid", .func = test_cgroup_hybrid },
                { .name = "cgroup-none", .func = test_cgroup_none },
                { .name = "cgroup-escaped", .func = test_cgroup_escaped },
                { .name = "excluded-escaped", .func = test_excluded_escaped },
                { .name = "cgroup-matches-unit", .func = test_cgroup_matches_unit },
                { .name = "cgroup-matches-prefix", .func = test_cgroup_matches_prefix },
                { .name = "cgroup-matches-scope", .func = test_cgroup_matches_scope },
                { .name = "scan-fixture", .func = test_scan_fixture },
                { .name = "scan-profile-names-only", .func = test_scan_profile_names_only },
                { .name = "scan-threshold", .func = test_scan_threshold },
                { .name = "scan-no-proc", .func = test_scan_no_proc },
                { .name = "scan-protected", .func = test_scan_protected },
                { .name = "protected-reason", .func = test_protected_reason },
                { .name = "target-check-fixture", .func = test_target_check_fixture },
                { .name = "scan-real", .func = test_scan_real },
                { .name = "scan-real-odd-name", .func = test_scan_real_odd_name },
        };

        log_set_max_level(LOG_DEBUG);
        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
