"""The Segment tracking API (issue 18, docs/collect.md): the calls and batches the Segment SDKs
send, with their key as the Basic-auth user name or in the body, gzip, the client's clock
corrected from sentAt, the size limits answered 400, message ids stored once, each call type's
bad input answered 400, a batch's bad message refused alone, and the mapping onto Kartoteka's
events and profiles. The real SDKs are driven by tests/browser/segment_sdks.test.mjs."""
import base64
import datetime
import gzip
import json
import uuid

import pytest
import requests

from conftest import phone

ORIGIN = "https://shop.example"
PD = "pd-policy"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from conftest import Server
    s = Server(tmp_path_factory.mktemp("tracking"), ["--cors-origins", ORIGIN])
    assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
    s.collect = s.new_key("collect")
    yield s
    s.stop()


def iso(dt):
    return dt.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def basic(key):
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def send(srv, path, body, headers=None, raw=None):
    h = {"Content-Type": "application/json", **basic(srv.collect), **(headers or {})}
    data = raw if raw is not None else json.dumps(body).encode()
    return requests.post(srv.url + path, data=data, headers=h, timeout=30)


def msg(type_, **kw):
    m = {"type": type_, "messageId": str(uuid.uuid4()), "timestamp": iso(now()),
         "context": {"library": {"name": "analytics-node", "version": "3.1.0"}}}
    m.update(kw)
    return m


def customer_by_user(srv, user):
    r = srv.get(f"/v1/customers?external=shop:{user}")
    assert r.status_code == 200 and len(r.json()["items"]) == 1, r.text
    return r.json()["items"][0]


def events_of(srv, cid):
    r = srv.get(f"/v1/customers/{cid}/events")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_a_batch_lands_identify_first_then_events_mapped(srv):
    user, p = f"u-{uuid.uuid4().hex[:8]}", phone()
    batch = [
        msg("track", userId=user, event="Product Added",
            properties={"product_id": "A-1", "price": 129.9, "quantity": 2, "name": "Чайник",
                        "cart_id": "c-9"}),
        msg("identify", userId=user, anonymousId="anon-1",
            traits={"email": "Tracked.One@Example.org", "phone": p, "firstName": "Анна",
                    "lastName": "Трекова", "birthday": "1990-04-01T00:00:00.000Z",
                    "address": {"city": "Москва"}, "favouriteColour": "green"}),
        msg("page", userId=user, name="Home",
            properties={"url": "https://shop.example/?utm_source=vk", "title": "Главная"},
            context={"campaign": {"source": "vk", "medium": "cpc", "name": "winter"}}),
        msg("track", userId=user, event="Order Completed",
            properties={"order_id": "o-1", "total": 259.8, "revenue": 250, "currency": "RUB",
                        "products": [{"product_id": "A-1"}, {"product_id": "B-2"}]}),
        msg("track", userId=user, event="Coupon Applied", properties={"coupon": "X", "n": 2,
                                                                       "nested": {"a": 1}}),
        msg("group", userId=user, groupId="g-1", traits={"name": "Acme"}),
    ]
    r = send(srv, "/v1/batch", {"batch": batch, "sentAt": iso(now())})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["refused"] == [], body
    assert body["stored"] == 4 and body["customers"] == 1 and body["ignored"] == 1, body
    assert body["left_out"] == 3, body  # the product's name, favouriteColour, nested
    cu = customer_by_user(srv, user)
    assert cu["profile"]["email"] == "tracked.one@example.org"
    assert cu["profile"]["first_name"] == "Анна" and cu["profile"]["city"] == "Москва"
    assert cu["profile"]["birth_date"] == "1990-04-01"
    items = {e["type"]: e for e in events_of(srv, cu["id"])}
    assert items["cart_add"]["properties"] == {"sku": "A-1", "price": 12990, "quantity": 2,
                                               "cart": "c-9"}
    assert items["page_view"]["properties"] == {
        "url": "https://shop.example/?utm_source=vk", "title": "Главная",
        "utm_source": "vk", "utm_medium": "cpc", "utm_campaign": "winter"}
    assert items["order_completed"]["properties"] == {
        "order_id": "o-1", "total": 25980, "revenue": 25000, "currency": "RUB", "items": 2}
    assert items["track"]["properties"] == {"event": "Coupon Applied", "coupon": "X", "n": 2}


def test_the_key_as_basic_user_bearer_or_in_the_body(srv):
    m = msg("track", anonymousId="a-key", event="Product Viewed", properties={"sku": "K-1"})
    assert send(srv, "/v1/t", m).status_code == 200
    m = msg("track", anonymousId="a-key", event="Product Viewed", properties={"sku": "K-2"},
            writeKey=srv.collect)
    r = requests.post(srv.url + "/v1/t", data=json.dumps(m),
                      headers={"Content-Type": "text/plain"}, timeout=30)
    assert r.status_code == 200 and r.json() == {"success": True}, r.text
    r = requests.post(srv.url + "/v1/track", json=msg("track", anonymousId="a", event="X"),
                      headers={"Authorization": f"Bearer {srv.collect}"}, timeout=30)
    assert r.status_code == 200, r.text
    # a wrong key, none at all, and a body key that is not a string
    r = send(srv, "/v1/track", msg("track", anonymousId="a", event="X"),
             headers=basic("kt_aaaaaaaaaaaa_" + "b" * 32))
    assert r.status_code == 401, r.text
    r = requests.post(srv.url + "/v1/track", json=msg("track", anonymousId="a", event="X"),
                      timeout=30)
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_key"
    r = requests.post(srv.url + "/v1/track",
                      json=msg("track", anonymousId="a", event="X", writeKey=7), timeout=30)
    assert r.status_code == 401


def test_gzip_bodies_are_inflated_and_bombs_refused(srv):
    m = msg("track", anonymousId="a-gz", event="Products Searched",
            properties={"query": "чайник"})
    r = send(srv, "/v1/batch", None, headers={"Content-Encoding": "gzip"},
             raw=gzip.compress(json.dumps({"batch": [m]}).encode()))
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    r = send(srv, "/v1/batch", None, headers={"Content-Encoding": "gzip"},
             raw=gzip.compress(json.dumps({"batch": [m]}).encode()))
    assert r.status_code == 200 and r.json()["duplicates"] == 1, r.text
    r = send(srv, "/v1/batch", None, headers={"Content-Encoding": "gzip"}, raw=b"not gzip")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_gzip"
    bomb = gzip.compress(b'{"batch": [' + b" " * (600 * 1024) + b"]}")
    assert len(bomb) < 5000
    r = send(srv, "/v1/batch", None, headers={"Content-Encoding": "gzip"}, raw=bomb)
    assert r.status_code == 400 and r.json()["error"]["code"] == "batch_too_large", r.text
    r = send(srv, "/v1/batch", None, headers={"Content-Encoding": "br"}, raw=b"{}")
    assert r.status_code == 400 and r.json()["error"]["code"] == "unsupported_encoding"


def test_the_clients_clock_is_corrected_from_sent_at(srv):
    user = f"u-{uuid.uuid4().hex[:8]}"
    assert send(srv, "/v1/identify", msg("identify", userId=user)).status_code == 200
    cid = customer_by_user(srv, user)["id"]
    # The phone's clock is two hours fast: it happened ten minutes before it was sent.
    fast = now() + datetime.timedelta(hours=2)
    batch = [msg("track", userId=user, event="Product Viewed", properties={"sku": "S-1"},
                 timestamp=iso(fast - datetime.timedelta(minutes=10)))]
    before = now()
    r = send(srv, "/v1/batch", {"batch": batch, "sentAt": iso(fast)})
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    at = datetime.datetime.fromisoformat(events_of(srv, cid)[0]["at"].replace("Z", "+00:00"))
    want = before - datetime.timedelta(minutes=10)
    assert abs((at - want).total_seconds()) < 5, (at, want)
    # sentAt of the message itself wins over the batch's (analytics.js sends it so)
    m = msg("track", userId=user, event="Product Viewed", properties={"sku": "S-2"},
            timestamp=iso(fast - datetime.timedelta(minutes=30)), sentAt=iso(fast))
    assert send(srv, "/v1/batch", {"batch": [m], "sentAt": iso(now())}).status_code == 200
    ev = [e for e in events_of(srv, cid) if e["properties"].get("sku") == "S-2"][0]
    at = datetime.datetime.fromisoformat(ev["at"].replace("Z", "+00:00"))
    assert abs((at - (now() - datetime.timedelta(minutes=30))).total_seconds()) < 10


def test_sizes_are_answered_400(srv):
    before = srv.get("/v1/reports/events").json()["count"]
    big = msg("track", anonymousId="a-big", event="X", properties={"t": "я" * 17000})
    r = send(srv, "/v1/track", big)
    assert r.status_code == 400 and r.json()["error"]["code"] == "event_too_large", r.text
    small = msg("track", anonymousId="a-big", event="Product Viewed", properties={"sku": "B"})
    r = send(srv, "/v1/batch", {"batch": [small, big]})
    assert r.status_code == 400 and r.json()["error"]["field"] == "batch[1]", r.text
    many = [msg("track", anonymousId="a-big", event="Product Viewed",
                properties={"sku": "x" * 2000}) for _ in range(260)]
    r = send(srv, "/v1/batch", {"batch": many})
    assert r.status_code == 400 and r.json()["error"]["code"] == "batch_too_large", r.text
    assert srv.get("/v1/reports/events").json()["count"] == before  # nothing of them stored


@pytest.mark.parametrize("path,body,code,field", [
    ("/v1/track", {"anonymousId": "a"}, "missing_field", "event"),
    ("/v1/t", {"event": "X"}, "missing_field", "userId"),
    ("/v1/identify", {"traits": {"email": "x"}}, "missing_field", "userId"),
    ("/v1/i", {"userId": "u-bad", "traits": {"phone": "12"}}, "invalid_phone", "traits.phone"),
    ("/v1/identify", {"userId": "u-bad", "traits": "x"}, "wrong_type", "traits"),
    ("/v1/page", {"anonymousId": "a", "timestamp": "yesterday"}, "invalid_time", "timestamp"),
    ("/v1/screen", {"anonymousId": "a", "properties": []}, "wrong_type", "properties"),
    ("/v1/alias", {"userId": "u-1"}, "missing_field", "previousId"),
    ("/v1/a", {"previousId": "a"}, "missing_field", "userId"),
    ("/v1/group", {"groupId": "g"}, "missing_field", "userId"),
    ("/v1/track", {"anonymousId": "a", "event": "X", "messageId": "m" * 200}, "invalid_value",
     "messageId"),
    ("/v1/batch", {"batch": []}, "invalid_value", "batch"),
    ("/v1/batch", {"events": []}, "missing_field", "batch"),
])
def test_bad_input_of_each_call_is_a_400_with_its_field(srv, path, body, code, field):
    r = send(srv, path, body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code and err.get("field") == field, err


def test_bad_json_is_a_400(srv):
    r = send(srv, "/v1/batch", None, raw=b'{"batch": [')
    assert r.status_code == 400, r.text


def test_a_bad_message_of_a_batch_is_refused_alone(srv):
    good = msg("track", anonymousId="a-mix", event="Product Viewed", properties={"sku": "M"})
    r = send(srv, "/v1/batch", {"batch": [
        {"type": "teleport", "anonymousId": "a"}, good,
        msg("identify", userId="u-mix", traits={"phone": "12"})]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stored"] == 1 and body["customers"] == 0, body
    assert [(x["index"], x["code"], x["field"]) for x in body["refused"]] == [
        (0, "unknown_type", "batch[0].type"), (2, "invalid_phone", "batch[2].traits.phone")]


def test_a_type_that_does_not_fit_falls_back_to_track(srv):
    user = f"u-{uuid.uuid4().hex[:8]}"
    send(srv, "/v1/identify", msg("identify", userId=user))
    cid = customer_by_user(srv, user)["id"]
    # a cart add without a price cannot be a cart_add: it is kept as what it was
    r = send(srv, "/v1/track", msg("track", userId=user, event="Product Added",
                                   properties={"product_id": "P-1"}))
    assert r.status_code == 200, r.text
    e = events_of(srv, cid)[0]
    assert e["type"] == "track" and e["properties"] == {"event": "Product Added",
                                                        "product_id": "P-1"}


def test_a_declared_custom_type_is_used_by_its_name(srv):
    r = srv.put("/v1/event-types/coupon_applied",
                {"properties": {"coupon": "string"}, "required": ["coupon"]})
    assert r.status_code in (200, 201), r.text
    user = f"u-{uuid.uuid4().hex[:8]}"
    send(srv, "/v1/identify", msg("identify", userId=user))
    cid = customer_by_user(srv, user)["id"]
    r = send(srv, "/v1/track", msg("track", userId=user, event="Coupon Applied",
                                   properties={"coupon": "WINTER", "discount": 5}))
    assert r.status_code == 200, r.text
    e = events_of(srv, cid)[0]
    assert e["type"] == "coupon_applied" and e["properties"] == {"coupon": "WINTER"}


def test_alias_links_the_anonymous_visitor_and_adopts_her_events(srv):
    user, anon = f"u-{uuid.uuid4().hex[:8]}", f"anon-{uuid.uuid4().hex[:8]}"
    r = send(srv, "/v1/page", msg("page", anonymousId=anon,
                                  properties={"url": "https://shop.example/p/1"}))
    assert r.status_code == 200, r.text
    assert send(srv, "/v1/identify", msg("identify", userId=user)).status_code == 200
    assert send(srv, "/v1/alias", msg("alias", userId=user, previousId=anon)).status_code == 200
    cid = customer_by_user(srv, user)["id"]
    assert [e["type"] for e in events_of(srv, cid)] == ["page_view"]


def test_screen_and_app_events_are_the_apps(srv):
    user = f"u-{uuid.uuid4().hex[:8]}"
    lib = {"library": {"name": "analytics-ios", "version": "4.1"}}
    assert send(srv, "/v1/identify", msg("identify", userId=user, context=lib)).status_code == 200
    cid = customer_by_user(srv, user)["id"]
    r = send(srv, "/v1/s", msg("screen", userId=user, name="Каталог", context=lib))
    assert r.status_code == 200, r.text
    e = events_of(srv, cid)[0]
    assert e["type"] == "screen_view" and e["channel"] == "app"
    assert e["properties"] == {"name": "Каталог"}


def test_a_track_naming_nobody_is_kept_without_the_id_whatever_the_key(srv):
    before = srv.get("/v1/reports/events").json()["count"]
    r = send(srv, "/v1/track", msg("track", userId="u-nobody-" + uuid.uuid4().hex,
                                   event="Product Viewed", properties={"sku": "N"}),
             headers={"Authorization": f"Bearer {srv.admin_key}"})
    assert r.status_code == 200, r.text
    assert srv.get("/v1/reports/events").json()["count"] == before + 1


def test_cors_preflight_allows_what_the_browser_sdk_sends(srv):
    r = requests.options(srv.url + "/v1/b", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-retry-count"}, timeout=30)
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    allowed = r.headers["Access-Control-Allow-Headers"].lower()
    assert all(h in allowed for h in ("authorization", "content-type", "x-retry-count"))


def test_a_batch_takes_at_most_100_identifies_and_a_track_at_most_32_properties(srv):
    ids = [msg("identify", userId=f"u-cap-{uuid.uuid4().hex[:6]}-{i}") for i in range(102)]
    wide = msg("track", anonymousId="a-wide", event="Wide",
               properties={f"p{i:02d}": i for i in range(40)})
    r = send(srv, "/v1/batch", {"batch": ids + [wide]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["customers"] == 100 and body["stored"] == 1, body
    assert [(x["index"], x["code"]) for x in body["refused"]] == [(100, "too_many"),
                                                                   (101, "too_many")]
    assert body["left_out"] == 9, body  # 40 properties and the name: 32 kept
