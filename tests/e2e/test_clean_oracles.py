"""Accuracy of the cleaners against references nobody here wrote: Google's libphonenumber
(Debian python3-phonenumbers) for phones and python3-email-validator for e-mail addresses.

Both run `kartoteka clean KIND`, which feeds values through the same functions every write path
uses. Every disagreement must fall in a category documented in docs/cleaning.md; the agreement
figures are printed (pytest -s) and recorded there."""
import json
import random
import subprocess

import phonenumbers as pn
from email_validator import EmailNotValidError, validate_email

from conftest import BIN

PN_TYPES = {
    pn.PhoneNumberType.MOBILE: "mobile",
    pn.PhoneNumberType.FIXED_LINE: "landline",
    pn.PhoneNumberType.TOLL_FREE: "toll_free",
    pn.PhoneNumberType.PREMIUM_RATE: "premium_rate",
    pn.PhoneNumberType.PERSONAL_NUMBER: "personal",
    pn.PhoneNumberType.VOIP: "voip",
}
CIS = {"375": 9, "380": 9, "998": 9, "374": 8, "994": 9, "995": 9, "996": 9, "992": 9,
       "993": 8, "373": 8}


def run_clean(kind, values):
    r = subprocess.run([BIN, "clean", kind], input="\n".join(values) + "\n",
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(out) == len(values)
    return out


def ru_formats(nat):
    a, b, c, d = nat[:3], nat[3:6], nat[6:8], nat[8:]
    return [f"+7 {a} {b}-{c}-{d}", f"8 ({a}) {b}-{c}-{d}", "8" + nat, nat, "7" + nat,
            f"+7({a}){b}{c}{d}", f"8-{a}-{b}-{c}-{d}", f"тел. 8 {a} {b} {c} {d}",
            f"+7 {a} {b} {c} {d} доб. 12", f"8.{a}.{b}.{c}.{d}", f"+7-{a}-{b}{c}{d} ext 7"]


def intl_formats(cc, nat):
    return ["+" + cc + " " + nat, "00" + cc + nat, "810 " + cc + " " + nat, f"+{cc}-{nat}"]


def generate_phones(rng):
    cases = []  # (raw, e164 the raw stands for)
    for i in range(10000):
        # Mostly mobiles, as at a cash desk; the rest from every 3-digit code, valid or not.
        code = rng.randrange(900, 1000) if i % 2 else rng.randrange(1000)
        nat = "%03d%07d" % (code, rng.randrange(10 ** 7))
        cases.append((rng.choice(ru_formats(nat)), "+7" + nat))
    for region in ("RU", "KZ"):
        for t in PN_TYPES:
            ex = pn.example_number_for_type(region, t)
            if ex is not None:
                nat = str(ex.national_number)
                for f in ru_formats(nat):
                    cases.append((f, "+7" + nat))
    for _ in range(1500):
        cc = rng.choice(list(CIS))
        nat = "".join(rng.choice("0123456789") for _ in range(CIS[cc]))
        cases.append((rng.choice(intl_formats(cc, nat)), "+" + cc + nat))
    for region in ("BY", "UA", "UZ", "AM", "AZ", "GE", "KG", "TJ", "TM", "MD", "DE", "US",
                   "GB", "CN", "TR", "IL"):
        ex = pn.example_number_for_type(region, pn.PhoneNumberType.MOBILE)
        cc, nat = str(ex.country_code), str(ex.national_number)
        for f in intl_formats(cc, nat):
            cases.append((f, "+" + cc + nat))
    return cases


def test_phones_agree_with_libphonenumber():
    rng = random.Random(20261124)
    cases = generate_phones(rng)
    assert len(cases) >= 10000
    ours = run_clean("phone", [raw for raw, _ in cases])
    valid_total = valid_agree = 0
    documented = {"kz_landline_area_code": 0, "outside_7_length_only": 0}
    unexplained = []
    for (raw, e164), got in zip(cases, ours):
        n = pn.parse(e164, None)
        oracle_valid = pn.is_valid_number(n)
        we_valid = got["verdict"] != "invalid"
        if oracle_valid:
            valid_total += 1
            want_type = PN_TYPES.get(pn.number_type(n), "unknown") if e164.startswith("+7") \
                else "unknown"
            if we_valid and got["value"] == e164 and got.get("type") == want_type:
                valid_agree += 1
            else:
                unexplained.append((raw, e164, "oracle valid", got))
        elif we_valid:
            if e164[:4] in ("+771", "+772"):
                documented["kz_landline_area_code"] += 1
            elif not e164.startswith("+7"):
                documented["outside_7_length_only"] += 1
            else:
                unexplained.append((raw, e164, "oracle invalid", got))
    print(f"\nphones: {len(cases)} inputs, {valid_total} valid by libphonenumber, "
          f"{valid_agree} agree; accepted although libphonenumber refuses: {documented}")
    assert valid_total > 3000
    assert not unexplained, unexplained[:20]
    assert valid_agree == valid_total


def test_phone_formats_parse_as_libphonenumber_does():
    """Where libphonenumber can parse a raw form with Russia as the default region, it reads the
    same number as we do."""
    rng = random.Random(7)
    cases = generate_phones(rng)
    ours = run_clean("phone", [raw for raw, _ in cases])
    compared = differ = 0
    for (raw, e164), got in zip(cases, ours):
        if got["verdict"] == "invalid":
            continue
        try:
            n = pn.parse(raw.replace("доб.", "ext").replace("тел.", ""), "RU")
        except pn.NumberParseException:
            continue
        if not pn.is_valid_number(n):
            continue
        compared += 1
        if pn.format_number(n, pn.PhoneNumberFormat.E164) != got["value"]:
            differ += 1
    print(f"\nphone formats: {compared} compared, {differ} read differently")
    assert compared > 1000 and differ == 0


# ---- e-mail -------------------------------------------------------------------------------

LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-"
DOMAINS = ["mail.ru", "yandex.ru", "gmail.com", "example.org", "sub.shop.ru", "пример.рф",
           "почта.рф", "münchen.de", "xn--e1afmkfd.xn--p1ai", "b.kz", "a-b.com", "x.io",
           "корп.москва", "shop.online"]
EDGE = [
    '"ivan"@mail.ru', '"iv an"@mail.ru', "ivan@[127.0.0.1]", "ivan@[IPv6:::1]", "a" * 64 + "@mail.ru",
    "a" * 65 + "@mail.ru", "x@" + "a" * 63 + ".com", "x@" + "a" * 64 + ".com",
    ("a" * 64 + "@" + ("b" * 60 + ".") * 3 + "b" * 57 + ".ru")[:254],
    "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "b" * 58 + ".ru", ".ivan@mail.ru", "ivan.@mail.ru",
    "iv..an@mail.ru", "ivan@mail..ru", "ivan@.mail.ru", "ivan@mail.ru.", "ivan@-mail.ru",
    "ivan@mail-.ru", "ivan@ma_il.ru", "иван@пример.рф", "Иван@Пример.РФ", "ivan@ПРИМЕР.РФ",
    "Müller@münchen.de", "😀@mail.ru", "ivan@😀.ru", "ivan@mail", "ivan@localhost",
    "ivan@mail.123", "ivan@1.2.3.4", "ivan@b.test", "ivan@b.local", "ivan@b.invalid",
    "ivan@x.onion", "ivan@b.example", "a!#$%&'*+/=?^_`{|}~-@mail.ru", "ivan", "@mail.ru",
    "ivan@", "ivan@@mail.ru", "iv an@mail.ru", "ivan@mail ru", " ivan@mail.ru ",
    "IVAN.PETROV@MAIL.RU", "ivan+tag@gmail.com", "ivan@mail.r", "a@b.c", "ivan@xn--p1ai",
    "ivan@mail.xn--p1ai", "ivan@почта.рф", "ivan\t@mail.ru", "i\u0301van@mail.ru",
    "ivan@sub.sub.sub.sub.mail.ru", "1234567890@mail.ru", "ivan@mail.ru.com", "ivan@mail.r_u",
]


def generate_emails(rng):
    out = list(EDGE)
    while len(out) < 2400:
        n = rng.randrange(1, 20)
        local = "".join(rng.choice(LOCAL_CHARS) for _ in range(n))
        if rng.random() < 0.1:
            local = "иван" + local[:5]
        addr = local + "@" + rng.choice(DOMAINS)
        r = rng.random()
        if r < 0.05:
            addr = addr.replace("@", "")
        elif r < 0.1:
            addr = addr.replace(".", "..", 1)
        elif r < 0.13:
            addr = addr.upper()
        out.append(addr)
    return out


def oracle_email(addr):
    try:
        r = validate_email(addr, check_deliverability=False)
    except EmailNotValidError:
        return None
    local, _, domain = r.email.rpartition("@")
    ascii_domain = (r.ascii_email or "").rpartition("@")[2] or domain.encode("idna").decode()
    return local, ascii_domain.lower()


def classify_email(addr, oracle, got):
    """The documented difference a disagreement falls in, or None."""
    ours_valid = got["verdict"] != "invalid"
    if ours_valid and oracle is None:
        if addr.strip().endswith("."):
            return "trailing_root_dot_dropped"
        if addr != addr.strip():
            return "outer_spaces_trimmed"
        if got.get("change") == "domain_typo":
            return "domain_typo_fixed"
        return None
    if not ours_valid and oracle is not None:
        return None
    if ours_valid:
        local, domain = got["value"].rpartition("@")[0], got["value"].rpartition("@")[2]
        if domain != oracle[1] and got.get("change") == "domain_typo":
            return "domain_typo_fixed"
        if domain == oracle[1] and local != oracle[0] and local == oracle[0].lower():
            return "local_part_lower_cased"
        if domain == oracle[1] and local == oracle[0]:
            return "same"
        return None
    return "same"


def test_emails_against_email_validator():
    rng = random.Random(11)
    addrs = generate_emails(rng)
    assert len(addrs) >= 2000
    ours = run_clean("email", addrs)
    counts, unexplained = {}, []
    same_verdict = 0
    for addr, got in zip(addrs, ours):
        oracle = oracle_email(addr)
        same_verdict += (oracle is None) == (got["verdict"] == "invalid")
        cat = classify_email(addr, oracle, got)
        if cat is None:
            unexplained.append((addr, got))
        else:
            counts[cat] = counts.get(cat, 0) + 1
    same = counts.get("same", 0)
    print(f"\ne-mails: {len(addrs)} inputs; valid/invalid agree on {same_verdict} "
          f"({100.0 * same_verdict / len(addrs):.1f}%); the same address {same}, "
          f"documented differences: "
          f"{ {k: v for k, v in counts.items() if k != 'same'} }")
    assert not unexplained, unexplained[:20]
