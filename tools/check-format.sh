#!/usr/bin/env bash
# Fails when a C file differs from what clang-format makes of it.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h')
if clang-format --dry-run --Werror "${files[@]}"; then
        echo "formatting: ok (${#files[@]} files)"
else
        echo "formatting: run clang-format -i on the files above" >&2
        exit 1
fi
