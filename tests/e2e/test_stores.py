"""Stores and local time (docs/messages.md, "Local time"): a store's time zone is checked against
the tz database; a customer's zone is their home store's, else their city's, else the
installation's --time-zone."""
import subprocess

import pytest

from conftest import BIN, phone, src

pytestmark = pytest.mark.usefixtures("pending_policy")


def test_put_get_list_and_refusals(server):
    r = server.put("/v1/stores/VL-1", {"title": "Владивосток, Светланская",
                                       "city": "г. Владивосток", "time_zone": "Asia/Vladivostok"})
    assert r.status_code == 201, r.text
    s = r.json()
    assert (s["code"], s["city"], s["time_zone"]) == ("VL-1", "Владивосток", "Asia/Vladivostok")
    # replaced: 200, created_at kept
    r = server.put("/v1/stores/VL-1", {"title": "Владивосток-1", "time_zone": "Asia/Vladivostok"})
    assert r.status_code == 200 and r.json()["created_at"] == s["created_at"]
    assert r.json()["city"] is None
    # the zone may come from the city
    r = server.put("/v1/stores/KGD-1", {"city": "Калининград"})
    assert r.status_code == 201 and r.json()["time_zone"] == "Europe/Kaliningrad"
    assert server.get("/v1/stores/KGD-1").json()["time_zone"] == "Europe/Kaliningrad"

    for body, code, field in [
        ({"time_zone": "Mars/Olympus"}, "invalid_time_zone", "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "invalid_time_zone", "time_zone"),
        ({"time_zone": "right/UTC"}, "invalid_time_zone", "time_zone"),
        ({"time_zone": "MSK"}, "invalid_time_zone", "time_zone"),
        ({"title": "без зоны"}, "missing_field", "time_zone"),
        ({"city": "Нигдеград"}, "missing_field", "time_zone"),
        ({"time_zone": 3}, "wrong_type", "time_zone"),
        ({"zone": "Europe/Moscow"}, "unknown_field", "zone"),
    ]:
        r = server.put("/v1/stores/BAD", body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == code and r.json()["error"]["field"] == field, r.text
    assert server.get("/v1/stores/BAD").json()["error"]["code"] == "store_not_found"
    assert server.get("/v1/stores/BAD").status_code == 404

    # a list pages by code
    for i in range(3):
        assert server.put(f"/v1/stores/M-{i}", {"time_zone": "Europe/Moscow"}).status_code == 201
    first = server.get("/v1/stores?limit=2").json()
    assert [s["code"] for s in first["items"]] == ["KGD-1", "M-0"]
    rest = server.get(f"/v1/stores?limit=10&cursor={first['next_cursor']}").json()
    assert [s["code"] for s in rest["items"]] == ["M-1", "M-2", "VL-1"]
    assert rest["next_cursor"] is None
    # a pos key reads stores, only admin describes them
    pos = server.new_key("pos")
    assert server.get("/v1/stores", key=pos).status_code == 200
    assert server.put("/v1/stores/X", {"time_zone": "Europe/Moscow"}, key=pos).status_code == 403


def zone_of(server, cid):
    c = server.get(f"/v1/customers/{cid}").json()
    return c["time_zone"], c["time_zone_basis"]


def test_a_customer_s_zone_store_then_city_then_default(server):
    assert server.put("/v1/stores/NSK-7", {"city": "Новосибирск"}).status_code in (200, 201)
    # enrolled at a described store: its zone, whatever the city says
    r = server.post("/v1/customers", {"source": src(store="NSK-7"),
                                      "profile": {"phone": phone(), "city": "Москва"}})
    assert r.status_code == 201, r.text
    assert zone_of(server, r.json()["customer"]["id"]) == ("Asia/Novosibirsk", "store")
    # a store nobody described gives nothing: the city then
    r = server.post("/v1/customers", {"source": src(store="UNKNOWN-9"),
                                      "profile": {"phone": phone(), "city": "Петропавловск-Камчатский"}})
    assert zone_of(server, r.json()["customer"]["id"]) == ("Asia/Kamchatka", "city")
    r = server.post("/v1/customers", {"source": src("web"),
                                      "profile": {"phone": phone(), "city": "Барнаул"}})
    assert zone_of(server, r.json()["customer"]["id"]) == ("Asia/Barnaul", "city")
    # no store, no city on the list: the installation's zone
    r = server.post("/v1/customers", {"source": src("web"), "profile": {"phone": phone()}})
    assert zone_of(server, r.json()["customer"]["id"]) == ("Europe/Moscow", "default")


def test_the_installation_zone_flag(start_server):
    s = start_server(env={"KARTOTEKA_TIME_ZONE": "Asia/Yekaterinburg"})
    s.put("/v1/privacy/settings", {"consent_policy": "pending"})
    r = s.post("/v1/customers", {"source": src("web"), "profile": {"phone": phone()}})
    assert r.status_code == 201, r.text
    assert zone_of(s, r.json()["customer"]["id"]) == ("Asia/Yekaterinburg", "default")
    s.stop()
    bad = subprocess.run([BIN, "serve", "--db", s.db_arg, "--time-zone", "Mars/Olympus"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--time-zone" in bad.stderr
