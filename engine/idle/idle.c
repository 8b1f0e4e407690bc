/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "common/alloc-util.h"
#include "common/log.h"
#include "idle/idle.h"

void idle_result_done(IdleResult *r) {
        for (size_t i = 0; i < r->n_regions; i++)
                free(r->regions[i].idle_ranges);
        free(r->regions);
        *r = (IdleResult){};
}

static int range_append(struct iovec **l, size_t *n, size_t *allocated, uint64_t start, uint64_t len) {
        /* Coalesce with the previous range when contiguous. */
        if (*n > 0 && (uint64_t) (uintptr_t) (*l)[*n - 1].iov_base + (*l)[*n - 1].iov_len == start) {
                (*l)[*n - 1].iov_len += len;
                return 0;
        }
        if (GREEDY_REALLOC(*l, *allocated, *n + 1) < 0)
                return -ENOMEM;
        (*l)[(*n)++] = (struct iovec){ .iov_base = (void *) (uintptr_t) start, .iov_len = len };
        return 0;
}

int idle_ranges_from_pagemap(uint64_t start, size_t page_size, const uint64_t *entries, size_t n_pages,
                             int (*is_idle)(uint64_t pfn, void *userdata), void *userdata,
                             struct iovec **ret, size_t *ret_n, uint64_t *ret_present_bytes,
                             uint64_t *ret_idle_bytes) {
        struct iovec *l = NULL;
        size_t n = 0, allocated = 0;
        uint64_t present = 0, idle = 0;
        int r;

        for (size_t i = 0; i < n_pages; i++) {
                uint64_t e = entries[i], pfn = e & PM_PFN_MASK;

                if (!(e & PM_PRESENT) || (e & PM_SWAP) || (e & PM_FILE_SHARED) || pfn == 0)
                        continue;
                present += page_size;
                r = is_idle(pfn, userdata);
                if (r < 0) {
                        free(l);
                        return r;
                }
                if (r == 0)
                        continue;
                idle += page_size;
                r = range_append(&l, &n, &allocated, start + (uint64_t) i * page_size, page_size);
                if (r < 0) {
                        free(l);
                        return r;
                }
        }
        *ret = l;
        *ret_n = n;
        *ret_present_bytes = present;
        *ret_idle_bytes = idle;
        return 0;
}

const IdleBackend *idle_backend_pick(const Config *c) {
        switch (c->idle_backend) {
        case IDLE_BACKEND_PAGE_IDLE:
                if (idle_backend_page_idle.probe() > 0)
                        return &idle_backend_page_idle;
                log_error("idle_backend=page_idle, but the kernel has no /sys/kernel/mm/page_idle "
                          "(CONFIG_IDLE_PAGE_TRACKING); use auto or refs.");
                return NULL;
        case IDLE_BACKEND_REFS:
                return &idle_backend_refs;
        default:
                return idle_backend_page_idle.probe() > 0 ? &idle_backend_page_idle : &idle_backend_refs;
        }
}
