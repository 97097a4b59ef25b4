#!/bin/sh
# bench/smtp.sh BUILD_DIR - the SMTP sender (issue 12's figure: >= 1,000 e-mails/s with 8
# connections) against a local sink (Debian's python3-aiosmtpd in its own process, counting and
# dropping), beside Python's smtplib sending as many of a like message over as many connections
# in the same run, for the ratio. KT_BENCH_RUNS runs of KT_BENCH_COUNT e-mails (5,000) over
# KT_BENCH_CONNECTIONS connections (8). The message: multipart/alternative text + HTML in
# Cyrillic, a UTF-8 subject and names - what a campaign sends.
set -eu
B=${1:-build/release}
RUNS=${KT_BENCH_RUNS:-3}
N=${KT_BENCH_COUNT:-5000}
CONNS=${KT_BENCH_CONNECTIONS:-8}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
work=$(mktemp -d /tmp/kt-smtp-XXXXXX)
sink=
trap 'kill $sink 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$py "$here/smtp_peers.py" sink "$port" >"$work/sink" 2>&1 &
sink=$!
i=0
until grep -q ready "$work/sink" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "the sink did not start"; cat "$work/sink"; exit 1; }
    sleep 0.05
done
text=$($py -c 'print("Здравствуйте! У вас 1 234 балла. " * 10)')
html=$($py -c 'print("<p>Здравствуйте! У вас <b>1 234</b> балла.</p>" * 10)')
for run in $(seq 1 "$RUNS"); do
    echo "== run $run: kartoteka, $N e-mails, $CONNS connections"
    "$B/kartoteka" deliver test --channel email --transactional --count "$N" \
        --smtp-connections "$CONNS" --smtp-url "smtp://127.0.0.1:$port" \
        --smtp-from shop@example.ru --smtp-from-name "Магазин" --to customer@example.org \
        --to-name "Покупатель" --subject "Ваши баллы сгорают через три дня" --text "$text" \
        --html "$html" --id "bench-$run" | tee "$work/kt"
    kt=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["per_second"])' "$work/kt")
    echo "== run $run: Python smtplib, $N e-mails, $CONNS connections"
    $py "$here/smtp_peers.py" client "$port" "$N" "$CONNS" | tee "$work/ref"
    ref=$(sed 's/.*rate=\([0-9.]*\).*/\1/' "$work/ref")
    echo "RESULT run=$run kartoteka=$kt smtplib=$ref ratio=$($py -c "print(round($kt/$ref, 2))")"
done
