/* SPDX-License-Identifier: MIT */
#pragma once

/* The memory controller, as the engine uses it to hand the kernel's LRU
 * a cgroup's cold memory: the LRU takes the coldest pages of one cgroup,
 * page by page, and memory.stat counts what came back.
 *
 * On cgroup v2, memory.reclaim (Linux 5.19 and later) asks for it. On
 * cgroup v1, which has no such file, the cgroup's memory.limit_in_bytes is
 * lowered by the step and set back at once: the kernel reclaims the
 * cgroup's LRU down to the new limit within the write (or refuses it,
 * EBUSY, when it cannot), the same reclaim memory.reclaim runs. Until it
 * is set back, the cgroup's own allocations reclaim from it first. A
 * record in the runtime directory names the limit to set back, should the
 * engine die between the two writes (memcg_restore_pending()).
 *
 * Paths are the raw ones of /proc/PID/cgroup ("/system.slice/redis.service",
 * the memory controller's line on v1), below /sys/fs/cgroup (v2) or
 * /sys/fs/cgroup/memory (v1), root prefix honoured. */

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
        uint64_t swap; /* v1 only ("swap"): v2 has memory.swap.current */
} MemcgStat;

/* Parses memory.stat, v2's or v1's ("rss" as anon, "cache" as file): the
 * fields above where present (0 where not), unknown lines skipped.
 * -EBADMSG when a known field is not a number or appears twice. */
int memcg_stat_parse(const char *buf, size_t len, MemcgStat *ret);

typedef enum MemcgHierarchy {
        MEMCG_NONE, /* no memory controller mounted */
        MEMCG_V1, /* at /sys/fs/cgroup/memory (legacy or hybrid) */
        MEMCG_V2, /* the unified hierarchy's (cgroup.controllers names "memory") */
} MemcgHierarchy;

MemcgHierarchy memcg_hierarchy(void);

/* The file a step writes, for messages: "memory.reclaim" (v2) or
 * "memory.limit_in_bytes" (v1). */
const char *memcg_reclaim_file(void);

/* Whether 'path' is a cgroup whose LRU can be asked: 1 (v2: it has
 * memory.reclaim; v1: it has memory.limit_in_bytes and is not the root),
 * 0 when not (the root cgroup, a kernel before 5.19, memory not enabled
 * there), or -EINVAL for a path that is not absolute or has a "." or ".."
 * in it. */
int memcg_has_reclaim(const char *path);

/* Whether the cgroup has cgroups below it (whose memory its own counts):
 * 1, 0, or a negative errno. */
int memcg_has_children(const char *path);

/* The pids in the cgroup's cgroup.procs, newly allocated. */
int memcg_read_pids(const char *path, pid_t **ret, size_t *ret_n);

int memcg_read_stat(const char *path, MemcgStat *ret);

/* The cgroup's memory in bytes: memory.current (v2),
 * memory.usage_in_bytes (v1). */
int memcg_read_current(const char *path, uint64_t *ret);

/* Its memory in swap: memory.swap.current (v2), memory.stat's swap (v1,
 * with swap accounting; -ENODATA without), taken from 'known' where the
 * caller has just read memory.stat (may be NULL). */
int memcg_read_swap(const char *path, const MemcgStat *known, uint64_t *ret);

/* Asks the kernel to reclaim 'bytes' from the cgroup. 0, or -EAGAIN when
 * it found less than that to take (v2: it took what it could; v1: it
 * could not take all, and what it took stays taken). On v1 'pending' is
 * the file that records the limit to set back while it is lowered. */
int memcg_reclaim(const char *path, uint64_t bytes, const char *pending);

/* Sets back a v1 limit that 'pending' records (an engine that died while
 * it was lowered), and removes the record. 1 when one was set back, 0
 * when there was none, or a negative errno (the record is kept). */
int memcg_restore_pending(const char *pending);
