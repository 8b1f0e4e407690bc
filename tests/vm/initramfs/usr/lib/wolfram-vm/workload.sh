# shellcheck shell=sh
# SPDX-License-Identifier: MIT
#
# Sourced by the busybox scenarios in the test VM (tests/vm/page-idle.sh,
# bench/vm-reclaim.sh): PASS/FAIL lines and wolfram-workload processes
# driven through FIFOs. make-initramfs.sh --files tests/vm/initramfs puts
# it at /usr/lib/wolfram-vm/workload.sh.

failures=0
pass() { echo "PASS: $*"; }
fail() {
        echo "FAIL: $*"
        failures=$((failures + 1))
}
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# start_workload NAME FD ARGS...: starts wolfram-workload ARGS; commands go
# in through /tmp/NAME.in, which the shell keeps open read-write on FD (so
# the workload never sees end-of-file between commands), and the answers
# come out in /tmp/NAME.out.
start_workload() {
        name=$1 fd=$2
        shift 2
        mkfifo "/tmp/$name.in"
        : >"/tmp/$name.out"
        eval "exec $fd<>/tmp/$name.in"
        wolfram-workload "$@" <"/tmp/$name.in" >"/tmp/$name.out" 2>"/tmp/$name.err" &
        eval "${name}_pid=$! ${name}_n=0 ${name}_fd=$fd"
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
        while [ "$(wc -l <"/tmp/$name.out")" -lt "$n" ]; do
                tries=$((tries + 1))
                [ "$tries" -gt 1200 ] && {
                        reply=
                        return 1
                }
                sleep 0.1
        done
        reply=$(sed -n "${n}p" "/tmp/$name.out")
}

# num KEY: the number KEY holds in $reply (a JSON line).
num() { echo "$reply" | sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p"; }

# stop_workload NAME: "exit" has no answer: send it, wait for the process.
stop_workload() {
        name=$1
        pid= fd=
        eval "fd=\$${name}_fd pid=\$${name}_pid"
        eval "echo exit >&$fd"
        wait "$pid"
        eval "exec $fd>&-"
        rm -f "/tmp/$name.in"
}
