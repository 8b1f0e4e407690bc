/* SPDX-License-Identifier: MIT */
/* The page_idle backend against a root made at test time: maps, a sparse
 * pagemap with 8-byte entries at (address / page size) * 8 as the kernel
 * lays it out, and a page_idle bitmap that is a plain file of zeros. A
 * plain file keeps exactly what is written to it, so after mark() it
 * shows which bits the backend set, and clearing bits in it stands in for
 * pages touched during the window. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "common/macro.h"
#include "common/paths.h"
#include "config/config.h"
#include "idle/idle.h"
#include "test-smaps-text.h"
#include "test-tempdir.h"
#include "test-util.h"

#define PID 4242
#define BITMAP_WORDS 4096 /* PFNs below 0x40000 */
#define BITMAP "sys/kernel/mm/page_idle/bitmap"

/* Addresses, 2 MiB aligned so that any page size divides them. */
#define A_START UINT64_C(0x40000000) /* anonymous, 1024 pages */
#define A_PAGES 1024
#define B_START UINT64_C(0x48000000) /* anonymous, 16 pages */
#define B_PAGES 16
#define F_START UINT64_C(0x50000000) /* a file, private */
#define S_START UINT64_C(0x58000000) /* shared anonymous memory: shmem */
#define V_START UINT64_C(0x5c000000) /* [vdso] */
#define C_START UINT64_C(0x100000000) /* anonymous, across two pagemap chunks */
#define C_PAGES (65536 + 64)

/* PFNs. A's first 512 pages are a THP: 512 consecutive frames, 512
 * aligned, so 8 bitmap words. */
#define THP_PFN UINT64_C(0x10000)
#define B_PFN UINT64_C(0x28000)
#define F_PFN UINT64_C(0x38000)
#define S_PFN UINT64_C(0x38100)
#define V_PFN UINT64_C(0x38200)
#define C_PFN UINT64_C(0x39000)

#define PRESENT(pfn) (PM_PRESENT | PM_EXCLUSIVE | (uint64_t) (pfn))

static const ProcTarget target = { .pid = PID, .pidfd = -EBADF };

static uint64_t page_size(void) {
        return (uint64_t) sysconf(_SC_PAGESIZE);
}

static int open_in(const char *dir, const char *rel, int flags) {
        char *path = tempdir_path(dir, rel);
        int fd = open(path, flags | O_CLOEXEC, 0644);

        if (fd < 0)
                TEST_FAIL("Failed to open %s: %m", path);
        free(path);
        return fd;
}

/* Writes pagemap entries for the pages from 'addr' on. */
static void pagemap_write(const char *dir, pid_t pid, uint64_t addr, const uint64_t *entries, size_t n) {
        char rel[64];
        int fd;

        snprintf(rel, sizeof(rel), "proc/%d/pagemap", (int) pid);
        fd = open_in(dir, rel, O_WRONLY | O_CREAT);
        if (pwrite(fd, entries, n * 8, (off_t) (addr / page_size() * 8)) != (ssize_t) (n * 8))
                TEST_FAIL("Failed to write pagemap entries at %" PRIx64 ": %m", addr);
        close(fd);
}

static void pagemap_write_one(const char *dir, uint64_t addr, uint64_t entry) {
        pagemap_write(dir, PID, addr, &entry, 1);
}

static void bitmap_read(const char *dir, uint64_t words[BITMAP_WORDS]) {
        int fd = open_in(dir, BITMAP, O_RDONLY);

        ASSERT_TRUE(pread(fd, words, BITMAP_WORDS * 8, 0) == BITMAP_WORDS * 8);
        close(fd);
}

/* A page touched in the window: the kernel clears its idle bit. */
static void bitmap_touch(const char *dir, uint64_t pfn) {
        int fd = open_in(dir, BITMAP, O_RDWR);
        uint64_t word;

        ASSERT_TRUE(pread(fd, &word, 8, (off_t) (pfn / 64 * 8)) == 8);
        word &= ~(1ULL << (pfn % 64));
        ASSERT_TRUE(pwrite(fd, &word, 8, (off_t) (pfn / 64 * 8)) == 8);
        close(fd);
}

static void bitmap_create(const char *dir) {
        static const uint64_t zeros[BITMAP_WORDS];

        tempdir_write(dir, BITMAP, zeros, sizeof(zeros));
}

/* The scattered pages of A after its THP. */
static const struct {
        size_t page;
        uint64_t entry;
} a_scattered[] = {
        { 528, PRESENT(0x20005) },
        { 529, PRESENT(0x20003) },
        { 530, PRESENT(0x30000) },
        { 531, PRESENT(0x2003f) }, /* the last bit of a word */
        { 532, PRESENT(0x20040) }, /* the first of the next */
        { 533, PM_PRESENT | PM_FILE_SHARED | 0x20041 },
        { 534, PM_PRESENT }, /* PFN hidden */
        { 535, PRESENT(0x20007) },
};

/* The backend reads smaps and skips what has nothing resident: each VMA of
 * 'maps' is written as fully resident. */
static void write_smaps(const char *dir, const char *rel, const char *maps) {
        char text[4096] = "";
        size_t len = 0;
        const char *line = maps;

        while (*line) {
                const char *nl = strchr(line, '\n');
                size_t line_len = nl ? (size_t) (nl - line) : strlen(line);
                uint64_t start = 0, end = 0;

                ASSERT_TRUE(sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2);
                len += (size_t) snprintf(text + len, sizeof(text) - len, "%.*s\nRss: %" PRIu64 " kB\n",
                                         (int) line_len, line, (end - start) / 1024);
                ASSERT_TRUE(len < sizeof(text));
                line += line_len + (nl ? 1 : 0);
        }
        tempdir_write_string(dir, rel, text);
}

static char *root_new(void) {
        uint64_t ps = page_size(), entries[A_PAGES] = {};
        char *dir = tempdir_new(), maps[1024];

        snprintf(maps, sizeof(maps),
                 "%" PRIx64 "-%" PRIx64 " rw-p 00000000 00:00 0 \n"
                 "%" PRIx64 "-%" PRIx64
                 " rw-p 00000000 00:00 0                          [anon:small arena]\n"
                 "%" PRIx64 "-%" PRIx64
                 " rw-p 00000000 fe:01 1234                       /usr/lib/libfoo.so.1\n"
                 "%" PRIx64 "-%" PRIx64
                 " rw-s 00000000 00:01 2049                       /dev/zero (deleted)\n"
                 "%" PRIx64 "-%" PRIx64 " r-xp 00000000 00:00 0                          [vdso]\n",
                 A_START, A_START + A_PAGES * ps, B_START, B_START + B_PAGES * ps, F_START, F_START + 4 * ps,
                 S_START, S_START + 4 * ps, V_START, V_START + 2 * ps);
        write_smaps(dir, "proc/4242/smaps", maps);

        /* A: the THP, 8 pages never touched, 8 swapped out, then single
         * pages; the rest never touched. */
        for (size_t i = 0; i < 512; i++)
                entries[i] = PRESENT(THP_PFN + i);
        for (size_t i = 520; i < 528; i++)
                entries[i] = PM_SWAP | PM_EXCLUSIVE | ((0x1234 + i) << 5 | 1);
        for (size_t i = 0; i < ELEMENTSOF(a_scattered); i++)
                entries[a_scattered[i].page] = a_scattered[i].entry;
        pagemap_write(dir, PID, A_START, entries, A_PAGES);

        for (size_t i = 0; i < B_PAGES; i++)
                pagemap_write_one(dir, B_START + i * ps, PRESENT(B_PFN + i));
        /* Present pages outside anonymous VMAs, without the flag that
         * would tell: the maps are what leaves them out. */
        for (size_t i = 0; i < 4; i++) {
                pagemap_write_one(dir, F_START + i * ps, PRESENT(F_PFN + i));
                pagemap_write_one(dir, S_START + i * ps, PRESENT(S_PFN + i));
        }
        for (size_t i = 0; i < 2; i++)
                pagemap_write_one(dir, V_START + i * ps, PRESENT(V_PFN + i));

        bitmap_create(dir);
        ASSERT_OK(root_set_prefix(dir));
        return dir;
}

static void root_done(char *dir) {
        ASSERT_OK(root_set_prefix(NULL));
        tempdir_remove(dir);
}

static void set_bit(uint64_t *words, uint64_t pfn) {
        words[pfn / 64] |= 1ULL << (pfn % 64);
}

static void check_words(const uint64_t *got, const uint64_t *expected) {
        for (size_t i = 0; i < BITMAP_WORDS; i++)
                if (got[i] != expected[i])
                        TEST_FAIL("bitmap word %zu (PFNs %#zx…): expected %#" PRIx64 ", got %#" PRIx64, i,
                                  i * 64, expected[i], got[i]);
}

static void check_range(const struct iovec *r, uint64_t start, uint64_t len) {
        if ((uintptr_t) r->iov_base != start || r->iov_len != len)
                TEST_FAIL("Expected range %#" PRIx64 "+%#" PRIx64 ", got %#" PRIxPTR "+%#zx", start, len,
                          (uintptr_t) r->iov_base, r->iov_len);
}

static void test_probe(void) {
        char *dir = tempdir_new();

        ASSERT_STREQ(idle_backend_page_idle.name, "page_idle");
        ASSERT_TRUE(idle_backend_page_idle.page_exact);

        ASSERT_OK(root_set_prefix(dir));
        ASSERT_EQ_INT(idle_backend_page_idle.probe(), 0);
        bitmap_create(dir);
        ASSERT_EQ_INT(idle_backend_page_idle.probe(), 1);
        root_done(dir);
}

static void test_mark(void) {
        uint64_t got[BITMAP_WORDS], expected[BITMAP_WORDS] = {};
        char *dir = root_new();
        void *state = NULL;

        ASSERT_OK(idle_backend_page_idle.mark(&target, 0, NULL, NULL, 0, &state));
        bitmap_read(dir, got);

        /* The THP: 8 full words. */
        for (size_t i = 0; i < 8; i++)
                ASSERT_EQ_U64(got[THP_PFN / 64 + i], UINT64_MAX);
        /* Then exactly the present anonymous pages of both regions: no
         * absent, swapped, page cache, hidden, file or shmem ones. */
        for (uint64_t i = 0; i < 512; i++)
                set_bit(expected, THP_PFN + i);
        set_bit(expected, 0x20005);
        set_bit(expected, 0x20003);
        set_bit(expected, 0x30000);
        set_bit(expected, 0x2003f);
        set_bit(expected, 0x20040);
        set_bit(expected, 0x20007);
        for (uint64_t i = 0; i < B_PAGES; i++)
                set_bit(expected, B_PFN + i);
        check_words(got, expected);
        ASSERT_EQ_U64(got[0x20000 / 64], 1ULL << 63 | 1ULL << 7 | 1ULL << 5 | 1ULL << 3);
        ASSERT_EQ_U64(got[0x20040 / 64], 1);
        ASSERT_NULL(state);
        root_done(dir);
}

static void test_mark_min_region(void) {
        uint64_t got[BITMAP_WORDS], expected[BITMAP_WORDS] = {};
        char *dir = root_new();
        void *state = NULL;

        /* Only region A is big enough: B's pages (which collect would skip
         * too) are left alone. */
        ASSERT_OK(idle_backend_page_idle.mark(&target, B_PAGES * page_size() + 1, NULL, NULL, 0, &state));
        bitmap_read(dir, got);
        for (uint64_t i = 0; i < B_PAGES; i++)
                ASSERT_FALSE(got[(B_PFN + i) / 64] >> ((B_PFN + i) % 64) & 1);
        for (uint64_t i = 0; i < 512; i++)
                set_bit(expected, THP_PFN + i);
        ASSERT_EQ_U64(got[THP_PFN / 64], expected[THP_PFN / 64]);
        ASSERT_EQ_U64(got[0x20000 / 64], 1ULL << 63 | 1ULL << 7 | 1ULL << 5 | 1ULL << 3);
        root_done(dir);
}

static void test_collect(void) {
        const uint64_t ps = page_size();
        char *dir = root_new();
        void *state = NULL;
        IdleResult res;

        ASSERT_OK(idle_backend_page_idle.mark(&target, 0, NULL, NULL, 0, &state));
        /* Touched meanwhile: two pages of the THP, one single page. */
        bitmap_touch(dir, THP_PFN + 100);
        bitmap_touch(dir, THP_PFN + 101);
        bitmap_touch(dir, 0x30000);

        /* At least 512 pages: A, not B. */
        ASSERT_OK(idle_backend_page_idle.collect(&target, &state, 512 * ps, &res));
        ASSERT_EQ_U64(res.n_regions, 1);
        ASSERT_EQ_U64(res.regions[0].start, A_START);
        ASSERT_EQ_U64(res.regions[0].end, A_START + A_PAGES * ps);
        /* The THP and six single pages; the page cache one and the one
         * without a PFN are not counted. */
        ASSERT_EQ_U64(res.regions[0].resident_bytes, 518 * ps);
        ASSERT_EQ_U64(res.regions[0].idle_bytes, 515 * ps);
        ASSERT_EQ_U64(res.regions[0].swap_bytes, 8 * ps);
        ASSERT_EQ_U64(res.regions[0].n_idle_ranges, 5);
        check_range(&res.regions[0].idle_ranges[0], A_START, 100 * ps);
        check_range(&res.regions[0].idle_ranges[1], A_START + 102 * ps, 410 * ps);
        check_range(&res.regions[0].idle_ranges[2], A_START + 528 * ps, 2 * ps);
        check_range(&res.regions[0].idle_ranges[3], A_START + 531 * ps, 2 * ps);
        check_range(&res.regions[0].idle_ranges[4], A_START + 535 * ps, ps);
        idle_result_done(&res);
        ASSERT_NULL(res.regions);
        root_done(dir);
}

static void test_collect_untouched(void) {
        const uint64_t ps = page_size();
        char *dir = root_new();
        void *state = NULL;
        IdleResult res;

        ASSERT_OK(idle_backend_page_idle.mark(&target, 0, NULL, NULL, 0, &state));
        /* Only B's first page was used; every region counts. */
        bitmap_touch(dir, B_PFN);
        ASSERT_OK(idle_backend_page_idle.collect(&target, &state, 0, &res));
        ASSERT_EQ_U64(res.n_regions, 2);

        /* The whole THP is one range. */
        ASSERT_EQ_U64(res.regions[0].resident_bytes, 518 * ps);
        ASSERT_EQ_U64(res.regions[0].idle_bytes, 518 * ps);
        ASSERT_EQ_U64(res.regions[0].n_idle_ranges, 3);
        check_range(&res.regions[0].idle_ranges[0], A_START, 512 * ps);
        check_range(&res.regions[0].idle_ranges[1], A_START + 528 * ps, 5 * ps);
        check_range(&res.regions[0].idle_ranges[2], A_START + 535 * ps, ps);

        ASSERT_EQ_U64(res.regions[1].start, B_START);
        ASSERT_EQ_U64(res.regions[1].end, B_START + B_PAGES * ps);
        ASSERT_EQ_U64(res.regions[1].resident_bytes, B_PAGES * ps);
        ASSERT_EQ_U64(res.regions[1].idle_bytes, (B_PAGES - 1) * ps);
        ASSERT_EQ_U64(res.regions[1].swap_bytes, 0);
        ASSERT_EQ_U64(res.regions[1].n_idle_ranges, 1);
        check_range(&res.regions[1].idle_ranges[0], B_START + ps, (B_PAGES - 1) * ps);
        idle_result_done(&res);

        /* Larger than both: nothing. */
        ASSERT_OK(idle_backend_page_idle.collect(&target, &state, (A_PAGES + 1) * ps, &res));
        ASSERT_EQ_U64(res.n_regions, 0);
        ASSERT_NULL(res.regions);
        root_done(dir);
}

static void test_collect_not_marked(void) {
        char *dir = root_new();
        void *state = NULL;
        IdleResult res;

        /* Without mark() no bit is set: all resident, nothing idle. */
        ASSERT_OK(idle_backend_page_idle.collect(&target, &state, 0, &res));
        ASSERT_EQ_U64(res.n_regions, 2);
        for (size_t i = 0; i < res.n_regions; i++) {
                ASSERT_TRUE(res.regions[i].resident_bytes > 0);
                ASSERT_EQ_U64(res.regions[i].idle_bytes, 0);
                ASSERT_EQ_U64(res.regions[i].n_idle_ranges, 0);
                ASSERT_NULL(res.regions[i].idle_ranges);
        }
        idle_result_done(&res);
        root_done(dir);
}

static void test_chunk_boundary(void) {
        const uint64_t ps = page_size();
        uint64_t got[BITMAP_WORDS], entries[100];
        char *dir = tempdir_new(), maps[128];
        void *state = NULL;
        IdleResult res;

        /* 100 present pages from page 65500 on: the backend reads pagemap
         * 65536 entries at a time, so they come in two reads. */
        snprintf(maps, sizeof(maps), "%" PRIx64 "-%" PRIx64 " rw-p 00000000 00:00 0 \n", C_START,
                 C_START + C_PAGES * ps);
        write_smaps(dir, "proc/4242/smaps", maps);
        for (size_t i = 0; i < ELEMENTSOF(entries); i++)
                entries[i] = PRESENT(C_PFN + i);
        pagemap_write(dir, PID, C_START + 65500 * ps, entries, ELEMENTSOF(entries));
        /* The pagemap ends past the VMA, as the real one does. */
        pagemap_write(dir, PID, C_START + (C_PAGES + 16) * ps, (uint64_t[]){ 0 }, 1);
        bitmap_create(dir);
        ASSERT_OK(root_set_prefix(dir));

        ASSERT_OK(idle_backend_page_idle.mark(&target, 0, NULL, NULL, 0, &state));
        bitmap_read(dir, got);
        for (size_t i = 0; i < BITMAP_WORDS; i++) {
                uint64_t expected = i == C_PFN / 64       ? UINT64_MAX
                                    : i == C_PFN / 64 + 1 ? (1ULL << 36) - 1
                                                          : 0;
                ASSERT_EQ_U64(got[i], expected);
        }

        /* Untouched: one range across the two reads. */
        ASSERT_OK(idle_backend_page_idle.collect(&target, &state, 0, &res));
        ASSERT_EQ_U64(res.n_regions, 1);
        ASSERT_EQ_U64(res.regions[0].resident_bytes, 100 * ps);
        ASSERT_EQ_U64(res.regions[0].idle_bytes, 100 * ps);
        ASSERT_EQ_U64(res.regions[0].n_idle_ranges, 1);
        check_range(&res.regions[0].idle_ranges[0], C_START + 65500 * ps, 100 * ps);
        idle_result_done(&res);

        /* A page touched on each side of the boundary. */
        bitmap_touch(dir, C_PFN + 30);
        bitmap_touch(dir, C_PFN + 70);
        ASSERT_OK(idle_backend_page_idle.collect(&target, &state, 0, &res));
        ASSERT_EQ_U64(res.regions[0].idle_bytes, 98 * ps);
        ASSERT_EQ_U64(res.regions[0].n_idle_ranges, 3);
        check_range(&res.regions[0].idle_ranges[0], C_START + 65500 * ps, 30 * ps);
        check_range(&res.regions[0].idle_ranges[1], C_START + 65531 * ps, 39 * ps);
        check_range(&res.regions[0].idle_ranges[2], C_START + 65571 * ps, 29 * ps);
        idle_result_done(&res);
        root_done(dir);
}

/* 30,000 one-page anonymous mappings, more smaps text than the 4 MiB a
 * whole-file read once took; every tenth has nothing resident. Every
 * resident page is marked; what was touched is not idle. */
static void test_many_mappings(void) {
        const uint64_t ps = page_size(), base = UINT64_C(0x10000000), pfn0 = UINT64_C(0x1000);
        const size_t n = 30000;
        uint64_t *entries = calloc(2 * n, sizeof(uint64_t)), got[BITMAP_WORDS];
        char *dir = tempdir_new(), *text = NULL;
        size_t len = 0, resident = 0;
        FILE *f = smaps_text_begin(&text, &len);
        void *state = NULL;
        IdleResult res;

        ASSERT_NOT_NULL(entries);
        /* A page each, with a page between them: no two are adjacent. */
        for (size_t i = 0; i < n; i++) {
                bool present = i % 10 != 9;

                smaps_text_append(f, base + 2 * i * ps, base + (2 * i + 1) * ps, i % 2 ? "r--p" : "rw-p",
                                  NULL, present ? ps / 1024 : 0, 0, present ? ps / 1024 : 0, 0);
                if (present)
                        entries[2 * i] = PRESENT(pfn0 + i);
                resident += present;
        }
        smaps_text_end(f);
        ASSERT_TRUE(len > 4 * 1024 * 1024);
        tempdir_write(dir, "proc/4242/smaps", text, len);
        free(text);
        pagemap_write(dir, PID, base, entries, 2 * n);
        free(entries);
        bitmap_create(dir);
        ASSERT_OK(root_set_prefix(dir));

        ASSERT_OK(idle_backend_page_idle.mark(&target, 0, NULL, NULL, 0, &state));
        bitmap_read(dir, got);
        for (size_t i = 0; i < n; i++)
                if (((got[(pfn0 + i) / 64] >> ((pfn0 + i) % 64)) & 1) != (i % 10 != 9))
                        TEST_FAIL("PFN of mapping %zu: idle bit %s", i, i % 10 != 9 ? "not set" : "set");
        for (size_t i = 0; i < n; i += 3)
                bitmap_touch(dir, pfn0 + i);

        ASSERT_OK(idle_backend_page_idle.collect(&target, &state, 0, &res));
        ASSERT_EQ_U64(res.n_regions, resident);
        for (size_t k = 0, i = 0; k < res.n_regions; k++, i++) {
                const IdleRegion *r = &res.regions[k];
                bool touched;

                i += i % 10 == 9; /* the one with nothing resident is left out */
                touched = i % 3 == 0;
                ASSERT_EQ_U64(r->start, base + 2 * i * ps);
                ASSERT_EQ_U64(r->resident_bytes, ps);
                ASSERT_EQ_U64(r->idle_bytes, touched ? 0 : ps);
                ASSERT_EQ_U64(r->n_idle_ranges, touched ? 0 : 1);
                if (!touched)
                        check_range(&r->idle_ranges[0], r->start, ps);
        }
        idle_result_done(&res);

        /* At least two pages: none of them. */
        ASSERT_OK(idle_backend_page_idle.collect(&target, &state, 2 * ps, &res));
        ASSERT_EQ_U64(res.n_regions, 0);
        root_done(dir);
}

static void test_missing_pid(void) {
        const ProcTarget gone = { .pid = 4243, .pidfd = -EBADF };
        char *dir = root_new();
        void *state = NULL;
        IdleResult res = {};

        ASSERT_ERRNO(idle_backend_page_idle.mark(&gone, 0, NULL, NULL, 0, &state), -ESRCH);
        ASSERT_ERRNO(idle_backend_page_idle.collect(&gone, &state, 0, &res), -ESRCH);
        ASSERT_NULL(res.regions);

        /* Gone between reading maps and opening pagemap. */
        write_smaps(dir, "proc/4243/smaps", "1000-2000 rw-p 00000000 00:00 0 \n");
        ASSERT_ERRNO(idle_backend_page_idle.mark(&gone, 0, NULL, NULL, 0, &state), -ESRCH);
        ASSERT_ERRNO(idle_backend_page_idle.collect(&gone, &state, 0, &res), -ESRCH);
        ASSERT_NULL(res.regions);
        root_done(dir);
}

static void check_pick(const char *dir, const char *choice, const IdleBackend *expected) {
        char *cli[] = { "Engine.profile=server", NULL }, *error = NULL, assignment[64];
        Config c;
        int r;

        snprintf(assignment, sizeof(assignment), "Engine.idle_backend=%s", choice);
        cli[1] = assignment;
        ASSERT_OK(root_set_prefix(dir));
        r = config_load(&(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = 2 }, &c, &error);
        if (r < 0)
                TEST_FAIL("config_load() failed: %s", strnull(error));
        ASSERT_STREQ(config_idle_backend(&c), choice);
        if (idle_backend_pick(&c) != expected)
                TEST_FAIL("idle_backend=%s picked %s, expected %s", choice,
                          idle_backend_pick(&c) ? idle_backend_pick(&c)->name : "none",
                          expected ? expected->name : "none");
        config_done(&c);
}

static void test_pick(void) {
        char *dir = tempdir_new();

        check_pick(dir, "auto", &idle_backend_refs);
        check_pick(dir, "refs", &idle_backend_refs);
        check_pick(dir, "page_idle", NULL);
        bitmap_create(dir);
        check_pick(dir, "auto", &idle_backend_page_idle);
        check_pick(dir, "refs", &idle_backend_refs);
        check_pick(dir, "page_idle", &idle_backend_page_idle);
        root_done(dir);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "probe", .func = test_probe },
                { .name = "mark", .func = test_mark },
                { .name = "mark-min-region", .func = test_mark_min_region },
                { .name = "collect", .func = test_collect },
                { .name = "collect-untouched", .func = test_collect_untouched },
                { .name = "collect-not-marked", .func = test_collect_not_marked },
                { .name = "chunk-boundary", .func = test_chunk_boundary },
                { .name = "many-mappings", .func = test_many_mappings },
                { .name = "missing-pid", .func = test_missing_pid },
                { .name = "pick", .func = test_pick },
        };

        log_set_max_level(LOG_DEBUG);
        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
