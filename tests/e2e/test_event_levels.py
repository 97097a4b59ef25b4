"""The events' two levels (issue 18, part 2; docs/events.md "Speed"): on SQLite the newest
events' message ids and cookies live in the server's memory (level 0) and the scheduler merges
them into their tables (level 1) once there are KARTOTEKA_EVENTS_MERGE_AT of them. Whichever level
holds them, a message id stays a duplicate and a cookie's events become its customer's: after a
merge, after a restart, and when the CLI's import writes beside the server. On PostgreSQL (one
level) the same answers, with nothing merged."""
import json
import time

from conftest import BACKEND, Server, phone, src


def ev(i, cookie=None):
    return {"type": "page_view", "channel": "web", "message_id": f"lv-{i}",
            "customer": {"cookie": cookie or f"lv-other-{i}"},
            "properties": {"url": f"https://shop.example/{i}"}}


def status(s, body):
    r = s.post("/v1/events", body)
    assert r.status_code in (200, 201), r.text
    return r.json()["status"]


def test_ids_and_cookies_survive_merges_restarts_and_a_writer_beside(tmp_path):
    s = Server(tmp_path / "srv", env={"KARTOTEKA_EVENTS_MERGE_AT": "5"})
    try:
        assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
        batch = [ev(i, "lv-cookie" if i % 2 else None) for i in range(12)]
        r = s.post("/v1/events/batch", {"events": batch})
        assert r.status_code == 200, r.text
        assert [x["status"] for x in r.json()["results"]] == ["stored"] * 12
        if BACKEND == "sqlite":  # the scheduler merges within a second or two
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                mark, top = s.rows("SELECT (SELECT merged_seq FROM event_levels), "
                                   "(SELECT max(seq) FROM events)")[0]
                if mark == top:
                    break
                time.sleep(0.2)
            assert mark == top, (mark, top)
            assert s.rows("SELECT count(*) FROM event_ids WHERE h IN (SELECT msg_h FROM events)"
                          ) == [(12,)]
            assert s.rows("SELECT count(*) FROM event_anon") == [(12,)]
        assert status(s, ev(3, "lv-cookie")) == "duplicate"  # level 1
        assert status(s, ev(12, "lv-cookie")) == "stored"  # level 0
        assert status(s, ev(12, "lv-cookie")) == "duplicate"

        # The CLI writes beside the server: each sees the other's ids.
        f = tmp_path / "beside.jsonl"
        f.write_text("\n".join(json.dumps(x) for x in [ev(20, "lv-cookie"), ev(12)]) + "\n")
        r = s.cli("events", "import", str(f))
        assert "1 stored, 1 duplicates, 0 refused" in r.stdout, r.stdout + r.stderr
        assert status(s, ev(20, "lv-cookie")) == "duplicate"

        # A restart reads level 0 back from the table.
        s.stop()
        s.start()
        assert status(s, ev(12, "lv-cookie")) == "duplicate"
        assert status(s, ev(20, "lv-cookie")) == "duplicate"
        assert status(s, ev(5, "lv-cookie")) == "duplicate"

        # The cookie meets its customer: its events of both levels and of the CLI become hers.
        cid = s.post("/v1/customers", {"source": src("web"), "profile": {"phone": phone()},
                                       "identifiers": {"cookie": "lv-cookie"}}
                     ).json()["customer"]["id"]
        items = s.get(f"/v1/customers/{cid}/events?limit=100").json()["items"]
        assert sorted(int(e["properties"]["url"].rsplit("/", 1)[1]) for e in items) == \
            [1, 3, 5, 7, 9, 11, 12, 20]
        if BACKEND == "sqlite":  # adopted: their keys are gone from level 1
            assert s.rows("SELECT count(*) FROM event_anon a JOIN events e USING (seq) "
                          "WHERE e.ck IS NOT NULL") == [(0,)]
    finally:
        s.stop()
