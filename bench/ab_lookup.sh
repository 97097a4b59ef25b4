#!/bin/sh
# bench/ab_lookup.sh OLD_DIR NEW_DIR - the lookup benchmark of bench/run.sh, and the receipts of
# bench/purchases.sh, for two builds in one sitting, alternated, so that their difference is not
# the machine's noise. Each DIR is a release build directory (with kartoteka and
# bench/load_customers); each build loads its own base of KT_BENCH_COUNT customers once (a schema
# may differ between builds), then KT_BENCH_RUNS times, for each of KT_AB_WHAT ("lookup receipts"
# by default) and each build: a fresh copy of its base - the database with the files beside it
# (the key store and the keys, since issue 19) - served by its build, `wrk` for KT_BENCH_SECONDS
# (lookups at KT_BENCH_CONNECTIONS, default 32; receipts at 16, as purchases.sh), after
# KT_AB_SETTLE seconds (default 3) for each server to settle after its start (since issue 19 a
# server opens its customers' data keys into memory in the background at start, about a second
# per million; the first seconds after a restart are a cost of their own, not the steady state
# the tills live in). Medians at the end, and new/old.
set -eu
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
OLD=$1
NEW=$2
COUNT=${KT_BENCH_COUNT:-1000000}
RUNS=${KT_BENCH_RUNS:-4}
SECS=${KT_BENCH_SECONDS:-15}
CONNS=${KT_BENCH_CONNECTIONS:-32}
WHAT=${KT_AB_WHAT:-lookup receipts}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kt-ab-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT INT TERM
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for b in old new; do
    dir=$OLD; [ $b = new ] && dir=$NEW
    echo "== loading $COUNT customers with the $b build"
    mkdir "$work/$b"
    "$dir/bench/load_customers" --db "$work/$b/base" --count "$COUNT" | tail -1
done
: >"$work/results"
for run in $(seq 1 "$RUNS"); do
    for what in $WHAT; do
        for b in old new; do
            dir=$OLD; [ $b = new ] && dir=$NEW
            rm -f "$work"/db*
            for f in "$work/$b"/base*; do
                cp "$f" "$work/db${f##*/base}"
            done
            "$dir/kartoteka" serve --db "$work/db" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
            pid=$!
            i=0
            until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
                i=$((i + 1)); [ $i -lt 600 ] || { echo "server did not start"; exit 1; }
                sleep 0.05
            done
            sleep "${KT_AB_SETTLE:-3}"
            KT_KEY=$("$dir/kartoteka" keys create --db "$work/db" --scope pos --name ab 2>/dev/null)
            export KT_KEY KT_COUNT=$COUNT KT_BENCH_DIR=$here KT_RUN=$run
            echo "== run $run: $what, $b"
            if [ "$what" = lookup ]; then
                wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$here/lookup.lua" \
                    "http://127.0.0.1:$port" | grep RESULT | sed "s/^/$what $b /" |
                    tee -a "$work/results"
            else
                wrk -t2 -c16 -d"${SECS}s" --latency -s "$here/purchases.lua" \
                    "http://127.0.0.1:$port" | grep RESULT | sed "s/^/$what $b /" |
                    tee -a "$work/results"
            fi
            kill $pid
            wait $pid 2>/dev/null || true
        done
    done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo
echo "== medians of $RUNS runs, ${SECS}s each"
for what in $WHAT; do
    for b in old new; do
        rps=$(grep "^$what $b " "$work/results" | sed 's/.*rps=\([0-9.]*\).*/\1/' | median)
        p99=$(grep "^$what $b " "$work/results" | sed 's/.*p99_ms=\([0-9.]*\).*/\1/' | median)
        eval "rps_$b=$rps"
        echo "$what, $b: $rps req/s, p99 $p99 ms"
    done
    echo "$what: new/old = $(echo "scale=3; $rps_new / $rps_old" | bc)"
done
grep -q 'errors=[1-9]\|non2xx=[1-9]' "$work/results" && echo "errors: some runs had errors" ||
    echo "errors: none"
