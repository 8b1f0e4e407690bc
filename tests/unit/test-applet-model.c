/* SPDX-License-Identifier: MIT */
/* The applet's model: what a GetStats answer and PropertiesChanged make of
 * the icon, the status, the tooltip and the menu. The strings are checked
 * untranslated (the test runs in the C locale). */

#include <glib.h>
#include <locale.h>

#include "applet-menu.h"
#include "applet-model.h"
#include "test-util.h"

/* GLib keeps a number and its unit together with a no-break space. */
#define NBSP "\xc2\xa0"

/* A GetStats answer as wolframd 0.1.0 sends it, cut to what the applet reads
 * plus neighbours it must ignore. */
#define STATS_RUNNING                                                                                       \
        "{'Version': <'0.1.0'>, 'State': <'running'>, 'Paused': <false>, 'SavedBytes': <uint64 994050048>," \
        " 'PoolSavedBytes': <uint64 788529152>, 'MemoryTotalBytes': <uint64 25276502016>,"                  \
        " 'Pool': <{'Devices': <['zram1']>, 'OriginalBytes': <uint64 1073741824>,"                          \
        " 'CompressedBytes': <uint64 268435456>, 'MemoryUsedBytes': <uint64 283115520>,"                    \
        " 'CompressionRatio': <4.0>}>,"                                                                     \
        " 'Ksm': <{'Mode': <'advisor'>, 'SavedBytes': <int64 205520896>, 'CpuPercent': <1.25>}>}"

static GVariant *parse(const char *text) {
        GVariant *v = g_variant_ref_sink(g_variant_new_parsed(text));

        ASSERT_NOT_NULL(v);
        return v;
}

static void model_done(AppletModel *m) {
        applet_model_clear(m);
        g_free(m->last_error);
}

static void test_running_figures(void) {
        g_autoptr(GVariant) stats = parse(STATS_RUNNING);
        AppletModel m = { .state = APPLET_ENGINE_ABSENT };
        g_autofree gchar *title = NULL, *body = NULL, *saved = NULL, *pool = NULL, *ksm = NULL;

        ASSERT_TRUE(applet_model_update_from_stats(&m, stats));
        ASSERT_EQ_INT(m.state, APPLET_ENGINE_RUNNING);
        ASSERT_STREQ(m.version, "0.1.0");
        ASSERT_EQ_U64(m.saved_bytes, 994050048);
        ASSERT_EQ_U64(m.pool_saved_bytes, 788529152);
        ASSERT_EQ_U64(m.pool_original_bytes, 1073741824);
        ASSERT_EQ_U64(m.pool_memory_used_bytes, 283115520);
        ASSERT_EQ_I64(m.ksm_saved_bytes, 205520896);
        ASSERT_STREQ(applet_model_icon_name(&m), "wolfram-active");
        ASSERT_STREQ(applet_model_sni_status(&m), "Active");
        ASSERT_STREQ(applet_model_toggle_label(&m), "Pause");

        title = applet_model_tooltip_title(&m);
        ASSERT_STREQ(title, "wolfram: 948.0" NBSP "MiB saved");
        saved = applet_model_menu_saved(&m);
        ASSERT_STREQ(saved, "Saved now: 948.0" NBSP "MiB");
        pool = applet_model_menu_pool(&m);
        ASSERT_STREQ(pool, "Compressed (zram): 1.0" NBSP "GiB in 270.0" NBSP "MiB of RAM, ratio 4.00");
        ksm = applet_model_menu_ksm(&m);
        ASSERT_STREQ(ksm, "Merged (KSM): 196.0" NBSP "MiB");
        body = applet_model_tooltip_body(&m);
        ASSERT_STREQ(body, "Compressed (zram): 1.0" NBSP "GiB in 270.0" NBSP
                           "MiB of RAM, ratio 4.00\nMerged (KSM): 196.0" NBSP "MiB");
        ASSERT_NULL(applet_model_menu_error(&m));
        model_done(&m);
}

static void test_paused(void) {
        g_autoptr(GVariant) stats =
                parse("{'State': <'paused'>, 'Paused': <true>, 'SavedBytes': <uint64 1024>}");
        AppletModel m = { .state = APPLET_ENGINE_ABSENT };
        g_autofree gchar *title = NULL;

        ASSERT_TRUE(applet_model_update_from_stats(&m, stats));
        ASSERT_EQ_INT(m.state, APPLET_ENGINE_PAUSED);
        ASSERT_STREQ(applet_model_icon_name(&m), "wolfram-paused");
        ASSERT_STREQ(applet_model_sni_status(&m), "Active");
        ASSERT_STREQ(applet_model_toggle_label(&m), "Resume");
        title = applet_model_tooltip_title(&m);
        ASSERT_STREQ(title, "wolfram is paused: 1.0" NBSP "KiB saved");
        model_done(&m);
}

static void test_absent(void) {
        g_autoptr(GVariant) stats = parse(STATS_RUNNING);
        AppletModel m = { .state = APPLET_ENGINE_ABSENT };
        g_autofree gchar *title = NULL, *body = NULL, *saved = NULL, *pool = NULL, *ksm = NULL;

        ASSERT_TRUE(applet_model_update_from_stats(&m, stats));
        applet_model_clear(&m);
        ASSERT_EQ_INT(m.state, APPLET_ENGINE_ABSENT);
        ASSERT_FALSE(m.have_stats);
        ASSERT_EQ_U64(m.saved_bytes, 0);
        ASSERT_NULL(m.version);
        ASSERT_STREQ(applet_model_icon_name(&m), "wolfram-offline");
        ASSERT_STREQ(applet_model_sni_status(&m), "Active");
        title = applet_model_tooltip_title(&m);
        ASSERT_STREQ(title, "wolfram is not running");
        body = applet_model_tooltip_body(&m);
        ASSERT_STREQ(body,
                     "The memory engine (wolframd) is not running\nStart it with: systemctl start wolfram");
        saved = applet_model_menu_saved(&m);
        ASSERT_STREQ(saved, "The memory engine (wolframd) is not running");
        pool = applet_model_menu_pool(&m);
        ASSERT_NULL(pool);
        ksm = applet_model_menu_ksm(&m);
        ASSERT_NULL(ksm);
        model_done(&m);
}

/* An engine without State and Paused (older than the control surface)
 * answers, so it runs. */
static void test_old_engine(void) {
        g_autoptr(GVariant) stats = parse("{'SwapUsedBytes': <uint64 5>}");
        AppletModel m = { .state = APPLET_ENGINE_ABSENT };
        g_autofree gchar *pool = NULL;

        ASSERT_TRUE(applet_model_update_from_stats(&m, stats));
        ASSERT_EQ_INT(m.state, APPLET_ENGINE_RUNNING);
        ASSERT_EQ_U64(m.saved_bytes, 0);
        pool = applet_model_menu_pool(&m);
        ASSERT_STREQ(pool, "Compressed (zram): nothing yet");
        model_done(&m);
}

/* A key of another type than the contract's keeps the old value. */
static void test_wrong_types(void) {
        g_autoptr(GVariant) good = parse(STATS_RUNNING);
        g_autoptr(GVariant) bad = parse("{'SavedBytes': <int32 7>, 'State': <uint32 1>, 'Pool': <'zram1'>,"
                                        " 'Ksm': <{'SavedBytes': <uint64 1>}>}");
        AppletModel m = { .state = APPLET_ENGINE_ABSENT };

        ASSERT_TRUE(applet_model_update_from_stats(&m, good));
        ASSERT_TRUE(applet_model_update_from_stats(&m, bad));
        ASSERT_EQ_INT(m.state, APPLET_ENGINE_RUNNING);
        ASSERT_EQ_U64(m.saved_bytes, 994050048);
        ASSERT_EQ_U64(m.pool_original_bytes, 1073741824);
        ASSERT_EQ_I64(m.ksm_saved_bytes, 205520896);
        model_done(&m);
}

static void test_not_a_dictionary(void) {
        g_autoptr(GVariant) array = parse("[uint64 1, 2]");
        g_autoptr(GVariant) tuple = parse("({'State': <'paused'>},)");
        AppletModel m = { .state = APPLET_ENGINE_ABSENT };

        ASSERT_FALSE(applet_model_update_from_stats(&m, array));
        ASSERT_FALSE(applet_model_update_from_stats(&m, tuple));
        ASSERT_FALSE(applet_model_update_from_stats(&m, NULL));
        ASSERT_EQ_INT(m.state, APPLET_ENGINE_ABSENT);
        ASSERT_FALSE(m.have_stats);
        ASSERT_FALSE(applet_model_update_from_changed(&m, array));
        model_done(&m);
}

static void test_properties_changed(void) {
        g_autoptr(GVariant) paused = parse("{'State': <'paused'>, 'Paused': <true>}");
        g_autoptr(GVariant) only_paused = parse("{'Paused': <false>}");
        g_autoptr(GVariant) other = parse("{'CycleCount': <uint64 4>, 'TotalPagedOutBytes': <uint64 9>}");
        AppletModel m = { .state = APPLET_ENGINE_RUNNING };

        ASSERT_TRUE(applet_model_update_from_changed(&m, paused));
        ASSERT_EQ_INT(m.state, APPLET_ENGINE_PAUSED);
        ASSERT_FALSE(applet_model_update_from_changed(&m, paused)); /* the same again: no change */
        ASSERT_FALSE(applet_model_update_from_changed(&m, other));
        ASSERT_EQ_INT(m.state, APPLET_ENGINE_PAUSED);
        ASSERT_TRUE(applet_model_update_from_changed(&m, only_paused));
        ASSERT_EQ_INT(m.state, APPLET_ENGINE_RUNNING);
        model_done(&m);
}

/* The last refusal shows in the menu and the tooltip until cleared, and
 * survives the engine leaving. */
static void test_error_shown(void) {
        g_autoptr(GVariant) stats = parse(STATS_RUNNING);
        AppletModel m = { .state = APPLET_ENGINE_ABSENT };
        g_autofree gchar *body = NULL, *body_absent = NULL, *item = NULL;

        ASSERT_TRUE(applet_model_update_from_stats(&m, stats));
        applet_model_set_error(&m, "Could not pause: Not authorized");
        item = applet_model_menu_error(&m);
        ASSERT_STREQ(item, "Could not pause: Not authorized");
        body = applet_model_tooltip_body(&m);
        ASSERT_TRUE(g_str_has_suffix(body, "\nCould not pause: Not authorized"));
        applet_model_clear(&m);
        body_absent = applet_model_tooltip_body(&m);
        ASSERT_STREQ(body_absent,
                     "The memory engine (wolframd) is not running\nStart it with: systemctl start wolfram\n"
                     "Could not pause: Not authorized");
        applet_model_set_error(&m, NULL);
        ASSERT_NULL(applet_model_menu_error(&m));
        model_done(&m);
}

/* An error quoting a name that holds a newline, an escape sequence and a
 * byte that is not UTF-8: one line of valid UTF-8 in the menu and tooltip. */
static void test_error_escaped(void) {
        AppletModel m = { .state = APPLET_ENGINE_RUNNING };
        g_autofree gchar *item = NULL, *body = NULL;

        applet_model_set_error(&m, "Could not pause: bad\xff name\n<0>\x1b[31mred");
        item = applet_model_menu_error(&m);
        ASSERT_STREQ(item, "Could not pause: bad\\xff name\\n<0>\\x1b[31mred");
        ASSERT_TRUE(g_utf8_validate(item, -1, NULL));
        body = applet_model_tooltip_body(&m);
        ASSERT_TRUE(g_utf8_validate(body, -1, NULL));
        /* The error is the body's last line, and it is one line. */
        ASSERT_NULL(strchr(item, '\n'));
        ASSERT_TRUE(g_str_has_suffix(body, item) && body[strlen(body) - strlen(item) - 1] == '\n');
        model_done(&m);
}

/* The kernel's KSM estimate is negative while KSM costs more than it saves. */
static void test_ksm_negative(void) {
        g_autoptr(GVariant) stats =
                parse("{'State': <'running'>, 'Ksm': <{'SavedBytes': <int64 -2359296>}>}");
        AppletModel m = { .state = APPLET_ENGINE_ABSENT };
        g_autofree gchar *ksm = NULL;

        ASSERT_TRUE(applet_model_update_from_stats(&m, stats));
        ASSERT_EQ_I64(m.ksm_saved_bytes, -2359296);
        ksm = applet_model_menu_ksm(&m);
        ASSERT_STREQ(ksm, "Merged (KSM): 0 bytes");
        model_done(&m);
}

static void test_format_bytes(void) {
        g_autofree gchar *zero = applet_format_bytes(0), *kib = applet_format_bytes(1536),
                         *big = applet_format_bytes(G_MAXUINT64);

        ASSERT_STREQ(zero, "0 bytes");
        ASSERT_STREQ(kib, "1.5" NBSP "KiB");
        ASSERT_STREQ(big, "16.0" NBSP "EiB");
}

/* dbusmenu reads one underscore as a mnemonic: labels keep theirs. */
static void test_menu_label_escape(void) {
        g_autofree gchar *plain = applet_menu_escape_label("Saved now: 1" NBSP "MiB"),
                         *under = applet_menu_escape_label("Could not pause: no_agent__here_"),
                         *empty = applet_menu_escape_label("");

        ASSERT_STREQ(plain, "Saved now: 1" NBSP "MiB");
        ASSERT_STREQ(under, "Could not pause: no__agent____here__");
        ASSERT_STREQ(empty, "");
}

static const TestCase cases[] = {
        { "running-figures", test_running_figures },
        { "paused", test_paused },
        { "absent", test_absent },
        { "old-engine", test_old_engine },
        { "wrong-types", test_wrong_types },
        { "not-a-dictionary", test_not_a_dictionary },
        { "properties-changed", test_properties_changed },
        { "error-shown", test_error_shown },
        { "error-escaped", test_error_escaped },
        { "ksm-negative", test_ksm_negative },
        { "format-bytes", test_format_bytes },
        { "menu-label-escape", test_menu_label_escape },
};

int main(int argc, char *argv[]) {
        setlocale(LC_ALL, "C.UTF-8");
        return test_main(cases, G_N_ELEMENTS(cases), argc, argv);
}
