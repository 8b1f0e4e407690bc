/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Makes room for at least 'need' elements of 'size' bytes in *p, doubling
 * what is there, so that n appends cost O(n) copies rather than one
 * realloc() each. *allocated counts elements. 0 or -ENOMEM (then *p is
 * untouched). */
static inline int greedy_realloc(void **p, size_t *allocated, size_t need, size_t size) {
        size_t n = *allocated ? *allocated : 16;
        void *q;

        if (need <= *allocated)
                return 0;
        while (n < need) {
                if (n > SIZE_MAX / 2)
                        return -ENOMEM;
                n *= 2;
        }
        if (n > SIZE_MAX / size)
                return -ENOMEM;
        q = realloc(*p, n * size);
        if (!q)
                return -ENOMEM;
        *p = q;
        *allocated = n;
        return 0;
}

#define GREEDY_REALLOC(array, allocated, need) \
        greedy_realloc((void **) &(array), &(allocated), (need), sizeof((array)[0]))
