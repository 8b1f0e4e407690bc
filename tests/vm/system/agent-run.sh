#!/bin/bash
# SPDX-License-Identifier: MIT
#
# agent-run.sh COMMAND...: registers polkit's text agent (pkttyagent) for
# this process, as systemctl does for itself, and then execs COMMAND in its
# place (same pid, same start time): polkitd asks that agent, which prompts
# on this terminal. $AGENT_PID_FILE gets the agent's pid.
set -u
ready=$(mktemp -u /tmp/agent-ready.XXXXXX)
mkfifo "$ready"
pkttyagent --process "$$" --notify-fd 5 5>"$ready" &
echo $! >"${AGENT_PID_FILE:-/dev/null}"
# pkttyagent closes fd 5 once it is registered.
read -r _ <"$ready"
rm -f "$ready"
exec "$@"
