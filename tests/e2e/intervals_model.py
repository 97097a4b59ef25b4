"""Learned purchase intervals worked out here, in Python, from the documented rules
(docs/journeys.md, "Learned intervals"), never from the server or its C code: a receipt's local
purchase day, the distinct purchase days per customer and key (a line refunded in full is none),
her interval (her own median of three purchase days or more, else the population's; a half day
rounded up) and the rows that fall due in a span. Shared by test_intervals.py (the reports) and
test_journey_replenishment.py (the journey's entries), so no test imports another test module.
"""
import collections
import datetime
import pathlib
import sys
import urllib.parse
import zoneinfo

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))
import online_retail  # noqa: E402

EPOCH = datetime.date(1970, 1, 1)
DEFAULT_ZONE = "Asia/Vladivostok"


def day_of(at, zone):
    t = datetime.datetime.fromisoformat(at.replace("Z", "+00:00"))
    return (t.astimezone(zoneinfo.ZoneInfo(zone)).date() - EPOCH).days


def date(day):
    return (EPOCH + datetime.timedelta(days=day)).isoformat()


def median(v):
    """A median; of an even count the mean of the middle two, a half day rounded up."""
    v = sorted(v)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2] + 1) // 2


def purchase_days(receipts, refunds, zone=DEFAULT_ZONE, store_zones=None):
    """({(cust, key): [day, ...]}, {cust: [day, ...]}): every customer's distinct local purchase
    days per line key (a line refunded in full is none) and per receipt (any). `receipts` are
    (cust, receipt key, body), `refunds` {(receipt key, line): quantity}; a receipt's day is its
    store's zone's (`store_zones` {store: zone}), else the installation's `zone`."""
    store_zones = store_zones or {}
    by_key, by_cust = collections.defaultdict(set), collections.defaultdict(set)
    for cust, rkey, b in receipts:
        d = day_of(b["at"], store_zones.get(b["store"], zone))
        by_cust[cust].add(d)
        for n, line in enumerate(b["lines"], 1):
            if refunds.get((rkey, n), 0) < line["quantity"] and line.get("key") is not None:
                by_key[(cust, line["key"])].add(d)
    return ({k: sorted(v) for k, v in by_key.items()}, {k: sorted(v) for k, v in by_cust.items()})


def due_rows(groups, start, days, before=0, factor_x100=None):
    """{(cust, key): (bought_on, days_bought, interval, basis, due)} for the span, as
    docs/journeys.md defines it."""
    population = collections.defaultdict(list)
    for (cust, key), ds in groups.items():
        population[key] += [b - a for a, b in zip(ds, ds[1:])]
    out = {}
    for (cust, key), ds in groups.items():
        if len(ds) >= 3:
            gap, basis = median([b - a for a, b in zip(ds, ds[1:])]), "own"
        elif population[key]:
            gap, basis = median(population[key]), "population"
        else:
            continue
        if factor_x100 is None:
            due = ds[-1] + gap
            fires = due - before
        else:  # lapsed on the first day whose days since exceed factor x gap
            due = fires = ds[-1] + factor_x100 * gap // 100 + 1
        if start <= fires < start + days:
            out[(cust, key)] = (date(ds[-1]), len(ds), gap, basis, date(due))
    return out


def replayed(days):
    """The receipts (cust, receipt key, body with each line's key its sku) and the refunded
    quantities the replay posted."""
    receipts, refunds = [], collections.Counter()
    for _, ops in days:
        for op in ops:
            if op["kind"] == "refund":
                for line in op["body"]["lines"]:
                    refunds[(op["receipt"], line["line"])] += line["quantity"]
            elif op["cust"] is not None:
                body = dict(op["body"], lines=[dict(l, key=l["sku"]) for l in op["body"]["lines"]])
                receipts.append((op["cust"], op["receipt"], body))
    return receipts, refunds


def ids_of(s, custs):
    """{customer id: cust} by the till's lookup by phone."""
    out = {}
    for c in custs:
        q = urllib.parse.quote(online_retail.phone_of(c))
        out[s.get(f"/v1/customers?phone={q}").json()["items"][0]["id"]] = c
    return out


def got_rows(rep, key, ids):
    rows = {}
    for x in rep["items"]:
        k = (ids.get(x["customer_id"], x["customer_id"]), x[key] if key else "")
        assert k not in rows, k
        rows[k] = (x["bought_on"], x["days_bought"], x["interval_days" if key else "gap_days"],
                   x["basis"], x["due_on" if key else "lapsed_on"])
    return rows
