"""Every value is standardised on the way in, and the API says what was changed or suspected."""
import pytest

from conftest import phone, src

pytestmark = pytest.mark.usefixtures("pending_policy")


def test_clean_endpoint_describes_without_storing(server):
    before = server.counts()
    r = server.post("/v1/clean", {"phone": "8 (916) 123-45-67", "email": "Ivan@Mail.RI",
                                  "full_name": "иванов иван иванович", "birth_date": "24.03.1985",
                                  "city": "мск", "gender": "Ж"})
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert res["phone"] == {"verdict": "corrected", "value": "+79161234567",
                            "change": "trunk_prefix_8", "type": "mobile", "country": "RU"}
    assert res["email"]["value"] == "ivan@mail.ru" and res["email"]["change"] == "domain_typo"
    assert (res["full_name"]["last_name"], res["full_name"]["first_name"],
            res["full_name"]["middle_name"]) == ("Иванов", "Иван", "Иванович")
    assert res["full_name"]["gender"] == "m" and res["full_name"]["gender_from"] == "patronymic"
    assert res["birth_date"]["value"] == "1985-03-24"
    assert res["city"]["value"] == "Москва"
    assert res["gender"]["value"] == "f"
    assert server.counts() == before
    collect = server.new_key("collect")
    r = server.post("/v1/clean", {"phone": "+7 999 999-99-99"}, key=collect)
    assert r.json()["results"]["phone"]["reason"] == "repeated_digits"
    r = server.post("/v1/clean", {"shoe_size": "42"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "shoe_size"


def test_upsert_reports_corrections_and_suspicions(server):
    p = phone()
    digits = p[2:]
    r = server.post("/v1/customers", {
        "source": src(),
        "profile": {"phone": f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}",
                    "full_name": "ПЕТРОВА анна сергеевна", "email": f"info@shop{digits}.ru",
                    "birth_date": "24 марта 1985", "city": "г. Москва"}})
    assert r.status_code == 201, r.text
    body = r.json()
    cust = body["customer"]
    assert cust["profile"] == {"last_name": "Петрова", "first_name": "Анна",
                               "middle_name": "Сергеевна", "gender": "f",
                               "birth_date": "1985-03-24", "email": f"info@shop{digits}.ru",
                               "phone": p, "city": "Москва"}
    assert cust["quality"]["phone"] == "corrected"
    assert cust["quality"]["email"] == "suspicious"
    assert cust["quality"]["city"] == "corrected"
    assert cust["gender_inferred"] is True
    warnings = {(w["code"], w["field"]): w.get("detail") for w in body["warnings"]}
    assert warnings[("corrected", "profile.phone")] == "trunk_prefix_8"
    assert warnings[("suspicious", "profile.email")] == "role_address"
    assert warnings[("corrected", "profile.birth_date")] == "date_format"
    assert warnings[("inferred", "profile.gender")] == "patronymic"
    # A stated gender replaces an inferred one at once; an inferred one never replaces a stated.
    r = server.post("/v1/customers", {"source": src("web"), "profile": {"phone": p, "gender": "m"}})
    assert r.json()["customer"]["profile"]["gender"] == "m"
    assert "gender_inferred" not in r.json()["customer"]
    r = server.post("/v1/customers", {"source": src("web"),
                                      "profile": {"phone": p, "first_name": "Анна"}})
    assert r.json()["customer"]["profile"]["gender"] == "m"


def test_invalid_values_are_refused_with_the_reason(server):
    cases = [({"phone": phone(), "birth_date": "2020-01-01"}, "invalid_date", "profile.birth_date"),
             ({"phone": phone(), "first_name": "Ив4н"}, "invalid_name", "profile.first_name"),
             ({"phone": phone(), "full_name": "Иванов Иван", "last_name": "Иванов"},
              "ambiguous_name", "profile.full_name"),
             ({"email": "ivan@b.test"}, "invalid_email", "profile.email")]
    for profile, code, field in cases:
        r = server.post("/v1/customers", {"source": src(), "profile": profile})
        assert r.status_code == 422, r.text
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field)
        assert "under_14" in r.json()["error"]["message"] or code != "invalid_date"
