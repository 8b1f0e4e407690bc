/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/macro.h"
#include "common/paths.h"
#include "config/config.h"
#include "kernel/tuning.h"
#include "test-tempdir.h"
#include "test-util.h"

/* The files under /proc/sys/vm, in TuningKnob order. */
static const char *const knob_files[_KNOB_MAX] = {
        "swappiness",
        "page-cluster",
        "vfs_cache_pressure",
        "compaction_proactiveness",
        "watermark_boost_factor",
        "watermark_scale_factor",
};

/* In a sandbox's values: no such file, as on a kernel without the knob. */
#define MISSING LONG_MIN

/* What a kernel might have, what the server profile sets, and the state
 * file that records the originals of what it sets. */
static const long originals[_KNOB_MAX] = { 60, 3, 100, 20, 15000, 10 };
static const int configured[_KNOB_MAX] = { 100, 0, 200, 0, 0, KNOB_SKIP };
static const long applied[_KNOB_MAX] = { 100, 0, 200, 0, 0, 10 };
#define SAVED_ORIGINALS                                                    \
        "vm.swappiness=60\nvm.page-cluster=3\nvm.vfs_cache_pressure=100\n" \
        "vm.compaction_proactiveness=20\nvm.watermark_boost_factor=15000\n"

#define STATE_FILE "run/" TUNING_STATE_FILE

/* A root whose /proc/sys/vm holds 'values', and an empty runtime
 * directory below it; the engine is pointed at both. */
static char *sandbox_new(const long values[_KNOB_MAX], Tuning *t) {
        char *dir = tempdir_new(), *run = tempdir_path(dir, "run");

        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                char rel[128], text[32];

                if (values[k] == MISSING)
                        continue;
                snprintf(rel, sizeof(rel), "proc/sys/vm/%s", knob_files[k]);
                snprintf(text, sizeof(text), "%ld\n", values[k]);
                tempdir_write_string(dir, rel, text);
        }
        if (mkdir(run, 0755) < 0)
                TEST_FAIL("Failed to create %s: %m", run);
        ASSERT_OK(root_set_prefix(dir));
        ASSERT_OK(tuning_init(t, run));
        free(run);
        return dir;
}

static void sandbox_remove(char *dir, Tuning *t) {
        tuning_done(t);
        ASSERT_OK(root_set_prefix(NULL));
        tempdir_remove(dir);
}

/* Expects each knob file to hold exactly its value and a newline. */
static void assert_knobs(const char *dir, const long expected[_KNOB_MAX]) {
        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                char rel[128], text[32], *content;

                snprintf(rel, sizeof(rel), "proc/sys/vm/%s", knob_files[k]);
                content = tempdir_read(dir, rel);
                if (expected[k] == MISSING) {
                        ASSERT_NULL(content);
                        continue;
                }
                snprintf(text, sizeof(text), "%ld\n", expected[k]);
                if (!content || strcmp(content, text) != 0)
                        TEST_FAIL("Expected vm.%s to hold \"%ld\\n\", got \"%s\"", knob_files[k],
                                  expected[k], content ? content : "(missing)");
                free(content);
        }
}

static void assert_state_file(const char *dir, const char *expected) {
        char *content = tempdir_read(dir, STATE_FILE);

        if (!expected)
                ASSERT_NULL(content);
        else
                ASSERT_STREQ(content, expected);
        free(content);
}

static Config config_with(const int knobs[_KNOB_MAX]) {
        Config c = { .tuning_enabled = true };

        memcpy(c.knobs, knobs, sizeof(c.knobs));
        return c;
}

static void parse(const char *buf, bool saved[_KNOB_MAX], long original[_KNOB_MAX]) {
        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                saved[k] = false;
                original[k] = 4242;
        }
        ASSERT_OK(tuning_state_parse(buf, strlen(buf), saved, original));
}

static void test_state_parse_good(void) {
        bool saved[_KNOB_MAX];
        long original[_KNOB_MAX];

        parse(SAVED_ORIGINALS "vm.watermark_scale_factor=10\n", saved, original);
        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                ASSERT_TRUE(saved[k]);
                ASSERT_EQ_I64(original[k], originals[k]);
        }
}

static void test_state_parse_garbage(void) {
        static const char text[] = "garbage\n"
                                   "vm.dirty_ratio=20\n" /* not ours */
                                   "vm.page_cluster=1\n" /* the config key, not the sysctl */
                                   "swappiness=5\n" /* no vm. */
                                   "kernel.swappiness=7\n"
                                   "=5\n"
                                   "vm.=5\n"
                                   "vm.swappiness\n"
                                   "vm.swappiness=\n"
                                   "vm.swappiness=abc\n"
                                   "vm.swappiness=60 \n"
                                   "vm.swappiness= 60\n"
                                   "vm.swappiness=60\r\n"
                                   "vm.swappiness=99999999999999999999\n"
                                   "\x01\x02\xff\n"
                                   "\n"
                                   "vm.vfs_cache_pressure=100\n"
                                   "vm.watermark_scale_factor=10=11\n";
        bool saved[_KNOB_MAX];
        long original[_KNOB_MAX];

        parse(text, saved, original);
        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                ASSERT_EQ_INT(saved[k], k == KNOB_VFS_CACHE_PRESSURE);
                ASSERT_EQ_I64(original[k], k == KNOB_VFS_CACHE_PRESSURE ? 100 : 4242);
        }
}

static void test_state_parse_negative(void) {
        bool saved[_KNOB_MAX];
        long original[_KNOB_MAX];

        parse("vm.swappiness=-1\nvm.watermark_scale_factor=-2147483648\n", saved, original);
        ASSERT_TRUE(saved[KNOB_SWAPPINESS]);
        ASSERT_EQ_I64(original[KNOB_SWAPPINESS], -1);
        ASSERT_TRUE(saved[KNOB_WATERMARK_SCALE_FACTOR]);
        ASSERT_EQ_I64(original[KNOB_WATERMARK_SCALE_FACTOR], -2147483648L);
        ASSERT_FALSE(saved[KNOB_PAGE_CLUSTER]);
}

static void test_state_parse_no_newline(void) {
        bool saved[_KNOB_MAX];
        long original[_KNOB_MAX];

        parse("vm.swappiness=60\nvm.page-cluster=3", saved, original);
        ASSERT_TRUE(saved[KNOB_SWAPPINESS]);
        ASSERT_EQ_I64(original[KNOB_SWAPPINESS], 60);
        ASSERT_TRUE(saved[KNOB_PAGE_CLUSTER]);
        ASSERT_EQ_I64(original[KNOB_PAGE_CLUSTER], 3);
        ASSERT_FALSE(saved[KNOB_VFS_CACHE_PRESSURE]);
}

static void test_state_parse_empty(void) {
        static const char *const texts[] = { "", "\n", "\n\n\n" };
        bool saved[_KNOB_MAX];
        long original[_KNOB_MAX];

        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                parse(texts[i], saved, original);
                for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                        ASSERT_FALSE(saved[k]);
                        ASSERT_EQ_I64(original[k], 4242);
                }
        }
}

static void test_apply_restore(void) {
        Config c = config_with(configured);
        Tuning t;
        char *dir = sandbox_new(originals, &t);

        ASSERT_OK(tuning_apply(&t, &c));
        assert_knobs(dir, applied);
        assert_state_file(dir, SAVED_ORIGINALS);
        for (TuningKnob k = 0; k < _KNOB_MAX; k++) {
                ASSERT_EQ_INT(t.saved[k], k != KNOB_WATERMARK_SCALE_FACTOR);
                ASSERT_EQ_INT(t.applied[k], k != KNOB_WATERMARK_SCALE_FACTOR);
        }

        /* The next cycle: the originals stay what the kernel had first. */
        ASSERT_OK(tuning_apply(&t, &c));
        assert_knobs(dir, applied);
        assert_state_file(dir, SAVED_ORIGINALS);

        ASSERT_OK(tuning_restore(&t));
        assert_knobs(dir, originals);
        assert_state_file(dir, NULL);
        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                ASSERT_FALSE(t.saved[k] || t.applied[k]);
        sandbox_remove(dir, &t);
}

static void test_missing_knob(void) {
        long values[_KNOB_MAX], expected[_KNOB_MAX];
        Config c = config_with(configured);
        Tuning t;
        char *dir;

        memcpy(values, originals, sizeof(values));
        values[KNOB_WATERMARK_BOOST_FACTOR] = MISSING;
        memcpy(expected, applied, sizeof(expected));
        expected[KNOB_WATERMARK_BOOST_FACTOR] = MISSING;
        dir = sandbox_new(values, &t);

        ASSERT_OK(tuning_apply(&t, &c));
        assert_knobs(dir, expected);
        ASSERT_TRUE(t.missing[KNOB_WATERMARK_BOOST_FACTOR]);
        ASSERT_FALSE(t.saved[KNOB_WATERMARK_BOOST_FACTOR]);
        assert_state_file(dir, "vm.swappiness=60\nvm.page-cluster=3\nvm.vfs_cache_pressure=100\n"
                               "vm.compaction_proactiveness=20\n");

        ASSERT_OK(tuning_restore(&t));
        assert_knobs(dir, values);
        assert_state_file(dir, NULL);
        sandbox_remove(dir, &t);
}

static void test_crash_recovery(void) {
        /* A previous engine set swappiness and page-cluster, then died. */
        static const long left_behind[_KNOB_MAX] = { 100, 0, 100, 20, 15000, 10 };
        Config c = config_with(configured);
        Tuning t;
        char *dir = sandbox_new(left_behind, &t);

        tempdir_write_string(dir, STATE_FILE, "vm.swappiness=60\nvm.page-cluster=3\n");
        ASSERT_OK(tuning_apply(&t, &c));
        assert_knobs(dir, applied);
        /* Its originals, not the values it left, are what gets restored. */
        assert_state_file(dir, SAVED_ORIGINALS);
        ASSERT_EQ_I64(t.original[KNOB_SWAPPINESS], 60);

        ASSERT_OK(tuning_restore(&t));
        assert_knobs(dir, originals);
        assert_state_file(dir, NULL);
        sandbox_remove(dir, &t);
}

static void test_restore_from_state_file(void) {
        static const long left_behind[_KNOB_MAX] = { 100, 0, 100, 20, 15000, 125 };
        static const long expected[_KNOB_MAX] = { 60, 0, 100, 20, 15000, 10 };
        Tuning t;
        char *dir = sandbox_new(left_behind, &t);

        /* Stopped before it applied anything: the old originals still go back. */
        tempdir_write_string(dir, STATE_FILE, "vm.swappiness=60\nvm.watermark_scale_factor=10\n");
        ASSERT_OK(tuning_restore(&t));
        assert_knobs(dir, expected);
        assert_state_file(dir, NULL);
        sandbox_remove(dir, &t);
}

static void test_dry_run(void) {
        Config c = config_with(configured);
        Tuning t;
        char *dir = sandbox_new(originals, &t);

        c.dry_run = true;
        ASSERT_OK(tuning_apply(&t, &c));
        assert_knobs(dir, originals);
        assert_state_file(dir, NULL);
        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                ASSERT_FALSE(t.saved[k] || t.applied[k]);

        ASSERT_OK(tuning_restore(&t));
        assert_knobs(dir, originals);
        sandbox_remove(dir, &t);
}

static void test_disable_restores(void) {
        Config c = config_with(configured);
        Tuning t;
        char *dir = sandbox_new(originals, &t);

        ASSERT_OK(tuning_apply(&t, &c));
        assert_knobs(dir, applied);

        /* A reload with [Tuning] enabled=no. */
        c.tuning_enabled = false;
        ASSERT_OK(tuning_apply(&t, &c));
        assert_knobs(dir, originals);
        assert_state_file(dir, NULL);
        for (TuningKnob k = 0; k < _KNOB_MAX; k++)
                ASSERT_FALSE(t.saved[k] || t.applied[k]);
        sandbox_remove(dir, &t);
}

static void test_skip_restores_one(void) {
        static const long expected[_KNOB_MAX] = { 60, 0, 200, 0, 0, 10 };
        Config c = config_with(configured);
        Tuning t;
        char *dir = sandbox_new(originals, &t);

        ASSERT_OK(tuning_apply(&t, &c));
        assert_knobs(dir, applied);

        /* A reload with swappiness=skip. */
        c.knobs[KNOB_SWAPPINESS] = KNOB_SKIP;
        ASSERT_OK(tuning_apply(&t, &c));
        assert_knobs(dir, expected);
        assert_state_file(dir,
                          "vm.page-cluster=3\nvm.vfs_cache_pressure=100\nvm.compaction_proactiveness=20\n"
                          "vm.watermark_boost_factor=15000\n");
        ASSERT_FALSE(t.saved[KNOB_SWAPPINESS]);

        ASSERT_OK(tuning_restore(&t));
        assert_knobs(dir, originals);
        assert_state_file(dir, NULL);
        sandbox_remove(dir, &t);
}

static const TestCase cases[] = {
        { "state-parse-good", test_state_parse_good },
        { "state-parse-garbage", test_state_parse_garbage },
        { "state-parse-negative", test_state_parse_negative },
        { "state-parse-no-newline", test_state_parse_no_newline },
        { "state-parse-empty", test_state_parse_empty },
        { "apply-restore", test_apply_restore },
        { "missing-knob", test_missing_knob },
        { "crash-recovery", test_crash_recovery },
        { "restore-from-state-file", test_restore_from_state_file },
        { "dry-run", test_dry_run },
        { "disable-restores", test_disable_restores },
        { "skip-restores-one", test_skip_restores_one },
};

TEST_MAIN(cases)
