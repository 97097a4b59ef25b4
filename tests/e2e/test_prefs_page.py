"""The customer's preferences and rights, the pages the unsubscribe link opens (docs/pages.md,
"Preferences and rights"), driven through their HTTP forms as a browser posts them: topics saved
per channel (only what she changed), unsubscribe from all (every topic, every channel, and each
channel's advertising consent withdrawn), "what we hold" built from the access document, an
erasure request with its legal deadline visible in the register, one open at a time; a replayed
form token refused; an altered link a clear page with no data; the audit log's rows."""
import re
import urllib.parse

import pytest
import requests

from conftest import phone, src

PD = "prefs-pd"


@pytest.fixture(scope="module", autouse=True)
def documents(server):
    assert server.put(f"/v1/consent-documents/{PD}", {
        "purpose": "pd_processing", "title": "Согласие на обработку ПДн",
        "body": "Я даю согласие на обработку персональных данных."}).status_code == 201
    for ch in ("sms", "email"):
        assert server.put(f"/v1/consent-documents/prefs-ads-{ch}", {
            "purpose": "ads", "title": f"Реклама ({ch})",
            "body": f"Согласие на рекламу ({ch})."}).status_code == 201
    assert server.put("/v1/topics/promo", {"title": "Акции",
                                           "channels": ["sms", "email"]}).status_code == 201
    assert server.put("/v1/topics/pets", {"title": "Для питомцев",
                                          "channels": ["email"]}).status_code == 201


def customer(server, ads=("sms", "email"), subscribe=(("promo", "email"), ("pets", "email"))):
    """A made-up customer who joined by the QR form with the pd and ads consents."""
    consents = [{"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
                 "evidence": {"form_id": "f-join", "ip": "192.0.2.10"}}]
    consents += [{"purpose": "ads", "channel": ch, "document": f"prefs-ads-{ch}",
                  "granted": True, "evidence": {"form_id": "f-join"}} for ch in ads]
    p = phone()
    r = server.post("/v1/customers", {"source": src("qr_form"), "consents": consents,
                                      "profile": {"phone": p, "first_name": "Вера",
                                                  "last_name": "Сидорова",
                                                  "email": f"vera{p[-7:]}@example.org"}})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    for topic, ch in subscribe:
        r = server.post(f"/v1/customers/{cid}/subscriptions",
                        {"topic": topic, "channel": ch, "subscribed": True})
        assert r.status_code == 200, r.text
    return cid, p


def link(server, cid, query=""):
    r = server.get(f"/v1/customers/{cid}/unsubscribe-link{query}")
    assert r.status_code == 200, r.text
    return r.json()["path"]


def get(server, path):
    return requests.get(server.url + path, timeout=10, allow_redirects=False)


def post(server, path, fields):
    body = urllib.parse.urlencode(fields, doseq=True)
    return requests.post(server.url + path, data=body, timeout=10, allow_redirects=False,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})


def forms(html):
    """Each form of a page: its hidden fields, and the boxes ticked as rendered."""
    out = []
    for f in re.findall(r"<form.*?</form>", html, re.S):
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', f))
        fields["s"] = re.findall(r'name="s" value="([^"]+)"[^>]*? checked', f)
        out.append(fields)
    return out


def subs(server, cid):
    items = server.get(f"/v1/customers/{cid}/subscriptions").json()["items"]
    return {(x["topic"], x["channel"]): x["subscribed"] for x in items}


def ads_state(server, cid, ch):
    items = server.get(f"/v1/customers/{cid}/consents").json()["items"]
    return next(c["state"] for c in items if c["purpose"] == "ads" and c.get("channel") == ch)


def test_topics_are_saved_per_channel_and_only_what_changed(server):
    cid, _ = customer(server)
    path = link(server, cid)
    r = get(server, path)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "<style" not in r.text and "<script" not in r.text and len(r.content) < 50 * 1024
    assert 'aria-label="Акции: SMS"' in r.text and 'aria-label="Для питомцев: Эл. почта"' in r.text
    save, everything = forms(r.text)
    assert save["action"] == "save" and everything["action"] == "all"
    assert sorted(save["s"]) == ["pets:email", "promo:email"]
    # She leaves pets by e-mail and joins promo by SMS; meanwhile the till unsubscribes her from
    # promo by e-mail - a box she did not touch, which her form must not turn back on.
    r2 = server.post(f"/v1/customers/{cid}/subscriptions",
                     {"topic": "promo", "channel": "email", "subscribed": False})
    assert r2.status_code == 200
    r = post(server, path, dict(save, s=["promo:email", "promo:sms"]))
    assert r.status_code == 302 and r.headers["Location"] == path + "?done=saved", r.text
    assert subs(server, cid) == {("promo", "sms"): True, ("promo", "email"): False,
                                 ("pets", "email"): False}
    assert "Сохранено." in get(server, r.headers["Location"]).text
    ms = server.get(f"/v1/customers/{cid}/may-send?channel=email&topic=pets").json()
    assert ms["allowed"] is False and ms["reason"] == "not_subscribed"
    assert server.get(f"/v1/customers/{cid}/may-send?channel=sms&topic=promo").json()["allowed"]
    # The same form again: its token is spent, nothing changes.
    r = post(server, path, dict(save, s=[]))
    assert r.status_code == 403 and "Форма устарела" in r.text
    assert subs(server, cid)[("promo", "sms")] is True
    # The log of changes: her unsubscribe, without a key.
    log = server.get(f"/v1/audit?customer_id={cid}&action=unsubscribe").json()["items"]
    assert [(e["detail"], e["key_id"]) for e in log] == [("page pets:email", None)]


def test_a_channel_without_ads_consent_cannot_be_ticked(server):
    cid, _ = customer(server, ads=("email",), subscribe=())
    path = link(server, cid)
    html = get(server, path).text
    assert re.search(r'value="promo:sms" aria-label="[^"]+" disabled', html)
    assert "SMS: согласия на рекламу нет" in html
    save = forms(html)[0]
    assert "promo:sms" not in save["shown"]
    # A box that was not offered, sent anyway: nothing.
    r = post(server, path, dict(save, s=["promo:sms"]))
    assert r.status_code == 302
    assert subs(server, cid)[("promo", "sms")] is False


def test_unsubscribe_from_all_withdraws_the_ads_consent_of_every_channel(server):
    cid, _ = customer(server, subscribe=(("promo", "email"), ("promo", "sms"), ("pets", "email")))
    path = link(server, cid)
    everything = forms(get(server, path).text)[1]
    r = post(server, path, everything)
    assert r.status_code == 302 and r.headers["Location"] == path + "?done=all"
    assert set(subs(server, cid).values()) == {False}
    assert ads_state(server, cid, "sms") == "withdrawn"
    assert ads_state(server, cid, "email") == "withdrawn"
    pd = [c for c in server.get(f"/v1/customers/{cid}/consents").json()["items"]
          if c["purpose"] == "pd_processing"]
    assert pd[0]["state"] == "given"  # not an erasure: that is the erasure request's
    page = get(server, r.headers["Location"]).text
    assert "вы отписаны от всех рассылок" in page and "Отписаться от всего" not in page
    # A subscription now needs a new consent: the API refuses it.
    r = server.post(f"/v1/customers/{cid}/subscriptions",
                    {"topic": "promo", "channel": "sms", "subscribed": True})
    assert r.status_code == 422 and r.json()["error"]["code"] == "ads_consent_required"
    actions = [(e["action"], e["detail"]) for e in
               server.get(f"/v1/audit?customer_id={cid}").json()["items"]
               if e["action"] in ("unsubscribe", "consent") and e["key_id"] is None]
    assert ("unsubscribe", "page *:*") in actions
    assert ("consent", "withdraw ads:sms") in actions and ("consent", "withdraw ads:email") in actions


def test_one_click_still_works_without_a_form_token(server):
    cid, _ = customer(server)
    one = link(server, cid, "?topic=pets&channel=email")
    r = post(server, one, {"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and r.text == "unsubscribed\n"
    assert subs(server, cid) == {("promo", "sms"): False, ("promo", "email"): True,
                                 ("pets", "email"): False}
    assert ads_state(server, cid, "email") == "given"  # one topic: the consent stays


def test_what_we_hold_shows_her_data_masked(server):
    cid, p = customer(server)
    r = server.post("/v1/purchases", {"store": "S-1", "receipt": "PR-1", "customer": {"phone": p},
                                      "lines": [{"sku": "M-1", "quantity": 1, "price": 12345,
                                                 "amount": 12345}]})
    assert r.status_code == 201, r.text
    path = link(server, cid)
    r = get(server, path + "/data")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    html = r.text
    assert "<h1>Что мы о вас храним</h1>" in html
    assert "<dt>Имя</dt><dd>Вера</dd>" in html and "<dt>Фамилия</dt><dd>Сидорова</dd>" in html
    assert p not in html and f"vera{p[-7:]}" not in html  # masked: the link is in old mail
    assert f"+7 *** ***-{p[8:10]}-{p[10:12]}" in html and "v***@example.org" in html
    assert "Обработка персональных данных: дано" in html and f"{PD}@1" in html
    assert "Реклама (SMS): дано" in html
    assert "Акции: эл. почта" in html and "Для питомцев: эл. почта" in html
    assert "Всего чеков: 1." in html and "магазин S-1: 123,45 ₽" in html
    assert len(r.content) < 50 * 1024
    # The access request's document says the same (one gathering, two views).
    doc = server.get(f"/v1/customers/{cid}/export").json()
    assert len(doc["purchases"]) == 1 and doc["customer"]["profile"]["first_name"] == "Вера"
    # Audited as a read by the link's holder, without a key.
    reads = [e for e in server.get(f"/v1/audit?customer_id={cid}&action=read").json()["items"]
             if e["key_id"] is None and "/data" in (e.get("detail") or "")]
    assert reads and "purchases" in reads[-1]["fields"] and "identifiers" in reads[-1]["fields"]


def test_an_erasure_request_with_its_deadline_one_at_a_time(server):
    cid, _ = customer(server)
    path = link(server, cid)
    r = get(server, path + "/erase")
    assert r.status_code == 200 and "Отправить запрос на удаление" in r.text
    form = forms(r.text)[0]
    # Without the confirmation box: the message beside it, nothing registered.
    r = post(server, path + "/erase", form)
    assert r.status_code == 422 and 'id="confirm-error"' in r.text
    mine = [q for q in server.get("/v1/privacy-requests?limit=500").json()["items"]
            if q["customer_id"] == cid]
    assert mine == []
    form = forms(r.text)[0]
    r = post(server, path + "/erase", dict(form, confirm="1"))
    assert r.status_code == 302 and r.headers["Location"] == path + "/erase?done=1"
    mine = [q for q in server.get("/v1/privacy-requests?limit=500").json()["items"]
            if q["customer_id"] == cid]
    assert len(mine) == 1
    req = mine[0]
    assert (req["kind"], req["state"], req["channel"]) == ("erasure", "open", "web")
    # The deadline the API computes for an erasure received the same day.
    api = server.post("/v1/privacy-requests", {"kind": "erasure",
                                               "received_on": req["received_on"]}).json()
    assert req["due_on"] == api["due_on"]
    page = get(server, r.headers["Location"]).text
    y, m, d = req["due_on"].split("-")
    assert "Запрос зарегистрирован." in page and req["id"] in page and f"{d}.{m}.{y}" in page
    # A second request while this one is open: the page says so, none is opened.
    r = get(server, path + "/erase")
    assert "Отправить запрос" not in r.text and req["id"] in r.text
    r = post(server, path + "/erase", {"csrf": form["csrf"], "confirm": "1"})
    assert r.status_code == 403  # that form's token is spent
    audit = server.get(f"/v1/audit?customer_id={cid}&action=request").json()["items"]
    assert [(e["detail"], e["key_id"]) for e in audit] == [(f"erasure {req['id']}", None)]


def test_a_second_erasure_form_opens_no_second_request(server):
    cid, _ = customer(server)
    path = link(server, cid)
    a = forms(get(server, path + "/erase").text)[0]
    b = forms(get(server, path + "/erase").text)[0]  # two tabs
    assert post(server, path + "/erase", dict(a, confirm="1")).status_code == 302
    r = post(server, path + "/erase", dict(b, confirm="1"))
    assert r.status_code == 302 and r.headers["Location"] == path + "/erase?already=1"
    assert "уже зарегистрирован" in get(server, r.headers["Location"]).text
    mine = [q for q in server.get("/v1/privacy-requests?limit=500").json()["items"]
            if q["customer_id"] == cid]
    assert len(mine) == 1


def test_an_altered_link_is_a_clear_page_with_no_data(server):
    cid, _ = customer(server)
    path = link(server, cid)
    save = forms(get(server, path).text)[0]
    altered = path[:-2] + ("AA" if not path.endswith("AA") else "BB")
    for suffix in ("", "/data", "/erase"):
        r = get(server, altered + suffix)
        assert r.status_code == 404 and "Ссылка недействительна" in r.text
        assert "Вера" not in r.text and "<form" not in r.text
    r = post(server, altered, dict(save, s=[]))
    assert r.status_code == 404
    r = post(server, altered + "/erase", {"confirm": "1"})
    assert r.status_code == 404
    r = post(server, altered, {"List-Unsubscribe": "One-Click"})
    assert r.status_code == 404
    assert subs(server, cid)[("pets", "email")] is True
    # A token of another form, a made-up one, none: refused.
    erase_tok = forms(get(server, path + "/erase").text)[0]["csrf"]
    for tok in (erase_tok, "forged", None):
        fields = dict(save, s=[])
        fields.pop("csrf")
        if tok:
            fields["csrf"] = tok
        r = post(server, path, fields)
        assert r.status_code == 403, tok
    assert subs(server, cid)[("pets", "email")] is True


def test_a_robot_filling_the_honeypot_changes_nothing(server):
    cid, _ = customer(server)
    path = link(server, cid)
    save = forms(get(server, path).text)[0]
    r = post(server, path, dict(save, s=[], website="http://spam.example"))
    assert r.status_code == 302
    assert subs(server, cid)[("pets", "email")] is True
