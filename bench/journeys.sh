#!/bin/sh
# bench/journeys.sh BUILD_DIR - the journey engine's figures (issue 13; bench/journey_bench.c):
# KT_BENCH_COUNT (1,000,000) synthetic customers (load_customers: birth dates over the year, eight
# cities) in a fresh database - or KT_BENCH_DB, a database already loaded - then, KT_BENCH_RUNS (3)
# runs each beside its raw SQLite reference: steps without I/O (KT_BENCH_STEPS runs, 100,000, of
# split -> branch -> split -> branch -> wait), e-mail steps (KT_BENCH_SENDS runs, 20,000: render,
# seal, enqueue), and the first run of the job with a birthday entry over all the customers.
# Ingest with journeys active is bench/journey_ingest.sh.
set -eu
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-1000000}
RUNS=${KT_BENCH_RUNS:-3}
STEPS=${KT_BENCH_STEPS:-100000}
SENDS=${KT_BENCH_SENDS:-20000}
db=${KT_BENCH_DB:-}
if [ -z "$db" ]; then
    work=$(mktemp -d /tmp/kt-journeys-XXXXXX)
    trap 'rm -rf "$work"' EXIT INT TERM
    db=$work/j.db
    "$B/kartoteka" migrate --db "$db" >/dev/null 2>&1
    echo "== loading $COUNT synthetic customers"
    "$B/bench/load_customers" --db "$db" --count "$COUNT" 2>/dev/null | tail -1
fi
echo "== steps without I/O: $STEPS runs, $RUNS runs of the job"
"$B/bench/journey_bench" --db "$db" --mode steps --count "$STEPS" --runs "$RUNS"
echo "== e-mail steps: $SENDS runs, $RUNS runs of the job"
"$B/bench/journey_bench" --db "$db" --mode send --count "$SENDS" --runs "$RUNS"
echo "== a birthday entry over every customer: the job's first run, $RUNS times"
"$B/bench/journey_bench" --db "$db" --mode birthday --runs "$RUNS"
