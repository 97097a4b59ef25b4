"""Bulk import: the CLI and POST /v1/imports, any delimiter and encoding Russian Excel writes,
every row with a result, nothing lost, and a second run that changes nothing."""
import csv
import datetime
import io
import re
import subprocess
import time

import pytest

from conftest import BACKEND, BIN, src

pytestmark = pytest.mark.usefixtures("pending_policy")

HEADER = ["Телефон", "ФИО", "Дата рождения", "E-mail", "Город", "Комментарий"]


def rows(prefix, n=60):
    """Synthetic people. Every 15th has a bad phone and no e-mail, so nothing identifies it and
    the row is rejected; every 10th has an impossible birth date, refused on its own."""
    out = []
    for i in range(n):
        bad_phone = i % 15 == 0
        phone = "12-34" if bad_phone else f"8 999 {prefix:>3}-{i // 100:02d}-{i % 100:02d}"
        birth = "31.02.1985" if i % 10 == 0 else f"{1 + i % 28:02d}.03.19{60 + i % 40}"
        email = "" if bad_phone else f"m{prefix}{i}@mail.ri"
        out.append([phone, "Иванова Мария Петровна", birth, email, "мск" if i % 2 else "Питер",
                    "коммент; с точкой"])
    return out


def write_csv(path, data, delimiter=";", encoding="utf-8"):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(data)
    path.write_bytes(buf.getvalue().encode(encoding))


def run_import(server, path, *args):
    return server.cli("import", "customers", str(path), *args, check=False)


def test_cli_import_in_every_excel_dialect(server, tmp_path):
    for k, (delim, enc) in enumerate([(";", "utf-8"), (",", "utf-8-sig"), ("\t", "cp1251"),
                                      ("\t", "utf-16")]):
        prefix = f"{100 + k}"
        path = tmp_path / f"c{k}.csv"
        write_csv(path, rows(prefix), delim, enc)
        r = run_import(server, path)
        assert r.returncode == 0, r.stderr
        out = r.stdout
        assert "60 rows" in out, out
        # 4 rows with nothing to identify them are rejected; 4 keep all but the birth date
        assert "created 56, updated 0, unchanged 0, partial 4, rejected 4" in out, out
        assert "Телефон=phone" in out and "ignored: Комментарий" in out
        rejects = (tmp_path / f"c{k}.csv.rejects.csv").read_bytes().decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(rejects), delimiter=delim))
        assert table[0][-3:] == ["_row", "_status", "_reasons"]
        assert table[0][:len(HEADER)] == HEADER
        statuses = sorted(row[-2] for row in table[1:])
        assert statuses == ["partial"] * 4 + ["rejected"] * 4
        assert any("birth_date: no_such_date" in row[-1] for row in table[1:])
        assert any("phone: too_short" in row[-1] for row in table[1:])
        # the comment with the delimiter inside survived quoting
        assert all(row[HEADER.index("Комментарий")] == "коммент; с точкой" for row in table[1:])
    # the same file again changes nothing
    before = server.counts()
    r = run_import(server, tmp_path / "c0.csv")
    assert "created 0, updated 0, unchanged 56, partial 4, rejected 4" in r.stdout, r.stdout
    assert server.counts()["customers"] == before["customers"]
    assert server.counts()["history"] == before["history"]


def test_imported_rows_are_cleaned_like_the_api(server, tmp_path):
    path = tmp_path / "one.csv"
    write_csv(path, [["+7 (999) 555-01-01", "ПЕТРОВ пётр", "31.02.1985", "petr@gmial.com", "г. Москва",
                      ""]])
    r = run_import(server, path, "--store", "S-7", "--operator", "op-3")
    assert r.returncode == 0 and "partial 1" in r.stdout, r.stdout
    cust = server.get("/v1/customers", params={"phone": "+79995550101"}).json()["items"][0]
    assert cust["profile"]["last_name"] == "Петров" and cust["profile"]["first_name"] == "Пётр"
    assert cust["profile"]["email"] == "petr@gmail.com"
    assert cust["profile"]["city"] == "Москва"
    assert "birth_date" not in cust["profile"]
    hist = server.get(f"/v1/customers/{cust['id']}/history").json()["items"]
    refused = [h for h in hist if h["action"] == "refused"]
    assert refused == [{**refused[0], "field": "profile.birth_date", "new_value": "31.02.1985",
                        "reason": "no_such_date"}]
    assert hist[0]["source"] == {"channel": "import", "store": "S-7", "operator": "op-3"}


def test_explicit_mapping_external_ids_and_attributes(server, tmp_path):
    assert server.put("/v1/attributes/pets", {"type": "list", "items": "enum",
                                               "values": ["cat", "dog", "fish"]}).status_code in (200, 201)
    path = tmp_path / "m.csv"
    path.write_text("ID сайта|Имя|Питомцы|Лишнее\r\nu-77|Ольга|cat, dog|x\r\nu-78|Ира|cow|y\r\n",
                    encoding="utf-8")
    r = run_import(server, path, "--map", "ID сайта=external:eshop,Имя=first_name,Питомцы=attr:pets,Лишнее=-",
                   "--delimiter", "|")
    assert r.returncode == 0, r.stderr
    assert "created 2" in r.stdout and "partial 1" in r.stdout, r.stdout
    olga = server.get("/v1/customers", params={"external": "eshop:u-77"}).json()["items"][0]
    assert olga["attributes"] == {"pets": ["cat", "dog"]}
    r = run_import(server, path, "--map", "ID сайта=shoe_size", "--delimiter", "|")
    assert r.returncode == 1 and "unknown target 'shoe_size'" in r.stderr
    r = run_import(server, path, "--map", "ID сайта=external:eshop")  # ';' is the wrong delimiter
    assert r.returncode == 1 and "does not have" in r.stderr


def test_a_file_without_identifiers_is_refused(server, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Имя;Город\r\nАнна;Казань\r\n", encoding="utf-8")
    r = run_import(server, path)
    assert r.returncode == 1 and "no column holds a phone" in r.stderr


def test_import_through_the_api(server):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(rows("300", 40))
    body = buf.getvalue().encode("cp1251")
    r = server.request("POST", "/v1/imports?store=S-9&file_name=shop.csv", data=body,
                       headers={"Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "queued" and job["url"] == f"/v1/imports/{job['id']}"
    deadline = time.time() + 60
    while job["state"] in ("queued", "running"):
        assert time.time() < deadline
        time.sleep(0.1)
        job = server.get(job["url"]).json()
    assert job["state"] == "done", job
    assert (job["rows"], job["created"], job["partial"], job["rejected"]) == (40, 37, 2, 3)
    assert job["file_name"] == "shop.csv" and job["bytes_done"] == job["bytes_total"]
    rej = server.get(job["rejects_url"])
    assert rej.status_code == 200 and rej.headers["Content-Type"].startswith("text/csv")
    assert rej.text.count("\r\n") == 1 + 2 + 3
    listing = server.get("/v1/imports").json()["items"]
    assert listing[0]["id"] == job["id"]
    # admin only, CSV only
    pos = server.new_key("pos")
    assert server.request("POST", "/v1/imports", data=body, key=pos,
                          headers={"Content-Type": "text/csv"}).status_code == 403
    r = server.request("POST", "/v1/imports", data=body,
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    r = server.request("POST", "/v1/imports?delimiter=x", data=body,
                       headers={"Content-Type": "text/csv"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "delimiter"
    assert server.get("/v1/imports/i_0000000000000000000a").status_code == 404


def test_quality_report_names_who_brings_bad_data(server):
    for i in range(25):
        server.post("/v1/customers", {"source": src("pos", store="S-bad", operator="op-fake"),
                                      "profile": {"phone": "+7 999 999-99-99" if i % 2 else "1"}})
    for i in range(25):
        server.post("/v1/customers", {"source": src("pos", store="S-good", operator="op-ok"),
                                      "profile": {"phone": f"+7 999 777 {i:04d}"}})
    rep = server.get("/v1/reports/quality").json()
    assert rep["customers"] > 100
    stores = {s["store"]: s for s in rep["sources"]["by_store"]}
    assert stores["S-bad"]["requests"] == 25 and stores["S-bad"]["refused"] == 13
    assert stores["S-bad"]["junk_rate"] > 0.9 and stores["S-good"]["junk_rate"] == 0
    ops = rep["sources"]["by_operator"]
    assert ops[0]["operator"] == "op-fake"  # the worst first
    channels = {c["channel"] for c in rep["sources"]["by_channel"]}
    assert {"pos", "import"} <= channels
    assert rep["validity"]["phone"]["suspicious"] >= 1
    assert rep["validity"]["birth_date"]["refused"] >= 4
    assert rep["duplicates"]["same_name_and_birth_date"]["groups"] >= 0
    assert set(rep["cards_per_customer"]) == {"0", "1", "2", "3+"}
    assert server.get("/v1/reports/quality", key=server.new_key("pos")).status_code == 403
    out = server.cli("report", "quality", "--json").stdout
    assert '"customers"' in out


def read_rejects(path, delimiter=";"):
    text = path.read_bytes().decode("utf-8-sig")  # the reject file is always valid UTF-8
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def test_a_nul_byte_refuses_its_row_instead_of_cutting_the_value(server, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(("Телефон;ФИО;Город\r\n"
                      "8 999 401-00-01;Иванова Анна;Казань\r\n"
                      "8 999 401-00-02;И\x00ванов Пётр;Казань\r\n"
                      "8 999 401-00-03;Петрова Ольга;Ка\x00зань\r\n").encode("utf-8"))
    r = run_import(server, path)
    assert r.returncode == 0, r.stderr
    assert "created 1, updated 0, unchanged 0, partial 0, rejected 2" in r.stdout, r.stdout
    table = read_rejects(tmp_path / "nul.csv.rejects.csv")
    assert [row[-3:] for row in table[1:]] == [["3", "rejected", "ФИО: nul_byte"],
                                                ["4", "rejected", "Город: nul_byte"]]
    # the byte is shown, not hidden: U+FFFD where it was
    assert table[1][1] == "И\ufffdванов Пётр"
    for p in ("+79994010002", "+79994010003"):
        assert server.get("/v1/customers", params={"phone": p}).json()["items"] == []


def test_one_bad_byte_rejects_its_row_not_the_whole_file(server, tmp_path):
    data = rows("402", 30)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(HEADER)
    w.writerows(data)
    lines = buf.getvalue().encode("utf-8").split(b"\r\n")
    # line 8 (row i=6) gets one byte that is not UTF-8 in the middle of the name
    lines[7] = lines[7].replace("Мария".encode(), "Ма".encode() + b"\xff" + "рия".encode())
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\r\n".join(lines))
    r = run_import(server, path)
    assert r.returncode == 0, r.stderr
    assert "(utf-8, delimiter ';')" in r.stdout, r.stdout
    # rows 0 and 15 have nothing that identifies them, row 6 has the bad byte
    assert "created 27, updated 0, unchanged 0, partial 2, rejected 3" in r.stdout, r.stdout
    table = read_rejects(tmp_path / "bad.csv.rejects.csv")
    bad = [row for row in table[1:] if row[-3] == "8"]
    assert [row[-2:] for row in bad] == [["rejected", "ФИО: invalid_utf8"]], table
    assert bad[0][1] == "Иванова Ма\ufffdрия Петровна"
    # the other rows are read as UTF-8, not as Windows-1251
    cust = server.get("/v1/customers", params={"phone": "+79994020001"}).json()["items"][0]
    assert cust["profile"]["last_name"] == "Иванова"
    assert server.get("/v1/customers", params={"phone": "+79994020006"}).json()["items"] == []


def api_import(server, body, query="store=S-9"):
    r = server.request("POST", f"/v1/imports?{query}", data=body,
                       headers={"Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    url = r.json()["url"]
    job = r.json()
    deadline = time.time() + 60
    while job["state"] in ("queued", "running"):
        assert time.time() < deadline
        time.sleep(0.05)
        job = server.get(url).json()
    assert job["state"] == "done", job
    return dict(job, url=url)


def test_rejects_expire_after_the_term(server):
    """The reject file holds raw rows of people's data: it is kept 30 days by default
    (--import-rejects-days), then the due work removes it, on the server or by run-due."""
    body = ("Телефон;ФИО\r\n8 999 403-00-01;Иванова Анна\r\n12-34;Отказов Пётр\r\n").encode()
    job = api_import(server, body)
    assert (job["created"], job["rejected"]) == (1, 1)
    url = job["rejects_url"]
    assert "Отказов Пётр;3;rejected" in server.get(url).text  # _row is the line in the file

    def run_due(days, *flags):
        """How many reject rows the due work removed at `days` from now (other tests of this
        module leave rejects too)."""
        at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
        out = server.cli("run-due", "--now", at.strftime("%Y-%m-%dT%H:%M:%SZ"), *flags).stdout
        return int(re.search(r"(\d+) import reject rows? expired", out).group(1))

    assert run_due(29) == 0
    assert server.get(url).status_code == 200
    assert run_due(31) >= 1
    r = server.get(url)
    assert r.status_code == 404 and r.json()["error"]["code"] == "no_rejects"
    assert "rejects_url" not in server.get(job["url"]).json()
    # the job's counts stay: they are no personal data
    assert server.get(job["url"]).json()["rejected"] == 1
    # a shorter term
    job = api_import(server, body.replace(b"403", b"404"))
    assert run_due(0.5, "--import-rejects-days", "1") == 0
    assert run_due(1.5, "--import-rejects-days", "1") == 1
    assert server.get(job["rejects_url"]).status_code == 404
    # the bytes are gone from the database file and its WAL, not just from the index (SQLite's
    # files; a PostgreSQL twin would read the cluster's)
    files = (server.db, server.db.with_name(server.db.name + "-wal"))
    for f in files if BACKEND == "sqlite" else ():
        if f.exists():
            assert "Отказов".encode() not in f.read_bytes(), f.name
    r = server.cli("run-due", "--import-rejects-days", "0", check=False)
    assert r.returncode == 2 and "--import-rejects-days" in r.stderr
