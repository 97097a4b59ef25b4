#!/bin/sh
# check-cli-includes.sh - fails when a file of src/cli/ includes a header of api/ or http/. A verb
# calls the same domain function the API's handler calls (docs/house.md, part 2); when a verb
# needs what only a handler does, that work belongs in its module, not behind an api/ include.
# Run by ctest (cli_includes).
cd "$(dirname "$0")/.." || exit 2
hits=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(api|http)/' src/cli/*.c src/cli/*.h)
if [ -n "$hits" ]; then
    echo "src/cli/ includes the HTTP layer (call the domain module instead):"
    echo "$hits"
    exit 1
fi
exit 0
