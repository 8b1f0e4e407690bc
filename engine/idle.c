/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "idle.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"
#include "paths.h"

void idle_result_done(IdleResult *r) {
        for (size_t i = 0; i < r->n_regions; i++)
                free(r->regions[i].idle_ranges);
        free(r->regions);
        *r = (IdleResult){};
}

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

static int vma_append(SmapsVma **l, size_t *n, const SmapsVma *v) {
        SmapsVma *x = realloc(*l, (*n + 1) * sizeof(SmapsVma));

        if (!x)
                return -ENOMEM;
        x[(*n)++] = *v;
        *l = x;
        return 0;
}

int smaps_parse(const char *buf, size_t len, SmapsVma **ret, size_t *ret_n) {
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "Rss:", offsetof(SmapsVma, rss_bytes) },
                { "Anonymous:", offsetof(SmapsVma, anonymous_bytes) },
                { "Referenced:", offsetof(SmapsVma, referenced_bytes) },
                { "Swap:", offsetof(SmapsVma, swap_bytes) },
        };
        SmapsVma *l = NULL, cur;
        size_t n = 0, pos = 0, line_len;
        bool have = false;
        const char *line;
        int r;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                SmapsVma h;

                r = parse_vma_header(line, line_len, &h);
                if (r < 0)
                        goto fail;
                if (r > 0) {
                        if (have && (r = vma_append(&l, &n, &cur)) < 0)
                                goto fail;
                        cur = h;
                        have = true;
                        continue;
                }
                if (!have) {
                        r = -EBADMSG;
                        goto fail;
                }
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t kl = strlen(keys[i].key);
                        const char *p = line + kl, *end = line + line_len, *num, *unit;
                        size_t num_len, unit_len;
                        uint64_t v;

                        if (line_len < kl || memcmp(line, keys[i].key, kl) != 0)
                                continue;
                        if (!next_field(&p, end, &num, &num_len) || !next_field(&p, end, &unit, &unit_len) ||
                            unit_len != 2 || memcmp(unit, "kB", 2) != 0 || parse_u64(num, num_len, &v) < 0 ||
                            mul_u64(v, 1024, (uint64_t *) ((char *) &cur + keys[i].offset)) < 0) {
                                r = -EBADMSG;
                                goto fail;
                        }
                }
        }
        if (have && (r = vma_append(&l, &n, &cur)) < 0)
                goto fail;
        *ret = l;
        *ret_n = n;
        return 0;

fail:
        free(l);
        return r;
}

static int range_append(struct iovec **l, size_t *n, uint64_t start, uint64_t len) {
        struct iovec *x;

        /* Coalesce with the previous range when contiguous. */
        if (*n > 0 && (uint64_t) (uintptr_t) (*l)[*n - 1].iov_base + (*l)[*n - 1].iov_len == start) {
                (*l)[*n - 1].iov_len += len;
                return 0;
        }
        x = realloc(*l, (*n + 1) * sizeof(struct iovec));
        if (!x)
                return -ENOMEM;
        x[*n] = (struct iovec){ .iov_base = (void *) (uintptr_t) start, .iov_len = len };
        (*n)++;
        *l = x;
        return 0;
}

int idle_ranges_from_pagemap(uint64_t start, size_t page_size, const uint64_t *entries, size_t n_pages,
                             int (*is_idle)(uint64_t pfn, void *userdata), void *userdata,
                             struct iovec **ret, size_t *ret_n, uint64_t *ret_present_bytes,
                             uint64_t *ret_idle_bytes) {
        struct iovec *l = NULL;
        size_t n = 0;
        uint64_t present = 0, idle = 0;
        int r;

        for (size_t i = 0; i < n_pages; i++) {
                uint64_t e = entries[i], pfn = e & PM_PFN_MASK;

                if (!(e & PM_PRESENT) || (e & PM_SWAP) || (e & PM_FILE_SHARED) || pfn == 0)
                        continue;
                present += page_size;
                r = is_idle(pfn, userdata);
                if (r < 0) {
                        free(l);
                        return r;
                }
                if (r == 0)
                        continue;
                idle += page_size;
                r = range_append(&l, &n, start + (uint64_t) i * page_size, page_size);
                if (r < 0) {
                        free(l);
                        return r;
                }
        }
        *ret = l;
        *ret_n = n;
        *ret_present_bytes = present;
        *ret_idle_bytes = idle;
        return 0;
}

const IdleBackend *idle_backend_pick(const Config *c) {
        switch (c->idle_backend) {
        case IDLE_BACKEND_PAGE_IDLE:
                if (idle_backend_page_idle.probe() > 0)
                        return &idle_backend_page_idle;
                log_error("idle_backend=page_idle, but the kernel has no /sys/kernel/mm/page_idle "
                          "(CONFIG_IDLE_PAGE_TRACKING); use auto or refs.");
                return NULL;
        case IDLE_BACKEND_REFS:
                return &idle_backend_refs;
        default:
                return idle_backend_page_idle.probe() > 0 ? &idle_backend_page_idle : &idle_backend_refs;
        }
}

int smaps_read(pid_t pid, SmapsVma **ret, size_t *ret_n) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        size_t size;
        int r;

        if (asprintf(&path, "%s/proc/%d/smaps", root_prefix(), (int) pid) < 0)
                return -ENOMEM;
        r = read_full_file(path, &buf, &size);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        return smaps_parse(buf, size, ret, ret_n);
}
