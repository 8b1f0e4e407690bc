/* SPDX-License-Identifier: MIT */
/* /var/lib/wolfram/runtime.json, and the patterns AddExclusion takes. */
#include "fuzz.h"
#include "state/runtime-state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = fuzz_text(data, size), *pattern = NULL;
        const char *error = NULL;
        ExclusionKind kind;
        RuntimeState s;

        fuzz_quiet();
        runtime_state_init(&s);
        if (runtime_state_parse(text, &s, &error) >= 0)
                runtime_state_done(&s);
        if (exclusion_parse(text, &kind, &pattern, &error) >= 0)
                free(pattern);
        free(text);
        return 0;
}
