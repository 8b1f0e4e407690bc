/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fileio.h"
#include "common/log.h"
#include "common/macro.h"
#include "common/parse-util.h"
#include "common/paths.h"
#include "config/profile.h"

static const char *const profile_table[_PROFILE_MAX] = {
        [PROFILE_SERVER] = "server",   [PROFILE_DESKTOP] = "desktop",
        [PROFILE_PROXMOX] = "proxmox", [PROFILE_KUBERNETES] = "kubernetes",
        [PROFILE_DOCKER] = "docker",   [PROFILE_RASPBERRYPI] = "raspberrypi"
};

/* Display servers, compositors and session leaders: one of them runs for as
 * long as someone sits at a graphical session, whichever desktop it is. */
static const char desktop_comms[] =
        "Xorg Xwayland gnome-shell kwin_wayland kwin_x11 plasmashell sway weston mutter xfwm4 "
        "xfce4-session cinnamon mate-session lxsession Hyprland labwc wayfire gdm-x-session "
        "gdm-wayland-session";

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

const char *profile_to_string(Profile p) {
        if (p < 0 || p >= _PROFILE_MAX)
                return NULL;
        return profile_table[p];
}

Profile profile_from_string(const char *s) {
        if (!s)
                return _PROFILE_INVALID;
        for (Profile p = 0; p < _PROFILE_MAX; p++)
                if (streq(profile_table[p], s))
                        return p;
        return _PROFILE_INVALID;
}

static bool is_digits(const char *s) {
        return *s && s[strspn(s, "0123456789")] == 0;
}

static bool word_in_list(const char *word, const char *list) {
        const char *p = list, *end = list + strlen(list), *f;
        size_t len;

        while (next_field(&p, end, &f, &len))
                if (strlen(word) == len && memcmp(word, f, len) == 0)
                        return true;
        return false;
}

static size_t trim_end(const char *s, size_t len) {
        while (len > 0 && strchr(" \t\n", s[len - 1]))
                len--;
        return len;
}

/* What cannot be read counts as absent, so failures are only worth a debug
 * line; the same goes for the callers below. */
static DIR *opendir_quiet(const char *path) {
        DIR *d = opendir(path);

        if (!d && errno != ENOENT)
                log_debug_errno(errno, "Failed to open %s, ignoring: %m", path);
        return d;
}

int proc_for_each_comm(int (*cb)(int pid, const char *comm, void *userdata), void *userdata) {
        _cleanup_free_ char *proc = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        assert(cb);

        proc = root_path("/proc");
        if (!proc) {
                log_oom();
                return 0;
        }
        d = opendir_quiet(proc);
        if (!d)
                return 0;

        while ((de = readdir(d))) {
                _cleanup_free_ char *buf = NULL;
                char path[PATH_MAX], comm[COMM_MAX + 1];
                uint64_t pid;
                size_t len;
                int r;

                if (parse_u64(de->d_name, strlen(de->d_name), &pid) < 0 || pid == 0 || pid > INT_MAX)
                        continue;
                if ((size_t) snprintf(path, sizeof(path), "%s/%s/comm", proc, de->d_name) >= sizeof(path))
                        continue;

                r = read_full_file(path, &buf, &len);
                if (r < 0) {
                        /* Exited since readdir, or hidden from us by hidepid=: neither is news. */
                        if (r != -ENOENT && r != -ESRCH && r != -EACCES)
                                log_debug_errno(r, "Failed to read %s, skipping: %m", path);
                        continue;
                }
                len = strnlen(buf, len);
                if (len > 0 && buf[len - 1] == '\n')
                        len--;
                len = len < COMM_MAX ? len : COMM_MAX;
                memcpy(comm, buf, len);
                comm[len] = 0;

                r = cb((int) pid, comm, userdata);
                if (r != 0)
                        return r;
        }
        return 0;
}

typedef struct ProcessSignals {
        int kubelet_pid, dockerd_pid, desktop_pid;
        char desktop_comm[COMM_MAX + 1];
} ProcessSignals;

static int process_signals_add(int pid, const char *comm, void *userdata) {
        ProcessSignals *s = userdata;

        if (streq(comm, "kubelet")) {
                s->kubelet_pid = pid;
                /* Outranks every other process signal: no need to read on. */
                return 1;
        }
        if (s->dockerd_pid == 0 && streq(comm, "dockerd"))
                s->dockerd_pid = pid;
        if (s->desktop_pid == 0 && word_in_list(comm, desktop_comms)) {
                s->desktop_pid = pid;
                snprintf(s->desktop_comm, sizeof(s->desktop_comm), "%s", comm);
        }
        return 0;
}

static bool root_stat(const char *path, struct stat *st) {
        _cleanup_free_ char *p = root_path(path);

        return p && stat(p, st) >= 0;
}

static bool read_root_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_free_ char *p = root_path(path);
        int r;

        if (!p)
                return false;
        r = read_full_file(p, ret, ret_size);
        if (r < 0 && r != -ENOENT)
                log_debug_errno(r, "Failed to read %s, ignoring: %m", p);
        return r >= 0;
}

/* The device tree names the board on every Pi kernel that has one; older
 * Raspberry Pi kernels without it add a Model line to cpuinfo instead. */
static bool detect_raspberrypi(char *found, size_t found_size) {
        _cleanup_free_ char *dt = NULL, *cpuinfo = NULL;
        const char *line;
        size_t size, len, pos = 0;

        if (read_root_file("/proc/device-tree/model", &dt, &size)) {
                /* A device tree string property ends in NUL, not newline. */
                len = trim_end(dt, strnlen(dt, size));
                if (memmem(dt, len, "Raspberry Pi", strlen("Raspberry Pi"))) {
                        snprintf(found, found_size, "%.*s (/proc/device-tree/model)", (int) len, dt);
                        return true;
                }
        }

        if (!read_root_file("/proc/cpuinfo", &cpuinfo, &size))
                return false;
        while (next_line(cpuinfo, size, &pos, &line, &len)) {
                const char *colon = memchr(line, ':', len), *value;
                size_t value_len;

                /* Exactly "Model": x86 and arm64 have "model name" lines too. */
                if (!colon || trim_end(line, (size_t) (colon - line)) != strlen("Model") ||
                    memcmp(line, "Model", strlen("Model")) != 0)
                        continue;
                value = colon + 1;
                value_len = (size_t) (line + len - value);
                while (value_len > 0 && (*value == ' ' || *value == '\t'))
                        value++, value_len--;
                value_len = trim_end(value, value_len);
                if (memmem(value, value_len, "Raspberry Pi", strlen("Raspberry Pi"))) {
                        snprintf(found, found_size, "%.*s (/proc/cpuinfo)", (int) value_len, value);
                        return true;
                }
        }
        return false;
}

/* Finds an entry named 'prefix' plus digits in 'dir' (under the root prefix):
 * X0 or wayland-1, but not wayland-1.lock, which outlives its compositor. */
static bool dir_find_numbered(const char *dir, const char *prefix, char *ret, size_t ret_size) {
        _cleanup_free_ char *p = root_path(dir);
        _cleanup_closedir_ DIR *d = NULL;
        size_t prefix_len = strlen(prefix);
        struct dirent *de;

        d = p ? opendir_quiet(p) : NULL;
        if (!d)
                return false;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, prefix, prefix_len) == 0 && is_digits(de->d_name + prefix_len)) {
                        snprintf(ret, ret_size, "%s", de->d_name);
                        return true;
                }
        return false;
}

static bool detect_display_socket(char *found, size_t found_size) {
        _cleanup_free_ char *run_user = root_path("/run/user");
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        char name[NAME_MAX + 1], dir[64]; /* "/run/user/" and a uid */

        if (dir_find_numbered("/tmp/.X11-unix", "X", name, sizeof(name))) {
                snprintf(found, found_size, "X11 socket /tmp/.X11-unix/%s", name);
                return true;
        }

        d = run_user ? opendir_quiet(run_user) : NULL;
        if (!d)
                return false;
        while ((de = readdir(d))) {
                if (!is_digits(de->d_name) ||
                    (size_t) snprintf(dir, sizeof(dir), "/run/user/%s", de->d_name) >= sizeof(dir))
                        continue;
                if (dir_find_numbered(dir, "wayland-", name, sizeof(name))) {
                        snprintf(found, found_size, "Wayland socket %s/%s", dir, name);
                        return true;
                }
        }
        return false;
}

static Profile detect(char *found, size_t found_size) {
        ProcessSignals s = {};
        struct stat st;

        if (root_stat("/etc/pve", &st) && S_ISDIR(st.st_mode)) {
                snprintf(found, found_size, "/etc/pve exists");
                return PROFILE_PROXMOX;
        }

        /* One pass over /proc serves all the process signals. */
        (void) proc_for_each_comm(process_signals_add, &s);

        if (s.kubelet_pid > 0) {
                snprintf(found, found_size, "process kubelet (pid %d) runs", s.kubelet_pid);
                return PROFILE_KUBERNETES;
        }
        if (root_stat("/etc/kubernetes/kubelet.conf", &st)) {
                snprintf(found, found_size, "/etc/kubernetes/kubelet.conf exists");
                return PROFILE_KUBERNETES;
        }
        if (s.dockerd_pid > 0) {
                snprintf(found, found_size, "process dockerd (pid %d) runs", s.dockerd_pid);
                return PROFILE_DOCKER;
        }
        if (detect_raspberrypi(found, found_size))
                return PROFILE_RASPBERRYPI;
        if (s.desktop_pid > 0) {
                snprintf(found, found_size, "process %s (pid %d) runs", s.desktop_comm, s.desktop_pid);
                return PROFILE_DESKTOP;
        }
        if (detect_display_socket(found, found_size))
                return PROFILE_DESKTOP;

        snprintf(found, found_size, "nothing else detected");
        return PROFILE_SERVER;
}

Profile profile_detect(char *reason, size_t reason_size) {
        char found[PATH_MAX + 64];
        Profile p;

        assert(reason || reason_size == 0);

        p = detect(found, sizeof(found));
        log_debug("Detected profile %s: %s", profile_to_string(p), found);
        if (reason_size > 0)
                snprintf(reason, reason_size, "%s", found);
        return p;
}
