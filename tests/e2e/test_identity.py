"""One customer across every channel: identify-and-upsert, survivorship, conflicts, history,
lookup, paging, patch, merge and idempotent retries."""
import uuid

import pytest

from conftest import phone, src

pytestmark = pytest.mark.usefixtures("pending_policy")


def upsert(server, body, **kw):
    r = server.post("/v1/customers", body, **kw)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_four_ways_of_writing_one_phone_are_one_customer(server):
    p = phone()  # +7999NNNNNNN
    digits = p[2:]
    forms = [f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}",
             f"+7 {digits[:3]} {digits[3:]}", "8" + digits, digits]
    first = upsert(server, {"source": src(), "profile": {"phone": forms[0]}})
    assert first["created"] is True
    assert first["customer"]["profile"]["phone"] == p
    for f in forms[1:]:
        again = upsert(server, {"source": src("web"), "profile": {"phone": f}})
        assert again["created"] is False
        assert again["customer"]["id"] == first["customer"]["id"]


def test_every_channel_adds_to_the_same_customer(server):
    p = phone()
    card = "CARD" + p[-8:]
    a = upsert(server, {"source": src("pos", store="S-12", operator="op-3"),
                        "profile": {"phone": p, "first_name": "Анна"},
                        "identifiers": {"card": card}})
    cid = a["customer"]["id"]
    b = upsert(server, {"source": src("web"), "identifiers": {"card": card, "cookie": "ck-" + p,
                                                               "external": {"eshop": "u-" + p}},
                        "profile": {"email": f"anna.{p[-6:]}@Example.COM"}})
    assert b["customer"]["id"] == cid and b["created"] is False
    c = upsert(server, {"source": src("app"), "identifiers": {"external": {"eshop": "u-" + p},
                                                               "device": "dev-" + p,
                                                               "telegram": "@Anna" + p[-4:]},
                        "profile": {"city": "Казань"}})
    assert c["customer"]["id"] == cid
    cust = c["customer"]
    assert cust["profile"] == {"first_name": "Анна", "email": f"anna.{p[-6:]}@example.com",
                               "phone": p, "city": "Казань", "gender": "f"}
    assert cust["gender_inferred"] is True  # from the first name, not stated
    kinds = sorted((i["kind"], i.get("system", "")) for i in cust["identifiers"])
    assert kinds == [("card", ""), ("cookie", ""), ("device", ""), ("email", ""),
                     ("external", "eshop"), ("phone", ""), ("telegram", "")]
    tg = [i for i in cust["identifiers"] if i["kind"] == "telegram"][0]
    assert tg["value"] == "anna" + p[-4:]
    for q in ({"phone": p}, {"email": f"ANNA.{p[-6:]}@example.com"}, {"card": card.lower()},
              {"external": f"eshop:u-{p}"}):
        items = server.get("/v1/customers", params=q).json()["items"]
        assert [i["id"] for i in items] == [cid], q
    # An unencoded "+" arrives as a space; a phone lookup still finds the number.
    assert server.get(f"/v1/customers?phone={p}").json()["items"][0]["id"] == cid
    assert server.get("/v1/customers?phone=+79990000000").json()["items"] == []


def test_internationalised_email(server):
    local = "покупатель" + phone()[-5:]
    r = upsert(server, {"source": src(), "profile": {"email": f"{local}@Пример.РФ"}})
    cust = r["customer"]
    assert cust["profile"]["email"] == f"{local}@пример.рф"
    # The identifier shows the profile's form; it is matched by its IDNA key, so either finds it.
    ident = [i for i in cust["identifiers"] if i["kind"] == "email"][0]
    assert ident["value"] == f"{local}@пример.рф"
    for form in (f"{local}@xn--e1afmkfd.xn--p1ai", f"{local}@ПРИМЕР.рф"):
        items = server.get("/v1/customers", params={"email": form})
        assert items.json()["items"][0]["id"] == cust["id"]
    hist = server.get(f"/v1/customers/{cust['id']}/history").json()["items"]
    assert hist[0]["new_value"]["identifiers"]["email"] == [f"{local}@пример.рф"]


def test_identifiers_of_two_customers_give_a_conflict(server):
    pa, pb = phone(), phone()
    a = upsert(server, {"source": src(), "profile": {"phone": pa}})["customer"]["id"]
    mail = f"b{pb[-6:]}@example.com"
    b = upsert(server, {"source": src("web"), "profile": {"email": mail}})["customer"]["id"]
    before = server.counts()
    r = upsert(server, {"source": src("app"), "profile": {"phone": pa, "email": mail,
                                                           "first_name": "Вера"}})
    assert r["customer"]["id"] == a
    assert r["conflicts"] == [{"customer_id": b, "identifier": "email"}]
    assert {"code": "identifier_conflict", "field": "identifiers.email"} in r["warnings"]
    assert "email" not in r["customer"]["profile"]
    after = server.counts()
    assert after["customers"] == before["customers"]
    assert after["merge_candidates"] == before["merge_candidates"] + 1


def test_survivorship_verified_and_newest(server):
    p = phone()
    body = {"source": src(), "profile": {"phone": p, "last_name": "Иванова", "city": "Казань"},
            "verified": ["last_name"]}
    cid = upsert(server, body)["customer"]["id"]
    r = upsert(server, {"source": src("web"), "profile": {"phone": p, "last_name": "Петрова"}})
    assert r["customer"]["profile"]["last_name"] == "Иванова"
    assert {"code": "kept_verified", "field": "profile.last_name"} in r["warnings"]
    r = upsert(server, {"source": src("paper", at="2020-01-01T00:00:00Z"),
                        "profile": {"phone": p, "city": "Москва"}})
    assert r["customer"]["profile"]["city"] == "Казань"
    assert {"code": "kept_newer", "field": "profile.city"} in r["warnings"]
    r = upsert(server, {"source": src("web"), "profile": {"phone": p, "city": "Москва"}})
    assert r["customer"]["profile"]["city"] == "Москва"
    assert r["customer"]["verified"] == ["last_name"]

    hist = server.get(f"/v1/customers/{cid}/history").json()
    assert hist["customer_id"] == cid
    actions = [(h["field"], h["action"]) for h in hist["items"]]
    assert actions[0] == ("customer", "create")
    assert ("profile.city", "set") in actions
    first = hist["items"][0]["new_value"]  # the first values: JSON, not JSON inside a string
    assert first["profile"]["city"] == "Казань" and first["id"] == cid
    city = [h for h in hist["items"] if h["field"] == "profile.city"]
    assert [(h["old_value"], h["new_value"], h["source"]["channel"]) for h in city] == [
        ("Казань", "Москва", "web")]
    assert all(h["request_id"] for h in hist["items"])


def test_history_pages(server):
    p = phone()
    cid = upsert(server, {"source": src(), "profile": {"phone": p}})["customer"]["id"]
    for city in ("Казань", "Самара", "Пермь", "Тула", "Омск"):
        upsert(server, {"source": src(), "profile": {"phone": p, "city": city}})
    seen, cursor = [], None
    while True:
        q = f"/v1/customers/{cid}/history?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = server.get(q).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 1 + 5  # "create" with the first values, five city changes
    assert seen[0]["new_value"]["profile"] == {"phone": p}


def test_patch_changes_clears_and_refuses_anothers_identifier(server):
    p, other = phone(), phone()
    cid = upsert(server, {"source": src(), "profile": {"phone": p, "city": "Казань"}})[
        "customer"]["id"]
    upsert(server, {"source": src(), "profile": {"phone": other}})
    r = server.patch(f"/v1/customers/{cid}", {"source": src("call_center", operator="op-1"),
                                              "profile": {"city": None, "first_name": "Инна"}})
    assert r.status_code == 200, r.text
    prof = r.json()["customer"]["profile"]
    assert "city" not in prof and prof["first_name"] == "Инна"
    before = server.counts()
    r = server.patch(f"/v1/customers/{cid}", {"source": src(), "profile": {"phone": other}})
    assert r.status_code == 409
    assert r.json()["error"] == {**r.json()["error"], "code": "identifier_conflict",
                                 "field": "profile.phone"}
    assert server.counts() == before


def test_list_pages_through_everyone(server):
    for _ in range(7):
        upsert(server, {"source": src(), "profile": {"phone": phone()}})
    ids, cursor = [], None
    while True:
        page = server.get("/v1/customers", params={"limit": 4, **({"cursor": cursor} if cursor
                                                                   else {})}).json()
        ids += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(ids) == len(set(ids)) >= 7
    assert ids == sorted(ids)


def test_merge(server):
    pa, pb = phone(), phone()
    a = upsert(server, {"source": src(at="2026-01-01T00:00:00Z"),
                        "profile": {"phone": pa, "first_name": "Анна"},
                        "identifiers": {"card": "M" + pa[-8:]}})["customer"]["id"]
    b = upsert(server, {"source": src("web"), "profile": {"phone": pb, "birth_date": "1990-05-06",
                                                          "first_name": "Аня"}})["customer"]["id"]
    r = server.post(f"/v1/customers/{a}/merge", {"from": b, "operator": "dpo-1"})
    assert r.status_code == 200, r.text
    cust = r.json()["customer"]
    assert cust["id"] == a and cust["merged_from"] == [b]
    assert cust["profile"]["birth_date"] == "1990-05-06"
    assert cust["profile"]["first_name"] == "Аня"  # the newer observation
    phones = sorted(i["value"] for i in cust["identifiers"] if i["kind"] == "phone")
    assert phones == sorted([pa, pb])
    # The old id answers with the survivor; its phone finds the survivor.
    assert server.get(f"/v1/customers/{b}").json()["id"] == a
    assert server.get(f"/v1/customers?phone={pb}").json()["items"][0]["id"] == a
    hist = server.get(f"/v1/customers/{a}/history").json()["items"]
    assert any(h["action"] == "merge" and h["old_value"] == b for h in hist)
    # B's own history came along.
    assert any(h["field"] == "profile.birth_date" for h in hist)
    r = server.post(f"/v1/customers/{b}/merge", {"from": a})
    assert r.status_code == 422 and r.json()["error"]["code"] == "merge_self"


def test_idempotency_key_replays_and_refuses_reuse(server):
    body = {"source": src(), "identifiers": {"cookie": "ck-" + uuid.uuid4().hex}}
    key = "idem-" + uuid.uuid4().hex
    r1 = server.post("/v1/customers", body, headers={"Idempotency-Key": key})
    assert r1.status_code == 201
    before = server.counts()
    r2 = server.post("/v1/customers", body, headers={"Idempotency-Key": key})
    assert r2.status_code == 201 and r2.json() == r1.json()
    assert r2.headers.get("Idempotent-Replayed") == "true"
    assert server.counts() == before
    r3 = server.post("/v1/customers", {"source": src(), "identifiers": {"cookie": "other"}},
                     headers={"Idempotency-Key": key})
    assert r3.status_code == 422
    assert r3.json()["error"]["code"] == "idempotency_key_reused"
    r4 = server.post("/v1/customers", body, headers={"Idempotency-Key": "bad key"})
    assert r4.status_code == 400
