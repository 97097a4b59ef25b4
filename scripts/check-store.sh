#!/bin/sh
# check-store.sh - the store's rule of shape (docs/house.md, part 4), run by ctest: src/store/
# includes nothing of ours but base/, crypt/ (the keyring it seals with) and store/. The store sits
# below every domain module, so it takes their work in its own terms (a segment query as a
# store_cond) and never their headers. (Its other rule, no file over 800 lines without a reason at
# its top, now covers all of src/: scripts/check-length.sh, ctest file_length.)
cd "$(dirname "$0")/.." || exit 2
status=0
up=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' src/store |
    grep -vE '#[[:space:]]*include[[:space:]]+"(base|crypt|store)/' | grep -v '"helpers.h"')
if [ -n "$up" ]; then
    echo "src/store/ includes a module above it (only base/, crypt/ and store/ are below):"
    echo "$up"
    status=1
fi
exit $status
