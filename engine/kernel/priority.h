/* SPDX-License-Identifier: MIT */
#pragma once

/* Puts the calling process at the lowest CPU and I/O priority: nice 19,
 * SCHED_IDLE and the idle I/O class. Each step that fails is logged and
 * skipped; returns the first error or 0. */
int priority_lower(void);
