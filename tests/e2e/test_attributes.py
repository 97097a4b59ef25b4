"""Questionnaire attributes: declared first, checked on every write, safe to change."""
import pytest

from conftest import phone, src

pytestmark = pytest.mark.usefixtures("pending_policy")


def test_declare_use_and_change(server):
    r = server.put("/v1/attributes/car_make", {"type": "string", "title": "Марка машины"})
    assert r.status_code == 201
    assert r.json()["type"] == "string" and r.json()["title"] == "Марка машины"
    r = server.put("/v1/attributes/pets", {"type": "list", "items": "enum",
                                            "values": ["cat", "dog", "bird", "fish"]})
    assert r.status_code == 201
    r = server.put("/v1/attributes/children_birth_years", {"type": "list", "items": "number"})
    assert r.status_code == 201
    r = server.put("/v1/attributes/size", {"type": "enum", "values": ["S", "M", "L"]})
    assert r.status_code == 201

    p = phone()
    r = server.post("/v1/customers", {"source": src("tablet"), "profile": {"phone": p},
                                      "attributes": {"pets": ["cat", "dog", "cat"],
                                                     "car_make": " Lada ",
                                                     "children_birth_years": [2015, 2019]}})
    assert r.status_code == 201, r.text
    attrs = r.json()["customer"]["attributes"]
    assert attrs == {"pets": ["cat", "dog"], "car_make": "Lada",
                     "children_birth_years": [2015, 2019]}

    # Adding allowed values is always fine; removing one that is in use is not.
    r = server.put("/v1/attributes/pets", {"type": "list", "items": "enum",
                                            "values": ["cat", "dog", "bird", "fish", "hamster"]})
    assert r.status_code == 200
    r = server.put("/v1/attributes/pets", {"type": "list", "items": "enum", "values": ["dog"]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "attribute_in_use"
    r = server.put("/v1/attributes/car_make", {"type": "number"})
    assert r.status_code == 409
    # Unused attributes may change freely.
    r = server.put("/v1/attributes/size", {"type": "enum", "values": ["XL"]})
    assert r.status_code == 200

    listing = server.get("/v1/attributes").json()["items"]
    assert [a["name"] for a in listing] == ["car_make", "children_birth_years", "pets", "size"]
    assert server.get("/v1/attributes/pets").json()["values"][-1] == "hamster"
    assert server.get("/v1/attributes/nope").status_code == 404


def test_bad_declarations(server):
    cases = [
        ("Bad-Name", {"type": "string"}, "invalid_attribute_name"),
        ("phone", {"type": "string"}, "invalid_attribute_name"),
        ("a1", {"type": "colour"}, "invalid_value"),
        ("a2", {}, "missing_field"),
        ("a3", {"type": "enum"}, "missing_field"),
        ("a4", {"type": "list"}, "missing_field"),
        ("a5", {"type": "enum", "values": ["x", "x"]}, "duplicate_value"),
        ("a6", {"type": "string", "values": ["x"]}, "unexpected_field"),
        ("a7", {"type": "string", "colour": "red"}, "unknown_field"),
        ("a8", {"type": 5}, "wrong_type"),
        ("a9", {"type": "list", "items": ["string"]}, "wrong_type"),
        ("a10", {"type": "enum", "values": []}, "invalid_value"),
        ("a11", {"type": "enum", "values": "x"}, "wrong_type"),
    ]
    for name, body, code in cases:
        r = server.put(f"/v1/attributes/{name}", body)
        assert r.status_code == 422, (name, r.text)
        assert r.json()["error"]["code"] == code, name


def test_date_attributes_take_any_real_date(server):
    """A date attribute was refused whatever it held (it was checked as a birth date of someone
    born after 9999): now any real date, past or future, in the forms people type, stored ISO."""
    assert server.put("/v1/attributes/contract_until", {"type": "date"}).status_code == 201
    assert server.put("/v1/attributes/visits", {"type": "list", "items": "date"}).status_code == 201
    r = server.post("/v1/customers", {"source": src("tablet"), "profile": {"phone": phone()},
                                      "attributes": {"contract_until": "31.12.2031",
                                                     "visits": ["2024-05-01", "1 июня 2025 г."]}})
    assert r.status_code == 201, r.text
    assert r.json()["customer"]["attributes"] == {"contract_until": "2031-12-31",
                                                  "visits": ["2024-05-01", "2025-06-01"]}
    for bad in ("31.02.2024", "не помню", "01.01.0001"):
        r = server.post("/v1/customers", {"source": src("tablet"), "profile": {"phone": phone()},
                                          "attributes": {"contract_until": bad}})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_date", bad
        assert r.json()["error"]["field"] == "attributes.contract_until"
