/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stddef.h>

#include "config/config.h"

/* What each environment needs left alone. Matching is by substring of the
 * process name (comm), so "systemd" covers systemd-journald, -logind, …
 * and "containerd" covers containerd-shim. */
#define INFRASTRUCTURE "systemd", "dbus", "sshd", "polkitd", "udevd", "agetty", "cron"
#define DISPLAY_AND_AUDIO                                                                                 \
        "Xorg", "Xwayland", "gnome-shell", "kwin_wayland", "kwin_x11", "plasmashell", "sway", "Hyprland", \
                "mutter", "gdm", "sddm", "lightdm", "pipewire", "wireplumber", "pulseaudio"

static const char *const server_exclusions[] = { INFRASTRUCTURE, NULL };
static const char *const desktop_exclusions[] = { INFRASTRUCTURE, DISPLAY_AND_AUDIO, NULL };
/* Proxmox runs guests as "kvm" processes; their memory is the guests' to
 * manage (KSM merges across them instead). */
static const char *const proxmox_exclusions[] = {
        INFRASTRUCTURE, "pvedaemon",    "pveproxy",  "pvestatd", "pve-firewall",
        "pve-ha-",      "pvescheduler", "pmxcfs",    "corosync", "spiceproxy",
        "qemu-system",  "kvm",          "lxc-start", NULL,
};
static const char *const kubernetes_exclusions[] = {
        INFRASTRUCTURE,   "kubelet",     "etcd",         "kube-apiserver", "kube-controller",
        "kube-scheduler", "kube-proxy",  "containerd",   "dockerd",        "crio",
        "coredns",        "calico-node", "cilium-agent", "flanneld",       NULL,
};
static const char *const docker_exclusions[] = {
        INFRASTRUCTURE, "dockerd", "containerd", "docker-proxy", "runc", NULL,
};
static const char *const raspberrypi_exclusions[] = { INFRASTRUCTURE, DISPLAY_AND_AUDIO, NULL };

/* Why these numbers (docs/wolfram.conf.5 says the same for users):
 * - swappiness: swap is zram, i.e. RAM, so swapping anonymous pages out is
 *   cheaper than dropping file cache that must be read back from disk. 100
 *   weighs both equally; desktops and Pis (slow SD cards) favour keeping
 *   file cache more (150).
 * - page-cluster 0: read-ahead of swap makes no sense on RAM.
 * - vfs_cache_pressure: 200 reclaims dentries and inodes sooner on
 *   servers; desktops keep 100 so file dialogs and IDEs stay quick.
 * - compaction_proactiveness 0, watermark_boost_factor 0: both trigger
 *   reclaim or compaction bursts unrelated to real pressure.
 * - watermark_scale_factor 125 on interactive machines: kswapd starts
 *   earlier, so applications rarely stall in direct reclaim; servers keep
 *   the kernel's value.
 * - cycle length: interactive machines react faster to what the user
 *   switched away from; servers change slowly.
 * - min_process_anon_mib: small on a Pi and on container hosts, where many
 *   small processes add up. */
static const ProfileDefaults table[_PROFILE_MAX] = {
        [PROFILE_SERVER] = {
                .cycle_secs = 300, .idle_sample_secs = 30, .min_process_anon_mib = 100,
                .knobs = { 100, 0, 200, 0, 0, KNOB_SKIP },
                .excluded_names = server_exclusions,
        },
        [PROFILE_DESKTOP] = {
                .cycle_secs = 120, .idle_sample_secs = 30, .min_process_anon_mib = 50,
                .knobs = { 150, 0, 100, 0, 0, 125 },
                .excluded_names = desktop_exclusions,
        },
        [PROFILE_PROXMOX] = {
                .cycle_secs = 300, .idle_sample_secs = 30, .min_process_anon_mib = 100,
                .knobs = { 100, 0, 200, 0, 0, KNOB_SKIP },
                .excluded_names = proxmox_exclusions,
        },
        [PROFILE_KUBERNETES] = {
                .cycle_secs = 300, .idle_sample_secs = 30, .min_process_anon_mib = 100,
                .knobs = { 100, 0, 200, 0, 0, KNOB_SKIP },
                .excluded_names = kubernetes_exclusions,
        },
        [PROFILE_DOCKER] = {
                .cycle_secs = 300, .idle_sample_secs = 30, .min_process_anon_mib = 50,
                .knobs = { 100, 0, 200, 0, 0, KNOB_SKIP },
                .excluded_names = docker_exclusions,
        },
        [PROFILE_RASPBERRYPI] = {
                .cycle_secs = 180, .idle_sample_secs = 30, .min_process_anon_mib = 20,
                .knobs = { 150, 0, 100, 0, 0, 125 },
                .excluded_names = raspberrypi_exclusions,
        },
};

const ProfileDefaults *profile_defaults(Profile p) {
        assert(p >= 0 && p < _PROFILE_MAX);
        return &table[p];
}
