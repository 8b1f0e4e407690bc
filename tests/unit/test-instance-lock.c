/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/time-util.h"
#include "state/instance-lock.h"
#include "test-tempdir.h"
#include "test-util.h"

typedef struct Waited {
        int calls;
        pid_t holder;
} Waited;

static void on_wait(pid_t holder, void *userdata) {
        Waited *w = userdata;

        w->calls++;
        w->holder = holder;
}

static void test_free(void) {
        char *dir = tempdir_new(), *path = tempdir_path(dir, INSTANCE_LOCK_FILE), *text;
        Waited w = {};
        int fd;

        fd = instance_lock_take(path, 0, on_wait, &w, NULL);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ_INT(w.calls, 0);
        /* The holder's pid is in the file, and the descriptor does not
         * leak into programs the engine runs. */
        text = tempdir_read(dir, INSTANCE_LOCK_FILE);
        ASSERT_EQ_INT(instance_lock_parse_holder(text, strlen(text)), getpid());
        ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        free(text);
        close(fd);
        free(path);
        tempdir_remove(dir);
}

/* A second open file description of the same file is a second instance
 * for flock(2), in this process too. */
static void test_busy_gives_up(void) {
        char *dir = tempdir_new(), *path = tempdir_path(dir, INSTANCE_LOCK_FILE);
        uint64_t t0;
        Waited w = {};
        pid_t holder = 0;
        int fd;

        fd = instance_lock_take(path, 0, NULL, NULL, NULL);
        ASSERT_TRUE(fd >= 0);
        t0 = now_usec(CLOCK_MONOTONIC);
        ASSERT_ERRNO(instance_lock_take(path, 200 * 1000, on_wait, &w, &holder), -EBUSY);
        ASSERT_TRUE(now_usec(CLOCK_MONOTONIC) - t0 >= 200 * 1000);
        ASSERT_EQ_INT(w.calls, 1);
        ASSERT_EQ_INT(w.holder, getpid());
        ASSERT_EQ_INT(holder, getpid());
        /* Without waiting: at once. */
        ASSERT_ERRNO(instance_lock_take(path, 0, NULL, NULL, NULL), -EBUSY);
        close(fd);
        /* Closing is releasing. */
        fd = instance_lock_take(path, 0, NULL, NULL, NULL);
        ASSERT_TRUE(fd >= 0);
        close(fd);
        free(path);
        tempdir_remove(dir);
}

/* The earlier instance exits while the new one waits: the new one gets
 * the lock then, not before, and the file names it. */
static void test_waits_for_exit(void) {
        char *dir = tempdir_new(), *path = tempdir_path(dir, INSTANCE_LOCK_FILE), *text;
        int ready[2], fd, status;
        Waited w = {};
        pid_t child;
        char c;

        ASSERT_OK(pipe(ready) < 0 ? -errno : 0);
        child = fork();
        ASSERT_TRUE(child >= 0);
        if (child == 0) {
                int cfd = instance_lock_take(path, 0, NULL, NULL, NULL);

                if (cfd < 0)
                        _exit(1);
                (void) !write(ready[1], "x", 1);
                usleep(300 * 1000);
                _exit(0);
        }
        ASSERT_TRUE(read(ready[0], &c, 1) == 1);
        fd = instance_lock_take(path, 10 * USEC_PER_SEC, on_wait, &w, NULL);
        ASSERT_TRUE(fd >= 0);
        ASSERT_EQ_INT(w.calls, 1);
        ASSERT_EQ_INT(w.holder, child);
        /* It got the lock because the child is gone. */
        ASSERT_EQ_INT(waitpid(child, &status, WNOHANG), child);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        text = tempdir_read(dir, INSTANCE_LOCK_FILE);
        ASSERT_EQ_INT(instance_lock_parse_holder(text, strlen(text)), getpid());
        free(text);
        close(fd);
        close(ready[0]);
        close(ready[1]);
        free(path);
        tempdir_remove(dir);
}

/* A link planted where the lock goes is not followed. */
static void test_symlink_refused(void) {
        char *dir = tempdir_new(), *path = tempdir_path(dir, INSTANCE_LOCK_FILE);
        char *target = tempdir_path(dir, "elsewhere");

        ASSERT_OK(symlink(target, path) < 0 ? -errno : 0);
        ASSERT_ERRNO(instance_lock_take(path, 0, NULL, NULL, NULL), -ELOOP);
        ASSERT_EQ_INT(access(target, F_OK), -1);
        free(target);
        free(path);
        tempdir_remove(dir);
}

static void test_parse_holder(void) {
        ASSERT_EQ_INT(instance_lock_parse_holder("1234\n", 5), 1234);
        ASSERT_EQ_INT(instance_lock_parse_holder("1234", 4), 1234);
        ASSERT_EQ_INT(instance_lock_parse_holder("", 0), 0);
        ASSERT_EQ_INT(instance_lock_parse_holder("0\n", 2), 0);
        ASSERT_EQ_INT(instance_lock_parse_holder("-5\n", 3), 0);
        ASSERT_EQ_INT(instance_lock_parse_holder("12x\n", 4), 0);
        ASSERT_EQ_INT(instance_lock_parse_holder("99999999999\n", 12), 0);
}

static const TestCase cases[] = {
        { .name = "free", .func = test_free },
        { .name = "busy-gives-up", .func = test_busy_gives_up },
        { .name = "waits-for-exit", .func = test_waits_for_exit },
        { .name = "symlink-refused", .func = test_symlink_refused },
        { .name = "parse-holder", .func = test_parse_holder },
};

TEST_MAIN(cases)
