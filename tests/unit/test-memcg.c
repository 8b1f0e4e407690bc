/* SPDX-License-Identifier: MIT */
/* The cgroup v2 memory controller's files (kernel/memcg.c) and the choice
 * of the cgroups whose LRU the engine may ask (idle/lru.c), on a tree
 * made in a temporary directory with the real files' shapes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/paths.h"
#include "idle/lru.h"
#include "kernel/memcg.h"
#include "test-util.h"

/* memory.stat as 6.12 prints it, cut. */
static const char stat_text[] = "anon 35745792\n"
                                "file 126976\n"
                                "kernel 438272\n"
                                "workingset_refault_anon 2481\n"
                                "workingset_refault_file 139\n"
                                "workingset_activate_anon 1200\n"
                                "pgmajfault 2102\n";

static void test_stat_real_shape(void) {
        MemcgStat s;

        ASSERT_OK(memcg_stat_parse(stat_text, strlen(stat_text), &s));
        ASSERT_EQ_U64(s.anon, 35745792);
        ASSERT_EQ_U64(s.file, 126976);
        ASSERT_EQ_U64(s.workingset_refault_anon, 2481);
        ASSERT_EQ_U64(s.workingset_refault_file, 139);
}

static void test_stat_bad(void) {
        static const char missing[] = "anon 4096\n";
        static const char twice[] = "anon 1\nanon 2\n";
        static const char bad[] = "workingset_refault_anon -1\n";
        static const char cut[] = "file\n";
        static const char prefix[] = "anon_thp 2097152\nfile_dirty 4096\n";
        MemcgStat s;

        /* A kernel before the split refault counters (5.9): zero. */
        ASSERT_OK(memcg_stat_parse(missing, strlen(missing), &s));
        ASSERT_EQ_U64(s.anon, 4096);
        ASSERT_EQ_U64(s.workingset_refault_anon, 0);
        ASSERT_ERRNO(memcg_stat_parse(twice, strlen(twice), &s), -EBADMSG);
        ASSERT_ERRNO(memcg_stat_parse(bad, strlen(bad), &s), -EBADMSG);
        ASSERT_ERRNO(memcg_stat_parse(cut, strlen(cut), &s), -EBADMSG);
        ASSERT_OK(memcg_stat_parse(prefix, strlen(prefix), &s));
        ASSERT_EQ_U64(s.anon, 0);
        ASSERT_EQ_U64(s.file, 0);
}

static void test_step_bytes(void) {
        /* A twentieth of the cgroup's memory... */
        ASSERT_EQ_U64(lru_step_bytes(UINT64_C(200) << 20, UINT64_C(1) << 30), UINT64_C(10) << 20);
        /* ...at least 1 MiB, at most 64 MiB... */
        ASSERT_EQ_U64(lru_step_bytes(UINT64_C(4) << 20, UINT64_C(1) << 30), UINT64_C(1) << 20);
        ASSERT_EQ_U64(lru_step_bytes(UINT64_C(64) << 30, UINT64_C(64) << 30), UINT64_C(64) << 20);
        /* ...and never more than is left to move. */
        ASSERT_EQ_U64(lru_step_bytes(UINT64_C(200) << 20, 12288), 12288);
        ASSERT_EQ_U64(lru_step_bytes(0, 0), 0);
}

static void test_target_bytes(void) {
        /* 9/10 of the idle amount... */
        ASSERT_EQ_U64(lru_target_bytes(UINT64_C(32) << 20, UINT64_C(64) << 20), UINT64_C(30198987));
        ASSERT_EQ_U64(lru_target_bytes(UINT64_C(16) << 20, UINT64_C(64) << 20), UINT64_C(15099489));
        ASSERT_EQ_U64(lru_target_bytes(0, 0), 0);
        ASSERT_EQ_U64(lru_target_bytes(UINT64_MAX, UINT64_MAX), UINT64_MAX / 10 * 9);
        /* ...but half of a cold rest below a quarter of the anonymous
         * memory: 4 MiB idle left among 36 MiB, after a first run. */
        ASSERT_EQ_U64(lru_target_bytes(UINT64_C(4) << 20, UINT64_C(36) << 20), UINT64_C(2) << 20);
        ASSERT_EQ_U64(lru_target_bytes((UINT64_C(16) << 20) - 1, UINT64_C(64) << 20),
                      (UINT64_C(8) << 20) - 1);
}

static void test_step_refaulted(void) {
        /* A 4 MiB step: 1024 pages; 1/16 of them plus 8 in flight. */
        ASSERT_FALSE(lru_step_refaulted(0, UINT64_C(4) << 20, 4096));
        ASSERT_FALSE(lru_step_refaulted(72, UINT64_C(4) << 20, 4096));
        ASSERT_TRUE(lru_step_refaulted(73, UINT64_C(4) << 20, 4096));
        /* The smallest step still forgives a few. */
        ASSERT_FALSE(lru_step_refaulted(8, 4096, 4096));
        ASSERT_TRUE(lru_step_refaulted(9, 4096, 4096));
}

static char root[] = "/tmp/wolfram-test-memcg-XXXXXX";

static void put(const char *rel, const char *text) {
        char path[512], *slash;
        int fd;

        snprintf(path, sizeof(path), "%s%s", root, rel);
        slash = strrchr(path, '/');
        *slash = 0;
        ASSERT_OK(mkdir_parents(path, 0755));
        *slash = '/';
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ_U64((uint64_t) write(fd, text, strlen(text)), strlen(text));
        close(fd);
}

static void put_process(pid_t pid, const char *comm) {
        char rel[64], text[256];

        snprintf(rel, sizeof(rel), "/proc/%d/stat", (int) pid);
        snprintf(text, sizeof(text),
                 "%d (%s) S 1 %d %d 0 -1 4194560 120 0 0 0 3 1 0 0 20 0 1 0 5 10485760 2048 "
                 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                 (int) pid, comm, (int) pid, (int) pid);
        put(rel, text);
}

static void put_cgroup(const char *path, const char *procs) {
        static const char *const files[] = { "memory.reclaim", "memory.current", "memory.swap.current" };
        char rel[256];

        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(rel, sizeof(rel), "/sys/fs/cgroup%s/%s", path, files[i]);
                put(rel, i == 0 ? "" : "0\n");
        }
        snprintf(rel, sizeof(rel), "/sys/fs/cgroup%s/memory.stat", path);
        put(rel, stat_text);
        snprintf(rel, sizeof(rel), "/sys/fs/cgroup%s/cgroup.procs", path);
        put(rel, procs);
}

static void make_tree(void) {
        ASSERT_NOT_NULL(mkdtemp(root));
        put("/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        /* A service of two processes, one too small for the scan. */
        put_cgroup("/system.slice/cache.service", "1000\n1001\n");
        put_process(1000, "cache-server");
        put_process(1001, "helper");
        /* One with an excluded process beside a candidate. */
        put_cgroup("/system.slice/mixed.service", "2000\n2001\n");
        put_process(2000, "worker");
        put_process(2001, "backup-agent");
        /* One with a small process whose name is excluded. */
        put_cgroup("/system.slice/small.service", "3000\n3001\n");
        put_process(3000, "worker");
        put_process(3001, "backup-agent");
        /* One with the bus in it. */
        put_cgroup("/system.slice/dbus.service", "4000\n4001\n");
        put_process(4000, "worker");
        put_process(4001, "dbus-daemon");
        /* A cgroup with one below it: its memory.reclaim reaches both. */
        put_cgroup("/user.slice/user-1000.slice", "5000\n");
        put_cgroup("/user.slice/user-1000.slice/session-2.scope", "5001\n");
        put_process(5000, "worker");
        put_process(5001, "worker");
        /* A process gone since cgroup.procs was read. */
        put_cgroup("/system.slice/gone.service", "6000\n6666\n");
        put_process(6000, "worker");
        /* No memory.reclaim: the root cgroup, an old kernel. */
        put("/sys/fs/cgroup/init.scope/cgroup.procs", "1\n");
        ASSERT_OK(root_set_prefix(root));
}

static void remove_tree(void) {
        char cmd[128];

        ASSERT_OK(root_set_prefix(NULL));
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
        ASSERT_EQ_INT(system(cmd), 0);
}

static ProcTarget target(pid_t pid, const char *cgroup, bool excluded) {
        return (ProcTarget){ .pid = pid,
                             .pidfd = -1,
                             .cgroup = (char *) cgroup,
                             .memcg = (char *) cgroup,
                             .excluded = excluded };
}

static void test_eligible(void) {
        ProcTarget targets[] = {
                target(1000, "/system.slice/cache.service", false),
                target(2000, "/system.slice/mixed.service", false),
                target(2001, "/system.slice/mixed.service", true),
                target(3000, "/system.slice/small.service", false),
                target(4000, "/system.slice/dbus.service", false),
                target(5001, "/user.slice/user-1000.slice/session-2.scope", false),
                target(6000, "/system.slice/gone.service", false),
        };
        ProcScan scan = { .targets = targets, .n_targets = sizeof(targets) / sizeof(targets[0]) };
        char *names[] = { (char *) "backup-agent" };
        Config c = { .excluded_names = names, .n_excluded_names = 1 };
        ProcProtected protected = { .self = 1234 };
        const char *why = NULL;

        make_tree();
        ASSERT_EQ_INT(memcg_hierarchy(), MEMCG_V2);
        ASSERT_EQ_INT(lru_cgroup_eligible("/system.slice/cache.service", "/system.slice/cache.service",
                                          &scan, &c, &protected, &why),
                      1);
        ASSERT_EQ_INT(lru_cgroup_eligible("/system.slice/mixed.service", "/system.slice/mixed.service",
                                          &scan, &c, &protected, &why),
                      0);
        ASSERT_STREQ(why, "it holds an excluded process");
        why = NULL;
        ASSERT_EQ_INT(lru_cgroup_eligible("/system.slice/small.service", "/system.slice/small.service",
                                          &scan, &c, &protected, &why),
                      0);
        ASSERT_STREQ(why, "it holds an excluded process");
        ASSERT_EQ_INT(lru_cgroup_eligible("/system.slice/dbus.service", "/system.slice/dbus.service", &scan,
                                          &c, &protected, &why),
                      0);
        ASSERT_STREQ(why, "it holds a protected process");
        ASSERT_EQ_INT(lru_cgroup_eligible("/user.slice/user-1000.slice", "/user.slice/user-1000.slice",
                                          &scan, &c, &protected, &why),
                      0);
        ASSERT_STREQ(why, "it has cgroups below it");
        ASSERT_EQ_INT(lru_cgroup_eligible("/user.slice/user-1000.slice/session-2.scope",
                                          "/user.slice/user-1000.slice/session-2.scope", &scan, &c,
                                          &protected, &why),
                      1);
        ASSERT_EQ_INT(lru_cgroup_eligible("/system.slice/gone.service", "/system.slice/gone.service", &scan,
                                          &c, &protected, &why),
                      1);
        ASSERT_EQ_INT(lru_cgroup_eligible("/init.scope", "/init.scope", &scan, &c, &protected, &why), 0);
        ASSERT_STREQ(why, "it has no memory.reclaim");
        /* The engine's own cgroup. */
        protected.self = 1001;
        ASSERT_EQ_INT(lru_cgroup_eligible("/system.slice/cache.service", "/system.slice/cache.service",
                                          &scan, &c, &protected, &why),
                      0);
        ASSERT_STREQ(why, "it holds the engine");
        protected.self = 1234;

        /* The plan: one entry per cgroup of the targets not excluded. */
        LruPlan plan;
        ASSERT_OK(lru_plan_build(&plan, &scan, &c, &protected));
        ASSERT_EQ_U64(plan.n_cgroups, 6);
        ASSERT_TRUE(lru_plan_find(&plan, "/system.slice/cache.service")->eligible);
        ASSERT_FALSE(lru_plan_find(&plan, "/system.slice/mixed.service")->eligible);
        ASSERT_FALSE(lru_plan_find(&plan, "/system.slice/dbus.service")->eligible);
        ASSERT_NULL(lru_plan_find(&plan, "/system.slice/other.service"));
        lru_plan_done(&plan);

        /* 34 MiB charged to the cgroup (stat_text), 100 MiB in its
         * process: moved in after it allocated, its memory is elsewhere. */
        targets[0].rss_anon_bytes = UINT64_C(100) << 20;
        ASSERT_OK(lru_plan_build(&plan, &scan, &c, &protected));
        ASSERT_FALSE(lru_plan_find(&plan, "/system.slice/cache.service")->eligible);
        lru_plan_done(&plan);
        targets[0].rss_anon_bytes = UINT64_C(60) << 20;
        ASSERT_OK(lru_plan_build(&plan, &scan, &c, &protected));
        ASSERT_TRUE(lru_plan_find(&plan, "/system.slice/cache.service")->eligible);
        lru_plan_done(&plan);
        remove_tree();
}

static void test_files(void) {
        char path[512], *text = NULL;
        pid_t *pids = NULL;
        size_t n = 0, size;
        uint64_t v;
        MemcgStat s;

        make_tree();
        ASSERT_OK(memcg_read_pids("/system.slice/cache.service", &pids, &n));
        ASSERT_EQ_U64(n, 2);
        ASSERT_EQ_INT(pids[0], 1000);
        ASSERT_EQ_INT(pids[1], 1001);
        free(pids);
        ASSERT_OK(memcg_read_stat("/system.slice/cache.service", &s));
        ASSERT_EQ_U64(s.workingset_refault_anon, 2481);
        ASSERT_OK(memcg_read_swap("/system.slice/cache.service", NULL, &v));
        ASSERT_EQ_U64(v, 0);
        /* The step is written as a plain number of bytes. */
        ASSERT_OK(memcg_reclaim("/system.slice/cache.service", 3355443, NULL));
        snprintf(path, sizeof(path), "%s/sys/fs/cgroup/system.slice/cache.service/memory.reclaim", root);
        ASSERT_OK(read_full_file(path, &text, &size));
        ASSERT_STREQ(text, "3355443");
        free(text);
        /* Paths that would leave /sys/fs/cgroup, or are no cgroup's. */
        ASSERT_ERRNO(memcg_has_reclaim("system.slice"), -EINVAL);
        ASSERT_ERRNO(memcg_has_reclaim("/system.slice/../../../etc"), -EINVAL);
        ASSERT_ERRNO(memcg_has_reclaim("/system.slice/.."), -EINVAL);
        ASSERT_ERRNO(memcg_reclaim("/./system.slice", 4096, NULL), -EINVAL);
        ASSERT_EQ_INT(memcg_has_reclaim("/system.slice/..hidden.service"), 0);
        ASSERT_EQ_INT(memcg_has_reclaim("/no.slice/none.service"), 0);
        /* A bad cgroup.procs is refused whole. */
        put("/sys/fs/cgroup/system.slice/bad.service/cgroup.procs", "12\nabc\n");
        ASSERT_ERRNO(memcg_read_pids("/system.slice/bad.service", &pids, &n), -EBADMSG);
        remove_tree();
}

static void test_not_unified(void) {
        make_tree();
        /* cgroup v1 (or hybrid): memory is not among the unified controllers. */
        put("/sys/fs/cgroup/cgroup.controllers", "cpu io pids\n");
        ASSERT_EQ_INT(memcg_hierarchy(), MEMCG_NONE);
        remove_tree();
}

/* memory.stat of a v1 cgroup as 6.18 prints it, cut. */
static const char stat_v1_text[] = "cache 4096\n"
                                   "rss 104857600\n"
                                   "rss_huge 0\n"
                                   "workingset_refault_anon 12\n"
                                   "workingset_refault_file 3\n"
                                   "swap 8192\n"
                                   "total_cache 4096\n"
                                   "total_rss 104857600\n"
                                   "total_swap 8192\n";

static void test_stat_v1(void) {
        MemcgStat s;

        ASSERT_OK(memcg_stat_parse(stat_v1_text, strlen(stat_v1_text), &s));
        ASSERT_EQ_U64(s.anon, 104857600);
        ASSERT_EQ_U64(s.file, 4096);
        ASSERT_EQ_U64(s.swap, 8192);
        ASSERT_EQ_U64(s.workingset_refault_anon, 12);
        ASSERT_EQ_U64(s.workingset_refault_file, 3);
}

static void test_proc_memcg(void) {
        static const char hybrid[] = "9:name=systemd:/\n"
                                     "4:memory:/docker/0123abc\n"
                                     "2:cpu,cpuacct:/docker/0123abc\n"
                                     "0::/\n";
        static const char joined[] = "5:memory,hugetlb:/machine.slice\n0::/\n";
        static const char unified[] = "0::/system.slice/redis-server.service\n";
        static const char odd[] = "4:memory:/docker/odd\xff dir\\x\n0::/\n";
        static const char near[] = "3:memoryx:/a\n2:xmemory:/b\n";
        char *p = NULL;

        ASSERT_OK(proc_memcg_parse(hybrid, strlen(hybrid), &p));
        ASSERT_STREQ(p, "/docker/0123abc");
        free(p);
        ASSERT_OK(proc_memcg_parse(joined, strlen(joined), &p));
        ASSERT_STREQ(p, "/machine.slice");
        free(p);
        ASSERT_OK(proc_memcg_parse(unified, strlen(unified), &p));
        ASSERT_STREQ(p, "/system.slice/redis-server.service");
        free(p);
        /* Odd bytes in a container's name, escaped as every cgroup path is. */
        ASSERT_OK(proc_memcg_parse(odd, strlen(odd), &p));
        ASSERT_STREQ(p, "/docker/odd\\xff dir\\\\x");
        free(p);
        ASSERT_ERRNO(proc_memcg_parse(near, strlen(near), &p), -ENOENT);
        ASSERT_NULL(p);
}

static void put_v1_cgroup(const char *path, const char *procs, const char *usage) {
        char rel[256];

        snprintf(rel, sizeof(rel), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", path);
        put(rel, "9223372036854771712\n");
        snprintf(rel, sizeof(rel), "/sys/fs/cgroup/memory%s/memory.usage_in_bytes", path);
        put(rel, usage);
        snprintf(rel, sizeof(rel), "/sys/fs/cgroup/memory%s/memory.memsw.usage_in_bytes", path);
        put(rel, usage);
        snprintf(rel, sizeof(rel), "/sys/fs/cgroup/memory%s/memory.stat", path);
        put(rel, stat_v1_text);
        snprintf(rel, sizeof(rel), "/sys/fs/cgroup/memory%s/cgroup.procs", path);
        put(rel, procs);
}

static void read_text(const char *rel, char **ret) {
        char path[512];
        size_t size;

        snprintf(path, sizeof(path), "%s%s", root, rel);
        ASSERT_OK(read_full_file(path, ret, &size));
}

static void test_v1(void) {
        char pending[512], *text = NULL;
        MemcgStat known = { .swap = 12288 };
        uint64_t v;
        ProcTarget targets[] = { target(7000, "/docker/0123", false), target(8000, "/docker/4567", false) };
        ProcScan scan = { .targets = targets, .n_targets = 2 };
        char *cgroups[] = { (char *) "backup.service" };
        Config c = { .excluded_cgroups = cgroups, .n_excluded_cgroups = 1 };
        ProcProtected protected = { .self = 1234 };
        const char *why = NULL;

        make_tree();
        /* Hybrid: the unified hierarchy has no memory; v1's has. */
        put("/sys/fs/cgroup/cgroup.controllers", "cpu io pids\n");
        put("/sys/fs/cgroup/memory/memory.usage_in_bytes", "2147483648\n");
        put("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
        put_v1_cgroup("/docker/0123", "7000\n7001\n", "104857600\n");
        put_process(7000, "worker");
        put_process(7001, "helper");
        /* A small process of another cgroup (v2 path) that is excluded. */
        put_v1_cgroup("/docker/4567", "8000\n8001\n", "104857600\n");
        put_process(8000, "worker");
        put_process(8001, "agent");
        put("/proc/8001/cgroup", "4:memory:/docker/4567\n1:name=systemd:/system.slice/backup.service\n"
                                 "0::/system.slice/backup.service\n");
        ASSERT_EQ_INT(memcg_hierarchy(), MEMCG_V1);
        ASSERT_STREQ(memcg_reclaim_file(), "memory.limit_in_bytes");
        ASSERT_EQ_INT(memcg_has_reclaim("/docker/0123"), 1);
        ASSERT_EQ_INT(memcg_has_reclaim("/"), 0);
        ASSERT_EQ_INT(memcg_has_reclaim("/docker/none"), 0);
        ASSERT_OK(memcg_read_current("/docker/0123", &v));
        ASSERT_EQ_U64(v, 104857600);
        ASSERT_OK(memcg_read_swap("/docker/0123", NULL, &v));
        ASSERT_EQ_U64(v, 8192);
        /* From a memory.stat the caller has read already. */
        ASSERT_OK(memcg_read_swap("/docker/0123", &known, &v));
        ASSERT_EQ_U64(v, 12288);

        ASSERT_EQ_INT(lru_cgroup_eligible("/docker/0123", "/docker/0123", &scan, &c, &protected, &why), 1);
        ASSERT_EQ_INT(lru_cgroup_eligible("/docker/4567", "/docker/4567", &scan, &c, &protected, &why), 0);
        ASSERT_STREQ(why, "it holds an excluded process");

        /* A step lowers the limit by its size and sets it back; the
         * record of it is gone afterwards. */
        snprintf(pending, sizeof(pending), "%s/memcg-limit", root);
        ASSERT_OK(memcg_reclaim("/docker/0123", UINT64_C(4) << 20, pending));
        read_text("/sys/fs/cgroup/memory/docker/0123/memory.limit_in_bytes", &text);
        ASSERT_STREQ(text, "9223372036854771712");
        free(text);
        ASSERT_TRUE(access(pending, F_OK) < 0);
        /* Nothing to take below its usage. */
        ASSERT_ERRNO(memcg_reclaim("/docker/0123", 104857600, pending), -EAGAIN);
        ASSERT_ERRNO(memcg_reclaim("/docker/../..", 4096, pending), -EINVAL);

        /* An engine that died between the two writes: the next start sets
         * the recorded limit back. */
        put("/memcg-limit", "536870912\n/docker/0123");
        put("/sys/fs/cgroup/memory/docker/0123/memory.limit_in_bytes", "100663296\n");
        ASSERT_EQ_INT(memcg_restore_pending(pending), 1);
        read_text("/sys/fs/cgroup/memory/docker/0123/memory.limit_in_bytes", &text);
        ASSERT_STREQ(text, "536870912");
        free(text);
        ASSERT_TRUE(access(pending, F_OK) < 0);
        ASSERT_EQ_INT(memcg_restore_pending(pending), 0);
        /* Its cgroup gone since: nothing to set back, the record goes. */
        put("/memcg-limit", "536870912\n/docker/gone");
        ASSERT_EQ_INT(memcg_restore_pending(pending), 0);
        ASSERT_TRUE(access(pending, F_OK) < 0);
        /* A record that is not one is kept, and changes nothing. */
        put("/memcg-limit", "lots\n/docker/0123");
        ASSERT_ERRNO(memcg_restore_pending(pending), -EBADMSG);
        put("/memcg-limit", "4096\n/docker/../../etc");
        ASSERT_ERRNO(memcg_restore_pending(pending), -EINVAL);
        ASSERT_TRUE(access(pending, F_OK) >= 0);
        read_text("/sys/fs/cgroup/memory/docker/0123/memory.limit_in_bytes", &text);
        ASSERT_STREQ(text, "536870912");
        free(text);
        remove_tree();
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "stat-real-shape", .func = test_stat_real_shape },
                { .name = "stat-bad", .func = test_stat_bad },
                { .name = "step-bytes", .func = test_step_bytes },
                { .name = "target-bytes", .func = test_target_bytes },
                { .name = "step-refaulted", .func = test_step_refaulted },
                { .name = "eligible", .func = test_eligible },
                { .name = "files", .func = test_files },
                { .name = "not-unified", .func = test_not_unified },
                { .name = "stat-v1", .func = test_stat_v1 },
                { .name = "proc-memcg", .func = test_proc_memcg },
                { .name = "v1", .func = test_v1 },
        };

        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
