"""The UCI Online Retail data set (../shared/data/online_retail, see its README) as a stream of
receipts and refunds for Kartoteka, and a client that replays it through the HTTP API.

Mapping (docs/loyalty.md, "The replay"):
- an invoice is a receipt: store = Country, receipt = InvoiceNo, at = InvoiceDate (taken as UTC),
  lines = its rows with quantity > 0 and price > 0; prices in pounds are read as roubles (x100 to
  kopecks, half up); a line's amount is price x quantity; rows without a CustomerID make
  anonymous receipts;
- each customer gets a synthetic phone from the CustomerID (+7 998 + the id on 7 digits), a
  verified phone, a first name and a birth date, and the pd_processing consent on a paper form,
  so that spending is allowed;
- every third receipt of a customer asks to spend as many points as allowed (the server cuts it
  to the cap and the balance);
- a cancellation ("C" invoice) is a refund: each of its rows is matched to the customer's latest
  earlier receipts with that StockCode and quantity left to refund; rows that match nothing (the
  original is before the data starts, or anonymous) are counted and skipped;
- the clock follows the invoices: for each day the server's clock is set to 23:59:59 of it, the
  day's receipts and refunds are posted by N clients (one customer's always on the same client,
  in order), then the expiry job runs.
"""
import collections
import csv
import decimal
import gzip
import http.client
import json
import os
import pathlib
import threading
import time

DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail" / \
    "online_retail.csv.gz"
ASK_ALL = 1_000_000_000
SPEND_EVERY = 3


def kopecks(text):
    d = decimal.Decimal(text) * 100
    return int(d.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def phone_of(cust):
    return f"+7998{cust:07d}"


def load(path=DATA, days=None):
    """[(day, [op, ...]), ...] in date order. An op is a dict: kind "receipt" (cust, body) or
    "refund" (cust, receipt key, body); plus counts of what was skipped."""
    invoices = collections.OrderedDict()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            inv = invoices.setdefault(row["InvoiceNo"], [])
            inv.append(row)
    out, by_day = [], collections.OrderedDict()
    skipped = collections.Counter()
    bought = collections.defaultdict(list)  # cust -> [[key, at, [(sku, left)...]], ...]
    receipts_of = collections.Counter()
    for no, rows in invoices.items():
        day = rows[0]["InvoiceDate"][:10]
        if days is not None and day not in by_day and len(by_day) >= days:
            break
        at = rows[0]["InvoiceDate"].replace(" ", "T") + "Z"
        cid = rows[0]["CustomerID"]
        cust = int(float(cid)) if cid else None
        store = rows[0]["Country"][:64]
        ops = by_day.setdefault(day, [])
        if no.startswith("C"):
            if cust is None:
                skipped["refund_rows_anonymous"] += len(rows)
                continue
            per = collections.OrderedDict()  # receipt key -> {line: qty}
            for r in rows:
                need = -int(r["Quantity"])
                if need <= 0 or kopecks(r["UnitPrice"]) <= 0:
                    skipped["refund_rows_bad"] += 1
                    continue
                for purchase in reversed(bought[cust]):
                    for i, (sku, left) in enumerate(purchase[2]):
                        if need == 0:
                            break
                        if sku == r["StockCode"] and left > 0:
                            take = min(need, left)
                            purchase[2][i] = (sku, left - take)
                            need -= take
                            lines = per.setdefault(purchase[0], collections.OrderedDict())
                            lines[i + 1] = lines.get(i + 1, 0) + take
                    if need == 0:
                        break
                if need > 0:
                    skipped["refund_units_unmatched"] += need
            for key, lines in per.items():
                ops.append({"kind": "refund", "cust": cust, "receipt": key, "body": {
                    "refund": no, "at": at,
                    "lines": [{"line": n, "quantity": q} for n, q in lines.items()]}})
            continue
        lines = []
        for r in rows:
            q, p = int(r["Quantity"]), kopecks(r["UnitPrice"])
            if q <= 0 or p <= 0:
                skipped["sale_rows_bad"] += 1
                continue
            line = {"sku": r["StockCode"][:64], "quantity": q, "price": p, "amount": p * q}
            if r["Description"]:
                line["name"] = r["Description"][:64]
            lines.append(line)
        if not lines:
            skipped["sale_invoices_empty"] += 1
            continue
        body = {"store": store, "receipt": no, "at": at, "lines": lines}
        if cust is not None:
            body["customer"] = {"phone": phone_of(cust)}
            receipts_of[cust] += 1
            if receipts_of[cust] % SPEND_EVERY == 0:
                body["spend_points"] = ASK_ALL
            bought[cust].append([(store, no), at, [(l["sku"], l["quantity"]) for l in lines]])
        ops.append({"kind": "receipt", "cust": cust, "receipt": (store, no), "body": body})
    out = [(d, ops) for d, ops in by_day.items() if ops]
    return out, skipped


def customers(days):
    return sorted({op["cust"] for _, ops in days for op in ops if op["cust"] is not None})


class Client:
    def __init__(self, url, key):
        host, port = url.split("//")[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)
        self.hdr = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        data = json.dumps(body) if body is not None else None
        for attempt in range(5):
            try:
                self.conn.request(method, path, body=data, headers=self.hdr)
                r = self.conn.getresponse()
                text = r.read()
                if r.status == 503:  # the store was busy: the API says retry
                    time.sleep(0.05 * (attempt + 1))
                    continue
                return r.status, json.loads(text) if text else None
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                time.sleep(0.05)
        raise RuntimeError(f"{method} {path} failed five times")


def setup(url, key, custs, program):
    """Publishes the programme and enrols every customer with a complete profile."""
    c = Client(url, key)
    st, _ = c.call("PUT", "/v1/loyalty/program", program)
    assert st == 200, st
    st, _ = c.call("PUT", "/v1/consent-documents/pd-retail", {
        "purpose": "pd_processing", "title": "Согласие", "body": "Текст согласия"})
    assert st in (200, 201), st

    errors = []

    def enrol(part):
        cl = Client(url, key)
        try:
            for cust in part:
                st, r = cl.call("POST", "/v1/customers", {
                    "source": {"channel": "pos", "store": "replay"}, "verified": ["phone"],
                    "profile": {"phone": phone_of(cust), "first_name": "Клиент",
                                "birth_date": f"19{40 + cust % 40}-0{1 + cust % 9}-1{cust % 9}"},
                    "consents": [{"purpose": "pd_processing", "document": "pd-retail",
                                  "granted": True, "evidence": {"paper_form": f"R-{cust}"}}]})
                assert st in (200, 201), (cust, st, r)
        except Exception as e:  # noqa: E722 - reported by the caller's thread
            errors.append(e)
    run_threads([(enrol, (custs[i::8],)) for i in range(8)], errors)


def run_threads(jobs, errors):
    """Runs (function, args) pairs in threads; the first failure is raised here."""
    threads = [threading.Thread(target=f, args=a) for f, a in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def replay(url, key, days, clients=16, progress=None):
    """Posts every day's operations; returns counts and the latencies of receipts (seconds)."""
    admin = Client(url, key)
    pool = [Client(url, key) for _ in range(clients)]
    pids = {}  # receipt key -> purchase id
    counts = collections.Counter()
    lat = []
    lock = threading.Lock()

    errors = []

    def work(cl, ops):
        try:
            run_ops(cl, ops)
        except Exception as e:  # noqa: E722 - reported by the caller's thread
            errors.append(e)

    def run_ops(cl, ops):
        mine = []
        for op in ops:
            if op["kind"] == "receipt":
                t0 = time.perf_counter()
                st, r = cl.call("POST", "/v1/purchases", op["body"])
                mine.append(time.perf_counter() - t0)
                assert st in (200, 201), (st, r, op["body"]["receipt"])
                with lock:
                    pids[op["receipt"]] = r["id"]
                    counts["receipts"] += 1
            else:
                with lock:
                    pid = pids[op["receipt"]]
                st, r = cl.call("POST", f"/v1/purchases/{pid}/refunds", op["body"])
                assert st in (200, 201), (st, r)
                with lock:
                    counts["refunds"] += 1
        with lock:
            lat.extend(mine)

    t_start = time.perf_counter()
    busy = 0.0
    for n, (day, ops) in enumerate(days):
        st, _ = admin.call("PUT", "/v1/system/clock", {"now": f"{day}T23:59:59Z"})
        assert st == 200, "the server must run with --settable-clock"
        queues = [[] for _ in range(clients)]
        for i, op in enumerate(ops):
            who = op["cust"] if op["cust"] is not None else i
            queues[who % clients].append(op)
        t0 = time.perf_counter()
        run_threads([(work, (pool[k], q)) for k, q in enumerate(queues) if q], errors)
        busy += time.perf_counter() - t0
        st, r = admin.call("POST", "/v1/loyalty/run-due")
        assert st == 200, r
        if progress:
            progress(n + 1, len(days), counts)
    counts["seconds_posting"] = busy
    counts["seconds_total"] = time.perf_counter() - t_start
    return counts, lat
