#!/bin/sh
# bench/console.sh BUILD_DIR - the console's figures (issue 15, docs/console-plan.md part 6) on
# the base of bench/segments.sh: KT_BENCH_COUNT customers (1,000,000, bench/load_customers) and
# KT_BENCH_EVENTS events (20,000,000, segments_bench's), built once into KT_BENCH_WORK
# (BUILD_DIR/bench-console) and kept for the next sitting (rebuilt when the counts change).
# Then `kartoteka serve` on it (default settings) and KT_BENCH_RUNS (3) runs of each of:
#   search    the customer search through the API (GET /v1/customers by phone, e-mail, card,
#             full name, full name and birth date; bench/search.lua) with wrk, KT_BENCH_SEARCH_CONNECTIONS
#             (4: a few people searching at once) for KT_BENCH_SECONDS (15), beside GET /healthz
#             (the bare server) in the same run;
#   segments  the live count: POST /v1/segments/preview of typical segments as the segment
#             builder sends them, each timed alone, beside the reference in the same run
#             (segments_bench: queries 1 and 2 through the store without HTTP, and by hand in
#             SQL on the same file); then receipts (bench/purchases.lua, 16
#             connections, full rate) alone for KT_BENCH_SECONDS, then the same receipts with
#             the previews sent one after another beside them - receipts/s with and without;
#   paint     the console's first paint: headless Chromium (bench/console_paint.mjs, through
#             tests/browser's playwright-core) loads /admin without a session (the login form),
#             then logged in (a user made by `kartoteka users create`): /admin (the role's first
#             screen) and /admin/customers?phone=... (a search's result), each reading
#             first-contentful-paint and the time until the screen shows its data (a view the
#             console cannot show yet is said, NOTSHOWN, and not counted).
# KT_BENCH_PARTS (search,segments,paint) picks some. Medians at the end. Needs wrk, curl, bc,
# node and /usr/bin/chromium (scripts/deps.sh bench, test).
set -eu
export KARTOTEKA_DRAIN=0 # stop at once: no load balancer to drain for
B=${1:-build/release}
COUNT=${KT_BENCH_COUNT:-1000000}
EVENTS=${KT_BENCH_EVENTS:-20000000}
RUNS=${KT_BENCH_RUNS:-3}
SECS=${KT_BENCH_SECONDS:-15}
SCONNS=${KT_BENCH_SEARCH_CONNECTIONS:-4}
CONNS=${KT_BENCH_CONNECTIONS:-16}
PARTS=${KT_BENCH_PARTS:-search,segments,paint}
WORK=${KT_BENCH_WORK:-$B/bench-console}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
mkdir -p "$WORK"
db=$WORK/base.db
tmp=$(mktemp -d /tmp/kt-console-XXXXXX)
results=$tmp/results
: >"$results"
srv=
trap 'kill $srv 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
part() { case ",$PARTS," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
field() { grep "^$1 " "$results" | sed "s/.*$2=\([0-9.]*\).*/\1/" | median; }

if [ "$(cat "$WORK/base.stamp" 2>/dev/null)" != "$COUNT $EVENTS" ]; then
    echo "== building the base in $WORK: $COUNT customers, $EVENTS events"
    rm -f "$db" "$db"-* "$db".* "$WORK/base.stamp"
    "$B/kartoteka" migrate --db "$db" >/dev/null 2>&1
    "$B/bench/load_customers" --db "$db" --count "$COUNT" | tail -1
    "$B/bench/segments_bench" --db "$db" --events "$EVENTS" --runs 1
    echo "$COUNT $EVENTS" >"$WORK/base.stamp"
fi
"$B/kartoteka" migrate --db "$db" >/dev/null 2>&1 # a base kept from an older build
# Each sitting on a copy: the receipts it posts must not grow the next sitting's base.
run_db=$tmp/run.db
for f in "" .keys .master .secret; do
    [ ! -e "$db$f" ] || cp "$db$f" "$run_db$f"
done

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
"$B/kartoteka" serve --db "$run_db" --listen "127.0.0.1:$port" >"$tmp/out" 2>>"$tmp/log" &
srv=$!
i=0
until curl -sf "$url/healthz" >/dev/null; do
    i=$((i + 1)); [ $i -lt 600 ] || { echo "server did not start"; tail "$tmp/log"; exit 1; }
    sleep 0.1
done
ADMIN=$("$B/kartoteka" keys create --db "$run_db" --scope admin --name bench-console 2>/dev/null)
POS=$("$B/kartoteka" keys create --db "$run_db" --scope pos --name bench-till 2>/dev/null)
export KT_COUNT=$COUNT KT_BENCH_DIR=$here
sitting=$(date +%s) # the receipts' stores: S-<sitting><run>, new in every sitting on a kept base
echo "== machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); the base:" \
    "$(sqlite3 "$run_db" 'SELECT (SELECT count(*) FROM customers) || " customers, " || (SELECT count(*) FROM events) || " events, " || (SELECT count(*) FROM purchases) || " receipts"' 2>/dev/null)"

if part search; then
    for run in $(seq 1 "$RUNS"); do
        for kind in healthz phone email card name name_birth; do
            if [ $kind = healthz ]; then
                script=$here/healthz.lua path=/healthz
            else
                script=$here/search.lua path=/
            fi
            echo "== run $run: $kind, $SCONNS connections"
            KT_KEY=$ADMIN KT_SEARCH=$kind wrk -t2 -c"$SCONNS" -d"${SECS}s" --latency \
                -s "$script" "$url$path" | grep RESULT | sed "s/^/$kind /" | tee -a "$results"
        done
    done
fi

# The segments as the builder sends them: its text, the size and the default sample back.
QUERIES='events(page_view, last 30 days) >= 2 and events(email_open, last 30 days) > 1 and events(social_share, last 30 days) >= 1
gender = \"f\" and city = \"Москва\" and has email
purchases(last 365 days).sum > 50000'
# Times POST /v1/segments/preview of each query once into $results, labelled $1.
previews() {
    n=0
    echo "$QUERIES" | while IFS= read -r q; do
        n=$((n + 1))
        out=$(curl -s -o "$tmp/preview" -w '%{http_code} %{time_total}' \
            -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
            -d "{\"query\":\"$q\"}" "$url/v1/segments/preview")
        size=$(sed 's/.*"size":\([0-9]*\).*/\1/' "$tmp/preview")
        echo "$1$n status=${out% *} time_s=${out#* } size=$size" | tee -a "$results"
    done
}
if part segments; then
    for run in $(seq 1 "$RUNS"); do
        echo "== run $run: the live count alone"
        previews alone
        echo "== run $run: reference - segments_bench, queries 1 and 2 through the store and by hand"
        "$B/bench/segments_bench" --db "$run_db" --runs 1 | sed 's/^RESULT/ref/' | tee -a "$results"
        alone=$(grep '^alone' "$results" | tail -3 | sed 's/.*time_s=\([0-9.]*\).*/\1/' |
            awk '{s += $1} END {print int(s * 2 + 10)}')
        echo "== run $run: receipts alone, $CONNS connections"
        KT_KEY=$POS KT_RUN="c$sitting-$run" wrk -t2 -c"$CONNS" -d"${SECS}s" --latency \
            -s "$here/purchases.lua" "$url" | grep RESULT | sed 's/^/receipts /' | tee -a "$results"
        secs=$((alone > SECS ? alone : SECS))
        echo "== run $run: receipts for ${secs}s, the previews beside from the 2nd second"
        KT_KEY=$POS KT_RUN="d$sitting-$run" wrk -t2 -c"$CONNS" -d"${secs}s" --latency \
            -s "$here/purchases.lua" "$url" >"$tmp/beside" 2>&1 &
        w=$!
        sleep 2
        previews beside
        wait $w
        grep RESULT "$tmp/beside" | sed 's/^/beside /' | tee -a "$results"
    done
fi

if part paint; then
    sh "$root/tests/browser/install.sh" >/dev/null
    if "$B/kartoteka" users --help >/dev/null 2>&1; then
        export KT_EMAIL=bench-console@example.com KT_PHONE=+79160000001
        KT_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
        export KT_PASSWORD
        printf '%s\n' "$KT_PASSWORD" | "$B/kartoteka" users create --db "$run_db" \
            --email "$KT_EMAIL" --role admin --password-stdin >/dev/null
    else
        echo "== paint: this build has no users (kartoteka users): the login form only"
    fi
    for run in $(seq 1 "$RUNS"); do
        echo "== run $run: first paint of /admin"
        node "$here/console_paint.mjs" "$url" | sed 's/^RESULT view=\([a-z]*\)/paint_\1/' |
            tee -a "$results"
    done
fi

echo
echo "== medians of $RUNS runs (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
if part search; then
    for kind in healthz phone email card name name_birth; do
        echo "search $kind: p99 $(field $kind p99_ms) ms, p50 $(field $kind p50_ms) ms, $(field $kind rps) req/s"
    done
fi
if part segments; then
    n=0
    echo "$QUERIES" | while IFS= read -r q; do
        n=$((n + 1))
        echo "preview $n ($(field "alone$n" size) customers): alone $(field "alone$n" time_s) s, beside the receipts $(field "beside$n" time_s) s  [$q]"
    done
    grep '^ref ' "$results" | sed 's/.*query="\([^"]*\)".*/\1/' | sort -u | while IFS= read -r q; do
        grep "^ref query=\"$q\"" "$results" >"$tmp/ref"
        echo "reference [$q]: through the store $(sed 's/.* ms=\([0-9.]*\).*/\1/' "$tmp/ref" | median) ms, by hand in SQL $(sed 's/.*hand_ms=\([0-9.]*\).*/\1/' "$tmp/ref" | median) ms"
    done
    r=$(field receipts rps); b=$(field beside rps)
    echo "receipts: alone $r req/s (p99 $(field receipts p99_ms) ms); beside the previews $b req/s (p99 $(field beside p99_ms) ms); beside/alone = $(echo "scale=3; $b / $r" | bc)"
    grep -E '^(alone|beside)[0-9]' "$results" | grep -qv 'status=200' &&
        echo "previews: some were not 200" || true
fi
for view in nosession home search; do
    grep -q "^paint_$view " "$results" || continue
    echo "console $view: first-contentful-paint $(field "paint_$view" fcp_ms) ms, shown with its data $(field "paint_$view" data_ms) ms, $(field "paint_$view" kib) KiB fetched"
done
grep -E '^(healthz|phone|email|card|name|name_birth|receipts|beside) ' "$results" |
    grep -q 'errors=[1-9]\|non2xx=[1-9]' && echo "errors: some runs had errors" || echo "errors: none"
