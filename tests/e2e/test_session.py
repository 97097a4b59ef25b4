"""The console's people and sessions (issue 15, docs/console.md "People and sessions"): users made
by the CLI, login and logout, the cookie's attributes, a wrong password and an unknown e-mail
alike, lock-out per e-mail and per address (password spraying), no session fixation, the session
as a caller (scope, audit log), CSRF on every change made with the cookie, idle and absolute
expiry on the server's settable clock, a disabled user's session ended at once, TOTP."""
import datetime
import subprocess
import time

import pytest
import requests

import openapi_shape
from conftest import BIN, Server, audit_entries, phone, src

PASSWORD = "correct horse battery"


def iso(t):
    return t.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


class Console:
    """A browser of the console: its own cookie jar, no API key; replies held to the OpenAPI."""

    def __init__(self, server):
        self.s = server
        self.http = requests.Session()
        self.csrf = None

    def call(self, method, path, body=None, csrf=True, headers=None):
        h = dict(headers or {})
        if csrf and self.csrf and method != "GET":
            h["X-CSRF-Token"] = self.csrf
        r = self.http.request(method, self.s.url + path, json=body, headers=h, timeout=60)
        if 200 <= r.status_code < 300 and r.headers.get("Content-Type", "").startswith(
                "application/json"):
            bad = openapi_shape.reply_undeclared(method, path.split("?")[0], r.status_code,
                                                 r.json())
            assert not bad, "the reply says what docs/openapi.json does not:\n" + "\n".join(bad)
        return r

    def login(self, email, password=PASSWORD, status=200):
        r = self.call("POST", "/v1/session", {"email": email, "password": password})
        assert r.status_code == status, r.text
        if status == 200:
            self.csrf = r.json()["csrf_token"]
        return r

    def cookie(self):
        return self.http.cookies.get("kt_session")


def make_user(server, email, role="admin", stores=None, password=PASSWORD):
    args = ["users", "create", "--email", email, "--role", role, "--password-stdin"]
    if stores:
        args += ["--stores", stores]
    r = server_cli_stdin(server, args, password + "\n")
    assert r.returncode == 0, r.stderr
    return r


def server_cli_stdin(server, args, stdin):
    return subprocess.run([BIN, *args, "--db", str(server.db)], input=stdin, capture_output=True,
                          text=True, env=server.env, timeout=60)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("session"),
               ["--settable-clock", "--login-lockout-email", "3", "--login-lockout-addr", "8"])
    yield s
    s.stop()


def test_users_cli_makes_a_password_and_lists_users(srv):
    r = srv.cli("users", "create", "--email", "Gen.User@Example.com", "--role", "analyst")
    password = r.stdout.strip()
    assert len(password) == 24 and "\n" not in password
    c = Console(srv)
    got = c.login("gen.user@example.com", password).json()
    assert got["user"]["email"] == "gen.user@example.com"
    assert got["user"]["role"] == "analyst" and got["user"]["stores"] is None
    assert got["second_factor"] == "none" and got["user"]["totp"] is False
    listed = srv.cli("users", "list").stdout
    assert "gen.user@example.com" in listed and "analyst" in listed
    assert srv.cli("users", "create", "--email", "gen.user@example.com", "--role", "admin",
                   check=False).returncode == 1
    assert srv.cli("users", "create", "--email", "x@example.com", "--role", "store_manager",
                   check=False).returncode == 1  # a store manager needs --stores
    assert "usage" in srv.cli("users", "--help").stdout


def test_login_cookie_session_and_logout(srv):
    make_user(srv, "ann@example.com")
    c = Console(srv)
    r = c.login("ann@example.com")
    cookie = r.headers["Set-Cookie"]
    assert "kt_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback only
    doc = r.json()
    assert doc["user"]["id"].startswith("u_")
    assert c.call("GET", "/v1/session").json()["user"]["id"] == doc["user"]["id"]
    # the session is a caller: an admin's read works with the cookie alone
    assert c.call("GET", "/v1/customers").status_code == 200
    r = c.call("DELETE", "/v1/session")
    assert r.status_code == 204
    assert "Max-Age=0" in r.headers["Set-Cookie"]
    # the old cookie, replayed, is worth nothing
    again = requests.get(srv.url + "/v1/session", cookies={"kt_session": cookie.split(";")[0]
                                                          .split("=", 1)[1]}, timeout=30)
    assert again.status_code == 401 and again.json()["error"]["code"] == "no_session"
    assert c.call("GET", "/v1/customers").status_code == 401


def test_wrong_password_and_unknown_email_look_alike(srv):
    make_user(srv, "bob@example.com")
    c = Console(srv)
    times = {}
    for email, pw in (("bob@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)):
        t = time.monotonic()
        r = c.login(email, pw, status=401)
        times[email] = time.monotonic() - t
        assert r.json()["error"]["code"] == "wrong_credentials"
        assert "Set-Cookie" not in r.headers
    # both paid one Argon2id check: neither answers in a fraction of the other's time
    fast, slow = sorted(times.values())
    assert fast > slow / 3, times
    assert c.login("bob@example.com").status_code == 200


def test_disabled_user_is_refused_and_their_session_ends_at_once(srv):
    make_user(srv, "carl@example.com")
    c = Console(srv)
    c.login("carl@example.com")
    assert c.call("GET", "/v1/session").status_code == 200
    srv.cli("users", "disable", "carl@example.com")
    r = c.call("GET", "/v1/customers")
    assert r.status_code == 401 and r.json()["error"]["code"] == "no_session"
    r = Console(srv).login("carl@example.com", status=401)
    assert r.json()["error"]["code"] == "wrong_credentials"
    srv.cli("users", "enable", "carl@example.com")
    Console(srv).login("carl@example.com")


def test_session_fixation(srv):
    make_user(srv, "dora@example.com")
    c = Console(srv)
    planted = "A" * 43
    c.http.cookies.set("kt_session", planted, domain="127.0.0.1", path="/")
    assert c.call("GET", "/v1/session").status_code == 401
    c.login("dora@example.com")
    got = c.cookie()
    assert got and got != planted
    # a valid session's cookie is replaced at the next login too
    before = c.cookie()
    c.login("dora@example.com")
    assert c.cookie() != before
    stale = requests.get(srv.url + "/v1/session", cookies={"kt_session": before}, timeout=30)
    assert stale.status_code == 401


def test_csrf_on_changes_made_with_the_cookie(srv):
    make_user(srv, "erin@example.com")
    c = Console(srv)
    c.login("erin@example.com")
    body = {"name": "csrf-probe", "query": "has email"}
    r = c.call("POST", "/v1/segments", body, csrf=False)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_missing"
    r = c.call("POST", "/v1/segments", body, csrf=False,
               headers={"X-CSRF-Token": c.csrf[:-1] + ("A" if c.csrf[-1] != "A" else "B")})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_wrong"
    r = c.call("POST", "/v1/segments", body)
    assert r.status_code == 201, r.text
    # another session's token is wrong for this one
    other = Console(srv)
    other.login("erin@example.com")
    r = c.call("DELETE", "/v1/session", csrf=False, headers={"X-CSRF-Token": other.csrf})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_wrong"
    # an API key needs no CSRF header
    assert srv.post("/v1/segments", {"name": "key-probe", "query": "has email"}).status_code == 201


def test_audit_log_names_the_user(srv):
    make_user(srv, "fay@example.com")
    c = Console(srv)
    uid = c.login("fay@example.com").json()["user"]["id"]
    cust = srv.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}})
    assert cust.status_code in (200, 201), cust.text
    cid = cust.json()["customer"]["id"]
    assert c.call("GET", f"/v1/customers/{cid}").status_code == 200
    entries = audit_entries(srv, customer_id=cid)
    assert any(e["action"] == "read" and e["key_id"] == uid for e in entries), [(e["action"], e["key_id"]) for e in entries]
    logins = audit_entries(srv, key_id=uid)
    assert any(e["detail"] == f"login {uid}" for e in logins), logins


def test_idle_and_absolute_expiry(srv):
    make_user(srv, "gus@example.com")
    now = datetime.datetime.now(datetime.timezone.utc)
    assert srv.put("/v1/system/clock", {"now": iso(now)}).status_code == 200
    c = Console(srv)
    c.login("gus@example.com")
    # used every 20 minutes, it lives past 30 minutes...
    for minutes in (20, 40, 60):
        srv.put("/v1/system/clock", {"now": iso(now + datetime.timedelta(minutes=minutes))})
        assert c.call("GET", "/v1/session").status_code == 200
    # ...but not 31 minutes idle
    srv.put("/v1/system/clock", {"now": iso(now + datetime.timedelta(minutes=91))})
    r = c.call("GET", "/v1/session")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"
    # and never past 12 hours, however busy
    c.login("gus@example.com")
    start = now + datetime.timedelta(minutes=91)
    t = start
    while t < start + datetime.timedelta(hours=12):
        srv.put("/v1/system/clock", {"now": iso(t)})
        assert c.call("GET", "/v1/session").status_code == 200
        t += datetime.timedelta(minutes=25)
    srv.put("/v1/system/clock", {"now": iso(start + datetime.timedelta(hours=12, seconds=1))})
    r = c.call("GET", "/v1/session")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_expired"
