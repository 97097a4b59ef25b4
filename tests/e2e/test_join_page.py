"""The join form of a join point and its tablet mode (docs/pages.md, "The join form", "The
tablet"), driven through its HTTP forms as a browser posts them, against the real binary with a
local SMS gateway (peers.Receiver): join -> code -> card; the consent box unticked, a bad phone,
e-mail or date -> the message beside the field, the values kept, nothing stored; a replayed or
foreign form token refused; an altered or expired code page's token -> a clear page; a wrong code
counted; an existing customer joining again keeps her card; a disabled join point; the customer
made has the join point's store and channel, the consents their evidence."""
import re
import urllib.parse

import pytest
import requests

from conftest import Server, phone
from peers import SmsGateway as Gateway


@pytest.fixture(scope="module")
def gw():
    s = Gateway.start(path="/sms")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, gw):
    s = Server(tmp_path_factory.mktemp("join"),
               ["--settable-clock", "--sms-url", gw.url, "--sms-backoff", "50",
                "--sms-text", "Код {{code}}"])
    assert s.put("/v1/privacy/settings", {"public_url": "https://shop.example"}).status_code == 200
    assert s.put("/v1/stores/MSK-7", {"title": "Магазин на Лесной",
                                      "city": "Москва"}).status_code in (200, 201)
    assert s.put("/v1/consent-documents/pd-join", {
        "purpose": "pd_processing", "title": "Согласие на обработку ПДн",
        "body": "Я согласен на обработку моих персональных данных."}).status_code in (200, 201)
    assert s.put("/v1/consent-documents/ads-join", {
        "purpose": "ads", "title": "Согласие на рекламу",
        "body": "Я согласен получать рекламу."}).status_code in (200, 201)
    assert s.put("/v1/attributes/pets", {"type": "list", "items": "enum", "title": "Питомцы",
                                         "values": ["cat", "dog"]}).status_code == 201
    assert s.put("/v1/attributes/children_ages", {"type": "list", "items": "number",
                                                  "title": "Возраст детей"}).status_code == 201
    assert s.put("/v1/attributes/car", {"type": "boolean",
                                        "title": "Есть машина"}).status_code == 201
    assert s.put("/v1/topics/promo", {"title": "Акции",
                                      "channels": ["sms", "email"]}).status_code in (200, 201)
    yield s
    s.stop()


def point(srv, spot="entrance", label=None):
    body = {"store": "MSK-7", "spot": spot}
    if label:
        body["label"] = label
    r = srv.post("/v1/join-points", body)
    assert r.status_code == 201, r.text
    return r.json()["code"]


def get(srv, path):
    return requests.get(srv.url + path, timeout=10, allow_redirects=False)


def post(srv, path, fields):
    return requests.post(srv.url + path, data=urllib.parse.urlencode(fields, doseq=True),
                         timeout=10, allow_redirects=False,
                         headers={"Content-Type": "application/x-www-form-urlencoded",
                                  "User-Agent": "test-browser/1.0"})


def token_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def form(html, p, **kw):
    f = {"csrf": token_of(html), "website": "", "phone": p, "first_name": "Анна",
         "last_name": "Петрова", "birth_date": "1991-03-08", "email": "anna@example.org",
         "gender": "f", "attr_pets": ["cat", "dog"], "attr_children_ages": "5, 9",
         "attr_car": "true", "topic": "promo", "ads_sms": "1", "pd_consent": "1"}
    f.update(kw)
    return {k: v for k, v in f.items() if v is not None}


def customer_of(srv, p):
    r = srv.get("/v1/customers?phone=" + urllib.parse.quote(p))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    return items[0] if items else None


def pending(srv):
    return srv.rows("SELECT count(*) FROM join_pending")[0][0]


def join(srv, gw, base, p, **kw):
    """The form sent, the code taken from the gateway: the code page's path and the code."""
    before = len(gw.to(p))
    r = get(srv, base)
    assert r.status_code == 200, r.text
    r = post(srv, base, form(r.text, p, **kw))
    assert r.status_code == 302, r.text
    confirm = r.headers["Location"]
    assert p not in confirm and p[1:] not in confirm  # no personal data in the URL
    return confirm, gw.code_to(p, before)


def test_join_code_card(srv, gw):
    code = point(srv)
    r = get(srv, f"/j/{code}")
    assert r.status_code == 200
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    html = r.text
    assert len(r.content) < 50 * 1024 and "<script" not in html
    for part in ('name="phone"', 'name="attr_pets"', 'value="cat"', 'name="attr_children_ages"',
                 'name="attr_car"', 'name="topic" value="promo"', 'name="ads_sms"',
                 'name="ads_email"', f'href="/j/{code}/doc?purpose=pd_processing"'):
        assert part in html, part
    assert "checked" not in html  # every consent box unticked
    doc = get(srv, f"/j/{code}/doc?purpose=pd_processing")
    assert doc.status_code == 200 and "Я согласен на обработку" in doc.text
    p = phone()
    confirm, sms = join(srv, gw, f"/j/{code}", p)
    assert pending(srv) >= 1
    # The phone's customer waits pending consent, nothing else of the form stored yet.
    c = customer_of(srv, p)
    assert "first_name" not in c["profile"] and "phone" not in c.get("verified", [])
    page = get(srv, confirm)
    assert page.status_code == 200 and 'name="code"' in page.text
    wrong = "000000" if sms != "000000" else "111111"
    r = post(srv, confirm, {"csrf": token_of(page.text), "code": wrong})
    assert r.status_code == 422 and 'id="code-error"' in r.text and "Осталось попыток: 4" in r.text
    r = post(srv, confirm, {"csrf": token_of(r.text), "code": sms})
    assert r.status_code == 302, r.text
    card_page = get(srv, r.headers["Location"])
    assert card_page.status_code == 200 and "<svg" in card_page.text
    number = re.search(r"<strong>(\d{13})</strong>", card_page.text).group(1)
    cid = customer_of(srv, p)["id"]
    cu = srv.get(f"/v1/customers/{cid}").json()
    assert cu["profile"]["first_name"] == "Анна" and cu["profile"]["email"] == "anna@example.org"
    assert "phone" in cu["verified"]
    assert sorted(cu["attributes"]["pets"]) == ["cat", "dog"]
    assert cu["attributes"]["children_ages"] == [5, 9] and cu["attributes"]["car"] is True
    cards = srv.get(f"/v1/customers/{cid}/cards").json()["items"]
    assert [c["number"] for c in cards if c["state"] == "active"] == [number]
    hist = srv.get(f"/v1/customers/{cid}/history").json()["items"]
    assert any(h["source"]["channel"] == "qr_form" and h["source"].get("store") == "MSK-7"
               for h in hist), hist
    cons = srv.get(f"/v1/customers/{cid}/consents").json()
    pd = next(c for c in cons["items"] if c["purpose"] == "pd_processing")
    assert pd["state"] == "given"
    ads = [c for c in cons["items"] if c["purpose"] == "ads"]
    assert [(c["channel"], c["state"]) for c in ads if c["state"] == "given"] == [("sms", "given")]
    ev = srv.get(f"/v1/customers/{cid}/consents/evidence").json()["events"]
    grant = next(e for e in ev if e["purpose"] == "pd_processing" and e["action"] == "grant")
    evidence = grant["evidence"]
    assert evidence["form_id"] == f"join:{code}" and evidence["ip"] == "127.0.0.1"
    assert evidence["user_agent"] == "test-browser/1.0" and evidence["otp_id"].startswith("o_")
    assert grant["document"]["sha256"]
    subs = srv.get(f"/v1/customers/{cid}/subscriptions").json()["items"]
    assert any(s["topic"] == "promo" and s["channel"] == "sms" and s["subscribed"] for s in subs)
    assert not any(s["topic"] == "promo" and s["channel"] == "email" and s["subscribed"]
                   for s in subs)
    # The code page is used up: its token names nothing now.
    assert get(srv, confirm).status_code == 404


def test_consent_unticked_and_bad_values_store_nothing(srv, gw):
    code = point(srv)
    p = phone()
    html = get(srv, f"/j/{code}").text
    r = post(srv, f"/j/{code}", form(html, p, pd_consent=None))
    assert r.status_code == 422
    assert 'id="pd_consent-error"' in r.text and "Без согласия" in r.text
    assert 'value="Анна"' in r.text and 'value="anna@example.org"' in r.text
    assert customer_of(srv, p) is None
    for name, value, words in [("phone", "12345", "номер телефона"),
                               ("email", "anna@@example", "электронной почты"),
                               ("birth_date", "2091-03-08", "дату рождения")]:
        r = post(srv, f"/j/{code}", form(r.text, p, **{name: value}))
        assert r.status_code == 422, r.text
        assert f'id="{name}-error"' in r.text and words in r.text
        assert f'aria-describedby="{name}-error"' in r.text and 'aria-invalid="true"' in r.text
        assert 'value="Петрова"' in r.text  # the other values kept
        assert f'value="{value}"' in r.text
    # Two bad values at once: both named.
    r = post(srv, f"/j/{code}", form(r.text, p, email="x@@y", birth_date="2091-01-01"))
    assert 'id="email-error"' in r.text and 'id="birth_date-error"' in r.text
    assert customer_of(srv, p) is None and gw.to(p) == []


def test_form_tokens_replayed_or_foreign_are_refused(srv, gw):
    code = point(srv)
    other = point(srv)
    p = phone()
    html = get(srv, f"/j/{code}").text
    f = form(html, p)
    assert post(srv, f"/j/{code}", f).status_code == 302
    r = post(srv, f"/j/{code}", f)  # replayed
    assert r.status_code == 403 and "Форма устарела" in r.text
    # another form's token (the code page's), or an altered one: refused, nothing held
    confirm = post(srv, f"/j/{code}", form(get(srv, f"/j/{code}").text, phone())).headers["Location"]
    foreign = token_of(get(srv, confirm).text)
    q = phone()
    held = pending(srv)
    for tok in (foreign, "x" + token_of(html)[1:]):
        r = post(srv, f"/j/{other}", form(html, q, csrf=tok))
        assert r.status_code == 403 and "Форма устарела" in r.text
    assert customer_of(srv, q) is None and pending(srv) == held
    # and the join form's token at the code page
    r = post(srv, confirm, {"csrf": token_of(get(srv, f"/j/{code}").text), "code": "123456"})
    assert r.status_code == 403


def test_altered_or_expired_confirm_token(srv, gw):
    code = point(srv)
    p = phone()
    confirm, sms = join(srv, gw, f"/j/{code}", p)
    tok = confirm.rsplit("/", 1)[1]
    altered = tok[:20] + ("A" if tok[20] != "A" else "B") + tok[21:]  # a byte of the sealed box
    r = get(srv, f"/j/{code}/confirm/{altered}")
    assert r.status_code == 404 and "Ссылка недействительна" in r.text and p not in r.text
    other = point(srv)
    assert get(srv, f"/j/{other}/confirm/{tok}").status_code == 404  # another point's
    # An hour later the held form is gone: a clear page, nothing stored.
    r = srv.put("/v1/system/clock", {"now": "2031-01-01T00:00:00Z"})  # long after
    assert r.status_code == 200, r.text
    page = get(srv, confirm)
    assert page.status_code == 404 and "Ссылка недействительна" in page.text
    assert "first_name" not in customer_of(srv, p)["profile"]


def test_existing_customer_joins_again(srv, gw):
    code = point(srv)
    p = phone()
    r = srv.post("/v1/pos/enroll", {"phone": p, "store": "MSK-7", "send_code": False})
    assert r.status_code == 201, r.text
    number = r.json()["card"]["number"]
    cid = r.json()["customer_id"]
    confirm, sms = join(srv, gw, f"/j/{code}", p, email="anna2@example.org")
    page = get(srv, confirm)
    r = post(srv, confirm, {"csrf": token_of(page.text), "code": sms})
    assert r.status_code == 302, r.text
    card_page = get(srv, r.headers["Location"])
    assert number in card_page.text
    assert customer_of(srv, p)["id"] == cid
    assert srv.get(f"/v1/customers/{cid}").json()["profile"]["email"] == "anna2@example.org"


def test_disabled_and_unknown_join_point(srv, gw):
    code = point(srv)
    assert srv.post(f"/v1/join-points/{code}/disable").status_code == 200
    r = get(srv, f"/j/{code}")
    assert r.status_code == 410 and "Запись здесь закрыта" in r.text and "<form" not in r.text
    r = get(srv, "/j/ZZZZZZZZ")
    assert r.status_code == 404 and "<form" not in r.text
    # a form opened before the point was disabled is refused when sent: nothing held
    other = point(srv)
    html = get(srv, f"/j/{other}").text
    held = pending(srv)
    assert srv.post(f"/v1/join-points/{other}/disable").status_code == 200
    q = phone()
    r = post(srv, f"/j/{other}", form(html, q))
    assert r.status_code == 410 and "<form" not in r.text
    assert customer_of(srv, q) is None and pending(srv) == held


def test_tablet_records_the_till_and_resets(srv, gw):
    code = point(srv, spot="till", label="Касса 2")
    r = get(srv, f"/t/{code}")
    assert r.status_code == 200
    assert re.search(r'<meta http-equiv="refresh" content="60;url=/t/' + code, 
                     r.text.replace("&#x2F;", "/").replace("&#x3D;", "="))
    for m in re.finditer(r"<input[^>]*>", r.text):
        assert 'autocomplete="off"' in m.group(0) or 'type="hidden"' in m.group(0), m.group(0)
    p = phone()
    confirm, sms = join(srv, gw, f"/t/{code}", p)
    page = get(srv, confirm)
    assert "refresh" in page.text
    r = post(srv, confirm, {"csrf": token_of(page.text), "code": sms})
    card = get(srv, r.headers["Location"])
    assert card.status_code == 200 and "<svg" in card.text
    assert f'href="/t/{code}"' in card.text.replace("&#x2F;", "/")
    cid = customer_of(srv, p)["id"]
    hist = srv.get(f"/v1/customers/{cid}/history").json()["items"]
    assert any(h["source"]["channel"] == "tablet" and h["source"].get("store") == "MSK-7"
               for h in hist), hist
    ev = srv.get(f"/v1/customers/{cid}/consents/evidence").json()["events"]
    assert any(e["evidence"].get("form_id") == f"tablet:{code}" for e in ev)
    # after the card: an empty form again
    again = get(srv, f"/t/{code}")
    assert 'value="Анна"' not in again.text


def test_limits_per_phone_and_join_point_stop_the_codes(tmp_path, gw):
    """SMS pumping: past --limit-phone one number gets no more codes, past --limit-join-point one
    join point takes no more forms; each refusal is the Russian 429 page with Retry-After, no SMS
    and no held form, and a refused submission counts nothing against the other limits."""
    s = Server(tmp_path, ["--sms-url", gw.url, "--sms-text", "Код {{code}}",
                          "--limit-phone", "2/10m", "--limit-join-point", "4/1h",
                          "--limit-addr", "off"])
    try:
        assert s.put("/v1/privacy/settings",
                     {"public_url": "https://shop.example"}).status_code == 200
        assert s.put("/v1/stores/MSK-7", {"title": "Магазин", "city": "Москва"}).status_code in (
            200, 201)
        assert s.put("/v1/consent-documents/pd-join", {
            "purpose": "pd_processing", "title": "Согласие",
            "body": "Я согласен на обработку моих персональных данных."}).status_code in (200, 201)
        code = point(s)
        base = f"/j/{code}"

        def send(p):
            return post(s, base, form(get(s, base).text, p, topic=None, ads_sms=None))

        p = phone()
        for _ in range(2):
            assert send(p).status_code == 302
        gw.code_to(p, 1)  # both codes came
        held, sent = pending(s), len(gw.to(p))
        r = send(p)
        assert r.status_code == 429, r.text
        assert int(r.headers["Retry-After"]) > 0
        assert '<html lang="ru">' in r.text and "Слишком много попыток" in r.text
        assert p not in r.text and pending(s) == held and len(gw.to(p)) <= sent
        # The phone's refusal counted nothing against the join point: two more numbers pass.
        for _ in range(2):
            assert send(phone()).status_code == 302
        other = phone()
        r = send(other)
        assert r.status_code == 429 and "Слишком много попыток" in r.text
        assert pending(s) == held + 2 and customer_of(s, other) is None
        # Another join point of the store still takes forms.
        other_base = f"/j/{point(s)}"
        r = post(s, other_base, form(get(s, other_base).text, phone(), topic=None, ads_sms=None))
        assert r.status_code == 302, r.text
    finally:
        s.stop()
