#!/usr/bin/python3
"""The client of bench/dedup_upsert.sh: posts COUNT new customers to POST /v1/customers one after
another (keep-alive), a third of them near-duplicates of rows of the base's CSV (the same name
and birth date, the phone one digit off and no e-mail), the rest new people; prints how many
replies carried a possible_duplicate warning. The latencies are the server's (its request log).

    dedup_upsert.py URL KEY CSV COUNT SEED
"""
import http.client
import json
import random
import sys
import urllib.parse

url, key, csv_path, count, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(seed)
rows = [line.rstrip("\r\n").split(";") for line in open(csv_path, encoding="utf-8")][1:]
LAST = ["Ковалёва", "Гусев", "Титова", "Кудрявцев", "Баранова", "Куликов", "Алексеева", "Степанов"]
FIRST = ["Ирина", "Олег", "Дарья", "Глеб", "Вера", "Роман", "Алла", "Фёдор"]
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port)
warned = 0
for i in range(count):
    if i % 3 == 0:
        phone, fio, birth = rows[rng.randrange(len(rows))][:3]
        digits = "7" + "".join(c for c in phone if c.isdigit())[1:]
        # one digit off in the operator's code: a number nobody in the base has (a digit off
        # at the end would be a neighbour's number, and the upsert would find that customer)
        digits = digits[:2] + str((int(digits[2]) + 1) % 10) + digits[3:]
        last, first = fio.split(" ", 1)
        profile = {"phone": "+" + digits, "last_name": last, "first_name": first,
                   "birth_date": birth}
    else:
        profile = {"phone": f"+7958{seed % 10}{i:06d}", "last_name": rng.choice(LAST),
                   "first_name": rng.choice(FIRST),
                   "birth_date": f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-"
                                 f"{rng.randint(1, 28):02d}"}
    body = json.dumps({"source": {"channel": "pos", "store": "S-1"}, "profile": profile})
    conn.request("POST", "/v1/customers", body, {"Authorization": f"Bearer {key}",
                                                  "Content-Type": "application/json"})
    r = conn.getresponse()
    reply = json.loads(r.read())
    if r.status not in (200, 201):
        sys.exit(f"POST /v1/customers: {r.status} {reply}")
    warned += any(w.get("code") == "possible_duplicate" for w in reply.get("warnings", []))
print(f"posted {count}, {warned} answered possible_duplicate")
