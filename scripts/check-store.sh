#!/bin/sh
# check-store.sh - the store's two rules of shape (docs/house.md, part 4), run by ctest:
#   - src/store/ includes nothing of ours but base/, crypt/ (the keyring it seals with) and
#     store/: the store sits below every domain module, so it takes their work in its own terms
#     (a segment query as a store_cond) and never their headers;
#   - no file in src/store/ is longer than 800 lines unless its opening comment says why, in a
#     line that starts " * Longer than 800 lines: ".
cd "$(dirname "$0")/.." || exit 2
status=0
up=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' src/store |
    grep -vE '#[[:space:]]*include[[:space:]]+"(base|crypt|store)/' | grep -v '"helpers.h"')
if [ -n "$up" ]; then
    echo "src/store/ includes a module above it (only base/, crypt/ and store/ are below):"
    echo "$up"
    status=1
fi
for f in $(find src/store -name '*.[ch]' -o -name '*.def' | sort); do
    lines=$(wc -l <"$f")
    if [ "$lines" -gt 800 ] && ! head -n 30 "$f" | grep -q '^ \* Longer than 800 lines: '; then
        echo "$f: $lines lines, and its opening comment does not say why (' * Longer than 800 lines: ...')"
        status=1
    fi
done
exit $status
