/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/escape.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/proc-scan.h"

int proc_stat_parse(const char *buf, size_t len, ProcStat *ret) {
        const char *open_paren, *close_paren = NULL, *p, *end = buf + len, *f;
        ProcStat s = {};
        size_t fl, comm_len, field = 3; /* the first field after comm is field 3: state */
        uint64_t v;

        open_paren = memchr(buf, '(', len);
        for (const char *q = buf + len; q > buf; q--)
                if (q[-1] == ')') {
                        close_paren = q - 1;
                        break;
                }
        if (!open_paren || !close_paren || close_paren < open_paren)
                return -EBADMSG;
        comm_len = (size_t) (close_paren - open_paren - 1);
        /* A kernel thread's name may be longer; a process's never is. */
        escape_bytes_buf(s.comm, open_paren + 1, comm_len < COMM_MAX ? comm_len : COMM_MAX,
                         ESCAPE_BACKSLASH);

        p = close_paren + 1;
        while (next_field(&p, end, &f, &fl)) {
                while (fl > 0 && f[fl - 1] == '\n')
                        fl--;
                switch (field) {
                case 3:
                        if (fl != 1)
                                return -EBADMSG;
                        s.state = f[0];
                        break;
                case 4:
                case 9:
                case 14:
                case 15:
                case 22:
                        if (parse_u64(f, fl, &v) < 0)
                                return -EBADMSG;
                        if (field == 4) {
                                if (v > INT_MAX)
                                        return -EBADMSG;
                                s.ppid = (pid_t) v;
                        } else if (field == 9) {
                                if (v > UINT_MAX)
                                        return -EBADMSG;
                                s.flags = (unsigned) v;
                        } else if (field == 14)
                                s.utime_ticks = v;
                        else if (field == 15)
                                s.stime_ticks = v;
                        else
                                s.start_time = v;
                        break;
                default:
                        break;
                }
                if (field == 22) {
                        *ret = s;
                        return 0;
                }
                field++;
        }
        /* Cut short before the start time, possibly right after field 21. */
        return -EBADMSG;
}

int proc_status_parse(const char *buf, size_t len, ProcStatus *ret) {
        ProcStatus s = {};
        const char *line;
        size_t pos = 0, line_len;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                static const struct {
                        const char *key;
                        size_t offset;
                } keys[] = {
                        { "RssAnon:", offsetof(ProcStatus, rss_anon_bytes) },
                        { "VmSwap:", offsetof(ProcStatus, vm_swap_bytes) },
                };
                const char *p, *end = line + line_len, *num, *unit;
                size_t num_len, unit_len;
                uint64_t v;

                if (line_len > 8 && memcmp(line, "Kthread:", 8) == 0) {
                        p = line + 8;
                        if (next_field(&p, end, &num, &num_len))
                                s.kthread = num_len == 1 && num[0] == '1';
                        continue;
                }
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t kl = strlen(keys[i].key);

                        if (line_len < kl || memcmp(line, keys[i].key, kl) != 0)
                                continue;
                        p = line + kl;
                        if (!next_field(&p, end, &num, &num_len) || !next_field(&p, end, &unit, &unit_len) ||
                            unit_len != 2 || memcmp(unit, "kB", 2) != 0 || parse_u64(num, num_len, &v) < 0 ||
                            mul_u64(v, 1024, (uint64_t *) ((char *) &s + keys[i].offset)) < 0)
                                return -EBADMSG;
                }
        }
        *ret = s;
        return 0;
}

int proc_ksm_stat_parse(const char *buf, size_t len, ProcKsmStat *ret) {
        ProcKsmStat k = { .present = true };
        const char *line;
        size_t pos = 0, line_len;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                const char *p = line, *end = line + line_len, *key, *val;
                size_t key_len, val_len;
                int64_t v;

                if (!next_field(&p, end, &key, &key_len))
                        continue;
                /* 6.6 and later print "ksm_merge_any: yes". */
                if (key_len > 0 && key[key_len - 1] == ':')
                        key_len--;
#define KEY(s) (key_len == strlen(s) && memcmp(key, s, key_len) == 0)
                if (!KEY("ksm_merging_pages") && !KEY("ksm_process_profit") && !KEY("ksm_merge_any"))
                        continue;
                if (!next_field(&p, end, &val, &val_len))
                        return -EBADMSG;
                if (KEY("ksm_merge_any") && (val_len == 3 && memcmp(val, "yes", 3) == 0))
                        v = 1;
                else if (KEY("ksm_merge_any") && (val_len == 2 && memcmp(val, "no", 2) == 0))
                        v = 0;
                else if (parse_i64(val, val_len, &v) < 0)
                        return -EBADMSG;
                if (KEY("ksm_merging_pages"))
                        k.merging_pages = v < 0 ? 0 : (uint64_t) v;
                else if (KEY("ksm_process_profit"))
                        k.profit_bytes = v;
                else
                        k.merge_any = v != 0;
#undef KEY
        }
        *ret = k;
        return 0;
}

int proc_cgroup_parse(const char *buf, size_t len, char **ret) {
        const char *line, *v1 = NULL;
        size_t pos = 0, line_len, v1_len = 0;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                const char *c1 = memchr(line, ':', line_len), *c2;

                if (!c1)
                        continue;
                c2 = memchr(c1 + 1, ':', (size_t) (line + line_len - c1 - 1));
                if (!c2)
                        continue;
                /* The kernel prints a path as it is: a newline in a
                 * directory name ends the line early, and the path is
                 * then cut there, never taken from the next line. */
                if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
                        *ret = escape_bytes(c2 + 1, (size_t) (line + line_len - c2 - 1), ESCAPE_BACKSLASH);
                        return *ret ? 0 : -ENOMEM;
                }
                if ((size_t) (c2 - c1 - 1) == 12 && memcmp(c1 + 1, "name=systemd", 12) == 0) {
                        v1 = c2 + 1;
                        v1_len = (size_t) (line + line_len - c2 - 1);
                }
        }
        if (!v1)
                return -ENOENT;
        *ret = escape_bytes(v1, v1_len, ESCAPE_BACKSLASH);
        return *ret ? 0 : -ENOMEM;
}

/* Whether the controller list 'list' (comma-separated) names 'name'. */
static bool controllers_name(const char *list, size_t len, const char *name) {
        size_t nl = strlen(name);

        for (const char *p = list, *end = list + len; p < end;) {
                const char *comma = memchr(p, ',', (size_t) (end - p));
                size_t l = comma ? (size_t) (comma - p) : (size_t) (end - p);

                if (l == nl && memcmp(p, name, nl) == 0)
                        return true;
                if (!comma)
                        break;
                p = comma + 1;
        }
        return false;
}

int proc_memcg_parse(const char *buf, size_t len, char **ret) {
        const char *line;
        size_t pos = 0, line_len;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                const char *c1 = memchr(line, ':', line_len), *c2;

                if (!c1)
                        continue;
                c2 = memchr(c1 + 1, ':', (size_t) (line + line_len - c1 - 1));
                if (!c2 || !controllers_name(c1 + 1, (size_t) (c2 - c1 - 1), "memory"))
                        continue;
                *ret = escape_bytes(c2 + 1, (size_t) (line + line_len - c2 - 1), ESCAPE_BACKSLASH);
                return *ret ? 0 : -ENOMEM;
        }
        /* Not on a v1 hierarchy: the memory controller, where there is
         * one, is the unified hierarchy's. */
        *ret = NULL;
        for (pos = 0; next_line(buf, len, &pos, &line, &line_len);)
                if (line_len >= 3 && memcmp(line, "0::", 3) == 0) {
                        *ret = escape_bytes(line + 3, line_len - 3, ESCAPE_BACKSLASH);
                        return *ret ? 0 : -ENOMEM;
                }
        return -ENOENT;
}

bool cgroup_matches(const char *cgroup, const char *pattern) {
        size_t pl = strlen(pattern);
        const char *p;

        if (!cgroup || pl == 0)
                return false;
        if (pattern[0] == '/')
                return strncmp(cgroup, pattern, pl) == 0 &&
                       (cgroup[pl] == 0 || cgroup[pl] == '/' || pattern[pl - 1] == '/');
        /* A unit or scope name: equal to one path component. */
        for (p = cgroup; (p = strstr(p, pattern)); p++)
                if ((p == cgroup || p[-1] == '/') && (p[pl] == 0 || p[pl] == '/'))
                        return true;
        return false;
}

const char *proc_excluded_by(const Config *c, const char *comm, const char *cgroup) {
        for (size_t i = 0; i < c->n_excluded_names; i++)
                if (strstr(comm, c->excluded_names[i]))
                        return c->excluded_names[i];
        for (size_t i = 0; i < c->n_excluded_cgroups; i++)
                if (cgroup_matches(cgroup, c->excluded_cgroups[i]))
                        return c->excluded_cgroups[i];
        for (size_t i = 0; i < c->n_only_cgroups; i++)
                if (cgroup_matches(cgroup, c->only_cgroups[i]))
                        return NULL;
        return c->n_only_cgroups > 0 ? "only_cgroups" : NULL;
}

const char *proc_protected_reason(const ProcProtected *p, pid_t pid, const char *comm) {
        /* Exact names: a process that calls itself so only keeps its own
         * memory in RAM. dbus-broker's launcher is cut to 15 bytes. */
        static const char *const bus_names[] = { "dbus-daemon", "dbus-broker", "dbus-broker-lau" };

        if (pid == 1)
                return "the init system";
        if (pid == p->self)
                return "wolframd itself";
        if (p->bus_daemon > 0 && pid == p->bus_daemon)
                return "the system bus";
        if (p->polkitd > 0 && pid == p->polkitd)
                return "polkit, which authorizes the engine's callers";
        for (size_t i = 0; i < ELEMENTSOF(bus_names); i++)
                if (streq(comm, bus_names[i]))
                        return "a bus daemon";
        if (streq(comm, "polkitd"))
                return "polkit, which authorizes the engine's callers";
        return NULL;
}

static bool target_excluded(const Config *c, const char *comm, const char *cgroup) {
        return proc_excluded_by(c, comm, cgroup) != NULL;
}

static int read_proc_file(pid_t pid, const char *name, char **ret, size_t *ret_size) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/proc/%d/%s", root_prefix(), (int) pid, name) < 0)
                return -ENOMEM;
        return read_full_file(path, ret, ret_size);
}

int proc_read_cgroup(pid_t pid, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = read_proc_file(pid, "cgroup", &buf, &size);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        return proc_cgroup_parse(buf, size, ret);
}

int proc_read_stat(pid_t pid, ProcStat *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = read_proc_file(pid, "stat", &buf, &size);
        if (r < 0)
                return r;
        return proc_stat_parse(buf, size, ret);
}

int proc_read_status(pid_t pid, ProcStatus *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = read_proc_file(pid, "status", &buf, &size);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        return proc_status_parse(buf, size, ret);
}

static int pidfd_open_pid(pid_t pid) {
        int fd;

        /* Fixture roots have no real processes behind their pids. */
        if (*root_prefix())
                return -EBADF;
        fd = (int) syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : fd;
}

int proc_find_ksmd(pid_t *ret_pid, ProcStat *ret_stat) {
        _cleanup_free_ char *proc = root_path("/proc");
        struct dirent *de;
        DIR *d;
        int r = -ENOENT;

        if (!proc)
                return -ENOMEM;
        d = opendir(proc);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                uint64_t pid;
                ProcStat s;

                if (parse_u64(de->d_name, strlen(de->d_name), &pid) < 0 || pid > INT_MAX)
                        continue;
                if (proc_read_stat((pid_t) pid, &s) < 0 || !(s.flags & PF_KTHREAD) || !streq(s.comm, "ksmd"))
                        continue;
                *ret_pid = (pid_t) pid;
                *ret_stat = s;
                r = 0;
                break;
        }
        closedir(d);
        return r;
}

/* A pidfd polls readable once its process has exited. Unlike a null
 * signal this needs no permission over the process (no CAP_KILL for other
 * users' processes). */
static bool pidfd_exited(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };

        return poll(&p, 1, 0) > 0;
}

int proc_target_check(const ProcTarget *t) {
        ProcStat s;
        int r;

        if (t->pidfd >= 0 && pidfd_exited(t->pidfd))
                return 0;
        r = proc_read_stat(t->pid, &s);
        if (r == -ENOENT || r == -ESRCH)
                return 0;
        if (r < 0)
                return r;
        return s.start_time == t->start_time && s.state != 'Z' && s.state != 'X';
}

int proc_target_pin(ProcTarget *t) {
        int r;

        assert(t->pidfd < 0);
        t->pidfd = pidfd_open_pid(t->pid);
        if (t->pidfd < 0 && t->pidfd != -EBADF)
                return t->pidfd == -EINVAL ? -ESRCH : t->pidfd;
        /* The pidfd names whoever had the pid when it was opened; a start
         * time read afterwards that is still the scanned one proves that
         * was the scanned process. */
        r = proc_target_check(t);
        if (r <= 0) {
                proc_target_unpin(t);
                return r < 0 ? r : -ESRCH;
        }
        return 0;
}

void proc_target_unpin(ProcTarget *t) {
        if (t->pidfd >= 0)
                close(t->pidfd);
        t->pidfd = -EBADF;
}

static void target_free(ProcTarget *t) {
        if (t->pidfd >= 0)
                close(t->pidfd);
        free(t->cgroup);
        free(t->memcg);
}

/* Looks at one /proc entry; 1 when it became a target, 0 when not. */
static int scan_one(const Config *c, const ProcProtected *protect, pid_t pid, ProcTarget *ret) {
        _cleanup_free_ char *status = NULL, *cgroup_text = NULL, *ksm_text = NULL;
        ProcTarget t = { .pid = pid, .pidfd = -EBADF };
        ProcStatus st;
        ProcStat s;
        size_t size;
        int r;

        /* No pidfd is held from the scan on: a cycle over thousands of
         * processes would need as many descriptors. Work on the process
         * pins it again by its start time (proc_target_pin()). */
        r = proc_read_stat(pid, &s);
        if (r < 0 || (s.flags & PF_KTHREAD) || s.state == 'Z' || s.state == 'X' || pid == 2 || s.ppid == 2)
                goto skip;
        r = read_proc_file(pid, "status", &status, &size);
        if (r < 0 || proc_status_parse(status, size, &st) < 0 || st.kthread)
                goto skip;
        if (st.rss_anon_bytes + st.vm_swap_bytes < (uint64_t) c->min_process_anon_mib * 1024 * 1024)
                goto skip;

        if (read_proc_file(pid, "cgroup", &cgroup_text, &size) >= 0) {
                (void) proc_cgroup_parse(cgroup_text, size, &t.cgroup);
                (void) proc_memcg_parse(cgroup_text, size, &t.memcg);
        }
        if (read_proc_file(pid, "ksm_stat", &ksm_text, &size) >= 0)
                (void) proc_ksm_stat_parse(ksm_text, size, &t.ksm);

        memcpy(t.comm, s.comm, sizeof(t.comm));
        t.start_time = s.start_time;
        t.cpu_ticks = s.utime_ticks + s.stime_ticks;
        t.rss_anon_bytes = st.rss_anon_bytes;
        t.vm_swap_bytes = st.vm_swap_bytes;
        t.protected = proc_protected_reason(protect, pid, t.comm) != NULL;
        t.excluded = t.protected || target_excluded(c, t.comm, t.cgroup);
        *ret = t;
        return 1;

skip:
        target_free(&t);
        return 0;
}

int proc_target_open(const Config *c, pid_t pid, ProcTarget *ret, bool *ret_kernel_thread) {
        _cleanup_free_ char *cgroup_text = NULL;
        ProcTarget t = { .pid = pid, .pidfd = -EBADF };
        ProcStatus st;
        ProcStat s;
        size_t size;
        int r;

        t.pidfd = pidfd_open_pid(pid);
        if (t.pidfd < 0 && t.pidfd != -EBADF)
                return t.pidfd == -EINVAL ? -ESRCH : t.pidfd;
        r = proc_read_stat(pid, &s);
        if (r == -ENOENT || (r >= 0 && (s.state == 'Z' || s.state == 'X')))
                r = -ESRCH;
        if (r < 0)
                goto fail;
        *ret_kernel_thread = (s.flags & PF_KTHREAD) || pid == 2 || s.ppid == 2;
        r = proc_read_status(pid, &st);
        if (r < 0)
                goto fail;
        if (st.kthread)
                *ret_kernel_thread = true;
        if (read_proc_file(pid, "cgroup", &cgroup_text, &size) >= 0) {
                (void) proc_cgroup_parse(cgroup_text, size, &t.cgroup);
                (void) proc_memcg_parse(cgroup_text, size, &t.memcg);
        }
        memcpy(t.comm, s.comm, sizeof(t.comm));
        t.start_time = s.start_time;
        t.cpu_ticks = s.utime_ticks + s.stime_ticks;
        t.rss_anon_bytes = st.rss_anon_bytes;
        t.vm_swap_bytes = st.vm_swap_bytes;
        t.excluded = target_excluded(c, t.comm, t.cgroup);
        *ret = t;
        return 0;

fail:
        target_free(&t);
        return r;
}

void proc_target_done(ProcTarget *t) {
        target_free(t);
        t->pidfd = -EBADF;
        t->cgroup = NULL;
        t->memcg = NULL;
}

static int target_cmp(const void *a, const void *b) {
        pid_t x = ((const ProcTarget *) a)->pid, y = ((const ProcTarget *) b)->pid;

        return x < y ? -1 : x > y;
}

int proc_scan(const Config *c, const ProcProtected *protect, ProcScan *ret) {
        _cleanup_free_ char *proc = root_path("/proc");
        ProcScan s = {};
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (!proc)
                return -ENOMEM;
        d = opendir(proc);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                ProcTarget t, *l;
                uint64_t pid;

                if (parse_u64(de->d_name, strlen(de->d_name), &pid) < 0 || pid == 0 || pid > INT_MAX ||
                    (pid_t) pid == protect->self)
                        continue;
                if (scan_one(c, protect, (pid_t) pid, &t) <= 0)
                        continue;
                l = realloc(s.targets, (s.n_targets + 1) * sizeof(ProcTarget));
                if (!l) {
                        target_free(&t);
                        r = -ENOMEM;
                        break;
                }
                s.targets = l;
                s.targets[s.n_targets++] = t;
        }
        closedir(d);
        if (r < 0) {
                proc_scan_done(&s);
                return r;
        }
        /* /proc lists pids in order; a fixture's directory need not. */
        if (s.n_targets > 1)
                qsort(s.targets, s.n_targets, sizeof(ProcTarget), target_cmp);
        *ret = s;
        return 0;
}

const ProcTarget *proc_scan_find(const ProcScan *s, pid_t pid) {
        const ProcTarget key = { .pid = pid };

        if (s->n_targets == 0)
                return NULL;
        return bsearch(&key, s->targets, s->n_targets, sizeof(ProcTarget), target_cmp);
}

void proc_scan_done(ProcScan *s) {
        for (size_t i = 0; i < s->n_targets; i++)
                target_free(&s->targets[i]);
        free(s->targets);
        *s = (ProcScan){};
}
