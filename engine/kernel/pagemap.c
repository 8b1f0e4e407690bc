/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/paths.h"
#include "kernel/pagemap.h"

int pagemap_open(pid_t pid) {
        _cleanup_free_ char *path = NULL;
        int fd;

        if (asprintf(&path, "%s/proc/%d/pagemap", root_prefix(), (int) pid) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        return fd;
}

ssize_t pagemap_read(int fd, uint64_t start, size_t page_size, uint64_t *entries, size_t n) {
        size_t got = 0;

        while (got < n) {
                ssize_t k =
                        pread(fd, (char *) entries + got * sizeof(uint64_t), (n - got) * sizeof(uint64_t),
                              (off_t) ((start / page_size + got) * sizeof(uint64_t)));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == ESRCH ? -ESRCH : -errno;
                }
                if (k == 0)
                        break;
                got += (size_t) k / sizeof(uint64_t);
        }
        return (ssize_t) got;
}
