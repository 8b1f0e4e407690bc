/* SPDX-License-Identifier: MIT */
/* What the scan reads of each process: stat, status, cgroup, ksm_stat. */
#include "fuzz.h"
#include "kernel/proc-scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *buf = (const char *) data;
        ProcKsmStat ksm;
        ProcStatus status;
        ProcStat stat;
        char *cgroup = NULL;

        fuzz_quiet();
        (void) proc_stat_parse(buf, size, &stat);
        (void) proc_status_parse(buf, size, &status);
        if (proc_cgroup_parse(buf, size, &cgroup) >= 0)
                free(cgroup);
        (void) proc_ksm_stat_parse(buf, size, &ksm);
        return 0;
}
