#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs one libFuzzer target for SECONDS from its seed corpus; what it adds
# to the corpus and what it finds go to OUT. Fails on a crash, a sanitizer
# report, a leak, an input that takes over 10 s or a run over 2 GiB.
# Usage: run-fuzz.sh TARGET SECONDS OUT SEEDS
set -eu
[ $# -eq 4 ] || { echo "usage: $0 TARGET SECONDS OUT SEEDS" >&2; exit 2; }
target=$1 seconds=$2 out=$3 seeds=$4
[ -d "$seeds" ] && [ -n "$(ls -A "$seeds")" ] || { echo "no seed corpus in $seeds" >&2; exit 1; }
mkdir -p "$out/corpus"
exec "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/" "$out/corpus" "$seeds"
