/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Formats a byte count for people: "0 B", "512 B", "1.5 KiB", "23.4 GiB".
 * Returns buf. */
char *format_bytes(char *buf, size_t size, uint64_t bytes);
