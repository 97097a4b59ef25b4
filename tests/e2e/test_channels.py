"""The channels of deliver/ against real peers this test starts on loopback: an SMTP server
(Debian's python3-aiosmtpd, with and without AUTH, answering 4xx and 5xx where asked) and an
HTTP receiver (http.server in a thread) that checks the webhook's signature. Each message goes
through `kartoteka deliver test`, the verb that sends one without the outbox; the e-mail that
arrives is parsed with Python's email package (docs/messages.md, "Channels").
"""
import email
import email.policy
import json
import os
import re
import subprocess
import time
from email.utils import formatdate

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from conftest import BIN, db_arg
from peers import Receiver, SmtpSink, free_port, signature_ok

# The AUTH server of these tests speaks plain text on loopback, as aiosmtpd warns.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

FROM = "shop@example.ru"
SECRET = "whsec-test-0123456789abcdef"
SUBJECT = ("Ваши баллы сгорают через три дня — потратьте их на любимые товары в магазинах "
           "«Ромашка» ✓")
TEXT = "Здравствуйте, Анна!\nУ вас 1 234 балла."
HTML = "<p>Здравствуйте, <b>Анна</b>!</p><p>У вас 1&nbsp;234 балла.</p>"


def authenticator(sink):
    def check(server, session, envelope, mechanism, data):
        ok = (isinstance(data, LoginPassword) and data.login == b"mailer"
              and data.password == b"s3cret-pass")
        sink.auth.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535
    return check


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink.start()
    yield sink.url, sink
    sink.stop()


@pytest.fixture(scope="module")
def smtp_auth():
    sink = SmtpSink.start(auth=authenticator)
    yield sink.url, sink
    sink.stop()


def deliver(*args, env=None, db=None):
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("KARTOTEKA_SMTP") or k.startswith("KARTOTEKA_WEBHOOK"):
            del e[k]
    e.update(env or {})
    cmd = [BIN, "deliver", "test", *args] + (["--db", db_arg(db)] if db else [])
    r = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=60)
    assert "AddressSanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
    out = json.loads(r.stdout) if r.stdout.strip().startswith("{") else None
    return r.returncode, out, r.stderr


def email_args(url, to, *more, subject=SUBJECT, html=HTML):
    a = ["--channel", "email", "--smtp-url", url, "--smtp-from", FROM,
         "--smtp-from-name", "Магазин «Ромашка»", "--to", to, "--to-name", "Анна Синтетова",
         "--subject", subject, "--text", TEXT, *more]
    return a + (["--html", html] if html else [])


def parsed(envelope):
    return email.message_from_bytes(envelope.original_content, policy=email.policy.default)


@pytest.fixture(scope="module")
def customer(server):
    """A customer of the server's database and the server as the links' public_url."""
    r = server.put("/v1/privacy/settings", {"public_url": server.url, "consent_policy": "pending"})
    assert r.status_code == 200, r.text
    r = server.put("/v1/topics/promo", {"title": "Акции", "channels": ["email"]})
    assert r.status_code in (200, 201), r.text
    r = server.post("/v1/customers", {"source": {"channel": "pos"},
                                      "profile": {"phone": "+79990001122"}})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"]


def test_an_email_arrives_whole_and_its_one_click_link_works(server, smtp, customer):
    url, sink = smtp
    rc, out, err = deliver(*email_args(url, "anna@example.org", "--customer", customer,
                                       "--topic", "promo", "--id", "m_chan1"), db=server.db)
    assert rc == 0, err
    assert out == {"id": "m_chan1", "channel": "email", "result": "sent", "code": 250,
                   "reply": "250 2.0.0 queued"}
    env = sink.messages[-1]
    assert env.mail_from == FROM and env.rcpt_tos == ["anna@example.org"]
    m = parsed(env)
    assert m["Subject"] == SUBJECT  # the Cyrillic subject round-trips
    assert m["From"].addresses[0].display_name == "Магазин «Ромашка»"
    assert m["To"].addresses[0].display_name == "Анна Синтетова"
    assert m["To"].addresses[0].addr_spec == "anna@example.org"
    assert m["Message-ID"] == "<m_chan1@example.ru>"
    assert email.utils.parsedate_to_datetime(m["Date"]).tzinfo is not None
    assert m.get_body(("plain",)).get_content() == TEXT
    assert m.get_body(("html",)).get_content() == HTML
    assert m.get_body(("plain",)).get_content_charset() == "utf-8"
    # RFC 2047: every encoded word under 76 characters, their lines folded under 78; no line
    # past RFC 5322's 998 (a long unsubscribe link is one unfolded line).
    raw = env.original_content.decode("ascii")
    head = raw.split("\r\n\r\n", 1)[0]
    words = re.findall(r"=\?UTF-8\?B\?[^?]*\?=", head)
    assert len(words) >= 4 and max(len(w) for w in words) < 76
    assert max(len(line) for line in head.split("\r\n") if "=?UTF-8?B?" in line) < 78
    assert max(len(line) for line in raw.split("\r\n")) < 998
    # RFC 8058 on a message that is not transactional, and the link works.
    link = m["List-Unsubscribe"]
    assert link.startswith(f"<{server.url}/u/") and link.endswith(">")
    assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    r = server.request("POST", link[1:-1][len(server.url):], key=None,
                       data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and r.text == "unsubscribed\n"


def test_a_transactional_email_has_no_unsubscribe_headers_and_text_alone_is_one_part(smtp):
    url, sink = smtp
    rc, out, err = deliver(*email_args(url, "anna@example.org", "--transactional",
                                       "--id", "m_chan2", subject="Ваш чек", html=None))
    assert rc == 0 and out["result"] == "sent", err
    m = parsed(sink.messages[-1])
    assert m["Message-ID"] == "<m_chan2@example.ru>" and m["Subject"] == "Ваш чек"
    assert "List-Unsubscribe" not in m and "List-Unsubscribe-Post" not in m
    assert m.get_body(("plain",)).get_content() == TEXT
    assert m.get_body(("html",)) is None


def test_not_transactional_without_a_customer_is_bad_usage(smtp):
    url, _ = smtp
    rc, out, err = deliver(*email_args(url, "anna@example.org"))
    assert rc == 2 and "--customer" in err


def test_4xx_is_temporary_and_5xx_permanent_with_the_reply_but_no_address(smtp):
    url, sink = smtp
    before = len(sink.messages)
    rc, out, err = deliver(*email_args(url, "temp.box@example.org", "--transactional"))
    assert rc == 1 and out["result"] == "temporary" and out["code"] == 451, (out, err)
    assert "try later" in out["reply"]
    rc, out, err = deliver(*email_args(url, "perm.box@example.org", "--transactional"))
    assert rc == 1 and out["result"] == "permanent" and out["code"] == 550, (out, err)
    assert "no such user" in out["reply"]
    assert "perm.box" not in out["reply"] + err and "<address>" in out["reply"]
    assert len(sink.messages) == before


def test_a_server_that_is_not_there_is_temporary():
    rc, out, err = deliver(*email_args(f"smtp://127.0.0.1:{free_port()}", "a@example.org",
                                       "--transactional"))
    assert rc == 1 and out["result"] == "temporary" and out["code"] == 0, (out, err)


def test_auth_with_the_credentials_of_the_environment(smtp_auth):
    url, sink = smtp_auth
    good = {"KARTOTEKA_SMTP_USER": "mailer", "KARTOTEKA_SMTP_PASSWORD": "s3cret-pass"}
    # No STARTTLS on this server: with a user, the default refuses to send the password in
    # the clear, and the server never sees an AUTH.
    rc, out, err = deliver(*email_args(url, "a@example.org", "--transactional"), env=good)
    assert rc == 1 and out["result"] == "temporary" and sink.auth == [], (out, err)
    rc, out, err = deliver(*email_args(url, "a@example.org", "--transactional",
                                       "--smtp-starttls", "never"), env=good)
    assert rc == 0 and out["result"] == "sent", (out, err)
    assert sink.auth[-1][1] is True and len(sink.messages) == 1
    bad = dict(good, KARTOTEKA_SMTP_PASSWORD="wrong")
    rc, out, err = deliver(*email_args(url, "a@example.org", "--transactional",
                                       "--smtp-starttls", "never"), env=bad)
    assert rc == 1 and out["result"] == "temporary" and out["code"] == 535, (out, err)
    rc, out, err = deliver(*email_args(url, "a@example.org", "--transactional"))
    assert rc == 1 and out["result"] == "temporary" and out["code"] == 530, (out, err)
    assert len(sink.messages) == 1


def test_the_pool_reuses_its_connections(smtp):
    url, sink = smtp
    before = len(sink.messages)
    rc, out, err = deliver(*email_args(url, "a@example.org", "--transactional", "--id", "m_n",
                                       "--count", "40", "--smtp-connections", "4"))
    assert rc == 0, err
    assert out["sent"] == 40 and out["temporary"] == 0 and out["permanent"] == 0
    got = sink.messages[before:]
    ids = sorted(parsed(e)["Message-ID"] for e in got)
    assert ids == sorted(f"<m_n-{i}@example.ru>" for i in range(1, 41))
    connections = set(sink.peers[before:])
    assert 1 <= len(connections) <= 4  # 40 messages over at most 4 connections


def test_email_rate_paces_the_sends(smtp):
    """A burst of one second's worth, then one each 1/rate: 20 at 10/s take a second."""
    url, sink = smtp
    rc, out, err = deliver(*email_args(url, "a@example.org", "--transactional", "--id", "m_r",
                                       "--count", "20", "--email-rate", "10"))
    assert rc == 0 and out["sent"] == 20, err
    assert 0.9 <= out["seconds"] < 5
    rc, out, err = deliver(*email_args(url, "a@example.org", "--transactional", "--id", "m_u",
                                       "--count", "20"))
    assert rc == 0 and out["seconds"] < 0.9, out  # unlimited


# ---- webhooks ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def receiver():
    rx = Receiver.start(SECRET, "/push")
    yield rx
    rx.stop()


def push(rx, *more, secret=SECRET):
    return deliver("--channel", "push", "--push-url", rx.url, "--to", "c_0000000000000000000a",
                   "--title", "Баллы", "--text", "У вас 1 234 балла", *more,
                   env={"KARTOTEKA_WEBHOOK_SECRET": secret} if secret else {})


def test_push_is_signed_and_a_tampered_body_fails_the_check(receiver):
    receiver.answer = (202, {})
    rc, out, err = push(receiver, "--id", "m_push1")
    assert rc == 0 and out == {"id": "m_push1", "channel": "push", "result": "sent",
                               "code": 202, "reply": "HTTP 202"}, (out, err)
    got = receiver.got[-1]
    headers, body = got["headers"], got["body"]
    assert got["signed"] and headers["Kartoteka-Message-Id"] == "m_push1"
    assert headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc == {"id": "m_push1", "channel": "push", "to": "c_0000000000000000000a",
                   "title": "Баллы", "text": "У вас 1 234 балла"}
    sig = headers["Kartoteka-Signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", sig)
    tampered = body.replace("1 234".encode(), "9 999".encode())
    assert tampered != body and not signature_ok(SECRET, sig, tampered)
    assert not signature_ok("another-secret-0123456789", sig, body)
    assert not signature_ok(SECRET, sig, body, time.time() + 3600)  # a replay an hour on


def test_a_wrong_secret_is_refused_by_the_receiver_as_permanent(receiver):
    rc, out, err = push(receiver, secret="not-the-receivers-secret")
    assert rc == 1 and out["result"] == "permanent" and out["code"] == 401
    assert receiver.got[-1]["signed"] is False


def test_429_and_5xx_are_temporary_with_retry_after_and_400_permanent(receiver):
    receiver.answer = (429, {"Retry-After": "7"})
    rc, out, err = push(receiver)
    assert rc == 1 and out["result"] == "temporary" and out["code"] == 429
    assert out["retry_after_ms"] == 7000
    receiver.answer = (503, {"Retry-After": formatdate(time.time() + 120, usegmt=True)})
    rc, out, err = push(receiver)
    assert out["result"] == "temporary" and out["code"] == 503
    assert 110000 <= out["retry_after_ms"] <= 121000
    receiver.answer = (500, {})
    rc, out, err = push(receiver)
    assert out["result"] == "temporary" and "retry_after_ms" not in out
    receiver.answer = (400, {"Retry-After": "7"})
    rc, out, err = push(receiver)
    assert rc == 1 and out["result"] == "permanent" and out["code"] == 400
    assert "retry_after_ms" not in out


def test_plain_webhook_and_what_it_needs(receiver):
    receiver.answer = (200, {})
    env = {"KARTOTEKA_WEBHOOK_SECRET": SECRET}
    rc, out, err = deliver("--channel", "webhook", "--webhook-url", receiver.url, "--json",
                           '{"event": "birthday", "customer_id": "c_1"}', env=env)
    assert rc == 0 and out["result"] == "sent", err
    assert receiver.got[-1]["json"] == {"event": "birthday", "customer_id": "c_1"}
    rc, _, err = deliver("--channel", "webhook", "--webhook-url", receiver.url, "--json", "[1]",
                         env=env)
    assert rc == 2 and "JSON object" in err
    rc, _, err = push(receiver, secret=None)
    assert rc == 2 and "KARTOTEKA_WEBHOOK_SECRET" in err
    rc, _, err = push(receiver, secret="short")
    assert rc == 2


def test_the_verb_answers_help_and_bad_usage():
    r = subprocess.run([BIN, "deliver", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--smtp-url" in r.stdout and "KARTOTEKA_SMTP_USER" in r.stdout
    r = subprocess.run([BIN, "deliver", "test", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--channel" in r.stdout
    for bad in (["deliver"], ["deliver", "nope"], ["deliver", "test", "--channel", "fax"],
                ["deliver", "test", "--channel", "email", "--smtp-connections", "0"],
                ["deliver", "test", "--bogus"], ["deliver", "test", "extra"]):
        r = subprocess.run([BIN, *bad], capture_output=True, text=True)
        assert r.returncode == 2, bad
    r = subprocess.run([BIN, "deliver", "sms-parts", "Ваш код 1234"], capture_output=True,
                       text=True)
    assert r.returncode == 0
    assert json.loads(r.stdout) == {"chars": 12, "parts": 1, "encoding": "ucs2"}
