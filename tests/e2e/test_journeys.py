"""Journeys end to end (docs/journeys.md) on the server's settable clock, with a real SMTP server
(aiosmtpd on loopback): the abandoned-cart recipe reminds once and says nothing after the
purchase; one cart is one run however its event repeats, two carts two runs; the birthday
greeting goes at 10:00 local in Москва and in Владивосток, seven hours apart; a kill -9 during
a wait, then a restart, takes each step once.
"""
import time
from datetime import datetime, timedelta, timezone

import pytest

import messaging
from conftest import Server, phone
from journey_kit import clock, iso, run_due, runs, subjects
from peers import SmtpSink, wait_for

PD = messaging.PD
T0 = datetime(2026, 6, 1, 7, 0, tzinfo=timezone.utc)  # 10:00 in Москва, a Monday
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink.start()
    yield s
    s.stop()


def prepare_server(s):
    messaging.prepare(s)
    for name, body in [
            ("cart-reminder", {"channel": "email", "subject": "Вы забыли корзину",
                               "text": "В корзине {{context.event.sku}}"}),
            ("birthday-greeting", {"channel": "email", "subject": "С днём рождения",
                                   "text": "Поздравляем, {{first_name | default: \"друг\"}}!"})]:
        r = s.put(f"/v1/templates/{name}", body)
        assert r.status_code in (200, 201), r.text


def make_server(workdir, sink):
    s = Server(workdir, ["--settable-clock"] + messaging.outbox_args(sink.port))
    prepare_server(s)
    return s


@pytest.fixture(scope="module")
def server(tmp_path_factory, sink):
    s = make_server(tmp_path_factory.mktemp("journeys"), sink)
    yield s
    s.stop()


def join(s, addr, city=None, birth=None):
    consents = [{"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
                 "evidence": {"form_id": "f-1"}},
                {"purpose": "ads", "channel": "email", "document": "ads-email",
                 "granted": True, "evidence": {"form_id": "f-1"}}]
    profile = {"phone": phone(), "email": addr}
    if city:
        profile["city"] = city
    if birth:
        profile["birth_date"] = birth
    r = s.post("/v1/customers", {"source": {"channel": "web"}, "profile": profile,
                                 "consents": consents})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    r = s.post(f"/v1/customers/{cid}/subscriptions",
               {"topic": "promo", "channel": "email", "subscribed": True})
    assert r.status_code == 200, r.text
    return cid


def start(s, key, doc):
    r = s.put(f"/v1/journeys/{key}", doc)
    assert r.status_code in (200, 201), r.text
    if s.get(f"/v1/journeys/{key}").json()["state"] != "active":
        r = s.post(f"/v1/journeys/{key}/start")
        assert r.status_code == 200, r.text


def cart_add(s, cid, cart, sku="B-1", message_id=None):
    body = {"type": "cart_add", "channel": "web", "customer": {"id": cid},
            "properties": {"sku": sku, "quantity": 1, "price": 99000, "cart": cart}}
    if message_id:
        body["message_id"] = message_id
    r = s.post("/v1/events", body)
    assert r.status_code in (200, 201), r.text


_receipts = [0]


def buy(s, cid, at):
    _receipts[0] += 1
    line = [{"sku": "B-1", "quantity": 1, "price": 99000, "amount": 99000}]
    r = s.post("/v1/purchases", {"store": "S", "receipt": f"J-{_receipts[0]}", "at": iso(at),
                                 "customer": {"id": cid}, "lines": line})
    assert r.status_code == 201, r.text


CART = {
    "name": "Брошенная корзина",
    "entry": {"event": {"type": "cart_add"}, "key": "cart"},
    "reentry": "never",
    "exits": [{"name": "bought", "purchase": True}],
    "steps": [{"id": "wait-1h", "wait": {"hours": 1}},
              {"id": "remind", "send": {"template": "cart-reminder", "topic": "promo"}},
              {"id": "wait-24h", "wait": {"hours": 24}},
              {"id": "again", "send": {"template": "cart-reminder", "topic": "promo"}}],
}


def test_the_abandoned_cart_reminds_then_says_nothing_after_the_purchase(server, sink):
    clock(server, T0)  # first: a journey enters on events after its start
    start(server, "cart", CART)
    addr = "cart-buyer@example.org"
    cid = join(server, addr)
    cart_add(server, cid, "c-1")
    run_due(server)
    (run,) = runs(server, cid)
    assert (run["journey"], run["state"], run["entry_key"]) == ("cart", "waiting", "c-1")
    clock(server, T0 + timedelta(minutes=30))
    run_due(server)
    assert subjects(sink, addr) == []  # not before the hour
    clock(server, T0 + HOUR + timedelta(minutes=1))
    run_due(server)
    wait_for(lambda: subjects(sink, addr) == ["Вы забыли корзину"], 20, "the reminder")
    # She buys during the 24 h wait: the run ends at once, and nothing more arrives.
    clock(server, T0 + 2 * HOUR)
    buy(server, cid, T0 + 2 * HOUR)
    run_due(server)
    (run,) = runs(server, cid)
    assert run["state"] == "exited" and run["exit"] == "bought", run
    clock(server, T0 + 30 * HOUR)
    run_due(server)
    time.sleep(1.5)  # the sender's pass, were anything queued
    assert subjects(sink, addr) == ["Вы забыли корзину"]


def test_one_cart_is_one_run_and_two_carts_are_two(server, sink):
    start(server, "cart", CART)
    clock(server, T0 + 48 * HOUR)  # 10:00 in Москва two days on
    cid = join(server, "two-carts@example.org")
    cart_add(server, cid, "c-7", message_id="m-1")
    cart_add(server, cid, "c-7", message_id="m-1")  # the same event retried: a duplicate
    cart_add(server, cid, "c-7", sku="B-2")  # another product into the same cart
    run_due(server)
    cart_add(server, cid, "c-7", sku="B-3")  # and again once the run has begun
    cart_add(server, cid, "c-8")  # a second cart
    run_due(server)
    got = runs(server, cid)
    assert sorted(r["state"] for r in got) == ["waiting", "waiting"], got
    clock(server, T0 + 49 * HOUR + timedelta(minutes=1))
    run_due(server)
    wait_for(lambda: len(subjects(sink, "two-carts@example.org")) == 2, 20, "two reminders")


BIRTHDAY = {
    "name": "День рождения",
    "entry": {"date": {"field": "birthday", "days_before": 7, "at": "10:00"}},
    "steps": [{"id": "bonus", "points": {"points": 500, "days": 14, "reason": "birthday"}},
              {"id": "until-day", "wait": {"until_date": "birthday", "at": "10:00"}},
              {"id": "greet", "send": {"template": "birthday-greeting", "topic": "promo"}}],
}


def test_the_birthday_greeting_at_ten_local_in_moscow_and_vladivostok(tmp_path, sink):
    s = make_server(tmp_path / "bd", sink)
    try:
        day = datetime(2026, 7, 20, tzinfo=timezone.utc)  # the birthday
        clock(s, day - timedelta(days=8))
        msk = join(s, "bd-msk@example.org", city="Москва", birth="1990-07-20")
        vvo = join(s, "bd-vvo@example.org", city="Владивосток", birth="1985-07-20")
        start(s, "birthday", BIRTHDAY)
        # Seven days ahead, from local midnight, the run waits for 10:00 local: the points.
        # 00:01 UTC is 10:01 in Vladivostok (UTC+10) and 03:01 in Москва (UTC+3).
        clock(s, day - timedelta(days=7) + timedelta(minutes=1))
        run_due(s)
        assert [r["state"] for r in runs(s, vvo)] == ["waiting"]  # the points given: the wait
        assert [r["state"] for r in runs(s, msk)] == ["active"]  # due at 10:00 in Москва
        balance = s.get(f"/v1/customers/{vvo}/points").json()
        assert balance["available"] == 500, balance
        # The day itself: 00:00 UTC is 10:00 in Vladivostok, 03:00 in Москва.
        clock(s, day + timedelta(minutes=1))
        run_due(s)
        wait_for(lambda: subjects(sink, "bd-vvo@example.org") == ["С днём рождения"], 20,
                 "Vladivostok's greeting")
        assert subjects(sink, "bd-msk@example.org") == []
        clock(s, day + timedelta(hours=6, minutes=59))  # 09:59 in Москва
        run_due(s)
        time.sleep(1.5)
        assert subjects(sink, "bd-msk@example.org") == []
        clock(s, day + timedelta(hours=7, minutes=1))  # 10:01 in Москва
        run_due(s)
        wait_for(lambda: subjects(sink, "bd-msk@example.org") == ["С днём рождения"], 20,
                 "Moscow's greeting")
        for cid in (msk, vvo):
            (run,) = runs(s, cid)
            assert run["state"] == "done", run
    finally:
        s.stop()


def test_a_kill_9_during_a_wait_takes_each_step_once(tmp_path, sink):
    s = make_server(tmp_path / "k9", sink)
    clock(s, T0)
    start(s, "cart", CART)
    addrs = [f"k9-cart-{i}@example.org" for i in range(5)]
    cids = [join(s, a) for a in addrs]
    for c in cids:
        cart_add(s, c, f"k9-{c}")
    run_due(s)
    assert all(runs(s, c)[0]["state"] == "waiting" for c in cids)
    s.proc.kill()  # during the hour's wait
    s.proc.wait()
    s.http.close()
    s.out.close()
    s.err.close()
    s.start()
    clock(s, T0 + HOUR + timedelta(minutes=1))
    run_due(s)
    run_due(s)
    wait_for(lambda: all(len(subjects(sink, a)) == 1 for a in addrs), 20, "one reminder each")
    s.proc.kill()  # and again, after the reminders, during the 24 h wait
    s.proc.wait()
    s.http.close()
    s.out.close()
    s.err.close()
    s.start()
    clock(s, T0 + 26 * HOUR)
    run_due(s)
    wait_for(lambda: all(len(subjects(sink, a)) == 2 for a in addrs), 20, "the second, once")
    time.sleep(1.5)
    assert all(len(subjects(sink, a)) == 2 for a in addrs)
    for c in cids:
        (run,) = runs(s, c)
        assert run["state"] == "done", run
    s.stop()


def test_a_simulation_shows_the_timeline_and_sends_nothing(server, sink):
    start(server, "cart", CART)
    clock(server, T0 + 72 * HOUR)  # 10:00 in Москва
    addr = "simulated@example.org"
    cid = join(server, addr)
    before = len(sink.messages)
    r = server.post("/v1/journeys/cart/simulate",
                    {"customer_id": cid, "days": 3, "key": "c-sim", "context": {"sku": "B-9"}})
    assert r.status_code == 200, r.text
    sim = r.json()
    steps = [(s["step"], s["outcome"]) for s in sim["steps"]]
    assert steps == [("wait-1h", "waited"), ("remind", "sent"), ("wait-24h", "waited"),
                     ("again", "sent"), ("end", "done")], steps
    sends = [s for s in sim["steps"] if s["outcome"] == "sent"]
    assert all(s["channel"] == "email" and s["decision"] == "send" for s in sends), sends
    assert sends[0]["at"] == iso(T0 + 73 * HOUR)
    assert sim["state"] == "done" and sim["customer_id"] == cid
    # Nothing kept: no run, no message, nothing at the SMTP server.
    assert runs(server, cid) == []
    assert server.get(f"/v1/customers/{cid}/messages").json()["items"] == []
    run_due(server)
    time.sleep(1.5)
    assert len(sink.messages) == before
    # A customer who may not get it: the policy's refusal, with its reason.
    r = server.post("/v1/customers", {"source": {"channel": "pos"}, "profile": {"phone": phone()}})
    nobody = r.json()["customer"]["id"]
    sim = server.post("/v1/journeys/cart/simulate", {"customer_id": nobody, "days": 2}).json()
    refused = [s for s in sim["steps"] if s["outcome"] in ("sent", "no_address")]
    assert refused and all(s.get("decision") == "refuse" for s in refused), sim
    for body, code in [({"customer_id": cid}, 422), ({"customer_id": cid, "days": 0}, 422),
                       ({"customer_id": "c_nobody", "days": 1}, 422),
                       ({"customer_id": cid, "days": 1, "version": 9}, 404)]:
        assert server.post("/v1/journeys/cart/simulate", body).status_code == code, body
    assert server.post("/v1/journeys/none/simulate",
                       {"customer_id": cid, "days": 1}).status_code == 404
