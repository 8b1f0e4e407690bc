/* SPDX-License-Identifier: MIT */
/* What --print-config writes (and that it reads back the same), and that
 * wolfram.conf(5) documents every key. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "test-config-util.h"

/* config-every-key's drop-in with the keys for other tools. */
#define EXPORT_DROPIN "/etc/wolfram/wolfram.conf.d/50-export.conf"

/* Expects the line that starts "setting" (key=value) to end with the
 * comment "; comment", only blanks between. */
static void assert_printed(const char *text, const char *setting, const char *comment) {
        size_t len = strlen(setting);

        for (const char *line = text, *end; *line; line = *end ? end + 1 : end) {
                const char *p = line + len;

                end = strchrnul(line, '\n');
                if (strncmp(line, setting, len) != 0 || *p != ' ')
                        continue;
                p += strspn(p, " ");
                if ((size_t) (end - p) == strlen(comment) + 2 && strncmp(p, "; ", 2) == 0 &&
                    strncmp(p + 2, comment, strlen(comment)) == 0)
                        return;
                TEST_FAIL("Expected \"%s\" with \"; %s\", got \"%.*s\"", setting, comment,
                          (int) (end - line), line);
        }
        TEST_FAIL("No line \"%s\" in:\n%s", setting, text);
}

static void test_print(void) {
        Config c;
        char *text;

        load_root("config-profile-desktop", &c);
        text = print_to_string(&c);
        for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
                ASSERT_TRUE(strchr(line, '\n'));
                ASSERT_TRUE(strchr(line, '\n') - line <= 198);
        }
        ASSERT_TRUE(strncmp(text, "# ", 2) == 0);
        ASSERT_CONTAINS(text, "\n[Engine]\nprofile=desktop ");
        ASSERT_CONTAINS(text, "\n\n[Zram]\n");
        ASSERT_CONTAINS(text, "\n\n[KSM]\n");
        ASSERT_CONTAINS(text, "\n\n[Tuning]\n");
        ASSERT_CONTAINS(text, "\n\n[Exclude]\n");
        assert_printed(text, "profile=desktop", MAIN_FILE ":6");
        assert_printed(text, "cycle_secs=120", "profile desktop");
        assert_printed(text, "cold_threshold=0.5", "default");
        assert_printed(text, "idle_backend=auto", "default");
        assert_printed(text, "dry_run=no", "default");
        /* An empty path: the default place, or none. */
        assert_printed(text, "stats_file=", "default");
        assert_printed(text, "prometheus_textfile_dir=", "default");
        assert_printed(text, "swappiness=90", MAIN_FILE ":2");
        assert_printed(text, "watermark_scale_factor=125", "profile desktop");
        /* A list: a reset that names the source, then the items. */
        assert_printed(text, "excluded_names=", "profile desktop");
        ASSERT_CONTAINS(text, "\nexcluded_names=systemd dbus sshd polkitd");
        assert_printed(text, "excluded_cgroups=", "default");
        free(text);
        config_done(&c);

        load_root("config-every-key", &c);
        text = print_to_string(&c);
        assert_printed(text, "cold_threshold=0.123456789", MAIN_FILE ":8");
        assert_printed(text, "watermark_scale_factor=200", MAIN_FILE ":38");
        assert_printed(text, "swapoff_margin_mib=512", MAIN_FILE ":24");
        assert_printed(text, "dry_run=yes", MAIN_FILE ":12");
        assert_printed(text, "algorithm=lz4", MAIN_FILE ":19");
        assert_printed(text, "stats_file=/srv/wolfram/stats.json", EXPORT_DROPIN ":3");
        assert_printed(text, "prometheus_textfile_dir=/var/lib/prometheus/node-exporter",
                       EXPORT_DROPIN ":4");
        free(text);
        config_done(&c);
}

static void assert_config_equal(const Config *a, const Config *b) {
        ASSERT_EQ_INT(a->profile, b->profile);
        ASSERT_EQ_U64(a->cycle_secs, b->cycle_secs);
        ASSERT_EQ_U64(a->idle_sample_secs, b->idle_sample_secs);
        ASSERT_EQ_U64(a->min_process_anon_mib, b->min_process_anon_mib);
        ASSERT_EQ_U64(a->min_region_kib, b->min_region_kib);
        ASSERT_TRUE(a->cold_threshold == b->cold_threshold);
        ASSERT_TRUE(a->pageout_threshold == b->pageout_threshold);
        ASSERT_EQ_U64(a->pageout_after_cycles, b->pageout_after_cycles);
        ASSERT_EQ_U64(a->idle_backend, b->idle_backend);
        ASSERT_EQ_INT(a->dry_run, b->dry_run);
        ASSERT_EQ_INT(a->enable_hibernation, b->enable_hibernation);
        ASSERT_EQ_U64(a->hibernate_after_cycles, b->hibernate_after_cycles);
        ASSERT_EQ_INT(a->enable_port_proxy, b->enable_port_proxy);
        ASSERT_EQ_INT(!a->stats_file, !b->stats_file);
        if (a->stats_file)
                ASSERT_STREQ(a->stats_file, b->stats_file);
        ASSERT_STREQ(a->prometheus_textfile_dir, b->prometheus_textfile_dir);
        ASSERT_EQ_INT(a->zram_enabled, b->zram_enabled);
        ASSERT_EQ_U64(a->zram_algorithm, b->zram_algorithm);
        ASSERT_EQ_U64(a->zram_initial_percent, b->zram_initial_percent);
        ASSERT_EQ_U64(a->zram_max_percent, b->zram_max_percent);
        ASSERT_EQ_U64(a->zram_grow_at_percent, b->zram_grow_at_percent);
        ASSERT_EQ_U64(a->zram_shrink_at_percent, b->zram_shrink_at_percent);
        ASSERT_EQ_U64(a->zram_swapoff_margin_mib, b->zram_swapoff_margin_mib);
        ASSERT_EQ_INT(a->zram_swap_priority, b->zram_swap_priority);
        ASSERT_EQ_INT(a->ksm_enabled, b->ksm_enabled);
        ASSERT_EQ_U64(a->ksm_max_cpu_percent, b->ksm_max_cpu_percent);
        ASSERT_EQ_INT(a->tuning_enabled, b->tuning_enabled);
        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                ASSERT_EQ_INT(a->knobs[k], b->knobs[k]);
        ASSERT_EQ_U64(a->n_excluded_names, b->n_excluded_names);
        for (size_t i = 0; i < a->n_excluded_names; i++)
                ASSERT_STREQ(a->excluded_names[i], b->excluded_names[i]);
        ASSERT_EQ_U64(a->n_only_cgroups, b->n_only_cgroups);
        for (size_t i = 0; i < a->n_only_cgroups; i++)
                ASSERT_STREQ(a->only_cgroups[i], b->only_cgroups[i]);
        ASSERT_EQ_U64(a->n_excluded_cgroups, b->n_excluded_cgroups);
        for (size_t i = 0; i < a->n_excluded_cgroups; i++)
                ASSERT_STREQ(a->excluded_cgroups[i], b->excluded_cgroups[i]);
}

/* Prints 'a', reads that back as the only file with the same profile, and
 * expects the same configuration. */
static void check_round_trip(const Config *a) {
        char *dir = tempdir_new(), *path = tempdir_path(dir, "printed.conf"), *profile = NULL, *error = NULL;
        Config b;
        FILE *f;
        int r;

        f = fopen(path, "we");
        ASSERT_NOT_NULL(f);
        config_print(a, f);
        ASSERT_TRUE(fclose(f) == 0);

        ASSERT_TRUE(asprintf(&profile, "Engine.profile=%s", profile_to_string(a->profile)) > 0);
        r = config_load(&(ConfigLoadArgs){ .config_file = path,
                                           .cli_assignments = &profile,
                                           .n_cli_assignments = 1 },
                        &b, &error);
        if (r < 0)
                TEST_FAIL("Reading the printed configuration failed: %s: %s", test_errno_name(r),
                          strnull(error));
        assert_config_equal(a, &b);

        config_done(&b);
        free(profile);
        free(path);
        tempdir_remove(dir);
}

static void test_print_round_trip(void) {
        static const char *const roots[] = {
                "config-none",         "config-every-key",         "config-profile-desktop",
                "config-dropin-order", "config-list-continuation", "config-list-reset",
        };
        char *cli[] = { "Exclude.excluded_cgroups=/cli.slice", "Tuning.swappiness=skip",
                        "Engine.stats_file=no", "Engine.prometheus_textfile_dir=/run/node exporter/" };
        char *text = NULL;
        size_t size = 0;
        Config c;
        FILE *f;

        for (size_t i = 0; i < ELEMENTSOF(roots); i++) {
                load_root(roots[i], &c);
                check_round_trip(&c);
                config_done(&c);
        }
        load_args("config-dropin-order", &(ConfigLoadArgs){ .cli_assignments = cli, .n_cli_assignments = 4 },
                  &c);
        ASSERT_NULL(c.stats_file);
        ASSERT_STREQ(c.prometheus_textfile_dir, "/run/node exporter/");
        check_round_trip(&c);
        config_done(&c);

        /* A list of many items from many lines: printed on several lines,
         * its long source cut short to keep each line readable. */
        f = open_memstream(&text, &size);
        ASSERT_NOT_NULL(f);
        fprintf(f, "[Exclude]\nexcluded_names=first\n");
        for (int line = 0; line < 40; line++)
                fprintf(f, "        worker-%03d-a worker-%03d-b worker-%03d-c\n", line, line, line);
        ASSERT_TRUE(fclose(f) == 0);
        load_text(text, &(ConfigLoadArgs){}, &c);
        ASSERT_EQ_U64(c.n_excluded_names, 7 + 1 + 120);
        ASSERT_TRUE(strlen(source_of(&c, "Exclude", "excluded_names")) > 198);
        check_round_trip(&c);
        config_done(&c);
        free(text);
}

static char *man_section(const char *man, const char *section) {
        char heading[64], *start, *end;

        snprintf(heading, sizeof(heading), "\n.SS [%s]\n", section);
        start = strstr(man, heading);
        if (!start)
                TEST_FAIL("docs/wolfram.conf.5 has no \".SS [%s]\"", section);
        start += strlen(heading);
        end = start + strlen(start);
        for (const char *h = start; (h = strstr(h, "\n.S")); h++)
                if (h[3] == 'S' || h[3] == 'H') {
                        end = (char *) h;
                        break;
                }
        return strndup(start, (size_t) (end - start));
}

/* Whether 'part' documents 'key' as ".B key=" or ".BI key= VALUE". */
static bool man_documents(const char *part, const char *key) {
        char b[80], bi[80];

        snprintf(b, sizeof(b), "\n.B %s=", key);
        snprintf(bi, sizeof(bi), "\n.BI %s= ", key);
        return strstr(part, b) || strstr(part, bi);
}

static void test_man_page_lists_every_key(void) {
        const char *source_dir = getenv("WOLFRAM_SOURCE_DIR");
        char *path, *man, *text, *part = NULL, keys[2048] = " ", current[32] = "";
        PrintedKeys w;
        Config c;

        if (!source_dir || !*source_dir)
                TEST_FAIL("%s", "WOLFRAM_SOURCE_DIR is not set; run the unit tests through 'meson test'.");
        ASSERT_TRUE(asprintf(&path, "%s/docs/wolfram.conf.5", source_dir) > 0);
        man = test_read_file(path);
        if (!man)
                TEST_FAIL("%s does not exist", path);

        load_root("config-none", &c);
        text = print_to_string(&c);
        for (w = (PrintedKeys){ .p = text }; printed_keys_next(&w);) {
                if (!streq(w.section, current)) {
                        free(part);
                        part = man_section(man, w.section);
                        memcpy(current, w.section, sizeof(current));
                }
                if (!man_documents(part, w.key))
                        TEST_FAIL("docs/wolfram.conf.5 does not document [%s] %s as \".B %s=\" or \".BI %s= "
                                  "VALUE\"",
                                  w.section, w.key, w.key, w.key);
                /* "Section.key " for the check the other way round. */
                ASSERT_TRUE(strlen(keys) + strlen(w.section) + strlen(w.key) + 3 < sizeof(keys));
                strcat(keys, w.section);
                strcat(keys, ".");
                strcat(keys, w.key);
                strcat(keys, " ");
        }
        free(part);

        /* And no key documented that the engine does not know. */
        for (const char *h = man; (h = strstr(h, "\n.SS [")); h++) {
                char section[32];
                const char *end;

                if (sscanf(h, "\n.SS [%31[^]]]", section) != 1)
                        TEST_FAIL("Cannot read the heading at \"%.20s\"", h + 1);
                part = man_section(man, section);
                for (const char *k = part; (k = strstr(k, "\n.B")); k++) {
                        char entry[128];

                        k += strlen("\n.B");
                        if (*k == 'I')
                                k++;
                        if (*k != ' ')
                                continue;
                        end = strchrnul(k + 1, '\n');
                        if (!memchr(k + 1, '=', (size_t) (end - k - 1)))
                                continue;
                        snprintf(entry, sizeof(entry), " %s.%.*s ", section, (int) strcspn(k + 1, "="),
                                 k + 1);
                        if (!strstr(keys, entry))
                                TEST_FAIL(
                                        "docs/wolfram.conf.5 documents%sin [%s], which config_print() lacks",
                                        entry, section);
                }
                free(part);
        }

        free(text);
        free(man);
        free(path);
        config_done(&c);
}

static const TestCase cases[] = {
        { "print", test_print },
        { "print-round-trip", test_print_round_trip },
        { "man-page-lists-every-key", test_man_page_lists_every_key },
};

TEST_MAIN(cases)
