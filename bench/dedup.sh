#!/bin/sh
# bench/dedup.sh BUILD_DIR - the duplicate matcher on a million records (issue 17, BENCHMARKS.md):
#   1. tests/dedup/gen_ru.py writes KT_BENCH_PEOPLE (430,000) synthetic people as about a million
#      records with their slips and look-alikes (--made-surnames 5000, seed 7), and the truth;
#   2. `kartoteka dedup csv` over them, KT_BENCH_RUNS times (3): wall clock and maximum resident
#      memory (/usr/bin/time), and the pairs scored against the truth (tests/dedup/ru_score.py);
#   3. the reference in the same sitting, after each run: raw SQLite (the sqlite3 shell) loads the
#      same CSV and counts the candidate pairs of the same six blocking rules by self-joins on the
#      columns as written - no reading of names, no comparing, no learning: the floor of the
#      blocking alone.
# Medians at the end. KT_BENCH_DEDUP_DIR keeps the generated set between sittings.
set -eu
B=${1:-build/release}
PEOPLE=${KT_BENCH_PEOPLE:-430000}
RUNS=${KT_BENCH_RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work=$(mktemp -d /tmp/kt-dedup-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
data=${KT_BENCH_DEDUP_DIR:-$work}
mkdir -p "$data"
results=$work/results
: >"$results"
now() { date +%s.%N; }

echo "== machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -s "$data/ru.csv" ]; then
    echo "== writing $PEOPLE people"
    /usr/bin/python3 "$root/tests/dedup/gen_ru.py" "$data/ru.csv" "$data/truth.csv" \
        --people "$PEOPLE" --made-surnames 5000 --seed 7
fi
echo "   $(($(wc -l <"$data/ru.csv") - 1)) records, $(wc -c <"$data/ru.csv") bytes"

for run in $(seq 1 "$RUNS"); do
    echo "== run $run: kartoteka dedup csv"
    /usr/bin/time -f "%e %M" -o "$work/time" \
        "$B/kartoteka" dedup csv "$data/ru.csv" --out "$work/pairs.csv" 2>"$work/err"
    read -r secs kb <"$work/time"
    tail -n 1 "$work/err"
    score=$(cd "$root/tests/dedup" && /usr/bin/python3 -c "
import ru_score
s = ru_score.score('$work/pairs.csv', '$data/truth.csv')
print('precision %.4f recall %.4f f1 %.4f false merges %s' % (s['precision'], s['recall'], s['f1'], dict(s['false_merges'])))")
    echo "   $secs s, $((kb / 1024)) MB resident; $score"
    echo "kartoteka $secs $kb" >>"$results"

    echo "== run $run: raw SQLite, the same blocks by self-join"
    rm -f "$work/raw.db"
    t0=$(now)
    sqlite3 "$work/raw.db" <<EOF >"$work/raw.out"
.mode csv
.import $data/ru.csv r
CREATE INDEX r_phone ON r (phone);
CREATE INDEX r_email ON r (email);
CREATE INDEX r_card ON r (card);
CREATE INDEX r_name ON r (last_name, first_name);
CREATE INDEX r_fb ON r (first_name, birth_date);
CREATE INDEX r_lb ON r (last_name, substr(birth_date, 1, 4));
SELECT count(*) FROM (
  SELECT a.rowid, b.rowid FROM r a JOIN r b ON a.phone = b.phone AND a.rowid < b.rowid WHERE a.phone <> ''
  UNION SELECT a.rowid, b.rowid FROM r a JOIN r b ON a.email = b.email AND a.rowid < b.rowid WHERE a.email <> ''
  UNION SELECT a.rowid, b.rowid FROM r a JOIN r b ON a.card = b.card AND a.rowid < b.rowid WHERE a.card <> ''
  UNION SELECT a.rowid, b.rowid FROM r a JOIN r b ON a.last_name = b.last_name AND a.first_name = b.first_name AND a.rowid < b.rowid WHERE a.last_name <> ''
  UNION SELECT a.rowid, b.rowid FROM r a JOIN r b ON a.first_name = b.first_name AND a.birth_date = b.birth_date AND a.rowid < b.rowid WHERE a.birth_date <> ''
  UNION SELECT a.rowid, b.rowid FROM r a JOIN r b ON a.last_name = b.last_name AND substr(a.birth_date, 1, 4) = substr(b.birth_date, 1, 4) AND a.rowid < b.rowid WHERE a.birth_date <> '');
EOF
    t1=$(now)
    secs=$(echo "$t1 - $t0" | bc)
    echo "   $secs s, $(cat "$work/raw.out") candidate pairs"
    echo "raw $secs 0" >>"$results"
done

median() { grep "^$1 " "$results" | awk '{print $2}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mem=$(grep "^kartoteka " "$results" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "== medians of $RUNS: kartoteka dedup csv $(median kartoteka) s ($((mem / 1024)) MB resident)," \
    "raw SQLite blocking $(median raw) s"
