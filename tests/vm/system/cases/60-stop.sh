# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# systemctl stop wolfram cleans up: the unit is inactive, the engine's zram
# swap is off and its device removed, and the kernel knobs and KSM are what
# they were at boot, before the engine ever ran.

is_active || systemctl start wolfram.service
pool=$(zram_swaps)
if [ -n "$pool" ]; then
        pass "the engine's pool is swap while it runs: $(tr '\n' ' ' <<<"$pool")"
else
        fail "no zram swap while the engine runs: $(cat /proc/swaps)"
fi
knobs >/run/wolfram-vm/knobs.running
if cmp -s /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.running; then
        fail "the engine changed no kernel knob"
else
        pass "the engine tuned: $(diff /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.running | sed -n 's/^> //p' | tr '\n' ';')"
fi

t=$(date +%s%3N)
systemctl stop wolfram.service
rc=$?
took=$(($(date +%s%3N) - t))
result=$(systemctl show -P Result wolfram.service)
if [ "$rc" -eq 0 ] && [ "$(systemctl is-active wolfram.service)" = inactive ] && [ "$result" = success ]; then
        pass "systemctl stop wolfram: inactive ($took ms), result $result"
else
        fail "systemctl stop wolfram: exit $rc, $(systemctl is-active wolfram.service), result $result"
fi
if [ -z "$(zram_swaps)" ]; then
        pass "no zram swap left ($(swaps_raw))"
else
        fail "zram swap left after stop: $(zram_swaps | tr '\n' ' ')"
fi
for d in $pool; do
        if [ -e "/sys/block/$d" ]; then
                fail "$d still exists after stop"
        else
                pass "$d removed"
        fi
done
knobs >/run/wolfram-vm/knobs.stopped
if cmp -s /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.stopped; then
        pass "kernel knobs and KSM restored to their boot values"
else
        fail "not restored: $(diff /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.stopped | grep '^[<>]' | tr '\n' ';')"
fi
note "left in /run/wolfram: $(find /run/wolfram -mindepth 1 -printf "%f " 2>/dev/null)"
