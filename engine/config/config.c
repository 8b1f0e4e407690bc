/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/escape.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "common/strv.h"
#include "config/config-internal.h"
#include "config/config.h"

static const char *const idle_backend_names[] = { "auto", "page_idle", "refs", NULL };
static const char *const zram_algorithm_names[] = { "auto", "zstd",    "lz4", "lz4hc", "lzo-rle",
                                                    "lzo",  "deflate", "842", NULL };
static const char *const zram_recompress_names[] = { "auto",    "none", "zstd",    "lz4", "lz4hc",
                                                     "lzo-rle", "lzo",  "deflate", "842", NULL };
static const char *const knob_sysctl_names[_KNOB_MAX] = {
        "swappiness",
        "page-cluster",
        "vfs_cache_pressure",
        "compaction_proactiveness",
        "watermark_boost_factor",
        "watermark_scale_factor",
};

#define O(field) offsetof(Config, field)
#define UINT(sec, k, field, lo, hi) \
        { .section = sec, .key = k, .type = T_UINT, .offset = O(field), .min = lo, .max = hi }
#define BOOL(sec, k, field) \
        { .section = sec, .key = k, .type = T_BOOL, .offset = O(field) }
#define RATIO(sec, k, field) \
        { .section = sec, .key = k, .type = T_RATIO, .offset = O(field) }
#define PERCENT(sec, k, field) \
        { .section = sec, .key = k, .type = T_PERCENT, .offset = O(field) }
#define ENUM(sec, k, field, names) \
        { .section = sec, .key = k, .type = T_ENUM, .offset = O(field), .choices = names }
#define KNOB(k, knob, lo, hi) \
        { .section = "Tuning", .key = k, .type = T_KNOB, .offset = O(knobs[knob]), .min = lo, .max = hi }
#define LIST(sec, k, field, maxlen)                                                                         \
        {                                                                                                   \
                .section = sec, .key = k, .type = T_LIST, .offset = O(field), .count_offset = O(n_##field), \
                .item_max_len = maxlen                                                                      \
        }
#define PATH(sec, k, field, flags) \
        { .section = sec, .key = k, .type = T_PATH, .offset = O(field), .path_flags = flags }

/* Every key wolfram reads, with what it accepts. docs/wolfram.conf.5
 * describes each; a unit test checks that the two agree. */
const Setting config_settings[] = {
        { .section = "Engine", .key = "profile", .type = T_PROFILE },
        UINT("Engine", "cycle_secs", cycle_secs, 10, 86400),
        UINT("Engine", "idle_sample_secs", idle_sample_secs, 1, 3600),
        UINT("Engine", "min_process_anon_mib", min_process_anon_mib, 1, 1048576),
        UINT("Engine", "min_region_kib", min_region_kib, 4, 1048576),
        RATIO("Engine", "cold_threshold", cold_threshold),
        RATIO("Engine", "pageout_threshold", pageout_threshold),
        UINT("Engine", "pageout_after_cycles", pageout_after_cycles, 1, 1000),
        PERCENT("Engine", "pressure_limit_percent", pressure_limit_percent),
        PERCENT("Engine", "refault_budget_percent", refault_budget_percent),
        ENUM("Engine", "idle_backend", idle_backend, idle_backend_names),
        BOOL("Engine", "cgroup_reclaim", cgroup_reclaim),
        BOOL("Engine", "dry_run", dry_run),
        BOOL("Engine", "enable_hibernation", enable_hibernation),
        UINT("Engine", "hibernate_after_cycles", hibernate_after_cycles, 1, 100000),
        BOOL("Engine", "enable_port_proxy", enable_port_proxy),
        PATH("Engine", "stats_file", stats_file, PATH_MAY_BE_NO),
        PATH("Engine", "prometheus_textfile_dir", prometheus_textfile_dir, PATH_DIRECTORY),

        BOOL("Zram", "enabled", zram_enabled),
        ENUM("Zram", "algorithm", zram_algorithm, zram_algorithm_names),
        UINT("Zram", "initial_percent", zram_initial_percent, 1, 90),
        UINT("Zram", "max_percent", zram_max_percent, 1, 90),
        UINT("Zram", "grow_at_percent", zram_grow_at_percent, 1, 100),
        UINT("Zram", "shrink_at_percent", zram_shrink_at_percent, 0, 99),
        UINT("Zram", "swapoff_margin_mib", zram_swapoff_margin_mib, 0, 1048576),
        { .section = "Zram",
          .key = "swap_priority",
          .type = T_INT,
          .offset = O(zram_swap_priority),
          .min = 0,
          .max = 32767 },
        ENUM("Zram", "recompress_algorithm", zram_recompress_algorithm, zram_recompress_names),
        UINT("Zram", "recompress_after_secs", zram_recompress_after_secs, 10, 31536000),
        PATH("Zram", "writeback_device", zram_writeback_device, 0),
        UINT("Zram", "writeback_after_secs", zram_writeback_after_secs, 10, 31536000),
        UINT("Zram", "writeback_limit_mib", zram_writeback_limit_mib, 0, 1048576),

        BOOL("KSM", "enabled", ksm_enabled),
        UINT("KSM", "max_cpu_percent", ksm_max_cpu_percent, 1, 100),

        BOOL("Tuning", "enabled", tuning_enabled),
        KNOB("swappiness", KNOB_SWAPPINESS, 0, 200),
        KNOB("page_cluster", KNOB_PAGE_CLUSTER, 0, 10),
        KNOB("vfs_cache_pressure", KNOB_VFS_CACHE_PRESSURE, 1, 10000),
        KNOB("compaction_proactiveness", KNOB_COMPACTION_PROACTIVENESS, 0, 100),
        KNOB("watermark_boost_factor", KNOB_WATERMARK_BOOST_FACTOR, 0, 100000),
        KNOB("watermark_scale_factor", KNOB_WATERMARK_SCALE_FACTOR, 1, 3000),

        LIST("Exclude", "excluded_names", excluded_names, COMM_MAX),
        LIST("Exclude", "excluded_cgroups", excluded_cgroups, 0),
        LIST("Exclude", "only_cgroups", only_cgroups, 0),
};

const size_t config_n_settings = ELEMENTSOF(config_settings);
#define N_SETTINGS ELEMENTSOF(config_settings)
/* NULL-terminated for join_choices(). */
static const char *const sections[] = { "Engine", "Zram", "KSM", "Tuning", "Exclude", NULL };

const char *tuning_knob_sysctl_name(TuningKnob k) {
        assert(k >= 0 && k < _KNOB_MAX);
        return knob_sysctl_names[k];
}

const char *config_zram_recompress_algorithm(const Config *c) {
        return zram_recompress_names[c->zram_recompress_algorithm];
}

const char *config_zram_algorithm(const Config *c) {
        return zram_algorithm_names[c->zram_algorithm];
}

const char *config_idle_backend(const Config *c) {
        return idle_backend_names[c->idle_backend];
}

int config_stats_file_path(const Config *c, const char *state_dir, char **ret) {
        assert(c);
        assert(state_dir);
        assert(ret);

        if (!c->stats_file) {
                *ret = NULL;
                return 0;
        }
        if (*c->stats_file)
                *ret = strdup(c->stats_file);
        else if (asprintf(ret, "%s/stats.json", state_dir) < 0)
                *ret = NULL;
        return *ret ? 0 : -ENOMEM;
}

/* One key=value as read, kept until the profile is known. */
typedef struct Assignment {
        const Setting *setting;
        char *value;
        char *source;
} Assignment;

static void parser_done(Parser *p) {
        for (size_t i = 0; i < p->n_assignments; i++) {
                free(p->assignments[i].value);
                free(p->assignments[i].source);
        }
        free(p->assignments);
        free(p->error);
}

static char *join_choices(const char *const *names, const char *sep) {
        size_t len = 1;
        char *s;

        for (size_t i = 0; names[i]; i++)
                len += strlen(names[i]) + strlen(sep);
        s = calloc(1, len);
        if (!s)
                return NULL;
        for (size_t i = 0; names[i]; i++) {
                if (i > 0)
                        strcat(s, sep);
                strcat(s, names[i]);
        }
        return s;
}

static int parse_bool(const char *v) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off",
                                                                                       "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

/* Why 'value' is no path for 's', or NULL when it is one. It must read
 * back the same from the file config_print() writes: one line, no blank
 * before a ';' (a comment starts there). */
static const char *path_refusal(const Setting *s, const char *value) {
        size_t len = strlen(value);

        if (value[0] != '/')
                return (s->path_flags & PATH_MAY_BE_NO)
                               ? "not an absolute path; use one, nothing for the default, or no for none"
                               : "not an absolute path; use one, or nothing for none";
        if (strlen(s->key) + 1 + len > CONFIG_LINE_MAX)
                return "longer than a configuration line holds";
        for (size_t i = 0; i < len; i++) {
                if ((unsigned char) value[i] < ' ' || value[i] == 0x7f)
                        return "not allowed: it has a control character";
                if (value[i] == ';' && i > 0 && value[i - 1] == ' ')
                        return "not allowed: a ';' after a blank starts a comment";
        }
        if (!(s->path_flags & PATH_DIRECTORY) && value[len - 1] == '/')
                return "a directory; name the file";
        return NULL;
}

/* Stores a copy of 'value' in '*field'; "" is the default (stats_file: the
 * state directory's, prometheus_textfile_dir: none), "no" where allowed is
 * NULL. */
static int path_apply(const Setting *s, char **field, const char *value, char **ret_msg) {
        const char *refusal;
        char *copy = NULL;

        if (!(s->path_flags & PATH_MAY_BE_NO) || parse_bool(value) != 0) {
                refusal = *value ? path_refusal(s, value) : NULL;
                if (refusal)
                        return asprintf(ret_msg, "'%s' is %s", value, refusal) < 0 ? -ENOMEM : -EINVAL;
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
        }
        free(*field);
        *field = copy;
        return 0;
}

/* Stores 'value' for 's' in 'c'. On a bad value returns -EINVAL and a
 * message saying what is allowed in *ret_msg. */
static int setting_apply(const Setting *s, Config *c, const char *value, char **ret_msg) {
        void *field = (char *) c + s->offset;
        _cleanup_free_ char *choices = NULL;
        int64_t i64;
        int r;

        switch (s->type) {
        case T_BOOL:
                r = parse_bool(value);
                if (r < 0)
                        return asprintf(ret_msg, "'%s' is not a boolean; use yes or no", value) < 0
                                       ? -ENOMEM
                                       : -EINVAL;
                *(bool *) field = r;
                return 0;

        case T_UINT:
        case T_INT:
        case T_KNOB:
                if (s->type == T_KNOB && streq(value, "skip")) {
                        *(int *) field = KNOB_SKIP;
                        return 0;
                }
                r = parse_i64(value, strlen(value), &i64);
                if (r < 0 || i64 < s->min || i64 > s->max)
                        return asprintf(ret_msg,
                                        "'%s' is %s; allowed: a whole number from %" PRId64 " to %" PRId64
                                        "%s",
                                        value, r < 0 ? "not a whole number" : "out of range", s->min, s->max,
                                        s->type == T_KNOB ? ", or skip to leave the kernel's value" : "") < 0
                                       ? -ENOMEM
                                       : -EINVAL;
                if (s->type == T_UINT)
                        *(unsigned *) field = (unsigned) i64;
                else
                        *(int *) field = (int) i64;
                return 0;

        case T_RATIO:
        case T_PERCENT: {
                double d, max = s->type == T_PERCENT ? 100.0 : 1.0;
                char *end;

                errno = 0;
                d = strtod(value, &end);
                if (errno != 0 || end == value || *end || !isfinite(d) || d < 0.0 || d > max)
                        return asprintf(ret_msg,
                                        s->type == T_PERCENT ? "'%s' is not allowed; use a percentage from "
                                                               "0 to 100 (0 turns "
                                                               "it off)"
                                                             : "'%s' is not allowed; use a fraction from "
                                                               "0.0 to 1.0 (0.7 = 70%%)",
                                        value) < 0
                                       ? -ENOMEM
                                       : -EINVAL;
                *(double *) field = d;
                return 0;
        }

        case T_ENUM:
        case T_PROFILE: {
                const char *const *names = s->choices;
                static const char *profile_names[_PROFILE_MAX + 2];

                if (s->type == T_PROFILE) {
                        profile_names[0] = "auto";
                        for (Profile p = 0; p < _PROFILE_MAX; p++)
                                profile_names[p + 1] = profile_to_string(p);
                        names = profile_names;
                }
                for (unsigned i = 0; names[i]; i++)
                        if (streq(names[i], value)) {
                                if (s->type == T_ENUM)
                                        *(unsigned *) field = i;
                                return 0;
                        }
                choices = join_choices(names, ", ");
                return asprintf(ret_msg, "'%s' is not one of: %s", value, strnull(choices)) < 0 ? -ENOMEM
                                                                                                : -EINVAL;
        }

        case T_LIST: {
                char ***list = field;
                size_t *n = (size_t *) ((char *) c + s->count_offset);
                const char *p = value, *end = value + strlen(value), *item;
                size_t len;

                /* An empty assignment drops what came before, as in systemd. */
                if (!*value) {
                        strv_clear(list, n);
                        return 0;
                }
                while (p < end) {
                        while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
                                p++;
                        item = p;
                        while (p < end && *p != ' ' && *p != '\t' && *p != ',')
                                p++;
                        _cleanup_free_ char *raw_item = NULL, *shown = NULL;
                        size_t raw_len;

                        len = (size_t) (p - item);
                        if (len == 0)
                                break;
                        /* Every list is of patterns against names and cgroup
                         * paths, which the engine keeps escaped (proc-scan.h):
                         * raw bytes and the escaped form shown for them both
                         * become that form, and a space or comma can be
                         * written as \x20 or \x2c. */
                        raw_item = strndup(item, len);
                        if (!raw_item || escape_normalize(raw_item, &shown, &raw_len) < 0)
                                return -ENOMEM;
                        if (s->item_max_len && raw_len > s->item_max_len)
                                return asprintf(ret_msg,
                                                "'%s' is longer than %u characters, the most a process name "
                                                "(comm) holds",
                                                shown, s->item_max_len) < 0
                                               ? -ENOMEM
                                               : -EINVAL;
                        r = strv_append_unique(list, n, shown);
                        if (r < 0)
                                return r;
                }
                return 0;
        }

        case T_PATH:
                return path_apply(s, field, value, ret_msg);
        }
        assert(false);
        return -EINVAL;
}

/* Frees what the settings' values hold: lists and paths. */
static void config_free_values(Config *c) {
        strv_clear(&c->excluded_names, &c->n_excluded_names);
        strv_clear(&c->excluded_cgroups, &c->n_excluded_cgroups);
        strv_clear(&c->only_cgroups, &c->n_only_cgroups);
        free(c->stats_file);
        c->stats_file = NULL;
        free(c->prometheus_textfile_dir);
        c->prometheus_textfile_dir = NULL;
        free(c->zram_writeback_device);
        c->zram_writeback_device = NULL;
}

static const Setting *setting_find(const char *section, const char *key, size_t key_len) {
        for (size_t i = 0; i < N_SETTINGS; i++)
                if (streq(config_settings[i].section, section) &&
                    strlen(config_settings[i].key) == key_len &&
                    strncmp(config_settings[i].key, key, key_len) == 0)
                        return &config_settings[i];
        return NULL;
}

static char *section_keys(const char *section) {
        const char *names[N_SETTINGS + 1];
        size_t n = 0;

        for (size_t i = 0; i < N_SETTINGS; i++)
                if (streq(config_settings[i].section, section))
                        names[n++] = config_settings[i].key;
        names[n] = NULL;
        return join_choices(names, ", ");
}

/* Validates one assignment and keeps it. 'where' is "FILE:LINE" or
 * "command line". */
static int parser_add(Parser *p, const char *where, unsigned line, const char *section, const char *key,
                      size_t key_len, const char *value) {
        _cleanup_free_ char *msg = NULL, *known = NULL;
        const Setting *s;
        Config scratch = {};
        Assignment *a;
        int r;

        if (!*section) {
                known = join_choices(sections, "], [");
                return parser_error(p, line, "%s: '%.*s' is outside a section; put it under one of [%s]",
                                    where, (int) key_len, key, strnull(known));
        }
        for (size_t i = 0; sections[i]; i++)
                if (streq(sections[i], section))
                        goto section_ok;
        known = join_choices(sections, "], [");
        return parser_error(p, line, "%s: unknown section [%s]; known sections: [%s]", where, section,
                            strnull(known));

section_ok:
        s = setting_find(section, key, key_len);
        if (!s) {
                known = section_keys(section);
                return parser_error(p, line, "%s: unknown key '%.*s' in [%s]; known keys: %s", where,
                                    (int) key_len, key, section, strnull(known));
        }

        r = setting_apply(s, &scratch, value, &msg);
        config_free_values(&scratch);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return parser_error(p, line, "%s: [%s] %s=%s: %s", where, section, s->key, value,
                                    strnull(msg));

        a = realloc(p->assignments, (p->n_assignments + 1) * sizeof(Assignment));
        if (!a)
                return -ENOMEM;
        p->assignments = a;
        a = &p->assignments[p->n_assignments];
        *a = (Assignment){ .setting = s, .value = strdup(value), .source = strdup(where) };
        if (!a->value || !a->source) {
                free(a->value);
                free(a->source);
                return -ENOMEM;
        }
        p->n_assignments++;
        return 0;
}

static int config_set_defaults(Config *c) {
        const ProfileDefaults *server = profile_defaults(PROFILE_SERVER);

        *c = (Config){
                .profile = PROFILE_SERVER,
                .cycle_secs = server->cycle_secs,
                .idle_sample_secs = server->idle_sample_secs,
                .min_process_anon_mib = server->min_process_anon_mib,
                .min_region_kib = 1024,
                .cold_threshold = 0.5,
                .pageout_threshold = 0.7,
                .pageout_after_cycles = 2,
                .pressure_limit_percent = 1.0,
                .refault_budget_percent = 0.2,
                .idle_backend = IDLE_BACKEND_AUTO,
                .cgroup_reclaim = true,
                .hibernate_after_cycles = 10,
                .zram_enabled = true,
                .zram_algorithm = 0,
                .zram_initial_percent = 3,
                .zram_max_percent = 50,
                .zram_grow_at_percent = 80,
                .zram_shrink_at_percent = 40,
                .zram_swap_priority = 100,
                .zram_swapoff_margin_mib = 256,
                .zram_recompress_algorithm = 0,
                .zram_recompress_after_secs = 3600,
                .zram_writeback_after_secs = 4 * 3600,
                .zram_writeback_limit_mib = 1024,
                .ksm_enabled = true,
                .ksm_max_cpu_percent = 20,
                .tuning_enabled = true,
        };
        memcpy(c->knobs, server->knobs, sizeof(c->knobs));
        c->stats_file = strdup("");
        c->prometheus_textfile_dir = strdup("");
        c->zram_writeback_device = strdup("");
        return c->stats_file && c->prometheus_textfile_dir && c->zram_writeback_device ? 0 : -ENOMEM;
}

static size_t setting_index(const char *key) {
        for (size_t i = 0; i < N_SETTINGS; i++)
                if (streq(config_settings[i].key, key))
                        return i;
        assert(false);
        return 0;
}

static int set_source(Config *c, size_t i, const char *source) {
        char *s = strdup(source);

        if (!s)
                return -ENOMEM;
        free(c->sources[i]);
        c->sources[i] = s;
        return 0;
}

const char *config_get_source(const Config *c, const char *section, const char *key) {
        for (size_t i = 0; i < N_SETTINGS; i++)
                if (streq(config_settings[i].section, section) && streq(config_settings[i].key, key))
                        return c->sources[i];
        return NULL;
}

int config_set_source(Config *c, const char *section, const char *key, const char *source) {
        for (size_t i = 0; i < N_SETTINGS; i++)
                if (streq(config_settings[i].section, section) && streq(config_settings[i].key, key))
                        return set_source(c, i, source);
        return -ENOENT;
}

static int config_apply_profile(Config *c, Profile p) {
        static const char *const keys[] = { "cycle_secs",
                                            "idle_sample_secs",
                                            "min_process_anon_mib",
                                            "swappiness",
                                            "page_cluster",
                                            "vfs_cache_pressure",
                                            "compaction_proactiveness",
                                            "watermark_boost_factor",
                                            "watermark_scale_factor",
                                            "excluded_names" };
        const ProfileDefaults *d = profile_defaults(p);
        _cleanup_free_ char *source = NULL;
        int r;

        c->profile = p;
        c->cycle_secs = d->cycle_secs;
        c->idle_sample_secs = d->idle_sample_secs;
        c->min_process_anon_mib = d->min_process_anon_mib;
        memcpy(c->knobs, d->knobs, sizeof(c->knobs));
        for (size_t i = 0; d->excluded_names[i]; i++) {
                r = strv_append_unique_len(&c->excluded_names, &c->n_excluded_names, d->excluded_names[i],
                                           strlen(d->excluded_names[i]));
                if (r < 0)
                        return r;
        }
        if (asprintf(&source, "profile %s", profile_to_string(p)) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                r = set_source(c, setting_index(keys[i]), source);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Rules between settings, checked once everything is in place. */
static int config_check(const Config *c, char **ret_error) {
#define SRC(key) c->sources[setting_index(key)]
        if (c->cold_threshold > c->pageout_threshold)
                return asprintf(ret_error,
                                "cold_threshold=%g (%s) is above pageout_threshold=%g (%s); pages go cold "
                                "before they are paged out",
                                c->cold_threshold, SRC("cold_threshold"), c->pageout_threshold,
                                SRC("pageout_threshold")) < 0
                               ? -ENOMEM
                               : -EINVAL;
        if (c->idle_sample_secs >= c->cycle_secs)
                return asprintf(ret_error,
                                "idle_sample_secs=%u (%s) must be shorter than cycle_secs=%u (%s)",
                                c->idle_sample_secs, SRC("idle_sample_secs"), c->cycle_secs,
                                SRC("cycle_secs")) < 0
                               ? -ENOMEM
                               : -EINVAL;
        if (c->zram_shrink_at_percent >= c->zram_grow_at_percent)
                return asprintf(ret_error,
                                "[Zram] shrink_at_percent=%u (%s) must be below grow_at_percent=%u (%s)",
                                c->zram_shrink_at_percent, SRC("shrink_at_percent"), c->zram_grow_at_percent,
                                SRC("grow_at_percent")) < 0
                               ? -ENOMEM
                               : -EINVAL;
        if (c->zram_initial_percent > c->zram_max_percent)
                return asprintf(ret_error, "[Zram] initial_percent=%u (%s) is above max_percent=%u (%s)",
                                c->zram_initial_percent, SRC("initial_percent"), c->zram_max_percent,
                                SRC("max_percent")) < 0
                               ? -ENOMEM
                               : -EINVAL;
#undef SRC
        return 0;
}

static int config_build(const Parser *p, Config *c, char **ret_error) {
        const Assignment *profile_assignment = NULL;
        size_t profile_index = setting_index("profile");
        char reason[256];
        Profile profile;
        int r;

        r = config_set_defaults(c);
        if (r < 0)
                return r;
        c->sources = calloc(N_SETTINGS, sizeof(char *));
        if (!c->sources)
                return -ENOMEM;
        for (size_t i = 0; i < N_SETTINGS; i++) {
                r = set_source(c, i, "default");
                if (r < 0)
                        return r;
        }

        /* The profile decides the defaults the files then override, so it
         * is settled first: the last assignment wins, "auto" detects. */
        for (size_t i = 0; i < p->n_assignments; i++)
                if (p->assignments[i].setting->type == T_PROFILE)
                        profile_assignment = &p->assignments[i];
        if (profile_assignment && !streq(profile_assignment->value, "auto")) {
                profile = profile_from_string(profile_assignment->value);
                assert(profile >= 0);
                r = set_source(c, profile_index, profile_assignment->source);
                if (r >= 0)
                        c->profile_reason = strdup(profile_assignment->source);
        } else {
                profile = profile_detect(reason, sizeof(reason));
                c->profile_detected = true;
                r = asprintf(&c->profile_reason, "detected: %s", reason) < 0 ? -ENOMEM : 0;
                if (r >= 0)
                        r = set_source(c, profile_index, c->profile_reason);
        }
        if (r < 0 || !c->profile_reason)
                return -ENOMEM;

        r = config_apply_profile(c, profile);
        if (r < 0)
                return r;

        for (size_t i = 0; i < p->n_assignments; i++) {
                const Assignment *a = &p->assignments[i];
                _cleanup_free_ char *msg = NULL;
                size_t index = (size_t) (a->setting - config_settings);
                bool list_had_items;

                if (a->setting->type == T_PROFILE)
                        continue;
                list_had_items = a->setting->type == T_LIST &&
                                 *(const size_t *) ((const char *) c + a->setting->count_offset) > 0;
                r = setting_apply(a->setting, c, a->value, &msg);
                assert(r != -EINVAL); /* validated when read */
                if (r < 0)
                        return r;
                /* Items added to a list that had some: both sources count.
                 * An empty list's "default" (or the reset) says nothing. */
                if (list_had_items && *a->value && !strstr(c->sources[index], a->source)) {
                        _cleanup_free_ char *prev = c->sources[index];
                        c->sources[index] = NULL;
                        if (asprintf(&c->sources[index], "%s + %s", prev, a->source) < 0)
                                return -ENOMEM;
                } else {
                        r = set_source(c, index, a->source);
                        if (r < 0)
                                return r;
                }
        }

        return config_check(c, ret_error);
}

int config_load(const ConfigLoadArgs *args, Config *ret, char **ret_error) {
        Parser p = { .add = parser_add };
        Config c = {};
        int r;

        assert(args);
        assert(ret);
        assert(ret_error);

        *ret_error = NULL;
        if (args->config_file)
                r = parser_parse_file(&p, args->config_file, false, true);
        else
                r = parser_parse_search_path(&p);
        for (size_t i = 0; r >= 0 && i < args->n_cli_assignments; i++)
                r = parser_parse_cli(&p, args->cli_assignments[i]);
        if (r >= 0)
                r = config_build(&p, &c, ret_error);

        if (r == -EINVAL && p.error)
                *ret_error = TAKE_PTR(p.error);
        parser_done(&p);
        /* The message quotes the files, which may hold any bytes, and goes
         * out on the bus (Reload's error), which takes only UTF-8. */
        if (r == -EINVAL && *ret_error) {
                char *shown = escape_bytes(*ret_error, strlen(*ret_error), 0);

                free(*ret_error);
                *ret_error = shown;
                if (!shown)
                        r = -ENOMEM;
        }
        if (r < 0) {
                config_done(&c);
                if (r == -ENOMEM) {
                        free(*ret_error);
                        *ret_error = NULL;
                }
                return r;
        }
        *ret = c;
        return 0;
}

void config_done(Config *c) {
        config_free_values(c);
        if (c->sources)
                strv_free(c->sources, N_SETTINGS);
        c->sources = NULL;
        free(c->profile_reason);
        c->profile_reason = NULL;
}

bool config_name_excluded(const Config *c, const char *comm) {
        for (size_t i = 0; i < c->n_excluded_names; i++)
                if (strstr(comm, c->excluded_names[i]))
                        return true;
        return false;
}
