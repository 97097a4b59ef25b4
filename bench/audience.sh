#!/bin/sh
# bench/audience.sh BUILD_DIR - issue 18's figure: a saved segment of 1,000,000 customers
# exported as an audience file in under 10 s (docs/audiences.md). A base of KT_BENCH_COUNT
# (1,000,000) synthetic customers (load_customers: a phone and an e-mail each), of whom four in
# five gave the pd_processing and third_party_transfer consents (written straight into
# consent_events, as an import's rows would be); a saved segment of them all ("has phone").
# KT_BENCH_RUNS (3) runs of `kartoteka segment export-audience all --format yandex`, each timed
# with its peak memory; beside them, in the same sitting, the reference: raw SQLite finding the
# same consenting members (sqlite3, the consent test as the segment language writes it) and
# sha256sum hashing a file of the same size - the floor of reading and hashing, without the
# decryption of each customer's sealed phone and e-mail that only Kartoteka can do. Each run
# prints its phases: finding the members, reading and hashing them, recording the transfers.
# Then the tills beside it: receipts alone, with CLI exports running, and with the server's own
# scheduled export running (KT_BENCH_BESIDE).
set -eu
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-1000000}
RUNS=${KT_BENCH_RUNS:-3}
work=$(mktemp -d /tmp/kt-audience-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
db=$work/a.db
echo "== $COUNT customers"
"$B/bench/load_customers" --db "$db" --count "$COUNT" 2>&1 | tail -1
now=$(date +%s000)
sqlite3 "$db" <<SQL
INSERT INTO consent_events (ck, purpose, channel, action, at, recorded_at, source, legal_basis)
SELECT ck, p.purpose, '', 'grant', $now, $now, 'import', 'bench'
FROM customers, (SELECT 'pd_processing' AS purpose UNION ALL SELECT 'third_party_transfer') p
WHERE ck % 5 <> 0;
INSERT INTO segments (id, name, query, created_at, updated_at)
VALUES ('s_bench_all', 'all', 'has phone', $now, $now);
SQL
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: >"$work/ours"
: >"$work/ref"
for run in $(seq 1 "$RUNS"); do
    /usr/bin/time -f "%e s %M KB" -o "$work/t" "$B/kartoteka" segment export-audience all \
        --format yandex --out "$work/out.csv" --db "$db" 2>"$work/err"
    cat "$work/err"
    echo "run $run: $(cat "$work/t"), $(wc -l <"$work/out.csv") lines" | tee -a "$work/ours"
    # the reference: the same members found by raw SQLite, then a file of the size hashed
    /usr/bin/time -f "%e" -o "$work/q" sqlite3 "$db" "SELECT count(*) FROM customers c
        WHERE c.merged_into IS NULL AND c.erased_at IS NULL AND EXISTS (SELECT 1 FROM
        consent_events e WHERE e.ck = c.ck AND e.purpose = 'third_party_transfer' AND e.seq =
        (SELECT max(x.seq) FROM consent_events x WHERE x.ck = c.ck AND x.purpose = e.purpose)
        AND e.action = 'grant') AND EXISTS (SELECT 1 FROM consent_events e WHERE e.ck = c.ck AND
        e.purpose = 'pd_processing' AND e.action = 'grant')" >/dev/null
    /usr/bin/time -f "%e" -o "$work/h" sha256sum "$work/out.csv" >/dev/null
    echo "run $run: raw SQLite $(cat "$work/q") s, sha256sum $(cat "$work/h") s" | tee -a "$work/ref"
done
# The tills beside an export (the house's rule: a long read never holds them): receipts through
# the server on this base, KT_BENCH_BESIDE seconds (20) alone, then as long again with exports
# running one after another beside them; p99 and rate of each, a pair a run. 0 skips it.
SECS=${KT_BENCH_BESIDE:-20}
if [ "$SECS" -gt 0 ]; then
    export KARTOTEKA_DRAIN=0 KT_BENCH_DIR=$(cd "$(dirname "$0")" && pwd) KT_COUNT=$COUNT
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    url=http://127.0.0.1:$port
    "$B/kartoteka" serve --db "$db" --listen "127.0.0.1:$port" --log-level warn \
        >"$work/sout" 2>"$work/slog" &
    srv=$!
    trap 'kill $srv 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
    i=0
    until curl -sf "$url/healthz" >/dev/null; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "server did not start"; cat "$work/slog"; exit 1; }
        sleep 0.05
    done
    POS=$("$B/kartoteka" keys create --db "$db" --scope pos --name bench-pos 2>/dev/null)
    ADMIN=$("$B/kartoteka" keys create --db "$db" --scope admin --name bench-admin 2>/dev/null)
    : >"$work/tills"
    for run in $(seq 1 "$RUNS"); do
        KT_KEY=$POS KT_RUN="a$run" wrk -t1 -c4 -d"${SECS}s" --latency \
            -s "$KT_BENCH_DIR/purchases.lua" "$url" | grep RESULT | sed 's/^/alone /' |
            tee -a "$work/tills"
        ( end=$(($(date +%s) + SECS)); while [ "$(date +%s)" -lt "$end" ]; do
            "$B/kartoteka" segment export-audience all --format yandex --out "$work/b.csv" \
                --db "$db" >/dev/null 2>&1 || true; done ) &
        ex=$!
        sleep 1 # the export past its start, into its reading
        KT_KEY=$POS KT_RUN="b$run" wrk -t1 -c4 -d"${SECS}s" --latency \
            -s "$KT_BENCH_DIR/purchases.lua" "$url" | grep RESULT | sed 's/^/beside /' |
            tee -a "$work/tills"
        wait $ex
        # the same export run by the server itself: a schedule due each second, its job run by
        # POST /v1/loyalty/run-due one after another (the scheduled refresh's path)
        sqlite3 -cmd ".timeout 10000" "$db" "INSERT OR REPLACE INTO audience_schedules (segment_id, format, path,
            every_ms, next_at, created_at) VALUES ('s_bench_all', 'yandex', '$work/s.csv', 1000,
            0, 0)"
        ( end=$(($(date +%s) + SECS)); while [ "$(date +%s)" -lt "$end" ]; do
            curl -s -X POST -H "Authorization: Bearer $ADMIN" "$url/v1/loyalty/run-due" \
                >/dev/null || true; sleep 1; done ) &
        ex=$!
        sleep 1
        KT_KEY=$POS KT_RUN="c$run" wrk -t1 -c4 -d"${SECS}s" --latency \
            -s "$KT_BENCH_DIR/purchases.lua" "$url" | grep RESULT | sed 's/^/inserver /' |
            tee -a "$work/tills"
        wait $ex
        sqlite3 -cmd ".timeout 10000" "$db" "DELETE FROM audience_schedules"
    done
    kill -TERM $srv; wait $srv || true
fi
field() { grep "^$1 " "$work/tills" | sed "s/.*$2=\([0-9.]*\).*/\1/" | median; }

echo
echo "== medians of $RUNS runs"
echo "export-audience: $(sed 's/.*: \([0-9.]*\) s.*/\1/' "$work/ours" | median) s," \
    "$(sed 's/.* s \([0-9]*\) KB.*/\1/' "$work/ours" | median) KB peak"
echo "raw SQLite members: $(sed 's/.*raw SQLite \([0-9.]*\) s.*/\1/' "$work/ref" | median) s;" \
    "sha256sum of the file: $(sed 's/.*sha256sum \([0-9.]*\) s.*/\1/' "$work/ref" | median) s"
if [ "$SECS" -gt 0 ]; then
    echo "receipts alone: $(field alone rps) req/s, p99 $(field alone p99_ms) ms;" \
        "beside exports: $(field beside rps) req/s, p99 $(field beside p99_ms) ms;" \
        "beside the server's own: $(field inserver rps) req/s, p99 $(field inserver p99_ms) ms"
fi
