/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest file read_full_file() accepts: /proc and /sys files we parse are
 * far smaller; anything bigger is not what we expect and is refused. What
 * grows with a process (smaps) goes through read_file_chunked() instead. */
#define READ_FULL_FILE_MAX (4U * 1024U * 1024U)

/* Reads a whole file (also /proc and /sys files that report size 0) into a
 * NUL-terminated buffer. Returns 0 or a negative errno; -EFBIG when it
 * exceeds READ_FULL_FILE_MAX. */
int read_full_file(const char *path, char **ret, size_t *ret_size);

/* Reads a file from its start to its end in read()s of up to 'chunk_size'
 * bytes and hands each to consume(), which may keep what it needs: no
 * size limit, and memory for one chunk only. Stops at the first negative
 * return of consume() and returns it; else 0 or the negative errno of
 * open() or read(). */
int read_file_chunked(const char *path, size_t chunk_size,
                      int (*consume)(const char *buf, size_t len, void *userdata), void *userdata);

/* Reads a sysfs attribute that holds one unsigned decimal number; -EBADMSG
 * when it holds anything else. */
int read_u64_file(const char *path, uint64_t *ret);

/* Writes 's' to an existing file (a /proc or /sys attribute) in one
 * write(). The file is truncated, which procfs and sysfs ignore, so a
 * regular file standing in for an attribute in tests holds exactly 's'.
 * -EIO on a short write. */
int write_string_file(const char *path, const char *s);

/* Creates 'path' and the directories above it that are missing. */
int mkdir_parents(const char *path, mode_t mode);
