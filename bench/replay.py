#!/usr/bin/python3
"""bench/replay.py BUILD_DIR [--days N] [--clients 16] [--no-check]

Replays the UCI Online Retail data set (../shared/data/online_retail) through the HTTP API of a
fresh `kartoteka serve --settable-clock`: every customer enrolled with a complete profile, then
the invoices as receipts and the cancellations as refunds, day by day in time order with the
server's clock on each day's end and the expiry job after it (mapping: bench/online_retail.py).
Prints the totals (receipts, refunds, points earned, spent, expired, outstanding), the receipts'
rate and latency, and checks the totals and every customer's balance against the independent
computation of tests/e2e/retail_model.py (skip with --no-check).

The programme: 5% of the paid amount, hold 14 days, at most 30% of a receipt in points, points
expire 6 months after they become spendable (so that the year sees expiry).
"""
import argparse
import os
import pathlib
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
import online_retail  # noqa: E402

PROGRAM = {"earn": {"percent_bp": 500}, "hold_days": 14, "spend": {"max_percent": 30},
           "expiry_months": 6}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[1])
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--days", type=int, default=None, help="only the first N days of trading")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--keep", metavar="DIR", help="keep the database in DIR (k.db) afterwards")
    a = ap.parse_args()
    t0 = time.perf_counter()
    days, skipped = online_retail.load(days=a.days)
    custs = online_retail.customers(days)
    print(f"loaded {sum(len(o) for _, o in days)} operations over {len(days)} days, "
          f"{len(custs)} customers in {time.perf_counter() - t0:.1f} s; skipped {dict(skipped)}")
    work = tempfile.mkdtemp(prefix="kt-replay-")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    db = os.path.join(work, "k.db")
    out, log = open(os.path.join(work, "out"), "w+"), open(os.path.join(work, "log"), "w+")
    srv = subprocess.Popen([os.path.join(a.build, "kartoteka"), "serve", "--db", db, "--listen",
                            f"127.0.0.1:{port}", "--settable-clock", "--log-level", "warn"],
                           stdout=out, stderr=log)
    try:
        key = None
        for _ in range(400):
            out.seek(0)
            m = re.search(r"kt_[0-9a-z]{12}_[0-9a-z]{32}", out.read())
            if m:
                key = m.group(0)
                break
            time.sleep(0.05)
        assert key, "the server printed no admin key"
        url = f"http://127.0.0.1:{port}"
        admin = online_retail.Client(url, key)
        admin.call("PUT", "/v1/system/clock", {"now": f"{days[0][0]}T00:00:00Z"})
        t0 = time.perf_counter()
        online_retail.setup(url, key, custs, PROGRAM)
        print(f"enrolled {len(custs)} customers in {time.perf_counter() - t0:.1f} s")

        def progress(n, total, counts):
            if n % 25 == 0 or n == total:
                print(f"  day {n}/{total}: {counts['receipts']} receipts, "
                      f"{counts['refunds']} refunds", flush=True)
        counts, lat = online_retail.replay(url, key, days, clients=a.clients, progress=progress)
        _, rep = admin.call("GET", "/v1/reports/loyalty")
        lat.sort()
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
        ops = counts["receipts"] + counts["refunds"]
        print(f"RESULT receipts={counts['receipts']} refunds={counts['refunds']} "
              f"earned={rep['points']['earned']} spent={rep['points']['spent']} "
              f"expired={rep['points']['expired']} "
              f"refund_reversed={rep['points']['refund_reversed']} "
              f"refund_returned={rep['points']['refund_returned']} "
              f"outstanding={rep['points']['outstanding']} "
              f"liability={rep['liability'] / 100:.0f} roubles")
        print(f"RESULT clients={a.clients} requests_per_s={ops / counts['seconds_posting']:.0f} "
              f"receipt_p50_ms={p(0.50):.2f} receipt_p99_ms={p(0.99):.2f} "
              f"posting_s={counts['seconds_posting']:.1f} total_s={counts['seconds_total']:.1f}")
        if a.no_check:
            return 0
        import retail_model
        t0 = time.perf_counter()
        rules = retail_model.Rules(hold_days=14, max_percent=30, expiry_months=6)
        model = retail_model.Model(rules).run(days)
        want = model.report()
        got = retail_model.server_totals(rep)
        wrong = len(retail_model.differing_balances(lambda path: admin.call("GET", path)[1], custs,
                                                    model, days[-1][0], online_retail.phone_of))
        _, rfm = admin.call("GET", "/v1/reports/rfm?items=true")
        rfm_wrong = len(retail_model.rfm_differing(rfm, lambda path: admin.call("GET", path)[1],
                                                   custs, model, days, online_retail.phone_of))
        print(f"RFM: {rfm['customers']} customers, groups {rfm['groups']}; "
              f"differing from the independent computation: {rfm_wrong}")
        ok = got == want and wrong == 0 and rfm_wrong == 0
        print(f"CHECK {'ok' if ok else 'MISMATCH'}: totals {'equal' if got == want else got} "
              f"{'' if got == want else want}; balances differing: {wrong} of {len(custs)} "
              f"({time.perf_counter() - t0:.1f} s)")
        return 0 if ok else 1
    finally:
        srv.terminate()
        srv.wait()
        if a.keep:
            os.makedirs(a.keep, exist_ok=True)
            for f in os.listdir(work):
                if f.startswith("k.db"):
                    os.replace(os.path.join(work, f), os.path.join(a.keep, f))
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    sys.exit(main())
