/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc-util.h"
#include "common/fileio.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/smaps.h"

/* One read() of smaps: the kernel renders whole VMAs into its own buffer
 * and hands out what fits, so any size works; 64 KiB is about 80 VMAs per
 * system call. */
#define SMAPS_READ_CHUNK_BYTES (64U * 1024U)

static int parse_hex(const char *s, size_t len, uint64_t *ret) {
        uint64_t v = 0;

        if (len == 0 || len > 16)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];
                unsigned d = c >= '0' && c <= '9'   ? (unsigned) (c - '0')
                             : c >= 'a' && c <= 'f' ? (unsigned) (c - 'a' + 10)
                                                    : 16;
                if (d > 15)
                        return -EINVAL;
                v = v << 4 | d;
        }
        *ret = v;
        return 0;
}

/* "start-end perms offset dev inode [path]": 1 when the line is a VMA
 * header, 0 when not (a "Key: value" line), -EBADMSG when malformed. */
static int parse_vma_header(const char *line, size_t len, SmapsVma *ret) {
        const char *p = line, *end = line + len, *f[6], *dash;
        size_t fl[6], n = 0;
        uint64_t inode;

        while (n < 5 && next_field(&p, end, &f[n], &fl[n]))
                n++;
        if (n == 0 || !(dash = memchr(f[0], '-', fl[0])))
                return 0;
        if (n < 5 || fl[1] != 4)
                return -EBADMSG;
        *ret = (SmapsVma){};
        if (parse_hex(f[0], (size_t) (dash - f[0]), &ret->start) < 0 ||
            parse_hex(dash + 1, (size_t) (f[0] + fl[0] - dash - 1), &ret->end) < 0 ||
            ret->end < ret->start || parse_u64(f[4], fl[4], &inode) < 0)
                return -EBADMSG;

        /* The rest of the line, spaces and all, is the path. */
        while (p < end && (*p == ' ' || *p == '\t'))
                p++;
        f[5] = p;
        fl[5] = (size_t) (end - p);

#define PATH_IS(s) (fl[5] >= strlen(s) && memcmp(f[5], s, strlen(s)) == 0)
        ret->special =
                PATH_IS("[vdso]") || PATH_IS("[vvar") || PATH_IS("[vsyscall]") || PATH_IS("[uprobes]");
        ret->anonymous = inode == 0 && !ret->special &&
                         (fl[5] == 0 || PATH_IS("[heap]") || PATH_IS("[stack") || PATH_IS("[anon:"));
#undef PATH_IS
        /* Shared mappings are page cache (shmem), not anonymous memory. */
        if (f[1][3] != 'p')
                ret->anonymous = false;
        return 1;
}

/* A "Key: N kB" line: the figure goes to its field of 'v'; other keys are
 * ignored. */
static int parse_figure(const char *line, size_t len, SmapsVma *v) {
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "Rss:", offsetof(SmapsVma, rss_bytes) },
                { "Anonymous:", offsetof(SmapsVma, anonymous_bytes) },
                { "Referenced:", offsetof(SmapsVma, referenced_bytes) },
                { "Swap:", offsetof(SmapsVma, swap_bytes) },
        };

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                size_t kl = strlen(keys[i].key);
                const char *p = line + kl, *end = line + len, *num, *unit;
                size_t num_len, unit_len;
                uint64_t kib;

                if (len < kl || memcmp(line, keys[i].key, kl) != 0)
                        continue;
                if (!next_field(&p, end, &num, &num_len) || !next_field(&p, end, &unit, &unit_len) ||
                    unit_len != 2 || memcmp(unit, "kB", 2) != 0 || parse_u64(num, num_len, &kib) < 0 ||
                    mul_u64(kib, 1024, (uint64_t *) ((char *) v + keys[i].offset)) < 0)
                        return -EBADMSG;
                return 0;
        }
        return 0;
}

static bool filter_keeps(const SmapsFilter *f, const SmapsVma *v) {
        if (f->anonymous_only && !v->anonymous)
                return false;
        if (f->resident_only && v->rss_bytes == 0)
                return false;
        return v->end - v->start >= f->min_size_bytes;
}

/* The current VMA is complete: its figures come before the next header. */
static int parser_end_vma(SmapsParser *p) {
        if (!p->have_current)
                return 0;
        p->have_current = false;
        p->n_seen++;
        if (!filter_keeps(&p->filter, &p->current))
                return 0;
        if (GREEDY_REALLOC(p->vmas, p->n_allocated, p->n_vmas + 1) < 0)
                return -ENOMEM;
        p->vmas[p->n_vmas++] = p->current;
        return 0;
}

static int parser_line(SmapsParser *p, const char *line, size_t len) {
        SmapsVma header;
        int r;

        /* The same prefix whether the line came whole or in pieces. */
        if (len > SMAPS_LINE_MAX)
                len = SMAPS_LINE_MAX;
        r = parse_vma_header(line, len, &header);
        if (r < 0)
                return r;
        if (r > 0) {
                r = parser_end_vma(p);
                if (r < 0)
                        return r;
                p->current = header;
                p->have_current = true;
                return 0;
        }
        if (!p->have_current)
                return -EBADMSG;
        return parse_figure(line, len, &p->current);
}

void smaps_parser_init(SmapsParser *p, const SmapsFilter *filter) {
        *p = (SmapsParser){ .filter = filter ? *filter : (SmapsFilter){} };
}

void smaps_parser_done(SmapsParser *p) {
        free(p->vmas);
        smaps_parser_init(p, &p->filter);
}

int smaps_parser_feed(SmapsParser *p, const char *buf, size_t len) {
        const char *end = buf + len;
        int r;

        if (p->error < 0)
                return p->error;
        while (buf < end) {
                const char *nl = memchr(buf, '\n', (size_t) (end - buf));
                size_t n = (size_t) ((nl ?: end) - buf);

                /* A line cut by the chunk's end waits for the next chunk;
                 * only its first SMAPS_LINE_MAX bytes are kept. */
                if (!nl || p->in_line) {
                        size_t room = SMAPS_LINE_MAX - p->line_len, take = n < room ? n : room;

                        memcpy(p->line + p->line_len, buf, take);
                        p->line_len += take;
                        p->in_line = true;
                        if (!nl)
                                break;
                        r = parser_line(p, p->line, p->line_len);
                        p->line_len = 0;
                        p->in_line = false;
                } else
                        r = parser_line(p, buf, n);
                if (r < 0)
                        return (p->error = r);
                buf = nl + 1;
        }
        return 0;
}

int smaps_parser_finish(SmapsParser *p, SmapsVma **ret, size_t *ret_n) {
        int r = p->error;

        if (r >= 0 && p->in_line)
                r = parser_line(p, p->line, p->line_len);
        if (r >= 0)
                r = parser_end_vma(p);
        if (r < 0) {
                smaps_parser_done(p);
                return r;
        }
        *ret = TAKE_PTR(p->vmas);
        *ret_n = p->n_vmas;
        smaps_parser_init(p, &p->filter);
        return 0;
}

static int smaps_consume(const char *buf, size_t len, void *userdata) {
        return smaps_parser_feed(userdata, buf, len);
}

/* smaps and maps share their header lines; maps has nothing else. */
static int vmas_read(pid_t pid, const char *name, const SmapsFilter *filter, SmapsVma **ret, size_t *ret_n) {
        _cleanup_free_ char *path = NULL;
        SmapsParser p;
        int r;

        if (asprintf(&path, "%s/proc/%d/%s", root_prefix(), (int) pid, name) < 0)
                return -ENOMEM;
        smaps_parser_init(&p, filter);
        r = read_file_chunked(path, SMAPS_READ_CHUNK_BYTES, smaps_consume, &p);
        if (r < 0) {
                smaps_parser_done(&p);
                return r == -ENOENT ? -ESRCH : r;
        }
        return smaps_parser_finish(&p, ret, ret_n);
}

int smaps_read(pid_t pid, const SmapsFilter *filter, SmapsVma **ret, size_t *ret_n) {
        return vmas_read(pid, "smaps", filter, ret, ret_n);
}

int maps_read(pid_t pid, const SmapsFilter *filter, SmapsVma **ret, size_t *ret_n) {
        if (filter && filter->resident_only)
                return -EINVAL;
        return vmas_read(pid, "maps", filter, ret, ret_n);
}
