# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# The pool over time as an admin sets it up, under the unit: a config
# drop-in names a loop device as writeback_device= and zstd is the second
# compressor (tests/vm/pool-ageing.sh runs the same without systemd). The
# unit's DevicePolicy=closed keeps the device from the engine until the
# drop-in wolfram.conf(5) advises (DeviceAllow=PATH rw): first the
# refusal and its advice in `wolframctl status`, then, with the drop-in,
# recompression and writeback of two services' idle memory, their figures
# in status (as an unprivileged user reads it) and on the bus, every byte
# read back intact, the device released on stop.

WORKLOAD_DIR=/run/wolfram-vm
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh
. "$here/workload.sh"
engine_log() {
        journalctl -b --no-pager -o cat -u wolfram.service _PID="$(main_pid)"
}
logged() {
        engine_log | grep -q "$1"
}
started_at=$(date '+%Y-%m-%d %H:%M:%S')

is_active && systemctl stop wolfram.service
dd if=/dev/zero of="$WORKLOAD_DIR"/backing.img bs=1M count=64 status=none
loop=$(losetup --find --show "$WORKLOAD_DIR"/backing.img)
[ -b "$loop" ] && pass "$loop backs onto a 64 MiB file" || fail "losetup gave '$loop'"
conf=/etc/wolfram/wolfram.conf.d/80-ageing.conf
cat >"$conf" <<EOF
[Zram]
algorithm=lz4
recompress_algorithm=auto
recompress_after_secs=20
writeback_device=$loop
writeback_after_secs=40
writeback_limit_mib=8
EOF

# Without the device drop-in: refused, with the advice, and the engine runs.
systemctl start wolfram.service
wait_for 60 logged "^Created zram" || fail "no pool within 60 s: $(engine_log | tail -n 3 | tr '\n' ';')"
st=$(as_user carol wolframctl status 2>&1)
case $st in
*"ageing: "*"DeviceAllow=$loop rw"*) pass "refused under DevicePolicy=closed, status says: $(grep 'ageing:' <<<"$st" | sed 's/^ *//')" ;;
*) fail "no DeviceAllow advice in status: $st" ;;
esac
is_active && pass "the engine runs on without its backing device" || fail "the engine is $(systemctl is-active wolfram.service)"
systemctl stop wolfram.service

# With it, as `systemctl edit wolfram` would write it.
dropin=/etc/systemd/system/wolfram.service.d/80-backing.conf
mkdir -p "${dropin%/*}"
printf '[Service]\nDeviceAllow=%s rw\n' "$loop" >"$dropin"
systemctl daemon-reload
systemctl start wolfram.service
wait_for 60 logged "^Created zram" || fail "no pool within 60 s after the drop-in"
pool=$(engine_log | sed -n 's/^Created \(zram[0-9]*\) .*/\1/p' | head -n 1)
[ "$(cat "/sys/block/$pool/backing_dev" 2>/dev/null)" = "$loop" ] && pass "$pool writes back to $loop" ||
        fail "$pool's backing_dev is '$(cat "/sys/block/$pool/backing_dev" 2>/dev/null)'"
case $(cat "/sys/block/$pool/recomp_algorithm" 2>/dev/null) in
*"[zstd]"*) pass "$pool recompresses with zstd" ;;
*) fail "$pool's recomp_algorithm: '$(cat "/sys/block/$pool/recomp_algorithm" 2>/dev/null)'" ;;
esac

# Two services' memory, idle from the start: text (compresses) and random
# (each page huge: recompressed too, and written back first).
WORKLOAD_LAUNCHER="systemd-run --quiet --pipe --unit=wolfram-vm-age-text -p DynamicUser=yes" \
        start_workload agetext 7 --size-mib=48 --content=text --seed=7
WORKLOAD_LAUNCHER="systemd-run --quiet --pipe --unit=wolfram-vm-age-rand -p DynamicUser=yes" \
        start_workload agerand 8 --size-mib=24 --content=random --seed=8
ask agetext "" && pass "text service ready" || fail "text service did not start: $(cat "$WORKLOAD_DIR"/agetext.err)"
ask agerand "" && pass "random service ready" || fail "random service did not start: $(cat "$WORKLOAD_DIR"/agerand.err)"

t=$(date +%s)
wait_for 180 logged "Pool ageing: recompressed with zstd, [1-9]" &&
        pass "after $(($(date +%s) - t)) s: $(engine_log | grep -m1 'Pool ageing: recompressed with zstd, [1-9]')" ||
        fail "no recompression within 180 s: $(engine_log | grep -E 'Cycle|ageing' | tail -n 4 | tr '\n' ';')"
wait_for 120 logged "Pool ageing: .* written to $loop" &&
        pass "after $(($(date +%s) - t)) s: $(engine_log | grep -m1 "written to $loop")" ||
        fail "no writeback within 120 s: $(engine_log | grep -E 'Cycle|ageing' | tail -n 4 | tr '\n' ';')"
engine_log | grep -q "The pool's ageing failed" && fail "$(engine_log | grep -m1 "The pool's ageing failed")" ||
        pass "no ageing step failed"

# The figures, as an unprivileged user and busctl read them.
st=$(as_user carol wolframctl status 2>&1)
save pool-ageing-status.txt <<<"$st"
line=$(grep "recompressed with zstd when idle:" <<<"$st" | sed 's/^ *//')
case $line in
*": "[1-9]*" smaller, CPU "*) pass "status: $line" ;;
*) fail "no recompression line in status: $st" ;;
esac
line=$(grep "written back to $loop:" <<<"$st" | sed 's/^ *//')
case $line in
*": "[0-9]*" there now, "[1-9]*" today of 8.0 MiB a day"*) pass "status: $line" ;;
*) fail "no writeback line in status: $st" ;;
esac
grep -q "ageing:" <<<"$st" && fail "status still has an ageing note: $(grep 'ageing:' <<<"$st")" ||
        pass "no ageing note in status"
written=$(prop PoolWrittenBackBytes | awk '{ print $2 }')
bd_written=$(awk '{ print $3 * 4096 }' "/sys/block/$pool/bd_stat")
[ "${written:-0}" -gt 0 ] && [ "$written" -le $((8 * 1048576)) ] && [ "$written" -le "$bd_written" ] &&
        pass "PoolWrittenBackBytes $written, within the 8 MiB a day (bd_stat now $bd_written)" ||
        fail "PoolWrittenBackBytes '${written:-}', bd_stat $bd_written"
[ "$(prop PoolWritebackDevice)" = "s \"$loop\"" ] && [ "$(prop PoolRecompressAlgorithm)" = 's "zstd"' ] &&
        pass "PoolWritebackDevice $(prop PoolWritebackDevice), PoolRecompressAlgorithm $(prop PoolRecompressAlgorithm)" ||
        fail "PoolWritebackDevice $(prop PoolWritebackDevice), PoolRecompressAlgorithm $(prop PoolRecompressAlgorithm)"
saved=$(prop PoolRecompressSavedBytes | awk '{ print $2 }')
[ "${saved:-0}" -gt 0 ] && pass "PoolRecompressSavedBytes $saved" || fail "PoolRecompressSavedBytes '${saved:-}'"

# Every byte back, from zstd and from the device.
for w in agetext agerand; do
        ask "$w" verify
        case $reply in
        *'"ok":true'*) pass "$w intact after recompression and writeback: $reply" ;;
        *) fail "$w: $reply" ;;
        esac
done
stop_workload agetext
stop_workload agerand

systemctl stop wolfram.service
[ -z "$(zram_swaps)" ] && pass "stopped: no zram swap left" || fail "zram swap left: $(zram_swaps | tr '\n' ' ')"
losetup -d "$loop" && pass "$loop released after the stop" || fail "$loop still held"
rm -f "$conf" "$dropin" "$WORKLOAD_DIR"/backing.img
systemctl daemon-reload
if journalctl -k --no-pager -q --since "$started_at" | grep -q "Write-error on swap-device"; then
        fail "swap write errors in the kernel log: $(journalctl -k --no-pager -q --since "$started_at" | grep -c 'Write-error')"
else
        pass "no swap write error in the kernel log"
fi
knobs >/run/wolfram-vm/knobs.final
cmp -s /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.final &&
        pass "kernel knobs and KSM back at their boot values" ||
        fail "not restored: $(diff /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.final | grep '^[<>]' | tr '\n' ';')"
