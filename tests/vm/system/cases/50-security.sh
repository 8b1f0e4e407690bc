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
if [ -n "$score" ]; then
        pass "systemd-analyze security: exposure $score"
        say "WOLFRAM-VM-EXPOSURE: $score"
else
        fail "systemd-analyze security gave no score: $(tail -n 3 /run/wolfram-vm/security.txt)"
fi
