"""End-to-end harness: starts the real `kartoteka serve` on a free port with a fresh database.

Each test module gets its own server and database (the `server` fixture); tests that stop or
restart a server make their own with `start_server()`. When a server stops, the harness checks
that it exited 0 and that the sanitizers (the test build has ASan+UBSan) reported nothing.
Every successful JSON reply a test gets through Server.request is held against docs/openapi.json:
a member the description does not declare fails the test (openapi_shape.py), so the description
and the glossary checked against it (docs/api.md) cover every word the API says.

The backend is chosen by KT_TEST_DB: `sqlite` (the default) or `postgres`. On PostgreSQL one test
cluster (pgtmp.py) serves the whole pytest session, started at the first database a test asks for
and stopped at exit, and every database path a test names (a Server's k.db, or `db_arg(path)`)
becomes a fresh database of its own in it. `db_arg` gives what `--db` takes; `rows` and `execute`
read and edit a database the same way on both. What only SQLite has (its side files .keys, .reads,
.secret, the WAL, the file itself) is tested on SQLite only: such tests are marked
`skipif(BACKEND == "postgres")` with the reason.
"""
import atexit
import decimal
import itertools
import os
import tempfile
import pathlib
import re
import signal
import sqlite3
import subprocess
import time

import pytest
import requests

import openapi_shape
import pgtmp

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("KARTOTEKA_BIN") or str(ROOT / "build" / "test" / "kartoteka")
SANITIZER = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")
BACKEND = os.environ.get("KT_TEST_DB", "sqlite")
if BACKEND not in ("sqlite", "postgres"):
    raise RuntimeError(f"KT_TEST_DB={BACKEND!r}: expected 'sqlite' or 'postgres'")

_pg = None              # the session's PgCluster, made by the first database asked for
if BACKEND == "postgres":
    # Every database of the session is sealed under one master key and keyed by one secret,
    # files the binary makes on first use (a PostgreSQL database has no folder to keep them in).
    _keys = tempfile.mkdtemp(prefix="ktkeys-")
    os.environ.setdefault("KARTOTEKA_MASTER_KEY_FILE", os.path.join(_keys, "master"))
    os.environ.setdefault("KARTOTEKA_SECRET_FILE", os.path.join(_keys, "secret"))
_pg_dbs = {}            # a test's database path (str) -> its PostgreSQL database's URL
_pg_seq = itertools.count(1)


def pg_cluster():
    """The session's test PostgreSQL: started on first use, stopped when pytest exits."""
    global _pg
    if _pg is None and os.environ.get("KT_TEST_PG"):  # ctest's, shared by every test file
        _pg = pgtmp.PgCluster(os.environ["KT_TEST_PG"], attach=True)
    if _pg is None:
        why = pgtmp.available()
        if why:
            pytest.fail(f"KT_TEST_DB=postgres, but {why}", pytrace=False)
        _pg = pgtmp.PgCluster()
        atexit.register(_pg.stop)
    return _pg


def db_arg(path):
    """What `--db` (or KARTOTEKA_DB) takes for the database a test names by a file path: the path
    itself on SQLite; on PostgreSQL the URL of a database made fresh for that path the first time
    it is named (and the same one after, so a restart or a second command finds it again). A
    PostgreSQL URL is taken as it is."""
    if BACKEND != "postgres" or str(path).startswith("postgresql:"):
        return str(path)
    key = str(path)
    if key not in _pg_dbs:
        pg = pg_cluster()
        name = f"kt_{os.getpid()}_{next(_pg_seq)}"
        pg.createdb(name)
        _pg_dbs[key] = pg.url(name)
    return _pg_dbs[key]


def sqlite_only(why):
    """Marks a test that proves something only SQLite has (its side files, the WAL, the file):
    skipped on PostgreSQL, where it wants a twin of its own."""
    return pytest.mark.skipif(BACKEND == "postgres", reason=f"SQLite only: {why}")


def _pg_connect(db):
    import psycopg2  # Debian's python3-psycopg2 (scripts/deps.sh test)
    return psycopg2.connect(db_arg(db))


def _pg_sql(sql):
    """`?` placeholders as psycopg2's `%s` (a literal `%` doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _py(v):
    """A value as sqlite3 gives it: bytea's memoryview as bytes, a whole numeric or a boolean
    (`x IS NULL`) as int."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def rows(db, sql, params=()):
    """The rows of one SELECT as a list of tuples of Python values (int, float, str, bytes, None),
    alike on both backends. `db` is a path (SQLite, opened read-only) or what db_arg gave. Write
    `?` for parameters; keep to SQL both dialects read."""
    if BACKEND == "postgres":
        con = _pg_connect(db)
        try:
            with con.cursor() as cur:
                cur.execute(_pg_sql(sql), tuple(params))
                return [tuple(_py(v) for v in r) for r in cur.fetchall()]
        finally:
            con.close()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return [tuple(r) for r in con.execute(sql, tuple(params)).fetchall()]
    finally:
        con.close()


def execute(db, sql, params=()):
    """One statement that writes, committed at once; returns the number of rows it touched. A
    refusal (a trigger's, a constraint's) raises one of DB_ERRORS."""
    if BACKEND == "postgres":
        con = _pg_connect(db)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(_pg_sql(sql), tuple(params))
                return cur.rowcount
        finally:
            con.close()
    con = sqlite3.connect(db, timeout=10)
    try:
        with con:
            return con.execute(sql, tuple(params)).rowcount
    finally:
        con.close()


def _db_errors():
    if BACKEND == "postgres":
        import psycopg2
        import psycopg2.errors
        return (psycopg2.Error,), (psycopg2.IntegrityError, psycopg2.errors.RaiseException)
    return (sqlite3.DatabaseError,), (sqlite3.IntegrityError,)


# DB_ERRORS: whatever rows/execute raise when the database says no. REFUSED: a constraint's or a
# trigger's refusal only (SQLite's RAISE(ABORT) and constraints; PostgreSQL's constraints and the
# baseline's kt_refuse triggers, SQLSTATE P0001).
DB_ERRORS, REFUSED = _db_errors()


class Server:
    def __init__(self, workdir, args=(), env=None, db=None, admin_key=None):
        self.dir = pathlib.Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        # SQLite's file; on PostgreSQL only the key of db_arg (another server's: the same database)
        self.db = pathlib.Path(db) if db is not None else self.dir / "k.db"
        self.args = list(args)
        # No drain after SIGTERM unless a test asks for one: stopping stays quick.
        self.env = dict({"KARTOTEKA_DRAIN": "0"}, **os.environ)
        if BACKEND == "postgres":  # uploads beside the database, as SQLite's <db>.imports
            self.env["KARTOTEKA_IMPORTS_DIR"] = str(self.dir / "k.db.imports")
        self.env.update(env or {})
        self.admin_key = admin_key  # None: the first start prints one
        self.start()

    def beside(self, workdir, args=(), env=None):
        """A second server over this one's database (several share one on PostgreSQL), with this
        one's admin key: only a database's first start prints one."""
        return Server(workdir, args, env, db=self.db, admin_key=self.admin_key)

    def start(self):
        self.stdout_path = self.dir / f"stdout.{time.monotonic_ns()}"
        self.stderr_path = self.dir / f"stderr.{time.monotonic_ns()}"
        self.out = open(self.stdout_path, "w+")
        self.err = open(self.stderr_path, "w+")
        cmd = [BIN, "serve", "--db", self.db_arg, "--listen", "127.0.0.1:0", *self.args]
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err, env=self.env)
        deadline = time.monotonic() + 30
        port = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.stderr()}")
            m = re.search(r"event=listening port=(\d+)", self.stderr())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.02)
        assert port, "server did not start listening"
        # With --tls-cert the server speaks HTTPS; the test's certificate is the trust anchor.
        tls = self.args.index("--tls-cert") + 1 if "--tls-cert" in self.args else 0
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        # The first start prints an admin key after it listens.
        if self.admin_key is None:
            while time.monotonic() < deadline:
                m = re.search(r"kt_[0-9a-z]{12}_[0-9a-z]{32}", self.stdout())
                if m:
                    self.admin_key = m.group(0)
                    break
                time.sleep(0.02)
            assert self.admin_key, "no admin key printed on first start"
        self.http = requests.Session()
        # Passed with each request: REQUESTS_CA_BUNDLE in the environment would beat a session's.
        self.verify = self.args[tls] if tls else True

    @property
    def db_arg(self):
        """What `--db` takes for this server's database (db_arg of self.db)."""
        return db_arg(self.db)

    def rows(self, sql, params=()):
        """The rows of a SELECT on this server's database, read beside it (see rows())."""
        return rows(self.db, sql, params)

    def execute(self, sql, params=()):
        """A write to this server's database behind its back (see execute())."""
        return execute(self.db, sql, params)

    def stdout(self):
        return self.stdout_path.read_text(errors="replace")

    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def request(self, method, path, key="admin", **kw):
        headers = dict(kw.pop("headers", None) or {})
        if key == "admin":
            key = self.admin_key
        if key:
            headers["Authorization"] = f"Bearer {key}"
        kw.setdefault("verify", self.verify)
        r = self.http.request(method, self.url + path, headers=headers, timeout=30, **kw)
        if 200 <= r.status_code < 300 and r.headers.get("Content-Type", "").startswith(
                "application/json"):
            bad = openapi_shape.reply_undeclared(method, path.split("?")[0], r.status_code, r.json())
            assert not bad, "the reply says what docs/openapi.json does not:\n" + "\n".join(bad)
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, json=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, json=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, json=body, **kw)

    def cli(self, *args, check=True):
        r = subprocess.run([BIN, *args, "--db", self.db_arg], capture_output=True, text=True,
                           env=self.env, timeout=60)
        if check:
            assert r.returncode == 0, r.stderr
        return r

    def new_key(self, scope):
        return self.cli("keys", "create", "--scope", scope, "--name", f"test {scope}").stdout.strip()

    def counts(self):
        """Row counts of every table that holds customer data, read beside the server."""
        return {t: self.rows(f"SELECT count(*) FROM {t}")[0][0]
                for t in ("customers", "identifiers", "history", "attributes",
                          "merge_candidates", "idempotency")}

    def stop(self, sig=signal.SIGTERM, expect_code=0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.http.close()
        self.out.close()
        self.err.close()
        log = self.stderr()
        bad = SANITIZER.search(log)
        assert not bad, f"sanitizer report:\n{log[-5000:]}"
        assert code == expect_code, f"server exited {code}:\n{log[-3000:]}"
        return log


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("kartoteka"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def pending_policy(server):
    """The retailer's `pending` consent policy: forms without consent are stored, marked
    consent_pending. For the modules that test identity, cleaning and import rather than consent
    (test_privacy.py tests the strict default)."""
    r = server.put("/v1/privacy/settings", {"consent_policy": "pending"})
    assert r.status_code == 200, r.text


@pytest.fixture
def start_server(tmp_path):
    made = []

    def start(args=(), env=None, sub="srv"):
        s = Server(tmp_path / sub, args, env)
        made.append(s)
        return s

    yield start
    for s in made:
        if s.proc.poll() is None:
            s.stop()


_seq = [0]


def phone():
    """A fresh synthetic Russian mobile number per call (never a real person's on purpose)."""
    _seq[0] += 1
    return f"+7999{os.getpid() % 1000:03d}{_seq[0]:04d}"


# The operator of personal data as acts of destruction name it (docs/privacy.md): a test company
# with a real INN/OGRN pair's check digits (Sberbank's), never a real retailer.
OPERATOR = {"name": "ООО «Ромашка»", "address": "123456, г. Москва, ул. Лесная, д. 1",
            "inn": "7707083893", "ogrn": "1027700132195"}
RESPONSIBLE = {"name": "Иванова Мария Петровна", "position": "ответственный за обработку ПДн"}


def operator_settings(server, responsible=True):
    """Names the operator (and the person responsible) in the privacy settings, so acts are
    complete; returns the PUT's reply."""
    body = {"data_operator": OPERATOR, "information_system": "ИСПДн «Программа лояльности»"}
    if responsible:
        body["responsible_person"] = RESPONSIBLE
    r = server.put("/v1/privacy/settings", body)
    assert r.status_code == 200, r.text
    return r.json()


def src(channel="pos", **kw):
    return dict({"channel": channel}, **kw)


def audit_entries(server, **query):
    """Every entry of the merged log (GET /v1/audit flushes the queue of reads first)."""
    out, cursor = [], None
    while True:
        q = "&".join(f"{k}={v}" for k, v in dict(query, limit=1000).items())
        r = server.get(f"/v1/audit?{q}" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.text
        out += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return out
