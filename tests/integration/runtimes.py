# SPDX-License-Identifier: MIT
"""Real runtimes merged by KSM: several copies of the same Python program
(or JVM), each started as an ordinary user, through wolfram-merge or
without it. What merges is what the kernel says of each process
(/proc/PID/ksm_stat): its merging pages and its profit."""

import os
import subprocess
import time

from harness import NOBODY, Env, check, wait_for

MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")

# A service's start: the same standard modules imported, the same table
# built (200,000 entries) and serialised once, as a cache would keep it.
PYTHON_WORKER = r"""
import json, email.parser, http.client, xml.etree.ElementTree, decimal, sqlite3, asyncio, sys
table = {f"key-{i}": {"id": i, "name": f"item {i}" * 3, "tags": [str(i % 97), str(i % 89)]}
         for i in range(200000)}
blob = json.dumps(list(table.values()))
sys.stdout.write("ready %d\n" % len(blob))
sys.stdout.flush()
sys.stdin.read()
"""

# The same in Java: a table of 200,000 records in a HashMap and its text.
JAVA_WORKER = r"""
import java.util.*;
public class Same {
    public static void main(String[] args) throws Exception {
        Map<String, String> table = new HashMap<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 200000; i++) {
            String v = "item " + i + " item " + i + " tags " + (i % 97) + "," + (i % 89);
            table.put("key-" + i, v);
            text.append(v).append('\n');
        }
        byte[] blob = text.toString().getBytes("UTF-8");
        System.out.println("ready " + blob.length + " " + table.size());
        System.out.flush();
        System.in.read();
    }
}
"""


def ksm_stat(pid):
    out = {}
    with open(f"/proc/{pid}/ksm_stat") as f:
        for line in f:
            k, _, v = line.partition(" ")
            out[k.rstrip(":")] = v.strip()
    return out


class Runtimes:
    """n copies of one program as 'user', through wolfram-merge (merge set)
    or not."""

    def __init__(self, kind, n, merge=None, user=NOBODY, tmp="/tmp"):
        self.kind, self.procs = kind, []
        if kind == "python":
            argv = ["/usr/bin/python3", "-c", PYTHON_WORKER]
        elif kind == "java":
            src = os.path.join(tmp, "Same.java")
            with open(src, "w") as f:
                f.write(JAVA_WORKER)
            os.chmod(tmp, 0o755)
            os.chmod(src, 0o644)
            # One heap size for all, so that their heaps are laid out alike.
            argv = ["java", "-Xms256m", "-Xmx256m", "-XX:+UseSerialGC", src]
        else:
            raise ValueError(kind)
        if merge:
            argv = [os.path.abspath(merge), "--quiet", "--"] + argv
        for _ in range(n):
            group = "nogroup" if user == NOBODY else user
            self.procs.append(subprocess.Popen(["setpriv", f"--reuid={user}", f"--regid={group}", "--clear-groups"]
                                               + argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                               cwd="/"))
        for p in self.procs:
            line = p.stdout.readline()
            check(line.startswith("ready"), f"{kind} worker did not start: {line!r}")

    def pids(self):
        # setpriv and wolfram-merge exec the program: the same pid.
        return [p.pid for p in self.procs]

    def merged(self):
        """Merging pages and profit in bytes, summed over the copies."""
        pages = profit = 0
        for pid in self.pids():
            st = ksm_stat(pid)
            pages += int(st.get("ksm_merging_pages", 0))
            profit += int(st.get("ksm_process_profit", 0))
        return pages, profit

    def rss(self):
        total = 0
        for pid in self.pids():
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        return total

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.stdin.close()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def measure(kind, n, merge, settle_s, tmp):
    """n copies with and n without the launcher, side by side, while the
    engine runs KSM: what each group has merged after settle_s (or once
    it stops growing), and ksmd's CPU meanwhile."""
    with Runtimes(kind, n, merge=merge, tmp=tmp) as launched, Runtimes(kind, n, tmp=tmp) as plain:
        t0, last, steady_since = time.monotonic(), -1, time.monotonic()
        while time.monotonic() - t0 < settle_s:
            pages, _ = launched.merged()
            if pages != last:
                last, steady_since = pages, time.monotonic()
            elif pages > 0 and time.monotonic() - steady_since > 10:
                break
            time.sleep(1)
        pages, profit = launched.merged()
        plain_pages, plain_profit = plain.merged()
        return {"kind": kind, "copies": n, "seconds": time.monotonic() - t0,
                "launched_merging_bytes": pages * PAGE, "launched_profit_bytes": profit,
                "launched_rss_bytes": launched.rss(),
                "plain_merging_bytes": plain_pages * PAGE, "plain_profit_bytes": plain_profit,
                "plain_rss_bytes": plain.rss()}


def case_ksm_python_workers():
    """Three python3 workers through wolfram-merge as nobody, beside three
    without it, the engine running KSM: the launched ones merge (the same
    modules, the same table and its JSON text), the others do not, and
    each merged process still answers."""
    merge = os.environ.get("WOLFRAM_MERGE")
    check(merge and os.access(merge, os.X_OK), "$WOLFRAM_MERGE must name the built wolfram-merge")
    with Env(config="[Engine]\ncycle_secs=3600\n[Exclude]\nonly_cgroups=/wolfram-test-nothing\n") as env:
        r = measure("python", 3, merge, 90, env.tmp)
        print(f"3 python3 workers: launched merged {r['launched_merging_bytes'] // MIB} MiB "
              f"(profit {r['launched_profit_bytes'] // MIB} MiB of {r['launched_rss_bytes'] // MIB} MiB RSS), "
              f"plain {r['plain_merging_bytes'] // MIB} MiB, in {r['seconds']:.0f} s")
        check(r["launched_merging_bytes"] >= 16 * MIB,
              f"the launched workers merged only {r['launched_merging_bytes'] // 1024} KiB")
        check(r["launched_profit_bytes"] > 0, f"no profit: {r}")
        check(r["plain_merging_bytes"] == 0, f"workers without the launcher merged: {r}")
        env.stop_engine()
