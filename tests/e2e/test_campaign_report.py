"""What a campaign earned (docs/messages.md, "What a campaign earned"): the report of
GET /v1/reports/campaigns/{id} and `kartoteka report campaign` against a computation of this test
from what it can see from outside - the e-mails that reached a real SMTP server (aiosmtpd on
loopback), the purchases and refunds it posted, the opens and clicks it recorded - on the
server's settable clock. Two variants with their own subjects tell the test who got which; the
control group is whoever of the audience got nothing and has no message at all.
"""
import email
import email.policy
import json
import math
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

import messaging
from conftest import BIN, Server
from peers import SmtpSink, wait_for

PD = messaging.PD  # the consent document messaging.join refers to
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
WINDOW = 3 * DAY


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, sink):
    s = Server(tmp_path_factory.mktemp("report"),
               ["--settable-clock", "--smtp-url", sink.url, "--smtp-from", "shop@example.ru",
                "--smtp-starttls", "never", "--outbox-retry", "200"])
    for path, body in [
            (f"/v1/consent-documents/{PD}", {"purpose": "pd_processing", "title": "ПДн",
                                            "body": "Согласие на обработку ПДн."}),
            ("/v1/consent-documents/ads-email", {"purpose": "ads", "title": "Реклама",
                                                 "body": "Согласие на рекламу."}),
            ("/v1/topics/promo", {"title": "Акции", "channels": ["email"]}),
            ("/v1/templates/spring-a", {"channel": "email", "subject": "Весна A",
                                        "text": "Скидки, {{first_name | default: \"друг\"}}",
                                        "html": "<p>Скидки</p>"}),
            ("/v1/templates/spring-b", {"channel": "email", "subject": "Весна B",
                                        "text": "Подарки", "html": "<p>Подарки</p>"}),
            ("/v1/templates/later", {"channel": "email", "subject": "Позже", "text": "Ещё"})]:
        r = s.put(path, body)
        assert r.status_code in (200, 201), (path, r.text)
    assert s.put("/v1/privacy/settings", {"public_url": s.url}).status_code == 200
    assert s.put("/v1/system/clock", {"now": iso(T0)}).status_code == 200
    yield s
    s.stop()


def join(server, i, ads):
    addr = f"buyer{i}@example.org"
    return messaging.join(server, addr, ads=ads, subscribe=ads), addr


_receipts = [0]


def buy(server, cid, at, kopecks):
    _receipts[0] += 1
    line = [{"sku": "X", "quantity": 1, "price": kopecks, "amount": kopecks}]
    r = server.post("/v1/purchases", {"store": "S", "receipt": f"R-{_receipts[0]}",
                                      "at": iso(at), "customer": {"id": cid}, "lines": line})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def messages(server, cid):
    r = server.get(f"/v1/customers/{cid}/messages")
    assert r.status_code == 200, r.text
    return r.json()["items"]


def parsed(envelope):
    return email.message_from_bytes(envelope.original_content, policy=email.policy.default)


def welch(t, c):
    mt, mc = sum(t) / len(t), sum(c) / len(c)
    vt = sum((x - mt) ** 2 for x in t) / (len(t) - 1)
    vc = sum((x - mc) ** 2 for x in c) / (len(c) - 1)
    se = math.sqrt(vt / len(t) + vc / len(c))
    d = mt - mc
    return mt, mc, d, d - 1.959963984540054 * se, d + 1.959963984540054 * se


def test_the_report_equals_the_computation_from_outside(server, sink):
    people = {}  # customer id -> address
    for i in range(48):
        cid, addr = join(server, i, ads=i % 12 != 11)  # 4 without ads consent: suppressed
        people[cid] = addr
    r = server.post("/v1/campaigns", {
        "name": "Весна", "channel": "email", "topic": "promo", "query": "consent(pd_processing)",
        "control_percent": 25, "conversion_window_days": 3,
        "variants": [{"name": "a", "template": "spring-a", "percent": 50},
                     {"name": "b", "template": "spring-b", "percent": 50}]})
    assert r.status_code == 201, r.text
    camp = r.json()["id"]
    assert server.post(f"/v1/campaigns/{camp}/start").status_code == 200

    def settled():
        c = server.get(f"/v1/campaigns/{camp}").json()
        return c["state"] == "done"
    wait_for(settled, 60, "the campaign done")

    # Who got what, from the SMTP server alone.
    by_addr = {addr: cid for cid, addr in people.items()}
    got = {}  # customer id -> (variant, message id)
    for env in sink.messages:
        m = parsed(env)
        cid = by_addr.get(env.rcpt_tos[0])
        if cid is None:
            continue
        variant = {"Весна A": "a", "Весна B": "b"}[str(m["Subject"])]
        assert cid not in got, "one copy each"
        got[cid] = (variant, str(m["Message-ID"]).strip("<>").split("@")[0])
    suppressed = {cid for cid in people if cid not in got and messages(server, cid)}
    control = [cid for cid in people if cid not in got and cid not in suppressed]
    assert len(got) >= 20 and 4 <= len(control) <= 20 and suppressed, (len(got), len(control))
    sent_at = {}
    for cid in got:
        (m,) = messages(server, cid)
        sent_at[cid] = datetime.fromisoformat(m["sent_at"].replace("Z", "+00:00"))
        assert m["id"] == got[cid][1]

    # Opens and clicks of some messages (twice for one: counted once).
    opened = sorted(got)[:9]
    clicked = opened[:4]
    for cid in opened + opened[:1]:
        r = server.post("/v1/events", {"type": "email_open", "channel": "web",
                                       "customer": {"id": cid},
                                       "properties": {"message_id": got[cid][1]}})
        assert r.status_code in (200, 201), r.text
    for cid in clicked:
        r = server.post("/v1/events", {"type": "email_click", "channel": "web",
                                       "customer": {"id": cid},
                                       "properties": {"message_id": got[cid][1],
                                                      "url": "https://shop.example/spring"}})
        assert r.status_code in (200, 201), r.text

    # Purchases: inside the window, after it, a refund, and a later marketing e-mail that
    # takes the last touch of one customer's purchase after it.
    ordered = sorted(people)
    spent = {cid: [] for cid in people}  # (time, net kopecks) of each purchase
    for k, cid in enumerate(ordered):
        if k % 3 == 0:
            spent[cid].append((T0 + timedelta(hours=5 + k), 150000 + 1000 * k))
        if k % 5 == 0:
            spent[cid].append((T0 + 4 * DAY, 99000))  # after the window
        if k % 7 == 1:
            spent[cid].append((T0 + 2 * DAY, 70000 + 500 * k))
    # A later marketing e-mail to one buyer of the variants, sent a day on: her purchase two
    # days after the campaign is that message's, not the campaign's.
    later = next(c for c in ordered if c in got and any(
        T0 + DAY < at < T0 + WINDOW for at, _ in spent[c]))
    assert server.put("/v1/system/clock", {"now": iso(T0 + DAY)}).status_code == 200
    r = server.post("/v1/messages", {"customer_id": later, "channel": "email", "topic": "promo",
                                     "transactional": False, "template": "later"},
                    headers={"Idempotency-Key": "later-1"})
    assert r.status_code in (200, 201, 202), r.text
    wait_for(lambda: any(m["state"] == "sent" for m in messages(server, later)
                         if m["id"] != got[later][1]), 20, "the later e-mail sent")
    later_at = max(datetime.fromisoformat(m["sent_at"].replace("Z", "+00:00"))
                   for m in messages(server, later) if m.get("sent_at"))
    # The tills post the receipts afterwards (a receipt may not lie in the future).
    assert server.put("/v1/system/clock", {"now": iso(T0 + 5 * DAY)}).status_code == 200
    # The first purchase of a recipient inside the window (ids are random: which k it is varies).
    refunded = next(c for c in ordered
                    if c in got and spent[c] and T0 <= spent[c][0][0] < T0 + WINDOW)
    for cid in ordered:
        for at, kop in spent[cid]:
            pid = buy(server, cid, at, kop)
            if cid == refunded and at == spent[cid][0][0]:
                r = server.post(f"/v1/purchases/{pid}/refunds",
                                {"refund": "V-1", "lines": [{"line": 1, "quantity": 1}]})
                assert r.status_code == 201, r.text
                spent[cid][0] = (at, 0)

    # The computation of the test.
    def attributed(cid):
        if cid not in got:
            return []
        out = []
        for at, kop in spent[cid]:
            if not (sent_at[cid] <= at < sent_at[cid] + WINDOW):
                continue
            if cid == later and later_at <= at:
                continue  # the later message is the last touch
            out.append(kop)
        return out

    def window(cid):
        return sum(kop for at, kop in spent[cid] if T0 <= at < T0 + WINDOW)

    want = {}
    for g in ("a", "b"):
        who = [c for c in got if got[c][0] == g]
        want[g] = {"sent": len(who), "opened": len([c for c in opened if c in who]),
                   "clicked": len([c for c in clicked if c in who]),
                   "converted": len([c for c in who if attributed(c)]),
                   "revenue": sum(sum(attributed(c)) for c in who)}
    # The cases are there: conversions, a refund inside a window, the last touch taken.
    assert sum(w["converted"] for w in want.values()) >= 3
    assert sum(w["opened"] for w in want.values()) == 9
    assert any(sent_at[later] <= at < sent_at[later] + WINDOW and at >= later_at
               for at, _ in spent[later])
    assert any(kop == 0 and T0 <= at < T0 + WINDOW for at, kop in spent[refunded])
    r = server.get(f"/v1/reports/campaigns/{camp}")
    assert r.status_code == 200, r.text
    rep = r.json()
    groups = {g["group"]: g for g in rep["groups"]}
    assert set(groups) == {"a", "b", "control"}
    for g in ("a", "b"):
        for k, v in want[g].items():
            assert groups[g][k] == v, (g, k, groups[g][k], v)
    assert groups["a"]["suppressed"] + groups["b"]["suppressed"] == len(suppressed)
    assert groups["control"]["members"] == len(control) and groups["control"]["sent"] == 0
    treated = [c for c in people if c not in control]
    assert rep["totals"]["members"] == len(treated)
    assert rep["totals"]["window_revenue"] == sum(window(c) for c in treated)
    assert groups["control"]["window_revenue"] == sum(window(c) for c in control)
    assert rep["totals"]["buyers"] == len([c for c in treated if any(
        T0 <= at < T0 + WINDOW for at, _ in spent[c])])
    mt, mc, d, lo, hi = welch([window(c) for c in treated], [window(c) for c in control])
    u = rep["uplift"]
    assert (u["treated_customers"], u["control_customers"]) == (len(treated), len(control))
    assert abs(u["treated_revenue_per_customer"] - mt) <= 0.5
    assert abs(u["control_revenue_per_customer"] - mc) <= 0.5
    assert abs(u["difference"] - d) <= 0.5
    assert abs(u["difference_low"] - lo) <= 0.5 and abs(u["difference_high"] - hi) <= 0.5
    assert rep["final"] is True and rep["conversion_window_days"] == 3

    # The command line prints the same document, and a table for people.
    out = subprocess.run([BIN, "report", "campaign", camp, "--json", "--db", server.db_arg,
                          "--now", iso(T0 + 5 * DAY)], capture_output=True, text=True, timeout=60,
                         env=server.env)
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)
    assert cli["groups"] == rep["groups"] and cli["uplift"] == rep["uplift"]
    out = subprocess.run([BIN, "report", "campaign", camp, "--db", server.db_arg],
                         capture_output=True, text=True, timeout=60, env=server.env)
    assert out.returncode == 0 and "uplift" in out.stdout and "control" in out.stdout, out.stderr


def test_a_query_the_store_cannot_run_is_refused_when_the_campaign_is_created(server):
    """A free-text attribute is sealed at rest: a query comparing its value was accepted and then
    failed at every try of the enqueue, the campaign running forever with nobody enqueued."""
    assert server.put("/v1/attributes/cohort", {"type": "string"}).status_code in (200, 201)
    r = server.post("/v1/campaigns", {"name": "x", "channel": "email", "topic": "promo",
                                      "query": 'cohort = "r1"', "template": "spring-a"})
    assert r.status_code == 422, r.text
    assert (r.json()["error"]["code"], r.json()["error"]["field"]) == ("field_sealed", "query")
    r = server.post("/v1/campaigns", {"name": "x", "channel": "email", "topic": "promo",
                                      "query": "consent(pd_processing)", "template": "spring-a"})
    assert r.status_code == 201, r.text  # a query the store can run is taken


def test_a_report_of_no_campaign_and_the_verbs_usage(server):
    r = server.get("/v1/reports/campaigns/cmp_nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "campaign_not_found"
    pos = server.new_key("pos")
    assert server.get("/v1/reports/campaigns/cmp_nope", key=pos).status_code == 403
    r = subprocess.run([BIN, "report", "campaign"], capture_output=True, text=True)
    assert r.returncode == 2 and "campaign ID" in r.stderr
    r = subprocess.run([BIN, "report", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "report campaign ID" in r.stdout
    r = subprocess.run([BIN, "report", "campaign", "cmp_nope", "--db", server.db_arg],
                       capture_output=True, text=True, env=server.env)
    assert r.returncode == 1 and "not found" in r.stderr
