/* SPDX-License-Identifier: MIT */
/* What hibernation reads: the record beside a process's images, the
 * /proc/net/tcp and tcp6 tables its listening sockets come from, crit's
 * decodes of the images (pstree, pagemap), smaps_rollup and criu's log. */
#include <sys/socket.h>

#include "fuzz.h"
#include "hibernate/hibernate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint64_t inodes[] = { 1, 5001, 5002, 12345 };
        char *text = fuzz_text(data, size), reason[512], listen[64];
        pid_t pids[HIBERNATE_MAX_TASKS];
        HibernateRecord r = {}, l = {};
        uint64_t a, b;
        unsigned n;

        fuzz_quiet();
        if (hibernate_record_parse(text, &r) >= 0) {
                char *again = NULL;

                for (unsigned i = 0; i < r.n_listen; i++)
                        hibernate_listen_format(&r.listen[i], listen, sizeof(listen));
                if (hibernate_record_format(&r, &again) >= 0)
                        free(again);
                hibernate_record_done(&r);
        }
        (void) hibernate_listen_parse(text, size, AF_INET, inodes, 4, &l, NULL);
        (void) hibernate_listen_parse(text, size, AF_INET6, inodes, 4, &l, NULL);
        (void) hibernate_pstree_parse(text, pids, &n);
        (void) hibernate_pagemap_parse(text, &a, &b);
        (void) hibernate_rollup_parse(text, size, &a, &b);
        hibernate_criu_reason(text, size, 1, reason, sizeof(reason));
        free(text);
        return 0;
}
