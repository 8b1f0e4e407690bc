# shellcheck shell=sh
# SPDX-License-Identifier: MIT
#
# Sourced by the scenarios in the test VMs (tests/vm/page-idle.sh and
# bench/vm-reclaim.sh in busybox, where make-initramfs.sh --files
# tests/vm/initramfs puts it at /usr/lib/wolfram-vm/workload.sh; the page_idle
# case of the system tier in bash): wolfram-workload processes driven
# through FIFOs in $WORKLOAD_DIR (default /tmp), and the idle-page checks.
# PASS/FAIL lines come from the caller's pass and fail, where it has them.

WORKLOAD_DIR=${WORKLOAD_DIR:-/tmp}
if ! command -v pass >/dev/null 2>&1; then
        failures=0
        pass() { echo "PASS: $*"; }
        fail() {
                echo "FAIL: $*"
                failures=$((failures + 1))
        }
fi
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# workload_pipes NAME FD: the FIFO $WORKLOAD_DIR/NAME.in, which the shell
# keeps open read-write on FD (so the workload never sees end-of-file
# between commands), and the answers' file $WORKLOAD_DIR/NAME.out, both
# open to any user (a workload may run as another).
workload_pipes() {
        name=$1 fd=$2
        rm -f "$WORKLOAD_DIR/$name.in"
        mkfifo -m 0666 "$WORKLOAD_DIR/$name.in"
        : >"$WORKLOAD_DIR/$name.out"
        : >"$WORKLOAD_DIR/$name.err"
        chmod 0666 "$WORKLOAD_DIR/$name.out" "$WORKLOAD_DIR/$name.err"
        eval "exec $fd<>\"\$WORKLOAD_DIR/$name.in\""
        eval "${name}_n=0 ${name}_fd=$fd"
}

# start_workload NAME FD ARGS...: starts wolfram-workload ARGS (through
# $WORKLOAD_LAUNCHER, a command prefix, where set); commands go in through
# $WORKLOAD_DIR/NAME.in and the answers come out in $WORKLOAD_DIR/NAME.out.
start_workload() {
        name=$1 fd=$2
        shift 2
        workload_pipes "$name" "$fd"
        # shellcheck disable=SC2086
        ${WORKLOAD_LAUNCHER:-} wolfram-workload "$@" <"$WORKLOAD_DIR/$name.in" >"$WORKLOAD_DIR/$name.out" \
                2>"$WORKLOAD_DIR/$name.err" &
        eval "${name}_pid=$!"
}

# ask NAME [COMMAND]: sends COMMAND (none: waits for the first line, the
# one the workload prints once filled), waits up to 120 s for its answer
# and sets $reply.
ask() {
        name=$1
        eval "n=\$${name}_n fd=\$${name}_fd"
        [ -z "${2:-}" ] || eval "echo \"\$2\" >&$fd"
        n=$((n + 1))
        eval "${name}_n=$n"
        tries=0
        while [ "$(wc -l <"$WORKLOAD_DIR/$name.out")" -lt "$n" ]; do
                tries=$((tries + 1))
                [ "$tries" -gt 1200 ] && {
                        reply=
                        return 1
                }
                sleep 0.1
        done
        reply=$(sed -n "${n}p" "$WORKLOAD_DIR/$name.out")
}

# num KEY: the number KEY holds in $reply (a JSON line).
num() { echo "$reply" | sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p"; }

# stop_workload NAME: "exit" has no answer: send it, wait for the process.
stop_workload() {
        name=$1
        pid='' fd=''
        eval "fd=\$${name}_fd pid=\$${name}_pid"
        eval "echo exit >&$fd"
        # Not a child when another session started it: nothing to reap.
        wait "$pid" 2>/dev/null
        eval "exec $fd>&-"
        rm -f "$WORKLOAD_DIR/$name.in"
}

# check_idle_residency NAME: after the engine paged out what was idle, only
# idle pages are in swap (90% of them at least), no hot page is, the hot
# thread took (almost) no major fault, and every byte is as written.
check_idle_residency() {
        name=$1
        ask "$name" residency
        hot_swapped=$(num hot_swapped) hot_present=$(num hot_present)
        cold_swapped=$(num cold_swapped) cold_present=$(num cold_present)
        total_cold=$((${cold_swapped:-0} + ${cold_present:-0}))
        if [ -n "$hot_swapped" ] && [ "$hot_swapped" -eq 0 ] && [ "$hot_present" -gt 0 ]; then
                pass "$name: no hot page in swap ($hot_present present)"
        else
                fail "$name: hot pages in swap: $reply"
        fi
        if [ -n "$cold_swapped" ] && [ "$total_cold" -gt 0 ] && [ $((cold_swapped * 10)) -ge $((total_cold * 9)) ]; then
                pass "$name: $cold_swapped of $total_cold idle pages in swap"
        else
                fail "$name: idle pages not paged out: $reply"
        fi
        ask "$name" faults
        majflt=$(num hot_majflt)
        if [ -n "$majflt" ] && [ "$majflt" -le 16 ]; then
                pass "$name: hot thread major faults $majflt"
        else
                fail "$name: hot thread faulted: $reply"
        fi
        ask "$name" verify
        if echo "$reply" | grep -q '"ok":true'; then
                pass "$name: checksum intact"
        else
                fail "$name: verify said $reply"
        fi
}
