"""The incident register (issue 19, part G; 152-FZ art. 21 part 3.1): POST /v1/incidents records
what happened, when it was detected, the categories of data suspected, the window and the keys,
addresses and routes involved; the first notice to Roskomnadzor is due 24 hours after detection
and the results of the investigation 72 hours after, shown with what is still due and whether it
is overdue; the subjects affected are counted from the log of reads (docs/privacy.md,
"Incidents")."""
import datetime

import pytest

from conftest import phone, src


def rfc(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def now():
    return datetime.datetime.now(datetime.timezone.utc)


@pytest.fixture(scope="module")
def srv(server, pending_policy):
    return server


def customer(srv):
    r = srv.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"]


def incident(srv, **kw):
    t = now()
    body = dict({"description": "a cash desk's key was seen in a public repository",
                 "detected_at": rfc(t - datetime.timedelta(hours=30)),
                 "categories": ["phone", "first_name", "purchases"],
                 "since": rfc(t - datetime.timedelta(days=2)),
                 "until": rfc(t + datetime.timedelta(minutes=1))}, **kw)
    return srv.post("/v1/incidents", body)


def test_the_deadlines_run_from_detection_and_say_what_is_due(srv):
    detected = now().replace(microsecond=0) - datetime.timedelta(hours=30)
    r = incident(srv, detected_at=rfc(detected))
    assert r.status_code == 201, r.text
    x = r.json()
    assert x["notice_due_at"] == rfc(detected + datetime.timedelta(hours=24))
    assert x["results_due_at"] == rfc(detected + datetime.timedelta(hours=72))
    # 30 hours after detection: the first notice is late, the results are not yet.
    assert x["due"] == ["notice", "results"] and x["overdue"] is True
    assert x["state"] == "open" and x["notified_at"] is None
    listed = [i["id"] for i in srv.get("/v1/incidents?overdue=true").json()["items"]]
    assert x["id"] in listed

    r = srv.patch(f"/v1/incidents/{x['id']}", {"notified_at": rfc(detected +
                                                                 datetime.timedelta(hours=20))})
    assert r.status_code == 200, r.text
    assert r.json()["due"] == ["results"] and r.json()["overdue"] is False
    assert x["id"] not in [i["id"] for i in srv.get("/v1/incidents?overdue=true").json()["items"]]
    assert x["id"] in [i["id"] for i in srv.get("/v1/incidents").json()["items"]]

    r = srv.patch(f"/v1/incidents/{x['id']}", {"reported_at": rfc(now()),
                                               "findings": "the key was revoked; no reads by it",
                                               "state": "closed"})
    assert r.status_code == 200 and r.json()["due"] == [] and r.json()["state"] == "closed"
    got = srv.get(f"/v1/incidents/{x['id']}").json()
    assert got["findings"] == "the key was revoked; no reads by it"
    assert got["notice_due_at"] == x["notice_due_at"]
    # Each change is in the audit log.
    entries = srv.get("/v1/audit", params={"action": "incident"}).json()["items"]
    details = [e["detail"] for e in entries]
    assert f"create {x['id']}" in details and details.count(f"update {x['id']}") == 2

    # Detected just now: nothing is overdue yet.
    r = incident(srv, detected_at=rfc(now()))
    assert r.json()["due"] == ["notice", "results"] and r.json()["overdue"] is False


def test_the_subjects_are_the_customers_the_keys_read_in_the_window(srv):
    since = now() - datetime.timedelta(seconds=1)
    a, b, c = customer(srv), customer(srv), customer(srv)
    leaked, other = srv.new_key("pos"), srv.new_key("pos")
    for cid in (a, b, a):
        assert srv.get(f"/v1/customers/{cid}", key=leaked).status_code == 200
    assert srv.get(f"/v1/customers/{a}/purchases", key=leaked).status_code == 200
    assert srv.get("/v1/customers?phone=%2B79990000001", key=leaked).status_code == 200  # nobody
    assert srv.get(f"/v1/customers/{c}", key=other).status_code == 200
    until = now() + datetime.timedelta(minutes=1)
    # The leaked key's id as the audit log names it.
    key_id = leaked.split("_")[1]

    # What the audit log says the key read in the window.
    entries = srv.get("/v1/audit", params={"key_id": key_id, "since": rfc(since),
                                           "until": rfc(until), "limit": 500}).json()["items"]
    read = {e["customer_id"] for e in entries if e["log"] == "reads" and e["customer_id"]}
    assert read == {a, b}

    x = incident(srv, key_ids=[key_id], since=rfc(since), until=rfc(until)).json()
    assert x["subjects"]["count"] == len(read) == 2
    assert x["subjects"]["bulk_reads"] == 1  # the lookup that found nobody
    assert "log of reads" in x["subjects"]["method"]
    # Both keys, or by the address: every customer read.
    both = incident(srv, key_ids=[key_id, other.split("_")[1]], since=rfc(since),
                    until=rfc(until)).json()
    assert both["subjects"]["count"] == 3
    assert incident(srv, ips=["127.0.0.1"], since=rfc(since),
                    until=rfc(until)).json()["subjects"]["count"] >= 3
    assert incident(srv, ips=["10.9.9.9"], since=rfc(since),
                    until=rfc(until)).json()["subjects"]["count"] == 0
    # One route: only what was read through it.
    r = incident(srv, key_ids=[key_id], routes=["/v1/customers/{id}/purchases"], since=rfc(since),
                 until=rfc(until))
    assert r.json()["subjects"]["count"] == 1
    # A window that ends before the reads counts none; changing it counts again.
    r = incident(srv, key_ids=[key_id], since=rfc(since - datetime.timedelta(hours=1)),
                 until=rfc(since))
    assert r.json()["subjects"]["count"] == 0
    r = srv.patch(f"/v1/incidents/{r.json()['id']}", {"until": rfc(until)})
    assert r.status_code == 200 and r.json()["subjects"]["count"] == 2


def test_bad_input_is_refused_with_its_field(srv):
    future = rfc(now() + datetime.timedelta(hours=2))
    for kw, code, field in [
        ({"description": None}, "missing_field", "description"),
        ({"categories": []}, "invalid_value", "categories"),
        ({"categories": ["password"]}, "invalid_value", "categories[0]"),
        ({"detected_at": future}, "invalid_time", "detected_at"),
        ({"detected_at": "yesterday"}, "invalid_time", "detected_at"),
        ({"since": rfc(now()), "until": rfc(now() - datetime.timedelta(days=1))},
         "invalid_value", "until"),
        ({"ips": ["999.1.1.1"]}, "invalid_ip", "ips[0]"),
        ({"key_ids": ["kt x"]}, "invalid_value", "key_ids[0]"),
        ({"routes": ["customers"]}, "invalid_value", "routes[0]"),
        ({"key_ids": "k1"}, "wrong_type", "key_ids"),
        ({"leaked_by": "x"}, "unknown_field", "leaked_by"),
        ({"description": "x" * 4001}, "too_long", "description"),
    ]:
        body = {k: v for k, v in kw.items() if v is not None}
        r = incident(srv, **body) if kw.get("description", 1) is not None else \
            srv.post("/v1/incidents", {"detected_at": rfc(now()), "categories": ["phone"],
                                       "since": rfc(now()), "until": rfc(now())})
        assert r.status_code == 422, (kw, r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), kw
    x = incident(srv).json()
    for body, code, field in [
        ({"state": "closed"}, "missing_field", "findings"),
        ({"notified_at": "2001-01-01T00:00:00Z"}, "invalid_value", "notified_at"),
        ({"state": "gone"}, "invalid_value", "state"),
        ({"detected_at": rfc(now())}, "unknown_field", "detected_at"),
    ]:
        r = srv.patch(f"/v1/incidents/{x['id']}", body)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, (body, r.text)
        assert r.json()["error"]["field"] == field
    for path in ("/v1/incidents/n_00000000000000000000", "/v1/incidents/nope"):
        r = srv.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "incident_not_found"
    r = srv.patch("/v1/incidents/n_00000000000000000000", {"measures": "x"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "incident_not_found"
    assert srv.get("/v1/incidents?overdue=maybe").json()["error"]["code"] == "bad_parameter"
    assert srv.get("/v1/incidents", key=srv.new_key("pos")).status_code == 403
    r = srv.post("/v1/incidents", {}, key=srv.new_key("pos"))
    assert r.status_code == 403
