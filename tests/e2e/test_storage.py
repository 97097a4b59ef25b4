"""A store that cannot write (issue 11, item 2): a full disk or the --db-max-size cap answers 507
storage_full with Retry-After, /readyz says so while writes fail and recovers by itself once they
succeed, reads go on, and nothing acknowledged is lost - without a restart.

Two ways to fill the store: SQLite's own page cap (--db-max-size; always runs) and a real small
filesystem (a tmpfs the test mounts; runs where the test may mount, as CI's root does)."""
import os
import shutil
import subprocess
import time

import pytest

from conftest import Server, sqlite_only


def upsert(s, i, key):
    return s.post("/v1/customers", {
        "source": {"channel": "pos", "store": "S-1"},
        "profile": {"phone": f"+7916{i:07d}", "first_name": "Тест", "last_name": "Заполнение",
                    "address": "ул. Длинная, д. 1, кв. " + "9" * 200},
        "attributes": {}}, key=key)


def fill_until_full(s, key, limit=100000):
    """Upserts new customers until the store refuses one; returns the phones acknowledged."""
    acked = []
    for i in range(limit):
        r = upsert(s, i, key)
        if r.status_code == 507:
            body = r.json()["error"]
            assert body["code"] == "storage_full", body
            assert "phone" not in body["message"] and "+7916" not in r.text
            assert int(r.headers["Retry-After"]) > 0
            return acked
        assert r.status_code == 201, r.text
        acked.append(f"+7916{i:07d}")
    pytest.fail("the store never filled")


def ready(s):
    r = s.get("/readyz", key=None)
    return r.status_code, r.json().get("status")


def all_there(s, key, phones):
    for p in phones[:: max(1, len(phones) // 200)] + phones[-3:]:
        r = s.get("/v1/customers", params={"phone": p}, key=key)
        assert r.status_code == 200 and len(r.json()["items"]) == 1, (p, r.text)


@sqlite_only("--db-max-size is SQLite's page cap (max_page_count)")
def test_the_size_cap_answers_storage_full_and_readiness_follows(tmp_path):
    s = Server(tmp_path / "cap", args=["--db-max-size", str(2 << 20)])
    try:
        pos = s.new_key("pos")
        acked = fill_until_full(s, pos)
        assert len(acked) > 10  # each new customer takes ~40 KB of WAL: tens fit in 3 MiB
        code, status = ready(s)
        assert (code, status) == (503, "storage_full")
        assert s.get("/healthz", key=None).status_code == 200  # alive: do not restart it
        all_there(s, pos, acked)  # reads go on, and every acknowledged write is there
        # Near the cap a small write may still fit in a page with room; the store stays out of
        # rotation until there is room for more than that.
        assert upsert(s, 999999, pos).status_code in (201, 507)
        assert ready(s) == (503, "storage_full")
        assert "storage_failing cause=full" in s.stderr()
    finally:
        s.stop()


def can_mount():
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    probe = "/tmp/kt-mount-probe"
    os.makedirs(probe, exist_ok=True)
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe],
                        capture_output=True).returncode == 0
    if ok:
        subprocess.run(["umount", probe])
    os.rmdir(probe)
    return ok


@pytest.mark.skipif(not can_mount(), reason="mounting a small filesystem needs root")
@sqlite_only("the SQLite file is put on a small tmpfs; PostgreSQL's data lives in the session's "
             "cluster, elsewhere (a twin would give a cluster of its own a tmpfs)")
def test_a_full_filesystem_recovers_without_a_restart(tmp_path):
    fs = tmp_path / "fs"
    fs.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(fs)], check=True)
    s = None
    try:
        s = Server(fs / "k")
        pos = s.new_key("pos")
        # Take all but ~3 MiB of the filesystem with a file the "operator" deletes later.
        st = os.statvfs(fs)
        filler = fs / "filler"
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - (3 << 20)))
        acked = fill_until_full(s, pos)
        assert len(acked) > 10  # each new customer takes ~40 KB of WAL: tens fit in 3 MiB
        assert ready(s) == (503, "storage_full")
        all_there(s, pos, acked)
        # The operator frees space; no restart.
        filler.unlink()
        deadline = time.monotonic() + 10
        while ready(s) != (200, "ready") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert ready(s) == (200, "ready")
        r = upsert(s, 888888, pos)
        assert r.status_code == 201, r.text
        all_there(s, pos, acked + ["+79160888888"])
        assert "storage_writable" in s.stderr()
    finally:
        if s is not None:
            s.stop()
        subprocess.run(["umount", "-l", str(fs)])
