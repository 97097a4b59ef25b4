"""The shipped recipes end to end, continued (test_journey_recipes.py has the abandoned cart, the
browse abandonment and the birthday): the welcome after an enrolment at the till, points about
to expire, the life event found by a daily condition, and the win-back of a customer who stopped
buying - on the settable clock, with the SMTP sink, the SMS gateway (peers.Receiver: the
one-time code, the last call by SMS) and the webhook receiver (peers.Receiver, the signature
checked here).

Each recipe is loaded as shipped; a change is only for determinism and says why.
"""
import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from journey_kit import (HOOK_SECRET, at, buy, iso, join, mails, make_server, messages,
                         recipe, run_due, run_of, runs, start, subjects, templates, when, where)
from peers import Receiver, SmtpSink, signature_ok, wait_for

T0 = datetime(2026, 6, 1, 7, 0, tzinfo=timezone.utc)  # 10:00 in Москва, a Monday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def gateway():
    """The SMS gateway. It answers every post; what was posted is read back."""
    g = Receiver.start(path="/sms")
    yield g
    g.stop()


@pytest.fixture(scope="module")
def hook():
    """The CRM's webhook receiver. No secret here: the signature's time is the server's settable
    clock, not this machine's, so each test checks it against that clock itself."""
    h = Receiver.start(path="/hook")
    yield h
    h.stop()


def settle():
    """Time for the outbox's sender to pass once more, were anything queued (used only before
    asserting that nothing more arrived)."""
    time.sleep(1.5)


def sms_to(gateway, number):
    return [g["json"]["text"] for g in list(gateway.got) if g["json"]["to"] == number]


WELCOME_TEMPLATES = {
    "welcome-questionnaire": ("Добро пожаловать", "Заполните анкету и получите 200 баллов"),
    "welcome-reminder": ("Анкета ждёт", "Анкета ещё не заполнена"),
    "welcome-bonus": ("Спасибо за анкету", "Начислено, всего {{points.balance}} баллов"),
}


def enrol(s, addr):
    """A customer who may get the news e-mails (pd and e-mail ads consents, topic news), then
    enrolled at the till, which issues her card: the sign_up event the welcome enters on."""
    cid, p = join(s, addr, topics=("news",))
    r = s.post("/v1/pos/enroll", {"phone": p, "store": "S-1", "send_code": False})
    assert r.status_code == 200 and r.json()["card_issued"], r.text
    return cid, p


def test_welcome_after_an_enrolment_at_the_till(tmp_path, sink, gateway):
    s = make_server(tmp_path / "welcome", sink, gateway=gateway)
    try:
        templates(s, WELCOME_TEMPLATES)
        start(s, "welcome", recipe("welcome"))  # as shipped
        at(s, T0)
        anna, anna_phone = enrol(s, "welcome-anna@example.org")
        vera, _ = enrol(s, "welcome-vera@example.org")
        run_due(s)
        for addr in ("welcome-anna", "welcome-vera"):
            wait_for(lambda: subjects(sink, f"{addr}@example.org") == ["Добро пожаловать"], 20,
                     "the questionnaire")
        for cid in (anna, vera):
            assert where(s, cid, "welcome")[:2] == ("waiting", "wait-profile")
        # Anna completes her profile the next day: the phone proved by the one-time code from
        # the gateway, her first name and birth date (the pd consent she gave when she joined).
        at(s, T0 + DAY)
        n = len(gateway.got)
        r = s.post("/v1/pos/otp", {"phone": anna_phone})
        assert r.status_code == 202, r.text
        gateway.wait(n + 1)
        code = re.search(r"\b(\d{6})\b", gateway.got[n]["json"]["text"]).group(1)
        r = s.post("/v1/pos/verify", {"phone": anna_phone, "code": code})
        assert r.status_code == 200, r.text
        at(s, T0 + DAY + HOUR)  # a verified phone alone is not a complete profile
        assert where(s, anna, "welcome")[:2] == ("waiting", "wait-profile")
        r = s.patch(f"/v1/customers/{anna}", {"source": {"channel": "web"}, "profile": {
            "first_name": "Анна", "birth_date": "1991-04-05"}})
        assert r.status_code == 200, r.text
        at(s, T0 + DAY + 2 * HOUR)  # the condition is looked at hourly
        wait_for(lambda: len(subjects(sink, "welcome-anna@example.org")) == 2, 20, "the thanks")
        assert mails(sink, "welcome-anna@example.org")[1] == (
            "Спасибо за анкету", "Начислено, всего 200 баллов")
        assert where(s, anna, "welcome")[0::2] == ("done", None)
        hist = s.get(f"/v1/customers/{anna}/points/history").json()["items"]
        assert [(h["kind"], h["points"]) for h in hist] == [("bonus", 200)], hist
        assert "анкета заполнена" in hist[0]["reason"]

        # Vera never completes: the reminder after three days, not a minute before...
        at(s, T0 + 3 * DAY - MINUTE)
        assert where(s, vera, "welcome")[:2] == ("waiting", "wait-profile")
        at(s, T0 + 3 * DAY)
        wait_for(lambda: len(subjects(sink, "welcome-vera@example.org")) == 2, 20,
                 "the reminder")
        assert subjects(sink, "welcome-vera@example.org")[1] == "Анкета ждёт"
        assert where(s, vera, "welcome")[:2] == ("waiting", "wait-profile-again")
        # ...and the exit seven days after it.
        at(s, T0 + 10 * DAY - MINUTE)
        assert where(s, vera, "welcome")[:2] == ("waiting", "wait-profile-again")
        at(s, T0 + 10 * DAY)
        assert where(s, vera, "welcome") == ("exited", "not-completed", "not-completed")
        settle()
        assert subjects(sink, "welcome-vera@example.org") == ["Добро пожаловать", "Анкета ждёт"]
        assert subjects(sink, "welcome-anna@example.org") == ["Добро пожаловать",
                                                              "Спасибо за анкету"]
        assert s.get(f"/v1/customers/{vera}/points").json()["available"] == 0
    finally:
        s.stop()


POINTS_TEMPLATES = {
    "points-expiring": ("Баллы сгорают", "{{context.points}} баллов сгорят {{context.date}}"),
    "points-expiring-soon": ("Баллы сгорят через 3 дня", "Осталось {{points.balance}}"),
}


def test_points_expiring_fourteen_then_three_days_before_unless_spent(tmp_path, sink):
    s = make_server(tmp_path / "expiring", sink)
    try:
        templates(s, POINTS_TEMPLATES)
        bought = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)  # 12:00 in Москва
        at(s, bought)  # first: a receipt before the programme's start earns nothing
        # Points spendable at once and kept one month, so they expire within the test.
        r = s.put("/v1/loyalty/program", {"hold_days": 0, "expiry_months": 1})
        assert r.status_code == 200, r.text
        start(s, "points-expiring", recipe("points-expiring"))  # as shipped
        complete = {"first_name": "Ирина", "birth_date": "1985-02-03", "city": "Москва"}
        keeper, kp = join(s, "exp-keep@example.org", profile=complete, verified=["phone"])
        spender, sp = join(s, "exp-spend@example.org", profile=complete, verified=["phone"])
        for cid, p in ((keeper, kp), (spender, sp)):
            r = s.post("/v1/pos/enroll", {"phone": p, "send_code": False})  # a member: a card
            assert r.status_code == 200 and r.json()["card_issued"], r.text
            buy(s, cid, bought)  # 1,000 roubles: 50 points
        bal = s.get(f"/v1/customers/{keeper}/points").json()
        assert bal["available"] == 50, bal
        expiry = when(bal["next_expiry"]["at"])
        assert expiry == datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc), bal  # a month on
        first = datetime(2026, 6, 17, 8, 0, tzinfo=timezone.utc)  # 11:00 Москва, 14 days before
        at(s, first - 9 * HOUR)  # 02:00 local that day: the run is made for 11:00
        r = run_of(s, keeper, "points-expiring")
        assert r["state"] == "active" and when(r["due_at"]) == first, r
        at(s, first)
        for addr in ("exp-keep", "exp-spend"):
            wait_for(lambda: len(mails(sink, f"{addr}@example.org")) == 1, 20, "the first")
            assert mails(sink, f"{addr}@example.org")[0] == (
                "Баллы сгорают", "50 баллов сгорят 2026-07-01")
        # One spends her points (a receipt that earns nothing: the programme's earn rate is 0
        # by then, so her balance is what she spent from, not new points).
        r = s.put("/v1/loyalty/program", {"hold_days": 0, "expiry_months": 1,
                                          "earn": {"percent_bp": 0}})
        assert r.status_code == 200, r.text
        at(s, first + DAY)
        buy(s, spender, first + DAY, spend_points=50)
        assert s.get(f"/v1/customers/{spender}/points").json()["available"] == 0
        # Three days before the expiry (eleven days on), at 11:00 local: the keeper only.
        second = first + 11 * DAY
        assert run_of(s, keeper, "points-expiring")["due_at"] == iso(second)
        at(s, second)
        wait_for(lambda: len(mails(sink, "exp-keep@example.org")) == 2, 20, "the second")
        assert mails(sink, "exp-keep@example.org")[1] == ("Баллы сгорят через 3 дня",
                                                          "Осталось 50")
        assert where(s, keeper, "points-expiring")[0::2] == ("done", None)
        assert where(s, spender, "points-expiring") == ("exited", "spent", "spent")
        settle()
        assert subjects(sink, "exp-spend@example.org") == ["Баллы сгорают"]
    finally:
        s.stop()


def test_life_event_a_daily_condition_at_noon_local(tmp_path, sink, hook):
    s = make_server(tmp_path / "life", sink, hook=hook)
    try:
        templates(s, {"baby-offer": ("Малышу", "Скидка {{context.coupon.kopecks | money}} по коду "
                                               "{{context.coupon.code}}")})
        r = s.put("/v1/attributes/youngest_child_age",
                  {"type": "number", "title": "Возраст младшего ребёнка"})
        assert r.status_code == 201, r.text
        start(s, "life-event", recipe("life-event"))  # as shipped
        day = datetime(2026, 6, 2, tzinfo=timezone.utc)
        at(s, day - 2 * DAY)
        older, _ = join(s, "life-12@example.org", attributes={"youngest_child_age": 12})
        younger, _ = join(s, "life-3@example.org", attributes={"youngest_child_age": 3})
        diapers = [{"sku": "D-1", "category": "Подгузники", "quantity": 1, "price": 150000,
                    "amount": 150000}]
        for cid in (older, younger):
            buy(s, cid, day - 2 * DAY, lines=diapers)
        noon = day + 9 * HOUR  # 12:00 in Москва
        at(s, day + 6 * HOUR)  # 09:00 local: found, the run due at noon
        r = run_of(s, older, "life-event")
        assert r["state"] == "active" and when(r["due_at"]) == noon, r
        assert runs(s, younger) == []
        assert s.get(f"/v1/customers/{older}/export").json()["traits"].get("life_event") is None
        at(s, noon)
        wait_for(lambda: len(mails(sink, "life-12@example.org")) == 1, 20, "the offer")
        subject, text = mails(sink, "life-12@example.org")[0]
        assert subject == "Малышу" and re.fullmatch(r"Скидка 500\xa0₽ по коду [0-9a-z]{10}",
                                                    text), text
        assert s.get(f"/v1/customers/{older}/export").json()["traits"]["life_event"] == "new_baby"
        hook.wait(1)
        (got,) = hook.got
        assert signature_ok(HOOK_SECRET, got["headers"]["Kartoteka-Signature"], got["body"],
                            now=noon.timestamp())
        run = run_of(s, older, "life-event")
        assert got["json"]["customer_id"] == older and got["json"]["channel"] == "webhook"
        assert got["json"]["data"] == {"event": "life_event_new_baby", "journey": "life-event",
                                       "run": int(run["id"]), "key": ""}, got["json"]
        assert run["state"] == "done" and run["exit"] is None
        # The next day the condition still holds: re-entry only after 365 days.
        at(s, noon + DAY)
        assert len(runs(s, older)) == 1
        settle()
        assert subjects(sink, "life-3@example.org") == [] and len(hook.got) == 1
        assert "life_event" not in s.get(f"/v1/customers/{younger}/export").json()["traits"]
    finally:
        s.stop()


WINBACK_TEMPLATES = {
    "winback-miss-you": ("Мы скучаем", "Давно не виделись"),
    "winback-offer": ("Скидка для вас", "Скидка {{context.coupon.percent}}%, "
                                        "код {{context.coupon.code}}"),
    "winback-last-call": ("Последний шанс", "Код {{context.coupon.code}} ещё действует"),
    "winback-last-call-sms": ("", "Скидка ждёт: {{context.coupon.code}}"),
}


def held_until_nine(s, cid, channel, local_midnight):
    """The customer's newest message of `channel`: queued at 00:30 local, held by the quiet
    hours (21:00-09:00) until 09:00 local once the sender has looked at it."""
    newest = lambda: [m for m in messages(s, cid) if m["channel"] == channel][0]  # noqa: E731
    wait_for(lambda: newest()["reason"] == "quiet_hours", 20, "the quiet hours' hold")
    m = newest()
    assert m["state"] == "queued", m
    assert when(m["due_at"]) == local_midnight + 9 * HOUR, m
    return m


def test_win_back_a_lapsed_customer_at_risk(tmp_path, sink, gateway):
    # E-mail gets the quiet hours SMS has by default: the lapse entry fires at local midnight.
    s = make_server(tmp_path / "winback", sink, gateway=gateway,
                    extra=["--quiet-hours-email", "21:00-09:00"])
    try:
        templates(s, WINBACK_TEMPLATES)
        # control_percent 10 -> 0: a keyed draw would hold a tenth of the runs out of the test.
        start(s, "win-back", recipe("win-back", control_percent=0))
        d0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # 12:00 in Москва
        # Receipts (day: who) so that RFM is real: W bought every ten days and stopped (at risk:
        # recency 2, frequency 4 of five customers); X once, the day of W's last (hibernating);
        # D keeps coming every ten days; F1 and F2 bought once, lately. Every gap is ten days, so
        # W and X lapse the same day, 30 + floor(1.5 x 10) + 1 = 46.
        w, w_phone = join(s, "wb-w@example.org", sms=True)
        x, _ = join(s, "wb-x@example.org", sms=True)
        d, _ = join(s, "wb-d@example.org")
        f1, _ = join(s, "wb-f1@example.org")
        f2, _ = join(s, "wb-f2@example.org")
        plan = sorted([(0, w), (10, w), (20, w), (30, w), (30, x), (5, d), (15, d), (25, d),
                       (35, d), (45, d), (40, f1), (40, f2)], key=lambda p: p[0])
        for day, cid in plan:
            at(s, d0 + day * DAY)
            buy(s, cid, d0 + day * DAY)
        midnight = d0 + 46 * DAY - 12 * HOUR  # 00:00 in Москва on day 46
        at(s, midnight - 2 * HOUR)  # 22:00 local, the day before W lapses
        r = s.post("/v1/traits/rfm")
        assert r.status_code == 200, r.text
        rfm = {i["customer_id"]: i["group"]
               for i in s.get("/v1/reports/rfm?items=true").json()["items"]}
        assert (rfm[w], rfm[x]) == ("at risk", "hibernating"), rfm
        assert runs(s, w) == [] and runs(s, x) == []  # not lapsed yet
        lapse = midnight + 30 * MINUTE
        at(s, lapse)
        assert runs(s, x) == []  # lapsed the same day, but not a group the recipe asks for
        r = run_of(s, w, "win-back")
        assert (r["state"], r["step"]) == ("waiting", "wait-7d"), r
        assert when(r["entered_at"]) == midnight and when(r["due_at"]) == lapse + 7 * DAY, r
        held_until_nine(s, w, "email", midnight)
        at(s, midnight + 9 * HOUR - MINUTE)
        assert subjects(sink, "wb-w@example.org") == []
        at(s, midnight + 9 * HOUR)
        wait_for(lambda: subjects(sink, "wb-w@example.org") == ["Мы скучаем"], 20, "miss you")
        # A week on, the coupon's offer (held till nine as well).
        at(s, lapse + 7 * DAY)
        held_until_nine(s, w, "email", midnight + 7 * DAY)
        at(s, midnight + 7 * DAY + 9 * HOUR)
        wait_for(lambda: len(subjects(sink, "wb-w@example.org")) == 2, 20, "the offer")
        text = mails(sink, "wb-w@example.org")[1][1]
        code = re.fullmatch(r"Скидка 15%, код ([0-9a-z]{10})", text).group(1)
        # Ten days on, the last call by e-mail or by SMS (a keyed draw of the run): one of them.
        at(s, lapse + 17 * DAY)
        r = run_of(s, w, "win-back")
        assert (r["state"], r["step"]) == ("waiting", "wait-14d"), r
        by_sms = [m for m in messages(s, w) if m["channel"] == "sms"]
        held_until_nine(s, w, "sms" if by_sms else "email", midnight + 17 * DAY)
        at(s, midnight + 17 * DAY + 9 * HOUR)
        if by_sms:
            wait_for(lambda: len(sms_to(gateway, w_phone)) == 1, 20, "the last call by SMS")
            assert f"Скидка ждёт: {code}" in sms_to(gateway, w_phone)[0]
        else:
            wait_for(lambda: len(subjects(sink, "wb-w@example.org")) == 3, 20, "the last call")
            assert mails(sink, "wb-w@example.org")[2] == ("Последний шанс",
                                                          f"Код {code} ещё действует")
        taken = {st["step"] for st in s.get("/v1/reports/journeys/win-back").json()["steps"]}
        assert ("last-call-sms" in taken) == bool(by_sms) != ("last-call-email" in taken)
        at(s, lapse + 31 * DAY)
        assert where(s, w, "win-back") == ("exited", "gave-up", "not-back")
        settle()
        assert len(subjects(sink, "wb-w@example.org")) == (2 if by_sms else 3)
        assert runs(s, x) == [] and subjects(sink, "wb-x@example.org") == []
    finally:
        s.stop()


def test_win_back_comes_back(tmp_path, sink):
    """The sample with its query removed (RFM of one customer says little: docs/segments.md),
    to show the lapse entry and the came-back exit alone: a purchase after the first e-mail
    ends the run, and nothing more is sent."""
    s = make_server(tmp_path / "back", sink)
    try:
        templates(s, WINBACK_TEMPLATES)
        doc = recipe("win-back", control_percent=0)  # the draw: as above
        doc["entry"]["lapse"].pop("query")  # every lapsed customer, for this one alone
        start(s, "win-back", doc)
        d0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
        cid, _ = join(s, "wb-back@example.org")
        for day in (0, 7, 14):  # a week's habit: lapsed after 14 + 10 + 1 = day 25
            at(s, d0 + day * DAY)
            buy(s, cid, d0 + day * DAY)
        at(s, d0 + 24 * DAY)
        assert runs(s, cid) == []
        at(s, d0 + 25 * DAY)
        wait_for(lambda: subjects(sink, "wb-back@example.org") == ["Мы скучаем"], 20, "miss you")
        at(s, d0 + 26 * DAY)
        buy(s, cid, d0 + 26 * DAY)
        run_due(s)
        assert where(s, cid, "win-back") == ("exited", "wait-7d", "came-back")
        at(s, d0 + 33 * DAY)
        settle()
        assert subjects(sink, "wb-back@example.org") == ["Мы скучаем"]
    finally:
        s.stop()
