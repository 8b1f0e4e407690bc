/* SPDX-License-Identifier: MIT */
#pragma once

/* Points the engine's /proc and /sys paths at a fixture tree under
 * tests/fixtures/roots. */

#include <stdlib.h>

#include "common/paths.h"
#include "test-util.h"

static inline void fixture_root_use(const char *name) {
        char *rel, *path;

        if (asprintf(&rel, "roots/%s", name) < 0)
                TEST_FAIL("Out of memory building the root of %s", name);
        path = fixture_path(rel);
        ASSERT_OK(root_set_prefix(path));
        free(path);
        free(rel);
}

/* Back to the real root, which also frees the prefix copy. */
static inline void fixture_root_reset(void) {
        ASSERT_OK(root_set_prefix(NULL));
        ASSERT_STREQ(root_prefix(), "");
}
