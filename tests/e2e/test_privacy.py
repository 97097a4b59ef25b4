"""Consent, subscriptions and the customer's rights under 152-FZ, against the real binary: forms
without consent, expired and outdated consent, withdrawal before a send, forged unsubscribe
tokens, erasure that leaves no bytes behind and keeps the person out on re-import, exports that
leak nobody else, deadlines across the New Year holidays, the audit log."""
import csv
import datetime
import io
import json
import re
import time

import pytest

from conftest import BACKEND, DB_ERRORS, operator_settings, phone, src

PD = "loyalty-pd"


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module", autouse=True)
def documents(server):
    r = server.put(f"/v1/consent-documents/{PD}", {
        "purpose": "pd_processing", "title": "Согласие на обработку ПДн",
        "body": "Я даю согласие на обработку персональных данных для программы лояльности."})
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 1 and len(r.json()["sha256"]) == 64
    for ch in ("sms", "email"):
        r = server.put(f"/v1/consent-documents/ads-{ch}", {
            "purpose": "ads", "title": f"Реклама по {ch}", "body": f"Согласие на рекламу ({ch})."})
        assert r.status_code == 201, r.text
    r = server.put("/v1/topics/promo", {"title": "Акции", "channels": ["sms", "email"]})
    assert r.status_code == 201, r.text
    r = server.put("/v1/topics/pets", {"title": "Для питомцев", "channels": ["email"]})
    assert r.status_code == 201, r.text


def pd_grant(form="f-join", **kw):
    c = {"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
         "evidence": {"form_id": form, "ip": "192.0.2.10", "user_agent": "Mozilla/5.0 (test)"}}
    c.update(kw)
    return c


def ads_grant(channel, form="f-join"):
    return {"purpose": "ads", "channel": channel, "document": f"ads-{channel}", "granted": True,
            "evidence": {"form_id": form}}


def join(server, p, email=None, consents=None, **profile):
    prof = {"phone": p, **profile}
    if email:
        prof["email"] = email
    r = server.post("/v1/customers", {"source": src("qr_form"), "profile": prof,
                                      "consents": consents if consents is not None
                                      else [pd_grant()]})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"]


def state(server, cid, purpose, channel=None):
    r = server.get(f"/v1/customers/{cid}/consents")
    assert r.status_code == 200, r.text
    for it in r.json()["items"]:
        if it["purpose"] == purpose and it.get("channel") == channel:
            return it["state"]
    raise AssertionError("no such purpose")


def may_send(server, cid, channel, topic="promo"):
    r = server.get(f"/v1/customers/{cid}/may-send?channel={channel}&topic={topic}")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_form_without_consent_is_refused_and_nothing_is_stored(server):
    before = server.counts()
    for ch in ("web", "app", "qr_form", "tablet"):
        r = server.post("/v1/customers", {"source": src(ch), "profile": {"phone": phone()}})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "consent_required"
        assert r.json()["error"]["field"] == "consents"
    # A grant without its evidence, to an unknown document, or bundled wrongly is refused too.
    bad = [
        ([{**pd_grant(), "evidence": {"ip": "192.0.2.1"}}], "evidence_required",
         "consents[0].evidence.form_id"),
        ([pd_grant(document="nope@1")], "document_not_found", "consents[0].document"),
        ([pd_grant(document="ads-sms@1")], "document_purpose_mismatch", "consents[0].document"),
        ([pd_grant(), {"purpose": "ads", "document": "ads-sms", "granted": True,
                       "evidence": {"form_id": "f"}}], "missing_field", "consents[1].channel"),
        ([pd_grant(at="2099-01-01T00:00:00Z")], "invalid_time", "consents[0].at"),
        ([pd_grant(at="0001-01-01T00:00:00Z")], "invalid_time", "consents[0].at"),
        ([{**pd_grant(), "evidence": {"form_id": "f", "ip": "not-an-ip"}}], "invalid_ip",
         "consents[0].evidence.ip"),
    ]
    for consents, code, field in bad:
        r = server.post("/v1/customers", {"source": src("web"), "profile": {"phone": phone()},
                                          "consents": consents})
        assert r.status_code == 422, r.text
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field)
    assert server.counts() == before


def test_cash_desk_profile_is_pending_until_a_paper_form_confirms_it(server):
    p = phone()
    r = server.post("/v1/customers", {"source": src("pos", store="S-1"), "profile": {"phone": p}})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    assert state(server, cid, "pd_processing") == "pending"
    assert server.get(f"/v1/customers/{cid}/consents").json()["consent_pending"] is True
    # At the cash desk a grant needs the SMS code confirmation or the paper form's number.
    r = server.post(f"/v1/customers/{cid}/consents", {
        "source": src("pos", store="S-1", operator="op-2"),
        "consents": [{"purpose": "pd_processing", "document": PD, "granted": True}]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "evidence_required"
    r = server.post(f"/v1/customers/{cid}/consents", {
        "source": src("pos", store="S-1", operator="op-2"),
        "consents": [{"purpose": "pd_processing", "document": PD, "granted": True,
                      "evidence": {"paper_form": "A-000123"}}]})
    assert r.status_code == 200, r.text
    assert r.json()["consent_pending"] is False
    assert state(server, cid, "pd_processing") == "given"
    ev = server.get(f"/v1/customers/{cid}/consents/evidence").json()
    assert [e["action"] for e in ev["events"]] == ["pending", "grant"]
    grant = ev["events"][1]
    assert grant["evidence"]["paper_form"] == "A-000123"
    assert grant["evidence"]["store"] == "S-1" and grant["evidence"]["operator"] == "op-2"
    assert grant["document"]["name"] == PD and len(grant["document"]["sha256"]) == 64
    assert ev["documents"][0]["body"].startswith("Я даю согласие")


def test_expired_and_outdated_consent_count_as_not_given(server):
    r = server.put("/v1/consent-documents/short-pd", {
        "purpose": "pd_processing", "title": "Краткое", "body": "Срок один день.", "term_days": 1})
    assert r.status_code == 201
    two_days_ago = iso(datetime.datetime.utcnow() - datetime.timedelta(days=2))
    cid = join(server, phone(), consents=[
        pd_grant(document="short-pd@1", at=two_days_ago), ads_grant("sms")])
    assert state(server, cid, "pd_processing") == "expired"
    server.post(f"/v1/customers/{cid}/subscriptions",
                {"topic": "promo", "channel": "sms", "subscribed": True})
    assert may_send(server, cid, "sms") == {"customer_id": cid, "channel": "sms", "topic": "promo",
                                            "allowed": False, "reason": "no_pd_consent"}
    # A new version published with re-consent makes grants to the old one outdated.
    cid2 = join(server, phone(), consents=[pd_grant(document="short-pd")])
    assert state(server, cid2, "pd_processing") == "given"
    r = server.put("/v1/consent-documents/short-pd", {
        "purpose": "pd_processing", "title": "Краткое v2", "body": "Новый текст.", "term_days": 1,
        "reconsent": True})
    assert r.status_code == 200 and r.json()["version"] == 2  # the document exists: replaced
    assert state(server, cid2, "pd_processing") == "outdated"
    # A new version cannot change the purpose of the document.
    r = server.put("/v1/consent-documents/short-pd", {"purpose": "ads", "title": "x", "body": "y"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "purpose_changed"


def test_withdrawal_stops_sending_at_once(server):
    cid = join(server, phone(), consents=[pd_grant(), ads_grant("sms"), ads_grant("email")])
    for ch in ("sms", "email"):
        r = server.post(f"/v1/customers/{cid}/subscriptions",
                        {"topic": "promo", "channel": ch, "subscribed": True})
        assert r.status_code == 200, r.text
    assert may_send(server, cid, "sms")["allowed"] is True
    r = server.post(f"/v1/customers/{cid}/consents", {
        "source": src("call_center", operator="op-9"),
        "consents": [{"purpose": "ads", "channel": "sms", "granted": False}]})
    assert r.status_code == 200, r.text
    # The withdrawal switches the channel's topics off too: a later consent does not revive
    # them silently.
    assert may_send(server, cid, "sms") == {"customer_id": cid, "channel": "sms", "topic": "promo",
                                            "allowed": False, "reason": "not_subscribed"}
    assert may_send(server, cid, "email")["allowed"] is True  # other channels are untouched
    subs = {(s["topic"], s["channel"]): s
            for s in server.get(f"/v1/customers/{cid}/subscriptions").json()["items"]}
    assert subs[("promo", "sms")]["active"] is False
    assert subs[("promo", "sms")]["subscribed"] is False
    for q, field in [("channel=fax&topic=promo", "channel"), ("channel=sms", "topic"),
                     ("channel=sms&topic=promo&x=1", "x")]:
        r = server.get(f"/v1/customers/{cid}/may-send?{q}")
        assert r.status_code == 400 and r.json()["error"]["field"] == field, q
    # Without the ads consent of a channel nobody can subscribe on it.
    r = server.post(f"/v1/customers/{cid}/subscriptions",
                    {"topic": "promo", "channel": "sms", "subscribed": True})
    assert r.status_code == 422 and r.json()["error"]["code"] == "ads_consent_required"


def test_withdrawing_pd_processing_schedules_erasure_run_by_run_due(server):
    p = phone()
    cid = join(server, p, consents=[pd_grant()])
    r = server.post(f"/v1/customers/{cid}/consents", {
        "consents": [{"purpose": "pd_processing", "granted": False}]})
    assert r.status_code == 200, r.text
    due = datetime.datetime.fromisoformat(r.json()["erasure_due_at"].replace("Z", "+00:00"))
    now = datetime.datetime.now(datetime.timezone.utc)
    assert 29.9 <= (due - now).total_seconds() / 86400 <= 30.1  # the default delay: 30 days
    out = server.cli("run-due").stdout
    assert "erased 0" in out  # not yet due
    later = iso(now + datetime.timedelta(days=31))
    out = server.cli("run-due", "--now", later).stdout
    assert "erased 1 customer" in out
    c = server.get(f"/v1/customers/{cid}").json()
    assert c["profile"] == {} and c["identifiers"] == [] and "erased_at" in c
    acts = server.get("/v1/destruction-acts?limit=500").json()["items"]
    act = [a for a in acts if a["customer_id"] == cid]
    assert len(act) == 1 and act[0]["reason"] == "withdrawal" and act[0]["key_id"] is None
    assert "profile.phone" in act[0]["categories"]


def test_unsubscribe_page_refuses_forged_tokens_and_one_click_works(server):
    cid = join(server, phone(), consents=[pd_grant(), ads_grant("email")])
    for t in ("promo", "pets"):
        server.post(f"/v1/customers/{cid}/subscriptions",
                    {"topic": t, "channel": "email", "subscribed": True})
    tok = server.get(f"/v1/customers/{cid}/unsubscribe-link").json()["token"]
    page = server.get(f"/u/{tok}", key=None)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "Акции" in page.text and "Для питомцев" in page.text
    other = join(server, phone(), consents=[pd_grant()])
    other_tok = server.get(f"/v1/customers/{other}/unsubscribe-link").json()["token"]
    forged = [tok[:-2] + ("AA" if tok[-2:] != "AA" else "BB"),  # altered tag
              tok[:16] + ("B" if tok[16] != "B" else "C") + tok[17:],  # altered customer
              other_tok[:-22] + tok[-22:],                     # another's id, this tag
              "Y18wMDAwMDAwMDAwMDAwMDAwMDAwMC4uAAAAAAAAAAAAAAAAAAAAAA",  # made up
              "x", tok + "A"]
    for f in forged:
        r = server.request("POST", f"/u/{f}", key=None, data={"all": "1"})
        assert r.status_code == 404, f
        assert server.get(f"/u/{f}", key=None).status_code == 404
    active = [s for s in server.get(f"/v1/customers/{cid}/subscriptions").json()["items"]
              if s["active"]]
    assert len(active) == 2  # nothing changed
    # A form without the page's one-time token (the old page's per-topic form) is refused.
    r = server.request("POST", f"/u/{tok}", key=None, data={"topic": "pets", "channel": "email"})
    assert r.status_code == 403 and "Форма устарела" in r.text
    # One topic from the page's form: its box unticked (test_prefs_page.py has the rest).
    shown = re.search(r'name="shown" value="([^"]*)"', page.text).group(1)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = server.request("POST", f"/u/{tok}", key=None,
                       data={"csrf": csrf, "action": "save", "shown": shown, "s": "promo:email"},
                       allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == f"/u/{tok}?done=saved"
    assert may_send(server, cid, "email", "pets")["allowed"] is False
    assert may_send(server, cid, "email", "promo")["allowed"] is True
    # RFC 8058 one-click with a token for one topic.
    one = server.get(f"/v1/customers/{cid}/unsubscribe-link?topic=promo&channel=email").json()
    r = server.request("POST", f"/u/{one['token']}", key=None,
                       data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and r.text == "unsubscribed\n"
    assert may_send(server, cid, "email", "promo") == {
        "customer_id": cid, "channel": "email", "topic": "promo", "allowed": False,
        "reason": "not_subscribed"}
    log = server.get(f"/v1/audit?customer_id={cid}&action=unsubscribe").json()["items"]
    assert [e["detail"] for e in log] == ["page pets:email", "one_click promo:email"]


def test_export_holds_everything_and_nobody_else(server):
    addr = "г. Казань, ул. Баумана, д. 1, кв. 2"
    a = join(server, phone(), email="exp.a@example.org", last_name="Синтетова",
             first_name="Анна", address=addr, consents=[pd_grant(), ads_grant("sms")])
    b_phone = phone()
    b = join(server, b_phone, email="exp.b@example.org", last_name="Тестов", first_name="Борис",
             address=addr)
    server.patch(f"/v1/customers/{a}", {"source": src("pos"), "profile": {"city": "Казань"}})
    r = server.get(f"/v1/customers/{a}/export")
    assert r.status_code == 200
    doc = r.json()
    assert doc["customer_id"] == a and doc["customer"]["profile"]["address"] == addr
    assert {e["field"] for e in doc["history"]} >= {"customer", "profile.city"}
    assert [e["purpose"] for e in doc["consents"]["events"]] == ["pd_processing", "ads"]
    assert doc["consents"]["events"][0]["evidence"]["ip"] == "192.0.2.10"
    assert {p["purpose"] for p in doc["purposes"]} == {
        "pd_processing", "ads", "third_party_transfer", "distribution"}
    text = r.text
    for leak in (b, b_phone, "exp.b@example.org", "Тестов", "Борис"):
        assert leak not in text
    assert server.get(f"/v1/audit?customer_id={a}&action=export").json()["items"]


def test_deadlines_follow_the_production_calendar(server):
    cases = [
        # received, kind, extended -> deadline (New Year holidays 2026: Dec 31 - Jan 11)
        ("2025-12-26", "access", False, "2026-01-21"),
        ("2025-12-26", "access", True, "2026-01-28"),
        ("2025-12-26", "rectification", False, "2026-01-16"),
        ("2025-12-26", "erasure", False, "2026-01-25"),
        ("2026-02-20", "access", False, "2026-03-10"),  # Feb 23 and Mar 9 are days off
        ("2025-10-31", "stop", False, "2025-11-17"),    # Sat Nov 1 worked, Nov 3-4 off
    ]
    for received, kind, ext, want in cases:
        body = {"kind": kind, "received_on": received, "extended": ext, "channel": "email"}
        if ext:  # an extension needs its reasoned notice (test_blocking.py)
            body["extension_reason"] = "the archive is in another city"
        r = server.post("/v1/privacy-requests", body)
        assert r.status_code == 201, r.text
        assert (r.json()["due_on"], r.json()["due_on_provisional"]) == (want, False), received
    # A deadline in a year whose calendar is not shipped says so.
    r = server.post("/v1/privacy-requests", {"kind": "access", "received_on": "2024-12-20"})
    assert r.json()["due_on_provisional"] is True
    overdue = server.get("/v1/privacy-requests?overdue=true&limit=500").json()["items"]
    assert {x["received_on"] for x in overdue} >= {"2025-12-26", "2026-02-20", "2025-10-31"}
    assert all(x["overdue"] for x in overdue)
    rid = overdue[0]["id"]
    r = server.post(f"/v1/privacy-requests/{rid}/close", {"state": "refused"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "outcome"
    r = server.post(f"/v1/privacy-requests/{rid}/close", {"state": "done", "outcome": "sent"})
    assert r.status_code == 200 and r.json()["state"] == "done" and not r.json()["overdue"]
    for body, field in [({"kind": "gossip"}, "kind"), ({"kind": "access", "received_on": "31.12.2025"},
                        "received_on"), ({"kind": "erasure", "extended": True}, "extended")]:
        r = server.post("/v1/privacy-requests", body)
        assert r.status_code == 422 and r.json()["error"]["field"] == field


def test_erasure_leaves_no_bytes_and_keeps_the_person_out(server, tmp_path):
    # Enough customers that the tables span many pages.
    people = [(phone(), f"erase{i}@example.net") for i in range(400)]
    path = tmp_path / "base.csv"
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(["Телефон", "E-mail", "ФИО"])
    for p, e in people:
        w.writerow([p, e, "Стирова Ирина Павловна"])
    path.write_text(buf.getvalue(), encoding="utf-8")
    r = server.cli("import", "customers", str(path), check=False)
    assert r.returncode == 0 and "rejected 400 " in r.stdout  # strict: no evidence, no rows
    r = server.cli("import", "customers", str(path), "--legal-basis",
                   "анкеты 2024 г., согласие по п. 5 правил программы")
    assert "created 400," in r.stdout, r.stdout
    victim_phone, victim_mail = people[123]
    cid = server.get(f"/v1/customers?phone={victim_phone}").json()["items"][0]["id"]
    assert state(server, cid, "pd_processing") == "given"
    # The person also sits in the reject file of a server import: a row stored without its
    # impossible birth date, and a row refused whole (no valid phone, no e-mail column value)
    # whose free-text comment names them in other spellings. A neighbour's row must stay.
    d = victim_phone[2:]
    spelled = f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}"
    shouted = victim_mail.upper()
    neighbour = people[7][0]
    lines = ["Телефон;E-mail;ФИО;Дата рождения;Комментарий",
             f"{victim_phone};{victim_mail};Стирова Ирина Павловна;31.02.1985;",
             f"12-34;;Стирова Ирина;;звонить {spelled}, почта <{shouted}>",
             f"{neighbour};;Соседова Анна;31.02.1986;"]
    r = server.request("POST", "/v1/imports?legal_basis=" + "анкеты 2024 г.",
                       data=("\r\n".join(lines) + "\r\n").encode(),
                       headers={"Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    job = r.json()
    deadline = time.time() + 60
    while job["state"] in ("queued", "running"):
        assert time.time() < deadline
        time.sleep(0.05)
        job = server.get(job["url"]).json()
    assert (job["partial"], job["rejected"]) == (2, 1), job
    rej = server.get(job["rejects_url"]).text
    assert spelled in rej and victim_mail in rej and neighbour in rej
    req = server.post("/v1/privacy-requests", {"kind": "erasure", "customer_id": cid}).json()
    r = server.post(f"/v1/customers/{cid}/erase", {"operator": "dpo-1",
                                                   "privacy_request_id": req["id"]})
    assert r.status_code == 200, r.text
    act = r.json()["act"]
    assert r.json()["wal_wiped"] is True
    assert act["operator"] == "dpo-1" and act["privacy_request_id"] == req["id"]
    assert {"profile.phone", "profile.email", "identifiers.phone"} <= set(act["categories"])
    assert server.get(f"/v1/privacy-requests/{req['id']}").json()["state"] == "done"
    assert server.post(f"/v1/customers/{cid}/erase", {}).status_code == 409
    # Their reject rows are gone, the neighbour's stays.
    rej = server.get(job["rejects_url"]).text
    assert d not in rej and spelled not in rej and victim_mail not in rej.lower()
    assert neighbour in rej and "Соседова Анна;31.02.1986;;4;partial" in rej
    # Nothing of the person in the database file or its WAL (SQLite's; a PostgreSQL twin would
    # read the cluster's files).
    digits = victim_phone.lstrip("+").encode()
    files = (server.db, server.db.with_name(server.db.name + "-wal"))
    for f in files if BACKEND == "sqlite" else ():
        if f.exists():
            data = f.read_bytes()
            for needle in (digits, victim_mail.encode(), spelled.encode(), shouted.encode()):
                assert needle not in data, (f.name, needle)
    # The act, as JSON and printable once the settings name the operator (test_acts.py).
    assert server.get(f"/v1/destruction-acts/{act['id']}").json()["id"] == act["id"]
    operator_settings(server)
    txt = server.get(f"/v1/destruction-acts/{act['id']}?format=text")
    assert txt.status_code == 200 and "АКТ ОБ УНИЧТОЖЕНИИ" in txt.text and cid in txt.text
    assert victim_phone not in txt.text
    # Replaying the same file brings nobody back: the row is refused as suppressed.
    r = server.cli("import", "customers", str(path), "--legal-basis", "повтор")
    assert "created 0," in r.stdout and "(suppressed 1)" in r.stdout, r.stdout
    rej = (tmp_path / "base.csv.rejects.csv").read_text(encoding="utf-8-sig")
    assert "suppressed" in rej
    assert server.get(f"/v1/customers?phone={victim_phone}").json()["items"] == []
    # The cash desk is refused too; a form with new consent brings the person back.
    r = server.post("/v1/customers", {"source": src("pos"), "profile": {"phone": victim_phone}})
    assert r.status_code == 422 and r.json()["error"]["code"] == "suppressed"
    back = join(server, victim_phone)
    assert back != cid
    assert server.get(f"/v1/customers/{cid}").json()["erased_at"]


def test_audit_log_records_reads_and_changes_by_key(server):
    pos = server.new_key("pos")
    p = phone()
    cid = join(server, p)
    r = server.get(f"/v1/customers?phone={p}", key=pos)
    assert r.status_code == 200
    pos_id = pos.split("_")[1]
    items = server.get(f"/v1/audit?customer_id={cid}&key_id={pos_id}").json()["items"]
    assert [(e["action"], e["detail"], e["log"]) for e in items] == [
        ("read", "/v1/customers", "reads")]
    assert "phone" in items[0]["fields"]
    if BACKEND == "sqlite":  # the log of reads: a file of its own beside the database
        assert server.db.with_name(server.db.name + ".reads").exists()
    # IDs only: no personal data in the log.
    text = server.get(f"/v1/audit?customer_id={cid}").text
    assert p not in text and p.lstrip("+") not in text
    assert server.get("/v1/audit", key=pos).status_code == 403
    keys = server.get("/v1/audit?action=key").json()["items"]
    assert any(e["detail"].startswith(f"create {pos_id} pos") and e["log"] == "changes"
               for e in keys)
    # Pages of the merged log follow each other without losing or repeating an entry.
    every = server.get(f"/v1/audit?customer_id={cid}&limit=1000").json()["items"]
    paged, cursor = [], None
    while True:
        page = server.get(f"/v1/audit?customer_id={cid}&limit=2" +
                          (f"&cursor={cursor}" if cursor else "")).json()
        paged += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [(e["log"], e["seq"]) for e in paged] == [(e["log"], e["seq"]) for e in every]
    assert len(every) >= 3
    r = server.get("/v1/audit?since=yesterday")
    assert r.status_code == 400 and r.json()["error"]["field"] == "since"


def test_consent_events_are_append_only(server):
    cid = join(server, phone())
    edits = ["UPDATE consent_events SET action = 'withdraw'",
             "DELETE FROM consent_events", "DELETE FROM audit",
             "UPDATE audit SET key_id = NULL"]
    if BACKEND == "sqlite":  # an IP in clear text: PostgreSQL's bytea column has no text to refuse
        edits.append("UPDATE consent_events SET ip = '198.51.100.1'")
    for sql in edits:
        with pytest.raises(DB_ERRORS):
            server.execute(sql)
    assert state(server, cid, "pd_processing") == "given"


def test_settings_are_checked(server):
    got = server.get("/v1/privacy/settings").json()
    assert {k: got[k] for k in ("consent_policy", "erase_delay_days", "retention_years",
                                "public_url")} == {
        "consent_policy": "strict", "erase_delay_days": 30, "retention_years": 0,
        "public_url": None}
    assert set(got) == {"consent_policy", "erase_delay_days", "retention_years", "public_url",
                        "data_operator", "data_processor", "information_system",
                        "responsible_person"}
    for body, field in [({"erase_delay_days": 31}, "erase_delay_days"),
                        ({"consent_policy": "lax"}, "consent_policy"),
                        ({"public_url": "ftp://x"}, "public_url"), ({"colour": 1}, "colour")]:
        r = server.put("/v1/privacy/settings", body)
        assert r.status_code == 422 and r.json()["error"]["field"] == field


def test_privacy_bodies_answer_by_the_one_decoder_rule(server):
    """Too long is too_long, the wrong JSON type wrong_type, outside the allowed set or range
    invalid_value, a client date outside the window invalid_time — each with its field."""
    cid = server.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}}
                      ).json()["customer"]["id"]
    long = "я" * 20000  # 40,000 bytes: over every short text's limit
    doc = {"purpose": "ads", "title": "t", "body": "b"}
    cases = [
        ("PUT", "/v1/consent-documents/d1", {**doc, "title": long}, "too_long", "title"),
        ("PUT", "/v1/consent-documents/d1", {**doc, "body": "b" * 300000}, "too_long", "body"),
        ("PUT", "/v1/consent-documents/d1", {**doc, "title": 5}, "wrong_type", "title"),
        ("PUT", "/v1/consent-documents/d1", {**doc, "title": None}, "missing_field", "title"),
        ("PUT", "/v1/consent-documents/d1", {**doc, "purpose": "spam"}, "invalid_value",
         "purpose"),
        ("PUT", "/v1/consent-documents/d1", {**doc, "term_days": 0}, "invalid_value",
         "term_days"),
        ("PUT", "/v1/consent-documents/d1", {**doc, "term_days": "30"}, "wrong_type",
         "term_days"),
        ("PUT", "/v1/consent-documents/d1", {**doc, "reconsent": 1}, "wrong_type", "reconsent"),
        ("PUT", "/v1/topics/t1", {"title": long, "channels": ["sms"]}, "too_long", "title"),
        ("PUT", "/v1/topics/t1", {"title": "t", "description": long, "channels": ["sms"]},
         "too_long", "description"),
        ("PUT", "/v1/topics/t1", {"title": "t", "channels": ["fax"]}, "invalid_value",
         "channels[0]"),
        ("PUT", "/v1/topics/t1", {"title": "t", "channels": "sms"}, "wrong_type", "channels"),
        ("PUT", "/v1/topics/t1", {"title": "t"}, "missing_field", "channels"),
        ("POST", "/v1/privacy-requests", {"kind": "access", "note": long}, "too_long", "note"),
        ("POST", "/v1/privacy-requests", {"kind": 1}, "wrong_type", "kind"),
        ("POST", "/v1/privacy-requests", {"kind": "access", "received_on": "1999-12-31"},
         "invalid_time", "received_on"),
        ("POST", "/v1/privacy-requests", {"kind": "access", "received_on": "2999-01-01"},
         "invalid_time", "received_on"),
        ("POST", "/v1/privacy-requests", {"kind": "access", "extended": "yes"}, "wrong_type",
         "extended"),
        ("POST", f"/v1/customers/{cid}/erase", {"operator": "o" * 65}, "too_long", "operator"),
        ("POST", f"/v1/customers/{cid}/erase", {"reason": 5}, "wrong_type", "reason"),
        ("POST", f"/v1/customers/{cid}/erase", {"reason": "boredom"}, "invalid_value", "reason"),
        ("POST", f"/v1/customers/{cid}/subscriptions", {"subscribed": "yes"}, "wrong_type",
         "subscribed"),
        ("POST", f"/v1/customers/{cid}/subscriptions",
         {"subscribed": True, "topic": "promo", "channel": "fax"}, "invalid_value", "channel"),
        ("POST", f"/v1/customers/{cid}/consents",
         {"source": {"channel": "pos", "store": "s" * 65}, "consents": []}, "too_long",
         "source.store"),
        ("POST", f"/v1/customers/{cid}/consents", {"source": "pos", "consents": []},
         "wrong_type", "source"),
        ("PUT", "/v1/privacy/settings", {"erase_delay_days": "7"}, "wrong_type",
         "erase_delay_days"),
        ("PUT", "/v1/privacy/settings", {"retention_years": 51}, "invalid_value",
         "retention_years"),
        ("PUT", "/v1/privacy/settings", {"consent_policy": True}, "wrong_type",
         "consent_policy"),
    ]
    for method, path, body, code, field in cases:
        r = server.request(method, path, json=body)
        assert r.status_code == 422, (path, str(body)[:80], r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), \
            (path, str(body)[:80])
    assert server.get(f"/v1/customers/{cid}").status_code == 200  # nothing was erased


def test_the_cli_does_what_the_api_does(server):
    p = phone()
    cid = join(server, p, email="cli.person@example.org", first_name="Вера")
    out = server.cli("privacy", "export", cid).stdout
    doc = json.loads(out)
    assert doc["customer_id"] == cid and doc["customer"]["profile"]["phone"] == p
    rid = server.post("/v1/privacy-requests", {"kind": "erasure", "customer_id": cid}).json()["id"]
    assert rid in server.cli("privacy", "requests").stdout
    operator_settings(server)
    out = server.cli("privacy", "erase", cid, "--operator", "dpo-2", "--request", rid,
                     "--by", "Петров Пётр Петрович", "--position", "инженер").stdout
    act = out.split("act ")[1].split(" ")[0]
    assert act.startswith("a_")
    assert server.get(f"/v1/privacy-requests/{rid}").json()["state"] == "done"
    text = server.cli("privacy", "act", act).stdout
    assert "АКТ ОБ УНИЧТОЖЕНИИ" in text and "dpo-2" in text and p not in text
    assert "Петров Пётр Петрович, инженер" in text
    assert act in server.cli("privacy", "acts").stdout
    audit = server.cli("privacy", "audit", "--customer", cid).stdout
    assert "export" in audit and "erase" in audit and p not in audit
    r = server.cli("privacy", "erase", cid, check=False)
    assert r.returncode == 1 and "erased already" in r.stderr
    r = server.cli("privacy", "erase", "nobody", check=False)
    assert r.returncode == 2 and "c_..." in r.stderr
    assert server.cli("privacy", "--help").stdout.startswith("usage: kartoteka privacy")
    assert server.cli("run-due", "--help").stdout.startswith("usage: kartoteka run-due")


def test_retention_depersonalises_the_inactive(start_server):
    s = start_server(sub="retention")
    r = s.put(f"/v1/consent-documents/{PD}", {"purpose": "pd_processing", "title": "t",
                                               "body": "b"})
    assert r.status_code == 201
    old = join(s, phone())
    assert s.put("/v1/privacy/settings", {"retention_years": 3}).status_code == 200
    now = datetime.datetime.now(datetime.timezone.utc)
    out = s.cli("run-due", "--now", iso(now + datetime.timedelta(days=365))).stdout
    assert "retention erased 0 customers" in out
    out = s.cli("run-due", "--now", iso(now + datetime.timedelta(days=3 * 366))).stdout
    assert "retention erased 1 customer;" in out
    assert s.get(f"/v1/customers/{old}").json()["profile"] == {}
    acts = s.get("/v1/destruction-acts").json()["items"]
    assert [(a["customer_id"], a["reason"]) for a in acts] == [(old, "retention")]


def test_server_import_needs_evidence_per_row_or_file(server):
    lines = ["Телефон;Анкета;Согласие"]
    lines.append(f"{phone()};A-77;{PD}@1")   # a paper form to the document
    lines.append(f"{phone()};;")             # nothing: rejected under the strict policy
    body = ("\r\n".join(lines) + "\r\n").encode("utf-8")

    def run(query):
        r = server.request("POST", f"/v1/imports?{query}", data=body,
                           headers={"Content-Type": "text/csv"})
        assert r.status_code == 202, r.text
        job = r.json()
        deadline = time.time() + 60
        while job["state"] in ("queued", "running"):
            assert time.time() < deadline
            time.sleep(0.05)
            job = server.get(job["url"]).json()
        assert job["state"] == "done", job
        return job

    job = run("store=S-3")
    assert (job["created"], job["rejected"]) == (1, 1)
    assert "consent_required" in server.get(job["rejects_url"]).text
    first = lines[1].split(";")[0]
    cid = server.get(f"/v1/customers?phone={first}").json()["items"][0]["id"]
    ev = server.get(f"/v1/customers/{cid}/consents/evidence").json()["events"]
    assert [(e["action"], e["evidence"]["paper_form"], e["document"]["name"]) for e in ev] == [
        ("grant", "A-77", PD)]
    # With a file-level legal basis the second row goes in too; the first is not granted twice.
    job = run("store=S-3&legal_basis=" + "анкеты 2023 г.")
    assert (job["created"], job["unchanged"], job["rejected"]) == (1, 1, 0)
    assert len(server.get(f"/v1/customers/{cid}/consents/evidence").json()["events"]) == 1


def test_an_erased_customer_takes_no_new_data_anywhere(server):
    """One erased check (identity's ident_live) answers the same wherever data would be added:
    410 customer_erased on the field that named the customer."""
    cid = join(server, phone())
    assert server.post(f"/v1/customers/{cid}/erase", {}).status_code == 200
    receipt = {"store": "S-1", "receipt": "ERASED-1", "at": "2026-01-05T10:00:00Z",
               "customer": {"id": cid},
               "lines": [{"sku": "milk", "quantity": 1, "price": 8900, "amount": 8900}]}
    tries = [
        ("/v1/purchases", receipt, "customer"),
        (f"/v1/customers/{cid}/consents", {"consents": [pd_grant()]}, "id"),
        (f"/v1/customers/{cid}/points/adjustments", {"points": 5, "reason": "тест"}, "id"),
    ]
    for path, body, field in tries:
        r = server.post(path, body)
        assert r.status_code == 410, (path, r.text)
        e = r.json()["error"]
        assert (e["code"], e["field"]) == ("customer_erased", field), path
        assert e["message"].startswith("the customer was erased"), path
    r = server.patch(f"/v1/customers/{cid}", {"source": src("pos"),
                                              "profile": {"first_name": "Ирина"}})
    assert r.status_code == 410 and r.json()["error"]["code"] == "customer_erased", r.text
    del receipt["customer"]  # the receipt itself is welcome without them
    assert server.post("/v1/purchases", receipt).status_code == 201
