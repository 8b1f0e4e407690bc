/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/ksm.h"

static int ksm_read_file(const char *name, char **ret, size_t *ret_size) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/sys/kernel/mm/ksm/%s", root_prefix(), name) < 0)
                return -ENOMEM;
        return read_full_file(path, ret, ret_size);
}

static int ksm_read_u64(const char *name, uint64_t *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = ksm_read_file(name, &buf, &size);
        if (r < 0)
                return r;
        r = parse_u64_line(buf, size, ret);
        return r == -EINVAL ? -EBADMSG : r;
}

int ksm_read_counters(KsmCounters *ret) {
        static const struct {
                const char *name;
                size_t offset;
        } required[] = {
                { "pages_shared", offsetof(KsmCounters, pages_shared) },
                { "pages_sharing", offsetof(KsmCounters, pages_sharing) },
                { "pages_unshared", offsetof(KsmCounters, pages_unshared) },
                { "pages_volatile", offsetof(KsmCounters, pages_volatile) },
                { "full_scans", offsetof(KsmCounters, full_scans) },
        };
        _cleanup_free_ char *buf = NULL;
        KsmCounters c = {};
        size_t size;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(required); i++) {
                r = ksm_read_u64(required[i].name, (uint64_t *) ((char *) &c + required[i].offset));
                if (r < 0)
                        return r;
        }

        /* Since 6.1 and 6.4 respectively. */
        r = ksm_read_u64("ksm_zero_pages", &c.ksm_zero_pages);
        if (r < 0 && r != -ENOENT)
                return r;
        c.has_ksm_zero_pages = r >= 0;

        /* Since 6.9: every page ksmd looked at. */
        r = ksm_read_u64("pages_scanned", &c.pages_scanned);
        if (r < 0 && r != -ENOENT)
                return r;
        c.has_pages_scanned = r >= 0;

        r = ksm_read_file("general_profit", &buf, &size);
        if (r >= 0) {
                r = parse_i64_line(buf, size, &c.general_profit);
                if (r < 0)
                        return r == -EINVAL ? -EBADMSG : r;
                c.has_general_profit = true;
        } else if (r != -ENOENT)
                return r;

        *ret = c;
        return 0;
}
