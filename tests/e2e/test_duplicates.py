"""The base's fuzzy duplicates (issue 17, docs/dedup.md): `kartoteka dedup run` queues the pairs
the matcher judges one person, GET /v1/duplicates shows them with their explanation, a merge or
a rejection decides a pair, a rejected pair (or one whose merge was taken back) is never proposed
again, and a new customer who may be someone already here is stored, answered with a
possible_duplicate warning and queued. The customers are synthetic: a few hundred people, some
typed twice with a slip (a surname's typo, a diminutive, a phone one digit off) and no shared
identifier, so only the fuzzy half can find them."""
import json
import random

import pytest

from conftest import Server, audit_entries

LAST = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
        "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
        "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
        "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв"]
MALE = ["Александр", "Алексей", "Дмитрий", "Сергей", "Андрей", "Михаил", "Иван", "Николай",
        "Павел", "Евгений"]
FEMALE = ["Наталья", "Елена", "Ольга", "Татьяна", "Ирина", "Светлана", "Мария", "Анна",
          "Екатерина", "Юлия"]
SHORT = {"Александр": "Саша", "Алексей": "Лёша", "Дмитрий": "Дима", "Сергей": "Серёжа",
         "Наталья": "Наташа", "Елена": "Лена", "Ольга": "Оля", "Татьяна": "Таня",
         "Мария": "Маша", "Екатерина": "Катя", "Михаил": "Миша", "Иван": "Ваня",
         "Николай": "Коля", "Павел": "Паша", "Евгений": "Женя", "Андрей": "Андрюша",
         "Ирина": "Ира", "Светлана": "Света", "Анна": "Аня", "Юлия": "Юля"}
PEOPLE, TWICE = 300, 30


def person(rng, i):
    female = rng.random() < 0.5
    last = rng.choice(LAST) + ("а" if female else "")
    first = rng.choice(FEMALE if female else MALE)
    return {"last_name": last, "first_name": first,
            "birth_date": f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-"
                          f"{rng.randint(1, 28):02d}",
            "phone": f"+7916{i:07d}", "email": f"p{i}@example.ru",
            "city": rng.choice(["Москва", "Тверь", "Казань", "Пермь"])}


def slip(rng, p, i):
    """The same person typed again elsewhere: a diminutive or a surname typo, another phone (one
    digit off) and no e-mail - nothing an identifier would match."""
    q = {"last_name": p["last_name"], "first_name": p["first_name"],
         "birth_date": p["birth_date"], "city": p["city"],
         "phone": p["phone"][:5] + "8" + p["phone"][6:]}  # one digit off, a number of its own
    if i % 2:
        q["first_name"] = SHORT[p["first_name"]]
    else:
        s = q["last_name"]
        q["last_name"] = s[:2] + s[3] + s[2] + s[4:]  # two letters swapped
    return q


def post(s, profile, channel="pos"):
    r = s.post("/v1/customers", {"source": {"channel": channel, "store": "S-1"},
                                 "profile": profile})
    assert r.status_code in (200, 201), r.text
    return r.json()


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("dup"))
    rng = random.Random(17)
    people, twins = [], {}
    for i in range(PEOPLE):
        p = person(rng, i)
        cid = post(s, p)["customer"]["id"]
        people.append((cid, p))
    for i in range(TWICE):
        cid, p = people[i * 7]
        twins[frozenset((cid, post(s, slip(rng, p, i), "pos")["customer"]["id"]))] = i
    yield s, people, twins
    s.stop()


def queue(s, state="open"):
    out, cursor = [], None
    while True:
        r = s.get(f"/v1/duplicates?state={state}&limit=20" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.text
        out += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out


def test_a_run_finds_the_slips_and_explains_them(base):
    s, people, twins = base
    out = json.loads(s.cli("dedup", "run", "--json").stdout)
    assert out["customers"] == PEOPLE + TWICE
    pairs = queue(s)
    found = {frozenset(p["customers"]) for p in pairs}
    true = found & set(twins)
    # recall and precision on the slips (a namesake born the same day would be a false pair)
    assert len(true) >= 0.8 * TWICE, (len(true), len(found))
    assert len(found - set(twins)) <= 2, found - set(twins)
    weights = [p["weight"] for p in pairs]
    assert weights == sorted(weights, reverse=True)
    p = pairs[0]
    fields = {e["field"]: e for e in p["explanation"]}
    assert fields["birth_date"]["level"] == "exact" and fields["birth_date"]["weight"] > 0
    assert {"last_name", "first_name", "phone"} <= set(fields)
    assert 0.9 <= p["probability"] <= 1 and p["source"] == "run" and p["state"] == "open"
    # the CLI shows the same queue
    lines = s.cli("dedup", "pairs", "--limit", "1000").stdout.splitlines()
    assert {json.loads(x)["id"] for x in lines} == {p["id"] for p in pairs}


def test_a_rejected_pair_is_never_proposed_again(base):
    s, _, _ = base
    pair = queue(s)[-1]
    r = s.post(f"/v1/duplicates/{pair['id']}/reject", {"note": "сёстры"})
    assert r.status_code == 200 and r.json()["state"] == "rejected", r.text
    r = s.post(f"/v1/duplicates/{pair['id']}/reject")
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_decided"
    s.cli("dedup", "run")
    assert pair["id"] not in {p["id"] for p in queue(s)}
    assert frozenset(pair["customers"]) not in {frozenset(p["customers"]) for p in queue(s)}
    assert pair["id"] in {p["id"] for p in queue(s, "rejected")}


def test_merge_a_pair_and_take_it_back(base):
    s, _, _ = base
    pair = queue(s)[0]
    a, b = pair["customers"]
    r = s.post(f"/v1/duplicates/{pair['id']}/merge", {"into": b})
    assert r.status_code == 200, r.text
    assert r.json()["customer"]["id"] == b and r.json()["customer"]["merged_from"] == [a]
    assert pair["id"] in {p["id"] for p in queue(s, "merged")}
    # taken back: two people, and the pair is not proposed again
    r = s.post(f"/v1/customers/{a}/unmerge")
    assert r.status_code == 200, r.text
    s.cli("dedup", "run")
    assert frozenset(pair["customers"]) not in {frozenset(p["customers"]) for p in queue(s)}
    assert pair["id"] in {p["id"] for p in queue(s, "rejected")}


def test_an_upsert_of_a_near_duplicate_is_stored_and_warned(base):
    s, people, _ = base
    cid, p = people[200]
    rng = random.Random(5)
    r = s.post("/v1/customers", {"source": {"channel": "pos", "store": "S-2"},
                                 "profile": slip(rng, p, 1)})
    assert r.status_code == 201, r.text  # stored, never merged silently
    new = r.json()["customer"]["id"]
    warn = [w for w in r.json()["warnings"] if w["code"] == "possible_duplicate"]
    assert len(warn) == 1 and warn[0]["customer_id"] == cid, r.json()["warnings"]
    queued = {p["id"]: p for p in queue(s)}
    assert warn[0]["duplicate_id"] in queued
    assert set(queued[warn[0]["duplicate_id"]]["customers"]) == {cid, new}
    assert queued[warn[0]["duplicate_id"]]["source"] == "upsert"
    # someone else entirely: no warning
    rng = random.Random(99)
    r = s.post("/v1/customers", {"source": {"channel": "pos", "store": "S-2"},
                                 "profile": person(rng, 9999)})
    assert r.status_code == 201
    assert not [w for w in r.json()["warnings"] if w["code"] == "possible_duplicate"]


def test_bad_requests(base):
    s, _, _ = base
    assert s.get("/v1/duplicates?state=maybe").status_code == 400
    assert s.get("/v1/duplicates?cursor=zzz").status_code == 400
    r = s.post("/v1/duplicates/dp_nothing/merge")
    assert r.status_code == 404 and r.json()["error"]["code"] == "duplicate_not_found"
    pair = queue(s)[0]
    r = s.post(f"/v1/duplicates/{pair['id']}/merge", {"into": "c_someoneelse0000000000"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_in_pair"
    r = s.post(f"/v1/duplicates/{pair['id']}/reject", {"why": "x"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "why"
    assert s.get("/v1/duplicates", key=s.new_key("pos")).status_code == 403
    r = s.cli("dedup", "pairs", "--state", "maybe", check=False)
    assert r.returncode == 2 and "--state" in r.stderr


def test_the_quality_report_counts_who_brings_them(base):
    s, _, _ = base
    fuzzy = s.get("/v1/reports/quality").json()["duplicates"]["fuzzy"]
    assert fuzzy["open_pairs"] == len(queue(s)) > 0
    # every slip was typed at a till (the newer record of each pair): of store S-1, and one at
    # S-2 by the upsert test
    assert {r["channel"]: r["pairs"] for r in fuzzy["by_channel"]} == {"pos": fuzzy["open_pairs"]}
    stores = {r["store"]: r["pairs"] for r in fuzzy["by_store"]}
    assert stores == {"S-1": fuzzy["open_pairs"] - 1, "S-2": 1}, stores


def test_the_automatic_merge_is_off_unless_asked_and_audited(base):
    s, _, _ = base
    before = queue(s)
    s.cli("dedup", "run")
    assert {p["id"] for p in queue(s)} == {p["id"] for p in before}  # nothing merged by itself
    sure = [p for p in before if p["probability"] >= 0.999]
    assert sure
    r = s.cli("dedup", "run", "--auto-merge", "0.999", "--json")
    out = json.loads(r.stdout)
    assert out["auto_merged"] == len(sure) and out["auto_skipped"] == 0, out
    left = {p["id"] for p in queue(s)}
    assert not left & {p["id"] for p in sure} and left == {p["id"] for p in before} - {
        p["id"] for p in sure}
    a, b = sure[0]["customers"]
    merged = s.get(f"/v1/customers/{a}").json()
    assert merged["merged_from"] == [b]
    actions = [e for e in audit_entries(s, customer_id=a) if e["action"] == "auto_merge"]
    assert len(actions) == 1 and sure[0]["id"] in actions[0]["detail"]
    # journalled like any merge: taken back
    assert s.post(f"/v1/customers/{b}/unmerge").status_code == 200
    r = s.cli("dedup", "run", "--auto-merge", "0.5", check=False)
    assert r.returncode == 2 and "--auto-merge" in r.stderr
