#!/bin/sh
# SPDX-License-Identifier: MIT
#
# vm-pool-ageing: runs inside the test VM (busybox sh, as /scenario.sh) on a
# kernel with zram writeback, a second compressor and page ages
# (CONFIG_ZRAM_WRITEBACK, CONFIG_ZRAM_MULTI_COMP,
# CONFIG_ZRAM_TRACK_ENTRY_ACTIME). wolframd (without the bus) pages out a
# text workload and a random one, then its ageing steps recompress what
# stayed idle 20 s with zstd (the first compressor is lz4) and write what
# stayed idle 40 s to a loop device, within a daily limit of 8 MiB.
# Asserted: the pool shrank by recompression, exactly the limit was written
# and no more on later steps, the figures are in stats.json, every byte of
# both workloads reads back intact (from the recompressed pool and from the
# backing device), and the engine stops cleanly. The figures the benchmark
# wants are printed as MEASURE lines.
set -u

# pass, fail, uptime_s, start_workload, ask, num, stop_workload
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh
. /usr/lib/wolfram-vm/workload.sh

echo "pool-ageing: kernel $(uname -r)"
centis() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

# --- the backing device: a loop device over a file in RAM ------------------
dd if=/dev/zero of=/tmp/backing.img bs=1M count=64 2>/dev/null
if losetup /dev/loop0 /tmp/backing.img; then
        pass "loop0 backs onto a 64 MiB file"
else
        fail "losetup failed"
fi

start_workload text 4 --size-mib=48 --content=text --seed=3
ask text "" && pass "text workload ready" || fail "text workload did not start"
text_sum=$(echo "$reply" | sed -n 's/.*"checksum":"\([0-9a-f]*\)".*/\1/p')
start_workload rand 5 --size-mib=32 --content=random --seed=4
ask rand "" && pass "random workload ready" || fail "random workload did not start"

# --- the engine -------------------------------------------------------------
mkdir -p /run/wolfram /etc/wolfram /var/lib/wolfram
cat >/etc/wolfram/test.conf <<'CONF'
[Engine]
cycle_secs=10
idle_sample_secs=3
min_process_anon_mib=16
pageout_after_cycles=1
stats_file=/tmp/stats.json
[Zram]
algorithm=lz4
recompress_algorithm=auto
recompress_after_secs=20
writeback_device=/dev/loop0
writeback_after_secs=40
writeback_limit_mib=8
[KSM]
enabled=no
CONF
RUNTIME_DIRECTORY=/run/wolfram wolframd --no-bus --config=/etc/wolfram/test.conf 2>/tmp/engine.log &
engine_pid=$!

# wait_log PATTERN SECONDS: until the engine logged PATTERN.
wait_log() {
        tries=0
        while ! grep -q "$1" /tmp/engine.log; do
                tries=$((tries + 1))
                if [ "$tries" -gt $(($2 * 10)) ] || ! kill -0 "$engine_pid" 2>/dev/null; then
                        return 1
                fi
                sleep 0.1
        done
}
dev_attr() { cat "/sys/block/$pool/$1"; }
# field N of mm_stat / bd_stat
mm() { dev_attr mm_stat | awk -v n="$1" '{ print $n }'; }
bd() { dev_attr bd_stat | awk -v n="$1" '{ print $n }'; }

wait_log "^Cycle 1:" 60 || fail "no cycle finished within 60 s"
pool=$(sed -n 's/^Created \(zram[0-9]*\) .*/\1/p' /tmp/engine.log | head -n 1)
[ -n "$pool" ] && pass "the engine made $pool: $(grep '^Created' /tmp/engine.log)" || fail "no pool device in the log"
recomp=$(dev_attr recomp_algorithm 2>/dev/null)
case $recomp in
*"[zstd]"*) pass "$pool recompresses with zstd: $recomp" ;;
*) fail "$pool has no zstd second compressor: '$recomp'" ;;
esac
case $(dev_attr backing_dev 2>/dev/null) in
/dev/loop0) pass "$pool writes back to /dev/loop0" ;;
*) fail "$pool's backing_dev is '$(dev_attr backing_dev 2>/dev/null)'" ;;
esac

# The pageout: what is in the pool before any page is 20 s idle. The
# baseline first: reading the text back from lz4, and paging it out again.
wait_log "^Cycle 2:" 60 || fail "no second cycle within 60 s"
# probe: single faults timed one by one (256 pages spread over the memory).
probe() {
        reads0=$(bd 2)
        ask "$1" probe
        echo "MEASURE single faults in the $1 workload from $2: $reply, $(($(bd 2) - reads0)) of them from the backing device"
        [ "$(num swapped)" -gt 0 ] 2>/dev/null || fail "the $1 probe found no page swapped out: $reply"
}
probe text lz4
t0=$(centis)
ask text verify
t1=$(centis)
case $reply in
*'"ok":true'*) pass "text workload intact after its pageout: $reply" ;;
*) fail "text workload corrupted after its pageout: $reply" ;;
esac
grep -q "recompressed with zstd, [1-9]" /tmp/engine.log && fail "recompression came before the baseline"
echo "MEASURE reading 48 MiB back from lz4: $(((t1 - t0) * 10)) ms"
ask text pageout
orig_before=$(mm 1) compr_before=$(mm 2) huge_before=$(mm 8)
echo "MEASURE pool before recompression: orig $orig_before compr $compr_before huge_pages $huge_before"
[ "${orig_before:-0}" -gt $((32 * 1048576)) ] && pass "the pool holds $((orig_before / 1048576)) MiB" ||
        fail "the pool holds only ${orig_before:-0} bytes"

wait_log "Pool ageing: recompressed with zstd, [1-9]" 90 &&
        pass "$(grep -m1 'Pool ageing: recompressed with zstd, [1-9]' /tmp/engine.log)" ||
        fail "no recompression logged within 90 s"
wait_log "Pool ageing: .* written to /dev/loop0" 90 && pass "$(grep -m1 'written to /dev/loop0' /tmp/engine.log)" ||
        fail "no writeback logged within 90 s"
wait_log "the limit is reached" 90 && pass "$(grep -m1 'the limit is reached' /tmp/engine.log)" ||
        fail "the daily limit was not reached within 90 s"
# Two more steps: nothing more goes out today.
written_first=$(bd 3)
c=$(sed -n 's/^Cycle \([0-9]*\):.*/\1/p' /tmp/engine.log | tail -n 1)
wait_log "^Cycle $((c + 2)):" 60 || fail "no two more cycles within 60 s"
orig_after=$(mm 1) compr_after=$(mm 2) huge_after=$(mm 8)
written=$(bd 3) stored=$(bd 1)
echo "MEASURE pool after recompression and writeback: orig $orig_after compr $compr_after huge_pages $huge_after; bd_stat $(dev_attr bd_stat)"
cat /tmp/stats.json

# --- outcomes ---------------------------------------------------------------
limit_pages=$((8 * 256))
if [ "${written:-0}" -eq "$limit_pages" ]; then
        pass "exactly the daily limit went to the backing device: $written 4 KiB pages"
else
        fail "$written 4 KiB pages written, the limit is $limit_pages"
fi
[ "$written" = "$written_first" ] && pass "later steps wrote nothing more today" ||
        fail "later steps wrote $((written - written_first)) more pages"
# Ratio of what stays in RAM, before and after (written-back pages left).
saved=$(sed -n 's/.*"pool_recompress_saved_bytes": *\([0-9]*\).*/\1/p' /tmp/stats.json)
echo "MEASURE ratio lz4 $(awk -v o="$orig_before" -v c="$compr_before" 'BEGIN { printf "%.2f", o / c }')," \
        "after recompression alone $(awk -v o="$orig_before" -v c="$compr_before" -v s="${saved:-0}" 'BEGIN { printf "%.2f", o / (c - s) }')"
cpu=$(sed -n 's/.*"pool_recompress_cpu_usec": *\([0-9]*\).*/\1/p' /tmp/stats.json)
echo "MEASURE recompression saved $saved bytes for $cpu us of CPU"
[ "${saved:-0}" -gt $((1024 * 1024)) ] && pass "stats.json: recompression saved $((saved / 1024)) KiB" ||
        fail "stats.json: pool_recompress_saved_bytes is '${saved:-}'"
sj() { sed -n "s/.*\"$1\": *\"*\([^\",]*\)\"*,*\$/\1/p" /tmp/stats.json; }
[ "$(sj pool_recompress_algorithm)" = zstd ] && pass "stats.json: pool_recompress_algorithm zstd" ||
        fail "stats.json: pool_recompress_algorithm '$(sj pool_recompress_algorithm)'"
[ "$(sj pool_writeback_device)" = /dev/loop0 ] && pass "stats.json: pool_writeback_device /dev/loop0" ||
        fail "stats.json: pool_writeback_device '$(sj pool_writeback_device)'"
[ "$(sj pool_written_back_bytes)" = $((written * 4096)) ] && [ "$(sj pool_writeback_today_bytes)" = $((written * 4096)) ] &&
        [ "$(sj pool_writeback_limit_bytes)" = 8388608 ] &&
        pass "stats.json: written back $(sj pool_written_back_bytes), today $(sj pool_writeback_today_bytes) of $(sj pool_writeback_limit_bytes)" ||
        fail "stats.json: written $(sj pool_written_back_bytes), today $(sj pool_writeback_today_bytes), limit $(sj pool_writeback_limit_bytes); bd_stat says $written pages"
[ "$(sj pool_writeback_stored_bytes)" = $((stored * 4096)) ] && pass "stats.json: the backing device holds $((stored * 4)) KiB" ||
        fail "stats.json: pool_writeback_stored_bytes $(sj pool_writeback_stored_bytes), bd_stat $stored pages"
grep -q "The pool's ageing failed" /tmp/engine.log && fail "$(grep "The pool's ageing failed" /tmp/engine.log)" ||
        pass "no ageing step failed"

# Every page back: the text from the recompressed pool and the device, the
# random from where it is. Single faults first, then the time of reading
# all, coarse (TCG, 10 ms clock).
probe text "zstd (recompressed) and the device"
probe rand "the pool and the device"
reads_before=$(bd 2)
t0=$(centis)
ask text verify
t1=$(centis)
case $reply in
*'"ok":true'*) pass "text workload intact after recompression and writeback: $reply" ;;
*) fail "text workload corrupted: $reply (checksum at start $text_sum)" ;;
esac
echo "MEASURE reading 48 MiB back from zstd and the device: $(((t1 - t0) * 10)) ms," \
        "$(($(bd 2) - reads_before)) pages from the backing device"
ask rand verify
case $reply in
*'"ok":true'*) pass "random workload intact: $reply" ;;
*) fail "random workload corrupted: $reply" ;;
esac

# --- stop -------------------------------------------------------------------
stop_workload text
stop_workload rand
kill -TERM "$engine_pid"
wait "$engine_pid"
rc=$?
[ "$rc" -eq 0 ] && pass "the engine stopped cleanly" || fail "the engine exited with $rc"
tail -5 /tmp/engine.log
if grep -q zram /proc/swaps; then fail "zram swap left: $(cat /proc/swaps)"; else pass "no zram swap left"; fi
losetup -d /dev/loop0 && pass "loop0 released" || fail "loop0 still held"
if dmesg | grep -q "Write-error on swap-device"; then fail "swap write errors: $(dmesg | grep -c 'Write-error on swap-device')"; else pass "no swap write error in dmesg"; fi

echo "pool-ageing: $failures failure(s), done at $(uptime_s) s of uptime"
[ "$failures" -eq 0 ]
