"""The two backends agree on segments (issue 16): the same data, loaded through the API into one
server on SQLite and one on PostgreSQL, and the same queries of the segment language - random
ones from segment_gen.py, the fuzzer's seeds and the cases that once differed - give the same
answer on both: the status (a query refused is refused alike), the size, and the first hundred
members; for every 25th query the whole membership of a saved segment too.

Both halves run in one test, whatever KT_TEST_DB says: the SQLite server on a file, the
PostgreSQL one on a database of the test cluster (ctest's, through KT_TEST_PG, or one pgtmp.py
starts for this run). So ctest registers this file once (tests/CMakeLists.txt), with the
cluster's fixture, not once per backend.

The PostgreSQL database has a Russian ICU collation (`ru-RU`: what a Russian retailer's
administrator may choose), under which text compares otherwise than SQLite's bytes wherever SQL
orders it: the conditions and built-in traits must not care. KT_SEGMENT_PG_LOCALE names another
ICU locale, or `C` for the cluster's own collation (C.UTF-8, as every other test's database).

Reproduce: the failure names the seed and the query's number; KT_SEGMENT_SEED=S runs that seed
(KT_SEGMENT_N the number of queries), `python3 segment_gen.py S N` prints its queries.
"""
import concurrent.futures
import datetime
import os
import random
import re

import pytest

import segment_gen
from conftest import Server, pg_cluster
from segment_gen import ATTRS, EVENT_PROPS, VOCAB

SEED = os.environ.get("KT_SEGMENT_SEED", "16")
N = int(os.environ.get("KT_SEGMENT_N", "300"))
NOW = datetime.datetime(2026, 6, 15, 12, 0, 0, tzinfo=datetime.timezone.utc)
CUSTOMERS = 240
CORPUS = segment_gen.ROOT / "fuzz" / "corpus" / "segment"

# Queries that once gave different answers on the two backends, each kept as a fixed case (the
# commit that fixed it says what was wrong).
FIXED = [
    # `contains` of a single value: SQLite's json_each() took it for a list of one
    'city \n  < "Нижний Новгород"  and size contains "M"', 'vip contains 1', 'level contains 2',
    # a value of another type: SQLite compared a number below any text, a yes/no as 1 or 0
    'consent(third_party_transfer) and level < true', 'level != true', 'size > 1385',
    'purchases().count = 3 or  size > 1385 or city in ("Санкт-Петербург", true)', 'vip <= 1602',
    'vip != false', 'not vip < false', 'events(quiz where passed = 1)', 'level < "2"',
    # text ordered by the PostgreSQL database's collation, not as bytes (KT_SEGMENT_PG_LOCALE)
    'city > "москва"', 'city between "москва" and "РОСТОВ-НА-ДОНУ"', 'size >= "Большой"',
    'trait big_spender != "true" or gender between "m" and "нет такого"', 'city < "berlin"',
    'trait rfm_group < "Lost"',
    # a tie of two categories broken by the database's collation (the built-in trait's SQL)
    'trait favourite_category = "Корм"', 'trait favourite_category > "Ёлки"',
]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(days, seconds=0):
    return iso(NOW - datetime.timedelta(days=days, seconds=seconds))


# -- the two servers --------------------------------------------------------------------------


class SqliteServer(Server):
    """A server on an SQLite file even when the session's backend is PostgreSQL."""

    @property
    def db_arg(self):
        return str(self.db)


class PgServer(Server):
    """A server on the PostgreSQL database at `url`."""

    def __init__(self, workdir, url, **kw):
        self.url_db = url
        super().__init__(workdir, **kw)

    @property
    def db_arg(self):
        return self.url_db


def pg_database(name):
    """A fresh database of the test cluster, with the ICU locale KT_SEGMENT_PG_LOCALE (ru-RU;
    `C`: the cluster's collation)."""
    pg = pg_cluster()
    locale = os.environ.get("KT_SEGMENT_PG_LOCALE", "ru-RU")
    icu = (["-T", "template0", "--locale-provider=icu", f"--icu-locale={locale}"]
           if locale != "C" else [])
    pg.createdb(name, *icu)
    return pg.url(name)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    d = tmp_path_factory.mktemp("diff")
    # Both servers seal under keys of their own making; PostgreSQL needs them named.
    env = {"KARTOTEKA_MASTER_KEY_FILE": str(d / "master"),
           "KARTOTEKA_SECRET_FILE": str(d / "secret")}
    lite = SqliteServer(d / "sqlite", args=["--settable-clock"], env=env)
    pg = PgServer(d / "pg", pg_database(f"kt_diff_{os.getpid()}"), args=["--settable-clock"],
                  env=env)
    yield lite, pg
    lite.stop()
    pg.stop()


# -- the data ---------------------------------------------------------------------------------


def plan():
    """Every request that loads the data, in order, the same for both servers: (method, path,
    body, name to keep the reply's id under). "@c12" stands for customer 12's id on the server
    the plan runs on, "@p12-0" for a purchase's, "@r3" for a privacy request's."""
    r = random.Random("kartoteka-segment-data")
    steps = [("PUT", "/v1/system/clock", {"now": iso(NOW)}, None),
             ("PUT", "/v1/privacy/settings", {"consent_policy": "pending"}, None)]
    decl = {"number": {"type": "number"}, "boolean": {"type": "boolean"},
            "enum": {"type": "enum", "values": VOCAB["attr_enum"]}, "date": {"type": "date"},
            "list_enum": {"type": "list", "items": "enum", "values": VOCAB["attr_pets"]},
            "list_number": {"type": "list", "items": "number"},
            "list_date": {"type": "list", "items": "date"}, "string": {"type": "string"},
            "list_string": {"type": "list", "items": "string"}}
    steps += [("PUT", f"/v1/attributes/{a}", decl[t], None) for a, t in ATTRS.items()]
    steps.append(("PUT", "/v1/event-types/quiz", {"properties": {
        "score": "integer", "ratio": "number", "passed": "boolean", "answer": "string"}}, None))
    for name, purpose, extra in [("pd", "pd_processing", {}),
                                 ("pd-short", "pd_processing", {"term_days": 30}),
                                 ("pd-re", "pd_processing", {}), ("ads", "ads", {}),
                                 ("third", "third_party_transfer", {}),
                                 ("dist", "distribution", {})]:
        steps.append(("PUT", f"/v1/consent-documents/{name}",
                      dict({"purpose": purpose, "title": name, "body": "Текст."}, **extra), None))
    topics = {"news": ["email", "sms"], "promo": ["sms", "push", "email"],
              "seg-promo": ["email", "push"]}
    steps += [("PUT", f"/v1/topics/{t}", {"title": t, "channels": ch}, None)
              for t, ch in topics.items()]
    steps += [customer(r, i) for i in range(CUSTOMERS)]
    for i in range(CUSTOMERS):
        steps += consents(r, i) + subscriptions(r, i, topics) + purchases(r, i)
        if r.random() < 0.4:
            steps.append(("POST", f"/v1/customers/@c{i}/points/adjustments",
                          {"points": r.randint(-50, 2000), "reason": "diff"}, None))
    steps += events(r)
    # A new version asking for consent again: grants to the first are outdated.
    steps.append(("PUT", "/v1/consent-documents/pd-re", {"purpose": "pd_processing",
                  "title": "pd-re 2", "body": "Новый текст.", "reconsent": True}, None))
    others = r.sample(range(CUSTOMERS), 16)
    for a, b in zip(others[0:12:2], others[1:12:2]):
        steps.append(("POST", f"/v1/customers/@c{a}/merge", {"from": f"@c{b}"}, None))
    for k in others[12:14]:
        steps.append(("POST", f"/v1/customers/@c{k}/erase", {}, None))
    for k in others[14:16]:
        steps.append(("POST", "/v1/privacy-requests", {"kind": "rectification",
                      "channel": "letter", "customer_id": f"@c{k}"}, f"r{k}"))
        steps.append(("POST", f"/v1/customers/@c{k}/block", {"reason": "accuracy_disputed",
                      "privacy_request_id": f"@r{k}"}, None))
    steps += [("PUT", "/v1/traits/has_baby",
               {"expression": 'bought(category "Подгузники", last 90 days)'}, None),
              ("PUT", "/v1/traits/big_spender", {"expression": "purchases().sum > 5000"}, None),
              ("POST", "/v1/traits/rfm", None, None), ("POST", "/v1/clusters", {"k": 3}, None),
              ("POST", "/v1/traits/refresh", None, None)]
    for name, q in [("vip", "purchases().count >= 3"), ("Москвичи", 'city = "Москва"'),
                    ("dormant", "days since last purchase > 180 or not purchases().count > 0")]:
        steps.append(("POST", "/v1/segments", {"name": name, "query": q}, None))
    return steps


FIRST = ["Анна", "Мария", "Олег", "Иван", "Ёжик", "Alex", "Пётр", "Юлия"]


def customer(r, i):
    prof = {}
    if r.random() < 0.85:
        prof["phone"] = f"+7999016{i:04d}"
    if r.random() < 0.5:
        prof["email"] = f"diff{i}@example.ru"
    if r.random() < 0.7:
        prof["first_name"] = r.choice(FIRST)
    if r.random() < 0.1:
        prof["address"] = f"г. Тестов, ул. Проверочная, д. {i}"
    if r.random() < 0.85:
        prof["gender"] = r.choice(VOCAB["genders"])
    if r.random() < 0.85:
        prof["birth_date"] = birth_date(r)
    if r.random() < 0.8:
        prof["city"] = r.choice(VOCAB["cities"])
    body = {"source": {"channel": "pos", "store": "S1"}, "profile": prof,
            "identifiers": {"external": {"diff": f"d{i}"}}, "attributes": attributes(r)}
    if "phone" in prof and r.random() < 0.4:
        body["verified"] = ["phone"]
    return ("POST", "/v1/customers", body, f"c{i}")


def birth_date(r):
    roll = r.random()
    if roll < 0.15:  # about a birthday or an age's edge: today's month and day, a year apart
        d = NOW.date() + datetime.timedelta(days=r.randint(-2, 20))
        return f"{r.randint(1950, 2008)}-{d.month:02d}-{d.day:02d}"
    if roll < 0.2:
        return r.choice(["1992-02-29", "2000-02-29", "1996-06-15", "1996-06-16", "1996-06-14"])
    return f"{r.randint(1940, 2012)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"


def attributes(r):
    out = {}
    pick = lambda p: r.random() < p  # noqa: E731
    if pick(0.6):
        out["level"] = r.choice([0, 1, 2, 3, 4, 5, 2.5, -1, 1000])
    if pick(0.5):
        out["vip"] = r.random() < 0.5
    if pick(0.5):
        out["size"] = r.choice(VOCAB["attr_enum"])
    if pick(0.3):
        out["contract_until"] = f"{r.randint(2020, 2030)}-{r.randint(1, 12):02d}-01"
    if pick(0.5):
        out["pets"] = r.sample(VOCAB["attr_pets"], r.randint(0, 3))
    if pick(0.3):
        out["kids_years"] = r.sample(range(2008, 2026), r.randint(1, 3))
    if pick(0.2):
        out["visits"] = [f"2026-0{r.randint(1, 6)}-1{r.randint(0, 9)}"]
    if pick(0.2):
        out["nickname"] = r.choice(["Котик", "boss"])
    if pick(0.1):
        out["notes"] = ["позвонить"]
    return out


def consents(r, i):
    grant = lambda purpose, doc, **kw: dict({"purpose": purpose, "document": doc,  # noqa: E731
                                             "granted": True,
                                             "evidence": {"paper_form": f"P-{i}"}}, **kw)
    cs = []
    if r.random() < 0.6:
        doc = r.choice(["pd", "pd", "pd-short", "pd-re"])
        cs.append(grant("pd_processing", doc, at=ago(r.choice([40, 10, 0]), 3600))
                  if doc == "pd-short" else grant("pd_processing", doc))
    cs += [grant("ads", "ads", channel=ch) for ch in segment_gen.CHANNELS if r.random() < 0.3]
    cs += [grant(p, d) for p, d in [("third_party_transfer", "third"), ("distribution", "dist")]
           if r.random() < 0.2]
    steps = []
    if cs:
        steps.append(("POST", f"/v1/customers/@c{i}/consents",
                      {"source": {"channel": "pos", "store": "S1"}, "consents": cs}, None))
    back = [{"purpose": c["purpose"], "granted": False, **({"channel": c["channel"]}
             if "channel" in c else {})} for c in cs if r.random() < 0.2]
    if back:
        steps.append(("POST", f"/v1/customers/@c{i}/consents",
                      {"source": {"channel": "pos", "store": "S1"}, "consents": back}, None))
    return steps


def subscriptions(r, i, topics):
    steps = []
    for _ in range(r.choice([0, 0, 1, 2, 3])):
        t = r.choice(list(topics))
        ch = r.choice(segment_gen.CHANNELS[:3])
        steps.append(("POST", f"/v1/customers/@c{i}/subscriptions",
                      {"topic": t, "channel": ch, "subscribed": r.random() < 0.8}, None))
    return steps


def purchases(r, i):
    steps = []
    for k in range(r.choice([0, 0, 1, 1, 2, 3, 4, 6])):
        lines = []
        for _ in range(r.randint(1, 3)):
            qty, price = r.randint(1, 3), r.choice([990, 15000, 99000, 250050, 500000])
            line = {"sku": r.choice(VOCAB["skus"]), "quantity": qty, "price": price,
                    "amount": qty * price}
            if r.random() < 0.8:
                line["category"] = r.choice(VOCAB["categories"])
            lines.append(line)
        at = ago(r.randint(0, 500), r.randint(0, 86399))
        steps.append(("POST", "/v1/purchases", {"store": "S1", "receipt": f"R{i}-{k}", "at": at,
                                                "customer": {"id": f"@c{i}"}, "lines": lines},
                      f"p{i}-{k}"))
        if r.random() < 0.08:
            steps.append(("POST", f"/v1/purchases/@p{i}-{k}/refunds", {
                "refund": f"F{i}-{k}", "at": iso(NOW),
                "lines": [{"line": 1, "quantity": 1}]}, None))
    return steps


def events(r):
    batch = []
    for i in range(CUSTOMERS):
        for _ in range(r.choice([0, 1, 2, 4, 8, 12])):
            t = r.choice(list(EVENT_PROPS))
            props = {}
            for p, kind in EVENT_PROPS[t].items():
                if r.random() < 0.8 or p in ("url", "sku", "quantity", "price", "network",
                                             "query", "rating"):
                    props[p] = event_value(r, t, p, kind)
            ch = {"email_open": "email", "social_share": "social"}.get(t, "web")
            batch.append({"type": t, "channel": ch, "at": ago(r.randint(0, 400),
                          r.randint(0, 86399)), "customer": {"id": f"@c{i}"},
                          "properties": props})
    return [("POST", "/v1/events/batch", {"events": batch[k:k + 500]}, None)
            for k in range(0, len(batch), 500)]


def event_value(r, t, p, kind):
    if p == "rating":
        return r.randint(1, 5)
    if p == "ratio":
        return r.choice([0.5, 1, 2.0, 3])
    if kind == "int":
        return r.choice([1, 2, 3, 990, 15000]) if p != "quantity" else r.randint(1, 3)
    if kind == "bool":
        return r.random() < 0.5
    return r.choice(VOCAB[kind])


def fill(v, ids):
    """The plan's value with "@c12" and the like put as the server's ids."""
    if isinstance(v, dict):
        return {k: fill(x, ids) for k, x in v.items()}
    if isinstance(v, list):
        return [fill(x, ids) for x in v]
    if isinstance(v, str):
        return re.sub(r"@([cpr][\d-]+)", lambda m: ids[m.group(1)], v)
    return v


def run_plan(server, steps):
    """Runs the plan on one server: its ids by the plan's names and what each step answered."""
    ids, answers = {}, []
    for method, path, body, keep in steps:
        res = server.request(method, fill(path, ids), json=fill(body, ids))
        reply = res.json() if res.headers.get("Content-Type", "").startswith(
            "application/json") else {}
        if keep and res.status_code in (200, 201):
            ids[keep] = reply["customer"]["id"] if keep[0] == "c" else reply["id"]
        code = reply.get("error", {}).get("code")
        if path == "/v1/events/batch":
            code = [e.get("code") for e in reply.get("results", [])]
        answers.append((method, path, res.status_code, code))
    return ids, answers


@pytest.fixture(scope="module")
def loaded(servers):
    steps = plan()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        (ids_l, ans_l), (ids_p, ans_p) = pool.map(lambda s: run_plan(s, steps), servers)
    for a, b in zip(ans_l, ans_p):
        assert a == b, f"the data went in differently (SQLite, PostgreSQL): {a} {b}"
    assert sum(1 for k in ids_l if k[0] == "c") == CUSTOMERS
    # customer ids -> the plan's numbers, per server
    who = [{v: int(k[1:]) for k, v in ids.items() if k[0] == "c"} for ids in (ids_l, ids_p)]
    return who


# -- the queries ------------------------------------------------------------------------------


def answer(server, who, q):
    """What the server says of the query: the status and error code, or the size and the first
    hundred members by the plan's numbers."""
    res = server.post("/v1/segments/preview", {"query": q, "sample": 100})
    out = res.json()
    if res.status_code != 200:
        return (res.status_code, out["error"]["code"])
    return (200, out["size"], [who[m] for m in out["sample"]])


def members(server, who, q, name):
    """The whole membership of the query saved as a segment, by the plan's numbers."""
    res = server.post("/v1/segments", {"name": name, "query": q})
    assert res.status_code == 201, res.text
    sid, got, cursor = res.json()["id"], [], None
    while True:
        page = server.get(f"/v1/segments/{sid}/members?limit=500" +
                          (f"&cursor={cursor}" if cursor else "")).json()
        got += [who[m["customer_id"]] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert server.delete(f"/v1/segments/{sid}").status_code in (200, 204)
    return sorted(got)


def queries():
    """(label, query): the fixed cases, the fuzzer's seeds, then N random ones."""
    out = [(f"fixed {k}", q) for k, q in enumerate(FIXED)]
    out += [(f"corpus {p.name}", p.read_text()) for p in sorted(CORPUS.glob("*.txt"))]
    return out + [(f"seed {SEED} query {i}", segment_gen.query(SEED, i)) for i in range(N)]


def test_both_backends_give_the_same_segments(servers, loaded):
    lite, pg = servers
    differ, found, refused = [], 0, 0
    for n, (label, q) in enumerate(queries()):
        a, b = answer(lite, loaded[0], q), answer(pg, loaded[1], q)
        if a[0] == 422 and a[1] == "syntax_error":
            assert not label.startswith("seed"), f"{label}: the generator made {q!r}"
        if a != b:
            differ.append(f"{label}: {q!r}\n  SQLite:     {a}\n  PostgreSQL: {b}")
            continue
        found += a[0] == 200 and a[1] > 0
        refused += a[0] != 200
        if a[0] == 200 and n % 25 == 0:
            ma = members(lite, loaded[0], q, f"diff-{n}")
            mb = members(pg, loaded[1], q, f"diff-{n}")
            if ma != mb or len(ma) != a[1]:
                differ.append(f"{label}: {q!r} (members)\n  SQLite:     {ma}\n"
                              f"  PostgreSQL: {mb}")
    print(f"seed {SEED}: {n + 1} queries, {found} found someone, {refused} refused alike")
    assert not differ, (f"{len(differ)} queries differ (KT_SEGMENT_SEED={SEED}):\n" +
                        "\n".join(differ[:40]))
    # The queries mean something: most find someone, some are refused (sealed fields).
    assert found > n // 3 and refused < n // 4


def test_yes_no_values_compare_with_true_and_false(servers, loaded):
    """`vip = true` finds exactly the customers whose yes/no attribute says yes, on both (it
    found nobody on either: a JSON yes/no was 1 to SQLite and of no type PostgreSQL compared with
    a text); an event's yes/no property likewise."""
    lite = servers[0]
    want = {"true": set(), "false": set()}
    for cid, n in loaded[0].items():
        r = lite.get(f"/v1/customers/{cid}")
        c = r.json()
        if r.status_code != 200 or c["id"] != cid or c.get("erased_at") or c.get("block"):
            continue  # merged away, erased or blocked: in no segment
        if isinstance(c["attributes"].get("vip"), bool):
            want["true" if c["attributes"]["vip"] else "false"].add(n)
    assert want["true"] and want["false"]
    for v in ("true", "false"):
        for s, who in zip(servers, loaded):
            got = answer(s, who, f"vip = {v}")
            assert got[:2] == (200, len(want[v])) and set(got[2]) <= want[v], (v, got)
            assert answer(s, who, f"events(quiz where passed = {v})")[1] > 0
