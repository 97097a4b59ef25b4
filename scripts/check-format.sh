#!/bin/sh
# check-format.sh - fails when a C file differs from what clang-format makes of it (.clang-format).
cd "$(dirname "$0")/.." || exit 2
command -v clang-format >/dev/null 2>&1 || { echo "clang-format is not installed"; exit 1; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null)
[ -n "$files" ] || files=$(find src tools bench fuzz tests -name '*.[ch]')
clang-format --dry-run -Werror $files
