"""The questionnaire of the enrolment SMS (docs/pages.md, "The questionnaire"), driven through
its HTTP form as a browser posts it: the page names what the spend gate still needs; a form
without the consent tick, or with a bad date or e-mail, comes back with the message beside the
field and the other values kept, nothing stored; a replayed or foreign form token is refused
with a page; an altered or expired link is a clear page; completing it credits the welcome bonus
and unlocks spending at the till."""
import json
import re
import time
import urllib.parse

import requests

from conftest import phone, src

MILK = {"sku": "M-1", "category": "Молочное", "quantity": 1, "price": 10000, "amount": 10000}


def member(server):
    """A member of the programme known only by a verified phone (the till's enrolment)."""
    assert server.put("/v1/consent-documents/pd-q", {
        "purpose": "pd_processing", "title": "Согласие на обработку ПДн",
        "body": "Я согласен на обработку моих персональных данных."}).status_code in (200, 201)
    assert server.put("/v1/loyalty/program", {"bonuses": {"welcome": 150}}).status_code == 200
    p = phone()
    r = server.post("/v1/customers", {"source": src("pos"), "verified": ["phone"],
                                      "profile": {"phone": p}})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    r = server.post("/v1/pos/enroll", {"phone": p, "store": "S-1"})  # a card: a member
    assert r.status_code in (200, 201) and r.json()["card_issued"], r.text
    return cid, p


def link(server, cid):
    r = server.get(f"/v1/customers/{cid}/questionnaire-link")
    assert r.status_code == 200, r.text
    return r.json()["path"]


def page(server, path):
    r = requests.get(server.url + path, timeout=10, allow_redirects=False)
    return r


def token_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def post(server, path, fields):
    body = urllib.parse.urlencode(fields)
    return requests.post(server.url + path, data=body, timeout=10, allow_redirects=False,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_the_questionnaire_completes_the_profile(server):
    cid, p = member(server)
    # Before: the till may not let her spend - the gate lacks her name, birth date and consent.
    r = server.post("/v1/purchases", {"store": "S-1", "receipt": "Q-0", "lines": [MILK],
                                      "customer": {"phone": p}, "spend_points": 10,
                                      "spend_exact": True})
    assert r.status_code == 422 and r.json()["error"]["code"] == "profile_incomplete", r.text
    path = link(server, cid)
    r = page(server, path)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    html = r.text
    assert "Чтобы тратить баллы, осталось заполнить" in html
    for item in ("<li>имя</li>", "<li>дата рождения</li>",
                 "<li>согласие на обработку персональных данных</li>"):
        assert item in html, item
    assert "подтверждённый телефон" not in html  # hers is verified
    assert "Согласие на обработку ПДн" in html and "<script" not in html
    assert len(r.content) < 50 * 1024

    # No consent tick: the message beside the box, the values kept, nothing stored.
    fields = {"csrf": token_of(html), "website": "", "first_name": "Анна",
              "last_name": "Петрова", "birth_date": "1991-03-08", "email": "anna@example.org"}
    r = post(server, path, fields)
    assert r.status_code == 422, r.text
    assert 'id="pd_consent-error"' in r.text and "Без согласия" in r.text
    assert 'value="Анна"' in r.text and 'value="anna@example.org"' in r.text
    assert "first_name" not in server.get(f"/v1/customers/{cid}").json()["profile"]

    # A bad date and a bad e-mail: the field's message in Russian, nothing stored.
    for name, value, words in [("birth_date", "2091-03-08", "дату рождения"),
                               ("email", "anna@@example", "электронной почты")]:
        bad = dict(fields, csrf=token_of(r.text), pd_consent="1", **{name: value})
        r = post(server, path, bad)
        assert r.status_code == 422, r.text
        assert f'id="{name}-error"' in r.text and words in r.text, r.text
        assert 'aria-invalid="true"' in r.text
    assert "first_name" not in server.get(f"/v1/customers/{cid}").json()["profile"]

    # Complete: stored through the API's path, the welcome bonus credited, spending unlocked.
    good = dict(fields, csrf=token_of(r.text), pd_consent="1")
    r = post(server, path, good)
    assert r.status_code == 302 and r.headers["Location"] == path + "?done=1", r.text
    done = page(server, r.headers["Location"])
    assert "Готово: анкета заполнена, баллы можно тратить." in done.text
    prof = server.get(f"/v1/customers/{cid}").json()["profile"]
    assert (prof["first_name"], prof["last_name"], prof["birth_date"], prof["email"]) == \
        ("Анна", "Петрова", "1991-03-08", "anna@example.org")
    consents = server.get(f"/v1/customers/{cid}/consents").json()["items"]
    pd = next(c for c in consents if c["purpose"] == "pd_processing")
    assert pd["state"] == "given"
    # The same form again: its token is spent.
    r = post(server, path, good)
    assert r.status_code == 403 and "Форма устарела" in r.text
    # The welcome bonus of a complete profile is hers, and the till lets her spend.
    assert server.get(f"/v1/customers/{cid}/points").json()["available"] == 150
    r = server.post("/v1/purchases", {"store": "S-1", "receipt": "Q-1", "lines": [MILK],
                                      "customer": {"phone": p}, "spend_points": 10,
                                      "spend_exact": True})
    assert r.status_code == 201, r.text
    assert r.json()["points"]["spent"] == 10


def test_a_bad_link_or_form_changes_nothing(server):
    cid, _ = member(server)
    path = link(server, cid)
    for bad in (path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"), "/q/nothing"):
        r = page(server, bad)
        assert r.status_code == 404 and "Ссылка недействительна" in r.text
        r = post(server, bad, {"first_name": "Ева"})
        assert r.status_code == 404 and "Ссылка недействительна" in r.text
    # A form without a token, with a made-up one, with a body no browser sends.
    for fields in ({"first_name": "Ева", "pd_consent": "1"},
                   {"csrf": "forged", "first_name": "Ева", "pd_consent": "1"}):
        r = post(server, path, fields)
        assert r.status_code == 403 and "Форма устарела" in r.text
    r = requests.post(server.url + path, data="first_name=%ZZ", timeout=10,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_form"
    assert "first_name" not in server.get(f"/v1/customers/{cid}").json()["profile"]


def test_the_tills_sms_carries_the_link(start_server, tmp_path):
    """An enrolment by phone alone: the code's SMS (the development sink) carries the customer's
    questionnaire link when --sms-text asks for {{link}}, and the link opens her page."""
    sink = tmp_path / "sms.jsonl"
    s = start_server(["--sms-sink", str(sink),
                      "--sms-text", "Код {{code}}. Карта {{card}}. Анкета: {{link}}"])
    assert s.put("/v1/privacy/settings", {"public_url": s.url}).status_code == 200
    p = phone()
    r = s.post("/v1/pos/enroll", {"phone": p, "store": "S-1"})
    assert r.status_code == 201, r.text
    assert r.json()["sms"]["queued"], r.text
    line = None
    for _ in range(100):
        if sink.exists() and sink.read_text().strip():
            line = json.loads(sink.read_text().splitlines()[-1])
            break
        time.sleep(0.05)
    assert line is not None, "no SMS reached the sink"
    url = re.search(r"Анкета: (\S+)", line["text"]).group(1)
    assert url.startswith(s.url + "/q/"), url
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "Анкета участника" in page.text
    assert "<li>подтверждённый телефон</li>" in page.text  # not verified yet: the code is next
