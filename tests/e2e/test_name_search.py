"""The search by name (issue 15: the console's customer search, "as the till writes them"):
`GET /v1/customers?full_name=` finds the customers of one name key - any order of the parts, any
case, ё or е, Latin transliterated - through its blind index, namesakes as a page, a birth date
narrowing it (also when the store's policy seals birth dates), a key limited to stores seeing
only its stores' namesakes. What it cannot do is said here too: no prefix, no typo, no name
without its patronymic when the customer has one. docs/api.md, "Search by name"."""
from urllib.parse import quote

import pytest

from conftest import audit_entries, phone, sqlite_only, src

pytestmark = pytest.mark.usefixtures("pending_policy")


def add(server, last, first, middle=None, birth=None, store=None):
    profile = {"phone": phone(), "last_name": last, "first_name": first}
    if middle:
        profile["middle_name"] = middle
    if birth:
        profile["birth_date"] = birth
    r = server.post("/v1/customers", {"source": src("pos", store=store) if store else src(),
                                      "profile": profile})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"]


def search(server, name, key="admin", **q):
    query = "&".join([f"full_name={quote(name)}"] + [f"{k}={quote(str(v))}" for k, v in q.items()])
    return server.get(f"/v1/customers?{query}", key=key)


def ids(r):
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["items"]]


def test_any_order_case_and_yo_find_the_same_customer(server):
    cid = add(server, "Артёмова", "Алёна", "Сергеевна")
    for typed in ("Артёмова Алёна Сергеевна", "алена артемова сергеевна",
                  "  АЛЁНА СЕРГЕЕВНА АРТЕМОВА ", "Artemova Alena Sergeevna"):
        assert ids(search(server, typed)) == [cid], typed
    # the whole key, the patronymic included: a part missing, a prefix or a typo finds nobody
    for typed in ("Артемова Алена", "Артем Алена Сергеевна", "Артемова Алена Сергевна"):
        assert ids(search(server, typed)) == [], typed


def test_namesakes_are_a_page_and_a_birth_date_narrows_them(server):
    made = [add(server, "Кузьмина", "Ольга", birth=b)
            for b in ("1971-03-04", "1985-06-07", "1990-11-12")]
    assert ids(search(server, "Ольга Кузьмина")) == made  # in the order they came in
    first = search(server, "Ольга Кузьмина", limit=2).json()
    assert [c["id"] for c in first["items"]] == made[:2] and first["next_cursor"]
    rest = search(server, "Ольга Кузьмина", limit=2, cursor=first["next_cursor"]).json()
    assert [c["id"] for c in rest["items"]] == made[2:] and rest["next_cursor"] is None
    assert ids(search(server, "Ольга Кузьмина", birth_date="1985-06-07")) == [made[1]]
    assert ids(search(server, "Ольга Кузьмина", birth_date="1985-06-08")) == []
    # a customer merged away is not found; her survivor is when the name is hers
    r = server.post(f"/v1/customers/{made[0]}/merge", {"from": made[2]})
    assert r.status_code == 200, r.text
    assert ids(search(server, "Ольга Кузьмина")) == made[:2]


def test_every_read_is_in_the_audit(server):
    a = add(server, "Журавлёва", "Вера")
    b = add(server, "Журавлева", "Вера")
    r = search(server, "вера журавлева")
    assert ids(r) == [a, b]
    rid = r.headers["X-Request-Id"]
    got = [e for e in audit_entries(server) if e["request_id"] == rid]
    assert sorted((e["action"], e["customer_id"]) for e in got) == sorted(
        [("read", a), ("read", b)])


def test_a_store_key_sees_only_its_stores_namesakes(server):
    others = [add(server, "Сомова", "Нина", store="S-2") for _ in range(3)]
    own = [add(server, "Сомова", "Нина", store="S-1") for _ in range(2)]
    assert ids(search(server, "Сомова Нина")) == others + own
    k = server.cli("keys", "create", "--scope", "pos", "--name", "store 1 till",
                   "--stores", "S-1").stdout.strip()
    assert ids(search(server, "Сомова Нина", key=k)) == own
    page = search(server, "Сомова Нина", key=k, limit=1).json()
    assert [c["id"] for c in page["items"]] == own[:1] and page["next_cursor"]
    page = search(server, "Сомова Нина", key=k, limit=1, cursor=page["next_cursor"]).json()
    assert [c["id"] for c in page["items"]] == own[1:]


@pytest.mark.parametrize("query, field", [
    ("full_name=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2%D0%B0", "full_name"),  # a surname alone
    ("full_name=12345", "full_name"),
    ("full_name=", "full_name"),
    ("birth_date=1990-01-01", "birth_date"),  # without a name
    ("full_name=Anna%20Ivanova&birth_date=tomorrow", "birth_date"),
    ("full_name=Anna%20Ivanova&phone=%2B79160000000", None),
    ("full_name=Anna%20Ivanova&limit=0", "limit"),
    ("full_name=Anna%20Ivanova&cursor=abc", "cursor"),
])
def test_bad_searches_are_refused_with_their_field(server, query, field):
    r = server.get(f"/v1/customers?{query}")
    assert r.status_code == 400, r.text
    e = r.json()["error"]
    assert e["code"] in ("bad_parameter", "bad_cursor")
    if field:
        assert e["field"] == field
    assert "Иванова" not in e["message"] and "Ivanova" not in e["message"]


@sqlite_only("--sealed-fields: PostgreSQL keeps birth dates clear (docs/scale.md)")
def test_a_sealed_birth_date_still_narrows(start_server):
    srv = start_server(["--sealed-fields", "birth_date"])
    assert srv.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
    made = [add(srv, "Лебедева", "Ия", birth=b) for b in ("1960-01-02", "1999-12-31", "1960-01-02")]
    assert ids(search(srv, "Ия Лебедева", birth_date="1960-01-02")) == [made[0], made[2]]
    page = search(srv, "Ия Лебедева", birth_date="1960-01-02", limit=1).json()
    assert [c["id"] for c in page["items"]] == made[:1]
    page = search(srv, "Ия Лебедева", birth_date="1960-01-02", limit=1,
                  cursor=page["next_cursor"]).json()
    assert [c["id"] for c in page["items"]] == made[2:]


def test_a_blocked_namesake_is_left_out_for_a_till_and_shown_to_the_dpo(server):
    free, blocked = add(server, "Гусева", "Зоя"), add(server, "Гусева", "Зоя")
    r = server.post("/v1/privacy-requests", {"kind": "rectification", "channel": "letter",
                                             "customer_id": blocked})
    assert r.status_code == 201, r.text
    r = server.post(f"/v1/customers/{blocked}/block", {"reason": "accuracy_disputed",
                                                       "privacy_request_id": r.json()["id"]})
    assert r.status_code == 201, r.text
    pos = server.new_key("pos")
    r = search(server, "Зоя Гусева", key=pos)
    assert ids(r) == [free]
    rid = r.headers["X-Request-Id"]
    got = [(e["action"], e["customer_id"]) for e in audit_entries(server) if e["request_id"] == rid]
    assert sorted(got) == sorted([("read", free), ("read", blocked)])  # the attempt, noted
    shown = search(server, "Зоя Гусева").json()["items"]
    assert [c["id"] for c in shown] == [free, blocked] and "block" in shown[1]
