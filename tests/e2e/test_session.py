"""The console's people and sessions (issue 15, docs/console.md "People and sessions"): users made
by the CLI, login and logout, the cookie's attributes, a wrong password and an unknown e-mail
alike, lock-out per e-mail and per address (password spraying), no session fixation, the session
as a caller (scope, audit log), CSRF on every change made with the cookie, idle and absolute
expiry on the server's settable clock, a disabled user's session ended at once, TOTP."""
import base64
import datetime
import hashlib
import hmac
import re
import struct
import subprocess
import time
import urllib.parse

import pytest
import requests

import openapi_shape
from conftest import BIN, ROOT, Server, audit_entries, phone, src

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
            if "csrf_token" in r.json():  # a new session (login, second factor): a new token
                self.csrf = r.json()["csrf_token"]
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
    return subprocess.run([BIN, *args, "--db", server.db_arg], input=stdin, capture_output=True,
                          text=True, env=server.env, timeout=60)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("session"),
               ["--settable-clock", "--login-lockout-email", "3", "--login-lockout-addr", "20"])
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
    for i in range(3):
        make_user(srv, f"bob{i}@example.com")
    c = Console(srv)
    times = {"known": [], "unknown": []}
    for i in range(3):  # in turn, the medians: one try each is at the mercy of a busy machine;
        # a user of their own each time, under the lock-out of three tries per e-mail
        for who, email, pw in (("known", f"bob{i}@example.com", "wrong password!"),
                               ("unknown", f"nobody{i}@example.com", PASSWORD)):
            t = time.monotonic()
            r = c.login(email, pw, status=401)
            times[who].append(time.monotonic() - t)
            assert r.json()["error"]["code"] == "wrong_credentials"
            assert "Set-Cookie" not in r.headers
    times = {k: sorted(v)[1] for k, v in times.items()}
    # both paid one Argon2id check: neither answers in a fraction of the other's time
    fast, slow = sorted(times.values())
    assert fast > slow / 3, times
    assert c.login("bob0@example.com").status_code == 200


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


def test_csrf_on_every_state_changing_route(srv):
    """Every route that changes something and takes the cookie - each POST, PUT, PATCH and DELETE of
    src/api/routes.c with a scope, and the session's own - refuses the cookie without the token,
    before its handler reads anything (path values and bodies here are placeholders)."""
    make_user(srv, "csrf-walk@example.com")
    c = Console(srv)
    c.login("csrf-walk@example.com")
    text = (ROOT / "src" / "api" / "routes.c").read_text()
    walked = 0
    for m in re.finditer(r'\{HTTP_(POST|PUT|PATCH|DELETE),\s*"([^"]+)",\s*\w+,\s*([^,]+),\s*([^}]+)\}',
                         text):
        method, pattern, scopes, flags = m.groups()
        if "ROUTE_PUBLIC" in scopes and "ROUTE_SESSION" not in flags:
            continue  # no cookie taken: the customers' pages have their own form tokens
        path = re.sub(r"\{\w+\*?\}", "csrf-probe", pattern)
        r = c.call(method, path, {}, csrf=False)
        if flags.strip() == "TRACK":  # the Segment SDKs' routes take no cookie at all
            assert (r.status_code, r.json()["error"]["code"]) == (401, "missing_key"), path
            continue
        assert (r.status_code, r.json()["error"]["code"]) == (403, "csrf_missing"), (method, path)
        walked += 1
    assert walked > 70
    assert c.call("GET", "/v1/session").status_code == 200  # the session itself is untouched


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


def test_lockout_per_email(start_server):
    s = start_server(["--login-lockout-email", "3", "--login-lockout-addr", "50",
                      "--login-lockout-window", "4"])  # short: the test waits it out
    make_user(s, "hal@example.com")
    make_user(s, "ida@example.com")
    c = Console(s)
    for _ in range(3):
        assert c.login("hal@example.com", "not the password", status=401).json()[
            "error"]["code"] == "wrong_credentials"
    r = c.login("hal@example.com", status=429)  # the right password too
    assert r.json()["error"]["code"] == "locked_out"
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 4
    # in any spelling of the address
    assert c.login("HAL@Example.com", status=429).status_code == 429
    # another e-mail from the same address is not locked
    Console(s).login("ida@example.com")
    time.sleep(wait + 0.5)
    Console(s).login("hal@example.com")
    assert "login_lockout" in s.stderr()


def test_lockout_per_address_against_password_spraying(start_server):
    s = start_server(["--login-lockout-email", "100", "--login-lockout-addr", "5",
                      "--login-lockout-window", "60"])
    make_user(s, "jan@example.com")
    c = Console(s)
    for i in range(5):  # one guess each at five e-mails, known or not
        email = "jan@example.com" if i == 2 else f"spray{i}@example.com"
        c.login(email, "Summer2026!", status=401)
    r = Console(s).login("jan@example.com", status=429)
    assert r.json()["error"]["code"] == "locked_out" and int(r.headers["Retry-After"]) > 0
    # the lock is audited with the address, never the e-mails
    entries = audit_entries(s, action="lockout")
    assert entries and all("example.com" not in (e["detail"] or "") for e in entries)
    # the wrong passwords are counted on the known user
    assert s.rows("SELECT failed FROM users") == [(1,)]


def totp(secret, t):
    """RFC 6238's code of base32 `secret` at unix time `t` (SHA-1, 30 s, 6 digits), written
    here from the RFC, apart from the server's."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(t) // 30), hashlib.sha1).digest()
    off = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 1000000)


def test_totp_enrolment_and_second_factor(srv):
    t0 = datetime.datetime(2027, 3, 1, 10, 0, 0, tzinfo=datetime.timezone.utc)
    assert srv.put("/v1/system/clock", {"now": iso(t0)}).status_code == 200
    make_user(srv, "kim@example.com")
    c = Console(srv)
    c.login("kim@example.com")
    r = c.call("POST", "/v1/session/totp/setup")
    assert r.status_code == 200, r.text
    secret, uri = r.json()["secret"], r.json()["uri"]
    head, _, query = uri.partition("?")
    assert urllib.parse.unquote(head) == "otpauth://totp/Kartoteka:kim@example.com"
    q = urllib.parse.parse_qs(query)
    assert q["secret"] == [secret] and q["digits"] == ["6"] and q["period"] == ["30"]
    assert c.call("POST", "/v1/session/totp/setup", csrf=False).status_code == 403
    now = t0.timestamp()
    r = c.call("POST", "/v1/session/totp/enable", {"code": totp(secret, now + 300)})
    assert r.status_code == 422 and r.json()["error"]["code"] == "code_wrong"
    before = c.cookie()
    r = c.call("POST", "/v1/session/totp/enable", {"code": totp(secret, now)})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["totp"] is True and r.json()["second_factor"] == "passed"
    assert c.cookie() != before
    c.csrf = r.json()["csrf_token"]
    assert c.call("GET", "/v1/customers").status_code == 200
    assert c.call("POST", "/v1/session/totp/setup").json()["error"]["code"] == "totp_state"

    # a login now needs the code; until then only /v1/session answers
    d = Console(srv)
    doc = d.login("kim@example.com").json()
    assert doc["second_factor"] == "needed"
    r = d.call("GET", "/v1/customers")
    assert r.status_code == 401 and r.json()["error"]["code"] == "second_factor_needed"
    assert d.call("GET", "/v1/session").json()["second_factor"] == "needed"
    # the code enable used (same step) is not accepted again
    r = d.call("POST", "/v1/session/totp", {"code": totp(secret, now)})
    assert r.status_code == 401 and r.json()["error"]["code"] == "wrong_code"
    srv.put("/v1/system/clock", {"now": iso(t0 + datetime.timedelta(seconds=60))})
    needed_cookie = d.cookie()
    r = d.call("POST", "/v1/session/totp", {"code": totp(secret, now + 60)})
    assert r.status_code == 200, r.text
    assert r.json()["second_factor"] == "passed"
    d.csrf = r.json()["csrf_token"]
    assert d.cookie() != needed_cookie  # rotated at the second factor
    assert d.call("GET", "/v1/customers").status_code == 200
    stale = requests.get(srv.url + "/v1/session", cookies={"kt_session": needed_cookie},
                         timeout=30)
    assert stale.status_code == 401
    # one step of drift either way is accepted; the same code on another session is not
    e = Console(srv)
    e.login("kim@example.com")
    r = e.call("POST", "/v1/session/totp", {"code": totp(secret, now + 60)})
    assert r.status_code == 401
    assert e.call("POST", "/v1/session/totp", {"code": totp(secret, now + 90)}).status_code == 200
    # a passed session asks no code
    assert e.call("POST", "/v1/session/totp", {"code": "000000"}).json()["error"][
        "code"] == "totp_state"
    # a lost phone: the administrator clears TOTP, the user logs in with the password alone
    srv.cli("users", "reset", "kim@example.com", "--totp")
    assert e.call("GET", "/v1/session").status_code == 401  # a reset ends the sessions


def test_users_api_for_admins(srv):
    make_user(srv, "lea@example.com")
    admin = Console(srv)
    admin_id = admin.login("lea@example.com").json()["user"]["id"]
    r = admin.call("POST", "/v1/users", {"email": "Max@Example.com", "role": "store_manager",
                                         "stores": ["S-1", "S-2"]})
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["user"]["email"] == "max@example.com" and made["user"]["stores"] == ["S-1", "S-2"]
    assert len(made["password"]) == 24
    uid = made["user"]["id"]
    r = admin.call("POST", "/v1/users", {"email": "max@example.com", "role": "admin"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "email_taken"
    r = admin.call("POST", "/v1/users", {"email": "nat@example.com", "role": "analyst",
                                         "stores": ["S-1"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_stores"
    r = admin.call("POST", "/v1/users", {"email": "nat@example.com", "role": "boss"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_role"
    r = admin.call("POST", "/v1/users", {"email": "nat@example.com", "role": "marketer",
                                         "password": PASSWORD})
    assert r.status_code == 201 and r.json()["password"] is None

    # the store manager logs in: the session carries the role's scope and the stores
    m = Console(srv)
    doc = m.login("max@example.com", made["password"]).json()
    assert doc["user"]["role"] == "store_manager" and doc["user"]["stores"] == ["S-1", "S-2"]
    # the users routes are the admin's: a marketer's session is refused
    mk = Console(srv)
    mk.login("nat@example.com")
    r = mk.call("GET", "/v1/users")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"

    # paging
    page = admin.call("GET", "/v1/users?limit=2").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = admin.call("GET", f"/v1/users?limit=1000&cursor={page['next_cursor']}").json()
    ids = [u["id"] for u in page["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) and uid in ids and admin_id in ids
    assert rest["next_cursor"] is None
    assert srv.get("/v1/users?cursor=made-up").status_code == 400

    # a new role or stores, or a disable, ends the user's sessions at once
    r = admin.call("PATCH", f"/v1/users/{uid}", {"stores": ["S-3"]})
    assert r.status_code == 200 and r.json()["stores"] == ["S-3"]
    assert m.call("GET", "/v1/session").status_code == 401
    r = admin.call("PATCH", f"/v1/users/{uid}", {"role": "marketer"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bad_stores"
    r = admin.call("PATCH", f"/v1/users/{uid}", {"role": "marketer", "stores": None})
    assert r.status_code == 200 and r.json()["role"] == "marketer" and r.json()["stores"] is None
    m.login("max@example.com", made["password"])
    r = admin.call("PATCH", f"/v1/users/{uid}", {"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert m.call("GET", "/v1/session").status_code == 401
    m.login("max@example.com", made["password"], status=401)
    assert admin.call("PATCH", "/v1/users/u_nobody", {"disabled": True}).status_code == 404
    assert admin.call("PATCH", f"/v1/users/{uid}", {"disabled": False}, csrf=False
                      ).status_code == 403

    # every change is in the audit log, by whom, without the e-mail
    changes = [e for e in audit_entries(srv, action="user") if uid in (e["detail"] or "")]
    assert [e["detail"].split()[0] for e in changes] == ["create", "change", "change", "change"]
    assert all(e["key_id"] == admin_id for e in changes)
    assert all("example.com" not in e["detail"] for e in changes)
