"""An Excel or 1C export with dates and cities the way they really come: every row is stored,
dates become ISO, cities one standard name; only junk is refused, and the quality report counts
it (issue 21)."""
import csv
import io

import pytest

pytestmark = pytest.mark.usefixtures("pending_policy")

# (birth date as exported, city as typed, stored birth date, stored city or None when refused)
ROWS = [
    ("24.03.1985 0:00:00", "г. Москва", "1985-03-24", "Москва"),
    ("1985-03-24T00:00:00", "Москва г", "1985-03-24", "Москва"),
    ("24 марта 1985 г.", "Ленинград", "1985-03-24", "Санкт-Петербург"),
    ("24.III.1985", "Новосибирк", "1985-03-24", "Новосибирск"),
    ("240385", "с. Дивеево", "1985-03-24", "Дивеево"),
    ("03/24/1985", "Подольск (Московская обл.)", "1985-03-24", "Подольск"),
    ("２４.０３.１９８５", "пгт Шушенское", "1985-03-24", "Шушенское"),
    ("31130", "Нур-Султан", "1985-03-24", "Астана"),
    ("24.03.1985 00:00", "-", "1985-03-24", None),
    ("1985-03-24 00:00:00.000", "не указан", "1985-03-24", None),
]


def test_an_export_imports_with_its_rows_stored(server, tmp_path):
    path = tmp_path / "export.csv"
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["Телефон", "Дата рождения", "Город"])
    for i, (born, city, _, _) in enumerate(ROWS):
        w.writerow([f"8 999 402-00-{i:02d}", born, city])
    path.write_bytes(buf.getvalue().encode("utf-8"))
    r = server.cli("import", "customers", str(path), check=False)
    assert r.returncode == 0, r.stderr
    # the two junk cities are refused on their own; no row is rejected
    assert "created 10, updated 0, unchanged 0, partial 2, rejected 0" in r.stdout, r.stdout
    for i, (born, city, want_date, want_city) in enumerate(ROWS):
        cust = server.get("/v1/customers", params={"phone": f"+7999402000{i}"}).json()["items"][0]
        assert cust["profile"]["birth_date"] == want_date, (born, cust["profile"])
        assert cust["profile"].get("city") == want_city, (city, cust["profile"])
        assert cust["quality"]["birth_date"] == "corrected"
    rep = server.get("/v1/reports/quality").json()
    assert rep["validity"]["city"]["refused"] >= 2
    assert rep["validity"]["birth_date"]["corrected"] >= 10


def test_the_clean_endpoint_says_what_it_did(server):
    r = server.post("/v1/clean", {"birth_date": "03/04/1985", "city": "Москва, Россия"})
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert res["birth_date"] == {"verdict": "suspicious", "value": "1985-04-03",
                                 "change": "date_format", "reason": "ambiguous_order"}
    assert res["city"] == {"verdict": "corrected", "value": "Москва", "change": "region_dropped"}
    r = server.post("/v1/clean", {"city": "н/д"})
    assert r.json()["results"]["city"] == {"verdict": "invalid", "reason": "placeholder"}
