/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "output.h"

/* A table of text cells printed in aligned columns under a header. Cells are
 * escaped as they are added, so that any string from the engine is safe. */
typedef struct Table Table;

/* A table with 'n_columns' named by 'headers'. NULL when out of memory. */
Table *table_new(size_t n_columns, const char *const *headers);
void table_free(Table *t);
static inline void table_freep(Table **t) {
        table_free(*t);
}

/* Right-aligns a column (numbers), header included. */
void table_align_right(Table *t, size_t column);

/* Appends one cell; rows fill left to right. Returns 0 or -ENOMEM. */
int table_add_cell(Table *t, const char *text);

/* The number of complete rows. */
size_t table_rows(const Table *t);

/* Prints the header (bold where the options allow) and every row; the last
 * column is not padded. Returns 0, -ENOMEM or -EIO. */
int table_print(const Table *t, FILE *f, const OutputOptions *o);
