/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "kernel/stats.h"

static uint64_t now_realtime_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

int stats_snapshot_collect(StatsSnapshot *ret) {
        StatsSnapshot s = {};
        int r;

        s.timestamp_usec = now_realtime_usec();

        r = meminfo_read(&s.mem);
        if (r < 0)
                return log_error_errno(r, "Failed to read /proc/meminfo: %m");

        r = swaps_read(&s.swaps);
        if (r < 0)
                return log_error_errno(r, "Failed to read /proc/swaps: %m");

        r = zram_list_devices(&s.zram, &s.n_zram);
        if (r < 0) {
                log_warning_errno(r, "Failed to list zram devices, reporting none: %m");
                s.zram = NULL;
                s.n_zram = 0;
        }

        r = ksm_read_counters(&s.ksm);
        if (r == -ENOENT)
                log_debug("KSM is not available in this kernel.");
        else if (r < 0)
                log_warning_errno(r, "Failed to read KSM counters, reporting none: %m");
        s.ksm_available = r >= 0;

        *ret = s;
        return 0;
}

void stats_snapshot_done(StatsSnapshot *s) {
        swap_list_done(&s->swaps);
        free(s->zram);
        s->zram = NULL;
        s->n_zram = 0;
}

bool stats_zram_is_swap(const StatsSnapshot *s, const ZramDevice *d) {
        char path[32];

        snprintf(path, sizeof(path), "/dev/%s", d->name);
        return swap_list_find(&s->swaps, path) != NULL;
}
