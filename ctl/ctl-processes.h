/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

typedef enum ProcessSort {
        SORT_ANON,
        SORT_SWAP,
        SORT_IDLE,
        SORT_PAGEOUT,
        SORT_PID,
        _SORT_MAX,
        _SORT_INVALID = -1,
} ProcessSort;

/* "anon", "swap", "idle", "pageout", "pid"; _SORT_INVALID otherwise. */
ProcessSort process_sort_from_string(const char *s);

/* Calls ListProcesses and prints a table (or JSON), sorted, at most 'top'
 * rows (0: all). */
int verb_processes(sd_bus *bus, ProcessSort sort, unsigned top, bool json);
