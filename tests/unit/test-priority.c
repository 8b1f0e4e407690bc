/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kernel/priority.h"
#include "test-util.h"

typedef struct Seen {
        int lowered_policy, lowered_nice;
} Seen;

/* A worker lowers itself. */
static void *worker(void *userdata) {
        Seen *s = userdata;

        (void) priority_lower();
        s->lowered_policy = sched_getscheduler(0);
        errno = 0;
        s->lowered_nice = getpriority(PRIO_PROCESS, 0);
        return NULL;
}

static void test_lower_and_restore(void) {
        Seen s = {};
        pthread_t t;

        /* A worker that lowers itself lowers itself alone: the thread
         * that started it (the bus's) keeps its priority. */
        ASSERT_OK(-pthread_create(&t, NULL, worker, &s));
        ASSERT_OK(-pthread_join(t, NULL));
        ASSERT_EQ_INT(s.lowered_policy, SCHED_IDLE);
        ASSERT_EQ_INT(s.lowered_nice, 19);
        ASSERT_EQ_INT(sched_getscheduler(0), SCHED_OTHER);
        ASSERT_EQ_INT(getpriority(PRIO_PROCESS, 0), 0);

        /* This thread: lowered, then lifted by its own id. */
        ASSERT_OK(priority_lower());
        ASSERT_EQ_INT(sched_getscheduler(0), SCHED_IDLE);
        ASSERT_OK(priority_restore_thread(gettid()));
        ASSERT_EQ_INT(sched_getscheduler(0), SCHED_OTHER);
        ASSERT_EQ_INT(getpriority(PRIO_PROCESS, 0), 0);
}

/* A thread that is gone, or one of another process, is left alone. */
static void test_others_untouched(void) {
        int before = getpriority(PRIO_PROCESS, 1);

        ASSERT_OK(priority_restore_thread(1));
        ASSERT_EQ_INT(getpriority(PRIO_PROCESS, 1), before);
        ASSERT_OK(priority_restore_thread(0));
        ASSERT_OK(priority_restore_thread(-5));
}

static const TestCase cases[] = {
        { .name = "lower-and-restore", .func = test_lower_and_restore },
        { .name = "others-untouched", .func = test_others_untouched },
};

TEST_MAIN(cases)
