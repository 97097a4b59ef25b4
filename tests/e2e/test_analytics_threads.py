"""A long analytic request never holds a worker that serves the tills (issue 11, item 1).

libmicrohttpd's workers each own many keep-alive connections; a segment preview that ran on one
held every other connection of that worker for its whole length. Routes marked long run on the
analytic threads instead. With one worker (--threads 1) the difference is plain: lookups on
other connections are answered while a preview of a few hundred thousand receipts runs."""
import shutil
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from conftest import BIN, Server, sqlite_only

# Both tests stand on a database seeded straight into the SQLite file and copied with its .keys,
# .master and .secret siblings; the PostgreSQL twin would seed through psycopg2 and copy the
# database and its _keys with `createdb -T`.
pytestmark = sqlite_only("seeds the SQLite file directly and copies it with its side files")

CUSTOMERS = 2000
RECEIPTS = 600000


def seeded_db(path):
    """A base with CUSTOMERS customers and RECEIPTS receipts of this year, written straight into a
    migrated database (the API would take minutes under the sanitizers)."""
    subprocess.run([BIN, "migrate", "--db", str(path)], check=True, capture_output=True)
    now = int(time.time() * 1000)
    con = sqlite3.connect(path)
    with con:
        con.executemany("INSERT INTO customers (ck, id, created_at, updated_at) VALUES (?, ?, ?, ?)",
                        ((i, f"c_seed{i:016d}", now, now) for i in range(1, CUSTOMERS + 1)))
        con.executemany(
            "INSERT INTO purchases (id, store_id, receipt, ck, at, total, points_earned, "
            "points_spent, program_version, body_hash, reply, created_at) "
            "VALUES (?, 'S-1', ?, ?, ?, 2500, 0, 0, 0, x'00', '{}', ?)",
            ((f"p_seed{i:016d}", str(i), i % CUSTOMERS + 1, now - (i % 300) * 86400000, now)
             for i in range(RECEIPTS)))
    con.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("seed") / "k.db"
    seeded_db(path)
    return path


def copy_of(seeded, d):
    """The database with its keys: the key store, the master key and the secret beside it."""
    d.mkdir()
    shutil.copy(seeded, d / "k.db")
    for ext in (".keys", ".master", ".secret"):
        shutil.copy(str(seeded) + ext, d / ("k.db" + ext))


def test_lookups_go_on_beside_a_long_preview_with_one_worker(seeded, tmp_path):
    d = tmp_path / "one-worker"
    copy_of(seeded, d)
    s = Server(d, args=["--threads", "1", "--analytics-threads", "1"])
    try:
        pos = s.new_key("pos")
        r = s.post("/v1/customers", {"source": {"channel": "pos"},
                                     "profile": {"phone": "+79161230001"}}, key=pos)
        assert r.status_code == 201, r.text
        took = {}

        def preview():
            t0 = time.monotonic()
            q = s.request("POST", "/v1/segments/preview",
                          json={"query": "purchases(last 365 days).sum > 50000", "sample": 0})
            took["s"] = time.monotonic() - t0
            took["status"] = q.status_code

        t = threading.Thread(target=preview)
        t.start()
        time.sleep(0.05)
        lookups = []
        with requests.Session() as till:  # a connection of its own, as a cash desk has
            while t.is_alive():
                t0 = time.monotonic()
                r = till.get(s.url + "/v1/customers", params={"phone": "+79161230001"},
                             headers={"Authorization": f"Bearer {pos}"}, timeout=30)
                lookups.append(time.monotonic() - t0)
                assert r.status_code == 200
        t.join()
        assert took["status"] == 200
        assert took["s"] > 0.15, f"the preview took {took['s']:.3f} s: too short to show anything"
        lookups.sort()
        worst = lookups[-1]
        print(f"preview {took['s']:.3f} s; {len(lookups)} lookups beside it, worst {worst:.3f} s")
        assert len(lookups) >= 5
        # Before: the first lookup waited for the whole preview on the one worker.
        assert worst < min(0.25, took["s"] / 2), lookups[-5:]
    finally:
        s.stop()


def test_a_full_analytic_queue_answers_503_at_once(seeded, tmp_path):
    d = tmp_path / "queue"
    copy_of(seeded, d)
    s = Server(d, args=["--analytics-threads", "1"])
    try:
        auth = {"Authorization": f"Bearer {s.admin_key}"}
        slow = threading.Thread(target=lambda: requests.post(
            s.url + "/v1/segments/preview", headers=auth, timeout=120,
            json={"query": "purchases(last 365 days).sum > 50000", "sample": 0}))
        slow.start()
        time.sleep(0.1)  # the one analytic thread is busy; what comes now waits in the queue
        codes = []
        lock = threading.Lock()

        def report():
            r = requests.get(s.url + "/v1/reports/events", headers=auth, timeout=120)
            with lock:
                codes.append((r.status_code, r.headers.get("Retry-After"),
                              r.json().get("error", {}).get("code")))

        threads = [threading.Thread(target=report) for _ in range(80)]  # the queue holds 64
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        slow.join()
        busy = [c for c in codes if c[0] == 503]
        assert busy, codes
        assert all(c[2] == "analytics_busy" and int(c[1]) > 0 for c in busy), busy
        assert all(c[0] in (200, 503) for c in codes), codes
        assert sum(c[0] == 200 for c in codes) >= 64
    finally:
        s.stop()
