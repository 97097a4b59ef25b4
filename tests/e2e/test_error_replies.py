"""Every error reaches the client the same way, wherever it is raised: one JSON object with the
status its result code maps to, the code, the message, the field and the request id, and
Retry-After where the code is a limit or a busy server. Handlers return their error's code and
the router replies it (docs/house.md, part 3); these pin the replies that shape refusals (400),
the server's own checks and the errors that carry more than code, message and field, message for
message, so that moving the reply out of the handlers changed nothing a client sees."""
import json

import pytest

from conftest import phone, src


@pytest.fixture(scope="module")
def cid(server):
    r = server.post("/v1/customers", {"source": src(), "profile": {"phone": phone()}})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"]


def error(r, status, code, field, message, **more):
    """The reply is exactly the error: status, JSON type, code, field, message, request id."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    body = r.json()
    e = body["error"]
    want = {"code": code, "message": message, "request_id": r.headers["X-Request-Id"]}
    if field is not None:
        want["field"] = field
    assert e == dict(want, **more), r.text
    assert list(body) == ["error"], r.text
    assert "Retry-After" not in r.headers
    return e


# (how to ask, code, field, message): every refusal of a request's shape, 400, one per place.
BAD_REQUESTS = [
    (("GET", "/v1/customers?name=x"), "unknown_parameter", "name",
     "unknown query parameter 'name'"),
    (("GET", "/v1/customers?limit=0"), "bad_parameter", "limit",
     "limit must be a number from 1 to 200"),
    (("GET", "/v1/customers?cursor=42"), "bad_cursor", "cursor",
     "the cursor is not one this API gave"),
    (("GET", "/v1/customers?phone=1&email=a@b.ru"), "bad_parameter", "email",
     "look up by one identifier at a time"),
    (("GET", "/v1/customers?external=nocolon"), "bad_parameter", "external",
     "external must be written as system:id"),
    (("GET", "/v1/customers/{cid}/history?cursor=x"), "bad_cursor", "cursor",
     "the cursor is not one this API gave"),
    (("GET", "/v1/customers/{cid}/events?cursor=x"), "bad_cursor", "cursor",
     "the cursor is not one this API gave"),
    (("GET", "/v1/customers/{cid}/events?before=1"), "unknown_parameter", "before",
     "unknown query parameter 'before'"),
    (("GET", "/v1/customers/{cid}/purchases?cursor=x"), "bad_cursor", "cursor",
     "the cursor is not one this API gave"),
    (("GET", "/v1/customers/{cid}/may-send?channel=sms"), "bad_parameter", "topic",
     "name the channel (sms, email, push, messenger, phone_call) and the topic"),
    (("GET", "/v1/customers/{cid}/unsubscribe-link?channel=fax"), "bad_parameter", "channel",
     "channel is sms, email, push, messenger or phone_call; topic a topic's name"),
    (("GET", "/v1/reports/loyalty?since=yesterday"), "bad_parameter", "since",
     "since and until are RFC 3339 times"),
    (("GET", "/v1/reports/events?until=x"), "bad_parameter", "until",
     "since and until are RFC 3339 times"),
    (("GET", "/v1/reports/rfm?items=maybe"), "bad_parameter", "items",
     "as_of is an RFC 3339 time; items is true or false"),
    (("GET", "/v1/reports/rfm?as_of=x"), "bad_parameter", "as_of",
     "as_of is an RFC 3339 time; items is true or false"),
    (("GET", "/v1/audit?customer=c_x"), "unknown_parameter", "customer",
     "unknown query parameter 'customer'"),
    (("GET", "/v1/audit?cursor=7"), "bad_cursor", "cursor", "the cursor is not one this API gave"),
    (("GET", "/v1/destruction-acts?cursor=x"), "bad_cursor", "cursor",
     "the cursor is not one this API gave"),
    (("GET", "/v1/destruction-acts/a_x?format=pdf"), "bad_parameter", "format",
     "format is json or text"),
    (("GET", "/v1/privacy-requests?overdue=yes"), "bad_parameter", "overdue",
     "overdue is true or false"),
    (("GET", "/v1/privacy-requests?cursor=x"), "bad_cursor", "cursor",
     "the cursor is not one this API gave"),
    (("GET", "/v1/consent-documents/offer?version=0"), "bad_parameter", "version",
     "version is a number from 1"),
    (("GET", "/v1/segments/s_x/members?format=xml"), "bad_parameter", "format",
     "format is json or csv"),
    (("GET", "/v1/segments/s_x/members?after=1"), "unknown_parameter", "after",
     "unknown query parameter 'after'"),
    (("POST", "/v1/imports?encoding=koi8-r"), "bad_parameter", "encoding",
     "encoding is utf-8, utf-16 or windows-1251"),
    (("POST", "/v1/imports?delimiter=x"), "bad_parameter", "delimiter",
     "delimiter is ';', ',', '|' or tab"),
    (("POST", "/v1/imports?at=x"), "bad_parameter", "at", "at must be an RFC 3339 time"),
    (("POST", "/v1/imports?store=" + "s" * 2001), "bad_parameter", "store", "'store' is too long"),
    (("POST", "/v1/imports", b""), "empty_body", None, "the upload is empty"),
]


@pytest.mark.parametrize("ask,code,field,message", BAD_REQUESTS,
                         ids=[f"{a[0]} {a[1][:60]}" for a, *_ in BAD_REQUESTS])
def test_a_bad_request_is_a_400_saying_what(server, cid, ask, code, field, message):
    method, path = ask[0], ask[1].replace("{cid}", cid)
    csv = method == "POST"
    data = ask[2] if len(ask) > 2 else (b"phone\n+79990000000\n" if csv else None)
    headers = {"Content-Type": "text/csv"} if csv else {}
    error(server.request(method, path, data=data, headers=headers), 400, code, field, message)


def test_a_bad_idempotency_key_is_a_400(server):
    r = server.post("/v1/customers", {"source": src(), "profile": {"phone": phone()}},
                    headers={"Idempotency-Key": "x" * 129})
    error(r, 400, "bad_header", "Idempotency-Key",
          "Idempotency-Key must be 1-128 printable ASCII characters")


def test_the_servers_own_checks(server):
    e = error(server.request("GET", "/v1/customers", key=None), 401, "missing_key", None,
              "an API key is required: 'Authorization: Bearer <key>'")
    collect = server.new_key("collect")
    error(server.get("/v1/customers", key=collect), 403, "forbidden", None,
          "the key's scope 'collect' does not allow this request")
    error(server.get("/v1/nothing-here"), 404, "not_found", None, "no such route")
    r = server.request("PATCH", "/v1/segments")
    error(r, 405, "method_not_allowed", None,
          "the method is not allowed here; allowed: GET, POST")
    assert r.headers["Allow"] == "GET, POST"
    error(server.request("POST", "/v1/customers", data=b"{}",
                         headers={"Content-Type": "text/plain"}), 415,
          "unsupported_media_type", None, "the body must be sent as 'application/json'")
    error(server.request("POST", "/v1/customers", data=b"{",
                         headers={"Content-Type": "application/json"}), 400, "malformed_json",
          None, "malformed JSON at byte 1: unexpected end of input", offset=1)
    assert e["request_id"]


def test_an_erased_customer_is_a_410(server):
    r = server.post("/v1/customers", {"source": src(), "profile": {"phone": phone()}})
    gone = r.json()["customer"]["id"]
    assert server.post(f"/v1/customers/{gone}/erase", {}).status_code == 200
    error(server.post(f"/v1/customers/{gone}/points/adjustments",
                      {"points": 5, "reason": "goodwill"}), 410, "customer_erased", "id",
          "the customer was erased")


def test_a_handlers_details_go_with_its_error(server):
    """What an error says beyond code, message and field: inside the error object (where a
    query does not parse) or beside it (whose card is in the way)."""
    r = server.post("/v1/segments", {"name": "broken", "query": "has emial"})
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/json"
    body = json.loads(r.text, object_pairs_hook=lambda kv: kv)
    assert [k for k, _ in body] == ["error"]
    e = dict(body[0][1])
    assert [k for k, _ in body[0][1]] == ["code", "message", "field", "request_id", "line",
                                          "column", "expected", "caret"]
    assert (e["code"], e["field"], e["line"], e["column"]) == ("syntax_error", "query", 1, 5)
    assert e["message"] == f"line 1, column 5: {e['expected']}"
    r = server.post("/v1/segments/preview", {"query": "has emial"})
    assert r.status_code == 422 and r.json()["error"] == dict(e, request_id=r.json()["error"][
        "request_id"])


def test_a_limit_says_when_to_come_back(server):
    p = phone()
    assert server.post("/v1/pos/enroll", {"phone": p, "send_code": False}).status_code in (200,
                                                                                            201)
    codes = [server.post("/v1/pos/otp", {"phone": p}) for _ in range(6)]
    r = codes[-1]
    assert r.status_code == 429, [c.status_code for c in codes]
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "otp_rate_limited"


def suppression_hits(server):
    return server.rows("SELECT coalesce(sum(hits), 0) FROM suppression")[0][0]


def test_a_counted_refusal_is_committed_with_its_error(server):
    """An erased person's phone is refused, and the refusal is counted on the suppression list
    (docs/privacy.md, "Suppression"): the count is committed although the request fails."""
    p = phone()
    r = server.post("/v1/customers", {"source": src(), "profile": {"phone": p}})
    assert server.post(f"/v1/customers/{r.json()['customer']['id']}/erase", {}).status_code == 200
    before = suppression_hits(server)
    again = "this phone belonged to a customer who was erased; it comes back only with new " \
            "consent given through a form"
    error(server.post("/v1/customers", {"source": src(), "profile": {"phone": p}}), 422,
          "suppressed", "profile.phone", again)
    error(server.post("/v1/pos/enroll", {"phone": p}), 422, "suppressed", "phone", again)
    assert suppression_hits(server) == before + 2
