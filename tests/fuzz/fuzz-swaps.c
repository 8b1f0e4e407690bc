/* SPDX-License-Identifier: MIT */
#include "fuzz.h"
#include "kernel/swaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SwapList l = {};

        fuzz_quiet();
        if (swaps_parse((const char *) data, size, &l) >= 0) {
                (void) swap_list_find(&l, "/dev/zram0");
                swap_list_done(&l);
        }
        return 0;
}
