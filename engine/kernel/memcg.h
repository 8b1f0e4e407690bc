/* SPDX-License-Identifier: MIT */
#pragma once

/* The cgroup v2 memory controller, as the engine uses it to hand the
 * kernel's LRU a cgroup's cold memory: memory.reclaim (Linux 5.19 and
 * later) takes the coldest pages of one cgroup, page by page, and
 * memory.stat counts what came back. Paths are the raw ones of
 * /proc/PID/cgroup ("/system.slice/redis-server.service"), below
 * /sys/fs/cgroup (root prefix honoured). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The memory.stat figures the engine reads: bytes, and pages for the
 * refault counters. */
typedef struct MemcgStat {
        uint64_t anon;
        uint64_t file;
        uint64_t workingset_refault_anon;
        uint64_t workingset_refault_file;
} MemcgStat;

/* Parses memory.stat: the fields above where present (0 where not),
 * unknown lines skipped. -EBADMSG when a known field is not a number or
 * appears twice. */
int memcg_stat_parse(const char *buf, size_t len, MemcgStat *ret);

/* Whether the machine runs the unified hierarchy with the memory
 * controller (/sys/fs/cgroup/cgroup.controllers names "memory"). */
bool memcg_unified(void);

/* Whether 'path' is a cgroup with memory.reclaim: 1, 0 when it has none
 * (the root cgroup, a kernel before 5.19, memory not enabled there), or
 * -EINVAL for a path that is not absolute or has a "." or ".." in it. */
int memcg_has_reclaim(const char *path);

/* Whether the cgroup has cgroups below it (whose memory its own counts):
 * 1, 0, or a negative errno. */
int memcg_has_children(const char *path);

/* The pids in the cgroup's cgroup.procs, newly allocated. */
int memcg_read_pids(const char *path, pid_t **ret, size_t *ret_n);

int memcg_read_stat(const char *path, MemcgStat *ret);

/* memory.current or memory.swap.current: one number of bytes. */
int memcg_read_bytes(const char *path, const char *file, uint64_t *ret);

/* Asks the kernel to reclaim 'bytes' from the cgroup. 0, or -EAGAIN when
 * it found less than that to take (it took what it could). */
int memcg_reclaim(const char *path, uint64_t bytes);
