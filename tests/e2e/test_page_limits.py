"""The customer's pages' limits (docs/pages.md, "Limits"): the questionnaire's form posted from
one address more often than --limit-addr allows is answered by the 429 page in Russian with
Retry-After and stores nothing; once the window has passed (the server's clock moved by PUT
/v1/system/clock) the same form goes through; the scheduler's page_limits_expiry deletes the
uses no window reaches. The address is the connection's, or X-Forwarded-For's from a proxy
named by --trusted-proxy only."""
import subprocess
from datetime import datetime, timedelta, timezone

import requests

from conftest import BIN, db_arg
from test_questionnaire import link, member, page, post, token_of

T0 = datetime(2027, 4, 1, 9, 0, tzinfo=timezone.utc)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def rows(server):
    return server.rows("SELECT count(*) FROM page_limits")[0][0]


def fill(server, path, first_name, headers=None):
    """Opens the questionnaire and posts it with a new first name: the form and the reply."""
    html = requests.get(server.url + path, timeout=10, headers=headers or {}).text
    fields = {"csrf": token_of(html), "website": "", "first_name": first_name,
              "pd_consent": "1"}
    return fields, requests.post(server.url + path, data=fields, timeout=10,
                                 allow_redirects=False, headers=headers or {})


def first_name(server, cid):
    return server.get(f"/v1/customers/{cid}").json()["profile"].get("first_name")


def test_over_the_address_limit_the_page_says_so_and_stores_nothing(start_server):
    s = start_server(["--settable-clock", "--limit-addr", "3/1h"])
    assert s.put("/v1/system/clock", {"now": iso(T0)}).status_code == 200
    cid, _ = member(s)
    path = link(s, cid)
    for name in ("Анна", "Анастасия", "Алла"):
        _, r = fill(s, path, name)
        assert r.status_code == 302, r.text
    assert first_name(s, cid) == "Алла"
    assert rows(s) == 3

    # The fourth from the same address: the Russian page, Retry-After, nothing kept.
    before = s.counts()
    fields, r = fill(s, path, "Алиса")
    assert r.status_code == 429, r.text
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 3500 <= int(r.headers["Retry-After"]) <= 3600, r.headers
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert '<html lang="ru">' in r.text and "Слишком много попыток" in r.text
    assert "Попробуйте ещё раз через 60 минут." in r.text
    assert "Алиса" not in r.text
    assert first_name(s, cid) == "Алла" and s.counts() == before
    assert rows(s) == 3  # a refused use is not counted
    # The page itself (GET) is not limited: reading writes nothing.
    assert page(s, path).status_code == 200

    # An hour later the same form (its token was not spent: the refusal rolled back) goes in.
    assert s.put("/v1/system/clock", {"now": iso(T0 + timedelta(hours=1, seconds=5))}
                 ).status_code == 200
    r = post(s, path, fields)
    assert r.status_code == 302, r.text
    assert first_name(s, cid) == "Алиса"

    # The due work deletes the three uses no window reaches, keeps the new one. The server's own
    # scheduler may have run it since the clock moved (it did on a loaded CI machine): then this
    # run finds nothing left to delete. Either way the three are gone, the new one kept.
    r = s.post("/v1/loyalty/run-due")
    assert r.status_code == 200, r.text
    assert r.json()["page_limits"]["rows"] in (0, 3), r.text
    assert rows(s) == 1
    assert "Алиса" not in s.stop()


def posts(server, forwarded):
    """The questionnaire of a new member posted once per X-Forwarded-For of `forwarded`, each
    with another name: the replies' statuses."""
    cid, _ = member(server)
    path = link(server, cid)
    names = ("Анна", "Вера", "Галина", "Дарья")
    return [fill(server, path, names[i], {"X-Forwarded-For": xff})[1].status_code
            for i, xff in enumerate(forwarded)]


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(start_server):
    # No proxy trusted: the header is the client's own words, the connection's address counts.
    s = start_server(["--limit-addr", "2/1h"], sub="direct")
    assert posts(s, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [302, 302, 429]

    # Behind a trusted proxy (the test is it: 127.0.0.1) each client has its own count; what a
    # client writes before the proxy's hop does not make it someone else.
    p = start_server(["--limit-addr", "2/1h", "--trusted-proxy", "127.0.0.0/8,::1"], sub="proxy")
    assert posts(p, ["198.51.100.1", "203.0.113.9, 198.51.100.1", "192.0.2.1, 198.51.100.1",
                     "198.51.100.2"]) == [302, 302, 429, 302]
    # The audit log names the forwarded client, not the proxy.
    entries = p.get("/v1/audit?action=write").json()["items"]
    assert any(e.get("ip") == "198.51.100.2" for e in entries), entries
    # No address reaches the server's log.
    assert "198.51.100" not in p.stop() and "198.51.100" not in s.stop()


def test_bad_limit_flags_refuse_to_start(tmp_path):
    r = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, timeout=30)
    for flag in ("--limit-phone", "--limit-addr", "--limit-join-point", "--trusted-proxy"):
        assert flag in r.stdout, flag
    for flags in (["--limit-addr", "3"], ["--limit-phone", "3/10m,10/1d,1/1s"],
                  ["--trusted-proxy", "10.0.0.0/33"], ["--limit-join-point"]):
        r = subprocess.run([BIN, "serve", "--db", db_arg(tmp_path / "x.db"), *flags],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 2, (flags, r.stderr)
        assert "kartoteka serve:" in r.stderr, r.stderr
