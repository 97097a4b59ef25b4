"""bench/otp_latency.py BINARY [N] - how long a cashier's customer waits for a one-time code:
the time from the POST /v1/pos/otp of the code request to the SMS gateway's receiving it, for
N codes (25: under the default 30 codes per key per minute), one at a time, against a local
gateway (tests/e2e/peers.py's Receiver) on loopback. The reference in the same run: the same
gateway posted to directly from this script (the floor any sender pays: one HTTP round trip).

    /usr/bin/python3 bench/otp_latency.py build/release/kartoteka 25

Prints one RESULT line: the median and the 90th percentile of both, in milliseconds.
"""
import os
import pathlib
import statistics
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "e2e"))
os.environ["KARTOTEKA_BIN"] = os.path.abspath(sys.argv[1])

import requests  # noqa: E402

import conftest  # noqa: E402
from peers import Receiver  # noqa: E402


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def main():
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    gw = Receiver.start(path="/sms")
    srv = conftest.Server(tempfile.mkdtemp(prefix="kt-otp-"),
                          ["--sms-url", gw.url, "--enrol-per-key", "1000", "--enrol-per-store",
                           "1000"])
    try:
        phones = []
        for _ in range(n):
            p = conftest.phone()
            r = srv.post("/v1/pos/enroll", {"phone": p, "send_code": False})
            assert r.status_code == 201, r.text
            phones.append(p)
        time.sleep(1.5)  # nothing queued; the sender is idle, as at a quiet till
        kt = []
        for p in phones:
            before = len(gw.got)
            t0 = time.monotonic()
            r = srv.post("/v1/pos/otp", {"phone": p})
            assert r.status_code == 202, r.text
            gw.wait(before + 1)
            kt.append((gw.got[before]["at"] - t0) * 1000)
            time.sleep(0.2)
        ref = []
        s = requests.Session()
        for p in phones:
            before = len(gw.got)
            t0 = time.monotonic()
            s.post(gw.url, json={"to": p, "text": "Код 000000", "id": "ref"}, timeout=10)
            ref.append((gw.got[before]["at"] - t0) * 1000)
        print(f"RESULT codes={n} kartoteka_median_ms={statistics.median(kt):.1f} "
              f"kartoteka_p90_ms={pct(kt, 0.9):.1f} kartoteka_max_ms={max(kt):.1f} "
              f"direct_median_ms={statistics.median(ref):.1f} direct_p90_ms={pct(ref, 0.9):.1f}")
    finally:
        srv.stop()
        gw.stop()


if __name__ == "__main__":
    main()
