# SPDX-License-Identifier: MIT
"""The integration harness: a private system bus, the real polkitd and the
engine under test, in a private mount namespace so that the build's polkit
action, a per-test rules directory and a test group can be bind-mounted into
place without touching the host. Everything started is stopped by pid."""

import errno
import json
import os
import re
import pwd
import grp
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

POLKITD = "/usr/lib/polkit-1/polkitd"
BUS_NAME = "org.wolfram.Memory1"
BUS_PATH = "/org/wolfram/Memory1"
TEST_GROUP = "wolfram-test"
NOBODY = "nobody"

VM_KNOBS = ("swappiness", "page-cluster", "vfs_cache_pressure", "compaction_proactiveness",
            "watermark_boost_factor", "watermark_scale_factor")

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
UNIT_FILE = os.path.join(SOURCE_DIR, "units", "wolfram.service.in")


class TestFailure(Exception):
    pass


def check(cond, what):
    """Fails the test with 'what' when cond is false."""
    if not cond:
        raise TestFailure(what)


def need(cond, what):
    """A missing prerequisite: a failure, never a silent pass. Outside CI a
    developer may run without root, so there it is a skip (exit 77), which
    the CI script counts as a failure anyway."""
    if cond:
        return
    print(f"prerequisite missing: {what}", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") else 77)


def build_path(env_name):
    p = os.environ.get(env_name)
    need(p and os.access(p, os.X_OK), f"${env_name} must name the built binary")
    return p


def enter_private_mount_namespace():
    """Re-executes this script in a private mount namespace (once)."""
    if os.environ.get("WOLFRAM_TEST_NS") == "1":
        return
    need(os.geteuid() == 0, "integration tests need root (private mount namespace, polkitd, bus policy)")
    env = dict(os.environ, WOLFRAM_TEST_NS="1")
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable] + sys.argv, env=env)
    sys.exit(r.returncode)


def stop_process(p, timeout=5):
    """SIGTERM to a process this test started, SIGKILL after timeout s."""
    if p is None or p.poll() is not None:
        return
    p.terminate()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def proc_stat_fields(pid, task=None):
    """The fields of /proc/PID/stat (or of its thread TASK) after "(comm)",
    whatever the name holds: state is [0], ppid [1], utime [11], stime
    [12], nice [16], policy [38]."""
    path = f"/proc/{pid}/task/{task}/stat" if task else f"/proc/{pid}/stat"
    with open(path) as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise TestFailure(f"timed out after {timeout}s waiting for {what}")


BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="UpdateActivationEnvironment"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Debug.Stats"/>
  </policy>
  <include>{polkit_conf}</include>
  <include>{wolfram_conf}</include>
</busconfig>
"""


class KernelLog:
    """The kernel's messages (/dev/kmsg) from now on."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        os.lseek(self.fd, 0, os.SEEK_END)

    def read(self):
        """The messages logged since, each "prefix;text"."""
        out = []
        while True:
            try:
                rec = os.read(self.fd, 8192)
            except BlockingIOError:
                return out
            except BrokenPipeError:
                continue  # overwritten before it was read: the next one
            if not rec:
                return out
            out.append(rec.decode(errors="replace").split("\n", 1)[0])

    def close(self):
        os.close(self.fd)


class Env:
    """One private world for one test: bus, polkitd (optional), engine."""

    def __init__(self, rules=None, polkit=True, engine=True, config="", swap_write_errors=False,
                 device_allow=()):
        # Device nodes the engine may open besides what its unit allows,
        # as an administrator's drop-in would add them (DeviceAllow=).
        self.device_allow = device_allow
        # A write to swap that the kernel logs as failed (a zram device past
        # its mem_limit) fails the test unless the test forces it itself.
        self.swap_write_errors = swap_write_errors
        self.rules = rules or {}
        self.config_text = config
        self.with_polkit = polkit
        self.with_engine = engine
        self.procs = {}
        self.wolframd = build_path("WOLFRAMD")
        self.wolframctl = build_path("WOLFRAMCTL")

    # --- setup -----------------------------------------------------------
    def __enter__(self):
        enter_private_mount_namespace()
        for tool in ("dbus-daemon", "setpriv", "gdbus", "busctl"):
            need(shutil.which(tool), f"{tool} is not installed")
        need(os.access(POLKITD, os.X_OK), f"{POLKITD} is not installed (package polkitd)")

        self.kmsg = KernelLog()
        self.devices = DeviceCgroup(self.device_allow)
        self.tmp = tempfile.mkdtemp(prefix="wolfram-test-")
        self.mounts = []
        os.chmod(self.tmp, 0o755)
        # The engine changes real sysctls; whatever happens, they go back.
        self.vm_before = read_vm_knobs()
        self.zram_before = zram_devices()
        self.zswap_before = read_zswap()
        self.ksm_before = read_ksm_knobs()
        self.config_file = os.path.join(self.tmp, "wolfram.conf")
        self.write_config(self.config_text)
        self.runtime_dir = os.path.join(self.tmp, "run")
        os.mkdir(self.runtime_dir)
        # Where runtime exclusions, policies and stats.json are kept.
        self.state_dir = os.path.join(self.tmp, "state")
        try:
            self._start_bus()
            self._mount_polkit_files()
            self._mount_test_group()
            if self.with_polkit:
                self.start_polkitd()
            if self.with_engine:
                self.start_engine()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start_bus(self):
        socket = os.path.join(self.tmp, "system_bus_socket")
        conf = os.path.join(self.tmp, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONF.format(
                socket=socket,
                polkit_conf="/usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf",
                wolfram_conf=os.path.join(SOURCE_DIR, "dbus", "org.wolfram.Memory1.conf")))
        self.address = f"unix:path={socket}"
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        self.procs["dbus-daemon"] = subprocess.Popen(
            ["dbus-daemon", "--config-file", conf, "--nofork", "--nopidfile"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.tmp, "dbus.log"), "w"))
        wait_for(lambda: os.path.exists(socket), 5, "the private bus socket")

    def _bind(self, src, dst):
        subprocess.run(["mount", "--bind", src, dst], check=True)
        self.mounts.append(dst)

    def _mount_polkit_files(self):
        actions = os.path.join(self.tmp, "actions")
        os.mkdir(actions, 0o755)
        shutil.copy(os.path.join(SOURCE_DIR, "polkit", "org.wolfram.Memory1.policy"), actions)
        self._bind(actions, "/usr/share/polkit-1/actions")

        rules = os.path.join(self.tmp, "rules.d")
        os.mkdir(rules, 0o700)
        for name, text in self.rules.items():
            with open(os.path.join(rules, name), "w") as f:
                f.write(text)
        pk = pwd.getpwnam("polkitd")
        for p in [rules] + [os.path.join(rules, n) for n in self.rules]:
            os.chown(p, pk.pw_uid, 0)
        self._bind(rules, "/etc/polkit-1/rules.d")

    def _mount_test_group(self):
        """A group that only exists in this namespace, with nobody in it."""
        used = {g.gr_gid for g in grp.getgrall()}
        gid = next(g for g in range(61000, 62000) if g not in used)
        path = os.path.join(self.tmp, "group")
        with open("/etc/group") as f:
            text = f.read()
        if not text.endswith("\n"):
            text += "\n"
        with open(path, "w") as f:
            f.write(text + f"{TEST_GROUP}:x:{gid}:{NOBODY}\n")
        os.chmod(path, 0o644)
        self._bind(path, "/etc/group")

    def start_polkitd(self):
        # Started as root, polkitd switches to its own user by itself.
        self.procs["polkitd"] = subprocess.Popen(
            [POLKITD, "--no-debug"], stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.tmp, "polkitd.log"), "w"))
        # 30 s: a CI run on two busy CPUs once waited more than 10 for it;
        # an exit ends the wait at once, with what polkitd said.
        p = self.procs["polkitd"]
        try:
            wait_for(lambda: self.name_has_owner("org.freedesktop.PolicyKit1") or p.poll() is not None, 30,
                     "polkitd on the bus")
        except TestFailure as e:
            raise TestFailure(f"{e}\n{self._polkitd_log()}")
        check(p.poll() is None, f"polkitd exited with {p.returncode} at start:\n{self._polkitd_log()}")

    def _polkitd_log(self):
        with open(os.path.join(self.tmp, "polkitd.log"), errors="replace") as f:
            return "--- polkitd.log ---\n" + f.read()[-2000:]

    def write_config(self, text):
        # A test of something else must not wait for the machine's own disk
        # noise: the pressure gate is off unless the test sets it.
        if isinstance(text, str) and "pressure_limit_percent" not in text:
            text += "\n[Engine]\npressure_limit_percent=0\n"
        with open(self.config_file, "w") as f:
            f.write(text)

    def engine_argv(self, extra_args=()):
        """The engine as its unit runs it: with the unit's capability
        bounding set, no new privileges, its file limit and the device
        nodes it may open, read from
        units/wolfram.service.in so that the tests and the unit cannot
        drift apart."""
        return (self.devices.argv() + unit_sandbox_argv() + [self.wolframd, f"--config={self.config_file}"] +
                list(extra_args))

    def engine_env(self):
        return dict(self.env(), RUNTIME_DIRECTORY=self.runtime_dir, STATE_DIRECTORY=self.state_dir,
                    WOLFRAM_HIBERNATE_HELPER=os.environ.get("WOLFRAM_HIBERNATE", ""))

    def start_engine(self, extra_args=()):
        self.engine_log = os.path.join(self.tmp, "wolframd.log")
        self.procs["wolframd"] = subprocess.Popen(
            self.engine_argv(extra_args), stdout=subprocess.DEVNULL,
            stderr=open(self.engine_log, "a"), env=self.engine_env())
        wait_for(lambda: self.name_has_owner(BUS_NAME) or self.procs["wolframd"].poll() is not None,
                 10, "wolframd to own its name")
        check(self.procs["wolframd"].poll() is None, f"wolframd exited at start:\n{self.read_log()}")
        # The name appears before the loop runs; the first answer comes after
        # the engine finished starting (tuning included).
        self.run(["busctl", "--system", "call", BUS_NAME, BUS_PATH, "org.freedesktop.DBus.Peer", "Ping"],
                 check_rc=0)

    def stop_engine(self, expect_pool_removed=True, sig=signal.SIGTERM):
        """SIGTERM (or sig); the engine must exit 0 within 30 s and free its
        name, and leave the machine as it found it."""
        p = self.procs.pop("wolframd")
        p.send_signal(sig)
        try:
            rc = p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise TestFailure("wolframd did not exit within 30 s of SIGTERM")
        check(rc == 0, f"wolframd exited with {rc} on SIGTERM:\n{self.read_log()}")
        wait_for(lambda: not self.name_has_owner(BUS_NAME), 5, "the name to be released")
        # A clean stop leaves the kernel as the test found it.
        now = read_vm_knobs()
        before = {k: v for k, v in self.vm_before.items() if k in now}  # a test may hide a knob
        check(now == before, f"sysctls not restored on stop: before {before}, after {now}")
        check(not os.path.exists(os.path.join(self.runtime_dir, "sysctl.saved")),
              "the saved sysctl values remain after a clean stop")
        if expect_pool_removed:
            check(zram_devices() == self.zram_before,
                  f"zram devices after stop {zram_devices()} != before {self.zram_before}")
            check(not [s for s in swap_devices() if s.startswith("/dev/zram")],
                  f"zram swap left after stop: {swap_devices()}")
            check(read_zswap() == self.zswap_before, "zswap not restored on stop")
        check(read_ksm_knobs() == self.ksm_before,
              f"KSM settings not restored on stop: before {self.ksm_before}, after {read_ksm_knobs()}")

    def kill_engine(self):
        """SIGKILL: the engine gets no chance to clean up."""
        p = self.procs.pop("wolframd")
        p.kill()
        p.wait(5)
        wait_for(lambda: not self.name_has_owner(BUS_NAME), 5, "the name to be released")

    def read_log(self):
        try:
            with open(self.engine_log) as f:
                return f.read()
        except OSError:
            return ""

    # --- teardown ----------------------------------------------------------
    def __exit__(self, exc_type, exc, tb):
        failure = None
        if "wolframd" in self.procs:
            try:
                self.stop_engine()
            except TestFailure as e:
                failure = e
        for name in ("wolframd", "polkitd", "dbus-daemon"):
            stop_process(self.procs.pop(name, None))
        self.devices.remove()
        if exc_type is not None or failure:
            for log in ("wolframd.log", "polkitd.log", "dbus.log"):
                path = os.path.join(self.tmp, log)
                if os.path.exists(path):
                    with open(path) as f:
                        sys.stderr.write(f"--- {log} ---\n{f.read()}")
        # What the engine or the test left is put back, and a test that
        # passed otherwise fails for it: leftovers are bugs, not noise.
        left = []
        if zram_devices() != self.zram_before:
            left.append(f"zram devices {zram_devices()} (before {self.zram_before})")
        if read_ksm_knobs() != self.ksm_before:
            left.append(f"KSM settings {read_ksm_knobs()} (before {self.ksm_before})")
        if self.zswap_before is not None and read_zswap() != self.zswap_before:
            left.append(f"zswap {read_zswap()} (before {self.zswap_before})")
        # The bind mounts go with the namespace when this process exits.
        cleanup_zram(self.zram_before)
        restore_ksm_knobs(self.ksm_before)
        if self.zswap_before is not None and read_zswap() != self.zswap_before:
            write_zswap(self.zswap_before)
        knobs = restore_vm_knobs(self.vm_before)
        if knobs:
            left.append(f"sysctls {knobs}")
        errors = [ln for ln in self.kmsg.read() if "Write-error on swap-device" in ln]
        self.kmsg.close()
        if errors and not self.swap_write_errors:
            left.append(f"{len(errors)} swap write errors in the kernel's log, the first: {errors[0]}")
        if left and exc_type is None and not failure:
            failure = TestFailure(f"the test left the machine changed (now put back): {'; '.join(left)}")
        # Gone with the namespace at exit; undone now so that another Env
        # in the same process (the benchmark) can bind its own.
        for dst in reversed(self.mounts):
            subprocess.run(["umount", "--lazy", dst], check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)
        if failure and exc_type is None:
            raise failure
        return False

    # --- helpers for tests -------------------------------------------------
    def env(self):
        return dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)

    def run(self, argv, user=None, check_rc=None):
        """Runs argv, as 'user' (via setpriv, with that user's groups) if given."""
        if user:
            argv = ["setpriv", f"--reuid={user}", f"--regid={pwd.getpwnam(user).pw_gid}",
                    "--init-groups", "--"] + list(argv)
        r = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=30)
        if check_rc is not None:
            check(r.returncode == check_rc,
                  f"{argv} exited {r.returncode}, expected {check_rc}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def ctl(self, *args, user=None, check_rc=None):
        return self.run([self.wolframctl] + list(args), user=user, check_rc=check_rc)

    def call(self, method, user=None, interactive=False, dest=BUS_NAME, path=BUS_PATH,
             interface=BUS_NAME, signature="", args=()):
        """Calls a method through tests/integration/call.py as 'user' and
        returns {"ok": bool, "error": name, "message": text, "result": ...}."""
        argv = ["/usr/bin/python3", os.path.join(HERE, "call.py"), dest, path, interface, method,
                signature, json.dumps(list(args)), "1" if interactive else "0"]
        r = self.run(argv, user=user)
        try:
            return json.loads(r.stdout)
        except ValueError:
            raise TestFailure(f"call.py failed: {r.stdout} {r.stderr}")

    def name_has_owner(self, name):
        r = subprocess.run(["busctl", "--system", "status", name], env=self.env(),
                           capture_output=True, text=True)
        return r.returncode == 0

    def get_property(self, name):
        r = self.run(["busctl", "--system", "--json=short", "get-property", BUS_NAME, BUS_PATH, BUS_NAME, name],
                     check_rc=0)
        return json.loads(r.stdout)["data"]


def unit_settings(path=UNIT_FILE):
    """The [Service] settings of the unit file: {key: [values in order]}."""
    out = {}
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section == "[Service]" and "=" in line:
                key, value = line.split("=", 1)
                out.setdefault(key.strip(), []).append(value.strip())
    return out


def unit_capabilities(path=UNIT_FILE):
    """CapabilityBoundingSet= of the unit, as lower-case names without
    CAP_ ("sys_admin"), in the unit's order."""
    caps = []
    for value in unit_settings(path).get("CapabilityBoundingSet", []):
        if not value:
            caps = []  # an empty assignment resets the list, as in systemd
            continue
        check(not value.startswith("~"), "the harness reads an allow-list CapabilityBoundingSet only")
        caps += [c.lower().removeprefix("cap_") for c in value.split()]
    check(caps, f"{path} sets no CapabilityBoundingSet")
    return caps


def unit_sandbox_argv(path=UNIT_FILE):
    """A command prefix that gives what follows the unit's capability
    bounding set (root keeps only those), NoNewPrivileges= and
    LimitNOFILE=. The rest of the unit's sandbox needs systemd; the VM
    system tier runs the installed unit for that."""
    settings = unit_settings(path)
    argv = ["setpriv", "--bounding-set=-all," + ",".join("+" + c for c in unit_capabilities(path))]
    if settings.get("NoNewPrivileges", ["no"])[-1] == "yes":
        argv.append("--no-new-privs")
    argv.append("--")
    limit = settings.get("LimitNOFILE")
    if limit:
        soft, _, hard = limit[-1].partition(":")
        argv = ["prlimit", f"--nofile={soft}:{hard or soft}", "--"] + argv
    return argv


# What DevicePolicy=closed lets a unit open besides its DeviceAllow= lines
# (systemd's list of standard pseudo devices), as (type, major, minor).
CLOSED_POLICY_DEVICES = [("c", 1, 3), ("c", 1, 5), ("c", 1, 7), ("c", 1, 8), ("c", 1, 9), ("c", 5, 0), ("c", 5, 2)]
DEVICES_CGROUP_V1 = "/sys/fs/cgroup/devices"


def device_majors(kind):
    """{name: major} of /proc/devices' "Block devices:" or "Character devices:"."""
    out, section = {}, None
    with open("/proc/devices") as f:
        for line in f:
            line = line.strip()
            if line.endswith(":"):
                section = line
            elif line and section == f"{kind} devices:":
                major, name = line.split(None, 1)
                out[name] = int(major)
    return out


def device_allow_rule(spec, mode):
    """A devices.allow line for a DeviceAllow= entry: "block-NAME",
    "char-NAME" or a device node's path."""
    mode = "".join(c for c in mode if c in "rwm") or "rwm"
    if spec.startswith(("block-", "char-")):
        kind, name = spec.split("-", 1)
        major = device_majors("Block" if kind == "block" else "Character").get(name)
        return f"{kind[0]} {major}:* {mode}" if major is not None else None
    st = os.stat(spec)
    kind = "b" if stat.S_ISBLK(st.st_mode) else "c"
    return f"{kind} {os.major(st.st_rdev)}:{os.minor(st.st_rdev)} {mode}"


class DeviceCgroup:
    """The unit's DevicePolicy= and DeviceAllow= (plus a drop-in's
    'extra' paths) as a cgroup v1 devices controller group, which the
    kernel checks on every open of a device node, as it checks the unit's
    BPF program under systemd. None where this machine has no v1 devices
    controller; the VM system tier runs the real unit."""

    def __init__(self, extra=(), path=UNIT_FILE):
        self.dir = None
        settings = unit_settings(path)
        if settings.get("DevicePolicy", ["auto"])[-1] not in ("closed", "strict"):
            return
        if not os.path.isdir(DEVICES_CGROUP_V1):
            print(f"note: no {DEVICES_CGROUP_V1}: the engine runs without the unit's device policy")
            return
        rules = []
        if settings["DevicePolicy"][-1] == "closed":
            rules += [f"{t} {a}:{b} rwm" for t, a, b in CLOSED_POLICY_DEVICES]
        for value in settings.get("DeviceAllow", []) + [f"{p} rw" for p in extra]:
            spec, _, mode = value.partition(" ")
            rule = device_allow_rule(spec, mode)
            if rule:
                rules.append(rule)
        self.dir = tempfile.mkdtemp(prefix="wolfram-test-", dir=DEVICES_CGROUP_V1)
        with open(os.path.join(self.dir, "devices.deny"), "w") as f:
            f.write("a")
        for rule in rules:
            with open(os.path.join(self.dir, "devices.allow"), "w") as f:
                f.write(rule)

    def argv(self):
        """A command prefix that enters the group, then execs what follows."""
        if not self.dir:
            return []
        return ["sh", "-c", f'echo $$ > {self.dir}/cgroup.procs && exec "$@"', "sh"]

    def remove(self):
        if not self.dir:
            return
        for _ in range(50):
            try:
                os.rmdir(self.dir)
                return
            except OSError:
                time.sleep(0.1)  # its last process is still exiting
        print(f"note: {self.dir} could not be removed")


def read_vm_knobs():
    out = {}
    for k in VM_KNOBS:
        try:
            with open(f"/proc/sys/vm/{k}") as f:
                out[k] = int(f.read())
        except FileNotFoundError:
            pass
    return out


def restore_vm_knobs(values):
    """Writes back what differs; returns what had to be restored."""
    changed = {}
    now = read_vm_knobs()
    for k, v in values.items():
        if now.get(k) != v:
            changed[k] = now.get(k)
            with open(f"/proc/sys/vm/{k}", "w") as f:
                f.write(str(v))
    return changed


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1]
    raise TestFailure("no cgroup2 hierarchy is mounted")


class TestCgroup:
    """A cgroup of the test's own (cgroup2 unless 'root' names another
    hierarchy, e.g. the v1 memory controller's), so the engine can be told to
    work on the test's processes only; 'files' are written into it when it is
    made (a memory limit). Removed afterwards."""

    def __init__(self, name, root=None, files=None):
        self.root = root or cgroup2_root()
        self.name = f"/wolfram-test-{os.getpid()}-{name}"
        self.path = self.root + self.name
        self.files = files or {}

    def __enter__(self):
        self.sweep_stale(self.root)
        os.mkdir(self.path)
        for name, value in self.files.items():
            with open(os.path.join(self.path, name), "w") as f:
                f.write(str(value))
        return self

    @staticmethod
    def sweep_stale(root):
        """Removes the empty groups of test runs that were killed before
        they could remove their own (wolfram-test-PID-*, PID no longer
        alive); a group with a process in it stays."""
        for name in os.listdir(root):
            m = re.fullmatch(r"wolfram-test-(\d+)-.*", name)
            if not m or os.path.exists(f"/proc/{m.group(1)}"):
                continue
            try:
                os.rmdir(os.path.join(root, name))
            except OSError:
                pass

    def add(self, pid):
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def __exit__(self, *exc):
        # Whatever is still inside goes back to the root, then the group
        # goes. A process killed a moment ago may still be leaving it
        # (EBUSY): tried again for a few seconds.
        deadline = time.monotonic() + 10
        while True:
            try:
                with open(os.path.join(self.path, "cgroup.procs")) as f:
                    pids = f.read().split()
                for pid in pids:
                    try:
                        with open(os.path.join(self.root, "cgroup.procs"), "w") as f:
                            f.write(pid)
                    except OSError:
                        pass
                os.rmdir(self.path)
            except FileNotFoundError:
                pass
            except OSError as e:
                if e.errno != errno.EBUSY or time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
                continue
            return False


KSM_KNOBS = ("run", "pages_to_scan", "sleep_millisecs", "advisor_mode", "advisor_max_cpu",
             "advisor_target_scan_time")


def read_ksm_knobs():
    out = {}
    for k in KSM_KNOBS:
        try:
            with open(f"/sys/kernel/mm/ksm/{k}") as f:
                text = f.read().strip()
        except FileNotFoundError:
            continue
        # advisor_mode reads "[none] scan-time"; the bracketed one is in force.
        out[k] = text[text.index("[") + 1:text.index("]")] if "[" in text else text
    return out


def restore_ksm_knobs(values):
    now = read_ksm_knobs()
    for k in ("advisor_mode", "advisor_target_scan_time", "advisor_max_cpu", "sleep_millisecs", "pages_to_scan",
              "run"):
        if k in values and now.get(k) != values[k]:
            with open(f"/sys/kernel/mm/ksm/{k}", "w") as f:
                f.write(values[k])


def zram_devices():
    return sorted(int(d[4:]) for d in os.listdir("/sys/block") if d.startswith("zram"))


def swap_devices():
    with open("/proc/swaps") as f:
        return {ln.split()[0]: {"size": int(ln.split()[2]) * 1024, "used": int(ln.split()[3]) * 1024,
                                "prio": int(ln.split()[4])} for ln in f.readlines()[1:] if ln.strip()}


def read_zswap():
    try:
        with open("/sys/module/zswap/parameters/enabled") as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def write_zswap(value):
    with open("/sys/module/zswap/parameters/enabled", "w") as f:
        f.write(value)


def mm_stat(dev):
    with open(f"/sys/block/zram{dev}/mm_stat") as f:
        v = [int(x) for x in f.read().split()]
    return {"orig": v[0], "compr": v[1], "mem_used": v[2], "mem_limit": v[3], "mem_used_max": v[4],
            "same_pages": v[5]}


def cleanup_zram(before):
    """Removes zram devices a test made and left (swapoff first); never one
    that was there before."""
    for dev in zram_devices():
        if dev in before:
            continue
        path = f"/dev/zram{dev}"
        if path in swap_devices():
            subprocess.run(["swapoff", path], check=False)
        with open(f"/sys/block/zram{dev}/reset", "w") as f:
            f.write("1")
        with open("/sys/class/zram-control/hot_remove", "w") as f:
            f.write(str(dev))


def meminfo_bytes():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, rest = line.split(":", 1)
            fields = rest.split()
            if len(fields) == 2 and fields[1] == "kB":
                out[key] = int(fields[0]) * 1024
    return out


def format_bytes(n):
    """The same rounding wolframctl uses for people."""
    if n < 1024:
        return f"{n} B"
    v = n / 1024.0
    units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    i = 0
    while v >= 1023.95 and i + 1 < len(units):
        v /= 1024.0
        i += 1
    return f"{v:.1f} {units[i]}"


def unwrap(v):
    """busctl's JSON of variants ({"type": …, "data": …}) as plain values."""
    if isinstance(v, dict):
        if set(v) == {"type", "data"}:
            return unwrap(v["data"])
        return {k: unwrap(x) for k, x in v.items()}
    if isinstance(v, list):
        return [unwrap(x) for x in v]
    return v
