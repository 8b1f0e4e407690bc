# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# Hibernation on the engine's own account (issue 19), with Debian's criu
# on the VM tiers' kernel, the engine under its unit:
#   - enable_hibernation: alice's small HTTP server (a daemon, parent init)
#     whose every region stays idle for hibernate_after_cycles cycles is
#     checkpointed and stopped, its memory returned;
#   - enable_port_proxy: its port is listened on while it sleeps; a request
#     wakes it and is answered by the server itself, the same content;
#     after its idle cycles it sleeps again, and the engine's stop wakes it
#     through the proxy's port (the proxy lets go of it);
#   - a redis-server (Debian's, its own user) with 200,000 keys is hibernated
#     and restored when the engine stops, every key intact (its digest);
#   - a service's main process is refused before criu runs.

helper=/usr/libexec/wolfram/wolfram-hibernate
images=/var/lib/wolfram/hibernate
port=8088
conf=/etc/wolfram/wolfram.conf.d/60-hibernate-idle.conf
# A daemon holds no descriptor of the driver's (3 is the results' serial
# port, which criu cannot checkpoint): what the case starts runs through
# this, which closes all but 0-2.
own_fds=/run/wolfram-vm/own-fds-idle
cat >"$own_fds" <<'SH'
#!/bin/bash
for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] && eval "exec $fd>&-"
done 2>/dev/null
exec "$@"
SH
chmod 0755 "$own_fds"
dump_log() {
        cp "$images/$1.dump-failed.log" "$WOLFRAM_VM_OUT/criu-dump-$1.log" 2>/dev/null
}
listening() { # PORT: something listens on 127.0.0.1:PORT
        grep -q "0100007F:$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp
}
asleep() { # PID: its record is written and it is gone
        [ -f "$images/$1/wolfram-record.json" ] && [ ! -e "/proc/$1" ]
}

cat >"$conf" <<'CONF'
[Engine]
enable_hibernation=yes
hibernate_after_cycles=2
enable_port_proxy=yes
min_process_anon_mib=4
CONF
systemctl restart wolfram.service

# --- a small HTTP server, put to sleep by its idle cycles --------------------
mkdir -p /srv/www-idle
head -c 98304 /dev/urandom | base64 >/srv/www-idle/index.html
chmod -R a+rX /srv/www-idle
want=$(sha256sum </srv/www-idle/index.html)
(
        "$own_fds" setpriv --reuid=alice --regid=alice --init-groups --reset-env -- \
                setsid python3 -m http.server "$port" --bind 127.0.0.1 --directory /srv/www-idle \
                </dev/null >/dev/null 2>&1 &
        echo $! >/run/wolfram-vm/httpd-idle.pid
)
httpd=$(cat /run/wolfram-vm/httpd-idle.pid)
get() {
        python3 -c 'import sys, urllib.request
sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=60).read())' \
                "http://127.0.0.1:$port/index.html"
}
wait_for 60 listening "$port" && [ "$(get | sha256sum)" = "$want" ] &&
        pass "alice's HTTP server (pid $httpd) serves 128 KiB" || fail "alice's HTTP server did not serve"

# A request to the running server, for the time a request takes here.
t0=$(date +%s%N)
get >/dev/null
base_ms=$((($(date +%s%N) - t0) / 1000000))
proxy_unit=wolfram-proxy-$httpd.service
gone() { [ "$(systemctl is-active "$proxy_unit")" != active ]; }
t0=$(date +%s)
if wait_for 240 asleep "$httpd"; then
        pass "the engine hibernated the idle server after $(($(date +%s) - t0)) s: $(journalctl -q -b -u wolfram.service -g "Hibernat.*process $httpd" --no-pager | tail -n 2 | cut -d' ' -f5- | tr '\n' ' ')"
        record=$images/$httpd/wolfram-record.json
        cp "$record" "$WOLFRAM_VM_OUT/hibernate-idle-record.json" 2>/dev/null
        if python3 - "$record" "$port" <<'PY'; then
import json, sys
r = json.load(open(sys.argv[1]))
assert r["listen"] == [{"address": "127.0.0.1", "port": int(sys.argv[2]), "reuse_address": True}], r
assert r["pss_bytes"] + r["swap_bytes"] > 1 << 20, r
PY
                pass "its record holds its socket: $(tr -d ' \n' <"$record")"
        else
                fail "the record: $(tr -d '\n' <"$record" 2>&1)"
        fi
        wait_for 30 listening "$port" && [ "$(systemctl is-active "$proxy_unit")" = active ] &&
                pass "$proxy_unit listens on 127.0.0.1:$port while the server sleeps" ||
                fail "no proxy on port $port: $proxy_unit $(systemctl is-active "$proxy_unit"); $(journalctl -q -b -u "$proxy_unit" --no-pager | tail -n 3 | tr '\n' ';')"

        # A request wakes it: the server answers it itself.
        t0=$(date +%s%N)
        body=$(get | sha256sum)
        took=$((($(date +%s%N) - t0) / 1000000))
        [ "$body" = "$want" ] && [ "$(stat -c %U "/proc/$httpd" 2>&1)" = alice ] &&
                pass "a request woke the server through the proxy and got the same 128 KiB in $took ms ($base_ms ms awake): $(journalctl -q -b -u "$proxy_unit" -g 'Restored process' --no-pager | tail -n 1 | cut -d' ' -f5-)" ||
                fail "the request through the proxy: $([ "$body" = "$want" ] && echo same || echo different) content, pid $httpd $(stat -c %U "/proc/$httpd" 2>&1)"
        journalctl -q -b -u "$proxy_unit" --no-pager >"$WOLFRAM_VM_OUT/proxy-unit.txt" 2>&1
        [ ! -e "$images/$httpd" ] && pass "its images are removed after the wake" ||
                fail "$images/$httpd is left: $(find "$images/$httpd" | tr '\n' ' ')"
        wait_for 30 gone && pass "the proxy ended once the connection closed" ||
                fail "$proxy_unit is $(systemctl is-active "$proxy_unit") after the request"
        [ "$(get | sha256sum)" = "$want" ] && pass "the next request goes to the server itself" ||
                fail "the second request after the wake failed"

        # Idle again, it sleeps again; the engine's stop wakes it, the
        # proxy lets go.
        if wait_for 240 asleep "$httpd" && wait_for 30 listening "$port"; then
                pass "idle again, the server sleeps again behind the proxy"
                # The engine killed: its next start finds the sleeper, whose
                # proxy lives on in its own unit.
                systemctl kill -s KILL wolfram.service
                back() { [ "$(systemctl show -P NRestarts wolfram.service)" -ge 1 ] && is_active; }
                wait_for 60 back
                # (The driver checks that no case restarted the engine: the
                # stop and start below set NRestarts back to 0.)
                [[ $(prop HibernatedProcesses) == "a(usutt) 1 $httpd "* ]] && listening "$port" &&
                        [ "$(systemctl is-active "$proxy_unit")" = active ] &&
                        pass "after the engine was killed and restarted, the server still sleeps behind its proxy" ||
                        fail "after the engine's kill: $(prop HibernatedProcesses), proxy $(systemctl is-active "$proxy_unit")"
                # A restore that fails keeps the images and says why, on the
                # bus and in wolframctl status; the proxy listens again.
                pages=$(find "$images/$httpd" -name 'pages-*.img' | head -n 1)
                mv "$pages" "$pages.aside"
                out=$(wolframctl wake "$httpd" 2>&1)
                rc=$?
                wake_failures=$(prop HibernateWakeFailures)
                status=$(wolframctl status 2>&1)
                [ "$rc" = 1 ] && [ -f "$images/$httpd/wolfram-record.json" ] &&
                        [[ $wake_failures == "a(us) 1 $httpd "* ]] && [[ $status == *"waking $httpd failed, its images are kept"* ]] &&
                        pass "a failed wake keeps the images and says why: $out; status: $(echo "$status" | grep -A1 'Asleep:' | tr -s ' ' | tr '\n' ' ')" ||
                        fail "the failed wake: exit $rc ($out), failures '$wake_failures', status: $(echo "$status" | grep -A1 'Asleep' | tr '\n' ' ')"
                mv "$pages.aside" "$pages"
                wait_for 30 listening "$port" && pass "the proxy listens again after the failed wake" ||
                        fail "no proxy after the failed wake: $(systemctl is-active "$proxy_unit")"
                systemctl stop wolfram.service
                [ -e "/proc/$httpd" ] && [ ! -e "$images/$httpd" ] && [ "$(get | sha256sum)" = "$want" ] && gone &&
                        pass "systemctl stop wolfram stopped the proxy and woke the server: $(journalctl -q -b -u "wolfram-restore-$httpd.service" --no-pager | tail -n 2 | cut -d' ' -f5- | tr '\n' ' ')" ||
                        fail "after the engine's stop: pid $httpd $([ -e "/proc/$httpd" ] && echo runs || echo is gone), images $(find "$images" 2>&1 | tr '\n' ' '), proxy $(systemctl is-active "$proxy_unit")"
        else
                fail "the server did not sleep again: $(find "$images" 2>&1 | tr '\n' ' ')"
        fi
else
        fail "the server (pid $httpd) was not hibernated in 240 s: $(wolframctl processes 2>&1 | grep -E "PID|^ *$httpd " | tr '\n' ';')"
        dump_log "$httpd"
fi
# What else the engine tried on its own while the level was on.
journalctl -q -b -u wolfram.service -g 'ibernat' --no-pager >"$WOLFRAM_VM_OUT/hibernate-idle-engine.txt" 2>&1
note "the engine's own tries: $(grep -c 'Hibernating process' "$WOLFRAM_VM_OUT/hibernate-idle-engine.txt") ($(grep -o 'Hibernating process [0-9]* ([^)]*)' "$WOLFRAM_VM_OUT/hibernate-idle-engine.txt" | sort | uniq -c | tr -s ' ' | tr '\n' ';'))"
kill "$httpd" 2>/dev/null
rm -f "$conf"
systemctl restart wolfram.service

# --- a service's main process is refused --------------------------------------
systemd-run --quiet --unit wolfram-vm-hib-svc.service -p User=alice sleep 100000
svc=$(systemctl show -P MainPID wolfram-vm-hib-svc.service)
out=$("$helper" dump "$svc" 2>&1)
rc=$?
[ "$rc" = 4 ] && [[ $out == *wolfram-vm-hib-svc.service* ]] && [ -e "/proc/$svc" ] &&
        pass "a service's main process is refused: $out" || fail "dump of a service's main process exited $rc: $out"
systemctl stop wolfram-vm-hib-svc.service

# --- redis with its data, restored when the engine stops ----------------------
rport=6390
(
        "$own_fds" setpriv --reuid=redis --regid=redis --init-groups --reset-env -- \
                setsid redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
                --dir /var/lib/redis --enable-debug-command local --daemonize no \
                </dev/null >/dev/null 2>&1 &
        echo $! >/run/wolfram-vm/redis.pid
)
redis=$(cat /run/wolfram-vm/redis.pid)
rcli() { redis-cli -p "$rport" "$@"; }
wait_for 60 listening "$rport"
rcli DEBUG POPULATE 200000 key 100 >/dev/null
rcli SET greeting "hello from before the sleep" >/dev/null
keys=$(rcli DBSIZE)
digest=$(rcli DEBUG DIGEST)
[ "$keys" = 200001 ] && pass "redis-server (pid $redis, user redis) holds $keys keys, digest $digest" ||
        fail "redis holds '$keys' keys"
if out=$(wolframctl hibernate "$redis" 2>&1); then
        pass "redis hibernated: $out"
else
        fail "wolframctl hibernate of redis exited $?: $out"
        dump_log "$redis"
fi
cp "$images/$redis/wolfram-record.json" "$WOLFRAM_VM_OUT/hibernate-redis-record.json" 2>/dev/null
redis_gone() { [ ! -e "/proc/$redis" ] && ! listening "$rport"; }
wait_for 10 redis_gone && pass "redis is stopped, its port closed" ||
        fail "redis: /proc/$redis $(head -n 3 "/proc/$redis/status" 2>&1 | tr '\n' ' '); $(grep -c "0100007F:$(printf '%04X' "$rport") 00000000:0000 0A" /proc/net/tcp) listener(s) on $rport"
systemctl stop wolfram.service
after_keys=$(rcli DBSIZE 2>&1)
after_digest=$(rcli DEBUG DIGEST 2>&1)
[ "$after_keys" = "$keys" ] && [ "$after_digest" = "$digest" ] &&
        [ "$(rcli GET greeting)" = "hello from before the sleep" ] && [ "$(stat -c %U "/proc/$redis")" = redis ] &&
        pass "the engine's stop restored redis with every key intact: $after_keys keys, digest $after_digest" ||
        fail "redis after the engine's stop: '$after_keys' keys, digest '$after_digest' (was $digest)"
systemctl start wolfram.service
kill "$redis" 2>/dev/null
[ -z "$(find "$images" -mindepth 1 -not -name '*.dump-failed.log' 2>/dev/null)" ] && pass "no images are left" ||
        fail "left in $images: $(find "$images" | tr '\n' ' ')"
# For the record (the driver's journal comes only at its end).
journalctl -b --no-pager -o short-monotonic >"$WOLFRAM_VM_OUT/journal-84-hibernate-idle.txt" 2>&1
