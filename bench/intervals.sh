#!/bin/sh
# bench/intervals.sh BUILD_DIR - the learned intervals (issue 13, recipes 3 and 5): KT_BENCH_COUNT
# customers (100,000) and KT_BENCH_RECEIPTS receipts (2,000,000, 1-3 lines each, a year) in a
# fresh database, then the replenishment entry by SKU and by category and the lapse entry for a
# week, KT_BENCH_RUNS times (3) each, beside the same rows read by hand in SQL; medians printed.
set -eu
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-100000}
RECEIPTS=${KT_BENCH_RECEIPTS:-2000000}
RUNS=${KT_BENCH_RUNS:-3}
work=$(mktemp -d /tmp/kt-intervals-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
"$B/kartoteka" migrate --db "$work/i.db" >/dev/null 2>&1
echo "== loading $COUNT synthetic customers"
"$B/bench/load_customers" --db "$work/i.db" --count "$COUNT" 2>/dev/null | tail -1
echo "== $RECEIPTS receipts, then the asks ($RUNS runs each)"
"$B/bench/intervals_bench" --db "$work/i.db" --receipts "$RECEIPTS" --runs "$RUNS"
