/* SPDX-License-Identifier: MIT */
#pragma once

/* Replaces 'path' with 'text' atomically: a temporary file in the same
 * directory, fsync, rename. A crash leaves either the old or the new
 * content, never a mix. */
int write_file_atomic(const char *path, const char *text);
