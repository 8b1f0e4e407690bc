#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The system tier's test driver, run by wolfram-vm-test.service once the
# Debian guest has booted (multi-user.target, the system bus, the autologin
# sessions). Runs every case in cases/ in order, one PASS or FAIL line per
# check on /dev/ttyS1, saves artifacts (the journal, systemd-analyze's
# verdict, the introspection) into the 9p share, prints
# "WOLFRAM-VM-RESULT: <failures>" and powers the guest off.
set -u
here=$(dirname "$(readlink -f "$0")")
exec 3>/dev/ttyS1
# shellcheck source=tests/vm/system/lib.sh
source "$here/lib.sh"

current_case=boot
driver_start=$(uptime_s)
variant=$(sed -n 's/.*wolfram\.variant=\([a-z-]*\).*/\1/p' /proc/cmdline)
say "WOLFRAM-VM-DRIVER: started at ${driver_start} s of uptime, variant ${variant:-?}"

mkdir -p "$WOLFRAM_VM_OUT"
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 wolfram "$WOLFRAM_VM_OUT"; then
        note "no 9p share: artifacts stay in the guest"
fi

# The bus that runs, as the variant asked.
bus_unit=$(systemctl show -P Id dbus.service)
if [ "$variant" = broker ]; then
        want=dbus-broker.service daemon=dbus-broker
else
        want=dbus.service daemon=dbus-daemon
fi
if [ "$bus_unit" = "$want" ] && pidof "$daemon" >/dev/null; then
        pass "the bus is $daemon"
else
        fail "the bus is $bus_unit, not $daemon"
fi

# The two autologin sessions, before anything else asks logind.
mkdir -p "$SESSION_DIR"
for u in alice bob; do
        install -d -o "$u" -g "$u" -m 0755 "$SESSION_DIR/$u"
done
session_of() {
        loginctl list-sessions --no-legend | awk -v u="$1" '$3 == u { print $1; exit }'
}
ready_sessions() {
        [ -n "$(session_of alice)" ] && [ -n "$(session_of bob)" ]
}
wait_for 60 ready_sessions || fail "no logind sessions for alice and bob within 60 s: $(loginctl list-sessions --no-legend)"
in_session alice 'true' 60 || fail "alice's session agent does not answer"
in_session bob 'true' 60 || fail "bob's session agent does not answer"
ready=$(uptime_s)
say "WOLFRAM-VM-READY: ${ready} s of uptime (driver started at ${driver_start} s)"
knobs >/run/wolfram-vm/knobs.boot

# wolfram.cases=GLOB on the kernel command line (run-system.sh --cases)
# picks cases by name.
only=$(sed -n 's/.*wolfram\.cases=\([^ ]*\).*/\1/p' /proc/cmdline)
for c in "$here"/cases/*.sh; do
        current_case=$(basename "$c" .sh)
        # shellcheck disable=SC2053
        [ -z "$only" ] || [[ $current_case == $only ]] || continue
        # The package variant installs the .deb and runs its own cases only.
        if [ "$variant" = package ]; then
                [[ $current_case == *-package ]] || continue
        else
                [[ $current_case != *-package ]] || continue
        fi
        # What the bus does not take part in (idle tracking, the pool's
        # ageing, cgroup reclaim, MemoryKSM=; their figures are read over the bus as in
        # every case) runs once, under dbus-daemon: CI's time goes to what
        # differs.
        if [ "$variant" = broker ] && [[ $current_case == 30-page-idle || $current_case == 80-pool-ageing ||
                $current_case == 83-cgroup-reclaim || $current_case == 84-hibernate ||
                $current_case == 84-hibernate-idle ||
                $current_case == 85-memory-ksm ]]; then
                note "$current_case runs in the daemon variant only"
                continue
        fi
        say "=== $current_case at $(uptime_s) s"
        restarts_before=$(systemctl show -P NRestarts wolfram.service)
        # shellcheck source=/dev/null
        source "$c"
        # A case that found the engine dead would start it again and pass:
        # every case but the one that kills it on purpose must leave it
        # never restarted, and never failed.
        restarts_after=$(timeout 120 systemctl show -P NRestarts wolfram.service)
        result=$(timeout 120 systemctl show -P Result wolfram.service)
        if [ "$current_case" != 70-kill-restart ]; then
                if [ "$restarts_after" = "$restarts_before" ] && [ "$result" = success ]; then
                        pass "the engine ran through $current_case without a crash (NRestarts $restarts_after, result $result)"
                else
                        fail "the engine failed during $current_case: NRestarts $restarts_before -> $restarts_after, result $result"
                fi
        fi
done

current_case=end
systemd-analyze time 2>&1 | save systemd-analyze-time.txt
systemd-analyze critical-chain wolfram-vm-test.service 2>&1 | save critical-chain.txt
journalctl -b --no-pager -o short-monotonic >"$WOLFRAM_VM_OUT/journal.txt" 2>&1
journalctl -b --no-pager -o short-monotonic -u wolfram.service >"$WOLFRAM_VM_OUT/journal-wolfram.txt" 2>&1
say "WOLFRAM-VM-SUMMARY: $passes passed, $failures failed, variant ${variant:-?}, done at $(uptime_s) s"
say "WOLFRAM-VM-RESULT: $failures"
sync
umount "$WOLFRAM_VM_OUT" 2>/dev/null
systemctl poweroff --no-block
