#!/usr/bin/env bash
# Runs the whole test suite: a -Werror build and an ASan+UBSan build, unit
# and integration tests in both, the VM tests (tools/vm) in the first, a
# clang build that runs every parser's libFuzzer target (tests/fuzz) for a
# while, and the formatting check. A skipped test counts as a failure. Run as root from
# the repository.
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

run_suite() {
        local dir=$1
        shift
        if [ -f "$dir/build.ninja" ]; then
                meson setup --reconfigure "$dir" -Dwerror=true "$@" >/dev/null
        else
                meson setup "$dir" -Dwerror=true "$@" >/dev/null
        fi
        ninja -C "$dir"
        local rc=0
        # shellcheck disable=SC2086
        meson test -C "$dir" --print-errorlogs --num-processes 1 ${TEST_ARGS:-} || rc=$?
        read -r p f s < <(/usr/bin/python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r == "OK": p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
        passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
        [ "$rc" -eq 0 ] || echo "meson test in $dir failed (rc $rc)"
}

run_suite build-test -Dapplet=enabled
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug -Dapplet=enabled
CC=clang TEST_ARGS="--suite fuzz" run_suite build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false --buildtype=debug -Dapplet=disabled

format_rc=0
tools/check-format.sh || format_rc=$?
if [ "$format_rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

[ "$skipped" -eq 0 ] || echo "Skipped tests count as failures."
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]
