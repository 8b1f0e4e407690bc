# SPDX-License-Identifier: MIT
"""Process names and cgroup paths are data: whatever bytes other users'
processes choose, every process is listed, escaped the same way on the
bus, in wolframctl and in the journal, and exclusions match them."""

import json
import os
import re
import subprocess

from harness import BUS_NAME, BUS_PATH, NOBODY, Env, TestCgroup, check, wait_for
from workload import Workload, as_user_argv

# What a process names itself with, and how ListProcesses must show it.
ODD_NAMES = [
    (b"bad\xff\xfename", "bad\\xff\\xfename"),
    (b"line\n<0>evil", "line\\n<0>evil"),
    (b"\x1b[31mred", "\\x1b[31mred"),
    (b"tab\there", "tab\\there"),
    ("café☕".encode(), "café☕"),
    (b"back\\slash", "back\\\\slash"),
    # The kernel keeps 15 bytes: the last character is cut in half.
    (b"abcdefghijklmn\xc3\xa9", "abcdefghijklmn\\xc3"),
]
ODD_CGROUP = b"odd\xff dir"
ODD_CGROUP_SHOWN = "odd\\xff dir"
# C0 controls but newline, DEL, C1 controls (as UTF-8).
RAW_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


class JournalEnv(Env):
    """The engine as systemd starts it: stderr is the journal, so every
    line begins with its priority, "<N>"."""

    def engine_env(self):
        return dict(super().engine_env(), JOURNAL_STREAM="8:4242")


def run_bytes(env, argv, user=None):
    """Runs argv (as 'user') and returns (rc, stdout, stderr) as bytes."""
    if user:
        argv = as_user_argv(user) + list(argv)
    r = subprocess.run(argv, env=env.env(), capture_output=True, timeout=30)
    return r.returncode, r.stdout, r.stderr


def check_terminal_safe(what, data):
    """No raw control byte, and text a terminal can show."""
    m = RAW_CONTROL.search(data)
    check(m is None, f"{what} holds a raw control byte {m.group() if m else ''!r}: {data!r}")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        check(False, f"{what} is not UTF-8 ({e}): {data!r}")


def workload_as_nobody(size_mib, name=None):
    exe = os.environ.get("WOLFRAM_WORKLOAD")
    check(exe and os.access(exe, os.X_OK), "$WOLFRAM_WORKLOAD must name the built workload program")
    return Workload(exe, size_mib, content="text", seed=7, name=name, user=NOBODY)


def case_names_odd_bytes():
    """Workloads owned by nobody name themselves with invalid UTF-8, a
    newline and "<0>", an escape sequence, a tab, a backslash, a cut
    character and valid UTF-8; one sits in a cgroup whose name holds 0xff and
    a space. ListProcesses (busctl), wolframctl's table and JSON, the
    exclusions and the engine's journal lines all show them escaped."""
    workloads = []
    with TestCgroup("names") as cg:
        odd_dir = os.path.join(os.fsencode(cg.path), ODD_CGROUP)
        os.mkdir(odd_dir)
        try:
            for raw, shown in ODD_NAMES + [(None, "wolfram-workloa")]:
                w = workload_as_nobody(24, raw)
                workloads.append((w, shown))
                check(os.stat(f"/proc/{w.pid}").st_uid != 0, "the workload runs as root")
            for w, shown in workloads:
                if shown == "café☕":
                    with open(os.path.join(odd_dir, b"cgroup.procs"), "w") as f:
                        f.write(str(w.pid))
                else:
                    cg.add(w.pid)
            by_name = {shown: w for w, shown in workloads}
            # Excluded by the raw bytes of a name, and by its shown form.
            config = ("[Engine]\ncycle_secs=10\nidle_sample_secs=1\nmin_process_anon_mib=16\n"
                      "idle_backend=refs\n[Exclude]\n").encode() + \
                b"excluded_names=bad\xff \\x1b[31m\n" + f"only_cgroups={cg.name}\n".encode()
            env = JournalEnv(engine=False)
            with env:
                with open(env.config_file, "wb") as f:
                    f.write(config)
                env.start_engine()
                wait_for(lambda: env.get_property("CycleCount") >= 1, 30, "a cycle")
                check_names(env, cg, by_name)
                env.stop_engine()
                check_log(env)
        finally:
            for w, _ in workloads:
                w.stop()
            os.rmdir(odd_dir)


def expected_cgroup(cg, shown):
    return f"{cg.name}/{ODD_CGROUP_SHOWN}" if shown == "café☕" else cg.name


def check_names(env, cg, by_name):
    bus = ["busctl", "--system", "call", BUS_NAME, BUS_PATH, BUS_NAME, "ListProcesses"]
    rc, out, err = run_bytes(env, bus, user=NOBODY)
    check(rc == 0, f"busctl ListProcesses failed ({rc}): {err!r}")
    rc, out, err = run_bytes(env, bus[:2] + ["--json=short"] + bus[2:], user=NOBODY)
    check(rc == 0, f"busctl --json ListProcesses failed ({rc}): {err!r}")
    listed = {row[0]: row for row in json.loads(out)["data"][0]}
    for shown, w in by_name.items():
        row = listed.get(w.pid)
        check(row is not None, f"{shown!r} (pid {w.pid}) is not listed: {sorted(listed)}")
        check(row[1] == shown, f"pid {w.pid}: name {row[1]!r}, expected {shown!r}")
        check(row[2] == expected_cgroup(cg, shown), f"pid {w.pid}: cgroup {row[2]!r}")
    # Exclusion by the raw bytes (bad\xff) and the shown form (\x1b[31m).
    states = {shown: listed[w.pid][9] for shown, w in by_name.items()}
    check(states["bad\\xff\\xfename"] == "excluded" and states["\\x1b[31mred"] == "excluded",
          f"names excluded in the configuration are not: {states}")
    check(all(s != "excluded" for n, s in states.items() if n not in ("bad\\xff\\xfename", "\\x1b[31mred")),
          f"a process is excluded that no pattern names: {states}")

    # The shown form, longer than 15 characters, names 15 bytes: a pattern,
    # in force at once (ReclaimProcess refuses) and from the next cycle on.
    cut = "abcdefghijklmn\\xc3"
    cycles = env.get_property("CycleCount")
    rc, out, err = run_bytes(env, [env.wolframctl, "exclude", cut])
    check(rc == 0, f"wolframctl exclude {cut} failed ({rc}): {err!r}")
    rc, out, err = run_bytes(env, [env.wolframctl, "reclaim", str(by_name[cut].pid)])
    check(rc == 1 and f"excluded by '{cut}'".encode() in err, f"reclaim of {cut} ({rc}): {out!r} {err!r}")
    check_terminal_safe("wolframctl reclaim (refused)", out + err)
    wait_for(lambda: env.get_property("CycleCount") > cycles, 30, "a cycle after the exclusion")

    rc, table, err = run_bytes(env, [env.wolframctl, "processes"], user=NOBODY)
    check(rc == 0, f"wolframctl processes failed ({rc}): {err!r}")
    check_terminal_safe("wolframctl processes", table + err)
    text = table.decode()
    for shown, w in by_name.items():
        row = next((ln for ln in text.splitlines() if ln.split()[:1] == [str(w.pid)]), "")
        check(shown in row and expected_cgroup(cg, shown) in row, f"{shown!r} not in its row: {text}")
    check(f" {cut} " in next(ln for ln in text.splitlines() if ln.split()[:1] == [str(by_name[cut].pid)])
          and "excluded" in text, f"processes:\n{text}")

    rc, out, err = run_bytes(env, [env.wolframctl, "processes", "--json"], user=NOBODY)
    check(rc == 0, f"wolframctl processes --json failed ({rc}): {err!r}")
    check_terminal_safe("wolframctl processes --json", out + err)
    rows = {p["Pid"]: p for p in json.loads(out)}
    for shown, w in by_name.items():
        check(rows[w.pid]["Name"] == shown and rows[w.pid]["Cgroup"] == expected_cgroup(cg, shown),
              f"json: {rows[w.pid]}")
    check(rows[by_name[cut].pid]["State"] == "excluded", f"excluded at run time: {rows[by_name[cut].pid]}")

    # Every pattern on the bus in the shown form, however it was written.
    rc, out, err = run_bytes(env, [env.wolframctl, "exclusions", "--json"], user=NOBODY)
    check(rc == 0, f"wolframctl exclusions --json failed ({rc}): {err!r}")
    check_terminal_safe("wolframctl exclusions --json", out)
    patterns = {x["Pattern"] for x in json.loads(out)}
    check({"bad\\xff", "\\x1b[31m", cut} <= patterns, f"exclusions: {patterns}")
    rc, out, err = run_bytes(env, [env.wolframctl, "exclusions"], user=NOBODY)
    check(rc == 0 and b"bad\\xff " in out, f"wolframctl exclusions ({rc}): {out!r} {err!r}")
    check_terminal_safe("wolframctl exclusions", out + err)

    # Named in a reply, an error and the log.
    evil = by_name["line\\n<0>evil"]
    rc, out, err = run_bytes(env, [env.wolframctl, "reclaim", str(evil.pid), "--cold"])
    check(rc == 0 and b"line\\n<0>evil" in out, f"reclaim ({rc}): {out!r} {err!r}")
    check_terminal_safe("wolframctl reclaim", out + err)
    red = by_name["\\x1b[31mred"]
    rc, out, err = run_bytes(env, [env.wolframctl, "reclaim", str(red.pid)])
    check(rc == 1 and b"\\x1b[31mred" in err, f"reclaim of an excluded process ({rc}): {out!r} {err!r}")
    check_terminal_safe("wolframctl reclaim (refused)", out + err)
    for w in by_name.values():
        check(w.verify()["ok"], "checksum changed")


def check_log(env):
    with open(env.engine_log, "rb") as f:
        log = f.read()
    check(log.endswith(b"\n"), f"the log does not end a line: {log[-80:]!r}")
    check_terminal_safe("the engine's log", log)
    lines = log.split(b"\n")[:-1]
    for ln in lines:
        check(re.match(rb"<[1-7]>", ln), f"a journal line without its priority (or at <0>): {ln!r}")
    check(any(ln.startswith(b"<6>Reclaim of line\\n<0>evil (") for ln in lines),
          "the reclaim of line\\n<0>evil is not logged on one line:\n" + log.decode(errors="replace"))
    check(any(b"'abcdefghijklmn\\xc3'" in ln for ln in lines), "the runtime exclusion is not logged")
