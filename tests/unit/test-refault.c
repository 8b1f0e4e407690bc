/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "idle/idle.h"
#include "idle/refault.h"
#include "test-util.h"

#define PS 4096
#define START 0x7f0000000000ULL
#define PRESENT(pfn) (PM_PRESENT | PM_EXCLUSIVE | (pfn))
#define SWAPPED (PM_SWAP | 0x1234)

/* Pages out every worthy page of [first, first + n) as the cycle does;
 * returns the bytes and frees the ranges. */
static uint64_t pageout(PageMemory *m, size_t first, const uint64_t *e, size_t n, size_t *ret_ranges) {
        struct iovec *r = NULL;
        size_t n_ranges = 0, allocated = 0;
        uint64_t bytes = 0;

        ASSERT_OK(page_memory_pageout_ranges(m, START, PS, first, e, n, NULL, 0, &r, &n_ranges, &allocated,
                                             &bytes));
        if (ret_ranges)
                *ret_ranges = n_ranges;
        free(r);
        return bytes;
}

static void test_learn_cycle(void) {
        /* Ten pages, all paged out; 2 and 7 come back, 5 is unmapped
         * meanwhile, the rest stays in swap. */
        uint64_t e[10];
        size_t n_ranges;
        PageMemory m;

        ASSERT_OK(page_memory_new(&m, 10));
        ASSERT_TRUE(!page_memory_empty(&m));
        for (size_t i = 0; i < 10; i++)
                e[i] = PRESENT(0x100 + i);
        ASSERT_EQ_U64(pageout(&m, 0, e, 10, &n_ranges), 10 * PS);
        ASSERT_EQ_U64(n_ranges, 1);
        for (size_t i = 0; i < 10; i++)
                e[i] = SWAPPED;
        e[2] = PRESENT(0x100);
        e[7] = PRESENT(0x101);
        e[5] = 0;
        ASSERT_EQ_U64(page_memory_settle(&m, 0, e, 10), 2);
        ASSERT_EQ_U64(page_memory_hot_pages(&m), 2);
        /* Settled once: the same view again finds nothing new. */
        ASSERT_EQ_U64(page_memory_settle(&m, 0, e, 10), 0);

        /* The next pageout leaves the hot pages alone, and 5 (gone). */
        for (size_t i = 0; i < 10; i++)
                if (i != 5)
                        e[i] = PRESENT(0x200 + i);
        ASSERT_EQ_U64(pageout(&m, 0, e, 10, &n_ranges), 7 * PS);
        ASSERT_EQ_U64(n_ranges, 4); /* 0-1 | 3-4 | 6 | 8-9 */
        page_memory_done(&m);
}

static void test_back_during_pageout(void) {
        /* A hot page faulted back before the pageout call returned: it was
         * marked out when chosen, so the next look counts it. */
        uint64_t e[4] = { PRESENT(1), PRESENT(2), PRESENT(3), PRESENT(4) };
        PageMemory m;

        ASSERT_OK(page_memory_new(&m, 4));
        ASSERT_EQ_U64(pageout(&m, 0, e, 4, NULL), 4 * PS);
        e[0] = e[1] = e[3] = SWAPPED;
        ASSERT_EQ_U64(page_memory_settle(&m, 0, e, 4), 1);
        ASSERT_EQ_U64(page_memory_hot_pages(&m), 1);
        page_memory_done(&m);
}

static void test_ranges_coalesce_and_skip(void) {
        /* Absent, file or shared memory, swapped, or mapped by others (no
         * exclusive bit: MADV_PAGEOUT would leave it) is never chosen. */
        uint64_t e[9] = {
                PRESENT(1), PRESENT(2),     0, PRESENT(3) | PM_FILE_SHARED, SWAPPED, PRESENT(4), PRESENT(5),
                PRESENT(6), PM_PRESENT | 7,
        };
        struct iovec *r = NULL;
        size_t n = 0, allocated = 0;
        uint64_t bytes = 0;
        PageMemory none = {};

        /* Without memory of the region (dry run): chosen, nothing marked. */
        ASSERT_OK(
                page_memory_pageout_ranges(&none, START, PS, 0, e, 9, NULL, 0, &r, &n, &allocated, &bytes));
        ASSERT_EQ_U64(n, 2);
        ASSERT_EQ_U64((uint64_t) (uintptr_t) r[0].iov_base, START);
        ASSERT_EQ_U64(r[0].iov_len, 2 * PS);
        ASSERT_EQ_U64((uint64_t) (uintptr_t) r[1].iov_base, START + 5 * PS);
        ASSERT_EQ_U64(r[1].iov_len, 3 * PS);
        ASSERT_EQ_U64(bytes, 5 * PS);
        ASSERT_TRUE(page_memory_empty(&none));
        free(r);
}

static void test_ranges_within_idle(void) {
        /* A page-exact backend named pages 1-2 and 6 idle: only those, and
         * not 2 once it came back. */
        uint64_t e[8];
        struct iovec idle[] = {
                { .iov_base = (void *) (uintptr_t) (START + 1 * PS), .iov_len = 2 * PS },
                { .iov_base = (void *) (uintptr_t) (START + 6 * PS), .iov_len = 1 * PS },
        };
        struct iovec *r = NULL;
        size_t n = 0, allocated = 0;
        uint64_t bytes = 0;
        PageMemory m;

        for (size_t i = 0; i < 8; i++)
                e[i] = PRESENT(10 + i);
        ASSERT_OK(page_memory_new(&m, 8));
        ASSERT_EQ_U64(pageout(&m, 0, e, 8, NULL), 8 * PS);
        for (size_t i = 0; i < 8; i++)
                e[i] = i == 2 ? PRESENT(9) : SWAPPED;
        ASSERT_EQ_U64(page_memory_settle(&m, 0, e, 8), 1);
        for (size_t i = 0; i < 8; i++)
                e[i] = PRESENT(10 + i);
        ASSERT_OK(page_memory_pageout_ranges(&m, START, PS, 0, e, 8, idle, 2, &r, &n, &allocated, &bytes));
        ASSERT_EQ_U64(n, 2);
        ASSERT_EQ_U64((uint64_t) (uintptr_t) r[0].iov_base, START + PS);
        ASSERT_EQ_U64(r[0].iov_len, PS);
        ASSERT_EQ_U64((uint64_t) (uintptr_t) r[1].iov_base, START + 6 * PS);
        ASSERT_EQ_U64(bytes, 2 * PS);
        free(r);
        page_memory_done(&m);
}

static void test_count_only(void) {
        /* With no ranges asked for, it counts what would go and marks
         * nothing; the idle ranges are found from a later first page. */
        uint64_t e[4];
        struct iovec idle[] = {
                { .iov_base = (void *) (uintptr_t) (START + 1 * PS), .iov_len = 1 * PS },
                { .iov_base = (void *) (uintptr_t) (START + 5 * PS), .iov_len = 2 * PS },
        };
        struct iovec *r = NULL;
        size_t n = 0, allocated = 0;
        uint64_t bytes = 0;
        PageMemory m;

        for (size_t i = 0; i < 4; i++)
                e[i] = PRESENT(20 + i);
        ASSERT_OK(page_memory_new(&m, 8));
        ASSERT_OK(page_memory_pageout_ranges(&m, START, PS, 4, e, 4, idle, 2, NULL, NULL, NULL, &bytes));
        ASSERT_EQ_U64(bytes, 2 * PS);
        for (size_t i = 0; i < 8; i++)
                e[i % 4] = SWAPPED;
        ASSERT_EQ_U64(page_memory_settle(&m, 4, e, 4), 0);
        /* Nothing was marked: the same pages, asked for ranges now, go. */
        for (size_t i = 0; i < 4; i++)
                e[i] = PRESENT(20 + i);
        bytes = 0;
        ASSERT_OK(page_memory_pageout_ranges(&m, START, PS, 4, e, 4, idle, 2, &r, &n, &allocated, &bytes));
        ASSERT_EQ_U64(n, 1);
        ASSERT_EQ_U64((uint64_t) (uintptr_t) r[0].iov_base, START + 5 * PS);
        ASSERT_EQ_U64(r[0].iov_len, 2 * PS);
        free(r);
        page_memory_done(&m);
}

static void test_chunks_and_forget(void) {
        /* Paged out and settled in chunks, as the cycle reads pagemap. */
        uint64_t e[4];
        PageMemory m, copy;

        ASSERT_OK(page_memory_new(&m, 200));
        for (size_t i = 0; i < 4; i++)
                e[i] = PRESENT(i + 1);
        ASSERT_EQ_U64(pageout(&m, 100, e, 4, NULL), 4 * PS);
        ASSERT_EQ_U64(pageout(&m, 198, e, 2, NULL), 2 * PS);
        ASSERT_EQ_U64(page_memory_settle(&m, 100, e, 4), 4);
        ASSERT_EQ_U64(page_memory_settle(&m, 198, e, 4), 2); /* past the end: only 198 and 199 */
        ASSERT_EQ_U64(page_memory_hot_pages(&m), 6);

        ASSERT_OK(page_memory_copy(&copy, &m));
        page_memory_forget_hot(&m);
        ASSERT_EQ_U64(page_memory_hot_pages(&m), 0);
        ASSERT_EQ_U64(page_memory_hot_pages(&copy), 6);
        page_memory_done(&m);
        page_memory_done(&copy);

        PageMemory empty = {}, copied;
        ASSERT_OK(page_memory_copy(&copied, &empty));
        ASSERT_TRUE(page_memory_empty(&copied));
        ASSERT_EQ_U64(page_memory_hot_pages(&copied), 0);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "learn-cycle", .func = test_learn_cycle },
                { .name = "back-during-pageout", .func = test_back_during_pageout },
                { .name = "ranges-coalesce-and-skip", .func = test_ranges_coalesce_and_skip },
                { .name = "ranges-within-idle", .func = test_ranges_within_idle },
                { .name = "chunks-and-forget", .func = test_chunks_and_forget },
                { .name = "count-only", .func = test_count_only },
        };

        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
