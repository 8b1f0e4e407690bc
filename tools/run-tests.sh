#!/usr/bin/env bash
# Runs the whole test suite: a -Werror build and an ASan+UBSan build, unit
# and integration tests in both, the VM tests (tools/vm) in the first, a
# clang build that runs every parser's libFuzzer target (tests/fuzz) for a
# while, and the formatting check. A skipped test counts as a failure. Run
# as root from the repository. The test logs: BUILD/meson-logs/NAME.txt
# (NAME: unit, fuzz, vm, bench, host).
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh
# The VM tests boot a kernel with page_idle; a cached one comes back at once,
# a first build takes about 10 minutes.
tools/vm/build-kernel.sh >/dev/null
# The system tier boots a Debian root filesystem made with mmdebstrap; cached
# after the first run (about 20 s).
tools/vm/build-debian-rootfs.sh >/dev/null

# Where CI set nothing, this still treats a missing prerequisite as failure.
export CI="${CI:-true}"

passed=0 failed=0 skipped=0

build() {
        local dir=$1
        shift
        if [ -f "$dir/build.ninja" ]; then
                meson setup --reconfigure "$dir" -Dwerror=true "$@" >/dev/null
        else
                meson setup "$dir" -Dwerror=true "$@" >/dev/null
        fi
        ninja -C "$dir" ${NINJA_JOBS:+-j "$NINJA_JOBS"}
}

# What failed or was skipped, with the end of its output: printed again last,
# where a log cut to its tail still shows it.
not_ok=$(mktemp)
trap 'rm -f "$not_ok"' EXIT

# Adds up the results of one `meson test --logbase NAME` in DIR.
count() {
        local dir=$1 name=$2 rc=$3 p f s
        read -r p f s < <(/usr/bin/python3 - "$dir/meson-logs/$name.json" "$dir ($name)" "$not_ok" <<'PY'
import json, sys
p = f = s = 0
try:
    lines = open(sys.argv[1]).readlines()
except FileNotFoundError:
    lines = []
with open(sys.argv[3], "a") as out:
    for line in lines:
        t = json.loads(line)
        r = t["result"]
        if r == "OK":
            p += 1
            continue
        if r == "SKIP":
            s += 1
        else:
            f += 1
        out.write(f"--- {r}: {t['name']} in {sys.argv[2]}, {t.get('duration') or 0:.0f} s\n")
        for stream in ("stdout", "stderr"):
            tail = (t.get(stream) or "").splitlines()[-25:]
            if tail:
                out.write(f"    the end of its {stream}:\n" + "".join(f"    {ln}\n" for ln in tail))
print(p, f, s)
PY
)
        passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
        if [ "$rc" -ne 0 ]; then
                echo "meson test in $dir ($name) failed (rc $rc)" | tee -a "$not_ok"
                # No test ran (meson itself failed): that is a failure too.
                [ $((p + f + s)) -gt 0 ] || failed=$((failed + 1))
        fi
}

# Runs DIR's tests one at a time: --logbase NAME, then meson test's options.
run_tests() {
        local dir=$1 name=$2 rc=0
        shift 2
        # shellcheck disable=SC2086
        meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 1 --logbase "$name" "$@" \
                ${TEST_ARGS:-} || rc=$?
        count "$dir" "$name" "$rc"
}

build build-test -Dapplet=enabled

# The VM tests run qemu on one thread (TCG): they take one CPU for half an
# hour, in the background, while the other CPU builds the sanitizer and
# fuzz builds, one job at a time, and runs their tests that time nothing
# (unit, merge, fuzz). The benchmark's smoke run and the host's integration
# tests run once the VMs are done: beside a VM, the bench's CPU hogs and
# node reclaim reach qemu too, and a failed run there could not be told
# from the VM's doing.
vm_out=build-test/meson-logs/vm-output.txt
setsid meson test -C build-test --no-rebuild --print-errorlogs --num-processes 1 --logbase vm --suite vm \
        >"$vm_out" 2>&1 &
vm_pid=$!
trap 'kill -- -"$vm_pid" 2>/dev/null || true; rm -f "$not_ok"' EXIT
echo "The VM tests run in the background (pid $vm_pid, output in $vm_out)."

NINJA_JOBS=1 build build-asan -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug \
        -Dapplet=enabled
CC=clang NINJA_JOBS=1 build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        --buildtype=debug -Dapplet=disabled
run_tests build-test unit --suite unit --suite merge
run_tests build-asan unit --suite unit --suite merge
run_tests build-fuzz fuzz --suite fuzz

vm_rc=0
wait "$vm_pid" || vm_rc=$?
trap 'rm -f "$not_ok"' EXIT
cat "$vm_out"
count build-test vm "$vm_rc"

run_tests build-test bench --suite bench

run_tests build-test host --no-suite unit --no-suite merge --no-suite vm --no-suite bench
run_tests build-asan host --no-suite unit --no-suite merge

format_rc=0
tools/check-format.sh || format_rc=$?
if [ "$format_rc" -eq 0 ]; then
        passed=$((passed + 1))
else
        failed=$((failed + 1))
        echo "--- the formatting check (tools/check-format.sh) failed" >>"$not_ok"
fi

if [ -s "$not_ok" ]; then
        echo "=== Not passed:"
        cat "$not_ok"
fi
[ "$skipped" -eq 0 ] || echo "Skipped tests count as failures."
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]
