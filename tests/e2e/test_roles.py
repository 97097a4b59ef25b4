"""The console's roles as key scopes (issue 15, part 3): a marketer has admin's work without keys,
users, privacy settings, the clock and the DPO's; an analyst reads and never writes, every phone
and e-mail in its replies masked, no file and no export; a store manager reads its stores'
customers only. The keys API of the settings screen creates, lists and revokes keys, audited as
the CLI's. docs/api.md, "Keys and scopes" and "Scopes by route"; docs/privacy.md, "Roles and
scopes"."""
import re
import time
from urllib.parse import quote

import pytest

from conftest import ROOT, audit_entries, phone, src

pytestmark = pytest.mark.usefixtures("pending_policy")

LINE = [{"sku": "A", "quantity": 1, "price": 10000, "amount": 10000}]
SCOPE_WORDS = {"ADMIN": "admin", "POS": "pos", "COLLECT": "collect", "DPO": "dpo",
               "AUDITOR": "auditor", "DELIVERIES": "deliveries", "MARKETER": "marketer",
               "ANALYST": "analyst", "MANAGER": "store_manager"}


def routes():
    """(method, pattern, scopes) of every route in src/api/routes.c."""
    text = (ROOT / "src" / "api" / "routes.c").read_text()
    out = []
    for m in re.finditer(r'\{HTTP_(\w+),\s*"([^"]+)",\s*\w+,\s*([^,]+),\s*([^}]+)\}', text):
        names = {t.strip() for t in m.group(3).split("|")}
        out.append((m.group(1), m.group(2), {SCOPE_WORDS[n] for n in names if n in SCOPE_WORDS}))
    assert len(out) > 100
    return out


def code(r):
    return r.status_code, r.json()["error"]["code"]


# ---- the keys of the new scopes -----------------------------------------------------------------

def test_a_store_manager_key_must_name_its_stores(server):
    r = server.cli("keys", "create", "--scope", "store_manager", "--name", "x", check=False)
    assert r.returncode == 2 and "store_manager key needs --stores" in r.stderr
    r = server.cli("keys", "create", "--scope", "analyst", "--name", "x", "--stores", "S-1",
                   check=False)
    assert r.returncode == 2 and "pos keys only" in r.stderr
    r = server.cli("keys", "create", "--scope", "nobody", "--name", "x", check=False)
    assert r.returncode == 2 and "store_manager" in r.stderr
    assert server.new_key("marketer").startswith("kt_")
    listed = server.cli("keys", "list").stdout
    assert "marketer" in listed


def test_a_marketer_does_marketing_and_nothing_of_keys_privacy_or_the_dpo(server):
    k = server.new_key("marketer")
    cid = server.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}}
                      ).json()["customer"]["id"]
    assert server.get(f"/v1/customers/{cid}", key=k).status_code == 200
    r = server.post("/v1/segments", {"name": "marketer's", "query": "has phone"}, key=k)
    assert r.status_code == 201, r.text
    assert server.get("/v1/segments", key=k).status_code == 200
    r = server.put("/v1/topics/marketer", {"title": "Акции", "channels": ["sms"]}, key=k)
    assert r.status_code == 201, r.text
    for method, path, body in (
            ("GET", "/v1/keys", None), ("POST", "/v1/keys", {"name": "x", "scope": "admin"}),
            ("GET", "/v1/privacy/settings", None),
            ("PUT", "/v1/privacy/settings", {"consent_policy": "pending"}),
            ("PUT", "/v1/system/clock", {"now": "2030-01-01T00:00:00Z"}),
            ("GET", "/v1/audit", None), ("GET", "/v1/privacy-requests", None),
            ("GET", "/v1/incidents", None), ("GET", "/v1/destruction-acts", None),
            ("GET", f"/v1/customers/{cid}/export", None),
            ("POST", f"/v1/customers/{cid}/erase", {}),
            ("GET", f"/v1/customers/{cid}/consents/evidence", None),
            ("POST", "/v1/loyalty/run-due", None)):
        r = server.request(method, path, key=k, json=body)
        assert code(r) == (403, "forbidden"), (method, path, r.text)


# ---- the analyst: read-only, masked ------------------------------------------------------------

@pytest.fixture(scope="module")
def seeded(server):
    """A customer with a phone, an e-mail, a card, a purchase, events, a message, and everything
    the analyst's routes read about: segment, campaign, journey, template, import, join point."""
    p, mail = phone(), f"walker{int(time.time() * 1000) % 100000}@example.org"
    r = server.post("/v1/customers", {"source": src("pos", store="S-1"),
                                      "profile": {"phone": p, "email": mail,
                                                  "first_name": "Анна"}})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    pos = server.new_key("pos")
    card = server.post("/v1/pos/enroll", {"phone": p, "send_code": False}, key=pos
                       ).json()["card"]["number"]
    assert server.put("/v1/loyalty/program", {"hold_days": 14}).status_code in (200, 201)
    r = server.post("/v1/purchases", {"store": "S-1", "receipt": f"R-{p}",
                                      "customer": {"phone": p}, "lines": LINE}, key=pos)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = server.put("/v1/event-types/feedback_left", {"properties": {"note": "string"}})
    assert r.status_code in (200, 201), r.text
    r = server.post("/v1/events", {"type": "feedback_left", "channel": "web",
                                   "customer": {"phone": p},
                                   "properties": {"note": f"wrote from <{mail}> and {p}"}})
    assert r.status_code in (201, 202), r.text
    server.put("/v1/topics/promo", {"title": "Акции", "channels": ["sms"]})
    assert server.put("/v1/consent-documents/pd", {"purpose": "pd_processing", "title": "ПДн",
                                                   "body": "Согласие."}).status_code in (200, 201)
    r = server.post("/v1/messages", {"customer_id": cid, "channel": "push", "transactional": True,
                                     "body": "Заказ"}, headers={"Idempotency-Key": f"roles-{p}"})
    assert r.status_code in (201, 202), r.text
    seg = server.post("/v1/segments", {"name": "roles walk", "query": "has phone"}).json()["id"]
    r = server.put("/v1/templates/roles", {"channel": "email", "subject": "{{first_name}}",
                                           "text": "{{customer_id}}"})
    assert r.status_code in (200, 201), r.text
    cmp = server.post("/v1/campaigns", {"name": "roles", "channel": "email", "topic": "promo",
                                        "query": "has phone", "template": "roles"}).json()["id"]
    r = server.put("/v1/journeys/roles", {"name": "roles", "entry": {"event": {"type": "sign_up"}},
                                          "steps": [{"trait": {"name": "walked",
                                                               "value": "yes"}}]})
    assert r.status_code in (200, 201), r.text
    assert server.put("/v1/stores/S-1", {"time_zone": "Europe/Moscow"}).status_code in (200, 201)
    assert server.put("/v1/attributes/pets", {"type": "string"}).status_code in (200, 201)
    assert server.put("/v1/privacy/settings", {"consent_policy": "pending",
                                               "public_url": "https://shop.example"}
                      ).status_code == 200
    jp = server.post("/v1/join-points", {"store": "S-1", "spot": "till"}).json()["code"]
    r = server.request("POST", "/v1/imports?store=S-9", headers={"Content-Type": "text/csv"},
                       data=f"Телефон;ФИО\r\n{p};Иванова Анна\r\n".encode())
    job = r.json()
    while job["state"] in ("queued", "running"):
        time.sleep(0.05)
        job = server.get(job["url"]).json()
    return {"p": p, "mail": mail, "cid": cid, "card": card, "pid": pid, "seg": seg, "cmp": cmp,
            "jp": jp, "job": job["id"]}


def analyst_calls(x):
    """Every analyst route, as the walk calls it: (method, pattern) -> (path, body)."""
    c = x["cid"]
    return {
        ("GET", "/v1/customers"): (f"/v1/customers?phone={quote(x['p'])}", None),
        ("GET", "/v1/customers/{id}"): (f"/v1/customers/{c}", None),
        ("GET", "/v1/customers/{id}/history"): (f"/v1/customers/{c}/history", None),
        ("GET", "/v1/customers/{id}/consents"): (f"/v1/customers/{c}/consents", None),
        ("GET", "/v1/customers/{id}/subscriptions"): (f"/v1/customers/{c}/subscriptions", None),
        ("GET", "/v1/customers/{id}/messages"): (f"/v1/customers/{c}/messages", None),
        ("GET", "/v1/customers/{id}/may-send"):
            (f"/v1/customers/{c}/may-send?channel=sms&topic=promo", None),
        ("GET", "/v1/customers/{id}/journeys"): (f"/v1/customers/{c}/journeys", None),
        ("GET", "/v1/customers/{id}/purchases"): (f"/v1/customers/{c}/purchases", None),
        ("GET", "/v1/customers/{id}/events"): (f"/v1/customers/{c}/events", None),
        ("GET", "/v1/customers/{id}/cards"): (f"/v1/customers/{c}/cards", None),
        ("GET", "/v1/customers/{id}/points"): (f"/v1/customers/{c}/points", None),
        ("GET", "/v1/customers/{id}/points/history"): (f"/v1/customers/{c}/points/history", None),
        ("GET", "/v1/imports"): ("/v1/imports", None),
        ("GET", "/v1/imports/{id}"): (f"/v1/imports/{x['job']}", None),
        ("GET", "/v1/reports/quality"): ("/v1/reports/quality", None),
        ("GET", "/v1/reports/journeys/{key}"): ("/v1/reports/journeys/roles", None),
        ("GET", "/v1/reports/loyalty"): ("/v1/reports/loyalty", None),
        ("GET", "/v1/reports/events"): ("/v1/reports/events", None),
        ("GET", "/v1/reports/rfm"): ("/v1/reports/rfm?items=true", None),
        ("GET", "/v1/reports/campaigns/{id}"): (f"/v1/reports/campaigns/{x['cmp']}", None),
        ("GET", "/v1/reports/replenishment"): ("/v1/reports/replenishment", None),
        ("GET", "/v1/reports/lapsed"): ("/v1/reports/lapsed", None),
        ("GET", "/v1/messaging/caps"): ("/v1/messaging/caps", None),
        ("GET", "/v1/consent-documents"): ("/v1/consent-documents", None),
        ("GET", "/v1/consent-documents/{name}"): ("/v1/consent-documents/pd", None),
        ("GET", "/v1/stores"): ("/v1/stores", None),
        ("GET", "/v1/stores/{code}"): ("/v1/stores/S-1", None),
        ("GET", "/v1/join-points"): ("/v1/join-points", None),
        ("GET", "/v1/join-points/{code}"): (f"/v1/join-points/{x['jp']}", None),
        ("GET", "/v1/campaigns"): ("/v1/campaigns", None),
        ("GET", "/v1/campaigns/{id}"): (f"/v1/campaigns/{x['cmp']}", None),
        ("GET", "/v1/journeys"): ("/v1/journeys", None),
        ("GET", "/v1/journeys/{key}"): ("/v1/journeys/roles", None),
        ("GET", "/v1/pages"): ("/v1/pages", None),
        ("GET", "/v1/pages/{name}"): ("/v1/pages/refused", None),
        ("GET", "/v1/templates"): ("/v1/templates", None),
        ("GET", "/v1/templates/{name}"): ("/v1/templates/roles", None),
        ("GET", "/v1/topics"): ("/v1/topics", None),
        ("GET", "/v1/loyalty/program"): ("/v1/loyalty/program", None),
        ("GET", "/v1/purchases/{id}"): (f"/v1/purchases/{x['pid']}", None),
        ("GET", "/v1/event-types"): ("/v1/event-types", None),
        ("GET", "/v1/segments"): ("/v1/segments", None),
        ("GET", "/v1/segments/{id}"): (f"/v1/segments/{x['seg']}", None),
        ("GET", "/v1/segments/{id}/members"): (f"/v1/segments/{x['seg']}/members", None),
        ("POST", "/v1/segments/preview"): ("/v1/segments/preview",
                                           {"query": "has phone", "sample": 100}),
        ("GET", "/v1/traits"): ("/v1/traits", None),
        ("GET", "/v1/segments/{id}/sizes"): (f"/v1/segments/{x['seg']}/sizes", None),
        ("GET", "/v1/segments/language"): ("/v1/segments/language", None),
        ("GET", "/v1/reports/quality/daily"): ("/v1/reports/quality/daily?by=store", None),
        ("GET", "/v1/customers/{id}/traits"): (f"/v1/customers/{c}/traits", None),
        ("GET", "/v1/customers/{id}/segments"): (f"/v1/customers/{c}/segments", None),
        ("GET", "/v1/attributes"): ("/v1/attributes", None),
        ("GET", "/v1/attributes/{name}"): ("/v1/attributes/pets", None),
        ("GET", "/v1/cards/{number}"): (f"/v1/cards/{x['card']}", None),
    }


def unmasked(text, x):
    """What of the seeded phone and e-mail a reply shows in full."""
    p, local = x["p"], x["mail"].split("@")[0]
    forms = [p, p[1:], p[2:], f"{p[2:5]} {p[5:8]}-{p[8:10]}-{p[10:]}", p[5:10], local]
    return [f for f in forms if f in text]


def test_the_analyst_walk_shows_no_phone_and_no_e_mail(server, seeded):
    k = server.new_key("analyst")
    calls = analyst_calls(seeded)
    mine = {(m, p) for m, p, scopes in routes() if "analyst" in scopes}
    # A new analyst route must be walked here before it may serve an analyst.
    assert mine == set(calls), (sorted(mine - set(calls)), sorted(set(calls) - mine))
    seen = {}
    for (method, pattern), (path, body) in sorted(calls.items()):
        r = server.request(method, path, key=k, json=body)
        assert r.status_code == 200, (pattern, r.status_code, r.text[:300])
        assert r.headers["Content-Type"].startswith("application/json"), pattern
        assert not unmasked(r.text, seeded), (pattern, unmasked(r.text, seeded))
        seen[pattern] = r.text
    # The same reads as admin do show them: the walk finds what it looks for.
    admin = server.get(f"/v1/customers/{seeded['cid']}").text
    assert seeded["p"] in admin and seeded["mail"] in admin
    p = seeded["p"]
    masked_phone = f"+7 {p[2:5]} ***-**-{p[10:]}"
    masked_mail = "w***@example.org"
    for pattern in ("/v1/customers/{id}", "/v1/customers", "/v1/customers/{id}/history"):
        assert masked_phone in seen[pattern] and masked_mail in seen[pattern], pattern
    assert masked_mail in seen["/v1/customers/{id}/events"]  # inside an event's free text


def test_an_analyst_never_writes_and_never_exports(server, seeded):
    k = server.new_key("analyst")
    c = seeded["cid"]
    r = server.get(f"/v1/segments/{seeded['seg']}/members?format=csv", key=k)
    assert code(r) == (403, "forbidden"), r.text
    assert server.get(f"/v1/segments/{seeded['seg']}/members?format=csv").status_code == 200
    for method, path, body in (
            ("GET", f"/v1/customers/{c}/export", None),
            ("POST", "/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}}),
            ("PATCH", f"/v1/customers/{c}", {"source": src("pos"), "profile": {"city": "Тверь"}}),
            ("POST", "/v1/segments", {"name": "x", "query": "has phone"}),
            ("POST", "/v1/clusters", {"k": 2}),
            ("GET", f"/v1/customers/{c}/unsubscribe-link", None),
            ("GET", f"/v1/join-points/{seeded['jp']}/qr.svg", None),
            ("GET", "/v1/keys", None), ("GET", "/v1/audit", None)):
        r = server.request(method, path, key=k, json=body)
        assert code(r) == (403, "forbidden"), (method, path, r.text)


# ---- the store manager: its stores' customers, read-only ----------------------------------------

def test_a_store_manager_reads_its_stores_customers_only(server):
    def at(store):
        r = server.post("/v1/customers", {"source": src("pos", store=store),
                                          "profile": {"phone": phone()}})
        assert r.status_code == 201, r.text
        return r.json()["customer"]["id"]
    own, other = at("M-1"), at("M-2")
    k = server.cli("keys", "create", "--scope", "store_manager", "--name", "manager M-1",
                   "--stores", "M-1").stdout.strip()
    for suffix in ("", "/consents", "/points", "/purchases", "/cards"):
        assert server.get(f"/v1/customers/{own}{suffix}", key=k).status_code == 200, suffix
    # Another store's customer is one that does not exist, as for a pos key limited to stores.
    r = server.get(f"/v1/customers/{other}", key=k)
    assert code(r) == (404, "customer_not_found")
    # Read-only, and no report (reports are not filtered by store).
    for method, path, body in (
            ("PATCH", f"/v1/customers/{own}", {"source": src("pos", store="M-1"),
                                               "profile": {"city": "Тверь"}}),
            ("POST", "/v1/customers", {"source": src("pos", store="M-1"),
                                       "profile": {"phone": phone()}}),
            ("GET", "/v1/reports/loyalty", None),
            ("GET", "/v1/segments", None), ("GET", f"/v1/customers/{own}/history", None)):
        r = server.request(method, path, key=k, json=body)
        assert code(r) == (403, "forbidden"), (method, path, r.text)
    assert server.get("/v1/stores", key=k).status_code == 200
    # The quality report: its stores' rows of the sources, nothing of the chain's (a store is
    # ranked from 20 requests on).
    for store in ("M-1", "M-2"):
        for _ in range(20):
            server.post("/v1/customers", {"source": src("pos", store=store, operator="op-1"),
                                          "profile": {"phone": phone()}})
    full = server.get("/v1/reports/quality").json()
    assert {"M-1", "M-2"} <= {row["store"] for row in full["sources"]["by_store"]}
    r = server.get("/v1/reports/quality", key=k)
    assert r.status_code == 200, r.text
    part = r.json()
    assert list(part) == ["sources"] and "by_channel" not in part["sources"]
    assert [row["store"] for row in part["sources"]["by_store"]] == ["M-1"]
    assert all(row["store"] == "M-1" for row in part["sources"]["by_operator"])
    assert part["sources"]["by_store"][0] == [row for row in full["sources"]["by_store"]
                                              if row["store"] == "M-1"][0]


# ---- the keys API -------------------------------------------------------------------------------

def test_the_keys_api_creates_lists_and_revokes_audited(server):
    r = server.post("/v1/keys", {"name": "console analyst", "scope": "analyst",
                                 "expires_at": "2099-01-01T00:00:00Z"})
    assert r.status_code == 201, r.text
    made = r.json()
    token, kid = made["token"], made["id"]
    assert token.startswith(f"kt_{kid}_") and made["scope"] == "analyst"
    assert made["stores"] is None and made["revoked_at"] is None
    assert made["expires_at"].startswith("2099-01-01")
    assert server.get("/v1/segments", key=token).status_code == 200
    # The list: every key, never a secret.
    items, cursor = [], None
    while True:
        r = server.get("/v1/keys?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.text
        assert token.split("_")[2] not in r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
    assert [i for i in items if i["id"] == kid][0]["name"] == "console analyst"
    assert len({i["id"] for i in items}) == len(items) >= 2
    # A store manager's key names its stores, and nothing else may.
    r = server.post("/v1/keys", {"name": "m", "scope": "store_manager"})
    assert code(r) == (422, "bad_stores")
    r = server.post("/v1/keys", {"name": "m", "scope": "marketer", "stores": ["S-1"]})
    assert code(r) == (422, "bad_stores")
    r = server.post("/v1/keys", {"name": "m", "scope": "store_manager", "stores": ["S-1", "S-2"]})
    assert r.status_code == 201 and r.json()["stores"] == ["S-1", "S-2"], r.text
    r = server.post("/v1/keys", {"name": "m", "scope": "root"})
    assert code(r) == (422, "invalid_value")
    r = server.post("/v1/keys", {"name": "m", "scope": "pos", "expires_at": "2001-01-01T00:00:00Z"})
    assert code(r) == (422, "bad_expiry")
    r = server.post("/v1/keys", {"name": "", "scope": "pos"})
    assert code(r) == (422, "invalid_value")
    # Revoked: refused on the next request, as a key that never was.
    r = server.post(f"/v1/keys/{kid}/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"] is not None, r.text
    assert code(server.get("/v1/segments", key=token)) == (401, "invalid_key")
    assert code(server.post(f"/v1/keys/{kid}/revoke")) == (404, "key_not_found")
    # Audited as the CLI's changes, naming the admin's key.
    admin_id = server.admin_key.split("_")[1]
    log = [e for e in audit_entries(server, key_id=admin_id) if e["action"] == "key"]
    details = [e["detail"] for e in log]
    assert any(d.startswith(f"create {kid} analyst expires 2099-01-01") for d in details), details
    assert f"revoke {kid}" in details
    # Admin only.
    mk = server.new_key("marketer")
    assert code(server.post(f"/v1/keys/{kid}/revoke", key=mk)) == (403, "forbidden")
