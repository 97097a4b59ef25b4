#!/bin/sh
# bench/segments.sh BUILD_DIR - the segment language's speed (issue 6): KT_BENCH_COUNT customers
# (1,000,000) and KT_BENCH_EVENTS events (20,000,000) in a fresh database, then each query
# KT_BENCH_RUNS times (3) through the store and written by hand in SQL, medians printed.
set -eu
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-1000000}
EVENTS=${KT_BENCH_EVENTS:-20000000}
RUNS=${KT_BENCH_RUNS:-3}
work=$(mktemp -d /tmp/kt-segments-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
"$B/kartoteka" migrate --db "$work/s.db" >/dev/null 2>&1
echo "== loading $COUNT synthetic customers"
"$B/bench/load_customers" --db "$work/s.db" --count "$COUNT" | tail -1
echo "== $EVENTS events, then the queries ($RUNS runs each)"
"$B/bench/segments_bench" --db "$work/s.db" --events "$EVENTS" --runs "$RUNS"
