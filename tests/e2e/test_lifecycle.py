"""Start, stop and the database underneath: the first key, environment settings, graceful
shutdown with a request in flight, a busy database, migrations."""
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time

from conftest import BACKEND, BIN, db_arg, phone, rows, sqlite_only, src
from peers import free_port


def test_first_start_prints_a_key_once(start_server):
    s = start_server()
    assert "curl -s -H 'Authorization: Bearer kt_" in s.stdout()
    assert s.get("/v1/customers").status_code == 200
    key = s.admin_key
    s.stop()
    s.start()
    assert "kt_" not in s.stdout()  # no second key on the next start
    assert s.get("/v1/customers", key=key).status_code == 200
    assert "kt_" not in s.stderr()  # keys never reach the log


def test_the_default_workers_fit_the_store(start_server):
    # SQLite's requests run on a core: one worker per CPU, at least 2. PostgreSQL's mostly wait
    # for the database's replies and commits: four per CPU, at least 8 (with one per CPU, one
    # server's receipts went at the pace of two commits at a time; BENCHMARKS.md).
    s = start_server()
    threads = int(re.search(r"\bthreads=(\d+)", s.stderr()).group(1))
    cpus = os.cpu_count()
    assert threads == (max(4 * cpus, 8) if BACKEND == "postgres" else max(cpus, 2))


def test_settings_come_from_the_environment(start_server, tmp_path):
    # Flags win over the environment: the harness's --listen beats a bogus KARTOTEKA_LISTEN.
    s = start_server(env={"KARTOTEKA_LISTEN": "bogus", "KARTOTEKA_MAX_BODY": "2048",
                          "KARTOTEKA_THREADS": "3"})
    assert "threads=3" in s.stderr()
    r = s.post("/v1/customers", {"source": src(), "profile": {"phone": phone(),
                                                              "address": "a" * 900}})
    assert r.status_code == 201
    r = s.post("/v1/customers", {"source": src(), "profile": {"address": "a" * 3000}})
    assert r.status_code == 413
    s.stop()

    port = free_port()
    env = dict(os.environ, KARTOTEKA_LISTEN=f"127.0.0.1:{port}", KARTOTEKA_LOG_LEVEL="warn",
               KARTOTEKA_DB=db_arg(tmp_path / "env.db"), KARTOTEKA_DRAIN="0")
    proc = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        import requests
        deadline = time.monotonic() + 30
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        # the database it was told of is the one it made its schema in
        assert rows(tmp_path / "env.db", "SELECT count(*) FROM schema_migrations")[0][0] > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert b"level=info" not in err  # info lines are off at level warn


def test_graceful_shutdown_finishes_the_request_in_flight(start_server):
    s = start_server()
    p = phone()
    body = json.dumps({"source": src(), "profile": {"phone": p}}).encode()
    host, port = s.url.split("//")[1].split(":")
    sock = socket.create_connection((host, int(port)))
    head = (f"POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {s.admin_key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    sock.sendall(head + body[:10])  # the request is now in flight
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert s.proc.poll() is None, "the server quit with a request in flight"
    sock.sendall(body[10:])
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += sock.recv(65536)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 201"), reply[:200]
    log = s.stop()
    assert "event=shutdown" in log and "unfinished_requests=0" in log
    if BACKEND == "sqlite":  # the WAL checkpointed away at the end
        assert not os.path.exists(str(s.db) + "-wal") or os.path.getsize(str(s.db) + "-wal") == 0
    n = s.rows("SELECT count(*) FROM identifiers WHERE kind = 'phone'")[0][0]
    assert n == 1  # what was answered is in the database (its value sealed: test_encryption)


@sqlite_only("another process holds SQLite's write lock (BEGIN IMMEDIATE) past --busy-timeout")
def test_a_busy_database_answers_503_and_changes_nothing(start_server):
    s = start_server(args=["--busy-timeout", "300"])
    before = s.counts()
    con = sqlite3.connect(s.db, timeout=5, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        r = s.post("/v1/customers", {"source": src(), "profile": {"phone": phone()}})
        assert r.status_code == 503
        assert r.headers["Retry-After"] == "1"
        assert r.json()["error"]["code"] == "store_busy"
        assert s.get("/healthz", key=None).status_code == 200
        assert s.get("/v1/attributes").status_code == 200  # readers still work
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert s.counts() == before
    r = s.post("/v1/customers", {"source": src(), "profile": {"phone": phone()}})
    assert r.status_code == 201


def test_sigint_stops_cleanly_and_a_restart_serves_again(start_server):
    s = start_server()
    assert s.get("/readyz", key=None).json()["status"] == "ready"
    log = s.stop(sig=signal.SIGINT)
    assert "signal=SIGINT" in log
    s.start()
    assert s.get("/readyz", key=None).status_code == 200


def test_migrate_command(tmp_path):
    db = tmp_path / "m.db"
    r = subprocess.run([BIN, "migrate", "--db", db_arg(db), "--status"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "schema version 0 of" in r.stdout
    r = subprocess.run([BIN, "migrate", "--db", db_arg(db)], capture_output=True, text=True)
    assert r.returncode == 0 and re.search(r"applied [1-9]\d* migration", r.stdout)
    assert "up to date" in r.stdout
    r = subprocess.run([BIN, "migrate"], capture_output=True, text=True,
                       env=dict(os.environ, KARTOTEKA_DB=db_arg(db)))
    assert r.returncode == 0 and "applied 0 migrations" in r.stdout


@sqlite_only("writes SQLite's first schema (migrations/sqlite/0001) by hand; PostgreSQL's "
             "schema starts at its baseline 0039")
def test_an_old_database_is_upgraded_with_its_data(tmp_path, start_server):
    """A database made by the first schema keeps its customers through every later migration."""
    from conftest import ROOT, Server
    db = tmp_path / "srv" / "k.db"
    db.parent.mkdir()
    first = (ROOT / "src/store/migrations/sqlite/0001_init.sql").read_text()
    con = sqlite3.connect(db)
    con.executescript(first)
    con.executescript("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                      "name TEXT NOT NULL, applied_at INTEGER NOT NULL);"
                      "INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0);"
                      "INSERT INTO customers (id, created_at, updated_at, first_name, "
                      "first_name_at) VALUES ('c_0000000000000000000a', 1, 1, 'Анна', 1);"
                      "INSERT INTO identifiers VALUES ('phone', '+79990000001', 1, 0, 1, 'pos');")
    con.close()
    s = start_server()
    assert s.db == db
    r = s.get("/v1/customers?phone=%2B79990000001")
    assert r.json()["items"][0]["profile"]["first_name"] == "Анна"
    assert "migration_applied name=0002" in s.stderr()


def test_serve_refuses_an_old_schema_with_no_migrate(tmp_path):
    db = tmp_path / "old.db"
    if BACKEND == "sqlite":
        sqlite3.connect(db).close()  # an empty database (on PostgreSQL, db_arg makes one)
    r = subprocess.run([BIN, "serve", "--db", db_arg(db), "--listen", "127.0.0.1:0",
                        "--no-migrate"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "kartoteka migrate" in r.stderr


def test_a_foreign_secret_is_refused(start_server):
    s = start_server()
    s.stop()
    other = "ab" * 32
    r = subprocess.run([BIN, "serve", "--db", s.db_arg, "--listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, KARTOTEKA_SECRET=other))
    assert r.returncode == 1
    assert "secret" in r.stderr
