#!/bin/sh
# bench/pages.sh BUILD_DIR - the customer's pages (issue 14's figures: the join page >= 5,000
# pages/s; join submissions with the SMS step >= 500/s), in one run on a fresh database:
#   a. GET /j/{code} (the join form, rendered) with wrk, beside GET /healthz and GET /p/style.css
#      (the same server's floor: routing, headers, no rendering), alternating;
#   b. join submissions: GET the form for its token + POST it with a new phone -> 302 to the code
#      page, the code's SMS queued and sent by the outbox to the gateway (bench/join.lua),
#      beside the till's enrolment with its code SMS, POST /v1/pos/enroll (bench/enroll.lua),
#      alternating; after each run the outbox is drained and the SMS delivered per second are
#      the gateway's count over the run and the drain.
# KT_BENCH_RUNS runs (3) of KT_BENCH_SECONDS (15) with KT_BENCH_CONNECTIONS (32) connections and
# 2 wrk threads; medians printed at the end. The gateway is bench/sms_gateway (libmicrohttpd,
# answers 200), measured alone first with one connection as the outbox uses it. The pages'
# limits are at their defaults and the submissions spread as a chain's customers are, so they
# count without refusing: a new phone and a new client address each (X-Forwarded-For, the server
# trusting 127.0.0.1 as its proxy), the GETs taking KT_BENCH_POINTS join points (256) in turn,
# each under its 300 an hour. KT_BENCH_LIMITS=off turns the three limits off instead, for what
# counting them costs. The enrolment limits are off, the codes' own limit per pos key is raised
# to its maximum and 16 pos keys take turns. Needs wrk and bc (scripts/deps.sh bench).
set -eu
export KARTOTEKA_DRAIN=0
B=${1:-build/release}
SECS=${KT_BENCH_SECONDS:-15}
RUNS=${KT_BENCH_RUNS:-3}
CONNS=${KT_BENCH_CONNECTIONS:-32}
POINTS=${KT_BENCH_POINTS:-256}
case ${KT_BENCH_LIMITS:-default} in
off) limits="--limit-phone off --limit-addr off --limit-join-point off" ;;
default) limits= ;;
*) echo "KT_BENCH_LIMITS is default or off"; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
export KT_BENCH_DIR=$here
py=/usr/bin/python3
work=$(mktemp -d /tmp/kt-pages-XXXXXX)
db=$work/k.db
results=$work/results
: >"$results"
srv= gw=
trap 'kill $srv $gw 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM

echo "== machine: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); the pages' limits: ${limits:-default}"
"$B/bench/sms_gateway" 0 >"$work/gw" &
gw=$!
i=0
until grep -q listening "$work/gw" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "the gateway did not start"; exit 1; }
    sleep 0.05
done
gwurl=http://127.0.0.1:$(cut -d' ' -f2 "$work/gw")
echo "== the gateway alone, one connection (as the outbox sends), 5 s"
cat >"$work/gw.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"to": "+79990000000", "text": "Код 123456", "id": "m_1"}'
wrk.headers["Content-Type"] = "application/json"
done = dofile(os.getenv("KT_BENCH_DIR") .. "/report.lua")
EOF
wrk -t1 -c1 -d5s --latency -s "$work/gw.lua" "$gwurl/sms" | grep RESULT | sed 's/^/gateway /' |
    tee -a "$results"

port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$B/kartoteka" serve --db "$db" --listen "127.0.0.1:$port" --sms-url "$gwurl/sms" \
    --sms-text "Код {{code}}" $limits --trusted-proxy 127.0.0.1 --enrol-per-key 0 --enrol-per-store 0 >"$work/out" 2>>"$work/log" &
srv=$!
i=0
until grep -q 'kt_[0-9a-z]*_' "$work/out" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 400 ] || { echo "server did not start"; cat "$work/log"; exit 1; }
    sleep 0.05
done
admin=$(grep -o 'kt_[0-9a-z]\{12\}_[0-9a-z]\{32\}' "$work/out" | head -1)
api() { # METHOD PATH JSON: the reply's body, or the script stops
    curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $admin" \
        -H "Content-Type: application/json" "$url$2" -d "$3"
}
api PUT /v1/privacy/settings '{"public_url": "https://shop.example"}' >/dev/null
api PUT /v1/stores/MSK-7 '{"title": "Магазин на Лесной", "city": "Москва"}' >/dev/null
api PUT /v1/consent-documents/pd-join '{"purpose": "pd_processing", "title": "Согласие на обработку ПДн", "body": "Я согласен на обработку моих персональных данных."}' >/dev/null
api PUT /v1/consent-documents/ads-join '{"purpose": "ads", "title": "Согласие на рекламу", "body": "Я согласен получать рекламу."}' >/dev/null
api PUT /v1/attributes/pets '{"type": "list", "items": "enum", "title": "Питомцы", "values": ["cat", "dog"]}' >/dev/null
api PUT /v1/attributes/children_ages '{"type": "list", "items": "number", "title": "Возраст детей"}' >/dev/null
api PUT /v1/attributes/car '{"type": "boolean", "title": "Есть машина"}' >/dev/null
api PUT /v1/topics/promo '{"title": "Акции", "channels": ["sms", "email"]}' >/dev/null
api PUT /v1/loyalty/program '{"otp": {"per_key_minute": 10000}}' >/dev/null
points=
for k in $(seq 1 "$POINTS"); do
    points="$points $(api POST /v1/join-points '{"store": "MSK-7", "spot": "till"}' |
        $py -c 'import json,sys; print(json.load(sys.stdin)["code"])')"
done
export KT_JOIN_POINTS=$points
set -- $points
export KT_JOIN_PATH=/j/$1
keys=
for k in $(seq 1 16); do
    keys="$keys $("$B/kartoteka" keys create --db "$db" --scope pos --name "bench-till-$k" 2>/dev/null)"
done
export KT_KEYS=$keys
size=$(curl -sS -o /dev/null -w '%{http_code} %{size_download}' "$url$KT_JOIN_PATH")
[ "${size%% *}" = 200 ] || { echo "the join page answers $size"; exit 1; }
echo "== the join page: ${size#* } bytes"

for run in $(seq 1 "$RUNS"); do
    for what in healthz style join_page; do
        case $what in
        healthz) path=/healthz ;;
        style) path=/p/style.css ;;
        join_page) path=$KT_JOIN_PATH ;;
        esac
        echo "== run $run: GET $path"
        wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$here/healthz.lua" "$url$path" |
            grep RESULT | sed "s/^/$what /" | tee -a "$results"
    done
done

gw_count() { curl -sS "$gwurl/count"; }
# Waits until the outbox has nothing queued or being sent, then prints what the gateway got
# since $1 (its count before), the rate over the time from $2 (the run's start, ms) to its last
# SMS, and how long after $3 (the run's end) that last SMS came.
outbox() { # the outbox's rows WHERE $1, read-only beside the running server
    $py -c 'import sqlite3,sys; c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True)
print(c.execute("SELECT count(*) FROM outbox WHERE "+sys.argv[2]).fetchone()[0])' "$db" "$1" \
        2>/dev/null || echo busy
}
drained() {
    i=0 prev=-1
    # Nothing queued or sending, and no new row since the last look: the requests wrk left in
    # flight at its end have committed theirs too.
    while :; do
        total=$(outbox 1)
        [ "$(outbox "state IN ('queued','sending')")" = 0 ] && [ "$total" = "$prev" ] && break
        prev=$total
        i=$((i + 1)); [ $i -lt 600 ] || { echo "the outbox did not drain"; exit 1; }
        sleep 0.2
    done
    set -- "$1" "$2" "$3" $(gw_count)
    failed=$(outbox "state <> 'sent'")
    echo "sms=$(($4 - $1)) sms_per_s=$(echo "scale=1; ($4 - $1) * 1000 / ($5 - $2)" | bc) drain_ms=$(($5 - $3)) not_sent=$failed"
}

for run in $(seq 1 "$RUNS"); do
    for what in join enroll; do
        echo "== run $run: $what"
        set -- $(gw_count)
        c0=$1
        t0=$(date +%s%3N)
        KT_RUN=$run wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$here/$what.lua" "$url" \
            >"$work/wrk"
        t1=$(date +%s%3N)
        line=$(grep -h 'RESULT\|JOIN' "$work/wrk" | tr '\n' ' ')
        echo "$what $line $(drained "$c0" "$t0" "$t1")" | tee -a "$results"
    done
done
kill -TERM $srv; wait $srv || true
srv=

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { grep "^$1 " "$results" | sed "s/.* $2=\([0-9.]*\).*/\1/" | median; }
h=$(field healthz rps); s=$(field style rps); j=$(field join_page rps)
js=$(field join subs_per_s); jsms=$(field join sms_per_s); e=$(field enroll rps)
esms=$(field enroll sms_per_s)
echo
echo "== medians of $RUNS runs ($CONNS connections, ${SECS}s each), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "gateway alone:  $(field gateway rps) POST/s on one connection"
echo "healthz:        $h req/s, p99 $(field healthz p99_ms) ms"
echo "style.css:      $s req/s, p99 $(field style p99_ms) ms"
echo "join page:      $j pages/s, p99 $(field join_page p99_ms) ms; /healthz = $(echo "scale=3; $j / $h" | bc), /style.css = $(echo "scale=3; $j / $s" | bc)"
echo "join submitted: $js/s (GET + POST each), SMS delivered $jsms/s, p99 $(field join p99_ms) ms a request"
echo "pos enroll:     $e/s, SMS delivered $esms/s, p99 $(field enroll p99_ms) ms; join/enroll = $(echo "scale=3; $js / $e" | bc)"
echo "errors:         $(grep -c 'errors=[1-9]\|non2xx=[1-9]\|refused=[1-9]\|not_sent=[1-9]' "$results" || true) runs with errors or SMS not sent"
