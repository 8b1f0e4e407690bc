/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "parse-util.h"
#include "paths.h"
#include "zram.h"

int zram_mm_stat_parse(const char *buf, size_t len, ZramMmStat *ret) {
        uint64_t v[9];
        const char *p = buf, *end = buf + len, *f;
        size_t n = 0, fl;
        int r;

        if (len > 0 && buf[len - 1] == '\n')
                end--;
        /* A newline inside would mean more than one line: not mm_stat. */
        if (memchr(buf, '\n', (size_t) (end - buf)))
                return -EBADMSG;

        while (next_field(&p, end, &f, &fl)) {
                if (n >= ELEMENTSOF(v))
                        return -EBADMSG;
                r = parse_u64(f, fl, &v[n]);
                if (r < 0)
                        return r == -EINVAL ? -EBADMSG : r;
                n++;
        }
        if (n < 7)
                return -EBADMSG;

        *ret = (ZramMmStat){
                .orig_data_bytes = v[0],
                .compr_data_bytes = v[1],
                .mem_used_total_bytes = v[2],
                .mem_limit_bytes = v[3],
                .mem_used_max_bytes = v[4],
                .same_pages = v[5],
                .pages_compacted = v[6],
                .huge_pages = n > 7 ? v[7] : 0,
                .huge_pages_since = n > 8 ? v[8] : 0,
                .n_fields = (unsigned) n,
        };
        return 0;
}

static int zram_read_device(unsigned id, ZramDevice *ret) {
        _cleanup_free_ char *dir = NULL, *buf = NULL;
        char path[PATH_MAX];
        size_t size;
        int r;

        if (asprintf(&dir, "%s/sys/block/zram%u", root_prefix(), id) < 0)
                return -ENOMEM;

        *ret = (ZramDevice){ .id = id };
        snprintf(ret->name, sizeof(ret->name), "zram%u", id);

        snprintf(path, sizeof(path), "%s/disksize", dir);
        r = read_u64_file(path, &ret->disksize_bytes);
        if (r < 0)
                return r;

        snprintf(path, sizeof(path), "%s/mm_stat", dir);
        r = read_full_file(path, &buf, &size);
        if (r < 0)
                return r;
        return zram_mm_stat_parse(buf, size, &ret->mm);
}

static int cmp_unsigned(const void *a, const void *b) {
        unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;
        return x < y ? -1 : x > y;
}

int zram_list_devices(ZramDevice **ret, size_t *ret_n) {
        _cleanup_free_ char *block = NULL;
        _cleanup_free_ unsigned *ids = NULL;
        _cleanup_free_ ZramDevice *devices = NULL;
        DIR *d;
        struct dirent *de;
        size_t n_ids = 0, n = 0;
        int r = 0;

        block = root_path("/sys/block");
        if (!block)
                return -ENOMEM;

        d = opendir(block);
        if (!d) {
                if (errno == ENOENT)
                        goto done;
                return -errno;
        }
        while ((de = readdir(d))) {
                uint64_t id;
                unsigned *p;

                if (strncmp(de->d_name, "zram", 4) != 0 ||
                    parse_u64(de->d_name + 4, strlen(de->d_name + 4), &id) < 0 || id > 0xFFFF)
                        continue;
                p = realloc(ids, (n_ids + 1) * sizeof(unsigned));
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                ids = p;
                ids[n_ids++] = (unsigned) id;
        }
        closedir(d);
        if (r < 0)
                return r;

        qsort(ids, n_ids, sizeof(unsigned), cmp_unsigned);
        if (n_ids > 0) {
                devices = calloc(n_ids, sizeof(ZramDevice));
                if (!devices)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n_ids; i++) {
                r = zram_read_device(ids[i], &devices[n]);
                if (r == -ENOENT || r == -ENODEV) {
                        /* Removed between readdir and read: not there any more. */
                        continue;
                }
                if (r < 0)
                        return log_debug_errno(r, "Failed to read zram%u: %m", ids[i]);
                n++;
        }

done:
        *ret = TAKE_PTR(devices);
        *ret_n = n;
        return 0;
}
