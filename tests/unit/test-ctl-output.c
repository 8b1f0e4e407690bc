/* SPDX-License-Identifier: MIT */
/* wolframctl's text and JSON output, rendered from JSON fixtures in the
 * shape bus_message_read_json() gives, compared with the expected text in
 * tests/fixtures/ctl. With WOLFRAM_CTL_WRITE_EXPECTED=DIR set, each case
 * also writes what it rendered to DIR, to review and copy over a fixture
 * after an intended change. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl-control.h"
#include "ctl/ctl-monitor.h"
#include "ctl/ctl-processes.h"
#include "ctl/ctl-stats.h"
#include "ctl/format.h"
#include "ctl/output.h"
#include "ctl/table.h"
#include "test-util.h"

static const OutputOptions human = { .bytes = false, .colour = false };
static const OutputOptions exact = { .bytes = true, .colour = false };
static const OutputOptions coloured = { .bytes = false, .colour = true };

typedef struct Capture {
        FILE *f;
        char *text;
        size_t size;
} Capture;

static FILE *capture_open(Capture *c) {
        memset(c, 0, sizeof(*c));
        c->f = open_memstream(&c->text, &c->size);
        ASSERT_NOT_NULL(c->f);
        return c->f;
}

/* Closes the stream and returns what was written; the caller frees it. */
static char *capture_close(Capture *c) {
        ASSERT_TRUE(fclose(c->f) == 0);
        return c->text;
}

static json_object *load_json(const char *rel) {
        size_t size;
        char *text = fixture_read(rel, &size);
        json_object *v = json_tokener_parse(text);

        if (!v)
                TEST_FAIL("Fixture %s is not valid JSON", rel);
        free(text);
        return v;
}

static void write_actual(const char *rel, const char *actual) {
        const char *dir = getenv("WOLFRAM_CTL_WRITE_EXPECTED");
        const char *base = strrchr(rel, '/');
        char path[4096];
        FILE *f;

        if (!dir || !*dir)
                return;
        snprintf(path, sizeof(path), "%s/%s", dir, base ? base + 1 : rel);
        f = fopen(path, "we");
        if (!f)
                TEST_FAIL("Failed to write %s", path);
        fputs(actual, f);
        fclose(f);
}

/* Compares rendered text with a fixture; a difference shows both. */
static void assert_text_matches(const char *actual, const char *rel) {
        size_t size;
        char *expected;

        write_actual(rel, actual);
        expected = fixture_read(rel, &size);
        if (strcmp(actual, expected) != 0) {
                fprintf(stderr, "--- expected (%s)\n%s--- rendered\n%s---\n", rel, expected, actual);
                TEST_FAIL("Output differs from %s", rel);
        }
        /* Text output never holds an escape byte unless colour was asked. */
        ASSERT_NULL(strchr(actual, '\x1b'));
        free(expected);
}

static json_object *load_processes(void) {
        json_object *bus_rows = load_json("ctl/processes-bus.json"), *rows = NULL;

        ASSERT_OK(processes_from_bus(bus_rows, &rows));
        json_object_put(bus_rows);
        return rows;
}

static void test_status_full(void) {
        json_object *stats = load_json("ctl/stats-full.json");
        Capture c;

        ASSERT_OK(status_print(capture_open(&c), stats, &human));
        char *text = capture_close(&c);
        assert_text_matches(text, "ctl/status-full.txt");
        free(text);
        json_object_put(stats);
}

static void test_status_old_engine(void) {
        json_object *stats = load_json("ctl/stats-old.json");
        Capture c;

        ASSERT_OK(status_print(capture_open(&c), stats, &human));
        char *text = capture_close(&c);
        assert_text_matches(text, "ctl/status-old.txt");
        free(text);
        json_object_put(stats);
}

static void test_status_bytes(void) {
        json_object *stats = load_json("ctl/stats-full.json");
        Capture c;

        ASSERT_OK(status_print(capture_open(&c), stats, &exact));
        char *text = capture_close(&c);
        assert_text_matches(text, "ctl/status-full-bytes.txt");
        free(text);
        json_object_put(stats);
}

static void test_status_colour(void) {
        json_object *stats = load_json("ctl/stats-full.json");
        Capture c;

        ASSERT_OK(status_print(capture_open(&c), stats, &coloured));
        char *text = capture_close(&c);
        ASSERT_TRUE(strncmp(text, "\x1b[1mwolframd\x1b[0m 0.2.0: \x1b[32mrunning\x1b[0m\n", 40) == 0);
        ASSERT_NOT_NULL(
                strstr(text, "compression \x1b[32mon\x1b[0m, ksm \x1b[32mon\x1b[0m, tuning \x1b[33moff"));
        free(text);

        json_object_object_add(stats, "State", json_object_new_string("paused"));
        ASSERT_OK(status_print(capture_open(&c), stats, &coloured));
        text = capture_close(&c);
        ASSERT_NOT_NULL(strstr(text, ": \x1b[33mpaused\x1b[0m\n"));
        free(text);
        json_object_put(stats);
}

static void test_colour_wanted(void) {
        ASSERT_TRUE(colour_wanted(true, NULL, "xterm-256color"));
        ASSERT_TRUE(colour_wanted(true, "", "xterm"));
        ASSERT_FALSE(colour_wanted(false, NULL, "xterm"));
        ASSERT_FALSE(colour_wanted(true, "1", "xterm"));
        ASSERT_FALSE(colour_wanted(true, NULL, "dumb"));
        ASSERT_FALSE(colour_wanted(true, NULL, NULL));
        ASSERT_FALSE(colour_wanted(true, NULL, ""));
}

static void test_stats_full(void) {
        json_object *stats = load_json("ctl/stats-full.json");
        Capture c;

        ASSERT_OK(stats_print(capture_open(&c), stats, &human));
        char *text = capture_close(&c);
        assert_text_matches(text, "ctl/stats-full.txt");
        free(text);
        json_object_put(stats);
}

static void test_stats_bytes(void) {
        json_object *stats = load_json("ctl/stats-full.json");
        Capture c;

        ASSERT_OK(stats_print(capture_open(&c), stats, &exact));
        char *text = capture_close(&c);
        ASSERT_NOT_NULL(strstr(text, "\nMemoryTotalBytes:         25276502016\n"));
        ASSERT_NOT_NULL(strstr(text, "\n  SavedBytes:    205520896\n"));
        ASSERT_NULL(strstr(text, "GiB"));
        free(text);
        json_object_put(stats);
}

/* What --json prints must parse back to the same value. */
static void assert_json_round_trip(json_object *v, bool pretty) {
        json_object *back;
        Capture c;

        ASSERT_OK(print_json(capture_open(&c), v, pretty));
        char *text = capture_close(&c);
        ASSERT_TRUE(text[strlen(text) - 1] == '\n');
        if (!pretty)
                ASSERT_NULL(strchr(text, '\n') == text + strlen(text) - 1 ? NULL : text);
        back = json_tokener_parse(text);
        ASSERT_NOT_NULL(back);
        ASSERT_TRUE(json_object_equal(v, back));
        json_object_put(back);
        free(text);
}

static void test_stats_json(void) {
        json_object *stats = load_json("ctl/stats-full.json");

        assert_json_round_trip(stats, true);
        json_object_put(stats);
}

static void test_processes_anon(void) {
        json_object *rows = load_processes(), *sorted = NULL;
        Capture c;

        ASSERT_OK(processes_select(rows, SORT_ANON, 0, &sorted));
        ASSERT_OK(processes_print(capture_open(&c), sorted, &human));
        char *text = capture_close(&c);
        assert_text_matches(text, "ctl/processes-anon.txt");
        free(text);
        json_object_put(sorted);
        json_object_put(rows);
}

static void test_processes_top_bytes(void) {
        json_object *rows = load_processes(), *sorted = NULL;
        Capture c;

        ASSERT_OK(processes_select(rows, SORT_PAGEOUT, 2, &sorted));
        ASSERT_OK(processes_print(capture_open(&c), sorted, &exact));
        char *text = capture_close(&c);
        assert_text_matches(text, "ctl/processes-top-pageout-bytes.txt");
        free(text);
        json_object_put(sorted);
        json_object_put(rows);
}

static void assert_order(json_object *rows, ProcessSort sort, unsigned top, const uint64_t *pids, size_t n) {
        json_object *sorted = NULL;

        ASSERT_OK(processes_select(rows, sort, top, &sorted));
        ASSERT_EQ_U64(json_object_array_length(sorted), n);
        for (size_t i = 0; i < n; i++)
                ASSERT_EQ_U64(json_get_u64(json_object_array_get_idx(sorted, i), "Pid", 0), pids[i]);
        json_object_put(sorted);
}

static void test_processes_sort(void) {
        json_object *rows = load_processes();

        assert_order(rows, SORT_ANON, 0, (const uint64_t[]){ 1200, 4242, 880, 77, 78 }, 5);
        assert_order(rows, SORT_SWAP, 0, (const uint64_t[]){ 4242, 1200, 78, 77, 880 }, 5);
        assert_order(rows, SORT_IDLE, 0, (const uint64_t[]){ 4242, 1200, 78, 880, 77 }, 5);
        assert_order(rows, SORT_PAGEOUT, 0, (const uint64_t[]){ 4242, 1200, 77, 78, 880 }, 5);
        assert_order(rows, SORT_PID, 0, (const uint64_t[]){ 77, 78, 880, 1200, 4242 }, 5);
        assert_order(rows, SORT_SWAP, 1, (const uint64_t[]){ 4242 }, 1);
        /* More than there are is all of them. */
        assert_order(rows, SORT_PID, 99, (const uint64_t[]){ 77, 78, 880, 1200, 4242 }, 5);

        ASSERT_EQ_INT(process_sort_from_string("pageout"), SORT_PAGEOUT);
        ASSERT_EQ_INT(process_sort_from_string("size"), _SORT_INVALID);
        json_object_put(rows);
}

static void test_processes_empty(void) {
        json_object *rows = json_object_new_array();
        Capture c;

        ASSERT_OK(processes_print(capture_open(&c), rows, &human));
        char *text = capture_close(&c);
        ASSERT_STREQ(text,
                     "PID NAME ANON SWAP IDLE CYCLES PAGED OUT CAME BACK KSM STATE CGROUP\n"
                     "(no processes yet: the first cycle has not finished, or none is large enough)\n");
        free(text);
        json_object_put(rows);
}

static void test_processes_bad_shape(void) {
        json_object *rows = NULL;
        json_object *short_row = json_tokener_parse("[[1, \"a\", \"/\"]]");
        json_object *wrong_type =
                json_tokener_parse("[[\"1\", \"a\", \"/\", 1, 1, 0.5, 1, 1, 1, \"none\", 1, 1, false, 0]]");
        json_object *not_array = json_tokener_parse("{}");

        ASSERT_ERRNO(processes_from_bus(short_row, &rows), -EBADMSG);
        ASSERT_ERRNO(processes_from_bus(wrong_type, &rows), -EBADMSG);
        ASSERT_ERRNO(processes_from_bus(not_array, &rows), -EBADMSG);
        ASSERT_NULL(rows);
        json_object_put(short_row);
        json_object_put(wrong_type);
        json_object_put(not_array);
}

static void test_processes_json(void) {
        static const char *const keys[] = {
                "Pid",           "Name",          "Cgroup",          "AnonRssBytes",
                "SwapBytes",     "IdleShare",     "CyclesIdle",      "ColdBytes",
                "PagedOutBytes", "State",         "KsmMergingBytes", "KsmProfitBytes",
                "KsmMergeAny",   "RefaultedBytes"
        };
        json_object *rows = load_processes(), *first = json_object_array_get_idx(rows, 0);
        size_t i = 0;

        /* The names and their order are what 'processes --json' has always
         * printed: scripts depend on them. */
        json_object_object_foreach(first, key, value) {
                (void) value;
                ASSERT_TRUE(i < sizeof(keys) / sizeof(keys[0]));
                ASSERT_STREQ(key, keys[i++]);
        }
        ASSERT_EQ_U64(i, sizeof(keys) / sizeof(keys[0]));
        ASSERT_EQ_I64(json_get_i64(json_object_array_get_idx(rows, 2), "KsmProfitBytes", 0), -4096);
        assert_json_round_trip(rows, true);
        json_object_put(rows);
}

static void test_exclusions(void) {
        json_object *bus_rows = load_json("ctl/exclusions-bus.json"), *list = NULL;
        Capture c;

        ASSERT_OK(exclusions_from_bus(bus_rows, &list));
        ASSERT_OK(exclusions_print(capture_open(&c), list, &human));
        char *text = capture_close(&c);
        assert_text_matches(text, "ctl/exclusions.txt");
        free(text);
        ASSERT_STREQ(json_get_str(json_object_array_get_idx(list, 2), "Kind", NULL), "only-cgroup");
        assert_json_round_trip(list, true);
        json_object_put(list);
        json_object_put(bus_rows);
}

static void test_exclusions_empty(void) {
        json_object *list = json_object_new_array(), *bad = json_tokener_parse("[[\"a\", \"name\"]]"),
                    *out = NULL;
        Capture c;

        ASSERT_OK(exclusions_print(capture_open(&c), list, &human));
        char *text = capture_close(&c);
        ASSERT_STREQ(text, "No exclusions.\n");
        free(text);
        ASSERT_ERRNO(exclusions_from_bus(bad, &out), -EBADMSG);
        json_object_put(list);
        json_object_put(bad);
}

static char *render_reclaim(const char *rel, const OutputOptions *o) {
        json_object *result = load_json(rel);
        Capture c;

        ASSERT_OK(reclaim_result_print(capture_open(&c), result, o));
        json_object_put(result);
        return capture_close(&c);
}

static void test_reclaim(void) {
        char *text;

        text = render_reclaim("ctl/reclaim-pageout.json", &human);
        ASSERT_STREQ(text,
                     "Paged out 512.0 MiB of firefox (1200) in 183.0 ms; its swap went from 100.0 MiB to "
                     "597.5 MiB.\n");
        free(text);
        text = render_reclaim("ctl/reclaim-pageout.json", &exact);
        ASSERT_STREQ(text,
                     "Paged out 536870912 of firefox (1200) in 183.0 ms; its swap went from 104857600 to "
                     "626524160.\n");
        free(text);
        text = render_reclaim("ctl/reclaim-cold.json", &human);
        ASSERT_STREQ(text,
                     "Made 1.0 MiB of evil\\x1b[2J (4242) cold in 950 us; its swap went from 0 B to 0 B.\n");
        free(text);
}

static void test_reclaim_json(void) {
        json_object *result = load_json("ctl/reclaim-pageout.json");

        assert_json_round_trip(result, true);
        json_object_put(result);
}

static void test_monitor_text(void) {
        json_object *events = load_json("ctl/monitor-events.json");
        Capture c;

        capture_open(&c);
        for (size_t i = 0; i < json_object_array_length(events); i++)
                ASSERT_OK(monitor_event_print(c.f, json_object_array_get_idx(events, i), &human, false));
        char *text = capture_close(&c);
        assert_text_matches(text, "ctl/monitor.txt");
        free(text);
        json_object_put(events);
}

static void test_monitor_json(void) {
        json_object *events = load_json("ctl/monitor-events.json");

        for (size_t i = 0; i < json_object_array_length(events); i++) {
                json_object *e = json_object_array_get_idx(events, i), *back;
                Capture c;

                ASSERT_OK(monitor_event_print(capture_open(&c), e, &coloured, true));
                char *line = capture_close(&c);
                /* One object a line, newline-terminated, no colour ever. */
                ASSERT_TRUE(strchr(line, '\n') == line + strlen(line) - 1);
                ASSERT_NULL(strchr(line, '\x1b'));
                back = json_tokener_parse(line);
                ASSERT_NOT_NULL(back);
                ASSERT_TRUE(json_object_equal(e, back));
                json_object_put(back);
                free(line);
        }
        json_object_put(events);
}

static void test_monitor_event_new(void) {
        json_object *e = monitor_event_new("EngineStopped", UINT64_C(1767348070000000));
        Capture c;

        ASSERT_NOT_NULL(e);
        ASSERT_OK(monitor_event_print(capture_open(&c), e, &human, true));
        char *line = capture_close(&c);
        ASSERT_STREQ(line, "{\"Event\":\"EngineStopped\",\"Timestamp\":1767348070000000}\n");
        free(line);
        json_object_put(e);
}

static void assert_escaped(const char *in, const char *expected) {
        char *out = escape_text(in);

        ASSERT_STREQ(out, expected);
        free(out);
}

static void test_escape(void) {
        assert_escaped("", "");
        assert_escaped("firefox", "firefox");
        assert_escaped("café 日本", "café 日本");
        assert_escaped("a\tb\nc\r\x1b[31m", "a\\tb\\nc\\r\\x1b[31m");
        assert_escaped("del\x7f", "del\\x7f");
        /* What the engine sends is escaped already: shown as it is, so that
         * it can be given back as a pattern. */
        assert_escaped("back\\slash", "back\\slash");
        assert_escaped("bad\\xff\\xfename", "bad\\xff\\xfename");
        /* Invalid UTF-8: a stray byte, a cut sequence, an overlong form, a
         * surrogate, a code point beyond U+10FFFF. */
        assert_escaped("a\xff"
                       "b",
                       "a\\xffb");
        assert_escaped("cut\xc3", "cut\\xc3");
        assert_escaped("\xc0\xaf", "\\xc0\\xaf");
        assert_escaped("\xed\xa0\x80", "\\xed\\xa0\\x80");
        assert_escaped("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
        assert_escaped("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
        /* Valid but acted on by terminals: C1 controls, bidi overrides. */
        assert_escaped("x\xc2\x9b"
                       "31m",
                       "x\\xc2\\x9b31m");
        assert_escaped("\xe2\x80\xae"
                       "gpj.exe",
                       "\\xe2\\x80\\xaegpj.exe");
        assert_escaped("\xe2\x81\xa6", "\\xe2\\x81\\xa6");
        ASSERT_EQ_U64(text_width("café"), 4);
        ASSERT_EQ_U64(text_width("\\x1b"), 4);
}

static void test_escape_in_table(void) {
        json_object *rows = load_processes(), *sorted = NULL, *row = json_object_array_get_idx(rows, 3);
        Capture c;

        /* A name that is not UTF-8 at all, as comm can be. */
        json_object_object_add(row, "Name", json_object_new_string_len("x\xff\xfe", 3));
        ASSERT_OK(processes_select(rows, SORT_PID, 1, &sorted));
        ASSERT_OK(processes_print(capture_open(&c), sorted, &human));
        char *text = capture_close(&c);
        ASSERT_NOT_NULL(strstr(text, " x\\xff\\xfe "));
        free(text);
        json_object_put(sorted);
        json_object_put(rows);
}

/* JSON output on a terminal: DEL, C1 and bidi controls in a string come
 * out as \uXXXX, a byte that is not UTF-8 as \ufffd; still valid JSON. */
static void test_json_escape(void) {
        json_object *rows = load_processes(), *row = json_object_array_get_idx(rows, 0), *back;
        Capture c;

        json_object_object_add(row, "Name", json_object_new_string("d\x7f c\xc2\x9b b\xe2\x80\xae n\n"));
        json_object_object_add(row, "Cgroup", json_object_new_string_len("/x\xff", 3));
        ASSERT_OK(print_json(capture_open(&c), rows, true));
        char *text = capture_close(&c);
        ASSERT_NULL(strchr(text, 0x7f));
        ASSERT_NULL(strstr(text, "\xc2\x9b"));
        ASSERT_NULL(strstr(text, "\xe2\x80\xae"));
        ASSERT_NULL(strchr(text, '\xff'));
        ASSERT_NOT_NULL(strstr(text, "\"d\\u007f c\\u009b b\\u202e n\\n\""));
        back = json_tokener_parse(text);
        ASSERT_NOT_NULL(back);
        ASSERT_STREQ(json_get_str(json_object_array_get_idx(back, 0), "Name", NULL),
                     "d\x7f c\xc2\x9b b\xe2\x80\xae n\n");
        ASSERT_STREQ(json_get_str(json_object_array_get_idx(back, 0), "Cgroup", NULL), "/x\xef\xbf\xbd");
        json_object_put(back);
        free(text);
        json_object_put(rows);
}

static void test_format_units(void) {
        char buf[FORMAT_SIZE_MAX], d[32];

        ASSERT_STREQ(format_size(buf, 1536, &human), "1.5 KiB");
        ASSERT_STREQ(format_size(buf, 1536, &exact), "1536");
        ASSERT_STREQ(format_size_signed(buf, -1536, &human), "-1.5 KiB");
        ASSERT_STREQ(format_size_signed(buf, INT64_MIN, &exact), "-9223372036854775808");
        ASSERT_STREQ(format_duration(d, sizeof(d), 0), "0 us");
        ASSERT_STREQ(format_duration(d, sizeof(d), 1500), "1.5 ms");
        ASSERT_STREQ(format_duration(d, sizeof(d), 2345678), "2.3 s");
        ASSERT_STREQ(format_duration(d, sizeof(d), UINT64_C(312) * 1000000), "5min 12s");
        ASSERT_STREQ(format_duration(d, sizeof(d), UINT64_C(7200) * 1000000), "2h 0min");
        ASSERT_STREQ(format_duration(d, sizeof(d), UINT64_C(190000) * 1000000), "2d 4h");
        ASSERT_STREQ(format_timestamp(d, sizeof(d), 0), "never");
        ASSERT_STREQ(format_timestamp(d, sizeof(d), UINT64_C(1767348000000000)), "2026-01-02 10:00:00 UTC");
}

static void test_table_alignment(void) {
        static const char *const headers[] = { "N", "WORD", "LAST" };
        Table *t = table_new(3, headers);
        Capture c;

        ASSERT_NOT_NULL(t);
        table_align_right(t, 0);
        ASSERT_OK(table_add_cell(t, "1"));
        ASSERT_OK(table_add_cell(t, "café"));
        ASSERT_OK(table_add_cell(t, "x"));
        ASSERT_OK(table_add_cell(t, "100"));
        ASSERT_OK(table_add_cell(t, "a\x01"));
        ASSERT_OK(table_add_cell(t, "y"));
        ASSERT_EQ_U64(table_rows(t), 2);
        ASSERT_OK(table_print(t, capture_open(&c), &human));
        char *text = capture_close(&c);
        ASSERT_STREQ(text, "  N WORD  LAST\n"
                           "  1 café  x\n"
                           "100 a\\x01 y\n");
        free(text);
        ASSERT_OK(table_print(t, capture_open(&c), &coloured));
        text = capture_close(&c);
        ASSERT_TRUE(strncmp(text, "\x1b[1m  N WORD  LAST\x1b[0m\n", 22) == 0);
        free(text);
        table_free(t);
}

static const TestCase cases[] = {
        { .name = "status-full", .func = test_status_full },
        { .name = "status-old-engine", .func = test_status_old_engine },
        { .name = "status-bytes", .func = test_status_bytes },
        { .name = "status-colour", .func = test_status_colour },
        { .name = "colour-wanted", .func = test_colour_wanted },
        { .name = "stats-full", .func = test_stats_full },
        { .name = "stats-bytes", .func = test_stats_bytes },
        { .name = "stats-json", .func = test_stats_json },
        { .name = "processes-anon", .func = test_processes_anon },
        { .name = "processes-top-bytes", .func = test_processes_top_bytes },
        { .name = "processes-sort", .func = test_processes_sort },
        { .name = "processes-empty", .func = test_processes_empty },
        { .name = "processes-bad-shape", .func = test_processes_bad_shape },
        { .name = "processes-json", .func = test_processes_json },
        { .name = "exclusions", .func = test_exclusions },
        { .name = "exclusions-empty", .func = test_exclusions_empty },
        { .name = "reclaim", .func = test_reclaim },
        { .name = "reclaim-json", .func = test_reclaim_json },
        { .name = "monitor-text", .func = test_monitor_text },
        { .name = "monitor-json", .func = test_monitor_json },
        { .name = "monitor-event-new", .func = test_monitor_event_new },
        { .name = "escape", .func = test_escape },
        { .name = "escape-in-table", .func = test_escape_in_table },
        { .name = "json-escape", .func = test_json_escape },
        { .name = "format-units", .func = test_format_units },
        { .name = "table-alignment", .func = test_table_alignment },
};

int main(int argc, char *argv[]) {
        /* Times print in local time; the fixtures are written for UTC. */
        setenv("TZ", "UTC", 1);
        tzset();
        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
