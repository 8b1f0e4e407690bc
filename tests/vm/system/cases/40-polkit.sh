# shellcheck shell=bash disable=SC2015,SC2154
# SPDX-License-Identifier: MIT
# polkit with real logind sessions (org.wolfram.memory1.pause: allow_active
# yes, allow_inactive and allow_any auth_admin_keep; the build's rules grant
# every action to the group "wolfram"):
#   alice, autologin on tty1, the active local session: pauses and resumes
#     without a password; configure (auth_admin_keep even when active) is
#     asked for;
#   bob, autologin on tty2, on the seat but not active: asked for
#     authentication; with a text agent (pkttyagent) in his session and
#     root's password typed he may pause, with a wrong one he is refused;
#   carol, no session at all (from this service): refused;
#   dave, in the group "wolfram", no session: allowed by the rules file.

state() {
        prop State | sed 's/^s "\(.*\)"$/\1/'
}
session_of() {
        loginctl list-sessions --no-legend | awk -v u="$1" '$3 == u { print $1; exit }'
}
sa=$(session_of alice) sb=$(session_of bob)
if [ "$(loginctl show-session -P Active "$sa")" = yes ] && [ "$(loginctl show-session -P Remote "$sa")" = no ] &&
        [ "$(loginctl show-session -P Seat "$sa")" = seat0 ]; then
        pass "alice: session $sa on seat0 $(loginctl show-session -P TTY "$sa"), local, active"
else
        fail "alice's session $sa: $(loginctl show-session "$sa" | grep -E '^(Active|Remote|Seat|TTY|State)=' | tr '\n' ' ')"
fi
if [ "$(loginctl show-session -P Active "$sb")" = no ] && [ "$(loginctl show-session -P Seat "$sb")" = seat0 ]; then
        pass "bob: session $sb on seat0 $(loginctl show-session -P TTY "$sb"), $(loginctl show-session -P State "$sb"), not active"
else
        fail "bob's session $sb: $(loginctl show-session "$sb" | grep -E '^(Active|Remote|Seat|TTY|State)=' | tr '\n' ' ')"
fi
[ "$(state)" = running ] || systemctl start wolfram.service

# --- alice: active local session ------------------------------------------
in_session alice 'pkcheck --action-id org.wolfram.memory1.pause --process $$'
rc=$?
[ "$rc" -eq 0 ] && pass "alice: pkcheck says authorized for pause" || fail "alice: pkcheck exit $rc: $session_out"
in_session alice 'wolframctl pause'
rc=$?
if [ "$rc" -eq 0 ] && [ "$(state)" = paused ]; then
        pass "alice (active session) paused the engine without a password"
else
        fail "alice: wolframctl pause exit $rc, State $(state): $session_out"
fi
in_session alice 'wolframctl resume'
rc=$?
if [ "$rc" -eq 0 ] && [ "$(state)" = running ]; then
        pass "alice resumed the engine"
else
        fail "alice: wolframctl resume exit $rc, State $(state): $session_out"
fi
in_session alice 'wolframctl set ksm off'
rc=$?
if [ "$rc" -eq 4 ] && grep -q 'Authentication is required' <<<"$session_out"; then
        pass "alice: configure (auth_admin_keep) is asked for: $session_out"
else
        fail "alice: wolframctl set ksm off exit $rc: $session_out"
fi

# --- bob: a session on the seat that is not active -------------------------
in_session bob 'pkcheck --action-id org.wolfram.memory1.pause --process $$'
rc=$?
[ "$rc" -eq 2 ] && pass "bob: pkcheck says authentication required (challenge)" ||
        fail "bob: pkcheck exit $rc (2: challenge): $session_out"
in_session bob 'wolframctl pause'
rc=$?
if [ "$rc" -eq 4 ] && grep -q 'Authentication is required' <<<"$session_out" && [ "$(state)" = running ]; then
        pass "bob (inactive session) is asked to authenticate: $session_out"
else
        fail "bob: wolframctl pause exit $rc, State $(state): $session_out"
fi

# With a text agent registered for wolframctl in bob's session: polkitd
# asks it, it prompts on its terminal (a pty from script(1)), and the
# password is typed there once the prompt shows.
# agent_try PASSWORD: sets $session_out; returns wolframctl's status.
agent_try() {
        in_session bob "
cd /run/wolfram-vm/session/bob || exit 100
rm -f agent.in agent.log agent.pid
mkfifo agent.in
exec 7<>agent.in
AGENT_PID_FILE=\$PWD/agent.pid script -qfec '/usr/local/lib/wolfram-vm/agent-run.sh wolframctl pause' /dev/null <agent.in >agent.log 2>&1 &
script_pid=\$!
for i in \$(seq 300); do
        grep -q 'Password:' agent.log && break
        kill -0 \$script_pid 2>/dev/null || break
        sleep 0.1
done
grep -q 'Password:' agent.log && echo '$1' >&7
wait \$script_pid
rc=\$?
[ -s agent.pid ] && kill \$(cat agent.pid) 2>/dev/null
tr -d '\\r' <agent.log
exit \$rc
" 90
}
agent_try wolfram
rc=$?
printf '%s\n' "$session_out" | save polkit-agent-right-password.txt
if [ "$rc" -eq 0 ] && grep -q 'Password:' <<<"$session_out" && [ "$(state)" = paused ]; then
        pass "bob: the agent in his session was asked, root's password given, the engine paused"
else
        fail "bob with the agent and root's password: exit $rc, State $(state): $(tr '\n' ' ' <<<"$session_out" | cut -c1-300)"
fi
systemctl is-active -q wolfram.service && wolframctl resume >/dev/null 2>&1
agent_try not-the-password
rc=$?
printf '%s\n' "$session_out" | save polkit-agent-wrong-password.txt
if [ "$rc" -eq 4 ] && grep -q 'Password:' <<<"$session_out" && [ "$(state)" = running ]; then
        pass "bob: a wrong password is refused (exit 4), the engine keeps running"
else
        fail "bob with the agent and a wrong password: exit $rc, State $(state): $(tr '\n' ' ' <<<"$session_out" | cut -c1-300)"
fi

# --- carol: no session ------------------------------------------------------
out=$(as_user carol wolframctl pause 2>&1)
rc=$?
if [ "$rc" -eq 4 ] && [ "$(state)" = running ]; then
        pass "carol (no session) is refused: $out"
else
        fail "carol: wolframctl pause exit $rc, State $(state): $out"
fi

# --- dave: the group of the rules file ---------------------------------------
out=$(as_user dave wolframctl pause 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && [ "$(state)" = paused ]; then
        pass "dave (group wolfram, no session) paused through the rules file"
else
        fail "dave: wolframctl pause exit $rc, State $(state): $out"
fi
as_user dave wolframctl resume >/dev/null 2>&1
[ "$(state)" = running ] || fail "dave could not resume: State $(state)"
journalctl -b --no-pager -u polkit.service 2>&1 | save journal-polkit.txt
