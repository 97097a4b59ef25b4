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
