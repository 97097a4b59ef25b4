#!/usr/bin/python3
"""A Russian duplicates set of synthetic people (issue 17, part 3; no one real): each person's
records as a retailer's channels write them - a paper form typed later, the web shop, the till,
a tablet - with the slips those make (typos, the wrong keyboard layout, Latin spellings,
diminutives, a married name, day and month swapped, a phone digit off, a domain typo, blanks, a
full name in one free-text field in any order), and the hard negatives that must stay apart:
namesakes, twins, a parent and child on one phone, a phone number the operator gave to someone
new. Writes the customer columns of `kartoteka dedup csv`, and the truth beside it.

    gen_ru.py OUT.csv TRUTH.csv [--people N] [--seed S] [--made-surnames N]

--made-surnames adds N surnames made of a root and an ending (Бор+ецкий, Лав+рушин ...) to the
list, for a base of a million, where a chain sees tens of thousands of surnames, not a hundred.

TRUTH.csv: record_id,person,negative - the person a record is of, and for a hard negative the
kind and group it was made in (the group's people are different people who look alike).
"""
import argparse
import csv
import random

MALE = [("Александр", ["Саша", "Шура"]), ("Алексей", ["Лёша", "Алёша"]), ("Дмитрий", ["Дима"]),
        ("Сергей", ["Серёжа"]), ("Андрей", ["Андрюша"]), ("Михаил", ["Миша"]),
        ("Николай", ["Коля"]), ("Иван", ["Ваня"]), ("Владимир", ["Вова", "Володя"]),
        ("Павел", ["Паша"]), ("Евгений", ["Женя"]), ("Константин", ["Костя"]),
        ("Юрий", ["Юра"]), ("Виктор", ["Витя"]), ("Григорий", ["Гриша"]), ("Роман", ["Рома"]),
        ("Олег", []), ("Игорь", []), ("Артём", ["Тёма"]), ("Борис", ["Боря"])]
FEMALE = [("Наталья", ["Наташа"]), ("Татьяна", ["Таня"]), ("Мария", ["Маша"]),
          ("Екатерина", ["Катя"]), ("Елена", ["Лена"]), ("Ольга", ["Оля"]), ("Ирина", ["Ира"]),
          ("Светлана", ["Света"]), ("Юлия", ["Юля"]), ("Анастасия", ["Настя"]),
          ("Анна", ["Аня"]), ("Галина", ["Галя"]), ("Дарья", ["Даша"]), ("Ксения", ["Ксюша"]),
          ("Елизавета", ["Лиза"]), ("Надежда", ["Надя"]), ("Марина", []), ("Оксана", []),
          ("Виктория", ["Вика"]), ("Полина", ["Поля"])]
SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
            "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
            "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев",
            "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев",
            "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров",
            "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков",
            "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов",
            "Жуков", "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов",
            "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов", "Марков", "Миронов", "Крылов",
            "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов", "Тихонов",
            "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов",
            "Абрамов", "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин",
            "Исаев", "Чернышёв", "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев",
            "Воронин", "Климов", "Филатов", "Пономарёв", "Голубев", "Кудрявцев", "Прохоров",
            "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Ким", "Шмидт", "Цой",
            "Хабибуллин", "Гарипов", "Шевченко-Гарипов", "Юсупов", "Алиев", "Мамедов"]
PATRONYMIC_M = {"Александр": "Александрович", "Алексей": "Алексеевич", "Дмитрий": "Дмитриевич",
                "Сергей": "Сергеевич", "Андрей": "Андреевич", "Михаил": "Михайлович",
                "Николай": "Николаевич", "Иван": "Иванович", "Владимир": "Владимирович",
                "Павел": "Павлович", "Евгений": "Евгеньевич", "Константин": "Константинович",
                "Юрий": "Юрьевич", "Виктор": "Викторович", "Григорий": "Григорьевич",
                "Роман": "Романович", "Олег": "Олегович", "Игорь": "Игоревич",
                "Артём": "Артёмович", "Борис": "Борисович"}
CITIES = ["Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань",
          "Нижний Новгород", "Челябинск", "Самара", "Омск", "Ростов-на-Дону", "Уфа", "Красноярск",
          "Воронеж", "Пермь", "Волгоград", "Тверь", "Владивосток"]
DOMAINS = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru", "rambler.ru"]
TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n",
                     "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y",
                     "", "e", "yu", "ya"]))
LAYOUT = dict(zip("йцукенгшщзхъфывапролджэячсмитьбюё",
                  "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"))


ROOTS = ["Бел", "Бор", "Вер", "Гол", "Гор", "Дуб", "Жар", "Зор", "Кал", "Кир", "Лав", "Лес",
         "Мир", "Нос", "Пал", "Рад", "Сав", "Сол", "Тар", "Уш", "Хол", "Чер", "Шир", "Яр", "Вол",
         "Груш", "Дор", "Ерш", "Заб", "Кос", "Луг", "Мох", "Нев", "Пест", "Рог", "Сит", "Топ",
         "Хм", "Щег", "Юр"]
MIDDLES = ["", "ов", "ен", "ин", "ич", "ан", "ук", "ал", "ер", "ос", "уш", "ят"]
ENDINGS = ["ов", "ев", "ин", "ский", "цкий", "енко", "ук", "ич", "ых", "ихин", "ушкин", "янов"]


def made_surnames(rng, n):
    out = set()
    while len(out) < n:
        out.add(rng.choice(ROOTS) + rng.choice(MIDDLES) + rng.choice(ENDINGS))
    return sorted(out)


def feminine(surname):
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith("ий"):
        return surname[:-2] + "ая"
    return surname


def translit(s):
    out = "".join(TRANSLIT.get(c.lower(), c.lower()) for c in s)
    return out[:1].upper() + out[1:]


def layout(s):
    return "".join(LAYOUT.get(c.lower(), c) for c in s)


def typo(rng, s):
    if len(s) < 4:
        return s
    i = rng.randrange(1, len(s) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return s[:i] + s[i + 1:]                      # a letter dropped
    if kind == 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]    # two swapped
    return s[:i] + rng.choice("аеиоуыклмнрст") + s[i + 1:]  # one replaced


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.phones = set()
        self.rows = []
        self.truth = []
        self.n = 0

    def phone(self):
        while True:
            p = "+79" + "".join(self.rng.choice("0123456789") for _ in range(9))
            if p not in self.phones:
                self.phones.add(p)
                return p

    def person(self, sex=None, last=None, first=None, birth=None, phone=None, father=None,
               not_first=None):
        r = self.rng
        sex = sex or r.choice("mf")
        names = MALE if sex == "m" else FEMALE
        full, dims = r.choice([n for n in names if n[0] != not_first])
        first = first or full
        if first != full:
            dims = next((d for f, d in names if f == first), [])
        base = last or r.choice(SURNAMES)
        surname = base if sex == "m" else feminine(base)
        father = father or r.choice(MALE)[0]
        middle = PATRONYMIC_M[father]
        if sex == "f":
            middle = middle[:-2] + "на"
        birth = birth or f"{r.randint(1950, 2005)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        tl = translit(first).lower().replace("'", "")
        return {"sex": sex, "father": father, "last": surname, "base": base, "first": first, "dims": dims,
                "middle": middle, "birth": birth, "phone": phone or self.phone(),
                "email": f"{tl}.{translit(base).lower()}{r.randint(1, 99)}@{r.choice(DOMAINS)}",
                "city": r.choice(CITIES),
                "card": "".join(r.choice("0123456789") for _ in range(13)) if r.random() < 0.4
                else ""}

    def record(self, p, person_id, negative="", slips=True):
        r = self.rng
        rec = dict(p)
        source = r.choice(["pos", "paper", "web", "tablet", "app"])
        if slips:
            for _ in range(r.choice([0, 1, 1, 2, 2, 3])):
                slip = r.randrange(11)
                if slip == 0:
                    rec["last"] = typo(r, rec["last"])
                elif slip == 1:
                    rec["first"] = typo(r, rec["first"])
                elif slip == 2 and p["dims"]:
                    rec["first"] = r.choice(p["dims"])
                elif slip == 3:
                    rec["last"], rec["first"] = translit(rec["last"]), translit(rec["first"])
                    rec["middle"] = translit(rec["middle"]) if r.random() < 0.5 else ""
                elif slip == 4:
                    rec["last"] = layout(rec["last"])
                elif slip == 5 and rec["birth"]:
                    y, m, d = rec["birth"].split("-")
                    if int(d) <= 12:
                        rec["birth"] = f"{y}-{d}-{m}"
                elif slip == 6:
                    i = r.randrange(4, 12)
                    rec["phone"] = rec["phone"][:i] + r.choice("0123456789") + rec["phone"][i + 1:]
                elif slip == 7 and "@" in rec["email"]:
                    loc, dom = rec["email"].split("@")
                    rec["email"] = loc + "@" + {"mail.ru": "mial.ru", "yandex.ru": "yandx.ru",
                                                "gmail.com": "gmial.com"}.get(dom, dom)
                elif slip == 8:
                    for f in r.sample(["email", "middle", "city", "card", "birth"], 2):
                        rec[f] = ""
                elif slip == 9 and p["sex"] == "f" and r.random() < 0.5:
                    rec["last"] = feminine(r.choice(SURNAMES))  # married since
                elif slip == 10:
                    rec["phone"] = "8" + rec["phone"][2:5] + "-" + rec["phone"][5:8] + "-" + \
                        rec["phone"][8:10] + "-" + rec["phone"][10:]
        birth = rec["birth"]
        if birth and source == "paper":
            y, m, d = birth.split("-")
            birth = f"{d}.{m}.{y}"
        full = ""
        if r.random() < 0.15:  # one free-text field, in any order
            parts = [rec["last"], rec["first"], rec["middle"]]
            order = r.choice([(0, 1, 2), (1, 2, 0), (1, 0, 2)])
            full = " ".join(parts[i] for i in order if parts[i])
            rec["last"] = rec["first"] = rec["middle"] = ""
        self.n += 1
        rid = f"r{self.n}"
        self.rows.append([rid, source, f"S-{r.randint(1, 40)}", rec["last"], rec["first"],
                          rec["middle"], full, rec["phone"], rec["email"], birth, rec["city"],
                          rec["card"]])
        self.truth.append([rid, person_id, negative])

    def people(self, n):
        r = self.rng
        pid = 0
        for _ in range(n):
            pid += 1
            p = self.person()
            self.record(p, f"p{pid}", slips=False)
            for _ in range(r.choice([0, 0, 1, 1, 2, 3])):
                self.record(p, f"p{pid}")
        groups = 0
        for _ in range(n // 20):  # the hard negatives, a group of look-alikes each
            groups += 1
            kind = r.choice(["namesake", "twins", "parent_child", "recycled_phone"])
            tag = f"{kind}:{groups}"
            a = self.person()
            if kind == "namesake":
                b = self.person(sex=a["sex"], last=a["base"], first=a["first"],
                                not_first=None)
            elif kind == "twins":
                b = self.person(sex=r.choice("mf"), last=a["base"], birth=a["birth"],
                                phone=a["phone"], father=a["father"], not_first=a["first"])
                b["email"] = ""
                b["city"] = a["city"]
            elif kind == "parent_child":
                y = int(a["birth"][:4])
                a["birth"] = f"{min(y, 1975)}{a['birth'][4:]}"
                b = self.person(last=a["base"], phone=a["phone"],
                                birth=f"{min(y, 1975) + r.randint(20, 30)}-0{r.randint(1, 9)}-1{r.randint(0, 9)}")
                b["city"] = a["city"]
            else:
                b = self.person(phone=a["phone"])
            for q in (a, b):
                pid += 1
                self.record(q, f"p{pid}", tag, slips=False)
                if r.random() < 0.5:
                    self.record(q, f"p{pid}", tag)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("truth")
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--made-surnames", type=int, default=0)
    a = ap.parse_args()
    g = Gen(a.seed)
    if a.made_surnames:
        SURNAMES.extend(made_surnames(random.Random(a.seed), a.made_surnames))
    g.people(a.people)
    order = list(range(len(g.rows)))
    g.rng.shuffle(order)
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "source", "store", "last_name", "first_name", "middle_name",
                    "full_name", "phone", "email", "birth_date", "city", "card"])
        for i in order:
            w.writerow(g.rows[i])
    with open(a.truth, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["record_id", "person", "negative"])
        w.writerows(g.truth)


if __name__ == "__main__":
    main()
