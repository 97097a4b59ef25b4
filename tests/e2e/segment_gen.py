"""Random valid queries of the segment language (docs/segments.md), seeded and reproducible, for
the differential test of the two backends (test_segment_differential.py) and as seeds for the
fuzzer (fuzz/fuzz_segment.c).

Every production of the grammar has a generator here: the profile fields (set, compared, `in`,
`between`), age, birthdays, events with a type, a property and a window, purchases (count, sum,
average), days since the last purchase, the points balance, `bought`, declared attributes
(compared and `contains`), consents, subscriptions, `profile complete`, `in segment`, traits,
and `and`/`or`/`not`/parentheses; values are strings (Cyrillic, other case, escaped quotes and
backslashes), whole numbers (negative too), `true` and `false`; the windows' `day`/`days`, the
spacing and the line breaks vary.

How it stays in step with the parser and the fuzzer. The fuzzer has no grammar or dictionary of
its own: what it knows of the language is its seed corpus (fuzz/corpus/segment/). So the words
here are read from the parser's sources rather than written again: the profile fields
(`segment_fields` in src/segment/parse.c), the words that cannot name an attribute (`reserved`),
the consent purposes and ads channels (src/consent/consent.c), the limits of a window, a
birthday, the nesting, an `in` list and a query (parse.c, segment.h). A field or purpose added
there is generated here at once; a list that moves or changes shape stops the generator with an
assertion instead of letting it drift. The other way round, `python3 segment_gen.py --corpus
DIR` writes a query of each kind of condition (gen-*.txt) into the fuzzer's corpus, so the
fuzzer starts from every form this generator makes, and the differential test runs every seed
of that corpus as a fixed case on both backends.

The values come from VOCAB, which is also what the differential test loads into both servers, so
most conditions find someone (and some find no one, on purpose).
"""
import pathlib
import random
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _c_strings(path, pattern):
    """The string literals of the C initialiser that `pattern` opens, in order."""
    text = (ROOT / path).read_text()
    m = re.search(pattern + r"[^{]*\{(.*?)\}", text, re.S)
    assert m, f"{path}: no {pattern!r}: the generator is out of step with the parser"
    return re.findall(r'"([^"]*)"', m.group(1))


def _c_number(path, pattern):
    m = re.search(pattern, (ROOT / path).read_text())
    assert m, f"{path}: no {pattern!r}: the generator is out of step with the parser"
    return int(m.group(1))


FIELDS = _c_strings("src/segment/parse.c", r"segment_fields\[\]")
RESERVED = set(_c_strings("src/segment/parse.c", r"static const char \*const words\[\]"))
PURPOSES = _c_strings("src/consent/consent.c", r"consent_purposes\[CONSENT_PURPOSES \+ 1\]")
CHANNELS = _c_strings("src/consent/consent.c", r"ads_channels\[ADS_CHANNELS \+ 1\]")
WINDOW_MAX = _c_number("src/segment/parse.c", r"a window is 1-(\d+) days")
BIRTHDAY_MAX = _c_number("src/segment/parse.c", r"a birthday is within 0-(\d+) days")
DEPTH_MAX = _c_number("src/segment/segment.h", r"#define SEGMENT_DEPTH\s+(\d+)")
VALUES_MAX = _c_number("src/segment/segment.h", r"#define SEGMENT_VALUES\s+(\d+)")
TEXT_MAX = _c_number("src/segment/segment.h", r"#define SEGMENT_TEXT_MAX\s+(\d+)")
OPS = ["=", "!=", "<", "<=", ">", ">="]
# Fields kept in clear on both backends (compared in SQL); the others are sealed: comparing one
# is field_sealed on both, which the generator asks now and then too.
CLEAR = ["gender", "birth_date", "city"]
assert set(CLEAR) <= set(FIELDS) and "email" in FIELDS, "segment_fields changed"

# What the differential test loads: the words a query may find.
VOCAB = {
    "cities": ["Москва", "москва", "МОСКВА", "Казань", "Тула", "Орёл", "Орел", "Санкт-Петербург",
               "Ростов-на-Дону", "Нижний Новгород", "Berlin", "berlin"],
    "genders": ["f", "m"],
    "categories": ["Подгузники", "подгузники", "Корм", "Игрушки", "Toys", "toys", "Ёлки"],
    "skus": ["A-1", "a-1", "B-2", "Ж-3", "ж-3", "X 9"],
    "urls": ["/", "/sale", "/Каталог", "/p?id=1"],
    "networks": ["vk", "ok", "telegram"],
    "queries": ["подгузники", "Подгузники", "toys", "корм для кошек"],
    "answers": ["да", "Да", "нет", "yes"],
    "attr_enum": ["S", "M", "L", "xl", "Большой", 'in"ch', "c:\\x"],
    "attr_pets": ["cat", "dog", "fish", "Кот"],
    "topics": ["news", "promo"],
    "topic_strings": ["seg-promo", "Акции"],
    "segments": ["vip", "Москвичи", "dormant"],
    "rfm_groups": ["champions", "loyal", "can't lose them", "at risk", "lost", "hibernating",
                   "need attention", "about to sleep", "new", "promising",
                   "potential loyalists"],
}
# Event types with the properties a query may ask after, each with values of its own.
EVENT_PROPS = {
    "page_view": {"url": "urls"},
    "product_view": {"sku": "skus", "category": "categories", "price": "int"},
    "cart_add": {"sku": "skus", "quantity": "int", "price": "int"},
    "email_open": {"campaign": "answers"},
    "social_share": {"network": "networks", "url": "urls"},
    "search": {"query": "queries", "results": "int"},
    "review": {"sku": "skus", "rating": "int"},
    "quiz": {"score": "int", "ratio": "int", "passed": "bool", "answer": "answers"},
}
EVENT_TYPES = list(EVENT_PROPS) + ["app_open", "cart_remove"]  # two nobody sent
# Declared attributes by type; "nickname" and "notes" are free text, so sealed (field_sealed).
ATTRS = {"level": "number", "vip": "boolean", "size": "enum", "contract_until": "date",
         "pets": "list_enum", "kids_years": "list_number", "visits": "list_date",
         "nickname": "string", "notes": "list_string"}
assert not (set(ATTRS) | {"undeclared"}) & (RESERVED | set(FIELDS)), "an attribute's name is a word"
TRAITS = ["rfm_group", "rfm_score", "cluster", "favourite_category", "average_receipt",
          "lifetime_value", "has_baby", "big_spender", "no_such_trait"]


def quote(s):
    """A string of the language: '"' and '\\' escaped."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class SegmentGen:
    """Queries drawn from one seed: SegmentGen(seed).query() is the same text every run."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    # -- small pieces ---------------------------------------------------------------------------

    def pick(self, xs):
        return self.r.choice(list(xs))

    def sp(self):
        """A separator: mostly a space, now and then more, a tab or a line break."""
        return self.r.choices([" ", "  ", "\t", "\n", " \n  "], [20, 2, 1, 1, 1])[0]

    def op(self):
        return self.pick(OPS)

    def number(self, lo, hi):
        """A whole number, mostly from lo..hi, now and then an edge (0, negative, large)."""
        if self.r.random() < 0.1:
            return self.pick([0, -1, -500, 1, 99999, 10 ** 9])
        return self.r.randint(lo, hi)

    def window(self):
        days = self.r.choices([self.r.randint(1, 400), 1, WINDOW_MAX, 7, 30, 90],
                              [8, 1, 1, 1, 1, 1])[0]
        return f"last{self.sp()}{days}{self.sp()}{'day' if self.r.random() < 0.2 else 'days'}"

    def text(self, kind):
        """A string value: one the data has, in its case or another, or one it has not."""
        roll = self.r.random()
        if roll < 0.7:
            return quote(self.pick(VOCAB[kind]))
        if roll < 0.85:
            s = self.pick(VOCAB[kind])
            return quote(self.pick([s.upper(), s.lower(), s.capitalize(), s[:-1] or s]))
        return quote(self.pick(["", "нет такого", "ZZZ", 'a"b', "\\", "Ё", "0", "1"]))

    def value(self, kind):
        """A value for a comparison of `kind`: mostly of its type, sometimes of another."""
        roll = self.r.random()
        if roll < 0.75:
            if kind == "int":
                return str(self.number(0, 300000))
            if kind == "bool":
                return self.pick(["true", "false"])
            if kind == "date":
                return quote(self.date())
            return self.text(kind)
        if roll < 0.85:
            return self.pick(["true", "false"])
        if roll < 0.95:
            return str(self.number(-5, 2030))
        return self.text(self.pick(["cities", "skus", "attr_enum"]))

    def date(self):
        y = self.r.choice([self.r.randint(1940, 2012), 2026, 2027, 2025])
        m, d = self.r.randint(1, 12), self.r.randint(1, 28)
        if self.r.random() < 0.1:
            m, d = 2, 29
        return f"{y:04d}-{m:02d}-{d:02d}" if self.r.random() < 0.95 else f"{y}"

    # -- the conditions -------------------------------------------------------------------------

    def profile(self):
        f = self.pick(CLEAR) if self.r.random() < 0.9 else self.pick(FIELDS)
        kind = {"gender": "genders", "city": "cities", "birth_date": "date"}.get(f, "cities")
        form = self.r.random()
        if form < 0.2:
            return f"has{self.sp()}{self.pick(FIELDS)}"
        if form < 0.7:
            return f"{f}{self.sp()}{self.op()}{self.sp()}{self.value(kind)}"
        if form < 0.85:
            n = self.r.choices([1, 2, 3, 5, VALUES_MAX], [3, 3, 3, 2, 1])[0]
            vals = ("," + self.sp()).join(self.value(kind) for _ in range(n))
            return f"{f} in ({vals})"
        return f"{f} between {self.value(kind)} and {self.value(kind)}"

    def age(self):
        if self.r.random() < 0.3:
            return f"age between {self.number(0, 90)} and {self.number(0, 90)}"
        return f"age {self.op()} {self.number(0, 90)}"

    def events(self):
        t = self.pick(EVENT_TYPES)
        inner = t
        props = EVENT_PROPS.get(t, {"url": "urls"})
        if self.r.random() < 0.4:
            p, kind = self.r.choice(list(props.items()) + [("nope", "cities")])
            inner += f" where {p} = {self.value(kind)}"
        if self.r.random() < 0.6:
            inner += f",{self.sp()}{self.window()}"
        cmp = f" {self.op()} {self.number(0, 6)}" if self.r.random() < 0.7 else ""
        return f"events({inner}){cmp}"

    def purchases(self):
        agg = self.pick(["count", "sum", "average"])
        w = self.window() if self.r.random() < 0.6 else ""
        n = self.number(0, 6) if agg == "count" else self.number(0, 20000)
        return f"purchases({w}).{agg} {self.op()} {n}"

    def since(self):
        return f"days since last purchase {self.op()} {self.number(0, 400)}"

    def points(self):
        return f"points.balance {self.op()} {self.number(-100, 2000)}"

    def bought(self):
        by = self.pick(["category", "sku"])
        w = f", {self.window()}" if self.r.random() < 0.5 else ""
        return f"bought({by} {self.text('categories' if by == 'category' else 'skus')}{w})"

    def birthday(self):
        n = self.r.choices([self.r.randint(0, 30), 0, BIRTHDAY_MAX, 1], [6, 1, 1, 1])[0]
        return f"birthday within {n} {'day' if self.r.random() < 0.2 else 'days'}"

    def attribute(self):
        name = self.pick(list(ATTRS) + ["undeclared"])
        t = ATTRS.get(name, "number")
        kind = {"number": "int", "boolean": "bool", "enum": "attr_enum", "date": "date",
                "list_enum": "attr_pets", "list_number": "int", "list_date": "date",
                "string": "cities", "list_string": "cities"}[t]
        if t.startswith("list") or self.r.random() < 0.1:
            if kind == "int" and self.r.random() < 0.8:
                return f"{name} contains {self.r.randint(2008, 2026)}"
            return f"{name} contains {self.value(kind)}"
        return f"{name} {self.op()} {self.value(kind)}"

    def consent(self):
        p = self.pick(PURPOSES)
        if p == "ads":
            return f"consent(ads, {self.pick(CHANNELS)})"
        return f"consent({p})"

    def subscribed(self):
        if self.r.random() < 0.7:
            topic = self.pick(VOCAB["topics"])
        else:
            topic = quote(self.pick(VOCAB["topic_strings"] + VOCAB["topics"]))
        return f"subscribed({topic}, {self.pick(CHANNELS)})"

    def segment(self):
        return f"in segment {quote(self.pick(VOCAB['segments'] + ['nobody made it']))}"

    def trait(self):
        name = self.pick(TRAITS)
        kind = {"rfm_group": "rfm_groups", "favourite_category": "categories"}.get(name)
        if kind:
            v = self.text(kind)
        elif name in ("has_baby", "big_spender"):
            v = self.pick(["true", "false", quote("true")])
        elif name == "rfm_score":
            v = quote(f"{self.r.randint(1, 5)}{self.r.randint(1, 5)}{self.r.randint(1, 5)}")
        else:
            v = self.pick([quote(str(self.number(0, 30000))), str(self.number(0, 30000))])
        return f"trait {name} {self.op()} {v}"

    def leaf(self):
        kinds = [(self.profile, 6), (self.age, 2), (self.events, 6), (self.purchases, 4),
                 (self.since, 2), (self.points, 2), (self.bought, 3), (self.birthday, 1),
                 (self.attribute, 5), (self.consent, 3), (self.subscribed, 2),
                 (lambda: "profile complete", 1), (self.segment, 1), (self.trait, 3)]
        return self.r.choices([k for k, _ in kinds], [w for _, w in kinds])[0]()

    LEAVES = ["profile", "age", "events", "purchases", "since", "points", "bought", "birthday",
              "attribute", "consent", "subscribed", "segment", "trait"]

    # -- the whole query ------------------------------------------------------------------------

    def node(self, budget, depth=0):
        """A condition of at most `budget` leaves, nested at most DEPTH_MAX deep."""
        roll = self.r.random()
        if budget <= 1 or roll < 0.35 or depth >= DEPTH_MAX - 2:
            return self.leaf()
        if roll < 0.5:
            return f"not{self.sp()}{self.node(budget - 1, depth + 1)}"
        if roll < 0.6:
            return f"({self.node(budget, depth + 1)})"
        left = self.r.randint(1, budget - 1)
        word = self.pick(["and", "or"])
        return (f"{self.node(left, depth)}{self.sp()}{word}{self.sp()}"
                f"{self.node(budget - left, depth)}")

    def query(self):
        while True:
            q = self.node(self.r.choices([1, 2, 3, 5, 8], [3, 3, 3, 2, 1])[0])
            if len(q.encode()) <= TEXT_MAX:
                return q


def query(seed, i):
    """The i-th query of a run seeded `seed`: each one reproducible on its own."""
    return SegmentGen(f"{seed}:{i}").query()


def every_production(seed=16):
    """One query of each kind of condition, then a few mixed ones: the fuzzer's seeds."""
    g = SegmentGen(seed)
    out = [getattr(g, k)() for k in SegmentGen.LEAVES] + ["profile complete"]
    return out + [g.query() for _ in range(6)]


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--corpus":
        folder = pathlib.Path(sys.argv[2])
        for n, q in enumerate(every_production()):
            (folder / f"gen-{n:02d}.txt").write_text(q)
        sys.exit(0)
    seed = sys.argv[1] if len(sys.argv) > 1 else "16"
    for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 20):
        print(repr(query(seed, i)))
