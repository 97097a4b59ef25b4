#!/bin/sh
# bench/pg_import.sh BUILD_DIR - the import on PostgreSQL beside SQLite (issue 16): gen_csv
# writes KT_BENCH_ROWS (100,000) synthetic customers as a Russian Excel CSV, and `kartoteka import
# customers` loads it into a fresh SQLite file and into a fresh PostgreSQL database (the bench's
# own cluster, bench/pg_lib.sh: fsync on), KT_BENCH_RUNS times (3), the order alternated; rows/s
# end to end, the medians and their ratio. The raw lines go to KT_BENCH_LOG
# (BUILD_DIR/bench-pg-import.log).
set -eu
B=${1:-build/release}
ROWS=${KT_BENCH_ROWS:-100000}
RUNS=${KT_BENCH_RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
B=$(cd "$B" && pwd)
LOG=${KT_BENCH_LOG:-$B/bench-pg-import.log}
work=$(mktemp -d /tmp/ktpg-XXXXXX) # short: the socket's path has a limit
. "$here/pg_lib.sh"
results=$work/results
: >"$results"
cleanup() {
    pg_bench_stop
    cp "$results" "$LOG" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now_s() { date +%s.%N; }

echo "== machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
pg_bench_start | tee -a "$results"
export KARTOTEKA_MASTER_KEY_FILE=$work/master KARTOTEKA_SECRET_FILE=$work/secret
"$B/bench/gen_csv" --count "$ROWS" >"$work/customers.csv"
echo "== $ROWS rows of CSV, $(wc -c <"$work/customers.csv") bytes"

# import BACKEND RUN: one import into a fresh database of BACKEND, its rate into $results
import() {
    if [ "$1" = sqlite ]; then
        rm -f "$work"/imp.db*
        db=$work/imp.db
    else
        psql_ postgres "DROP DATABASE IF EXISTS kt WITH (FORCE)" >/dev/null
        psql_ postgres "DROP DATABASE IF EXISTS kt_keys WITH (FORCE)" >/dev/null
        psql_ postgres "CREATE DATABASE kt" >/dev/null
        db=$pg_db
    fi
    "$B/kartoteka" migrate --db "$db" >/dev/null 2>&1
    t0=$(now_s)
    "$B/kartoteka" import customers "$work/customers.csv" --db "$db" \
        --legal-basis "synthetic benchmark rows" >"$work/out" 2>"$work/err" ||
        { cat "$work/err"; exit 1; }
    rate=$(echo "$ROWS / ($(now_s) - $t0)" | bc)
    echo "import $1 run=$2 rows_per_s=$rate load=$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$results"
}
for run in $(seq 1 "$RUNS"); do
    if [ $((run % 2)) = 1 ]; then import sqlite "$run"; import pg "$run"; else
        import pg "$run"; import sqlite "$run"; fi
done
s=$(grep '^import sqlite' "$results" | sed 's/.*rows_per_s=\([0-9]*\).*/\1/' | median)
p=$(grep '^import pg' "$results" | sed 's/.*rows_per_s=\([0-9]*\).*/\1/' | median)
echo
echo "== medians of $RUNS runs, $ROWS rows: sqlite $s rows/s, pg $p rows/s, $(echo "scale=2; $p / $s" | bc) x sqlite" |
    tee -a "$results"
echo "raw lines: $LOG"
