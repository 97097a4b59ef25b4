#!/bin/sh
# bench/campaign.sh BUILD_DIR - render + enqueue of a campaign (issue 12): KT_BENCH_COUNT
# customers (1,000,000) with an e-mail each in a fresh database, then an e-mail campaign to all of
# them KT_BENCH_RUNS times (3), each beside a raw SQLite insert of the same number of rows of the
# same size (bench/campaign_bench.c); every run and the medians printed.
set -eu
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-1000000}
RUNS=${KT_BENCH_RUNS:-3}
work=$(mktemp -d /tmp/kt-campaign-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
"$B/kartoteka" migrate --db "$work/c.db" >/dev/null 2>&1
echo "== loading $COUNT synthetic customers"
"$B/bench/load_customers" --db "$work/c.db" --count "$COUNT" 2>/dev/null | tail -1
echo "== a campaign to all of them, $RUNS runs"
"$B/bench/campaign_bench" --db "$work/c.db" --runs "$RUNS"
