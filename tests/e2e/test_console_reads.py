"""The reads the console's analytic screens need (issue 15, part 5): the segment language's
vocabulary for completion, a segment's size over time, the quality of the intake day by day per
source, and the loyalty programme's points and liability over time."""
from conftest import phone, src
from test_loyalty import MILK, complete_customer, receipt


def test_the_segment_language_lists_this_base_words(server, pending_policy):
    assert server.put("/v1/attributes/pets", {"type": "list", "items": "enum",
                                              "values": ["cat", "dog"]}
                      ).status_code in (200, 201)
    assert server.put("/v1/event-types/coupon_scan", {"properties": {"coupon": "string"}}
                      ).status_code in (200, 201)
    assert server.post("/v1/segments", {"name": "lang-vip", "query": "has email"}
                       ).status_code == 201
    lang = server.get("/v1/segments/language").json()
    assert "phone" in lang["fields"] and "birth_date" in lang["fields"]
    assert {"and", "or", "not", "events", "purchases", "trait"} <= set(lang["keywords"])
    assert lang["operators"] == ["=", "!=", "<", "<=", ">", ">="]
    types = {t["name"]: t["properties"] for t in lang["event_types"]}
    assert "page_view" in types and types["coupon_scan"] == ["coupon"]
    assert {"name": "pets", "type": "list"} in lang["attributes"]
    assert "lang-vip" in lang["segments"]
    assert "average_receipt" in lang["traits"] and "champions" in lang["rfm_groups"]
    assert "pd_processing" in lang["purposes"] and "sms" in lang["channels"]
    # Every keyword it offers is one the parser knows: a query of each shape previews.
    for q in ['events(coupon_scan where coupon = "A", last 7 days) >= 1', "pets contains \"cat\"",
              'in segment "lang-vip"', "trait average_receipt > 0", "consent(ads, sms)"]:
        assert server.post("/v1/segments/preview", {"query": q}).status_code == 200, q
    # The preview says the query in words.
    r = server.post("/v1/segments/preview", {"query": 'has email and events(coupon_scan, last 7 days)'})
    assert r.json()["explanation"] == ("Покупатели, у которых e-mail указан и событий «coupon_scan» "
                                       "за последние 7 дн. ≥ 1")
    assert server.get("/v1/segments/language?x=1").status_code == 400
    assert server.get("/v1/segments/language", key=server.new_key("pos")).status_code == 403


def test_a_segments_size_is_recorded_at_each_refresh(start_server):
    s = start_server(["--settable-clock"])
    assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
    assert s.put("/v1/system/clock", {"now": "2026-03-01T10:00:00Z"}).status_code == 200
    city = "Тверь"
    s.post("/v1/customers", {"source": src("web"), "profile": {"phone": phone(), "city": city}})
    seg = s.post("/v1/segments", {"name": "tver", "query": f'city = "{city}"'}).json()
    assert seg["size"] == 1
    # A refresh within the hour that changes nothing adds no point; a change does.
    s.put("/v1/system/clock", {"now": "2026-03-01T10:20:00Z"})
    assert s.post(f"/v1/segments/{seg['id']}/refresh").json()["size"] == 1
    for _ in range(2):
        s.post("/v1/customers", {"source": src("web"), "profile": {"phone": phone(),
                                                                   "city": city}})
    s.put("/v1/system/clock", {"now": "2026-03-01T10:40:00Z"})
    assert s.post(f"/v1/segments/{seg['id']}/refresh").json()["size"] == 3
    # The next day, unchanged: recorded again (an hour passed).
    s.put("/v1/system/clock", {"now": "2026-03-02T10:00:00Z"})
    s.post("/v1/segments/tver/refresh")
    sizes = s.get(f"/v1/segments/{seg['id']}/sizes").json()
    assert sizes["segment_id"] == seg["id"]
    assert [(p["at"], p["size"]) for p in sizes["items"]] == [
        ("2026-03-01T10:00:00.000Z", 1), ("2026-03-01T10:40:00.000Z", 3),
        ("2026-03-02T10:00:00.000Z", 3)]
    # by name too; a period; the newest kept by limit
    assert len(s.get("/v1/segments/tver/sizes?since=2026-03-01T10:30:00Z").json()["items"]) == 2
    last = s.get("/v1/segments/tver/sizes?limit=1").json()["items"]
    assert last == [{"at": "2026-03-02T10:00:00.000Z", "size": 3}]
    assert s.get("/v1/segments/tver/sizes?limit=0").status_code == 400
    assert s.get("/v1/segments/tver/sizes?since=monday").status_code == 400
    assert s.get("/v1/segments/nope/sizes").status_code == 404
    assert s.get("/v1/segments/tver/sizes", key=s.new_key("pos")).status_code == 403
    # A deleted segment's sizes go with it: one of the same name starts afresh.
    assert s.delete(f"/v1/segments/{seg['id']}").status_code == 204
    again = s.post("/v1/segments", {"name": "tver", "query": f'city = "{city}"'}).json()
    assert [p["size"] for p in s.get(f"/v1/segments/{again['id']}/sizes").json()["items"]] == [3]


def test_quality_day_by_day_ranks_the_worst_sources(start_server):
    s = start_server(["--settable-clock"])
    assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200

    def day(at, store, operator, bad, n=25):
        assert s.put("/v1/system/clock", {"now": at}).status_code == 200
        for i in range(n):
            p = "1" if bad and i % 2 else ("+7 999 999-99-99" if bad else phone())
            s.post("/v1/customers", {"source": src("pos", store=store, operator=operator),
                                     "profile": {"phone": p}})

    day("2026-05-10T09:00:00Z", "S-bad", "op-1", True)
    day("2026-05-10T10:00:00Z", "S-good", "op-2", False)
    day("2026-05-12T09:00:00Z", "S-bad", "op-1", True, n=30)
    day("2026-05-12T09:30:00Z", "S-tiny", "op-3", True, n=5)  # too few requests to rank
    rep = s.get("/v1/reports/quality/daily?since=2026-05-01T00:00:00Z").json()
    assert rep["by"] == "store" and rep["since"] == "2026-05-01T00:00:00.000Z"
    assert rep["until"] == "2026-05-13T00:00:00.000Z"  # the end of the clock's day
    stores = [x["store"] for x in rep["sources"]]
    assert stores == ["S-bad", "S-good"] and rep["count"] == 2  # worst first; S-tiny unranked
    bad, good = rep["sources"]
    assert bad["requests"] == 55 and bad["refused"] == 12 + 15
    assert [(d["since"], d["requests"]) for d in bad["series"]] == [
        ("2026-05-10T00:00:00.000Z", 25), ("2026-05-12T00:00:00.000Z", 30)]
    assert bad["series"][0]["junk_rate"] > 0.9 and bad["series"][0]["error_rate"] == 0.48
    assert good["junk_rate"] == 0 and len(good["series"]) == 1
    ops = s.get("/v1/reports/quality/daily?by=operator&since=2026-05-11T00:00:00Z").json()
    assert [(x["store"], x["operator"], x["requests"]) for x in ops["sources"]] == [
        ("S-bad", "op-1", 30)]
    ch = s.get("/v1/reports/quality/daily?by=channel&since=2026-05-01T00:00:00Z&limit=1").json()
    assert ch["sources"][0]["channel"] == "pos" and ch["sources"][0]["requests"] == 85
    assert len(ch["sources"][0]["series"]) == 2
    # the last 30 days by default: the clock's day included
    assert s.get("/v1/reports/quality/daily").json()["sources"][0]["store"] == "S-bad"
    for q in ["by=cashier", "since=2025-01-01T00:00:00Z", "limit=51", "since=x",
              "since=2026-05-12T00:00:00Z&until=2026-05-01T00:00:00Z"]:
        r = s.get(f"/v1/reports/quality/daily?{q}")
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_parameter", q
    assert s.get("/v1/reports/quality/daily", key=s.new_key("pos")).status_code == 403


def test_loyalty_over_time_issued_spent_expired_and_liability(start_server):
    s = start_server(["--settable-clock"])
    assert s.put("/v1/system/clock", {"now": "2026-01-01T08:00:00Z"}).status_code == 200
    assert s.put("/v1/loyalty/program", {"expiry_months": 1, "hold_days": 0}).status_code == 200
    cid, p = complete_customer(s)
    earned = 17980 * 500 // 10000 // 100  # 5% of a receipt, in points
    s.put("/v1/system/clock", {"now": "2026-01-03T12:00:00Z"})
    assert s.post("/v1/purchases", receipt("L-1", [MILK], customer={"phone": p})
                  ).status_code == 201
    s.put("/v1/system/clock", {"now": "2026-01-05T12:00:00Z"})
    assert s.post("/v1/purchases", receipt("L-2", [MILK], customer={"phone": p},
                                           spend_points=5)).status_code == 201
    s.put("/v1/system/clock", {"now": "2026-02-20T00:00:00Z"})
    assert s.post("/v1/loyalty/run-due").status_code == 200  # L-1's rest expires
    rep = s.get("/v1/reports/loyalty?series=day&since=2026-01-01T00:00:00Z"
                "&until=2026-01-08T00:00:00Z").json()
    days = {x["since"][:10]: x for x in rep["series"]}
    assert len(rep["series"]) == 7 and rep["series"][0]["since"] == "2026-01-01T00:00:00.000Z"
    assert days["2026-01-03"]["issued"] == earned and days["2026-01-04"]["issued"] == 0
    assert days["2026-01-05"]["spent"] == 5
    assert days["2026-01-07"]["outstanding"] == rep["points"]["outstanding"] == 2 * earned - 5
    assert all(x["liability"] == x["outstanding"] * 100 for x in rep["series"])
    weeks = s.get("/v1/reports/loyalty?series=week&since=2026-01-01T00:00:00Z").json()["series"]
    assert len(weeks) == 8  # 2026-01-01 to 2026-02-20 by 7 days
    assert sum(w["issued"] for w in weeks) == 2 * earned
    # both receipts' points ran out a month after each: what was not spent expired
    assert sum(w["expired"] for w in weeks) == 2 * earned - 5
    assert weeks[-1]["outstanding"] == 0 and weeks[0]["outstanding"] == 2 * earned - 5
    assert weeks[-1]["liability"] == weeks[-1]["outstanding"] * 100
    assert len(s.get("/v1/reports/loyalty?series=day").json()["series"]) in (90, 91)
    assert "series" not in s.get("/v1/reports/loyalty").json()
    for q in ["series=month", "series=day&since=2020-01-01T00:00:00Z"]:
        r = s.get(f"/v1/reports/loyalty?{q}")
        assert r.status_code == 400 and r.json()["error"]["field"] == "series", q
