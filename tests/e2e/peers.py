"""The real peers the end-to-end tests start on loopback, one copy of each: a free port, an SMTP
server (Debian's python3-aiosmtpd) whose answers a test steers per address, and an HTTP receiver
for SMS gateways, push and webhooks that keeps what it was sent, checks the HMAC-SHA256 signature
as docs/messages.md tells a receiver to, and answers what the test asks.

    port = free_port()
    smtp = SmtpSink.start()          # smtp.url, smtp.messages, smtp.ids(), smtp.stop()
    hook = Receiver.start(secret=S)  # hook.url, hook.got, hook.wait(n), hook.stop()
    gw = SmsGateway.start(path="/sms")  # gw.msg(n), gw.code(n), gw.code_to(phone), gw.fail
"""
import asyncio
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import re
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=15, what="the condition"):
    """Polls pred() until it is true; fails the test with `what` when the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} did not happen in {timeout} s")


class SmtpSink:
    """An SMTP server that keeps every message. A recipient starting with `temp` gets 451 and
    one starting with `perm` 550; `temp[addr] = n` answers 451 to addr's next n tries and
    `busy` holds addresses answered 451 while there. With `hold` set, DATA waits for `gate` (a
    message in flight when the sender dies); `drop` makes a held one end without being kept -
    the client never had its 250."""

    def __init__(self):
        self.messages = []  # aiosmtpd envelopes, in the order they were taken
        self.peers = []  # the client's address and port of each message: its connection
        self.auth = []  # (mechanism, accepted) of each AUTH, for an authenticator to fill
        self.temp = {}
        self.busy = set()
        self.hold = threading.Event()
        self.gate = threading.Event()
        self.drop = False
        self.lock = threading.Lock()
        self.controller = None
        self.url = None

    @classmethod
    def start(cls, auth=None, **controller_kw):
        """auth: a function of the sink giving aiosmtpd's authenticator (it may record in
        sink.auth); AUTH is then required, over plain text on loopback."""
        sink = cls()
        if auth is not None:
            controller_kw.update(authenticator=auth(sink), auth_required=True,
                                 auth_require_tls=False)
        sink.controller = Controller(sink, hostname="127.0.0.1", port=free_port(),
                                     **controller_kw)
        sink.controller.start()
        sink.port = sink.controller.port
        sink.url = f"smtp://127.0.0.1:{sink.port}"
        return sink

    def stop(self):
        self.controller.stop()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if self.temp.get(address, 0) > 0:
                self.temp[address] -= 1
                return "451 4.3.0 mailbox busy, try later"
            if address in self.busy or address.startswith("temp"):
                return "451 4.3.0 mailbox busy, try later"
        if address.startswith("perm"):
            return f"550 5.1.1 <{address}>: no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.hold.is_set():
            while not self.gate.is_set():
                await asyncio.sleep(0.02)
            if self.drop:
                return "451 4.3.0 connection lost"
        with self.lock:
            self.messages.append(envelope)
            self.peers.append(session.peer)
        return "250 2.0.0 queued"

    def parsed(self, i=-1):
        """Message i as an email.message.EmailMessage."""
        with self.lock:
            raw = self.messages[i].original_content
        return email.message_from_bytes(raw, policy=email.policy.default)

    def ids(self):
        """The outbox ids of the messages taken: the left of each Message-ID."""
        with self.lock:
            raws = [e.original_content for e in self.messages]
        return [str(email.message_from_bytes(r, policy=email.policy.default)["Message-ID"])
                .strip("<>").split("@")[0] for r in raws]


def signature_ok(secret, header, body, now=None, tolerance=300):
    """The receiver's check of `Kartoteka-Signature: t=...,v1=...` over `<t>.<body>`, as
    docs/messages.md shows it; False for a missing or malformed header."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError, AttributeError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts.get("v1", ""))


class Receiver:
    """An HTTP server that keeps every POST as a dict: `headers`, `body` (bytes), `json` (or
    None), `path`, `signed` (the signature checked with `secret`; None without a secret) and
    `at` (time.monotonic() when the body was read: bench/otp_latency.py's clock).
    It answers `answer` = (status, headers) to a request whose signature holds, 401 to one
    whose does not; `answers` (a list) is consumed first, one per request."""

    def __init__(self, secret=None):
        self.secret = secret
        self.got = []
        self.answer = (200, {})
        self.answers = []
        self.lock = threading.Lock()
        self.httpd = None
        self.url = None

    @classmethod
    def start(cls, secret=None, path="/hook"):
        rx = cls(secret)
        outer = rx

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                at = time.monotonic()
                signed = None
                if outer.secret is not None:
                    signed = signature_ok(outer.secret,
                                          self.headers.get("Kartoteka-Signature", ""), body)
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                with outer.lock:
                    outer.got.append({"headers": dict(self.headers), "body": body, "json": doc,
                                      "path": self.path, "signed": signed, "at": at})
                    if signed is False:
                        status, headers = 401, {}
                    elif outer.answers:
                        status, headers = outer.answers.pop(0)
                    else:
                        status, headers = outer.answer
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        rx.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        rx.url = f"http://127.0.0.1:{rx.httpd.server_port}{path}"
        threading.Thread(target=rx.httpd.serve_forever, daemon=True).start()
        return rx

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def wait(self, n, timeout=10):
        """Waits until n requests have come; fails the test when they have not."""
        wait_for(lambda: len(self.got) >= n, timeout, f"{n} requests at the receiver")

    def ids(self):
        """The Kartoteka-Message-Id of each request, in order."""
        with self.lock:
            return [g["headers"].get("Kartoteka-Message-Id") for g in self.got]


class SmsGateway(Receiver):
    """A local SMS gateway for serve's --sms-url (a Receiver): `msg(n)` is the n-th message's JSON, `code(n)` the
    code in it; `fail` makes it answer 503."""

    @property
    def fail(self):
        return self.answer[0] == 503

    @fail.setter
    def fail(self, on):
        self.answer = (503, {}) if on else (200, {})

    def msg(self, n, timeout=10):
        self.wait(n, timeout)
        return self.got[n - 1]["json"]

    def code(self, n):
        return re.search(r"\b(\d{6})\b", self.msg(n)["text"]).group(1)

    def to(self, phone):
        """The messages sent to `phone` so far (their JSON), in order."""
        with self.lock:
            return [g["json"] for g in self.got if (g["json"] or {}).get("to") == phone]

    def code_to(self, phone, after=0, timeout=10):
        """The code in the newest message to `phone`, once more than `after` have come."""
        wait_for(lambda: len(self.to(phone)) > after, timeout, f"an SMS to {phone}")
        return re.search(r"\b(\d{6})\b", self.to(phone)[-1]["text"]).group(1)
