"""The sending policy (docs/messages.md, "The sending policy"): quiet hours on the customer's
local clock, against the server's settable clock and a real push receiver on loopback. A
marketing push due at 22:00 in Vladivostok waits queued with the reason quiet_hours and its
next try at 09:00 local, and goes when the clock passes it; at the same UTC instant a Moscow
customer (15:00) gets hers at once; a transactional push ignores the quiet hours.
"""
import http.server
import json
import threading
import time

import pytest

from conftest import Server, phone

SECRET = "whsec-policy-0123456789abcdef"
PD = "policy-pd"


class Receiver(http.server.BaseHTTPRequestHandler):
    got = []

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.got.append(self.headers["Kartoteka-Message-Id"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def push():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/push"
    srv.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory, push):
    s = Server(tmp_path_factory.mktemp("policy"),
               ["--settable-clock", "--push-url", push, "--outbox-retry", "200"],
               env={"KARTOTEKA_WEBHOOK_SECRET": SECRET})
    r = s.put(f"/v1/consent-documents/{PD}", {"purpose": "pd_processing", "title": "ПДн",
                                               "body": "Согласие на обработку ПДн."})
    assert r.status_code in (200, 201), r.text
    r = s.put("/v1/consent-documents/ads-push", {"purpose": "ads", "title": "Реклама",
                                                  "body": "Согласие на рекламу."})
    assert r.status_code in (200, 201), r.text
    r = s.put("/v1/topics/promo-push", {"title": "Акции", "channels": ["push"]})
    assert r.status_code in (200, 201), r.text
    yield s
    s.stop()


def set_clock(server, at):
    r = server.put("/v1/system/clock", {"now": at})
    assert r.status_code == 200, r.text


def join(server, city):
    consents = [{"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
                 "evidence": {"form_id": "f-1"}},
                {"purpose": "ads", "channel": "push", "document": "ads-push", "granted": True,
                 "evidence": {"form_id": "f-1"}}]
    r = server.post("/v1/customers", {"source": {"channel": "web"},
                                      "profile": {"phone": phone(), "city": city},
                                      "consents": consents})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    r = server.post(f"/v1/customers/{cid}/subscriptions",
                    {"topic": "promo-push", "channel": "push", "subscribed": True})
    assert r.status_code == 200, r.text
    return cid


_keys = [0]


def send(server, cid, transactional):
    _keys[0] += 1
    body = {"customer_id": cid, "channel": "push", "transactional": transactional,
            "title": "Акция", "body": "Скидка 10%."}
    if not transactional:
        body["topic"] = "promo-push"
    r = server.post("/v1/messages", body, headers={"Idempotency-Key": f"p-{_keys[0]}"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def message(server, cid, mid):
    r = server.get(f"/v1/customers/{cid}/messages")
    assert r.status_code == 200, r.text
    return next(m for m in r.json()["items"] if m["id"] == mid)


def wait(server, cid, mid, pred, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = message(server, cid, mid)
        if pred(m):
            return m
        time.sleep(0.1)
    raise AssertionError(f"{mid}: {m}")


def test_quiet_hours_hold_a_marketing_push_until_nine_local(server):
    set_clock(server, "2026-12-03T12:00:00Z")  # 22:00 in Vladivostok, 15:00 in Moscow
    vvo, msk = join(server, "Владивосток"), join(server, "Москва")
    held, now_msk, code = send(server, vvo, False), send(server, msk, False), send(server, vvo, True)
    m = wait(server, vvo, held, lambda m: m.get("reason") == "quiet_hours")
    assert m["state"] == "queued" and m["due_at"].startswith("2026-12-03T23:00:00"), m
    assert wait(server, msk, now_msk, lambda m: m["state"] != "queued")["state"] == "sent"
    # transactional: a one-time code must arrive at once, quiet hours or not
    assert wait(server, vvo, code, lambda m: m["state"] != "queued")["state"] == "sent"
    time.sleep(1.5)  # more passes of the sender: the held one stays held, never dropped
    m = message(server, vvo, held)
    assert m["state"] == "queued" and held not in Receiver.got
    set_clock(server, "2026-12-03T23:00:01Z")  # 09:00 in Vladivostok
    m = wait(server, vvo, held, lambda m: m["state"] != "queued")
    assert m["state"] == "sent" and held in Receiver.got, m
