/* SPDX-License-Identifier: MIT */
#pragma once

/* Scratch directories for cases that write files: a root for
 * root_set_prefix(), a runtime directory, a printed configuration. Each case
 * removes its directory, contents and all, before it ends. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test-util.h"

/* Returns the path of a new, empty directory under $TMPDIR or /tmp. */
static inline char *tempdir_new(void) {
        const char *tmp = getenv("TMPDIR");
        char *path;

        if (asprintf(&path, "%s/wolfram-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
                TEST_FAIL("%s", "Out of memory building a temporary directory name");
        if (!mkdtemp(path))
                TEST_FAIL("Failed to create %s: %m", path);
        return path;
}

/* Returns a newly allocated 'dir' + "/" + 'rel'. */
static inline char *tempdir_path(const char *dir, const char *rel) {
        char *path;

        if (asprintf(&path, "%s/%s", dir, rel) < 0)
                TEST_FAIL("Out of memory building the path of %s", rel);
        return path;
}

/* Writes 'len' bytes to 'rel' under 'dir', creating the directories on the
 * way and replacing what was there. */
static inline void tempdir_write(const char *dir, const char *rel, const void *buf, size_t len) {
        char *path = tempdir_path(dir, rel);
        FILE *f;

        for (size_t i = strlen(dir) + 1; path[i]; i++) {
                if (path[i] != '/')
                        continue;
                path[i] = 0;
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        TEST_FAIL("Failed to create %s: %m", path);
                path[i] = '/';
        }
        f = fopen(path, "we");
        if (!f)
                TEST_FAIL("Failed to create %s: %m", path);
        if (fwrite(buf, 1, len, f) != len || fclose(f) != 0)
                TEST_FAIL("Failed to write %s", path);
        free(path);
}

static inline void tempdir_write_string(const char *dir, const char *rel, const char *s) {
        tempdir_write(dir, rel, s, strlen(s));
}

/* Reads a whole file into a NUL-terminated buffer; NULL when it does not
 * exist. Any other failure ends the test. */
static inline char *test_read_file(const char *path) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = fopen(path, "re");

        if (!f) {
                if (errno == ENOENT)
                        return NULL;
                TEST_FAIL("Failed to open %s: %m", path);
        }
        buf = malloc(1);
        if (!buf)
                TEST_FAIL("Out of memory reading %s", path);
        for (;;) {
                char chunk[4096];
                size_t n = fread(chunk, 1, sizeof(chunk), f);

                if (n == 0)
                        break;
                buf = realloc(buf, size + n + 1);
                if (!buf)
                        TEST_FAIL("Out of memory reading %s", path);
                memcpy(buf + size, chunk, n);
                size += n;
        }
        if (ferror(f))
                TEST_FAIL("Failed to read %s", path);
        fclose(f);
        buf[size] = 0;
        return buf;
}

static inline char *tempdir_read(const char *dir, const char *rel) {
        char *path = tempdir_path(dir, rel), *buf = test_read_file(path);

        free(path);
        return buf;
}

static inline int tempdir_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        if (remove(path) < 0)
                TEST_FAIL("Failed to remove %s: %m", path);
        return 0;
}

/* Removes 'dir' with everything in it and frees the path. */
static inline void tempdir_remove(char *dir) {
        if (nftw(dir, tempdir_remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
                TEST_FAIL("Failed to remove %s: %m", dir);
        free(dir);
}
