/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Opens /proc/PID/pagemap for reading (root prefix honoured); -ESRCH when
 * the process is gone. */
int pagemap_open(pid_t pid);

/* Reads the entries of up to n pages from the page-aligned address 'start'
 * into 'entries' (retrying short reads). Returns how many were read: fewer
 * than n only at the end of the address space; or a negative errno. */
ssize_t pagemap_read(int fd, uint64_t start, size_t page_size, uint64_t *entries, size_t n);
