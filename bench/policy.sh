#!/bin/sh
# bench/policy.sh BUILD_DIR - one decision of the sending policy (issue 12: p99 under 1 ms):
# KT_BENCH_COUNT customers (100,000) with their consents and KT_BENCH_MESSAGES outbox rows
# (1,000,000) in a fresh database, then KT_BENCH_DECISIONS decisions for random customers
# (20,000) KT_BENCH_RUNS times (5), beside the raw SQLite count query the caps need, timed the
# same way in the same run; each run's p50/p99 and their medians printed (bench/policy_bench.c).
set -eu
export KARTOTEKA_DRAIN=0
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-100000}
MESSAGES=${KT_BENCH_MESSAGES:-1000000}
DECISIONS=${KT_BENCH_DECISIONS:-20000}
RUNS=${KT_BENCH_RUNS:-5}
work=$(mktemp -d /tmp/kt-policy-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
"$B/kartoteka" migrate --db "$work/p.db" >/dev/null 2>&1
echo "== loading $COUNT synthetic customers"
"$B/bench/load_customers" --db "$work/p.db" --count "$COUNT" | tail -1
echo "== their consents, $MESSAGES outbox rows, then the decisions ($RUNS runs)"
"$B/bench/policy_bench" --db "$work/p.db" --messages "$MESSAGES" --decisions "$DECISIONS" \
    --runs "$RUNS"
