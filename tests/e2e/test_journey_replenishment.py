"""The replenishment recipe (docs/samples/journeys/replenishment.json: a run per customer and SKU
three days before her learned interval runs out, re-entry always, the purchase exit, 10:00 on
Mon-Sat, a reminder, five days, a second nudge) on the first fifteen days of the Online Retail
data replayed through the API (docs/journeys.md, "Learned intervals").

The clock then moves day by day past local midnight (Владивосток, the installation's zone; no
store and no customer has another): every day, the (customer, SKU) runs the journey entered equal
the rows intervals_model.py works out independently from the receipts the test posted - due day -
3 == that day, less the keys whose run is still live. Three customers are given an e-mail address
and the ads consent: one is reminded on a Saturday at 10:00 and nudged again five days later,
one whose day is a Sunday is reminded on Monday at 10:00, one who buys the SKU again in the
morning exits `bought` and is sent nothing.
"""
import collections
import datetime
import email
import email.policy
import json
import pathlib
import time
import zoneinfo

import pytest

import messaging
from conftest import src
from intervals_model import (DEFAULT_ZONE, EPOCH, date, due_rows, ids_of, online_retail,
                             purchase_days, replayed)
from peers import SmtpSink, wait_for

DAYS = 15  # 2010-12-01 to 12-17; the last local day is Saturday 12-18 in Владивосток
SPAN = 6  # the days watched: Sat 12-18 to Thu 12-23 (a reminder on the 18th, nudged on the 23rd)
BEFORE = 3
RECIPE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "samples" / "journeys" / \
    "replenishment.json"
ZONE = zoneinfo.ZoneInfo(DEFAULT_ZONE)


def local(day, hour=0, minute=0):
    """The UTC moment of a local time on day `day` (days since 1970-01-01), as the API writes it."""
    d = EPOCH + datetime.timedelta(days=day)
    t = datetime.datetime(d.year, d.month, d.day, hour, minute, tzinfo=ZONE)
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_day(at):
    t = datetime.datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(ZONE)
    return (t.date() - EPOCH).days, t.strftime("%H:%M:%S")


def mails(sink, addr):
    """(subject, text) of every message the sink took for `addr`, in order."""
    out = []
    for e in list(sink.messages):
        if e.rcpt_tos[0] == addr:
            m = email.message_from_bytes(e.original_content, policy=email.policy.default)
            body = m.get_body(preferencelist=("plain",)).get_content()
            out.append((str(m["Subject"]), body.strip()))
    return out


@pytest.mark.skipif(not online_retail.DATA.exists(), reason="../shared/data is not beside")
def test_replenishment_enters_each_day_what_the_intervals_say(start_server):
    sink = SmtpSink.start()
    try:
        run_the_recipe(start_server, sink)
    finally:
        sink.stop()


def run_the_recipe(start_server, sink):
    s = start_server(["--settable-clock", "--time-zone", DEFAULT_ZONE] +
                     messaging.outbox_args(sink.port))
    days, _ = online_retail.load(days=DAYS)
    custs = online_retail.customers(days)
    s.put("/v1/system/clock", {"now": "2010-11-30T00:00:00Z"})
    online_retail.setup(s.url, s.admin_key, custs, {"hold_days": 3})
    online_retail.replay(s.url, s.admin_key, days, clients=8)
    # The zones: no store has one (the replay's customers have no city either), so every
    # purchase day and every customer's day is the installation's.
    assert all(x.get("time_zone") in (None, DEFAULT_ZONE)
               for x in s.get("/v1/stores").json()["items"])
    receipts, refunds = replayed(days)
    by_sku, by_cust = purchase_days(receipts, refunds)
    first = max(max(v) for v in by_cust.values())  # the data's last local day: today
    # The replay left the clock at 23:59:59 UTC of its last day: 09:59:59 local, that day.
    assert date(first) == "2010-12-18" and local_day(f"{days[-1][0]}T23:59:59Z")[0] == first
    span = range(first, first + SPAN)
    due = {d: due_rows(by_sku, d, 1, before=BEFORE) for d in span}  # before anyone buys again

    def alone(d):
        """The first customer with one row in the whole span, on day d."""
        n = collections.Counter(x for dd in span for x, _ in due[dd])
        return next(x for x, _ in sorted(due[d]) if n[x] == 1)

    sat, sun, mon = first, first + 1, first + 2
    a, b, c = alone(sat), alone(sun), alone(mon)
    ids = {}  # customer id -> cust, and back

    def look_up(xs):
        ids.update(ids_of(s, set(xs) - set(ids.values())))
        return {x: i for i, x in ids.items()}
    cid = look_up({a, b, c})
    addr = {x: f"replenish-{x}@example.org" for x in (a, b, c)}

    messaging.prepare(s)
    for x in (a, b, c):
        r = s.patch(f"/v1/customers/{cid[x]}", {"source": src("pos"),
                                                 "profile": {"email": addr[x]}})
        assert r.status_code == 200, r.text
        r = s.post(f"/v1/customers/{cid[x]}/consents", {
            "source": src("pos"), "consents": [{"purpose": "ads", "channel": "email",
                                                "document": "ads-email", "granted": True,
                                                "evidence": {"paper_form": f"A-{x}"}}]})
        assert r.status_code == 200, r.text
        r = s.post(f"/v1/customers/{cid[x]}/subscriptions",
                   {"topic": "promo", "channel": "email", "subscribed": True})
        assert r.status_code == 200, r.text
    for name, subject in [("replenish-reminder", "Пора пополнить запас"),
                          ("replenish-second", "Напоминаем ещё раз")]:
        r = s.put(f"/v1/templates/{name}", {"channel": "email", "subject": subject,
                                            "text": "Заканчивается: {{context.key}}"})
        assert r.status_code in (200, 201), r.text
    doc = json.loads(RECIPE.read_text(encoding="utf-8"))
    assert doc["entry"] == {"replenish": {"by": "sku", "days_before": BEFORE}}
    assert doc.get("control_percent", 0) == 0  # every run is stepped: none held out
    r = s.put("/v1/journeys/replenishment", doc)
    assert r.status_code == 201, r.text
    assert s.post("/v1/journeys/replenishment/start").status_code == 200

    def run_due(at=None):
        if at is not None:
            r = s.put("/v1/system/clock", {"now": at})
            assert r.status_code == 200, r.text
        r = s.post("/v1/loyalty/run-due")
        assert r.status_code == 200, r.text

    def entered():
        return s.get("/v1/reports/journeys/replenishment").json()["runs"]["entered"]

    want, live = {}, set()
    for d in span:
        # Each day past local midnight (ten minutes on: the day pass runs every ten at most);
        # the first day's pass is the start's, at the replay's last clock (09:59:59 local).
        run_due(local(d, 0, 10) if d > first else None)
        want[d] = set(due[d]) - live
        live |= want[d]
        assert entered() == sum(len(w) for w in want.values()), date(d)
        if d == mon:  # C buys her SKU again at 05:00, before the reminder: the model from then
            (_, sku), = [k for k in want[d] if k[0] == c]
            body = {"store": "replenish-test", "receipt": "RT-1", "at": local(d, 5),
                    "customer": {"id": cid[c]},
                    "lines": [{"sku": sku, "quantity": 1, "price": 100, "amount": 100}]}
            run_due(local(d, 5))
            assert s.post("/v1/purchases", body).status_code == 201
            run_due()
            (run,) = s.get(f"/v1/customers/{cid[c]}/journeys").json()["items"]
            assert (run["state"], run["exit"], run["entry_key"]) == ("exited", "bought", sku)
            receipts.append((c, "RT-1", dict(body, lines=[dict(body["lines"][0], key=sku)])))
            by_sku, _ = purchase_days(receipts, refunds)
            live.discard((c, sku))
            for dd in span:
                if dd > d:
                    due[dd] = due_rows(by_sku, dd, 1, before=BEFORE)
        if d == sun:  # Sunday's runs (B's too) wait for Monday's 10:00 to remind
            cid = look_up(x for x, _ in want[d])
            sunday = [run for x in {x for x, _ in want[d]} for run in
                      s.get(f"/v1/customers/{cid[x]}/journeys").json()["items"]
                      if local_day(run["entered_at"])[0] == d]
            assert len(sunday) == len(want[d])
            assert {(run["state"], run["step"], run["due_at"]) for run in sunday} == \
                {("waiting", "morning", local(mon, 10).replace("Z", ".000Z"))}
        run_due(local(d, 10, 1))
        if d == sat:
            wait_for(lambda: len(mails(sink, addr[a])) == 1, 20, "A's reminder on Saturday")
        if d == mon:
            wait_for(lambda: len(mails(sink, addr[b])) == 1, 20, "B's reminder on Monday")
        if d == sun:
            time.sleep(1.5)  # the sender's pass, were anything queued on a Sunday
            assert mails(sink, addr[b]) == []
    assert entered() == sum(len(w) for w in want.values())

    # The runs the journey entered, each on its day at local midnight, against the computation.
    every = {k: d for d, w in want.items() for k in w}
    assert len(every) > 1500 and min(len(w) for w in want.values()) > 100
    assert sum(1 for d, w in want.items() for k in w if due[d][k][3] == "own") > 30
    look_up(x for x, _ in every)
    got = {}
    for i, x in ids.items():
        for run in s.get(f"/v1/customers/{i}/journeys").json()["items"]:
            day, hhmm = local_day(run["entered_at"])
            assert hhmm == "00:00:00" and run["journey"] == "replenishment", run
            got.setdefault(day, set()).add((x, run["entry_key"]))
    assert {date(d): g for d, g in got.items()} == {date(d): w for d, w in want.items()}

    # A: the reminder on Saturday at 10:00, five days on the second nudge; B: Monday's reminder
    # only (her five days are not over); C: nothing, she bought it.
    sku_a = next(k for x, k in every if x == a)
    sku_b = next(k for x, k in every if x == b)
    wait_for(lambda: len(mails(sink, addr[a])) == 2, 20, "A's second nudge")
    assert mails(sink, addr[a]) == [("Пора пополнить запас", f"Заканчивается: {sku_a}"),
                                    ("Напоминаем ещё раз", f"Заканчивается: {sku_a}")]
    assert mails(sink, addr[b]) == [("Пора пополнить запас", f"Заканчивается: {sku_b}")]
    assert mails(sink, addr[c]) == []
    assert s.get(f"/v1/customers/{cid[c]}/messages").json()["items"] == []
