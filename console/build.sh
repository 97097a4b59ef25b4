#!/bin/sh
# build.sh - builds the console (docs/console.md, "The console") and embeds it: run by CMake when
# package.json, the lock or any console source changes.
#   console/build.sh OUT_DIR EMBED OUT_C
# Installs the npm packages exactly as package-lock.json pins them into console/node_modules with
# `npm ci --ignore-scripts`, only when they are missing or package.json/the lock changed since (a
# hash stamp, as tests/browser/install.sh does); checks that esbuild (Vite's compiler, a native
# binary) works without its install script; runs `vite build` into OUT_DIR (in the build
# directory, never the source tree); and writes OUT_C, the built files as a C array (tools/embed.c).
# A flock serialises two build directories of one tree.
set -eu
[ $# -eq 3 ] || { echo "usage: console/build.sh OUT_DIR EMBED OUT_C" >&2; exit 2; }
out=$1 embed=$2 out_c=$3
cd "$(dirname "$0")"
exec 9<build.sh
flock 9
if ! command -v npm >/dev/null 2>&1; then
    echo "console: npm is missing (scripts/deps.sh run installs Node.js and npm)" >&2
    exit 1
fi
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat node_modules/.kt-installed 2>/dev/null)" != "$want" ]; then
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
    echo "$want" >node_modules/.kt-installed
    echo "console: packages installed by npm ci"
fi
if ! node -e "require('esbuild').transformSync('let a = 1')" >/dev/null 2>&1; then
    echo "console: esbuild does not run here (its native binary @esbuild/* for this platform is" \
         "missing from node_modules); see docs/console.md, 'Building'" >&2
    exit 1
fi
rm -rf "$out"
npm run --silent build -- --outDir "$out" --emptyOutDir --logLevel warn
[ -f "$out/index.html" ] || { echo "console: the build wrote no index.html" >&2; exit 1; }
"$embed" "$out_c.tmp" console_files "$out/index.html" "$out"/assets/*
mv "$out_c.tmp" "$out_c"
