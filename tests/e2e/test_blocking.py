"""Blocking (152-FZ art. 21; issue 19, part D), against the real binary: a blocked customer's data
are kept but used for nothing - no message reaches the SMS gateway, may-send says `blocked`, no
segment holds them (preview, saved members, refresh), the till's lookups, receipts and writes
answer `423 customer_blocked` - while the DPO still reads them and the subject's export still
works; unblocked, they come back. And the register's deadlines: unlawful processing (stop in 3
working days, destroy in 10), rectification (7), and an extension only with a reasoned notice."""
import re
import time

import pytest

from conftest import Server, phone, src
from peers import Receiver

PD = "block-pd"


@pytest.fixture(scope="module")
def gw():
    g = Receiver.start(path="/sms")  # the SMS gateway: keeps every message it is sent
    yield g
    g.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, gw):
    s = Server(tmp_path_factory.mktemp("blocking"), ["--sms-url", gw.url, "--sms-backoff", "50"])
    r = s.put(f"/v1/consent-documents/{PD}", {"purpose": "pd_processing", "title": "ПДн",
                                               "body": "Согласие на обработку ПДн."})
    assert r.status_code == 201, r.text
    r = s.put("/v1/consent-documents/block-ads-sms", {"purpose": "ads", "title": "Реклама",
                                                      "body": "Согласие на рекламу по SMS."})
    assert r.status_code == 201, r.text
    assert s.put("/v1/topics/news", {"title": "Новости", "channels": ["sms"]}).status_code == 201
    yield s
    s.stop()


def join(s, p, city):
    """A member who may be sent news by SMS: pd and ads consent, subscribed, a card."""
    r = s.post("/v1/customers", {"source": src("qr_form"),
                                 "profile": {"phone": p, "first_name": "Вера", "city": city},
                                 "consents": [
                                     {"purpose": "pd_processing", "document": f"{PD}@1",
                                      "granted": True, "evidence": {"form_id": "f-1"}},
                                     {"purpose": "ads", "channel": "sms", "granted": True,
                                      "document": "block-ads-sms", "evidence": {"form_id": "f-1"}}]})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    r = s.post(f"/v1/customers/{cid}/subscriptions",
               {"topic": "news", "channel": "sms", "subscribed": True})
    assert r.status_code == 200, r.text
    return cid


def request(s, kind, cid=None, received=None, **kw):
    body = dict({"kind": kind, "channel": "letter"}, **kw)
    if cid:
        body["customer_id"] = cid
    if received:
        body["received_on"] = received
    r = s.post("/v1/privacy-requests", body)
    assert r.status_code == 201, r.text
    return r.json()


def blocked(r):
    assert r.status_code == 423, r.text
    assert r.json()["error"]["code"] == "customer_blocked"
    return r.json()["error"]


def may_send(s, cid, key="admin"):
    r = s.get(f"/v1/customers/{cid}/may-send?channel=sms&topic=news", key=key)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_blocked_customer_gets_no_message_and_is_in_no_segment(srv, gw):
    city = "Блокоград"
    pa, pb = phone(), phone()
    a, b = join(srv, pa, city), join(srv, pb, city)
    pos = srv.new_key("pos")
    # Before the block: a code reaches the gateway, may-send allows, both are in the segment.
    sent = len(gw.got)
    assert srv.post("/v1/pos/otp", {"phone": pa}, key=pos).status_code == 202
    gw.wait(sent + 1)
    code = re.search(r"\b(\d{4,8})\b", gw.got[-1]["json"]["text"]).group(1)
    assert may_send(srv, a)["allowed"] is True
    q = f'city = "{city}"'
    r = srv.post("/v1/segments", {"name": "blockograd", "query": q})
    assert r.status_code == 201 and r.json()["size"] == 2, r.text
    seg = r.json()["id"]

    req = request(srv, "rectification", a)
    r = srv.post(f"/v1/customers/{a}/block", {"reason": "accuracy_disputed",
                                              "privacy_request_id": req["id"],
                                              "note": "the customer disputes the birth date"})
    assert r.status_code == 201, r.text
    blk = r.json()
    assert blk["id"].startswith("b_") and blk["active"] is True and blk["customer_id"] == a
    assert blk["privacy_request_id"] == req["id"] and blk["unblocked_at"] is None

    # The code the customer got before the block confirms nothing now: no phone verified.
    blocked(srv.post("/v1/pos/verify", {"phone": pa, "code": code}, key=pos))
    # No message: the code is refused, the enrolment too, nothing reaches the gateway.
    sent = len(gw.got)
    blocked(srv.post("/v1/pos/otp", {"phone": pa}, key=pos))
    blocked(srv.post("/v1/pos/enroll", {"phone": pa, "send_code": True}, key=pos))
    assert may_send(srv, a) == {"customer_id": a, "channel": "sms", "topic": "news",
                                "allowed": False, "reason": "blocked"}
    assert may_send(srv, a, key=pos)["reason"] == "blocked"
    assert may_send(srv, b)["allowed"] is True  # the neighbour is untouched
    time.sleep(0.5)  # the sender polls the outbox: give a wrongly queued code time to go
    assert len(gw.got) == sent, "a blocked customer's phone was sent a message"

    # No segment: out of the saved members at once, of the preview, of a refresh.
    members = srv.get(f"/v1/segments/{seg}/members").json()["items"]
    assert [m["customer_id"] for m in members] == [b]
    r = srv.post("/v1/segments/preview", {"query": q, "sample": 10})
    assert r.json()["size"] == 1 and r.json()["sample"] == [b]
    r = srv.post(f"/v1/segments/{seg}/refresh")
    assert r.status_code == 200 and r.json()["size"] == 1, r.text
    csv = srv.get(f"/v1/segments/{seg}/members?format=csv").text
    assert a not in csv and b in csv

    # Unblocked, the customer is used again: messages go, segments take them back.
    r = srv.post(f"/v1/customers/{a}/unblock", {"outcome": "rectified",
                                                "note": "birth date corrected"})
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    assert r.json()["outcome"] == "rectified" and r.json()["unblocked_at"]
    assert may_send(srv, a)["allowed"] is True
    sent = len(gw.got)
    assert srv.post("/v1/pos/otp", {"phone": pa}, key=pos).status_code == 202
    gw.wait(sent + 1)
    r = srv.post(f"/v1/segments/{seg}/refresh")
    assert r.json()["size"] == 2 and r.json()["entered"] == 1
    r = srv.post("/v1/segments/preview", {"query": q, "sample": 10})
    assert sorted(r.json()["sample"]) == sorted([a, b])
    # The history of blocks stays, for the inspector.
    r = srv.get(f"/v1/customers/{a}/blocks")
    assert [x["outcome"] for x in r.json()["blocks"]] == ["rectified"]
    acts = {e["action"] for e in srv.get(f"/v1/audit?customer_id={a}").json()["items"]}
    assert {"block", "unblock"} <= acts


def test_lookups_writes_and_receipts_answer_customer_blocked(srv):
    p = phone()
    cid = join(srv, p, "Москва")
    pos = srv.new_key("pos")
    r = srv.post("/v1/pos/enroll", {"phone": p}, key=pos)
    assert r.status_code in (200, 201), r.text
    card = r.json()["card"]["number"]
    r = srv.post("/v1/purchases", {"store": "S", "receipt": "BLK-0", "customer": {"card": card},
                                   "lines": [{"sku": "A", "quantity": 1, "price": 5000,
                                              "amount": 5000}]}, key=pos)
    assert r.status_code == 201, r.text
    purchase = r.json()["id"]
    req = request(srv, "unlawful_processing", cid)
    assert srv.post(f"/v1/customers/{cid}/block", {"reason": "unlawful_processing",
                                                   "privacy_request_id": req["id"]}).status_code == 201
    # A receipt of the blocked customer, read at a till: 423 too; the DPO reads it.
    blocked(srv.get(f"/v1/purchases/{purchase}", key=pos))
    assert srv.get(f"/v1/purchases/{purchase}").status_code == 200
    # The till's lookups, by phone, by card, by id: a clear 423.
    err = blocked(srv.get(f"/v1/customers?phone={p}", key=pos))
    assert err["field"] == "phone" and p not in err["message"]
    blocked(srv.get(f"/v1/cards/{card}", key=pos))
    blocked(srv.get(f"/v1/customers/{cid}", key=pos))
    for sub in ("points", "purchases", "cards", "consents", "subscriptions", "events"):
        blocked(srv.get(f"/v1/customers/{cid}/{sub}", key=pos))
    # No earning or spending at the till; no writes; a public key is not told.
    line = [{"sku": "A", "quantity": 1, "price": 10000, "amount": 10000}]
    err = blocked(srv.post("/v1/purchases", {"store": "S", "receipt": "BLK-1",
                                             "customer": {"card": card}, "lines": line}, key=pos))
    assert err["field"] == "customer"
    blocked(srv.post("/v1/customers", {"source": src("pos"), "profile": {"phone": p,
                                                                        "city": "Тверь"}}, key=pos))
    blocked(srv.patch(f"/v1/customers/{cid}", {"source": src("pos"),
                                              "profile": {"city": "Тверь"}}, key=pos))
    blocked(srv.patch(f"/v1/customers/{cid}", {"source": src("paper"),
                                              "profile": {"city": "Тверь"}}))
    blocked(srv.post(f"/v1/customers/{cid}/points/adjustments", {"points": 10, "reason": "gift"}))
    blocked(srv.post("/v1/events", {"type": "page_view", "channel": "web",
                                    "customer": {"id": cid}, "properties": {"url": "/"}}, key=pos))
    # In a batch, each of her events is refused, however often and by whichever identifier (the
    # block is asked once an identifier a batch); the others' go on.
    page = {"type": "page_view", "channel": "web", "properties": {"url": "/"}}
    r = srv.post("/v1/events/batch", {"events": [
        {**page, "customer": {"id": cid}}, {**page, "customer": {"card": card}},
        {**page, "customer": {"cookie": "blk-anon"}}, {**page, "customer": {"id": cid}},
        {**page, "customer": {"card": card}}]}, key=pos)
    assert r.status_code == 200, r.text
    out = r.json()["results"]
    assert [x["status"] for x in out] == ["refused", "refused", "stored", "refused", "refused"]
    assert {x["error"]["code"] for x in out if x["status"] == "refused"} == {"customer_blocked"}
    collect = srv.new_key("collect")
    r = srv.post("/v1/customers", {"source": src("web"), "profile": {"phone": p},
                                   "consents": [{"purpose": "pd_processing", "granted": True,
                                                 "document": f"{PD}@1",
                                                 "evidence": {"form_id": "f-2"}}]}, key=collect)
    assert r.status_code == 202 and r.json()["accepted"] is True
    # A withdrawal and an unsubscribe stop processing: a block lets them through.
    r = srv.post(f"/v1/customers/{cid}/subscriptions", {"subscribed": False})
    assert r.status_code == 200, r.text
    blocked(srv.post(f"/v1/customers/{cid}/subscriptions",
                     {"topic": "news", "channel": "sms", "subscribed": True}))
    # The DPO reads the data in dispute, sees the block; the subject's export goes on (art. 14).
    r = srv.get(f"/v1/customers/{cid}")
    assert r.status_code == 200 and r.json()["block"]["reason"] == "unlawful_processing"
    r = srv.get(f"/v1/customers?phone={p}")
    assert r.status_code == 200 and r.json()["items"][0]["block"]["active"] is True
    assert srv.get(f"/v1/customers/{cid}/export").status_code == 200
    # A second block, a block of another's request, unblocking twice: refused.
    r = srv.post(f"/v1/customers/{cid}/block", {"reason": "subject_request",
                                                "privacy_request_id": req["id"]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_blocked"
    other = join(srv, phone(), "Москва")
    r = srv.post(f"/v1/customers/{other}/block", {"reason": "subject_request",
                                                  "privacy_request_id": req["id"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "request_mismatch"
    # The unlawful processing cannot be made lawful: the data are destroyed, the block ends.
    r = srv.post(f"/v1/customers/{cid}/erase", {"reason": "unlawful",
                                                "privacy_request_id": req["id"]})
    assert r.status_code == 200, r.text
    r = srv.get(f"/v1/customers/{cid}/blocks").json()["blocks"]
    assert [(x["active"], x["outcome"]) for x in r] == [(False, "erased")]
    r = srv.post(f"/v1/customers/{cid}/unblock", {"outcome": "lawful"})
    assert r.status_code == 410, r.text


def test_the_dpo_rectifies_a_blocked_customer_under_the_request(srv):
    p = phone()
    cid = join(srv, p, "Москва")
    req = request(srv, "rectification", cid)
    stop = request(srv, "stop", cid)
    assert srv.post(f"/v1/customers/{cid}/block", {"reason": "accuracy_disputed",
                                                   "privacy_request_id": req["id"]}).status_code == 201
    body = {"source": src("paper"), "profile": {"city": "Тверь"}}
    r = srv.patch(f"/v1/customers/{cid}?privacy_request_id={stop['id']}", body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "request_mismatch"
    pos = srv.new_key("pos")
    r = srv.patch(f"/v1/customers/{cid}?privacy_request_id={req['id']}", body, key=pos)
    assert r.status_code == 403
    r = srv.patch(f"/v1/customers/{cid}?privacy_request_id={req['id']}", body)
    assert r.status_code == 200 and r.json()["customer"]["profile"]["city"] == "Тверь", r.text
    r = srv.get(f"/v1/audit?customer_id={cid}&action=rectify").json()["items"]
    assert r and req["id"] in r[0]["detail"]
    r = srv.patch(f"/v1/customers/{cid}?nonsense=1", body)
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_parameter"


def test_deadlines_of_unlawful_processing_and_rectification_on_working_days(srv):
    # Received on Friday 2025-12-26; the New Year holidays run from Dec 31 to Jan 11.
    u = request(srv, "unlawful_processing", received="2025-12-26")
    assert (u["due_on"], u["destruction_due_on"], u["due_on_provisional"]) == \
        ("2026-01-12", "2026-01-21", False)  # stop: Dec 29, 30, Jan 12; destroy: 10th
    r = request(srv, "rectification", received="2025-12-26")
    assert (r["due_on"], r["destruction_due_on"]) == ("2026-01-16", None)
    # Sat Nov 1 2025 was worked, Nov 3-4 were off.
    u = request(srv, "unlawful_processing", received="2025-10-30")
    assert (u["due_on"], u["destruction_due_on"]) == ("2025-11-05", "2025-11-14")


def test_a_deadline_is_extended_only_with_a_reasoned_notice(srv):
    a = request(srv, "access", received="2025-12-26")
    assert a["due_on"] == "2026-01-21" and a["extended"] is False
    # No reasons, blank ones, an empty string (the decoder rule's invalid_value): refused.
    for body, code in (({}, "extension_reason_required"), ({"reason": " \n "},
                       "extension_reason_required"), ({"reason": ""}, "invalid_value")):
        r = srv.post(f"/v1/privacy-requests/{a['id']}/extend", body)
        assert r.status_code == 422, r.text
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, "reason")
    assert srv.get(f"/v1/privacy-requests/{a['id']}").json()["due_on"] == "2026-01-21"
    why = "the documents are kept in the archive of another city"
    r = srv.post(f"/v1/privacy-requests/{a['id']}/extend", {"reason": why})
    assert r.status_code == 200, r.text
    x = r.json()
    assert (x["due_on"], x["extended"], x["extension_reason"]) == ("2026-01-28", True, why)
    assert x["extended_at"]
    r = srv.post(f"/v1/privacy-requests/{a['id']}/extend", {"reason": why})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_extended"
    for kind in ("rectification", "unlawful_processing", "erasure"):
        q = request(srv, kind, received="2025-12-26")
        r = srv.post(f"/v1/privacy-requests/{q['id']}/extend", {"reason": why})
        assert r.status_code == 409 and r.json()["error"]["code"] == "request_not_extendable"
    # At registration too: extended needs its reasons.
    r = srv.post("/v1/privacy-requests", {"kind": "stop", "extended": True})
    assert r.status_code == 422 and r.json()["error"]["code"] == "extension_reason_required"
    s = request(srv, "stop", received="2025-10-31", extended=True, extension_reason=why)
    assert s["due_on"] == "2025-11-24" and s["extension_reason"] == why
    entries = srv.get("/v1/audit?action=request").json()["items"]
    assert any(e["detail"].startswith(f"extend {a['id']}") for e in entries)


def test_the_command_line_blocks_unblocks_and_extends(srv):
    p = phone()
    cid = join(srv, p, "Москва")
    pos = srv.new_key("pos")
    req = request(srv, "stop", cid)
    assert "block CUSTOMER_ID" in srv.cli("privacy", "--help").stdout
    for args in (["block", cid, "--request", req["id"]],  # no reason
                 ["block", cid, "--reason", "accuracy_disputed"],  # no request
                 ["unblock", cid],  # no outcome
                 ["extend", req["id"]],  # no reasoned notice
                 ["extend", cid, "--reason", "x"]):  # not a request id
        r = srv.cli("privacy", *args, check=False)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
    r = srv.cli("privacy", "block", cid, "--reason", "subject_request", "--request", req["id"],
                "--note", "the subject asked")
    assert r.stdout.startswith(f"blocked {cid}: block b_"), r.stdout
    blocked(srv.get(f"/v1/customers?phone={p}", key=pos))
    r = srv.cli("privacy", "block", cid, "--reason", "subject_request", "--request", req["id"],
                check=False)
    assert r.returncode == 1 and "blocked already" in r.stderr
    r = srv.cli("privacy", "unblock", cid, "--outcome", "lawful")
    assert "outcome lawful" in r.stdout
    assert srv.get(f"/v1/customers?phone={p}", key=pos).status_code == 200
    r = srv.cli("privacy", "extend", req["id"], "--reason", "the archive is in another city")
    assert r.stdout.startswith(f"extended {req['id']}: due on "), r.stdout
    x = srv.get(f"/v1/privacy-requests/{req['id']}").json()
    assert x["extended"] and x["extension_reason"] == "the archive is in another city"
    entries = srv.get(f"/v1/audit?customer_id={cid}").json()["items"]
    assert {"block", "unblock"} <= {e["action"] for e in entries if e["key_id"] is None}


def queued_sms(s, cid):
    """The messages still queued in the outbox for customer `cid`, read beside the server."""
    return s.rows("SELECT count(*) FROM outbox o JOIN customers c ON c.ck = o.ck "
                  "WHERE c.id = ? AND o.channel = 'sms' AND o.state = 'queued'", (cid,))[0][0]


def test_a_code_queued_before_the_block_never_goes_out(start_server):
    # No gateway: codes wait in the outbox, as they would while the gateway is down.
    s = start_server()
    r = s.put(f"/v1/consent-documents/{PD}", {"purpose": "pd_processing", "title": "ПДн",
                                               "body": "Согласие на обработку ПДн."})
    assert r.status_code == 201, r.text
    r = s.put("/v1/consent-documents/block-ads-sms", {"purpose": "ads", "title": "Реклама",
                                                      "body": "Согласие на рекламу по SMS."})
    assert r.status_code == 201, r.text
    assert s.put("/v1/topics/news", {"title": "Новости", "channels": ["sms"]}).status_code == 201
    pa, pb = phone(), phone()
    a, b = join(s, pa, "Москва"), join(s, pb, "Москва")
    pos = s.new_key("pos")
    for p in (pa, pb):
        assert s.post("/v1/pos/otp", {"phone": p}, key=pos).status_code == 202
    assert (queued_sms(s, a), queued_sms(s, b)) == (1, 1)
    req = request(s, "stop", a)
    r = s.post(f"/v1/customers/{a}/block", {"reason": "subject_request",
                                            "privacy_request_id": req["id"]})
    assert r.status_code == 201, r.text
    # The block took the code out of the outbox: a gateway that comes back later sends nothing
    # to the blocked customer; the neighbour's code still waits.
    assert (queued_sms(s, a), queued_sms(s, b)) == (0, 1)
    # The row stays, suppressed for the block, its text (the code) gone.
    assert s.rows("SELECT o.state, o.reason, o.content FROM outbox o JOIN customers c "
                  "ON c.ck = o.ck WHERE c.id = ?", (a,)) == [("suppressed", "blocked", None)]


def test_a_store_key_learns_of_a_block_only_for_its_stores_customers(srv):
    nobody = "c_" + "a" * 20
    pos = srv.new_key("pos")
    k = srv.cli("keys", "create", "--scope", "pos", "--name", "store 1 till",
                "--stores", "S-1").stdout.strip()
    people = {}
    for store in ("S-1", "S-2"):
        p = phone()
        r = srv.post("/v1/customers", {"source": src("pos", store=store), "profile": {"phone": p},
                                       "consents": [{"purpose": "pd_processing",
                                                     "document": f"{PD}@1", "granted": True,
                                                     "evidence": {"paper_form": "P-1"}}]})
        assert r.status_code == 201, r.text
        cid = r.json()["customer"]["id"]
        card = srv.post("/v1/pos/enroll", {"phone": p}, key=pos).json()["card"]["number"]
        req = request(srv, "stop", cid)
        assert srv.post(f"/v1/customers/{cid}/block", {
            "reason": "subject_request", "privacy_request_id": req["id"]}).status_code == 201
        people[store] = (cid, p, card)
    own, own_phone, own_card = people["S-1"]
    other, other_phone, other_card = people["S-2"]

    def answer(r):
        e = dict(r.json()["error"])
        e.pop("request_id", None)
        return r.status_code, e

    # Its own store's blocked customer: the till is told, 423.
    blocked(srv.get(f"/v1/customers?phone={own_phone}", key=k))
    blocked(srv.get(f"/v1/customers/{own}", key=k))
    blocked(srv.get(f"/v1/cards/{own_card}", key=k))
    blocked(srv.patch(f"/v1/customers/{own}", {"source": src("pos", store="S-1"),
                                               "profile": {"city": "Тверь"}}, key=k))
    # Another store's blocked customer looks like nobody, word for word.
    r = srv.get(f"/v1/customers?phone={other_phone}", key=k)
    assert r.status_code == 200 and r.json()["items"] == []
    assert answer(srv.get(f"/v1/customers/{other}", key=k)) == \
        answer(srv.get(f"/v1/customers/{nobody}", key=k))
    assert answer(srv.get(f"/v1/customers/{other}/consents", key=k)) == \
        answer(srv.get(f"/v1/customers/{nobody}/consents", key=k))
    assert answer(srv.patch(f"/v1/customers/{other}", {"source": src("pos", store="S-1"),
                                                       "profile": {"city": "Тверь"}}, key=k)) == \
        answer(srv.patch(f"/v1/customers/{nobody}", {"source": src("pos", store="S-1"),
                                                     "profile": {"city": "Тверь"}}, key=k))
    r = srv.get(f"/v1/cards/{other_card}", key=k)
    assert r.status_code == 404 and r.json()["error"]["code"] == "card_not_found", r.text
    quote = {"store": "S-1", "receipt": "Q-1",
             "lines": [{"sku": "A", "quantity": 1, "price": 100, "amount": 100}]}
    r = srv.post("/v1/loyalty/quote", dict(quote, customer={"phone": other_phone}), key=k)
    unknown = srv.post("/v1/loyalty/quote", dict(quote, customer={"phone": phone()}), key=k)
    assert answer(r) == answer(unknown) and r.status_code == 422, r.text
    r = srv.post("/v1/loyalty/quote", dict(quote, customer={"phone": own_phone}), key=k)
    assert blocked(r)["field"] == "customer"
    r = srv.post("/v1/customers", {"source": src("pos", store="S-1"),
                                   "profile": {"phone": other_phone}}, key=k)
    assert r.status_code == 202 and r.json()["accepted"] is True, r.text
    blocked(srv.post("/v1/customers", {"source": src("pos", store="S-1"),
                                       "profile": {"phone": own_phone}}, key=k))
    # The DPO's own key reads both, with the block; a chain-wide pos key is told of both.
    dpo = srv.new_key("dpo")
    for cid in (own, other):
        r = srv.get(f"/v1/customers/{cid}", key=dpo)
        assert r.status_code == 200 and r.json()["block"]["active"] is True, r.text
        blocked(srv.get(f"/v1/customers/{cid}", key=pos))
