/* SPDX-License-Identifier: MIT */
/* The first page of a zram device, read before adopting it. */
#include "fuzz.h"
#include "kernel/swap-header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char label[SWAP_LABEL_MAX];
        uint8_t uuid[16];

        fuzz_quiet();
        (void) swap_header_parse(data, size, label, uuid);
        return 0;
}
