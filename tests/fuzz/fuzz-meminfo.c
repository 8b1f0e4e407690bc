/* SPDX-License-Identifier: MIT */
#include "fuzz.h"
#include "kernel/meminfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        MemInfo m;

        fuzz_quiet();
        (void) meminfo_parse((const char *) data, size, &m);
        return 0;
}
