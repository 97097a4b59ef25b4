"""A PostgreSQL 15 of the test's own (docs/scale-plan.md, part 1): Debian's binaries, `initdb` into
a temporary folder, the server listening on a Unix socket in that folder only (no TCP port, so
nothing reaches past the machine and two clusters never collide), `fsync` off (a test's data
need not survive a power cut), stopped and removed at the end. PostgreSQL refuses to run as
root, and CI runs as root: then the folder is given to `nobody` and every PostgreSQL program runs
as that user through `runuser`. No system service is touched.

    with PgCluster() as pg:
        pg.createdb("t1")
        pg.psql("t1", "SELECT 1")      # -> "1"
        pg.url("t1")                   # what `kartoteka --db` will take
        with PgCluster(standby_of=pg) as ro:   # a streaming replica of it (pg_basebackup -R)
            ro.psql("t1", "SELECT pg_is_in_recovery()")   # -> "t"
"""
import os
import pathlib
import shutil
import subprocess
import tempfile

BIN = pathlib.Path(os.environ.get("KT_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "kartoteka"  # the cluster's superuser (a role inside it, not a system user)


def available():
    """Why a cluster cannot be made here, or None."""
    if not (BIN / "initdb").exists():
        return f"{BIN}/initdb is missing (scripts/deps.sh test installs postgresql-15)"
    return None


class PgCluster:
    def __init__(self, folder=None, attach=False, standby_of=None):
        """A new cluster in a temporary folder, or in `folder` (made afresh: whatever was there
        is stopped and removed); with `attach`, the cluster already running in `folder`; with
        `standby_of` (a running PgCluster), a hot standby streaming from it: a copy made by
        `pg_basebackup -R` (initdb's pg_hba already trusts replication over the socket, and
        PostgreSQL 15's defaults already have wal_level=replica and ten WAL senders), started on
        a socket of its own with hot_standby_feedback on, so the primary's vacuum does not
        cancel a long query on it."""
        if folder is None:
            self.dir = pathlib.Path(tempfile.mkdtemp(prefix="ktpg-"))  # short: a socket's limit
        else:
            self.dir = pathlib.Path(folder)
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.as_nobody = os.geteuid() == 0
        self.opts = f"-k {self.dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        if attach:
            return
        if folder is not None:
            if self.data.exists():
                self.stop()
            self.dir.mkdir(parents=True, exist_ok=True)
        if self.as_nobody:
            shutil.chown(self.dir, "nobody", "nogroup")
        if standby_of is None:
            self._run([BIN / "initdb", "-D", self.data, "-U", USER, "--auth=trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "--no-sync"])
        else:
            self._run([BIN / "pg_basebackup", "-h", standby_of.dir, "-U", USER, "-D", self.data,
                       "-R", "-X", "stream", "-c", "fast", "--no-sync"])
            self.opts += " -c hot_standby=on -c hot_standby_feedback=on"
        self.pg_ctl("start")

    def _run(self, argv, **kw):
        argv = [str(a) for a in argv]
        if self.as_nobody:
            argv = ["runuser", "-u", "nobody", "--", *argv]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=self.dir, **kw)
        if r.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{argv[0]} failed: {r.stderr.strip()}\n{log[-2000:]}")
        return r

    def pg_ctl(self, *args):
        """pg_ctl on this cluster with its options and log (`start`, `stop -m fast`, `restart -m
        immediate`, ...): a test that takes the server away and brings it back."""
        self._run([BIN / "pg_ctl", "-D", self.data, "-o", self.opts, "-l", self.log, "-w", *args])

    def url(self, db):
        """The database as a libpq connection URI over the cluster's socket."""
        return f"postgresql:///{db}?host={self.dir}&user={USER}"

    def createdb(self, db, *options):
        """A new database; `options` are createdb's (a collation: "--locale-provider=icu", ...)."""
        self._run([BIN / "createdb", "-h", self.dir, "-U", USER, *options, db])

    def psql(self, db, sql):
        """The rows of `sql` as psql prints them unaligned, without headers."""
        r = self._run([BIN / "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                       "-U", USER, "-d", db, "-c", sql])
        return r.stdout.strip()

    def stop(self):
        if self.data.exists():
            try:
                self._run([BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
            except RuntimeError:
                pass  # already down: removing the folder is all that is left
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    # ctest's fixture: `pgtmp.py start DIR` before the PostgreSQL tests (they find it through
    # KT_TEST_PG=DIR), `pgtmp.py stop DIR` after.
    import sys
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: pgtmp.py start|stop DIR")
    if sys.argv[1] == "start":
        why = available()
        if why:
            sys.exit(why)
        PgCluster(sys.argv[2])
        print(f"PostgreSQL running in {sys.argv[2]}")
    else:
        PgCluster(sys.argv[2], attach=True).stop()
