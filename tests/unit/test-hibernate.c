/* SPDX-License-Identifier: MIT */
/* What hibernation reads (engine/hibernate): criu's log, crit's decodes of
 * the images, /proc's TCP tables and smaps_rollup, and the record kept
 * beside the images. The crit texts are cut from real decodes, made by
 * Debian's criu 3.17.1 in the VM tier (Linux 6.12). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hibernate/hibernate.h"
#include "test-tempdir.h"
#include "test-util.h"

static void test_record_round_trip(void) {
        HibernateRecord r = {
                .pid = 4242,
                .start_time = 123456789,
                .uid = 1000,
                .comm = "httpd \\x01",
                .cgroup = (char *) "/user.slice/user-1000.slice/session-2.scope",
                .pss_bytes = 7340032,
                .swap_bytes = 4096,
                .image_bytes = 9000000,
                .hibernated_realtime_usec = 1796000000000000ULL,
                .dump_usec = 812345,
                .n_tasks = 2,
                .ports = { 8080, 443 },
                .n_ports = 2,
                .listen = { { .family = AF_INET, .port = 8080, .reuse_address = true },
                            { .family = AF_INET6, .port = 443 } },
                .n_listen = 2,
        };
        HibernateRecord b;
        char *text, buf[64];

        ASSERT_EQ_INT(inet_pton(AF_INET, "127.0.0.1", r.listen[0].address), 1);
        ASSERT_EQ_INT(inet_pton(AF_INET6, "::1", r.listen[1].address), 1);
        ASSERT_OK(hibernate_record_format(&r, &text));
        ASSERT_OK(hibernate_record_parse(text, &b));
        ASSERT_EQ_INT(b.pid, 4242);
        ASSERT_EQ_U64(b.start_time, 123456789);
        ASSERT_EQ_U64(b.uid, 1000);
        ASSERT_STREQ(b.comm, "httpd \\x01");
        ASSERT_STREQ(b.cgroup, r.cgroup);
        ASSERT_EQ_U64(b.pss_bytes, 7340032);
        ASSERT_EQ_U64(b.swap_bytes, 4096);
        ASSERT_EQ_U64(b.image_bytes, 9000000);
        ASSERT_EQ_U64(b.hibernated_realtime_usec, 1796000000000000ULL);
        ASSERT_EQ_U64(b.dump_usec, 812345);
        ASSERT_EQ_U64(b.n_tasks, 2);
        ASSERT_EQ_U64(b.n_ports, 2);
        ASSERT_EQ_U64(b.ports[0], 8080);
        ASSERT_EQ_U64(b.ports[1], 443);
        ASSERT_EQ_U64(b.n_listen, 2);
        hibernate_listen_format(&b.listen[0], buf, sizeof(buf));
        ASSERT_STREQ(buf, "127.0.0.1:8080");
        ASSERT_TRUE(b.listen[0].reuse_address);
        hibernate_listen_format(&b.listen[1], buf, sizeof(buf));
        ASSERT_STREQ(buf, "[::1]:443");
        ASSERT_FALSE(b.listen[1].reuse_address);
        ASSERT_EQ_INT(b.listen[1].family, AF_INET6);
        hibernate_record_done(&b);
        free(text);
}

static void test_record_bad(void) {
        static const char *const bad[] = {
                "",
                "[]",
                "{\"start_time\": 1, \"uid\": 0, \"comm\": \"x\"}",
                "{\"pid\": 0, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\"}",
                "{\"pid\": -5, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\"}",
                "{\"pid\": 2147483648, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\"}",
                "{\"pid\": \"12\", \"start_time\": 1, \"uid\": 0, \"comm\": \"x\"}",
                "{\"pid\": 12, \"uid\": 0, \"comm\": \"x\"}",
                "{\"pid\": 12, \"start_time\": 1, \"comm\": \"x\"}",
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0}",
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": 7}",
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", \"pss_bytes\": -1}",
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", \"ports\": [0]}",
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", \"ports\": [65536]}",
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", \"ports\": 80}",
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", \"tasks\": 100000}",
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", \"listen\": {}}",
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", \"listen\": [1]}",
                ("{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", "
                 "\"listen\": [{\"address\": \"localhost\", \"port\": 80}]}"),
                ("{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", "
                 "\"listen\": [{\"address\": \"::1\", \"port\": 0}]}"),
                ("{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", "
                 "\"listen\": [{\"address\": \"::1\", \"port\": 70000}]}"),
                ("{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", "
                 "\"listen\": [{\"address\": \"::1\", \"port\": 80, \"reuse_address\": 1}]}"),
                "{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\", \"cgroup\": 1}",
                /* A comm past what the record keeps. */
                ("{\"pid\": 12, \"start_time\": 1, \"uid\": 0, "
                 "\"comm\": \"0123456789012345678901234567890123456789012345678901234567890123456789\"}"),
        };
        HibernateRecord r;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ASSERT_ERRNO(hibernate_record_parse(bad[i], &r), -EBADMSG);
        /* The figures may be missing: they read 0. */
        ASSERT_OK(
                hibernate_record_parse("{\"pid\": 12, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\"}", &r));
        ASSERT_EQ_U64(r.pss_bytes, 0);
        ASSERT_EQ_U64(r.n_ports, 0);
        ASSERT_NULL(r.cgroup);
        hibernate_record_done(&r);
}

static void test_criu_reason(void) {
        /* As criu 3.17.1 writes a refused dump: a process with a connected
         * external unix socket. */
        static const char log[] =
                "(00.000012) Version: 3.17.1 (gitid 0)\n"
                "(00.005421) Error (criu/util.c:642): exited, status=1\n"
                "(00.020301) Dumping path for 3 fd via self 12 [/dev/null]\n"
                "(00.021447) Error (criu/sk-unix.c:864): unix: Can't dump half of stream unix connection.\n"
                "(00.021501) Error (criu/cr-dump.c:1643): Dump files (pid: 219) failed with -1\n"
                "(00.024790) Error (criu/cr-dump.c:2063): Dumping FAILED.\n";
        char buf[256];

        hibernate_criu_reason(log, strlen(log), 1, buf, sizeof(buf));
        ASSERT_STREQ(
                buf,
                "unix: Can't dump half of stream unix connection.; Dump files (pid: 219) failed with -1; "
                "Dumping FAILED.");
        /* Cut to the buffer, terminated. */
        hibernate_criu_reason(log, strlen(log), 1, buf, 20);
        ASSERT_EQ_U64(strlen(buf), 19);
        ASSERT_TRUE(memcmp(buf, "unix: Can't dump ha", 19) == 0);
        /* This machine's kernel (6.18): criu 3.17.1 cannot start at all. */
        static const char vdso[] =
                "(00.005421) Error (criu/util.c:642): exited, status=1\n"
                "(00.012739) Error (criu/util.c:642): exited, status=1\n"
                "(00.012972) Pagemap is fully functional\n"
                "(00.056140) Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds\n"
                "(00.056144) Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable\n"
                "(00.056146) Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when "
                "initializing "
                "kerndat.\n"
                "(00.056218) Error (criu/crtools.c:260): Could not initialize kernel features detection.\n";
        hibernate_criu_reason(vdso, strlen(vdso), 1, buf, sizeof(buf));
        ASSERT_STREQ(buf, "vdso: Unexpected rt vDSO area bounds; vdso: Failed to fill self vdso symtable; "
                          "kerndat_vdso_fill_symtable failed when initializing kerndat.");
        /* No error line: the status. */
        hibernate_criu_reason("(00.1) Dumping finished\n", 24, 137, buf, sizeof(buf));
        ASSERT_STREQ(buf, "criu exited with status 137");
        hibernate_criu_reason(NULL, 0, 1, buf, sizeof(buf));
        ASSERT_STREQ(buf, "criu exited with status 1");
}

static void test_listen_ports(void) {
        /* /proc/net/tcp with a listener of ours (8080), one of another
         * process (22), a connection of ours (state 01) and ours again on
         * tcp6 (8080 twice is listed once). */
        static const char tcp[] =
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
                "inode\n"
                "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 "
                "5001 1 0000000000000000 100 0 0 10 0\n"
                "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
                "4000 1 0000000000000000 100 0 0 10 0\n"
                "   2: 0100007F:1F90 0100007F:A2B4 01 00000000:00000000 00:00000000 00000000   101        0 "
                "5003 1 0000000000000000 20 4 30 10 -1\n";
        static const char tcp6[] =
                "  sl  local_address                         remote_address                        "
                "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                "   0: 00000000000000000000000000000000:1F90 "
                "00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 "
                "00000000   101        0 5002 1 0000000000000000 100 0 0 10 0\n";
        static const uint64_t ours[] = { 5001, 5002, 5003, 5004 };
        /* Redis's listener on ::1 (a loopback address, word by word). */
        static const char tcp6_loopback[] =
                "  sl  local_address                         remote_address                        "
                "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
                "   0: 00000000000000000000000001000000:18EB "
                "00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 "
                "00000000   101        0 5004 1 0000000000000000 100 0 0 10 0\n";
        static const char tcp_loopback[] =
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
                "inode\n"
                "   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 "
                "5001 1 0000000000000000 100 0 0 10 0\n";
        HibernateRecord rec = {};
        uint64_t inode_of[HIBERNATE_MAX_PORTS];
        char buf[64];

        ASSERT_OK(hibernate_listen_parse(tcp, strlen(tcp), AF_INET, ours, 4, &rec, inode_of));
        ASSERT_OK(hibernate_listen_parse(tcp6, strlen(tcp6), AF_INET6, ours, 4, &rec, inode_of));
        /* 8080 on both families: two sockets, one port. */
        ASSERT_EQ_U64(rec.n_ports, 1);
        ASSERT_EQ_U64(rec.ports[0], 8080);
        ASSERT_EQ_U64(rec.n_listen, 2);
        ASSERT_EQ_U64(inode_of[0], 5001);
        ASSERT_EQ_U64(inode_of[1], 5002);
        hibernate_listen_format(&rec.listen[0], buf, sizeof(buf));
        ASSERT_STREQ(buf, "0.0.0.0:8080");
        hibernate_listen_format(&rec.listen[1], buf, sizeof(buf));
        ASSERT_STREQ(buf, "[::]:8080");

        rec = (HibernateRecord){};
        ASSERT_OK(hibernate_listen_parse(tcp_loopback, strlen(tcp_loopback), AF_INET, ours, 4, &rec, NULL));
        ASSERT_OK(
                hibernate_listen_parse(tcp6_loopback, strlen(tcp6_loopback), AF_INET6, ours, 4, &rec, NULL));
        ASSERT_EQ_U64(rec.n_listen, 2);
        hibernate_listen_format(&rec.listen[0], buf, sizeof(buf));
        ASSERT_STREQ(buf, "127.0.0.1:6379");
        hibernate_listen_format(&rec.listen[1], buf, sizeof(buf));
        ASSERT_STREQ(buf, "[::1]:6379");

        /* Not the kernel's format. */
        rec = (HibernateRecord){};
        ASSERT_ERRNO(hibernate_listen_parse("hdr\n 0: 0000:1F90 0A\n", 21, AF_INET, ours, 4, &rec, NULL),
                     -EBADMSG);
        ASSERT_ERRNO(hibernate_listen_parse("hdr\n 0: 00000000:1G90 00000000:0000 0A 0 0 0 0 0 5001\n", 54,
                                            AF_INET, ours, 4, &rec, NULL),
                     -EBADMSG);
        ASSERT_ERRNO(hibernate_listen_parse("hdr\n 0: 00000000:1F90 00000000:0000 0A 0 0 0 0 0 x\n", 50,
                                            AF_INET, ours, 4, &rec, NULL),
                     -EBADMSG);
        /* An IPv4 address in the IPv6 table. */
        ASSERT_ERRNO(hibernate_listen_parse("hdr\n 0: 00000000:1F90 00000000:0000 0A 0 0 0 0 0 5001\n", 54,
                                            AF_INET6, ours, 4, &rec, NULL),
                     -EBADMSG);
        ASSERT_ERRNO(hibernate_listen_parse("", 0, AF_UNIX, ours, 4, &rec, NULL), -EINVAL);
        ASSERT_EQ_U64(rec.n_listen, 0);
        /* An empty table. */
        ASSERT_OK(hibernate_listen_parse("", 0, AF_INET, ours, 4, &rec, NULL));
        ASSERT_EQ_U64(rec.n_listen, 0);
}

/* crit decode of pstree.img, of a tree of two (criu 3.17.1). */
static const char pstree_json[] = "{\n"
                                  "    \"magic\": \"PSTREE\",\n"
                                  "    \"entries\": [\n"
                                  "        {\n"
                                  "            \"pid\": 231,\n"
                                  "            \"ppid\": 1,\n"
                                  "            \"pgid\": 231,\n"
                                  "            \"sid\": 231,\n"
                                  "            \"threads\": [\n"
                                  "                231\n"
                                  "            ]\n"
                                  "        },\n"
                                  "        {\n"
                                  "            \"pid\": 232,\n"
                                  "            \"ppid\": 231,\n"
                                  "            \"pgid\": 231,\n"
                                  "            \"sid\": 231,\n"
                                  "            \"threads\": [\n"
                                  "                232,\n"
                                  "                233\n"
                                  "            ]\n"
                                  "        }\n"
                                  "    ]\n"
                                  "}\n";

static void test_pstree(void) {
        pid_t pids[HIBERNATE_MAX_TASKS];
        unsigned n = 0;

        ASSERT_OK(hibernate_pstree_parse(pstree_json, pids, &n));
        ASSERT_EQ_U64(n, 2);
        ASSERT_EQ_INT(pids[0], 231);
        ASSERT_EQ_INT(pids[1], 232);
        ASSERT_ERRNO(hibernate_pstree_parse("{\"magic\": \"PSTREE\", \"entries\": []}", pids, &n), -EBADMSG);
        ASSERT_ERRNO(
                hibernate_pstree_parse("{\"magic\": \"PAGEMAP\", \"entries\": [{\"pid\": 1}]}", pids, &n),
                -EBADMSG);
        ASSERT_ERRNO(
                hibernate_pstree_parse("{\"magic\": \"PSTREE\", \"entries\": [{\"pid\": \"1\"}]}", pids, &n),
                -EBADMSG);
        ASSERT_ERRNO(hibernate_pstree_parse("not json", pids, &n), -EBADMSG);
}

/* crit decode of pagemap-231.img (criu 3.17.1): the head, then entries;
 * the flags are names. */
static const char pagemap_json[] = "{\n"
                                   "    \"magic\": \"PAGEMAP\",\n"
                                   "    \"entries\": [\n"
                                   "        {\n"
                                   "            \"pages_id\": 1\n"
                                   "        },\n"
                                   "        {\n"
                                   "            \"vaddr\": \"0x55d0c7a6b000\",\n"
                                   "            \"nr_pages\": 1,\n"
                                   "            \"flags\": \"PE_PRESENT\"\n"
                                   "        },\n"
                                   "        {\n"
                                   "            \"vaddr\": \"0x55d0c8aa4000\",\n"
                                   "            \"nr_pages\": 33,\n"
                                   "            \"flags\": \"PE_PRESENT\"\n"
                                   "        },\n"
                                   "        {\n"
                                   "            \"vaddr\": \"0x7f0000000000\",\n"
                                   "            \"nr_pages\": 5,\n"
                                   "            \"flags\": \"PE_LAZY | PE_PRESENT\"\n"
                                   "        },\n"
                                   "        {\n"
                                   "            \"vaddr\": \"0x7ffd6f3f1000\",\n"
                                   "            \"nr_pages\": 3,\n"
                                   "            \"flags\": \"PE_PRESENT\"\n"
                                   "        }\n"
                                   "    ]\n"
                                   "}\n";

static void test_pagemap(void) {
        uint64_t id, pages;

        ASSERT_OK(hibernate_pagemap_parse(pagemap_json, &id, &pages));
        ASSERT_EQ_U64(id, 1);
        ASSERT_EQ_U64(pages, 42);
        /* Older crits: in_parent, or the flags as a number. */
        ASSERT_OK(hibernate_pagemap_parse("{\"magic\": \"PAGEMAP\", \"entries\": [{\"pages_id\": 3}, "
                                          "{\"nr_pages\": 2, \"in_parent\": true}, {\"nr_pages\": 4}, "
                                          "{\"nr_pages\": 8, \"flags\": 4}, {\"nr_pages\": 16, \"flags\": "
                                          "5}, {\"nr_pages\": 32, \"flags\": 6}, "
                                          "{\"nr_pages\": 64, \"flags\": \"PE_PARENT\"}]}",
                                          &id, &pages));
        ASSERT_EQ_U64(id, 3);
        ASSERT_EQ_U64(pages, 44);
        /* No head, not a pagemap, an entry without its count. */
        ASSERT_ERRNO(hibernate_pagemap_parse("{\"magic\": \"PAGEMAP\", \"entries\": [{\"nr_pages\": 2}]}",
                                             &id, &pages),
                     -EBADMSG);
        ASSERT_ERRNO(hibernate_pagemap_parse("{\"magic\": \"PAGEMAP\", \"entries\": []}", &id, &pages),
                     -EBADMSG);
        ASSERT_ERRNO(hibernate_pagemap_parse(pstree_json, &id, &pages), -EBADMSG);
        ASSERT_ERRNO(hibernate_pagemap_parse("{\"magic\": \"PAGEMAP\", \"entries\": [{\"pages_id\": 1}, "
                                             "{\"vaddr\": \"0x1000\"}]}",
                                             &id, &pages),
                     -EBADMSG);
        ASSERT_ERRNO(hibernate_pagemap_parse("{\"magic\": \"PAGEMAP\", \"entries\": [{\"pages_id\": 1}, "
                                             "{\"nr_pages\": 1, \"flags\": [1]}]}",
                                             &id, &pages),
                     -EBADMSG);
}

static void test_rollup(void) {
        static const char text[] =
                "55d0c7a6b000-7ffd6f412000 ---p 00000000 00:00 0                          "
                "[rollup]\n"
                "Rss:                3584 kB\n"
                "Pss:                1210 kB\n"
                "Pss_Anon:            284 kB\n"
                "Anonymous:           284 kB\n"
                "Swap:                 12 kB\n"
                "SwapPss:              12 kB\n";
        uint64_t pss = 0, swap = 0;

        ASSERT_OK(hibernate_rollup_parse(text, strlen(text), &pss, &swap));
        ASSERT_EQ_U64(pss, 1210 * 1024);
        ASSERT_EQ_U64(swap, 12 * 1024);
        ASSERT_ERRNO(hibernate_rollup_parse("Pss: 12 kB\n", 11, &pss, &swap), -EBADMSG);
        ASSERT_ERRNO(hibernate_rollup_parse("Pss: 12 MB\nSwap: 0 kB\n", 22, &pss, &swap), -EBADMSG);
        ASSERT_ERRNO(hibernate_rollup_parse("Pss: kB\nSwap: 0 kB\n", 19, &pss, &swap), -EBADMSG);
        ASSERT_ERRNO(hibernate_rollup_parse("Pss: 99999999999999999999 kB\nSwap: 0 kB\n", 41, &pss, &swap),
                     -EBADMSG);
}

static void test_dir_name(void) {
        pid_t pid;

        ASSERT_TRUE(hibernate_dir_name_pid("1234", &pid));
        ASSERT_EQ_INT(pid, 1234);
        ASSERT_TRUE(hibernate_dir_name_pid("2147483647", &pid));
        ASSERT_FALSE(hibernate_dir_name_pid("2147483648", &pid));
        ASSERT_FALSE(hibernate_dir_name_pid("0", &pid));
        ASSERT_FALSE(hibernate_dir_name_pid("012", &pid));
        ASSERT_FALSE(hibernate_dir_name_pid("", &pid));
        ASSERT_FALSE(hibernate_dir_name_pid("12.tmp", &pid));
        ASSERT_FALSE(hibernate_dir_name_pid("-1", &pid));
        ASSERT_FALSE(hibernate_dir_name_pid("..", &pid));
}

/* The records below an images root: sorted by pid; a dump under way (no
 * record), a record that does not parse, one naming another pid and names
 * that are not pids are skipped. */
static void test_scan(void) {
        char *root = tempdir_new(), *missing = tempdir_path(root, "none");
        HibernateRecord *list;
        size_t n;

        tempdir_write_string(root, "900/" HIBERNATE_RECORD,
                             "{\"pid\": 900, \"start_time\": 5, \"uid\": 1000, \"comm\": \"redis-server\", "
                             "\"pss_bytes\": 1000000, \"swap_bytes\": 24}");
        tempdir_write_string(root, "31/" HIBERNATE_RECORD,
                             "{\"pid\": 31, \"start_time\": 7, \"uid\": 0, \"comm\": \"python3\", "
                             "\"pss_bytes\": 4096, \"ports\": [8087]}");
        /* Its last restore failed: the reason's first line, escaped. */
        tempdir_write_string(root, "900/" HIBERNATE_WAKE_ERROR,
                             "pid 900 is taken by \x01"
                             "bash\nmore\n");
        tempdir_write_string(root, "77/core-77.img", "x");
        tempdir_write_string(root, "78/" HIBERNATE_RECORD, "{\"pid\": 78");
        tempdir_write_string(root, "79/" HIBERNATE_RECORD,
                             "{\"pid\": 80, \"start_time\": 1, \"uid\": 0, \"comm\": \"x\"}");
        tempdir_write_string(root, "0031/" HIBERNATE_RECORD,
                             "{\"pid\": 31, \"start_time\": 7, \"uid\": 0, \"comm\": \"python3\"}");
        tempdir_write_string(root, ".tmp/" HIBERNATE_RECORD,
                             "{\"pid\": 31, \"start_time\": 7, \"uid\": 0, \"comm\": \"python3\"}");

        ASSERT_OK(hibernate_scan(root, &list, &n));
        ASSERT_EQ_U64(n, 2);
        ASSERT_EQ_INT(list[0].pid, 31);
        ASSERT_STREQ(list[0].comm, "python3");
        ASSERT_EQ_U64(list[0].ports[0], 8087);
        ASSERT_EQ_INT(list[1].pid, 900);
        ASSERT_EQ_U64(list[1].uid, 1000);
        ASSERT_NULL(list[0].wake_error);
        ASSERT_STREQ(list[1].wake_error, "pid 900 is taken by \\x01bash");
        ASSERT_EQ_U64(hibernate_saved_bytes(list, n), 4096 + 1000000 + 24);
        hibernate_records_free(list, n);

        /* No root yet: none. */
        ASSERT_OK(hibernate_scan(missing, &list, &n));
        ASSERT_EQ_U64(n, 0);
        ASSERT_NULL(list);
        free(missing);
        tempdir_remove(root);
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "record-round-trip", .func = test_record_round_trip },
                { .name = "record-bad", .func = test_record_bad },
                { .name = "criu-reason", .func = test_criu_reason },
                { .name = "listen-ports", .func = test_listen_ports },
                { .name = "pstree", .func = test_pstree },
                { .name = "pagemap", .func = test_pagemap },
                { .name = "rollup", .func = test_rollup },
                { .name = "dir-name", .func = test_dir_name },
                { .name = "scan", .func = test_scan },
        };

        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
