"""Acts of destruction as Roskomnadzor Order No. 179 wants them (issue 19, part E): every field
of the act and of the extract of the event log, the canonical document whose bytes and SHA-256
never change, the printable act, the command line, a draft when the settings lack the operator
(the erasure is done all the same), the purge 3 years after the destruction by an audited job,
and a signature checked to sign the document."""
import datetime
import hashlib
import json

import pytest

from conftest import OPERATOR, REFUSED, RESPONSIBLE, operator_settings, phone, src

PD = "acts-pd"
PERSONS = [{"name": "Сидорова  Анна Ивановна", "position": "специалист по защите ПДн"},
           {"name": "Кузнецов Олег Игоревич", "position": "администратор ИСПДн"}]
PROCESSOR = {"name": "ООО «Облако»", "address": "190000, г. Санкт-Петербург, Невский пр., д. 2"}


def publish(server):
    r = server.put(f"/v1/consent-documents/{PD}", {
        "purpose": "pd_processing", "title": "Согласие", "body": "Согласие на обработку ПДн."})
    assert r.status_code in (200, 201), r.text


def member(server, p, **profile):
    """A customer with much to destroy: a profile, a card and a cookie, consent evidence with
    an IP address, an event with properties, a receipt."""
    body = {"source": src("qr_form"),
            "profile": dict({"phone": p, "email": f"m{p[-6:]}@example.org",
                             "last_name": "Актова", "first_name": "Вера",
                             "birth_date": "1990-04-01", "city": "Москва",
                             "address": "ул. Тверская, д. 1"}, **profile),
            "identifiers": {"cookie": [f"ck-{p[-6:]}"]},
            "consents": [{"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
                          "evidence": {"form_id": "f-join", "ip": "192.0.2.10",
                                       "user_agent": "Mozilla/5.0 (test)"}}]}
    r = server.post("/v1/customers", body)
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    r = server.post("/v1/events", {"type": "page_view", "channel": "web",
                                   "customer": {"id": cid}, "message_id": f"m-{p}",
                                   "properties": {"url": "https://shop.example/p/1"}})
    assert r.status_code == 201, r.text
    r = server.post("/v1/purchases", {"store": "S-1", "receipt": f"A-{p[-6:]}",
                                      "customer": {"phone": p},
                                      "lines": [{"sku": "M-1", "quantity": 1, "price": 8990,
                                                 "amount": 8990}]})
    assert r.status_code == 201, r.text
    return cid


def erase(server, cid, **body):
    r = server.post(f"/v1/customers/{cid}/erase", body)
    assert r.status_code == 200, r.text
    return r.json()["act"]


@pytest.fixture(scope="module")
def settled(server):
    publish(server)
    operator_settings(server)
    r = server.put("/v1/privacy/settings", {"data_processor": PROCESSOR})
    assert r.status_code == 200, r.text
    return server


def test_an_erasure_writes_an_act_with_every_field_order_179_asks(settled):
    s = settled
    p = phone()
    cid = member(s, p)
    req = s.post("/v1/privacy-requests", {"kind": "erasure", "customer_id": cid,
                                          "channel": "letter"}).json()
    act = erase(s, cid, privacy_request_id=req["id"], destroyed_by=PERSONS, operator="dpo-1")
    assert act["state"] == "complete" and act["missing"] == []
    # a) the operator and the processor; c) the subject, by id and the request it answers.
    assert act["data_operator"] == OPERATOR and act["data_processor"] == PROCESSOR
    assert act["customer_id"] == cid and act["privacy_request_id"] == req["id"]
    # d) who destroyed, cleaned as names are (one space); the system that did it beside them.
    assert act["destroyed_by"][0] == {"name": "Сидорова Анна Ивановна",
                                      "position": "специалист по защите ПДн"}
    assert act["destroyed_by"][1] == PERSONS[1] and act["controller_system"].startswith("Kartoteka")
    # e) the categories, from what the customer had; f) the system; g) the method; h) reason.
    cats = set(act["categories"])
    assert {"profile.phone", "profile.email", "profile.last_name", "profile.first_name",
            "profile.birth_date", "profile.city", "profile.address", "identifiers.phone",
            "identifiers.email", "identifiers.cookie", "consents.ip_user_agent",
            "events.properties", "history.values", "data_key"} <= cats, cats
    assert "identifiers.card" not in cats  # never had one
    assert act["information_system"] == "ИСПДн «Программа лояльности»"
    # the values deleted and the person's data key destroyed (crypto-shredding, part A)
    assert act["method"] == "secure_delete_wal_key_shred" and act["reason"] == "request"
    # i) the date, and the term: 3 calendar years.
    at = datetime.datetime.fromisoformat(act["at"].replace("Z", "+00:00"))
    until = datetime.datetime.fromisoformat(act["expires_at"].replace("Z", "+00:00"))
    assert until == at.replace(year=at.year + 3)
    # The extract of the event log: the erasure and the consent events, ids only.
    actions = [e["action"] for e in act["log_extract"]]
    assert "erase" in actions and "consent_grant" in actions and "consent_withdraw" in actions
    # The document says all of it, in words, and the extract as Order 179 (p. 4) lists it.
    doc = s.get(f"/v1/destruction-acts/{act['id']}/document")
    assert doc.status_code == 200 and doc.headers["Content-Type"].startswith("application/json")
    d = json.loads(doc.content)
    assert d["type"] == "destruction_act" and "№ 179" in d["legal_basis"]
    assert d["data_operator"]["name"] == OPERATOR["name"]
    assert d["data_operator"]["address"] == OPERATOR["address"]
    assert d["data_subject"] == {"customer_id": cid, "privacy_request_id": req["id"],
                                 "request_received_on": req["received_on"],
                                 "request_channel": "letter"}
    assert [x["name"] for x in d["destroyed_by"]] == ["Сидорова Анна Ивановна", PERSONS[1]["name"]]
    assert all(c["title"] and c["title"] != c["code"] for c in d["categories"]), d["categories"]
    assert d["information_system"] == act["information_system"]
    assert "secure_delete" in d["method"]["title"] and "152-ФЗ" in d["reason"]["title"]
    assert d["at"] == act["at"] and d["expires_at"] == act["expires_at"]
    x = d["log_extract"]
    assert (x["data_subject"], x["information_system"], x["reason"], x["at"]) == \
        (cid, act["information_system"], "request", act["at"])
    assert set(x["categories"]) == cats and len(x["entries"]) == len(act["log_extract"])
    # Nothing of the person in it.
    for value in (p, p.lstrip("+"), "Актова", "Тверская", "192.0.2.10", "1990-04-01"):
        assert value.encode() not in doc.content, value
    # The printable act carries the same, with lines to sign.
    txt = s.get(f"/v1/destruction-acts/{act['id']}?format=text").text
    for part in ("АКТ ОБ УНИЧТОЖЕНИИ ПЕРСОНАЛЬНЫХ ДАННЫХ", OPERATOR["name"], OPERATOR["address"],
                 "ИНН 7707083893, ОГРН 1027700132195", PROCESSOR["name"], cid, req["id"],
                 "Сидорова Анна Ивановна, специалист по защите ПДн", "подпись ____",
                 "номер телефона (profile.phone)", "ИСПДн «Программа лояльности»",
                 "Способ уничтожения", "Причина уничтожения: требование субъекта",
                 "Дата уничтожения", "Выгрузка из журнала", act["document_sha256"]):
        assert part in txt, part
    assert p not in txt


def test_the_document_is_the_same_bytes_and_hash_at_every_read(settled):
    s = settled
    act = erase(s, member(s, phone()))
    first = s.get(f"/v1/destruction-acts/{act['id']}/document").content
    assert hashlib.sha256(first).hexdigest() == act["document_sha256"]
    # Canonical (RFC 8785): keys sorted, no spaces, UTF-8 as it is.
    assert json.dumps(json.loads(first), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode() == first
    # The settings change after: a complete act keeps its words and its hash.
    r = s.put("/v1/privacy/settings", {"data_operator": dict(OPERATOR, address="новый адрес"),
                                       "information_system": "другое имя"})
    assert r.status_code == 200 and r.json()["acts_completed"] == 0
    for _ in range(3):
        again = s.get(f"/v1/destruction-acts/{act['id']}/document").content
        assert again == first
    assert s.get(f"/v1/destruction-acts/{act['id']}").json()["document_sha256"] == \
        act["document_sha256"]
    operator_settings(s)
    # The schema keeps it so: a complete act cannot be rewritten, not even by SQL.
    for sql in ("UPDATE destruction_acts SET document = '{}' WHERE id = ?",
                "UPDATE destruction_acts SET categories = '[]' WHERE id = ?",
                "DELETE FROM destruction_acts WHERE id = ?"):
        with pytest.raises(REFUSED):
            s.execute(sql, (act["id"],))


def test_the_cli_prints_the_act_as_text_json_and_document(settled):
    s = settled
    cid = member(s, phone())
    out = s.cli("privacy", "erase", cid, "--by", "Петров Пётр Петрович", "--position",
                "инженер").stdout
    act_id = out.split("act ")[1].split(" ")[0]
    text = s.cli("privacy", "act", act_id).stdout
    assert "АКТ ОБ УНИЧТОЖЕНИИ" in text and "Петров Пётр Петрович, инженер" in text
    assert OPERATOR["name"] in text and cid in text
    as_json = json.loads(s.cli("privacy", "act", act_id, "--format", "json").stdout)
    assert as_json["state"] == "complete" and as_json["key_id"] is None
    r = s.cli("privacy", "act", act_id, "--format", "document")
    assert r.stdout.encode() == s.get(f"/v1/destruction-acts/{act_id}/document").content
    assert hashlib.sha256(r.stdout.encode()).hexdigest() == as_json["document_sha256"]
    r = s.cli("privacy", "act", act_id, "--format", "pdf", check=False)
    assert r.returncode == 2 and "--format" in r.stderr
    r = s.cli("privacy", "erase", cid, "--by", "Петров", check=False)
    assert r.returncode == 2 and "pairs" in r.stderr


def test_the_erase_body_names_persons_by_the_decoder_rule(settled):
    s = settled
    cid = member(s, phone())
    cases = [({"destroyed_by": []}, "invalid_value", "destroyed_by"),
             ({"destroyed_by": [{"name": "Иванов"}]}, "missing_field", "destroyed_by[0].position"),
             ({"destroyed_by": [{"name": "Иванов", "position": "x", "age": 40}]},
              "unknown_field", "destroyed_by[0].age"),
             ({"destroyed_by": [{"name": "\u0007", "position": "x"}]}, "invalid_value",
              "destroyed_by[0].name"),
             ({"destroyed_by": [RESPONSIBLE] * 11}, "too_many", "destroyed_by")]
    for body, code, field in cases:
        r = s.post(f"/v1/customers/{cid}/erase", body)
        assert r.status_code in (400, 422), (body, r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), body
    r = s.post(f"/v1/customers/{cid}/erase", {"privacy_request_id": "r_00000000000000000000"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "request_not_found"
    assert r.json()["error"]["field"] == "privacy_request_id"
    assert s.get(f"/v1/customers/{cid}").json()["profile"] != {}  # nothing was erased
    bad = [({"data_operator": {"name": "x"}}, "data_operator.address"),
           ({"data_operator": dict(OPERATOR, inn="7707083894")}, "data_operator.inn"),
           ({"data_operator": dict(OPERATOR, ogrn="1027700132194")}, "data_operator.ogrn"),
           ({"responsible_person": {"name": "x", "position": ""}}, "responsible_person.position"),
           ({"data_processor": {"name": "x", "address": "y", "inn": "1"}}, "data_processor.inn")]
    for body, field in bad:
        r = s.put("/v1/privacy/settings", body)
        assert r.status_code == 422 and r.json()["error"]["field"] == field, (body, r.text)


def test_without_the_operator_the_erasure_is_done_and_its_act_is_a_draft(start_server):
    s = start_server(sub="draft")
    publish(s)
    p = phone()
    cid = member(s, p)
    act = erase(s, cid)  # nothing in the settings: the erasure is not held for paperwork
    assert s.get(f"/v1/customers/{cid}").json()["profile"] == {}
    assert act["state"] == "draft" and act["missing"] == ["data_operator", "destroyed_by"]
    assert act["document_sha256"] is None and act["data_operator"] is None
    for path in (f"/v1/destruction-acts/{act['id']}/document",
                 f"/v1/destruction-acts/{act['id']}?format=text"):
        r = s.get(path)
        assert r.status_code == 409, r.text
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == \
            ("operator_unknown", "data_operator.name")
    r = s.cli("privacy", "act", act["id"], check=False)
    assert r.returncode == 1 and "data_operator.name" in r.stderr
    assert "act_draft" in s.stderr()
    # The operator alone: the act still names nobody who destroyed.
    r = s.put("/v1/privacy/settings", {"data_operator": OPERATOR})
    assert r.status_code == 200 and r.json()["acts_completed"] == 0
    r = s.get(f"/v1/destruction-acts/{act['id']}/document")
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["field"]) == \
        (409, "responsible_unknown", "responsible_person.name")
    # The person responsible too: the draft is completed, once, and says when.
    r = s.put("/v1/privacy/settings", {"responsible_person": RESPONSIBLE})
    assert r.status_code == 200 and r.json()["acts_completed"] == 1
    done = s.get(f"/v1/destruction-acts/{act['id']}").json()
    assert done["state"] == "complete" and done["completed_at"] is not None
    assert done["destroyed_by"] == [RESPONSIBLE] and done["data_operator"]["name"] == \
        OPERATOR["name"]
    doc = s.get(f"/v1/destruction-acts/{act['id']}/document")
    assert doc.status_code == 200
    assert json.loads(doc.content)["completed_at"] == done["completed_at"]
    assert s.put("/v1/privacy/settings", {"responsible_person": RESPONSIBLE}
                 ).json()["acts_completed"] == 0
    audit = s.get(f"/v1/audit?customer_id={cid}&action=act").json()["items"]
    assert [a["detail"] for a in audit] == [f"act {act['id']} completed from the settings"]
    # An erasure that fell due names the person responsible, as the settings now say.
    cid2 = member(s, phone())
    r = s.post(f"/v1/customers/{cid2}/consents",
               {"consents": [{"purpose": "pd_processing", "granted": False}]})
    assert r.status_code == 200, r.text
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=31)
    assert "erased 1 customer" in s.cli("run-due", "--now",
                                        later.strftime("%Y-%m-%dT%H:%M:%SZ")).stdout
    acts = [a for a in s.get("/v1/destruction-acts").json()["items"] if a["customer_id"] == cid2]
    assert acts[0]["state"] == "complete" and acts[0]["destroyed_by"] == [RESPONSIBLE]
    assert acts[0]["reason"] == "withdrawal"


def test_an_act_is_purged_3_years_after_the_destruction_and_the_purge_audited(start_server):
    s = start_server(["--settable-clock"], sub="purge")
    assert s.put("/v1/system/clock", {"now": "2026-02-10T12:00:00Z"}).status_code == 200
    publish(s)
    operator_settings(s)
    cid = member(s, phone())
    old = erase(s, cid)
    assert old["expires_at"] == "2029-02-10T12:00:00.000Z"
    assert s.put("/v1/system/clock", {"now": "2027-05-01T00:00:00Z"}).status_code == 200
    young = erase(s, member(s, phone()))
    # A minute before the term: kept.
    assert s.put("/v1/system/clock", {"now": "2029-02-10T11:59:00Z"}).status_code == 200
    r = s.post("/v1/loyalty/run-due")
    assert r.status_code == 200 and r.json()["acts_expired"] == {"acts": 0}
    assert s.get(f"/v1/destruction-acts/{old['id']}").status_code == 200
    # At the term: purged, with its extract, and the purge is in the audit log.
    assert s.put("/v1/system/clock", {"now": "2029-02-10T12:00:00Z"}).status_code == 200
    r = s.post("/v1/loyalty/run-due")
    assert r.status_code == 200 and r.json()["acts_expired"] == {"acts": 1}, r.text
    r = s.get(f"/v1/destruction-acts/{old['id']}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "act_not_found"
    assert s.get(f"/v1/destruction-acts/{young['id']}").status_code == 200
    audit = s.get("/v1/audit?action=act_purge").json()["items"]
    assert len(audit) == 1 and audit[0]["customer_id"] == cid and audit[0]["key_id"] is None
    assert old["id"] in audit[0]["detail"] and "2029-02-10T12:00:00.000Z" in audit[0]["detail"]
    assert s.post("/v1/loyalty/run-due").json()["acts_expired"] == {"acts": 0}  # once
    # The record of the purge, ids and times only, and the schema's narrow path.
    rows = s.rows("SELECT act_id, customer_id, purged_at FROM destruction_act_purges")
    assert rows == [(old["id"], cid, 1865419200000)]
    with pytest.raises(REFUSED):  # before its term, even with a record
        s.execute("INSERT INTO destruction_act_purges (act_id, customer_id, at, "
                  "expires_at, purged_at) VALUES (?, 'c', 0, 0, 1865419200000)", (young["id"],))
    with pytest.raises(REFUSED):
        s.execute("DELETE FROM destruction_acts WHERE id = ?", (young["id"],))
    with pytest.raises(REFUSED):
        s.execute("DELETE FROM destruction_act_purges")
    out = s.cli("run-due").stdout
    assert "0 acts of destruction purged after 3 years" in out


def sign(data, key, cert, detached=True):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7
    opts = [pkcs7.PKCS7Options.DetachedSignature] if detached else []
    return pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(
        cert, key, hashes.SHA256()).sign(serialization.Encoding.DER, opts)


@pytest.fixture(scope="module")
def signer():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test DPO")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return key, cert


def test_a_signature_of_the_document_is_checked_and_attached_once(settled, signer):
    s = settled
    act = erase(s, member(s, phone()))
    other = erase(s, member(s, phone()))
    doc = s.get(f"/v1/destruction-acts/{act['id']}/document").content
    url = f"/v1/destruction-acts/{act['id']}/signature"
    put = lambda u, body, ct="application/pkcs7-signature": s.request(  # noqa: E731
        "PUT", u, data=body, headers={"Content-Type": ct})
    assert s.get(url).json()["error"]["code"] == "signature_not_found"
    r = put(url, b"not a signature")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_signature"
    r = put(url, sign(doc + b" ", *signer))  # other bytes
    assert r.status_code == 422 and r.json()["error"]["code"] == "signature_mismatch"
    r = put(url, sign(doc, *signer), ct="text/plain")
    assert r.status_code == 415
    good = sign(doc, *signer)
    r = put(url, good)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "signed" and r.json()["signed_at"] is not None
    got = s.get(url)
    assert got.status_code == 200 and got.content == good
    assert got.headers["Content-Type"] == "application/pkcs7-signature"
    r = put(url, good)
    assert r.status_code == 409 and r.json()["error"]["code"] == "act_signed"
    # The document stays what was signed; an attached signature must hold exactly it.
    assert s.get(f"/v1/destruction-acts/{act['id']}/document").content == doc
    r = put(f"/v1/destruction-acts/{other['id']}/signature", sign(doc, *signer, detached=False))
    assert r.status_code == 422 and r.json()["error"]["code"] == "signature_mismatch"
    audit = s.get(f"/v1/audit?customer_id={act['customer_id']}&action=act").json()["items"]
    assert any("signed" in a["detail"] for a in audit)
