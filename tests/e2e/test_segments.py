"""Segments (issue 6, part 2, the first piece): a query in the segment language previewed over
customers with known profiles, events and receipts - the count and a sample - and a query that
does not parse answered with the line, the column and a caret."""
import pytest

from conftest import phone, src


@pytest.fixture(scope="module")
def base(server, pending_policy):
    """Five customers: who they are, what they did, what they bought."""
    people = {}
    for name, gender, born, city, email in [
        ("ann", "f", "1990-05-01", "Москва", True), ("bob", "m", "1985-02-02", "Казань", True),
        ("cat", "f", "2003-07-07", "Москва", False), ("dan", "m", "1960-01-01", "Тула", False),
        ("eve", "f", "1995-03-03", "Казань", True)]:
        p = phone()
        prof = {"phone": p, "first_name": "Анна", "gender": gender, "birth_date": born,
                "city": city}
        if email:
            prof["email"] = f"{name}{p[-5:]}@example.ru"
        r = server.post("/v1/customers", {"source": src("web"), "profile": prof})
        assert r.status_code == 201, r.text
        people[name] = (r.json()["customer"]["id"], p)

    def events(who, type_, n, **props):
        batch = [{"type": type_, "channel": "web", "customer": {"id": people[who][0]},
                  "properties": props} for _ in range(n)]
        assert server.post("/v1/events/batch", {"events": batch}).json()["refused"] == 0

    events("ann", "page_view", 2, url="/")
    events("ann", "email_open", 2)
    events("ann", "social_share", 1, network="vk", url="/p")
    events("bob", "page_view", 3, url="/")
    events("bob", "email_open", 1)
    events("cat", "page_view", 1, url="/")
    events("eve", "product_view", 3, sku="A-1")
    events("eve", "product_view", 1, sku="B-2")
    assert server.put("/v1/attributes/pets", {"type": "list", "items": "enum",
                                              "values": ["cat", "dog"]}).status_code in (200, 201)
    for who, pets in [("ann", ["cat"]), ("bob", ["dog", "cat"]), ("eve", ["dog"])]:
        r = server.patch(f"/v1/customers/{people[who][0]}", {"source": src("web"),
                                                              "attributes": {"pets": pets}})
        assert r.status_code == 200, r.text
    diapers = [{"sku": "D-1", "category": "Подгузники", "quantity": 1, "price": 99000,
                "amount": 99000}]
    r = server.post("/v1/purchases", {"store": "S", "receipt": "SEG-D",
                                      "customer": {"id": people["cat"][0]}, "lines": diapers})
    assert r.status_code == 201, r.text
    line = [{"sku": "A", "quantity": 1, "price": 300000, "amount": 300000}]
    for i, who in enumerate(["bob", "bob", "bob", "dan"]):
        r = server.post("/v1/purchases", {"store": "S", "receipt": f"SEG-{i}",
                                          "customer": {"id": people[who][0]}, "lines": line})
        assert r.status_code == 201, r.text
    return {k: v[0] for k, v in people.items()}


def preview(server, q):
    r = server.post("/v1/segments/preview", {"query": q, "sample": 100})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("query, who", [
    ("events(page_view) >= 2 and events(email_open) > 1 and events(social_share) >= 1",
     ["ann"]),
    ("gender = \"f\" and age between 25 and 40", ["ann", "eve"]),
    ("city in (\"Москва\", \"Казань\") and not has email", ["cat"]),
    ("has email", ["ann", "bob", "eve"]),
    ("events(page_view, last 30 days) >= 2", ["ann", "bob"]),
    ("events(product_view where sku = \"A-1\", last 7 days) >= 3 and not events(cart_add)",
     ["eve"]),
    ("purchases(last 90 days).count >= 3", ["bob"]),
    ("purchases(last 365 days).sum > 5000", ["bob"]),
    ("purchases().average >= 3000 and days since last purchase < 1", ["bob", "dan"]),
    ("age > 60 or (gender = \"m\" and city = \"Казань\")", ["bob", "dan"]),
    ("points.balance > 0 and not bought(category \"Подгузники\")", ["bob", "dan"]),
    ("bought(category \"Подгузники\", last 60 days)", ["cat"]),
    ("pets contains \"cat\"", ["ann", "bob"]),
    ("birthday within 366 days", ["ann", "bob", "cat", "dan", "eve"]),
    ("birthday within 0 days and has phone", []),
    ("pets contains \"dog\" and not pets contains \"cat\"", ["eve"]),
])
def test_preview_finds_exactly_who_the_query_means(server, base, query, who):
    out = preview(server, query)
    mine = sorted(k for k, v in base.items() if v in out["sample"])
    assert mine == sorted(who), query
    assert out["size"] >= len(who)


def test_a_query_that_does_not_parse_says_where(server, base):
    r = server.post("/v1/segments/preview",
                    {"query": "has email and\n  events(page_view, last 30 dayz) > 1"})
    assert r.status_code == 422
    e = r.json()["error"]
    assert (e["code"], e["field"], e["line"], e["column"]) == ("syntax_error", "query", 2, 29)
    assert e["expected"] == "expected 'days'"
    assert e["caret"].endswith("\n" + " " * 28 + "^")
    for body, code in [({}, "missing_field"), ({"query": 5}, "wrong_type"),
                       ({"query": "has email", "sample": 1000}, "invalid_value"),
                       ({"query": "has email", "sample": "5"}, "wrong_type"),
                       ({"query": "has email " * 1000}, "too_long"),
                       ({"query": "has email", "x": 1}, "unknown_field")]:
        r = server.post("/v1/segments/preview", body)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, body
    # A saved segment's members by the same rule (a query of 123 was missing_field).
    for body, code, field in [({"name": "n", "query": 123}, "wrong_type", "query"),
                              ({"name": "n"}, "missing_field", "query"),
                              ({"name": 5, "query": "has email"}, "wrong_type", "name"),
                              ({"name": "n" * 101, "query": "has email"}, "too_long", "name"),
                              ({"name": "", "query": "has email"}, "invalid_value", "name")]:
        r = server.post("/v1/segments", body)
        assert r.status_code == 422, (body, r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), body
    assert server.post("/v1/segments/preview", {"query": "has email"},
                       key=server.new_key("pos")).status_code == 403


def test_saved_segments_keep_their_members_and_when_they_came(server, base):
    r = server.post("/v1/segments", {"name": "vip", "query": "purchases().count >= 3"})
    assert r.status_code == 201, r.text
    vip = r.json()
    assert vip["size"] == 1 and vip["refreshed_at"]
    members = server.get(f"/v1/segments/{vip['id']}/members").json()
    assert [m["customer_id"] for m in members["items"]] == [base["bob"]]
    assert server.get("/v1/segments/vip").json()["id"] == vip["id"]  # by name too
    # Another segment uses it; a segment cannot use itself; names are unique.
    r = server.post("/v1/segments", {"name": "vip women or men of Kazan",
                                     "query": "in segment \"vip\" or gender = \"f\""})
    assert r.status_code == 201 and r.json()["size"] == 4
    r = server.post("/v1/segments", {"name": "loop", "query": "in segment \"loop\""})
    assert r.status_code == 422 and r.json()["error"]["code"] == "segment_cycle"
    r = server.post("/v1/segments", {"name": "vip", "query": "has email"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "name_taken"
    r = server.post("/v1/segments", {"name": "bad", "query": "purchases(.count"})
    assert r.status_code == 422 and r.json()["error"]["caret"].endswith("^")
    # A customer who now qualifies enters at the next refresh; one who no longer does leaves.
    line = [{"sku": "A", "quantity": 1, "price": 100, "amount": 100}]
    for i in range(2):
        server.post("/v1/purchases", {"store": "S", "receipt": f"VIP-{i}",
                                      "customer": {"id": base["dan"]}, "lines": line})
    r = server.post(f"/v1/segments/{vip['id']}/refresh")
    assert (r.json()["entered"], r.json()["left"], r.json()["size"]) == (1, 0, 2)
    r = server.put(f"/v1/segments/{vip['id']}", {"name": "vip",
                                                 "query": "purchases().count >= 3 and age > 60"})
    assert r.status_code == 200 and r.json()["size"] == 1
    csv = server.get(f"/v1/segments/{vip['id']}/members?format=csv")
    assert csv.headers["Content-Type"].startswith("text/csv")
    lines = csv.text.strip().split("\r\n")
    assert lines[0] == "customer_id,entered_at" and lines[1].startswith(base["dan"] + ",")
    # Traits in queries: RFM stored, then asked for.
    assert server.post("/v1/traits/rfm").status_code == 200
    groups = server.get("/v1/reports/rfm?items=true").json()["items"]
    g = {x["customer_id"]: x["group"] for x in groups}[base["bob"]]
    out = preview(server, f"trait rfm_group = \"{g}\"")
    assert base["bob"] in out["sample"]
    assert server.delete(f"/v1/segments/{vip['id']}").status_code == 204
    assert server.get(f"/v1/segments/{vip['id']}").status_code == 404
    names = [s["name"] for s in server.get("/v1/segments").json()["items"]]
    assert names == ["vip women or men of Kazan"]


def test_computed_traits_from_expressions_and_built_in(server, base):
    r = server.put("/v1/traits/has_baby",
                   {"expression": "bought(category \"Подгузники\", last 90 days)"})
    assert r.status_code == 201, r.text  # defined anew
    assert r.json()["customers"] == 1
    assert preview(server, "trait has_baby = true")["sample"] == [base["cat"]]
    assert server.post("/v1/traits/refresh").status_code == 200
    traits = server.get(f"/v1/customers/{base['cat']}/export").json()["traits"]
    assert traits["has_baby"] == "true" and traits["favourite_category"] == "Подгузники"
    assert traits["average_receipt"] == "990" and traits["lifetime_value"] == "990"
    bob = server.get(f"/v1/customers/{base['bob']}/export").json()["traits"]
    assert bob["average_receipt"] == "3000" and "has_baby" not in bob
    assert "favourite_category" not in bob  # his lines have no category
    for name, body, status, code in [
        ("rfm_group", {"expression": "has email"}, 409, "reserved_name"),
        ("lifetime_value", {"expression": "has email"}, 409, "reserved_name"),
        ("Bad", {"expression": "has email"}, 422, "invalid_value"),
        ("typed", {"expression": 5}, 422, "wrong_type"),
        ("loop", {"expression": "trait loop = true"}, 422, "trait_cycle"),
        ("oops", {"expression": "bought(colour \"red\")"}, 422, "syntax_error"),
        ("none", {}, 422, "missing_field"),
    ]:
        r = server.put(f"/v1/traits/{name}", body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), name
    names = {t["name"] for t in server.get("/v1/traits").json()["items"]}
    assert {"has_baby", "favourite_category", "rfm_group", "cluster"} <= names


def test_consent_subscriptions_and_complete_profiles_in_queries(server, base):
    for key, purpose in [("seg-pd", "pd_processing"), ("seg-ads-email", "ads")]:
        assert server.put(f"/v1/consent-documents/{key}", {"purpose": purpose, "title": "t",
                                                           "body": "b"}).status_code == 201
    assert server.put("/v1/topics/seg-promo", {"title": "Акции", "channels": ["email"]}
                      ).status_code == 201
    ann, eve = base["ann"], base["eve"]

    def grant(cid, purpose, doc, channel=None, granted=True):
        c = {"purpose": purpose, "document": doc, "granted": granted,
             "evidence": {"paper_form": "P-1"}}
        if channel:
            c["channel"] = channel
        r = server.post(f"/v1/customers/{cid}/consents", {"source": src("pos"), "consents": [c]})
        assert r.status_code == 200, r.text

    grant(ann, "pd_processing", "seg-pd")
    grant(ann, "ads", "seg-ads-email", "email")
    grant(eve, "ads", "seg-ads-email", "email")  # ads, but no pd_processing consent
    for cid in (ann, eve):
        r = server.post(f"/v1/customers/{cid}/subscriptions",
                        {"topic": "seg-promo", "channel": "email", "subscribed": True})
        assert r.status_code in (200, 201), r.text
    who = lambda q: sorted(k for k, v in base.items() if v in preview(server, q)["sample"])
    assert who("consent(pd_processing)") == ["ann"]
    assert who("consent(ads, email)") == ["ann", "eve"]
    assert who("consent(ads, sms)") == []
    assert who("subscribed(\"seg-promo\", email)") == ["ann"]  # eve lacks pd consent
    assert who("profile complete") == []  # nobody's phone is verified
    p = server.get(f"/v1/customers/{ann}").json()["profile"]["phone"]
    r = server.post("/v1/customers", {"source": src("pos"), "verified": ["phone"],
                                      "profile": {"phone": p}})
    assert r.status_code == 200, r.text
    assert who("profile complete") == ["ann"]
    # A withdrawal stops the channel at once, in segments too.
    grant(ann, "ads", "seg-ads-email", "email", granted=False)
    assert who("subscribed(\"seg-promo\", email)") == []
    assert who("consent(ads, email) and not consent(pd_processing)") == ["eve"]



def test_the_segment_command_line(server, base):
    out = server.cli("segment", "preview", "has email").stdout
    assert out.startswith("3 customers") and base["ann"] in out
    r = server.cli("segment", "preview", "has emial", check=False)
    assert r.returncode == 1 and "line 1, column 5" in r.stderr and "^" in r.stderr
    server.post("/v1/segments", {"name": "cli-vip", "query": "purchases().count >= 3"})
    assert "cli-vip" in server.cli("segment", "list").stdout
    assert "refreshed" in server.cli("segment", "refresh").stdout
    csv = server.cli("segment", "members", "cli-vip").stdout.splitlines()
    assert csv[0] == "customer_id,entered_at" and csv[1].startswith(base["bob"])
    assert server.cli("segment", "members", "nope", check=False).returncode == 1
    assert server.cli("segment", check=False).returncode == 2


def test_an_erasure_takes_traits_and_memberships_along(server, base):
    server.post("/v1/segments", {"name": "erase-me", "query": "has phone"})
    server.post("/v1/traits/refresh")
    dan = base["dan"]
    q = ("SELECT (SELECT count(*) FROM traits t WHERE t.ck = c.ck), (SELECT count(*) FROM "
         "segment_members m WHERE m.ck = c.ck) FROM customers c WHERE c.id = ?")
    assert all(x > 0 for x in server.rows(q, (dan,))[0])
    assert server.post(f"/v1/customers/{dan}/erase", {}).status_code == 200
    assert server.rows(q, (dan,)) == [(0, 0)]
