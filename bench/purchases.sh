#!/bin/sh
# bench/purchases.sh BUILD_DIR - receipts through POST /v1/purchases (issue 5's figure: >= 2,000
# receipts/s with 16 clients, p99 < 20 ms), on a base of KT_BENCH_COUNT customers, KT_BENCH_RUNS
# runs of KT_BENCH_SECONDS, 16 connections; after each run the raw SQLite loop writes the same
# rows (purchase, two lines, the earn entry) for as many receipts into the same database. Then
# the quote (POST /v1/loyalty/quote, under 5 ms asked) with 4 connections, as a few cash desks
# asking at once, and with 16.
set -eu
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-1000000}
RUNS=${KT_BENCH_RUNS:-3}
SECS=${KT_BENCH_SECONDS:-15}
CONNS=${KT_BENCH_CONNECTIONS:-16}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kt-purchases-XXXXXX)
db=$work/base.db
results=$work/results
: >"$results"
srv=
trap 'kill $srv 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
echo "== loading $COUNT synthetic customers"
"$B/bench/load_customers" --db "$db" --count "$COUNT" | tail -1
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$B/kartoteka" serve --db "$db" --listen "127.0.0.1:$port" >"$work/out" 2>>"$work/log" &
srv=$!
i=0
until curl -sf "$url/healthz" >/dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "server did not start"; cat "$work/log"; exit 1; }
    sleep 0.05
done
export KT_KEY=$("$B/kartoteka" keys create --db "$db" --scope pos --name bench 2>/dev/null)
export KT_COUNT=$COUNT KT_BENCH_DIR=$here
for run in $(seq 1 "$RUNS"); do
    echo "== run $run: receipts"
    KT_RUN=$run wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$here/purchases.lua" "$url" |
        grep RESULT | sed 's/^/receipts /' | tee -a "$results"
    n=$(grep '^receipts' "$results" | tail -1 | sed 's/.*requests=\([0-9]*\).*/\1/')
    echo "== run $run: raw SQLite loop, $n receipts, same rows, same database"
    "$B/bench/raw_insert" --db "$db" --count "$n" --mode purchase --prefix "9$run" |
        sed 's/^/raw /' | tee -a "$results"
done
for run in $(seq 1 "$RUNS"); do
    for c in 4 16; do
        echo "== run $run: quote, $c connections"
        KT_QUOTE=1 wrk -t2 -c"$c" -d"${SECS}s" --latency -s "$here/purchases.lua" "$url" |
            grep RESULT | sed "s/^/quote$c /" | tee -a "$results"
    done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
rps=$(grep '^receipts' "$results" | sed 's/.*rps=\([0-9.]*\).*/\1/' | median)
p99=$(grep '^receipts' "$results" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/' | median)
raw=$(grep '^raw' "$results" | sed 's/.*s: \([0-9]*\) customers.*/\1/' | median)
echo
echo "== medians of $RUNS runs ($CONNS connections, ${SECS}s each)"
echo "receipts: $rps req/s, p99 $p99 ms; raw SQLite loop $raw receipts/s; receipts/raw = $(echo "scale=3; $rps / $raw" | bc)"
for c in 4 16; do
    q=$(grep "^quote$c " "$results" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/' | median)
    qr=$(grep "^quote$c " "$results" | sed 's/.*rps=\([0-9.]*\).*/\1/' | median)
    echo "quote, $c connections: $qr req/s, p99 $q ms"
done
grep -q 'errors=[1-9]\|non2xx=[1-9]' "$results" && echo "errors: some runs had errors" || echo "errors: none"
