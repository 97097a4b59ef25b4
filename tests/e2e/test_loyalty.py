"""The loyalty programme's rules through the API: the defaults before anything is published,
versions, and every rule checked with its field (issue 5, first part)."""


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
