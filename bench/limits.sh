#!/bin/sh
# bench/limits.sh BUILD_DIR - what the pages' limits add to a join submission (docs/pages.md,
# "Limits"): KT_BENCH_ROWS uses of other keys already counted (1,000,000: a day of a busy
# installation), then KT_BENCH_USES submissions (20,000) of three uses each - phone, address,
# join point - counted by pages_limit_take in one write transaction, beside the empty transaction
# and the same statements by hand on raw SQLite, KT_BENCH_RUNS times (5), in the same run on the
# same file; each run's rate and the medians printed (bench/limits_bench.c).
set -eu
B=${1:-build/release}
ROWS=${KT_BENCH_ROWS:-1000000}
USES=${KT_BENCH_USES:-20000}
RUNS=${KT_BENCH_RUNS:-5}
work=$(mktemp -d /tmp/kt-limits-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
"$B/kartoteka" migrate --db "$work/l.db" >/dev/null 2>&1
"$B/bench/limits_bench" --db "$work/l.db" --rows "$ROWS" --uses "$USES" --runs "$RUNS"
