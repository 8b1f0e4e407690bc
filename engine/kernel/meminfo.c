/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/meminfo.h"

static const struct {
        const char *key;
        size_t offset;
} meminfo_fields[] = {
        { "MemTotal", offsetof(MemInfo, total_bytes) },
        { "MemFree", offsetof(MemInfo, free_bytes) },
        { "MemAvailable", offsetof(MemInfo, available_bytes) },
        { "SwapTotal", offsetof(MemInfo, swap_total_bytes) },
        { "SwapFree", offsetof(MemInfo, swap_free_bytes) },
};

/* Parses "   1234 kB" into bytes. */
static int parse_kib_value(const char *p, const char *end, uint64_t *ret) {
        const char *num, *unit, *extra;
        size_t num_len, unit_len, extra_len;
        uint64_t kib;
        int r;

        if (!next_field(&p, end, &num, &num_len) || !next_field(&p, end, &unit, &unit_len))
                return -EBADMSG;
        if (next_field(&p, end, &extra, &extra_len))
                return -EBADMSG;
        if (unit_len != 2 || memcmp(unit, "kB", 2) != 0)
                return -EBADMSG;

        r = parse_u64(num, num_len, &kib);
        if (r == -EINVAL)
                return -EBADMSG;
        if (r < 0)
                return r;
        return mul_u64(kib, 1024, ret);
}

int meminfo_parse(const char *buf, size_t len, MemInfo *ret) {
        unsigned seen = 0;
        MemInfo m = {};
        const char *line;
        size_t pos = 0, line_len;
        int r;

        while (next_line(buf, len, &pos, &line, &line_len)) {
                const char *colon = memchr(line, ':', line_len);
                size_t key_len;

                if (!colon)
                        continue;
                key_len = (size_t) (colon - line);

                for (size_t i = 0; i < ELEMENTSOF(meminfo_fields); i++) {
                        if (strlen(meminfo_fields[i].key) != key_len ||
                            memcmp(meminfo_fields[i].key, line, key_len) != 0)
                                continue;
                        if (seen & (1U << i))
                                return -EBADMSG;

                        r = parse_kib_value(colon + 1, line + line_len,
                                            (uint64_t *) ((char *) &m + meminfo_fields[i].offset));
                        if (r < 0)
                                return r;
                        seen |= 1U << i;
                }
        }

        if (seen != (1U << ELEMENTSOF(meminfo_fields)) - 1)
                return -EBADMSG;

        *ret = m;
        return 0;
}

int meminfo_read(MemInfo *ret) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        size_t size;
        int r;

        path = root_path("/proc/meminfo");
        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &buf, &size);
        if (r < 0)
                return r;
        return meminfo_parse(buf, size, ret);
}

uint64_t meminfo_swap_used_bytes(const MemInfo *m) {
        return m->swap_total_bytes > m->swap_free_bytes ? m->swap_total_bytes - m->swap_free_bytes : 0;
}
