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
# `wrk -t4` (the same for all). Receipts and events add to the bases run after run (new stores
# and message ids each time). Medians at the end, and pg/sqlite; the raw lines are kept in
# KT_BENCH_LOG (BUILD_DIR/bench-pg.log), the servers' logs beside it.
set -eu
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-100000}
RUNS=${KT_BENCH_RUNS:-3}
SECS=${KT_BENCH_SECONDS:-15}
PROCS=${KT_PG_PROCS:-4}
WHAT=${KT_PG_WHAT:-lookup receipts events}
SETTLE=${KT_PG_SETTLE:-3}
PGBIN=${KT_PG_BIN:-/usr/lib/postgresql/15/bin}
SYNC=${KT_PG_SYNCHRONOUS_COMMIT:-on} # off: what the commits' fsync costs PostgreSQL
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
B=$(cd "$B" && pwd)
LOG=${KT_BENCH_LOG:-$B/bench-pg.log}
work=$(mktemp -d /tmp/ktpg-XXXXXX) # short: the socket's path has a limit
chmod 755 "$work"                  # the PostgreSQL runs as nobody when we are root
pgdir=$work/pg
results=$work/results
: >"$results"
pids=
cleanup() {
    [ -z "$pids" ] || kill $pids 2>/dev/null || true
    /usr/bin/python3 "$root/tests/e2e/pgtmp.py" stop "$pgdir" >/dev/null 2>&1 || true
    cp "$results" "$LOG" 2>/dev/null || true
    rm -rf "${LOG%.log}-servers" && mkdir -p "${LOG%.log}-servers" &&
        cp "$work"/*.log "$pgdir/server.log" "${LOG%.log}-servers/" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

echo "== machine: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$results"
echo "== PostgreSQL: a cluster of the bench's own in $pgdir"
/usr/bin/python3 "$root/tests/e2e/pgtmp.py" start "$pgdir" >/dev/null
(cd "$pgdir" && as_pg "$PGBIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -m fast \
    restart -o "-k $pgdir -c listen_addresses='' -c fsync=on -c synchronous_commit=$SYNC \
    -c full_page_writes=on -c shared_buffers=1GB -c max_connections=300" >/dev/null)
psql_() {
    (cd "$pgdir" && as_pg "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$pgdir" \
        -U kartoteka -d "$1" -c "$2")
}
echo "pg_settings $(psql_ postgres "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name)
    FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes',
    'shared_buffers', 'wal_level', 'max_connections')")" | tee -a "$results"
echo "pg_version $(psql_ postgres 'SHOW server_version')" | tee -a "$results"
(cd "$pgdir" && as_pg "$PGBIN/createdb" -h "$pgdir" -U kartoteka kt)
sqlite_db=$work/sqlite/kt.db
mkdir "$work/sqlite" "$work/pgkeys"
pg_db="postgresql:///kt?host=$pgdir&user=kartoteka"
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
            KT_KEY=$key KT_RUN=$run$setup KT_SCRIPT=$here/$script \
                wrk -t4 -c"$conns" -d"${SECS}s" --latency -s "$here/spread.lua" \
                "http://127.0.0.1:$port1" | grep RESULT | sed "s/^/$what $setup /" |
                tee -a "$results"
        done
        stop_servers
    done
    setups="${setups#* } ${setups%% *}" # the first goes last next run
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
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
