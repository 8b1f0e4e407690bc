/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "idle.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "test-tempdir.h"
#include "test-util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024ULL)
#define PAGE 4096U

static void parse_smaps_fixture(const char *rel, SmapsVma **vmas, size_t *n) {
        size_t size;
        char *buf = fixture_read(rel, &size);

        ASSERT_OK(smaps_parse(buf, size, vmas, n));
        free(buf);
}

static void check_vma(const SmapsVma *v, uint64_t start, uint64_t end, bool anonymous, bool special,
                      uint64_t rss_kib, uint64_t anon_kib, uint64_t ref_kib, uint64_t swap_kib) {
        ASSERT_EQ_U64(v->start, start);
        ASSERT_EQ_U64(v->end, end);
        if (v->anonymous != anonymous || v->special != special)
                TEST_FAIL("%" PRIx64 "-%" PRIx64 ": expected anonymous=%d special=%d, got %d %d", start, end,
                          anonymous, special, v->anonymous, v->special);
        ASSERT_EQ_U64(v->rss_bytes, rss_kib * KIB);
        ASSERT_EQ_U64(v->anonymous_bytes, anon_kib * KIB);
        ASSERT_EQ_U64(v->referenced_bytes, ref_kib * KIB);
        ASSERT_EQ_U64(v->swap_bytes, swap_kib * KIB);
}

static void test_smaps_real(void) {
        SmapsVma *vmas;
        size_t n, n_anonymous = 0, n_special = 0;
        uint64_t anon_sum = 0, rss_sum = 0;

        /* /proc/PID/smaps of a sleep(1) on 6.18; its status says VmRSS
         * 1832 kB and RssAnon 108 kB. */
        parse_smaps_fixture("smaps/smaps-sleep-6.18.txt", &vmas, &n);
        ASSERT_EQ_U64(n, 37);
        for (size_t i = 0; i < n; i++) {
                anon_sum += vmas[i].anonymous_bytes;
                rss_sum += vmas[i].rss_bytes;
                n_anonymous += vmas[i].anonymous;
                n_special += vmas[i].special;
        }
        ASSERT_EQ_U64(anon_sum, 108 * KIB);
        ASSERT_EQ_U64(rss_sum, 1832 * KIB);
        /* [heap], three unnamed mappings and [stack]; [vvar],
         * [vvar_vclock], [vdso] and [vsyscall]. */
        ASSERT_EQ_U64(n_anonymous, 5);
        ASSERT_EQ_U64(n_special, 4);

        check_vma(&vmas[0], 0x55778e6d8000, 0x55778e6da000, false, false, 8, 0, 8, 0);
        /* The binary's data: private, some of it copied, still a file. */
        check_vma(&vmas[4], 0x55778e6e2000, 0x55778e6e3000, false, false, 4, 4, 4, 0);
        check_vma(&vmas[5], 0x5577ca5da000, 0x5577ca5fb000, true, false, 16, 16, 16, 0);
        check_vma(&vmas[14], 0x7f8405136000, 0x7f8405139000, true, false, 8, 8, 8, 0);
        /* gconv-modules.cache, mapped shared. */
        check_vma(&vmas[24], 0x7f840531e000, 0x7f8405325000, false, false, 28, 0, 28, 0);
        check_vma(&vmas[28], 0x7f840532c000, 0x7f840532e000, false, true, 0, 0, 0, 0);
        check_vma(&vmas[29], 0x7f840532e000, 0x7f8405330000, false, true, 4, 0, 4, 0);
        check_vma(&vmas[35], 0x7fffee735000, 0x7fffee756000, true, false, 12, 12, 12, 0);
        check_vma(&vmas[36], 0xffffffffff600000, 0xffffffffff601000, false, true, 0, 0, 0, 0);

        free(vmas);
}

static void test_smaps_handmade(void) {
        SmapsVma *vmas;
        size_t n;

        parse_smaps_fixture("smaps/smaps-handmade.txt", &vmas, &n);
        ASSERT_EQ_U64(n, 12);
        check_vma(&vmas[0], 0x558f3c400000, 0x558f3c402000, false, false, 8, 0, 8, 0);
        check_vma(&vmas[1], 0x558f3c402000, 0x558f3c404000, false, false, 8, 4, 8, 0);
        check_vma(&vmas[2], 0x558f3d000000, 0x558f3d021000, true, false, 132, 132, 100, 0);
        /* 64 MiB, unnamed: partly resident, partly swapped. */
        check_vma(&vmas[3], 0x7f3a00000000, 0x7f3a04000000, true, false, 40960, 40960, 8192, 16384);
        check_vma(&vmas[4], 0x7f3a04000000, 0x7f3a04200000, true, false, 2048, 2048, 2048, 0);
        /* MAP_SHARED|MAP_ANONYMOUS is shmem: not anonymous memory. */
        check_vma(&vmas[5], 0x7f3a04200000, 0x7f3a04a00000, false, false, 8192, 0, 1024, 0);
        check_vma(&vmas[6], 0x7f3a04a00000, 0x7f3a04b00000, false, false, 1024, 256, 512, 0);
        /* A guard region (PROT_NONE) is anonymous, just empty. */
        check_vma(&vmas[7], 0x7f3a04b00000, 0x7f3a04c00000, true, false, 0, 0, 0, 0);
        check_vma(&vmas[8], 0x7ffd5a4e0000, 0x7ffd5a501000, true, false, 40, 40, 40, 8);
        check_vma(&vmas[9], 0x7ffd5a5f0000, 0x7ffd5a5f4000, false, true, 0, 0, 0, 0);
        check_vma(&vmas[10], 0x7ffd5a5f4000, 0x7ffd5a5f6000, false, true, 4, 0, 4, 0);
        check_vma(&vmas[11], 0xffffffffff600000, 0xffffffffff601000, false, true, 0, 0, 0, 0);
        free(vmas);
}

static void test_smaps_inline(void) {
        static const char text[] = "1000-3000 rw-p 00000000 00:00 0\n"
                                   "Rss:  8 kB\n"
                                   "Anonymous:\t8 kB\n"
                                   "AnonHugePages: 4 kB\n"
                                   "SwapPss: 4 kB\n"
                                   "Swap: 0 kB\n"
                                   "3000-4000 rw-p 00000000 00:00 0 [stack:1234]\n"
                                   "4000-5000 rw-p 00000000 00:05 17 [anon_shmem:x]\n"
                                   "5000-6000 r--p 00000000 00:00 0 [uprobes]\n"
                                   "6000-7000 rw-p 00000000 00:00 0 [anon:]\n"
                                   "7000-8000 rw-p 00000000 00:00 0 [weird]\n"
                                   "8000-9000 rw-P 00000000 00:00 0\n"
                                   "Rss: 4 kB";
        SmapsVma *vmas = (SmapsVma *) 0x1;
        size_t n = 42;

        ASSERT_OK(smaps_parse(text, strlen(text), &vmas, &n));
        ASSERT_EQ_U64(n, 7);
        /* Similar keys (AnonHugePages, SwapPss) are not the ones read. */
        check_vma(&vmas[0], 0x1000, 0x3000, true, false, 8, 8, 0, 0);
        check_vma(&vmas[1], 0x3000, 0x4000, true, false, 0, 0, 0, 0);
        check_vma(&vmas[2], 0x4000, 0x5000, false, false, 0, 0, 0, 0);
        check_vma(&vmas[3], 0x5000, 0x6000, false, true, 0, 0, 0, 0);
        check_vma(&vmas[4], 0x6000, 0x7000, true, false, 0, 0, 0, 0);
        /* A name the kernel would not give an anonymous VMA. */
        check_vma(&vmas[5], 0x7000, 0x8000, false, false, 0, 0, 0, 0);
        check_vma(&vmas[6], 0x8000, 0x9000, false, false, 4, 0, 0, 0);
        free(vmas);

        /* Nothing at all is no VMA, not an error. */
        ASSERT_OK(smaps_parse("", 0, &vmas, &n));
        ASSERT_EQ_U64(n, 0);
        ASSERT_NULL(vmas);
}

static void check_smaps_bad(const char *text) {
        SmapsVma *vmas = (SmapsVma *) 0x1;
        size_t n = 42;

        if (smaps_parse(text, strlen(text), &vmas, &n) != -EBADMSG)
                TEST_FAIL("smaps_parse(\"%s\") did not fail with EBADMSG", text);
        ASSERT_TRUE(vmas == (SmapsVma *) 0x1);
        ASSERT_EQ_U64(n, 42);
}

static void test_smaps_malformed(void) {
        static const char *const bad[] = {
                /* A key before any header. */
                "Rss: 4 kB\n1000-2000 rw-p 00000000 00:00 0\n",
                "\n1000-2000 rw-p 00000000 00:00 0\nRss: 4 kB\n",
                /* Addresses. */
                "10g0-2000 rw-p 00000000 00:00 0\nRss: 4 kB\n",
                "1000-20x0 rw-p 00000000 00:00 0\nRss: 4 kB\n",
                "-2000 rw-p 00000000 00:00 0\nRss: 4 kB\n",
                "1000- rw-p 00000000 00:00 0\nRss: 4 kB\n",
                "1000-2000-3000 rw-p 00000000 00:00 0\n",
                "1000-12345678901234567 rw-p 00000000 00:00 0\n",
                "3000-2000 rw-p 00000000 00:00 0\n",
                /* Permissions, fields, inode. */
                "1000-2000 rw- 00000000 00:00 0\n",
                "1000-2000 rw-p 00000000 00:00\n",
                "1000-2000 rw-p 00000000 00:00 x\n",
                /* Figures after a good header, also after a good VMA. */
                "1000-2000 rw-p 00000000 00:00 0\nRss: 4 MB\n",
                "1000-2000 rw-p 00000000 00:00 0\nRss: 4\n",
                "1000-2000 rw-p 00000000 00:00 0\nRss:\n",
                "1000-2000 rw-p 00000000 00:00 0\nAnonymous: four kB\n",
                "1000-2000 rw-p 00000000 00:00 0\nReferenced: -4 kB\n",
                "1000-2000 rw-p 00000000 00:00 0\nRss: 4 kB\n2000-3000 rw-p 00000000 00:00 0\nSwap: "
                "18014398509481984 kB\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                check_smaps_bad(bad[i]);
}

/* page_idle bits for the ranges tests: PFNs below 'hot_from' are idle,
 * and so is any PFN listed in 'idle'. */
typedef struct IdleBits {
        const uint64_t *idle;
        size_t n_idle;
        uint64_t fail_at; /* a PFN whose lookup fails, or 0 */
        unsigned calls;
} IdleBits;

static int is_idle_listed(uint64_t pfn, void *userdata) {
        IdleBits *b = userdata;

        b->calls++;
        if (b->fail_at && pfn == b->fail_at)
                return -EIO;
        for (size_t i = 0; i < b->n_idle; i++)
                if (b->idle[i] == pfn)
                        return 1;
        return 0;
}

#define P(pfn) (PM_PRESENT | PM_EXCLUSIVE | (uint64_t) (pfn))

static void check_range(const struct iovec *r, uint64_t start, uint64_t len) {
        ASSERT_EQ_U64((uintptr_t) r->iov_base, start);
        ASSERT_EQ_U64(r->iov_len, len);
}

static void test_ranges_coalesce(void) {
        static const uint64_t entries[] = { P(100), P(101), P(102), P(900), P(7) };
        static const uint64_t idle[] = { 100, 101, 102, 900, 7 };
        IdleBits bits = { idle, ELEMENTSOF(idle), 0, 0 };
        uint64_t present, idle_bytes;
        struct iovec *r;
        size_t n;

        /* The PFNs need not be consecutive: addresses are what count. */
        ASSERT_OK(idle_ranges_from_pagemap(0x7f0000000000, PAGE, entries, ELEMENTSOF(entries),
                                           is_idle_listed, &bits, &r, &n, &present, &idle_bytes));
        ASSERT_EQ_U64(n, 1);
        check_range(&r[0], 0x7f0000000000, 5 * PAGE);
        ASSERT_EQ_U64(present, 5 * PAGE);
        ASSERT_EQ_U64(idle_bytes, 5 * PAGE);
        ASSERT_EQ_U64(bits.calls, 5);
        free(r);
}

static void test_ranges_hot_split(void) {
        static const uint64_t entries[] = { P(10), P(11), P(12), P(13), P(14), P(15), P(16) };
        static const uint64_t idle[] = { 10, 11, 13, 16 };
        IdleBits bits = { idle, ELEMENTSOF(idle), 0, 0 };
        uint64_t present, idle_bytes;
        struct iovec *r;
        size_t n;

        ASSERT_OK(idle_ranges_from_pagemap(0x10000, PAGE, entries, ELEMENTSOF(entries), is_idle_listed,
                                           &bits, &r, &n, &present, &idle_bytes));
        ASSERT_EQ_U64(n, 3);
        check_range(&r[0], 0x10000, 2 * PAGE);
        check_range(&r[1], 0x10000 + 3 * PAGE, PAGE);
        check_range(&r[2], 0x10000 + 6 * PAGE, PAGE);
        ASSERT_EQ_U64(present, 7 * PAGE);
        ASSERT_EQ_U64(idle_bytes, 4 * PAGE);
        free(r);
}

static void test_ranges_not_present(void) {
        /* Swap entries carry type and offset where a PFN would be. */
        const uint64_t swapped = PM_SWAP | PM_EXCLUSIVE | ((uint64_t) 0x1234 << 5 | 1);
        const uint64_t entries[] = {
                P(20), /* 0 */
                0, /* 1: never touched */
                swapped, /* 2 */
                P(21), /* 3 */
                PM_PRESENT | PM_FILE_SHARED | 22, /* 4: page cache */
                P(23), /* 5 */
                PM_PRESENT, /* 6: PFN hidden (no CAP_SYS_ADMIN) */
                P(24), /* 7 */
                PM_SWAP | PM_PRESENT | 25, /* 8: contradictory, never trusted */
                P(26), /* 9 */
        };
        static const uint64_t idle[] = { 20, 21, 22, 23, 24, 25, 26, 0x1234 << 5 | 1, 0 };
        IdleBits bits = { idle, ELEMENTSOF(idle), 0, 0 };
        uint64_t present, idle_bytes;
        struct iovec *r;
        size_t n;

        ASSERT_OK(idle_ranges_from_pagemap(0x400000, PAGE, entries, ELEMENTSOF(entries), is_idle_listed,
                                           &bits, &r, &n, &present, &idle_bytes));
        ASSERT_EQ_U64(n, 5);
        check_range(&r[0], 0x400000, PAGE);
        check_range(&r[1], 0x400000 + 3 * PAGE, PAGE);
        check_range(&r[2], 0x400000 + 5 * PAGE, PAGE);
        check_range(&r[3], 0x400000 + 7 * PAGE, PAGE);
        check_range(&r[4], 0x400000 + 9 * PAGE, PAGE);
        ASSERT_EQ_U64(present, 5 * PAGE);
        ASSERT_EQ_U64(idle_bytes, 5 * PAGE);
        /* Only present anonymous pages are looked up. */
        ASSERT_EQ_U64(bits.calls, 5);
        free(r);
}

static void test_ranges_totals(void) {
        uint64_t entries[300], idle[200], present, idle_bytes;
        IdleBits bits = { idle, 0, 0, 0 };
        struct iovec *r;
        size_t n;

        /* 300 pages of 16 KiB, every third absent, all others idle: runs of
         * two. */
        for (size_t i = 0; i < ELEMENTSOF(entries); i++)
                entries[i] = i % 3 == 2 ? 0 : P(1000 + i);
        for (size_t i = 0; i < ELEMENTSOF(entries) && bits.n_idle < ELEMENTSOF(idle); i++)
                if (entries[i])
                        idle[bits.n_idle++] = 1000 + i;
        ASSERT_OK(idle_ranges_from_pagemap(0x200000, 16384, entries, ELEMENTSOF(entries), is_idle_listed,
                                           &bits, &r, &n, &present, &idle_bytes));
        ASSERT_EQ_U64(present, 200 * 16384ULL);
        ASSERT_EQ_U64(idle_bytes, 200 * 16384ULL);
        ASSERT_EQ_U64(n, 100);
        for (size_t i = 0; i < n; i++)
                check_range(&r[i], 0x200000 + 3 * i * 16384, 2 * 16384);
        free(r);

        /* No pages, no ranges. */
        ASSERT_OK(idle_ranges_from_pagemap(0x200000, PAGE, entries, 0, is_idle_listed, &bits, &r, &n,
                                           &present, &idle_bytes));
        ASSERT_EQ_U64(n, 0);
        ASSERT_NULL(r);
        ASSERT_EQ_U64(present, 0);
        ASSERT_EQ_U64(idle_bytes, 0);

        /* All present, none idle. */
        bits.n_idle = 0;
        ASSERT_OK(idle_ranges_from_pagemap(0x200000, PAGE, entries, 2, is_idle_listed, &bits, &r, &n,
                                           &present, &idle_bytes));
        ASSERT_EQ_U64(n, 0);
        ASSERT_NULL(r);
        ASSERT_EQ_U64(present, 2 * PAGE);
        ASSERT_EQ_U64(idle_bytes, 0);
}

static void test_ranges_error(void) {
        static const uint64_t entries[] = { P(1), P(2), P(3), P(4) };
        static const uint64_t idle[] = { 1, 2, 3, 4 };
        IdleBits bits = { idle, ELEMENTSOF(idle), 3, 0 };
        uint64_t present = 42, idle_bytes = 42;
        struct iovec *r = (struct iovec *) 0x1;
        size_t n = 42;

        /* Fails after a range was started: nothing leaks (ASan), nothing
         * is returned. */
        ASSERT_ERRNO(idle_ranges_from_pagemap(0x1000, PAGE, entries, ELEMENTSOF(entries), is_idle_listed,
                                              &bits, &r, &n, &present, &idle_bytes),
                     -EIO);
        ASSERT_EQ_U64(bits.calls, 3);
        ASSERT_TRUE(r == (struct iovec *) 0x1);
        ASSERT_EQ_U64(n, 42);
        ASSERT_EQ_U64(present, 42);
        ASSERT_EQ_U64(idle_bytes, 42);
}

/* A root with <root>/proc/4242/smaps holding 'smaps' and an empty
 * clear_refs. */
static char *refs_root(const char *smaps, size_t len) {
        char *dir = tempdir_new();

        tempdir_write(dir, "proc/4242/smaps", smaps, len);
        tempdir_write_string(dir, "proc/4242/clear_refs", "");
        ASSERT_OK(root_set_prefix(dir));
        return dir;
}

static char *refs_root_fixture(void) {
        size_t size;
        char *smaps = fixture_read("smaps/smaps-handmade.txt", &size), *dir = refs_root(smaps, size);

        free(smaps);
        return dir;
}

static void refs_root_done(char *dir) {
        ASSERT_OK(root_set_prefix(NULL));
        tempdir_remove(dir);
}

static const ProcTarget target_4242 = { .pid = 4242, .pidfd = -EBADF };

static void test_refs_probe(void) {
        ASSERT_STREQ(idle_backend_refs.name, "refs");
        ASSERT_EQ_INT(idle_backend_refs.probe(), 1);
        ASSERT_FALSE(idle_backend_refs.page_exact);
}

static void test_refs_mark(void) {
        char *dir = refs_root_fixture(), *written;
        void *state = NULL;

        ASSERT_OK(idle_backend_refs.mark(&target_4242, &state));
        written = tempdir_read(dir, "proc/4242/clear_refs");
        ASSERT_STREQ(written, "1\n");
        free(written);
        /* smaps is only read, never written. */
        ASSERT_NULL(state);
        refs_root_done(dir);
}

static void check_region(const IdleRegion *r, uint64_t start, uint64_t end, uint64_t resident, uint64_t idle,
                         uint64_t swap) {
        ASSERT_EQ_U64(r->start, start);
        ASSERT_EQ_U64(r->end, end);
        ASSERT_EQ_U64(r->resident_bytes, resident);
        ASSERT_EQ_U64(r->idle_bytes, idle);
        ASSERT_EQ_U64(r->swap_bytes, swap);
        /* Regions, never pages. */
        ASSERT_NULL(r->idle_ranges);
        ASSERT_EQ_U64(r->n_idle_ranges, 0);
}

static void test_refs_collect(void) {
        char *dir = refs_root_fixture();
        void *state = NULL;
        IdleResult res;

        ASSERT_OK(idle_backend_refs.mark(&target_4242, &state));

        /* At least 1 MiB: the 64 MiB region, the 2 MiB arena and the
         * guard region of exactly 1 MiB; no file, shared or special ones. */
        ASSERT_OK(idle_backend_refs.collect(&target_4242, &state, 1 * MIB, &res));
        ASSERT_EQ_U64(res.n_regions, 3);
        check_region(&res.regions[0], 0x7f3a00000000, 0x7f3a04000000, 40960 * KIB, (40960 - 8192) * KIB,
                     16384 * KIB);
        check_region(&res.regions[1], 0x7f3a04000000, 0x7f3a04200000, 2 * MIB, 0, 0);
        check_region(&res.regions[2], 0x7f3a04b00000, 0x7f3a04c00000, 0, 0, 0);
        idle_result_done(&res);
        ASSERT_NULL(res.regions);
        ASSERT_EQ_U64(res.n_regions, 0);

        /* Every anonymous region, small ones too. */
        ASSERT_OK(idle_backend_refs.collect(&target_4242, &state, 0, &res));
        ASSERT_EQ_U64(res.n_regions, 5);
        check_region(&res.regions[0], 0x558f3d000000, 0x558f3d021000, 132 * KIB, 32 * KIB, 0);
        check_region(&res.regions[1], 0x7f3a00000000, 0x7f3a04000000, 40960 * KIB, 32768 * KIB, 16384 * KIB);
        check_region(&res.regions[4], 0x7ffd5a4e0000, 0x7ffd5a501000, 40 * KIB, 0, 8 * KIB);
        idle_result_done(&res);

        /* Larger than any. */
        ASSERT_OK(idle_backend_refs.collect(&target_4242, &state, 64 * MIB + 1, &res));
        ASSERT_EQ_U64(res.n_regions, 0);
        ASSERT_NULL(res.regions);
        idle_result_done(&res);
        refs_root_done(dir);
}

static void test_refs_referenced_above_anonymous(void) {
        /* Referenced counts more than the anonymous pages when the kernel's
         * figures moved between lines: idle is never negative. */
        static const char smaps[] = "7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
                                    "Rss:                2048 kB\n"
                                    "Referenced:         3072 kB\n"
                                    "Anonymous:          2048 kB\n"
                                    "Swap:                  0 kB\n";
        char *dir = refs_root(smaps, strlen(smaps));
        void *state = NULL;
        IdleResult res;

        ASSERT_OK(idle_backend_refs.collect(&target_4242, &state, 0, &res));
        ASSERT_EQ_U64(res.n_regions, 1);
        check_region(&res.regions[0], 0x7f0000000000, 0x7f0000400000, 2 * MIB, 0, 0);
        idle_result_done(&res);
        refs_root_done(dir);
}

static void test_refs_gone(void) {
        static const char bad[] = "Rss: 4 kB\n";
        const ProcTarget gone = { .pid = 4243, .pidfd = -EBADF };
        char *dir = refs_root(bad, strlen(bad));
        void *state = NULL;
        IdleResult res = {};

        ASSERT_ERRNO(idle_backend_refs.mark(&gone, &state), -ESRCH);
        ASSERT_ERRNO(idle_backend_refs.collect(&gone, &state, 0, &res), -ESRCH);
        /* A process that is there but whose smaps does not parse. */
        ASSERT_ERRNO(idle_backend_refs.collect(&target_4242, &state, 0, &res), -EBADMSG);
        ASSERT_NULL(res.regions);
        refs_root_done(dir);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "smaps-real", .func = test_smaps_real },
                { .name = "smaps-handmade", .func = test_smaps_handmade },
                { .name = "smaps-inline", .func = test_smaps_inline },
                { .name = "smaps-malformed", .func = test_smaps_malformed },
                { .name = "ranges-coalesce", .func = test_ranges_coalesce },
                { .name = "ranges-hot-split", .func = test_ranges_hot_split },
                { .name = "ranges-not-present", .func = test_ranges_not_present },
                { .name = "ranges-totals", .func = test_ranges_totals },
                { .name = "ranges-error", .func = test_ranges_error },
                { .name = "refs-probe", .func = test_refs_probe },
                { .name = "refs-mark", .func = test_refs_mark },
                { .name = "refs-collect", .func = test_refs_collect },
                { .name = "refs-referenced-above-anonymous", .func = test_refs_referenced_above_anonymous },
                { .name = "refs-gone", .func = test_refs_gone },
        };

        log_set_max_level(LOG_DEBUG);
        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
