"""The outbox (docs/messages.md, "The outbox") against real peers this test starts on loopback:
an SMTP server (Debian's python3-aiosmtpd) whose answers the test steers per address, and an HTTP
receiver for push that checks the signature. Messages go in by POST /v1/messages and out through
the server's own sender (the scheduler's outbox_send job); what arrives is counted at the sinks
by the message's id, and what did not is read back with its reason from
GET /v1/customers/{id}/messages.
"""
import email
import email.policy
import subprocess
import time

import pytest

from conftest import BACKEND, BIN, Server, phone
from messaging import PD, join, message, outbox_args, prepare, send, wait_state
from peers import Receiver, SmtpSink

SECRET = "whsec-outbox-0123456789abcdef"


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink.start()
    yield sink.port, sink
    sink.stop()


@pytest.fixture(scope="module")
def push():
    rx = Receiver.start(SECRET, "/push")
    yield rx
    rx.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, smtp, push):
    s = Server(tmp_path_factory.mktemp("outbox"), outbox_args(smtp[0], push.url),
               env={"KARTOTEKA_WEBHOOK_SECRET": SECRET})
    prepare(s)
    yield s
    s.stop()


def test_a_transactional_email_posted_twice_arrives_once(server, smtp):
    _, sink = smtp
    cid = join(server, "anna.once@example.org")
    r1 = send(server, cid, key="order-twice")
    assert r1.status_code == 201, r1.text
    r2 = send(server, cid, key="order-twice")
    assert r2.status_code == 200, r2.text
    assert r1.json()["id"] == r2.json()["id"] and r1.json()["state"] == "queued"
    m = wait_state(server, cid, r1.json()["id"], {"sent"})
    assert m["reply_code"] == 250 and m["attempts"] == 1 and m["sent_at"]
    time.sleep(1.5)  # a second pass of the sender finds nothing more to send
    assert sink.ids().count(r1.json()["id"]) == 1
    # a third POST after the send answers the message as it is now
    r3 = send(server, cid, key="order-twice")
    assert r3.status_code == 200 and r3.json()["state"] == "sent"


def test_a_marketing_email_without_ads_consent_is_suppressed_with_its_reason(server, smtp):
    _, sink = smtp
    cid = join(server, "boris.noads@example.org")
    r = send(server, cid, transactional=False, topic="promo")
    assert r.status_code == 201, r.text
    m = wait_state(server, cid, r.json()["id"], {"suppressed", "sent"})
    assert m["state"] == "suppressed" and m["reason"] == "not_subscribed", m
    assert r.json()["id"] not in sink.ids()
    # with the consent and the subscription it goes
    cid2 = join(server, "vera.ads@example.org", ads=True, subscribe=True)
    r = send(server, cid2, transactional=False, topic="promo")
    assert wait_state(server, cid2, r.json()["id"], {"sent", "suppressed"})["state"] == "sent"
    env = next(e for e in sink.messages if "vera.ads@example.org" in e.rcpt_tos)
    msg = email.message_from_bytes(env.original_content, policy=email.policy.default)
    assert msg["List-Unsubscribe"].startswith(f"<{server.url}/u/")


def test_the_customer_named_by_an_identifier(server, smtp):
    _, sink = smtp
    p = phone()
    r = server.post("/v1/customers", {"source": {"channel": "web"},
                                      "profile": {"phone": p, "email": "lev.phone@example.org"},
                                      "consents": [{"purpose": "pd_processing",
                                                    "document": f"{PD}@1", "granted": True,
                                                    "evidence": {"form_id": "f-1"}}]})
    cid = r.json()["customer"]["id"]
    body = {"customer": {"phone": p}, "channel": "email", "transactional": True,
            "subject": "Чек", "text": "Ваш чек."}
    r = server.post("/v1/messages", body, headers={"Idempotency-Key": "by-phone"})
    assert r.status_code == 201 and r.json()["customer_id"] == cid, r.text
    r = server.post("/v1/messages", body, headers={"Idempotency-Key": "by-phone"})
    assert r.status_code == 200 and r.json()["customer_id"] == cid, r.text
    wait_state(server, cid, r.json()["id"], {"sent"})
    for bad, field in (({"customer": {"phone": p}, "customer_id": cid}, "customer"),
                       ({}, "customer_id"), ({"customer": {"phone": "+79990000000"}}, "customer")):
        b = dict({k: v for k, v in body.items() if k != "customer"}, **bad)
        r = server.post("/v1/messages", b, headers={"Idempotency-Key": "bad-who"})
        assert r.status_code == 422 and r.json()["error"]["field"].startswith(field), r.text


def test_a_stored_template_rendered_at_enqueue(server, smtp):
    _, sink = smtp
    r = server.put("/v1/templates/order-ready", {
        "channel": "email", "subject": "{{first_name | default: \"Покупатель\"}}, заказ готов",
        "text": "Заказ {{context.order}} ждёт вас.", "html": "<p>Заказ {{context.order}}</p>"})
    assert r.status_code in (200, 201), r.text
    r = server.post("/v1/customers", {"source": {"channel": "web"},
                                      "profile": {"phone": phone(), "first_name": "Мария",
                                                  "email": "maria.tpl@example.org"},
                                      "consents": [{"purpose": "pd_processing",
                                                    "document": f"{PD}@1", "granted": True,
                                                    "evidence": {"form_id": "f-1"}}]})
    cid = r.json()["customer"]["id"]
    body = {"customer_id": cid, "channel": "email", "transactional": True,
            "template": "order-ready", "context": {"order": "A-17"}}
    r = server.post("/v1/messages", body, headers={"Idempotency-Key": "tpl-1"})
    assert r.status_code == 201, r.text
    wait_state(server, cid, r.json()["id"], {"sent"})
    env = next(e for e in sink.messages if "maria.tpl@example.org" in e.rcpt_tos)
    msg = email.message_from_bytes(env.original_content, policy=email.policy.default)
    assert msg["Subject"] == "Мария, заказ готов"
    assert msg.get_body(("plain",)).get_content().strip() == "Заказ A-17 ждёт вас."
    for bad, field in (({"subject": "x"}, "subject"), ({"channel": "push"}, "template"),
                       ({"template": "nope"}, "template")):
        r = server.post("/v1/messages", dict(body, **bad), headers={"Idempotency-Key": "tpl-bad"})
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text


def test_a_marketing_email_needs_a_topic(server):
    cid = join(server, "gleb.topic@example.org", ads=True, subscribe=True)
    r = send(server, cid, transactional=False)
    assert r.status_code == 422 and r.json()["error"]["field"] == "topic"
    r = server.post("/v1/messages", {"customer_id": cid, "channel": "email",
                                     "transactional": True, "subject": "x", "text": "y"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "Idempotency-Key"


def test_consent_withdrawn_after_queueing_stops_the_message(server, smtp):
    _, sink = smtp
    addr = "dina.withdraws@example.org"
    cid = join(server, addr, ads=True, subscribe=True)
    sink.busy.add(addr)  # the relay defers her mail: the message waits queued
    r = send(server, cid, transactional=False, topic="promo")
    mid = r.json()["id"]
    # Back in the queue after the relay's 451 - not merely claimed: a withdrawal while the
    # message is on the wire cannot stop it (the policy decides at the claim), and on a loaded
    # machine the relay could take it after `busy` is cleared below.
    deadline = time.monotonic() + 20
    while True:
        m = message(server, cid, mid)
        if m["attempts"] >= 1 and m["state"] == "queued" and m.get("reply_code") == 451:
            break
        assert time.monotonic() < deadline, m
        time.sleep(0.1)
    r = server.post(f"/v1/customers/{cid}/consents", {
        "source": {"channel": "call_center", "operator": "op-1"},
        "consents": [{"purpose": "ads", "channel": "email", "granted": False}]})
    assert r.status_code == 200, r.text
    sink.busy.discard(addr)  # the relay would take it now: the policy must stop it
    m = wait_state(server, cid, mid, {"suppressed", "sent"})
    assert m["state"] == "suppressed" and m["reason"] in ("not_subscribed", "no_ads_consent"), m
    assert mid not in sink.ids()


def test_a_4xx_retries_then_arrives_once(server, smtp):
    _, sink = smtp
    addr = "egor.later@example.org"
    sink.temp[addr] = 2
    cid = join(server, addr)
    mid = send(server, cid).json()["id"]
    m = wait_state(server, cid, mid, {"sent", "failed"})
    assert m["state"] == "sent" and m["attempts"] == 3, m
    assert sink.ids().count(mid) == 1


def test_a_5xx_fails_for_good(server, smtp):
    _, sink = smtp
    cid = join(server, "perm.zhanna@example.org")
    mid = send(server, cid).json()["id"]
    m = wait_state(server, cid, mid, {"failed", "sent"})
    assert m["state"] == "failed" and m["reason"] == "refused" and m["reply_code"] == 550, m
    assert "example.org" not in (m["reply"] or "")  # the address is scrubbed from the reply
    time.sleep(1.5)
    assert message(server, cid, mid)["attempts"] == 1


def test_a_push_reaches_the_receiver_signed(server, push):
    cid = join(server, "zoya.push@example.org")
    r = send(server, cid, channel="push")
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    wait_state(server, cid, mid, {"sent"})
    got = [g for g in push.got if g["headers"].get("Kartoteka-Message-Id") == mid]
    assert len(got) == 1 and got[0]["signed"] is True
    assert got[0]["json"]["customer_id"] == cid and got[0]["json"]["body"] == "Заказ принят."


def test_messages_list_pages_and_is_admin_or_dpo(server):
    cid = join(server, "ivan.pages@example.org")
    ids = [send(server, cid).json()["id"] for _ in range(3)]
    seen, cursor = [], None
    while True:
        q = f"?limit=2" + (f"&cursor={cursor}" if cursor else "")
        r = server.get(f"/v1/customers/{cid}/messages{q}")
        assert r.status_code == 200, r.text
        seen += [m["id"] for m in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert seen == ids[::-1]
    pos = server.new_key("pos")
    assert server.get(f"/v1/customers/{cid}/messages", key=pos).status_code == 403


def test_kill_9_with_messages_in_flight_sends_each_once(tmp_path, smtp):
    port, sink = smtp
    # on PostgreSQL a start leaves alone what another server may be sending: the dead one's
    # messages wait out the lease (--outbox-lease), here two seconds
    lease = ["--outbox-lease", "2000"] if BACKEND == "postgres" else []
    s = Server(tmp_path / "k9", outbox_args(port) + lease)
    prepare(s)
    addrs = [f"k9-{i}@example.org" for i in range(12)]
    cids = [join(s, a) for a in addrs]
    sink.gate.clear()
    sink.drop = False
    sink.hold.set()  # every DATA waits: the batch is in `sending` when the server dies
    mids = [send(s, c).json()["id"] for c in cids]
    deadline = time.monotonic() + 20
    while not any(message(s, c, m)["state"] == "sending" for c, m in zip(cids, mids)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    s.proc.kill()
    s.proc.wait()
    s.http.close()
    s.out.close()
    s.err.close()
    sink.drop = True  # the dead client never had a 250: the held messages are not kept
    sink.gate.set()
    time.sleep(0.3)
    sink.hold.clear()
    s.start()
    for c, m in zip(cids, mids):
        wait_state(s, c, m, {"sent"})
    ids = sink.ids()
    assert all(ids.count(m) == 1 for m in mids), [ids.count(m) for m in mids]
    s.stop()


def test_an_erasure_stops_a_queued_message_and_destroys_its_address(server, smtp):
    """A message waiting for the relay when its customer is erased is never sent, and its row
    keeps its state and times (the campaigns' counts) but not who it was for nor what it said."""
    _, sink = smtp
    addr = "erik.erased@example.org"
    cid = join(server, addr)
    sink.busy.add(addr)  # deferred: the message waits queued
    mid = send(server, cid).json()["id"]
    deadline = time.monotonic() + 20
    while message(server, cid, mid)["attempts"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    r = server.post(f"/v1/customers/{cid}/erase", {"reason": "request"})
    assert r.status_code == 200, r.text
    assert "messages" in r.json()["act"]["categories"]
    sink.busy.discard(addr)
    (row,) = server.rows("SELECT state, reason, recipient, content, reply_text FROM outbox "
                         "WHERE id = ?", (mid,))
    assert row == ("suppressed", "erased", None, None, None), row
    time.sleep(0.5)  # 2.5 retry periods: the sender would have sent it by now
    assert mid not in sink.ids()


def test_the_lease_is_refused_where_one_server_owns_the_database(tmp_path):
    """An SQLite server takes back every message left sending at its start: a lease would mean
    nothing there, and a bad one is refused before anything starts."""
    for args, why in ((["--db", str(tmp_path / "one.db"), "--outbox-lease", "5000"], "PostgreSQL"),
                      (["--outbox-lease", "10"], "1000 to 86400000")):
        r = subprocess.run([BIN, "serve", *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and "--outbox-lease" in r.stderr and why in r.stderr, r.stderr
