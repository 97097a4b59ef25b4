#!/bin/sh
# bench/events.sh BUILD_DIR - behaviour events through POST /v1/events/batch (issue 6's figure:
# >= 100,000 events/s), 1,000 anonymous events a request, KT_BENCH_CONNECTIONS (4) connections,
# KT_BENCH_RUNS runs of KT_BENCH_SECONDS on a fresh database; after each run the raw SQLite loop
# writes as many events (the message id's hash and the event row, 1,000 a transaction) into the
# same database, for the ratio. KT_PATH=segment sends the same events through the Segment
# tracking API's POST /v1/batch instead (docs/collect.md). Beside every run the tills look
# customers up (bench/lookups_beside.py: 200 a second among KT_BENCH_CUSTOMERS (100,000) loaded
# by load_customers), and their p99 is reported with the events' rate (and once alone, before the
# runs, for the reference). KT_BENCH_RECEIPTS=N: the tills' receipts too, on N connections beside
# every run (bench/purchases.lua), and once alone before the runs, for their p99 with and without
# the events. The lookups' p99 is given twice: as the client saw it, and as the server timed it
# (the bucket of its /metrics histogram the p99 falls in), which leaves out the time outside the
# handler.
set -eu
command -v wrk >/dev/null || { echo "bench/events.sh: wrk is missing (scripts/deps.sh bench)" >&2; exit 1; }
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
B=${1:-build/release}
RUNS=${KT_BENCH_RUNS:-3}
SECS=${KT_BENCH_SECONDS:-15}
CONNS=${KT_BENCH_CONNECTIONS:-4}
CUSTOMERS=${KT_BENCH_CUSTOMERS:-100000}
RECEIPTS=${KT_BENCH_RECEIPTS:-0}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kt-events-XXXXXX)
db=$work/events.db
results=$work/results
: >"$results"
srv=
trap 'kill $srv 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
"$B/kartoteka" migrate --db "$db" >/dev/null
"$B/bench/load_customers" --db "$db" --count "$CUSTOMERS" | tail -1
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$B/kartoteka" serve --db "$db" --listen "127.0.0.1:$port" --max-body 4194304 \
    --log-level warn >"$work/out" 2>>"$work/log" &
srv=$!
i=0
until curl -sf "$url/healthz" >/dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "server did not start"; cat "$work/log"; exit 1; }
    sleep 0.05
done
export KT_KEY=$("$B/kartoteka" keys create --db "$db" --scope collect --name bench 2>/dev/null)
export KT_BASIC=$(printf '%s:' "$KT_KEY" | base64 -w0)
POS=$("$B/kartoteka" keys create --db "$db" --scope pos --name bench-till 2>/dev/null)
# The lookups as the server timed them (its histogram of GET /v1/customers, /metrics): the
# client's p99 includes the time outside the handler, on two cores shared with wrk.
lookup_hist() {
    curl -s "$url/metrics" | sed -n 's/^kartoteka_http_request_duration_seconds_bucket{route="\/v1\/customers",method="GET",le="\([^"]*\)"} \([0-9]*\)$/\1 \2/p'
}
inside() { # $1, $2: the histogram before and after; prints the lookups' p99 bucket inside
    awk 'FILENAME == ARGV[1] {b[$1] = $2; next} {le[++k] = $1; n[k] = $2 - b[$1]}
        END {t = n[k]; for (i = 1; i <= k; i++) if (le[i] == "0.005") over = t - n[i]
             for (i = 1; i <= k; i++) if (n[i] >= 0.99 * t) break
             printf "LOOKUPS_INSIDE n=%d p99_ms_at_most=%s over_5ms=%d\n", t,
                 le[i] == "+Inf" ? "inf" : le[i] * 1000, over}' "$1" "$2"
}
receipts() { # $1: the run's tag
    KT_KEY=$POS KT_COUNT=$CUSTOMERS KT_RUN=$1 wrk -t1 -c"$RECEIPTS" -d"${SECS}s" --latency \
        -s "$here/purchases.lua" "$url" | grep RESULT
}
echo "== the tills' lookups alone, for their p99 without the events"
: >"$work/h0"
nice -n -10 /usr/bin/python3 "$here/lookups_beside.py" "$url" "$POS" "$CUSTOMERS" "$SECS" |
    sed 's/^/lookups_alone /' | tee -a "$results"
lookup_hist >"$work/h1"
inside "$work/h0" "$work/h1" | sed 's/^/inside_alone /' | tee -a "$results"
if [ "$RECEIPTS" -gt 0 ]; then
    echo "== the tills' receipts alone, $RECEIPTS connections"
    receipts alone | sed 's/^/alone /' | tee -a "$results"
fi
for run in $(seq 1 "$RUNS"); do
    echo "== run $run: events, and the tills' lookups beside"
    nice -n -10 /usr/bin/python3 "$here/lookups_beside.py" "$url" "$POS" "$CUSTOMERS" "$SECS" >"$work/lookups" &
    tills=$!
    if [ "$RECEIPTS" -gt 0 ]; then
        receipts "r$run" >"$work/receipts" &
        desks=$!
    fi
    KT_RUN=$run wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 10s --latency -s "$here/events.lua" "$url" |
        grep RESULT | sed 's/^/events /' | tee -a "$results"
    wait $tills
    sed 's/^/tills /' "$work/lookups" | tee -a "$results"
    lookup_hist >"$work/h2"
    inside "$work/h1" "$work/h2" | sed 's/^/inside /' | tee -a "$results"
    cp "$work/h2" "$work/h1"
    if [ "$RECEIPTS" -gt 0 ]; then
        wait $desks
        sed 's/^/beside /' "$work/receipts" | tee -a "$results"
    fi
    n=$(grep '^events' "$results" | tail -1 | sed 's/.*requests=\([0-9]*\).*/\1/')
    n=$((n * 1000))
    echo "== run $run: raw SQLite loop, $n events, same rows, same database"
    "$B/bench/raw_insert" --db "$db" --count "$n" --mode events --prefix "9$run" |
        sed 's/^/raw /' | tee -a "$results"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
eps=$(grep '^events' "$results" | sed 's/.*events_per_s=\([0-9.]*\).*/\1/' | median)
p99=$(grep '^events' "$results" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/' | median)
raw=$(grep '^raw' "$results" | sed 's/.*s: \([0-9]*\) events.*/\1/' | median)
tills=$(grep '^tills' "$results" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/' | median)
echo
echo "== medians of $RUNS runs ($CONNS connections, ${SECS}s each, 1,000 events a request)"
echo "events: $eps events/s, p99 $p99 ms a batch; raw SQLite loop $raw events/s; events/raw = $(echo "scale=3; $eps / $raw" | bc)"
echo "tills beside: lookups p99 $tills ms (alone: $(grep '^lookups_alone' "$results" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/') ms)"
echo "tills beside, as the server timed them: p99 at most $(grep '^inside ' "$results" | sed 's/.*at_most=\([0-9.inf]*\).*/\1/' | median) ms (alone: at most $(grep '^inside_alone' "$results" | sed 's/.*at_most=\([0-9.inf]*\).*/\1/') ms)"
if [ "$RECEIPTS" -gt 0 ]; then
    echo "receipts alone: $(grep '^alone' "$results" | sed 's/.*RESULT //')"
    echo "receipts beside (median p99): $(grep '^beside' "$results" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/' | median) ms"
fi
grep -q 'errors=[1-9]\|non2xx=[1-9]' "$results" && echo "errors: some runs had errors" || echo "errors: none"
