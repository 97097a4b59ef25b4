#!/bin/sh
# install.sh - installs the browser tests' npm packages (playwright-core, axe-core: exactly what
# package-lock.json pins) into tests/browser/node_modules with `npm ci`, and only when they are
# missing or the lock file changed since: ctest runs it first (the fixture browser_modules of
# tests/CMakeLists.txt), so `make test` on a fresh clone installs them and later runs take no time.
# No browser is downloaded: the tests drive Debian's /usr/bin/chromium (scripts/deps.sh test).
set -eu
cd "$(dirname "$0")"
exec 9<install.sh
flock 9 # two build directories of one tree may run their ctest at once
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat node_modules/.kt-installed 2>/dev/null)" = "$want" ]; then
    echo "browser packages: installed"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "browser packages: npm is missing (scripts/deps.sh test installs Node.js)" >&2
    exit 1
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
echo "$want" >node_modules/.kt-installed
echo "browser packages: installed by npm ci"
