# SPDX-License-Identifier: MIT
"""One user cannot lock the others out of the methods: authorization
requests waiting for an agent are limited per user, a pattern no one may add
is refused before polkit is asked, and a caller that leaves the bus takes
its waiting requests with it (polkitd is told to stop asking)."""

import json
import os
import subprocess
import time

from harness import HERE, NOBODY, Env, check, wait_for
from workload import as_user_argv

MIB = 1024 * 1024
PER_USER = 16  # POLKIT_QUERIES_PER_USER_MAX
BUSY = "org.wolfram.Memory1.Error.Busy"

# nobody must authenticate as itself: polkitd asks nobody's agent.
AGENT_RULES = """polkit.addRule(function(action, subject) {
    if (action.id == "org.wolfram.memory1.exclude" && subject.user == "nobody")
        return polkit.Result.AUTH_SELF;
});
"""


class Flood:
    """tests/integration/flood.py as nobody: its own agent that never answers."""

    def __init__(self, env):
        self.p = subprocess.Popen(as_user_argv(NOBODY) + ["/usr/bin/python3", os.path.join(HERE, "flood.py")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env.env())
        self.pid = self.ask(None)["pid"]

    def ask(self, command):
        if command:
            self.p.stdin.write(command + "\n")
            self.p.stdin.flush()
        line = self.p.stdout.readline()
        check(line, f"flood.py ended (exit code {self.p.poll()})")
        return json.loads(line)

    def stop(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            self.p.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()


def case_authorization_limits():
    with Env(rules={"50-wolfram-flood.rules": AGENT_RULES}) as env:
        flood = Flood(env)
        try:
            # 24 requests over 4 connections, and one 4 MiB pattern.
            flood.ask(f"send 24 4 {4 * MIB}")
            wait_for(lambda: flood.ask("report")["begun"] >= PER_USER, 20,
                     f"{PER_USER} requests to reach the agent")
            time.sleep(1)
            rep = flood.ask("report")
            replies = rep["replies"]
            big = replies["24"]
            check(big and big["error"] == "org.wolfram.Memory1.Error.InvalidPattern" and big["t"] < 2,
                  f"the 4 MiB pattern was not refused at once: {big}")
            small = [replies[str(i)] for i in range(24)]
            waiting = [r for r in small if r is None]
            busy = [r for r in small if r and r["error"] == BUSY]
            check(len(waiting) == PER_USER and len(busy) == 24 - PER_USER,
                  f"{len(waiting)} waiting, {len(busy)} busy: {small}")
            check("of this user are waiting" in busy[0]["message"], f"Busy says: {busy[0]}")
            check(rep["begun"] == PER_USER, f"the agent was asked {rep['begun']} times")

            # Another process of the same user is over the limit too; root
            # and another user are not.
            res = env.call("AddExclusion", user=NOBODY, signature="s", args=["other"])
            check(not res["ok"] and res["error"] == BUSY, f"nobody's other process: {res}")
            t = time.monotonic()
            res = env.call("Pause")
            check(res["ok"], f"root was refused while nobody's requests wait: {res}")
            print(f"root's Pause answered in {time.monotonic() - t:.2f} s with {PER_USER} requests waiting")
            check(env.call("Resume")["ok"], "Resume")

            # The caller leaves: its requests go, polkitd stops asking.
            flood.ask("close")
            wait_for(lambda: flood.ask("report")["cancelled"] >= PER_USER, 10,
                     "polkitd to cancel the agent's dialogs")
            res = env.call("AddExclusion", user=NOBODY, signature="s", args=["other"])
            check(not res["ok"] and res["error"] != BUSY, f"the slots were not freed: {res}")
            print(f"after the caller left: {flood.ask('report')['cancelled']} dialogs cancelled; "
                  f"nobody's next call: {res['error']}")
        finally:
            flood.stop()
        check(env.get_property("Exclusions") == [] or all(x[2] != "runtime" for x in env.get_property("Exclusions")),
              "a request that was never authorized changed the exclusions")
        env.stop_engine()
