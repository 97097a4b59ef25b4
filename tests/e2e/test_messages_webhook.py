"""SMS, push and webhook messages of the outbox (docs/messages.md, "SMS" and "The outbox")
against HTTP receivers this test starts on loopback (tests/e2e/peers.py): the SMS gateway (the
one-time codes' webhook, unsigned, with its Authorization header) and the push and webhook
receivers, which check the Kartoteka-Signature as docs/messages.md tells a receiver to. A
marketing SMS carries the sender's name and its opt-out link; a one-time code goes through the
same outbox; the per-channel rates hold N messages to about N/r seconds.
"""
import re
import time

import pytest
import requests

from conftest import Server, phone
from peers import Receiver, wait_for

SECRET = "whsec-webhook-0123456789abcdef"
SENDER = "Ромашка"
PD = "hook-pd"


@pytest.fixture(scope="module")
def peers():
    gw = Receiver.start(path="/sms")
    push = Receiver.start(SECRET, "/push")
    hook = Receiver.start(SECRET, "/hook")
    yield gw, push, hook
    for r in (gw, push, hook):
        r.stop()


def prepare(s):
    for key, purpose in ((PD, "pd_processing"), ("hook-ads", "ads")):
        r = s.put(f"/v1/consent-documents/{key}", {"purpose": purpose, "title": "Документ",
                                                   "body": "Текст согласия."})
        assert r.status_code in (200, 201), r.text
    assert s.put("/v1/topics/promo", {"title": "Акции", "channels": ["sms"]}).status_code in (
        200, 201)
    assert s.put("/v1/privacy/settings", {"public_url": s.url}).status_code == 200


@pytest.fixture(scope="module")
def srv(tmp_path_factory, peers):
    gw, push, hook = peers
    s = Server(tmp_path_factory.mktemp("hook"),
               ["--sms-url", gw.url, "--push-url", push.url, "--webhook-url", hook.url,
                "--sms-sender", SENDER, "--quiet-hours-sms", "none", "--quiet-hours-push", "none",
                "--sms-backoff", "50"],
               env={"KARTOTEKA_WEBHOOK_SECRET": SECRET, "KARTOTEKA_SMS_AUTH": "Bearer gw-token"})
    prepare(s)
    yield s
    s.stop()


def join(s, ads=True):
    p = phone()
    consents = [{"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
                 "evidence": {"form_id": "f-1"}}]
    if ads:
        consents.append({"purpose": "ads", "channel": "sms", "document": "hook-ads",
                         "granted": True, "evidence": {"form_id": "f-1"}})
    r = s.post("/v1/customers", {"source": {"channel": "web"}, "profile": {"phone": p},
                                 "consents": consents})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    if ads:
        r = s.post(f"/v1/customers/{cid}/subscriptions",
                   {"topic": "promo", "channel": "sms", "subscribed": True})
        assert r.status_code == 200, r.text
    return cid, p


_n = [0]


def send(s, body):
    _n[0] += 1
    return s.post("/v1/messages", body, headers={"Idempotency-Key": f"hook-{_n[0]}"})


def arrived(rx, mid, timeout=15):
    wait_for(lambda: mid in rx.ids() or any((g["json"] or {}).get("id") == mid for g in rx.got),
             timeout, f"message {mid} at {rx.url}")
    return next(g for g in rx.got if g["headers"].get("Kartoteka-Message-Id") == mid
                or (g["json"] or {}).get("id") == mid)


def test_a_marketing_sms_is_signed_and_carries_its_opt_out(srv, peers):
    gw = peers[0]
    cid, p = join(srv)
    r = send(srv, {"customer_id": cid, "channel": "sms", "transactional": False,
                   "topic": "promo", "text": "Скидка 10% до воскресенья"})
    assert r.status_code == 201, r.text
    m = r.json()
    assert (m["channel"], m["kind"], m["state"]) == ("sms", "marketing", "queued")
    got = arrived(gw, m["id"])
    assert got["headers"]["Authorization"] == "Bearer gw-token"
    body = got["json"]
    assert body["to"] == p and body["id"] == m["id"]
    text, sign = body["text"].split("\n")
    assert text == "Скидка 10% до воскресенья"
    assert sign.startswith(f"{SENDER}. Отказ: {srv.url}/u/")
    # The opt-out link is the unsubscribe page of this topic by SMS: following it ends the
    # subscription, and the next marketing SMS is suppressed.
    link = sign.split("Отказ: ")[1]
    page = requests.get(link, timeout=10)
    assert page.status_code == 200
    form = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"',
                           page.text.split("</form>")[0]))
    r = requests.post(link, data=form, timeout=10)  # the save form, every box unticked
    assert r.status_code in (200, 302), r.text
    subs = srv.get(f"/v1/customers/{cid}/subscriptions").json()["items"]
    assert {(x["topic"], x["channel"]): x["subscribed"] for x in subs}[("promo", "sms")] is False
    r = send(srv, {"customer_id": cid, "channel": "sms", "transactional": False,
                   "topic": "promo", "text": "Ещё скидка"})
    mid = r.json()["id"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        st = next(x for x in srv.get(f"/v1/customers/{cid}/messages").json()["items"]
                  if x["id"] == mid)
        if st["state"] != "queued":
            break
        time.sleep(0.05)
    assert (st["state"], st["reason"]) == ("suppressed", "not_subscribed"), st


def test_the_preview_counts_what_a_marketing_sms_sends(srv, peers):
    gw = peers[0]
    cid, _ = join(srv)
    r = srv.put("/v1/templates/promo-sms", {"channel": "sms", "text": "Скидка 10% до воскресенья"})
    assert r.status_code in (200, 201), r.text
    plain = srv.post("/v1/templates/promo-sms/preview", {"customer_id": cid}).json()
    assert plain["sms"] == {"length": 25, "parts": 1, "encoding": "ucs2"}
    r = srv.post("/v1/templates/promo-sms/preview", {"customer_id": cid, "topic": "promo"})
    assert r.status_code == 200, r.text
    shown = r.json()
    text = shown["parts"]["text"]
    assert text.startswith("Скидка 10% до воскресенья\n" + SENDER + ". Отказ: ")
    # Its length is what docs/messages.md says the signature and the link add: 1 + |sender| + 2
    # + 7 + |public_url| + 3 + the token's ceil(4 * (43 + |topic|) / 3), all UTF-16 units.
    token = -(-4 * (43 + len("promo")) // 3)
    added = 1 + len(SENDER) + 2 + 7 + len(srv.url) + 3 + token
    assert shown["sms"]["length"] == 25 + added == len(text.encode("utf-16-le")) // 2
    assert shown["sms"]["parts"] == -(-(25 + added) // 67) and shown["sms"]["encoding"] == "ucs2"
    # ... and it is the text the gateway gets for the same customer and topic.
    r = send(srv, {"customer_id": cid, "channel": "sms", "transactional": False,
                   "topic": "promo", "template": "promo-sms"})
    assert r.status_code == 201, r.text
    assert arrived(gw, r.json()["id"])["json"]["text"] == text
    r = srv.post("/v1/templates/promo-sms/preview", {"topic": "promo"})
    assert r.status_code == 422


def test_sms_refusals(srv, tmp_path):
    cid, _ = join(srv)
    r = send(srv, {"customer_id": cid, "channel": "sms", "transactional": True})
    assert (r.status_code, r.json()["error"]["field"]) == (422, "text")
    r = send(srv, {"customer_id": cid, "channel": "sms", "transactional": True, "topic": "otp",
                   "text": "x"})
    assert (r.status_code, r.json()["error"]["field"]) == (422, "topic")
    r = send(srv, {"customer_id": cid, "channel": "webhook", "transactional": True})
    assert (r.status_code, r.json()["error"]["field"]) == (422, "data")
    # Without --sms-sender a marketing SMS is refused, a transactional one is queued.
    s = Server(tmp_path / "nosender", [])
    prepare(s)
    c2, _ = join(s)
    r = send(s, {"customer_id": c2, "channel": "sms", "transactional": False, "topic": "promo",
                 "text": "Скидка"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "sms_sender_required")
    r = send(s, {"customer_id": c2, "channel": "sms", "transactional": True, "text": "Заказ готов"})
    assert r.status_code == 201, r.text
    s.stop()


def test_a_one_time_code_goes_through_the_same_outbox(srv, peers):
    gw = peers[0]
    cid, p = join(srv, ads=False)
    n = len(gw.got)
    t0 = time.monotonic()
    r = srv.post("/v1/pos/otp", {"phone": p})
    assert r.status_code == 202, r.text
    gw.wait(n + 1)
    assert gw.got[n]["at"] - t0 < 1.0  # woken at enqueue, not at the next tick
    body = gw.got[n]["json"]
    assert body["to"] == p and re.search(r"\b\d{6}\b", body["text"])
    assert "Отказ" not in body["text"]  # transactional: no sender line, no opt-out
    items = srv.get(f"/v1/customers/{cid}/messages").json()["items"]
    code = next(x for x in items if x["id"] == body["id"])
    assert (code["channel"], code["kind"], code["topic"], code["priority"], code["state"]) == (
        "sms", "transactional", "otp", 1000, "sent")


def test_push_and_webhook_are_signed(srv, peers):
    _, push, hook = peers
    cid, _ = join(srv)
    r = send(srv, {"customer_id": cid, "channel": "push", "transactional": True,
                   "title": "Заказ", "body": "Заказ собран"})
    assert r.status_code == 201, r.text
    got = arrived(push, r.json()["id"])
    assert got["signed"] is True
    assert got["json"] == {"id": r.json()["id"], "channel": "push", "customer_id": cid,
                           "title": "Заказ", "body": "Заказ собран"}
    r = send(srv, {"customer_id": cid, "channel": "webhook", "transactional": True,
                   "data": {"event": "order_ready", "order": "A-17", "sum": 1990}})
    assert r.status_code == 201, r.text
    got = arrived(hook, r.json()["id"])
    assert got["signed"] is True and got["path"] == "/hook"
    assert got["json"] == {"id": r.json()["id"], "channel": "webhook", "customer_id": cid,
                           "data": {"event": "order_ready", "order": "A-17", "sum": 1990}}


@pytest.mark.parametrize("channel", ["sms", "webhook"])
def test_a_channel_rate_holds_n_messages_to_about_n_over_r_seconds(tmp_path, channel):
    rate, n = 4, 16
    rx = Receiver.start(SECRET if channel == "webhook" else None, "/rx")
    url_flag = "--sms-url" if channel == "sms" else "--webhook-url"
    s = Server(tmp_path / channel, [url_flag, rx.url, f"--{channel}-rate", str(rate),
                                    "--quiet-hours-sms", "none"],
               env={"KARTOTEKA_WEBHOOK_SECRET": SECRET})
    try:
        prepare(s)
        cid, _ = join(s)
        body = {"customer_id": cid, "channel": channel, "transactional": True}
        body.update({"text": "Заказ готов"} if channel == "sms" else {"data": {"n": 1}})
        t0 = time.monotonic()
        for _ in range(n):
            assert send(s, body).status_code == 201
        rx.wait(n, timeout=30)
        took = rx.got[n - 1]["at"] - t0
        # A bucket of one second's worth goes at once, the rest at `rate` per second; the sender
        # looks again at least every second.
        assert (n - rate) / rate - 0.5 <= took <= n / rate + 3, took
        assert len(rx.got) == n
    finally:
        s.stop()
        rx.stop()
