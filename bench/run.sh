#!/bin/sh
# bench/run.sh BUILD_DIR - the figures of BENCHMARKS.md, in one run:
#   1. load KT_BENCH_COUNT (default 1,000,000) synthetic customers through the identity path;
#   2. /healthz and POS lookup by phone with wrk, 32 keep-alive connections, KT_BENCH_RUNS runs
#      of KT_BENCH_SECONDS each, alternating, against that base;
#   3. upsert of new customers with wrk, then the raw SQLite loop inserting the same rows into
#      the same database with the same durability settings, after each run.
# Medians are printed at the end. Needs wrk (scripts/deps.sh bench).
set -eu
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-1000000}
SECS=${KT_BENCH_SECONDS:-15}
RUNS=${KT_BENCH_RUNS:-3}
CONNS=${KT_BENCH_CONNECTIONS:-32}
here=$(cd "$(dirname "$0")" && pwd)
export KT_BENCH_DIR=$here
work=$(mktemp -d /tmp/kt-bench-XXXXXX)
db=$work/base.db
results=$work/results
: >"$results"
trap 'kill $srv 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM

echo "== machine: $(nproc) CPUs, $(uname -r), SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '?')"
echo "== loading $COUNT synthetic customers"
t0=$(date +%s.%N)
"$B/bench/load_customers" --db "$db" --count "$COUNT" | tee -a "$results"
t1=$(date +%s.%N)
echo "load_seconds $(echo "$t1 - $t0" | bc)" >>"$results"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
start_server() {
    "$B/kartoteka" serve --db "$db" --listen "127.0.0.1:$port" >"$work/out" 2>>"$work/log" &
    srv=$!
    i=0
    until curl -sf "$url/healthz" >/dev/null; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "server did not start"; cat "$work/log"; exit 1; }
        sleep 0.05
    done
}
start_server
export KT_KEY=$("$B/kartoteka" keys create --db "$db" --scope pos --name bench 2>/dev/null)
export KT_COUNT=$COUNT
curl -sf -H "Authorization: Bearer $KT_KEY" "$url/v1/customers?phone=%2B79160000001" | grep -q '"items":\[{' \
    || { echo "lookup does not find the loaded base"; exit 1; }

for run in $(seq 1 "$RUNS"); do
    echo "== run $run: /healthz"
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$here/healthz.lua" "$url/healthz" |
        grep RESULT | sed 's/^/healthz /' | tee -a "$results"
    echo "== run $run: lookup by phone"
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$here/lookup.lua" "$url" |
        grep RESULT | sed 's/^/lookup /' | tee -a "$results"
done

for run in $(seq 1 "$RUNS"); do
    echo "== run $run: upsert of new customers"
    KT_RUN=$run wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$here/upsert.lua" "$url" |
        grep RESULT | sed 's/^/upsert /' | tee -a "$results"
    n=$(grep '^upsert' "$results" | tail -1 | sed 's/.*requests=\([0-9]*\).*/\1/')
    kill -TERM $srv; wait $srv || true
    echo "== run $run: raw SQLite loop, $n customers, same rows, same database"
    "$B/bench/raw_insert" --db "$db" --count "$n" --prefix "95$run" |
        sed 's/^/raw /' | tee -a "$results"
    start_server
done
kill -TERM $srv; wait $srv || true

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { grep "^$1 " "$results" | sed "s/.*$2=\([0-9.]*\).*/\1/" | median; }
load_rate=$(grep '^loaded' "$results" | sed 's/.*: \([0-9]*\) customers.*/\1/')
h=$(field healthz rps); l=$(field lookup rps); lp99=$(field lookup p99_ms)
hp99=$(field healthz p99_ms); u=$(field upsert rps); up99=$(field upsert p99_ms)
raw=$(grep '^raw' "$results" | sed 's/.*s: \([0-9]*\) customers.*/\1/' | median)
echo
echo "== medians of $RUNS runs ($CONNS connections, ${SECS}s each)"
echo "load:    $COUNT customers in $(grep load_seconds "$results" | cut -d' ' -f2) s ($load_rate/s)"
echo "healthz: $h req/s, p99 $hp99 ms"
echo "lookup:  $l req/s, p99 $lp99 ms; lookup/healthz = $(echo "scale=3; $l / $h" | bc)"
echo "upsert:  $u req/s, p99 $up99 ms; raw SQLite loop $raw rows-sets/s; upsert/raw = $(echo "scale=3; $u / $raw" | bc)"
echo "errors:  $(grep -c 'errors=[1-9]\|non2xx=[1-9]' "$results" || true) runs with errors"
