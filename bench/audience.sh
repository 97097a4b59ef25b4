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
echo
echo "== medians of $RUNS runs"
echo "export-audience: $(sed 's/.*: \([0-9.]*\) s.*/\1/' "$work/ours" | median) s," \
    "$(sed 's/.* s \([0-9]*\) KB.*/\1/' "$work/ours" | median) KB peak"
echo "raw SQLite members: $(sed 's/.*raw SQLite \([0-9.]*\) s.*/\1/' "$work/ref" | median) s;" \
    "sha256sum of the file: $(sed 's/.*sha256sum \([0-9.]*\) s.*/\1/' "$work/ref" | median) s"
