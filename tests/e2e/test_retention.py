"""Retention of raw data (issue 19, part G): raw behaviour events past --events-days are rolled up
into daily counts and deleted, so every count over events (segments, the events report) is the
same after the job as before it; sent SMS past --messages-days and import reject lines past
--import-rejects-days are deleted; each run that removed something is in the audit log with what,
how many and the cutoff, and no personal data (docs/privacy.md, "Retention of raw data")."""
import time

import pytest

from conftest import BACKEND, phone, src

T0 = "2027-03-01T10:00:00Z"       # the old events, the SMS and the import
T_NEW = "2027-05-20T10:00:00Z"    # 80 days later: the newer events; nothing is past 90 days yet
T_RUN = "2027-06-09T10:00:00Z"    # 100 days after T0, 20 after T_NEW
SECRET_QUERY = "подарок-бабушке-7731"  # a search only the old events carry


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from conftest import Server
    d = tmp_path_factory.mktemp("retention")
    # The server's own scheduler runs the due work too, whenever it likes: with the terms of
    # run_due() below it finds nothing at T_NEW (80 days), so the counts are the CLI run's. With
    # the default 30-day term of import rejects it expired the reject first (seen in CI).
    s = Server(d, ["--settable-clock", "--sms-sink", str(d / "sms.jsonl"), "--events-days", "90",
                   "--messages-days", "90", "--import-rejects-days", "90"])
    assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
    yield s
    s.stop()


def clock(srv, at):
    assert srv.put("/v1/system/clock", {"now": at}).status_code == 200


def event(srv, type_, who, at, **props):
    r = srv.post("/v1/events", {"type": type_, "channel": "web", "customer": who, "at": at,
                                "properties": props})
    assert r.status_code == 201, r.text


def import_with_reject(srv):
    body = "Телефон;ФИО\r\n8 999 555-01-01;Принятова Анна\r\n12-34;Отказов Пётр\r\n".encode()
    r = srv.request("POST", "/v1/imports?store=S-1", data=body,
                    headers={"Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    job = r.json()
    deadline = time.time() + 60
    while job["state"] in ("queued", "running"):
        assert time.time() < deadline
        time.sleep(0.05)
        job = srv.get(job["url"]).json()
    assert job["rejected"] == 1, job
    return job["rejects_url"]


def figures(srv):
    """What the counts over events say: segments with and without a window, and the report."""
    out = {}
    for q in ["events(page_view) >= 4", "events(page_view) >= 5", "events(search, last 200 days)",
              "events(page_view, last 30 days) >= 1", "events(page_view, last 30 days) >= 2"]:
        r = srv.post("/v1/segments/preview", {"query": q, "sample": 10})
        assert r.status_code == 200, r.text
        out[q] = (r.json()["size"], sorted(r.json()["sample"]))
    r = srv.get("/v1/reports/events", params={"since": "2027-01-01T00:00:00Z",
                                               "until": "2027-12-31T00:00:00Z"})
    assert r.status_code == 200, r.text
    out["report"] = r.json()
    return out


def run_due(srv, *flags):
    return srv.cli("run-due", "--now", T_RUN, "--events-days", "90", "--messages-days", "90",
                   "--import-rejects-days", "90", *flags).stdout


def counted(out, words):
    import re
    return int(re.search(r"(\d+) " + words, out).group(1))


def test_raw_data_expires_by_its_term_and_the_counts_stay(srv):
    clock(srv, T0)
    p = phone()
    r = srv.post("/v1/customers", {"source": src("pos"), "profile": {"phone": p}})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    for i in range(3):
        event(srv, "page_view", {"id": cid}, T0, url=f"https://shop.example/{i}")
    event(srv, "search", {"id": cid}, T0, query=SECRET_QUERY)
    event(srv, "page_view", {"cookie": "anon-old"}, T0, url="https://shop.example/a")
    # A message sent at T0 (the development sink marks it sent) and an import's reject line.
    assert srv.post("/v1/pos/otp", {"phone": p}).status_code == 202
    rejects = import_with_reject(srv)

    clock(srv, T_NEW)
    event(srv, "page_view", {"id": cid}, T_NEW, url="https://shop.example/new")
    before = figures(srv)
    assert before["events(page_view) >= 4"][0] == 1
    assert before["report"]["by_type"] == {"page_view": 5, "search": 1}

    out = run_due(srv)
    assert counted(out, r"events? past their term") == 5
    assert counted(out, r"sent messages? past their term") == 1
    assert counted(out, r"import reject rows? expired") == 1

    # The old events are gone, the newer one is kept; the counts over them are unchanged.
    items = srv.get(f"/v1/customers/{cid}/events").json()["items"]
    assert [e["properties"]["url"] for e in items] == ["https://shop.example/new"]
    assert figures(srv) == before
    assert srv.rows("SELECT count(*) FROM events") == [(1,)]
    assert srv.rows("SELECT sum(count) FROM event_days") == [(5,)]
    assert srv.rows("SELECT count(*) FROM outbox WHERE channel = 'sms'") == [(0,)]
    # The outbox's phone, the reject line and the events' properties leave the files too
    # (SQLite's file and WAL; a PostgreSQL twin would read the cluster's files).
    for f in (srv.db, srv.db.with_name(srv.db.name + "-wal")) if BACKEND == "sqlite" else ():
        if f.exists():
            data = f.read_bytes()
            assert SECRET_QUERY.encode() not in data, f.name
            assert "Отказов".encode() not in data, f.name
    r = srv.get(rejects)
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_rejects"

    # Each run is in the audit log: what, the cutoff, how many - and nobody's data.
    entries = srv.get("/v1/audit", params={"action": "expire"}).json()["items"]
    details = sorted(e["detail"] for e in entries)
    assert details == ["events before 2027-03-11T10:00:00.000Z rows=5",
                       "import_rejects before 2027-03-11T10:00:00.000Z rows=1",
                       "messages before 2027-03-11T10:00:00.000Z rows=1"]
    assert all(e["customer_id"] is None and e["key_id"] is None for e in entries)
    assert p not in str(entries) and p[2:] not in str(entries)

    # A second run finds nothing and writes nothing.
    out = run_due(srv)
    assert counted(out, r"events? past their term") == 0
    assert len(srv.get("/v1/audit", params={"action": "expire"}).json()["items"]) == 3


def test_a_merge_takes_the_daily_counts_along(srv):
    clock(srv, T_NEW)
    a = srv.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}})
    b = srv.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}})
    a, b = a.json()["customer"]["id"], b.json()["customer"]["id"]
    for who in (a, b):
        event(srv, "cart_add", {"id": who}, T_NEW, sku="M-1", quantity=1, price=100)
    clock(srv, "2027-09-01T10:00:00Z")  # the runner may expire them itself: either way
    srv.cli("run-due", "--now", "2027-09-01T10:00:00Z", "--events-days", "30")
    r = srv.post(f"/v1/customers/{a}/merge", {"from": b})
    assert r.status_code == 200, r.text
    r = srv.post("/v1/segments/preview", {"query": "events(cart_add) >= 2", "sample": 10})
    assert r.json()["size"] == 1 and r.json()["sample"] == [a]


def test_the_terms_are_checked(srv, tmp_path):
    for verb in (["run-due"], ["serve", "--listen", "127.0.0.1:0"]):
        for flag in ("--events-days", "--messages-days"):
            for bad in ("0", "3651", "x"):
                r = srv.cli(*verb, flag, bad, check=False)
                assert r.returncode == 2 and flag in r.stderr, (verb, flag, bad, r.stderr)
    assert "--events-days" in srv.cli("run-due", "--help").stdout
    assert "KARTOTEKA_MESSAGES_DAYS" in srv.cli("serve", "--help").stdout
