/* SPDX-License-Identifier: MIT */
#pragma once

/* Loading configurations from fixture roots and looking at the result, for
 * test-config.c and test-config-errors.c. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/macro.h"
#include "common/paths.h"
#include "config/config.h"
#include "test-root.h"
#include "test-tempdir.h"
#include "test-util.h"

#define MAIN_FILE "/etc/wolfram/wolfram.conf"

#define ASSERT_CONTAINS(s, needle)                                                                     \
        do {                                                                                           \
                const char *_s_ = (s), *_n_ = (needle);                                                \
                if (!_s_ || !strstr(_s_, _n_))                                                         \
                        TEST_FAIL("Expected \"%s\" in %s, got \"%s\"", _n_, #s, _s_ ? _s_ : "(null)"); \
        } while (0)

/* The profiles' lists as engine/config/config-profiles.c and docs/wolfram.conf.5
 * give them. */
#define INFRASTRUCTURE "systemd", "dbus", "sshd", "polkitd", "udevd", "agetty", "cron"
static const char *const server_names[] = { INFRASTRUCTURE, NULL };
static const char *const desktop_names[] = {
        INFRASTRUCTURE, "Xorg",     "Xwayland",    "gnome-shell", "kwin_wayland", "kwin_x11",
        "plasmashell",  "sway",     "Hyprland",    "mutter",      "gdm",          "sddm",
        "lightdm",      "pipewire", "wireplumber", "pulseaudio",  NULL,
};
static const char *const kubernetes_names[] = {
        INFRASTRUCTURE,   "kubelet",     "etcd",         "kube-apiserver", "kube-controller",
        "kube-scheduler", "kube-proxy",  "containerd",   "dockerd",        "crio",
        "coredns",        "calico-node", "cilium-agent", "flanneld",       NULL,
};
static const char *const docker_names[] = { INFRASTRUCTURE, "dockerd", "containerd",
                                            "docker-proxy", "runc",    NULL };

/* config_print() output of 'c' as a string. */
static inline char *print_to_string(const Config *c) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        ASSERT_NOT_NULL(f);
        config_print(c, f);
        ASSERT_TRUE(fclose(f) == 0);
        return text;
}

/* A walk over config_print() output, which lists every setting once, in
 * the order of Config.sources; the further lines of a list repeat its key. */
typedef struct PrintedKeys {
        const char *p;
        char section[32], key[64];
} PrintedKeys;

/* Moves to the next setting; false at the end. */
static inline bool printed_keys_next(PrintedKeys *w) {
        while (*w->p) {
                const char *line = w->p, *end = strchrnul(line, '\n'),
                           *eq = memchr(line, '=', (size_t) (end - line));
                char key[64];

                w->p = *end ? end + 1 : end;
                if (line[0] == '[') {
                        snprintf(w->section, sizeof(w->section), "%.*s",
                                 (int) (strchr(line, ']') - line - 1), line + 1);
                        w->key[0] = 0;
                        continue;
                }
                if (line[0] == '#' || !eq)
                        continue;
                snprintf(key, sizeof(key), "%.*s", (int) (eq - line), line);
                if (streq(key, w->key))
                        continue;
                memcpy(w->key, key, sizeof(key));
                return true;
        }
        return false;
}

/* Where the setting [section] key of 'c' came from. */
static inline const char *source_of(const Config *c, const char *section, const char *key) {
        char *text = print_to_string(c);
        PrintedKeys w = { .p = text };

        for (size_t i = 0; printed_keys_next(&w); i++)
                if (streq(w.section, section) && streq(w.key, key)) {
                        free(text);
                        return c->sources[i];
                }
        TEST_FAIL("config_print() has no [%s] %s", section, key);
}

#define ASSERT_SOURCE(c, section, key, expected) ASSERT_STREQ(source_of((c), (section), (key)), (expected))

static inline void assert_list(char *const *list, size_t n, const char *const *base,
                               const char *const *extra) {
        size_t i = 0;

        for (; base && *base; base++, i++) {
                ASSERT_TRUE(i < n);
                ASSERT_STREQ(list[i], *base);
        }
        for (; extra && *extra; extra++, i++) {
                ASSERT_TRUE(i < n);
                ASSERT_STREQ(list[i], *extra);
        }
        ASSERT_EQ_U64(n, i);
}

#define STRV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static inline void load_args(const char *root, const ConfigLoadArgs *args, Config *c) {
        char *error = NULL;
        int r;

        fixture_root_use(root);
        r = config_load(args, c, &error);
        if (r < 0)
                TEST_FAIL("Loading root %s failed: %s: %s", root, test_errno_name(r), strnull(error));
        ASSERT_NULL(error);
        fixture_root_reset();
}

static inline void load_root(const char *root, Config *c) {
        load_args(root, &(ConfigLoadArgs){}, c);
}

/* Expects -EINVAL, an error message and an untouched 'ret'; returns the
 * message. The root prefix is the caller's. */
static inline char *load_fails(const ConfigLoadArgs *args) {
        Config c, untouched;
        char *error = NULL;

        memset(&c, 0xa5, sizeof(c));
        memcpy(&untouched, &c, sizeof(c));
        ASSERT_ERRNO(config_load(args, &c, &error), -EINVAL);
        ASSERT_MEMEQ(&c, &untouched, sizeof(c));
        ASSERT_NOT_NULL(error);
        return error;
}

/* Makes a root whose /etc/wolfram/wolfram.conf holds 'len' bytes of 'text'
 * and points the engine at it. */
static inline char *text_root(const char *text, size_t len) {
        char *dir = tempdir_new();

        tempdir_write(dir, "etc/wolfram/wolfram.conf", text, len);
        ASSERT_OK(root_set_prefix(dir));
        return dir;
}

static inline void load_text(const char *text, const ConfigLoadArgs *args, Config *c) {
        char *dir = text_root(text, strlen(text)), *error = NULL;
        int r;

        r = config_load(args, c, &error);
        if (r < 0)
                TEST_FAIL("Loading \"%s\" failed: %s: %s", text, test_errno_name(r), strnull(error));
        fixture_root_reset();
        tempdir_remove(dir);
}

static inline void check_text_fails_len(const char *text, size_t len, const char *const *needles) {
        char *dir = text_root(text, len), *error = load_fails(&(ConfigLoadArgs){});

        for (; *needles; needles++)
                ASSERT_CONTAINS(error, *needles);
        free(error);
        fixture_root_reset();
        tempdir_remove(dir);
}

/* Loads 'text' as the main file and expects each of the messages after it
 * in the error. */
#define check_text_fails(text, ...) check_text_fails_len((text), strlen(text), STRV(__VA_ARGS__))
