/* SPDX-License-Identifier: MIT */
/* The runtime directory's files a restart reads back: sysctl.saved,
 * ksm.saved, zram-pool.state, wolframd.lock. */
#include "fuzz.h"
#include "kernel/tuning.h"
#include "ksm/ksm-control.h"
#include "pool/zram-pool.h"
#include "state/instance-lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *buf = (const char *) data;
        bool saved[_KNOB_MAX] = {}, ksm_saved[_KSM_KNOB_MAX] = {};
        char ksm_original[_KSM_KNOB_MAX][32];
        long original[_KNOB_MAX];
        ZramPoolState pool;

        fuzz_quiet();
        (void) tuning_state_parse(buf, size, saved, original);
        ksm_state_parse(buf, size, ksm_saved, ksm_original);
        (void) zram_pool_state_parse(buf, size, &pool);
        (void) instance_lock_parse_holder(buf, size);
        return 0;
}
