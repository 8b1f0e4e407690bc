/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "common/log.h"
#include "config/profile.h"
#include "test-root.h"
#include "test-util.h"

static void check_detect(const char *root, Profile expected, const char *expected_reason) {
        char reason[256];

        fixture_root_use(root);
        memset(reason, 'x', sizeof(reason));
        ASSERT_STREQ(profile_to_string(profile_detect(reason, sizeof(reason))), profile_to_string(expected));
        ASSERT_STREQ(reason, expected_reason);
        fixture_root_reset();
}

static void test_string_round_trip(void) {
        for (Profile p = 0; p < _PROFILE_MAX; p++) {
                ASSERT_NOT_NULL(profile_to_string(p));
                ASSERT_EQ_INT(profile_from_string(profile_to_string(p)), p);
        }
        ASSERT_STREQ(profile_to_string(PROFILE_SERVER), "server");
        ASSERT_STREQ(profile_to_string(PROFILE_DESKTOP), "desktop");
        ASSERT_STREQ(profile_to_string(PROFILE_PROXMOX), "proxmox");
        ASSERT_STREQ(profile_to_string(PROFILE_KUBERNETES), "kubernetes");
        ASSERT_STREQ(profile_to_string(PROFILE_DOCKER), "docker");
        ASSERT_STREQ(profile_to_string(PROFILE_RASPBERRYPI), "raspberrypi");
}

static void test_string_invalid(void) {
        static const char *const invalid[] = {
                "", "Server", "server ", " server", "server\n", "raspberry-pi", "k8s", "desktops", "serve",
        };

        for (size_t i = 0; i < ELEMENTSOF(invalid); i++)
                ASSERT_EQ_INT(profile_from_string(invalid[i]), _PROFILE_INVALID);
        ASSERT_EQ_INT(profile_from_string(NULL), _PROFILE_INVALID);
        ASSERT_NULL(profile_to_string(_PROFILE_MAX));
        ASSERT_NULL(profile_to_string(_PROFILE_INVALID));
        ASSERT_NULL(profile_to_string((Profile) -1));
}

static void test_detect_proxmox(void) {
        check_detect("profile-proxmox", PROFILE_PROXMOX, "/etc/pve exists");
}

static void test_detect_kubernetes_process(void) {
        check_detect("profile-kubernetes-process", PROFILE_KUBERNETES, "process kubelet (pid 1234) runs");
}

static void test_detect_kubernetes_conf(void) {
        check_detect("profile-kubernetes-conf", PROFILE_KUBERNETES, "/etc/kubernetes/kubelet.conf exists");
}

static void test_detect_docker(void) {
        check_detect("profile-docker", PROFILE_DOCKER, "process dockerd (pid 912) runs");
}

static void test_detect_raspberrypi_dt(void) {
        /* The model file ends in NUL, which must not reach the reason. */
        check_detect("profile-raspberrypi-dt", PROFILE_RASPBERRYPI,
                     "Raspberry Pi 4 Model B Rev 1.4 (/proc/device-tree/model)");
}

static void test_detect_raspberrypi_cpuinfo(void) {
        /* Its "model name" lines name the CPU; only "Model" names the board. */
        check_detect("profile-raspberrypi-cpuinfo", PROFILE_RASPBERRYPI,
                     "Raspberry Pi 3 Model B Plus Rev 1.3 (/proc/cpuinfo)");
}

static void test_detect_desktop_process(void) {
        check_detect("profile-desktop-process", PROFILE_DESKTOP, "process gnome-shell (pid 1602) runs");
}

static void test_detect_desktop_x11(void) {
        check_detect("profile-desktop-x11", PROFILE_DESKTOP, "X11 socket /tmp/.X11-unix/X0");
}

static void test_detect_desktop_wayland(void) {
        check_detect("profile-desktop-wayland", PROFILE_DESKTOP, "Wayland socket /run/user/1000/wayland-0");
}

static void test_detect_wayland_lock_only(void) {
        /* A lock file stays behind when the compositor is gone. */
        check_detect("profile-wayland-lock-only", PROFILE_SERVER, "nothing else detected");
}

static void test_detect_server(void) {
        check_detect("profile-server", PROFILE_SERVER, "nothing else detected");
}

static void test_detect_precedence(void) {
        /* Proxmox, Docker and desktop signals at once: Proxmox wins. */
        check_detect("profile-precedence", PROFILE_PROXMOX, "/etc/pve exists");
}

static void test_detect_docker_on_pi(void) {
        /* A Pi desktop that runs Docker: Docker ranks above the board and
         * the desktop. */
        check_detect("profile-docker-on-pi", PROFILE_DOCKER, "process dockerd (pid 912) runs");
}

static void test_detect_proc_skip(void) {
        /* proc/self/comm says dockerd, but "self" is no process id. */
        check_detect("profile-proc-skip", PROFILE_SERVER, "nothing else detected");
}

static void test_detect_empty_root(void) {
        /* Only proc/meminfo and proc/swaps: nothing to find, and no failure. */
        check_detect("bare", PROFILE_SERVER, "nothing else detected");
}

static void test_detect_reason_size(void) {
        char reason[8];

        fixture_root_use("profile-docker");
        memset(reason, 'x', sizeof(reason));
        ASSERT_EQ_INT(profile_detect(reason, sizeof(reason)), PROFILE_DOCKER);
        ASSERT_STREQ(reason, "process");

        /* The reason is optional. */
        ASSERT_EQ_INT(profile_detect(NULL, 0), PROFILE_DOCKER);
        fixture_root_reset();
}

typedef struct CommSeen {
        unsigned n, mask;
        int stop_at_pid, stop_value;
} CommSeen;

static int comm_collect(int pid, const char *comm, void *userdata) {
        CommSeen *seen = userdata;

        seen->n++;
        if (pid == 1 && streq(comm, "systemd"))
                seen->mask |= 1U << 0;
        else if (pid == 2 && streq(comm, "kthreadd"))
                seen->mask |= 1U << 1;
        else if (pid == 3 && streq(comm, "rcu_gp"))
                seen->mask |= 1U << 2;
        else
                TEST_FAIL("Unexpected process %d \"%s\"", pid, comm);
        return pid == seen->stop_at_pid ? seen->stop_value : 0;
}

static void test_comm_each(void) {
        CommSeen seen = {};

        /* "self" is no process id, 77 has no comm, 3's comm has no newline. */
        fixture_root_use("profile-proc-skip");
        ASSERT_EQ_INT(proc_for_each_comm(comm_collect, &seen), 0);
        ASSERT_EQ_INT((int) seen.n, 3);
        ASSERT_EQ_INT((int) seen.mask, 0x7);
        fixture_root_reset();
}

static void test_comm_stop_early(void) {
        CommSeen seen = { .stop_at_pid = 2, .stop_value = 42 };

        fixture_root_use("profile-proc-skip");
        ASSERT_EQ_INT(proc_for_each_comm(comm_collect, &seen), 42);
        ASSERT_TRUE(seen.mask & (1U << 1));
        ASSERT_TRUE(seen.n >= 1 && seen.n <= 3);

        /* A negative value comes back just the same. */
        seen = (CommSeen){ .stop_at_pid = 3, .stop_value = -EIO };
        ASSERT_EQ_INT(proc_for_each_comm(comm_collect, &seen), -EIO);
        ASSERT_TRUE(seen.mask & (1U << 2));
        fixture_root_reset();
}

static void test_comm_no_proc(void) {
        CommSeen seen = {};

        fixture_root_use("profile-kubernetes-conf");
        ASSERT_EQ_INT(proc_for_each_comm(comm_collect, &seen), 0);
        ASSERT_EQ_INT((int) seen.n, 0);
        fixture_root_reset();
}

int main(int argc, char *argv[]) {
        static const TestCase cases[] = {
                { .name = "string-round-trip", .func = test_string_round_trip },
                { .name = "string-invalid", .func = test_string_invalid },
                { .name = "detect-proxmox", .func = test_detect_proxmox },
                { .name = "detect-kubernetes-process", .func = test_detect_kubernetes_process },
                { .name = "detect-kubernetes-conf", .func = test_detect_kubernetes_conf },
                { .name = "detect-docker", .func = test_detect_docker },
                { .name = "detect-raspberrypi-dt", .func = test_detect_raspberrypi_dt },
                { .name = "detect-raspberrypi-cpuinfo", .func = test_detect_raspberrypi_cpuinfo },
                { .name = "detect-desktop-process", .func = test_detect_desktop_process },
                { .name = "detect-desktop-x11", .func = test_detect_desktop_x11 },
                { .name = "detect-desktop-wayland", .func = test_detect_desktop_wayland },
                { .name = "detect-wayland-lock-only", .func = test_detect_wayland_lock_only },
                { .name = "detect-server", .func = test_detect_server },
                { .name = "detect-precedence", .func = test_detect_precedence },
                { .name = "detect-docker-on-pi", .func = test_detect_docker_on_pi },
                { .name = "detect-proc-skip", .func = test_detect_proc_skip },
                { .name = "detect-empty-root", .func = test_detect_empty_root },
                { .name = "detect-reason-size", .func = test_detect_reason_size },
                { .name = "comm-each", .func = test_comm_each },
                { .name = "comm-stop-early", .func = test_comm_stop_early },
                { .name = "comm-no-proc", .func = test_comm_no_proc },
        };

        /* Debug messages show what detection found and skipped. */
        log_set_max_level(LOG_DEBUG);
        return test_main(cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
