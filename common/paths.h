/* SPDX-License-Identifier: MIT */
#pragma once

/* Every /proc and /sys path goes through here so that tests can point the
 * engine at a fixture tree. NULL or "" means the real root. */
int root_set_prefix(const char *prefix);

/* The current prefix, "" for the real root. */
const char *root_prefix(void);

/* Returns a newly allocated prefix + 'path' ('path' is absolute, e.g.
 * "/proc/meminfo"), or NULL when out of memory. */
char *root_path(const char *path);
