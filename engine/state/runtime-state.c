/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "config/profile.h"
#include "state/runtime-state.h"
#include "state/state-file.h"

static void json_object_putp(json_object **o) {
        json_object_put(*o);
}

const char *exclusion_kind_to_string(ExclusionKind k) {
        static const char *const table[_EXCLUSION_KIND_MAX] = {
                [EXCLUSION_NAME] = "name",
                [EXCLUSION_CGROUP] = "cgroup",
        };

        assert(k >= 0 && k < _EXCLUSION_KIND_MAX);
        return table[k];
}

static int exclusion_kind_from_string(const char *s) {
        for (ExclusionKind k = 0; k < _EXCLUSION_KIND_MAX; k++)
                if (streq(s, exclusion_kind_to_string(k)))
                        return k;
        return -EINVAL;
}

const char *policy_name_to_string(PolicyName p) {
        static const char *const table[_POLICY_MAX] = {
                [POLICY_COMPRESSION] = "compression",
                [POLICY_KSM] = "ksm",
                [POLICY_TUNING] = "tuning",
        };

        assert(p >= 0 && p < _POLICY_MAX);
        return table[p];
}

int policy_name_from_string(const char *s) {
        for (PolicyName p = 0; p < _POLICY_MAX; p++)
                if (streq(s, policy_name_to_string(p)))
                        return p;
        return -EINVAL;
}

static bool looks_like_cgroup(const char *s) {
        return strchr(s, '/') || ends_with(s, ".service") || ends_with(s, ".scope") ||
               ends_with(s, ".slice") || ends_with(s, ".socket");
}

int exclusion_parse(const char *s, ExclusionKind *ret_kind, char **ret_pattern, const char **ret_error) {
        _cleanup_free_ char *shown = NULL;
        ExclusionKind kind;
        size_t len, raw_len;

        if (!s || !*s) {
                *ret_error = "the pattern is empty";
                return -EINVAL;
        }
        len = strnlen(s, EXCLUSION_CGROUP_MAX + 1);
        if (len > EXCLUSION_CGROUP_MAX) {
                *ret_error = "the pattern is longer than 1024 bytes";
                return -EINVAL;
        }
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f) {
                        *ret_error = "the pattern holds control characters";
                        return -EINVAL;
                }
        if (s[0] == ' ' || s[len - 1] == ' ') {
                *ret_error = "the pattern begins or ends with a space";
                return -EINVAL;
        }

        if (strncmp(s, "name:", 5) == 0) {
                kind = EXCLUSION_NAME;
                s += 5;
        } else if (strncmp(s, "cgroup:", 7) == 0) {
                kind = EXCLUSION_CGROUP;
                s += 7;
        } else
                kind = looks_like_cgroup(s) ? EXCLUSION_CGROUP : EXCLUSION_NAME;

        if (!*s || *s == ' ') {
                *ret_error = "nothing (or a space) follows the name: or cgroup: prefix";
                return -EINVAL;
        }
        /* Names and cgroup paths are kept escaped (proc-scan.h); a pattern
         * given as the escaped text wolframctl shows is taken as the bytes
         * it stands for, so both spellings become one. */
        if (escape_normalize(s, &shown, &raw_len) < 0)
                return -ENOMEM;
        if (kind == EXCLUSION_NAME && raw_len > COMM_MAX) {
                *ret_error = "a process name pattern is at most 15 bytes: the kernel keeps no more of a "
                             "name (use cgroup: for a service or container)";
                return -EINVAL;
        }
        *ret_kind = kind;
        *ret_pattern = TAKE_PTR(shown);
        return 0;
}

int exclusion_check(const char *s, const char **ret_error) {
        _cleanup_free_ char *pattern = NULL;
        ExclusionKind kind;

        return exclusion_parse(s, &kind, &pattern, ret_error);
}

void runtime_state_init(RuntimeState *s) {
        *s = (RuntimeState){};
        for (PolicyName p = 0; p < _POLICY_MAX; p++)
                s->policies[p] = POLICY_UNSET;
}

void runtime_state_done(RuntimeState *s) {
        for (size_t i = 0; i < s->n_exclusions; i++)
                free(s->exclusions[i].pattern);
        free(s->exclusions);
        runtime_state_init(s);
}

int runtime_state_find_exclusion(const RuntimeState *s, ExclusionKind kind, const char *pattern) {
        for (size_t i = 0; i < s->n_exclusions; i++)
                if (s->exclusions[i].kind == kind && streq(s->exclusions[i].pattern, pattern))
                        return (int) i;
        return -ENOENT;
}

int runtime_state_add_exclusion(RuntimeState *s, ExclusionKind kind, const char *pattern) {
        Exclusion *l;
        char *copy;

        if (runtime_state_find_exclusion(s, kind, pattern) >= 0)
                return 0;
        if (s->n_exclusions >= RUNTIME_EXCLUSIONS_MAX)
                return -E2BIG;
        copy = strdup(pattern);
        if (!copy)
                return -ENOMEM;
        l = realloc(s->exclusions, (s->n_exclusions + 1) * sizeof(Exclusion));
        if (!l) {
                free(copy);
                return -ENOMEM;
        }
        l[s->n_exclusions++] = (Exclusion){ .kind = kind, .pattern = copy };
        s->exclusions = l;
        return 1;
}

void runtime_state_remove_exclusion(RuntimeState *s, size_t index) {
        assert(index < s->n_exclusions);
        free(s->exclusions[index].pattern);
        memmove(s->exclusions + index, s->exclusions + index + 1,
                (s->n_exclusions - index - 1) * sizeof(Exclusion));
        s->n_exclusions--;
}

/* A part of the file that cannot be used is left out and said so; the
 * rest stays: one bad entry must not cost every exclusion, policy and
 * counter. */
static void drop(const char *what, size_t index) {
        log_warning("Runtime state: leaving out %s (entry %zu), keeping the rest.", what, index);
}

static int parse_exclusions(json_object *list, RuntimeState *s) {
        size_t n;

        if (!json_object_is_type(list, json_type_array)) {
                drop("\"exclusions\", which is not a list", 0);
                return 0;
        }
        n = json_object_array_length(list);
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(list, i), *kind, *pattern;
                _cleanup_free_ char *parsed = NULL, *prefixed = NULL;
                ExclusionKind parsed_kind;
                const char *error;
                int k, r;

                if (!json_object_is_type(o, json_type_object) ||
                    !json_object_object_get_ex(o, "kind", &kind) ||
                    !json_object_object_get_ex(o, "pattern", &pattern) ||
                    !json_object_is_type(kind, json_type_string) ||
                    !json_object_is_type(pattern, json_type_string)) {
                        drop("an exclusion that is not an object with a string kind and pattern", i);
                        continue;
                }
                k = exclusion_kind_from_string(json_object_get_string(kind));
                if (k < 0) {
                        drop("an exclusion whose kind is neither \"name\" nor \"cgroup\"", i);
                        continue;
                }
                /* Stored without a prefix, the kind says what it is: read
                 * back as AddExclusion reads "KIND:PATTERN", so that what it
                 * took always loads ("cgroup:name:x" too). */
                if (asprintf(&prefixed, "%s:%s", exclusion_kind_to_string((ExclusionKind) k),
                             json_object_get_string(pattern)) < 0) {
                        prefixed = NULL;
                        return -ENOMEM;
                }
                r = exclusion_parse(prefixed, &parsed_kind, &parsed, &error);
                if (r == -ENOMEM)
                        return r;
                if (r < 0 || parsed_kind != (ExclusionKind) k) {
                        drop("an exclusion whose pattern AddExclusion would not take", i);
                        continue;
                }
                r = runtime_state_add_exclusion(s, (ExclusionKind) k, parsed);
                if (r == -E2BIG) {
                        drop("the exclusions past 256", i);
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static void parse_policies(json_object *policies, RuntimeState *s) {
        size_t i = 0;

        if (!json_object_is_type(policies, json_type_object)) {
                drop("\"policies\", which is not an object", 0);
                return;
        }
        json_object_object_foreach(policies, key, value) {
                int p = policy_name_from_string(key);

                if (p < 0)
                        drop("an unknown policy", i);
                else if (!json_object_is_type(value, json_type_boolean))
                        drop("a policy whose value is not true or false", i);
                else
                        s->policies[p] = json_object_get_boolean(value);
                i++;
        }
}

static void parse_counter(json_object *lifetime, const char *key, uint64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(lifetime, key, &v))
                return;
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
                drop("a lifetime counter that is not a number of bytes", 0);
                return;
        }
        *ret = json_object_get_uint64(v);
}

int runtime_state_parse(const char *text, RuntimeState *s, const char **ret_error) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        json_object *v;
        int r = 0;

        runtime_state_init(s);
        root = json_tokener_parse(text);
        if (!root || !json_object_is_type(root, json_type_object)) {
                *ret_error = "not a JSON object";
                return -EBADMSG;
        }
        if (json_object_object_get_ex(root, "exclusions", &v))
                r = parse_exclusions(v, s);
        if (r < 0) {
                runtime_state_done(s);
                return r;
        }
        if (json_object_object_get_ex(root, "policies", &v))
                parse_policies(v, s);
        if (json_object_object_get_ex(root, "lifetime", &v)) {
                if (!json_object_is_type(v, json_type_object))
                        drop("\"lifetime\", which is not an object", 0);
                else {
                        parse_counter(v, "paged_out_bytes", &s->lifetime_pageout_bytes);
                        parse_counter(v, "cold_bytes", &s->lifetime_cold_bytes);
                        parse_counter(v, "writeback_day_start", &s->writeback_day.start_secs);
                        parse_counter(v, "writeback_day_bytes", &s->writeback_day.written_bytes);
                }
        }
        return 0;
}

int runtime_state_load(RuntimeState *s, const char *path) {
        _cleanup_free_ char *text = NULL, *aside = NULL;
        const char *error = NULL;
        int r;

        runtime_state_init(s);
        r = read_full_file(path, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r >= 0) {
                r = runtime_state_parse(text, s, &error);
                if (r >= 0)
                        return 0;
        }
        if (r == -ENOMEM)
                return r;

        if (asprintf(&aside, "%s.bad", path) < 0)
                return -ENOMEM;
        if (rename(path, aside) < 0)
                log_warning_errno(errno, "Failed to move %s aside: %m", path);
        log_warning("Could not use %s (%s); moved it to %s and starting without runtime exclusions "
                    "and policy switches.",
                    path, error ?: strerror(-r), aside);
        return 0;
}

int runtime_state_save(const RuntimeState *s, const char *path) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();
        json_object *list = json_object_new_array(), *policies = json_object_new_object(),
                    *lifetime = json_object_new_object();
        int r = 0;

        if (!root || !list || !policies || !lifetime) {
                json_object_put(list);
                json_object_put(policies);
                json_object_put(lifetime);
                return -ENOMEM;
        }
        /* Owned by root from here, also on failure. */
        json_object_object_add(root, "exclusions", list);
        json_object_object_add(root, "policies", policies);
        json_object_object_add(root, "lifetime", lifetime);
        r = json_object_object_add(root, "version", json_object_new_int(1));

        for (size_t i = 0; r >= 0 && i < s->n_exclusions; i++) {
                json_object *o = json_object_new_object();

                if (!o || json_object_array_add(list, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                if (json_object_object_add(
                            o, "kind",
                            json_object_new_string(exclusion_kind_to_string(s->exclusions[i].kind))) < 0 ||
                    json_object_object_add(o, "pattern", json_object_new_string(s->exclusions[i].pattern)) <
                            0)
                        return -ENOMEM;
        }
        for (PolicyName p = 0; r >= 0 && p < _POLICY_MAX; p++)
                if (s->policies[p] != POLICY_UNSET)
                        r = json_object_object_add(policies, policy_name_to_string(p),
                                                   json_object_new_boolean(s->policies[p]));
        if (r >= 0)
                r = json_object_object_add(lifetime, "paged_out_bytes",
                                           json_object_new_uint64(s->lifetime_pageout_bytes));
        if (r >= 0)
                r = json_object_object_add(lifetime, "cold_bytes",
                                           json_object_new_uint64(s->lifetime_cold_bytes));
        if (r >= 0 && s->writeback_day.start_secs > 0)
                r = json_object_object_add(lifetime, "writeback_day_start",
                                           json_object_new_uint64(s->writeback_day.start_secs));
        if (r >= 0 && s->writeback_day.start_secs > 0)
                r = json_object_object_add(lifetime, "writeback_day_bytes",
                                           json_object_new_uint64(s->writeback_day.written_bytes));
        if (r < 0)
                return -ENOMEM;

        const char *text = json_object_to_json_string_ext(
                root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text)
                return -ENOMEM;
        _cleanup_free_ char *line = NULL;
        if (asprintf(&line, "%s\n", text) < 0)
                return -ENOMEM;
        return write_file_atomic(path, line);
}
