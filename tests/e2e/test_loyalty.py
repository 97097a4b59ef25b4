"""The loyalty programme's rules through the API: the defaults before anything is published,
versions, and every rule checked with its field; the points ledger's balance and manual
adjustments (issue 5, first parts)."""
import sqlite3

import pytest

from conftest import phone, src


def test_defaults_then_versions(server):
    r = server.get("/v1/loyalty/program")
    assert r.status_code == 200
    p = r.json()
    assert p["version"] == 0 and p["published_at"] is None
    assert p["rules"]["earn"]["percent_bp"] == 500 and p["rules"]["hold_days"] == 14
    assert p["rules"]["spend"] == {"kopecks_per_point": 100, "max_percent": 30}
    assert p["rules"]["spend_gate"] == ["phone_verified", "first_name", "birth_date", "pd_consent"]
    assert p["rules"]["cards"] == {"max_per_customer": 1, "prefix": "2000"}

    r = server.put("/v1/loyalty/program", {
        "earn": {"percent_bp": 300, "categories": {"Подгузники": 200},
                 "skus": {"GIFT-1000": 0, "TOBACCO": 0}},
        "bonuses": {"welcome": 200, "birthday": {"points": 300, "window_days": 5}}})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    assert r.json()["rules"]["earn"]["skus"] == {"GIFT-1000": 0, "TOBACCO": 0}
    r = server.put("/v1/loyalty/program", {"hold_days": 7})
    assert r.json()["version"] == 2
    now = server.get("/v1/loyalty/program").json()
    assert now["version"] == 2 and now["rules"]["hold_days"] == 7
    assert now["rules"]["earn"]["percent_bp"] == 500  # a version is the whole programme
    audit = server.get("/v1/audit?action=program").json()["items"]
    assert [e["detail"] for e in audit] == ["publish version 1", "publish version 2"]


def test_rules_are_checked_and_scoped(server):
    before = server.get("/v1/loyalty/program").json()["version"]
    for body, code, field in [
        ({"earn": {"percent_bp": 20000}}, "bad_value", "earn.percent_bp"),
        ({"spend": {"max_percent": 150}}, "bad_value", "spend.max_percent"),
        ({"spend_gate": ["shoe_size"]}, "bad_value", "spend_gate[0]"),
        ({"cards": {"prefix": "20-00"}}, "bad_value", "cards.prefix"),
        ({"earn": {"categories": {"Молоко": "double"}}}, "bad_value", "earn.categories.Молоко"),
        ({"points_for_nothing": True}, "unknown_field", "points_for_nothing"),
    ]:
        r = server.put("/v1/loyalty/program", body)
        assert r.status_code == 422, body
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field)
    assert server.get("/v1/loyalty/program").json()["version"] == before  # nothing written
    pos = server.new_key("pos")
    assert server.get("/v1/loyalty/program", key=pos).status_code == 200
    assert server.put("/v1/loyalty/program", {}, key=pos).status_code == 403


def test_points_adjustments_and_balance(server):
    r = server.put("/v1/privacy/settings", {"consent_policy": "pending"})
    assert r.status_code == 200
    cid = server.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}}
                      ).json()["customer"]["id"]
    assert server.get(f"/v1/customers/{cid}/points").json() == {
        "customer_id": cid, "available": 0, "pending": 0, "debt": 0, "next_expiry": None}
    r = server.post(f"/v1/customers/{cid}/points/adjustments",
                    {"points": 150, "reason": "компенсация за сбой кассы"})
    assert r.status_code == 200, r.text
    assert r.json()["available"] == 150 and r.json()["next_expiry"]["points"] == 150
    r = server.post(f"/v1/customers/{cid}/points/adjustments", {"points": -200, "reason": "x"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "insufficient_balance"
    r = server.post(f"/v1/customers/{cid}/points/adjustments", {"points": -50, "reason": "ошибка"})
    assert r.json()["available"] == 100
    hist = server.get(f"/v1/customers/{cid}/points/history").json()["items"]
    assert [(h["kind"], h["points"], h["reason"]) for h in hist] == [
        ("adjust", 150, "компенсация за сбой кассы"), ("adjust", -50, "ошибка")]
    for body, field in [({"points": 0, "reason": "x"}, "points"), ({"points": 5}, "reason"),
                        ({"points": 5, "reason": "x", "extra": 1}, "extra")]:
        r = server.post(f"/v1/customers/{cid}/points/adjustments", body)
        assert r.status_code == 422 and r.json()["error"]["field"] == field
    pos = server.new_key("pos")
    assert server.get(f"/v1/customers/{cid}/points", key=pos).status_code == 200
    r = server.post(f"/v1/customers/{cid}/points/adjustments", {"points": 5, "reason": "x"},
                    key=pos)
    assert r.status_code == 403
    # The ledger is append-only in the database too.
    con = sqlite3.connect(str(server.db), timeout=10)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            con.execute("UPDATE points_ledger SET points = 1000000")
    finally:
        con.close()
