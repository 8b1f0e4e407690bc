# shellcheck shell=bash disable=SC2034,SC2154
# SPDX-License-Identifier: MIT
#
# Sourced by driver.sh and the cases inside the system-tier VM (Debian 12,
# systemd as PID 1). Results go to the second serial port (/dev/ttyS1, a
# file on the host) and to the journal; artifacts to $WOLFRAM_VM_OUT, a 9p
# share with the host.

BUS_NAME=org.wolfram.Memory1
BUS_PATH=/org/wolfram/Memory1
WOLFRAM_VM_OUT=${WOLFRAM_VM_OUT:-/run/wolfram-vm/out}
SESSION_DIR=/run/wolfram-vm/session
failures=0
passes=0

say() {
        printf '%s\n' "$*" >&3
        printf '%s\n' "$*"
}
pass() {
        passes=$((passes + 1))
        say "PASS: [$current_case] $*"
}
fail() {
        failures=$((failures + 1))
        say "FAIL: [$current_case] $*"
}
note() {
        say "NOTE: [$current_case] $*"
}
# check DESCRIPTION COMMAND...: PASS when the command succeeds.
check() {
        local what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}
uptime_s() {
        cut -d' ' -f1 /proc/uptime
}
# wait_for SECONDS COMMAND...: polls every 0.2 s until the command succeeds.
# The command is run again each time, but its arguments are expanded once:
# wrap a condition like "$(cycles)" -ge 3 in a function.
wait_for() {
        local deadline=$(($(date +%s) + $1))
        shift
        while ! "$@" >/dev/null 2>&1; do
                [ "$(date +%s)" -lt "$deadline" ] || return 1
                sleep 0.2
        done
}
# save NAME: stdin into the artifact NAME on the host.
save() {
        cat >"$WOLFRAM_VM_OUT/$1"
}

# as_user USER COMMAND...: runs a command as USER from this service, in no
# logind session (the uid and groups change, nothing else).
as_user() {
        local user=$1
        shift
        setpriv --reuid="$user" --regid="$user" --init-groups --reset-env -- "$@"
}

# in_session USER SCRIPT [TIMEOUT]: runs the bash SCRIPT inside USER's logind
# session: session-agent.sh, the login shell of the autologin on tty1 (alice)
# or tty2 (bob), runs it. Sets $session_out (stdout and stderr) and returns
# the script's status (124 when the agent did not answer within TIMEOUT).
session_seq=0
in_session() {
        local user=$1 script=$2 timeout_s=${3:-60} dir n
        dir=$SESSION_DIR/$user
        session_seq=$((session_seq + 1))
        n=$dir/$session_seq
        printf '%s\n' "$script" >"$n.tmp"
        chmod 0644 "$n.tmp"
        mv "$n.tmp" "$n.cmd"
        if ! wait_for "$timeout_s" test -e "$n.rc"; then
                session_out="(no answer from the session agent of $user within $timeout_s s)"
                return 124
        fi
        session_out=$(cat "$n.out" 2>/dev/null)
        return "$(cat "$n.rc")"
}

# The engine's state as seen from the bus.
prop() {
        busctl get-property "$BUS_NAME" "$BUS_PATH" "$BUS_NAME" "$1" 2>/dev/null
}
main_pid() {
        systemctl show -P MainPID wolfram.service
}
is_active() {
        [ "$(systemctl is-active wolfram.service)" = active ]
}
# zram swap devices in /proc/swaps, one per line. The path is what the
# swapon's mount namespace called it: "/dev/zram1" while that namespace
# lives, but e.g. "/zram1" once it is gone (a unit's private namespace);
# any path ending in zramN counts.
zram_swaps() {
        awk 'NR > 1 && $1 ~ /zram[0-9]+$/ { sub(".*/", "", $1); print $1 }' /proc/swaps
}
swaps_raw() {
        awk 'NR > 1 { printf "%s%s(%s KiB used)", sep, $1, $4; sep = ", " }' /proc/swaps
}
# The knobs the engine tunes (README: Configuration and profiles) and KSM.
knobs() {
        sysctl vm.swappiness vm.page-cluster vm.vfs_cache_pressure vm.compaction_proactiveness \
                vm.watermark_boost_factor vm.watermark_scale_factor
        echo "ksm.run = $(cat /sys/kernel/mm/ksm/run)"
}
