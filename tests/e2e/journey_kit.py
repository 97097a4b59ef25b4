"""What the tests of the shipped journey recipes share (test_journey_recipes.py and
test_journey_recipes_more.py): a recipe read from docs/samples/journeys, a server on the settable
clock with the SMTP sink (and, when asked, the SMS gateway and the webhook receiver), the
documents, topics and templates the sends need, a customer who may get them, receipts, runs and
the mails a customer got - so no test imports another test module.
"""
import email
import email.policy
import json
import pathlib
from datetime import datetime, timezone

import messaging
from conftest import Server, phone

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "docs" / "samples" / "journeys"
PD = messaging.PD
HOOK_SECRET = "whsec-journeys-0123456789abcdef"


def recipe(name, **changes):
    """The shipped recipe `name`, with top-level members replaced by `changes` (each caller says
    why: only what determinism needs)."""
    doc = json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    doc.update(changes)
    return doc


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def when(text):
    """An API time as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def make_server(workdir, sink, gateway=None, hook=None, extra=()):
    args = ["--settable-clock"] + messaging.outbox_args(sink.port) + list(extra)
    env = {}
    if gateway is not None:
        args += ["--sms-url", gateway.url, "--sms-backoff", "50", "--sms-sender", "Ромашка"]
    if hook is not None:
        args += ["--webhook-url", hook.url]
        env["KARTOTEKA_WEBHOOK_SECRET"] = HOOK_SECRET
    s = Server(workdir, args, env)
    messaging.prepare(s)  # the pd and e-mail ads documents, topic promo, the public URL
    for key, purpose in (("ads-sms", "ads"),):
        r = s.put(f"/v1/consent-documents/{key}", {"purpose": purpose, "title": "Реклама SMS",
                                                   "body": "Согласие на рекламу по SMS."})
        assert r.status_code in (200, 201), r.text
    for topic, channels in (("promo", ["email", "sms"]), ("news", ["email"])):
        r = s.put(f"/v1/topics/{topic}", {"title": topic, "channels": channels})
        assert r.status_code in (200, 201), r.text
    return s


def templates(s, texts):
    """E-mail templates {name: (subject, text)}; a name ending in -sms is an SMS of the text."""
    for name, (subject, text) in texts.items():
        body = ({"channel": "sms", "text": text} if name.endswith("-sms") else
                {"channel": "email", "subject": subject, "text": text})
        r = s.put(f"/v1/templates/{name}", body)
        assert r.status_code in (200, 201), r.text


def clock(s, t):
    r = s.put("/v1/system/clock", {"now": iso(t)})
    assert r.status_code == 200, r.text


def run_due(s):
    r = s.post("/v1/loyalty/run-due")
    assert r.status_code == 200, r.text
    return r.json()


def at(s, t):
    """The clock to t, and the due work run."""
    clock(s, t)
    return run_due(s)


def start(s, key, doc):
    r = s.put(f"/v1/journeys/{key}", doc)
    assert r.status_code in (200, 201), r.text
    r = s.post(f"/v1/journeys/{key}/start")
    assert r.status_code == 200, r.text


def join(s, addr=None, topics=("promo",), sms=False, profile=None, verified=None,
         attributes=None):
    """A customer who may get marketing e-mails of `topics` (pd and ads consents, subscribed)
    and, with sms, marketing SMS of promo. Returns (id, phone)."""
    p = phone()
    consents = [{"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
                 "evidence": {"form_id": "f-1"}}]
    if addr:
        consents.append({"purpose": "ads", "channel": "email", "document": "ads-email",
                         "granted": True, "evidence": {"form_id": "f-1"}})
    if sms:
        consents.append({"purpose": "ads", "channel": "sms", "document": "ads-sms",
                         "granted": True, "evidence": {"form_id": "f-1"}})
    body = {"source": {"channel": "web"}, "profile": dict({"phone": p}, **(profile or {})),
            "consents": consents}
    if addr:
        body["profile"]["email"] = addr
    if verified:
        body["verified"] = verified
    if attributes:
        body["attributes"] = attributes
    r = s.post("/v1/customers", body)
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    subs = [(t, "email") for t in topics if addr] + ([("promo", "sms")] if sms else [])
    for topic, channel in subs:
        r = s.post(f"/v1/customers/{cid}/subscriptions",
                   {"topic": topic, "channel": channel, "subscribed": True})
        assert r.status_code == 200, r.text
    return cid, p


_receipts = [0]


def buy(s, cid, t, lines=None, **kw):
    """A receipt of customer cid rung up at t (one line of 1,000 roubles unless `lines`)."""
    _receipts[0] += 1
    lines = lines or [{"sku": "B-1", "quantity": 1, "price": 100000, "amount": 100000}]
    body = dict({"store": "S", "receipt": f"JR-{_receipts[0]}", "at": iso(t),
                 "customer": {"id": cid}, "lines": lines}, **kw)
    r = s.post("/v1/purchases", body)
    assert r.status_code == 201, r.text
    return r.json()


def event(s, cid, type_, **props):
    r = s.post("/v1/events", {"type": type_, "channel": "web", "customer": {"id": cid},
                              "properties": props})
    assert r.status_code in (200, 201), r.text


def runs(s, cid):
    r = s.get(f"/v1/customers/{cid}/journeys")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def run_of(s, cid, journey):
    """The customer's one run of `journey`."""
    got = [r for r in runs(s, cid) if r["journey"] == journey]
    assert len(got) == 1, got
    return got[0]


def where(s, cid, journey):
    """(state, step, exit) of the customer's one run of `journey`."""
    r = run_of(s, cid, journey)
    return r["state"], r["step"], r["exit"]


def mails(sink, addr):
    """[(subject, plain text stripped)] of the mails the sink holds for addr, in order."""
    out = []
    for e in list(sink.messages):
        if e.rcpt_tos[0] != addr:
            continue
        m = email.message_from_bytes(e.original_content, policy=email.policy.default)
        body = m.get_body(preferencelist=("plain",))
        out.append((str(m["Subject"]), body.get_content().strip() if body is not None else ""))
    return out


def subjects(sink, addr):
    return [m[0] for m in mails(sink, addr)]


def messages(s, cid):
    r = s.get(f"/v1/customers/{cid}/messages")
    assert r.status_code == 200, r.text
    return r.json()["items"]
