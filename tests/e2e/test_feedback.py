"""A message's feedback (docs/messages.md, "Feedback") from real sends: marketing e-mails go out
through the server's sender to an SMTP server this test starts (Debian's python3-aiosmtpd); the
test reads each e-mail's HTML part as a mail reader would, fetches its pixel and follows its
links, and plays the provider's callbacks (POST /v1/deliveries/status) with a `deliveries` key.
What it checks comes back through the API: the customer's events, the message's state and
reason, her consents and their evidence, the quality report and a segment.
"""
import html.parser
import time

import pytest

from conftest import Server
from messaging import join, outbox_args, prepare, send, wait_state
from peers import SmtpSink

LINK = "https://shop.example/sale?a=1&b=2"
PAGE = ("<html><body><p>Скидки недели</p>"
        "<a href=\"https://shop.example/sale?a=1&amp;b=2\">Смотреть</a> "
        "<a href='https://shop.example/catalog'>Каталог</a> "
        "<a href=\"mailto:help@shop.example\">Написать</a></body></html>")


@pytest.fixture(scope="module")
def smtp():
    sink = SmtpSink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory, smtp):
    s = Server(tmp_path_factory.mktemp("feedback"), outbox_args(smtp.port))
    prepare(s)
    s.deliveries = s.new_key("deliveries")
    yield s
    s.stop()


class Links(html.parser.HTMLParser):
    """The pixel and the links of an HTML part, as a mail reader sees them."""

    def __init__(self, text):
        super().__init__()
        self.imgs, self.links = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a["src"])
        elif tag == "a":
            self.links.append(a["href"])


def sent(server, smtp, cid, transactional=False, page=PAGE):
    """A message sent to `cid` and the HTML part the SMTP server received; its id."""
    r = send(server, cid, transactional=transactional, html=page,
             **({} if transactional else {"topic": "promo"}))
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    wait_state(server, cid, mid, {"sent"})
    ids = smtp.ids()
    m = smtp.parsed(ids.index(mid))
    return mid, m.get_body(("html",)).get_content(), m.get_body(("plain",)).get_content()


def fetch(server, url):
    """GET a URL of the e-mail without a key and without following a redirect."""
    assert url.startswith(server.url + "/"), url
    return server.request("GET", url[len(server.url):], key=None, allow_redirects=False)


def events(server, cid, kind):
    r = server.get(f"/v1/customers/{cid}/events?limit=1000")
    assert r.status_code == 200, r.text
    return [e for e in r.json()["items"] if e["type"] == kind]


def callback(server, *items, key=None):
    return server.post("/v1/deliveries/status", {"deliveries": list(items)},
                       key=key or server.deliveries)


def test_the_pixel_and_a_link_become_one_event_each(server, smtp):
    cid = join(server, "olga.reader@example.org", ads=True, subscribe=True)
    mid, page, text = sent(server, smtp, cid)
    seen = Links(page)
    assert text == "Заказ принят."  # the text part is sent as it was rendered
    assert len(seen.imgs) == 1 and seen.imgs[0].startswith(server.url + "/o/")
    assert [h.split("/c/")[0] for h in seen.links[:2]] == [server.url] * 2
    assert seen.links[2] == "mailto:help@shop.example"  # not a web link: left alone
    assert page.index("/o/") < page.index("</body>")

    for _ in range(3):  # a mail program that shows the message three times
        r = fetch(server, seen.imgs[0])
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/gif"
        assert r.content[:6] == b"GIF89a" and len(r.content) == 43
        assert r.headers["Cache-Control"] == "no-store"
    opens = events(server, cid, "email_open")
    assert len(opens) == 1, opens
    assert opens[0]["channel"] == "message" and opens[0]["properties"] == {"message_id": mid}

    for _ in range(2):
        r = fetch(server, seen.links[0])
        assert r.status_code == 302 and r.headers["Location"] == LINK  # &amp; was the HTML's
    r = fetch(server, seen.links[1])
    assert r.status_code == 302 and r.headers["Location"] == "https://shop.example/catalog"
    clicks = events(server, cid, "email_click")
    assert sorted(c["properties"]["url"] for c in clicks) == [
        "https://shop.example/catalog", LINK]
    assert {c["properties"]["message_id"] for c in clicks} == {mid}

    # a transactional e-mail is sent as rendered: no pixel, no link through us
    _, page, _ = sent(server, smtp, cid, transactional=True)
    assert page == PAGE


def test_a_bad_token_is_404_and_records_nothing(server, smtp):
    cid = join(server, "petr.forger@example.org", ads=True, subscribe=True)
    mid, page, _ = sent(server, smtp, cid)
    seen = Links(page)
    pixel, link = seen.imgs[0], seen.links[0]
    token = link.rsplit("/", 1)[1]
    forged = [
        pixel[:-3] + ("AAA" if not pixel.endswith("AAA") else "BBB"),  # altered
        pixel[:-5],  # cut
        link.replace("/c/", "/o/"),  # a link's token on the pixel's route
        pixel.replace("/o/", "/c/"),  # and the other way
        server.url + "/c/" + token[:10] + ("x" if token[10] != "x" else "y") + token[11:],
        server.url + "/c/aHR0cHM6Ly9ldmlsLmV4YW1wbGUv",  # base64 of a URL, unsigned
    ]
    for url in forged:
        r = fetch(server, url)
        assert r.status_code == 404, url
        assert "Location" not in r.headers
        assert r.json()["error"]["code"] == "not_found"
    assert events(server, cid, "email_open") == [] and events(server, cid, "email_click") == []
    r = fetch(server, pixel)  # the real one still works
    assert r.status_code == 200 and len(events(server, cid, "email_open")) == 1


def test_callbacks_move_the_message_once_and_answer_each_item(server, smtp):
    cid = join(server, "irina.delivered@example.org", ads=True, subscribe=True)
    mid, _, _ = sent(server, smtp, cid)
    r = callback(server, {"message_id": mid, "status": "delivered"},
                 {"message_id": mid, "status": "delivered"},
                 {"message_id": "m_00000000000000000000000000000000", "status": "delivered"},
                 {"message_id": mid, "status": "bounced"},
                 {"message_id": mid, "status": "delivered", "bounce": "hard"},
                 {"message_id": mid, "status": "opened"})
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["recorded"], got["duplicates"], got["refused"]) == (1, 1, 4)
    res = got["results"]
    assert [x["status"] for x in res] == ["recorded", "duplicate"] + ["refused"] * 4
    assert [(x["error"]["code"], x["error"]["field"]) for x in res[2:]] == [
        ("message_not_found", "deliveries[2].message_id"),
        ("missing_field", "deliveries[3].bounce"),
        ("unexpected_field", "deliveries[4].bounce"),
        ("invalid_value", "deliveries[5].status")]
    m = wait_state(server, cid, mid, {"delivered"})
    assert m["sent_at"]
    delivered = events(server, cid, "email_delivered")
    assert len(delivered) == 1 and delivered[0]["properties"] == {"message_id": mid}
    # the provider sends the same callback again: nothing more
    r = callback(server, {"message_id": mid, "status": "delivered"})
    assert r.json()["results"][0]["status"] == "duplicate"
    assert len(events(server, cid, "email_delivered")) == 1
    # a message that never went out
    r = send(server, cid, transactional=False, topic="nope")
    queued = r.json()["id"]
    wait_state(server, cid, queued, {"suppressed"})
    r = callback(server, {"message_id": queued, "status": "delivered"})
    assert r.json()["results"][0]["error"]["code"] == "message_not_sent"
    # the scope: a provider's key, or admin; not a cash desk's
    pos = server.new_key("pos")
    assert callback(server, {"message_id": mid, "status": "delivered"}, key=pos).status_code == 403
    admin = server.post("/v1/deliveries/status",
                        {"deliveries": [{"message_id": mid, "status": "delivered"}]})
    assert admin.status_code == 200
    r = server.get("/v1/customers", key=server.deliveries)
    assert r.status_code == 403  # the provider's key reads no customer
    assert callback(server).status_code == 422  # no items


def quality(server):
    r = server.get("/v1/reports/quality")
    assert r.status_code == 200, r.text
    return r.json()["verification"]["email"]["undeliverable"]


def test_a_hard_bounce_makes_the_address_undeliverable(server, smtp):
    before = quality(server)
    cid = join(server, "no.such.mailbox@example.org", ads=True, subscribe=True)
    soft = join(server, "full.mailbox@example.org", ads=True, subscribe=True)
    mid, _, _ = sent(server, smtp, cid)
    smid, _, _ = sent(server, smtp, soft)
    r = callback(server, {"message_id": mid, "status": "bounced", "bounce": "hard",
                          "reason": "550 5.1.1 <no.such.mailbox@example.org>: user unknown",
                          "at": "2026-01-10T10:00:00+03:00"},
                 {"message_id": smid, "status": "bounced", "bounce": "soft",
                  "reason": "452 4.2.2 mailbox full"})
    assert [x["status"] for x in r.json()["results"]] == ["recorded", "recorded"], r.text
    m = wait_state(server, cid, mid, {"bounced"})
    assert m["reason"] == "hard_bounce" and "@" not in m["reply"] and "550 5.1.1" in m["reply"]
    b = events(server, cid, "message_bounced")
    assert len(b) == 1 and b[0]["properties"] == {"message_id": mid, "bounce": "hard"}
    assert b[0]["at"].startswith("2026-01-10T07:00:00")  # the provider's time, in UTC
    assert quality(server) == before + 1
    s = wait_state(server, soft, smid, {"bounced"})
    assert s["reason"] == "soft_bounce"

    # the next message to that address is not sent, a transactional one neither
    for transactional in (False, True):
        r = send(server, cid, transactional=transactional,
                 **({} if transactional else {"topic": "promo"}))
        m = wait_state(server, cid, r.json()["id"], {"suppressed", "sent"})
        assert (m["state"], m["reason"]) == ("suppressed", "undeliverable"), m
    # a soft bounce marks nothing: the next one goes
    sent(server, smtp, soft)


def test_a_complaint_withdraws_the_ads_consent_with_the_message_as_evidence(server, smtp):
    cid = join(server, "angry.reader@example.org", ads=True, subscribe=True)
    mid, _, _ = sent(server, smtp, cid)
    r = callback(server, {"message_id": mid, "status": "complained",
                          "at": "2026-01-11T09:30:00Z"})
    assert r.json()["results"][0]["status"] == "recorded", r.text
    states = server.get(f"/v1/customers/{cid}/consents").json()["items"]
    ads = next(s for s in states if s["purpose"] == "ads" and s.get("channel") == "email")
    assert ads["state"] == "withdrawn"
    ev = server.get(f"/v1/customers/{cid}/consents/evidence").json()["events"]
    last = [e for e in ev if e["purpose"] == "ads" and e.get("channel") == "email"][-1]
    assert last["action"] == "withdraw" and last["source"] == "complaint"
    assert last["at"].startswith("2026-01-11T09:30:00")
    assert last["evidence"]["message_id"] == mid
    assert last["evidence"]["key_id"] == server.deliveries.split("_")[1]
    c = events(server, cid, "spam_complaint")
    assert len(c) == 1 and c[0]["properties"] == {"message_id": mid}
    # the next marketing e-mail is stopped by the consent check; the row stays as it was
    r = send(server, cid, transactional=False, topic="promo")
    m = wait_state(server, cid, r.json()["id"], {"suppressed", "sent"})
    assert m["state"] == "suppressed" and m["reason"] in ("no_ads_consent", "not_subscribed"), m
    assert callback(server, {"message_id": mid, "status": "complained"}).json()[
        "results"][0]["status"] == "duplicate"


def test_a_segment_of_those_who_opened_more_than_one_email(server, smtp):
    """"Opened more than one e-mail" from real sends: Anna opens two, Boris one of his two (three
    times), Vera none."""
    who = {n: join(server, f"{n}.segment@example.org", ads=True, subscribe=True)
           for n in ("anna", "boris", "vera")}
    pages = {n: [Links(sent(server, smtp, cid)[1]) for _ in range(2)] for n, cid in who.items()}
    for p in pages["anna"]:
        assert fetch(server, p.imgs[0]).status_code == 200
    for _ in range(3):
        assert fetch(server, pages["boris"][0].imgs[0]).status_code == 200
    assert fetch(server, pages["vera"][0].links[0]).status_code == 302  # a click, no image
    deadline = time.monotonic() + 5
    while True:
        r = server.post("/v1/segments/preview",
                        {"query": "events(email_open) > 1", "sample": 100})
        assert r.status_code == 200, r.text
        if set(r.json()["sample"]) & set(who.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert set(r.json()["sample"]) == {who["anna"]}
    r = server.post("/v1/segments/preview", {"query": "events(email_open) >= 1", "sample": 100})
    assert who["boris"] in r.json()["sample"] and who["vera"] not in r.json()["sample"]


def counts(server):
    r = server.get("/v1/reports/events")
    assert r.status_code == 200, r.text
    return r.json()["by_type"]


def test_after_an_erasure_the_links_still_lead_and_record_nothing(server, smtp):
    """An e-mail outlives its customer: her links still go where they said, but nothing of her is
    recorded any more - no event, no undeliverable mark."""
    cid = join(server, "erased.reader@example.org", ads=True, subscribe=True)
    mid, page, _ = sent(server, smtp, cid)
    seen = Links(page)
    r = server.post(f"/v1/customers/{cid}/erase", {"reason": "request"})
    assert r.status_code == 200, r.text
    before, marked = counts(server), quality(server)
    assert fetch(server, seen.imgs[0]).status_code == 200
    r = fetch(server, seen.links[0])
    assert r.status_code == 302 and r.headers["Location"] == LINK
    r = callback(server, {"message_id": mid, "status": "bounced", "bounce": "hard"})
    assert r.json()["results"][0]["status"] == "recorded"  # the row moves: it names nobody
    after = counts(server)
    for kind in ("email_open", "email_click", "message_bounced"):
        assert after.get(kind, 0) == before.get(kind, 0), kind
    assert quality(server) == marked
