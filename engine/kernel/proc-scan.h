/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/escape.h"
#include "config/config.h"
#include "config/profile.h"

/* Names and cgroup paths are escaped (escape.h, with ESCAPE_BACKSLASH) by
 * the parsers below, where they enter the engine, not where they leave it:
 * they leave through many doors (ListProcesses, ReclaimProcess's reply and
 * signal, error messages, the log) and the engine needs the raw bytes for
 * nothing, since it works on a process through its pid. Escaped once at
 * the door in, no way out can forget it. A comm is the kernel's at most 15
 * bytes, escaped. */
#define PROC_COMM_SIZE (ESCAPED_MAX(COMM_MAX) + 1)

/* What /proc/PID/stat tells about a process. */
typedef struct ProcStat {
        char comm[PROC_COMM_SIZE]; /* escaped */
        char state;
        pid_t ppid;
        unsigned flags; /* PF_* */
        uint64_t utime_ticks; /* CPU time, clock ticks */
        uint64_t stime_ticks;
        uint64_t start_time; /* clock ticks after boot: with the pid, the process's identity */
} ProcStat;

#define PF_KTHREAD 0x00200000U

/* Parses /proc/PID/stat. The comm may hold spaces and parentheses; it ends
 * at the last ')'; at most COMM_MAX bytes of it are kept, escaped.
 * -EBADMSG on anything else. */
int proc_stat_parse(const char *buf, size_t len, ProcStat *ret);

/* The /proc/PID/status figures the engine uses, in bytes. */
typedef struct ProcStatus {
        uint64_t rss_anon_bytes;
        uint64_t vm_swap_bytes;
        bool kthread; /* "Kthread: 1" (6.x) */
} ProcStatus;

/* Parses /proc/PID/status; a kernel thread has no RssAnon and that is not
 * an error. */
int proc_status_parse(const char *buf, size_t len, ProcStatus *ret);

/* Reads and parses /proc/PID/stat. */
int proc_read_stat(pid_t pid, ProcStat *ret);

/* Reads and parses /proc/PID/status; -ESRCH when the process is gone. */
int proc_read_status(pid_t pid, ProcStatus *ret);

/* Extracts the cgroup v2 path ("0::/system.slice/sshd.service") from
 * /proc/PID/cgroup; the v1 "name=systemd" line when there is no v2 line.
 * Returns a newly allocated path, escaped, or NULL with -ENOENT. */
int proc_cgroup_parse(const char *buf, size_t len, char **ret);

/* Reads /proc/PID/cgroup and extracts its path (proc_cgroup_parse());
 * -ESRCH when the process is gone. */
int proc_read_cgroup(pid_t pid, char **ret);

/* The cgroup whose memory controller holds the process's memory, from
 * /proc/PID/cgroup: the v1 line naming "memory" among its controllers
 * ("4:memory:/docker/0123") where the controller runs on cgroup v1, else
 * the v2 path. Newly allocated and escaped, or NULL with -ENOENT. */
int proc_memcg_parse(const char *buf, size_t len, char **ret);

/* Whether the cgroup path matches an exclusion: equal to it, or one of its
 * path components equals it ("sshd.service", "docker-1234.scope"), or it
 * is a prefix ending at a component boundary ("/system.slice"). */
bool cgroup_matches(const char *cgroup, const char *pattern);

/* /proc/PID/ksm_stat (kernel 6.1 and later; fields added up to 6.6). */
typedef struct ProcKsmStat {
        uint64_t merging_pages; /* ksm_merging_pages */
        int64_t profit_bytes; /* ksm_process_profit */
        bool merge_any; /* PR_SET_MEMORY_MERGE in force */
        bool present; /* the file exists */
} ProcKsmStat;

/* Parses ksm_stat ("ksm_merging_pages 123" lines); unknown lines are
 * skipped, a known one with a bad number is -EBADMSG. */
int proc_ksm_stat_parse(const char *buf, size_t len, ProcKsmStat *ret);

/* Finds the kernel's ksmd thread and reads its stat. -ENOENT without KSM. */
int proc_find_ksmd(pid_t *ret_pid, ProcStat *ret_stat);

/* A process the engine may work on this cycle. */
typedef struct ProcTarget {
        pid_t pid;
        int pidfd; /* while pinned (proc_target_pin()), else -EBADF */
        uint64_t start_time;
        char comm[PROC_COMM_SIZE]; /* escaped, as everything shows it */
        char *cgroup; /* escaped */
        char *memcg; /* escaped: its memory cgroup (proc_memcg_parse()), the v2 one or the v1 one */
        uint64_t rss_anon_bytes;
        uint64_t vm_swap_bytes;
        uint64_t cpu_ticks; /* utime and stime, all threads, when it was read */
        bool excluded; /* by name or cgroup, or protected: reported, never touched */
        bool protected; /* by proc_protected_reason(), whatever the configuration */
        ProcKsmStat ksm;
} ProcTarget;

typedef struct ProcScan {
        ProcTarget *targets;
        size_t n_targets;
} ProcScan;

/* The processes the engine never advises, whatever the configuration
 * says: what the machine, the bus and the engine's own authorization
 * stand on. */
typedef struct ProcProtected {
        pid_t self;
        pid_t bus_daemon; /* the bus's own pid as it reports it; 0 unknown */
        pid_t polkitd; /* org.freedesktop.PolicyKit1's owner; 0 none */
} ProcProtected;

/* Why the process may never be advised ("the init system", …), or NULL.
 * Besides the pids in 'p', the bus daemons' and polkitd's names are
 * protected too, for buses other than ours. */
const char *proc_protected_reason(const ProcProtected *p, pid_t pid, const char *comm);

/* Walks /proc (root prefix honoured) for processes with at least
 * min_process_anon_mib of anonymous memory, other than the engine itself
 * and kernel threads, and records each one's identity (pid and start
 * time); none is left holding a descriptor. Excluded and protected ones
 * are kept with excluded set. Processes that exit meanwhile are dropped
 * quietly. The targets are in pid order. */
int proc_scan(const Config *c, const ProcProtected *protect, ProcScan *ret);

/* The scan's target of pid 'pid', or NULL (a binary search: a cgroup's
 * pids are looked up in a scan of thousands of processes). */
const ProcTarget *proc_scan_find(const ProcScan *s, pid_t pid);

/* Opens one process as a request about it needs, whatever its size: its
 * pidfd first, then its stat, status and cgroup. Sets *ret_kernel_thread
 * for kernel threads. -ESRCH when no such process lives (zombies too). */
int proc_target_open(const Config *c, pid_t pid, ProcTarget *ret, bool *ret_kernel_thread);

/* Closes and frees what proc_target_open() gave. */
void proc_target_done(ProcTarget *t);

/* The pattern that excludes a process with this name and cgroup (both
 * escaped; cgroup may be NULL), "only_cgroups" when it is outside every
 * only_cgroups entry, or NULL when it is not excluded. The patterns are in
 * the same shown form (escape_normalize(), done when they are read). */
const char *proc_excluded_by(const Config *c, const char *comm, const char *cgroup);

/* Closes the pidfds and frees. */
void proc_scan_done(ProcScan *s);

/* Whether the process behind t->pidfd is still the one scanned: alive, and
 * /proc/PID/stat shows the same start time. Needs no permission over the
 * process. Returns 1, 0 when it is gone or the pid was reused, or a
 * negative errno. */
int proc_target_check(const ProcTarget *t);

/* Opens t->pidfd and proves it is the process scanned (same start time
 * after the open). -ESRCH when it is gone or the pid now names another. */
int proc_target_pin(ProcTarget *t);

/* Closes t->pidfd. */
void proc_target_unpin(ProcTarget *t);
