"""A collect key is public (it sits in a web page), so none of its answers may tell whether a
person is a customer (issue 11, item 9): an event naming a customer and one naming nobody get
the same answer, single and in a batch, by phone, e-mail, card or customer id; the event naming
nobody is kept without its identifier (anonymous under its cookie, or with no subject) and
counted; the customer upsert does not tell an erased person's phone either. Keys that may read
customers (pos, admin) keep the precise answers."""
import json
import re
import uuid

import pytest
import requests

from conftest import BACKEND, phone, src


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from conftest import Server
    s = Server(tmp_path_factory.mktemp("collect"))
    assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
    s.collect = s.new_key("collect")
    s.pos = s.new_key("pos")
    yield s
    s.stop()


_n = [0]


def person(srv):
    """A customer with a phone, an e-mail and a card, and the same kinds of values nobody has."""
    _n[0] += 1
    tag = uuid.uuid4().hex[:8]
    card = f"77{_n[0]:06d}{tag[:4].encode().hex()[:6]}"
    known = {"phone": phone(), "email": f"known-{tag}@example.ru", "card": card}
    r = srv.post("/v1/customers", {"source": src("pos"),
                                   "profile": {"phone": known["phone"], "email": known["email"]},
                                   "identifiers": {"card": known["card"]}})
    assert r.status_code == 201, r.text
    known["id"] = r.json()["customer"]["id"]
    nobody = {"phone": phone(), "email": f"nobody-{tag}@example.ru",
              "card": "78" + card[2:], "id": "c_" + uuid.uuid4().hex[:22]}
    return known, nobody


def ev(who, **kw):
    return dict({"type": "search", "channel": "web", "customer": who,
                 "properties": {"query": "коляска"}}, **kw)


def answer(r):
    """What a caller sees, less what differs between any two requests: the request id (header
    and body) and the date."""
    headers = {k.lower(): v for k, v in r.headers.items()
               if k.lower() not in ("date", "x-request-id")}
    body = re.sub(rb'"request_id":\s*"[^"]*"', b'"request_id":""', r.content)
    return r.status_code, headers, body


def post_collect(srv, path, body):
    return srv.post(path, body, key=srv.collect)


def unmatched_total(srv):
    text = requests.get(f"{srv.url}/metrics").text
    m = re.search(r"^kartoteka_events_unmatched_total (\d+)$", text, re.M)
    assert m, "the metric is missing"
    return int(m.group(1))


@pytest.mark.parametrize("kind", ["phone", "email", "card", "id"])
def test_one_event_gets_the_same_answer_for_a_customer_and_for_anyone(srv, kind):
    known, nobody = person(srv)
    for extra in ({}, {"cookie": "ck-" + uuid.uuid4().hex}):
        a = post_collect(srv, "/v1/events", ev({kind: known[kind], **extra}))
        b = post_collect(srv, "/v1/events", ev({kind: nobody[kind], **extra}))
        assert answer(a) == answer(b), (a.text, b.text)
        assert a.status_code == 201 and a.json() == {"status": "stored"}
    # A retry with the same message id is a duplicate in both cases.
    mid_a, mid_b = uuid.uuid4().hex, uuid.uuid4().hex
    for _ in range(2):
        a = post_collect(srv, "/v1/events", ev({kind: known[kind]}, message_id=mid_a))
        b = post_collect(srv, "/v1/events", ev({kind: nobody[kind]}, message_id=mid_b))
        assert answer(a) == answer(b), (a.text, b.text)
    assert a.json() == {"status": "duplicate"}


def test_a_batch_gets_the_same_answer_for_customers_and_for_anyone(srv):
    known, nobody = person(srv)
    kinds = ["phone", "email", "card", "id"]
    a = post_collect(srv, "/v1/events/batch",
                     {"events": [ev({k: known[k]}) for k in kinds] +
                      [ev({"phone": known["phone"], "cookie": "b-" + uuid.uuid4().hex})]})
    b = post_collect(srv, "/v1/events/batch",
                     {"events": [ev({k: nobody[k]}) for k in kinds] +
                      [ev({"phone": nobody["phone"], "cookie": "b-" + uuid.uuid4().hex})]})
    assert answer(a) == answer(b), (a.text, b.text)
    assert a.json()["stored"] == 5 and a.json()["refused"] == 0
    # Mixed in one batch, each item answers the same too.
    c = post_collect(srv, "/v1/events/batch",
                     {"events": [ev({"phone": known["phone"]}), ev({"phone": nobody["phone"]})]})
    assert [x["status"] for x in c.json()["results"]] == ["stored", "stored"], c.text


def test_the_beacon_path_answers_the_same(srv):
    known, nobody = person(srv)
    out = []
    for who in (known, nobody):
        body = '{"events": [{"type": "page_view", "channel": "web", "customer": {"phone": "%s",' \
               ' "cookie": "%s"}, "properties": {"url": "/"}}]}' % (who["phone"], uuid.uuid4().hex)
        out.append(requests.post(f"{srv.url}/v1/events/batch?key={srv.collect}", data=body,
                                 headers={"Content-Type": "text/plain;charset=UTF-8"}))
    assert answer(out[0]) == answer(out[1]), (out[0].text, out[1].text)
    assert out[0].json()["stored"] == 1


def test_what_is_kept_of_an_event_naming_nobody(srv):
    known, nobody = person(srv)
    cookie = "kept-" + uuid.uuid4().hex
    before = unmatched_total(srv)
    for k in ("phone", "email", "card", "id"):
        assert post_collect(srv, "/v1/events", ev({k: known[k]}, properties={"query": "k-" + k})
                            ).status_code == 201
        assert post_collect(srv, "/v1/events", ev({k: nobody[k]}, properties={"query": "n-" + k})
                            ).status_code == 201
    assert post_collect(srv, "/v1/events", ev({"phone": nobody["phone"], "cookie": cookie},
                                              properties={"query": "n-cookie"})).status_code == 201
    assert unmatched_total(srv) - before == 5
    # The customer's events are the customer's.
    items = srv.get(f"/v1/customers/{known['id']}/events").json()["items"]
    assert sorted(e["properties"]["query"] for e in items) == ["k-card", "k-email", "k-id",
                                                               "k-phone"]
    rows = [(json.loads(props or "{}").get("query"), *rest) for props, *rest in srv.rows(
        "SELECT props, ck, anon_kind, anon_id FROM events "
        "WHERE seq > (SELECT max(seq) - 20 FROM events) ORDER BY seq")]
    rows = [r for r in rows if (r[0] or "").startswith("n-")]
    # The others are kept with no subject, or anonymous under their cookie; the identifier is
    # not kept in any form.
    assert rows == [("n-phone", None, None, None), ("n-email", None, None, None),
                    ("n-card", None, None, None), ("n-id", None, None, None),
                    ("n-cookie", None, "cookie", cookie)]
    digits = nobody["phone"].lstrip("+").encode()
    # SQLite only: the bytes of its file and WAL (a PostgreSQL twin would read the cluster's files)
    for f in (srv.db, srv.db.with_name(srv.db.name + "-wal")) if BACKEND == "sqlite" else ():
        if f.exists():
            data = f.read_bytes()
            for needle in (digits, nobody["email"].encode(), nobody["card"].encode()):
                assert needle not in data, (f.name, needle)
    # The cookie's events become the customer's when the browser signs up, as any anonymous
    # event; the phone sent before is not what links them.
    r = srv.post("/v1/customers", {"source": src("web"), "profile": {"phone": nobody["phone"]},
                                   "identifiers": {"cookie": cookie}}, key=srv.pos)
    assert r.status_code == 201, r.text
    items = srv.get(f"/v1/customers/{r.json()['customer']['id']}/events").json()["items"]
    assert [e["properties"]["query"] for e in items] == ["n-cookie"]


@pytest.mark.parametrize("key", ["pos", "admin"])
def test_keys_that_read_customers_keep_the_precise_answer(srv, key):
    k = srv.pos if key == "pos" else srv.admin_key
    known, nobody = person(srv)
    for kind in ("phone", "id"):
        r = srv.post("/v1/events", ev({kind: nobody[kind]}), key=k)
        assert r.status_code == 422, r.text
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == \
            ("customer_not_found", f"customer.{kind}")
        assert srv.post("/v1/events", ev({kind: known[kind]}), key=k).status_code == 201
    r = srv.post("/v1/events/batch", {"events": [ev({"phone": known["phone"]}),
                                                 ev({"phone": nobody["phone"]})]}, key=k)
    out = r.json()
    assert (out["stored"], out["refused"]) == (1, 1), r.text
    assert out["results"][1]["error"]["code"] == "customer_not_found"
    assert out["results"][1]["error"]["field"] == "events[1].customer.phone"


def test_an_upsert_does_not_tell_an_erased_persons_phone(srv):
    gone, fresh = phone(), phone()
    r = srv.post("/v1/customers", {"source": src("pos"), "profile": {"phone": gone}})
    cid = r.json()["customer"]["id"]
    assert srv.post(f"/v1/customers/{cid}/erase", {}).status_code == 200
    body = {"source": src("web")}
    a = post_collect(srv, "/v1/customers", dict(body, profile={"phone": gone}))
    b = post_collect(srv, "/v1/customers", dict(body, profile={"phone": fresh}))
    assert answer(a) == answer(b), (a.text, b.text)
    assert a.status_code == 202 and a.json() == {"accepted": True, "warnings": []}
    # The refusal stands and is counted; only the new person was stored.
    assert srv.get(f"/v1/customers?phone={gone}").json()["items"] == []
    assert len(srv.get(f"/v1/customers?phone={fresh}").json()["items"]) == 1
    assert srv.rows("SELECT sum(hits) FROM suppression") == [(1,)]
    # A key that may read customers is told why.
    r = srv.post("/v1/customers", dict(body, profile={"phone": gone}), key=srv.pos)
    assert r.status_code == 422 and r.json()["error"]["code"] == "suppressed"
