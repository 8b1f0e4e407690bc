# SPDX-License-Identifier: MIT
"""Integration cases for the control surface (issue 7): exclusions,
policies, ReclaimProcess, their polkit actions, errors, persistence and
PropertiesChanged. run.py registers every case_* here."""

import calendar
import json
import os
import re
import signal
import socket
import shutil
import subprocess
import tempfile
import threading
import time

from harness import (TestCgroup, unwrap, BUS_NAME, BUS_PATH, NOBODY, SOURCE_DIR, TEST_GROUP, Env, check,
                     proc_stat_fields, read_vm_knobs, wait_for)
from workload import Workload

MIB = 1024 * 1024

ACCESS_REFUSALS = ("org.freedesktop.DBus.Error.AccessDenied",
                   "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired")
ERR = "org.wolfram.Memory1.Error."


def rules_for_group(group):
    """The rules file as installed, made for 'group' as meson -Dpolkit_group= would."""
    with open(os.path.join(SOURCE_DIR, "polkit", "org.wolfram.Memory1.rules.in")) as f:
        return f.read().replace("@POLKIT_GROUP@", group)


def control_config(cgroup):
    """Only the test's cgroup is ever touched; cycles are rare."""
    return (f"[Engine]\ncycle_secs=3600\nidle_sample_secs=1\nmin_process_anon_mib=16\nidle_backend=refs\n"
            f"[Exclude]\nonly_cgroups={cgroup.name}\n")


def workload(size_mib, **kw):
    exe = os.environ.get("WOLFRAM_WORKLOAD")
    check(exe and os.access(exe, os.X_OK), "$WOLFRAM_WORKLOAD must name the built workload program")
    # Most memory on a real machine is other users': the workloads are too.
    kw.setdefault("user", NOBODY)
    return Workload(exe, size_mib, **kw)


def runtime_exclusions(env):
    return [tuple(x) for x in env.get_property("Exclusions") if x[2] == "runtime"]


def policies(env):
    return dict(env.get_property("Policies"))


def vm_swap(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmSwap:"):
                return int(line.split()[1]) * 1024
    return 0


def expect_error(res, name, what):
    check(not res["ok"] and res["error"] == name, f"{what}: expected {name}, got {res}")


class PropertiesWatcher:
    """Every PropertiesChanged the engine sends, from busctl monitor."""

    def __init__(self, env):
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)), "watch.py")],
            env=env.env(), stdout=subprocess.PIPE, text=True)
        self.ready = False
        self.events = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        wait_for(lambda: self.ready, 10, "the PropertiesChanged watcher")

    def _read(self):
        for line in self.proc.stdout:
            if line.strip() == "ready":
                self.ready = True
                continue
            msg = json.loads(line)
            self.events.append(set(msg["changed"]) | set(msg["invalidated"]))

    def expect(self, env, method, signature, args, names):
        """Calling 'method' sends one PropertiesChanged with exactly 'names'."""
        what = f"{method}{args}"
        start = len(self.events)
        res = env.call(method, signature=signature, args=args)
        check(res["ok"], f"{what}: {res}")
        wait_for(lambda: len(self.events) > start, 5, f"PropertiesChanged after {what}")
        time.sleep(0.3)
        got = self.events[start:]
        check(got == [set(names)], f"{what}: PropertiesChanged carried {got}, expected exactly {sorted(names)}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


def case_control_root():
    """Every mutating method works for root and does what it says."""
    with TestCgroup("control") as cg, workload(64, content="text", seed=7, hot_percent=0) as w:
        cg.add(w.pid)
        with Env(config=control_config(cg)) as env:
            tuned = read_vm_knobs()
            for pattern in ("wolfram-nothing", "wolfram-nothing"):
                res = env.call("AddExclusion", signature="s", args=[pattern])
                check(res["ok"], f"AddExclusion({pattern}): {res}")
            res = env.call("AddExclusion", signature="s", args=["wolfram-test-x.service"])
            check(res["ok"], f"AddExclusion(unit): {res}")
            res = env.call("AddExclusion", signature="s", args=["cgroup:/wolfram-test/x"])
            check(res["ok"], f"AddExclusion(cgroup:): {res}")
            got = runtime_exclusions(env)
            check(got == [("wolfram-nothing", "name", "runtime"), ("wolfram-test-x.service", "cgroup", "runtime"),
                          ("/wolfram-test/x", "cgroup", "runtime")], f"Exclusions: {got}")
            check((cg.name, "only-cgroup", "configuration") in [tuple(x) for x in env.get_property("Exclusions")],
                  "the configured only_cgroups entry is not listed")
            for pattern in ("name:wolfram-nothing", "wolfram-test-x.service", "/wolfram-test/x"):
                res = env.call("RemoveExclusion", signature="s", args=[pattern])
                check(res["ok"], f"RemoveExclusion({pattern}): {res}")
            check(runtime_exclusions(env) == [], f"Exclusions after removal: {runtime_exclusions(env)}")

            # Tuning off puts the kernel's values back; on sets them again.
            res = env.call("SetPolicy", signature="sb", args=["tuning", False])
            check(res["ok"], f"SetPolicy(tuning, off): {res}")
            check(policies(env)["tuning"] is False, f"Policies: {policies(env)}")
            check(read_vm_knobs() == env.vm_before, f"tuning off left {read_vm_knobs()}, was {env.vm_before}")
            check(env.get_property("Tuning") == [], "Tuning not empty with tuning off")
            res = env.call("SetPolicy", signature="sb", args=["tuning", True])
            check(res["ok"] and policies(env)["tuning"] is True, f"SetPolicy(tuning, on): {res}")
            check(read_vm_knobs() == tuned, f"tuning on: {read_vm_knobs()}, expected {tuned}")

            # KSM off and on again.
            res = env.call("SetPolicy", signature="sb", args=["ksm", False])
            check(res["ok"] and policies(env)["ksm"] is False and env.get_property("KsmMode") == "off",
                  f"SetPolicy(ksm, off): {res}, KsmMode {env.get_property('KsmMode')}")
            res = env.call("SetPolicy", signature="sb", args=["ksm", True])
            check(res["ok"] and env.get_property("KsmMode") != "off", f"SetPolicy(ksm, on): {res}")

            # Compression off: the pool goes (it is empty), on: it comes back.
            check(env.get_property("PoolDevices"), "no pool at start")
            res = env.call("SetPolicy", signature="sb", args=["compression", False])
            check(res["ok"] and policies(env)["compression"] is False, f"SetPolicy(compression, off): {res}")
            check(env.get_property("PoolDevices") == [], "the empty pool stayed with compression off")
            res = env.call("SetPolicy", signature="sb", args=["compression", True])
            check(res["ok"] and env.get_property("PoolDevices"), f"SetPolicy(compression, on): {res}")

            # ReclaimProcess: all of the workload into zram now, data intact.
            lifetime = env.get_property("LifetimePagedOutBytes")
            res = env.call("ReclaimProcess", signature="us", args=[w.pid, "pageout"])
            check(res["ok"], f"ReclaimProcess: {res}")
            out = res["result"][0]
            check(out["Pid"] == w.pid and out["Mode"] == "pageout" and out["Name"].startswith("wolfram-work"),
                  f"result: {out}")
            check(out["AdvisedBytes"] >= 60 * MIB, f"advised only {out['AdvisedBytes']}: {out}")
            check(out["SwapBytesAfter"] - out["SwapBytesBefore"] >= 60 * MIB, f"swap did not grow: {out}")
            check(w.verify()["ok"], "checksum changed by ReclaimProcess")
            check(env.get_property("LifetimePagedOutBytes") >= lifetime + out["AdvisedBytes"],
                  "LifetimePagedOutBytes did not count the reclaim")
            res = env.call("ReclaimProcess", signature="us", args=[w.pid, "cold"])
            check(res["ok"] and res["result"][0]["Mode"] == "cold", f"ReclaimProcess cold: {res}")

            with open(os.path.join(env.state_dir, "runtime.json")) as f:
                state = json.load(f)
            check(state["policies"] == {"tuning": True, "ksm": True, "compression": True}
                  and state["exclusions"] == [] and state["lifetime"]["paged_out_bytes"] >= out["AdvisedBytes"],
                  f"runtime.json: {state}")
            env.stop_engine()


MUTATING = [
    ("AddExclusion", "s", ["wolfram-nothing"], "org.wolfram.memory1.exclude"),
    ("RemoveExclusion", "s", ["wolfram-nothing"], "org.wolfram.memory1.exclude"),
    ("SetPolicy", "sb", ["tuning", False], "org.wolfram.memory1.configure"),
    ("Reload", "", [], "org.wolfram.memory1.configure"),
    ("Pause", "", [], "org.wolfram.memory1.pause"),
    ("Resume", "", [], "org.wolfram.memory1.pause"),
]


def case_control_nobody_refused():
    """Every mutating method asks polkit; nobody without a rule is refused
    with the standard denial and nothing changes."""
    with TestCgroup("control") as cg, workload(32, hot_percent=0) as w:
        cg.add(w.pid)
        with Env(config=control_config(cg)) as env:
            before = (env.get_property("Exclusions"), policies(env), env.get_property("State"))
            for method, sig, args, action in MUTATING + [("ReclaimProcess", "us", [w.pid, "pageout"],
                                                          "org.wolfram.memory1.reclaim")]:
                res = env.call(method, user=NOBODY, signature=sig, args=args)
                check(not res["ok"] and res["error"] in ACCESS_REFUSALS, f"{method} as nobody: {res}")
                check(action in res["message"], f"{method}: the refusal does not name {action}: {res}")
            after = (env.get_property("Exclusions"), policies(env), env.get_property("State"))
            check(before == after, f"refused calls changed something: {before} -> {after}")
            check(vm_swap(w.pid) == 0, f"the refused reclaim moved {vm_swap(w.pid)} bytes to swap")
            # Reading stays open.
            r = env.ctl("status", user=NOBODY, check_rc=0)
            check(r.stdout.startswith("wolframd"), f"status as nobody: {r.stdout}")


def case_control_group_granted():
    """The installed rules file grants every action to its group."""
    with TestCgroup("control") as cg, workload(32, hot_percent=0) as w:
        cg.add(w.pid)
        rules = {"50-org.wolfram.Memory1.rules": rules_for_group(TEST_GROUP)}
        with Env(config=control_config(cg), rules=rules) as env:
            for method, sig, args, action in MUTATING + [("SetPolicy", "sb", ["tuning", True], "")]:
                res = env.call(method, user=NOBODY, signature=sig, args=args)
                check(res["ok"], f"{method} as nobody in {TEST_GROUP}: {res}")
            res = env.call("ReclaimProcess", user=NOBODY, signature="us", args=[w.pid, "pageout"])
            check(res["ok"] and res["result"][0]["AdvisedBytes"] > 16 * MIB, f"ReclaimProcess as nobody: {res}")
            check(w.verify()["ok"], "checksum changed")


def case_control_bad_arguments():
    """Each bad argument gets its named error; the engine carries on unchanged."""
    with TestCgroup("control") as cg, workload(32, hot_percent=0) as w:
        cg.add(w.pid)
        with Env(config=control_config(cg)) as env:
            engine_pid = env.procs["wolframd"].pid
            before = (env.get_property("Exclusions"), policies(env), read_vm_knobs())
            # A pid that is free now: past pid_max.
            with open("/proc/sys/kernel/pid_max") as f:
                free_pid = int(f.read()) + 1
            cases = [
                ("ReclaimProcess", "us", [free_pid, "pageout"], ERR + "NoSuchProcess"),
                ("ReclaimProcess", "us", [0, "pageout"], ERR + "NoSuchProcess"),
                ("ReclaimProcess", "us", [2, "pageout"], ERR + "ProtectedProcess"),
                ("ReclaimProcess", "us", [1, "pageout"], ERR + "ProtectedProcess"),
                ("ReclaimProcess", "us", [engine_pid, "pageout"], ERR + "ProtectedProcess"),
                ("ReclaimProcess", "us", [os.getpid(), "pageout"], ERR + "ProtectedProcess"),  # not in only_cgroups
                ("ReclaimProcess", "us", [w.pid, "freeze"], ERR + "InvalidArgument"),
                ("AddExclusion", "s", [""], ERR + "InvalidPattern"),
                ("AddExclusion", "s", ["x" * 10240], ERR + "InvalidPattern"),
                ("AddExclusion", "s", ["a-name-longer-than-15"], ERR + "InvalidPattern"),
                ("AddExclusion", "s", ["tab\there"], ERR + "InvalidPattern"),
                ("AddExclusion", "s", ["name:"], ERR + "InvalidPattern"),
                ("RemoveExclusion", "s", ["never-added"], ERR + "NoSuchExclusion"),
                ("RemoveExclusion", "s", [""], ERR + "InvalidPattern"),
                ("SetPolicy", "sb", ["hibernation", True], ERR + "InvalidArgument"),
                ("SetPolicy", "sb", ["", False], ERR + "InvalidArgument"),
            ]
            for method, sig, args, error in cases:
                res = env.call(method, signature=sig, args=args)
                shown = [a if not isinstance(a, str) or len(a) < 40 else a[:20] + "…" for a in args]
                expect_error(res, error, f"{method}{shown}")
                check(res["message"] and len(res["message"]) < 400, f"{method}{shown} message: {res['message']!r}")
            # As nobody: what is wrong with the arguments alone is said before
            # polkit is asked, the same as to root (a 64 KiB pattern too); the
            # rest, and the methods without arguments, are refused by polkit.
            refused = ("org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                       "org.freedesktop.DBus.Error.AccessDenied")
            argument_errors = (ERR + "InvalidPattern", ERR + "InvalidArgument")
            for method, sig, args, error in cases + [("AddExclusion", "s", ["y" * (64 << 10)], ERR + "InvalidPattern"),
                                                     ("Pause", "", [], None), ("Resume", "", [], None),
                                                     ("Reload", "", [], None)]:
                res = env.call(method, user=NOBODY, signature=sig, args=args)
                shown = [a if not isinstance(a, str) or len(a) < 40 else a[:20] + "…" for a in args]
                if error in argument_errors or (method == "ReclaimProcess" and args[0] == 0):
                    expect_error(res, error, f"{method}{shown} as nobody")
                else:
                    check(not res["ok"] and res["error"] in refused, f"{method}{shown} as nobody: {res}")
            # The configured only_cgroups entry cannot be removed at run time.
            res = env.call("RemoveExclusion", signature="s", args=[f"cgroup:{cg.name}"])
            expect_error(res, ERR + "NoSuchExclusion", "RemoveExclusion of only_cgroups")
            # Wrong types, sent raw with busctl.
            for argv in (["ReclaimProcess", "ss", "12", "pageout"], ["AddExclusion", "u", "5"],
                         ["SetPolicy", "s", "ksm"], ["AddExclusion"], ["ReclaimProcess", "u", "1"]):
                r = env.run(["busctl", "--system", "call", BUS_NAME, BUS_PATH, BUS_NAME] + argv)
                check(r.returncode == 1 and "Invalid arguments" in r.stderr,
                      f"busctl call {argv}: rc {r.returncode} {r.stderr}")
            after = (env.get_property("Exclusions"), policies(env), read_vm_knobs())
            check(before == after, f"bad calls changed something: {before} -> {after}")
            check(env.procs["wolframd"].poll() is None and env.get_property("State") == "running",
                  "the engine did not survive bad arguments")
            check(w.verify()["ok"], "checksum changed")
            env.stop_engine()


def case_control_hibernate():
    """HibernateProcess and WakeProcess through the engine and its helper on
    this machine, where Debian's criu cannot checkpoint (it fails on the
    6.18 kernel's vDSO, and without systemd the helper is the engine's
    child, with the unit's capabilities; the checkpoints themselves run in
    the VM's system tier, case 84-hibernate): nobody is refused by polkit, init and the
    engine are protected, a pid without images cannot be woken, and a
    checkpoint that criu refuses leaves the process running, its memory
    intact, no images behind, with criu's reason in the error."""
    with TestCgroup("control") as cg, workload(32, hot_percent=0) as w:
        cg.add(w.pid)
        with Env(config=control_config(cg)) as env:
            engine_pid = env.procs["wolframd"].pid
            check(env.get_property("HibernatedProcesses") == [], "HibernatedProcesses is not empty")
            check(env.get_property("HibernatedSavedBytes") == 0, "HibernatedSavedBytes is not 0")
            for method in ("HibernateProcess", "WakeProcess"):
                res = env.call(method, user=NOBODY, signature="u", args=[w.pid])
                check(not res["ok"] and res["error"] in ACCESS_REFUSALS, f"{method} as nobody: {res}")
                check("org.wolfram.memory1.hibernate" in res["message"], f"{method}: {res}")
            for method, pid, error in (("HibernateProcess", 0, "NoSuchProcess"),
                                       ("HibernateProcess", 1, "ProtectedProcess"),
                                       ("HibernateProcess", engine_pid, "ProtectedProcess"),
                                       ("WakeProcess", w.pid, "NoSuchProcess")):
                res = env.call(method, signature="u", args=[pid])
                expect_error(res, ERR + error, f"{method}({pid})")
            # An exclusion added at run time holds too (the engine checks it
            # before the helper, which reads only the files).
            res = env.call("AddExclusion", signature="s", args=["wolfram-workloa"])
            check(res["ok"], f"AddExclusion: {res}")
            res = env.call("HibernateProcess", signature="u", args=[w.pid])
            expect_error(res, ERR + "ProtectedProcess", "HibernateProcess of a process excluded at run time")
            check("wolfram-workloa" in res["message"], f"the refusal does not name the exclusion: {res}")
            res = env.call("RemoveExclusion", signature="s", args=["wolfram-workloa"])
            check(res["ok"], f"RemoveExclusion: {res}")
            res = env.call("HibernateProcess", signature="u", args=[w.pid])
            check(not res["ok"] and res["error"] in (ERR + "NotSupported", ERR + "Failed"),
                  f"HibernateProcess of the workload here: {res}")
            check("criu" in res["message"].lower() and "keeps running" in res["message"],
                  f"the refusal does not give criu's reason: {res}")
            check(w.verify()["ok"], "the workload's memory changed")
            images = os.path.join(env.state_dir, "hibernate")
            left = os.listdir(images) if os.path.isdir(images) else []
            kept = f"{w.pid}.dump-failed.log"
            check(left == [kept], f"in {images}: {left}, not only criu's log {kept}")
            with open(os.path.join(images, kept)) as f:
                check("Error (" in f.read(), f"{kept} is not criu's log")
            r = env.ctl("wake", "all", check_rc=0)
            check("No process is hibernated" in r.stdout, f"wolframctl wake all: {r.stdout}")
            # A record left by an earlier checkpoint (here: written by hand,
            # as this machine's criu cannot make one): listed as asleep, and
            # a restore that fails keeps it and says why, on the bus and in
            # wolframctl status.
            pid = free_pid()
            sleeper = os.path.join(images, str(pid))
            os.makedirs(sleeper, mode=0o700)
            with open(os.path.join(sleeper, "wolfram-record.json"), "w") as f:
                json.dump({"pid": pid, "start_time": 1, "uid": 65534, "comm": "sleeper", "pss_bytes": 8 * MIB,
                           "listen": [{"address": "127.0.0.1", "port": 8099, "reuse_address": True}]}, f)
            try:
                # The bus keeps what it read for a moment.
                wait_for(lambda: [h[:3] for h in env.get_property("HibernatedProcesses")] == [[pid, "sleeper", 65534]],
                         10, f"HibernatedProcesses listing {pid}")
                r = env.ctl("wake", str(pid), check_rc=1)
                failures = env.get_property("HibernateWakeFailures")
                check(len(failures) == 1 and failures[0][0] == pid and len(failures[0][1]) > 10 and
                      failures[0][1] in r.stderr,
                      f"HibernateWakeFailures after the failed wake ({r.stderr.strip()}): {failures}")
                check(os.path.exists(os.path.join(sleeper, "wolfram-record.json")), "the record is gone")
                r = env.ctl("status", check_rc=0)
                check("Asleep: 1 hibernated process, 8.0 MiB returned" in r.stdout and
                      f"waking {pid} failed, its images are kept: " in r.stdout, f"wolframctl status:\n{r.stdout}")
            finally:
                shutil.rmtree(sleeper)
            r = env.ctl("hibernate", "1", check_rc=1)
            check("init system" in r.stderr, f"wolframctl hibernate 1: {r.stderr}")
            env.ctl("hibernate", "x", check_rc=2)
            env.ctl("wake", "some", check_rc=2)
            check(env.procs["wolframd"].poll() is None, "the engine died")


def case_control_hibernate_idle():
    """enable_hibernation on this machine, where Debian's criu cannot
    checkpoint (its vDSO check fails on 6.18; the checkpoints themselves run
    in the VM's system tier, case 84-hibernate-idle): a daemon (parent init)
    whose memory stays idle is chosen after hibernate_after_cycles cycles,
    criu's refusal leaves it running with its memory intact, and it is not
    tried again every cycle; a daemon with hot memory and a process whose
    parent waits for it are never chosen. CPU is the measure (pages alone
    cannot tell: case 84-hibernate-idle's Python server touches most of
    what it keeps in RAM while it waits), so the hot daemon reads all of
    its pages every 5 ms, several times the 1% of a CPU that counts as
    idle: read every 50 ms they once cost it under 1% in CI, and it was
    chosen."""
    exe = os.environ.get("WOLFRAM_WORKLOAD")
    check(exe and os.access(exe, os.X_OK), "$WOLFRAM_WORKLOAD must name the built workload program")
    # setsid -f: the workload's parent exits at once and init adopts it, as
    # a daemon's.
    with TestCgroup("control") as cg, \
            Workload(["setsid", "-f", exe], 32, content="mixed", seed=19, hot_percent=0,
                     user=NOBODY) as idle, \
            Workload(["setsid", "-f", exe], 32, content="text", seed=20, hot_percent=100,
                     hot_interval_ms=5, user=NOBODY) as hot, \
            workload(32, content="text", seed=21, hot_percent=0) as child:
        try:
            for w in (idle, hot, child):
                cg.add(w.pid)
            check(ppid(idle.pid) == 1 and ppid(hot.pid) == 1,
                  f"the daemons' parents: {ppid(idle.pid)}, {ppid(hot.pid)}, not init")
            config = ("[Engine]\ncycle_secs=10\nidle_sample_secs=2\nmin_process_anon_mib=16\n"
                      "idle_backend=refs\nenable_hibernation=yes\nhibernate_after_cycles=2\n"
                      f"[Exclude]\nonly_cgroups={cg.name}\n")
            hot_ticks, t0 = cpu_ticks(hot.pid), time.monotonic()
            with Env(config=config) as env:
                wait_for(lambda: f"Hibernating process {idle.pid} " in env.read_log(), 90,
                         "the engine choosing the idle daemon")
                n = env.get_property("CycleCount")
                wait_for(lambda: env.get_property("CycleCount") >= n + 2, 60, "two cycles after the try")
                log = env.read_log()
                print("\n".join(line for line in log.splitlines() if "ibernat" in line))
                check(log.count(f"Hibernating process {idle.pid} ") == 1,
                      "the idle daemon was tried more than once")
                check(f"process {hot.pid} " not in log, f"the hot daemon {hot.pid} was chosen")
                used = (cpu_ticks(hot.pid) - hot_ticks) / os.sysconf("SC_CLK_TCK") / (time.monotonic() - t0)
                print(f"the hot daemon used {100 * used:.2f}% of a CPU")
                check(used >= 0.02, f"the hot daemon used {100 * used:.2f}% of a CPU, not clearly over the 1% "
                      "that counts as idle")
                check(f"process {child.pid} " not in log, f"the child {child.pid}, whose parent waits, was chosen")
                check("CRIU cannot checkpoint" in log and "keeps running" in log, "no criu reason in the log")
                for w in (idle, hot, child):
                    check(w.verify()["ok"], f"workload {w.pid}'s memory changed")
                images = os.path.join(env.state_dir, "hibernate")
                left = sorted(os.listdir(images)) if os.path.isdir(images) else []
                check(left == [f"{idle.pid}.dump-failed.log"], f"in {images}: {left}")
                check(env.get_property("HibernatedProcesses") == [], "HibernatedProcesses is not empty")
        finally:
            # The daemons are no children of ours: killed by their pid.
            for w in (idle, hot):
                try:
                    os.kill(w.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def case_control_hibernate_proxy():
    """The port proxy without systemd (the engine's child), on this machine,
    whose criu cannot restore: for a hibernated process's record (written by
    hand) the engine's start runs a proxy that listens on its address and
    holds the images' lock; WakeProcess stops it (SIGTERM, its pid beside
    the images), and when that restore fails a new proxy listens again; a
    connection to it starts a restore that fails too: the connection is
    closed, the images stay with the reason, and the proxy ends."""
    port = free_port()
    pid = free_pid()
    config = ("[Engine]\ncycle_secs=3600\nenable_port_proxy=yes\n"
              "[Exclude]\nonly_cgroups=/wolfram-test-nothing\n")
    with Env(config=config, engine=False) as env:
        sleeper = os.path.join(env.state_dir, "hibernate", str(pid))
        os.makedirs(sleeper, mode=0o700)
        with open(os.path.join(sleeper, "wolfram-record.json"), "w") as f:
            json.dump({"pid": pid, "start_time": 1, "uid": 65534, "comm": "sleeper", "pss_bytes": MIB,
                       "ports": [port],
                       "listen": [{"address": "127.0.0.1", "port": port, "reuse_address": True}]}, f)
        proxies = []

        def proxy_pid():
            try:
                with open(os.path.join(sleeper, "proxy.pid")) as f:
                    return int(f.read())
            except (FileNotFoundError, ValueError):
                return None

        try:
            env.start_engine()
            wait_for(lambda: listening(port) and proxy_pid(), 20, f"a proxy on 127.0.0.1:{port}")
            first = proxy_pid()
            proxies.append(first)
            with open(f"/proc/{first}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            check(b"proxy" in argv and str(pid).encode() in argv, f"the proxy's command line: {argv}")
            r = env.ctl("wake", str(pid), check_rc=1)
            print(r.stderr.strip())
            check(proc_state(first) in (None, "Z"),
                  f"the first proxy ({first}) still runs after the wake")
            check(os.path.exists(os.path.join(sleeper, "wolfram-record.json")), "the record is gone")
            wait_for(lambda: listening(port) and proxy_pid() not in (None, first), 20,
                     "a new proxy after the failed wake")
            second = proxy_pid()
            proxies.append(second)
            # A client: the proxy takes it and tries to wake the process.
            with socket.create_connection(("127.0.0.1", port), timeout=60) as c:
                c.sendall(b"PING\r\n")
                try:
                    got = c.recv(100)
                except ConnectionResetError:
                    got = b""
            check(got == b"", f"the client got {got!r} from a process that could not wake")
            wait_for(lambda: proc_state(second) in (None, "Z"), 60,
                     "the proxy ending after its failed restore")
            check(not listening(port), f"port {port} still listens")
            with open(os.path.join(sleeper, "wake-failed.txt")) as f:
                reason = f.read().strip()
            check(reason, "no reason beside the images")
            log = env.read_log()
            check(f"A connection for process {pid} (sleeper) came in; waking it." in log and
                  "The connection that came in for process" in log, "the proxy's words are not in the log")
            print(f"the proxy's restore failed: {reason}")
        finally:
            for p in proxies:
                try:
                    os.kill(p, signal.SIGKILL)
                except (ProcessLookupError, TypeError):
                    pass
            shutil.rmtree(sleeper, ignore_errors=True)


def listening(port):
    """Whether something listens on 127.0.0.1:port."""
    with open("/proc/net/tcp") as f:
        return any(line.split()[1] == f"0100007F:{port:04X}" and line.split()[3] == "0A"
                   for line in list(f)[1:])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_state(pid):
    """Its state letter, or None once it is gone: a process reaped between
    the open and the read of its stat file fails the read with ESRCH."""
    try:
        return proc_stat_fields(pid)[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def free_pid():
    """A pid no process has now."""
    with open("/proc/sys/kernel/pid_max") as f:
        top = int(f.read())
    for pid in range(top - 1, 300, -1):
        if not os.path.exists(f"/proc/{pid}"):
            return pid
    raise AssertionError("no free pid")


def ppid(pid):
    return int(proc_stat_fields(pid)[1])


def cpu_ticks(pid):
    """utime + stime of all its threads, in clock ticks."""
    fields = proc_stat_fields(pid)
    return int(fields[11]) + int(fields[12])


def case_control_config_exclusion():
    """A pattern from the configuration is listed as such and cannot be
    removed at run time; a process it excludes cannot be reclaimed."""
    with TestCgroup("control") as cg, workload(32, hot_percent=0) as w:
        cg.add(w.pid)
        config = control_config(cg) + "excluded_names=wolfram-work\n"
        with Env(config=config) as env:
            listed = [tuple(x) for x in env.get_property("Exclusions")]
            check(("wolfram-work", "name", "configuration") in listed, f"Exclusions: {listed}")
            res = env.call("RemoveExclusion", signature="s", args=["wolfram-work"])
            expect_error(res, ERR + "NotSupported", "RemoveExclusion of a configured pattern")
            res = env.call("ReclaimProcess", signature="us", args=[w.pid, "pageout"])
            expect_error(res, ERR + "ProtectedProcess", "ReclaimProcess of an excluded process")
            check("wolfram-work" in res["message"], f"message does not name the pattern: {res}")


def case_control_persist():
    """Runtime exclusions and policy switches survive a restart; a damaged
    state file is moved aside, never fatal."""
    with Env(config="[Engine]\ncycle_secs=3600\n[Exclude]\nonly_cgroups=/wolfram-test-nothing\n") as env:
        check(env.call("AddExclusion", signature="s", args=["keep-me"])["ok"], "AddExclusion")
        check(env.call("SetPolicy", signature="sb", args=["ksm", False])["ok"], "SetPolicy ksm off")
        env.stop_engine()
        env.start_engine()
        check(("keep-me", "name", "runtime") in runtime_exclusions(env), f"after restart: {runtime_exclusions(env)}")
        check(policies(env)["ksm"] is False and env.get_property("KsmMode") == "off",
              f"ksm policy after restart: {policies(env)}")
        env.stop_engine()

        # One entry it cannot use costs that entry only.
        path = os.path.join(env.state_dir, "runtime.json")
        with open(path, "w") as f:
            f.write('{"exclusions": [{"kind": "name", "pattern": "' + "y" * 40 + '"},'
                    ' {"kind": "cgroup", "pattern": "name:x"}], "policies": {"ksm": false, "nonsense": 1}}')
        env.start_engine()
        check(runtime_exclusions(env) == [("name:x", "cgroup", "runtime")] and policies(env)["ksm"] is False,
              f"the good parts were not kept: {runtime_exclusions(env)} {policies(env)}")
        check("leaving out" in env.read_log(), "the log does not say what was left out")
        check(not os.path.exists(path + ".bad"), "a file with one bad entry was set aside whole")
        env.stop_engine()

        # A file that is not JSON at all is moved aside, never fatal.
        with open(path, "w") as f:
            f.write('{"exclusions": [')
        env.start_engine()
        check(runtime_exclusions(env) == [] and policies(env)["ksm"] is True,
              f"a bad state file was used: {runtime_exclusions(env)} {policies(env)}")
        check(os.path.exists(path + ".bad"), "the bad state file was not kept aside")
        check("moved it to" in env.read_log(), "the log does not say what happened to the bad file")
        env.stop_engine()


def case_control_properties_changed():
    """PropertiesChanged carries exactly what changed."""
    with Env(config="[Engine]\ncycle_secs=3600\n[Exclude]\nonly_cgroups=/wolfram-test-nothing\n") as env:
        w = PropertiesWatcher(env)
        try:
            w.expect(env, "AddExclusion", "s", ["wolfram-nothing"], {"Exclusions"})
            w.expect(env, "RemoveExclusion", "s", ["wolfram-nothing"], {"Exclusions"})
            w.expect(env, "Pause", "", [], {"State", "Paused"})
            w.expect(env, "Resume", "", [], {"State", "Paused"})
            w.expect(env, "SetPolicy", "sb", ["tuning", False], {"Policies", "PolicyOverrides", "Tuning"})
            w.expect(env, "SetPolicy", "sb", ["ksm", False], {"Policies", "PolicyOverrides", "KsmMode"})
            # Changing nothing sends nothing: the next signal is the exclusion's.
            n = len(w.events)
            check(env.call("SetPolicy", signature="sb", args=["ksm", False])["ok"], "SetPolicy again")
            check(env.call("Pause")["ok"] and env.call("Pause")["ok"], "Pause")
            wait_for(lambda: len(w.events) > n, 5, "PropertiesChanged after Pause")
            time.sleep(0.3)
            w.expect(env, "AddExclusion", "s", ["wolfram-nothing"], {"Exclusions"})
            check(w.events[n:] == [{"State", "Paused"}, {"Exclusions"}],
                  f"calls that changed nothing sent PropertiesChanged: {w.events[n:]}")
            # Dropping a switch whose value the configuration shares
            # changes only which policies are overridden.
            check(env.call("Resume")["ok"], "Resume")
            time.sleep(0.3)
            w.expect(env, "SetPolicy", "sb", ["ksm", True], {"Policies", "PolicyOverrides", "KsmMode"})
            w.expect(env, "ResetPolicy", "s", ["ksm"], {"Policies", "PolicyOverrides"})
        finally:
            w.stop()
        env.stop_engine()


def get_stats(env):
    r = env.run(["busctl", "--system", "--json=short", "call", BUS_NAME, BUS_PATH, BUS_NAME, "GetStats"],
                check_rc=0)
    return unwrap(json.loads(r.stdout)["data"][0])


def prometheus_samples(text):
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def case_stats_export():
    """stats.json (the original daemon's fields) and the Prometheus textfile
    follow each cycle and agree with GetStats; promtool accepts the file."""
    prom_dir = tempfile.mkdtemp(prefix="wolfram-test-prom-")
    with TestCgroup("control") as cg, workload(64, content="text", seed=5, hot_percent=0) as w:
        cg.add(w.pid)
        config = ("[Engine]\ncycle_secs=10\nidle_sample_secs=2\nmin_process_anon_mib=16\nidle_backend=refs\n"
                  f"prometheus_textfile_dir={prom_dir}\n[Exclude]\nonly_cgroups={cg.name}\n")
        with Env(config=config) as env:
            res = env.call("ReclaimProcess", signature="us", args=[w.pid, "pageout"])
            check(res["ok"], f"ReclaimProcess: {res}")
            n = env.get_property("CycleCount")
            wait_for(lambda: env.get_property("CycleCount") >= n + 1, 40, "a cycle after the reclaim")
            stats = get_stats(env)
            with open(os.path.join(env.state_dir, "stats.json")) as f:
                js = json.load(f)
            for key in ("timestamp", "uptime_secs", "cycles", "compression_backend", "original_bytes",
                        "compressed_bytes", "saved_bytes", "compression_ratio", "zram_devices",
                        "ksm_pages_sharing", "ksm_saved_mib", "hibernated_processes", "hibernated_saved_mib",
                        "total_saved_mib", "lifetime_compressed_kib"):
                check(key in js, f"stats.json lacks {key}: {sorted(js)}")
            check(js["compression_backend"] == "zram" and js["zram_devices"] == len(stats["Pool"]["Devices"]),
                  f"stats.json: {js}")
            check(js["cycles"] in (stats["LastCycle"]["Cycle"], stats["LastCycle"]["Cycle"] - 1),
                  f"cycles {js['cycles']} vs GetStats {stats['LastCycle']}")
            pool = stats["Pool"]
            check(pool["OriginalBytes"] >= 60 * MIB, f"the pool holds only {pool['OriginalBytes']}")
            check(abs(js["original_bytes"] - pool["OriginalBytes"]) <= 0.05 * pool["OriginalBytes"],
                  f"original_bytes {js['original_bytes']} vs GetStats {pool['OriginalBytes']}")
            check(abs(js["compressed_bytes"] - pool["CompressedBytes"]) <= 0.05 * pool["CompressedBytes"],
                  f"compressed_bytes {js['compressed_bytes']} vs GetStats {pool['CompressedBytes']}")
            check(js["lifetime_compressed_kib"] == stats["LifetimePagedOutBytes"] // 1024,
                  f"lifetime_compressed_kib {js['lifetime_compressed_kib']} vs {stats['LifetimePagedOutBytes']}")
            check(js["compression_ratio"] > 1.5, f"ratio {js['compression_ratio']}")
            check(js["saved_bytes"] > 0 and js["total_saved_mib"] >= js["saved_bytes"] / MIB - 1,
                  f"saved: {js['saved_bytes']} total {js['total_saved_mib']}")
            written = calendar.timegm(time.strptime(js["timestamp"], "%Y-%m-%dT%H:%M:%SZ"))
            check(abs(time.time() - written) < 60, f"timestamp {js['timestamp']} is not now")

            prom = os.path.join(prom_dir, "wolfram.prom")
            with open(prom) as f:
                text = f.read()
            r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
            check(r.returncode == 0, f"promtool check metrics: {r.stdout} {r.stderr}")
            samples = prometheus_samples(text)
            check(samples["wolfram_pool_original_bytes"] == js["original_bytes"],
                  f"wolfram_pool_original_bytes {samples['wolfram_pool_original_bytes']} vs {js['original_bytes']}")
            check(samples["wolfram_cycles_total"] == js["cycles"], "cycles differ between the two files")
            check(w.verify()["ok"], "checksum changed")
            env.stop_engine()
    shutil.rmtree(prom_dir)


def case_ctl_verbs():
    """wolframctl's steering verbs against the real engine: output, errors
    and exit codes (0 done, 1 refused by the engine, 2 usage, 4 polkit)."""
    with TestCgroup("control") as cg, workload(32, content="text", seed=3, hot_percent=0) as w:
        cg.add(w.pid)
        with Env(config=control_config(cg)) as env:
            r = env.ctl("exclude", "wolfram-nothin", check_rc=0)
            r = env.ctl("exclusions", check_rc=0)
            check(any(ln.split() == ["wolfram-nothin", "name", "runtime"] for ln in r.stdout.splitlines()),
                  f"exclusions: {r.stdout}")
            # systemctl's habits: no header with --no-legend, nothing with -q.
            r = env.ctl("--no-legend", "exclusions", check_rc=0)
            check(r.stdout.splitlines()[0].split()[0] != "PATTERN"
                  and any(ln.split() == ["wolfram-nothin", "name", "runtime"] for ln in r.stdout.splitlines()),
                  f"--no-legend exclusions: {r.stdout}")
            r = env.ctl("--no-legend", "processes", check_rc=0)
            check("PID" not in r.stdout.split("\n")[0] and "no processes yet" not in r.stdout,
                  f"--no-legend processes: {r.stdout}")
            r = env.ctl("-q", "status", check_rc=0)
            check(r.stdout == "", f"-q status printed: {r.stdout!r}")
            r = env.ctl("--no-pager", "status", check_rc=0)
            check(r.stdout.startswith("wolframd "), f"--no-pager status: {r.stdout}")
            r = env.ctl("help", check_rc=0)
            check("Commands:" in r.stdout and "--no-legend" in r.stdout, f"help: {r.stdout}")
            rows = json.loads(env.ctl("--json", "exclusions", check_rc=0).stdout)
            check({"Pattern": "wolfram-nothin", "Kind": "name", "Origin": "runtime"} in rows, f"--json: {rows}")
            env.ctl("include", "wolfram-nothin", check_rc=0)
            r = env.ctl("include", "wolfram-nothin", check_rc=1)
            check(r.stderr.startswith("Failed to include 'wolfram-nothin': "), f"include twice: {r.stderr}")
            r = env.ctl("exclude", "", check_rc=1)
            check(r.stderr.startswith("Failed to exclude '': "), f"exclude '': {r.stderr}")
            r = env.ctl("exclude", "x", user=NOBODY, check_rc=4)
            check(r.stderr.startswith("Failed to exclude 'x': ") and "To be allowed: run it as root (sudo" in r.stderr
                  and "add you to the group 'wolfram'" in r.stderr, f"exclude as nobody: {r.stderr}")
            check(runtime_exclusions(env) == [], f"left behind: {runtime_exclusions(env)}")

            r = env.ctl("reclaim", str(w.pid), check_rc=0)
            check(re.match(r"^Paged out [\d.]+ \S+ of wolfram-workloa \(%d\) in .+; its swap went from .+ to .+\.$"
                           % w.pid, r.stdout.strip()), f"reclaim: {r.stdout}")
            out = json.loads(env.ctl("--json", "reclaim", str(w.pid), "--cold", check_rc=0).stdout)
            check(out["Mode"] == "cold" and out["Pid"] == w.pid, f"reclaim --json --cold: {out}")
            r = env.ctl("reclaim", "1", check_rc=1)
            check(r.stderr.startswith("Failed to reclaim memory of process 1: "), f"reclaim 1: {r.stderr}")
            env.ctl("reclaim", "abc", check_rc=2)
            env.ctl("reclaim", str(w.pid), user=NOBODY, check_rc=4)
            check(w.verify()["ok"], "checksum changed")

            env.ctl("set", "tuning", "off", check_rc=0)
            check(env.vm_before == read_vm_knobs(), "set tuning off did not restore the knobs")
            r = env.ctl("status", check_rc=0)
            check(re.search(r"Policies: compression on, ksm on, tuning off", r.stdout), f"status: {r.stdout}")
            env.ctl("set", "tuning", "on", check_rc=0)
            check(policies(env)["tuning"] is True, "set tuning on")
            env.ctl("set", "tuning", "maybe", check_rc=2)
            env.ctl("set", "swap", "on", check_rc=2)
            env.ctl("set", "ksm", "off", user=NOBODY, check_rc=4)
            check(policies(env)["ksm"] is True, "refused set changed the policy")

            r = env.ctl("stats", check_rc=0)
            check(re.search(r"^MemoryTotalBytes: +\S+ \S?iB$", r.stdout, re.M), f"stats: {r.stdout}")
            with open("/proc/meminfo") as f:
                total = int(f.readline().split()[1]) * 1024
            r = env.ctl("stats", "--bytes", check_rc=0)
            check(re.search(r"^MemoryTotalBytes: +%d$" % total, r.stdout, re.M), f"stats --bytes: {r.stdout}")
            check(set(json.loads(env.ctl("--json", "stats", check_rc=0).stdout)) >= {"Policies", "Exclusions",
                                                                                  "SavedBytes", "UptimeUsec"},
                  "stats --json lacks the new keys")
            env.stop_engine()


def case_ctl_monitor():
    """monitor prints each cycle as it finishes and each property change,
    follows the engine away and back, and ends cleanly on SIGINT."""
    with Env(config="[Engine]\ncycle_secs=10\nidle_sample_secs=2\n[Exclude]\n"
                    "only_cgroups=/wolfram-test-nothing\n") as env:
        lines = []
        p = subprocess.Popen([env.wolframctl, "--json", "monitor"], env=env.env(), stdout=subprocess.PIPE,
                             text=True)
        threading.Thread(target=lambda: [lines.append(json.loads(ln)) for ln in p.stdout], daemon=True).start()
        text = []
        q = subprocess.Popen([env.wolframctl, "monitor"], env=env.env(), stdout=subprocess.PIPE, text=True)
        threading.Thread(target=lambda: [text.append(ln) for ln in q.stdout], daemon=True).start()
        try:
            wait_for(lambda: any(x.get("Event") == "CycleFinished" and x["Summary"]["Cycle"] >= 1 for x in lines),
                     30, f"a CycleFinished line; got {lines}")
            wait_for(lambda: any(re.match(r"^\d\d:\d\d:\d\d Cycle \d+: looked at \d+ processes", ln) for ln in text),
                     10, f"a cycle in text; got {text}")
            env.ctl("pause", check_rc=0)
            wait_for(lambda: any(x.get("Event") == "PropertiesChanged" and x["Changed"].get("State") == "paused"
                                 for x in lines), 10, f"State paused; got {lines}")
            env.stop_engine()
            wait_for(lambda: any(x.get("Event") == "EngineStopped" for x in lines), 10, f"EngineStopped: {lines}")
            check(p.poll() is None, "monitor exited when the engine stopped")
            env.start_engine()
            wait_for(lambda: any(x.get("Event") == "EngineStarted" for x in lines), 10, f"EngineStarted: {lines}")
        finally:
            for proc in (p, q):
                proc.send_signal(signal.SIGINT)
        check(p.wait(5) == 0 and q.wait(5) == 0, "monitor did not exit 0 on SIGINT")
        env.stop_engine()


ESCAPE_CHILD = r"""
import ctypes, sys
ctypes.CDLL(None).prctl(15, b"a\x1b[31mb", 0, 0, 0)
block = bytearray(48 << 20)
for i in range(0, len(block), 4096):
    block[i] = 1
print("ready", flush=True)
sys.stdin.read()
"""


def case_ctl_escape():
    """A process name with an escape sequence is printed escaped, never raw."""
    with TestCgroup("control") as cg:
        child = subprocess.Popen(["/usr/bin/python3", "-c", ESCAPE_CHILD], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
        try:
            check(child.stdout.readline().strip() == "ready", "the child did not start")
            cg.add(child.pid)
            with Env(config=control_config(cg)) as env:
                wait_for(lambda: env.get_property("CycleCount") >= 1, 30, "a cycle")
                r = env.ctl("processes", check_rc=0)
                check("a\\x1b[31mb" in r.stdout, f"the name is not shown escaped: {r.stdout!r}")
                check("\x1b" not in r.stdout and "\x1b" not in r.stderr, "a raw escape reached the terminal")
                env.stop_engine()
        finally:
            child.kill()
            child.wait()
