# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# A service's memory merged with the engine running, as wolfram-merge(1)
# and the README advise an admin on Debian 12. Its systemd (252) lacks
# MemoryKSM=, so the case upgrades the booted system to systemd 254 from
# bookworm-backports (build-debian-rootfs.sh put the packages in the tree)
# as an admin would, and finds what the man page says: 254 refuses to start
# a service with MemoryKSM=yes ("Failed to set KSM: Invalid argument",
# status 245/KSM: it calls prctl(PR_SET_MEMORY_MERGE) without zeroing the
# unused arguments, which the kernel rejects; systemd fixed it in 256, PR
# 31683). The advice for Debian 12, wolfram-merge in front of ExecStart=
# in a drop-in written with `systemctl edit`, merges: two instances of a
# service that hold the same 12 MiB merge nothing without it and 90% of
# their pages with it, carol's `wolframctl status` and the bus count them,
# and both read back every byte. Last of the daemon variant's cases: it
# leaves PID 1 upgraded.

WORKLOAD_DIR=/run/wolfram-vm
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh
. "$here/workload.sh"
is_active || systemctl start wolfram.service
restarts_before=$(systemctl show -P NRestarts wolfram.service)

# --- systemd 254 from bookworm-backports --------------------------------
# apt installs the downloaded files (what `apt install -t bookworm-backports
# systemd` would fetch) in the order their dependencies need.
debs=(/var/lib/wolfram-vm/backports/*.deb)
before=$(systemctl show -P Version)
t=$(date +%s)
if DEBIAN_FRONTEND=noninteractive apt-get install -y "${debs[@]}" \
        >"$WOLFRAM_VM_OUT/backports-apt.txt" 2>&1; then
        pass "apt installed ${#debs[@]} packages from bookworm-backports in $(($(date +%s) - t)) s: $(basename -a "${debs[@]}" | sed 's/_.*//' | tr '\n' ' ')"
else
        fail "apt-get install from bookworm-backports: $(tail -n 5 "$WOLFRAM_VM_OUT/backports-apt.txt" | tr '\n' ';')"
fi
# The package re-executes PID 1; ask it which version runs now.
version_ok() {
        local v
        v=$(systemctl show -P Version 2>/dev/null) && [ "${v%%.*}" -ge 254 ] 2>/dev/null
}
if wait_for 60 version_ok; then
        pass "PID 1 is now systemd $(systemctl show -P Version) (was $before)"
else
        fail "PID 1 is systemd '$(systemctl show -P Version)' after the upgrade (was $before)"
fi
is_active && [ "$(systemctl show -P NRestarts wolfram.service)" = "$restarts_before" ] &&
        pass "the engine ran on through the upgrade of PID 1" ||
        fail "the engine after the upgrade: $(systemctl is-active wolfram.service), NRestarts $(systemctl show -P NRestarts wolfram.service)"
[ "$(cat /sys/kernel/mm/ksm/run)" = 1 ] && pass "the engine runs ksmd" ||
        fail "ksm/run is $(cat /sys/kernel/mm/ksm/run) with the engine running"

# --- two instances of one service ---------------------------------------
twin_pid() {
        timeout 10 systemctl show -P MainPID "wolfram-vm-twin@$1.service"
}
# ksm_field N FIELD: FIELD of /proc/PID/ksm_stat of instance N.
ksm_field() {
        awk -v f="$2" '$1 == f { print $2 }' "/proc/$(twin_pid "$1")/ksm_stat" 2>/dev/null
}
# marked N: how many of instance N's mappings are mergeable ("mg" in
# VmFlags: prctl(PR_SET_MEMORY_MERGE) marks every mapping; ksm_stat's
# ksm_merge_any came after this kernel).
marked() {
        grep -c '^VmFlags:.* mg' "/proc/$(twin_pid "$1")/smaps" 2>/dev/null
}
start_twins() {
        local i
        for i in 1 2; do
                workload_pipes "twin$i" $((20 + i))
        done
        timeout 30 systemctl start wolfram-vm-twin@1.service wolfram-vm-twin@2.service ||
                fail "systemctl start wolfram-vm-twin@{1,2}: $(timeout 10 systemctl status --no-pager 'wolfram-vm-twin@*' 2>&1 | tail -n 5 | tr '\n' ';')"
        for i in 1 2; do
                ask "twin$i" "" && pass "instance $i ready (pid $(twin_pid "$i"), user $(ps -o user= -p "$(twin_pid "$i")"))" ||
                        fail "instance $i did not start: $(cat "$WORKLOAD_DIR/twin$i.err"); $(timeout 10 systemctl status --no-pager -l "wolfram-vm-twin@$i.service" 2>&1 | tail -n 8 | tr '\n' ';')"
        done
}
stop_twins() {
        local i
        for i in 1 2; do
                eval "exec $((20 + i))>&-"
        done
        systemctl stop wolfram-vm-twin@1.service wolfram-vm-twin@2.service
}
pages=$((12 * 1048576 / 4096))

# As they come: the instances are not marked, and nothing of theirs merges
# in 20 s (through wolfram-merge it takes a few seconds; see below).
start_twins
sleep 20
g1=$(marked 1) m1=$(ksm_field 1 ksm_merging_pages) m2=$(ksm_field 2 ksm_merging_pages)
[ "$g1" = 0 ] && [ "$m1" = 0 ] && [ "$m2" = 0 ] &&
        pass "as they come: no mapping mergeable, nothing merged in 20 s (merging pages $m1 and $m2)" ||
        fail "as they come: $g1 mappings mergeable, merging pages '$m1' and '$m2'"
stop_twins

# edit_twins LINES: `systemctl edit wolfram-vm-twin@.service` with an
# editor that writes LINES where the file says to (systemctl edit wants a
# terminal: script(1) gives it one), as an admin types them.
editor=$WORKLOAD_DIR/ksm-editor
edit_twins() {
        printf '%s\n' "$1" >"$WORKLOAD_DIR/ksm-dropin"
        cat >"$editor" <<EOF
#!/bin/sh
# systemctl edit may put +LINE before the file: the file is the last argument.
for f; do :; done
sed -i '/^### Anything between here/r $WORKLOAD_DIR/ksm-dropin' "\$f"
grep -q '^### Anything between here' "\$f" || cat "$WORKLOAD_DIR/ksm-dropin" >>"\$f"
EOF
        chmod 0755 "$editor"
        SYSTEMD_EDITOR=$editor script -qec 'systemctl edit wolfram-vm-twin@.service' /dev/null \
                >>"$WOLFRAM_VM_OUT/systemctl-edit.txt" 2>&1
}
dropin=/etc/systemd/system/wolfram-vm-twin@.service.d/override.conf

# MemoryKSM=yes, as systemd.exec(5) has it: systemd 254 fails the service.
if edit_twins $'[Service]\nMemoryKSM=yes' && [ "$(systemctl show -P MemoryKSM wolfram-vm-twin@1.service)" = yes ]; then
        pass "systemctl edit wrote $dropin: $(grep -v '^#' "$dropin" | tr '\n' ' ')"
else
        fail "systemctl edit: MemoryKSM is '$(systemctl show -P MemoryKSM wolfram-vm-twin@1.service)': $(tr '\n' ';' <"$WOLFRAM_VM_OUT/systemctl-edit.txt")"
fi
workload_pipes twin1 21
systemctl start wolfram-vm-twin@1.service
refused() {
        [ "$(systemctl show -P ExecMainStatus wolfram-vm-twin@1.service)" = 245 ]
}
if wait_for 30 refused && journalctl -b --no-pager -o cat -u wolfram-vm-twin@1.service | grep -q 'Failed to set KSM: Invalid argument'; then
        pass "systemd $(systemctl show -P Version) refuses MemoryKSM=yes, as wolfram-merge(1) says: $(journalctl -b --no-pager -o cat -u wolfram-vm-twin@1.service | grep -m1 'Failed to set KSM')"
else
        fail "MemoryKSM=yes under systemd $(systemctl show -P Version): $(systemctl is-active wolfram-vm-twin@1.service), status $(systemctl show -P ExecMainStatus wolfram-vm-twin@1.service) (wolfram-merge(1) says it fails; update it if this systemd merges)"
fi
exec 21>&-
systemctl stop wolfram-vm-twin@1.service
systemctl reset-failed wolfram-vm-twin@1.service 2>/dev/null
rm -f "$dropin"

# The advice for Debian 12: wolfram-merge in front of the command.
merge=$(command -v wolfram-merge)
if edit_twins "[Service]
ExecStart=
ExecStart=$merge --quiet -- /usr/local/bin/wolfram-workload --size-mib=12 --content=random --seed=85" &&
        systemctl show -P ExecStart wolfram-vm-twin@1.service | grep -q "path=$merge"; then
        pass "systemctl edit wrote $dropin: $(grep -v '^#' "$dropin" | tr '\n' ' ')"
else
        fail "systemctl edit: ExecStart is '$(systemctl show -P ExecStart wolfram-vm-twin@1.service)': $(tr '\n' ';' <"$WOLFRAM_VM_OUT/systemctl-edit.txt")"
fi

start_twins
t=$(date +%s%3N)
[ "$(marked 1)" -gt 0 ] && [ "$(marked 2)" -gt 0 ] &&
        pass "through wolfram-merge both instances are marked: $(marked 1) and $(marked 2) mappings mergeable" ||
        fail "through wolfram-merge: '$(marked 1)' and '$(marked 2)' mappings mergeable"
merged() {
        [ "$(ksm_field 1 ksm_merging_pages)" -ge $((pages * 9 / 10)) ] &&
                [ "$(ksm_field 2 ksm_merging_pages)" -ge $((pages * 9 / 10)) ]
}
if wait_for 180 merged; then
        took=$(($(date +%s%3N) - t))
        pass "90% of each instance's $pages pages merged after $((took / 1000)).$(printf '%03d' $((took % 1000))) s (merging pages $(ksm_field 1 ksm_merging_pages) and $(ksm_field 2 ksm_merging_pages), pages_to_scan $(cat /sys/kernel/mm/ksm/pages_to_scan))"
else
        fail "not merged within 180 s: merging pages $(ksm_field 1 ksm_merging_pages) and $(ksm_field 2 ksm_merging_pages), pages_to_scan $(cat /sys/kernel/mm/ksm/pages_to_scan), run $(cat /sys/kernel/mm/ksm/run)"
fi
# What the engine publishes, as an unprivileged user reads it.
status_sharing() {
        as_user carol wolframctl status | sed -n 's/.*KSM: .*, \([0-9][0-9]*\) pages sharing.*/\1/p'
}
sharing_counted() {
        [ "$(status_sharing)" -ge $((pages * 9 / 10)) ]
}
if wait_for 30 sharing_counted; then
        pass "carol's status: $(as_user carol wolframctl status | grep 'KSM: ' | sed 's/^ *//')"
else
        fail "status does not count the pages: $(as_user carol wolframctl status 2>&1 | grep -E 'KSM|Saved')"
fi
bus=$(prop KsmPagesSharing | awk '{ print $2 }')
saved=$(prop KsmSavedBytes | awk '{ print $2 }')
[ "${bus:-0}" -ge $((pages * 9 / 10)) ] && [ "${saved:-0}" -gt 0 ] &&
        pass "on the bus: KsmPagesSharing $bus, KsmSavedBytes $saved" ||
        fail "on the bus: KsmPagesSharing '${bus:-}', KsmSavedBytes '${saved:-}'"
for i in 1 2; do
        ask "twin$i" verify
        case $reply in
        *'"ok":true'*) pass "instance $i reads back every byte while merged: $reply" ;;
        *) fail "instance $i: $reply" ;;
        esac
done
stop_twins
rm -rf /etc/systemd/system/wolfram-vm-twin@.service.d "$editor" "$WORKLOAD_DIR/ksm-dropin"
systemctl daemon-reload
