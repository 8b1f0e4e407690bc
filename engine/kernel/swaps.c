/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/swaps.h"

/* The kernel escapes space, tab, newline and backslash in paths as \ooo. */
static char *unescape_octal(const char *s, size_t len) {
        char *out = malloc(len + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        *o++ = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
                        i += 3;
                } else
                        *o++ = s[i];
        }
        *o = 0;
        return out;
}

static int parse_kib_field(const char *s, size_t len, uint64_t *ret) {
        uint64_t kib;
        int r;

        r = parse_u64(s, len, &kib);
        if (r < 0)
                return r == -EINVAL ? -EBADMSG : r;
        return mul_u64(kib, 1024, ret);
}

static int parse_swap_row(const char *line, size_t line_len, SwapEntry *ret) {
        const char *p = line, *end = line + line_len, *f[6];
        size_t fl[6];
        size_t n = 0;
        int64_t prio;
        int r;

        while (n < ELEMENTSOF(f) && next_field(&p, end, &f[n], &fl[n]))
                n++;
        if (n != 5)
                return -EBADMSG;

        r = parse_kib_field(f[2], fl[2], &ret->size_bytes);
        if (r < 0)
                return r;
        r = parse_kib_field(f[3], fl[3], &ret->used_bytes);
        if (r < 0)
                return r;
        r = parse_i64(f[4], fl[4], &prio);
        if (r < 0 || prio < INT_MIN || prio > INT_MAX)
                return -EBADMSG;
        ret->priority = (int) prio;

        ret->path = unescape_octal(f[0], fl[0]);
        ret->type = strndup(f[1], fl[1]);
        if (!ret->path || !ret->type) {
                free(ret->path);
                free(ret->type);
                return -ENOMEM;
        }
        return 0;
}

int swaps_parse(const char *buf, size_t len, SwapList *ret) {
        SwapList l = {};
        const char *line;
        size_t pos = 0, line_len;
        int r;

        if (!next_line(buf, len, &pos, &line, &line_len) || line_len < 8 || memcmp(line, "Filename", 8) != 0)
                return -EBADMSG;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                SwapEntry *e;

                if (line_len == 0)
                        continue;
                e = realloc(l.entries, (l.n_entries + 1) * sizeof(SwapEntry));
                if (!e) {
                        r = -ENOMEM;
                        goto fail;
                }
                l.entries = e;
                r = parse_swap_row(line, line_len, &l.entries[l.n_entries]);
                if (r < 0)
                        goto fail;
                l.n_entries++;
        }

        *ret = l;
        return 0;

fail:
        swap_list_done(&l);
        return r;
}

int swaps_read(SwapList *ret) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        size_t size;
        int r;

        path = root_path("/proc/swaps");
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &buf, &size);
        if (r < 0)
                return r;
        return swaps_parse(buf, size, ret);
}

const SwapEntry *swap_list_find(const SwapList *l, const char *path) {
        const char *in_dev;

        for (size_t i = 0; i < l->n_entries; i++)
                if (streq(l->entries[i].path, path))
                        return &l->entries[i];

        /* The kernel prints the path swapon(2) was given as the reader's
         * mount namespace sees it. A device turned on in a namespace that
         * is gone since (the unit's private /dev, after a SIGKILL) reads
         * "/zram1" instead of "/dev/zram1". Only a block device, and only
         * exactly that form. */
        if (strncmp(path, "/dev/", 5) != 0)
                return NULL;
        in_dev = path + 5;
        if (!*in_dev || strchr(in_dev, '/'))
                return NULL;
        for (size_t i = 0; i < l->n_entries; i++) {
                const SwapEntry *e = &l->entries[i];

                if (streq(e->type, "partition") && e->path[0] == '/' && streq(e->path + 1, in_dev))
                        return e;
        }
        return NULL;
}

void swap_list_done(SwapList *l) {
        for (size_t i = 0; i < l->n_entries; i++) {
                free(l->entries[i].path);
                free(l->entries[i].type);
        }
        free(l->entries);
        *l = (SwapList){};
}
