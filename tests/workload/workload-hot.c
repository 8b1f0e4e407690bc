/* SPDX-License-Identifier: MIT */
/*
 * The hot thread of wolfram-workload: keeps the hot pages referenced so that
 * idle tracking sees them in use, and measures what paging them out costs
 * the application.
 *
 * Latency: one 8-byte read (so one cache line) of each hot page per pass;
 * every 64th read is timed with clock_gettime(CLOCK_MONOTONIC) on either
 * side. A page that is resident costs tens of nanoseconds, one that was
 * paged out costs a major fault. The timings go into two uniform
 * reservoirs: one over the thread's lifetime ("faults") and one over the
 * window since the last reset-stats ("report").
 *
 * Major faults: getrusage(RUSAGE_THREAD) after each pass, so that faults the
 * main thread takes (verify reads everything) are never counted as hot.
 * Counted from the end of the first pass, which is what faulted the pages in
 * after the fill. Nor are the faults of the thread's own figures: once the
 * reservoirs have seen many samples, their pages are written seldom, go
 * idle, may be paged out, and come back at the next write. A pass keeps its
 * samples on its stack (used every pass) and puts them in the reservoirs
 * after it, between two readings of the count; what those writes fault is
 * left out.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "workload.h"

#define PASS_RING 4096
#define SAMPLE_RESERVOIR 65536
#define SAMPLE_EVERY_PAGES 64
/* Timings a pass keeps on its stack before they go to the reservoirs. */
#define PASS_SAMPLES 512

struct reservoir {
        uint64_t seen;
        uint64_t ns[SAMPLE_RESERVOIR];
};

/* One lock for all: the hot thread takes it once per sampled page and once
 * per pass, which costs nothing next to the 63 untimed page reads in
 * between. */
static struct {
        pthread_mutex_t lock;
        pthread_cond_t first_pass_done;
        uint64_t passes, window_passes_base;
        uint64_t majflt, window_majflt_base; /* majflt: since the first pass */
        uint64_t pass_page_ns[PASS_RING];
        struct reservoir lifetime, window;
} hot = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .first_pass_done = PTHREAD_COND_INITIALIZER,
};

static unsigned hot_interval_ms;

uint64_t now_ns(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

uint64_t thread_major_faults(void) {
        struct rusage ru = {};

        (void) getrusage(RUSAGE_THREAD, &ru);
        return (uint64_t) ru.ru_majflt;
}

bool mapping_stretch_is_hot(const struct mapping *m, size_t off, size_t *ret_end) {
        if (off >= m->hot_extent) {
                *ret_end = m->len;
                return false;
        }
        size_t run_start = off - off % m->hot_period_bytes;
        bool is_hot = off - run_start < m->hot_run_bytes;
        size_t end = run_start + (is_hot ? m->hot_run_bytes : m->hot_period_bytes);

        *ret_end = end < m->hot_extent ? end : m->hot_extent;
        return is_hot;
}

/* Algorithm R: every access sampled has the same chance to be in the
 * reservoir, so a fault storm long ago still shows in p99.9 in proportion to
 * how long it lasted. */
static void reservoir_add(struct reservoir *r, uint64_t ns, uint64_t *rng) {
        uint64_t slot = r->seen < SAMPLE_RESERVOIR ? r->seen : rng_next(rng) % (r->seen + 1);

        if (slot < SAMPLE_RESERVOIR)
                r->ns[slot] = ns;
        r->seen++;
}

struct pass_samples {
        size_t n;
        uint64_t ns[PASS_SAMPLES];
};

/* Puts the pass's samples in the reservoirs and returns the major faults
 * that took. */
static uint64_t samples_flush(struct pass_samples *ps, uint64_t *rng) {
        uint64_t before = thread_major_faults();

        pthread_mutex_lock(&hot.lock);
        for (size_t i = 0; i < ps->n; i++) {
                reservoir_add(&hot.lifetime, ps->ns[i], rng);
                reservoir_add(&hot.window, ps->ns[i], rng);
        }
        pthread_mutex_unlock(&hot.lock);
        ps->n = 0;
        return thread_major_faults() - before;
}

/* Reads one word of each hot page of every mapping and returns how many
 * pages it read; adds the faults of putting samples away to *bookkeeping. */
static uint64_t hot_pass(struct pass_samples *ps, uint64_t *rng, uint64_t *bookkeeping) {
        uint64_t pages = 0;

        for (size_t i = 0; i < n_mappings; i++) {
                const struct mapping *m = &mappings[i];

                for (size_t run = 0; run < m->hot_extent; run += m->hot_period_bytes) {
                        size_t run_end = m->hot_extent - run > m->hot_run_bytes ? run + m->hot_run_bytes
                                                                                : m->hot_extent;

                        for (size_t off = run; off < run_end; off += page_size, pages++) {
                                const volatile uint64_t *p = (const volatile uint64_t *) (m->base + off);

                                /* A volatile read cannot be optimized away,
                                 * so no sink. Timing every page would double
                                 * the cost of a pass; every 64th is plenty
                                 * for percentiles. */
                                if (pages % SAMPLE_EVERY_PAGES != 0) {
                                        (void) *p;
                                        continue;
                                }
                                uint64_t start = now_ns();
                                (void) *p;
                                ps->ns[ps->n++] = now_ns() - start;
                                if (ps->n == PASS_SAMPLES)
                                        *bookkeeping += samples_flush(ps, rng);
                        }
                }
        }
        return pages;
}

/* Reads only: writes would change the checksum under the tests. */
static void *hot_loop(void *arg) {
        uint64_t rng = seed ^ 0x686f74ULL, majflt_base = 0, bookkeeping = 0, next = now_ns();
        struct pass_samples samples = {};

        for (;;) {
                uint64_t start = now_ns();
                uint64_t pages = hot_pass(&samples, &rng, &bookkeeping);
                uint64_t pass_ns = now_ns() - start;

                bookkeeping += samples_flush(&samples, &rng);
                /* The hot pages' faults: the thread's, less its figures'. */
                uint64_t majflt = thread_major_faults();
                uint64_t hot_majflt = majflt - bookkeeping;

                pthread_mutex_lock(&hot.lock);
                if (hot.passes == 0)
                        majflt_base = hot_majflt;
                hot.majflt = hot_majflt - majflt_base;
                hot.pass_page_ns[hot.passes % PASS_RING] = pass_ns / (pages ? pages : 1);
                if (hot.passes++ == 0)
                        pthread_cond_broadcast(&hot.first_pass_done);
                pthread_mutex_unlock(&hot.lock);
                bookkeeping += thread_major_faults() - majflt;

                /* A fixed period rather than a fixed pause, so that the scan
                 * interval a test picks relates to the access interval. A
                 * pass that overran starts the next at once, without trying
                 * to catch up on the ones it missed. 0: no pause at all, the
                 * pages' translations stay in this CPU's TLB. */
                if (hot_interval_ms == 0)
                        continue;
                next += (uint64_t) hot_interval_ms * 1000000ULL;
                start = now_ns();
                next = next > start ? next : start;
                struct timespec ts = { (time_t) (next / 1000000000ULL), (long) (next % 1000000000ULL) };
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                        ;
        }
        return NULL;
}

int hot_start(unsigned interval_ms) {
        pthread_t thread;
        int r;

        hot_interval_ms = interval_ms;
        r = pthread_create(&thread, NULL, hot_loop, NULL);
        if (r != 0)
                return -r;
        (void) pthread_detach(thread);
        /* Only once the hot pages have been read and the fault baseline
         * taken: a test that pages them out right after this must see every
         * refault counted. */
        pthread_mutex_lock(&hot.lock);
        while (hot.passes == 0)
                pthread_cond_wait(&hot.first_pass_done, &hot.lock);
        pthread_mutex_unlock(&hot.lock);
        return 0;
}

static int compare_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest sample that at least per_mille/1000 of all are
 * not above. */
static uint64_t percentile(const uint64_t *sorted, size_t n, unsigned per_mille) {
        return n == 0 ? 0 : sorted[(n * per_mille + 999) / 1000 - 1];
}

/* Static buffers: half a MiB each is more than a thread stack should carry.
 * Only the main thread asks for figures. */
static uint64_t sorted_samples[SAMPLE_RESERVOIR], sorted_pass_ns[PASS_RING];

static void figures_from_samples(struct hot_figures *ret, size_t n_samples) {
        qsort(sorted_samples, n_samples, sizeof(uint64_t), compare_u64);
        ret->samples = n_samples;
        ret->p50_ns = percentile(sorted_samples, n_samples, 500);
        ret->p99_ns = percentile(sorted_samples, n_samples, 990);
        ret->p999_ns = percentile(sorted_samples, n_samples, 999);
        ret->max_ns = n_samples ? sorted_samples[n_samples - 1] : 0;
}

/* Copied under the lock and sorted outside it, so the hot thread never
 * waits for a sort. */
static size_t copy_reservoir(const struct reservoir *r) {
        size_t n = r->seen < SAMPLE_RESERVOIR ? (size_t) r->seen : SAMPLE_RESERVOIR;

        memcpy(sorted_samples, r->ns, n * sizeof(uint64_t));
        return n;
}

void hot_lifetime_figures(struct hot_figures *ret) {
        size_t n_samples, n_passes;

        *ret = (struct hot_figures){};
        pthread_mutex_lock(&hot.lock);
        ret->majflt = hot.majflt;
        ret->passes = hot.passes;
        n_samples = copy_reservoir(&hot.lifetime);
        n_passes = hot.passes < PASS_RING ? (size_t) hot.passes : PASS_RING;
        memcpy(sorted_pass_ns, hot.pass_page_ns, n_passes * sizeof(uint64_t));
        pthread_mutex_unlock(&hot.lock);

        figures_from_samples(ret, n_samples);
        qsort(sorted_pass_ns, n_passes, sizeof(uint64_t), compare_u64);
        ret->pass_page_p50_ns = percentile(sorted_pass_ns, n_passes, 500);
        ret->pass_page_max_ns = n_passes ? sorted_pass_ns[n_passes - 1] : 0;
}

uint64_t hot_lifetime_major_faults(void) {
        pthread_mutex_lock(&hot.lock);
        uint64_t majflt = hot.majflt;
        pthread_mutex_unlock(&hot.lock);
        return majflt;
}

void hot_window_figures(struct hot_figures *ret) {
        size_t n_samples;

        *ret = (struct hot_figures){};
        pthread_mutex_lock(&hot.lock);
        ret->majflt = hot.majflt - hot.window_majflt_base;
        ret->passes = hot.passes - hot.window_passes_base;
        n_samples = copy_reservoir(&hot.window);
        pthread_mutex_unlock(&hot.lock);

        figures_from_samples(ret, n_samples);
}

void hot_reset_window(void) {
        pthread_mutex_lock(&hot.lock);
        hot.window.seen = 0;
        hot.window_majflt_base = hot.majflt;
        hot.window_passes_base = hot.passes;
        pthread_mutex_unlock(&hot.lock);
}
