"""`kartoteka store copy` (issue 16, part 8): an SQLite installation copied whole into a fresh
PostgreSQL database - customers with sealed profiles, receipts, points, consents with their
evidence, events, a merge, an erasure, the log of reads - then served from PostgreSQL with the
same keys: the same answers, the same lookups by phone (the blind indexes came along), the erased
customer still unreadable, the audit log's chains intact. A copy killed half-way is continued by
the next run and verified at its end."""
import os
import signal
import subprocess
import time

import pytest

from conftest import BACKEND, BIN, Server, audit_entries, pg_cluster, phone, src

pytestmark = pytest.mark.skipif(
    BACKEND == "postgres", reason="copies an SQLite installation: runs on the SQLite pass")

MILK = {"sku": "M-1", "name": "Молоко", "category": "Молочное", "quantity": 2, "price": 8990,
        "amount": 17980}


NAMES = ["Анна", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Жанна", "Зоя"]


def fill(s):
    """A small installation: its customers, and the answers to compare after the copy."""
    assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
    r = s.put("/v1/consent-documents/pd", {"purpose": "pd_processing", "title": "ПДн",
                                           "body": "Согласие на обработку ПДн."})
    assert r.status_code == 201, r.text
    assert s.put("/v1/loyalty/program", {"earn": {"percent_bp": 1000}, "hold_days": 0}
                 ).status_code == 200
    people = []
    for i in range(8):
        p = phone()
        body = {"source": src("web" if i % 2 else "pos"),
                "profile": {"phone": p, "email": f"person{i}@example.org",
                            "last_name": "Иванова" if i % 2 else "Петров",
                            "first_name": NAMES[i], "address": f"ул. Тестовая, д. {i}"}}
        if i % 2:
            body["consents"] = [{"purpose": "pd_processing", "document": "pd", "granted": True,
                                 "evidence": {"form_id": "f-join", "ip": "198.51.100.7",
                                              "user_agent": "KartotekaTestAgent"}}]
        r = s.post("/v1/customers", body, headers={"Idempotency-Key": f"copy-{i}"})
        assert r.status_code == 201, r.text
        people.append((r.json()["customer"]["id"], p))
    for i, (cid, p) in enumerate(people):
        r = s.post("/v1/purchases", {"store": "S-1", "receipt": f"R-{i}", "lines": [MILK],
                                     "customer": {"phone": p}})
        assert r.status_code == 201, r.text
        r = s.post(f"/v1/customers/{cid}/points/adjustments", {"points": 10 * i + 5,
                                                               "reason": "тест"})
        assert r.status_code in (200, 201), r.text
        r = s.post("/v1/events", {"type": "search", "channel": "web", "customer": {"id": cid},
                                  "properties": {"query": f"молоко {i}"}})
        assert r.status_code == 201, r.text
    # A browser's anonymous events, their message ids and cookie in SQLite's level 0 alone until
    # the copy merges them (docs/events.md, "Speed"): still known on PostgreSQL after.
    for i in range(2):
        r = s.post("/v1/events", {"type": "page_view", "channel": "web", "message_id": f"copy-m{i}",
                                  "customer": {"cookie": "copy-cookie-1"},
                                  "properties": {"url": f"https://shop.example/{i}"}})
        assert r.status_code == 201, r.text
    # The older merged into the newer: a row that references a later one of its own table.
    r = s.post(f"/v1/customers/{people[7][0]}/merge", {"from": people[0][0]})
    assert r.status_code == 200, r.text
    erased = people[1]
    r = s.post(f"/v1/customers/{erased[0]}/erase", {"reason": "request"})
    assert r.status_code == 200, r.text
    kept = people[2:]
    assert audit_entries(s)  # reads logged and flushed
    return kept, erased


def answers(s, kept, erased):
    """What the server says about each customer, and who a lookup by phone finds."""
    out = {}
    for cid, p in kept:
        for part in ("", "/points", "/purchases", "/consents", "/points/history"):
            r = s.get(f"/v1/customers/{cid}{part}")
            out[cid + part] = (r.status_code, r.json())
        r = s.get("/v1/customers", params={"phone": p})
        out["phone " + cid] = [c["id"] for c in r.json()["items"]]
    r = s.get(f"/v1/customers/{erased[0]}")
    assert erased[1] not in r.text and "person1@" not in r.text  # unreadable, on either side
    out["erased"] = (r.status_code, r.json())
    r = s.get("/v1/customers", params={"phone": erased[1]})
    out["erased phone"] = (r.status_code, r.json())
    return out


def copy(db, url, *args, **kw):
    return subprocess.Popen([BIN, "store", "copy", "--from", str(db), "--to", url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_copy_serves_the_same_answers_from_postgresql(tmp_path):
    s = Server(tmp_path / "sqlite")
    kept, erased = fill(s)
    before = answers(s, kept, erased)
    s.stop()

    pg = pg_cluster()
    name = f"kt_copy_{os.getpid()}"
    pg.createdb(name)
    url = pg.url(name)
    # Killed in the middle of the key store (thousands of keys made ahead, one per batch).
    p = copy(s.db, url, "--batch", "1")
    line = ""
    while "store copy:" not in line:  # past the log lines of the target's first open
        line = p.stderr.readline()
        assert line, "the copy ended before it began"
    assert "keys.ks_meta" in line, line
    time.sleep(0.5)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    started = pg.psql(name + "_keys", "SELECT tbl, rows FROM copy_progress ORDER BY tbl")
    assert "keys.data_keys|" in started, started
    assert int(started.split("keys.data_keys|")[1].split()[0]) > 0

    # Run again, it goes on from the resume points and verifies every table.
    t0 = time.monotonic()
    p = copy(s.db, url, "--batch", "500")
    out, err = p.communicate(timeout=600)
    secs = time.monotonic() - t0
    assert p.returncode == 0, err[-3000:]
    assert "tables verified" in out and "reads.reads" in err and "customers" in err, out + err
    print(f"\ncopy: {out.strip()} ({secs:.1f} s wall)")
    assert pg.psql(name, "SELECT count(*) FROM pg_tables WHERE tablename = 'copy_progress'") == "0"
    # A second run into the copy: every table holds rows the copy has not started.
    p = copy(s.db, url)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 1, out + err
    assert "holds data already" in err, err

    keys = {"KARTOTEKA_MASTER_KEY_FILE": str(s.db) + ".master",
            "KARTOTEKA_SECRET_FILE": str(s.db) + ".secret"}
    r = subprocess.run([BIN, "audit", "verify", "--db", url], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ, **keys))
    assert r.returncode == 0, r.stdout + r.stderr

    srv = Server.__new__(Server)  # the copy, served from PostgreSQL with the same keys
    srv.dir, srv.db, srv.args = tmp_path / "pg", url, []
    srv.dir.mkdir()
    srv.env = dict(s.env, **keys, KARTOTEKA_IMPORTS_DIR=str(srv.dir / "imports"))
    srv.admin_key = s.admin_key
    srv.start()
    try:
        after = answers(srv, kept, erased)
        assert after == before
        # New rows after the copy take numbers past the copied ones.
        r = srv.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}})
        assert r.status_code == 201, r.text
        r = srv.post(f"/v1/customers/{kept[0][0]}/points/adjustments",
                     {"points": 7, "reason": "после переноса"})
        assert r.status_code in (200, 201), r.text
        # The browser's message ids are still known, and its events become the customer's.
        r = srv.post("/v1/events", {"type": "page_view", "channel": "web", "message_id": "copy-m1",
                                    "customer": {"cookie": "copy-cookie-1"},
                                    "properties": {"url": "https://shop.example/1"}})
        assert (r.status_code, r.json()["status"]) == (200, "duplicate"), r.text
        r = srv.post("/v1/events", {"type": "search", "channel": "web",
                                    "customer": {"id": kept[0][0], "cookie": "copy-cookie-1"},
                                    "properties": {"query": "молоко"}})
        assert r.status_code == 201, r.text
        r = srv.get(f"/v1/customers/{kept[0][0]}/events")
        assert [e["type"] for e in r.json()["items"]].count("page_view") == 2, r.text
    finally:
        srv.stop()
