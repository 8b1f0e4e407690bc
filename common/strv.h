/* SPDX-License-Identifier: MIT */
#pragma once

/* Lists of strings as the configuration keeps them: an array and a count. */

#include <stdbool.h>
#include <stddef.h>

/* Frees the first n strings and the array. */
void strv_free(char **l, size_t n);

/* Frees the strings and the array, and leaves an empty list. */
void strv_clear(char ***l, size_t *n);

/* Frees the strings from index 'keep' on; the list keeps the first ones. */
void strv_truncate(char **l, size_t *n, size_t keep);

/* Appends a copy of the 'len' bytes at 's' unless the list holds them
 * already. 1 when appended, 0 when there, -ENOMEM. */
int strv_append_unique_len(char ***l, size_t *n, const char *s, size_t len);

/* The same for a string. */
int strv_append_unique(char ***l, size_t *n, const char *s);

/* Whether the first n strings hold 's'. */
bool strv_contains(char *const *l, size_t n, const char *s);

/* Whether both lists hold the same strings in the same order. */
bool strv_equal(char *const *a, size_t na, char *const *b, size_t nb);
