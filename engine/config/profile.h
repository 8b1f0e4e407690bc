/* SPDX-License-Identifier: MIT */
#pragma once

#include <errno.h>
#include <stddef.h>

/* The environments wolfram knows; each brings its own defaults. */
typedef enum Profile {
        PROFILE_SERVER,
        PROFILE_DESKTOP,
        PROFILE_PROXMOX,
        PROFILE_KUBERNETES,
        PROFILE_DOCKER,
        PROFILE_RASPBERRYPI,
        _PROFILE_MAX,
        _PROFILE_INVALID = -EINVAL,
} Profile;

/* "server", "desktop", "proxmox", "kubernetes", "docker", "raspberrypi". */
const char *profile_to_string(Profile p);

/* The inverse; _PROFILE_INVALID for anything else. */
Profile profile_from_string(const char *s);

/* Detects the environment from the files and processes under the root
 * prefix (see paths.h), in this order: Proxmox VE (/etc/pve), Kubernetes
 * node (a kubelet process or /etc/kubernetes/kubelet.conf), Docker host (a
 * dockerd process), Raspberry Pi (/proc/device-tree/model or /proc/cpuinfo),
 * desktop (a display server or desktop shell process, or an X11 or Wayland
 * socket), else server. Writes a short reason such as "/etc/pve exists" or
 * "process kubelet (pid 812) runs" to 'reason'. Never fails: what cannot be
 * read counts as absent. */
Profile profile_detect(char *reason, size_t reason_size);

/* A process name (comm) as the kernel shows it in /proc/PID/comm: at most
 * 15 characters. */
#define COMM_MAX 15

/* Calls 'cb' with the comm of each process under /proc (root prefix
 * honoured), stopping early when it returns non-zero, and returns that
 * value (0 when it never did). Processes that exit while being read are
 * skipped. */
int proc_for_each_comm(int (*cb)(int pid, const char *comm, void *userdata), void *userdata);
