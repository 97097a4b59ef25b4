"""The two schemas are twins (docs/scale-plan.md, part 2): a fresh SQLite database migrated by the
binary and src/store/migrations/pg/*.sql loaded into a fresh PostgreSQL have the same tables, each
with the same columns in the same order, the same type classes (integer, text, blob, real), the
same NOT NULLs, primary keys, unique constraints and unique indexes, foreign keys and index names.
The differences allowed are written here: the sealed columns SQLite declares TEXT (a sealed
value is a BLOB in them) are bytea in PostgreSQL (0039_baseline.sql says why); and PostgreSQL's
schema is ready for Citus (docs/scale.md, "Ready to shard"; the list is read by
test_citus_rules.py): a distributed table's keys may have its distribution column added where
SQLite's lack it, and a foreign key Citus would refuse under that list is left out. And the newest
migration of each dialect has the same number: a SQLite migration without its PostgreSQL twin
fails here until the twin is written."""
import pathlib
import re
import sqlite3
import subprocess

import pytest

from conftest import BIN, sqlite_only
from pgtmp import BIN as PG_BIN, USER as PG_USER, PgCluster, available
from test_citus_rules import fk_refused, read_plan

# One run compares both schemas: the PostgreSQL pass of the suite has nothing to add.
pytestmark = [sqlite_only("compares the two schemas itself, on its own cluster"),
              pytest.mark.skipif(available() is not None, reason=str(available()))]

MIGRATIONS = pathlib.Path(__file__).resolve().parents[2] / "src" / "store" / "migrations"

# (table, column): TEXT in SQLite holding sealed BLOBs, bytea in PostgreSQL.
SEALED = {
    ("customers", "name_key"),  # a blind index, bytes (a TEXT column in SQLite, holding a BLOB)
    ("customers", "last_name"), ("customers", "first_name"), ("customers", "middle_name"),
    ("customers", "email"), ("customers", "phone"), ("customers", "address"),
    ("history", "old_value"), ("history", "new_value"),
    ("consent_events", "ip"), ("consent_events", "user_agent"),
    ("idempotency", "body"), ("import_rejects", "csv"),
    ("privacy_requests", "note"), ("privacy_requests", "extension_reason"),
    ("customer_blocks", "note"), ("customer_blocks", "outcome_note"),
}


def newest(dialect):
    numbers = [int(m.group(1)) for p in (MIGRATIONS / dialect).glob("*.sql")
               if (m := re.match(r"(\d{4})_", p.name))]
    assert numbers, f"no migrations in {MIGRATIONS / dialect}"
    return max(numbers)


def sqlite_class(declared):
    """SQLite's affinity rules (datatype3.html, 3.1), named by the value the C code binds."""
    t = declared.upper()
    if "INT" in t:
        return "integer"
    if any(s in t for s in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in t or t == "":
        return "blob"
    if any(s in t for s in ("REAL", "FLOA", "DOUB")):
        return "real"
    return "numeric:" + t


PG_CLASS = {"bigint": "integer", "integer": "integer", "smallint": "integer", "text": "text",
            "character varying": "text", "jsonb": "text", "bytea": "blob",
            "double precision": "real", "real": "real"}


def sqlite_schema(db):
    """{table: {"columns": [(name, class, notnull)], "pk": (...), "unique": {(cols, partial)},
    "fks": {...}, "indexes": {names}}} of a SQLite file."""
    con = sqlite3.connect(db)
    out = {}
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name <> 'schema_migrations'")]
    for t in tables:
        info = con.execute(f'PRAGMA table_info("{t}")').fetchall()  # cid name type notnull dflt pk
        pk = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
        # a key's columns are NOT NULL in PostgreSQL whatever SQLite's flag says
        columns = [(r[1], sqlite_class(r[2]), bool(r[3]) or r[1] in pk) for r in info]
        unique, indexes = set(), set()
        for _, name, uniq, origin, partial in con.execute(f'PRAGMA index_list("{t}")'):
            cols = tuple(r[2] for r in con.execute(f'PRAGMA index_info("{name}")'))
            if origin == "c":
                indexes.add(name)
            if uniq and origin != "pk":
                unique.add((cols, bool(partial)))
        fks = {}
        for r in con.execute(f'PRAGMA foreign_key_list("{t}")'):  # id seq table from to ...
            fk = fks.setdefault(r[0], ([], r[2], [], r[6].upper()))
            fk[0].append(r[3])
            fk[2].append(r[4])
        out[t] = {"columns": columns, "pk": pk, "unique": unique, "indexes": indexes,
                  "fks": {(tuple(a), b, tuple(c), d) for a, b, c, d in fks.values()}}
    con.close()
    return out


PG_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, NULL), a.attnotnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum"""

# Every index of a table: its name, whether it backs a constraint (and which kind), unique,
# partial, and its key columns in order.
PG_INDEXES = """
SELECT t.relname, i.relname, coalesce(k.contype, '-'), x.indisunique, x.indpred IS NOT NULL,
       (SELECT string_agg(a.attname, ',' ORDER BY o.n)
        FROM unnest(x.indkey) WITH ORDINALITY o(attnum, n)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = o.attnum)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.contype IN ('p', 'u')
WHERE n.nspname = 'public'"""

PG_FKS = """
SELECT t.relname, r.relname, k.confdeltype,
       (SELECT string_agg(a.attname, ',' ORDER BY o.n) FROM unnest(k.conkey) WITH ORDINALITY o(attnum, n)
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = o.attnum),
       (SELECT string_agg(a.attname, ',' ORDER BY o.n) FROM unnest(k.confkey) WITH ORDINALITY o(attnum, n)
        JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = o.attnum)
FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
WHERE k.contype = 'f'"""

ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def pg_rows(pg, db, sql):
    return [line.split("|") for line in pg.psql(db, sql).splitlines() if line]


def pg_schema(pg, db):
    out = {}
    for t, col, typ, notnull in pg_rows(pg, db, PG_COLUMNS):
        tab = out.setdefault(t, {"columns": [], "pk": (), "unique": set(), "indexes": set(),
                                 "fks": set()})
        tab["columns"].append((col, PG_CLASS.get(typ, "other:" + typ), notnull == "t"))
    for t, name, con, uniq, partial, cols in pg_rows(pg, db, PG_INDEXES):
        cols = tuple(cols.split(","))
        if con == "p":
            out[t]["pk"] = cols
        elif uniq == "t":
            out[t]["unique"].add((cols, partial == "t"))
        if con == "-":
            out[t]["indexes"].add(name)
    for t, ref, deltype, cols, refcols in pg_rows(pg, db, PG_FKS):
        out[t]["fks"].add((tuple(cols.split(",")), ref, tuple(refcols.split(",")),
                           ON_DELETE[deltype]))
    return out


def load_pg(pg, db):
    """Every pg migration in order into `db`, each in one transaction, stopping at an error."""
    for path in sorted((MIGRATIONS / "pg").glob("*.sql")):
        pg._run([PG_BIN / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-h", pg.dir,
                 "-U", PG_USER, "-d", db, "-f", "-"], input=path.read_text())


# Tables PostgreSQL keeps in the main database that SQLite keeps in a file of its own beside it
# (the log of reads: store/sqlite/reads.c); compared with nothing.
PG_ONLY = {"reads"}
# Columns PostgreSQL has that SQLite has implicitly: the outbox's rowid (the order of insertion).
PG_ONLY_COLUMNS = {("outbox", "rowid")}


def for_citus(t, lite, post, plan):
    """PostgreSQL's keys and foreign keys of table t as SQLite's would be before Citus's rules: a
    key that is SQLite's with the distribution column added is SQLite's; a foreign key of
    SQLite's that PostgreSQL lacks because Citus would refuse it is counted as there."""
    place = plan.get(t)
    if place is None or t not in lite:
        return post
    col = place.column

    def narrow(key, theirs):
        short = tuple(c for c in key if c != col)
        return short if col is not None and col in key and short in theirs else key
    fks = set(post["fks"]) | {fk for fk in lite[t]["fks"]
                              if fk[1] in plan and fk_refused(plan, t, fk[0], fk[1], fk[2])}
    return dict(post, pk=narrow(post["pk"], {lite[t]["pk"]}), fks=fks,
                unique={(narrow(u, {v[0] for v in lite[t]["unique"] if v[1] == p}), p)
                        for u, p in post["unique"]})


def differences(lite, post, plan=None):
    """What differs, one line each naming the table and column."""
    plan = read_plan()[0] if plan is None else plan

    def pg_only(t, cols):
        return any((t, c) in PG_ONLY_COLUMNS for c in cols)
    post = {t: dict(v, columns=[c for c in v["columns"] if (t, c[0]) not in PG_ONLY_COLUMNS],
                    unique={u for u in v["unique"] if not pg_only(t, u[0])})
            for t, v in post.items() if t not in PG_ONLY}
    post = {t: for_citus(t, lite, v, plan) for t, v in post.items()}
    out = []
    for t in sorted(lite.keys() - post.keys()):
        out.append(f"table {t}: in SQLite, missing in PostgreSQL")
    for t in sorted(post.keys() - lite.keys()):
        out.append(f"table {t}: in PostgreSQL, missing in SQLite")
    for t in sorted(lite.keys() & post.keys()):
        a, b = lite[t], post[t]
        names_a = [c[0] for c in a["columns"]]
        names_b = [c[0] for c in b["columns"]]
        for c in names_a:
            if c not in names_b:
                out.append(f"column {t}.{c}: in SQLite, missing in PostgreSQL")
        for c in names_b:
            if c not in names_a:
                out.append(f"column {t}.{c}: in PostgreSQL, missing in SQLite")
        common_a = [c for c in names_a if c in names_b]
        common_b = [c for c in names_b if c in names_a]
        if common_a != common_b:
            at = next(i for i, (x, y) in enumerate(zip(common_a, common_b)) if x != y)
            out.append(f"column {t}.{common_a[at]}: out of order (PostgreSQL has "
                       f"{common_b[at]} there)")
        cols_b = {c[0]: c for c in b["columns"]}
        for name, cls, notnull in a["columns"]:
            if name not in cols_b:
                continue
            _, cls_b, notnull_b = cols_b[name]
            want = "blob" if (t, name) in SEALED and cls == "text" else cls
            if (t, name) in SEALED and cls != "text":
                out.append(f"column {t}.{name}: listed as sealed TEXT but SQLite says {cls}")
            if cls_b != want:
                out.append(f"column {t}.{name}: {cls} in SQLite, {cls_b} in PostgreSQL"
                           + (" (a sealed column: bytea expected)" if want != cls else ""))
            if notnull != notnull_b:
                out.append(f"column {t}.{name}: NOT NULL is {notnull} in SQLite, {notnull_b} "
                           "in PostgreSQL")
        for what in ("pk", "unique", "fks", "indexes"):
            if a[what] != b[what]:
                out.append(f"table {t}: {what} differ: SQLite {sorted(a[what]) if isinstance(a[what], set) else a[what]}"
                           f", PostgreSQL {sorted(b[what]) if isinstance(b[what], set) else b[what]}")
    return out


@pytest.fixture(scope="module")
def schemas(tmp_path_factory):
    d = tmp_path_factory.mktemp("twins")
    db = d / "k.db"
    r = subprocess.run([BIN, "migrate", "--db", str(db)], capture_output=True, text=True,
                       timeout=120, cwd=d)
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(db)
    version = con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    con.close()
    with PgCluster() as pg:
        pg.createdb("twins")
        load_pg(pg, "twins")
        yield version, sqlite_schema(db), pg_schema(pg, "twins")


def test_each_sqlite_migration_has_its_postgresql_twin(schemas):
    version, _, _ = schemas
    assert newest("pg") == newest("sqlite"), (
        f"SQLite's schema is at {newest('sqlite')}, PostgreSQL's at {newest('pg')}: write "
        f"src/store/migrations/pg/{newest('sqlite'):04d}_*.sql beside its SQLite twin")
    assert version == newest("sqlite"), "the binary is older than the migrations: rebuild it"


def test_the_two_schemas_are_twins(schemas):
    _, lite, post = schemas
    assert len(lite) > 60  # the comparison saw the schema, not an empty file
    diff = differences(lite, post)
    assert not diff, "the schemas differ:\n" + "\n".join(diff)


def test_a_column_missing_on_either_side_is_named(schemas):
    """The comparison itself: drop a column, a table and a sealed type on each side in a copy."""
    _, lite, post = schemas
    post2 = {t: dict(v, columns=list(v["columns"])) for t, v in post.items()}
    post2["coupons"]["columns"] = [c for c in post2["coupons"]["columns"] if c[0] != "run"]
    del post2["stores"]
    lite2 = {t: dict(v, columns=list(v["columns"])) for t, v in lite.items()}
    lite2["traits"]["columns"] = [c for c in lite2["traits"]["columns"] if c[0] != "value"]
    post2["history"]["columns"] = [(n, "text" if n == "old_value" else k, nn)
                                   for n, k, nn in post2["history"]["columns"]]
    diff = "\n".join(differences(lite2, post2))
    assert "column coupons.run: in SQLite, missing in PostgreSQL" in diff
    assert "table stores: in SQLite, missing in PostgreSQL" in diff
    assert "column traits.value: in PostgreSQL, missing in SQLite" in diff
    assert "column history.old_value: text in SQLite, text in PostgreSQL" in diff


def test_only_citus_differences_are_allowed(schemas):
    """A key widened by another column than the distribution column, and a foreign key Citus
    would keep, missing in PostgreSQL, are still differences."""
    _, lite, post = schemas
    post2 = {t: dict(v) for t, v in post.items()}
    post2["history"]["pk"] = ("seq", "at")
    post2["traits"]["fks"] = set()
    post2["purchases"]["pk"] = ("id", "ck")
    diff = "\n".join(differences(lite, post2))
    assert "table history: pk differ: SQLite ('seq',), PostgreSQL ('seq', 'at')" in diff
    assert "table traits: fks differ" in diff
    assert "table purchases: pk differ: SQLite ('id',), PostgreSQL ('id', 'ck')" in diff
    assert "table customers" not in diff and "table refunds" not in diff
