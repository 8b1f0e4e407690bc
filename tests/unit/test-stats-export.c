/* SPDX-License-Identifier: MIT */

/* stats.json and wolfram.prom: the names and figures other tools read, and
 * how the files are replaced. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build-config.h"
#include "common/macro.h"
#include "state/stats-export.h"
#include "test-tempdir.h"
#include "test-util.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

/* 2026-11-23T10:00:00Z and a bit. */
#define TIMESTAMP_USEC (UINT64_C(1795428000) * 1000000 + 123456)

/* A report with every field set, and figures whose results are easy to
 * check by hand. */
static StatsReport filled_report(void) {
        return (StatsReport){
                .timestamp_usec = TIMESTAMP_USEC,
                .uptime_usec = UINT64_C(3725900000),
                .cycles = 42,
                .state = "running",
                .dry_run = false,
                .profile = "desktop",
                .idle_backend = "refs",
                .pool_algorithm = "lz4",
                .zram_devices = 2,
                .original_bytes = 3 * GIB,
                .compressed_bytes = 1 * GIB,
                .pool_memory_used_bytes = 1 * GIB + 256 * MIB,
                .pool_budget_bytes = 2 * GIB,
                .pool_cap_bytes = 12 * GIB,
                .recompress_algorithm = "zstd",
                .writeback_device = "/dev/vdb",
                .recompress_saved_bytes = 300 * MIB,
                .recompress_cpu_usec = 2500001,
                .written_back_bytes = 700 * MIB,
                .writeback_stored_bytes = 650 * MIB,
                .writeback_today_bytes = 100 * MIB,
                .writeback_limit_bytes = 1 * GIB,
                .ksm_pages_sharing = 25600,
                .ksm_pages_shared = 1000,
                .ksm_pages_unshared = 5000,
                .ksm_pages_volatile = 300,
                .ksm_zero_pages = 77,
                .ksm_full_scans = 9,
                .ksm_saved_bytes = (int64_t) (100 * MIB + 512 * KIB),
                .total_cold_bytes = 7 * GIB,
                .total_paged_out_bytes = 4 * GIB,
                .lifetime_paged_out_bytes = 5 * GIB + 1000,
                .last_cycle_duration_usec = 2500000,
                .last_cycle_cpu_usec = 125000,
                .last_cycle_incompressible_bytes = 992 * 1024 * 1024ULL,
                .last_cycle_cgroup_reclaim_bytes = 48 * 1024 * 1024ULL,
                .refaulted_bytes = 96 * MIB,
                .wasted_pageout_cpu_usec = 1750042,
                .pageout_hold = "memory pressure 0.35% is above 0.10%",
                .pressure_memory_hundredths = 35,
                .pressure_io_hundredths = 7,
                .mem_total_bytes = 24 * GIB,
                .mem_available_bytes = 20 * GIB,
                .swap_total_bytes = 6 * GIB,
                .swap_used_bytes = 1 * GIB,
                .policy_compression = true,
                .policy_ksm = false,
                .policy_tuning = true,
        };
}

static json_object *parse_json(const char *text) {
        json_object *o = json_tokener_parse(text);

        if (!o)
                TEST_FAIL("Not JSON:\n%s", text);
        ASSERT_TRUE(json_object_is_type(o, json_type_object));
        return o;
}

/* The report as stats.json would hold it, parsed. */
static json_object *report_json(const StatsReport *s) {
        char *text = NULL;
        json_object *o;

        ASSERT_OK(stats_report_format_json(s, &text));
        ASSERT_TRUE(strlen(text) > 2 && text[strlen(text) - 1] == '\n');
        o = parse_json(text);
        free(text);
        return o;
}

static json_object *field(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                TEST_FAIL("No \"%s\" in %s", key, json_object_to_json_string(o));
        return v;
}

static void assert_json_u64(json_object *o, const char *key, uint64_t expected) {
        json_object *v = field(o, key);

        if (!json_object_is_type(v, json_type_int))
                TEST_FAIL("\"%s\" is %s, not a whole number", key, json_object_to_json_string(v));
        if (json_object_get_uint64(v) != expected)
                TEST_FAIL("\"%s\": expected %" PRIu64 ", got %s", key, expected,
                          json_object_to_json_string(v));
}

static void assert_json_i64(json_object *o, const char *key, int64_t expected) {
        json_object *v = field(o, key);

        ASSERT_TRUE(json_object_is_type(v, json_type_int));
        ASSERT_EQ_I64(json_object_get_int64(v), expected);
}

/* A number written with two decimals, as the text says it. */
static void assert_json_fixed(json_object *o, const char *key, const char *expected) {
        json_object *v = field(o, key);

        if (!json_object_is_type(v, json_type_double))
                TEST_FAIL("\"%s\" is %s, not a number with decimals", key, json_object_to_json_string(v));
        ASSERT_STREQ(json_object_to_json_string(v), expected);
        ASSERT_TRUE(json_object_get_double(v) == strtod(expected, NULL));
}

static void assert_json_string(json_object *o, const char *key, const char *expected) {
        json_object *v = field(o, key);

        ASSERT_TRUE(json_object_is_type(v, json_type_string));
        ASSERT_STREQ(json_object_get_string(v), expected);
}

static void assert_json_bool(json_object *o, const char *key, bool expected) {
        json_object *v = field(o, key);

        ASSERT_TRUE(json_object_is_type(v, json_type_boolean));
        ASSERT_EQ_INT(json_object_get_boolean(v), expected);
}

static void test_json_fields(void) {
        StatsReport s = filled_report();
        json_object *o = report_json(&s), *policies;

        /* The original daemon's, by the names REFERENCE.md gives. */
        assert_json_string(o, "timestamp", "2026-11-23T10:00:00Z");
        assert_json_u64(o, "uptime_secs", 3725);
        assert_json_u64(o, "cycles", 42);
        assert_json_string(o, "compression_backend", "zram");
        assert_json_u64(o, "original_bytes", 3 * GIB);
        assert_json_u64(o, "compressed_bytes", 1 * GIB);
        assert_json_u64(o, "saved_bytes", 1 * GIB + 768 * MIB);
        assert_json_fixed(o, "compression_ratio", "3.00");
        assert_json_u64(o, "zram_devices", 2);
        assert_json_u64(o, "ksm_pages_sharing", 25600);
        assert_json_fixed(o, "ksm_saved_mib", "100.50");
        assert_json_u64(o, "hibernated_processes", 0);
        assert_json_fixed(o, "hibernated_saved_mib", "0.00");
        /* 1792 MiB from zram, 100.5 from KSM. */
        assert_json_fixed(o, "total_saved_mib", "1892.50");
        assert_json_u64(o, "lifetime_compressed_kib", 5 * MIB);

        /* wolfram's own. */
        assert_json_string(o, "version", PACKAGE_VERSION);
        assert_json_string(o, "state", "running");
        assert_json_bool(o, "dry_run", false);
        assert_json_string(o, "profile", "desktop");
        assert_json_string(o, "idle_backend", "refs");
        assert_json_string(o, "pool_algorithm", "lz4");
        assert_json_u64(o, "pool_memory_used_bytes", 1 * GIB + 256 * MIB);
        assert_json_u64(o, "pool_budget_bytes", 2 * GIB);
        assert_json_u64(o, "pool_cap_bytes", 12 * GIB);
        assert_json_string(o, "pool_recompress_algorithm", "zstd");
        assert_json_u64(o, "pool_recompress_saved_bytes", 300 * MIB);
        assert_json_u64(o, "pool_recompress_cpu_usec", 2500001);
        assert_json_string(o, "pool_writeback_device", "/dev/vdb");
        assert_json_u64(o, "pool_written_back_bytes", 700 * MIB);
        assert_json_u64(o, "pool_writeback_stored_bytes", 650 * MIB);
        assert_json_u64(o, "pool_writeback_today_bytes", 100 * MIB);
        assert_json_u64(o, "pool_writeback_limit_bytes", 1 * GIB);
        assert_json_u64(o, "ksm_pages_shared", 1000);
        assert_json_u64(o, "ksm_pages_unshared", 5000);
        assert_json_u64(o, "ksm_pages_volatile", 300);
        assert_json_u64(o, "ksm_zero_pages", 77);
        assert_json_u64(o, "ksm_full_scans", 9);
        assert_json_i64(o, "ksm_saved_bytes", (int64_t) (100 * MIB + 512 * KIB));
        assert_json_u64(o, "total_saved_bytes", 1792 * MIB + 100 * MIB + 512 * KIB);
        assert_json_u64(o, "total_cold_bytes", 7 * GIB);
        assert_json_u64(o, "total_paged_out_bytes", 4 * GIB);
        assert_json_u64(o, "lifetime_paged_out_bytes", 5 * GIB + 1000);
        assert_json_u64(o, "last_cycle_duration_usec", 2500000);
        assert_json_u64(o, "last_cycle_cpu_usec", 125000);
        assert_json_u64(o, "last_cycle_incompressible_bytes", 992 * 1024 * 1024ULL);
        assert_json_u64(o, "last_cycle_cgroup_reclaim_bytes", 48 * 1024 * 1024ULL);
        assert_json_u64(o, "refaulted_bytes", 96 * MIB);
        assert_json_u64(o, "wasted_pageout_cpu_usec", 1750042);
        assert_json_string(o, "pageout_hold", "memory pressure 0.35% is above 0.10%");
        assert_json_fixed(o, "pressure_memory_percent", "0.35");
        assert_json_fixed(o, "pressure_io_percent", "0.07");
        assert_json_u64(o, "mem_total_bytes", 24 * GIB);
        assert_json_u64(o, "mem_available_bytes", 20 * GIB);
        assert_json_u64(o, "swap_total_bytes", 6 * GIB);
        assert_json_u64(o, "swap_used_bytes", 1 * GIB);
        policies = field(o, "policies");
        ASSERT_TRUE(json_object_is_type(policies, json_type_object));
        assert_json_bool(policies, "compression", true);
        assert_json_bool(policies, "ksm", false);
        assert_json_bool(policies, "tuning", true);
        ASSERT_EQ_INT(json_object_object_length(policies), 3);
        json_object_put(o);

        /* Fractions round to two places; a pause and a dry run show. */
        s.original_bytes = 1000;
        s.compressed_bytes = 300;
        s.pool_memory_used_bytes = 400;
        s.state = "paused";
        s.dry_run = true;
        o = report_json(&s);
        assert_json_fixed(o, "compression_ratio", "3.33");
        assert_json_u64(o, "saved_bytes", 600);
        assert_json_string(o, "state", "paused");
        assert_json_bool(o, "dry_run", true);
        json_object_put(o);
}

static void test_json_nothing_compressed(void) {
        StatsReport s = { .state = "running", .pool_memory_used_bytes = 8192 };
        json_object *o = report_json(&s);

        assert_json_fixed(o, "compression_ratio", "0.00");
        /* The pool's own overhead is not a negative saving. */
        assert_json_u64(o, "saved_bytes", 0);
        assert_json_fixed(o, "total_saved_mib", "0.00");
        assert_json_u64(o, "lifetime_compressed_kib", 0);
        assert_json_string(o, "timestamp", "1970-01-01T00:00:00Z");
        /* Strings nobody filled in are empty, not null. */
        assert_json_string(o, "profile", "");
        assert_json_string(o, "idle_backend", "");
        assert_json_string(o, "pool_algorithm", "");
        json_object_put(o);

        /* Stored data that did not compress at all: a ratio of 1, saved 0. */
        s = (StatsReport){ .original_bytes = 4096,
                           .compressed_bytes = 4096,
                           .pool_memory_used_bytes = 8192 };
        o = report_json(&s);
        assert_json_fixed(o, "compression_ratio", "1.00");
        assert_json_u64(o, "saved_bytes", 0);
        json_object_put(o);
}

static void test_json_ksm_negative(void) {
        StatsReport s = filled_report();
        json_object *o;

        /* KSM costing 2 MiB: it shows as 0 saved, and counts against the
         * pool's 1792 MiB in the total. */
        s.ksm_saved_bytes = -(int64_t) (2 * MIB);
        o = report_json(&s);
        assert_json_fixed(o, "ksm_saved_mib", "0.00");
        assert_json_i64(o, "ksm_saved_bytes", -(int64_t) (2 * MIB));
        assert_json_fixed(o, "total_saved_mib", "1790.00");
        assert_json_u64(o, "total_saved_bytes", 1790 * MIB);
        json_object_put(o);

        /* More than everything else saves: the total stops at 0. */
        s.ksm_saved_bytes = -(int64_t) (4 * GIB);
        o = report_json(&s);
        assert_json_fixed(o, "total_saved_mib", "0.00");
        assert_json_u64(o, "total_saved_bytes", 0);
        json_object_put(o);
        ASSERT_EQ_U64(stats_report_total_saved_bytes(&s), 0);

        s.ksm_saved_bytes = INT64_MIN;
        ASSERT_EQ_U64(stats_report_total_saved_bytes(&s), 0);
}

static void test_json_timestamp(void) {
        static const struct {
                uint64_t usec;
                const char *text;
        } cases[] = {
                { 0, "1970-01-01T00:00:00Z" },
                { 999999, "1970-01-01T00:00:00Z" },
                { TIMESTAMP_USEC, "2026-11-23T10:00:00Z" },
                { UINT64_C(951782399) * 1000000 + 999999, "2000-02-28T23:59:59Z" },
                { UINT64_C(951868800) * 1000000, "2000-03-01T00:00:00Z" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                StatsReport s = { .timestamp_usec = cases[i].usec };
                json_object *o = report_json(&s);

                assert_json_string(o, "timestamp", cases[i].text);
                json_object_put(o);
        }
}

/* The names in 'dir', sorted, joined with spaces. */
static char *dir_listing(const char *dir) {
        struct dirent **entries;
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        bool first = true;
        int n;

        ASSERT_NOT_NULL(f);
        n = scandir(dir, &entries, NULL, alphasort);
        if (n < 0)
                TEST_FAIL("Failed to list %s: %m", dir);
        for (int i = 0; i < n; i++) {
                if (!streq(entries[i]->d_name, ".") && !streq(entries[i]->d_name, "..")) {
                        fprintf(f, "%s%s", first ? "" : " ", entries[i]->d_name);
                        first = false;
                }
                free(entries[i]);
        }
        free(entries);
        ASSERT_TRUE(fclose(f) == 0);
        return text;
}

static void assert_mode(const char *path, mode_t expected) {
        struct stat st;

        if (stat(path, &st) < 0)
                TEST_FAIL("Failed to stat %s: %m", path);
        ASSERT_TRUE(S_ISREG(st.st_mode));
        ASSERT_EQ_INT(st.st_mode & 07777, expected);
}

static void test_write_atomic(void) {
        char *dir = tempdir_new(), *path = tempdir_path(dir, "stats.json"), *text, *listing;
        StatsReport s = filled_report();
        json_object *o;
        mode_t old_umask = umask(0077);

        ASSERT_OK(stats_export_json(&s, path));
        /* Readable by the dashboard whatever the engine's umask. */
        assert_mode(path, 0644);
        s.cycles = 43;
        ASSERT_OK(stats_export_json(&s, path));
        umask(old_umask);

        text = test_read_file(path);
        o = parse_json(text);
        assert_json_u64(o, "cycles", 43);
        json_object_put(o);
        free(text);
        /* Replaced, not rewritten in place: nothing else is left. */
        listing = dir_listing(dir);
        ASSERT_STREQ(listing, "stats.json");
        free(listing);

        free(path);
        tempdir_remove(dir);
}

/* Writes into a directory the writer may not change: as root (who may
 * write anywhere), from a child that became nobody. Returns what the export
 * returned. */
static int export_unprivileged(const StatsReport *s, const char *path, const char *prom_dir) {
        int status, r;
        pid_t pid;

        if (geteuid() != 0)
                return path ? stats_export_json(s, path) : stats_export_prometheus(s, prom_dir);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                    setresuid(65534, 65534, 65534) < 0)
                        _exit(255);
                r = path ? stats_export_json(s, path) : stats_export_prometheus(s, prom_dir);
                _exit(r < 0 ? -r : 0);
        }
        ASSERT_TRUE(waitpid(pid, &status, 0) == pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_TRUE(WEXITSTATUS(status) != 255);
        return -WEXITSTATUS(status);
}

static void test_write_unwritable(void) {
        char *dir = tempdir_new(), *sub = tempdir_path(dir, "state"),
             *path = tempdir_path(sub, "stats.json"), *before, *after, *listing;
        StatsReport s = filled_report();

        ASSERT_TRUE(chmod(dir, 0755) == 0);
        ASSERT_TRUE(mkdir(sub, 0755) == 0);
        ASSERT_OK(stats_export_json(&s, path));
        ASSERT_OK(stats_export_prometheus(&s, sub));
        before = test_read_file(path);
        ASSERT_TRUE(chmod(sub, 0555) == 0);

        s.cycles = 1000;
        ASSERT_ERRNO(export_unprivileged(&s, path, NULL), -EACCES);
        ASSERT_ERRNO(export_unprivileged(&s, NULL, sub), -EACCES);

        after = test_read_file(path);
        ASSERT_STREQ(after, before);
        listing = dir_listing(sub);
        ASSERT_STREQ(listing, "stats.json wolfram.prom");

        ASSERT_TRUE(chmod(sub, 0755) == 0);
        free(listing);
        free(after);
        free(before);
        free(path);
        free(sub);
        tempdir_remove(dir);
}

static void test_write_errors(void) {
        char *dir = tempdir_new(), *missing = tempdir_path(dir, "missing/stats.json"),
             *taken = tempdir_path(dir, "taken"), *listing;
        StatsReport s = filled_report();

        ASSERT_ERRNO(stats_export_json(&s, missing), -ENOENT);
        ASSERT_ERRNO(stats_export_prometheus(&s, missing), -ENOENT);
        /* The rename fails when a directory has the name: the temporary
         * file written so far goes. */
        ASSERT_TRUE(mkdir(taken, 0755) == 0);
        ASSERT_ERRNO(stats_export_json(&s, taken), -EISDIR);
        free(taken);
        taken = tempdir_path(dir, STATS_PROMETHEUS_FILE);
        ASSERT_TRUE(mkdir(taken, 0755) == 0);
        ASSERT_ERRNO(stats_export_prometheus(&s, dir), -EISDIR);
        listing = dir_listing(dir);
        ASSERT_STREQ(listing, "taken wolfram.prom");

        free(listing);
        free(taken);
        free(missing);
        tempdir_remove(dir);
}

/* The line after the one 'line' starts, or the end of the text. */
static const char *next_line(const char *line) {
        const char *nl = strchr(line, '\n');

        return nl ? nl + 1 : line + strlen(line);
}

static char *report_prometheus(const StatsReport *s) {
        char *text = NULL;

        ASSERT_OK(stats_report_format_prometheus(s, &text));
        ASSERT_TRUE(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
        return text;
}

/* The value of the sample that starts with 'series' ("wolfram_x" or
 * "wolfram_x{…}") followed by a space; the test fails without one. */
static char *sample_value(const char *text, const char *series) {
        size_t len = strlen(series);

        for (const char *line = text; *line; line = next_line(line))
                if (strncmp(line, series, len) == 0 && line[len] == ' ')
                        return strndup(line + len + 1, strcspn(line + len + 1, "\n"));
        TEST_FAIL("No sample %s in:\n%s", series, text);
}

#define ASSERT_SAMPLE(text, series, expected)               \
        do {                                                \
                char *_v_ = sample_value((text), (series)); \
                ASSERT_STREQ(_v_, (expected));              \
                free(_v_);                                  \
        } while (0)

/* Whether 'text' holds the line 'line' exactly. */
static bool has_line(const char *text, const char *line) {
        size_t len = strlen(line);

        for (const char *p = text; *p; p = next_line(p))
                if (strncmp(p, line, len) == 0 && p[len] == '\n')
                        return true;
        return false;
}

static void test_prometheus_help_type(void) {
        StatsReport s = filled_report();
        char *text = report_prometheus(&s), families[64][64], current[64] = "";
        size_t n_families = 0, n_samples = 0;

        /* Every family: HELP, then TYPE, then its samples together, each
         * family once; counters end in _total and nothing else does. */
        for (const char *line = text; *line; line = next_line(line)) {
                char name[64], type[16];

                if (strncmp(line, "# HELP ", 7) == 0) {
                        ASSERT_EQ_INT(sscanf(line, "# HELP %63s ", name), 1);
                        ASSERT_TRUE(strncmp(name, "wolfram_", 8) == 0);
                        for (size_t i = 0; i < n_families; i++)
                                if (streq(families[i], name))
                                        TEST_FAIL("Family %s appears twice", name);
                        ASSERT_TRUE(n_families < ELEMENTSOF(families));
                        strcpy(families[n_families++], name);
                        /* Some words after the name. */
                        ASSERT_TRUE(strlen(name) + 9 < strcspn(line, "\n"));
                        line = next_line(line);
                        if (sscanf(line, "# TYPE %63s %15s", current, type) != 2 || !streq(current, name))
                                TEST_FAIL("HELP of %s is not followed by its TYPE", name);
                        ASSERT_TRUE(streq(type, "gauge") || streq(type, "counter"));
                        ASSERT_EQ_INT(streq(type, "counter"),
                                      strlen(name) > 6 && streq(name + strlen(name) - 6, "_total"));
                        continue;
                }
                ASSERT_TRUE(line[0] != '#');
                /* A sample: of the family whose TYPE came last. */
                snprintf(name, sizeof(name), "%.*s", (int) strcspn(line, "{ "), line);
                if (!streq(name, current))
                        TEST_FAIL("Sample %s without its HELP and TYPE right before", name);
                n_samples++;
        }
        ASSERT_EQ_U64(n_families, 40);
        /* wolfram_policy_enabled has 3 samples, wolfram_pressure_percent 2. */
        ASSERT_EQ_U64(n_samples, n_families + 3);
        free(text);
}

static void test_prometheus_values(void) {
        StatsReport s = filled_report();
        char *text = report_prometheus(&s), info[256];

        snprintf(info, sizeof(info),
                 "wolfram_info{version=\"%s\",profile=\"desktop\",compression_backend=\"zram\","
                 "idle_backend=\"refs\",pool_algorithm=\"lz4\"}",
                 PACKAGE_VERSION);
        ASSERT_SAMPLE(text, info, "1");
        ASSERT_SAMPLE(text, "wolfram_paused", "0");
        ASSERT_SAMPLE(text, "wolfram_dry_run", "0");
        ASSERT_SAMPLE(text, "wolfram_policy_enabled{policy=\"compression\"}", "1");
        ASSERT_SAMPLE(text, "wolfram_policy_enabled{policy=\"ksm\"}", "0");
        ASSERT_SAMPLE(text, "wolfram_policy_enabled{policy=\"tuning\"}", "1");
        ASSERT_SAMPLE(text, "wolfram_last_update_timestamp_seconds", "1795428000.123456");
        ASSERT_SAMPLE(text, "wolfram_uptime_seconds", "3725.900000");
        ASSERT_SAMPLE(text, "wolfram_cycles_total", "42");
        ASSERT_SAMPLE(text, "wolfram_last_cycle_duration_seconds", "2.500000");
        ASSERT_SAMPLE(text, "wolfram_last_cycle_cpu_seconds", "0.125000");
        ASSERT_SAMPLE(text, "wolfram_zram_devices", "2");
        ASSERT_SAMPLE(text, "wolfram_pool_original_bytes", "3221225472");
        ASSERT_SAMPLE(text, "wolfram_pool_compressed_bytes", "1073741824");
        ASSERT_SAMPLE(text, "wolfram_pool_memory_used_bytes", "1342177280");
        ASSERT_SAMPLE(text, "wolfram_pool_budget_bytes", "2147483648");
        ASSERT_SAMPLE(text, "wolfram_pool_cap_bytes", "12884901888");
        ASSERT_SAMPLE(text, "wolfram_pool_recompress_saved_bytes_total", "314572800");
        ASSERT_SAMPLE(text, "wolfram_pool_recompress_cpu_seconds_total", "2.500001");
        ASSERT_SAMPLE(text, "wolfram_pool_written_back_bytes_total", "734003200");
        ASSERT_SAMPLE(text, "wolfram_pool_writeback_stored_bytes", "681574400");
        ASSERT_SAMPLE(text, "wolfram_pool_writeback_today_bytes", "104857600");
        ASSERT_SAMPLE(text, "wolfram_pool_writeback_limit_bytes", "1073741824");
        ASSERT_SAMPLE(text, "wolfram_pool_compression_ratio", "3.0000");
        ASSERT_SAMPLE(text, "wolfram_pool_saved_bytes", "1879048192");
        ASSERT_SAMPLE(text, "wolfram_ksm_pages_sharing", "25600");
        ASSERT_SAMPLE(text, "wolfram_ksm_pages_shared", "1000");
        ASSERT_SAMPLE(text, "wolfram_ksm_pages_unshared", "5000");
        ASSERT_SAMPLE(text, "wolfram_ksm_pages_volatile", "300");
        ASSERT_SAMPLE(text, "wolfram_ksm_zero_pages", "77");
        ASSERT_SAMPLE(text, "wolfram_ksm_full_scans_total", "9");
        ASSERT_SAMPLE(text, "wolfram_ksm_saved_bytes", "105381888");
        ASSERT_SAMPLE(text, "wolfram_saved_bytes", "1984430080");
        ASSERT_SAMPLE(text, "wolfram_cold_bytes_total", "7516192768");
        ASSERT_SAMPLE(text, "wolfram_paged_out_bytes_total", "4294967296");
        ASSERT_SAMPLE(text, "wolfram_lifetime_paged_out_bytes_total", "5368710120");
        ASSERT_SAMPLE(text, "wolfram_refaulted_bytes_total", "100663296");
        ASSERT_SAMPLE(text, "wolfram_wasted_pageout_cpu_seconds_total", "1.750042");
        ASSERT_SAMPLE(text, "wolfram_pageout_held", "1");
        ASSERT_SAMPLE(text, "wolfram_last_cycle_incompressible_bytes", "1040187392");
        ASSERT_SAMPLE(text, "wolfram_last_cycle_cgroup_reclaim_bytes", "50331648");
        ASSERT_SAMPLE(text, "wolfram_pressure_percent{resource=\"memory\"}", "0.35");
        ASSERT_SAMPLE(text, "wolfram_pressure_percent{resource=\"io\"}", "0.07");
        free(text);

        /* Paused, nothing compressed, KSM at a loss. */
        s.state = "paused";
        s.dry_run = true;
        s.original_bytes = s.compressed_bytes = 0;
        s.ksm_saved_bytes = -4096;
        text = report_prometheus(&s);
        ASSERT_SAMPLE(text, "wolfram_paused", "1");
        ASSERT_SAMPLE(text, "wolfram_dry_run", "1");
        ASSERT_SAMPLE(text, "wolfram_pool_compression_ratio", "0");
        ASSERT_SAMPLE(text, "wolfram_pool_saved_bytes", "0");
        ASSERT_SAMPLE(text, "wolfram_ksm_saved_bytes", "-4096");
        ASSERT_SAMPLE(text, "wolfram_saved_bytes", "0");
        free(text);
}

/* A profile name nobody would choose, to see each escape. */
#define AWKWARD_PROFILE "a\"b\\c\nd"

static void test_prometheus_label_escaping(void) {
        StatsReport s = filled_report();
        char *text;

        s.profile = AWKWARD_PROFILE;
        s.idle_backend = NULL;
        text = report_prometheus(&s);
        ASSERT_TRUE(strstr(text, ",profile=\"a\\\"b\\\\c\\nd\","));
        ASSERT_TRUE(strstr(text, ",idle_backend=\"\","));
        /* No sample split over two lines by the newline. */
        for (const char *line = text; *line; line = next_line(line))
                ASSERT_TRUE(line[0] == '#' || strncmp(line, "wolfram_", 8) == 0);
        ASSERT_TRUE(has_line(text, "# TYPE wolfram_info gauge"));
        free(text);
}

static void test_prometheus_write(void) {
        char *dir = tempdir_new(), *path = tempdir_path(dir, STATS_PROMETHEUS_FILE), *text, *expected,
             *listing;
        StatsReport s = filled_report();
        mode_t old_umask = umask(0077);

        ASSERT_OK(stats_export_prometheus(&s, dir));
        s.cycles = 43;
        ASSERT_OK(stats_export_prometheus(&s, dir));
        umask(old_umask);
        assert_mode(path, 0644);
        text = test_read_file(path);
        expected = report_prometheus(&s);
        ASSERT_STREQ(text, expected);
        listing = dir_listing(dir);
        ASSERT_STREQ(listing, "wolfram.prom");

        free(listing);
        free(expected);
        free(text);
        free(path);
        tempdir_remove(dir);
}

/* promtool's exit status on 'path' fed to "promtool check metrics". */
static int promtool_check(const char *promtool, const char *path) {
        int status;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        ASSERT_TRUE(pid >= 0);
        if (pid == 0) {
                int fd = open(path, O_RDONLY | O_CLOEXEC);

                if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
                        _exit(127);
                execl(promtool, "promtool", "check", "metrics", (char *) NULL);
                _exit(127);
        }
        ASSERT_TRUE(waitpid(pid, &status, 0) == pid);
        ASSERT_TRUE(WIFEXITED(status));
        ASSERT_TRUE(WEXITSTATUS(status) != 127);
        return WEXITSTATUS(status);
}

static void test_promtool(void) {
        const char *promtool = getenv("PROMTOOL");
        char *dir, *path, *bad;
        StatsReport s = filled_report();

        /* A missing promtool fails: CI installs it (tools/install-deps.sh). */
        if (!promtool || !*promtool)
                TEST_FAIL("%s", "promtool was not found when meson configured the build; install the "
                                "prometheus package (tools/install-deps.sh) and reconfigure");
        dir = tempdir_new();
        path = tempdir_path(dir, STATS_PROMETHEUS_FILE);

        ASSERT_OK(stats_export_prometheus(&s, dir));
        ASSERT_EQ_INT(promtool_check(promtool, path), 0);
        s.profile = AWKWARD_PROFILE;
        s.ksm_saved_bytes = -4096;
        s.compressed_bytes = 0;
        ASSERT_OK(stats_export_prometheus(&s, dir));
        ASSERT_EQ_INT(promtool_check(promtool, path), 0);

        /* And promtool does refuse what breaks its rules, so the passes
         * above mean something. */
        tempdir_write_string(dir, "bad.prom", "# TYPE wolfram_x_total gauge\nwolfram_x_total 1\n");
        bad = tempdir_path(dir, "bad.prom");
        ASSERT_TRUE(promtool_check(promtool, bad) != 0);

        free(bad);
        free(path);
        tempdir_remove(dir);
}

static const TestCase cases[] = {
        { "json-fields", test_json_fields },
        { "json-nothing-compressed", test_json_nothing_compressed },
        { "json-ksm-negative", test_json_ksm_negative },
        { "json-timestamp", test_json_timestamp },
        { "write-atomic", test_write_atomic },
        { "write-unwritable", test_write_unwritable },
        { "write-errors", test_write_errors },
        { "prometheus-help-type", test_prometheus_help_type },
        { "prometheus-values", test_prometheus_values },
        { "prometheus-label-escaping", test_prometheus_label_escaping },
        { "prometheus-write", test_prometheus_write },
        { "promtool", test_promtool },
};

TEST_MAIN(cases)
