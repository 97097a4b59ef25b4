#!/bin/sh
# bench/import.sh BUILD_DIR - the import and report figures of BENCHMARKS.md, in one run:
#   1. gen_csv writes KT_BENCH_ROWS (default 1,000,000) synthetic customers as a Russian Excel
#      CSV; `kartoteka import customers` loads it into a fresh database, KT_BENCH_RUNS times;
#   2. after each import, the raw SQLite loop inserts the same customers' rows into another fresh
#      database (same schema, same durability, same 5,000 rows per transaction);
#   3. `kartoteka report quality` over the imported base, timed.
# Medians at the end.
set -eu
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
B=${1:-build/release}
ROWS=${KT_BENCH_ROWS:-1000000}
RUNS=${KT_BENCH_RUNS:-3}
work=$(mktemp -d /tmp/kt-import-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
results=$work/results
: >"$results"
now() { date +%s.%N; }

echo "== writing $ROWS rows of CSV"
"$B/bench/gen_csv" --count "$ROWS" >"$work/customers.csv"
ls -l "$work/customers.csv" | awk '{print "   " $5 " bytes"}'

for run in $(seq 1 "$RUNS"); do
    rm -f "$work"/imp.db* "$work"/raw.db*
    "$B/kartoteka" migrate --db "$work/imp.db" >/dev/null 2>&1
    "$B/kartoteka" migrate --db "$work/raw.db" >/dev/null 2>&1
    echo "== run $run: kartoteka import"
    t0=$(now)
    "$B/kartoteka" import customers "$work/customers.csv" --db "$work/imp.db" \
        --legal-basis "synthetic benchmark rows" >"$work/out" 2>/dev/null
    t1=$(now)
    cat "$work/out"
    echo "import $(echo "$ROWS / ($t1 - $t0)" | bc)" >>"$results"
    echo "== run $run: raw SQLite loop, same rows"
    "$B/bench/raw_insert" --db "$work/raw.db" --count "$ROWS" --prefix 915 --mode import |
        tee "$work/raw"
    echo "raw $(sed 's/.*s: \([0-9]*\) customers.*/\1/' "$work/raw")" >>"$results"
    echo "== run $run: report quality"
    t0=$(now)
    "$B/kartoteka" report quality --json --db "$work/imp.db" >"$work/report.json"
    t1=$(now)
    echo "report $(echo "$t1 - $t0" | bc)" >>"$results"
    grep -m1 '"customers"' "$work/report.json"
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
imp=$(grep '^import' "$results" | cut -d' ' -f2 | median)
raw=$(grep '^raw' "$results" | cut -d' ' -f2 | median)
rep=$(grep '^report' "$results" | cut -d' ' -f2 | median)
echo
echo "== medians of $RUNS runs, $ROWS rows"
echo "import: $imp rows/s end to end; raw SQLite loop $raw rows/s; import/raw = $(echo "scale=3; $imp / $raw" | bc)"
echo "report: $rep s over $ROWS customers"
