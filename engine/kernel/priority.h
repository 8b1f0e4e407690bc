/* SPDX-License-Identifier: MIT */
#pragma once

#include <sys/types.h>

/* Puts the calling thread at the lowest CPU and I/O priority: nice 19,
 * SCHED_IDLE and the idle I/O class. The engine's workers call it (the
 * cycle, ReclaimProcess); the thread that answers the bus keeps the
 * service's priority, so that it answers while the machine is busy. Each
 * step that fails is logged and skipped; returns the first error or 0. */
int priority_lower(void);

/* Puts thread 'tid' of this process back at the service's priority (nice
 * 0, SCHED_OTHER, best-effort I/O): before the loop waits for a worker it
 * cancelled, so that the worker reaches its next check at once instead of
 * when an idle CPU comes by. Does nothing when no such thread of this
 * process lives (it finished). Returns 0 or the first error. */
int priority_restore_thread(pid_t tid);

/* Asks the scheduler for a short time slice (SCHED_OTHER, same nice, so the
 * same share of the CPU) for the calling thread: on kernels with EEVDF's
 * custom slices (6.12 and later) a thread with a shorter slice than the one
 * running preempts it when it wakes, so the loop that answers the bus runs
 * within a fraction of a millisecond of a call arriving even when busy
 * processes fill every CPU. Threads started later inherit it; a worker that
 * lowers itself to SCHED_IDLE drops it. Older kernels refuse or ignore it:
 * returns -EOPNOTSUPP (not logged as an error) or another negative errno. */
int priority_short_slice(void);
