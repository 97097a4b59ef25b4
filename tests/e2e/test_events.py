"""Behaviour events (issue 6, part 1): one and in batches, checked per type with a reason for
each refusal, stored once per message id, anonymous events adopted when their cookie meets a
customer, custom types, the browser path (CORS, text/plain, a collect key in the URL, the SDK),
and the REES46 sample loaded with its counts by type."""
import csv
import gzip
import pathlib

import pytest
import requests

from conftest import phone, src

ORIGIN = "https://shop.example"
REES46 = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data" / "rees46" / \
    "events_2019_10_01_sample.csv.gz"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from conftest import Server
    s = Server(tmp_path_factory.mktemp("events"), ["--cors-origins", f"{ORIGIN},https://m.x"])
    assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
    yield s
    s.stop()


def ev(type_, who, **kw):
    return dict({"type": type_, "channel": "web", "customer": who}, **kw)


def test_one_event_is_checked_stored_and_stored_once(srv):
    r = srv.post("/v1/events", ev("page_view", {"cookie": "c-one"}, message_id="m-1",
                                  properties={"url": "https://shop.example/"}))
    assert r.status_code == 201 and r.json() == {"status": "stored"}
    r = srv.post("/v1/events", ev("page_view", {"cookie": "c-one"}, message_id="m-1",
                                  properties={"url": "https://shop.example/"}))
    assert r.status_code == 200 and r.json() == {"status": "duplicate"}
    for body, code, field in [
        (ev("teleport", {"cookie": "x"}), "unknown_type", "type"),
        (ev("page_view", {"cookie": "x"}), "missing_field", "properties.url"),
        (ev("page_view", {"cookie": "x"}, properties={"url": "u", "mood": "good"}),
         "unknown_property", "properties.mood"),
        (ev("review", {"cookie": "x"}, properties={"sku": "A", "rating": 7}), "invalid_value",
         "properties.rating"),
        (ev("review", {"cookie": "x"}, properties={"sku": "A", "rating": "7"}), "wrong_type",
         "properties.rating"),
        (ev("review", {"cookie": "x"}, properties={"sku": "S" * 3000}), "too_long",
         "properties.sku"),
        (ev("cart_add", {"cookie": "x"}, properties={"sku": "A", "quantity": 0, "price": 100}),
         "invalid_value", "properties.quantity"),
        (dict(ev("search", {"cookie": "x"}, properties={"query": "q"}), channel="fax"),
         "invalid_value", "channel"),
        (dict(ev("search", {"cookie": "x"}, properties={"query": "q"}), channel=None),
         "missing_field", "channel"),
        (dict(ev("search", {"cookie": "x"}, properties={"query": "q"}), type=7),
         "wrong_type", "type"),
        (ev("search", {"cookie": "x"}, properties={"query": "q"}, at="2099-01-01T00:00:00Z"),
         "invalid_time", "at"),
        (ev("search", {"cookie": "x"}, properties={"query": "q"}, at="0001-01-01T00:00:00Z"),
         "invalid_time", "at"),
        (ev("search", {"cookie": "x"}, properties={"query": "q"}, at="1999-12-31T23:59:59Z"),
         "invalid_time", "at"),
        (ev("search", {"cookie": "x" * 300}, properties={"query": "q"}), "too_long",
         "customer.cookie"),
        (ev("search", {"phone": phone()}, properties={"query": "q"}), "customer_not_found",
         "customer.phone"),
        (ev("search", {"shoe": "42"}, properties={"query": "q"}), "unknown_identifier",
         "customer.shoe"),
        (ev("search", {}, properties={"query": "q"}), "invalid_value", "customer"),
        (ev("search", "x", properties={"query": "q"}), "wrong_type", "customer"),
        (dict(ev("search", {"cookie": "x"}, properties={"query": "q"}), colour=1),
         "unknown_field", "colour"),
    ]:
        r = srv.post("/v1/events", body)
        assert r.status_code == 422, (body, r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), body


def test_a_batch_stores_the_good_and_says_why_of_the_rest(srv):
    events = [ev("product_view", {"cookie": f"c-b{i}"}, message_id=f"b-{i}",
                 properties={"sku": f"A-{i}"}) for i in range(5)]
    events[2]["properties"] = {}
    events[4] = events[0]
    r = srv.post("/v1/events/batch", {"events": events})
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["stored"], out["duplicates"], out["refused"]) == (3, 1, 1)
    assert [x["status"] for x in out["results"]] == ["stored", "stored", "refused", "stored",
                                                     "duplicate"]
    assert out["results"][2]["error"]["field"] == "events[2].properties.sku"
    for body, code, field in [
        ({"events": []}, "invalid_value", "events"),
        ({"events": [events[0]] * 1001}, "too_many", "events"),
        ({"events": {}}, "wrong_type", "events"),
        ({}, "missing_field", "events"),
        ({"evts": events}, "unknown_field", "evts"),
        ({"events": events, "colour": 1}, "unknown_field", "colour"),
    ]:
        r = srv.post("/v1/events/batch", body)
        assert r.status_code == 422, body
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), body


def test_anonymous_events_become_the_customers_when_the_cookie_meets_them(srv):
    cookie, p = "c-anon-" + phone()[-6:], phone()
    for i in range(3):
        srv.post("/v1/events", ev("product_view", {"cookie": cookie}, properties={"sku": f"S{i}"}))
    cid = srv.post("/v1/customers", {"source": src("web"), "profile": {"phone": p},
                                     "identifiers": {"cookie": cookie}}).json()["customer"]["id"]
    items = srv.get(f"/v1/customers/{cid}/events").json()["items"]
    assert sorted(e["properties"]["sku"] for e in items) == ["S0", "S1", "S2"]
    # An event that carries both a known identifier and a new cookie links them, past included.
    cookie2 = cookie + "-phone"
    srv.post("/v1/events", ev("page_view", {"cookie": cookie2}, properties={"url": "/a"}))
    r = srv.post("/v1/events", ev("sign_up", {"phone": p, "cookie": cookie2}))
    assert r.status_code == 201, r.text
    types = [e["type"] for e in srv.get(f"/v1/customers/{cid}/events").json()["items"]]
    assert types.count("page_view") == 1 and types[0] == "sign_up"
    # After that the cookie alone is the customer's.
    srv.post("/v1/events", ev("search", {"cookie": cookie2}, properties={"query": "коляска"}))
    page = srv.get(f"/v1/customers/{cid}/events?limit=2").json()
    assert page["items"][0]["properties"] == {"query": "коляска"} and page["next_cursor"]
    rest = srv.get(f"/v1/customers/{cid}/events?limit=100&cursor={page['next_cursor']}").json()
    assert len(page["items"]) + len(rest["items"]) == 6
    # A merge takes the events along; an erasure keeps their types and times, not their content.
    other = srv.post("/v1/customers", {"source": src("web"), "profile": {"phone": phone()},
                                       "identifiers": {"cookie": cookie + "-x"}}
                     ).json()["customer"]["id"]
    srv.post("/v1/events", ev("search", {"id": other}, properties={"query": "q"}))
    assert srv.post(f"/v1/customers/{cid}/merge", {"from": other}).status_code == 200
    assert len(srv.get(f"/v1/customers/{cid}/events?limit=100").json()["items"]) == 7
    assert srv.post(f"/v1/customers/{cid}/erase", {}).status_code == 200
    rows = srv.rows("SELECT count(*), count(props), count(anon_id) FROM events e JOIN "
                    "customers c USING (ck) WHERE c.id = ?", (cid,))
    assert rows == [(7, 0, 0)]


def test_custom_types_are_declared_with_their_properties(srv):
    r = srv.put("/v1/event-types/subscription_paid", {
        "properties": {"plan": "string", "amount": "integer", "trial": "boolean"},
        "required": ["plan"]})
    assert r.status_code == 201, r.text  # declared anew
    r = srv.put("/v1/event-types/subscription_paid", {
        "properties": {"plan": "string", "amount": "integer", "trial": "boolean"},
        "required": ["plan"]})
    assert r.status_code == 200, r.text  # declared again
    names = [t["name"] for t in srv.get("/v1/event-types").json()["items"]]
    assert "page_view" in names and "subscription_paid" in names
    ok = ev("subscription_paid", {"cookie": "c-sub"}, properties={"plan": "gold", "amount": 990})
    assert srv.post("/v1/events", ok).status_code == 201
    r = srv.post("/v1/events", ev("subscription_paid", {"cookie": "c"}, properties={"amount": 1}))
    assert r.json()["error"]["code"] == "missing_field"
    r = srv.post("/v1/events", ev("subscription_paid", {"cookie": "c"},
                                  properties={"plan": "x", "amount": "много"}))
    assert r.json()["error"]["code"] == "wrong_type"
    for name, body, status, code in [
        ("page_view", {"properties": {}}, 409, "standard_type"),
        ("Bad-Name", {"properties": {}}, 422, "invalid_value"),
        ("x", {"properties": {"a": "date"}}, 422, "invalid_value"),
        ("x", {"properties": {"a": 5}}, 422, "wrong_type"),
        ("x", {"properties": {"a": "string"}, "required": ["b"]}, 422, "invalid_value"),
        ("x", {"properties": {"a": "string"}, "required": "a"}, 422, "wrong_type"),
        ("x", {"required": []}, 422, "missing_field"),
    ]:
        r = srv.put(f"/v1/event-types/{name}", body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), name
    pos = srv.new_key("pos")
    assert srv.put("/v1/event-types/y", {"properties": {}}, key=pos).status_code == 403


def test_a_browser_sends_events_with_a_beacon(srv):
    key = srv.new_key("collect")
    body = '{"events": [{"type": "page_view", "channel": "web", "customer": {"cookie": "c-br"},' \
           ' "properties": {"url": "https://shop.example/p"}}]}'
    r = requests.post(f"{srv.url}/v1/events/batch?key={key}", data=body,
                      headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    r = requests.options(f"{srv.url}/v1/events/batch", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 204 and r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    r = requests.options(f"{srv.url}/v1/events", headers={"Origin": "https://evil.example"})
    assert r.status_code == 204 and "Access-Control-Allow-Origin" not in r.headers
    # A key in the URL must be a collect key; a collect key cannot read events back.
    r = requests.post(f"{srv.url}/v1/events/batch?key={srv.admin_key}", data=body,
                      headers={"Content-Type": "text/plain"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "key_in_url"
    assert requests.post(f"{srv.url}/v1/events/batch", data=body,
                         headers={"Content-Type": "text/plain"}).status_code == 401
    assert requests.post(f"{srv.url}/v1/customers?key={key}", data="{}",
                         headers={"Content-Type": "text/plain"}).status_code == 401
    # The SDK.
    r = requests.get(f"{srv.url}/v1/sdk.js")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/javascript")
    assert "sendBeacon" in r.text and len(r.content) < 8192


def test_the_rees46_sample_loads_with_its_counts(srv):
    if not REES46.exists():
        pytest.skip("../shared/data is not beside")
    assert srv.put("/v1/event-types/purchase", {
        "properties": {"sku": "string", "price": "integer", "category": "string",
                       "brand": "string"}, "required": ["sku"]}).status_code in (200, 201)
    before = srv.get("/v1/reports/events").json()["by_type"]
    kinds = {"view": "product_view", "cart": "cart_add", "purchase": "purchase"}
    batch, results = [], []
    with gzip.open(REES46, "rt", newline="") as f:
        for row in csv.DictReader(f):
            props = {"sku": row["product_id"], "price": round(float(row["price"]) * 100),
                     "session": row["user_session"]}
            if row["category_code"]:
                props["category"] = row["category_code"]
            if row["brand"]:
                props["brand"] = row["brand"]
            if row["event_type"] == "cart":
                props["quantity"] = 1
            if row["event_type"] == "purchase":
                del props["session"]
            batch.append({"type": kinds[row["event_type"]], "channel": "web",
                          "at": row["event_time"].replace(" UTC", "Z").replace(" ", "T"),
                          "customer": {"cookie": "rees46-" + row["user_id"]},
                          "properties": props})
            if len(batch) == 1000:
                results.append(srv.post("/v1/events/batch", {"events": batch}).json())
                batch = []
    results.append(srv.post("/v1/events/batch", {"events": batch}).json())
    assert sum(r["refused"] for r in results) == 0, [x for r in results for x in r["results"]
                                                     if x["status"] == "refused"][:3]
    after = srv.get("/v1/reports/events").json()["by_type"]
    got = {t: after.get(t, 0) - before.get(t, 0) for t in kinds.values()}
    assert got == {"product_view": 17055, "cart_add": 165, "purchase": 214}



def test_the_events_command_line(srv, tmp_path):
    f = tmp_path / "events.jsonl"
    f.write_text("\n".join([
        '{"type": "page_view", "channel": "web", "customer": {"cookie": "cli-1"}, '
        '"message_id": "cli-m1", "properties": {"url": "/"}}',
        '{"type": "page_view", "channel": "web", "customer": {"cookie": "cli-1"}, '
        '"message_id": "cli-m1", "properties": {"url": "/"}}',
        'not json',
        '{"type": "teleport", "channel": "web", "customer": {"cookie": "cli-1"}}',
        '']))
    r = srv.cli("events", "import", str(f), check=False)
    assert r.returncode == 1  # some were refused
    assert "1 stored, 1 duplicates, 2 refused" in r.stdout
    assert "line 3: bad_json" in r.stderr and "line 4: unknown_type type" in r.stderr
    assert "page_view" in srv.cli("events", "report").stdout
    assert srv.cli("events", check=False).returncode == 2


def test_concurrent_batches_share_transactions_and_store_each_id_once(srv):
    import concurrent.futures
    before = srv.get("/v1/reports/events").json()["by_type"].get("search", 0)

    def post(t):
        # threads t and t+4 send the same message ids: each id is stored once in all
        batch = [ev("search", {"cookie": f"grp-{t % 4}"}, message_id=f"grp-{t % 4}-{i}",
                    properties={"query": "q"}) for i in range(250)]
        return srv.post("/v1/events/batch", {"events": batch}).json()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(post, range(8)))
    assert sum(o["stored"] for o in outs) == 1000
    assert sum(o["duplicates"] for o in outs) == 1000
    after = srv.get("/v1/reports/events").json()["by_type"]["search"]
    assert after - before == 1000


def test_a_web_shop_receipt_links_its_browser_to_the_customer(srv):
    p, cookie = phone(), "c-shop-" + phone()[-6:]
    cid = srv.post("/v1/customers", {"source": src("web"), "profile": {"phone": p}}
                   ).json()["customer"]["id"]
    for sku in ("A", "B"):
        srv.post("/v1/events", ev("product_view", {"cookie": cookie}, properties={"sku": sku}))
    line = [{"sku": "A", "quantity": 1, "price": 1000, "amount": 1000}]
    r = srv.post("/v1/purchases", {"store": "web", "receipt": "W-" + cookie, "lines": line,
                                   "customer": {"phone": p, "cookie": cookie}})
    assert r.status_code == 201, r.text
    skus = sorted(e["properties"]["sku"] for e in
                  srv.get(f"/v1/customers/{cid}/events").json()["items"])
    assert skus == ["A", "B"]
    doc = srv.get(f"/v1/customers/{cid}/export").json()  # the right of access covers events
    assert sorted(e["properties"]["sku"] for e in doc["events"]) == ["A", "B"]
    for who in [{"phone": p, "card": "2000000000015"}, {"phone": p, "cookie": "x", "device": "y"},
                {"cookie": cookie}]:
        r = srv.post("/v1/purchases", {"store": "web", "receipt": "W-bad", "lines": line,
                                       "customer": who})
        assert r.status_code == 422 and r.json()["error"]["field"] == "customer", who
