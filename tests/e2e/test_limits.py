"""OTP and enrolment limits (issue 11, item 10): every 429 carries Retry-After, and enrolments -
a customer created or a card issued at the cash desk - are limited per API key and per store, so
that a leaked cash-desk key cannot fill the base; the defaults leave a busy till alone."""

from conftest import phone


def enrol(s, p=None, key="admin", **kw):
    return s.post("/v1/pos/enroll", dict({"phone": p or phone(), "send_code": False}, **kw),
                  key=key)


def customers(s):
    return s.rows("SELECT count(*) FROM customers")[0][0]


def test_a_locked_code_says_when_to_come_back(start_server):
    s = start_server()
    p = phone()
    assert enrol(s, p, send_code=True).status_code == 201
    for i in range(5):
        r = s.post("/v1/pos/verify", {"phone": p, "code": f"99999{i}"})
        assert r.json()["error"]["code"] == "code_wrong"
    r = s.post("/v1/pos/verify", {"phone": p, "code": "999999"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "code_attempts_exceeded"
    # Locked for the rest of the code's five minutes; a new code may be asked at once.
    assert 1 <= int(r.headers["Retry-After"]) <= 300, r.headers
    assert s.post("/v1/pos/otp", {"phone": p}).status_code == 202


def test_enrolments_are_limited_per_store_and_per_key(start_server):
    s = start_server(["--settable-clock", "--enrol-per-store", "3", "--enrol-per-key", "5"])
    assert s.put("/v1/system/clock", {"now": "2026-11-24T10:00:00Z"}).status_code == 200
    known = phone()
    for i in range(3):
        r = enrol(s, known if i == 0 else None, store="S-1")
        assert r.status_code == 201, r.text
    before = customers(s)
    refused = phone()
    r = enrol(s, refused, store="S-1")
    assert r.status_code == 429, r.text
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == ("enrol_rate_limited",
                                                                       "store")
    assert r.headers["Retry-After"] == "3600"  # the clock stands still: the whole hour
    assert customers(s) == before  # nothing written
    assert s.get("/v1/customers", params={"phone": refused}).json()["items"] == []
    # A customer who has a card is found, not enrolled again: not counted, not refused.
    r = enrol(s, known, store="S-1")
    assert r.status_code == 200 and not r.json()["card_issued"]
    # Another store goes on until the key's limit; a till that names no store too.
    assert enrol(s, store="S-2").status_code == 201
    assert enrol(s).status_code == 201
    r = enrol(s, store="S-3")
    assert r.status_code == 429 and r.json()["error"]["code"] == "enrol_rate_limited"
    assert "field" not in r.json()["error"] and r.headers["Retry-After"] == "3600"
    # Another key has its own count; the store's is shared by every key.
    pos = s.new_key("pos")
    assert enrol(s, key=pos, store="S-3").status_code == 201
    r = enrol(s, key=pos, store="S-1")
    assert r.status_code == 429 and r.json()["error"]["field"] == "store"
    # Half an hour later the wait is half an hour; after the hour the first ones have left it.
    s.put("/v1/system/clock", {"now": "2026-11-24T10:30:00Z"})
    assert enrol(s, store="S-1").headers["Retry-After"] == "1800"
    s.put("/v1/system/clock", {"now": "2026-11-24T11:00:00Z"})
    assert enrol(s, store="S-1").status_code == 201


def test_the_defaults_stop_a_script_and_leave_a_till_alone(start_server):
    s = start_server()
    # A busy till: two hundred customers in an hour at one store, all enrolled.
    for i in range(200):
        r = enrol(s, store="S-busy")
        assert r.status_code == 201, (i, r.text)
    # A script that goes on is stopped, with a wait.
    r = enrol(s, store="S-busy")
    assert r.status_code == 429 and r.json()["error"]["code"] == "enrol_rate_limited"
    assert int(r.headers["Retry-After"]) > 0
    # Varying the store does not help past the key's limit (1,000 an hour).
    for i in range(800):
        r = enrol(s, store=f"S-{i}")
        assert r.status_code == 201, (i, r.text)
    r = enrol(s, store="S-new")
    assert r.status_code == 429 and "field" not in r.json()["error"]


def test_the_limits_are_flags_and_environment(start_server):
    s = start_server(env={"KARTOTEKA_ENROL_PER_KEY": "1"})
    assert enrol(s).status_code == 201
    assert enrol(s).status_code == 429
    s2 = start_server(["--enrol-per-key", "0"], env={"KARTOTEKA_ENROL_PER_KEY": "1"}, sub="s2")
    assert all(enrol(s2).status_code == 201 for _ in range(3))  # the flag wins; 0 = no limit
    help_text = s2.cli("serve", "--help").stdout
    assert "KARTOTEKA_ENROL_PER_KEY" in help_text and "KARTOTEKA_ENROL_PER_STORE" in help_text
    r = s2.cli("serve", "--enrol-per-store", "-1", check=False)
    assert r.returncode == 2 and "--enrol-per-store" in r.stderr


def test_a_replacement_card_counts_against_the_key(start_server):
    s = start_server(["--enrol-per-key", "2"])
    card = enrol(s).json()["card"]["number"]
    r = s.post(f"/v1/cards/{card}/replace", {"reason": "lost"})
    assert r.status_code == 200, r.text
    r = s.post(f"/v1/cards/{r.json()['card']['number']}/replace", {"reason": "lost again"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "enrol_rate_limited"
    assert int(r.headers["Retry-After"]) > 0
    assert s.get(f"/v1/cards/{card}").json()["state"] == "replaced"  # the first one stands
