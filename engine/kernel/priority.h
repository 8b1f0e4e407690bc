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
