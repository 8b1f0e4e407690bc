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

#define CGROUP_ROOT "/sys/fs/cgroup"

int memcg_stat_parse(const char *buf, size_t len, MemcgStat *ret) {
        static const KeyField keys[] = {
                { "anon", offsetof(MemcgStat, anon) },
                { "file", offsetof(MemcgStat, file) },
                { "workingset_refault_anon", offsetof(MemcgStat, workingset_refault_anon) },
                { "workingset_refault_file", offsetof(MemcgStat, workingset_refault_file) },
        };
        MemcgStat s;
        int r = parse_key_fields(buf, len, keys, ELEMENTSOF(keys), &s, sizeof(s));

        if (r < 0)
                return r;
        *ret = s;
        return 0;
}

/* The cgroup's file 'file' (NULL: the directory), below the root prefix.
 * -EINVAL for a path that could leave /sys/fs/cgroup. */
static int memcg_path(const char *path, const char *file, char **ret) {
        _cleanup_free_ char *rel = NULL;

        if (!path || path[0] != '/')
                return -EINVAL;
        for (const char *c = path; (c = strchr(c, '/')); c++)
                if (streq(c, "/.") || streq(c, "/..") || strncmp(c, "/./", 3) == 0 ||
                    strncmp(c, "/../", 4) == 0)
                        return -EINVAL;
        if (asprintf(&rel, CGROUP_ROOT "%s%s%s", streq(path, "/") ? "" : path, file ? "/" : "", file ?: "") <
            0)
                return -ENOMEM;
        *ret = root_path(rel);
        return *ret ? 0 : -ENOMEM;
}

bool memcg_unified(void) {
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

int memcg_has_reclaim(const char *path) {
        _cleanup_free_ char *p = NULL;
        int r = memcg_path(path, "memory.reclaim", &p);

        if (r < 0)
                return r;
        return access(p, F_OK) >= 0;
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

int memcg_read_bytes(const char *path, const char *file, uint64_t *ret) {
        _cleanup_free_ char *p = NULL;
        int r = memcg_path(path, file, &p);

        if (r < 0)
                return r;
        return read_u64_file(p, ret);
}

int memcg_reclaim(const char *path, uint64_t bytes) {
        _cleanup_free_ char *p = NULL;
        char number[32];
        int r = memcg_path(path, "memory.reclaim", &p);

        if (r < 0)
                return r;
        snprintf(number, sizeof(number), "%" PRIu64, bytes);
        return write_string_file(p, number);
}
