"""An independent computation of the loyalty rules (docs/loyalty.md) for the Online Retail
replay: the points ledger of every customer worked out here, in Python, from the operations the
replay posts, without asking the server. The replay's totals and each customer's balance must
come out the same.

Written from the documented rules, not from the C code: entries are appended as the server
appends them, and a balance is recomputed from the entries (credits are lots; debits take the
oldest live lots first; a refund takes its own receipt's lot first; an expiry takes the lots
past their time; what a debit cannot find is debt, paid from what is spendable, then pending).
"""
import calendar
import collections
import datetime

DAY = 86_400_000


def ms(text):
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def add_months(t, months):
    d = datetime.datetime.fromtimestamp(t / 1000, datetime.timezone.utc)
    total = d.year * 12 + d.month - 1 + months
    y, m = divmod(total, 12)
    day = min(d.day, calendar.monthrange(y, m + 1)[1])
    return int(d.replace(year=y, month=m + 1, day=day).timestamp() * 1000)


class Rules:
    def __init__(self, percent_bp=500, hold_days=14, max_percent=30, kopecks_per_point=100,
                 expiry_months=12):
        self.bp, self.hold, self.cap_pct = percent_bp, hold_days, max_percent
        self.kpp, self.months = kopecks_per_point, expiry_months

    def expires(self, t):
        return add_months(t, self.months) if self.months else 0


def balance(entries, now):
    lots, debt = [], 0
    for e in entries:
        if e["points"] > 0:
            lots.append({"left": e["points"], "av": e["available_at"], "ex": e["expires_at"],
                         "pid": e["purchase_id"] if e["kind"] == "earn" else None})
            continue
        need = -e["points"]

        def live(l, t):
            return l["left"] > 0 and l["av"] <= t and (l["ex"] == 0 or l["ex"] > t)
        if e["kind"] == "refund_earn":
            for l in lots:
                if need and l["pid"] == e["purchase_id"] and l["left"] > 0 and \
                        (l["ex"] == 0 or l["ex"] > e["at"]):
                    take = min(l["left"], need)
                    l["left"] -= take
                    need -= take
        for l in lots:
            if not need:
                break
            if e["kind"] == "expire":
                ok = l["left"] > 0 and l["ex"] != 0 and l["ex"] <= e["at"]
            else:
                ok = live(l, e["at"])
            if ok:
                take = min(l["left"], need)
                l["left"] -= take
                need -= take
        debt += need
    b = collections.Counter()
    for l in lots:
        if l["left"] > 0 and l["av"] <= now and (l["ex"] == 0 or l["ex"] > now):
            b["available"] += l["left"]
        elif l["left"] > 0 and l["av"] > now:
            b["pending"] += l["left"]
        elif l["left"] > 0:
            b["expired"] += l["left"]
    pay = min(debt, b["available"])
    b["available"] -= pay
    debt -= pay
    pay = min(debt, b["pending"])
    b["pending"] -= pay
    b["debt"] = debt - pay
    return b


class Model:
    def __init__(self, rules):
        self.r = rules
        self.ledger = collections.defaultdict(list)
        self.purchases = {}
        self.totals = collections.Counter()

    def _add(self, cust, kind, points, at, available_at, expires_at=0, pid=None):
        self.ledger[cust].append({"kind": kind, "points": points, "at": at,
                                  "available_at": available_at, "expires_at": expires_at,
                                  "purchase_id": pid})
        self.totals[kind] += points

    def receipt(self, cust, key, body, now):
        at = ms(body["at"])
        lines = body["lines"]
        total = sum(l["amount"] for l in lines)
        self.totals["receipts"] += 1
        spent = earned = 0
        if cust is not None:
            ask = body.get("spend_points", 0)
            if ask:
                cap = total * self.r.cap_pct // 100 // self.r.kpp
                spent = min(ask, cap, balance(self.ledger[cust], now)["available"])
            if spent:
                self._add(cust, "spend", -spent, now, now, 0, key)
            weighted = sum(l["amount"] * self.r.bp * 100 for l in lines)
            paid = total - spent * self.r.kpp
            earned = weighted * paid // (total * 10000 * 100 * self.r.kpp) if paid > 0 else 0
            if earned:
                av = at + self.r.hold * DAY
                self._add(cust, "earn", earned, at, av, self.r.expires(av), key)
        self.purchases[key] = {"cust": cust, "total": total, "earned": earned, "spent": spent,
                               "refunded": 0, "reversed": 0, "returned": 0,
                               "lines": [[l["quantity"] * 1000, l["amount"], 0, 0]
                                         for l in lines]}

    def refund(self, cust, key, body, now):
        p = self.purchases[key]
        amount = 0
        for x in body["lines"]:
            line = p["lines"][x["line"] - 1]
            qty, amt, rq, ra = line
            q = x["quantity"] * 1000
            left = qty - rq
            assert q <= left
            a = amt - ra if q == left else (amt * q + qty // 2) // qty
            a = min(a, amt - ra)
            line[2] += q
            line[3] += a
            amount += a
        self.totals["refunds"] += 1
        done = p["refunded"] + amount
        rev = p["earned"] * done // p["total"] - p["reversed"]
        ret = p["spent"] * done // p["total"] - p["returned"]
        p["refunded"], p["reversed"], p["returned"] = done, p["reversed"] + rev, \
            p["returned"] + ret
        if rev:
            self._add(cust, "refund_earn", -rev, now, now, 0, key)
        if ret:
            self._add(cust, "refund_spend", ret, now, now, self.r.expires(now), key)

    def expire(self, now):
        for cust, entries in self.ledger.items():
            gone = balance(entries, now)["expired"]
            if gone:
                self._add(cust, "expire", -gone, now, now)

    def run(self, days):
        for day, ops in days:
            now = ms(f"{day}T23:59:59Z")
            for op in ops:
                if op["kind"] == "receipt":
                    self.receipt(op["cust"], op["receipt"], op["body"], now)
                else:
                    self.refund(op["cust"], op["receipt"], op["body"], now)
            self.expire(now)
        return self

    def report(self):
        t = self.totals
        return {"receipts": t["receipts"], "refunds": t["refunds"], "earned": t["earn"],
                "spent": -t["spend"], "expired": -t["expire"], "refund_reversed": -t["refund_earn"],
                "refund_returned": t["refund_spend"],
                "outstanding": sum(e["points"] for es in self.ledger.values() for e in es)}


def server_totals(rep):
    """GET /v1/reports/loyalty in the shape of Model.report()."""
    return {"receipts": rep["receipts"]["count"], "refunds": rep["receipts"]["refunds"],
            "earned": rep["points"]["earned"], "spent": rep["points"]["spent"],
            "expired": rep["points"]["expired"],
            "refund_reversed": rep["points"]["refund_reversed"],
            "refund_returned": rep["points"]["refund_returned"],
            "outstanding": rep["points"]["outstanding"]}


def differing_balances(get, custs, model, last_day, phone_of):
    """The customers whose balance on the server (get(path) -> JSON) is not the model's at the
    end of `last_day`: [(customer, server's, model's), ...]."""
    import urllib.parse
    now = ms(f"{last_day}T23:59:59Z")
    wrong = []
    for cust in custs:
        cid = get(f"/v1/customers?phone={urllib.parse.quote(phone_of(cust))}")["items"][0]["id"]
        b = get(f"/v1/customers/{cid}/points")
        m = balance(model.ledger[cust], now)
        if (b["available"], b["pending"], b["debt"]) != (m["available"], m["pending"], m["debt"]):
            wrong.append((cust, b, dict(m)))
    return wrong


def quintiles(values, worse):
    """RFM scores, ties together. worse="less" (frequency, money): 1 + floor(5 * (how many are
    strictly less than x) / n). worse="more" (recency in days): counted from the best end,
    5 - floor(5 * (how many are strictly less than x, i.e. more recent) / n)."""
    n = len(values)
    ordered = sorted(values)
    import bisect
    out = []
    for x in values:
        k = bisect.bisect_left(ordered, x)
        out.append(5 - 5 * k // n if worse == "more" else 1 + 5 * k // n)
    return out


def rfm_group(r, f):
    if r == 5 and f >= 4:
        return "champions"
    if r >= 3 and f >= 4:
        return "loyal"
    if r <= 2 and f == 5:
        return "can't lose them"
    if r <= 2 and f >= 3:
        return "at risk"
    if (r, f) == (1, 1):
        return "lost"
    if r <= 2:
        return "hibernating"
    if (r, f) == (3, 3):
        return "need attention"
    if r == 3:
        return "about to sleep"
    if f == 1:
        return "new" if r == 5 else "promising"
    return "potential loyalists"


def rfm_expected(model, days):
    """{customer: (r, f, m, group, days since the last receipt)} as of the last day's end:
    recency in whole days (fewer is better), the number of receipts, their totals less
    refunds."""
    now = ms(f"{days[-1][0]}T23:59:59Z")
    at = {op["receipt"]: ms(op["body"]["at"]) for _, ops in days for op in ops
          if op["kind"] == "receipt"}
    per = {}
    for key, p in model.purchases.items():
        if p["cust"] is not None:
            per.setdefault(p["cust"], []).append((key, p))
    rows = [(c, (now - max(at[k] for k, _ in ps)) // DAY, len(ps),
             sum(p["total"] - p["refunded"] for _, p in ps)) for c, ps in per.items()]
    r = quintiles([x[1] for x in rows], "more")
    f = quintiles([x[2] for x in rows], "less")
    m = quintiles([x[3] for x in rows], "less")
    return {c: (r[i], f[i], m[i], rfm_group(r[i], f[i]), d) for i, (c, d, _, _) in enumerate(rows)}


def rfm_differing(rep, get, custs, model, days, phone_of):
    """The customers whose RFM in GET /v1/reports/rfm?items=true differs from
    rfm_expected()."""
    import urllib.parse
    want = rfm_expected(model, days)
    ids = {get(f"/v1/customers?phone={urllib.parse.quote(phone_of(c))}")["items"][0]["id"]: c
           for c in custs if c in want}
    got = {ids[x["customer_id"]]: (x["r"], x["f"], x["m"], x["group"], x["days"])
           for x in rep["items"]}
    return [(c, got.get(c), w) for c, w in want.items() if got.get(c) != w]
