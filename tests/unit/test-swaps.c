/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "kernel/swaps.h"
#include "test-root.h"
#include "test-util.h"

/* The header as mm/swapfile.c prints it. */
#define HEADER "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"

static void check_parse_fails(const char *buf, size_t len, int expected) {
        SwapList l, untouched;

        memset(&l, 0x5a, sizeof(l));
        untouched = l;
        ASSERT_ERRNO(swaps_parse(buf, len, &l), expected);
        ASSERT_MEMEQ(&l, &untouched, sizeof(l));
}

#define CHECK_PARSE_FAILS(s, expected) check_parse_fails((s), sizeof(s) - 1, (expected))

static void check_entry(const SwapEntry *e, const char *path, const char *type, uint64_t size_kib,
                        uint64_t used_kib, int priority) {
        ASSERT_STREQ(e->path, path);
        ASSERT_STREQ(e->type, type);
        ASSERT_EQ_U64(e->size_bytes, size_kib * 1024);
        ASSERT_EQ_U64(e->used_bytes, used_kib * 1024);
        ASSERT_EQ_INT(e->priority, priority);
}

/* Checks the rows of fixtures/swaps/zram-and-file.txt. */
static void check_zram_and_file(const SwapList *l) {
        ASSERT_EQ_U64(l->n_entries, 2);
        check_entry(&l->entries[0], "/dev/zram0", "partition", 8388604, 1048576, 100);
        check_entry(&l->entries[1], "/var/lib/swap file", "file", 2097148, 0, -2);
}

static void test_zram_and_file(void) {
        SwapList l = {};
        char *buf;
        size_t size;

        buf = fixture_read("swaps/zram-and-file.txt", &size);
        ASSERT_OK(swaps_parse(buf, size, &l));
        check_zram_and_file(&l);

        ASSERT_TRUE(swap_list_find(&l, "/dev/zram0") == &l.entries[0]);
        ASSERT_TRUE(swap_list_find(&l, "/var/lib/swap file") == &l.entries[1]);
        ASSERT_NULL(swap_list_find(&l, "/var/lib/swap\\040file"));
        ASSERT_NULL(swap_list_find(&l, "/dev/zram"));
        ASSERT_NULL(swap_list_find(&l, "/dev/zram1"));

        swap_list_done(&l);
        ASSERT_NULL(l.entries);
        ASSERT_EQ_U64(l.n_entries, 0);
        ASSERT_NULL(swap_list_find(&l, "/dev/zram0"));
        /* Done twice is harmless. */
        swap_list_done(&l);

        /* The last row without its newline. */
        ASSERT_OK(swaps_parse(buf, size - 1, &l));
        check_zram_and_file(&l);
        swap_list_done(&l);
        free(buf);
}

static void test_header_only(void) {
        SwapList l;
        char *buf;
        size_t size;

        /* What /proc/swaps says with no swap active, as this machine had it. */
        buf = fixture_read("swaps/header-only-6.18.txt", &size);
        memset(&l, 0x5a, sizeof(l));
        ASSERT_OK(swaps_parse(buf, size, &l));
        ASSERT_EQ_U64(l.n_entries, 0);
        ASSERT_NULL(swap_list_find(&l, "/dev/zram0"));
        swap_list_done(&l);
        free(buf);
}

static void test_escapes(void) {
        static const char text[] =
                HEADER "/swap\\040space\\011tab\\012nl\\134bs  file\t\t1024\t\t0\t\t-3\n"
                       "/swap\\04                                file\t\t1024\t\t0\t\t-4\n"
                       "/swap\\400\\081\\018\\                     file\t\t1024\t\t0\t\t-5\n"
                       "/mnt/\\040lead\\040                      file\t\t1024\t\t0\t\t-6\n";
        SwapList l = {};

        ASSERT_OK(swaps_parse(text, sizeof(text) - 1, &l));
        ASSERT_EQ_U64(l.n_entries, 4);
        check_entry(&l.entries[0], "/swap space\ttab\nnl\\bs", "file", 1024, 0, -3);
        /* Not three octal digits: kept as written. */
        check_entry(&l.entries[1], "/swap\\04", "file", 1024, 0, -4);
        check_entry(&l.entries[2], "/swap\\400\\081\\018\\", "file", 1024, 0, -5);
        /* An escape at the very end of the path is still one. */
        check_entry(&l.entries[3], "/mnt/ lead ", "file", 1024, 0, -6);
        swap_list_done(&l);
}

static void test_priority(void) {
        static const char text[] =
                HEADER "/dev/zram0                              partition\t8388604\t\t0\t\t32767\n"
                       "/dev/vda3                               partition\t2097148\t\t0\t\t-2\n"
                       "/swapfile                               file\t\t1048572\t\t0\t\t-2147483648\n"
                       "/swapfile2                              file\t\t1048572\t\t0\t\t2147483647\n";
        SwapList l = {};

        ASSERT_OK(swaps_parse(text, sizeof(text) - 1, &l));
        ASSERT_EQ_U64(l.n_entries, 4);
        ASSERT_EQ_INT(l.entries[0].priority, 32767);
        ASSERT_EQ_INT(l.entries[1].priority, -2);
        ASSERT_EQ_INT(l.entries[2].priority, INT_MIN);
        ASSERT_EQ_INT(l.entries[3].priority, INT_MAX);
        swap_list_done(&l);

        CHECK_PARSE_FAILS(HEADER "/swapfile file 1048572 0 2147483648\n", -EBADMSG);
        CHECK_PARSE_FAILS(HEADER "/swapfile file 1048572 0 -2147483649\n", -EBADMSG);
        CHECK_PARSE_FAILS(HEADER "/swapfile file 1048572 0 high\n", -EBADMSG);
        CHECK_PARSE_FAILS(HEADER "/swapfile file 1048572 0 -\n", -EBADMSG);
        CHECK_PARSE_FAILS(HEADER "/swapfile file 1048572 0 +5\n", -EBADMSG);
}

static void test_field_count(void) {
        /* Four fields: the priority is missing. */
        CHECK_PARSE_FAILS(HEADER "/dev/zram0                              partition\t8388604\t\t0\n",
                          -EBADMSG);
        CHECK_PARSE_FAILS(HEADER "/dev/zram0 partition 8388604 0 100 7\n", -EBADMSG);
        CHECK_PARSE_FAILS(HEADER "/dev/zram0\n", -EBADMSG);
        /* A path with an unescaped space splits into one field too many. */
        CHECK_PARSE_FAILS(HEADER "/var/lib/swap file file 2097148 0 -2\n", -EBADMSG);
}

static void test_missing_header(void) {
        CHECK_PARSE_FAILS("", -EBADMSG);
        CHECK_PARSE_FAILS("\n", -EBADMSG);
        CHECK_PARSE_FAILS("/dev/zram0                              partition\t8388604\t\t0\t\t100\n",
                          -EBADMSG);
        CHECK_PARSE_FAILS("Filenam\n", -EBADMSG);
        CHECK_PARSE_FAILS("\n" HEADER "/dev/zram0 partition 8388604 0 100\n", -EBADMSG);
}

static void test_not_numbers(void) {
        CHECK_PARSE_FAILS(HEADER "/dev/zram0 partition 8G 0 100\n", -EBADMSG);
        CHECK_PARSE_FAILS(HEADER "/dev/zram0 partition -8388604 0 100\n", -EBADMSG);
        CHECK_PARSE_FAILS(HEADER "/dev/zram0 partition 8388604 none 100\n", -EBADMSG);
        CHECK_PARSE_FAILS(HEADER "/dev/zram0 partition 8388604 0x10 100\n", -EBADMSG);
}

static void test_overflow(void) {
        CHECK_PARSE_FAILS(HEADER "/dev/zram0 partition 99999999999999999999 0 100\n", -ERANGE);
        /* Fits as kB, not as bytes. */
        CHECK_PARSE_FAILS(HEADER "/dev/zram0 partition 18014398509481984 0 100\n", -ERANGE);
        CHECK_PARSE_FAILS(HEADER "/dev/zram0 partition 8388604 18014398509481984 100\n", -ERANGE);
}

static void test_bad_row_after_good_ones(void) {
        /* The rows parsed before the bad one are freed, not leaked (ASan
         * checks), and the output stays untouched. */
        CHECK_PARSE_FAILS(HEADER
                          "/dev/zram0                              partition\t8388604\t\t1048576\t\t100\n"
                          "/var/lib/swap\\040file                   file\t\t2097148\t\t0\t\t-2\n"
                          "/dev/vda3                               partition\t2097148\t\t0\n",
                          -EBADMSG);
        CHECK_PARSE_FAILS(HEADER
                          "/dev/zram0                              partition\t8388604\t\t1048576\t\t100\n"
                          "/dev/vda3                               partition\tbig\t\t0\t\t-2\n",
                          -EBADMSG);
}

/* Turned on in a unit's private /dev that has gone since: the row reads
 * "/zram1". Only a block device of exactly that form is taken for /dev/zram1. */
static void test_vanished_namespace(void) {
        static const char text[] = HEADER "/zram1\t\t\t\tpartition\t1024\t\t512\t\t100\n"
                                          "/zram2\t\t\t\tfile\t\t1024\t\t0\t\t-2\n"
                                          "/dev/zram3\t\t\t\tpartition\t1024\t\t0\t\t5\n";
        SwapList l = {};

        ASSERT_OK(swaps_parse(text, sizeof(text) - 1, &l));
        ASSERT_EQ_U64(l.n_entries, 3);
        ASSERT_TRUE(swap_list_find(&l, "/dev/zram1") == &l.entries[0]);
        ASSERT_TRUE(swap_list_find(&l, "/zram1") == &l.entries[0]);
        ASSERT_TRUE(swap_list_find(&l, "/dev/zram3") == &l.entries[2]);
        /* A file of that name is not the device. */
        ASSERT_NULL(swap_list_find(&l, "/dev/zram2"));
        /* Nor are deeper paths or other directories. */
        ASSERT_NULL(swap_list_find(&l, "/dev/block/zram1"));
        ASSERT_NULL(swap_list_find(&l, "/run/zram1"));
        ASSERT_NULL(swap_list_find(&l, "/dev/"));
        ASSERT_NULL(swap_list_find(&l, "/dev/zram"));
        swap_list_done(&l);
}

static void test_read(void) {
        SwapList l, untouched;

        fixture_root_use("full");
        ASSERT_OK(swaps_read(&l));
        check_zram_and_file(&l);
        swap_list_done(&l);

        fixture_root_use("bare");
        ASSERT_OK(swaps_read(&l));
        ASSERT_EQ_U64(l.n_entries, 0);
        swap_list_done(&l);

        /* A root without /proc/swaps. */
        fixture_root_use("ksm-5.15");
        memset(&l, 0x5a, sizeof(l));
        untouched = l;
        ASSERT_ERRNO(swaps_read(&l), -ENOENT);
        ASSERT_MEMEQ(&l, &untouched, sizeof(l));
        fixture_root_reset();
}

static const TestCase cases[] = {
        { .name = "zram-and-file", .func = test_zram_and_file },
        { .name = "header-only", .func = test_header_only },
        { .name = "escapes", .func = test_escapes },
        { .name = "priority", .func = test_priority },
        { .name = "field-count", .func = test_field_count },
        { .name = "missing-header", .func = test_missing_header },
        { .name = "not-numbers", .func = test_not_numbers },
        { .name = "overflow", .func = test_overflow },
        { .name = "bad-row-after-good-ones", .func = test_bad_row_after_good_ones },
        { .name = "vanished-namespace", .func = test_vanished_namespace },
        { .name = "read", .func = test_read },
};

TEST_MAIN(cases)
