# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# systemd's view of the unit: systemd-analyze verify finds nothing to say,
# and systemd-analyze security's exposure score is recorded (full table in
# the artifact security.txt).

# --man=no: the guest has no man pages for Documentation= to find.
out=$(systemd-analyze verify --man=no wolfram.service 2>&1)
if [ -z "$out" ]; then
        pass "systemd-analyze verify --man=no wolfram.service: clean"
else
        fail "systemd-analyze verify wolfram.service: $(tr '\n' ' ' <<<"$out")"
fi
systemd-analyze security --no-pager wolfram.service >/run/wolfram-vm/security.txt 2>&1
save security.txt </run/wolfram-vm/security.txt
score=$(sed -n 's/.*Overall exposure level for wolfram.service: \(.*\)$/\1/p' /run/wolfram-vm/security.txt |
        sed 's/\x1b\[[0-9;]*m//g')
# The unit's comments document 2.5; a change that opens more fails here.
max_exposure=2.5
if [ -n "$score" ] && awk -v s="${score%% *}" -v m=$max_exposure 'BEGIN { exit !(s + 0 <= m + 0) }'; then
        pass "systemd-analyze security: exposure $score (at most $max_exposure)"
        say "WOLFRAM-VM-EXPOSURE: $score"
elif [ -n "$score" ]; then
        fail "systemd-analyze security: exposure $score, above $max_exposure: $(grep '✗' /run/wolfram-vm/security.txt | head -n 20 | tr '\n' ';')"
else
        fail "systemd-analyze security gave no score: $(tail -n 3 /run/wolfram-vm/security.txt)"
fi

# The unit keeps the saver alive under pressure: the OOM killer takes it
# last, its memory is protected, and its loop pings the watchdog.
is_active || systemctl start wolfram.service
pid=$(systemctl show -P MainPID wolfram.service)
adj=$(cat "/proc/$pid/oom_score_adj")
cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
min=$(cat "/sys/fs/cgroup$cg/memory.min")
if [ "$adj" = -900 ] && [ "$min" = $((32 * 1024 * 1024)) ]; then
        pass "oom_score_adj $adj, memory.min $min"
else
        fail "oom_score_adj $adj (want -900), memory.min $min (want 32 MiB) in $cg"
fi
wd0=$(systemctl show -P WatchdogTimestampMonotonic wolfram.service)
watchdog_pinged() {
        [ "$(systemctl show -P WatchdogTimestampMonotonic wolfram.service)" != "$wd0" ]
}
if [ "$(systemctl show -P WatchdogUSec wolfram.service)" = 1min ] && wait_for 50 watchdog_pinged; then
        pass "the engine pings the watchdog (WatchdogSec $(systemctl show -P WatchdogUSec wolfram.service))"
else
        fail "no watchdog ping within 50 s: WatchdogUSec $(systemctl show -P WatchdogUSec wolfram.service), timestamp $wd0"
fi
