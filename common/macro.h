/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_ __attribute__((pure))
#define _unused_ __attribute__((unused))
#define _public_ __attribute__((visibility("default")))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hands ownership of a pointer to the caller and leaves NULL behind, so a
 * _cleanup_ attribute on the source does not free it. */
#define TAKE_PTR(p)                        \
        ({                                 \
                __typeof__(p) _tmp_ = (p); \
                (p) = NULL;                \
                _tmp_;                     \
        })

/* The same for a file descriptor: -EBADF is left behind. */
#define TAKE_FD(fd)              \
        ({                       \
                int _fd_ = (fd); \
                (fd) = -EBADF;   \
                _fd_;            \
        })

#define streq(a, b) (strcmp((a), (b)) == 0)

static inline const char *strnull(const char *s) {
        return s ?: "(null)";
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}
