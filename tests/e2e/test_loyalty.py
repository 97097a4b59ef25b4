"""The loyalty programme's rules through the API: the defaults before anything is published,
versions, and every rule checked with its field; the points ledger's balance and manual
adjustments (issue 5, first parts)."""
import concurrent.futures

import pytest
import requests

from conftest import DB_ERRORS, phone, src


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
        ({"earn": {"percent_bp": 20000}}, "invalid_value", "earn.percent_bp"),
        ({"spend": {"max_percent": 150}}, "invalid_value", "spend.max_percent"),
        ({"spend_gate": ["shoe_size"]}, "invalid_value", "spend_gate[0]"),
        ({"cards": {"prefix": "20-00"}}, "invalid_value", "cards.prefix"),
        ({"cards": {"prefix": 2000}}, "wrong_type", "cards.prefix"),
        ({"earn": {"categories": {"Молоко": "double"}}}, "wrong_type", "earn.categories.Молоко"),
        ({"hold_days": "14"}, "wrong_type", "hold_days"),
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
    for body, code in [({"points": "5", "reason": "x"}, "wrong_type"),
                       ({"points": 10**8, "reason": "x"}, "invalid_value"),
                       ({"points": 5, "reason": "x" * 501}, "too_long"),
                       ({"points": 5, "reason": 5}, "wrong_type")]:
        r = server.post(f"/v1/customers/{cid}/points/adjustments", body)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, body
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
    with pytest.raises(DB_ERRORS):
        server.execute("UPDATE points_ledger SET points = 1000000")


def complete_customer(server, with_consent=True):
    """A customer who meets the default spend gate: verified phone, first name, birth date and
    (unless told otherwise) the pd_processing consent proven by a paper form."""
    r = server.put("/v1/consent-documents/pd", {"purpose": "pd_processing", "title": "t",
                                                 "body": "b"})
    assert r.status_code in (200, 201)  # a new document, or its next version
    p = phone()
    r = server.post("/v1/customers", {"source": src("pos"), "verified": ["phone"],
                                      "profile": {"phone": p, "first_name": "Вера",
                                                  "birth_date": "1990-04-01"}})
    cid = r.json()["customer"]["id"]
    if with_consent:
        r = server.post(f"/v1/customers/{cid}/consents", {
            "source": src("pos"), "consents": [{"purpose": "pd_processing", "document": "pd",
                                                "granted": True,
                                                "evidence": {"paper_form": "A-1"}}]})
        assert r.status_code == 200, r.text
    return cid, p


def receipt(n, lines, **kw):
    return dict({"store": "S-1", "receipt": n, "lines": lines}, **kw)


MILK = {"sku": "M-1", "name": "Молоко", "category": "Молочное", "quantity": 2, "price": 8990,
        "amount": 17980}


def test_receipts_earn_spend_and_are_idempotent(server):
    assert server.put("/v1/loyalty/program", {"earn": {"percent_bp": 1000}, "hold_days": 0}
                      ).status_code == 200
    cid, p = complete_customer(server)
    # 10% of 1,000 roubles: 100 points, spendable at once (hold 0).
    big = {"sku": "TV", "quantity": 1, "price": 100000, "amount": 100000}
    r = server.post("/v1/purchases", receipt("R-1", [big], customer={"phone": p}))
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["customer_id"] == cid and first["total"] == 100000
    assert first["points"]["earned"] == 100 and first["points"]["available"] == 100
    # The same receipt again is the same purchase; another under that number is a conflict.
    again = server.post("/v1/purchases", receipt("R-1", [big], customer={"phone": p}))
    assert again.status_code == 200 and again.json() == first
    assert again.headers.get("Idempotent-Replayed") == "true"
    r = server.post("/v1/purchases", receipt("R-1", [MILK], customer={"phone": p}))
    assert r.status_code == 409 and r.json()["error"]["code"] == "receipt_conflict"
    # Spending: at most 30% of 179.80 roubles = 53 points; the earn is on the money part only.
    r = server.post("/v1/purchases", receipt("R-2", [MILK], customer={"id": cid},
                                             spend_points=80))
    assert r.status_code == 201, r.text
    pts = r.json()["points"]
    assert pts["spent"] == 53 and r.json()["spend_refused"] == {"code": "cap_exceeded",
                                                                "asked": 80}
    assert pts["earned"] == 17980 * 1000 * 100 * (17980 - 5300) // 17980 // 100000000
    assert pts["available"] == 100 - 53 + pts["earned"]
    bal = server.get(f"/v1/customers/{cid}/points").json()
    assert bal["available"] == pts["available"]
    kinds = [h["kind"] for h in server.get(f"/v1/customers/{cid}/points/history").json()["items"]]
    assert kinds == ["earn", "spend", "earn"]


def test_spending_needs_a_complete_profile(server):
    cid, p = complete_customer(server, with_consent=False)
    server.post(f"/v1/customers/{cid}/points/adjustments", {"points": 500, "reason": "тест"})
    r = server.post("/v1/purchases", receipt("G-1", [MILK], customer={"phone": p},
                                             spend_points=10))
    assert r.status_code == 201, r.text
    assert r.json()["points"]["spent"] == 0
    assert r.json()["spend_refused"] == {"code": "profile_incomplete", "asked": 10,
                                         "missing": ["pd_consent"]}
    # A customer short of points is told so.
    cid2, p2 = complete_customer(server)
    r = server.post("/v1/purchases", receipt("G-2", [MILK], customer={"phone": p2},
                                             spend_points=10))
    assert r.json()["spend_refused"]["code"] == "insufficient_balance"
    # All or nothing: with spend_exact each refusal is an error and nothing is written.
    server.post(f"/v1/customers/{cid2}/points/adjustments", {"points": 100, "reason": "тест"})
    tv = {"sku": "TV", "quantity": 1, "price": 100000, "amount": 100000}  # cap 300 points
    for pp, line, ask, code in [(p, MILK, 10, "profile_incomplete"),
                                (p2, tv, 200, "insufficient_balance"),
                                (p2, MILK, 60, "cap_exceeded")]:
        r = server.post("/v1/purchases", receipt(f"G-X{ask}", [line], customer={"phone": pp},
                                                 spend_points=ask, spend_exact=True))
        assert r.status_code == 422, r.text
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, "spend_points")
        if code == "profile_incomplete":
            assert "pd_consent" in r.json()["error"]["message"]
    r = server.get(f"/v1/customers/{cid2}/purchases").json()["items"]
    assert [x["receipt"] for x in r] == ["G-2"]  # nothing written
    r = server.post("/v1/purchases", receipt("G-X", [MILK], customer={"phone": p2},
                                             spend_points=50, spend_exact=True))
    assert r.status_code == 201 and r.json()["points"]["spent"] == 50


def test_anonymous_receipts_and_bad_input(server):
    r = server.post("/v1/purchases", receipt("A-1", [MILK]))
    assert r.status_code == 201 and r.json()["customer_id"] is None
    assert "points" not in r.json()
    bad = [
        (receipt("B-1", [dict(MILK, amount=17000)]), "amount_mismatch", "lines[0].amount"),
        (receipt("B-2", [MILK], total=1), "total_mismatch", "total"),
        (receipt("B-3", [dict(MILK, quantity=0)]), "invalid_value", "lines[0].quantity"),
        (receipt("B-4", [dict(MILK, quantity=-1)]), "invalid_value", "lines[0].quantity"),
        (receipt("B-5", [dict(MILK, quantity=0.0001)]), "invalid_value", "lines[0].quantity"),
        (receipt("B-6", [dict(MILK, price=89.9)]), "wrong_type", "lines[0].price"),
        (receipt("B-7", [MILK], at="2099-01-01T00:00:00Z"), "invalid_time", "at"),
        (receipt("B-7a", [MILK], at="0001-01-01T00:00:00Z"), "invalid_time", "at"),
        (receipt("B-7b", [MILK], at="1900-01-01T00:00:00Z"), "invalid_time", "at"),
        (receipt("B-7c", [MILK], at=1700000000), "wrong_type", "at"),
        (receipt("B-8", [MILK], customer={"phone": "+79990000000"}), "customer_not_found",
         "customer.phone"),
        (receipt("B-9", [MILK], spend_points=5), "customer_required", "spend_points"),
        (receipt("B-10", []), "invalid_value", "lines"),
        (receipt("B-10a", [MILK] * 2001), "too_many", "lines"),
        (receipt("B-10b", None), "missing_field", "lines"),
        (receipt("R" * 65, [MILK]), "too_long", "receipt"),
        (receipt("B-10c", [dict(MILK, sku="S" * 3000)]), "too_long", "lines[0].sku"),
        (receipt("B-10d", [dict(MILK, sku=5)]), "wrong_type", "lines[0].sku"),
        (receipt("B-10e", [dict(MILK, price=-1)]), "invalid_value", "lines[0].price"),
        (receipt("B-10f", [dict(MILK, quantity="2")]), "wrong_type", "lines[0].quantity"),
        (receipt("B-10g", [MILK], customer={}), "invalid_value", "customer"),
        (receipt("B-10h", [MILK], spend_exact="yes"), "wrong_type", "spend_exact"),
        (receipt("B-11", [dict(MILK, colour="red")]), "unknown_field", "lines[0].colour"),
        (receipt("B-12", [dict(MILK, discount=20000)]), "invalid_value", "lines[0].discount"),
    ]
    for body, code, field in bad:
        r = server.post("/v1/purchases", body)
        assert r.status_code == 422, (body, r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), body
    # Weighed goods: 0.350 kg at 499.00 roubles = 174.65 roubles.
    cheese = {"sku": "CH", "quantity": 0.35, "price": 49900, "amount": 17465}
    assert server.post("/v1/purchases", receipt("W-1", [cheese])).status_code == 201


def test_two_cash_desks_cannot_overdraw_one_balance(server):
    # Earned points wait out the hold, so only the 300 credited can be spent.
    assert server.put("/v1/loyalty/program", {"hold_days": 14}).status_code == 200
    cid, p = complete_customer(server)
    server.post(f"/v1/customers/{cid}/points/adjustments", {"points": 300, "reason": "тест"})
    big = {"sku": "TV", "quantity": 1, "price": 100000, "amount": 100000}  # cap 300 each

    def spend(i):
        r = requests.post(server.url + "/v1/purchases",
                          json=receipt(f"C-{i}", [big], customer={"phone": p}, spend_points=300),
                          headers={"Authorization": f"Bearer {server.admin_key}"}, timeout=30)
        assert r.status_code == 201, r.text
        return r.json()["points"]["spent"]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:  # each thread its own connection
        spent = list(pool.map(spend, range(16)))
    assert sum(spent) == 300 and sorted(spent)[-1] == 300
    hist = server.get(f"/v1/customers/{cid}/points/history").json()["items"]
    assert sum(h["points"] for h in hist if h["kind"] in ("adjust", "spend")) == 0


def test_the_quote_writes_nothing_and_matches_the_receipt(server):
    cid, p = complete_customer(server)
    server.post(f"/v1/customers/{cid}/points/adjustments", {"points": 40, "reason": "тест"})
    body = receipt("Q-1", [MILK], customer={"phone": p}, spend_points=100)
    before = server.get(f"/v1/customers/{cid}/points/history").json()["items"]
    q = server.post("/v1/loyalty/quote", body)
    assert q.status_code == 200, q.text
    quote = q.json()
    assert quote["customer_id"] == cid and quote["available"] == 40
    assert quote["spendable"] == 40 and quote["would_spend"] == 40  # balance below the cap (53)
    assert quote["spend_refused"] == {"code": "insufficient_balance", "asked": 100}
    assert server.get(f"/v1/customers/{cid}/points/history").json()["items"] == before
    r = server.post("/v1/purchases", body).json()
    assert (r["points"]["spent"], r["points"]["earned"]) == (quote["would_spend"],
                                                             quote["would_earn"])
    # Without a complete profile the quote says what is missing.
    cid2, p2 = complete_customer(server, with_consent=False)
    q = server.post("/v1/loyalty/quote", receipt("Q-2", [MILK], customer={"phone": p2})).json()
    assert q["spendable"] == 0 and q["missing"] == ["pd_consent"]
    assert server.post("/v1/loyalty/quote", receipt("Q-3", [dict(MILK, amount=1)])
                       ).json()["error"]["code"] == "amount_mismatch"


def test_erasure_closes_the_points_and_keeps_the_receipts(server):
    cid, p = complete_customer(server)
    server.post(f"/v1/customers/{cid}/points/adjustments", {"points": 70, "reason": "тест"})
    r = server.post("/v1/purchases", receipt("E-1", [MILK], customer={"phone": p}))
    assert r.status_code == 201 and r.json()["points"]["pending"] > 0
    exported = server.get(f"/v1/customers/{cid}/export").json()["points"]
    assert exported["available"] == 70 and [e["kind"] for e in exported["entries"]] == [
        "adjust", "earn"]
    assert server.post(f"/v1/customers/{cid}/erase", {}).status_code == 200
    bal = server.get(f"/v1/customers/{cid}/points").json()
    assert (bal["available"], bal["pending"]) == (0, 0)
    hist = server.get(f"/v1/customers/{cid}/points/history").json()["items"]
    assert hist[-1]["kind"] == "adjust" and hist[-1]["reason"] == "erased"
    n = server.rows("SELECT count(*) FROM purchases WHERE receipt = 'E-1'")[0][0]
    assert n == 1  # kept, now a depersonalised customer's


def test_refunds_reverse_and_return_points_in_proportion(server):
    assert server.put("/v1/loyalty/program", {"earn": {"percent_bp": 1000}, "hold_days": 0}
                      ).status_code == 200
    cid, p = complete_customer(server)
    server.post(f"/v1/customers/{cid}/points/adjustments", {"points": 300, "reason": "тест"})
    shoes = {"sku": "SH", "quantity": 2, "price": 50000, "amount": 100000}
    socks = {"sku": "SO", "quantity": 4, "price": 25000, "amount": 100000}
    r = server.post("/v1/purchases", receipt("F-1", [shoes, socks], customer={"phone": p},
                                             spend_points=200))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    earned = r.json()["points"]["earned"]  # 10% of (2000 - 200) roubles = 180
    assert (r.json()["points"]["spent"], earned) == (200, 180)
    # One pair of shoes back: a quarter of the receipt's money.
    r = server.post(f"/v1/purchases/{pid}/refunds",
                    {"refund": "V-1", "lines": [{"line": 1, "quantity": 1}]})
    assert r.status_code == 201, r.text
    one = r.json()
    assert one["amount"] == 50000 and one["lines"] == [{"line": 1, "quantity": 1.0,
                                                        "amount": 50000}]
    assert (one["points"]["reversed"], one["points"]["returned"]) == (45, 50)
    again = server.post(f"/v1/purchases/{pid}/refunds",
                        {"refund": "V-1", "lines": [{"line": 1, "quantity": 1}]})
    assert again.status_code == 200 and again.json() == one
    r = server.post(f"/v1/purchases/{pid}/refunds",
                    {"refund": "V-1", "lines": [{"line": 2, "quantity": 1}]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "refund_conflict"
    # More than is left of a line, a line that is not there: refused, nothing written.
    for body, code, field in [
        ({"refund": "V-2", "lines": [{"line": 1, "quantity": 2}]}, "refund_exceeds_purchase",
         "lines[0].quantity"),
        ({"refund": "V-2", "lines": [{"line": 3, "quantity": 1}]}, "line_not_found",
         "lines[0].line"),
        ({"refund": "V-2", "lines": [{"line": 2, "quantity": -1}]}, "invalid_value",
         "lines[0].quantity"),
        ({"refund": "V-2", "lines": [{"line": -1, "quantity": 1}]}, "invalid_value",
         "lines[0].line"),
        ({"refund": "V-2", "lines": [{"line": "2", "quantity": 1}]}, "wrong_type",
         "lines[0].line"),
        ({"refund": "V" * 65}, "too_long", "refund"),
        ({"refund": 12}, "wrong_type", "refund"),
        ({"refund": "V-2", "at": "1900-01-01T00:00:00Z"}, "invalid_time", "at"),
        ({"refund": "V-2", "lines": [{"line": 2, "quantity": 1}, {"line": 2, "quantity": 1}]},
         "duplicate_line", "lines[1].line"),
        ({"refund": "V-2", "at": "2099-01-01T00:00:00Z"}, "invalid_time", "at"),
        ({"refund": "V-2", "at": "2001-01-01T00:00:00Z"}, "time_before_purchase", "at"),
        ({"lines": [{"line": 2, "quantity": 1}]}, "missing_field", "refund"),
    ]:
        r = server.post(f"/v1/purchases/{pid}/refunds", body)
        assert r.status_code == 422, (body, r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field)
    assert server.post("/v1/purchases/p_nothere/refunds", {"refund": "x"}).status_code == 404
    # The rest: everything not yet refunded; the whole receipt reverses exactly what it did.
    r = server.post(f"/v1/purchases/{pid}/refunds", {"refund": "V-3"})
    assert r.status_code == 201, r.text
    rest = r.json()
    assert rest["amount"] == 150000
    assert rest["points"]["reversed"] + one["points"]["reversed"] == earned
    assert rest["points"]["returned"] + one["points"]["returned"] == 200
    assert rest["points"]["available"] == 300  # as before the receipt
    r = server.post(f"/v1/purchases/{pid}/refunds", {"refund": "V-4"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "nothing_to_refund"
    view = server.get(f"/v1/purchases/{pid}").json()
    assert view["refunded"] == 200000 and view["customer_id"] == cid
    assert [(l["refunded_quantity"], l["refunded_amount"]) for l in view["lines"]] == [
        (2.0, 100000), (4.0, 100000)]
    assert (view["points_reversed"], view["points_returned"]) == (earned, 200)


def test_a_refund_after_the_points_were_spent_records_the_debt(server):
    assert server.put("/v1/loyalty/program", {"earn": {"percent_bp": 1000}, "hold_days": 0}
                      ).status_code == 200
    cid, p = complete_customer(server)
    big = {"sku": "TV", "quantity": 1, "price": 100000, "amount": 100000}
    pid = server.post("/v1/purchases", receipt("D-1", [big], customer={"phone": p})
                      ).json()["id"]
    r = server.post("/v1/purchases", receipt("D-2", [big], customer={"phone": p},
                                             spend_points=100))
    assert r.json()["points"]["spent"] == 100 and r.json()["points"]["available"] == 90
    r = server.post(f"/v1/purchases/{pid}/refunds", {"refund": "DV-1"})
    assert r.status_code == 201, r.text
    pts = r.json()["points"]
    # 100 earned by D-1 come back off a balance of 90: 90 taken, 10 owed, shown as debt.
    assert (pts["reversed"], pts["available"], pts["debt"]) == (100, 0, 10)
    kinds = [h["kind"] for h in server.get(f"/v1/customers/{cid}/points/history").json()["items"]]
    assert kinds == ["earn", "spend", "earn", "refund_earn"]
    # The next receipt's points pay the debt first.
    r = server.post("/v1/purchases", receipt("D-3", [big], customer={"phone": p}))
    assert r.json()["points"]["available"] == 100 - 10


def test_purchase_history_and_the_loyalty_report(start_server):
    server = start_server(["--settable-clock"])
    # The programme starts before the receipts it earns on.
    assert server.put("/v1/system/clock", {"now": "2025-12-31T00:00:00Z"}).status_code == 200
    assert server.put("/v1/loyalty/program", {}).status_code == 200  # the defaults: 5%
    assert server.put("/v1/system/clock", {"now": "2026-01-05T00:00:00Z"}).status_code == 200
    before = server.get("/v1/reports/loyalty").json()
    cid, p = complete_customer(server)
    for i in range(3):
        r = server.post("/v1/purchases", receipt(f"H-{i}", [MILK], customer={"phone": p},
                                                 at=f"2026-01-0{i + 1}T10:00:00Z"))
        assert r.status_code == 201, r.text
    server.post("/v1/purchases", receipt("H-anon", [MILK, MILK]))
    page = server.get(f"/v1/customers/{cid}/purchases?limit=2").json()
    assert [x["receipt"] for x in page["items"]] == ["H-2", "H-1"]
    assert page["items"][0]["identified_by"] == "phone"
    rest = server.get(f"/v1/customers/{cid}/purchases?limit=2&cursor={page['next_cursor']}"
                      ).json()
    assert [x["receipt"] for x in rest["items"]] == ["H-0"] and rest["next_cursor"] is None
    assert server.get(f"/v1/customers/{cid}/purchases?color=red").status_code == 400
    after = server.get("/v1/reports/loyalty").json()
    d = lambda *k: after[k[0]][k[1]] - before[k[0]][k[1]]
    assert (d("receipts", "count"), d("receipts", "with_customer")) == (4, 3)
    assert d("points", "earned") == 3 * (17980 * 500 // 10000 // 100)
    assert d("points", "outstanding") == d("points", "earned")
    assert after["liability"] == after["points"]["outstanding"] * 100  # 1 point = 100 kopecks
    window = server.get("/v1/reports/loyalty?since=2026-01-02T00:00:00Z"
                        "&until=2026-01-03T00:00:00Z").json()
    assert window["receipts"]["count"] >= 1
    assert server.get("/v1/reports/loyalty?since=yesterday").status_code == 400
    pos = server.new_key("pos")
    assert server.get("/v1/reports/loyalty", key=pos).status_code == 403
    assert server.get(f"/v1/customers/{cid}/purchases", key=pos).status_code == 200


def test_receipts_from_before_the_programme_are_history_and_earn_nothing(start_server):
    s = start_server(["--settable-clock"])
    assert s.get("/v1/loyalty/program").json()["started_at"] is None
    assert s.put("/v1/system/clock", {"now": "2026-03-01T09:00:00Z"}).status_code == 200
    assert s.put("/v1/loyalty/program", {"hold_days": 0}).status_code == 200
    assert s.put("/v1/system/clock", {"now": "2026-04-01T09:00:00Z"}).status_code == 200
    assert s.put("/v1/loyalty/program", {"hold_days": 1}).status_code == 200
    prog = s.get("/v1/loyalty/program").json()
    assert (prog["version"], prog["started_at"]) == (2, "2026-03-01T09:00:00.000Z")
    cid, p = complete_customer(s)
    before = s.get("/v1/reports/loyalty").json()
    old = s.post("/v1/purchases", receipt("OLD-1", [MILK], customer={"phone": p},
                                          at="2026-02-28T23:59:59Z"))
    assert old.status_code == 201, old.text
    assert old.json()["points"]["earned"] == 0
    new = s.post("/v1/purchases", receipt("NEW-1", [MILK], customer={"phone": p},
                                          at="2026-03-01T09:00:00Z"))
    assert new.json()["points"]["earned"] == 17980 * 500 // 10000 // 100
    # Kept as history: in the customer's purchases and the receipt count, not in the points.
    items = s.get(f"/v1/customers/{cid}/purchases").json()["items"]
    assert [x["receipt"] for x in items] == ["NEW-1", "OLD-1"]
    after = s.get("/v1/reports/loyalty").json()
    assert after["receipts"]["count"] - before["receipts"]["count"] == 2
    assert after["points"]["earned"] - before["points"]["earned"] == new.json()["points"]["earned"]


def test_points_expire_oldest_first_when_their_time_comes(start_server):
    s = start_server(["--settable-clock"])
    assert s.put("/v1/system/clock", {"now": "2026-01-10T12:00:00Z"}).status_code == 200
    assert s.put("/v1/loyalty/program", {"expiry_months": 1, "hold_days": 0}).status_code == 200
    assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
    cid = s.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}}
                 ).json()["customer"]["id"]
    s.post(f"/v1/customers/{cid}/points/adjustments", {"points": 100, "reason": "первая"})
    s.put("/v1/system/clock", {"now": "2026-01-25T12:00:00Z"})
    s.post(f"/v1/customers/{cid}/points/adjustments", {"points": 40, "reason": "вторая"})
    s.post(f"/v1/customers/{cid}/points/adjustments", {"points": -30, "reason": "списание"})
    # A month after the first: its 70 left expire, the second's 40 stay.
    s.put("/v1/system/clock", {"now": "2026-02-11T00:00:00Z"})
    b = s.get(f"/v1/customers/{cid}/points").json()
    assert b["available"] == 40  # shown right before the job writes it
    r = s.post("/v1/loyalty/run-due")
    assert r.status_code == 200 and r.json()["expired"] == {"customers": 1, "points": 70}
    assert s.post("/v1/loyalty/run-due").json()["expired"]["points"] == 0  # once
    hist = s.get(f"/v1/customers/{cid}/points/history").json()["items"]
    assert [(h["kind"], h["points"]) for h in hist][-1] == ("expire", -70)
    assert s.get(f"/v1/customers/{cid}/points").json()["available"] == 40
    rep = s.get("/v1/reports/loyalty").json()
    assert rep["points"]["expired"] == 70 and rep["points"]["outstanding"] == 40
    s.put("/v1/system/clock", {"now": "2026-03-01T00:00:00Z"})
    out = s.cli("run-due", "--now", "2026-03-01T00:00:00Z")
    assert "40 points expired for 1 customers" in out.stdout
    assert s.get(f"/v1/customers/{cid}/points").json()["available"] == 0
