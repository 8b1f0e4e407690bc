/* SPDX-License-Identifier: MIT */
/* The refs backend works on every kernel: clear the accessed bits through
 * /proc/PID/clear_refs, wait, then count per region what was referenced
 * again (smaps). It knows regions, not pages, so only whole regions are
 * paged out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "common/paths.h"
#include "idle/idle.h"

static int refs_probe(void) {
        return 1;
}

static int proc_file(const ProcTarget *t, const char *name, char **ret) {
        if (asprintf(ret, "%s/proc/%d/%s", root_prefix(), (int) t->pid, name) < 0)
                return -ENOMEM;
        return 0;
}

static int refs_mark(const ProcTarget *t, uint64_t min_region_bytes, void **state) {
        _cleanup_free_ char *path = NULL;
        int r;

        r = proc_file(t, "clear_refs", &path);
        if (r < 0)
                return r;
        /* "1": clear the referenced/accessed bits of all the process's pages. */
        r = write_string_file(path, "1\n");
        return r == -ENOENT ? -ESRCH : r;
}

static int refs_collect(const ProcTarget *t, void **state, uint64_t min_region_bytes, IdleResult *ret) {
        /* Only regions worth advising are kept while smaps streams by: a
         * process with tens of thousands of small mappings costs the parse,
         * not memory. */
        const SmapsFilter filter = { .anonymous_only = true, .min_size_bytes = min_region_bytes };
        _cleanup_free_ SmapsVma *vmas = NULL;
        IdleResult res = {};
        size_t n;
        int r;

        r = smaps_read(t->pid, &filter, &vmas, &n);
        if (r < 0)
                return r;
        if (n > 0) {
                res.regions = calloc(n, sizeof(IdleRegion));
                if (!res.regions)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                const SmapsVma *v = &vmas[i];

                res.regions[res.n_regions++] = (IdleRegion){
                        .start = v->start,
                        .end = v->end,
                        .resident_bytes = v->anonymous_bytes,
                        .idle_bytes = v->anonymous_bytes > v->referenced_bytes
                                              ? v->anonymous_bytes - v->referenced_bytes
                                              : 0,
                        .swap_bytes = v->swap_bytes,
                };
        }
        *ret = res;
        return 0;
}

const IdleBackend idle_backend_refs = {
        .name = "refs",
        .probe = refs_probe,
        .mark = refs_mark,
        .collect = refs_collect,
        .page_exact = false,
};
