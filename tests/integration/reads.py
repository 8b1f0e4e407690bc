# SPDX-License-Identifier: MIT
"""The bus adapter reads the kernel once per message, at most: a GetAll of
the interface or a GetStats opens /proc/meminfo and the KSM counters once,
not once per property, as strace on the running engine shows; calls that
follow within 100 ms share that read, calls farther apart read afresh."""

import os
import re
import subprocess
import time

from harness import BUS_NAME, BUS_PATH, Env, check, need, wait_for

CALLS = 20


def count_opens(env, pid, argv, pause=0.0):
    """Runs argv CALLS times, 'pause' seconds apart, while strace watches the
    engine's openat calls; returns {path: opens} for the files that matter."""
    log = os.path.join(env.tmp, "strace.log")
    tracer = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=openat", "-o", log, "-p", str(pid)],
                              stderr=subprocess.PIPE, text=True)
    try:
        # strace writes nothing until the first call: wait until it is attached.
        wait_for(lambda: os.path.exists(log) or tracer.poll() is not None, 10, "strace to start")
        time.sleep(0.5)
        if tracer.poll() is not None:
            check(False, f"strace exited: {tracer.stderr.read()}")
        for _ in range(CALLS):
            env.run(argv, check_rc=0)
            time.sleep(pause)
    finally:
        tracer.terminate()
        tracer.wait(10)
    with open(log) as f:
        text = f.read()
    return {name: len(re.findall(re.escape(name) + r'"', text))
            for name in ("/proc/meminfo", "/sys/kernel/mm/ksm/pages_sharing", "/proc/swaps")}


def case_bus_reads_once():
    need(subprocess.run(["which", "strace"], capture_output=True).returncode == 0, "strace is not installed")
    with Env() as env:
        pid = env.procs["wolframd"].pid
        get_all = ["gdbus", "call", "--system", "--dest", BUS_NAME, "--object-path", BUS_PATH,
                   "--method", "org.freedesktop.DBus.Properties.GetAll", BUS_NAME]
        get_stats = ["busctl", "--system", "call", BUS_NAME, BUS_PATH, BUS_NAME, "GetStats"]
        for what, argv in (("GetAll", get_all), ("GetStats", get_stats)):
            # 150 ms apart: each call reads the kernel once. The pool's
            # timer reads some of the files every 2 s as well: a few more
            # than one per call, never one per property (GetAll has four
            # properties from meminfo and eight from KSM).
            opens = count_opens(env, pid, argv, pause=0.15)
            print(f"{CALLS} x {what}, 150 ms apart: {opens}")
            for path, n in opens.items():
                check(CALLS <= n <= CALLS + 8, f"{what} x {CALLS} opened {path} {n} times")
        # Back to back (each call takes well under 100 ms): they share reads.
        opens = count_opens(env, pid, get_stats)
        print(f"{CALLS} x GetStats, back to back: {opens}")
        check(1 <= opens["/proc/meminfo"] < CALLS,
              f"{CALLS} GetStats back to back opened /proc/meminfo {opens['/proc/meminfo']} times")
        env.stop_engine()
