"""Roles and scopes for people and machines (issue 19, part F): a key limited to stores sees only
the customers who were in them and writes only for them; the dpo scope reaches privacy and not
marketing; the auditor reads the audit log and nothing else; an expired key is refused with its
own code; an address that sends too many wrong keys is locked out for a while, then let back.
docs/privacy.md, "Roles and scopes"; docs/api.md, "Scopes by route"."""
import re
import time

import pytest

from conftest import audit_entries, phone, src

pytestmark = pytest.mark.usefixtures("pending_policy")

LINE = [{"sku": "A", "quantity": 1, "price": 10000, "amount": 10000}]
NOBODY = "c_" + "a" * 20  # a well-formed id nobody has


def customer_at(server, store):
    p = phone()
    r = server.post("/v1/customers", {"source": src("pos", store=store),
                                      "profile": {"phone": p, "first_name": "Анна"}})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"], p


def error(r):
    e = dict(r.json()["error"])
    e.pop("request_id", None)
    return r.status_code, e


# ---- keys limited to stores ---------------------------------------------------------------------

def test_a_store_key_cannot_read_another_stores_customer(server):
    own, own_phone = customer_at(server, "S-1")
    other, other_phone = customer_at(server, "S-2")
    k = server.cli("keys", "create", "--scope", "pos", "--name", "store 1 tablet",
                   "--stores", "S-1").stdout.strip()
    # Its own store's customer: every customer route answers.
    for path in (f"/v1/customers/{own}", f"/v1/customers/{own}/consents",
                 f"/v1/customers/{own}/points", f"/v1/customers/{own}/purchases",
                 f"/v1/customers/{own}/cards", f"/v1/customers/{own}/subscriptions"):
        assert server.get(path, key=k).status_code == 200, path
    assert [c["id"] for c in server.get(f"/v1/customers?phone={own_phone}", key=k)
            .json()["items"]] == [own]
    # Another store's: what a customer who does not exist gets, word for word.
    nobody = error(server.get(f"/v1/customers/{NOBODY}", key=k))
    assert nobody == (404, {"code": "customer_not_found", "message": "customer not found"})
    for suffix in ("", "/consents", "/points", "/points/history", "/purchases", "/cards",
                   "/subscriptions", "/events", "/may-send?channel=sms&topic=x"):
        r = server.get(f"/v1/customers/{other}{suffix}", key=k)
        assert error(r) == nobody, suffix
    assert server.get(f"/v1/customers?phone={other_phone}", key=k).json()["items"] == []
    r = server.patch(f"/v1/customers/{other}",
                     {"source": src("pos", store="S-1"), "profile": {"city": "Тверь"}}, key=k)
    assert error(r) == nobody
    assert server.get(f"/v1/customers/{other}").json()["profile"].get("city") is None
    # Their card is a card that does not exist; its own customer's card answers.
    cards = {}
    for cid, p in ((own, own_phone), (other, other_phone)):
        r = server.post("/v1/pos/enroll", {"phone": p, "store": "S-9", "send_code": False})
        assert r.status_code in (200, 201), r.text
        assert r.json()["customer_id"] == cid
        cards[cid] = r.json()["card"]["number"]
    assert server.get(f"/v1/cards/{cards[own]}", key=k).status_code == 200
    unknown = error(server.get("/v1/cards/2999999999993", key=k))
    assert unknown[0] == 404 and unknown[1]["code"] == "card_not_found"
    assert error(server.get(f"/v1/cards/{cards[other]}", key=k)) == unknown
    # The admin key still sees both; a chain-wide pos key too.
    assert server.get(f"/v1/customers/{other}").status_code == 200
    assert server.get(f"/v1/customers/{other}", key=server.new_key("pos")).status_code == 200


def test_a_store_key_writes_only_for_its_stores(server):
    own, own_phone = customer_at(server, "S-1")
    other, other_phone = customer_at(server, "S-2")
    k = server.cli("keys", "create", "--scope", "pos", "--name", "till", "--stores",
                   "S-1,S-3").stdout.strip()
    r = server.post("/v1/purchases", {"store": "S-2", "receipt": "X-1", "lines": LINE,
                                      "customer": {"phone": own_phone}}, key=k)
    assert r.status_code == 403 and r.json()["error"]["code"] == "store_not_allowed"
    assert r.json()["error"]["field"] == "store"
    r = server.post("/v1/customers", {"source": src("pos", store="S-2"),
                                      "profile": {"phone": phone()}}, key=k)
    assert r.status_code == 403 and r.json()["error"]["field"] == "source.store"
    r = server.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}}, key=k)
    assert r.status_code == 403 and r.json()["error"]["code"] == "store_not_allowed"
    # An upsert that finds another store's customer keeps the data, shows nothing of them.
    r = server.post("/v1/customers", {"source": src("pos", store="S-3"),
                                      "profile": {"phone": other_phone}}, key=k)
    assert r.status_code == 202 and set(r.json()) == {"accepted", "warnings"}
    # A new customer made at the till is the store's own.
    r = server.post("/v1/customers", {"source": src("pos", store="S-3"),
                                      "profile": {"phone": phone()}}, key=k)
    assert r.status_code == 201
    assert server.get(f"/v1/customers/{r.json()['customer']['id']}", key=k).status_code == 200
    # A receipt at its store is the customer's visit: from then on they are that store's too.
    r = server.post("/v1/purchases", {"store": "S-1", "receipt": "X-2", "lines": LINE,
                                      "customer": {"phone": other_phone}}, key=k)
    assert r.status_code == 201, r.text
    assert server.get(f"/v1/customers/{other}", key=k).status_code == 200
    pid = r.json()["id"]
    assert server.get(f"/v1/purchases/{pid}", key=k).status_code == 200
    # Another store's receipt does not exist for it, nor can it be refunded.
    r = server.post("/v1/purchases", {"store": "S-2", "receipt": "X-3", "lines": LINE,
                                      "customer": {"phone": own_phone}})
    pid2 = r.json()["id"]
    assert error(server.get(f"/v1/purchases/{pid2}", key=k))[1]["code"] == "purchase_not_found"
    r = server.post(f"/v1/purchases/{pid2}/refunds",
                    {"refund": "RF-1", "lines": [{"line": 1, "quantity": 1}]}, key=k)
    assert r.status_code == 404 and r.json()["error"]["code"] == "purchase_not_found"
    # Routes that answer about any phone in the chain are not open to a store key.
    for path, body in (("/v1/pos/enroll", {"phone": phone(), "store": "S-1"}),
                       ("/v1/pos/otp", {"phone": other_phone}),
                       ("/v1/events", {"type": "page_view", "message_id": "m-1",
                                       "customer": {"phone": other_phone}})):
        r = server.post(path, body, key=k)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", path
    # What reads no customer stays open to it.
    assert server.get("/v1/attributes", key=k).status_code == 200
    assert server.get("/v1/loyalty/program", key=k).status_code == 200


def test_store_limits_are_checked_when_the_key_is_made(server):
    r = server.cli("keys", "create", "--scope", "admin", "--name", "x", "--stores", "S-1",
                   check=False)
    assert r.returncode == 2 and "pos keys only" in r.stderr
    r = server.cli("keys", "create", "--scope", "pos", "--name", "x", "--stores", "S-1,,S-2",
                   check=False)
    assert r.returncode == 2
    r = server.cli("keys", "create", "--scope", "pos", "--name", "x", "--stores", "S-1,S-1",
                   check=False)
    assert r.returncode == 2
    listing = server.cli("keys", "list").stdout
    assert '["S-1","S-3"]' in listing


# ---- dpo and auditor ----------------------------------------------------------------------------

def test_dpo_reaches_privacy_but_not_marketing(server):
    cid, p = customer_at(server, "S-1")
    k = server.new_key("dpo")
    for path in (f"/v1/customers/{cid}", f"/v1/customers?phone={p}",
                 f"/v1/customers/{cid}/consents", f"/v1/customers/{cid}/consents/evidence",
                 f"/v1/customers/{cid}/history", f"/v1/customers/{cid}/export",
                 "/v1/privacy-requests", "/v1/destruction-acts", "/v1/audit",
                 "/v1/audit/verify", "/v1/consent-documents", "/v1/privacy/settings",
                 "/v1/incidents"):
        assert server.get(path, key=k).status_code == 200, path
    r = server.post("/v1/privacy-requests", {"kind": "access", "customer_id": cid,
                                             "channel": "letter"}, key=k)
    assert r.status_code == 201, r.text
    for method, path, body in (
            ("GET", "/v1/segments", None),
            ("POST", "/v1/segments/preview", {"query": "city = 'Тверь'"}),
            ("GET", "/v1/reports/rfm", None),
            ("GET", "/v1/reports/loyalty", None),
            ("GET", f"/v1/customers/{cid}/purchases", None),
            ("GET", f"/v1/customers/{cid}/points", None),
            ("POST", "/v1/cards/batches", {"batch": "b", "count": 1}),
            ("PUT", "/v1/loyalty/program", {}),
            ("PUT", "/v1/topics/promo", {"title": "t", "channels": ["sms"]}),
            ("GET", "/v1/customers", None)):
        r = server.request(method, path, key=k, json=body)
        assert r.status_code == 403, (method, path)
        assert r.json()["error"]["code"] == "forbidden"


def test_auditor_verifies_the_audit_and_nothing_else(server):
    cid, _ = customer_at(server, "S-1")
    k = server.new_key("auditor")
    r = server.get("/v1/audit/verify", key=k)
    assert r.status_code == 200 and r.json()["intact"] is True
    assert server.get("/v1/audit", key=k).status_code == 200
    for path in (f"/v1/customers/{cid}", "/v1/privacy-requests", "/v1/segments",
                 "/v1/destruction-acts", "/v1/attributes", "/v1/privacy/settings",
                 "/v1/incidents"):
        r = server.get(path, key=k)
        assert r.status_code == 403, path
    r = server.post("/v1/privacy-requests", {"kind": "access", "customer_id": cid,
                                             "channel": "letter"}, key=k)
    assert r.status_code == 403


def test_a_deliveries_key_reports_deliveries_and_nothing_else(server):
    cid, _ = customer_at(server, "S-1")
    k = server.new_key("deliveries")
    r = server.post("/v1/deliveries/status",
                    {"deliveries": [{"message_id": "m_0", "status": "delivered"}]}, key=k)
    assert r.status_code == 200 and r.json()["refused"] == 1  # no such message: per item
    for path in (f"/v1/customers/{cid}", f"/v1/customers/{cid}/messages", "/v1/customers",
                 "/v1/segments", "/v1/audit", "/v1/templates", "/v1/reports/quality"):
        r = server.get(path, key=k)
        assert r.status_code == 403, path
    r = server.post("/v1/events", {"type": "app_open", "channel": "app",
                                   "customer": {"id": cid}}, key=k)
    assert r.status_code == 403


def test_audit_entries_name_the_key(server):
    k = server.cli("keys", "create", "--scope", "dpo", "--name", "dpo office").stdout.strip()
    kid = k.split("_")[1]
    cid, _ = customer_at(server, "S-1")
    assert server.get(f"/v1/customers/{cid}", key=k).status_code == 200
    mine = audit_entries(server, key_id=kid)
    assert any(e["customer_id"] == cid and e["action"] == "read" for e in mine)
    made = [e for e in audit_entries(server) if e["action"] == "key"
            and (e.get("detail") or "").startswith(f"create {kid} dpo")]
    assert len(made) == 1


# ---- expiry -------------------------------------------------------------------------------------

def test_an_expired_key_is_refused_with_its_own_code_and_the_expiry_audited(server):
    k = server.cli("keys", "create", "--scope", "pos", "--name", "temp", "--expires",
                   "2s").stdout.strip()
    kid = k.split("_")[1]
    started = time.monotonic()
    assert server.get("/v1/attributes", key=k).status_code == 200
    listing = [line for line in server.cli("keys", "list").stdout.splitlines() if kid in line]
    assert len(listing) == 1 and re.search(r"\d{4}-\d\d-\d\dT", listing[0].split()[4])
    time.sleep(max(0.0, 2.2 - (time.monotonic() - started)))
    r = server.get("/v1/attributes", key=k)
    assert r.status_code == 401 and r.json()["error"]["code"] == "key_expired"
    # A wrong secret for the same id says nothing of the expiry.
    r = server.get("/v1/attributes", key=f"kt_{kid}_" + "b" * 32)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_key"
    assert server.post("/v1/loyalty/run-due", {}).status_code == 200
    expired = [e for e in audit_entries(server) if e["action"] == "key"
               and (e.get("detail") or "").startswith(f"expire {kid} pos")]
    assert len(expired) == 1
    assert server.post("/v1/loyalty/run-due", {}).status_code == 200  # recorded once
    assert len([e for e in audit_entries(server)
                if (e.get("detail") or "").startswith(f"expire {kid}")]) == 1
    r = server.cli("keys", "create", "--scope", "pos", "--name", "x", "--expires",
                   "2001-01-01T00:00:00Z", check=False)
    assert r.returncode == 2


# ---- lock-out -----------------------------------------------------------------------------------

def test_an_address_is_locked_out_after_wrong_keys_and_let_back_after_the_period(start_server):
    s = start_server(["--lockout-after", "3", "--lockout-window", "60", "--lockout-for", "2"])
    wrong = "kt_aaaaaaaaaaaa_" + "c" * 32
    assert s.get("/v1/attributes", key=s.new_key("pos")).status_code == 200
    # A missing key or an expired one is no guess: not counted.
    for _ in range(4):
        assert s.get("/v1/attributes", key=None).status_code == 401
    for _ in range(3):
        r = s.get("/v1/attributes", key=wrong)
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_key"
    locked_at = time.monotonic()
    r = s.get("/v1/attributes")  # the right key too
    assert r.status_code == 429 and r.json()["error"]["code"] == "locked_out"
    assert 1 <= int(r.headers["Retry-After"]) <= 2
    assert s.get("/healthz", key=None).status_code == 200  # public routes are not locked
    log = s.stderr()
    assert re.search(r"event=lockout .*ip=127\.0\.0\.1", log)
    assert "c" * 32 not in log and wrong not in log
    time.sleep(max(0.0, 2.2 - (time.monotonic() - locked_at)))
    assert s.get("/v1/attributes").status_code == 200
    entries = audit_entries(s)
    locks = [e for e in entries if e["action"] == "lockout"]
    assert len(locks) == 1 and locks[0].get("ip") == "127.0.0.1" and locks[0].get("key_id") is None
    assert "c" * 32 not in str(entries)


def test_the_lockout_flags_are_checked(start_server, tmp_path):
    import subprocess
    from conftest import BIN, db_arg
    r = subprocess.run([BIN, "serve", "--db", db_arg(tmp_path / "x.db"), "--lockout-for", "0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--lockout" in r.stderr
