/* SPDX-License-Identifier: MIT */
/* The smaps parser: what it reads from the kernel's text, and that the
 * same text gives the same VMAs however it is cut into chunks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/paths.h"
#include "kernel/smaps.h"
#include "test-smaps-text.h"
#include "test-tempdir.h"
#include "test-util.h"

#define KIB 1024ULL
#define MIB (1024ULL * 1024ULL)

/* The whole text in one call, as a caller with a buffer would. */
static int parse_whole(const char *buf, size_t len, const SmapsFilter *filter, SmapsVma **ret,
                       size_t *ret_n) {
        SmapsParser p;
        int r;

        smaps_parser_init(&p, filter);
        r = smaps_parser_feed(&p, buf, len);
        if (r < 0) {
                smaps_parser_done(&p);
                return r;
        }
        return smaps_parser_finish(&p, ret, ret_n);
}

/* The text in chunks of 'chunk' bytes (the last one shorter). The feeds
 * go on after a failure, which must stick. */
static int parse_chunked(const char *buf, size_t len, size_t chunk, const SmapsFilter *filter,
                         SmapsVma **ret, size_t *ret_n) {
        SmapsParser p;
        int first = 0;

        smaps_parser_init(&p, filter);
        for (size_t off = 0; off < len; off += chunk) {
                int r = smaps_parser_feed(&p, buf + off, len - off < chunk ? len - off : chunk);

                if (first < 0 && r != first)
                        TEST_FAIL("a feed after error %d returned %d", first, r);
                if (r < 0)
                        first = r;
        }
        return smaps_parser_finish(&p, ret, ret_n);
}

static void assert_same_vmas(const SmapsVma *a, size_t n_a, const SmapsVma *b, size_t n_b,
                             const char *what) {
        if (n_a != n_b)
                TEST_FAIL("%s: %zu VMAs, expected %zu", what, n_b, n_a);
        for (size_t i = 0; i < n_a; i++)
                if (a[i].start != b[i].start || a[i].end != b[i].end || a[i].anonymous != b[i].anonymous ||
                    a[i].special != b[i].special || a[i].rss_bytes != b[i].rss_bytes ||
                    a[i].anonymous_bytes != b[i].anonymous_bytes ||
                    a[i].referenced_bytes != b[i].referenced_bytes || a[i].swap_bytes != b[i].swap_bytes)
                        TEST_FAIL("%s: VMA %zu (%" PRIx64 "-%" PRIx64 ") differs from the whole-text parse",
                                  what, i, b[i].start, b[i].end);
}

static void parse_smaps_fixture(const char *rel, SmapsVma **vmas, size_t *n) {
        size_t size;
        char *buf = fixture_read(rel, &size);

        ASSERT_OK(parse_whole(buf, size, NULL, vmas, n));
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

        ASSERT_OK(parse_whole(text, strlen(text), NULL, &vmas, &n));
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
        ASSERT_OK(parse_whole("", 0, NULL, &vmas, &n));
        ASSERT_EQ_U64(n, 0);
        ASSERT_NULL(vmas);
}

/* Fails with -EBADMSG whole and in every chunk size, and hands nothing
 * over. */
static void check_smaps_bad(const char *text) {
        size_t len = strlen(text);

        for (size_t chunk = 0; chunk <= len; chunk++) {
                SmapsVma *vmas = (SmapsVma *) 0x1;
                size_t n = 42;
                int r = chunk == 0 ? parse_whole(text, len, NULL, &vmas, &n)
                                   : parse_chunked(text, len, chunk, NULL, &vmas, &n);

                if (r != -EBADMSG)
                        TEST_FAIL("\"%s\" in chunks of %zu did not fail with EBADMSG but %d", text, chunk,
                                  r);
                ASSERT_TRUE(vmas == (SmapsVma *) 0x1);
                ASSERT_EQ_U64(n, 42);
        }
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
                ("1000-2000 rw-p 00000000 00:00 0\nRss: 4 kB\n2000-3000 rw-p 00000000 00:00 0\nSwap: "
                 "18014398509481984 kB\n"),
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                check_smaps_bad(bad[i]);
}

/* Every chunk size from one byte to 4 KiB, and chunks of changing sizes:
 * exactly what the whole text gives, with and without a filter. */
static void check_every_chunk_size(const char *rel) {
        static const SmapsFilter anon_resident = { .anonymous_only = true, .resident_only = true };
        const SmapsFilter *filters[] = { NULL, &anon_resident };
        size_t size;
        char *buf = fixture_read(rel, &size);

        for (size_t f = 0; f < ELEMENTSOF(filters); f++) {
                SmapsVma *whole, *chunked;
                size_t n_whole, n_chunked;
                char what[128];

                ASSERT_OK(parse_whole(buf, size, filters[f], &whole, &n_whole));
                ASSERT_TRUE(n_whole > 0);
                for (size_t chunk = 1; chunk <= 4096; chunk++) {
                        snprintf(what, sizeof(what), "%s, filter %zu, chunks of %zu", rel, f, chunk);
                        ASSERT_OK(parse_chunked(buf, size, chunk, filters[f], &chunked, &n_chunked));
                        assert_same_vmas(whole, n_whole, chunked, n_chunked, what);
                        free(chunked);
                }

                /* 1, 2, 3 … 97, 1, 2 … bytes: cuts fall everywhere. */
                SmapsParser p;
                smaps_parser_init(&p, filters[f]);
                for (size_t off = 0, step = 1; off < size; off += step, step = step % 97 + 1)
                        ASSERT_OK(smaps_parser_feed(&p, buf + off, size - off < step ? size - off : step));
                ASSERT_OK(smaps_parser_finish(&p, &chunked, &n_chunked));
                snprintf(what, sizeof(what), "%s, filter %zu, changing chunks", rel, f);
                assert_same_vmas(whole, n_whole, chunked, n_chunked, what);
                free(chunked);
                free(whole);
        }
        free(buf);
}

static void test_chunks_real(void) {
        check_every_chunk_size("smaps/smaps-sleep-6.18.txt");
}

static void test_chunks_handmade(void) {
        check_every_chunk_size("smaps/smaps-handmade.txt");
}

/* Two chunks cut at every byte: through an address, a key, a figure, a
 * unit and right at the newlines. */
static void test_split_line(void) {
        static const char text[] = "7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
                                   "Rss:                2048 kB\n"
                                   "Referenced:         1024 kB\n"
                                   "Anonymous:          2048 kB\n"
                                   "Swap:                512 kB\n"
                                   "7f0000400000-7f0000401000 r--p 00001000 fe:00 1234    /usr/lib/x.so\n"
                                   "Rss:                   4 kB";
        size_t len = strlen(text);

        for (size_t cut = 0; cut <= len; cut++) {
                SmapsParser p;
                SmapsVma *v;
                size_t n;

                smaps_parser_init(&p, NULL);
                ASSERT_OK(smaps_parser_feed(&p, text, cut));
                ASSERT_OK(smaps_parser_feed(&p, text + cut, len - cut));
                ASSERT_OK(smaps_parser_finish(&p, &v, &n));
                if (n != 2 || v[0].start != 0x7f0000000000 || v[0].end != 0x7f0000400000 ||
                    !v[0].anonymous || v[0].rss_bytes != 2048 * KIB || v[0].referenced_bytes != 1024 * KIB ||
                    v[0].anonymous_bytes != 2048 * KIB || v[0].swap_bytes != 512 * KIB ||
                    v[1].start != 0x7f0000400000 || v[1].anonymous || v[1].rss_bytes != 4 * KIB)
                        TEST_FAIL("cut at byte %zu: wrong VMAs (%zu)", cut, n);
                free(v);
        }
}

/* A line longer than SMAPS_LINE_MAX counts by its first SMAPS_LINE_MAX
 * bytes, cut into chunks or not: a long path is still a file; the VMA after
 * it is unharmed. */
static void test_long_line(void) {
        const size_t path_len = 10000;
        const char *head = "7f0000000000-7f0000001000 r--p 00000000 fe:00 77                         /";
        const char *tail = "\nRss: 4 kB\n7f0000001000-7f0000003000 rw-p 00000000 00:00 0 \nRss: 8 kB\n"
                           "Anonymous: 8 kB\n";
        size_t len = strlen(head) + path_len + strlen(tail);
        char *text = malloc(len + 1);
        static const size_t chunks[] = { 1, 2, 7, 255, 256, 257, 4096, 100000 };

        ASSERT_NOT_NULL(text);
        strcpy(text, head);
        memset(text + strlen(head), 'x', path_len);
        strcpy(text + strlen(head) + path_len, tail);
        for (size_t i = 0; i < ELEMENTSOF(chunks); i++) {
                SmapsVma *v;
                size_t n;

                ASSERT_OK(parse_chunked(text, len, chunks[i], NULL, &v, &n));
                ASSERT_EQ_U64(n, 2);
                ASSERT_FALSE(v[0].anonymous);
                ASSERT_EQ_U64(v[0].rss_bytes, 4 * KIB);
                ASSERT_TRUE(v[1].anonymous);
                ASSERT_EQ_U64(v[1].start, 0x7f0000001000);
                ASSERT_EQ_U64(v[1].anonymous_bytes, 8 * KIB);
                free(v);
        }
        free(text);

        /* Fields pushed past the prefix are missing fields, in any chunking. */
        char padded[600];
        snprintf(padded, sizeof(padded), "1000-2000 rw-p %300s00000000 00:00 0\n", "");
        check_smaps_bad(padded);
}

/* A process with many mappings: a page each, every fifth a file, the
 * others anonymous, every third of those swapped out instead of resident.
 * Figures from 'i' so that sums can be checked. */
static void append_vma(FILE *f, size_t i) {
        uint64_t start = 0x7f0000000000ULL + (uint64_t) i * 0x2000ULL;
        bool file = i % 5 == 0, swapped = !file && i % 3 == 0;

        smaps_text_append(f, start, start + 0x1000, i % 2 ? "r--p" : "rw-p",
                          file ? "/usr/lib/x86_64-linux-gnu/libmany.so.1" : NULL, swapped ? 0 : 4,
                          i % 7 == 0 && !swapped ? 4 : 0, file || swapped ? 0 : 4, swapped ? 4 : 0);
}

#define MANY_VMAS 30000

static char *many_vmas_text(size_t *ret_len) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = smaps_text_begin(&text, &len);

        for (size_t i = 0; i < MANY_VMAS; i++)
                append_vma(f, i);
        smaps_text_end(f);
        *ret_len = len;
        return text;
}

static void check_many(const SmapsVma *v, size_t n, bool anon_resident_only) {
        uint64_t rss = 0, anon = 0, swap = 0, ref = 0;
        size_t n_anon = 0, want_n = 0;

        for (size_t i = 0; i < MANY_VMAS; i++)
                want_n += !anon_resident_only || (i % 5 != 0 && i % 3 != 0);
        ASSERT_EQ_U64(n, want_n);
        for (size_t i = 0; i < n; i++) {
                rss += v[i].rss_bytes;
                anon += v[i].anonymous_bytes;
                swap += v[i].swap_bytes;
                ref += v[i].referenced_bytes;
                n_anon += v[i].anonymous;
                if (i > 0 && v[i].start <= v[i - 1].start)
                        TEST_FAIL("VMA %zu out of order", i);
        }
        /* 30000 VMAs: 6000 files, 8000 anonymous ones swapped, 16000
         * anonymous and resident. */
        ASSERT_EQ_U64(n_anon, anon_resident_only ? 16000 : 24000);
        ASSERT_EQ_U64(anon, 16000 * 4 * KIB);
        ASSERT_EQ_U64(rss, (anon_resident_only ? 16000 : 22000) * 4 * KIB);
        ASSERT_EQ_U64(swap, anon_resident_only ? 0 : 8000 * 4 * KIB);
        ASSERT_TRUE(ref > 0);
}

static void test_many_vmas(void) {
        static const SmapsFilter anon_resident = { .anonymous_only = true, .resident_only = true };
        size_t len, n;
        char *text = many_vmas_text(&len), *dir;
        SmapsVma *v;

        /* More than read_full_file() ever took: the old limit. */
        ASSERT_TRUE(len > READ_FULL_FILE_MAX);
        ASSERT_OK(parse_whole(text, len, NULL, &v, &n));
        check_many(v, n, false);
        free(v);
        ASSERT_OK(parse_chunked(text, len, 4093, NULL, &v, &n));
        check_many(v, n, false);
        free(v);
        ASSERT_OK(parse_chunked(text, len, 65536, &anon_resident, &v, &n));
        check_many(v, n, true);
        free(v);

        /* Read from a file as from /proc. */
        dir = tempdir_new();
        tempdir_write(dir, "proc/4242/smaps", text, len);
        ASSERT_OK(root_set_prefix(dir));
        ASSERT_OK(smaps_read(4242, NULL, &v, &n));
        check_many(v, n, false);
        free(v);
        ASSERT_OK(smaps_read(4242, &anon_resident, &v, &n));
        check_many(v, n, true);
        free(v);
        ASSERT_OK(root_set_prefix(NULL));
        tempdir_remove(dir);
        free(text);
}

static void test_filter(void) {
        size_t size, n;
        char *buf = fixture_read("smaps/smaps-handmade.txt", &size);
        SmapsVma *v;

        /* The handmade fixture's anonymous VMAs: [heap], 64 MiB, the 2 MiB
         * arena, the empty 1 MiB guard and [stack]. */
        ASSERT_OK(parse_whole(buf, size, &(SmapsFilter){ .anonymous_only = true }, &v, &n));
        ASSERT_EQ_U64(n, 5);
        check_vma(&v[3], 0x7f3a04b00000, 0x7f3a04c00000, true, false, 0, 0, 0, 0);
        free(v);
        ASSERT_OK(parse_whole(buf, size, &(SmapsFilter){ .anonymous_only = true, .resident_only = true }, &v,
                              &n));
        ASSERT_EQ_U64(n, 4);
        check_vma(&v[3], 0x7ffd5a4e0000, 0x7ffd5a501000, true, false, 40, 40, 40, 8);
        free(v);
        /* At least 1 MiB: the guard region of exactly 1 MiB is in. */
        ASSERT_OK(parse_whole(buf, size, &(SmapsFilter){ .anonymous_only = true, .min_size_bytes = MIB }, &v,
                              &n));
        ASSERT_EQ_U64(n, 3);
        ASSERT_EQ_U64(v[0].start, 0x7f3a00000000);
        ASSERT_EQ_U64(v[2].start, 0x7f3a04b00000);
        free(v);
        /* Size alone: the shared 8 MiB and the 1 MiB file mapping too. */
        ASSERT_OK(parse_whole(buf, size, &(SmapsFilter){ .min_size_bytes = MIB }, &v, &n));
        ASSERT_EQ_U64(n, 5);
        ASSERT_FALSE(v[2].anonymous || v[3].anonymous);
        free(v);
        /* None kept: no array. */
        v = (SmapsVma *) 0x1;
        ASSERT_OK(parse_whole(buf, size, &(SmapsFilter){ .min_size_bytes = 1ULL << 40 }, &v, &n));
        ASSERT_EQ_U64(n, 0);
        ASSERT_NULL(v);
        free(buf);
}

static void test_read_gone(void) {
        char *dir = tempdir_new();
        SmapsVma *v = (SmapsVma *) 0x1;
        size_t n = 42;

        tempdir_write_string(dir, "proc/4242/smaps", "Rss: 4 kB\n");
        ASSERT_OK(root_set_prefix(dir));
        ASSERT_ERRNO(smaps_read(4243, NULL, &v, &n), -ESRCH);
        ASSERT_ERRNO(smaps_read(4242, NULL, &v, &n), -EBADMSG);
        ASSERT_TRUE(v == (SmapsVma *) 0x1);
        ASSERT_EQ_U64(n, 42);
        ASSERT_OK(root_set_prefix(NULL));
        tempdir_remove(dir);
}

/* /proc/PID/maps: smaps's header lines alone. The handmade fixture without
 * its figures gives the same VMAs, their figures 0. */
static void test_maps(void) {
        static const SmapsFilter big_anon = { .anonymous_only = true, .min_size_bytes = MIB };
        size_t size, n, len = 0;
        char *buf = fixture_read("smaps/smaps-handmade.txt", &size), *maps = calloc(1, size + 1), *dir;
        SmapsVma *v, *ref;
        size_t n_ref;
        void *mem;
        bool found = false;

        ASSERT_NOT_NULL(maps);
        for (const char *line = buf; line < buf + size;) {
                const char *nl = memchr(line, '\n', (size_t) (buf + size - line));
                size_t l = (size_t) ((nl ? nl + 1 : buf + size) - line);
                const char *colon = memchr(line, ':', l), *space = memchr(line, ' ', l);

                /* A figure's key ends in ':' before the first space. */
                if (!(colon && (!space || colon < space))) {
                        memcpy(maps + len, line, l);
                        len += l;
                }
                line += l;
        }
        ASSERT_OK(parse_whole(buf, size, &big_anon, &ref, &n_ref));
        dir = tempdir_new();
        tempdir_write(dir, "proc/4242/maps", maps, len);
        ASSERT_OK(root_set_prefix(dir));
        ASSERT_OK(maps_read(4242, &big_anon, &v, &n));
        ASSERT_EQ_U64(n, n_ref);
        ASSERT_EQ_U64(n, 3);
        for (size_t i = 0; i < n; i++)
                check_vma(&v[i], ref[i].start, ref[i].end, true, false, 0, 0, 0, 0);
        free(v);
        v = (SmapsVma *) 0x1;
        ASSERT_ERRNO(maps_read(4242, &(SmapsFilter){ .resident_only = true }, &v, &n), -EINVAL);
        ASSERT_ERRNO(maps_read(4243, NULL, &v, &n), -ESRCH);
        ASSERT_TRUE(v == (SmapsVma *) 0x1);
        ASSERT_OK(root_set_prefix(NULL));
        tempdir_remove(dir);

        /* This process's own: a private anonymous mapping is there, whole. */
        mem = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_TRUE(mem != MAP_FAILED);
        ASSERT_OK(maps_read(getpid(), &big_anon, &v, &n));
        for (size_t i = 0; i < n; i++)
                if (v[i].start <= (uint64_t) (uintptr_t) mem &&
                    v[i].end >= (uint64_t) (uintptr_t) mem + 4 * MIB)
                        found = v[i].anonymous;
        ASSERT_TRUE(found);
        free(v);
        munmap(mem, 4 * MIB);
        free(ref);
        free(maps);
        free(buf);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "real", .func = test_smaps_real },
                { .name = "handmade", .func = test_smaps_handmade },
                { .name = "inline", .func = test_smaps_inline },
                { .name = "malformed", .func = test_smaps_malformed },
                { .name = "chunks-real", .func = test_chunks_real },
                { .name = "chunks-handmade", .func = test_chunks_handmade },
                { .name = "split-line", .func = test_split_line },
                { .name = "long-line", .func = test_long_line },
                { .name = "many-vmas", .func = test_many_vmas },
                { .name = "filter", .func = test_filter },
                { .name = "read-gone", .func = test_read_gone },
                { .name = "maps", .func = test_maps },
        };

        log_set_max_level(LOG_DEBUG);
        return test_main(cases, ELEMENTSOF(cases), argc, argv);
}
