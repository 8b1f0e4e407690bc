#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the Debian packages from the repository's files (debian/,
# dpkg-buildpackage -us -uc -b in a copy of the tree), checks them with
# lintian (any error or warning fails), and runs the system tier's package
# variant: a Debian 12 VM that installs, uses, removes and purges them
# (tests/vm/system/cases/90-package.sh). As root.
#
# Usage: tools/vm/run-package.sh [--timeout S] BUILD_DIR
#   BUILD_DIR  a meson build directory (for the workload program and the
#              artifacts' place: BUILD_DIR/vm-system/package)
set -euo pipefail

timeout_s=540
if [ "${1:-}" = --timeout ]; then
        timeout_s=$2
        shift 2
fi
[ $# -eq 1 ] || {
        echo "Usage: $0 [--timeout S] BUILD_DIR" >&2
        exit 2
}
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wolfram-package.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The tree as git has it (tracked and new files, nothing ignored: no build
# directory), so the package is built from what a clone holds.
mkdir "$tmp/wolfram"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$src" ls-files -z --cached --others --exclude-standard |
                (cd "$src" && xargs -0 tar -cf - --no-recursion) | tar -C "$tmp/wolfram" -xf -
else
        tar -C "$src" --exclude='./build*' -cf - . | tar -C "$tmp/wolfram" -xf -
fi
echo "run-package: building the packages"
t=$(date +%s)
if ! (cd "$tmp/wolfram" && dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1); then
        tail -n 40 "$tmp/build.log" >&2
        echo "run-package: dpkg-buildpackage failed" >&2
        exit 1
fi
echo "run-package: built in $(($(date +%s) - t)) s: $(cd "$tmp" && ls ./*.deb | tr '\n' ' ')"

# lintian: no error, no warning (information tags are shown, not failed).
lint=$(cd "$tmp" && lintian --no-tag-display-limit wolfram_*.deb wolfram-applet_*.deb 2>&1 |
        grep -v '^running with root privileges' || true)
if grep -q '^[EW]: ' <<<"$lint"; then
        echo "$lint" >&2
        echo "run-package: lintian found errors or warnings" >&2
        exit 1
fi
echo "run-package: lintian: no error, no warning"

mkdir "$tmp/debs"
cp "$tmp"/wolfram_*.deb "$tmp"/wolfram-applet_*.deb "$tmp/debs/"
"$src/tools/vm/run-system.sh" --variant package --debs "$tmp/debs" --timeout "$timeout_s" \
        --out "$build/vm-system" "$build"
