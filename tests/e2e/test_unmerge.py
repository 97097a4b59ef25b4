"""Un-merge (issue 17, docs/identity.md "Un-merge"): a merge is journalled so that POST
/v1/customers/{id}/unmerge takes it back. The export of each customer before the merge equals
its export after the un-merge (except the audit and the export's own time): identifiers, cards,
receipts, points, events, consents and their evidence, subscriptions, traits and history return
to the customer they came from, as they were. What happened since the merge stays where it
happened; both steps are in the audit."""
import pytest

from conftest import Server, audit_entries, phone


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("unmerge"))
    assert s.put("/v1/loyalty/program", {"earn": {"percent_bp": 500},
                                          "bonuses": {"welcome": 200}}).status_code == 200
    assert s.put("/v1/consent-documents/pd", {"purpose": "pd_processing", "title": "Согласие",
                                              "body": "Я даю согласие"}).status_code == 201
    assert s.put("/v1/topics/promo", {"title": "Акции", "channels": ["sms", "email"]}
                 ).status_code in (200, 201)
    yield s
    s.stop()


def export(s, cid):
    r = s.get(f"/v1/customers/{cid}/export")
    assert r.status_code == 200, r.text
    doc = r.json()
    doc.pop("generated_at")
    doc.pop("audit", None)
    return doc


def person(s, tag, store):
    """A customer with something in every part of the export."""
    p = phone()
    r = s.post("/v1/customers", {
        "source": {"channel": "web"},
        "profile": {"phone": p, "email": f"{tag}@example.ru", "first_name": "Анна",
                    "last_name": "Иванова", "birth_date": "1990-03-0%d" % (1 + len(tag) % 8)},
        "identifiers": {"cookie": f"ck-{tag}", "external": {"eshop": f"u-{tag}"}},
        "consents": [{"purpose": "pd_processing", "document": "pd@1", "granted": True,
                      "evidence": {"form_id": "join", "ip": "203.0.113.7",
                                   "user_agent": f"Mozilla/5.0 {tag}"}}]})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    assert s.post("/v1/pos/enroll", {"phone": p, "store": store, "send_code": False}
                  ).status_code == 200
    assert s.patch(f"/v1/customers/{cid}", {"source": {"channel": "pos", "store": store},
                                            "profile": {"city": "Тверь"}}).status_code == 200
    line = {"sku": "M-1", "category": "Молочное", "quantity": 2, "price": 8990, "amount": 17980}
    r = s.post("/v1/purchases", {"store": store, "receipt": f"R-{tag}",
                                 "customer": {"phone": p}, "lines": [line]})
    assert r.status_code == 201, r.text
    r = s.post("/v1/events/batch", {"events": [
        {"type": "product_view", "channel": "web", "message_id": f"m-{tag}-1",
         "customer": {"cookie": f"ck-{tag}"}, "properties": {"sku": "M-1"}},
        {"type": "cart_add", "channel": "web", "message_id": f"m-{tag}-2",
         "customer": {"phone": p}, "properties": {"sku": "M-1", "quantity": 1, "price": 8990}}]})
    assert r.status_code == 200 and r.json()["stored"] == 2, r.text
    assert s.post(f"/v1/customers/{cid}/subscriptions",
                  {"topic": "promo", "channel": "sms", "subscribed": False}).status_code in (200, 201)
    assert s.post(f"/v1/customers/{cid}/points/adjustments",
                  {"points": 7, "reason": "goodwill"}).status_code in (200, 201)
    return cid, p


def test_merge_then_unmerge_gives_both_customers_back_exactly(srv):
    a, pa = person(srv, "anna", "S-1")
    b, pb = person(srv, "anya", "S-2")
    assert srv.post("/v1/traits/refresh", {}).status_code == 200  # computed traits on both
    before = {a: export(srv, a), b: export(srv, b)}
    assert before[b]["purchases"] and before[b]["cards"] and before[b]["events"]
    assert before[b]["points"]["entries"] and before[b]["consents"] and before[b]["traits"]
    assert len(before[b]["history"]) >= 2

    r = srv.post(f"/v1/customers/{a}/merge", {"from": b})
    assert r.status_code == 200, r.text
    merged = export(srv, a)
    # points and receipts followed the merge
    assert len(merged["purchases"]) == 2 and len(merged["cards"]) == 2
    assert merged["points"]["available"] + merged["points"]["pending"] == sum(
        before[c]["points"]["available"] + before[c]["points"]["pending"] for c in (a, b))
    assert srv.get(f"/v1/customers?phone={pb.replace('+', '%2B')}").json()["items"][0]["id"] == a

    r = srv.post(f"/v1/customers/{b}/unmerge", {})
    assert r.status_code == 200, r.text
    assert r.json()["customer"]["id"] == b and r.json()["survivor"]["id"] == a
    for cid in (a, b):
        after = export(srv, cid)
        for part in before[cid]:
            assert after[part] == before[cid][part], (cid, part)
        assert after == before[cid]
    # each identifier answers with its own customer again, and the points are each one's
    assert srv.get(f"/v1/customers?phone={pb.replace('+', '%2B')}").json()["items"][0]["id"] == b
    assert srv.get(f"/v1/customers?phone={pa.replace('+', '%2B')}").json()["items"][0]["id"] == a
    for cid in (a, b):
        assert srv.get(f"/v1/customers/{cid}/points").json()["available"] == \
            before[cid]["points"]["available"]
    # both steps are in the audit
    actions = [e["action"] for e in audit_entries(srv, customer_id=b)]
    assert "unmerge" in actions
    assert "merge" in [e["action"] for e in audit_entries(srv, customer_id=a)]
    # and it can be merged again, and taken back again
    assert srv.post(f"/v1/customers/{a}/merge", {"from": b}).status_code == 200
    assert srv.post(f"/v1/customers/{b}/unmerge").status_code == 200
    assert export(srv, b) == before[b] and export(srv, a) == before[a]


def test_what_happened_since_the_merge_stays_with_the_survivor(srv):
    a, pa = person(srv, "olga", "S-3")
    b, pb = person(srv, "olya", "S-4")
    before_b = export(srv, b)
    assert srv.post(f"/v1/customers/{a}/merge", {"from": b}).status_code == 200
    # a receipt after the merge, by the merged customer's phone: the survivor's
    line = {"sku": "B-2", "quantity": 1, "price": 5000, "amount": 5000}
    r = srv.post("/v1/purchases", {"store": "S-3", "receipt": "after-merge",
                                   "customer": {"phone": pb}, "lines": [line]})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert srv.post(f"/v1/customers/{b}/unmerge").status_code == 200
    assert export(srv, b) == before_b
    assert pid in [p["id"] for p in export(srv, a)["purchases"]]


def test_what_cannot_be_taken_back(srv):
    a, _ = person(srv, "ivan", "S-5")
    b, _ = person(srv, "vanya", "S-6")
    c, _ = person(srv, "vanyusha", "S-7")
    # a customer never merged
    r = srv.post(f"/v1/customers/{a}/unmerge")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_merged"
    # B into A, then A into C: B waits for A to come back first
    assert srv.post(f"/v1/customers/{a}/merge", {"from": b}).status_code == 200
    assert srv.post(f"/v1/customers/{c}/merge", {"from": a}).status_code == 200
    r = srv.post(f"/v1/customers/{b}/unmerge")
    assert r.status_code == 409 and r.json()["error"]["code"] == "unmerge_blocked", r.text
    assert srv.post(f"/v1/customers/{a}/unmerge").status_code == 200
    r = srv.post(f"/v1/customers/{b}/unmerge")
    assert r.status_code == 200, r.text
    # bad input
    r = srv.post(f"/v1/customers/{b}/unmerge", {"into": a})
    assert r.status_code == 422 and r.json()["error"]["field"] == "into"
    r = srv.post("/v1/customers/c_nothing/unmerge")
    assert r.status_code == 404 and r.json()["error"]["code"] == "customer_not_found"
    r = srv.post(f"/v1/customers/{b}/unmerge", key=srv.new_key("pos"))
    assert r.status_code == 403


def test_an_erased_survivor_takes_its_merges_with_it(srv):
    a, _ = person(srv, "petr", "S-8")
    b, _ = person(srv, "petya", "S-9")
    assert srv.post("/v1/traits/refresh", {}).status_code == 200
    assert srv.post(f"/v1/customers/{a}/merge", {"from": b}).status_code == 200
    assert srv.rows("SELECT count(*) FROM merge_traits m JOIN customers c ON c.ck = m.ck "
                    "WHERE c.id IN (?, ?)", (a, b))[0][0] > 0
    r = srv.post(f"/v1/customers/{a}/erase", {})
    assert r.status_code == 200, r.text
    # the traits the journal kept are gone with the rest, and nothing can be taken back
    assert srv.rows("SELECT count(*) FROM merge_traits m JOIN customers c ON c.ck = m.ck "
                    "WHERE c.id IN (?, ?)", (a, b))[0][0] == 0
    r = srv.post(f"/v1/customers/{b}/unmerge")
    assert r.status_code == 409 and r.json()["error"]["code"] == "unmerge_blocked", r.text
