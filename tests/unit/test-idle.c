/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "common/paths.h"
#include "idle/idle.h"
#include "kernel/reclaim.h"
#include "kernel/smaps.h"
#include "test-smaps-text.h"
#include "test-tempdir.h"
#include "test-util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024ULL)
#define PAGE 4096U

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
        const Reclaim cold = { .probed = true, .have_process_madvise = true, .have_cold = true };
        char *dir = refs_root_fixture(), *written;
        void *state = NULL;

        ASSERT_OK(idle_backend_refs.mark(&target_4242, 0, NULL, NULL, 0, &state));
        written = tempdir_read(dir, "proc/4242/clear_refs");
        ASSERT_STREQ(written, "1\n");
        free(written);
        /* smaps is only read, never written. */
        ASSERT_NULL(state);

        /* MADV_COLD needs the process's pidfd: without it (and without a
         * maps file here), clear_refs alone, and no error. */
        tempdir_write_string(dir, "proc/4242/clear_refs", "");
        ASSERT_OK(idle_backend_refs.mark(&target_4242, 0, &cold, NULL, 0, &state));
        written = tempdir_read(dir, "proc/4242/clear_refs");
        ASSERT_STREQ(written, "1\n");
        free(written);
        ASSERT_NULL(state);

        /* clear_refs clears every region or none: with a region to keep,
         * none, and the caller is told that the whole reading runs on. */
        tempdir_write_string(dir, "proc/4242/clear_refs", "");
        ASSERT_EQ_INT(idle_backend_refs.mark(&target_4242, 0, &cold, &(const IdleSpan){ 0x1000, 0x2000 }, 1,
                                             &state),
                      IDLE_MARK_KEPT_WHOLE);
        written = tempdir_read(dir, "proc/4242/clear_refs");
        ASSERT_STREQ(written, "");
        free(written);
        ASSERT_NULL(state);
        refs_root_done(dir);
}

/* Referenced of this process's own VMA that starts at 'start', from the
 * real /proc/self/smaps (the root prefix set aside a moment), or -1. */
static long self_referenced_kib(uintptr_t start, const char *prefix) {
        const SmapsFilter filter = { .anonymous_only = true };
        SmapsVma *v = NULL;
        size_t n = 0;
        long kib = -1;

        ASSERT_OK(root_set_prefix(NULL));
        ASSERT_OK(smaps_read(getpid(), &filter, &v, &n));
        ASSERT_OK(root_set_prefix(prefix));
        for (size_t i = 0; i < n; i++)
                if (v[i].start == start)
                        kib = (long) (v[i].referenced_bytes / KIB);
        free(v);
        return kib;
}

/* A maps line naming the anonymous mapping at 'addr'. */
static const char *span_line(const void *addr, size_t len, char *buf) {
        snprintf(buf, 128, "%lx-%lx rw-p 00000000 00:00 0 \n", (unsigned long) (uintptr_t) addr,
                 (unsigned long) ((uintptr_t) addr + len));
        return buf;
}

static void test_refs_mark_cold(void) {
        Reclaim rc = {};
        char *dir = tempdir_new(), *written, maps[128], maps_path[64], clear_refs_path[64], line_a[128],
             line_b[128], two[256];
        ProcTarget t = { .pid = getpid(), .comm = "test-idle" };
        void *state = NULL;
        uint8_t *mem, *keep;
        long before, after;

        reclaim_probe(&rc);
        ASSERT_TRUE(rc.have_cold);
        mem = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_TRUE(mem != MAP_FAILED);
        ASSERT_OK(madvise(mem, 4 * MIB, MADV_NOHUGEPAGE));
        memset(mem, 0x5a, 4 * MIB);
        before = self_referenced_kib((uintptr_t) mem, NULL);
        ASSERT_TRUE(before >= 3584);

        /* The real process behind the pidfd; its maps, naming the mapping,
         * and clear_refs from a root of the test's own, so a write to
         * clear_refs would show. */
        t.pidfd = (int) syscall(SYS_pidfd_open, getpid(), 0);
        ASSERT_TRUE(t.pidfd >= 0);
        snprintf(maps, sizeof(maps), "%s", span_line(mem, 4 * MIB, line_a));
        snprintf(maps_path, sizeof(maps_path), "proc/%d/maps", (int) t.pid);
        snprintf(clear_refs_path, sizeof(clear_refs_path), "proc/%d/clear_refs", (int) t.pid);
        tempdir_write_string(dir, maps_path, maps);
        tempdir_write_string(dir, clear_refs_path, "");
        ASSERT_OK(root_set_prefix(dir));

        ASSERT_OK(idle_backend_refs.mark(&t, 1 * MIB, &rc, NULL, 0, &state));
        ASSERT_NULL(state);
        after = self_referenced_kib((uintptr_t) mem, dir);
        /* The bits are clear (a page still in the per-CPU add batch is
         * skipped), and clear_refs was left out: it would leave stale
         * entries behind MADV_COLD's flush. */
        ASSERT_TRUE(after >= 0 && after <= 256);
        written = tempdir_read(dir, clear_refs_path);
        ASSERT_STREQ(written, "");
        free(written);
        /* The pages are all there. */
        for (size_t i = 0; i < 4 * MIB; i += PAGE)
                ASSERT_EQ_INT(mem[i], 0x5a);

        /* Two regions, the second kept: its bits stay, the first's are
         * cleared. */
        keep = mmap(NULL, 2 * MIB + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_TRUE(keep != MAP_FAILED);
        /* Inaccessible pages around it, so that it never merges with the
         * first into one VMA. */
        keep += PAGE;
        ASSERT_OK(mprotect(keep, 2 * MIB, PROT_READ | PROT_WRITE));
        ASSERT_OK(madvise(keep, 2 * MIB, MADV_NOHUGEPAGE));
        ASSERT_OK(root_set_prefix(NULL));
        memset(mem, 0x5b, 4 * MIB);
        memset(keep, 0x6c, 2 * MIB);
        ASSERT_OK(root_set_prefix(dir));
        ASSERT_TRUE(self_referenced_kib((uintptr_t) mem, dir) >= 3584);
        ASSERT_TRUE(self_referenced_kib((uintptr_t) keep, dir) >= 1536);
        /* Address order, as the cycle gives them. */
        if ((uintptr_t) keep < (uintptr_t) mem)
                snprintf(two, sizeof(two), "%s%s", span_line(keep, 2 * MIB, line_b),
                         span_line(mem, 4 * MIB, line_a));
        else
                snprintf(two, sizeof(two), "%s%s", span_line(mem, 4 * MIB, line_a),
                         span_line(keep, 2 * MIB, line_b));
        tempdir_write_string(dir, maps_path, two);
        ASSERT_OK(idle_backend_refs.mark(&t, 1 * MIB, &rc,
                                         &(const IdleSpan){ (uintptr_t) keep, (uintptr_t) keep + 2 * MIB },
                                         1, &state));
        after = self_referenced_kib((uintptr_t) mem, dir);
        ASSERT_TRUE(after >= 0 && after <= 256);
        ASSERT_TRUE(self_referenced_kib((uintptr_t) keep, dir) >= 1536);
        written = tempdir_read(dir, clear_refs_path);
        ASSERT_STREQ(written, "");
        free(written);
        for (size_t i = 0; i < 2 * MIB; i += PAGE)
                ASSERT_EQ_INT(keep[i], 0x6c);

        close(t.pidfd);
        ASSERT_OK(munmap(mem, 4 * MIB));
        ASSERT_OK(munmap(keep - PAGE, 2 * MIB + 2 * PAGE));
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

        ASSERT_OK(idle_backend_refs.mark(&target_4242, 0, NULL, NULL, 0, &state));

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

        ASSERT_ERRNO(idle_backend_refs.mark(&gone, 0, NULL, NULL, 0, &state), -ESRCH);
        ASSERT_ERRNO(idle_backend_refs.collect(&gone, &state, 0, &res), -ESRCH);
        /* A process that is there but whose smaps does not parse. */
        ASSERT_ERRNO(idle_backend_refs.collect(&target_4242, &state, 0, &res), -EBADMSG);
        ASSERT_NULL(res.regions);
        refs_root_done(dir);
}

/* 30,000 one-page mappings, more smaps text than the 4 MiB a whole-file
 * read once took, and one 64 MiB region after them. */
static void test_refs_many_mappings(void) {
        const size_t n_small = 30000;
        char *text = NULL, *dir;
        size_t len = 0;
        FILE *f = smaps_text_begin(&text, &len);
        void *state = NULL;
        uint64_t idle = 0;
        IdleResult res;

        for (size_t i = 0; i < n_small; i++) {
                uint64_t start = 0x10000000ULL + i * 0x2000ULL;

                smaps_text_append(f, start, start + 0x1000, i % 2 ? "r--p" : "rw-p", NULL, 4,
                                  i % 4 == 0 ? 4 : 0, 4, 0);
        }
        smaps_text_append(f, 0x7f3a00000000, 0x7f3a04000000, "rw-p", NULL, 65536, 16384, 65536, 0);
        smaps_text_end(f);
        ASSERT_TRUE(len > 4 * MIB);
        dir = refs_root(text, len);
        free(text);

        /* Only the large region is one worth advising. */
        ASSERT_OK(idle_backend_refs.collect(&target_4242, &state, 1 * MIB, &res));
        ASSERT_EQ_U64(res.n_regions, 1);
        check_region(&res.regions[0], 0x7f3a00000000, 0x7f3a04000000, 64 * MIB, 48 * MIB, 0);
        idle_result_done(&res);

        /* Every one: a quarter of the small ones were referenced. */
        ASSERT_OK(idle_backend_refs.collect(&target_4242, &state, 0, &res));
        ASSERT_EQ_U64(res.n_regions, n_small + 1);
        for (size_t i = 0; i < res.n_regions; i++)
                idle += res.regions[i].idle_bytes;
        ASSERT_EQ_U64(idle, 22500 * 4 * KIB + 48 * MIB);
        check_region(&res.regions[n_small - 1], 0x10000000ULL + (n_small - 1) * 0x2000ULL,
                     0x10000000ULL + (n_small - 1) * 0x2000ULL + 0x1000, 4 * KIB, 4 * KIB, 0);
        idle_result_done(&res);
        refs_root_done(dir);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "ranges-coalesce", .func = test_ranges_coalesce },
                { .name = "ranges-hot-split", .func = test_ranges_hot_split },
                { .name = "ranges-not-present", .func = test_ranges_not_present },
                { .name = "ranges-totals", .func = test_ranges_totals },
                { .name = "ranges-error", .func = test_ranges_error },
                { .name = "refs-probe", .func = test_refs_probe },
                { .name = "refs-mark", .func = test_refs_mark },
                { .name = "refs-mark-cold", .func = test_refs_mark_cold },
                { .name = "refs-collect", .func = test_refs_collect },
                { .name = "refs-referenced-above-anonymous", .func = test_refs_referenced_above_anonymous },
                { .name = "refs-gone", .func = test_refs_gone },
                { .name = "refs-many-mappings", .func = test_refs_many_mappings },
        };

        log_set_max_level(LOG_DEBUG);
        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
