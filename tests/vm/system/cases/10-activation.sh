# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# Bus activation, only for a request that changes something: the engine
# is not running and its unit is not enabled; carol (no privileges, no
# session) reads the status, the processes and the exclusions: each says
# wolframd is not running (exit 3) and how to start it, and nothing starts.
# Then alice, in her active session, pauses it: the bus asks systemd for
# wolfram.service (SystemdService= of the activation file), the engine
# started for it pauses, and resumes when she asks.

if is_active; then
        fail "wolfram.service is active before anyone asked for it"
else
        pass "wolfram.service is not running after boot ($(systemctl is-enabled wolfram.service 2>&1))"
fi
if busctl status "$BUS_NAME" >/dev/null 2>&1; then
        fail "$BUS_NAME has an owner before activation"
else
        pass "$BUS_NAME has no owner before activation"
fi

for verb in status stats processes exclusions; do
        out=$(as_user carol wolframctl "$verb" 2>&1)
        rc=$?
        if [ "$rc" -eq 3 ] && grep -q "wolframd is not running" <<<"$out" &&
                grep -q "systemctl start wolfram" <<<"$out"; then
                pass "carol's wolframctl $verb: exit 3, $(head -n 1 <<<"$out")"
        else
                fail "carol's wolframctl $verb: exit $rc: $(head -n 3 <<<"$out")"
        fi
done
if is_active || busctl status "$BUS_NAME" >/dev/null 2>&1; then
        fail "reading the state started the engine: $(systemctl is-active wolfram.service)"
else
        pass "reading the state started nothing: wolfram.service $(systemctl is-active wolfram.service)"
fi

t=$(date +%s%3N)
in_session alice "wolframctl pause"
rc=$?
took=$(($(date +%s%3N) - t))
printf '%s\n' "$session_out" | save activation-wolframctl-pause.txt
if [ "$rc" -eq 0 ] && [ "$(prop State)" = 's "paused"' ]; then
        pass "alice's wolframctl pause started the engine through the bus and paused it ($took ms)"
else
        fail "alice's wolframctl pause: exit $rc after $took ms, State $(prop State): $(head -n 3 <<<"$session_out")"
fi
in_session alice "wolframctl resume"
rc=$?
[ "$rc" -eq 0 ] && [ "$(prop State)" = 's "running"' ] && pass "alice's wolframctl resume: State running" ||
        fail "alice's wolframctl resume: exit $rc, State $(prop State): $session_out"
out=$(as_user carol wolframctl status 2>&1)
rc=$?
printf '%s\n' "$out" | save activation-wolframctl-status.txt
if [ "$rc" -eq 0 ] && grep -q '^wolframd .*: running' <<<"$out"; then
        pass "carol's wolframctl status now reads the running engine"
else
        fail "carol's wolframctl status: exit $rc: $(head -n 3 <<<"$out")"
fi

check "systemctl is-active wolfram.service: active" is_active
systemctl status --no-pager wolfram.service >/run/wolfram-vm/status.txt 2>&1
rc=$?
save systemctl-status.txt </run/wolfram-vm/status.txt
if [ "$rc" -eq 0 ] && grep -q 'Active: active (running)' /run/wolfram-vm/status.txt; then
        pass "systemctl status wolfram: active (running)"
else
        fail "systemctl status wolfram: exit $rc: $(grep Active: /run/wolfram-vm/status.txt)"
fi

# The name's owner is the unit's main process: systemd started it, the bus
# did not spawn it by itself.
owner_pid=$(busctl status "$BUS_NAME" 2>/dev/null | sed -n 's/^PID=//p')
if [ -n "$owner_pid" ] && [ "$owner_pid" = "$(main_pid)" ]; then
        pass "$BUS_NAME is owned by wolfram.service's main process ($owner_pid)"
else
        fail "$BUS_NAME owner pid '${owner_pid}' is not wolfram.service's MainPID $(main_pid)"
fi
if journalctl -b --no-pager -u dbus.service -u dbus-broker.service | grep -q "$BUS_NAME"; then
        note "the bus logged: $(journalctl -b --no-pager -u dbus.service -u dbus-broker.service | grep "$BUS_NAME" | tail -n 1 | cut -c1-200)"
fi
