/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "kernel/zswap.h"

bool zswap_pinned_in_cmdline(const char *cmdline, size_t len) {
        const char *p = cmdline, *end = cmdline + len, *f;
        size_t fl;

        while (p < end && next_field(&p, end, &f, &fl)) {
                /* Arguments after "--" go to init, not the kernel. */
                if (fl == 2 && memcmp(f, "--", 2) == 0)
                        break;
                while (fl > 0 && (f[fl - 1] == '\n' || f[fl - 1] == '\r'))
                        fl--;
                if (fl >= 14 && memcmp(f, "zswap.enabled=", 14) == 0)
                        return true;
        }
        return false;
}

static char *zswap_path(void) {
        return root_path("/sys/module/zswap/parameters/enabled");
}

int zswap_read_enabled(void) {
        _cleanup_free_ char *path = zswap_path(), *buf = NULL;
        size_t size;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, &buf, &size);
        if (r < 0)
                return r;
        if (size >= 1 && (buf[0] == 'Y' || buf[0] == '1'))
                return 1;
        if (size >= 1 && (buf[0] == 'N' || buf[0] == '0'))
                return 0;
        return -EBADMSG;
}

int zswap_write_enabled(bool enabled) {
        _cleanup_free_ char *path = zswap_path();

        if (!path)
                return -ENOMEM;
        return write_string_file(path, enabled ? "Y\n" : "N\n");
}

bool zswap_pinned(void) {
        _cleanup_free_ char *path = root_path("/proc/cmdline"), *buf = NULL;
        size_t size;

        if (!path || read_full_file(path, &buf, &size) < 0)
                return false;
        return zswap_pinned_in_cmdline(buf, size);
}
