#!/bin/sh
# SPDX-License-Identifier: MIT
#
# vm-smoke: runs inside the test VM (busybox sh, as /scenario.sh) and checks
# that the test kernel has what wolframd's modules use and that it works:
# page_idle, zram hot_add/hot_remove, zram swap, KSM, PSI, DAMON and
# process_madvise(MADV_PAGEOUT) moving wolfram-workload's memory into zram
# with its checksum intact. One PASS or FAIL line per check; exits 0 when
# every check passed.
set -u

failures=0
pass() {
        echo "PASS: $*"
}
fail() {
        echo "FAIL: $*"
        failures=$((failures + 1))
}
# check DESCRIPTION COMMAND...: PASS when the command succeeds.
check() {
        what=$1
        shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}
uptime_s() {
        cut -d' ' -f1 /proc/uptime
}

echo "smoke: kernel $(uname -r) up for $(uptime_s) s"

# --- page_idle ----------------------------------------------------------
bitmap=/sys/kernel/mm/page_idle/bitmap
check "page_idle: $bitmap exists" test -f "$bitmap"
# Eight bytes are the unit the bitmap reads and writes in: 64 PFNs.
check "page_idle: the bitmap reads" \
        sh -c "test \"\$(dd if=$bitmap bs=8 count=1 skip=512 2>/dev/null | wc -c)\" -eq 8"
check "page_idle: the bitmap takes a write" \
        sh -c "printf '\377\377\377\377\377\377\377\377' | dd of=$bitmap bs=8 count=1 seek=512 conv=notrunc 2>/dev/null"

# --- KSM, PSI, DAMON ----------------------------------------------------
check "ksm: /sys/kernel/mm/ksm/run exists" test -f /sys/kernel/mm/ksm/run
# shellcheck disable=SC2016 # expanded by the inner shell
check "ksm: pages_sharing reads" sh -c 'read -r n </sys/kernel/mm/ksm/pages_sharing && [ "$n" -ge 0 ]'
check "psi: /proc/pressure/memory reads" sh -c 'grep -q "^some avg10=" /proc/pressure/memory'
check "damon: /sys/kernel/mm/damon/admin exists" test -d /sys/kernel/mm/damon/admin

# --- zram: a hot-added device as swap -----------------------------------
zram_id=
check "zram: /sys/class/zram-control/hot_add exists" test -f /sys/class/zram-control/hot_add
if zram_id=$(cat /sys/class/zram-control/hot_add) && [ -n "$zram_id" ]; then
        pass "zram: hot_add made zram$zram_id"
else
        fail "zram: hot_add failed"
        zram_id=
fi

zram_swap=false
if [ -n "$zram_id" ]; then
        zram=/sys/block/zram$zram_id
        check "zram: $zram and /dev/zram$zram_id exist" test -d "$zram" -a -b "/dev/zram$zram_id"
        echo "smoke: zram algorithms: $(cat "$zram/comp_algorithm")"
        check "zram: lz4 is an algorithm and takes" sh -c "echo lz4 >$zram/comp_algorithm"
        if echo 256M >"$zram/disksize" && mkswap "/dev/zram$zram_id" >/dev/null &&
                swapon "/dev/zram$zram_id"; then
                zram_swap=true
                pass "zram: zram$zram_id is 256 MiB of swap"
        else
                fail "zram: cannot make zram$zram_id swap"
        fi
        check "zram: /proc/swaps lists zram$zram_id" grep -q "^/dev/zram$zram_id " /proc/swaps
fi

# --- process_madvise through wolfram-workload ---------------------------
size_mib=64
fifo=/tmp/workload.in
out=/tmp/workload.out
err=/tmp/workload.err
replies=0
reply=

# Waits for answer number $1 of the workload (120 s: all is emulated) and
# puts it in $reply.
workload_wait() {
        tries=0
        while [ "$(wc -l <"$out")" -lt "$1" ]; do
                tries=$((tries + 1))
                if [ "$tries" -gt 1200 ] || ! kill -0 "$workload_pid" 2>/dev/null; then
                        reply=
                        return 1
                fi
                sleep 0.1
        done
        reply=$(sed -n "$1p" "$out")
}
# Sends one command and waits for its answer.
workload_cmd() {
        echo "$1" >&3
        replies=$((replies + 1))
        workload_wait "$replies"
}
json_number() {
        echo "$reply" | sed -n "s/.*\"$1\":\([0-9][0-9]*\).*/\1/p"
}

workload_pid=
if $zram_swap; then
        mkfifo "$fifo"
        : >"$out"
        # Read-write never blocks on a FIFO, whether or not the workload
        # ever opens its end.
        exec 3<>"$fifo"
        wolfram-workload --size-mib=$size_mib --content=text <"$fifo" >"$out" 2>"$err" &
        workload_pid=$!
        replies=1
        if workload_wait 1; then
                pass "workload: holds $size_mib MiB of text: $reply"
        else
                fail "workload: did not start"
                cat "$err"
        fi
fi

if [ -n "$reply" ]; then
        t0=$(uptime_s)
        if workload_cmd pageout && [ "$(json_number advised_bytes)" = $((size_mib << 20)) ]; then
                pass "process_madvise: MADV_PAGEOUT advised all $size_mib MiB ($t0 s → $(uptime_s) s)"
        else
                fail "process_madvise: pageout answered '$reply'"
        fi

        workload_cmd status
        swap_kib=$(json_number vm_swap_kib)
        # Every page of the region is private and mapped once: nearly all of
        # it must have gone; half is the bar so that a stray reference does
        # not fail the test.
        if [ -n "$swap_kib" ] && [ "$swap_kib" -ge $((size_mib * 1024 / 2)) ]; then
                pass "process_madvise: VmSwap is $swap_kib KiB of $((size_mib * 1024))"
        else
                fail "process_madvise: VmSwap too small after pageout: '$reply'"
        fi
        read -r orig_bytes compr_bytes _ <"$zram/mm_stat"
        if [ "$orig_bytes" -ge $((size_mib << 19)) ]; then
                pass "zram: zram$zram_id holds $orig_bytes bytes in $compr_bytes"
        else
                fail "zram: zram$zram_id holds only $orig_bytes bytes after pageout"
        fi

        if workload_cmd verify && echo "$reply" | grep -q '"ok":true'; then
                pass "workload: checksum intact after the round trip through zram"
        else
                fail "workload: verify answered '$reply'"
        fi
fi

# --- cleanup: what a test made, it removes ------------------------------
if [ -n "$workload_pid" ]; then
        echo exit >&3
        wait "$workload_pid"
        check "workload: exits cleanly" test $? -eq 0
        exec 3>&-
        rm -f "$fifo"
fi
if $zram_swap; then
        check "zram: swapoff zram$zram_id" swapoff "/dev/zram$zram_id"
fi
if [ -n "$zram_id" ]; then
        echo 1 >"$zram/reset" 2>/dev/null
        check "zram: hot_remove zram$zram_id" sh -c "echo $zram_id >/sys/class/zram-control/hot_remove"
        check "zram: zram$zram_id is gone" test ! -e "$zram"
fi

echo "smoke: $failures failure(s), done at $(uptime_s) s of uptime"
[ "$failures" -eq 0 ]
