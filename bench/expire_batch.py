"""The writer hold of one batch of the events expiry (docs/privacy.md, "Retention of raw data"):
1,000,000 events in a migrated database, the two statements of store_events_expire timed per
batch size. Usage: kartoteka migrate --db /tmp/kb.db; python3 bench/expire_batch.py"""
import sqlite3, time, random
con = sqlite3.connect("/tmp/kb.db", isolation_level=None)
con.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;")
T0 = 1800000000000 - 1800000000000 % 86400000
N = 1_000_000
con.execute("BEGIN")
rows = ((random.randint(1, 50000), "page_view" if i % 3 else "product_view", T0 + i * 60, T0 + i * 60 + 5, "web",
         '{"url": "https://shop.example/p/%d", "title": "товар %d"}' % (i, i)) for i in range(N))
con.executemany("INSERT INTO events (ck, type, at, received_at, channel, props) VALUES (?,?,?,?,?,?)", rows)
con.execute("COMMIT")
roll_up = """INSERT INTO event_days (ck, type, channel, day, received_day, count)
SELECT coalesce(ck, 0), type, channel, at - at % 86400000, received_at - received_at % 86400000, count(*)
FROM (SELECT ck, type, channel, at, received_at FROM events ORDER BY seq LIMIT ?2)
WHERE received_at < ?1 GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (ck, type, day, channel, received_day) DO UPDATE SET count = count + excluded.count"""
drop = "DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?2) AND received_at < ?1"
cut = T0 + 300_000 * 60
for limit in (100, 200, 500, 1000):
    times = []
    for _ in range(20):
        t = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        con.execute(roll_up, (cut, limit)); n = con.execute(drop, (cut, limit)).rowcount
        con.execute("COMMIT")
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"batch {limit}: median {times[10]:.1f} ms, max {times[-1]:.1f} ms, rows {n}")
# a batch that finds nothing (steady state, nothing old left at the front)
t = time.perf_counter(); con.execute("BEGIN IMMEDIATE"); con.execute(roll_up, (T0, 1000)); con.execute(drop, (T0, 1000)); con.execute("COMMIT")
print(f"empty batch: {(time.perf_counter()-t)*1000:.2f} ms")
