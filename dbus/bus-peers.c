/* SPDX-License-Identifier: MIT */
/* The processes the engine's own work stands on, as the bus knows them: the
 * bus daemon and polkitd. A page of theirs in zram would stall every
 * method call, our own polkit checks included, so the cycle never advises
 * them (proc_protected_reason()). */
#include <errno.h>
#include <systemd/sd-bus.h>

#include "bus-peers.h"
#include "common/log.h"
#include "common/macro.h"

#define DBUS_NAME "org.freedesktop.DBus"
#define DBUS_PATH "/org/freedesktop/DBus"
#define POLKIT_NAME "org.freedesktop.PolicyKit1"

static int on_pid_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        pid_t *target = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uint32_t pid;
        int r;

        if (e) {
                /* polkitd not running (yet): nothing to protect by pid. */
                log_debug("No pid for a bus peer: %s", e->message ?: e->name);
                *target = 0;
                return 0;
        }
        r = sd_bus_message_read(reply, "u", &pid);
        if (r < 0 || pid == 0 || pid > INT32_MAX) {
                log_debug("The bus answered GetConnectionUnixProcessID with no usable pid, ignoring.");
                *target = 0;
                return 0;
        }
        *target = (pid_t) pid;
        log_debug("Protected from reclaim: process %" PRIu32 ".", pid);
        return 0;
}

static int ask_pid(sd_bus *bus, const char *name, pid_t *target) {
        /* Floating slot: the answer is wanted as long as the connection. */
        return sd_bus_call_method_async(bus, NULL, DBUS_NAME, DBUS_PATH, DBUS_NAME,
                                        "GetConnectionUnixProcessID", on_pid_reply, target, "s", name);
}

static int on_polkit_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Engine *e = userdata;
        const char *name, *old_owner, *new_owner;
        int r;

        r = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
        if (r < 0)
                return 0;
        if (!new_owner || !new_owner[0]) {
                e->polkitd_pid = 0;
                return 0;
        }
        r = ask_pid(sd_bus_message_get_bus(m), new_owner, &e->polkitd_pid);
        if (r < 0)
                log_debug_errno(r, "Failed to ask for polkitd's pid, ignoring: %m");
        return 0;
}

int bus_peers_watch(Engine *e, sd_bus *bus) {
        int r;

        r = sd_bus_add_match_async(bus, NULL,
                                   "type='signal',sender='" DBUS_NAME "',path='" DBUS_PATH
                                   "',interface='" DBUS_NAME "',member='NameOwnerChanged',arg0='" POLKIT_NAME
                                   "'",
                                   on_polkit_owner_changed, NULL, e);
        if (r < 0)
                return r;
        /* The bus daemon answers for itself: dbus-daemon and dbus-broker
         * both report their own pid for their own name. */
        r = ask_pid(bus, DBUS_NAME, &e->bus_daemon_pid);
        if (r < 0)
                return r;
        return ask_pid(bus, POLKIT_NAME, &e->polkitd_pid);
}
