/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/strv.h"

void strv_free(char **l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i]);
        free(l);
}

void strv_clear(char ***l, size_t *n) {
        strv_free(*l, *n);
        *l = NULL;
        *n = 0;
}

void strv_truncate(char **l, size_t *n, size_t keep) {
        for (size_t i = keep; i < *n; i++)
                free(l[i]);
        if (keep < *n)
                *n = keep;
}

int strv_append_unique_len(char ***l, size_t *n, const char *s, size_t len) {
        char **nl, *copy;

        for (size_t i = 0; i < *n; i++)
                if (strlen((*l)[i]) == len && memcmp((*l)[i], s, len) == 0)
                        return 0;
        copy = strndup(s, len);
        if (!copy)
                return -ENOMEM;
        nl = realloc(*l, (*n + 1) * sizeof(char *));
        if (!nl) {
                free(copy);
                return -ENOMEM;
        }
        nl[(*n)++] = copy;
        *l = nl;
        return 1;
}

int strv_append_unique(char ***l, size_t *n, const char *s) {
        return strv_append_unique_len(l, n, s, strlen(s));
}

bool strv_contains(char *const *l, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (streq(l[i], s))
                        return true;
        return false;
}

bool strv_equal(char *const *a, size_t na, char *const *b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}
