/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "common/macro.h"
#include "common/parse-util.h"
#include "common/time-util.h"
#include "state/instance-lock.h"

pid_t instance_lock_parse_holder(const char *text, size_t len) {
        uint64_t v;

        if (parse_u64_line(text, len, &v) < 0 || v == 0 || v > INT32_MAX)
                return 0;
        return (pid_t) v;
}

static pid_t read_holder(int fd) {
        char buf[32];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

        if (n <= 0)
                return 0;
        return instance_lock_parse_holder(buf, (size_t) n);
}

static int write_holder(int fd) {
        char buf[32];
        int len = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());

        if (ftruncate(fd, 0) < 0)
                return -errno;
        if (pwrite(fd, buf, (size_t) len, 0) != len)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

int instance_lock_take(const char *path, uint64_t timeout_usec,
                       void (*on_wait)(pid_t holder, void *userdata), void *userdata, pid_t *ret_holder) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + timeout_usec;
        bool told = false;
        int fd, r;

        /* Never follow a link someone put there: the file is root's. */
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) >= 0)
                        break;
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        r = -errno;
                        close(fd);
                        return r;
                }
                if (!told && on_wait)
                        on_wait(read_holder(fd), userdata);
                told = true;
                if (now_usec(CLOCK_MONOTONIC) >= deadline) {
                        if (ret_holder)
                                *ret_holder = read_holder(fd);
                        close(fd);
                        return -EBUSY;
                }
                (void) nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
        r = write_holder(fd);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}
