#!/bin/sh
# bench/pg_segments.sh BUILD_DIR - segment counts on PostgreSQL beside SQLite (issue 16: within
# 1.5 x), on issue 6's base: KT_BENCH_COUNT customers (1,000,000) loaded into SQLite by
# bench/load_customers, moved to PostgreSQL by `kartoteka store copy` (timed: the move's speed),
# then KT_BENCH_EVENTS synthetic events (20,000,000) added to the SQLite file by
# bench/segments_bench and carried to PostgreSQL as they are (sqlite3's CSV into psql's COPY, the
# indexes dropped and built again after, VACUUM ANALYZE). The same rows on both sides; each query
# then KT_BENCH_RUNS times (3) through store_segment_preview on each, the windows ending at the
# same instant; medians, and the counts, which must agree.
# The PostgreSQL is the bench's own (bench/pg_lib.sh: fsync on, shared_buffers 1 GB). About
# 25 minutes on the 2-core machine, most of it the loading; the raw lines go to KT_BENCH_LOG
# (BUILD_DIR/bench-pg-segments.log). KT_BENCH_KEEP=1 keeps both bases and the cluster running.
set -eu
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-1000000}
EVENTS=${KT_BENCH_EVENTS:-20000000}
RUNS=${KT_BENCH_RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
B=$(cd "$B" && pwd)
LOG=${KT_BENCH_LOG:-$B/bench-pg-segments.log}
work=$(mktemp -d /tmp/ktpg-XXXXXX) # short: the socket's path has a limit
. "$here/pg_lib.sh"
results=$work/results
: >"$results"
cleanup() {
    cp "$results" "$LOG" 2>/dev/null || true
    if [ -n "${KT_BENCH_KEEP:-}" ]; then # to look at the plans: both bases and the cluster stay
        echo "kept: $work/s.db and $pg_db (stop: tests/e2e/pgtmp.py stop $pgdir)"
        return
    fi
    pg_bench_stop
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now_s() { date +%s.%N; }
since() { echo "$(now_s) - $1" | bc; }

echo "== machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
pg_bench_start | tee -a "$results"
db=$work/s.db
export KARTOTEKA_MASTER_KEY_FILE=$db.master KARTOTEKA_SECRET_FILE=$db.secret
"$B/kartoteka" migrate --db "$db" >/dev/null 2>&1
echo "== $COUNT synthetic customers into SQLite"
"$B/bench/load_customers" --db "$db" --count "$COUNT" 2>/dev/null | tail -1 | tee -a "$results"

echo "== store copy to PostgreSQL"
t0=$(now_s)
"$B/kartoteka" store copy --from "$db" --to "$pg_db" 2>"$work/copy.err" | tail -1 |
    sed 's/^/copy /' | tee -a "$results"
[ -s "$results" ] && grep -q '^copy copied' "$results" || { cat "$work/copy.err"; exit 1; }
echo "copy_seconds $(since "$t0")" | tee -a "$results"

echo "== $EVENTS events into SQLite, then the SQLite queries"
"$B/bench/segments_bench" --db "$db" --events "$EVENTS" --runs "$RUNS" | tee -a "$results"
now=$(grep -m1 '^RESULT backend=sqlite' "$results" | sed 's/.* now=\([0-9]*\).*/\1/')

echo "== the same events into PostgreSQL (COPY)"
t0=$(now_s)
psql_ kt "DROP INDEX events_ck; DROP INDEX events_anon"
sqlite3 -csv "$db" "SELECT ck, type, at, received_at, channel, props FROM events ORDER BY rowid" |
    (cd "$pgdir" && as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -U kartoteka -d kt \
        -c "\\copy events (ck, type, at, received_at, channel, props) FROM STDIN WITH (FORMAT csv)")
psql_ kt "CREATE INDEX events_ck ON events (ck, type, at) WHERE ck IS NOT NULL;
    CREATE INDEX events_anon ON events (anon_id, anon_kind) WHERE ck IS NULL"
psql_ kt "VACUUM ANALYZE"
echo "pg_events_seconds $(since "$t0") events $(psql_ kt 'SELECT count(*) FROM events')" |
    tee -a "$results"
echo "sizes pg $(psql_ kt "SELECT pg_size_pretty(pg_database_size('kt'))") sqlite $(du -sh "$db" | cut -f1)" |
    tee -a "$results"

echo "== the PostgreSQL queries, the windows ending at $now"
"$B/bench/segments_bench" --db "$pg_db" --runs "$RUNS" --now "$now" | tee -a "$results"

echo
grep '^RESULT backend=sqlite' "$results" | while read -r line; do
    q=$(echo "$line" | sed 's/.*query="\([^"]*\)".*/\1/')
    s_ms=$(echo "$line" | sed 's/.* ms=\([0-9.]*\).*/\1/')
    s_n=$(echo "$line" | sed 's/.* count=\([0-9-]*\).*/\1/')
    p=$(grep "^RESULT backend=pg .*query=\"$q\"" "$results")
    p_ms=$(echo "$p" | sed 's/.* ms=\([0-9.]*\).*/\1/')
    p_n=$(echo "$p" | sed 's/.* count=\([0-9-]*\).*/\1/')
    printf '%s: sqlite %s ms, pg %s ms, %.2f x sqlite; counts %s / %s%s\n' "$q" "$s_ms" "$p_ms" \
        "$(echo "scale=4; $p_ms / $s_ms" | bc)" "$s_n" "$p_n" \
        "$([ "$s_n" = "$p_n" ] || echo ' DIFFER')"
done | tee -a "$results"
echo "raw lines: $LOG"
