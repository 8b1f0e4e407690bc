/* SPDX-License-Identifier: MIT */
/* zram's mm_stat. */
#include "fuzz.h"
#include "kernel/zram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ZramMmStat m;

        fuzz_quiet();
        (void) zram_mm_stat_parse((const char *) data, size, &m);
        return 0;
}
