"""One API vocabulary (docs/api.md, "Glossary"; docs/house.md, part 5): every list pages by
?limit=&cursor= and answers next_cursor, an opaque string that is refused anywhere but where it
was given."""
import re

import pytest

import openapi_shape
from conftest import phone, src


def error(r, status, code):
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text
    return r.json()["error"]


@pytest.fixture(scope="module")
def people(server, pending_policy):
    """Five customers, each with three events and three receipts."""
    ids = []
    for i in range(5):
        p = phone()
        r = server.post("/v1/customers", {"source": src("web"),
                                          "profile": {"phone": p, "email": f"v{i}{p[-5:]}@example.ru"}})
        assert r.status_code == 201, r.text
        cid = r.json()["customer"]["id"]
        ids.append(cid)
        for j in range(3):
            assert server.post("/v1/events", {"type": "page_view", "channel": "web",
                                              "customer": {"id": cid},
                                              "properties": {"url": f"/{j}"}}).status_code == 201
            r = server.post("/v1/purchases", {
                "store": "S", "receipt": f"V-{i}-{j}", "customer": {"id": cid},
                "lines": [{"sku": "A", "quantity": 1, "price": 1000, "amount": 1000}]})
            assert r.status_code == 201, r.text
    return ids


def pages(server, path, limit):
    """Every item of a list, page by page, and the cursors it gave."""
    items, cursors, cursor = [], [], None
    while True:
        r = server.get(path, params={"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) >= {"items", "next_cursor"}
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items, cursors
        cursors.append(cursor)


def test_every_list_pages_by_an_opaque_cursor(server, people):
    segment = server.post("/v1/segments", {"name": "vocabulary", "query": "has email"}).json()
    lists = [("/v1/customers", 2), (f"/v1/customers/{people[0]}/history", 1),
             (f"/v1/customers/{people[0]}/events", 2), (f"/v1/customers/{people[0]}/purchases", 2),
             (f"/v1/segments/{segment['id']}/members", 2), ("/v1/audit", 10)]
    for path, limit in lists:
        items, cursors = pages(server, path, limit)
        assert cursors, path
        if "members" in path:
            assert {m["customer_id"] for m in items} >= set(people)
        for c in cursors:
            # base64url, and nothing in it a client could read: no number, no id, no time
            assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", c), c
            assert not re.search(r"c_[0-9a-z]{20}|\d{4}-\d\d-\d\d", c)


def test_a_cursor_is_refused_anywhere_but_where_it_was_given(server, people):
    a, b = people[0], people[1]
    events = server.get(f"/v1/customers/{a}/events?limit=1").json()["next_cursor"]
    altered = events[:10] + ("B" if events[10] == "A" else "A") + events[11:]
    purchases = server.get(f"/v1/customers/{a}/purchases?limit=1").json()["next_cursor"]
    assert server.get(f"/v1/customers/{a}/events?cursor={events}").status_code == 200
    for path in [f"/v1/customers/{b}/events?cursor={events}",  # another customer's list
                 f"/v1/customers/{a}/purchases?cursor={events}",  # another list
                 f"/v1/customers/{a}/events?cursor={purchases}",
                 f"/v1/customers/{a}/events?cursor={events[:-2]}",  # cut
                 f"/v1/customers/{a}/events?cursor={altered}",
                 f"/v1/customers/{a}/events?cursor=12345",  # made up: the old forms
                 f"/v1/customers/{a}/purchases?cursor=2026-01-01T00:00:00Z",
                 "/v1/customers?cursor=c_0000000000000000000a", "/v1/audit?cursor=1.1",
                 "/v1/privacy-requests?cursor=r_0000000000000000000a",
                 "/v1/destruction-acts?cursor=a_0000000000000000000a"]:
        e = error(server.get(path), 400, "bad_cursor")
        assert e["field"] == "cursor", path
    # A cursor belongs to the resource, however the path names it (a segment by id or name).
    seg = server.post("/v1/segments", {"name": "vocabulary-2", "query": "has phone"}).json()
    c = server.get("/v1/segments/vocabulary-2/members?limit=1").json()["next_cursor"]
    assert server.get(f"/v1/segments/{seg['id']}/members?limit=1&cursor={c}").status_code == 200
    # The parameters the lists had before are gone, not silently ignored.
    for path in [f"/v1/customers/{a}/events?before=1", f"/v1/customers/{a}/purchases?before=1"]:
        assert error(server.get(path), 400, "unknown_parameter")["field"] == "before"


def test_receipts_of_one_second_page_without_loss(server, people):
    """A till's clock sends whole seconds: receipts of one time are all listed, once each."""
    cid = people[4]
    for j in range(3):
        r = server.post("/v1/purchases", {
            "store": "S", "receipt": f"SAME-{j}", "at": "2020-06-01T10:00:00Z",
            "customer": {"id": cid},
            "lines": [{"sku": "A", "quantity": 1, "price": 1000, "amount": 1000}]})
        assert r.status_code == 201, r.text
    items, _ = pages(server, f"/v1/customers/{cid}/purchases", 1)
    receipts = [x["receipt"] for x in items]
    assert sorted(receipts) == sorted(set(receipts)) and len(receipts) == 6
    assert {"SAME-0", "SAME-1", "SAME-2"} <= set(receipts)


def test_a_reply_member_the_description_lacks_is_caught():
    """The check conftest applies to every reply (openapi_shape.py) catches what it must."""
    seg = {"id": "s_x", "name": "n", "query": "has phone", "size": 1,
           "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
           "refreshed_at": None}
    assert openapi_shape.reply_undeclared("GET", "/v1/segments/s_x", 200, seg) == []
    assert openapi_shape.reply_undeclared("GET", "/v1/segments/s_x", 200, {**seg, "time": 1}) == [
        "GET /v1/segments/{id} 200: $.time"]
    # nested, and in a list; a map (additionalProperties) takes any key
    page = {"customer_id": "c_x", "next_cursor": None,
            "items": [{"type": "search", "at": "2026-01-01T00:00:00Z", "channel": "web",
                       "received_at": "2026-01-01T00:00:00Z", "properties": {"anything": 1},
                       "time": "2026-01-01T00:00:00Z"}]}
    assert openapi_shape.reply_undeclared("GET", "/v1/customers/c_x/events", 200, page) == [
        "GET /v1/customers/{id}/events 200: $.items[0].time"]
