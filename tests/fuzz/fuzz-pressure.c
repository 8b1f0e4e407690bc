/* SPDX-License-Identifier: MIT */
/* /proc/vmstat, the PSI files and a cgroup's memory.stat. */
#include "fuzz.h"
#include "kernel/memcg.h"
#include "kernel/pressure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        MemcgStat m;
        VmStat v;
        Psi p;

        fuzz_quiet();
        (void) vmstat_parse((const char *) data, size, &v);
        (void) psi_parse((const char *) data, size, &p);
        (void) memcg_stat_parse((const char *) data, size, &m);
        return 0;
}
