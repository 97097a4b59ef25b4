"""The tests' own PostgreSQL (pgtmp.py; docs/scale-plan.md, part 1): made in a temporary folder,
reached only by its Unix socket, a database per test, gone after. The ground the PostgreSQL
backend's tests will stand on; the backend itself is not built yet."""
import socket

import pytest

from pgtmp import PgCluster, available

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))


def test_a_cluster_of_its_own_on_a_socket_only():
    with PgCluster() as pg:
        pg.createdb("t1")
        pg.createdb("t2")
        assert pg.psql("t1", "SHOW server_version_num").startswith("15")
        assert pg.psql("t1", "SHOW listen_addresses") == ""  # no TCP port at all
        assert pg.psql("t1", "SHOW fsync") == "off"
        assert pg.psql("t1", "SHOW server_encoding") == "UTF8"
        # two databases, one cluster: a table of one is not in the other
        pg.psql("t1", "CREATE TABLE x (ck bigint PRIMARY KEY, v bytea)")
        pg.psql("t1", "INSERT INTO x VALUES (1, '\\x00ff'::bytea)")
        assert pg.psql("t1", "SELECT encode(v, 'hex') FROM x") == "00ff"
        assert pg.psql("t2", "SELECT count(*) FROM pg_tables WHERE tablename = 'x'") == "0"
        sock = pg.dir / ".s.PGSQL.5432"
        assert sock.exists()
        assert pg.url("t1").startswith(f"postgresql:///t1?host={pg.dir}")
        folder = pg.dir
    assert not folder.exists()  # stopped and removed
    with pytest.raises(OSError):  # and nothing listens on its socket any more
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(str(sock))
        finally:
            s.close()


def test_the_reader_alike_on_both_backends(tmp_path):
    """conftest.rows/execute on the backend KT_TEST_DB names, without the binary: on PostgreSQL a
    database of the session's cluster (made by db_arg, its table made by psql), on SQLite a file;
    the same SQL with `?` reads back the same Python values."""
    import sqlite3
    import urllib.parse

    import conftest

    path = tmp_path / "r.db"
    url = conftest.db_arg(path)
    ddl = "CREATE TABLE r (ck bigint PRIMARY KEY, name text, v bytea, n bigint)"
    if conftest.BACKEND == "postgres":
        name = urllib.parse.urlparse(url).path.lstrip("/")
        assert url == conftest.pg_cluster().url(name) and conftest.db_arg(path) == url  # one per path
        conftest.pg_cluster().psql(name, ddl + "; INSERT INTO r VALUES (1, 'a%b', '\\x00ff', NULL)")
    else:
        assert url == str(path)
        con = sqlite3.connect(path)
        con.execute(ddl.replace("bytea", "BLOB"))
        con.execute("INSERT INTO r VALUES (1, 'a%b', x'00ff', NULL)")
        con.commit()
        con.close()
    assert conftest.execute(path, "INSERT INTO r VALUES (?, ?, ?, ?)", (2, "в?", b"\x01", 7)) == 1
    got = conftest.rows(path, "SELECT ck, name, v, n FROM r WHERE name LIKE '%' ORDER BY ck")
    assert got == [(1, "a%b", b"\x00\xff", None), (2, "в?", b"\x01", 7)]
    assert conftest.rows(path, "SELECT sum(n), count(*) FROM r WHERE ck >= ?", (1,)) == [(7, 2)]
    with pytest.raises(conftest.DB_ERRORS):
        conftest.execute(path, "INSERT INTO r VALUES (?, 'dup', NULL, NULL)", (1,))
