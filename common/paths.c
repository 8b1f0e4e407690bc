/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macro.h"
#include "common/paths.h"

static char *prefix;

int root_set_prefix(const char *p) {
        char *copy = NULL;

        if (p && *p) {
                if (p[0] != '/')
                        return -EINVAL;
                copy = strdup(p);
                if (!copy)
                        return -ENOMEM;
                /* "/x/" + "/proc" would work, but keep paths tidy in logs. */
                for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
                        copy[n - 1] = 0;
        }
        free(prefix);
        prefix = copy;
        return 0;
}

const char *root_prefix(void) {
        return prefix ?: "";
}

char *root_path(const char *path) {
        char *s;

        assert(path && path[0] == '/');
        if (asprintf(&s, "%s%s", root_prefix(), path) < 0)
                return NULL;
        return s;
}
