/* SPDX-License-Identifier: MIT */

/* What config_load() refuses, and what the message says about it. */

#include <errno.h>
#include <string.h>

#include "config/config.h"
#include "test-config-util.h"

static void test_bad_number(void) {
        check_text_fails("[Engine]\ncycle_secs=abc\n", MAIN_FILE ":2: [Engine] cycle_secs=abc",
                         "'abc' is not a whole number", "from 10 to 86400");
        check_text_fails("[Engine]\ncycle_secs=60\nidle_sample_secs=1.5\n",
                         MAIN_FILE ":3:", "'1.5' is not a whole number", "from 1 to 3600");
        check_text_fails("[Engine]\nmin_region_kib=12k\n", MAIN_FILE ":2:", "from 4 to 1048576");
        check_text_fails("[Engine]\nmin_region_kib=+8\n", MAIN_FILE ":2:", "not a whole number");
        check_text_fails("[Zram]\nswap_priority=\n", MAIN_FILE ":2:", "'' is not a whole number",
                         "from 0 to 32767");
        check_text_fails("[KSM]\nmax_cpu_percent=0x10\n", MAIN_FILE ":2:", "from 1 to 100");
        check_text_fails("[Engine]\ncycle_secs=99999999999999999999\n", MAIN_FILE ":2:", "from 10 to 86400");
}

static void test_bad_range(void) {
        check_text_fails("[Engine]\ncycle_secs=9\n", MAIN_FILE ":2:", "'9' is out of range",
                         "from 10 to 86400");
        check_text_fails("[Engine]\ncycle_secs=86401\n", MAIN_FILE ":2:", "'86401' is out of range",
                         "from 10 to 86400");
        check_text_fails("[Engine]\npageout_after_cycles=0\n", MAIN_FILE ":2:", "from 1 to 1000");
        check_text_fails("[Zram]\nswap_priority=-1\n", MAIN_FILE ":2:", "'-1' is out of range",
                         "from 0 to 32767");
        check_text_fails("[Zram]\nswap_priority=32768\n", MAIN_FILE ":2:", "from 0 to 32767");
        check_text_fails("[Zram]\ninitial_percent=91\n", MAIN_FILE ":2:", "from 1 to 90");
        check_text_fails("[Zram]\nshrink_at_percent=100\n", MAIN_FILE ":2:", "from 0 to 99");
        check_text_fails("[KSM]\nmax_cpu_percent=101\n", MAIN_FILE ":2:", "from 1 to 100");
}

static void test_bad_boolean(void) {
        static const char *const bad[] = { "maybe", "yess", "2", "", "y" };
        static const char *const good[] = { "yes", "YES", "true", "on", "1", "no", "False", "off", "0" };
        char text[64], msg[64];
        Config c;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                snprintf(text, sizeof(text), "[Engine]\ndry_run=%s\n", bad[i]);
                snprintf(msg, sizeof(msg), "'%s' is not a boolean; use yes or no", bad[i]);
                check_text_fails(text, MAIN_FILE ":2: [Engine] dry_run=", msg);
        }
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                snprintf(text, sizeof(text), "[Engine]\ndry_run=%s\n", good[i]);
                load_text(text, &(ConfigLoadArgs){}, &c);
                ASSERT_EQ_INT(c.dry_run, i < 5);
                config_done(&c);
        }
}

static void test_bad_ratio(void) {
        static const char *const bad[] = { "1.5", "-0.1", "abc", "nan", "inf", "0.5x", "", "1e-400" };
        char text[64], msg[64];
        Config c;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                snprintf(text, sizeof(text), "[Engine]\npageout_threshold=%s\n", bad[i]);
                snprintf(msg, sizeof(msg), "'%s' is not allowed", bad[i]);
                check_text_fails(text, MAIN_FILE ":2: [Engine] pageout_threshold=", msg,
                                 "use a fraction from 0.0 to 1.0");
        }
        /* Both ends are allowed. */
        load_text("[Engine]\ncold_threshold=0\npageout_threshold=1.0\n", &(ConfigLoadArgs){}, &c);
        ASSERT_TRUE(c.cold_threshold == 0.0);
        ASSERT_TRUE(c.pageout_threshold == 1.0);
        config_done(&c);
}

static void test_bad_enum(void) {
        check_text_fails("[Engine]\nidle_backend=kstaled\n",
                         MAIN_FILE ":2:", "'kstaled' is not one of: auto, page_idle, refs");
        check_text_fails("[Zram]\nalgorithm=zlib\n", MAIN_FILE ":2:",
                         "'zlib' is not one of: auto, zstd, lz4, lz4hc, lzo-rle, lzo, deflate, 842");
        check_text_fails("[Zram]\nalgorithm=ZSTD\n", MAIN_FILE ":2:", "'ZSTD' is not one of");
}

static void test_bad_profile(void) {
        check_text_fails(
                "[Engine]\nprofile=laptop\n", MAIN_FILE ":2:",
                "'laptop' is not one of: auto, server, desktop, proxmox, kubernetes, docker, raspberrypi");
        check_text_fails("[Engine]\nprofile=Desktop\n", MAIN_FILE ":2:", "'Desktop' is not one of");
}

static void test_knob_skip(void) {
        Config c;

        load_text("[Tuning]\nswappiness=skip\nwatermark_scale_factor=skip\n", &(ConfigLoadArgs){}, &c);
        ASSERT_EQ_INT(c.knobs[KNOB_SWAPPINESS], KNOB_SKIP);
        ASSERT_EQ_INT(c.knobs[KNOB_WATERMARK_SCALE_FACTOR], KNOB_SKIP);
        ASSERT_EQ_INT(c.knobs[KNOB_VFS_CACHE_PRESSURE], 200);
        ASSERT_SOURCE(&c, "Tuning", "swappiness", MAIN_FILE ":2");
        config_done(&c);
}

static void test_bad_knob(void) {
        check_text_fails("[Tuning]\nswappiness=201\n", MAIN_FILE ":2:", "'201' is out of range",
                         "from 0 to 200, or skip to leave the kernel's value");
        check_text_fails("[Tuning]\npage_cluster=11\n", MAIN_FILE ":2:", "from 0 to 10");
        check_text_fails("[Tuning]\nvfs_cache_pressure=0\n", MAIN_FILE ":2:", "from 1 to 10000");
        check_text_fails("[Tuning]\ncompaction_proactiveness=-1\n", MAIN_FILE ":2:", "from 0 to 100");
        check_text_fails("[Tuning]\nwatermark_boost_factor=100001\n", MAIN_FILE ":2:", "from 0 to 100000");
        check_text_fails("[Tuning]\nwatermark_scale_factor=0\n", MAIN_FILE ":2:", "from 1 to 3000");
        check_text_fails("[Tuning]\nswappiness=Skip\n", MAIN_FILE ":2:", "'Skip' is not a whole number");
}

static void test_bad_list_item(void) {
        Config c;

        check_text_fails("[Exclude]\nexcluded_names=ok abcdefghijklmnop\n",
                         MAIN_FILE ":2:", "'abcdefghijklmnop' is longer than 15 characters");
        /* 15 characters fit a comm; cgroup paths have no such limit. */
        load_text("[Exclude]\nexcluded_names=abcdefghijklmno\n"
                  "excluded_cgroups=/system.slice/a-rather-long-unit-name.service\n",
                  &(ConfigLoadArgs){}, &c);
        assert_list(c.excluded_names, c.n_excluded_names, server_names, STRV("abcdefghijklmno"));
        assert_list(c.excluded_cgroups, c.n_excluded_cgroups, NULL,
                    STRV("/system.slice/a-rather-long-unit-name.service"));
        config_done(&c);
}

/* Loads 'assignment' from the command line over an empty file and expects
 * 'needle' in the error. */
static void check_cli_fails(const char *assignment, const char *needle) {
        char *cli[] = { (char *) assignment }, *dir = text_root("", 0), *error;

        error = load_fails(&(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = 1 });
        ASSERT_CONTAINS(error, "command line");
        ASSERT_CONTAINS(error, needle);
        free(error);
        fixture_root_reset();
        tempdir_remove(dir);
}

static void test_bad_path(void) {
        static const char *const not_absolute[] = { "stats.json", "./stats.json", "~/stats.json", "yes" };
        char text[512], msg[128], *cli[1];
        Config c;

        for (size_t i = 0; i < ELEMENTSOF(not_absolute); i++) {
                snprintf(text, sizeof(text), "[Engine]\n\nstats_file=%s\n", not_absolute[i]);
                snprintf(msg, sizeof(msg), "'%s' is not an absolute path", not_absolute[i]);
                check_text_fails(text, MAIN_FILE ":3: [Engine] stats_file=", msg,
                                 "use one, nothing for the default, or no for none");
        }
        check_text_fails("[Engine]\nprometheus_textfile_dir=var/lib/prometheus\n",
                         MAIN_FILE ":2: [Engine] prometheus_textfile_dir=var/lib/prometheus",
                         "'var/lib/prometheus' is not an absolute path; use one, or nothing for none");
        /* Turned off by leaving it empty, not with a boolean. */
        check_text_fails("[Engine]\nprometheus_textfile_dir=no\n",
                         MAIN_FILE ":2:", "'no' is not an absolute path");
        check_text_fails("[Engine]\nstats_file=/var/lib/wolfram/\n",
                         MAIN_FILE ":2:", "'/var/lib/wolfram/' is a directory; name the file");

        /* What a file cannot hold comes only from the command line. */
        check_cli_fails("Engine.stats_file=/srv/a\tb.json", "has a control character");
        check_cli_fails("Engine.prometheus_textfile_dir=/srv/prom\n", "has a control character");
        check_cli_fails("Engine.stats_file=/srv/a ;b.json", "a ';' after a blank starts a comment");
        check_cli_fails("Engine.prometheus_textfile_dir=/srv/prom ;x",
                        "a ';' after a blank starts a comment");

        /* The longest path whose line fits, and one more. */
        snprintf(text, sizeof(text), "[Engine]\nstats_file=/%0186d\n", 0);
        load_text(text, &(ConfigLoadArgs){}, &c);
        ASSERT_EQ_U64(strlen(c.stats_file), 187);
        config_done(&c);
        snprintf(text, sizeof(text), "Engine.stats_file=/%0187d", 0);
        check_cli_fails(text, "is longer than a configuration line holds");
        /* A ';' without a blank before it is part of the name. */
        cli[0] = "Engine.stats_file=/srv/a;b.json";
        load_text("", &(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = 1 }, &c);
        ASSERT_STREQ(c.stats_file, "/srv/a;b.json");
        config_done(&c);
}

static void test_unknown_key(void) {
        check_text_fails(
                "[Engine]\ncycle_sec=60\n", MAIN_FILE ":2: unknown key 'cycle_sec' in [Engine]",
                "known keys: profile, cycle_secs, idle_sample_secs, min_process_anon_mib, min_region_kib, "
                "cold_threshold, pageout_threshold, pageout_after_cycles, pressure_limit_percent, "
                "refault_budget_percent, idle_backend, cgroup_reclaim, dry_run, "
                "enable_hibernation, hibernate_after_cycles, enable_port_proxy, stats_file, "
                "prometheus_textfile_dir");
        /* The sysctl's own name is not the key. */
        check_text_fails("[Tuning]\npage-cluster=0\n",
                         MAIN_FILE ":2: unknown key 'page-cluster' in [Tuning]",
                         "known keys: enabled, swappiness, page_cluster, vfs_cache_pressure");
}

static void test_unknown_section(void) {
        check_text_fails("[Engine]\ncycle_secs=60\n[Engines]\nidle_sample_secs=5\n",
                         MAIN_FILE ":4: unknown section [Engines]",
                         "known sections: [Engine], [Zram], [KSM], [Tuning], [Exclude]");
}

static void test_key_outside_section(void) {
        check_text_fails("# comment\ncycle_secs=60\n[Engine]\n",
                         MAIN_FILE ":2: 'cycle_secs' is outside a section",
                         "[Engine], [Zram], [KSM], [Tuning], [Exclude]");
}

static void test_syntax_error(void) {
        check_text_fails("[Engine]\ncycle_secs 60\n", MAIN_FILE ":2: syntax error",
                         "expected [Section], key=value or a comment (# or ;)");
        check_text_fails("[Engine\ncycle_secs=60\n", MAIN_FILE ":1: syntax error");
        /* Continues no key: the section started anew. */
        check_text_fails("[Engine]\ncycle_secs=60\n[Zram]\n  lz4\n", MAIN_FILE ":4: syntax error");
}

static void test_long_line(void) {
        char text[512];
        int n;
        Config c;

        /* 198 characters and the newline fit inih's line buffer; 199 do
         * not, not even in a comment. */
        n = snprintf(text, sizeof(text), "[Exclude]\nexcluded_cgroups=/%0180d\n", 0);
        ASSERT_EQ_INT(n, (int) strlen("[Exclude]\n") + 198 + 1);
        load_text(text, &(ConfigLoadArgs){}, &c);
        ASSERT_EQ_U64(c.n_excluded_cgroups, 1);
        ASSERT_EQ_U64(strlen(c.excluded_cgroups[0]), 181);
        config_done(&c);

        snprintf(text, sizeof(text), "[Exclude]\nexcluded_cgroups=/%0181d\n", 0);
        check_text_fails(text, MAIN_FILE ":2: line is longer than 198 characters");
        /* The same for a last line without a newline. */
        snprintf(text, sizeof(text), "[Exclude]\n\n#%0198d", 0);
        check_text_fails(text, MAIN_FILE ":3: line is longer than 198 characters");
}

static void test_nul_byte(void) {
        static const char text[] = "[Engine]\ncycle_secs=6\0"
                                   "0\n";

        check_text_fails_len(text, sizeof(text) - 1, STRV(MAIN_FILE ":2: line contains a NUL byte"));
}

static void test_first_error_wins(void) {
        char *dir, *error;

        /* A bad value before a syntax error, and the other way round. */
        check_text_fails("[Engine]\ncycle_secs=1\n\nnonsense\n", MAIN_FILE ":2: [Engine] cycle_secs=1");
        check_text_fails("[Engine]\nnonsense\ncycle_secs=1\n", MAIN_FILE ":2: syntax error");
        /* A long line before a syntax error. */
        check_text_fails("[Engine]\n#"
                         "0123456789012345678901234567890123456789012345678901234567890123456789"
                         "0123456789012345678901234567890123456789012345678901234567890123456789"
                         "0123456789012345678901234567890123456789012345678901234567890123456789\n"
                         "nonsense\n",
                         MAIN_FILE ":2: line is longer");
        /* Across files: the main file, then the drop-ins by name. */
        dir = tempdir_new();
        tempdir_write_string(dir, "etc/wolfram/wolfram.conf", "[Engine]\ncycle_secs=60\n");
        tempdir_write_string(dir, "usr/lib/wolfram/wolfram.conf.d/10-a.conf",
                             "[Engine]\n\nidle_sample_secs=0\n");
        tempdir_write_string(dir, "etc/wolfram/wolfram.conf.d/20-b.conf", "[Nope]\nx=1\n");
        ASSERT_OK(root_set_prefix(dir));
        error = load_fails(&(ConfigLoadArgs){});
        ASSERT_CONTAINS(error, "/usr/lib/wolfram/wolfram.conf.d/10-a.conf:3: [Engine] idle_sample_secs=0");
        free(error);
        fixture_root_reset();
        tempdir_remove(dir);
}

static void test_cross_cold_pageout(void) {
        Config c;

        check_text_fails("[Engine]\ncold_threshold=0.8\npageout_threshold=0.6\n",
                         "cold_threshold=0.8 (" MAIN_FILE ":2) is above pageout_threshold=0.6 (" MAIN_FILE
                         ":3)");
        check_text_fails("[Engine]\ncold_threshold=0.9\n",
                         "cold_threshold=0.9 (" MAIN_FILE ":2) is above pageout_threshold=0.7 (default)");
        load_text("[Engine]\ncold_threshold=0.7\n", &(ConfigLoadArgs){}, &c);
        config_done(&c);
}

static void test_cross_idle_cycle(void) {
        check_text_fails(
                "[Engine]\ncycle_secs=30\n",
                "idle_sample_secs=30 (profile server) must be shorter than cycle_secs=30 (" MAIN_FILE ":2)");
        check_text_fails("[Engine]\nprofile=desktop\nidle_sample_secs=120\n",
                         "idle_sample_secs=120 (" MAIN_FILE
                         ":3) must be shorter than cycle_secs=120 (profile "
                         "desktop)");
}

static void test_cross_shrink_grow(void) {
        check_text_fails("[Zram]\nshrink_at_percent=80\n", "[Zram] shrink_at_percent=80 (" MAIN_FILE
                                                           ":2) must be below grow_at_percent=80 (default)");
        check_text_fails("[Zram]\nshrink_at_percent=50\ngrow_at_percent=20\n",
                         "shrink_at_percent=50 (" MAIN_FILE
                         ":2) must be below grow_at_percent=20 (" MAIN_FILE ":3)");
}

static void test_cross_initial_max(void) {
        char *cli[] = { "Zram.max_percent=2" }, *dir, *error;

        check_text_fails("[Zram]\ninitial_percent=60\nmax_percent=50\n",
                         "[Zram] initial_percent=60 (" MAIN_FILE ":2) is above max_percent=50 (" MAIN_FILE
                         ":3)");
        dir = text_root("", 0);
        error = load_fails(&(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = 1 });
        ASSERT_CONTAINS(error, "initial_percent=3 (default) is above max_percent=2 (command line "
                               "(Zram.max_percent=2))");
        free(error);
        fixture_root_reset();
        tempdir_remove(dir);
}

static const TestCase cases[] = {
        { "bad-number", test_bad_number },
        { "bad-range", test_bad_range },
        { "bad-boolean", test_bad_boolean },
        { "bad-ratio", test_bad_ratio },
        { "bad-enum", test_bad_enum },
        { "bad-profile", test_bad_profile },
        { "knob-skip", test_knob_skip },
        { "bad-knob", test_bad_knob },
        { "bad-list-item", test_bad_list_item },
        { "bad-path", test_bad_path },
        { "unknown-key", test_unknown_key },
        { "unknown-section", test_unknown_section },
        { "key-outside-section", test_key_outside_section },
        { "syntax-error", test_syntax_error },
        { "long-line", test_long_line },
        { "nul-byte", test_nul_byte },
        { "first-error-wins", test_first_error_wins },
        { "cross-cold-pageout", test_cross_cold_pageout },
        { "cross-idle-cycle", test_cross_idle_cycle },
        { "cross-shrink-grow", test_cross_shrink_grow },
        { "cross-initial-max", test_cross_initial_max },
};

TEST_MAIN(cases)
