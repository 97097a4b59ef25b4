"""The sending policy (docs/messages.md, "The sending policy") against the server's settable
clock and real peers on loopback: an SMTP server (Debian's python3-aiosmtpd) for e-mail and an
HTTP receiver that checks the signature for push. What arrived is counted at the peers by the
message's id; what did not is read back with its state and reason from
GET /v1/customers/{id}/messages.

- quiet hours on the customer's local clock: a marketing push due at 22:00 in Vladivostok waits
  to 09:00 local, a Moscow customer's (15:00) goes at once, a transactional one ignores them;
- frequency caps (PUT /v1/messaging/caps): refused rules named by their member; a per-channel and
  a total cap across e-mail and push; "per day" on each customer's local calendar, so at one UTC
  instant the cap frees for Vladivostok (a new day) and not for Moscow (the same day);
- the last slot of a cap goes to the higher priority, on another channel too: two messages held
  by quiet hours fall due together and the claim decides them highest first;
- a transactional message passes a full cap and is not counted by it.
"""
import time

import pytest

from conftest import Server, phone
from peers import Receiver, SmtpSink, signature_ok, wait_for

SECRET = "whsec-policy-0123456789abcdef"
FROM = "shop@example.ru"
PD = "policy-pd"


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def push():
    # Without a secret the receiver takes every request: the signature's time is the server's
    # settable clock, hours from the wall clock the receiver's check compares it with. signed()
    # checks the HMAC at the signature's own time instead.
    rx = Receiver.start(None, "/push")
    yield rx
    rx.stop()


def signed(got):
    header = got["headers"].get("Kartoteka-Signature", "")
    t = dict(p.split("=", 1) for p in header.split(",")).get("t", "0") if "=" in header else "0"
    return signature_ok(SECRET, header, got["body"], now=int(t))


def start(workdir, smtp, push, *extra):
    s = Server(workdir, ["--settable-clock", "--push-url", push.url, "--outbox-retry", "200",
                         "--smtp-url", smtp.url, "--smtp-from", FROM, "--smtp-starttls", "never",
                         *extra],
               env={"KARTOTEKA_WEBHOOK_SECRET": SECRET})
    for name, purpose in ((PD, "pd_processing"), ("ads-push", "ads"), ("ads-email", "ads")):
        r = s.put(f"/v1/consent-documents/{name}", {"purpose": purpose, "title": "Документ",
                                                     "body": "Текст согласия."})
        assert r.status_code in (200, 201), r.text
    r = s.put("/v1/topics/promo", {"title": "Акции", "channels": ["email", "push"]})
    assert r.status_code in (200, 201), r.text
    r = s.put("/v1/topics/news", {"title": "Новинки", "channels": ["email"]})
    assert r.status_code in (200, 201), r.text
    r = s.put("/v1/privacy/settings", {"public_url": s.url})
    assert r.status_code == 200, r.text
    return s


@pytest.fixture(scope="module")
def server(tmp_path_factory, smtp, push):
    """Quiet hours as shipped: 21:00-09:00 for push, none for e-mail."""
    s = start(tmp_path_factory.mktemp("policy"), smtp, push)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def night(tmp_path_factory, smtp, push):
    """E-mail and push share the quiet hours, so what is held falls due at the same moment."""
    s = start(tmp_path_factory.mktemp("policy-night"), smtp, push,
              "--quiet-hours-email", "21:00-09:00")
    yield s
    s.stop()


def set_clock(server, at):
    r = server.put("/v1/system/clock", {"now": at})
    assert r.status_code == 200, r.text


def set_caps(server, rules):
    r = server.put("/v1/messaging/caps", {"rules": rules})
    assert r.status_code == 200, r.text
    return r.json()


_seq = [0]


def join(server, city):
    """A customer of `city` with the ads consents and the promo topic on e-mail and push."""
    _seq[0] += 1
    consents = [{"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
                 "evidence": {"form_id": "f-1"}}]
    for ch in ("push", "email"):
        consents.append({"purpose": "ads", "channel": ch, "document": f"ads-{ch}",
                         "granted": True, "evidence": {"form_id": "f-1"}})
    r = server.post("/v1/customers", {"source": {"channel": "web"},
                                      "profile": {"phone": phone(), "city": city,
                                                  "email": f"policy{_seq[0]}@example.org"},
                                      "consents": consents})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    for ch in ("push", "email"):
        r = server.post(f"/v1/customers/{cid}/subscriptions",
                        {"topic": "promo", "channel": ch, "subscribed": True})
        assert r.status_code == 200, r.text
    return cid


def send(server, cid, channel="push", transactional=False, priority=None):
    _seq[0] += 1
    body = {"customer_id": cid, "channel": channel, "transactional": transactional}
    if channel == "email":
        body.update(subject="Акция", text="Скидка 10%.")
    else:
        body.update(title="Акция", body="Скидка 10%.")
    if not transactional:
        body["topic"] = "promo"
    if priority is not None:
        body["priority"] = priority
    r = server.post("/v1/messages", body, headers={"Idempotency-Key": f"p-{_seq[0]}"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def message(server, cid, mid):
    r = server.get(f"/v1/customers/{cid}/messages")
    assert r.status_code == 200, r.text
    return next(m for m in r.json()["items"] if m["id"] == mid)


def wait(server, cid, mid, pred=lambda m: m["state"] not in ("queued", "sending"), timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = message(server, cid, mid)
        if pred(m):
            return m
        time.sleep(0.1)
    raise AssertionError(f"{mid}: {m}")


def outcome(server, cid, mid):
    """The final state of a message and its reason, once the sender has decided it."""
    m = wait(server, cid, mid)
    return m["state"], m.get("reason")


def test_quiet_hours_hold_a_marketing_push_until_nine_local(server, push):
    set_caps(server, [])
    set_clock(server, "2026-12-03T12:00:00Z")  # 22:00 in Vladivostok, 15:00 in Moscow
    vvo, msk = join(server, "Владивосток"), join(server, "Москва")
    held, now_msk, code = send(server, vvo), send(server, msk), send(server, vvo, transactional=True)
    m = wait(server, vvo, held, lambda m: m.get("reason") == "quiet_hours")
    assert m["state"] == "queued" and m["due_at"].startswith("2026-12-03T23:00:00"), m
    assert outcome(server, msk, now_msk) == ("sent", None)
    # transactional: a one-time code must arrive at once, quiet hours or not
    assert outcome(server, vvo, code) == ("sent", None)
    time.sleep(1.5)  # more passes of the sender: the held one stays held, never dropped
    m = message(server, vvo, held)
    assert m["state"] == "queued" and held not in push.ids()
    set_clock(server, "2026-12-03T23:00:01Z")  # 09:00 in Vladivostok
    assert outcome(server, vvo, held) == ("sent", None)
    push.wait(3)
    assert held in push.ids() and all(signed(g) for g in push.got)


def test_caps_refused_with_the_member_named(server):
    r = server.get("/v1/messaging/caps")
    assert r.status_code == 200, r.text
    bad = [
        ({"rules": [{"count": 3, "per": "days"}, {"per": "days"}]}, "missing_field",
         "rules[1].count"),
        ({"rules": [{"count": 0, "per": "days"}]}, "invalid_value", "rules[0].count"),
        ({"rules": [{"count": 1, "per": "months"}]}, "invalid_value", "rules[0].per"),
        ({"rules": [{"count": 1, "per": "weeks", "n": 54}]}, "invalid_value", "rules[0].n"),
        ({"rules": [{"count": 1, "per": "days", "channel": "fax"}]}, "invalid_value",
         "rules[0].channel"),
        ({"rules": [{"count": 1, "per": "days", "topic": "nobody-declared-it"}]},
         "unknown_topic", "rules[0].topic"),
        ({"rules": [{"count": 1, "per": "days", "every": 2}]}, "unknown_field",
         "rules[0].every"),
        ({"rules": [{"count": 1, "per": "hours"}] * 33}, "too_many", "rules"),
        ({}, "missing_field", "rules"),
    ]
    before = server.get("/v1/messaging/caps").json()
    for body, code, field in bad:
        r = server.put("/v1/messaging/caps", body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == code and r.json()["error"]["field"] == field, r.text
    assert server.get("/v1/messaging/caps").json() == before  # nothing half-written
    got = set_caps(server, [{"count": 3, "per": "days", "channel": "email"},
                            {"count": 5, "per": "weeks", "n": 2, "topic": "promo"},
                            {"count": 1, "per": "hours", "n": 6, "channel": "push",
                             "topic": "promo"}])
    assert got["version"] == before["version"] + 1
    assert [x["reason"] for x in got["rules"]] == ["cap:3/1d/email/*", "cap:5/2w/*/promo",
                                                   "cap:1/6h/push/promo"]
    assert got["rules"][0] == {"count": 3, "per": "days", "n": 1, "channel": "email",
                               "reason": "cap:3/1d/email/*"}
    assert server.get("/v1/messaging/caps").json() == got
    again = set_caps(server, got["rules"])  # a GET's reply goes back as it is
    assert again["rules"] == got["rules"] and again["version"] == got["version"] + 1
    r = server.put("/v1/messaging/caps", {"rules": []}, key=server.new_key("pos"))
    assert r.status_code == 403, r.text


def test_caps_per_channel_and_in_total_across_channels(server, smtp, push):
    set_clock(server, "2026-12-04T07:00:00Z")  # 10:00 in Moscow
    set_caps(server, [{"count": 1, "per": "days", "channel": "email"},
                      {"count": 2, "per": "days"}])
    cid = join(server, "Москва")
    e1 = send(server, cid, "email")
    assert outcome(server, cid, e1) == ("sent", None)
    e2 = send(server, cid, "email")
    assert outcome(server, cid, e2) == ("capped", "cap:1/1d/email/*")
    p1 = send(server, cid, "push")  # the e-mail cap is full, the total one has a slot
    assert outcome(server, cid, p1) == ("sent", None)
    p2 = send(server, cid, "push")  # one e-mail and one push: the total is full
    assert outcome(server, cid, p2) == ("capped", "cap:2/1d/*/*")
    wait_for(lambda: e1 in smtp.ids() and p1 in push.ids(), what="the sent ones at the peers")
    time.sleep(1)
    assert e2 not in smtp.ids() and p2 not in push.ids()
    assert e2 not in push.ids() and p2 not in smtp.ids()


def test_local_calendar_days_moscow_and_vladivostok(server, smtp):
    set_clock(server, "2026-12-05T07:00:00Z")  # 10:00 in Moscow, 17:00 in Vladivostok
    set_caps(server, [{"count": 1, "per": "days", "channel": "email"}])
    msk, vvo = join(server, "Москва"), join(server, "Владивосток")
    for cid in (msk, vvo):
        assert outcome(server, cid, send(server, cid, "email")) == ("sent", None)
        assert outcome(server, cid, send(server, cid, "email")) == ("capped",
                                                                    "cap:1/1d/email/*")
    # 14:30 UTC: 17:30 on the same day in Moscow, 00:30 on the next in Vladivostok
    set_clock(server, "2026-12-05T14:30:00Z")
    m_same, v_next = send(server, msk, "email"), send(server, vvo, "email")
    assert outcome(server, vvo, v_next) == ("sent", None)
    assert outcome(server, msk, m_same) == ("capped", "cap:1/1d/email/*")
    set_clock(server, "2026-12-05T21:00:01Z")  # 00:00 in Moscow: her day has turned too
    m_next = send(server, msk, "email")
    assert outcome(server, msk, m_next) == ("sent", None)
    wait_for(lambda: {v_next, m_next} <= set(smtp.ids()), what="the next days' e-mails")
    assert m_same not in smtp.ids()


def test_a_transactional_message_passes_a_full_cap(server, smtp):
    set_clock(server, "2026-12-06T07:00:00Z")
    set_caps(server, [{"count": 1, "per": "days", "channel": "email"}])
    cid = join(server, "Москва")
    first = send(server, cid, "email")
    assert outcome(server, cid, first) == ("sent", None)
    code = send(server, cid, "email", transactional=True)
    assert outcome(server, cid, code) == ("sent", None)
    # and it was not counted: with the cap raised to two, one more marketing e-mail goes
    set_caps(server, [{"count": 2, "per": "days", "channel": "email"}])
    second = send(server, cid, "email")
    assert outcome(server, cid, second) == ("sent", None)
    third = send(server, cid, "email")
    assert outcome(server, cid, third) == ("capped", "cap:2/1d/email/*")
    wait_for(lambda: {first, code, second} <= set(smtp.ids()), what="the three e-mails")


def test_the_last_slot_goes_to_the_higher_priority_on_another_channel(night, smtp, push):
    # 23:00 in Moscow: both channels' quiet hours; what is sent now waits to 09:00 local
    set_clock(night, "2026-12-03T20:00:00Z")
    set_caps(night, [{"count": 1, "per": "days"}])  # one marketing message a day, any channel
    cid = join(night, "Москва")
    low = send(night, cid, "email", priority=10)  # queued first, e-mail: neither wins it
    high = send(night, cid, "push", priority=60)
    also = send(night, cid, "email", priority=30)
    for mid in (low, high, also):
        m = wait(night, cid, mid, lambda m: m.get("reason") == "quiet_hours")
        assert m["due_at"].startswith("2026-12-04T06:00:00"), m
    set_clock(night, "2026-12-04T06:00:01Z")  # 09:00 in Moscow: all three due in one claim
    assert outcome(night, cid, high) == ("sent", None)
    assert outcome(night, cid, also) == ("capped", "cap:1/1d/*/*")
    assert outcome(night, cid, low) == ("capped", "cap:1/1d/*/*")
    wait_for(lambda: high in push.ids(), what="the high priority push")
    time.sleep(1)
    assert low not in smtp.ids() and also not in smtp.ids()
    # the same between two of one channel: the next day, two e-mails held together
    set_clock(night, "2026-12-04T20:00:00Z")
    a, b = send(night, cid, "email", priority=5), send(night, cid, "email", priority=6)
    for mid in (a, b):
        wait(night, cid, mid, lambda m: m.get("reason") == "quiet_hours")
    set_clock(night, "2026-12-05T06:00:01Z")
    assert outcome(night, cid, b) == ("sent", None)
    assert outcome(night, cid, a) == ("capped", "cap:1/1d/*/*")
