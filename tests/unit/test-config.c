/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "test-config-util.h"

/* config-every-key's drop-in with the keys for other tools. */
#define EXPORT_DROPIN "/etc/wolfram/wolfram.conf.d/50-export.conf"
#define PACING_DROPIN "/etc/wolfram/wolfram.conf.d/60-pacing.conf"
#define AGEING_DROPIN "/etc/wolfram/wolfram.conf.d/70-ageing.conf"

static void test_defaults(void) {
        static const char *const profile_keys[] = { "cycle_secs",
                                                    "idle_sample_secs",
                                                    "min_process_anon_mib",
                                                    "swappiness",
                                                    "page_cluster",
                                                    "vfs_cache_pressure",
                                                    "compaction_proactiveness",
                                                    "watermark_boost_factor",
                                                    "watermark_scale_factor",
                                                    "excluded_names",
                                                    NULL };
        PrintedKeys w;
        Config c;
        char *text;
        size_t i = 0;

        load_root("config-none", &c);

        ASSERT_EQ_INT(c.profile, PROFILE_SERVER);
        ASSERT_TRUE(c.profile_detected);
        ASSERT_STREQ(c.profile_reason, "detected: nothing else detected");
        ASSERT_EQ_U64(c.cycle_secs, 300);
        ASSERT_EQ_U64(c.idle_sample_secs, 30);
        ASSERT_EQ_U64(c.min_process_anon_mib, 100);
        ASSERT_EQ_U64(c.min_region_kib, 1024);
        ASSERT_TRUE(c.cold_threshold == 0.5);
        ASSERT_TRUE(c.pageout_threshold == 0.7);
        ASSERT_EQ_U64(c.pageout_after_cycles, 2);
        ASSERT_STREQ(config_idle_backend(&c), "auto");
        ASSERT_TRUE(c.cgroup_reclaim);
        ASSERT_FALSE(c.dry_run);
        ASSERT_FALSE(c.enable_hibernation);
        ASSERT_EQ_U64(c.hibernate_after_cycles, 10);
        ASSERT_FALSE(c.enable_port_proxy);
        ASSERT_STREQ(c.stats_file, "");
        ASSERT_STREQ(c.prometheus_textfile_dir, "");
        ASSERT_TRUE(c.zram_enabled);
        ASSERT_STREQ(config_zram_algorithm(&c), "auto");
        ASSERT_EQ_U64(c.zram_initial_percent, 3);
        ASSERT_EQ_U64(c.zram_max_percent, 50);
        ASSERT_EQ_U64(c.zram_grow_at_percent, 80);
        ASSERT_EQ_U64(c.zram_shrink_at_percent, 40);
        ASSERT_EQ_U64(c.zram_swapoff_margin_mib, 256);
        ASSERT_EQ_INT(c.zram_swap_priority, 100);
        ASSERT_STREQ(config_zram_recompress_algorithm(&c), "auto");
        ASSERT_EQ_U64(c.zram_recompress_after_secs, 3600);
        ASSERT_STREQ(c.zram_writeback_device, "");
        ASSERT_EQ_U64(c.zram_writeback_after_secs, 14400);
        ASSERT_EQ_U64(c.zram_writeback_limit_mib, 1024);
        ASSERT_TRUE(c.ksm_enabled);
        ASSERT_EQ_U64(c.ksm_max_cpu_percent, 20);
        ASSERT_TRUE(c.tuning_enabled);
        ASSERT_EQ_INT(c.knobs[KNOB_SWAPPINESS], 100);
        ASSERT_EQ_INT(c.knobs[KNOB_PAGE_CLUSTER], 0);
        ASSERT_EQ_INT(c.knobs[KNOB_VFS_CACHE_PRESSURE], 200);
        ASSERT_EQ_INT(c.knobs[KNOB_COMPACTION_PROACTIVENESS], 0);
        ASSERT_EQ_INT(c.knobs[KNOB_WATERMARK_BOOST_FACTOR], 0);
        ASSERT_EQ_INT(c.knobs[KNOB_WATERMARK_SCALE_FACTOR], KNOB_SKIP);
        assert_list(c.excluded_names, c.n_excluded_names, server_names, NULL);
        assert_list(c.excluded_cgroups, c.n_excluded_cgroups, NULL, NULL);

        /* Every setting, including ones added later: the profile's own
         * say "profile server", the rest "default". */
        text = print_to_string(&c);
        for (w = (PrintedKeys){ .p = text }; printed_keys_next(&w); i++) {
                bool from_profile = false;

                for (size_t j = 0; profile_keys[j]; j++)
                        from_profile = from_profile || streq(w.key, profile_keys[j]);
                if (streq(w.key, "profile"))
                        ASSERT_STREQ(c.sources[i], "detected: nothing else detected");
                else
                        ASSERT_STREQ(c.sources[i], from_profile ? "profile server" : "default");
        }
        ASSERT_TRUE(i > 20);
        free(text);
        config_done(&c);
}

static void test_every_key(void) {
        /* The line of each key in config-every-key's wolfram.conf, or in
         * the drop-in that holds the keys added later. */
        static const struct {
                const char *section, *key;
                unsigned line;
                const char *file; /* NULL for the main file */
        } lines[] = {
                { "Engine", "profile", 3 },
                { "Engine", "cycle_secs", 4 },
                { "Engine", "idle_sample_secs", 5 },
                { "Engine", "min_process_anon_mib", 6 },
                { "Engine", "min_region_kib", 7 },
                { "Engine", "cold_threshold", 8 },
                { "Engine", "pageout_threshold", 9 },
                { "Engine", "pageout_after_cycles", 10 },
                { "Engine", "pressure_limit_percent", 3, PACING_DROPIN },
                { "Engine", "refault_budget_percent", 4, PACING_DROPIN },
                { "Engine", "idle_backend", 11 },
                { "Engine", "cgroup_reclaim", 5, PACING_DROPIN },
                { "Engine", "dry_run", 12 },
                { "Engine", "enable_hibernation", 13 },
                { "Engine", "hibernate_after_cycles", 14 },
                { "Engine", "enable_port_proxy", 15 },
                { "Engine", "stats_file", 3, EXPORT_DROPIN },
                { "Engine", "prometheus_textfile_dir", 4, EXPORT_DROPIN },
                { "Zram", "enabled", 18 },
                { "Zram", "algorithm", 19 },
                { "Zram", "initial_percent", 20 },
                { "Zram", "max_percent", 21 },
                { "Zram", "grow_at_percent", 22 },
                { "Zram", "shrink_at_percent", 23 },
                { "Zram", "swapoff_margin_mib", 24 },
                { "Zram", "swap_priority", 25 },
                { "Zram", "recompress_algorithm", 3, AGEING_DROPIN },
                { "Zram", "recompress_after_secs", 4, AGEING_DROPIN },
                { "Zram", "writeback_device", 5, AGEING_DROPIN },
                { "Zram", "writeback_after_secs", 6, AGEING_DROPIN },
                { "Zram", "writeback_limit_mib", 7, AGEING_DROPIN },
                { "KSM", "enabled", 28 },
                { "KSM", "max_cpu_percent", 29 },
                { "Tuning", "enabled", 32 },
                { "Tuning", "swappiness", 33 },
                { "Tuning", "page_cluster", 34 },
                { "Tuning", "vfs_cache_pressure", 35 },
                { "Tuning", "compaction_proactiveness", 36 },
                { "Tuning", "watermark_boost_factor", 37 },
                { "Tuning", "watermark_scale_factor", 38 },
                { "Exclude", "excluded_names", 41 },
                { "Exclude", "excluded_cgroups", 42 },
                { "Exclude", "only_cgroups", 43 },
        };
        char *text, expected[128];
        size_t n_keys = 0;
        PrintedKeys w;
        Config c;

        load_root("config-every-key", &c);

        ASSERT_EQ_INT(c.profile, PROFILE_KUBERNETES);
        ASSERT_FALSE(c.profile_detected);
        ASSERT_STREQ(c.profile_reason, MAIN_FILE ":3");
        ASSERT_EQ_U64(c.cycle_secs, 600);
        ASSERT_EQ_U64(c.idle_sample_secs, 45);
        ASSERT_EQ_U64(c.min_process_anon_mib, 64);
        ASSERT_EQ_U64(c.min_region_kib, 2048);
        ASSERT_TRUE(c.cold_threshold == 0.123456789);
        ASSERT_TRUE(c.pageout_threshold == 0.875);
        ASSERT_EQ_U64(c.pageout_after_cycles, 3);
        ASSERT_TRUE(c.pressure_limit_percent == 2.5);
        ASSERT_TRUE(c.refault_budget_percent == 0.0);
        ASSERT_EQ_U64(c.idle_backend, IDLE_BACKEND_REFS);
        ASSERT_STREQ(config_idle_backend(&c), "refs");
        ASSERT_FALSE(c.cgroup_reclaim);
        ASSERT_TRUE(c.dry_run);
        ASSERT_TRUE(c.enable_hibernation);
        ASSERT_EQ_U64(c.hibernate_after_cycles, 20);
        ASSERT_TRUE(c.enable_port_proxy);
        ASSERT_STREQ(c.stats_file, "/srv/wolfram/stats.json");
        ASSERT_STREQ(c.prometheus_textfile_dir, "/var/lib/prometheus/node-exporter");
        ASSERT_FALSE(c.zram_enabled);
        ASSERT_STREQ(config_zram_algorithm(&c), "lz4");
        ASSERT_EQ_U64(c.zram_initial_percent, 5);
        ASSERT_EQ_U64(c.zram_max_percent, 60);
        ASSERT_EQ_U64(c.zram_grow_at_percent, 90);
        ASSERT_EQ_U64(c.zram_shrink_at_percent, 30);
        ASSERT_EQ_U64(c.zram_swapoff_margin_mib, 512);
        ASSERT_EQ_INT(c.zram_swap_priority, 50);
        ASSERT_STREQ(config_zram_recompress_algorithm(&c), "zstd");
        ASSERT_EQ_U64(c.zram_recompress_after_secs, 7200);
        ASSERT_STREQ(c.zram_writeback_device, "/dev/disk/by-partlabel/zram-backing");
        ASSERT_EQ_U64(c.zram_writeback_after_secs, 86400);
        ASSERT_EQ_U64(c.zram_writeback_limit_mib, 256);
        ASSERT_FALSE(c.ksm_enabled);
        ASSERT_EQ_U64(c.ksm_max_cpu_percent, 10);
        ASSERT_FALSE(c.tuning_enabled);
        ASSERT_EQ_INT(c.knobs[KNOB_SWAPPINESS], 180);
        ASSERT_EQ_INT(c.knobs[KNOB_PAGE_CLUSTER], 1);
        ASSERT_EQ_INT(c.knobs[KNOB_VFS_CACHE_PRESSURE], 150);
        ASSERT_EQ_INT(c.knobs[KNOB_COMPACTION_PROACTIVENESS], 20);
        ASSERT_EQ_INT(c.knobs[KNOB_WATERMARK_BOOST_FACTOR], 15000);
        ASSERT_EQ_INT(c.knobs[KNOB_WATERMARK_SCALE_FACTOR], 200);
        /* A list set once adds to the profile's. */
        assert_list(c.excluded_names, c.n_excluded_names, kubernetes_names,
                    STRV("postgres", "redis-server"));
        assert_list(c.excluded_cgroups, c.n_excluded_cgroups, NULL,
                    STRV("/system.slice/backup.service", "/machine.slice"));
        assert_list(c.only_cgroups, c.n_only_cgroups, NULL, STRV("/user.slice"));

        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                if (streq(lines[i].key, "excluded_names"))
                        snprintf(expected, sizeof(expected), "profile kubernetes + %s:%u", MAIN_FILE,
                                 lines[i].line);
                else
                        snprintf(expected, sizeof(expected), "%s:%u", lines[i].file ?: MAIN_FILE,
                                 lines[i].line);
                ASSERT_SOURCE(&c, lines[i].section, lines[i].key, expected);
        }
        /* The fixture must grow with the settings table. */
        text = print_to_string(&c);
        for (w = (PrintedKeys){ .p = text }; printed_keys_next(&w);)
                n_keys++;
        ASSERT_EQ_U64(n_keys, ELEMENTSOF(lines));
        free(text);
        config_done(&c);
}

static void test_dropin_overrides_main(void) {
        Config c;

        load_root("config-dropin-override", &c);
        ASSERT_EQ_U64(c.cycle_secs, 100);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "/etc/wolfram/wolfram.conf.d/50-a.conf:3");
        ASSERT_EQ_U64(c.min_region_kib, 512);
        ASSERT_SOURCE(&c, "Engine", "min_region_kib", MAIN_FILE ":3");
        config_done(&c);
}

static void test_dropin_masked(void) {
        Config c;

        /* The 50-a.conf in /run and /usr/lib hold values that would fail. */
        load_root("config-dropin-masked", &c);
        ASSERT_EQ_U64(c.cycle_secs, 100);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "/etc/wolfram/wolfram.conf.d/50-a.conf:2");
        /* 60-b.conf in /run hides the one in /usr/lib. */
        ASSERT_EQ_U64(c.min_region_kib, 64);
        ASSERT_SOURCE(&c, "Engine", "min_region_kib", "/run/wolfram/wolfram.conf.d/60-b.conf:2");
        config_done(&c);
}

static void test_dropin_order(void) {
        Config c;

        load_root("config-dropin-order", &c);
        /* The main file, then 10-x (/usr/lib), 20-y (/etc), 30-z (/run). */
        ASSERT_EQ_U64(c.cycle_secs, 400);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "/run/wolfram/wolfram.conf.d/30-z.conf:2");
        ASSERT_EQ_U64(c.idle_sample_secs, 20);
        ASSERT_SOURCE(&c, "Engine", "idle_sample_secs", "/usr/lib/wolfram/wolfram.conf.d/10-x.conf:3");
        assert_list(c.excluded_names, c.n_excluded_names, server_names,
                    STRV("main", "ten", "twenty", "thirty"));
        ASSERT_SOURCE(&c, "Exclude", "excluded_names",
                      "profile server + " MAIN_FILE ":4 + /usr/lib/wolfram/wolfram.conf.d/10-x.conf:5 + "
                      "/etc/wolfram/wolfram.conf.d/20-y.conf:4 + /run/wolfram/wolfram.conf.d/30-z.conf:4");
        config_done(&c);
}

static void test_main_file_precedence(void) {
        Config c;

        /* The others hold values that would fail. */
        load_root("config-main-etc", &c);
        ASSERT_EQ_U64(c.cycle_secs, 100);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", MAIN_FILE ":2");
        config_done(&c);

        load_root("config-main-run", &c);
        ASSERT_EQ_U64(c.cycle_secs, 200);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "/run/wolfram/wolfram.conf:2");
        config_done(&c);

        load_root("config-main-usrlib", &c);
        ASSERT_EQ_U64(c.cycle_secs, 400);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "/usr/lib/wolfram/wolfram.conf:2");
        config_done(&c);
}

static void test_non_conf_ignored(void) {
        Config c;

        load_root("config-non-conf", &c);
        ASSERT_EQ_U64(c.cycle_secs, 100);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "/etc/wolfram/wolfram.conf.d/60-ok.conf:2");
        config_done(&c);
}

static void test_list_append(void) {
        Config c;

        load_root("config-list-append", &c);
        /* postgres and systemd again are dropped. */
        assert_list(c.excluded_names, c.n_excluded_names, server_names, STRV("postgres", "redis-server"));
        ASSERT_SOURCE(&c, "Exclude", "excluded_names",
                      "profile server + " MAIN_FILE ":2 + /etc/wolfram/wolfram.conf.d/10-more.conf:2");
        assert_list(c.excluded_cgroups, c.n_excluded_cgroups, NULL, STRV("/a.slice", "/b.slice"));
        ASSERT_SOURCE(&c, "Exclude", "excluded_cgroups",
                      MAIN_FILE ":3 + /etc/wolfram/wolfram.conf.d/10-more.conf:3");
        config_done(&c);
}

static void test_list_reset(void) {
        Config c;

        load_root("config-list-reset", &c);
        /* The profile's names went with the reset too. */
        assert_list(c.excluded_names, c.n_excluded_names, NULL, STRV("redis-server"));
        ASSERT_SOURCE(&c, "Exclude", "excluded_names", "/etc/wolfram/wolfram.conf.d/10-reset.conf:3");
        assert_list(c.excluded_cgroups, c.n_excluded_cgroups, NULL, NULL);
        ASSERT_SOURCE(&c, "Exclude", "excluded_cgroups", "/etc/wolfram/wolfram.conf.d/10-reset.conf:4");
        config_done(&c);
}

static void test_list_continuation(void) {
        Config c;

        load_root("config-list-continuation", &c);
        assert_list(c.excluded_names, c.n_excluded_names, server_names,
                    STRV("alpha", "beta", "gamma", "delta", "epsilon"));
        ASSERT_SOURCE(&c, "Exclude", "excluded_names",
                      "profile server + " MAIN_FILE ":2 + " MAIN_FILE ":3 + " MAIN_FILE ":5 + " MAIN_FILE
                      ":7");
        assert_list(c.excluded_cgroups, c.n_excluded_cgroups, NULL, STRV("/a.slice", "/b.slice"));
        config_done(&c);
}

static void test_cli_overrides_file(void) {
        char *cli[] = { "Engine.cycle_secs=60", "Exclude.excluded_names=", "Exclude.excluded_names=bash" };
        Config c;

        load_args("config-dropin-override",
                  &(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = 3 }, &c);
        ASSERT_EQ_U64(c.cycle_secs, 60);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "command line (Engine.cycle_secs=60)");
        ASSERT_EQ_U64(c.min_region_kib, 512);
        assert_list(c.excluded_names, c.n_excluded_names, NULL, STRV("bash"));
        config_done(&c);
}

static void test_cli_errors(void) {
        static const char *const bad[][2] = {
                { "Engine.cycle_secs", "expected Section.key=value" },
                { "cycle_secs=60", "expected Section.key=value" },
                { "Nope.x=1", "unknown section [Nope]" },
                { "Engine.nope=1", "unknown key 'nope' in [Engine]" },
                { "Engine.cycle_secs=abc", "'abc' is not a whole number" },
                { ".cycle_secs=60", "outside a section" },
        };
        char *dir = text_root("[Engine]\ncycle_secs=60\n", strlen("[Engine]\ncycle_secs=60\n"));

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *cli[] = { "Engine.idle_sample_secs=10", (char *) bad[i][0] }, *error;

                error = load_fails(&(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = 2 });
                ASSERT_CONTAINS(error, "command line");
                ASSERT_CONTAINS(error, bad[i][0]);
                ASSERT_CONTAINS(error, bad[i][1]);
                free(error);
        }
        fixture_root_reset();
        tempdir_remove(dir);
}

static void test_cli_profile_beats_file(void) {
        char *cli[] = { "Engine.profile=docker" };
        Config c;

        load_args("config-profile-desktop",
                  &(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = 1 }, &c);
        ASSERT_EQ_INT(c.profile, PROFILE_DOCKER);
        ASSERT_FALSE(c.profile_detected);
        ASSERT_STREQ(c.profile_reason, "command line (Engine.profile=docker)");
        ASSERT_SOURCE(&c, "Engine", "profile", "command line (Engine.profile=docker)");
        ASSERT_EQ_U64(c.min_process_anon_mib, 50);
        ASSERT_SOURCE(&c, "Engine", "min_process_anon_mib", "profile docker");
        assert_list(c.excluded_names, c.n_excluded_names, docker_names, NULL);
        /* The file's values still apply on top of whichever profile. */
        ASSERT_EQ_INT(c.knobs[KNOB_SWAPPINESS], 90);
        config_done(&c);
}

static void test_explicit_file(void) {
        char *path = fixture_path("roots/config-explicit/custom.conf"),
             *dir = fixture_path("roots/config-explicit"), expected[4096], cwd[4096];
        Config c;

        /* Named as given, not below the root; the search path, whose files
         * would fail, is not read. */
        load_args("config-explicit", &(ConfigLoadArgs){ .config_file = path }, &c);
        ASSERT_EQ_U64(c.cycle_secs, 500);
        snprintf(expected, sizeof(expected), "%s:3", path);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", expected);
        config_done(&c);

        /* A relative name is relative to the working directory. */
        ASSERT_NOT_NULL(getcwd(cwd, sizeof(cwd)));
        ASSERT_OK(chdir(dir));
        load_args("config-explicit", &(ConfigLoadArgs){ .config_file = "custom.conf" }, &c);
        ASSERT_OK(chdir(cwd));
        ASSERT_EQ_U64(c.cycle_secs, 500);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "custom.conf:3");
        config_done(&c);
        free(dir);
        free(path);
}

static void test_explicit_file_missing(void) {
        char *error;

        fixture_root_use("config-none");
        error = load_fails(&(ConfigLoadArgs){ .config_file = "/nonexistent/wolfram-test.conf" });
        ASSERT_CONTAINS(error, "/nonexistent/wolfram-test.conf: cannot read: No such file or directory");
        free(error);
        fixture_root_reset();
}

static void test_profile_from_file(void) {
        Config c;

        load_root("config-profile-desktop", &c);
        ASSERT_EQ_INT(c.profile, PROFILE_DESKTOP);
        ASSERT_FALSE(c.profile_detected);
        ASSERT_STREQ(c.profile_reason, MAIN_FILE ":6");
        ASSERT_SOURCE(&c, "Engine", "profile", MAIN_FILE ":6");
        ASSERT_EQ_U64(c.cycle_secs, 120);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "profile desktop");
        ASSERT_EQ_U64(c.idle_sample_secs, 30);
        ASSERT_EQ_U64(c.min_process_anon_mib, 50);
        ASSERT_SOURCE(&c, "Engine", "min_process_anon_mib", "profile desktop");
        ASSERT_EQ_INT(c.knobs[KNOB_PAGE_CLUSTER], 0);
        ASSERT_EQ_INT(c.knobs[KNOB_VFS_CACHE_PRESSURE], 100);
        ASSERT_EQ_INT(c.knobs[KNOB_COMPACTION_PROACTIVENESS], 0);
        ASSERT_EQ_INT(c.knobs[KNOB_WATERMARK_BOOST_FACTOR], 0);
        ASSERT_EQ_INT(c.knobs[KNOB_WATERMARK_SCALE_FACTOR], 125);
        ASSERT_SOURCE(&c, "Tuning", "watermark_scale_factor", "profile desktop");
        /* Set before profile= in the file, and still on top of it. */
        ASSERT_EQ_INT(c.knobs[KNOB_SWAPPINESS], 90);
        ASSERT_SOURCE(&c, "Tuning", "swappiness", MAIN_FILE ":2");
        assert_list(c.excluded_names, c.n_excluded_names, desktop_names, NULL);
        ASSERT_SOURCE(&c, "Exclude", "excluded_names", "profile desktop");
        /* Not a profile setting. */
        ASSERT_SOURCE(&c, "Engine", "min_region_kib", "default");
        config_done(&c);
}

static void test_profile_auto_detects(void) {
        Config c;

        /* profile=docker in the main file, profile=auto in a drop-in. */
        load_root("config-profile-auto", &c);
        ASSERT_EQ_INT(c.profile, PROFILE_DESKTOP);
        ASSERT_TRUE(c.profile_detected);
        ASSERT_STREQ(c.profile_reason, "detected: X11 socket /tmp/.X11-unix/X0");
        ASSERT_SOURCE(&c, "Engine", "profile", "detected: X11 socket /tmp/.X11-unix/X0");
        ASSERT_EQ_U64(c.cycle_secs, 120);
        ASSERT_SOURCE(&c, "Engine", "cycle_secs", "profile desktop");
        config_done(&c);
}

static void test_export_paths(void) {
        char *cli[] = { "Engine.stats_file=off" }, *path = NULL;
        Config c;

        /* Later assignments win; an empty one goes back to the default. */
        load_text("[Engine]\nstats_file=/srv/a.json\nprometheus_textfile_dir=/var/lib/prom\n"
                  "[Engine]\nstats_file=/srv/b b.json ; a comment\n",
                  &(ConfigLoadArgs){}, &c);
        ASSERT_STREQ(c.stats_file, "/srv/b b.json");
        ASSERT_SOURCE(&c, "Engine", "stats_file", MAIN_FILE ":5");
        ASSERT_STREQ(c.prometheus_textfile_dir, "/var/lib/prom");
        ASSERT_SOURCE(&c, "Engine", "prometheus_textfile_dir", MAIN_FILE ":3");
        ASSERT_OK(config_stats_file_path(&c, "/var/lib/wolfram", &path));
        ASSERT_STREQ(path, "/srv/b b.json");
        free(path);
        config_done(&c);

        load_text("[Engine]\nstats_file=/srv/a.json\nstats_file=\nprometheus_textfile_dir=/p\n"
                  "prometheus_textfile_dir=\n",
                  &(ConfigLoadArgs){}, &c);
        ASSERT_STREQ(c.stats_file, "");
        ASSERT_SOURCE(&c, "Engine", "stats_file", MAIN_FILE ":3");
        ASSERT_STREQ(c.prometheus_textfile_dir, "");
        /* The engine's state directory then. */
        ASSERT_OK(config_stats_file_path(&c, "/var/lib/wolfram", &path));
        ASSERT_STREQ(path, "/var/lib/wolfram/stats.json");
        free(path);
        config_done(&c);

        /* "no" (or another false boolean) writes no stats.json; the
         * command line has the last word. */
        load_text("[Engine]\nstats_file=no\n", &(ConfigLoadArgs){}, &c);
        ASSERT_NULL(c.stats_file);
        path = (char *) "not NULL";
        ASSERT_OK(config_stats_file_path(&c, "/var/lib/wolfram", &path));
        ASSERT_NULL(path);
        config_done(&c);
        load_text("[Engine]\nstats_file=/srv/a.json\n",
                  &(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = 1 }, &c);
        ASSERT_NULL(c.stats_file);
        ASSERT_SOURCE(&c, "Engine", "stats_file", "command line (Engine.stats_file=off)");
        config_done(&c);
}

static void test_name_excluded(void) {
        Config c;

        load_root("config-none", &c);
        /* A substring of comm, as the daemon this replaces matched. */
        ASSERT_TRUE(config_name_excluded(&c, "systemd"));
        ASSERT_TRUE(config_name_excluded(&c, "systemd-journal"));
        ASSERT_FALSE(config_name_excluded(&c, "(sd-pam)"));
        ASSERT_TRUE(config_name_excluded(&c, "dbus-broker"));
        ASSERT_TRUE(config_name_excluded(&c, "crond"));
        ASSERT_TRUE(config_name_excluded(&c, "sshd-session"));
        ASSERT_TRUE(config_name_excluded(&c, "systemd-udevd"));
        ASSERT_FALSE(config_name_excluded(&c, "polkit"));
        ASSERT_FALSE(config_name_excluded(&c, "Systemd"));
        ASSERT_FALSE(config_name_excluded(&c, "bash"));
        ASSERT_FALSE(config_name_excluded(&c, ""));
        config_done(&c);

        load_root("config-list-reset", &c);
        ASSERT_TRUE(config_name_excluded(&c, "redis-server"));
        ASSERT_FALSE(config_name_excluded(&c, "redis"));
        ASSERT_FALSE(config_name_excluded(&c, "systemd"));
        config_done(&c);
}

/* The part of the man page from ".SS [section]" to the next heading. */
static const TestCase cases[] = {
        { "defaults", test_defaults },
        { "every-key", test_every_key },
        { "dropin-overrides-main", test_dropin_overrides_main },
        { "dropin-masked", test_dropin_masked },
        { "dropin-order", test_dropin_order },
        { "main-file-precedence", test_main_file_precedence },
        { "non-conf-ignored", test_non_conf_ignored },
        { "list-append", test_list_append },
        { "list-reset", test_list_reset },
        { "list-continuation", test_list_continuation },
        { "cli-overrides-file", test_cli_overrides_file },
        { "cli-errors", test_cli_errors },
        { "cli-profile-beats-file", test_cli_profile_beats_file },
        { "explicit-file", test_explicit_file },
        { "explicit-file-missing", test_explicit_file_missing },
        { "profile-from-file", test_profile_from_file },
        { "profile-auto-detects", test_profile_auto_detects },
        { "export-paths", test_export_paths },
        { "name-excluded", test_name_excluded },
};

TEST_MAIN(cases)
