# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# The Debian package as a user installs it (run only in the package
# variant, whose image holds the .deb files and nothing of the build):
# dpkg -i starts and enables the engine and creates the group wolfram; an
# ordinary user reads its status; dpkg -r stops it and leaves the machine
# as it was (sysctls, KSM, no zram swap, no program left); dpkg -P removes
# /var/lib/wolfram.

debs=/usr/local/lib/wolfram-vm/debs
deb=$(ls "$debs"/wolfram_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] && pass "the package: $(basename "$deb")" || fail "no wolfram_*.deb in $debs: $(ls "$debs")"
if command -v wolframd >/dev/null || [ -e /lib/systemd/system/wolfram.service ]; then
        fail "wolfram is installed before the package: $(command -v wolframd)"
else
        pass "nothing of wolfram is installed before the package"
fi

# The image's test users include dave of group wolfram (the other
# variants' polkit case); here the package must create the group itself.
getent group wolfram >/dev/null && groupdel wolfram
getent group wolfram >/dev/null && fail "the group wolfram is still there" || pass "no group wolfram before the package"

out=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" 2>&1)
rc=$?
printf '%s\n' "$out" | save dpkg-install.txt
[ "$rc" -eq 0 ] && pass "dpkg -i $(basename "$deb")" || fail "dpkg -i: exit $rc: $(tail -n 5 <<<"$out")"
[ "$(systemctl is-enabled wolfram.service 2>&1)" = enabled ] && pass "wolfram.service is enabled" ||
        fail "wolfram.service is $(systemctl is-enabled wolfram.service 2>&1)"
wait_for 30 is_active && pass "wolfram.service is active after the installation" ||
        fail "wolfram.service is $(systemctl is-active wolfram.service)"
getent group wolfram >/dev/null && pass "the package created the group wolfram: $(getent group wolfram)" ||
        fail "no group wolfram after the installation"
st=$(as_user carol wolframctl status 2>&1)
rc=$?
printf '%s\n' "$st" | save package-status.txt
[ "$rc" -eq 0 ] && grep -q '^wolframd .*: running' <<<"$st" && pass "carol's wolframctl status: $(head -n 1 <<<"$st")" ||
        fail "carol's wolframctl status: exit $rc: $(head -n 3 <<<"$st")"
wait_for 60 test -n "$(zram_swaps)" && pass "the engine's pool is swap: $(zram_swaps | tr '\n' ' ')" ||
        fail "no zram swap from the packaged engine: $(swaps_raw)"
[ -d /var/lib/wolfram ] && pass "/var/lib/wolfram exists" || fail "no /var/lib/wolfram"
dpkg -L wolfram | grep -q '/man1/wolframctl\.1\.gz$' && pass "the package ships wolframctl(1)" ||
        fail "no wolframctl(1) in the package"

out=$(dpkg -r wolfram 2>&1)
rc=$?
printf '%s\n' "$out" | save dpkg-remove.txt
[ "$rc" -eq 0 ] && pass "dpkg -r wolfram" || fail "dpkg -r: exit $rc: $(tail -n 5 <<<"$out")"
is_active && fail "wolfram.service still runs after removal" || pass "the engine stopped on removal"
[ -z "$(zram_swaps)" ] && pass "no zram swap left after removal" || fail "zram swap left: $(swaps_raw)"
knobs >/run/wolfram-vm/knobs.removed
cmp -s /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.removed &&
        pass "kernel knobs and KSM back at their boot values after removal" ||
        fail "not restored: $(diff /run/wolfram-vm/knobs.boot /run/wolfram-vm/knobs.removed | grep '^[<>]' | tr '\n' ';')"
if [ -e /usr/sbin/wolframd ] || [ -e /usr/bin/wolframctl ] || [ -e /lib/systemd/system/wolfram.service ]; then
        fail "programs left after removal"
else
        pass "no program or unit left after removal"
fi
[ -d /var/lib/wolfram ] && pass "removal keeps /var/lib/wolfram (its runtime changes)" ||
        fail "removal took /var/lib/wolfram"

out=$(dpkg -P wolfram 2>&1)
rc=$?
[ "$rc" -eq 0 ] && pass "dpkg -P wolfram" || fail "dpkg -P: exit $rc: $(tail -n 5 <<<"$out")"
[ ! -e /var/lib/wolfram ] && pass "purge removed /var/lib/wolfram" || fail "/var/lib/wolfram left after purge"
dpkg -s wolfram >/dev/null 2>&1 && fail "dpkg still knows wolfram: $(dpkg -s wolfram | grep Status)" ||
        pass "dpkg knows no wolfram"
