#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Prints the path of the cached test kernel that build-kernel.sh made for
# the current page-idle.config, source version and build script; fails when
# there is none. Installs and builds nothing, so tests can call it.
#
# Usage: tools/vm/kernel-path.sh
set -euo pipefail
# shellcheck source=tools/vm/lib.sh
source "$(dirname "$0")/lib.sh"

version=$(vm_kernel_pkg_version)
[ -n "$version" ] || die "apt knows no $vm_kernel_pkg: run tools/vm/build-kernel.sh first"
kernel=$vm_cache/kernel-$(vm_kernel_hash "$version")/bzImage
[ -f "$kernel" ] || die "no test kernel at $kernel ($vm_kernel_pkg $version): run tools/vm/build-kernel.sh first"
echo "$kernel"
