"""Card numbers (issue 11, item 5): issuing skips every number that is held - by a card, by a
customer's card identifier (an older programme's card in the same range, the README tour's first
step), or by the suppression list of erased people - and never issues a number twice; no stored
row can block enrolment; and a refusal names the field the refused value came in."""
import pytest

from conftest import phone, src


def ean(seq, prefix="2000"):
    """The programme's card number `seq` (docs/loyalty.md: prefix, sequence, GS1 check digit)."""
    body = prefix + str(seq).zfill(12 - len(prefix))
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - total % 10) % 10)


def test_the_numbers_of_the_range():
    assert ean(1) == "2000000000015"  # the first virtual number, as in the README
    assert ean(502) == "2000000005027"  # the repro


def customer(s, cards, p=None):
    r = s.post("/v1/customers", {"source": src("pos"), "profile": {"phone": p or phone()},
                                 "identifiers": {"card": cards}})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"]


def enrol(s, p=None, **kw):
    r = s.post("/v1/pos/enroll", dict({"phone": p or phone(), "send_code": False}, **kw))
    assert r.status_code == 201, r.text
    return r.json()


def by_card(s, number):
    return [c["id"] for c in s.get("/v1/customers", params={"card": number}).json()["items"]]


def test_numbers_held_as_identifiers_are_skipped_and_never_block(start_server):
    s = start_server()
    # The README tour's first step stores the first virtual number as a card identifier; another
    # customer holds the next two (cards of an older programme typed in at a till).
    first = customer(s, "2000 0000 0001 5")
    other = customer(s, [ean(2), ean(3)])
    e = enrol(s)
    assert e["card"]["number"] == ean(4)  # not 409: the held numbers are skipped
    assert enrol(s)["card"]["number"] == ean(5)
    # A batch skips them too, and so does the command line's.
    customer(s, ean(7))
    r = s.post("/v1/cards/batches", {"batch": "b-1", "count": 3})
    assert r.status_code == 201, r.text
    assert r.json()["numbers"] == [ean(6), ean(8), ean(9)]
    customer(s, ean(10))
    out = s.cli("loyalty", "cards-batch", "--batch", "b-2", "--count", "2").stdout.split()
    assert out == [ean(11), ean(12)]
    # Nothing duplicates a customer's number: each is still found as the one who holds it.
    assert by_card(s, ean(1)) == [first] and by_card(s, ean(3)) == [other]
    assert by_card(s, ean(4)) == [e["customer_id"]]
    for n in (ean(1), ean(2), ean(7), ean(10)):
        assert s.get(f"/v1/cards/{n}").status_code == 404


def test_a_batch_card_typed_in_before_it_is_bound(start_server):
    s = start_server()
    nums = s.post("/v1/cards/batches", {"batch": "b", "count": 2}).json()["numbers"]
    # The customer typed the plastic card's number into the web shop before a till bound it.
    p = phone()
    cid = customer(s, nums[0], p)
    r = s.post("/v1/pos/enroll", {"phone": p, "card": nums[0], "send_code": False})
    assert r.status_code == 200, r.text
    assert r.json()["customer_id"] == cid and r.json()["card"]["state"] == "active"
    # Someone else's identifier: refused by name, with the field; nothing is written.
    customer(s, nums[1])
    r = s.post("/v1/pos/enroll", {"phone": phone(), "card": nums[1], "send_code": False})
    assert r.status_code == 409, r.text
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == ("card_held", "card")
    assert s.get(f"/v1/cards/{nums[1]}").json()["state"] == "issued"


def test_an_erased_persons_card_number_is_never_issued_again(start_server):
    s = start_server()
    # An erased person who held the next number as an identifier: the row is gone, the number
    # is on the suppression list.
    a = customer(s, ean(1))
    assert s.post(f"/v1/customers/{a}/erase", {}).status_code == 200
    b = enrol(s)
    assert b["card"]["number"] == ean(2)
    # An erased person with a virtual card: the card stays unbound, its number used.
    assert s.post(f"/v1/customers/{b['customer_id']}/erase", {}).status_code == 200
    p = phone()
    c = enrol(s, p)
    assert c["card"]["number"] == ean(3)
    # The new customer's own upsert with the number they were given is theirs, not refused.
    r = s.post("/v1/customers", {"source": src("pos"), "profile": {"phone": p},
                                 "identifiers": {"card": c["card"]["number"]}})
    assert r.status_code == 200, r.text
    assert r.json()["customer"]["id"] == c["customer_id"]
    # The counter survives a restart: the next numbers are still new.
    s.stop()
    s.start()
    assert enrol(s)["card"]["number"] == ean(4)


@pytest.mark.parametrize("body, field", [
    ({"profile": {"phone": "NEW"}, "identifiers": {"card": "CARD"}}, "identifiers.card"),
    ({"identifiers": {"card": ["77770001", "CARD"]}}, "identifiers.card[1]"),
    ({"identifiers": {"phone": "PHONE"}}, "identifiers.phone"),
    ({"profile": {"phone": "PHONE"}}, "profile.phone"),
    ({"profile": {"phone": "PHONE"}, "identifiers": {"phone": "PHONE"}}, "profile.phone"),
    ({"profile": {"email": "EMAIL"}}, "profile.email"),
    ({"identifiers": {"email": "EMAIL"}}, "identifiers.email"),
])
def test_a_suppressed_value_is_named_by_the_field_it_came_in(server, body, field):
    p, card, mail = phone(), f"OLD{phone()[1:]}", f"erased-{phone()[1:]}@example.net"
    r = server.post("/v1/customers", {"source": src("pos"),
                                      "profile": {"phone": p, "email": mail},
                                      "identifiers": {"card": card}})
    assert r.status_code == 201, r.text
    assert server.post(f"/v1/customers/{r.json()['customer']['id']}/erase", {}).status_code == 200
    fill = {"NEW": phone(), "CARD": card, "PHONE": p, "EMAIL": mail}

    def filled(v):
        if isinstance(v, dict):
            return {k: filled(x) for k, x in v.items()}
        if isinstance(v, list):
            return [filled(x) for x in v]
        return fill.get(v, v)

    r = server.post("/v1/customers", dict(filled(body), source=src("pos")))
    assert r.status_code == 422, r.text
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == ("suppressed", field)
