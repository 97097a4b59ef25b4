#!/bin/sh
# bench/dedup_upsert.sh BUILD_DIR - the duplicate check at upsert (issue 17, BENCHMARKS.md): a base
# of KT_BENCH_ROWS (100,000) customers (gen_csv, `kartoteka import customers`), a server on it,
# and KT_BENCH_COUNT (3,000) new customers posted one after another by bench/dedup_upsert.py, a
# third of them near-duplicates. First before any `dedup run` (no model: the check reads the
# meta row and stops - the reference, an upsert as it was), then after `kartoteka dedup run`
# (the check looks up the new customer's blocking keys and scores the customers found). The
# latencies are the server's own (its request log, ms per request): p50 and p99 of each phase.
set -eu
export KARTOTEKA_DRAIN=0
B=${1:-build/release}
ROWS=${KT_BENCH_ROWS:-100000}
COUNT=${KT_BENCH_COUNT:-3000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kt-dupup-XXXXXX)
db=$work/kt.db
cleanup() { [ -n "${srv:-}" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

echo "== machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$B/bench/gen_csv" --count "$ROWS" >"$work/base.csv"
"$B/kartoteka" import customers "$work/base.csv" --db "$db" \
    --legal-basis "synthetic benchmark rows" >/dev/null 2>&1
echo "== a base of $ROWS customers"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$B/kartoteka" serve --db "$db" --listen "127.0.0.1:$port" >"$work/out" 2>>"$work/log" &
srv=$!
i=0
until curl -sf "$url/healthz" >/dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "server did not start"; cat "$work/log"; exit 1; }
    sleep 0.05
done
key=$("$B/kartoteka" keys create --db "$db" --scope pos --name bench 2>/dev/null)

# phase LABEL SEED: COUNT posts; p50 and p99 of the server's ms for POST /v1/customers 201
phase() {
    : >"$work/log"
    /usr/bin/python3 "$here/dedup_upsert.py" "$url" "$key" "$work/base.csv" "$COUNT" "$2"
    grep 'route="/v1/customers" status=201' "$work/log" | sed 's/.* ms=\([0-9.]*\).*/\1/' |
        sort -n | awk -v label="$1" '{a[NR]=$1} END {printf "== %s: %d upserts, p50 %.3f ms, p99 %.3f ms\n", label, NR, a[int(NR*0.5)], a[int(NR*0.99)]}'
}
phase "no model yet (the reference)" 1
t0=$(date +%s.%N)
"$B/kartoteka" dedup run --db "$db"
echo "   dedup run on $ROWS customers: $(echo "$(date +%s.%N) - $t0" | bc) s"
phase "after dedup run (the check)" 2
