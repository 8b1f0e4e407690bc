/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/zram.h"

/* More fields than any kernel will print: not mm_stat. */
#define ZRAM_MM_STAT_FIELDS_MAX 64

/* Parses one line of unsigned numbers, as zram's *_stat attributes print
 * them: keeps the first 'n_keep' in 'v', checks the rest are numbers too,
 * and counts them in *ret_n. -EBADMSG for more than one line, a field that
 * is no number, or more than 'n_max' fields. */
static int parse_stat_line(const char *buf, size_t len, uint64_t *v, size_t n_keep, size_t n_max,
                           size_t *ret_n) {
        const char *p = buf, *end = buf + len, *f;
        size_t n = 0, fl;
        int r;

        if (len > 0 && buf[len - 1] == '\n')
                end--;
        /* A newline inside would mean more than one line. */
        if (memchr(buf, '\n', (size_t) (end - buf)))
                return -EBADMSG;
        while (next_field(&p, end, &f, &fl)) {
                uint64_t extra;

                if (n >= n_max)
                        return -EBADMSG;
                r = parse_u64(f, fl, n < n_keep ? &v[n] : &extra);
                if (r < 0)
                        return r == -EINVAL ? -EBADMSG : r;
                n++;
        }
        *ret_n = n;
        return 0;
}

int zram_mm_stat_parse(const char *buf, size_t len, ZramMmStat *ret) {
        uint64_t v[9];
        size_t n;
        int r;

        /* A later kernel may add fields at the end: they must be numbers,
         * and are not ours to read. */
        r = parse_stat_line(buf, len, v, ELEMENTSOF(v), ZRAM_MM_STAT_FIELDS_MAX, &n);
        if (r < 0)
                return r;
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

/* /sys/block/zramN/ATTR, below the root prefix. */
static void attr_path(unsigned id, const char *attr, char path[static PATH_MAX]) {
        snprintf(path, PATH_MAX, "%s/sys/block/zram%u/%s", root_prefix(), id, attr);
}

int zram_read_attr(unsigned id, const char *attr, char **ret, size_t *ret_size) {
        char path[PATH_MAX];

        attr_path(id, attr, path);
        return read_full_file(path, ret, ret_size);
}

int zram_read_device(unsigned id, ZramDevice *ret) {
        char path[PATH_MAX];
        int r;

        *ret = (ZramDevice){ .id = id };
        snprintf(ret->name, sizeof(ret->name), "zram%u", id);

        attr_path(id, "disksize", path);
        r = read_u64_file(path, &ret->disksize_bytes);
        if (r < 0)
                return r;

        return zram_read_mm_stat(id, &ret->mm);
}

int zram_read_mm_stat(unsigned id, ZramMmStat *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = zram_read_attr(id, "mm_stat", &buf, &size);
        return r < 0 ? r : zram_mm_stat_parse(buf, size, ret);
}

int zram_bd_stat_parse(const char *buf, size_t len, ZramBdStat *ret) {
        uint64_t v[3];
        size_t n;
        int r;

        r = parse_stat_line(buf, len, v, ELEMENTSOF(v), ELEMENTSOF(v), &n);
        if (r < 0)
                return r;
        if (n != ELEMENTSOF(v))
                return -EBADMSG;
        /* The kernel counts 4 KiB units whatever its page size. */
        if (v[0] > UINT64_MAX / 4096 || v[1] > UINT64_MAX / 4096 || v[2] > UINT64_MAX / 4096)
                return -EBADMSG;
        *ret = (ZramBdStat){
                .stored_bytes = v[0] * 4096,
                .read_bytes = v[1] * 4096,
                .written_bytes = v[2] * 4096,
        };
        return 0;
}

int zram_read_bd_stat(unsigned id, ZramBdStat *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = zram_read_attr(id, "bd_stat", &buf, &size);
        return r < 0 ? r : zram_bd_stat_parse(buf, size, ret);
}

bool zram_has_attr(unsigned id, const char *attr) {
        char path[PATH_MAX];

        attr_path(id, attr, path);
        return access(path, F_OK) == 0;
}

int zram_read_backing_dev(unsigned id, char **ret) {
        _cleanup_free_ char *buf = NULL;
        int r;

        r = zram_read_attr(id, "backing_dev", &buf, NULL);
        if (r < 0)
                return r;
        buf[strcspn(buf, "\n")] = 0;
        if (!*buf || streq(buf, "none"))
                return -ENOENT;
        *ret = TAKE_PTR(buf);
        return 0;
}

int zram_read_recomp_algorithm(unsigned id, char *buf, size_t size) {
        _cleanup_free_ char *text = NULL;
        const char *open, *close;
        int r;

        /* "#1: lzo lzo-rle lz4 [zstd]": the one in use in brackets. */
        r = zram_read_attr(id, "recomp_algorithm", &text, NULL);
        if (r < 0)
                return r;
        open = strchr(text, '[');
        close = open ? strchr(open, ']') : NULL;
        if (!close || close == open + 1)
                return -ENOENT;
        if ((size_t) (close - open - 1) >= size)
                return -ENAMETOOLONG;
        snprintf(buf, size, "%.*s", (int) (close - open - 1), open + 1);
        return 0;
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

int zram_write_attr(unsigned id, const char *attr, const char *value) {
        char path[PATH_MAX];

        attr_path(id, attr, path);
        return write_string_file(path, value);
}

int zram_hot_add(unsigned *ret_id) {
        _cleanup_free_ char *path = root_path("/sys/class/zram-control/hot_add");
        uint64_t id;
        int r;

        if (!path)
                return -ENOMEM;
        /* Reading the attribute is what creates the device. */
        r = read_u64_file(path, &id);
        if (r < 0)
                return r;
        if (id > 0xFFFF)
                return -ERANGE;
        *ret_id = (unsigned) id;
        return 0;
}

int zram_hot_remove(unsigned id) {
        _cleanup_free_ char *path = root_path("/sys/class/zram-control/hot_remove");
        char text[16];

        if (!path)
                return -ENOMEM;
        snprintf(text, sizeof(text), "%u", id);
        return write_string_file(path, text);
}

int zram_read_algorithms(unsigned id, char **ret) {
        return zram_read_attr(id, "comp_algorithm", ret, NULL);
}

bool zram_algorithm_offered(const char *list, const char *name) {
        const char *p = list, *end = list + strlen(list), *f;
        size_t fl;

        while (next_field(&p, end, &f, &fl)) {
                while (fl > 0 && f[fl - 1] == '\n')
                        fl--;
                if (fl >= 2 && f[0] == '[' && f[fl - 1] == ']') {
                        f++;
                        fl -= 2;
                }
                if (fl == strlen(name) && memcmp(f, name, fl) == 0)
                        return true;
        }
        return false;
}

const char *zram_pick_algorithm(const char *list, const char *configured) {
        static const char *const preferred[] = { "zstd", "lz4", "lzo-rle", "lzo" };
        static char first[32];
        const char *p = list, *end = list + strlen(list), *f;
        size_t fl;

        if (configured && !streq(configured, "auto") && zram_algorithm_offered(list, configured))
                return configured;
        for (size_t i = 0; i < ELEMENTSOF(preferred); i++)
                if (zram_algorithm_offered(list, preferred[i]))
                        return preferred[i];
        if (!next_field(&p, end, &f, &fl))
                return NULL;
        while (fl > 0 && strchr("[]\n", f[fl - 1]))
                fl--;
        if (fl > 0 && f[0] == '[') {
                f++;
                fl--;
        }
        if (fl == 0 || fl >= sizeof(first))
                return NULL;
        memcpy(first, f, fl);
        first[fl] = 0;
        return first;
}
