/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether the kernel command line sets zswap.enabled= (the administrator
 * pinned zswap; then it is left as it is). */
bool zswap_pinned_in_cmdline(const char *cmdline, size_t len);

/* Reads /sys/module/zswap/parameters/enabled: 1 (Y), 0 (N), -ENOENT when
 * the kernel has no zswap. */
int zswap_read_enabled(void);

/* Writes it. */
int zswap_write_enabled(bool enabled);

/* Reads /proc/cmdline and checks it as above; false when unreadable. */
bool zswap_pinned(void);
