"""What the tests of messages share (docs/messages.md): a server's flags for the sender against
an SMTP sink, the documents, topic and public URL a marketing e-mail needs, a customer who may
get one, a message posted, and waiting for its state - for test_outbox.py, test_feedback.py and
the next ones, so no test imports another test module.
"""
import time

from conftest import phone

FROM = "shop@example.ru"
PD = "outbox-pd"


def outbox_args(port, push_url=None):
    a = ["--smtp-url", f"smtp://127.0.0.1:{port}", "--smtp-from", FROM,
         "--smtp-starttls", "never", "--outbox-retry", "200",
         "--quiet-hours-push", "none"]  # the policy's quiet hours are test_policy.py's
    return a + (["--push-url", push_url] if push_url else [])


def prepare(server):
    """The documents, the topic and the public URL a marketing e-mail needs."""
    r = server.put(f"/v1/consent-documents/{PD}", {"purpose": "pd_processing", "title": "ПДн",
                                                    "body": "Согласие на обработку ПДн."})
    assert r.status_code in (200, 201), r.text
    r = server.put("/v1/consent-documents/ads-email", {"purpose": "ads", "title": "Реклама",
                                                       "body": "Согласие на рекламу."})
    assert r.status_code in (200, 201), r.text
    r = server.put("/v1/topics/promo", {"title": "Акции", "channels": ["email"]})
    assert r.status_code in (200, 201), r.text
    r = server.put("/v1/privacy/settings", {"public_url": server.url})
    assert r.status_code == 200, r.text


def join(server, addr, ads=False, subscribe=False):
    consents = [{"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
                 "evidence": {"form_id": "f-1"}}]
    if ads:
        consents.append({"purpose": "ads", "channel": "email", "document": "ads-email",
                         "granted": True, "evidence": {"form_id": "f-1"}})
    r = server.post("/v1/customers", {"source": {"channel": "web"},
                                      "profile": {"phone": phone(), "email": addr},
                                      "consents": consents})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    if subscribe:
        r = server.post(f"/v1/customers/{cid}/subscriptions",
                        {"topic": "promo", "channel": "email", "subscribed": True})
        assert r.status_code == 200, r.text
    return cid


_keys = [0]


def send(server, cid, key=None, transactional=True, channel="email", **kw):
    if key is None:
        _keys[0] += 1
        key = f"order-{_keys[0]}"
    body = {"customer_id": cid, "channel": channel, "transactional": transactional}
    if channel == "email":
        body.update(subject="Ваш заказ", text="Заказ принят.", html="<p>Заказ принят.</p>")
    else:
        body.update(title="Заказ", body="Заказ принят.")
    body.update(kw)
    return server.post("/v1/messages", body, headers={"Idempotency-Key": key})


def message(server, cid, mid):
    r = server.get(f"/v1/customers/{cid}/messages")
    assert r.status_code == 200, r.text
    return next(m for m in r.json()["items"] if m["id"] == mid)


def wait_state(server, cid, mid, states, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = message(server, cid, mid)
        if m["state"] in states:
            return m
        time.sleep(0.1)
    raise AssertionError(f"{mid} stayed {m['state']}: {m}")
