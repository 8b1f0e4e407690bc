/* SPDX-License-Identifier: MIT */
/* /proc/PID/smaps, fed in chunks whose size the first byte picks, as the
 * reader hands it over: a chunk may end anywhere, inside a line too. */
#include "fuzz.h"
#include "kernel/smaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SmapsParser p;
        SmapsVma *vmas = NULL;
        size_t n = 0, chunk;
        int r = 0;

        fuzz_quiet();
        if (size < 1)
                return 0;
        chunk = (size_t) data[0] * 7 + 1;
        data++;
        size--;
        smaps_parser_init(&p, NULL);
        for (size_t off = 0; r >= 0 && off < size; off += chunk)
                r = smaps_parser_feed(&p, (const char *) data + off,
                                      size - off < chunk ? size - off : chunk);
        if (smaps_parser_finish(&p, &vmas, &n) >= 0)
                free(vmas);
        smaps_parser_done(&p);
        return 0;
}
