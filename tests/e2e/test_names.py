"""Full names on the way in (issue 21): a standard name is `ok` and raises no warning, a tidied
one says what changed, junk is flagged or refused with its reason, the import of an Excel or 1C
export stores its rows, and the quality report counts a clean base as mostly ok."""
import csv
import io

import pytest

from conftest import phone, src

pytestmark = pytest.mark.usefixtures("pending_policy")


def name_warnings(body):
    return [(w["code"], w.get("detail")) for w in body.get("warnings", [])
            if w["field"] == "profile.full_name"]


def test_a_standard_name_is_ok_and_raises_no_warning(server):
    res = server.post("/v1/clean", {"full_name": "Иванов Иван Иванович"}).json()["results"]
    assert res["full_name"]["verdict"] == "ok" and "change" not in res["full_name"]
    r = server.post("/v1/customers", {"source": src(), "profile": {
        "phone": phone(), "full_name": "Саакян Гаяне Ашотовна"}})
    assert r.status_code == 201, r.text
    body = r.json()
    assert name_warnings(body) == []
    cust = body["customer"]
    assert (cust["profile"]["last_name"], cust["profile"]["first_name"],
            cust["profile"]["middle_name"]) == ("Саакян", "Гаяне", "Ашотовна")
    assert [cust["quality"][f] for f in ("last_name", "first_name", "middle_name")] == ["ok"] * 3
    assert cust["profile"]["gender"] == "f"


def test_order_punctuation_and_gender_are_fixed_and_said(server):
    r = server.post("/v1/customers", {"source": src(), "profile": {
        "phone": phone(), "full_name": "Иванова - Петрова, Анна Сергеевна."}})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["customer"]["profile"]["last_name"] == "Иванова-Петрова"
    assert name_warnings(body) == [("corrected", "punctuation")]
    assert body["customer"]["quality"]["last_name"] == "corrected"
    r = server.post("/v1/customers", {"source": src(), "profile": {
        "phone": phone(), "full_name": "Анна Кузьмич"}})
    cust = r.json()["customer"]
    assert (cust["profile"]["last_name"], cust["profile"]["first_name"]) == ("Кузьмич", "Анна")
    assert cust["profile"]["gender"] == "f" and cust["gender_inferred"] is True
    res = server.post("/v1/clean", {"full_name": "Ким Саша"}).json()["results"]["full_name"]
    assert res["verdict"] == "ok" and "gender" not in res  # cannot be told


def test_junk_is_flagged_or_refused_never_title_cased(server):
    res = server.post("/v1/clean", {"full_name": "qwerty"}).json()["results"]["full_name"]
    assert (res["verdict"], res["value"], res["reason"]) == ("suspicious", "qwerty",
                                                             "keyboard_mash")
    r = server.post("/v1/customers", {"source": src(), "profile": {
        "phone": phone(), "full_name": "Покупатель"}})
    assert r.status_code == 201, r.text
    assert name_warnings(r.json()) == [("suspicious", "placeholder_name")]
    r = server.post("/v1/customers", {"source": src(), "profile": {
        "phone": phone(), "full_name": "не указано"}})
    assert r.status_code == 422 and r.json()["error"]["field"] == "profile.full_name"
    assert "no_name" in r.json()["error"]["message"]


def test_an_export_with_such_names_imports_with_its_rows_stored(server, tmp_path):
    names = ["Иванов Иван Иванович", "Иванов, Иван Иванович.", "Петрова - Сидорова Анна",
             "ИВАНОВ ИВАН ИВАНОВИЧ", "Иванов И.И.", "фон Мекк Надежда Филаретовна",
             "Каримов Рустам Шавкат угли", "Анна Кузьмич", "null", "-", "Клиент",
             "ИвановИванИванович", "Иванова (Петрова) Анна"]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["Телефон", "ФИО"])
    phones = [phone() for _ in names]
    for p, n in zip(phones, names):
        w.writerow([p, n])
    path = tmp_path / "export_1c.csv"
    path.write_bytes(buf.getvalue().encode("cp1251"))
    r = server.cli("import", "customers", str(path), check=False)
    assert r.returncode == 0, r.stderr
    # every row has a phone, so every row is stored; "null" and "-" only lose the name
    assert f"created {len(names)}," in r.stdout and "rejected 0" in r.stdout, r.stdout
    got = {}
    for p in phones:
        items = server.get("/v1/customers", params={"phone": p}).json()["items"]
        assert len(items) == 1, p
        got[p] = items[0]["profile"]
    assert got[phones[1]]["last_name"] == "Иванов" and got[phones[1]]["middle_name"] == "Иванович"
    assert got[phones[2]]["last_name"] == "Петрова-Сидорова"
    assert got[phones[4]]["first_name"] == "И."
    assert got[phones[5]]["last_name"] == "фон Мекк"
    assert got[phones[6]]["middle_name"] == "Шавкат угли"
    assert got[phones[7]]["gender"] == "f"
    assert "last_name" not in got[phones[8]] and "last_name" not in got[phones[9]]
    assert got[phones[12]]["last_name"] == "Иванова"


def test_the_quality_report_counts_a_clean_base_as_ok(server):
    before = server.get("/v1/reports/quality").json()["validity"]["last_name"]
    for n in ["Смирнов Алексей Петрович", "Гаспарян Тигран", "Беридзе Нино Гивиевна",
              "Ким Ольга Викторовна", "Юсупов Ильдар Фаритович"]:
        r = server.post("/v1/customers", {"source": src(), "profile": {
            "phone": phone(), "full_name": n}})
        assert r.status_code == 201, r.text
    after = server.get("/v1/reports/quality").json()["validity"]["last_name"]
    assert after["ok"] - before["ok"] == 5
    assert after["corrected"] == before["corrected"]
