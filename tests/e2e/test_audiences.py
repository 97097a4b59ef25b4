"""Audiences for the ad platforms (issue 18, docs/audiences.md): a saved segment written as a
Yandex Audiences or VK Ads file by `kartoteka segment export-audience` - only the members whose
third_party_transfer and pd_processing consents are given, each value normalised and hashed as
the platform asks - and each transfer in the customer's own export (152-FZ: who received her
data) and in the audit log."""
import hashlib
import time

import pytest

from conftest import phone


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from conftest import Server
    s = Server(tmp_path_factory.mktemp("audiences"))
    for name, purpose in (("pd", "pd_processing"), ("tp", "third_party_transfer")):
        r = s.put(f"/v1/consent-documents/{name}", {
            "purpose": purpose, "title": name, "body": f"Текст согласия {name}."})
        assert r.status_code == 201, r.text
    yield s
    s.stop()


def grant(purpose, doc):
    return {"purpose": purpose, "document": f"{doc}@1", "granted": True,
            "evidence": {"form_id": "f-signup"}}


def customer(srv, p=None, email=None, transfer=True):
    consents = [grant("pd_processing", "pd")] + ([grant("third_party_transfer", "tp")]
                                                 if transfer else [])
    profile = {k: v for k, v in (("phone", p), ("email", email)) if v}
    r = srv.post("/v1/customers", {"source": {"channel": "web"}, "profile": profile,
                                   "consents": consents})
    assert r.status_code == 201, r.text
    return r.json()["customer"]["id"]


def sha(v):
    return hashlib.sha256(v.encode()).hexdigest()


def md5(v):
    return hashlib.md5(v.encode()).hexdigest()


@pytest.fixture(scope="module")
def people(srv):
    pa, pb, pc, pd_ = phone(), phone(), phone(), phone()
    ids = {
        "a": customer(srv, pa, "Anna.Audience@Example.org"),
        "b": customer(srv, pb),                                   # a phone only
        "c": customer(srv, pc, "no.transfer@example.org", transfer=False),
        "d": customer(srv, pd_, "withdrew@example.org"),
        "e": customer(srv, None, "email.only@example.org"),       # not in the segment
    }
    r = srv.post(f"/v1/customers/{ids['d']}/consents", {
        "source": {"channel": "admin"},
        "consents": [{"purpose": "third_party_transfer", "granted": False}]})
    assert r.status_code in (200, 201), r.text
    r = srv.post("/v1/segments", {"name": "retarget", "query": "has phone"})
    assert r.status_code == 201, r.text
    return ids, {"a": pa, "b": pb, "c": pc, "d": pd_}


def export(srv, tmp_path, fmt, name="retarget"):
    out = tmp_path / f"{fmt}.txt"
    r = srv.cli("segment", "export-audience", name, "--format", fmt, "--out", str(out),
                check=False)
    return r, out


def digits(p):
    return "".join(ch for ch in p if ch.isdigit())


def test_yandex_file_holds_only_the_consenting_members_hashed(srv, people, tmp_path):
    ids, phones = people
    r, out = export(srv, tmp_path, "yandex")
    assert r.returncode == 0, r.stderr
    assert "2 customers allowed, 2 written" in r.stderr, r.stderr
    assert "fewer than the platform takes" in r.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == '"phone","email"'
    want = {f'"{sha(digits(phones["a"]))}","{sha("anna.audience@example.org")}"',
            f'"{sha(digits(phones["b"]))}",""'}
    assert set(lines[1:]) == want
    # her own export names the recipient; the one without the consent's names none
    doc = srv.get(f"/v1/customers/{ids['a']}/export").json()
    assert [(t["recipient"], t["segment"], t["format"], t["fields"], t["times"])
            for t in doc["transfers"]] == [("yandex_audiences", "retarget", "yandex",
                                            "phone,email", 1)]
    for who in ("c", "d", "e"):
        assert srv.get(f"/v1/customers/{ids[who]}/export").json()["transfers"] == []


def test_vk_lists_hold_one_kind_each_and_count_the_runs(srv, people, tmp_path):
    ids, phones = people
    r, out = export(srv, tmp_path, "vk-phone")
    assert r.returncode == 0, r.stderr
    assert set(out.read_text().splitlines()) == {md5(digits(phones["a"])),
                                                 md5(digits(phones["b"]))}
    r, out = export(srv, tmp_path, "vk-email")
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines() == [md5("anna.audience@example.org")]
    r, out = export(srv, tmp_path, "vk-email")
    assert r.returncode == 0, r.stderr
    doc = srv.get(f"/v1/customers/{ids['a']}/export").json()
    got = {t["format"]: t["times"] for t in doc["transfers"]}
    assert got["vk-email"] == 2 and got["vk-phone"] == 1
    doc = srv.get(f"/v1/customers/{ids['b']}/export").json()
    assert "vk-email" not in {t["format"] for t in doc["transfers"]}
    # her Yandex line carried her phone alone: the record says so
    assert {t["format"]: t["fields"] for t in doc["transfers"]}["yandex"] == "phone"


def test_each_run_is_in_the_audit_log(srv, people, tmp_path):
    r, _ = export(srv, tmp_path, "yandex")
    assert r.returncode == 0, r.stderr
    r = srv.get("/v1/audit?action=transfer")
    assert r.status_code == 200, r.text
    details = [e.get("detail", "") for e in r.json()["items"]]
    assert any("to yandex_audiences (retarget, yandex)" in d for d in details), details


def test_bad_input_is_refused_and_leaves_no_file(srv, people, tmp_path):
    r, out = export(srv, tmp_path, "yandex", name="no-such-segment")
    assert r.returncode == 1 and "segment" in r.stderr and not out.exists()
    r, out = export(srv, tmp_path, "facebook")
    assert r.returncode == 2 and "--format" in r.stderr and not out.exists()
    r = srv.cli("segment", "export-audience", "--help")
    assert r.returncode == 0 and "Yandex Audiences" in r.stdout


def test_many_members_come_out_whole_and_in_order(tmp_path_factory, tmp_path):
    """Enough members for every reading thread to take a slice: each line once, in the order of
    the members (the customers' keys), the run's count the file's."""
    from conftest import Server
    s = Server(tmp_path_factory.mktemp("audiences-many"))
    for name, purpose in (("pd", "pd_processing"), ("tp", "third_party_transfer")):
        assert s.put(f"/v1/consent-documents/{name}", {
            "purpose": purpose, "title": name, "body": "Текст."}).status_code == 201
    made = [phone() for _ in range(1100)]
    for p in made:
        customer(s, p)
    assert s.post("/v1/segments", {"name": "all", "query": "has phone"}).status_code == 201
    r, out = export(s, tmp_path, "vk-phone", name="all")
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines() == [md5(digits(p)) for p in made]
    assert "1100 customers allowed, 1100 written" in r.stderr
    s.stop()


def test_a_scheduled_audience_is_rewritten_by_the_server_when_due(srv, people, tmp_path):
    out = tmp_path / "sched.csv"
    r = srv.cli("segment", "export-audience", "retarget", "--format", "yandex", "--out",
                str(out), "--every", "24h", check=False)
    assert r.returncode == 0, r.stderr
    assert "the server refreshes it on its schedule" in r.stderr
    first = out.read_text()
    listed = srv.cli("segment", "export-audience", "--schedules").stdout
    assert "yandex every 24 h -> " + str(out) in listed and "last never" in listed, listed
    out.unlink()
    srv.cli("run-due")  # not due yet: nothing written
    assert not out.exists()
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 25 * 3600))
    r = srv.cli("run-due", "--now", later)
    assert "1 audience file written, 0 failed" in r.stdout, r.stdout
    assert out.read_text() == first  # the same members, the file rewritten whole
    assert not (tmp_path / "sched.csv.part").exists()
    listed = srv.cli("segment", "export-audience", "--schedules").stdout
    assert "last never" not in listed and "failed" not in listed, listed
    r = srv.cli("run-due", "--now", later)  # the next is a day on
    assert "0 audience files written" in r.stdout, r.stdout
    # off: removed, nothing exported; off again: there is none
    r = srv.cli("segment", "export-audience", "retarget", "--format", "yandex", "--every", "off")
    assert "removed" in r.stderr
    assert srv.cli("segment", "export-audience", "--schedules").stdout == ""
    r = srv.cli("segment", "export-audience", "retarget", "--format", "yandex", "--every", "off",
                check=False)
    assert r.returncode == 1 and "no schedule" in r.stderr
    for bad in (["--every", "5m", "--out", str(out)], ["--every", "24h", "--out", "rel.csv"],
                ["--every", "24h"]):
        r = srv.cli("segment", "export-audience", "retarget", "--format", "yandex", *bad,
                    check=False)
        assert r.returncode == 2 and "--every" in r.stderr, (bad, r.stderr)


def test_a_scheduled_export_that_fails_keeps_its_code_and_writes_nothing(srv, people, tmp_path):
    gone = tmp_path / "no-such-dir"
    gone.mkdir()
    out = gone / "a.csv"
    r = srv.cli("segment", "export-audience", "retarget", "--format", "vk-phone", "--out",
                str(out), "--every", "1h", check=False)
    assert r.returncode == 0, r.stderr
    out.unlink()
    gone.rmdir()  # the folder is gone: the next run cannot write
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2 * 3600))
    r = srv.cli("run-due", "--now", later)
    assert "0 audience files written, 1 failed" in r.stdout, r.stdout
    assert "failed: cannot_write" in srv.cli("segment", "export-audience", "--schedules").stdout
    srv.cli("segment", "export-audience", "retarget", "--format", "vk-phone", "--every", "off")
