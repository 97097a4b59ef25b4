"""Cards and enrolment at the cash desk (issue 5, part 2): a phone is enough, the code goes out
through the outbox to an SMS gateway (here a local HTTP sink, never the internet), the code
proves the phone; card states, batches, one card per person, send limits, and a gateway that is
down never holding up the cash desk."""
import json
import time

import pytest

from conftest import Server, phone, src
from peers import SmsGateway as Gateway, wait_for


@pytest.fixture(scope="module")
def gw():
    s = Gateway.start(path="/sms")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, gw):
    s = Server(tmp_path_factory.mktemp("cards"),
               ["--sms-url", gw.url, "--sms-backoff", "50", "--sms-attempts", "3",
                "--sms-text", "Код {{code}}, карта {{card}}"],
               env={"KARTOTEKA_SMS_AUTH": "Bearer test-gateway"})
    yield s
    s.stop()


def test_enrol_with_a_phone_then_verify_the_code(srv, gw):
    p = phone()
    n = len(gw.got) + 1
    r = srv.post("/v1/pos/enroll", {"phone": p, "store": "S-1"})
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["created"] and e["card_issued"] and not e["phone_verified"]
    card = e["card"]
    assert card["kind"] == "virtual" and card["state"] == "active"
    assert card["number"].startswith("2000") and len(card["number"]) == 13
    assert e["sms"]["queued"] and e["sms"]["otp_id"].startswith("o_")
    msg = gw.msg(n)
    assert msg["to"] == p and card["number"] in msg["text"]
    assert msg["id"].startswith("m_")  # the outbox's id
    assert gw.got[n - 1]["headers"]["Authorization"] == "Bearer test-gateway"
    code = gw.code(n)
    # The customer is pending consent, found by the card at the cash desk.
    cid = e["customer_id"]
    assert srv.get(f"/v1/customers/{cid}/consents").json()["consent_pending"] is True
    wrong = "000000" if code != "000000" else "111111"
    r = srv.post("/v1/pos/verify", {"phone": p, "code": wrong})
    assert r.status_code == 422 and r.json()["error"]["code"] == "code_wrong"
    r = srv.post("/v1/pos/verify", {"phone": p, "code": code})
    assert r.status_code == 200, r.text
    assert r.json() == {"phone_verified": True, "customer_id": cid, "otp_id": e["sms"]["otp_id"]}
    assert "phone" in srv.get(f"/v1/customers/{cid}").json()["verified"]
    r = srv.post("/v1/pos/verify", {"phone": p, "code": code})
    assert r.status_code == 422 and r.json()["error"]["code"] == "code_used"
    # Enrolling again finds the customer and the card; no second card, no code (verified).
    r = srv.post("/v1/pos/enroll", {"phone": p})
    assert r.status_code == 200
    assert (r.json()["customer_id"], r.json()["card"]["number"]) == (cid, card["number"])
    assert not r.json()["card_issued"] and r.json()["sms"] == {"queued": False,
                                                               "reason": "phone_verified"}
    # A receipt by the card finds the customer.
    r = srv.post("/v1/purchases", {"store": "S-1", "receipt": "C-1",
                                   "customer": {"card": card["number"]},
                                   "lines": [{"sku": "A", "quantity": 1, "price": 1000,
                                              "amount": 1000}]})
    assert r.status_code == 201 and r.json()["customer_id"] == cid
    # Nothing of the code is kept in clear: the outbox's content is blanked once sent.
    assert srv.rows("SELECT count(*) FROM outbox WHERE channel = 'sms' AND state = 'sent' "
                    "AND content IS NULL AND topic = 'otp'")[0][0] >= 1
    assert srv.rows("SELECT count(*) FROM otp_codes WHERE code_hash = ?",
                    (code.encode(),))[0][0] == 0


def test_codes_expire_are_limited_and_cannot_be_guessed(srv, gw):
    p = phone()
    n0 = len(gw.got)
    assert srv.post("/v1/pos/enroll", {"phone": p}).status_code == 201
    gw.wait(n0 + 1)
    for i in range(4):
        r = srv.post("/v1/pos/verify", {"phone": p, "code": f"99999{i}"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "code_wrong"
    r = srv.post("/v1/pos/verify", {"phone": p, "code": "999994"})
    assert r.json()["error"]["code"] == "code_wrong"
    right = gw.code(n0 + 1)
    r = srv.post("/v1/pos/verify", {"phone": p, "code": right})  # too late: 5 wrong guesses
    assert r.status_code == 429 and r.json()["error"]["code"] == "code_attempts_exceeded"
    # Three codes per phone per hour (the enrolment's and two more), then 429.
    assert srv.post("/v1/pos/otp", {"phone": p}).status_code == 202
    assert srv.post("/v1/pos/otp", {"phone": p}).status_code == 202
    r = srv.post("/v1/pos/otp", {"phone": p})
    assert r.status_code == 429 and r.json()["error"]["code"] == "otp_rate_limited"
    assert r.headers.get("Retry-After") == "3600"
    r = srv.post("/v1/pos/enroll", {"phone": p})  # enrolment still answers, without a code
    assert r.status_code == 200 and r.json()["sms"]["reason"] == "otp_rate_limited"
    # Per key per minute: a key that sends for many phones is stopped.
    assert srv.put("/v1/loyalty/program", {"otp": {"per_key_minute": 2}}).status_code == 200
    pos = srv.new_key("pos")
    codes = [srv.post("/v1/pos/enroll", {"phone": phone()}, key=pos).json()["sms"]
             for _ in range(3)]
    assert [c["queued"] for c in codes] == [True, True, False]
    assert codes[2]["reason"] == "otp_rate_limited" and codes[2]["retry_after_seconds"] == 60
    assert srv.put("/v1/loyalty/program", {}).status_code == 200
    # An expired code.
    q = phone()
    n1 = len(gw.got)
    assert srv.post("/v1/pos/enroll", {"phone": q}).status_code == 201
    code = gw.code(n1 + 1)
    srv.execute("UPDATE otp_codes SET expires_at = created_at - 1 WHERE created_at = "
                "(SELECT max(created_at) FROM otp_codes)")
    r = srv.post("/v1/pos/verify", {"phone": q, "code": code})
    assert r.status_code == 422 and r.json()["error"]["code"] == "code_expired"
    r = srv.post("/v1/pos/verify", {"phone": phone(), "code": "123456"})
    assert r.json()["error"]["code"] == "no_code"
    r = srv.post("/v1/pos/otp", {"phone": phone()})
    assert r.status_code == 422 and r.json()["error"]["code"] == "customer_not_found"


def test_batches_binding_one_card_per_person_and_states(srv):
    r = srv.post("/v1/cards/batches", {"batch": "2026-11-A", "count": 3})
    assert r.status_code == 201, r.text
    nums = r.json()["numbers"]
    assert len(set(nums)) == 3 and all(len(n) == 13 for n in nums)
    assert srv.get(f"/v1/cards/{nums[0]}").json()["state"] == "issued"
    p = phone()
    r = srv.post("/v1/pos/enroll", {"phone": p, "card": nums[0], "send_code": False})
    assert r.status_code == 201, r.text
    cid = r.json()["customer_id"]
    assert r.json()["card"] == srv.get(f"/v1/cards/{nums[0]}").json()
    assert r.json()["card"]["kind"] == "physical" and r.json()["card"]["state"] == "active"
    # A second card for the same phone: refused, naming the customer who has one.
    r = srv.post("/v1/pos/enroll", {"phone": p, "card": nums[1]})
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "card_limit"
    assert r.json()["customer_id"] == cid and r.json()["cards"] == [nums[0]]
    assert srv.get(f"/v1/cards/{nums[1]}").json()["state"] == "issued"  # nothing written
    # The same card for another phone: it is in use.
    r = srv.post("/v1/pos/enroll", {"phone": phone(), "card": nums[0]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "card_not_bindable"
    for body, code in [({"phone": phone(), "card": "2000000000000"}, "card_invalid"),
                       ({"phone": phone(), "card": "4600000000008"}, "card_unknown"),
                       ({"phone": "12"}, "invalid_phone"), ({}, "missing_field"),
                       ({"phone": phone(), "pets": 2}, "unknown_field")]:
        r = srv.post("/v1/pos/enroll", body)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, (body, r.text)
    # Lost: blocked; the receipt by it is refused, by the phone it goes through.
    line = [{"sku": "A", "quantity": 1, "price": 1000, "amount": 1000}]
    r = srv.post(f"/v1/cards/{nums[0]}/block", {"reason": "утеряна"})
    assert r.status_code == 200 and r.json()["state"] == "blocked"
    r = srv.post("/v1/purchases", {"store": "S-1", "receipt": "B-1",
                                   "customer": {"card": nums[0]}, "lines": line})
    assert r.status_code == 422 and r.json()["error"]["code"] == "card_blocked"
    r = srv.post("/v1/purchases", {"store": "S-1", "receipt": "B-1",
                                   "customer": {"card": "4600000000008"}, "lines": line})
    assert r.status_code == 422 and r.json()["error"]["code"] == "card_unknown"
    # Replaced by the next card of the batch; the balance is the customer's and stays.
    srv.post(f"/v1/customers/{cid}/points/adjustments", {"points": 70, "reason": "тест"})
    r = srv.post(f"/v1/cards/{nums[0]}/replace", {"reason": "утеряна", "with": nums[1]})
    assert r.status_code == 200, r.text
    assert r.json()["replaced"]["state"] == "replaced"
    assert r.json()["replaced"]["replaced_by"] == nums[1]
    assert r.json()["card"]["state"] == "active" and r.json()["card"]["customer_id"] == cid
    r = srv.post("/v1/purchases", {"store": "S-1", "receipt": "B-2",
                                   "customer": {"card": nums[1]}, "lines": line})
    assert r.status_code == 201 and r.json()["customer_id"] == cid
    assert r.json()["points"]["available"] == 70
    r = srv.post(f"/v1/cards/{nums[0]}/block", {"reason": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "card_state"
    # Replaced with a new virtual card, then unbound (admin only).
    r = srv.post(f"/v1/cards/{nums[1]}/replace", {"reason": "повреждена"})
    assert r.status_code == 200 and r.json()["card"]["kind"] == "virtual"
    virt = r.json()["card"]["number"]
    pos = srv.new_key("pos")
    assert srv.post(f"/v1/cards/{virt}/unbind", {"reason": "x"}, key=pos).status_code == 403
    r = srv.post(f"/v1/cards/{virt}/unbind", {"reason": "просьба клиента"})
    assert r.status_code == 200 and r.json()["state"] == "unbound"
    states = [c["state"] for c in srv.get(f"/v1/customers/{cid}/cards").json()["items"]]
    assert states == ["replaced", "replaced", "unbound"]
    r = srv.post("/v1/purchases", {"store": "S-1", "receipt": "B-3",
                                   "customer": {"card": virt}, "lines": line})
    assert r.status_code == 422 and r.json()["error"]["code"] == "card_inactive"
    assert srv.post("/v1/cards/batches", {"batch": "x", "count": 0}).status_code == 422
    for body, code, field in [({"batch": "x", "count": "3"}, "wrong_type", "count"),
                              ({"batch": "x", "count": 10**6}, "invalid_value", "count"),
                              ({"batch": "x" * 65, "count": 1}, "too_long", "batch"),
                              ({"count": 1}, "missing_field", "batch")]:
        r = srv.post("/v1/cards/batches", body)
        assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["field"]) == (
            422, code, field), body
    assert srv.post("/v1/cards/batches", {"batch": "x", "count": 1}, key=pos).status_code == 403


def test_a_gateway_that_is_down_never_blocks_the_cash_desk(srv, gw):
    gw.fail = True
    try:
        n0 = len(gw.got)
        t0 = time.monotonic()
        r = srv.post("/v1/pos/enroll", {"phone": phone()})
        assert r.status_code == 201 and r.json()["sms"]["queued"]
        assert time.monotonic() - t0 < 1.0
        cid = r.json()["customer_id"]
        gw.wait(n0 + 3)  # three attempts with backoff, then failed
        deadline = time.monotonic() + 10
        row = None
        while time.monotonic() < deadline:
            (row,) = srv.rows("SELECT o.state, o.attempts, o.reason, o.reply_code, o.content "
                              "FROM outbox o JOIN customers c ON c.ck = o.ck "
                              "WHERE o.channel = 'sms' AND c.id = ?", (cid,))
            if row[0] == "failed":
                break
            time.sleep(0.05)
        assert row == ("failed", 3, "attempts_exhausted", 503, None)
    finally:
        gw.fail = False


def test_codes_wait_in_the_outbox_without_a_gateway(start_server):
    s = start_server()
    r = s.post("/v1/pos/enroll", {"phone": phone()})
    assert r.status_code == 201 and r.json()["sms"]["queued"]
    assert "no SMS gateway" in s.stderr()
    assert s.rows("SELECT state, channel, topic FROM outbox") == [("queued", "sms", "otp")]
    assert s.put("/v1/system/clock", {"now": "2011-01-01T00:00:00Z"}).json()["error"]["code"] \
        == "clock_fixed"


def test_welcome_referral_and_birthday_bonuses(start_server, gw):
    s = start_server(["--settable-clock", "--sms-url", gw.url, "--sms-backoff", "50"])
    # Outside the birthday's window (9-15 March): the server's own runner may run the birthday
    # job at any tick, so the clock only moves forward into it, below.
    s.put("/v1/system/clock", {"now": "2026-03-01T09:00:00Z"})
    assert s.put("/v1/loyalty/program", {"hold_days": 0, "bonuses": {
        "welcome": 200, "referral": {"referrer": 100, "friend": 50},
        "birthday": {"points": 300, "window_days": 3}}}).status_code == 200
    assert s.put("/v1/consent-documents/pd", {"purpose": "pd_processing", "title": "t",
                                              "body": "b"}).status_code == 201
    # Welcome: given once, when the member's profile first meets the gate.
    pa = phone()
    n = len(gw.got) + 1
    a = s.post("/v1/pos/enroll", {"phone": pa}).json()["customer_id"]
    r = s.post("/v1/pos/verify", {"phone": pa, "code": gw.code(n)})
    assert r.status_code == 200 and "welcome_bonus" not in r.json()
    assert s.patch(f"/v1/customers/{a}", {"source": src("pos"), "profile": {
        "first_name": "Анна", "birth_date": "1990-03-12"}}).status_code == 200
    assert s.get(f"/v1/customers/{a}/points").json()["available"] == 0  # no consent yet
    r = s.post(f"/v1/customers/{a}/consents", {"source": src("pos"), "consents": [{
        "purpose": "pd_processing", "document": "pd", "granted": True,
        "evidence": {"paper_form": "F-1"}}]})
    assert r.status_code == 200, r.text
    assert s.get(f"/v1/customers/{a}/points").json()["available"] == 200
    s.patch(f"/v1/customers/{a}", {"source": src("pos"), "profile": {"last_name": "Белова"}})
    hist = s.get(f"/v1/customers/{a}/points/history").json()["items"]
    assert [(h["kind"], h["points"], h.get("reason")) for h in hist] == [("bonus", 200, "welcome")]
    # A complete profile that is not a member (no card) gets nothing.
    c = s.post("/v1/customers", {"source": src("pos"), "verified": ["phone"], "profile": {
        "phone": phone(), "first_name": "Ольга", "birth_date": "1980-01-01"},
        "consents": [{"purpose": "pd_processing", "document": "pd", "granted": True,
                      "evidence": {"paper_form": "F-2"}}]}).json()["customer"]["id"]
    s.patch(f"/v1/customers/{c}", {"source": src("pos"), "profile": {"last_name": "Иванова"}})
    assert s.get(f"/v1/customers/{c}/points").json()["available"] == 0
    # Bring a friend: both get their points after the friend's first paid purchase, once.
    pb = phone()
    r = s.post("/v1/pos/enroll", {"phone": pb, "referrer": pa, "send_code": False})
    assert r.status_code == 201, r.text
    b = r.json()["customer_id"]
    line = [{"sku": "A", "quantity": 1, "price": 10000, "amount": 10000}]
    r = s.post("/v1/purchases", {"store": "S", "receipt": "F-1", "customer": {"phone": pb},
                                 "lines": line})
    assert r.status_code == 201
    s.post("/v1/purchases", {"store": "S", "receipt": "F-2", "customer": {"phone": pb},
                             "lines": line})
    assert s.get(f"/v1/customers/{a}/points").json()["available"] == 200 + 100
    got_b = [(h["kind"], h["points"]) for h in
             s.get(f"/v1/customers/{b}/points/history").json()["items"]]
    assert got_b == [("earn", 5), ("bonus", 50), ("earn", 5)]
    for body, status, code in [
        ({"phone": pa, "referrer": pb}, 409, "referral_not_new"),
        ({"phone": phone(), "referrer": phone()}, 422, "referrer_not_found"),
        ({"phone": phone(), "referrer": "4600000000008"}, 422, "referrer_not_found"),
    ]:
        r = s.post("/v1/pos/enroll", dict(body, send_code=False))
        assert r.status_code == status and r.json()["error"]["code"] == code, (body, r.text)
    pself = phone()
    r = s.post("/v1/pos/enroll", {"phone": pself, "referrer": pself, "send_code": False})
    assert r.status_code == 422 and r.json()["error"]["code"] == "referral_self"
    assert s.get(f"/v1/customers?phone={pself.replace('+', '%2B')}").json()["items"] == []
    # Birthday (12 March, window 3 days, Moscow time): on 9 March nothing, on 10 March the
    # bonus, once; it is gone when the window closes.
    s.put("/v1/system/clock", {"now": "2026-03-08T20:00:00Z"})  # 23:00 on the 8th in Moscow
    assert s.post("/v1/loyalty/run-due").json()["birthday"] == {"customers": 0, "points": 0}
    s.put("/v1/system/clock", {"now": "2026-03-08T21:30:00Z"})  # 00:30 on the 9th
    # The server's own runner may grant it first (its tick sees the clock move): either way the
    # bonus is there once, and a second run grants nothing.
    s.post("/v1/loyalty/run-due")
    bal = s.get(f"/v1/customers/{a}/points").json()
    assert (bal["available"], bal["pending"]) == (300 + 300, 0)  # hold_days 0
    assert s.post("/v1/loyalty/run-due").json()["birthday"]["points"] == 0
    s.put("/v1/system/clock", {"now": "2026-03-12T09:00:00Z"})
    assert s.post("/v1/loyalty/run-due").json()["birthday"]["points"] == 0  # once a year
    bal = s.get(f"/v1/customers/{a}/points").json()
    assert bal["available"] == 300 + 300
    assert bal["next_expiry"] == {"at": "2026-03-15T21:00:00.000Z", "points": 300}
    s.put("/v1/system/clock", {"now": "2026-03-16T00:00:00Z"})
    s.post("/v1/loyalty/run-due")  # or the server's runner: the points expire once
    assert s.get(f"/v1/customers/{a}/points").json()["available"] == 300
    assert s.post("/v1/loyalty/run-due").json()["expired"]["points"] == 0


def test_export_merge_and_erasure_carry_the_cards_and_receipts(srv, gw):
    p, q = phone(), phone()
    a = srv.post("/v1/pos/enroll", {"phone": p}).json()
    b = srv.post("/v1/pos/enroll", {"phone": q, "send_code": False}).json()
    line = {"sku": "A", "name": "Хлеб", "quantity": 2, "price": 5000, "amount": 10000}
    pid = srv.post("/v1/purchases", {"store": "S-9", "receipt": "X-1", "customer": {"phone": p},
                                     "lines": [line]}).json()["id"]
    srv.post(f"/v1/purchases/{pid}/refunds", {"refund": "XR-1", "lines": [{"line": 1,
                                                                            "quantity": 1}]})
    doc = srv.get(f"/v1/customers/{a['customer_id']}/export").json()
    assert [x["id"] for x in doc["purchases"]] == [pid]
    assert doc["purchases"][0]["lines"][0]["refunded_quantity"] == 1.0
    assert [c["number"] for c in doc["cards"]] == [a["card"]["number"]]
    # A merge brings the other customer's card along.
    r = srv.post(f"/v1/customers/{a['customer_id']}/merge", {"from": b["customer_id"]})
    assert r.status_code == 200, r.text
    cards = srv.get(f"/v1/customers/{a['customer_id']}/cards").json()["items"]
    assert sorted(c["number"] for c in cards) == sorted([a["card"]["number"],
                                                         b["card"]["number"]])
    # Erasure: the cards are unbound, messages to the phone leave the outbox; receipts stay.
    gw.fail = True  # keep a message queued
    try:
        assert srv.post("/v1/pos/otp", {"phone": p}).status_code == 202
        r = srv.post(f"/v1/customers/{a['customer_id']}/erase", {})
        assert r.status_code == 200, r.text
    finally:
        gw.fail = False
    for c in cards:
        got = srv.get(f"/v1/cards/{c['number']}").json()
        assert (got["state"], got["reason"]) == ("unbound", "erased")
    # The code's row keeps no phone or text; one the sender was posting while the erasure ran is
    # recorded when the gateway answers, and its retry is suppressed ("erased") at the next claim.
    wait_for(lambda: srv.rows(
        "SELECT count(*) FROM outbox o JOIN customers c ON c.ck = o.ck WHERE c.id IN (?, ?) "
        "AND (o.recipient IS NOT NULL OR o.content IS NOT NULL OR o.state IN ('queued', "
        "'sending'))", (a["customer_id"], b["customer_id"]))[0][0] == 0, 10,
        "the erased customer's messages emptied and stopped")
    assert srv.get(f"/v1/purchases/{pid}").json()["refunded"] == 5000


def test_the_loyalty_command_line(srv, tmp_path):
    out = srv.cli("loyalty", "program").stdout
    before = json.loads(out)["version"]
    doc = tmp_path / "p.json"
    doc.write_text(json.dumps({"earn": {"percent_bp": 700}, "hold_days": 0}))
    assert f"published version {before + 1}" in srv.cli("loyalty", "program", "--set",
                                                        str(doc)).stdout
    assert json.loads(srv.cli("loyalty", "program").stdout)["rules"]["earn"]["percent_bp"] == 700
    doc.write_text(json.dumps({"earn": {"percent_bp": 70000}}))
    r = srv.cli("loyalty", "program", "--set", str(doc), check=False)
    assert r.returncode == 1 and "earn.percent_bp" in r.stderr
    nums = srv.cli("loyalty", "cards-batch", "--batch", "cli-1", "--count", "3").stdout.split()
    assert len(nums) == 3 and srv.get(f"/v1/cards/{nums[2]}").json()["batch"] == "cli-1"
    p = phone()
    cid = srv.post("/v1/pos/enroll", {"phone": p, "card": nums[0], "send_code": False}
                   ).json()["customer_id"]
    srv.post("/v1/purchases", {"store": "S-1", "receipt": "CLI-1", "customer": {"card": nums[0]},
                               "lines": [{"sku": "A", "quantity": 1, "price": 10000,
                                          "amount": 10000}]})
    pts = json.loads(srv.cli("loyalty", "points", cid).stdout)
    assert pts["balance"]["available"] == 7 and pts["history"][0]["kind"] == "earn"
    buys = json.loads(srv.cli("loyalty", "purchases", cid).stdout)["items"]
    assert [b["receipt"] for b in buys] == ["CLI-1"] and buys[0]["identified_by"] == "card"
    rep = json.loads(srv.cli("loyalty", "report").stdout)
    assert rep == srv.get("/v1/reports/loyalty", params={"until": rep["until"]}).json()
    for args, code in [(["loyalty"], 2), (["loyalty", "points"], 2),
                       (["loyalty", "cards-batch", "--batch", "x"], 2),
                       (["loyalty", "report", "--since", "yesterday"], 2),
                       (["loyalty", "points", "c_nobody"], 1)]:
        assert srv.cli(*args, check=False).returncode == code, args
    assert "cards-batch" in srv.cli("loyalty", "--help").stdout


def test_a_confirmed_code_is_consent_evidence_and_a_made_up_one_is_not(srv, gw):
    assert srv.put("/v1/consent-documents/pd-otp", {"purpose": "pd_processing", "title": "t",
                                                    "body": "b"}).status_code == 201
    p, q = phone(), phone()
    n = len(gw.got) + 1
    a = srv.post("/v1/pos/enroll", {"phone": p}).json()
    code = gw.code(n)
    b = srv.post("/v1/pos/enroll", {"phone": q, "send_code": False}).json()

    def consent(cid, otp_id):
        return srv.post(f"/v1/customers/{cid}/consents", {
            "source": src("pos"), "consents": [{"purpose": "pd_processing",
                                                "document": "pd-otp", "granted": True,
                                                "evidence": {"otp_id": otp_id}}]})

    r = consent(a["customer_id"], a["sms"]["otp_id"])  # sent, not yet confirmed
    assert r.status_code == 422 and r.json()["error"]["code"] == "otp_not_verified"
    assert r.json()["error"]["field"] == "consents[0].evidence.otp_id"
    assert srv.post("/v1/pos/verify", {"phone": p, "code": code}).status_code == 200
    assert consent(b["customer_id"], a["sms"]["otp_id"]).status_code == 422  # someone else's
    assert consent(a["customer_id"], "o_madeup").status_code == 422
    r = consent(a["customer_id"], a["sms"]["otp_id"])
    assert r.status_code == 200, r.text
    ev = srv.get(f"/v1/customers/{a['customer_id']}/consents/evidence").json()
    assert a["sms"]["otp_id"] in str(ev)
