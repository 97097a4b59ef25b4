"""Stored message templates (docs/messages.md, "Templates"): versions, refusals with line and
column, unknown variables warned, the preview of a real customer."""
import email
import email.policy
import os
import subprocess

import pytest

from conftest import BIN, db_arg, phone, src
from peers import Receiver, SmtpSink

pytestmark = pytest.mark.usefixtures("pending_policy")

SECRET = "whsec-templates-0123456789abcdef"

NBSP = "\u00a0"

EMAIL = {
    "channel": "email",
    "subject": "{{first_name | default: \"Покупатель\"}}, у вас {{points.balance | plural: "
               "\"балл\", \"балла\", \"баллов\"}}",
    "html": "<p>Здравствуйте, {{first_name | default: \"покупатель\"}}!</p>"
            "<p>Скидка {{context.discount | money}}</p>",
    "text": "Здравствуйте, {{first_name | default: \"покупатель\"}}! "
            "Скидка {{context.discount | money}}",
}


def customer(server, **profile):
    r = server.post("/v1/customers", {"source": src("tablet"),
                                      "profile": dict({"phone": phone()}, **profile)})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"]


def test_save_version_and_same_body(server):
    r = server.put("/v1/templates/welcome", EMAIL)
    assert r.status_code == 201, r.text
    t = r.json()
    assert (t["name"], t["version"], t["channel"]) == ("welcome", 1, "email")
    assert t["subject"] == EMAIL["subject"] and t["unknown_variables"] == []
    # The same body again: the same version, nothing added.
    r = server.put("/v1/templates/welcome", EMAIL)
    assert r.status_code == 200 and r.json()["version"] == 1
    changed = dict(EMAIL, subject="Привет, {{first_name}}")
    r = server.put("/v1/templates/welcome", changed)
    assert r.status_code == 200 and r.json()["version"] == 2
    assert server.get("/v1/templates/welcome").json()["subject"] == "Привет, {{first_name}}"
    old = server.get("/v1/templates/welcome?version=1").json()
    assert old["version"] == 1 and old["subject"] == EMAIL["subject"]
    assert server.get("/v1/templates/welcome?version=3").status_code == 404
    assert server.get("/v1/templates/nope").status_code == 404
    assert server.get("/v1/templates/welcome?version=x").status_code == 400
    names = [(i["name"], i["version"]) for i in server.get("/v1/templates").json()["items"]]
    assert ("welcome", 2) in names and ("welcome", 1) not in names


def test_refused_part_says_line_and_column(server):
    body = dict(EMAIL, html="<p>\n  {{#cart}}{{name}}\n</p>")
    r = server.put("/v1/templates/broken", body)
    assert r.status_code == 422, r.text
    e = r.json()["error"]
    assert e["code"] == "template_unclosed_section" and e["field"] == "html"
    assert (e["line"], e["column"]) == (2, 3)
    r = server.put("/v1/templates/broken", dict(EMAIL, subject="{{x | euro}}"))
    e = r.json()["error"]
    assert r.status_code == 422 and e["code"] == "template_unknown_filter"
    assert e["field"] == "subject" and e["line"] == 1
    assert server.get("/v1/templates/broken").status_code == 404  # nothing stored
    for name, body, code, field in [
            ("x1", {"channel": "fax", "text": "a"}, "invalid_value", "channel"),
            ("x2", {"channel": "sms"}, "missing_field", "text"),
            ("x3", {"channel": "sms", "text": "a", "html": "b"}, "unknown_field", "html"),
            ("x4", {"channel": "email", "subject": "a"}, "missing_field", "text"),
            ("x5", {"channel": "push", "body": "a"}, "missing_field", "title"),
            ("Bad Name", {"channel": "sms", "text": "a"}, "invalid_value", "name")]:
        r = server.put(f"/v1/templates/{name}", body)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, (name, r.text)
        assert r.json()["error"]["field"] == field, name


def test_unknown_variables_are_warned_not_refused(server):
    assert server.put("/v1/attributes/pet_name", {"type": "string"}).status_code in (200, 201)
    body = {"channel": "push", "title": "{{frist_name}} {{attributes.pet_name}}",
            "body": "{{#context.cart}}{{name}}{{/context.cart}} {{store.city}} {{colour}} "
                    "{{#points}}{{balance}}{{/points}} {{attributes.shoe_size}}"}
    r = server.put("/v1/templates/push1", body)
    assert r.status_code == 201, r.text
    unknown = [(u["field"], u["name"], u["line"], u["column"])
               for u in r.json()["unknown_variables"]]
    assert unknown == [("title", "frist_name", 1, 1), ("body", "colour", 1, 59),
                       ("body", "attributes.shoe_size", 1, 104)]


def test_preview_of_a_real_customer(server):
    assert server.put("/v1/templates/welcome3", EMAIL).status_code == 201
    named = customer(server, first_name="Мария")
    r = server.post(f"/v1/customers/{named}/points/adjustments", {"points": 21, "reason": "тест"})
    assert r.status_code == 200, r.text
    r = server.post("/v1/templates/welcome3/preview",
                    {"customer_id": named, "context": {"discount": 123450}})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["customer_id"] == named and p["version"] == 1 and p["channel"] == "email"
    assert p["parts"]["subject"] == f"Мария, у вас 21{NBSP}балл"
    assert p["parts"]["html"] == (f"<p>Здравствуйте, Мария!</p><p>Скидка 1{NBSP}234,50{NBSP}₽</p>")
    assert p["parts"]["text"] == f"Здравствуйте, Мария! Скидка 1{NBSP}234,50{NBSP}₽"
    assert p["warnings"] == []

    nameless = customer(server)
    server.post(f"/v1/customers/{nameless}/points/adjustments", {"points": 5, "reason": "тест"})
    p = server.post("/v1/templates/welcome3/preview", {"customer_id": nameless}).json()
    assert p["parts"]["subject"] == f"Покупатель, у вас 5{NBSP}баллов"
    assert p["parts"]["text"].startswith("Здравствуйте, покупатель! Скидка")
    # The context was not given: its value is missing, warned where it is used.
    assert {(w["field"], w["code"], w["name"]) for w in p["warnings"]} == {
        ("html", "missing_value", "context.discount"), ("text", "missing_value", "context.discount")}

    r = server.post("/v1/templates/welcome3/preview", {"customer_id": "c_nobody"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "customer_not_found"
    r = server.post("/v1/templates/nope/preview", {"customer_id": named})
    assert r.status_code == 404 and r.json()["error"]["code"] == "template_not_found"
    r = server.post("/v1/templates/welcome3/preview", {"customer_id": named, "context": [1]})
    assert r.status_code == 422


def test_sms_parts_of_a_cyrillic_text(server):
    text = ("{{first_name | default: \"Покупатель\"}}, на вашей карте {{points.balance | plural: "
            "\"балл\", \"балла\", \"баллов\"}}. Успейте потратить их до конца месяца в любом "
            "магазине сети!")
    assert server.put("/v1/templates/sms1", {"channel": "sms", "text": text}).status_code == 201
    cid = customer(server, first_name="Анна")
    server.post(f"/v1/customers/{cid}/points/adjustments", {"points": 3, "reason": "тест"})
    p = server.post("/v1/templates/sms1/preview", {"customer_id": cid}).json()
    out = p["parts"]["text"]
    assert out.startswith(f"Анна, на вашей карте 3{NBSP}балла.")
    assert 70 < len(out) <= 134
    assert p["sms"] == {"length": len(out), "parts": 2, "encoding": "ucs2"}


def test_scopes(server):
    pos = server.new_key("pos")
    dpo = server.new_key("dpo")
    for key in (pos, dpo):
        assert server.get("/v1/templates", key=key).status_code == 403
        assert server.put("/v1/templates/t", {"channel": "sms", "text": "a"},
                          key=key).status_code == 403


def test_without_smtp_a_test_send_is_refused(server):
    assert server.put("/v1/templates/welcome4", EMAIL).status_code == 201
    r = server.post("/v1/templates/welcome4/test", {"to": "manager@example.ru"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "smtp_not_configured"
    assert server.put("/v1/templates/sms2", {"channel": "sms", "text": "x"}).status_code == 201
    r = server.post("/v1/templates/sms2/test", {"to": "manager@example.ru"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "channel_not_testable"


def test_a_test_send_arrives_rendered(start_server):
    sink = SmtpSink.start()
    try:
        srv = start_server(["--smtp-url", sink.url,
                            "--smtp-from", "shop@example.ru"])
        srv.put("/v1/privacy/settings", {"consent_policy": "pending"})
        assert srv.put("/v1/templates/welcome", EMAIL).status_code == 201
        cid = customer(srv, first_name="Мария")
        srv.post(f"/v1/customers/{cid}/points/adjustments", {"points": 2, "reason": "тест"})
        r = srv.post("/v1/templates/welcome/test", {"to": "manager@example.ru",
                                                     "customer_id": cid,
                                                     "context": {"discount": 50000}})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "sent" and r.json()["code"] == 250
        assert len(sink.messages) == 1
        env = sink.messages[0]
        assert env.rcpt_tos == ["manager@example.ru"]
        msg = email.message_from_bytes(env.content, policy=email.policy.default)
        assert str(msg["Subject"]) == f"Мария, у вас 2{NBSP}балла"
        assert r.json()["id"] in msg["Message-ID"]
        assert msg["List-Unsubscribe"] is None  # a test send is transactional
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert text.strip() == f"Здравствуйте, Мария! Скидка 500{NBSP}₽"
        assert html.strip() == f"<p>Здравствуйте, Мария!</p><p>Скидка 500{NBSP}₽</p>"

        # Without a customer: the body's context alone, the name's default.
        r = srv.post("/v1/templates/welcome/test", {"to": "perm@example.ru"})
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["code"]) == ("permanent", 550)
        assert "<address>" in r.json()["reason"] and "perm@" not in r.json()["reason"]
        r = srv.post("/v1/templates/welcome/test", {"to": "not an address"})
        assert r.status_code == 422 and r.json()["error"]["field"] == "to"
    finally:
        sink.stop()


def test_serve_checks_its_channel_flags(tmp_path):
    run = [BIN, "serve", "--db", db_arg(tmp_path / "k.db"), "--listen", "127.0.0.1:0"]
    r = subprocess.run(run + ["--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "--smtp-url" in r.stdout and "KARTOTEKA_PUSH_URL" in r.stdout
    for extra, words in [(["--smtp-url", "smtp://127.0.0.1:1"], "--smtp-from"),
                         (["--smtp-connections", "0"], "--smtp-connections"),
                         (["--smtp-starttls", "maybe"], "--smtp-starttls")]:
        r = subprocess.run(run + extra, capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and words in r.stderr, (extra, r.stderr)
    env = dict(os.environ, KARTOTEKA_SMTP_URL="smtp://127.0.0.1:1")
    r = subprocess.run(run, capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 2 and "--smtp-from" in r.stderr


def test_a_push_test_send_is_signed_and_rendered(start_server):
    rx = Receiver.start(SECRET, "/push")
    try:
        srv = start_server(["--push-url", rx.url],
                           env={"KARTOTEKA_WEBHOOK_SECRET": SECRET})
        srv.put("/v1/privacy/settings", {"consent_policy": "pending"})
        body = {"channel": "push", "title": "{{first_name | default: \"Привет\"}}",
                "body": "Код {{context.coupon}}"}
        assert srv.put("/v1/templates/p", body).status_code == 201
        r = srv.post("/v1/templates/p/test", {"to": "device-1", "context": {"coupon": "SPRING"}})
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["code"]) == ("sent", 200)
        got = rx.got[-1]
        assert got["signed"] and got["headers"]["Kartoteka-Message-Id"] == r.json()["id"]
        assert got["json"] == {"id": r.json()["id"], "to": "device-1", "title": "Привет",
                                   "body": "Код SPRING"}
        # A blocked customer's data go nowhere, a test send included.
        cid = customer(srv, first_name="Ольга")
        req = srv.post("/v1/privacy-requests", {"kind": "rectification", "channel": "letter",
                                                 "customer_id": cid})
        assert req.status_code == 201, req.text
        r = srv.post(f"/v1/customers/{cid}/block", {"reason": "accuracy_disputed",
                                                    "privacy_request_id": req.json()["id"]})
        assert r.status_code == 201, r.text
        sent = len(rx.got)
        for route in ("test", "preview"):
            r = srv.post(f"/v1/templates/p/{route}", {"to": "device-1", "customer_id": cid}
                         if route == "test" else {"customer_id": cid})
            assert r.status_code == 423 and r.json()["error"]["code"] == "customer_blocked"
        assert len(rx.got) == sent
    finally:
        rx.stop()
