/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/macro.h"
#include "state/runtime-state.h"
#include "test-tempdir.h"
#include "test-util.h"

static void assert_parses(const char *s, ExclusionKind kind, const char *pattern) {
        const char *error = NULL;
        char *p = NULL;
        ExclusionKind k;

        ASSERT_OK(exclusion_parse(s, &k, &p, &error));
        ASSERT_EQ_INT(k, kind);
        ASSERT_STREQ(p, pattern);
        free(p);
}

static void assert_refused(const char *s, const char *why) {
        const char *error = NULL;
        char *p = NULL;
        ExclusionKind k;

        ASSERT_ERRNO(exclusion_parse(s, &k, &p, &error), -EINVAL);
        ASSERT_NOT_NULL(error);
        ASSERT_NOT_NULL(strstr(error, why));
}

static void test_pattern_kinds(void) {
        assert_parses("firefox", EXCLUSION_NAME, "firefox");
        assert_parses("Web Content", EXCLUSION_NAME, "Web Content");
        assert_parses("123456789012345", EXCLUSION_NAME, "123456789012345");
        assert_parses("sshd.service", EXCLUSION_CGROUP, "sshd.service");
        assert_parses("docker-abc.scope", EXCLUSION_CGROUP, "docker-abc.scope");
        assert_parses("user.slice", EXCLUSION_CGROUP, "user.slice");
        assert_parses("dbus.socket", EXCLUSION_CGROUP, "dbus.socket");
        assert_parses("/system.slice", EXCLUSION_CGROUP, "/system.slice");
        assert_parses("machine/vm1", EXCLUSION_CGROUP, "machine/vm1");
        /* A suffix alone is a name. */
        assert_parses(".service", EXCLUSION_NAME, ".service");
        assert_parses("name:my.service", EXCLUSION_NAME, "my.service");
        assert_parses("cgroup:postgres", EXCLUSION_CGROUP, "postgres");
}

/* Raw bytes and the escaped text wolframctl shows for them are one pattern,
 * kept in the shown form; the 15-byte limit counts the bytes meant. */
static void test_pattern_escaped(void) {
        assert_parses("bad\\xff\\xfename", EXCLUSION_NAME, "bad\\xff\\xfename");
        assert_parses("bad\xff\xfename", EXCLUSION_NAME, "bad\\xff\\xfename");
        assert_parses("line\\n<0>evil", EXCLUSION_NAME, "line\\n<0>evil");
        assert_parses("name:Web\\x20Content", EXCLUSION_NAME, "Web Content");
        assert_parses("caf\xc3\xa9", EXCLUSION_NAME, "caf\xc3\xa9");
        /* A backslash that starts no escape is one. */
        assert_parses("a\\b", EXCLUSION_NAME, "a\\\\b");
        assert_parses("a\\\\b", EXCLUSION_NAME, "a\\\\b");
        assert_parses("/user.slice/odd\\xff dir", EXCLUSION_CGROUP, "/user.slice/odd\\xff dir");
        /* 15 bytes written as 60 characters of escapes. */
        assert_parses("\\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x88\\x89\\x8a\\x8b\\x8c\\x8d\\x8e",
                      EXCLUSION_NAME,
                      "\\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x88\\x89\\x8a\\x8b\\x8c\\x8d\\x8e");
        assert_refused("abcdefghijklmn\\x80\\x81", "at most 15 bytes");
}

static void test_pattern_refused(void) {
        char big[10241];

        assert_refused("", "empty");
        assert_refused(NULL, "empty");
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        assert_refused(big, "longer than 1024");
        assert_refused("1234567890123456", "at most 15 bytes");
        assert_refused("name:1234567890123456", "at most 15 bytes");
        assert_refused("tab\there", "control characters");
        assert_refused("bell\x07", "control characters");
        assert_refused("del\x7f", "control characters");
        assert_refused(" lead", "space");
        assert_refused("trail ", "space");
        assert_refused("name:", "follows");
        assert_refused("cgroup:", "follows");
        assert_refused("cgroup: x", "follows");
}

static void test_policy_names(void) {
        for (PolicyName p = 0; p < _POLICY_MAX; p++)
                ASSERT_EQ_INT(policy_name_from_string(policy_name_to_string(p)), (int) p);
        ASSERT_ERRNO(policy_name_from_string("KSM"), -EINVAL);
        ASSERT_ERRNO(policy_name_from_string(""), -EINVAL);
        ASSERT_ERRNO(policy_name_from_string("hibernation"), -EINVAL);
}

static void test_add_remove(void) {
        RuntimeState s;
        char name[16];

        runtime_state_init(&s);
        ASSERT_EQ_INT(runtime_state_add_exclusion(&s, EXCLUSION_NAME, "a"), 1);
        ASSERT_EQ_INT(runtime_state_add_exclusion(&s, EXCLUSION_NAME, "a"), 0);
        /* The same text as a cgroup is another exclusion. */
        ASSERT_EQ_INT(runtime_state_add_exclusion(&s, EXCLUSION_CGROUP, "a"), 1);
        ASSERT_EQ_U64(s.n_exclusions, 2);
        ASSERT_EQ_INT(runtime_state_find_exclusion(&s, EXCLUSION_CGROUP, "a"), 1);
        runtime_state_remove_exclusion(&s, 0);
        ASSERT_EQ_INT(runtime_state_find_exclusion(&s, EXCLUSION_NAME, "a"), -ENOENT);
        ASSERT_EQ_INT(runtime_state_find_exclusion(&s, EXCLUSION_CGROUP, "a"), 0);
        runtime_state_remove_exclusion(&s, 0);
        ASSERT_EQ_U64(s.n_exclusions, 0);

        for (unsigned i = 0; i < RUNTIME_EXCLUSIONS_MAX; i++) {
                snprintf(name, sizeof(name), "p%u", i);
                ASSERT_EQ_INT(runtime_state_add_exclusion(&s, EXCLUSION_NAME, name), 1);
        }
        ASSERT_ERRNO(runtime_state_add_exclusion(&s, EXCLUSION_NAME, "one-more"), -E2BIG);
        /* Already there is still fine at the limit. */
        ASSERT_EQ_INT(runtime_state_add_exclusion(&s, EXCLUSION_NAME, "p7"), 0);
        runtime_state_done(&s);
}

static void test_save_load_round_trip(void) {
        char *dir = tempdir_new();
        _cleanup_free_ char *path = tempdir_path(dir, RUNTIME_STATE_FILE);
        RuntimeState s, t;

        runtime_state_init(&s);
        ASSERT_EQ_INT(runtime_state_add_exclusion(&s, EXCLUSION_NAME, "Web \"Content\""), 1);
        ASSERT_EQ_INT(runtime_state_add_exclusion(&s, EXCLUSION_CGROUP, "/system.slice/x.service"), 1);
        ASSERT_EQ_INT(runtime_state_add_exclusion(&s, EXCLUSION_NAME, "caf\xc3\xa9"), 1);
        s.policies[POLICY_KSM] = 0;
        s.policies[POLICY_TUNING] = 1;
        s.lifetime_pageout_bytes = UINT64_C(18000000000000000000);
        s.lifetime_cold_bytes = 4096;
        ASSERT_OK(runtime_state_save(&s, path));

        ASSERT_OK(runtime_state_load(&t, path));
        ASSERT_EQ_U64(t.n_exclusions, 3);
        ASSERT_EQ_INT(t.exclusions[0].kind, EXCLUSION_NAME);
        ASSERT_STREQ(t.exclusions[0].pattern, "Web \"Content\"");
        ASSERT_EQ_INT(t.exclusions[1].kind, EXCLUSION_CGROUP);
        ASSERT_STREQ(t.exclusions[1].pattern, "/system.slice/x.service");
        ASSERT_STREQ(t.exclusions[2].pattern, "caf\xc3\xa9");
        ASSERT_EQ_INT(t.policies[POLICY_COMPRESSION], POLICY_UNSET);
        ASSERT_EQ_INT(t.policies[POLICY_KSM], 0);
        ASSERT_EQ_INT(t.policies[POLICY_TUNING], 1);
        ASSERT_EQ_U64(t.lifetime_pageout_bytes, UINT64_C(18000000000000000000));
        ASSERT_EQ_U64(t.lifetime_cold_bytes, 4096);
        runtime_state_done(&s);
        runtime_state_done(&t);
        tempdir_remove(dir);
}

static void test_load_missing(void) {
        char *dir = tempdir_new();
        _cleanup_free_ char *path = tempdir_path(dir, RUNTIME_STATE_FILE);
        RuntimeState s;

        ASSERT_OK(runtime_state_load(&s, path));
        ASSERT_EQ_U64(s.n_exclusions, 0);
        for (PolicyName p = 0; p < _POLICY_MAX; p++)
                ASSERT_EQ_INT(s.policies[p], POLICY_UNSET);
        tempdir_remove(dir);
}

/* Each of these is refused as a whole: nothing of it can be used. */
static const char *const bad_files[] = {
        "",
        "not json",
        "[]",
};

/* In each of these one part cannot be used and is left out: nothing of it
 * is taken, and the file is not refused for it. */
static const char *const bad_parts[] = {
        "{\"exclusions\": {}}",
        "{\"exclusions\": [\"x\"]}",
        "{\"exclusions\": [{\"kind\": \"name\"}]}",
        "{\"exclusions\": [{\"kind\": \"pid\", \"pattern\": \"x\"}]}",
        "{\"exclusions\": [{\"kind\": \"name\", \"pattern\": \"\"}]}",
        "{\"exclusions\": [{\"kind\": \"name\", \"pattern\": \"sixteen-letters!\"}]}",
        "{\"exclusions\": [{\"kind\": \"name\", \"pattern\": \"a\\u0001\"}]}",
        "{\"exclusions\": [{\"kind\": \"name\", \"pattern\": 5}]}",
        "{\"policies\": {\"ksm\": \"yes\"}}",
        "{\"policies\": []}",
        "{\"lifetime\": {\"paged_out_bytes\": -1}}",
        "{\"lifetime\": {\"paged_out_bytes\": \"1\"}}",
        "{\"lifetime\": 3}",
};

static void test_parse_bad_parts(void) {
        for (size_t i = 0; i < ELEMENTSOF(bad_parts); i++) {
                const char *error = NULL;
                RuntimeState s;

                if (runtime_state_parse(bad_parts[i], &s, &error) < 0)
                        TEST_FAIL("refused as a whole: %s", bad_parts[i]);
                ASSERT_EQ_U64(s.n_exclusions, 0);
                for (PolicyName p = 0; p < _POLICY_MAX; p++)
                        ASSERT_EQ_INT(s.policies[p], POLICY_UNSET);
                ASSERT_EQ_U64(s.lifetime_pageout_bytes, 0);
                runtime_state_done(&s);
        }
}

static void test_parse_keeps_the_rest(void) {
        /* One bad exclusion, an unknown policy, a bad counter: the rest
         * stays, exclusions, policies and the other counter alike. */
        const char *error = NULL;
        RuntimeState s;

        ASSERT_OK(runtime_state_parse("{\"exclusions\": [{\"kind\": \"name\", \"pattern\": \"ok\"}, "
                                      "{\"kind\": \"pid\", \"pattern\": \"x\"}, "
                                      "{\"kind\": \"cgroup\", \"pattern\": \"app.slice\"}], "
                                      "\"policies\": {\"swap\": true, \"ksm\": false}, "
                                      "\"lifetime\": {\"paged_out_bytes\": \"1\", \"cold_bytes\": 4096}}",
                                      &s, &error));
        ASSERT_EQ_U64(s.n_exclusions, 2);
        ASSERT_STREQ(s.exclusions[0].pattern, "ok");
        ASSERT_STREQ(s.exclusions[1].pattern, "app.slice");
        ASSERT_EQ_INT(s.policies[POLICY_KSM], 0);
        ASSERT_EQ_U64(s.lifetime_pageout_bytes, 0);
        ASSERT_EQ_U64(s.lifetime_cold_bytes, 4096);
        runtime_state_done(&s);
}

static void test_round_trip_prefix_in_pattern(void) {
        /* What AddExclusion takes always loads back: "cgroup:name:x" is the
         * cgroup pattern "name:x", saved without its prefix. */
        char *dir = tempdir_new();
        _cleanup_free_ char *path = tempdir_path(dir, RUNTIME_STATE_FILE), *p = NULL, *q = NULL;
        const char *error = NULL;
        ExclusionKind kind;
        RuntimeState s, t;

        runtime_state_init(&s);
        ASSERT_OK(exclusion_parse("cgroup:name:x", &kind, &p, &error));
        ASSERT_EQ_INT(kind, EXCLUSION_CGROUP);
        ASSERT_TRUE(runtime_state_add_exclusion(&s, kind, p) > 0);
        ASSERT_OK(exclusion_parse("name:cgroup:y", &kind, &q, &error));
        ASSERT_TRUE(runtime_state_add_exclusion(&s, kind, q) > 0);
        ASSERT_OK(runtime_state_save(&s, path));
        ASSERT_OK(runtime_state_load(&t, path));
        ASSERT_EQ_U64(t.n_exclusions, 2);
        ASSERT_EQ_INT(t.exclusions[0].kind, EXCLUSION_CGROUP);
        ASSERT_STREQ(t.exclusions[0].pattern, "name:x");
        ASSERT_EQ_INT(t.exclusions[1].kind, EXCLUSION_NAME);
        ASSERT_STREQ(t.exclusions[1].pattern, "cgroup:y");
        runtime_state_done(&s);
        runtime_state_done(&t);
        tempdir_remove(dir);
}

static void test_parse_bad(void) {
        for (size_t i = 0; i < ELEMENTSOF(bad_files); i++) {
                const char *error = NULL;
                RuntimeState s;

                if (runtime_state_parse(bad_files[i], &s, &error) != -EBADMSG)
                        TEST_FAIL("accepted: %s", bad_files[i]);
                ASSERT_NOT_NULL(error);
                ASSERT_EQ_U64(s.n_exclusions, 0);
                ASSERT_EQ_INT(s.policies[POLICY_KSM], POLICY_UNSET);
        }
}

static void test_parse_unknown_keys(void) {
        const char *error = NULL;
        RuntimeState s;

        /* A newer engine's keys are ignored, not fatal. */
        ASSERT_OK(runtime_state_parse("{\"version\": 2, \"future\": [1, 2], \"policies\": {\"ksm\": true}}",
                                      &s, &error));
        ASSERT_EQ_INT(s.policies[POLICY_KSM], 1);
        runtime_state_done(&s);
}

static void test_load_bad_moved_aside(void) {
        /* Only a file that is no JSON object at all is moved aside. */
        char *dir = tempdir_new();
        _cleanup_free_ char *path = tempdir_path(dir, RUNTIME_STATE_FILE),
                            *aside = tempdir_path(dir, RUNTIME_STATE_FILE ".bad"), *text = NULL;
        RuntimeState s;
        FILE *f;

        f = fopen(path, "w");
        ASSERT_NOT_NULL(f);
        fputs("{\"exclusions\": [{\"kind\": \"name\", \"pattern\": 7", f);
        fclose(f);
        ASSERT_OK(runtime_state_load(&s, path));
        ASSERT_EQ_U64(s.n_exclusions, 0);
        ASSERT_ERRNO(access(path, F_OK) < 0 ? -errno : 0, -ENOENT);
        ASSERT_OK(read_full_file(aside, &text, NULL));
        ASSERT_NOT_NULL(strstr(text, "\"pattern\": 7"));
        runtime_state_done(&s);
        tempdir_remove(dir);
}

static void test_save_unwritable(void) {
        RuntimeState s;

        runtime_state_init(&s);
        ASSERT_TRUE(runtime_state_save(&s, "/proc/no-such-dir/runtime.json") < 0);
}

static const TestCase cases[] = {
        { .name = "pattern-kinds", .func = test_pattern_kinds },
        { .name = "pattern-escaped", .func = test_pattern_escaped },
        { .name = "pattern-refused", .func = test_pattern_refused },
        { .name = "policy-names", .func = test_policy_names },
        { .name = "add-remove", .func = test_add_remove },
        { .name = "save-load-round-trip", .func = test_save_load_round_trip },
        { .name = "load-missing", .func = test_load_missing },
        { .name = "parse-bad", .func = test_parse_bad },
        { .name = "parse-bad-parts", .func = test_parse_bad_parts },
        { .name = "parse-keeps-the-rest", .func = test_parse_keeps_the_rest },
        { .name = "round-trip-prefix-in-pattern", .func = test_round_trip_prefix_in_pattern },
        { .name = "parse-unknown-keys", .func = test_parse_unknown_keys },
        { .name = "load-bad-moved-aside", .func = test_load_bad_moved_aside },
        { .name = "save-unwritable", .func = test_save_unwritable },
};

TEST_MAIN(cases)
