# SPDX-License-Identifier: MIT
"""The fleet view, end to end with Debian's own parts: wolframd writes its
figures for node_exporter's textfile collector, prometheus-node-exporter
serves them, a prometheus server (both on localhost only, run by the test
with state of its own) scrapes them with monitoring/wolfram.rules.yml
loaded, and every query of monitoring/grafana-dashboard.json answers with
data."""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from harness import SOURCE_DIR, Env, check, wait_for

NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
PROMETHEUS = "/usr/bin/prometheus"
MONITORING = os.path.join(SOURCE_DIR, "monitoring")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.load(r)


def query(port, expr):
    """The result vector of an instant query; [] when it has no data."""
    out = get_json(f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    check(out.get("status") == "success", f"query {expr!r}: {out}")
    return out["data"]["result"]


class Server:
    """A process the test started, stopped by its pid."""

    def __init__(self, argv, log):
        self.log = log
        self.p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def dashboard_queries(instance_re=".*"):
    with open(os.path.join(MONITORING, "grafana-dashboard.json")) as f:
        dash = json.load(f)
    for panel in dash["panels"]:
        for t in panel["targets"]:
            yield panel["title"], t["expr"].replace("$instance", instance_re)


def case_fleet_view():
    for exe in (NODE_EXPORTER, PROMETHEUS):
        check(os.access(exe, os.X_OK), f"{exe} is not installed (tools/install-deps.sh installs it)")
    with tempfile.TemporaryDirectory(prefix="wolfram-fleet-") as tmp:
        textfile = os.path.join(tmp, "textfile")
        os.mkdir(textfile)
        node_port, prom_port = free_port(), free_port()
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    f"rule_files:\n  - {os.path.join(MONITORING, 'wolfram.rules.yml')}\n"
                    "scrape_configs:\n  - job_name: node\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{node_port}']\n")
        log = open(os.path.join(tmp, "servers.log"), "w+")
        servers = []
        try:
            with Env(config="[Engine]\ncycle_secs=10\nidle_sample_secs=2\n"
                            f"prometheus_textfile_dir={textfile}\n"
                            "[Exclude]\nonly_cgroups=/wolfram-test-nothing\n") as env:
                wait_for(lambda: os.path.exists(os.path.join(textfile, "wolfram.prom")), 60,
                         "the engine's wolfram.prom")
                servers.append(Server([NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{node_port}",
                                       "--collector.disable-defaults", "--collector.textfile",
                                       f"--collector.textfile.directory={textfile}"], log))
                servers.append(Server([PROMETHEUS, f"--config.file={config}",
                                       f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
                                       f"--web.listen-address=127.0.0.1:{prom_port}"], log))

                def scraped():
                    try:
                        return query(prom_port, "wolfram_info")
                    except OSError:
                        return []
                wait_for(scraped, 60, "prometheus scraping wolfram_info through node_exporter")
                info = query(prom_port, "wolfram_info")[0]["metric"]
                check(info.get("instance") == f"127.0.0.1:{node_port}" and info.get("job") == "node",
                      f"wolfram_info's labels: {info}")
                # No textfile error: node_exporter read the engine's file as it is.
                errors = query(prom_port, "node_textfile_scrape_error")
                check(errors and all(float(e["value"][1]) == 0 for e in errors), f"textfile errors: {errors}")

                # Every dashboard query answers with data, once rate() has two
                # samples in its window and a cycle has finished.
                wait_for(lambda: env.get_property("CycleCount") >= 1, 60, "a cycle")
                time.sleep(5)
                empty = []
                for title, expr in dashboard_queries():
                    if not query(prom_port, expr):
                        empty.append(f"{title}: {expr}")
                check(not empty, "dashboard queries without data:\n" + "\n".join(empty))
                check(len(list(dashboard_queries())) >= 10, "the dashboard lost its queries")

                # The rules are loaded and evaluate cleanly; none fires on a
                # healthy engine.
                groups = get_json(f"http://127.0.0.1:{prom_port}/api/v1/rules")["data"]["groups"]
                rules = {r["name"]: r for g in groups for r in g["rules"]}
                check({"WolframDown", "WolframPoolAtCap", "WolframRefaultsOverBudget"} <= set(rules),
                      f"rules: {sorted(rules)}")
                check(all(r["health"] == "ok" and r["state"] == "inactive" for r in rules.values()),
                      f"rules: {[(n, r['health'], r['state'], r.get('lastError')) for n, r in rules.items()]}")
                env.stop_engine()
        except Exception:
            log.seek(0)
            print(log.read()[-4000:])
            raise
        finally:
            for s in reversed(servers):
                s.stop()
            log.close()
