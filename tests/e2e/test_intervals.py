"""Learned purchase intervals (issue 13, recipes 3 and 5; docs/journeys.md, "Learned intervals"):
on the first thirty days of the Online Retail data replayed through the API, the replenishment
report (by SKU) and the lapsed report equal an independent computation here, from the operations
the test replayed, never from the server. The installation's clock is Vladivostok's and one
country's store is in Berlin, so a receipt's day is its local date: the UK's afternoons are the
next day in Vladivostok. Categories (the replay's lines carry none), refunds in full, same-day
receipts and bad asks on made-up receipts after."""
import collections
import json

import pytest

from intervals_model import (DEFAULT_ZONE, date, day_of, due_rows, got_rows, ids_of, online_retail,
                             purchase_days, replayed)

DAYS = 30
STORE_ZONES = {"Germany": "Europe/Berlin"}


@pytest.mark.skipif(not online_retail.DATA.exists(), reason="../shared/data is not beside")
def test_intervals_equal_an_independent_computation(start_server):
    s = start_server(["--settable-clock", "--time-zone", DEFAULT_ZONE])
    days, _ = online_retail.load(days=DAYS)
    custs = online_retail.customers(days)
    s.put("/v1/system/clock", {"now": "2010-11-30T00:00:00Z"})
    for code, zone in STORE_ZONES.items():
        assert s.put(f"/v1/stores/{code}", {"time_zone": zone}).status_code == 201
    online_retail.setup(s.url, s.admin_key, custs, {"hold_days": 3})
    online_retail.replay(s.url, s.admin_key, days, clients=8)
    receipts, refunds = replayed(days)
    by_sku, by_cust = purchase_days(receipts, refunds, store_zones=STORE_ZONES)
    receipts_of = collections.Counter(c for c, _, _ in receipts)
    assert sum(1 for c, v in by_cust.items() if receipts_of[c] > len(v)) > 50  # same-day receipts
    last = max(max(v) for v in by_cust.values())  # the data's last local day

    # Who runs out of what in the week after the data, listed two days ahead.
    want = due_rows(by_sku, last, 7, before=2)
    rep = s.get(f"/v1/reports/replenishment?by=sku&starting_on={date(last)}&days=7"
                "&days_before=2").json()
    assert rep["count"] == len(rep["items"]) and (rep["by"], rep["days"]) == ("sku", 7)
    ids = ids_of(s, {c for c, _ in want})
    assert got_rows(rep, "sku", ids) == want
    assert len(want) > 1000 and sum(1 for w in want.values() if w[3] == "own") > 50
    assert len({w[3] for w in want.values()}) == 2

    # Lapsed: 1.5 x the usual gap exceeded, first in the fortnight after the data.
    groups = {(c, ""): v for c, v in by_cust.items()}
    want = due_rows(groups, last, 14, factor_x100=150)
    rep = s.get(f"/v1/reports/lapsed?factor=1.5&starting_on={date(last)}&days=14").json()
    ids.update(ids_of(s, {c for c, _ in want} - set(ids.values())))
    assert got_rows(rep, None, ids) == want
    assert len(want) > 150 and rep["factor"] == 1.5
    assert sum(1 for w in want.values() if w[3] == "own") > 20


def test_categories_refunds_and_bad_asks(start_server):
    # The zone by the environment this time: `kartoteka report` reads it as serve does.
    s = start_server(["--settable-clock"], env={"KARTOTEKA_TIME_ZONE": DEFAULT_ZONE})
    custs = [9100001, 9100002, 9100003]
    s.put("/v1/system/clock", {"now": "2026-01-16T00:00:00Z"})  # 10:00 in Vladivostok
    online_retail.setup(s.url, s.admin_key, custs, {"hold_days": 3})
    receipts, refunds, n = [], collections.Counter(), 0

    def buy(cust, at, *lines):
        nonlocal n
        n += 1
        body = {"store": "S-1", "receipt": f"R-{n}", "at": at,
                "customer": {"phone": online_retail.phone_of(cust)},
                "lines": [{"sku": sku, "category": cat, "quantity": 1, "price": 100,
                           "amount": 100} for sku, cat in lines]}
        r = s.post("/v1/purchases", body)
        assert r.status_code == 201, r.text
        receipts.append((cust, f"R-{n}", dict(body, lines=[dict(l, key=l["category"])
                                                          for l in body["lines"]])))
        return r.json()["id"]

    milk, bread = ("M-1", "milk"), ("B-1", "bread")
    # A: milk every 7 days, on the 15th twice (two receipts, one day; another SKU the second
    # time); bread once. B: milk twice, 10 days apart. C: bread thrice - the third refunded.
    # 01:00 and 05:00 UTC are 11:00 and 15:00 in Vladivostok: the same day.
    for d in (1, 8, 15):
        buy(9100001, f"2026-01-{d:02d}T01:00:00Z", milk)
    buy(9100001, "2026-01-15T05:00:00Z", ("M-2", "milk"), bread)
    buy(9100002, "2026-01-03T01:00:00Z", milk)
    buy(9100002, "2026-01-13T01:00:00Z", milk)
    buy(9100003, "2026-01-02T01:00:00Z", bread)
    buy(9100003, "2026-01-06T01:00:00Z", bread)
    pid = buy(9100003, "2026-01-09T01:00:00Z", bread)
    r = s.post(f"/v1/purchases/{pid}/refunds", {"refund": "RF-1", "at": "2026-01-09T05:00:00Z",
                                                "lines": [{"line": 1, "quantity": 1}]})
    assert r.status_code == 201, r.text
    refunds[(receipts[-1][1], 1)] += 1
    by_cat, _ = purchase_days(receipts, refunds)
    assert [date(d) for d in by_cat[(9100003, "bread")]] == ["2026-01-02", "2026-01-06"]
    start = day_of("2026-01-16T00:00:00Z", "UTC")
    want = due_rows(by_cat, start, 30)
    ids = ids_of(s, custs)
    rep = s.get(f"/v1/reports/replenishment?by=category&starting_on={date(start)}&days=30")
    assert rep.status_code == 200, rep.text
    got = got_rows(rep.json(), "category", ids)
    assert got == want
    # A's milk: her own 7 days; B's: the population's median of 7, 7, 10 -> 7; bread: C's 4
    # days for A (once) and for C (twice), who bought it on two days only: the refund undid one.
    assert got[(9100001, "milk")] == ("2026-01-15", 3, 7, "own", "2026-01-22")
    assert got[(9100002, "milk")] == ("2026-01-13", 2, 7, "population", "2026-01-20")
    assert got[(9100001, "bread")][2:] == (4, "population", "2026-01-19")
    assert (9100003, "bread") not in got  # due on the 10th, before the span
    # days_before moves the span onto the day the row fires: A's milk is listed 3 days ahead.
    rep = s.get("/v1/reports/replenishment?by=category&starting_on=2026-01-19&days=1"
                "&days_before=3").json()
    assert [(x["customer_id"], x["category"]) for x in rep["items"]] == \
        [(i, "milk") for i, c in ids.items() if c == 9100001]
    # The CLI says what the API says; its table names the customers and the due days.
    api = s.get(f"/v1/reports/replenishment?by=category&starting_on={date(start)}&days=30").json()
    cli = json.loads(s.cli("report", "replenishment", "--by", "category", "--starting-on",
                           date(start), "--days", "30", "--json", "--now", api["as_of"]).stdout)
    assert cli == api
    table = s.cli("report", "replenishment", "--by", "category", "--starting-on", date(start),
                  "--days", "30").stdout
    assert "2026-01-22" in table and all(i in table for i, c in ids.items() if c != 9100003)
    lapsed = s.cli("report", "lapsed", "--factor", "1.5", "--starting-on", "2026-01-10",
                   "--json").stdout
    assert json.loads(lapsed) == s.get("/v1/reports/lapsed?factor=1.5&starting_on=2026-01-10"
                                       ).json() | {"as_of": json.loads(lapsed)["as_of"]}
    bad = s.cli("report", "replenishment", "--days-before", "400", check=False)
    assert bad.returncode == 2 and "--days-before" in bad.stderr
    # By SKU, the two milk SKUs are apart: M-2 was bought once by one customer - no interval.
    rep = s.get("/v1/reports/replenishment?starting_on=2026-01-01&days=366").json()
    assert {x["sku"] for x in rep["items"]} == {"M-1", "B-1"} and rep["by"] == "sku"
    assert all("category" not in x for x in rep["items"])

    for query, field in [("by=brand", "by"), ("starting_on=2026-02-30", "starting_on"),
                         ("starting_on=tomorrow", "starting_on"), ("days=0", "days"),
                         ("days=367", "days"), ("days_before=366", "days_before"),
                         ("days_before=-1", "days_before"), ("factor=2", "factor")]:
        r = s.get(f"/v1/reports/replenishment?{query}")
        assert r.status_code == 400, (query, r.text)
        err = r.json()["error"]
        assert (err["code"], err["field"]) == (
            "unknown_parameter" if field == "factor" else "bad_parameter", field), query
    for query in ["factor=0.5", "factor=101", "factor=1.234", "factor=x", "days=1000"]:
        r = s.get(f"/v1/reports/lapsed?{query}")
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_parameter", query
    assert s.get("/v1/reports/lapsed?by=sku").json()["error"]["code"] == "unknown_parameter"
    # The report defaults: a week from today on the installation's clock.
    rep = s.get("/v1/reports/lapsed").json()
    assert (rep["starting_on"], rep["days"], rep["factor"]) == ("2026-01-16", 7, 2)
