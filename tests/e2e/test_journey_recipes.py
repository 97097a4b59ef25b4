"""The shipped recipes (docs/samples/journeys/*.json) end to end against the real binary, on the
settable clock, with a real SMTP server (peers.SmtpSink): each recipe driven by events and
receipts as a shop would send them, and what each customer receives, when (her local time), and
what she does not. Here the abandoned cart, the browse abandonment and the birthday;
test_journey_recipes_more.py has the welcome, points expiring, the life event and the win-back.

Each recipe is loaded as shipped; a change is only for determinism and says why.
"""
import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from journey_kit import (at, buy, event, iso, join, mails, make_server, recipe, run_due, run_of,
                         runs, start, subjects, templates, when, where)
from peers import SmtpSink, wait_for

T0 = datetime(2026, 6, 1, 7, 0, tzinfo=timezone.utc)  # 10:00 in Москва, a Monday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
CODE = re.compile(r"код ([0-9a-z]+)")


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink.start()
    yield s
    s.stop()


@pytest.fixture
def server(tmp_path, sink):
    s = make_server(tmp_path / "srv", sink)
    yield s
    s.stop()


def settle():
    """Time for the outbox's sender to pass once more, were anything queued (used only before
    asserting that nothing more arrived; what should arrive is waited for)."""
    time.sleep(1.5)


CART_TEMPLATES = {
    "cart-reminder": ("Вы забыли корзину", "В корзине {{context.key}}: {{context.event.sku}}"),
    "cart-discount": ("Скидка на корзину",
                      "Скидка {{context.coupon.percent}}% на корзину {{context.key}}, "
                      "код {{context.coupon.code}}"),
    "cart-discount-ends": ("Скидка заканчивается завтра",
                           "Скидка {{context.coupon.percent}}%, код {{context.coupon.code}} "
                           "действует до {{context.coupon.expires}}"),
    "cart-similar": ("Похожие товары", "Похожее на {{context.event.sku}}"),
}


def test_abandoned_cart_the_whole_path(server, sink):
    s = server
    templates(s, CART_TEMPLATES)
    # control_percent 10 -> 0: a keyed draw would hold a tenth of the runs out of the test.
    start(s, "abandoned-cart", recipe("abandoned-cart", control_percent=0))
    at(s, T0 - 100 * DAY)
    regular, _ = join(s, "cart-regular@example.org")
    buy(s, regular, T0 - 100 * DAY)  # a purchase within 365 days: the 5 % branch
    at(s, T0)
    newbie, _ = join(s, "cart-new@example.org")  # no purchase: the 10 % branch
    buyer, _ = join(s, "cart-buyer@example.org")  # buys during a wait
    checkout, _ = join(s, "cart-checkout@example.org")  # starts the checkout of that cart
    other, _ = join(s, "cart-other@example.org")  # starts the checkout of another cart
    people = {regular: "regular", newbie: "newbie", buyer: "buyer", checkout: "checkout",
              other: "other"}
    for cid, name in people.items():
        event(s, cid, "cart_add", sku=f"SKU-{name}", quantity=1, price=99000, cart=f"cart-{name}")
    run_due(s)
    for cid in people:
        r = run_of(s, cid, "abandoned-cart")
        assert (r["state"], r["step"]) == ("waiting", "wait-1h"), r
        assert when(r["due_at"]) == T0 + HOUR, r
    # A checkout of the same cart ends the run (same_key); of another cart it does not.
    event(s, checkout, "checkout_start", cart="cart-checkout", total=99000, items=1)
    event(s, other, "checkout_start", cart="cart-elsewhere", total=99000, items=1)
    at(s, T0 + 30 * MINUTE)
    assert where(s, checkout, "abandoned-cart") == ("exited", "wait-1h", "checked-out")
    assert where(s, other, "abandoned-cart") == ("waiting", "wait-1h", None)

    # The reminder after the hour, to everyone still in.
    at(s, T0 + HOUR)
    reminded = ["cart-regular", "cart-new", "cart-buyer", "cart-other"]
    wait_for(lambda: all(subjects(sink, f"{a}@example.org") == ["Вы забыли корзину"]
                         for a in reminded), 20, "the reminders")
    assert mails(sink, "cart-new@example.org")[0][1] == "В корзине cart-newbie: SKU-newbie"
    for cid in (regular, newbie, buyer, other):
        r = run_of(s, cid, "abandoned-cart")
        assert (r["state"], r["step"]) == ("waiting", "wait-24h"), r
        assert when(r["due_at"]) == T0 + 25 * HOUR, r

    # She buys during the 24 h wait: the run ends at once.
    at(s, T0 + 2 * HOUR)
    buy(s, buyer, T0 + 2 * HOUR)
    run_due(s)
    assert where(s, buyer, "abandoned-cart") == ("exited", "wait-24h", "bought")

    # A minute before the day is up, nothing; at it, the branch and the coupon's e-mail.
    at(s, T0 + 25 * HOUR - MINUTE)
    assert where(s, regular, "abandoned-cart") == ("waiting", "wait-24h", None)
    at(s, T0 + 25 * HOUR)
    wait_for(lambda: all(len(subjects(sink, f"{a}@example.org")) == 2
                         for a in ("cart-regular", "cart-new", "cart-other")), 20, "the offers")
    codes = {}
    offers = (("cart-regular", "cart-regular", 5), ("cart-new", "cart-newbie", 10),
              ("cart-other", "cart-other", 10))
    for addr, cart, percent in offers:
        subject, text = mails(sink, f"{addr}@example.org")[1]
        assert subject == "Скидка на корзину", subject
        assert f"Скидка {percent}% на корзину {cart}, код " in text, text
        codes[addr] = CODE.search(text).group(1)
        assert len(codes[addr]) == 10, codes  # a coupon's code is ten characters
    assert len(set(codes.values())) == 3  # a personal code each
    r = run_of(s, regular, "abandoned-cart")
    assert (r["state"], r["step"]) == ("waiting", "wait-last-day"), r
    assert when(r["due_at"]) == T0 + 73 * HOUR

    # Two days on, "ends tomorrow" with the same code; two days later the similar products.
    at(s, T0 + 73 * HOUR)
    wait_for(lambda: len(subjects(sink, "cart-new@example.org")) == 3, 20, "ends tomorrow")
    subject, text = mails(sink, "cart-new@example.org")[2]
    assert subject == "Скидка заканчивается завтра"
    assert CODE.search(text).group(1) == codes["cart-new"] and "Скидка 10%" in text, text
    expires = when(text.split("действует до ")[1])
    assert expires == T0 + 25 * HOUR + 3 * DAY  # the coupon's three days from the offer
    at(s, T0 + 121 * HOUR - MINUTE)
    assert where(s, newbie, "abandoned-cart") == ("waiting", "wait-2d", None)
    at(s, T0 + 121 * HOUR)
    wait_for(lambda: all(len(subjects(sink, f"{a}@example.org")) == 4
                         for a in ("cart-regular", "cart-new", "cart-other")), 20, "the similar")
    assert subjects(sink, "cart-regular@example.org")[3] == "Похожие товары"
    for cid in (regular, newbie, other):
        assert where(s, cid, "abandoned-cart")[0::2] == ("done", None)
    settle()
    assert subjects(sink, "cart-buyer@example.org") == ["Вы забыли корзину"]
    assert subjects(sink, "cart-checkout@example.org") == []

    # The report counts what happened.
    rep = s.get("/v1/reports/journeys/abandoned-cart").json()
    assert rep["runs"] == {"entered": 5, "control": 0, "active": 0, "waiting": 0, "done": 3,
                           "exited": 2, "by_exit": {"bought": 1, "checked-out": 1}}, rep["runs"]
    counts = {(x["step"], x["outcome"]): x["count"] for x in rep["steps"]}
    assert counts[("entry", "entered")] == 5
    assert counts[("reminder", "sent")] == 4
    assert counts[("regular", "then")] == 1 and counts[("regular", "otherwise")] == 2
    assert counts[("discount-5", "coupon")] == 1 and counts[("discount-10", "coupon")] == 2
    assert counts[("discount-offer", "sent")] == 3 and counts[("similar", "sent")] == 3
    assert counts[("ends-tomorrow", "sent")] == 3
    assert counts[("bought", "exited")] == 1 and counts[("checked-out", "exited")] == 1


def test_abandoned_cart_enters_a_cart_again_only_after_seven_days(server, sink):
    s = server
    templates(s, CART_TEMPLATES)
    # control_percent 10 -> 0: a keyed draw would hold a tenth of the runs out of the test.
    start(s, "abandoned-cart", recipe("abandoned-cart", control_percent=0))
    at(s, T0)
    cid, _ = join(s, "cart-again@example.org")
    event(s, cid, "cart_add", sku="A-1", quantity=1, price=99000, cart="cart-a")
    run_due(s)
    at(s, T0 + 30 * MINUTE)
    buy(s, cid, T0 + 30 * MINUTE)
    run_due(s)
    assert where(s, cid, "abandoned-cart") == ("exited", "wait-1h", "bought")
    # The same cart within the seven days of "reentry": no second run; another cart: a run.
    at(s, T0 + 6 * DAY)
    event(s, cid, "cart_add", sku="A-2", quantity=1, price=99000, cart="cart-a")
    event(s, cid, "cart_add", sku="B-1", quantity=1, price=99000, cart="cart-b")
    run_due(s)
    assert sorted(r["state"] for r in runs(s, cid)) == ["exited", "waiting"]
    at(s, T0 + 7 * DAY)  # seven days after the first entry: the same cart enters again
    event(s, cid, "cart_add", sku="A-3", quantity=1, price=99000, cart="cart-a")
    run_due(s)
    assert sorted(r["state"] for r in runs(s, cid)) == ["exited", "waiting", "waiting"]
    at(s, T0 + 7 * DAY + HOUR)  # cart-b's reminder went at the clock's move, then cart-a's
    wait_for(lambda: len(subjects(sink, "cart-again@example.org")) == 2, 20, "two reminders")
    assert [m[1] for m in mails(sink, "cart-again@example.org")] == [
        "В корзине cart-b: B-1", "В корзине cart-a: A-3"]


BROWSE_TEMPLATES = {"browse-reminder": ("Вы смотрели", "Вы смотрели {{context.event.sku}}")}


def test_browse_abandonment_reminds_at_eleven_local_unless_the_sku_is_put_in_the_cart(server,
                                                                                       sink):
    s = server
    templates(s, BROWSE_TEMPLATES)
    # control_percent 10 -> 0: a keyed draw would hold a tenth of the runs out of the test.
    start(s, "browse-abandonment", recipe("browse-abandonment", control_percent=0))
    t = datetime(2026, 6, 1, 5, 0, tzinfo=timezone.utc)  # 15:00 in Владивосток (UTC+10)
    at(s, t)
    viewer, _ = join(s, "browse-vvo@example.org", profile={"city": "Владивосток"})
    carter, _ = join(s, "browse-cart@example.org", profile={"city": "Владивосток"})
    event(s, viewer, "product_view", sku="V-1", category="Книги", price=50000)
    event(s, carter, "product_view", sku="V-2", price=50000)
    event(s, carter, "product_view", sku="V-3", price=50000)
    run_due(s)
    for cid in (viewer, carter):
        assert {r["state"] for r in runs(s, cid)} == {"waiting"}
    # During the wait she puts V-2 in the cart: that run ends; V-3's goes on.
    at(s, t + HOUR)
    event(s, carter, "cart_add", sku="V-2", quantity=1, price=50000, cart="k-1")
    run_due(s)
    mine = {r["step"] + ":" + r["state"]: r for r in runs(s, carter)}
    assert set(mine) == {"wait-24h:exited", "wait-24h:waiting"}, mine
    assert mine["wait-24h:exited"]["exit"] == "in-cart"
    # 24 h on it is 15:00 local: the run waits for the next 11:00 there, 01:00 UTC the day after.
    at(s, t + DAY)
    r = run_of(s, viewer, "browse-abandonment")
    assert (r["state"], r["step"]) == ("waiting", "morning"), r
    eleven = datetime(2026, 6, 3, 1, 0, tzinfo=timezone.utc)  # 11:00 in Владивосток
    assert when(r["due_at"]) == eleven, r
    at(s, eleven - MINUTE)
    settle()
    assert subjects(sink, "browse-vvo@example.org") == []
    at(s, eleven)
    wait_for(lambda: len(mails(sink, "browse-vvo@example.org")) == 1, 20, "the reminder")
    assert mails(sink, "browse-vvo@example.org")[0][1] == "Вы смотрели V-1"
    wait_for(lambda: len(mails(sink, "browse-cart@example.org")) == 1, 20, "V-3's reminder")
    settle()
    assert [m[1] for m in mails(sink, "browse-cart@example.org")] == ["Вы смотрели V-3"]
    assert where(s, viewer, "browse-abandonment")[0::2] == ("done", None)


BIRTHDAY_TEMPLATES = {
    "birthday-points": ("Подарок ко дню рождения",
                        "Вам начислено {{points.balance}} баллов"),
    "birthday-greeting": ("С днём рождения", "Поздравляем, {{first_name | default: \"друг\"}}!"),
}


def test_birthday_points_a_week_ahead_and_the_greeting_on_the_day_at_ten_local(server, sink):
    s = server
    templates(s, BIRTHDAY_TEMPLATES)
    start(s, "birthday", recipe("birthday"))  # as shipped
    day = datetime(2026, 7, 20, 7, 0, tzinfo=timezone.utc)  # the birthday, 10:00 in Москва
    at(s, day - 9 * DAY)
    cid, _ = join(s, "bd@example.org", topics=("news",),
                  profile={"city": "Москва", "birth_date": "1990-07-20", "first_name": "Ольга"})
    # A week ahead, after local midnight, the run is made for 10:00 local that day.
    at(s, day - 7 * DAY - 9 * HOUR)  # 01:00 in Москва, 13 July
    r = run_of(s, cid, "birthday")
    assert (r["state"], r["step"]) == ("active", "gift-points"), r
    assert when(r["due_at"]) == day - 7 * DAY, r
    assert s.get(f"/v1/customers/{cid}/points").json()["available"] == 0
    at(s, day - 7 * DAY)
    wait_for(lambda: subjects(sink, "bd@example.org") == ["Подарок ко дню рождения"], 20,
             "the points' e-mail")
    assert mails(sink, "bd@example.org")[0][1] == "Вам начислено 500 баллов"
    bal = s.get(f"/v1/customers/{cid}/points").json()
    assert bal["available"] == 500, bal
    assert bal["next_expiry"] == {"at": iso(day + 7 * DAY), "points": 500}  # valid 14 days
    r = run_of(s, cid, "birthday")
    assert (r["state"], r["step"]) == ("waiting", "wait-birthday") and when(r["due_at"]) == day
    # The day itself: nothing at 09:59, the greeting at 10:00 local.
    at(s, day - MINUTE)
    settle()
    assert subjects(sink, "bd@example.org") == ["Подарок ко дню рождения"]
    at(s, day)
    wait_for(lambda: len(mails(sink, "bd@example.org")) == 2, 20, "the greeting")
    assert mails(sink, "bd@example.org")[1][0] == "С днём рождения"
    assert mails(sink, "bd@example.org")[1][1] == "Поздравляем, Ольга!"
    assert where(s, cid, "birthday")[0::2] == ("done", None)
