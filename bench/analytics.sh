#!/bin/sh
# bench/analytics.sh BUILD_DIR - an analyst's query beside the tills (issue 11's figures):
#   1. load KT_BENCH_COUNT (default 100,000) synthetic customers, then post receipts through the
#      API for KT_BENCH_SEED_SECONDS (default 20) so the base holds ~100,000 purchases; that base
#      is kept, and every run below starts from a copy of it (the runs add receipts, and a bigger
#      base makes a slower preview: runs would not be alike otherwise);
#   2. KT_BENCH_RUNS runs of: receipts alone (4 connections, KT_BENCH_SECONDS), then the same
#      receipts with a back-to-back loop of POST /v1/segments/preview
#      "purchases(last 365 days).sum > 50000" beside them (one more connection), sampling the
#      WAL's size every second; the ratio is receipts beside / receipts alone, in the same run;
#   3. KT_BENCH_RUNS runs of the tills' mix (bench/mixed.lua: 70 % lookups, 20 % receipts, 10 %
#      event batches of 10), 16 connections, each on a fresh copy of the base;
#   4. with KT_BENCH_SOAK=SECONDS (e.g. 600), one long run of receipts with the preview loop
#      beside, reporting the WAL's largest size per minute (the WAL must stay bounded). The
#      soak's receipts are dated 400 days back (typed in later, as paper receipts are), outside
#      the preview's 365-day window: ten minutes of receipts would otherwise grow the base
#      twentyfold, each preview with it, and the WAL's bound (what the tills write during one
#      preview) with the preview.
# Medians at the end. Needs wrk (scripts/deps.sh bench).
set -eu
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-100000}
SEED=${KT_BENCH_SEED_SECONDS:-20}
RUNS=${KT_BENCH_RUNS:-3}
SECS=${KT_BENCH_SECONDS:-20}
SOAK=${KT_BENCH_SOAK:-0}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kt-analytics-XXXXXX)
db=$work/base.db
seed=$work/seed.db
results=$work/results
: >"$results"
srv=
sampler=
trap 'kill $srv $sampler 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
export KT_BENCH_DIR=$here KT_COUNT=$COUNT
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port

start_server() {
    "$B/kartoteka" serve --db "$db" --listen "127.0.0.1:$port" --log-level warn \
        >"$work/out" 2>>"$work/log" &
    srv=$!
    i=0
    until curl -sf "$url/healthz" >/dev/null; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "server did not start"; cat "$work/log"; exit 1; }
        sleep 0.05
    done
}
stop_server() {
    kill -TERM $srv; wait $srv || true
    srv=
}
# A fresh copy of the seeded base, and the server on it.
fresh() {
    rm -f "$db" "$db-wal" "$db-shm"
    cp "$seed" "$db"
    start_server
}

echo "== machine: $(nproc) CPUs, $(uname -r); loading $COUNT synthetic customers"
"$B/bench/load_customers" --db "$db" --count "$COUNT" | tail -1
start_server
POS=$("$B/kartoteka" keys create --db "$db" --scope pos --name bench-pos 2>/dev/null)
ADMIN=$("$B/kartoteka" keys create --db "$db" --scope admin --name bench-analyst 2>/dev/null)
echo "== seeding purchases for ${SEED}s"
KT_KEY=$POS KT_RUN=seed wrk -t2 -c16 -d"${SEED}s" --latency -s "$here/purchases.lua" "$url" |
    grep RESULT | sed 's/^/seed /' | tee -a "$results"
q=$(curl -s -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    "$url/v1/segments/preview" -d '{"query":"purchases(last 365 days).sum > 50000","sample":0}')
echo "one preview on the seeded base: $q"
stop_server
cp "$db" "$seed" # stopped cleanly: the WAL is in the file

# Samples the WAL's size once a second into $1 until killed.
wal_sampler() {
    while :; do
        stat -c %s "$db-wal" 2>/dev/null || echo 0
        sleep 1
    done >"$1"
}
walmax() { sort -n "$1" | tail -1; }

for run in $(seq 1 "$RUNS"); do
    fresh
    echo "== run $run: receipts alone, 4 connections"
    KT_KEY=$POS KT_RUN="a$run" wrk -t1 -c4 -d"${SECS}s" --latency -s "$here/purchases.lua" "$url" |
        grep RESULT | sed 's/^/alone /' | tee -a "$results"
    stop_server
    fresh
    echo "== run $run: receipts with the preview loop beside"
    wal_sampler "$work/wal$run" &
    sampler=$!
    KT_KEY=$ADMIN wrk -t1 -c1 -d"$((SECS + 2))s" --timeout 60s -s "$here/preview.lua" "$url" \
        >"$work/preview$run" 2>&1 &
    pv=$!
    sleep 1
    KT_KEY=$POS KT_RUN="b$run" wrk -t1 -c4 -d"${SECS}s" --latency -s "$here/purchases.lua" "$url" |
        grep RESULT | sed 's/^/beside /' | tee -a "$results"
    wait $pv || true
    kill $sampler 2>/dev/null || true
    wait $sampler 2>/dev/null || true
    sampler=
    grep RESULT "$work/preview$run" | sed 's/^/preview /' | tee -a "$results"
    echo "walmax $(walmax "$work/wal$run")" | tee -a "$results"
    stop_server
done

for run in $(seq 1 "$RUNS"); do
    fresh
    echo "== run $run: the tills' mix, 16 connections"
    KT_KEY=$POS KT_RUN="m$run" wrk -t2 -c16 -d"${SECS}s" --latency -s "$here/mixed.lua" "$url" |
        grep RESULT | sed 's/^/mixed /' | tee -a "$results"
    stop_server
done

if [ "$SOAK" -gt 0 ]; then
    fresh
    echo "== soak: receipts with the preview loop beside for ${SOAK}s"
    wal_sampler "$work/walsoak" &
    sampler=$!
    KT_KEY=$ADMIN wrk -t1 -c1 -d"$((SOAK + 2))s" --timeout 60s -s "$here/preview.lua" "$url" \
        >"$work/previewsoak" 2>&1 &
    pv=$!
    KT_KEY=$POS KT_RUN=soak KT_AT=$(date -u -d '400 days ago' +%Y-%m-%dT%H:%M:%SZ) \
        wrk -t1 -c4 -d"${SOAK}s" --latency -s "$here/purchases.lua" "$url" |
        grep RESULT | sed 's/^/soak /' | tee -a "$results"
    wait $pv || true
    kill $sampler 2>/dev/null || true
    sampler=
    grep RESULT "$work/previewsoak" | sed 's/^/soakpreview /' | tee -a "$results"
    awk '{ if ($1 > m) m = $1 } END { printf "soak WAL: largest %.1f MiB; ", m / 1048576 }' \
        "$work/walsoak"
    awk 'NR > 1 { b = int(NR / 60) ; if ($1 > m[b]) m[b] = $1 } END {
        printf "largest per minute (MiB):"; for (i = 0; i in m; i++) printf " %.0f", m[i] / 1048576;
        print "" }' "$work/walsoak"
    ls -l "$db" | awk '{ printf "database file after the soak: %.0f MiB\n", $5 / 1048576 }'
    stop_server
fi
{ grep checkpoint_slow "$work/log" | sed "s/.*checkpoint_slow/checkpoint_slow/" |
    sort -t= -k2 -n -r | head -5
  grep -c checkpoint_slow "$work/log" | sed "s/^/writer stalls over 50 ms: /"; } || true

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { grep "^$1 " "$results" | sed "s/.*$2=\([0-9.]*\).*/\1/" | median; }
a=$(field alone rps); ap99=$(field alone p99_ms)
b=$(field beside rps); bp99=$(field beside p99_ms)
pv=$(field preview rps); pvp50=$(field preview p50_ms)
m=$(field mixed rps); mp99=$(field mixed p99_ms); mp50=$(field mixed p50_ms)
echo
echo "== medians of $RUNS runs (${SECS}s each)"
echo "receipts alone:        $a req/s, p99 $ap99 ms"
echo "receipts beside:       $b req/s, p99 $bp99 ms; beside/alone = $(echo "scale=3; $b / $a" | bc)"
echo "previews beside them:  $pv req/s, p50 $pvp50 ms"
echo "WAL largest (MiB):     $(grep '^walmax' "$results" | awk '{printf "%.1f ", $2 / 1048576}')"
echo "tills' mix:            $m req/s, p50 $mp50 ms, p99 $mp99 ms"
grep -E '^(alone|beside|mixed|soak) ' "$results" | grep -q 'errors=[1-9]\|non2xx=[1-9]' &&
    echo "errors: some runs had errors or non-2xx replies" || echo "errors: none"
