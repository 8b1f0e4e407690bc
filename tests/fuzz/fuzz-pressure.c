/* SPDX-License-Identifier: MIT */
/* /proc/vmstat and the PSI files. */
#include "fuzz.h"
#include "kernel/pressure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        VmStat v;
        Psi p;

        fuzz_quiet();
        (void) vmstat_parse((const char *) data, size, &v);
        (void) psi_parse((const char *) data, size, &p);
        return 0;
}
