/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/memcg.h"
#include "state/state-file.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_V1_ROOT CGROUP_ROOT "/memory"

int memcg_stat_parse(const char *buf, size_t len, MemcgStat *ret) {
        static const KeyField keys[] = {
                { "anon", offsetof(MemcgStat, anon) },
                { "file", offsetof(MemcgStat, file) },
                { "workingset_refault_anon", offsetof(MemcgStat, workingset_refault_anon) },
                { "workingset_refault_file", offsetof(MemcgStat, workingset_refault_file) },
                /* cgroup v1's names; a file has one set or the other. */
                { "rss", offsetof(MemcgStat, anon) },
                { "cache", offsetof(MemcgStat, file) },
                { "swap", offsetof(MemcgStat, swap) },
        };
        MemcgStat s;
        int r = parse_key_fields(buf, len, keys, ELEMENTSOF(keys), &s, sizeof(s));

        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

static bool unified_has_memory(void) {
        _cleanup_free_ char *path = root_path(CGROUP_ROOT "/cgroup.controllers"), *buf = NULL;
        size_t size;
        const char *p, *end, *word;
        size_t word_len;

        if (!path || read_full_file(path, &buf, &size) < 0)
                return false;
        p = buf;
        end = buf + size;
        while (next_field(&p, end, &word, &word_len))
                if (word_len == 6 && memcmp(word, "memory", 6) == 0)
                        return true;
        return false;
}

MemcgHierarchy memcg_hierarchy(void) {
        _cleanup_free_ char *v1 = NULL;

        if (unified_has_memory())
                return MEMCG_V2;
        v1 = root_path(CGROUP_V1_ROOT "/memory.usage_in_bytes");
        return v1 && access(v1, F_OK) >= 0 ? MEMCG_V1 : MEMCG_NONE;
}

const char *memcg_reclaim_file(void) {
        return memcg_hierarchy() == MEMCG_V1 ? "memory.limit_in_bytes" : "memory.reclaim";
}

/* The cgroup's file 'file' (NULL: the directory), below the root prefix
 * and the memory controller's hierarchy. -EINVAL for a path that could
 * leave it. */
static int memcg_path_in(bool v1, const char *path, const char *file, char **ret) {
        _cleanup_free_ char *rel = NULL;

        if (!path || path[0] != '/')
                return -EINVAL;
        for (const char *c = path; (c = strchr(c, '/')); c++)
                if (streq(c, "/.") || streq(c, "/..") || strncmp(c, "/./", 3) == 0 ||
                    strncmp(c, "/../", 4) == 0)
                        return -EINVAL;
        if (asprintf(&rel, "%s%s%s%s", v1 ? CGROUP_V1_ROOT : CGROUP_ROOT, streq(path, "/") ? "" : path,
                     file ? "/" : "", file ?: "") < 0)
                return -ENOMEM;
        *ret = root_path(rel);
        return *ret ? 0 : -ENOMEM;
}

static int memcg_path(const char *path, const char *file, char **ret) {
        return memcg_path_in(memcg_hierarchy() == MEMCG_V1, path, file, ret);
}

int memcg_has_reclaim(const char *path) {
        _cleanup_free_ char *p = NULL;
        bool v1 = memcg_hierarchy() == MEMCG_V1;
        int r = memcg_path_in(v1, path, v1 ? "memory.limit_in_bytes" : "memory.reclaim", &p);

        if (r < 0)
                return r;
        /* v1's root has the file, but no limit to set. */
        return (!v1 || !streq(path, "/")) && access(p, F_OK) >= 0;
}

int memcg_has_children(const char *path) {
        _cleanup_free_ char *p = NULL;
        struct dirent *de;
        DIR *d;
        int r = memcg_path(path, NULL, &p), found = 0;

        if (r < 0)
                return r;
        d = opendir(p);
        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        found = 1;
                        break;
                }
        closedir(d);
        return found;
}

int memcg_read_pids(const char *path, pid_t **ret, size_t *ret_n) {
        _cleanup_free_ char *p = NULL, *buf = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        const char *line;
        size_t size, pos = 0, line_len, n = 0, allocated = 0;
        int r = memcg_path(path, "cgroup.procs", &p);

        if (r < 0)
                return r;
        r = read_full_file(p, &buf, &size);
        if (r < 0)
                return r;
        while (next_line(buf, size, &pos, &line, &line_len)) {
                uint64_t v;

                if (line_len == 0)
                        continue;
                if (parse_u64(line, line_len, &v) < 0 || v == 0 || v > INT32_MAX)
                        return -EBADMSG;
                if (n == allocated) {
                        size_t more = allocated ? allocated * 2 : 16;
                        pid_t *l = reallocarray(pids, more, sizeof(pid_t));

                        if (!l)
                                return -ENOMEM;
                        pids = l;
                        allocated = more;
                }
                pids[n++] = (pid_t) v;
        }
        *ret = TAKE_PTR(pids);
        *ret_n = n;
        return 0;
}

int memcg_read_stat(const char *path, MemcgStat *ret) {
        _cleanup_free_ char *p = NULL, *buf = NULL;
        size_t size;
        int r = memcg_path(path, "memory.stat", &p);

        if (r < 0)
                return r;
        r = read_full_file(p, &buf, &size);
        if (r < 0)
                return r;
        return memcg_stat_parse(buf, size, ret);
}

static int memcg_read_u64(bool v1, const char *path, const char *file, uint64_t *ret) {
        _cleanup_free_ char *p = NULL;
        int r = memcg_path_in(v1, path, file, &p);

        if (r < 0)
                return r;
        return read_u64_file(p, ret);
}

int memcg_read_current(const char *path, uint64_t *ret) {
        bool v1 = memcg_hierarchy() == MEMCG_V1;

        return memcg_read_u64(v1, path, v1 ? "memory.usage_in_bytes" : "memory.current", ret);
}

int memcg_read_swap(const char *path, const MemcgStat *known, uint64_t *ret) {
        _cleanup_free_ char *p = NULL;
        MemcgStat st;
        int r;

        if (memcg_hierarchy() != MEMCG_V1)
                return memcg_read_u64(false, path, "memory.swap.current", ret);
        /* Without swap accounting v1 has no "swap" line, nor memsw files. */
        r = memcg_path_in(true, path, "memory.memsw.usage_in_bytes", &p);
        if (r < 0)
                return r;
        if (access(p, F_OK) < 0)
                return -ENODATA;
        if (!known) {
                r = memcg_read_stat(path, &st);
                if (r < 0)
                        return r;
                known = &st;
        }
        *ret = known->swap;
        return 0;
}

static int write_u64(const char *path, uint64_t v) {
        char number[32];

        snprintf(number, sizeof(number), "%" PRIu64, v);
        return write_string_file(path, number);
}

/* The record of a lowered v1 limit: the limit to set back on its first
 * line, then the cgroup's raw path to the end of the file. */
static int pending_write(const char *pending, const char *path, uint64_t limit) {
        _cleanup_free_ char *text = NULL;

        if (!pending)
                return 0;
        if (asprintf(&text, "%" PRIu64 "\n%s", limit, path) < 0)
                return -ENOMEM;
        return write_file_atomic(pending, text);
}

static int memcg1_reclaim(const char *path, uint64_t bytes, const char *pending) {
        _cleanup_free_ char *limit_path = NULL;
        uint64_t usage, limit;
        int r, restored;

        r = memcg_path_in(true, path, "memory.limit_in_bytes", &limit_path);
        if (r < 0)
                return r;
        r = read_u64_file(limit_path, &limit);
        if (r < 0)
                return r;
        r = memcg_read_u64(true, path, "memory.usage_in_bytes", &usage);
        if (r < 0)
                return r;
        if (usage <= bytes)
                return -EAGAIN;
        r = pending_write(pending, path, limit);
        if (r < 0)
                return r;
        /* The kernel reclaims down to it within the write, or says EBUSY
         * when it cannot. A write that failed left the limit as it was;
         * one that took is set back at once. */
        r = write_u64(limit_path, usage - bytes);
        if (r >= 0) {
                restored = write_u64(limit_path, limit);
                if (restored < 0)
                        /* The record stays: the next start sets it back. */
                        return restored;
        }
        if (pending)
                (void) unlink(pending);
        return r == -EBUSY ? -EAGAIN : r;
}

int memcg_reclaim(const char *path, uint64_t bytes, const char *pending) {
        _cleanup_free_ char *p = NULL;
        int r;

        if (memcg_hierarchy() == MEMCG_V1)
                return memcg1_reclaim(path, bytes, pending);
        r = memcg_path_in(false, path, "memory.reclaim", &p);
        if (r < 0)
                return r;
        return write_u64(p, bytes);
}

int memcg_restore_pending(const char *pending) {
        _cleanup_free_ char *buf = NULL, *limit_path = NULL;
        const char *nl;
        uint64_t limit;
        size_t size;
        int r;

        r = read_full_file(pending, &buf, &size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        nl = memchr(buf, '\n', size);
        /* The path runs to the end of the file; a NUL in it is no path. */
        if (!nl || parse_u64(buf, (size_t) (nl - buf), &limit) < 0 ||
            strlen(nl + 1) != size - (size_t) (nl + 1 - buf))
                return -EBADMSG;
        r = memcg_path_in(true, nl + 1, "memory.limit_in_bytes", &limit_path);
        if (r < 0)
                return r;
        r = write_u64(limit_path, limit);
        /* A cgroup gone since has no limit left to set back. */
        if (r < 0 && r != -ENOENT)
                return r;
        (void) unlink(pending);
        return r < 0 ? 0 : 1;
}
