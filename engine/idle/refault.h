/* SPDX-License-Identifier: MIT */
#pragma once

/* What came back: the engine remembers, page by page, which pages of a
 * region it paged out, and learns from the pagemap which of them were
 * needed again (refaults). Those pages are hot, whatever a coarse idle
 * backend says of their region: they stay in RAM until the whole region
 * has gone idle. That keeps hot pages among cold ones out of a
 * pageout-refault loop on kernels without page_idle, and gives the
 * refault figures that pace the engine. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

typedef struct PageMemory {
        uint64_t *out; /* paged out by the engine, in swap when last looked */
        uint64_t *hot; /* came back after a pageout */
        size_t n_pages;
} PageMemory;

/* Allocates the bitmaps for a region of n_pages, all clear. */
int page_memory_new(PageMemory *m, size_t n_pages);

/* A copy of 'from'; an empty one when 'from' is empty. */
int page_memory_copy(PageMemory *m, const PageMemory *from);

void page_memory_done(PageMemory *m);

/* Whether the engine knows anything of the region's pages. */
bool page_memory_empty(const PageMemory *m);

/* Reads pagemap 'entries' for pages [first, first + n) of the region: a
 * page marked out that is present again came back (it becomes hot); one
 * no longer in swap or RAM is forgotten. Returns the pages that came back. */
size_t page_memory_settle(PageMemory *m, size_t first, const uint64_t *entries, size_t n);

/* Forgets which pages were hot (the whole region went idle: its hot pages
 * cooled). */
void page_memory_forget_hot(PageMemory *m);

/* How many pages are hot. */
size_t page_memory_hot_pages(const PageMemory *m);

/* Appends to *ranges the address ranges of pages [first, first + n) worth
 * a pageout: present, mapped by this process alone (MADV_PAGEOUT leaves
 * shared pages be), not hot, and, when 'idle' is given, within one of its
 * n_idle ranges (a page-exact backend's idle pages; in address order).
 * 'start' is the region's first address. Adds the bytes to *ret_bytes.
 * Unless 'm' is empty, marks those pages out: a page that comes back while
 * the pageout still runs counts too. With 'ranges' NULL it only counts:
 * nothing is marked or appended. -ENOMEM. */
int page_memory_pageout_ranges(PageMemory *m, uint64_t start, size_t page_size, size_t first,
                               const uint64_t *entries, size_t n, const struct iovec *idle, size_t n_idle,
                               struct iovec **ranges, size_t *n_ranges, size_t *allocated,
                               uint64_t *ret_bytes);
