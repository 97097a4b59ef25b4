#!/bin/sh
# deps.sh - installs the Debian (bookworm) packages a target needs, and only the missing ones.
#   scripts/deps.sh run     what `make run` needs: compiler, CMake, the libraries, Node.js and npm
#                           (the console's build: console/build.sh), and curl, jq, unzip and aiosmtpd (a
#                           local mail sink) for the README tour
#   scripts/deps.sh test    plus cmocka, pytest, requests and clang-format for `make test`, and
#                           Chromium, fonts with Cyrillic and Node.js for the browser tests (their
#                           npm packages: tests/browser/install.sh, run by ctest)
#   scripts/deps.sh bench   plus wrk for the benchmarks
#   scripts/deps.sh fuzz    plus clang with libFuzzer
set -eu

run="gcc make cmake pkg-config libmicrohttpd-dev libgnutls28-dev libjansson-dev libsqlite3-dev libpq-dev libsodium-dev
     libicu-dev libidn2-dev libcsv-dev libcurl4-openssl-dev libqrencode-dev libpng-dev zlib1g-dev libzip-dev tzdata curl jq unzip
     python3-aiosmtpd nodejs"
test="$run libcmocka-dev python3 python3-pytest python3-requests python3-phonenumbers
      python3-email-validator clang-format python3-cryptography python3-aiosmtpd zbar-tools
      chromium fonts-dejavu-core postgresql-15 python3-psycopg2 openssl"
bench="$test wrk bc python3-sklearn sqlite3 time"
fuzz="$test clang libclang-rt-14-dev"

case "${1:-run}" in
run) want=$run ;;
test) want=$test ;;
bench) want=$bench ;;
fuzz) want=$fuzz ;;
*) echo "usage: scripts/deps.sh run|test|bench|fuzz" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
# Node.js from its own Debian repository (as on these machines) brings npm; Debian's does not, so
# on a fresh bookworm Debian's npm is installed beside its nodejs (18: Vite 6 runs on it).
case "$want" in *nodejs*) command -v npm >/dev/null 2>&1 || missing="$missing npm" ;; esac
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "deps: these Debian packages are missing:$missing" >&2
    echo "deps: install them as root: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; refresh them only when the install needs it.
$sudo apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 || {
    $sudo apt-get update -q >/dev/null
    $sudo apt-get install -y --no-install-recommends $missing >/dev/null
}
