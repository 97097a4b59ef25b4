#!/bin/sh
# check-banned.sh - fails when src/ calls a libc function STYLE.md bans (string copies without a
# size, unchecked number parsing). Run by ctest.
cd "$(dirname "$0")/.." || exit 2
hits=$(grep -rnE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|gets|strtok|atoi|atol|atof)[[:space:]]*\(' \
    src tools bench fuzz 2>/dev/null | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)')
if [ -n "$hits" ]; then
    echo "banned functions (STYLE.md section 5):"
    echo "$hits"
    exit 1
fi
exit 0
