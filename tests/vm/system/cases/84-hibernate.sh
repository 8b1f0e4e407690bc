# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# Hibernation on request (issue 19), with Debian's criu on the VM tiers'
# kernel. Through the engine, as an admin asks it (wolframctl hibernate and
# wake: the engine, under its unit, runs the helper in a transient service
# of its own): a small HTTP server of alice's (a daemon: its parent is
# init) sleeps with nothing listening on its port, is counted on the bus
# and in stats.json, comes back under its pid and owner and serves the
# same content; `wake all` brings back what sleeps; carol is refused. The
# helper itself: a workload's 32 MiB come back byte for byte; what CRIU
# cannot checkpoint (a stream socket connected to a peer outside the
# process) is refused with CRIU's reason and keeps running; init, the
# engine and an excluded name are refused before criu runs.

WORKLOAD_DIR=/run/wolfram-vm
# shellcheck source=tests/vm/initramfs/usr/lib/wolfram-vm/workload.sh
. "$here/workload.sh"
is_active || systemctl start wolfram.service
helper=/usr/libexec/wolfram/wolfram-hibernate
images=/var/lib/wolfram/hibernate
port=8087

# What criu says of this kernel, for the record; the checkpoints below are
# what must work.
criu check >"$WOLFRAM_VM_OUT/criu-check.txt" 2>&1
note "criu check on $(uname -r) exited $?: $(tail -n 2 "$WOLFRAM_VM_OUT/criu-check.txt" | tr '\n' ';')"
# A daemon holds no descriptor of the driver's (3 is the results' serial
# port, a character device criu cannot checkpoint; the workloads' FIFOs):
# what the case starts runs through this, which closes all but 0-2.
cat >/run/wolfram-vm/own-fds <<'SH'
#!/bin/bash
for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] && eval "exec $fd>&-"
done 2>/dev/null
exec "$@"
SH
chmod 0755 /run/wolfram-vm/own-fds
own_fds=/run/wolfram-vm/own-fds
# dump_log PID: criu's log of a checkpoint that failed, into the artifacts.
dump_log() {
        cp "$images/$1.dump-failed.log" "$WOLFRAM_VM_OUT/criu-dump-$1.log" 2>/dev/null
}

# --- a small HTTP server, through the engine ------------------------------
mkdir -p /srv/www
head -c 196608 /dev/urandom | base64 >/srv/www/index.html
chmod -R a+rX /srv/www
want=$(sha256sum </srv/www/index.html)
# The subshell exits: the server's parent is init, as a daemon's is;
# setpriv and setsid exec, so $! is the server.
(
        "$own_fds" setpriv --reuid=alice --regid=alice --init-groups --reset-env -- \
                setsid python3 -m http.server "$port" --bind 127.0.0.1 --directory /srv/www \
                </dev/null >/dev/null 2>&1 &
        echo $! >/run/wolfram-vm/httpd.pid
)
httpd=$(cat /run/wolfram-vm/httpd.pid)
get() {
        python3 -c 'import sys, urllib.request
sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=10).read())' \
                "http://127.0.0.1:$port/index.html"
}
listening() {
        grep -q ":$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp
}
wait_for 60 listening && [ "$(get | sha256sum)" = "$want" ] &&
        pass "alice's HTTP server (pid $httpd, $(cat "/proc/$httpd/comm")) serves 256 KiB" ||
        fail "alice's HTTP server (pid $httpd) did not serve its page"

out=$(as_user carol wolframctl --no-ask-password hibernate "$httpd" 2>&1)
rc=$?
[ "$rc" = 4 ] && [ -e "/proc/$httpd" ] && pass "carol is refused: $out" || fail "carol's hibernate exited $rc: $out"

avail_before=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
t0=$(date +%s%N)
if out=$(wolframctl hibernate "$httpd" 2>&1); then
        pass "wolframctl hibernate took $((($(date +%s%N) - t0) / 1000000)) ms: $out"
else
        fail "wolframctl hibernate of the HTTP server exited $?: $out"
        dump_log "$httpd"
fi
avail_after=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
note "MemAvailable $avail_before -> $avail_after KiB"
[ ! -e "/proc/$httpd" ] && pass "the server is stopped" ||
        fail "the server still runs: $(head -n 3 "/proc/$httpd/status" 2>/dev/null | tr '\n' ' ')"
listening && fail "port $port still listens while the server sleeps" || pass "nothing listens on port $port while it sleeps"
perms=$(stat -c '%a %U' "$images" "$images/$httpd" 2>&1 | tr '\n' ' ')
[ "$perms" = "700 root 700 root " ] && pass "the images are root-only ($perms)" || fail "the images' directories: $perms"
journalctl -q -b -u "wolfram-hibernate-$httpd.service" --no-pager >"$WOLFRAM_VM_OUT/hibernate-unit.txt" 2>&1
record=$images/$httpd/wolfram-record.json
cp "$record" "$WOLFRAM_VM_OUT/hibernate-record.json" 2>/dev/null
if python3 - "$record" "$httpd" "$port" "$(id -u alice)" <<'PY'; then
import json, sys
r = json.load(open(sys.argv[1]))
assert r["pid"] == int(sys.argv[2]), r
assert r["comm"] == "python3", r
assert r["uid"] == int(sys.argv[4]), r
assert r["ports"] == [int(sys.argv[3])], r
assert r["pss_bytes"] > 1 << 20, r
assert r["image_bytes"] > 1 << 20, r
assert r["tasks"] == 1, r
PY
        pass "the record: $(tr -d ' \n' <"$record")"
else
        fail "the record: $(tr -d '\n' <"$record" 2>&1)"
fi
# The engine (under its unit) counts it, on the bus and in stats.json.
hibernated=$(prop HibernatedProcesses)
[[ $hibernated == "a(usutt) 1 $httpd \"python3\" $(id -u alice) "* ]] &&
        pass "HibernatedProcesses: $hibernated" || fail "HibernatedProcesses while the server sleeps: '$hibernated'"
out=$(as_user carol wolframctl processes 2>&1)
[[ $out == *"Hibernated (wolframctl wake PID):"*"$httpd python3 uid $(id -u alice), "*" returned, since "* ]] &&
        pass "carol's wolframctl processes lists it: $(echo "$out" | tail -n 1)" ||
        fail "wolframctl processes while the server sleeps: $(echo "$out" | tail -n 3 | tr '\n' ';')"
saved=$(prop HibernatedSavedBytes | awk '{ print $2 }')
[ "${saved:-0}" -gt 1048576 ] && pass "HibernatedSavedBytes: $saved" || fail "HibernatedSavedBytes: '$saved'"
stats_count() {
        python3 -c 'import json, sys
d = json.load(open("/var/lib/wolfram/stats.json"))
sys.exit(0 if d["hibernated_processes"] == int(sys.argv[1]) and (float(d["hibernated_saved_mib"]) > 1) == (sys.argv[1] != "0") else 1)' "$1"
}
stats_hibernated() {
        grep -o '"hibernated_[a-z_]*": *[0-9.]*' /var/lib/wolfram/stats.json 2>&1 | tr '\n' ' '
}
wait_for 30 stats_count 1 && pass "stats.json counts it after a cycle: $(stats_hibernated)" ||
        fail "stats.json: $(stats_hibernated)"
out=$(wolframctl hibernate "$httpd" 2>&1)
rc=$?
[ "$rc" = 1 ] && pass "a second hibernate is refused: $out" || fail "a second hibernate exited $rc: $out"

t0=$(date +%s%N)
if out=$(wolframctl wake "$httpd" 2>&1); then
        pass "wolframctl wake took $((($(date +%s%N) - t0) / 1000000)) ms: $out"
else
        fail "wolframctl wake of the HTTP server exited $?: $out"
fi
owner=$(stat -c %U "/proc/$httpd" 2>&1)
[ "$owner" = alice ] && [ "$(cat "/proc/$httpd/comm" 2>&1)" = python3 ] &&
        pass "the server is back as pid $httpd, alice's, in $(sed -n 's/^0:://p' "/proc/$httpd/cgroup")" ||
        fail "pid $httpd after the restore: owner $owner, comm $(cat "/proc/$httpd/comm" 2>&1)"
[ "$(get | sha256sum)" = "$want" ] && pass "it serves the same 256 KiB after the restore" ||
        fail "the page after the restore differs or did not come"
[ ! -e "$images/$httpd" ] && pass "its images are removed after the restore" ||
        fail "$images/$httpd is left: $(find "$images/$httpd" | tr '\n' ' ')"
[ "$(prop HibernatedProcesses)" = "a(usutt) 0" ] && pass "HibernatedProcesses is empty again" ||
        fail "HibernatedProcesses after the restore: $(prop HibernatedProcesses)"
wait_for 30 stats_count 0 && pass "stats.json counts none after the next cycle" ||
        fail "stats.json after the restore: $(stats_hibernated)"
out=$(wolframctl wake "$httpd" 2>&1)
rc=$?
[ "$rc" = 1 ] && pass "a second wake is refused: $out" || fail "a second wake exited $rc: $out"

# Asleep again, then `wake all`.
wolframctl hibernate "$httpd" >/dev/null 2>&1
if out=$(wolframctl wake all 2>&1) && [ "$(get | sha256sum)" = "$want" ]; then
        pass "wake all: $out"
else
        fail "wake all: $out"
fi

# The engine's stop wakes what sleeps.
wolframctl hibernate "$httpd" >/dev/null 2>&1
[ ! -e "/proc/$httpd" ] || fail "the server did not go to sleep again"
systemctl stop wolfram.service
[ -e "/proc/$httpd" ] && [ "$(get | sha256sum)" = "$want" ] && [ ! -e "$images/$httpd" ] &&
        pass "systemctl stop wolfram woke the server: $(journalctl -q -b -u wolfram.service -g 'Restored process' --no-pager | tail -n 1)" ||
        fail "after the engine's stop: pid $httpd $([ -e "/proc/$httpd" ] && echo runs || echo is gone), images $(find "$images" | tr '\n' ' ')"
# A checkpoint that never finished (no record: the helper was killed with
# criu's tree stopped) is resumed and removed when the engine starts.
(
        "$own_fds" setsid sleep 100000 </dev/null >/dev/null 2>&1 &
        echo $! >/run/wolfram-vm/stopped.pid
)
stopped=$(cat /run/wolfram-vm/stopped.pid)
kill -STOP "$stopped"
mkdir -p "$images/$stopped"
echo half >"$images/$stopped/core-$stopped.img"
systemctl start wolfram.service
# The engine owns its name before its start has run the helper.
resumed() {
        [ "$(awk '{ print $3 }' "/proc/$stopped/stat")" = S ] && [ ! -e "$images/$stopped" ]
}
wait_for 30 resumed
state=$(awk '{ print $3 }' "/proc/$stopped/stat" 2>/dev/null)
[ "$state" = S ] && [ ! -e "$images/$stopped" ] &&
        pass "the engine's start resumed an unfinished checkpoint's process and removed it: $(journalctl -q -b -u wolfram.service -g 'did not finish' --no-pager | tail -n 1)" ||
        fail "after the start: process $stopped state '$state', $(find "$images" | tr '\n' ' ')"
kill "$stopped"

# --- a workload's memory, byte for byte, through the helper ----------------
WORKLOAD_LAUNCHER="$own_fds setpriv --reuid=bob --regid=bob --init-groups setsid --" \
        start_workload hib 7 --size-mib=32 --content=mixed --seed=84
ask hib "" && pass "bob's workload holds 32 MiB" || fail "bob's workload did not start: $(cat "$WORKLOAD_DIR/hib.err")"
if out=$("$helper" dump "$hib_pid" 2>&1); then
        pass "workload hibernated: $out"
        # Its parent is this shell, which reaps it: its pid is free again.
        wait_for 10 test ! -e "/proc/$hib_pid" || fail "the workload's pid $hib_pid is still taken"
        if out=$("$helper" restore "$hib_pid" 2>&1); then
                pass "workload restored: $out"
        else
                fail "restore of the workload failed: $out"
        fi
else
        fail "dump of the workload failed: $out"
        dump_log "$hib_pid"
fi
ask hib verify
echo "$reply" | grep -q '"ok":true' && pass "every byte of its 32 MiB is as written" || fail "the workload's verify said '$reply'"

# --- refused ---------------------------------------------------------------
# A stream socket connected to the system bus, a peer outside its tree.
(
        "$own_fds" setsid python3 -c 'import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("/run/dbus/system_bus_socket")
time.sleep(100000)' </dev/null >/dev/null 2>&1 &
        echo $! >/run/wolfram-vm/unix.pid
)
unix=$(cat /run/wolfram-vm/unix.pid)
sleep 1
out=$("$helper" dump "$unix" 2>&1)
rc=$?
state=$(awk '{ print $3 }' "/proc/$unix/stat" 2>/dev/null)
[ "$rc" = 2 ] && [ "$state" = S ] && [ ! -e "$images/$unix" ] &&
        pass "a connected unix socket is refused and the process runs on: $out" ||
        fail "the undumpable process: exit $rc, state '$state', images $(find "$images" 2>&1 | tr '\n' ' '): $out"
kill "$unix"
out=$("$helper" dump 1 2>&1)
rc=$?
[ "$rc" = 4 ] && [[ $out == *"init system"* ]] && pass "init is refused: $out" || fail "dump 1 exited $rc: $out"
out=$("$helper" dump "$(main_pid)" 2>&1)
rc=$?
[ "$rc" = 4 ] && pass "the engine is refused: $out" || fail "dump of the engine exited $rc: $out"
printf '[Exclude]\nexcluded_names=keepme\n' >/etc/wolfram/wolfram.conf.d/60-hibernate.conf
WORKLOAD_LAUNCHER="setsid --" start_workload keep 8 --size-mib=4 --content=text --seed=85 --name=keepme
ask keep ""
out=$("$helper" dump "$keep_pid" 2>&1)
rc=$?
[ "$rc" = 4 ] && [[ $out == *keepme* ]] && [ -e "/proc/$keep_pid" ] && pass "an excluded name is refused: $out" ||
        fail "dump of an excluded process exited $rc: $out"
stop_workload keep
rm -f /etc/wolfram/wolfram.conf.d/60-hibernate.conf

# Leave nothing behind: the server and the workload (by pid), no images.
kill "$httpd" 2>/dev/null
stop_workload hib
[ -z "$(find "$images" -mindepth 1 -not -name '*.dump-failed.log' 2>/dev/null)" ] && pass "no images are left" ||
        fail "left in $images: $(find "$images" | tr '\n' ' ')"
