"""Ready to shard (issue 16, part 9; docs/scale.md, "Ready to shard"): Citus is not in Debian, so
this lints the PostgreSQL schema for Citus's rules instead. A fresh database migrated by the
binary (`kartoteka migrate --db postgres://...`) is read from its catalog and held against the
list of Citus calls in docs/scale.md, which says how each table is taken: a reference table, a
per-customer table distributed by the customer's key and colocated with `customers`, or a table
distributed by a key of its own. The rules:

- every table of the schema is in the list, once, and every table in the list is in the schema;
- a distributed table's column is NOT NULL, and its primary key and every unique index (a
  constraint's or a partial one) include it; a per-customer one's column has customers.ck's type;
- a foreign key from a distributed table goes to a reference table, or to a table of the same
  colocation group with the two distribution columns joined; none goes from a reference table to
  a distributed one;
- an identity column of a distributed table is bigint (what Citus 11.2 takes);
- a table distributed by a key of its own says why, on the comment line above its call.

Each broken rule is one line naming the table and the rule. tests/e2e/test_schema_twins.py takes
the list from here too: the keys widened and the foreign keys left out are the differences from
SQLite's schema it allows."""
import collections
import pathlib
import re
import subprocess

import pytest

from conftest import BACKEND, BIN, db_arg, rows

pytestmark = pytest.mark.skipif(
    BACKEND != "postgres", reason="lints the PostgreSQL schema: runs on the PostgreSQL pass")

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "scale.md"
SECTION = "## Ready to shard (Citus)"

# One table's place: kind is "reference", "customer" (colocated with customers) or "own"; column
# the distribution column (None for a reference table); group its colocation group's first table.
Place = collections.namedtuple("Place", "table kind column group why line")

CALL = re.compile(r"SELECT create_(reference|distributed)_table\('(\w+)'(?:, '(\w+)')?"
                  r"(?:, colocate_with => '(\w+)')?\);")


def read_plan(text=None):
    """({table: Place}, [problems]) from the first sql block of docs/scale.md's Citus section."""
    text = DOC.read_text() if text is None else text
    problems = []
    at = text.find(SECTION)
    start = text.find("```sql\n", at)
    end = text.find("```\n", start + 7)
    if at < 0 or start < 0 or end < 0:
        return {}, [f"docs/scale.md: no sql block under '{SECTION}'"]
    plan, why = {}, []
    first = text.count("\n", 0, start) + 2
    for n, line in enumerate(text[start + 7:end].splitlines(), first):
        line = line.strip()
        if not line:
            why = []
            continue
        if line.startswith("--"):
            why.append(line[2:].strip())
            continue
        m = CALL.fullmatch(line)
        if m is None:
            problems.append(f"docs/scale.md:{n}: not a Citus call this test reads: {line}")
            continue
        how, table, column, colocate = m.groups()
        if table in plan:
            problems.append(f"table {table}: listed twice (docs/scale.md:{plan[table].line} "
                            f"and :{n})")
        if how == "reference":
            place = Place(table, "reference", None, None, why, n)
        elif colocate == "customers" or (table == "customers" and colocate is None):
            place = Place(table, "customer", column, "customers", why, n)
        elif colocate == "none":
            place = Place(table, "own", column, table, why, n)
        elif colocate is None:
            problems.append(f"table {table}: say colocate_with (Citus would colocate it with any "
                            f"table distributed by a column of the same type)")
            place = Place(table, "own", column, table, why, n)
        elif colocate in plan and plan[colocate].kind != "reference":
            other = plan[colocate]
            place = Place(table, other.kind, column, other.group, why, n)
        else:
            problems.append(f"table {table}: colocated with {colocate}, which is not distributed "
                            f"above it")
            place = Place(table, "own", column, table, why, n)
        if place.kind == "own" and not any(w.startswith(f"{table}:") for w in why):
            problems.append(f"table {table}: distributed by its own key without a reason (a "
                            f"comment line '-- {table}: why' above its call, docs/scale.md:{n})")
        if place.column is None and how == "distributed":
            problems.append(f"table {table}: distributed by no column")
        plan[table] = place
        why = []
    return plan, problems


def fk_refused(plan, table, cols, ref, refcols):
    """Why Citus would refuse this foreign key under the plan, or None when it keeps it."""
    p, r = plan.get(table), plan.get(ref)
    if p is None or r is None:
        return f"{table if p is None else ref} is not in the list"
    if p.kind == "reference":
        return None if r.kind == "reference" else "from a reference table to a distributed one"
    if r.kind == "reference":
        return None
    if r.group != p.group:
        return (f"to {ref}, distributed apart (by {r.column}, colocated with {r.group}): Citus "
                "keeps a foreign key to a reference table or within a colocation group only")
    if (p.column, r.column) not in zip(cols, refcols):
        return f"does not join {table}.{p.column} to {ref}.{r.column}"
    return None


# ---- the catalog ---------------------------------------------------------------------------------

Col = collections.namedtuple("Col", "type notnull identity")
Unique = collections.namedtuple("Unique", "name primary cols")
Fk = collections.namedtuple("Fk", "name cols ref refcols")

COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, NULL), a.attnotnull, a.attidentity <> ''
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum"""

# Every unique index, a constraint's or not, partial or not; an expression shows as '(expr)'.
UNIQUES = """
SELECT t.relname, i.relname, x.indisprimary,
       (SELECT string_agg(coalesce(a.attname, '(expr)'), ',' ORDER BY o.n)
        FROM unnest(x.indkey) WITH ORDINALITY o(attnum, n)
        LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = o.attnum)
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND x.indisunique"""

FKS = """
SELECT t.relname, k.conname,
       (SELECT string_agg(a.attname, ',' ORDER BY o.n) FROM unnest(k.conkey) WITH ORDINALITY o(attnum, n)
        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = o.attnum),
       r.relname,
       (SELECT string_agg(a.attname, ',' ORDER BY o.n) FROM unnest(k.confkey) WITH ORDINALITY o(attnum, n)
        JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = o.attnum)
FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND k.contype = 'f'"""


def read_catalog(db):
    """{table: {"columns": {name: Col}, "unique": [Unique], "fks": [Fk]}} of the database."""
    cat = {}
    for t, col, typ, notnull, identity in rows(db, COLUMNS):
        tab = cat.setdefault(t, {"columns": {}, "unique": [], "fks": []})
        tab["columns"][col] = Col(typ, bool(notnull), bool(identity))
    for t, name, primary, cols in rows(db, UNIQUES):
        cat[t]["unique"].append(Unique(name, bool(primary), tuple(cols.split(","))))
    for t, name, cols, ref, refcols in rows(db, FKS):
        cat[t]["fks"].append(Fk(name, tuple(cols.split(",")), ref, tuple(refcols.split(","))))
    return cat


def problems(cat, plan):
    """Every broken rule, one line each: the table first, then the rule."""
    out = []
    for t in sorted(cat.keys() - plan.keys()):
        out.append(f"table {t}: not in the list of docs/scale.md (say how Citus takes it)")
    for t in sorted(plan.keys() - cat.keys()):
        out.append(f"table {t}: listed in docs/scale.md:{plan[t].line}, not in the schema")
    ck = cat.get("customers", {}).get("columns", {}).get("ck")
    for t in sorted(cat.keys() & plan.keys()):
        p, tab = plan[t], cat[t]
        for fk in sorted(tab["fks"]):
            why = fk_refused(plan, t, fk.cols, fk.ref, fk.refcols)
            if why:
                out.append(f"table {t}: foreign key {fk.name} ({', '.join(fk.cols)}) -> "
                           f"{fk.ref} ({', '.join(fk.refcols)}): {why}")
        if p.kind == "reference":
            continue
        col = tab["columns"].get(p.column)
        if col is None:
            out.append(f"table {t}: no column {p.column} to distribute by")
            continue
        if not col.notnull:
            out.append(f"table {t}: {p.column} may be NULL (Citus takes no NULL in a "
                       "distribution column)")
        if p.group == "customers" and ck is not None and col.type != ck.type:
            out.append(f"table {t}: {p.column} is {col.type}, customers.ck {ck.type} (colocated "
                       "columns have one type)")
        if not any(u.primary for u in tab["unique"]):
            out.append(f"table {t}: no primary key")
        for u in sorted(tab["unique"]):
            if p.column not in u.cols:
                what = "primary key" if u.primary else f"unique index {u.name}"
                out.append(f"table {t}: {what} ({', '.join(u.cols)}) lacks {p.column}, its "
                           "distribution column")
        for name, c in tab["columns"].items():
            if c.identity and c.type != "bigint":
                out.append(f"table {t}: identity column {name} is {c.type} (Citus takes bigint)")
    return out


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    d = tmp_path_factory.mktemp("citus")
    db = db_arg(d / "k.db")
    r = subprocess.run([BIN, "migrate", "--db", db], capture_output=True, text=True, timeout=120,
                       cwd=d)
    assert r.returncode == 0, r.stderr
    return read_catalog(db)


def test_the_list_reads():
    plan, trouble = read_plan()
    assert not trouble, "docs/scale.md's list of Citus calls:\n" + "\n".join(trouble)
    kinds = collections.Counter(p.kind for p in plan.values())
    assert kinds["reference"] > 10 and kinds["customer"] > 10 and kinds["own"] > 5, kinds
    assert plan["customers"] == plan["customers"]._replace(kind="customer", column="ck")
    for t in ("stores", "loyalty_programs", "templates", "segments", "journeys"):
        assert plan[t].kind == "reference", t  # the definitions the issue names


def test_the_schema_keeps_citus_rules(catalog):
    plan, _ = read_plan()
    assert len(catalog) > 60  # the catalog was read, not an empty database
    trouble = problems(catalog, plan)
    assert not trouble, "the schema breaks Citus's rules:\n" + "\n".join(trouble)


def test_each_broken_rule_is_named(catalog):
    """The lint itself: a copy of the catalog and the list, each broken one way."""
    plan, _ = read_plan()
    cat = {t: {"columns": dict(v["columns"]), "unique": list(v["unique"]), "fks": list(v["fks"])}
           for t, v in catalog.items()}
    cat["new_table"] = {"columns": {"ck": Col("bigint", True, False)}, "unique": [], "fks": []}
    cat["history"]["unique"] = [Unique("history_pkey", True, ("seq",))]
    cat["identifiers"]["fks"].append(Fk("identifiers_ck_fkey", ("ck",), "customers", ("ck",)))
    cat["stores"]["fks"].append(Fk("stores_ck_fkey", ("ck",), "customers", ("ck",)))
    cat["traits"]["fks"].append(Fk("traits_x_fkey", ("name",), "customers", ("id",)))
    cat["journey_runs"]["columns"]["ck"] = Col("bigint", False, False)
    cat["events"]["columns"]["seq"] = Col("integer", True, True)
    plan = dict(plan)
    plan["gone_table"] = Place("gone_table", "reference", None, None, [], 0)
    found = "\n".join(problems(cat, plan))
    for line in (
            "table new_table: not in the list of docs/scale.md",
            "table gone_table: listed in docs/scale.md:0, not in the schema",
            "table history: primary key (seq) lacks ck, its distribution column",
            "table identifiers: foreign key identifiers_ck_fkey (ck) -> customers (ck): to "
            "customers, distributed apart",
            "table stores: foreign key stores_ck_fkey (ck) -> customers (ck): from a reference "
            "table to a distributed one",
            "table traits: foreign key traits_x_fkey (name) -> customers (id): does not join "
            "traits.ck to customers.ck",
            "table journey_runs: ck may be NULL",
            "table events: identity column seq is integer"):
        assert line in found, f"{line!r} not in:\n{found}"


def test_a_list_without_reasons_is_refused():
    text = (f"{SECTION}\n\n```sql\nSELECT create_distributed_table('customers', 'ck');\n"
            "-- a group heading, not a reason\n"
            "SELECT create_distributed_table('cards', 'number', colocate_with => 'none');\n"
            "SELECT create_distributed_table('events', 'seq');\n"
            "SELECT create_reference_table('stores');\nSELECT create_reference_table('stores');\n"
            "SELECT create_distributed_table('history', 'ck', colocate_with => 'stores');\n"
            "SELECT something_else();\n```\n")
    plan, trouble = read_plan(text)
    found = "\n".join(trouble)
    assert "table cards: distributed by its own key without a reason" in found
    assert "table events: say colocate_with" in found
    assert "table stores: listed twice" in found
    assert "table history: colocated with stores, which is not distributed above it" in found
    assert "not a Citus call this test reads: SELECT something_else();" in found
    assert plan["customers"].kind == "customer" and plan["stores"].kind == "reference"
