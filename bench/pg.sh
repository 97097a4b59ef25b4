#!/bin/sh
# bench/pg.sh BUILD_DIR - PostgreSQL beside SQLite in one sitting (issue 16, part 10, first cut):
# lookups by phone (bench/lookup.lua, 32 connections), receipts (bench/purchases.lua, 16) and
# event batches of 1,000 anonymous events (bench/events.lua, 4), and with KT_PG_WHAT naming
# `preview` segment counts back to back (bench/preview.lua, 2: KT_QUERY, by default the
# customers who bought over 50,000 roubles in a year, over the receipts run before), each against
#   sqlite - one `kartoteka serve` over an SQLite file (WAL, synchronous=NORMAL);
#   pg1    - one `kartoteka serve` over PostgreSQL 15;
#   pg4    - KT_PG_PROCS (4) `kartoteka serve` on their own ports over the same database, one wrk
#            dealing its threads round the ports (bench/spread.lua), so one histogram.
# The PostgreSQL is the tests' own (tests/e2e/pgtmp.py: initdb in a temporary folder, a Unix
# socket only), restarted with the bench's settings: fsync=on and synchronous_commit=on (the
# tests run it with both off; KT_PG_SYNCHRONOUS_COMMIT=off shows what the commit's flush costs),
# shared_buffers=1GB, max_connections=300. Both bases are loaded by bench/load_customers
# (KT_BENCH_COUNT customers through the identity path, 1,000 a transaction), the same program on
# both, then PostgreSQL's is analysed. KT_BENCH_RUNS runs; in each, the setups of KT_PG_SETUPS
# ("sqlite pg1 pg4") in turn, the order rotated each run, each setup's servers started afresh and
# given KT_PG_SETTLE (3) seconds, then every workload of KT_PG_WHAT for KT_BENCH_SECONDS with
# `wrk -t4` (-t2 for preview's 2 connections; the same in every setup). Receipts and events add
# to the bases run after run (new stores and message ids each time). Each workload's CPU time is
# read from /proc before and after: the bench PostgreSQL's processes and the servers', per
# request (the per-core figures docs/scale.md projects from). Medians at the end, and
# pg/sqlite; the raw lines are kept in KT_BENCH_LOG (BUILD_DIR/bench-pg.log), the servers' logs
# beside it.
set -eu
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-100000}
RUNS=${KT_BENCH_RUNS:-3}
SECS=${KT_BENCH_SECONDS:-15}
PROCS=${KT_PG_PROCS:-4}
WHAT=${KT_PG_WHAT:-lookup receipts events}
SETTLE=${KT_PG_SETTLE:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
B=$(cd "$B" && pwd)
LOG=${KT_BENCH_LOG:-$B/bench-pg.log}
work=$(mktemp -d /tmp/ktpg-XXXXXX) # short: the socket's path has a limit
. "$here/pg_lib.sh"
results=$work/results
: >"$results"
pids=
cleanup() {
    [ -z "$pids" ] || kill $pids 2>/dev/null || true
    pg_bench_stop
    cp "$results" "$LOG" 2>/dev/null || true
    rm -rf "${LOG%.log}-servers" && mkdir -p "${LOG%.log}-servers" &&
        cp "$work"/*.log "$pgdir/server.log" "${LOG%.log}-servers/" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

echo "== machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
echo "== PostgreSQL: a cluster of the bench's own in $pgdir"
pg_bench_start | tee -a "$results"
sqlite_db=$work/sqlite/kt.db
mkdir "$work/sqlite" "$work/pgkeys"
# the master key and the secret of the PostgreSQL installation, named (made on first use)
envs_of() {
    [ "$1" = sqlite ] ||
        echo "KARTOTEKA_MASTER_KEY_FILE=$work/pgkeys/master KARTOTEKA_SECRET_FILE=$work/pgkeys/secret"
}
pg_env() { env $(envs_of pg) "$@"; }
db_of() { if [ "$1" = sqlite ]; then echo "$sqlite_db"; else echo "$pg_db"; fi; }
env_of() {
    local b=$1
    shift
    if [ "$b" = sqlite ]; then "$@"; else pg_env "$@"; fi
}

for be in sqlite pg; do
    echo "== loading $COUNT synthetic customers into $be"
    t0=$(date +%s.%N)
    if [ $be = sqlite ]; then
        "$B/bench/load_customers" --db "$sqlite_db" --count "$COUNT" 2>/dev/null
    else
        pg_env "$B/bench/load_customers" --db "$pg_db" --count "$COUNT" 2>/dev/null
    fi | sed "s/^/load $be /" | tee -a "$results"
    echo "load_seconds $be $(echo "$(date +%s.%N) - $t0" | bc)" >>"$results"
done
psql_ kt 'VACUUM ANALYZE'
echo "pg_size $(psql_ kt "SELECT pg_size_pretty(pg_database_size('kt'))") sqlite_size $(du -sh "$sqlite_db" | cut -f1)" |
    tee -a "$results"
for be in sqlite pg; do
    db=$(db_of $be)
    k=$(env_of $be "$B/kartoteka" keys create --db "$db" --scope pos --name bench 2>/dev/null)
    c=$(env_of $be "$B/kartoteka" keys create --db "$db" --scope collect --name bench 2>/dev/null)
    m=$(env_of $be "$B/kartoteka" keys create --db "$db" --scope admin --name bench 2>/dev/null)
    eval "pos_$be=\$k collect_$be=\$c admin_$be=\$m"
done

ports=
for i in $(seq 1 "$PROCS"); do ports="$ports $(free_port)"; done
set -- $ports
port1=$1

# start_servers SETUP: its servers, each with its log; $pids and $KT_PORTS set
start_servers() {
    case $1 in
    sqlite) be=sqlite n=1 ;;
    pg1) be=pg n=1 ;;
    *) be=pg n=$PROCS ;;
    esac
    db=$(db_of $be)
    pids= KT_PORTS=
    i=0
    for p in $ports; do
        [ $i -lt $n ] || break
        i=$((i + 1))
        # through env, which execs the server: $! is the server itself, for kill
        env $(envs_of $be) "$B/kartoteka" serve --db "$db" --listen "127.0.0.1:$p" \
            --max-body 4194304 >>"$work/$1-$i.out" 2>>"$work/$1-$i.log" &
        pids="$pids $!"
        KT_PORTS=${KT_PORTS:+$KT_PORTS,}$p
    done
    for p in $(echo "$KT_PORTS" | tr , ' '); do
        t=0
        until curl -sf "http://127.0.0.1:$p/healthz" >/dev/null; do
            t=$((t + 1))
            [ $t -lt 600 ] || { echo "server on $p did not start"; tail "$work/$1"-*.log; exit 1; }
            sleep 0.05
        done
    done
    export KT_PORTS
    sleep "$SETTLE"
    key=$(eval echo "\$pos_$be")
    for p in $(echo "$KT_PORTS" | tr , ' '); do
        curl -sf -H "Authorization: Bearer $key" \
            "http://127.0.0.1:$p/v1/customers?phone=%2B79160000001" | grep -q '"items":\[{' ||
            { echo "$1 on $p does not find the loaded base"; curl -s -H "Authorization: Bearer $key" \
            "http://127.0.0.1:$p/v1/customers?phone=%2B79160000001"; exit 1; }
    done
}
# cpu_ticks pg|kt: the CPU time (user + system, clock ticks) used so far by the live processes
# of the bench's PostgreSQL (its postmaster and the children it forked: backends, WAL writer,
# checkpointer) or of the bench's servers; the difference over a workload is its cost there
cpu_ticks() {
    if [ "$1" = pg ]; then
        set -- "$(head -1 "$pgdir/data/postmaster.pid")"
        cat /proc/[0-9]*/stat 2>/dev/null | awk -v pm="$1" '$1 == pm || $4 == pm {s += $14 + $15} END {print s + 0}'
    else
        for p in $pids; do cat "/proc/$p/stat" 2>/dev/null; done | awk '{s += $14 + $15} END {print s + 0}'
    fi
}
stop_servers() {
    kill $pids
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    pids=
}

export KT_COUNT=$COUNT KT_BENCH_DIR=$here
setups=${KT_PG_SETUPS:-sqlite pg1 pg4}
for run in $(seq 1 "$RUNS"); do
    for setup in $setups; do
        start_servers "$setup"
        [ "$setup" = sqlite ] && be=sqlite || be=pg
        for what in $WHAT; do
            echo "== run $run: $what, $setup (load $(cut -d' ' -f1 /proc/loadavg))"
            case $what in
            lookup) script=lookup.lua conns=32 key=$(eval echo "\$pos_$be") ;;
            receipts) script=purchases.lua conns=16 key=$(eval echo "\$pos_$be") ;;
            events) script=events.lua conns=4 key=$(eval echo "\$collect_$be") ;;
            preview) script=preview.lua conns=2 key=$(eval echo "\$admin_$be") ;;
            *) echo "unknown workload $what"; exit 2 ;;
            esac
            pg0=$(cpu_ticks pg) kt0=$(cpu_ticks kt)
            line=$(KT_KEY=$key KT_RUN=$run$setup KT_SCRIPT=$here/$script \
                wrk -t"$((conns < 4 ? conns : 4))" -c"$conns" -d"${SECS}s" --latency -s "$here/spread.lua" \
                "http://127.0.0.1:$port1" | grep RESULT)
            echo "$what $setup $line pg_ticks=$(($(cpu_ticks pg) - pg0)) kt_ticks=$(($(cpu_ticks kt) - kt0))" |
                tee -a "$results"
        done
        stop_servers
    done
    setups="${setups#* } ${setups%% *}" # the first goes last next run
done

field() { grep "^$1 $2 " "$results" | sed "s/.*[ ]$3=\([0-9.]*\).*/\1/" | median; }
echo
echo "== $COUNT customers; medians of $RUNS runs, ${SECS}s each, wrk -t4; $PROCS processes in pg4"
for be in sqlite pg; do
    echo "load $be: $(grep "^load $be " "$results" | sed 's/^load [a-z]* //')"
done
for what in $WHAT; do
    unit=rps
    [ "$what" = events ] && unit=events_per_s
    base=$(field "$what" sqlite $unit)
    for setup in ${KT_PG_SETUPS:-sqlite pg1 pg4}; do
        r=$(field "$what" "$setup" $unit)
        cost=$(grep "^$what $setup " "$results" | awk -v hz="$(getconf CLK_TCK)" '{
            for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            if (f["requests"] > 0) print 1000 * f["pg_ticks"] / hz / f["requests"], 1000 * f["kt_ticks"] / hz / f["requests"] }')
        pgms=$(echo "$cost" | cut -d' ' -f1 | median) ktms=$(echo "$cost" | cut -d' ' -f2 | median)
        echo "$what, $setup: CPU a request: PostgreSQL $pgms ms, servers $ktms ms"
        echo "$what, $setup: $r $( [ $unit = rps ] && echo req/s || echo events/s), p99 $(field "$what" "$setup" p99_ms) ms$( [ $setup = sqlite ] || [ -z "$base" ] || printf ', %.2f x sqlite' "$(echo "scale=4; $r / $base" | bc)")"
    done
done
# what was stored, so that a refusal inside a 200 (an event batch's "refused") cannot pass
count="SELECT (SELECT count(*) FROM purchases) || ' receipts, ' || (SELECT count(*) FROM events) || ' events'"
if command -v sqlite3 >/dev/null; then
    echo "stored: sqlite $(sqlite3 "$sqlite_db" "$count"); pg $(psql_ kt "$count")" | tee -a "$results"
fi
if grep -q 'errors=[1-9]\|non2xx=[1-9]' "$results"; then
    echo "errors: some runs had errors:"
    grep 'errors=[1-9]\|non2xx=[1-9]' "$results"
else
    echo "errors: none"
fi
echo "raw lines: $LOG"
