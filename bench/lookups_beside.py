"""bench/lookups_beside.py URL KEY COUNT SECONDS [RATE] - the tills' lookups beside another load:
GET /v1/customers?phone= of a random one of COUNT loaded customers (load_customers' phones,
+7 916 0000000..), RATE a second (200) on one keep-alive connection, paced (a till asks when a
customer is at the desk, not as fast as the server answers), for SECONDS.

Prints one line: LOOKUPS n=.. p50_ms=.. p99_ms=.. max_ms=.. errors=.. (a reply other than 200).
"""
import http.client
import random
import sys
import time
import urllib.parse


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else 0.0


def main():
    url, key, count, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 200.0
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Authorization": "Bearer " + key}
    took, errors = [], 0
    start = time.monotonic()
    i = 0
    while True:
        due = start + i / rate
        now = time.monotonic()
        if now - start >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        phone = urllib.parse.quote("+7916%07d" % random.randrange(count))
        t0 = time.monotonic()
        try:
            conn.request("GET", "/v1/customers?phone=" + phone, headers=headers)
            r = conn.getresponse()
            r.read()
            errors += r.status != 200
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        took.append((time.monotonic() - t0) * 1000)
        i += 1
    print("LOOKUPS n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d" %
          (len(took), pct(took, 0.5), pct(took, 0.99), max(took, default=0), errors))


if __name__ == "__main__":
    main()
