#!/bin/sh
# bench/journey_ingest.sh BUILD_DIR - ingest with 10 active event-entry journeys beside ingest
# without them (issue 13: within 20 %). KT_BENCH_CUSTOMERS (100,000) customers loaded, a server
# (its scheduler runs the journey job every second, as in production), then POST /v1/events/batch
# (bench/events.lua with KT_CUSTOMERS: 1,000 events of known customers a request - page and
# product views with a category, cart adds and removals keyed by cart, checkouts, searches) for
# KT_BENCH_SECONDS (10) with KT_BENCH_CONNECTIONS (4), eight runs in the order none, journeys,
# journeys, none, none, journeys, journeys, none (the database grows and the machine is shared:
# each side gets early and late runs).
# KT_BENCH_MIX=shop sends the kinds in a shop's proportions (events.lua) instead of evenly.
# "journeys": the 10 journeys below active; "none": the same rows as drafts with no live
# version (what a server without journeys has: the events pass still reads every event).
# After each run it waits for the journey job's events cursor to reach the last event and says
# how far behind it was and how long it took; at the end each journey's runs beside what the
# events of its active runs imply (an independent count in SQL).
set -eu
export KARTOTEKA_DRAIN=0
B=${1:-build/release}
CUSTOMERS=${KT_BENCH_CUSTOMERS:-100000}
SECS=${KT_BENCH_SECONDS:-10}
CONNS=${KT_BENCH_CONNECTIONS:-4}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/kt-jingest-XXXXXX)
db=$work/j.db
results=$work/results
: >"$results"
srv=
trap 'kill $srv 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM
q() { sqlite3 -cmd ".timeout 60000" "$db" "$1"; }
"$B/kartoteka" migrate --db "$db" >/dev/null
echo "== loading $CUSTOMERS synthetic customers"
"$B/bench/load_customers" --db "$db" --count "$CUSTOMERS" 2>/dev/null | tail -1

# name|entry (JSON)|exits and reentry (JSON members)|steps (JSON)|the events that enter (SQL)|key
common='[{"id":"w","wait":{"days":1}},{"id":"t","trait":{"name":"bench","value":"1"}}]'
journeys="cart|{\"event\":{\"type\":\"cart_add\"},\"key\":\"cart\"}|\"exits\":[{\"name\":\"checked_out\",\"event\":{\"type\":\"checkout_start\"},\"same_key\":true}]|$common|type = 'cart_add'|cart
cart_books|{\"event\":{\"type\":\"cart_add\",\"where\":{\"category\":\"books\"}},\"key\":\"cart\"}|\"exits\":[{\"name\":\"removed\",\"event\":{\"type\":\"cart_remove\"},\"same_key\":true}]|$common|type = 'cart_add' AND json_extract(props, '\$.category') = 'books'|cart
browse_books|{\"event\":{\"type\":\"product_view\",\"where\":{\"category\":\"books\"}}}|\"exits\":[{\"name\":\"bought\",\"purchase\":true}]|$common|type = 'product_view' AND json_extract(props, '\$.category') = 'books'|
browse_toys|{\"event\":{\"type\":\"product_view\",\"where\":{\"category\":\"toys\"}},\"key\":\"sku\"}|\"reentry\":\"never\"|$common|type = 'product_view' AND json_extract(props, '\$.category') = 'toys'|sku
views|{\"event\":{\"type\":\"page_view\"}}|\"reentry\":\"never\"|$common|type = 'page_view'|
search|{\"event\":{\"type\":\"search\"}}|\"reentry\":\"never\"|$common|type = 'search'|
checkout|{\"event\":{\"type\":\"checkout_start\"},\"key\":\"cart\"}|\"exits\":[{\"name\":\"bought\",\"purchase\":true}]|$common|type = 'checkout_start'|cart
cart_any|{\"event\":{\"type\":\"cart_add\"}}|\"reentry\":{\"after_days\":1}|$common|type = 'cart_add'|
removed|{\"event\":{\"type\":\"cart_remove\"},\"key\":\"sku\"}|\"reentry\":\"never\"|$common|type = 'cart_remove'|sku
browse_garden|{\"event\":{\"type\":\"product_view\",\"where\":{\"category\":\"garden\"}},\"key\":\"sku\"}|\"reentry\":\"never\"|[{\"id\":\"wf\",\"wait_for\":{\"event\":{\"type\":\"cart_add\"},\"timeout\":{\"hours\":24},\"then\":\"t\",\"otherwise\":\"t\"}},{\"id\":\"t\",\"trait\":{\"name\":\"bench\",\"value\":\"1\"}}]|type = 'product_view' AND json_extract(props, '\$.category') = 'garden'|sku"
now=$(($(date +%s) * 1000))
echo "$journeys" | while IFS='|' read -r name entry more steps _ _; do
    doc="{\"name\":\"$name\",\"entry\":$entry,$more,\"steps\":$steps}"
    q "INSERT INTO journey_versions (key, version, doc, created_at) VALUES ('bench_$name', 1, '$doc', $now);
       INSERT INTO journeys (key, name, state, version, created_at, updated_at) VALUES
       ('bench_$name', '$name', 'draft', 1, $now, $now)"
done

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
export KT_CUSTOMERS=$CUSTOMERS
export KT_MIX=${KT_BENCH_MIX:-even} # "shop": the kinds in a shop's proportions (events.lua)

last_seq() { q "SELECT coalesce(max(seq), 0) FROM events WHERE ck IS NOT NULL"; }
cursor() { q "SELECT coalesce((SELECT pos FROM journey_cursors WHERE name = 'events'), 0)"; }
ranges="0"
run=0
for side in ${KT_BENCH_SIDES:-none journeys journeys none none journeys journeys none}; do
    run=$((run + 1))
    if [ "$side" = journeys ]; then
        q "UPDATE journeys SET state = 'active', live_version = 1, started_at = coalesce(started_at, $now) WHERE key LIKE 'bench_%'"
    else
        q "UPDATE journeys SET state = 'draft', live_version = NULL WHERE key LIKE 'bench_%'"
    fi
    sleep 3 # the job's next run sees the change
    lo=$(last_seq) # (a straggler of the last run committed since is read on this side)
    [ -z "${hi:-}" ] || lo=$hi
    echo "== run $run ($side)"
    KT_RUN=$run wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s "$here/events.lua" "$url" |
        grep RESULT | sed "s/^/$side /" | tee -a "$results"
    t0=$(date +%s.%N)
    hi=$(last_seq)
    behind=$((hi - $(cursor)))
    until [ "$(cursor)" -ge "$hi" ]; do sleep 0.1; done
    took=$(echo "$(date +%s.%N) - $t0" | bc)
    # the requests wrk left in flight are still committed: the run ends after them
    until sleep 2 && [ "$(last_seq)" = "$hi" ]; do hi=$(last_seq); done
    until [ "$(cursor)" -ge "$hi" ]; do sleep 0.1; done
    echo "   journey job: $behind events behind when the load stopped ($((hi - lo)) events in the run); caught up in ${took% *} s" | tee -a "$results"
    [ "$side" = journeys ] && ranges="$ranges OR (seq > $lo AND seq <= $hi)"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
none=$(grep '^none' "$results" | sed 's/.*events_per_s=\([0-9.]*\).*/\1/' | median)
with=$(grep '^journeys' "$results" | sed 's/.*events_per_s=\([0-9.]*\).*/\1/' | median)
echo
echo "== medians of 4 runs each ($CONNS connections, ${SECS}s each, 1,000 events a request, $CUSTOMERS customers)"
echo "without journeys: $none events/s; with 10 active journeys: $with events/s; with/without = $(echo "scale=3; $with / $none" | bc)"
grep -q 'errors=[1-9]\|non2xx=[1-9]' "$results" && echo "errors: some runs had errors" || echo "errors: none"
echo "== runs per journey: stored / implied by the events of the runs with journeys active"
echo "$journeys" | while IFS='|' read -r name _ _ _ filter key; do
    k="''"
    [ -n "$key" ] && k="coalesce(json_extract(props, '\$.$key'), '')"
    stored=$(q "SELECT count(*) FROM journey_runs WHERE journey = 'bench_$name'")
    implied=$(q "SELECT count(*) FROM (SELECT DISTINCT ck, $k FROM events WHERE ck IS NOT NULL AND ($ranges) AND $filter)")
    echo "bench_$name: $stored / $implied"
done
q "SELECT 'run states: ' || group_concat(state || ' ' || n, ', ') FROM (SELECT state, count(*) n FROM journey_runs GROUP BY state)"
