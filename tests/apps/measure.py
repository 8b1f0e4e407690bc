# SPDX-License-Identifier: MIT
"""Measuring a real application under the engine (tests/apps/subjects.py
starts them): its hot path's latency before, during and after the pageout
cycle, what moved to zram, what the engine says, and whether the data is
intact. Used by tests/integration/apps.py (the short form, which asserts)
and bench/bench_apps.py (the full form, with a rival)."""

import json
import threading
import time

from harness import BUS_NAME, BUS_PATH, Env, check, format_bytes, unwrap

class LatencySampler:
    """Calls subject.sample() every interval seconds in a thread of its own
    (for redis it is also the client that keeps the hot keys hot), tagging
    each window with the phase the test is in and the subject's VmSwap."""

    def __init__(self, subject, interval=0.5):
        self.subject = subject
        self.interval = interval
        self.phase = "before"
        self.rows = []
        self.error = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while not self.stopping.is_set():
                phase = self.phase
                t = time.monotonic()
                row = self.subject.sample()
                # A window covers the sample and, for the JVM, the time since
                # the last one.
                row.update(phase=phase, t=time.monotonic(), swap=self.subject.swap_bytes())
                row["window_s"] = row["t"] - (self.rows[-1]["t"] if self.rows else t)
                self.rows.append(row)
                self.stopping.wait(self.interval)
        except Exception as e:  # reported by stop(), in the test's thread
            self.error = e

    def stop(self):
        self.stopping.set()
        self.thread.join(120)
        check(not self.thread.is_alive(), "the latency sampler hangs")
        if self.error:
            raise self.error

    def mark_cycle_start(self, t):
        """Windows of the engine's earlier cycles (marking only) are not
        'during': that starts with the pageout cycle, at t."""
        for r in self.rows:
            if r["phase"] == "during" and r["t"] - r["window_s"] < t:
                r["phase"] = "engine"

    def summary(self, phase):
        """Over the phase's windows: p50 the median window's p50, p99 the
        median window's p99, worst the highest p99 of any window (redis-
        benchmark and the JVM report percentiles, not single reads; a
        pageout's refaults show in one or two windows, the machine's other
        load in any)."""
        rows = [r for r in self.rows if r["phase"] == phase and r["n"]]
        if not rows:
            return {"windows": 0, "n": 0, "p50_us": 0.0, "p99_us": 0.0, "worst_p99_us": 0.0, "max_us": 0.0}

        def median(key):
            return sorted(r[key] for r in rows)[len(rows) // 2]
        out = {"windows": len(rows), "n": sum(r["n"] for r in rows), "p50_us": median("p50_us"),
               "p99_us": median("p99_us"), "worst_p99_us": max(r["p99_us"] for r in rows),
               "max_us": max(r["max_us"] for r in rows)}
        if "slow" in rows[0]:
            out["slow"] = sum(r["slow"] for r in rows)
        return out


def list_processes(env):
    r = env.run(["busctl", "--system", "--json=short", "call", BUS_NAME, BUS_PATH, BUS_NAME, "ListProcesses"],
                check_rc=0)
    keys = ("pid", "name", "cgroup", "anon", "swap", "idle", "cycles_idle", "cold", "pageout", "state")
    return {row[0]: dict(zip(keys, row)) for row in json.loads(r.stdout)["data"][0]}


def engine_stats(env):
    r = env.run(["busctl", "--system", "--json=short", "call", BUS_NAME, BUS_PATH, BUS_NAME, "GetStats"],
                check_rc=0)
    return unwrap(json.loads(r.stdout)["data"][0])


def app_config(cg, extra=""):
    """One cycle that pages out what stayed idle through its sample (the
    next would come after the test): before, during and after are clear."""
    return ("[Engine]\ncycle_secs=600\nidle_sample_secs=2\npageout_after_cycles=1\nmin_process_anon_mib=16\n"
            f"idle_backend=refs\n{extra}[KSM]\nenabled=no\n[Exclude]\nonly_cgroups={cg.name}\n")


def fmt_us(v):
    return f"{v:.2f} us" if v < 10 else f"{v:.0f} us"


def fmt_latency(s):
    text = (f"p50 {fmt_us(s['p50_us'])}, p99 {fmt_us(s['p99_us'])}, worst window's p99 {fmt_us(s['worst_p99_us'])}, "
            f"max {fmt_us(s['max_us'])} ({s['windows']} windows, {s['n']} samples")
    if "slow" in s:
        text += f", {s['slow']} of 10 us or more"
    return text + ")"


def process_table(subject, engine_rows):
    """Its processes as the kernel and the engine see them."""
    lines = [f"    {'PID':>7} {'NAME':<16} {'MAPS':>5} {'ANON':>10} {'SWAP':>10} {'MAJFLT':>7} {'ENGINE':<8} "
             f"{'PAGED OUT':>10}"]
    for p in sorted(subject.processes(), key=lambda p: -p["swap"] - p["anon"]):
        e = engine_rows.get(p["pid"], {})
        lines.append(f"    {p['pid']:>7} {p['name'] or '?':<16} {p['maps']:>5} {format_bytes(p['anon']):>10} "
                     f"{format_bytes(p['swap']):>10} {p['majflt']:>7} {e.get('state', '-'):<8} "
                     f"{format_bytes(e.get('pageout', 0)):>10}")
    return "\n".join(lines)


def _at_pageout(out, subject, env):
    """The figures at the end of the pageout cycle, before the hot part
    comes back."""
    out["swap_at_cycle"] = subject.swap_bytes()
    out["anon_at_cycle"] = subject.anon_bytes()
    out["processes_at_cycle"] = subject.processes()
    out["majflt_at_cycle"] = subject.major_faults()
    if env is None:
        out.update(engine_rows={}, engine_paged_out=0, pool=None, last_cycle=None, cycles=0)
        return
    rows = list_processes(env)
    out["engine_rows"] = {p: rows[p] for p in subject.pids() if p in rows}
    out["engine_paged_out"] = sum(r["pageout"] for r in out["engine_rows"].values())
    out["last_cycle"] = engine_stats(env)["LastCycle"]
    out["cycles"] = env.get_property("CycleCount")
    out["pool"] = json.loads(env.ctl("status", "--json", check_rc=0).stdout)["Pool"]


def _at_end(out, subject, env, sampler):
    sampler.stop()
    out["swap_after"] = subject.swap_bytes()
    out["majflt_after"] = subject.major_faults()
    out["table"] = process_table(subject, list_processes(env) if env else {})
    # The data is read back while the pool still holds it.
    t = time.monotonic()
    out["check"] = subject.check()
    out["check_s"] = time.monotonic() - t
    out["answers"] = subject.answers()
    out["log"] = env.read_log() if env else ""


def run_subject(subject, cg, config=None, before_s=4, tail_s=3, after_s=4, during_s=20, pageout_by_cycle=1):
    """Loads the subject and measures its hot path in three phases: before
    (no engine), during (the pageout cycle, from its start to its end, and
    tail_s more; earlier cycles only mark pages and count as neither) and
    after (after_s more, the engine still running). config: the engine's configuration for the subject's cgroup;
    None for no engine at all (what the caller set up instead, e.g. a zram
    swap device alone), where during lasts during_s. The waiting ends at
    the first cycle that paged something out or at cycle pageout_by_cycle,
    whichever comes first. Returns the figures; checks the data at the end
    and leaves the verdicts to the caller."""
    t0 = time.monotonic()
    info = subject.load()
    out = {"info": info, "load_s": time.monotonic() - t0}
    sampler = LatencySampler(subject)
    try:
        time.sleep(before_s)
        out["anon_before"] = subject.anon_bytes()
        out["majflt_before"] = subject.major_faults()
        sampler.phase = "during"
        if config is None:
            time.sleep(during_s)
            out["cycle_s"] = out["pageout_cycle_s"] = during_s
            _at_pageout(out, subject, None)
            time.sleep(tail_s)
            sampler.phase = "after"
            time.sleep(after_s)
            _at_end(out, subject, None, sampler)
        else:
            with Env(config=config) as env:
                t_engine = time.monotonic()
                deadline = t_engine + 60 + 30 * pageout_by_cycle
                while (env.get_property("TotalPagedOutBytes") == 0 and
                       env.get_property("CycleCount") < pageout_by_cycle):
                    check(time.monotonic() < deadline, f"no pageout by cycle {pageout_by_cycle}")
                    check(sampler.error is None and sampler.thread.is_alive(), f"the sampler stopped: {sampler.error}")
                    time.sleep(0.1)
                t_end = time.monotonic()
                out["cycle_s"] = t_end - t_engine
                _at_pageout(out, subject, env)
                out["pageout_cycle_s"] = out["last_cycle"]["DurationUsec"] / 1e6
                sampler.mark_cycle_start(t_end - out["pageout_cycle_s"])
                time.sleep(tail_s)
                sampler.phase = "after"
                time.sleep(after_s)
                _at_end(out, subject, env, sampler)
                env.stop_engine()
    finally:
        sampler.stopping.set()
    out["latency"] = {p: sampler.summary(p) for p in ("before", "during", "after")}
    return out
