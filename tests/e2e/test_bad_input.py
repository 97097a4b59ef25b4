"""Bad input gets its own status and error code, names the field, and changes nothing."""
import pytest

from conftest import phone, src

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def known(server):
    """One customer and one declared attribute to aim bad requests at."""
    r = server.put("/v1/attributes/pets", {"type": "list", "items": "enum",
                                            "values": ["cat", "dog", "bird", "fish"]})
    assert r.status_code in (200, 201)
    r = server.post("/v1/customers", {"source": src(), "profile": {"phone": phone()}})
    assert r.status_code == 201
    return r.json()["customer"]["id"]


def raw(server, data, headers=JSON, path="/v1/customers", method="POST"):
    return server.request(method, path, data=data, headers=headers)


CASES = [
    # (name, how to send, status, code, field)
    ("empty body", lambda s, k: raw(s, b""), 400, "empty_body", None),
    ("not JSON", lambda s, k: raw(s, b"name=Ivan&phone=1"), 400, "malformed_json", None),
    ("truncated JSON", lambda s, k: raw(s, b'{"source": {"channel": "pos"'), 400,
     "malformed_json", None),
    ("array body", lambda s, k: raw(s, b"[1, 2]"), 400, "body_not_object", None),
    ("duplicate key", lambda s, k: raw(s, b'{"source": {}, "source": {}}'), 400,
     "duplicate_key", None),
    ("invalid UTF-8", lambda s, k: raw(s, b'{"source": {"channel": "pos"}, "profile": '
                                          b'{"first_name": "\xff\xfe"}}'), 400,
     "invalid_utf8", None),
    ("wrong content type", lambda s, k: raw(s, b'{"source": {"channel": "pos"}}',
                                            {"Content-Type": "text/plain"}), 415,
     "unsupported_media_type", None),
    ("10 MiB body", lambda s, k: raw(s, b'{"pad": "' + b"x" * (10 << 20) + b'"}'), 413,
     "body_too_large", None),
    ("wrong shape: profile is a string",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": "Иванов"}), 422,
     "wrong_type", "profile"),
    ("source missing", lambda s, k: s.post("/v1/customers", {"profile": {"phone": phone()}}),
     422, "missing_field", "source"),
    ("string field of 100 KB",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {
         "phone": phone(), "first_name": "Я" * 50000}}), 422, "too_long", "profile.first_name"),
    ("number where a string belongs",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {
         "phone": phone(), "last_name": 42}}), 422, "wrong_type", "profile.last_name"),
    ("collected in 1900",
     lambda s, k: s.post("/v1/customers", {"source": src(at="1900-01-01T00:00:00Z"),
                                           "profile": {"phone": phone()}}), 422,
     "invalid_time", "source.at"),
    ("collected next year",
     lambda s, k: s.post("/v1/customers", {"source": src(at="2099-01-01T00:00:00Z"),
                                           "profile": {"phone": phone()}}), 422,
     "invalid_time", "source.at"),
    ("unknown field",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {
         "phone": phone(), "nickname": "x"}}), 422, "unknown_field", "profile.nickname"),
    ("unknown top-level field",
     lambda s, k: s.post("/v1/customers", {"source": src(), "name": "x"}), 422,
     "unknown_field", "name"),
    ("undeclared attribute",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {"phone": phone()},
                                           "attributes": {"shoe_size": 42}}), 422,
     "undeclared_attribute", "attributes.shoe_size"),
    ("attribute value of the wrong type",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {"phone": phone()},
                                           "attributes": {"pets": "cat"}}), 422,
     "wrong_type", "attributes.pets"),
    ("attribute value not allowed",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {"phone": phone()},
                                           "attributes": {"pets": ["cow"]}}), 422,
     "invalid_value", "attributes.pets[0]"),
    ("impossible phone",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {
         "phone": "+7 (516) 123-45-67"}}), 422, "invalid_phone", "profile.phone"),
    ("phone too short",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {"phone": "12-34"}}),
     422, "invalid_phone", "profile.phone"),
    ("e-mail without a domain",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {
         "email": "ivan.petrov@"}}), 422, "invalid_email", "profile.email"),
    ("impossible birth date",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {
         "phone": phone(), "birth_date": "1985-02-30"}}), 422, "invalid_date",
     "profile.birth_date"),
    ("no identifier at all",
     lambda s, k: s.post("/v1/customers", {"source": src(), "profile": {"first_name": "Анна"}}),
     422, "no_identifier", "identifiers"),
    ("merge of a customer into itself",
     lambda s, k: s.post(f"/v1/customers/{k}/merge", {"from": k}), 422, "merge_self", "from"),
    ("merge from an unknown id",
     lambda s, k: s.post(f"/v1/customers/{k}/merge", {"from": "c_0000000000000000000a"}), 404,
     "customer_not_found", "from"),
    ("unknown id", lambda s, k: s.get("/v1/customers/c_0000000000000000000a"), 404,
     "customer_not_found", None),
    ("malformed id", lambda s, k: s.get("/v1/customers/12345"), 404, "customer_not_found",
     None),
    ("patch of an unknown id",
     lambda s, k: s.patch("/v1/customers/c_0000000000000000000a", {"source": src()}), 404,
     "customer_not_found", None),
    ("unknown query parameter", lambda s, k: s.get("/v1/customers?name=Ivan"), 400,
     "unknown_parameter", "name"),
    ("limit out of range", lambda s, k: s.get("/v1/customers?limit=100000"), 400,
     "bad_parameter", "limit"),
    ("bad cursor", lambda s, k: s.get("/v1/customers?cursor=42"), 400, "bad_cursor", "cursor"),
]


@pytest.mark.parametrize("name,send,status,code,field", CASES, ids=[c[0] for c in CASES])
def test_bad_input(server, known, name, send, status, code, field):
    before = server.counts()
    r = send(server, known)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code
    assert err["message"] and err["request_id"] == r.headers["X-Request-Id"]
    if field is not None:
        assert err.get("field") == field
    assert server.counts() == before, "a refused request changed the database"


def test_malformed_json_names_the_byte_offset(server, known):
    r = raw(server, b'{"source": {"channel": "pos"}, "profile": {"phone": 8916}')
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["offset"] == 57
    assert "at byte 57" in err["message"]


def test_messages_never_echo_the_value(server, known):
    r = server.post("/v1/customers", {"source": src(), "profile": {"phone": "8916555OOPS"}})
    assert r.status_code == 422
    assert "8916555" not in r.text
    r = raw(server, '{"profile": {"first_name": "Секретный"'.encode())
    assert "Секретный" not in r.text
