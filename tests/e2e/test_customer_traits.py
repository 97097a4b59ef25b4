"""A customer's traits and segments, for the console's customer page (docs/console.md):
GET /v1/customers/{id}/traits (every computed trait with when it was computed) and
GET /v1/customers/{id}/segments (the saved segments the customer is in now, with when they
entered); an unknown customer is a 404, a pos key is refused (admin only)."""
from conftest import phone, src

LINE = [{"sku": "A", "quantity": 1, "price": 50000, "amount": 50000}]


def customer(server):
    r = server.post("/v1/customers", {"source": src("web"),
                                      "profile": {"phone": phone(), "first_name": "Иван"}})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"]


def test_traits_and_segments_of_a_customer(server, pending_policy):
    a, b = customer(server), customer(server)
    for i in range(3):
        r = server.post("/v1/purchases", {"store": "S-1", "receipt": f"TR-{a}-{i}",
                                          "customer": {"id": a}, "lines": LINE})
        assert r.status_code == 201, r.text
    # Nothing computed yet: empty lists, not an error.
    assert server.get(f"/v1/customers/{a}/traits").json() == {"customer_id": a, "items": []}
    assert server.get(f"/v1/customers/{a}/segments").json() == {"customer_id": a, "items": []}
    r = server.post("/v1/segments", {"name": f"buyers {a}", "query": "purchases().count >= 3"})
    assert r.status_code == 201, r.text
    seg = r.json()["id"]
    assert server.post("/v1/traits/refresh").status_code == 200
    traits = server.get(f"/v1/customers/{a}/traits").json()["items"]
    by_name = {t["name"]: t for t in traits}
    assert by_name["average_receipt"]["value"] == "500"
    assert by_name["lifetime_value"]["value"] == "1500"
    assert by_name["lifetime_value"]["computed_at"].endswith("Z")
    assert [t["name"] for t in traits] == sorted(by_name)
    segs = server.get(f"/v1/customers/{a}/segments").json()["items"]
    assert [(s["id"], s["name"]) for s in segs] == [(seg, f"buyers {a}")]
    assert segs[0]["entered_at"].endswith("Z")
    assert server.get(f"/v1/customers/{b}/segments").json()["items"] == []
    # Once the customer no longer qualifies and the segment is refreshed, they are out of it.
    r = server.put(f"/v1/segments/{seg}", {"name": f"buyers {a}",
                                           "query": "purchases().count >= 4"})
    assert r.status_code == 200, r.text
    assert server.get(f"/v1/customers/{a}/segments").json()["items"] == []


def test_unknown_customer_and_scopes(server):
    for what in ("traits", "segments"):
        r = server.get(f"/v1/customers/c_00000000000000000000/{what}")
        assert r.status_code == 404 and r.json()["error"]["code"] == "customer_not_found"
        r = server.get(f"/v1/customers/c_00000000000000000000/{what}?x=1")
        assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_parameter"
        r = server.get(f"/v1/customers/c_00000000000000000000/{what}", key=server.new_key("pos"))
        assert r.status_code == 403
