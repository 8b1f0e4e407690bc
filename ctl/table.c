/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "format.h"
#include "table.h"

struct Table {
        size_t n_columns;
        const char *const *headers;
        bool *right;
        char **cells;
        size_t n_cells, allocated;
};

Table *table_new(size_t n_columns, const char *const *headers) {
        Table *t;

        assert(n_columns > 0);
        assert(headers);

        t = calloc(1, sizeof(Table));
        if (!t)
                return NULL;
        t->right = calloc(n_columns, sizeof(bool));
        if (!t->right) {
                free(t);
                return NULL;
        }
        t->n_columns = n_columns;
        t->headers = headers;
        return t;
}

void table_free(Table *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t->right);
        free(t);
}

void table_align_right(Table *t, size_t column) {
        assert(column < t->n_columns);
        t->right[column] = true;
}

int table_add_cell(Table *t, const char *text) {
        char *e;

        if (t->n_cells == t->allocated) {
                size_t n = t->allocated ? t->allocated * 2 : 64;
                char **c = realloc(t->cells, n * sizeof(char *));

                if (!c)
                        return -ENOMEM;
                t->cells = c;
                t->allocated = n;
        }
        e = escape_text(text ?: "");
        if (!e)
                return -ENOMEM;
        t->cells[t->n_cells++] = e;
        return 0;
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns;
}

static void print_cell(FILE *f, const char *text, size_t width, bool right, bool last) {
        size_t w = text_width(text);
        size_t pad = width > w ? width - w : 0;

        if (right)
                fprintf(f, "%*s%s", (int) pad, "", text);
        else if (last)
                fputs(text, f);
        else
                fprintf(f, "%s%*s", text, (int) pad, "");
}

int table_print(const Table *t, FILE *f, const OutputOptions *o) {
        size_t rows = table_rows(t);
        _cleanup_free_ size_t *widths = calloc(t->n_columns, sizeof(size_t));

        if (!widths)
                return -ENOMEM;
        for (size_t c = 0; c < t->n_columns; c++)
                widths[c] = text_width(t->headers[c]);
        for (size_t i = 0; i < rows * t->n_columns; i++) {
                size_t w = text_width(t->cells[i]);

                if (w > widths[i % t->n_columns])
                        widths[i % t->n_columns] = w;
        }

        if (!o->no_legend) {
                fputs(ansi_bold(o), f);
                for (size_t c = 0; c < t->n_columns; c++) {
                        if (c > 0)
                                fputc(' ', f);
                        print_cell(f, t->headers[c], widths[c], t->right[c], c + 1 == t->n_columns);
                }
                fprintf(f, "%s\n", ansi_normal(o));
        }

        for (size_t r = 0; r < rows; r++) {
                for (size_t c = 0; c < t->n_columns; c++) {
                        if (c > 0)
                                fputc(' ', f);
                        print_cell(f, t->cells[r * t->n_columns + c], widths[c], t->right[c],
                                   c + 1 == t->n_columns);
                }
                fputc('\n', f);
        }
        return ferror(f) ? -EIO : 0;
}
