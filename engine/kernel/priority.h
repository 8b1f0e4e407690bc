/* SPDX-License-Identifier: MIT */
#pragma once

/* Puts the calling thread at the lowest CPU and I/O priority: nice 19,
 * SCHED_IDLE and the idle I/O class. The engine's workers call it (the
 * cycle, ReclaimProcess); the thread that answers the bus keeps the
 * service's priority, so that it answers while the machine is busy. Each
 * step that fails is logged and skipped; returns the first error or 0. */
int priority_lower(void);
