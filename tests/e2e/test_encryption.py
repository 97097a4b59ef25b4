"""Encryption at rest (issue 19, part A; docs/privacy.md, "Encryption at rest"), against the real
binary: after writes through the API - customers with phone, e-mail, names and address, a
retried request, consent evidence, an enrolment whose SMS waits in the outbox, a receipt - the
database file, its WAL and a backup hold none of those values in clear, in any encoding they
could take; and after an erasure, a copy made before it, opened with the key store of after it,
cannot be read for that person while everybody else in it still opens."""
import shutil
import sqlite3
import subprocess

import pytest

from conftest import BIN, Server, db_arg, phone, rows, sqlite_only, src

PEOPLE = [
    # phone, e-mail as sent, last, first, middle, address
    (None, "Anna.Smirnova@Example.COM", "Смирнова", "Анна", "Игоревна",
     "ул. Тверская, д. 7, кв. 12"),
    (None, "petrov.vasily@mail.ru", "Петров", "Василий", "Андреевич",
     "пр-т Ленина, д. 101, кв. 5"),
    (None, "olga.kuz@yandex.ru", "Кузнецова", "Ольга", "Сергеевна",
     "ул. Гагарина, д. 3"),
]


def spellings(p, email, last, first, middle, address):
    """Every form in which a value could sit in the files: as written, the E.164 digits, the
    national digits, the e-mail as sent and lower-cased, and UTF-16 as SQLite could have kept
    text in another encoding."""
    forms = [p, p[1:], p[2:], email, email.lower(), last, first, middle, address,
             f"{last} {first}", address.split(",")[0]]
    out = set()
    for f in forms:
        out.add(f.encode("utf-8"))
        out.add(f.encode("utf-16-le"))
        out.add(f.lower().encode("utf-8"))
    return out


def leaks(path, people):
    """The values of `people` found in the file at `path`, by person index."""
    data = path.read_bytes()
    return {i for i, who in enumerate(people) for s in spellings(*who) if s in data}


@pytest.fixture
def base(start_server, tmp_path):
    s = start_server()
    people = [(phone(), *rest) for _, *rest in PEOPLE]
    r = s.put("/v1/consent-documents/loyalty-pd", {"purpose": "pd_processing", "title": "ПДн",
                                                   "body": "Согласие на обработку ПДн."})
    assert r.status_code == 201, r.text
    ids = []
    for i, (p, email, last, first, middle, address) in enumerate(people):
        body = {"source": src("web" if i == 0 else "pos"),
                "profile": {"phone": p, "email": email, "last_name": last, "first_name": first,
                            "middle_name": middle, "address": address},
                "identifiers": {"external": {"shop": f"user-{i}"}}}
        if i == 0:  # a web form's consent, with its evidence: the IP address and user agent
            body["consents"] = [{
                "purpose": "pd_processing", "document": "loyalty-pd", "granted": True,
                "evidence": {"form_id": "f-join", "ip": "198.51.100.77",
                             "user_agent": "Mozilla/5.0 (KartotekaTestAgent)"}}]
        headers = {"Idempotency-Key": f"join-{i}"}
        r = s.post("/v1/customers", body, headers=headers)
        assert r.status_code == 201, r.text
        again = s.post("/v1/customers", body, headers=headers)  # a retry: the stored reply
        assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == r.json()
        ids.append(r.json()["customer"]["id"])
    ev = s.get(f"/v1/customers/{ids[0]}/consents/evidence").json()
    assert "198.51.100.77" in str(ev) and "KartotekaTestAgent" in str(ev)  # opened for the DPO
    # an enrolment at the cash desk: its code waits in the SMS outbox (no gateway here)
    r = s.post("/v1/pos/enroll", {"phone": people[1][0], "store": "S-1"})
    assert r.status_code in (200, 201), r.text
    assert r.json()["sms"]["queued"]
    card = r.json()["card"]["number"]
    # a receipt found by the phone
    r = s.post("/v1/purchases", {"store": "S-1", "receipt": "E-1",
                                 "customer": {"phone": people[2][0]},
                                 "lines": [{"sku": "A", "quantity": 1, "price": 1000,
                                            "amount": 1000}]})
    assert r.status_code == 201 and r.json()["customer_id"] == ids[2], r.text
    # every lookup still finds its customer, answered in clear
    for i, (p, email, *_rest) in enumerate(people):
        r = s.get("/v1/customers", params={"phone": p})
        assert [c["id"] for c in r.json()["items"]] == [ids[i]]
        assert r.json()["items"][0]["profile"]["phone"] == p
        r = s.get("/v1/customers", params={"email": email.lower()})
        assert [c["id"] for c in r.json()["items"]] == [ids[i]]
    r = s.get("/v1/customers", params={"card": card})
    assert [c["id"] for c in r.json()["items"]] == [ids[1]]
    # The DPO's free text may name the person: a request's note, the reasoned notice of its
    # extension, a block's note and the note of its end - read back in clear, sealed at rest.
    who = f"{people[0][2]} {people[0][3]}"
    r = s.post("/v1/privacy-requests", {"kind": "stop", "customer_id": ids[0],
                                        "channel": "letter", "note": f"{who}: letter of 1 May"})
    assert r.status_code == 201, r.text
    rq = r.json()["id"]
    r = s.post(f"/v1/privacy-requests/{rq}/extend", {"reason": f"{who}'s file is archived"})
    assert r.status_code == 200 and r.json()["extension_reason"] == f"{who}'s file is archived"
    r = s.post(f"/v1/customers/{ids[0]}/block", {"reason": "subject_request",
                                                 "privacy_request_id": rq,
                                                 "note": f"{who} asked to stop"})
    assert r.status_code == 201, r.text
    r = s.post(f"/v1/customers/{ids[0]}/unblock", {"outcome": "lawful",
                                                   "note": f"{who} was answered"})
    assert r.status_code == 200, r.text
    b = s.get(f"/v1/customers/{ids[0]}/blocks").json()["blocks"]
    assert [(x["note"], x["outcome_note"]) for x in b] == [(f"{who} asked to stop",
                                                            f"{who} was answered")]
    assert s.get(f"/v1/privacy-requests/{rq}").json()["note"] == f"{who}: letter of 1 May"
    return s, people, ids


def test_the_sealed_columns_hold_bytes_and_no_identifier_in_clear(base):
    """The rows, read beside the server on either backend: every sealed value is bytes (a BLOB, a
    bytea), and none of them holds a person's value in any spelling."""
    s, people, ids = base

    def sealed(sql, params=()):
        got = s.rows(sql, params)
        for row in got:
            for v in row:
                if isinstance(v, bytes):
                    assert not {i for i, who in enumerate(people) for x in spellings(*who)
                                if x in v}, sql
        return [tuple(isinstance(v, bytes) for v in row) for row in got]

    assert sealed("SELECT phone, email, last_name, address FROM customers WHERE id = ?",
                  (ids[0],)) == [(True, True, True, True)]
    assert (True, True) in sealed("SELECT recipient, content FROM outbox WHERE channel = 'sms'")
    assert sealed("SELECT body FROM idempotency").count((True,)) == len(people)
    assert sealed("SELECT note, outcome_note FROM customer_blocks") == [(True, True)]
    assert sealed("SELECT note, extension_reason FROM privacy_requests") == [(True, True)]


@sqlite_only("reads the bytes of the SQLite file, its WAL, a backup and the .keys/.reads files")
def test_the_files_and_a_backup_hold_no_identifier_in_clear(base, tmp_path):
    s, people, ids = base
    backup = tmp_path / "backup.db"
    src_con = sqlite3.connect(s.db)
    dst = sqlite3.connect(backup)
    src_con.backup(dst)  # as `sqlite3 k.db .backup`, while the server runs
    dst.close()
    src_con.close()
    wal = s.db.with_name(s.db.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # the writes are in it, not checkpointed away
    for f in (s.db, wal, backup):
        assert leaks(f, people) == set(), f.name
    # nor in the files beside it: the key store holds wrapped keys, the log of reads ids
    for ext in (".keys", ".keys-wal", ".reads"):
        f = s.db.with_name(s.db.name + ext)
        if f.exists():
            assert leaks(f, people) == set(), f.name
    data = s.db.read_bytes() + wal.read_bytes()
    assert b"198.51.100.77" not in data and b"KartotekaTestAgent" not in data
    # ... yet the rows are there, sealed: the values are BLOBs (in the backup too)
    assert rows(backup, "SELECT count(*) FROM customers WHERE id = ? AND typeof(phone) = 'blob' "
                "AND typeof(email) = 'blob' AND typeof(last_name) = 'blob' "
                "AND typeof(address) = 'blob'", (ids[0],)) == [(1,)]
    # A file copy of the stopped server's database holds nothing either.
    s.stop()
    copy = tmp_path / "copy.db"
    shutil.copy(s.db, copy)
    assert leaks(copy, people) == set()


def copy_with_keys(db_file, keys_from, to):
    """A database file put in a directory of its own with the key files of `keys_from` (a path
    whose .keys, .master and .secret siblings are taken)."""
    to.mkdir()
    shutil.copy(db_file, to / "k.db")
    for ext in (".keys", ".master", ".secret"):
        shutil.copy(str(keys_from) + ext, to / ("k.db" + ext))
    return to / "k.db"


def export(db, cid):
    return subprocess.run([BIN, "privacy", "export", cid, "--db", str(db)], capture_output=True,
                          text=True, timeout=60)


@sqlite_only("copies the SQLite file with its .keys/.master/.secret files from before an erasure")
def test_a_copy_made_before_an_erasure_cannot_be_read_for_that_person(base, tmp_path):
    s, people, ids = base
    s.stop()  # a consistent copy of every file: the database and its key store as they were
    before = tmp_path / "before"
    before.mkdir()
    for ext in ("", ".keys", ".master", ".secret"):
        shutil.copy(str(s.db) + ext, before / ("k.db" + ext))
    s.start()
    r = s.post(f"/v1/customers/{ids[0]}/erase", {"reason": "request"})
    assert r.status_code == 200, r.text
    s.stop()
    # The copy from before, with the key store of now: the erased person does not open...
    old = copy_with_keys(before / "k.db", s.db, tmp_path / "old-with-new-keys")
    r = export(old, ids[0])
    assert r.returncode == 1
    assert "key is destroyed" in r.stderr
    assert people[0][0] not in r.stdout + r.stderr
    # ... while everybody else in it still does, in clear.
    for i in (1, 2):
        r = export(old, ids[i])
        assert r.returncode == 0, r.stderr
        assert people[i][0] in r.stdout and people[i][3] in r.stdout
    # A lookup in that copy by the erased person's phone finds the row and answers 410.
    srv = Server.__new__(Server)  # on the copy, whose first start was long ago
    srv.dir, srv.db, srv.args, srv.env = old.parent, old, [], s.env
    srv.admin_key = s.admin_key  # its API keys are the installation's
    srv.start()
    try:
        r = srv.get("/v1/customers", params={"phone": people[0][0]})
        assert r.status_code == 410 and r.json()["error"]["code"] == "customer_key_destroyed"
        r = srv.get("/v1/customers", params={"phone": people[1][0]})
        assert r.status_code == 200 and r.json()["items"][0]["id"] == ids[1]
    finally:
        srv.stop()
    # What the erasure does not reach: the copy opened with the key store of before it (a
    # backup of the key store, and the master key) still reads the person. docs/operations.md:
    # keep the key store's backups short-lived and away from the database's.
    r = export(before / "k.db", ids[0])
    assert r.returncode == 0 and people[0][0] in r.stdout
    # The live key store keeps a tombstone, and its files no wrapped key of the person.
    con = sqlite3.connect(s.db.with_name(s.db.name + ".keys"))
    ck = sqlite3.connect(before / "k.db").execute(
        "SELECT ck FROM customers WHERE id = ?", (ids[0],)).fetchone()[0]
    row = con.execute("SELECT wrapped, destroyed_at FROM data_keys WHERE ck = ?",
                      (ck,)).fetchone()
    old_wrapped = sqlite3.connect(before / "k.db.keys").execute(
        "SELECT wrapped FROM data_keys WHERE ck = ?", (ck,)).fetchone()[0]
    con.close()
    assert row[0] is None and row[1] is not None
    for ext in (".keys", ".keys-wal"):
        f = s.db.with_name(s.db.name + ext)
        if f.exists():
            assert old_wrapped not in f.read_bytes(), ext


@sqlite_only("edits the SQLite key store k.db.keys and reads the master key file k.db.master")
def test_the_master_key_is_rotated_by_the_cli_and_an_interrupted_rotation_resumes(base, tmp_path):
    s, people, ids = base
    s.stop()
    old_key = s.db.with_name(s.db.name + ".master").read_text()
    new_key = tmp_path / "new.key"
    new_key.write_text(bytes(range(32)).hex() + "\n")
    new_key.chmod(0o600)
    keys = s.db.with_name(s.db.name + ".keys")
    # A rotation that stopped half way: the key store says so, and a server on the old key alone
    # refuses to start rather than meet keys it cannot open.
    con = sqlite3.connect(keys)
    con.execute("INSERT INTO ks_meta (key, value) VALUES ('rotating_to', 'x')")
    con.commit()
    con.close()
    r = subprocess.run([BIN, "serve", "--db", str(s.db), "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "rotate-master" in r.stderr
    con = sqlite3.connect(keys)
    con.execute("DELETE FROM ks_meta WHERE key = 'rotating_to'")
    con.commit()
    con.close()
    r = s.cli("keys", "rotate-master", "--new-key-file", str(new_key))
    assert "under the new master key" in r.stdout
    assert s.db.with_name(s.db.name + ".master").read_text().strip() == bytes(range(32)).hex()
    con = sqlite3.connect(keys)
    ids_used = {row[0] for row in con.execute(
        "SELECT DISTINCT master_id FROM data_keys WHERE master_id IS NOT NULL")}
    con.close()
    assert len(ids_used) == 1
    # The server opens everything with the new key; the old key opens nothing any more.
    s.start()
    r = s.get("/v1/customers", params={"phone": people[1][0]})
    assert r.status_code == 200 and r.json()["items"][0]["profile"]["last_name"] == people[1][2]
    s.stop()
    r = subprocess.run([BIN, "privacy", "export", ids[1], "--db", str(s.db)], capture_output=True,
                       text=True, timeout=60, env=dict(s.env, KARTOTEKA_MASTER_KEY=old_key.strip()))
    assert r.returncode == 1 and "master key does not open the key store" in r.stderr
    audit = s.cli("privacy", "audit", "--action", "key").stdout
    assert "rotate-master" in audit
    # Run again: nothing left to do, and it says so.
    r = s.cli("keys", "rotate-master", "--new-key-file", str(new_key))
    assert "rewrapped 0 data keys" in r.stdout


def test_the_rotation_verb_answers_help_and_refuses_bad_usage(tmp_path):
    r = subprocess.run([BIN, "keys", "rotate-master", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--new-key-file" in r.stdout
    r = subprocess.run([BIN, "keys", "rotate-master", "--db", db_arg(tmp_path / "k.db")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--new-key-file" in r.stderr
    r = subprocess.run([BIN, "keys", "rotate-master", "--bogus"], capture_output=True, text=True)
    assert r.returncode == 2
    # a new key file that is not a key: the verb fails (1) and changes nothing
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    bad.chmod(0o600)
    r = subprocess.run([BIN, "keys", "rotate-master", "--new-key-file", str(bad), "--db",
                        db_arg(tmp_path / "k.db")], capture_output=True, text=True)
    assert r.returncode == 1 and "64 hexadecimal digits" in r.stderr
