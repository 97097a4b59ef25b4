"""Campaigns (docs/messages.md, "Campaigns") against a real SMTP server the test starts on
loopback (Debian's python3-aiosmtpd, peers.SmtpSink). A campaign's audience is a saved segment or
a query; it is frozen when the campaign starts and enqueued by the server's own scheduler job
(campaign_enqueue), then sent by the outbox's sender. What arrived is counted at the sink by
recipient; who was set aside or given which variant is read from the database beside the server
(campaign_members, the table the report reads).

Each test has its own server: an audience is "every customer with an e-mail", so tests sharing
a database would share their customers.
"""
import concurrent.futures
import time
from collections import Counter

import pytest
import requests

from conftest import Server
from peers import SmtpSink, wait_for

FROM = "shop@example.ru"
PD = "cmp-pd"


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink.start()
    yield s
    s.stop()


def smtp_args(sink):
    return ["--smtp-url", sink.url, "--smtp-from", FROM, "--smtp-starttls", "never",
            "--outbox-retry", "200"]


def prepare(server, public_url=True):
    """The documents, the topic and the public URL a marketing e-mail needs, and two templates."""
    for key, purpose in ((PD, "pd_processing"), ("cmp-ads", "ads")):
        r = server.put(f"/v1/consent-documents/{key}", {"purpose": purpose, "title": key,
                                                        "body": f"Согласие {key}."})
        assert r.status_code in (200, 201), r.text
    r = server.put("/v1/topics/promo", {"title": "Акции", "channels": ["email"]})
    assert r.status_code in (200, 201), r.text
    if public_url:
        r = server.put("/v1/privacy/settings", {"public_url": server.url})
        assert r.status_code == 200, r.text
    for name, subject in (("spring-a", "Весна: скидка 10%"), ("spring-b", "Весна: подарок")):
        r = server.put(f"/v1/templates/{name}", {
            "channel": "email", "subject": subject,
            "text": "{{first_name | default: \"Покупатель\"}}, ждём вас.",
            "html": "<p>{{first_name | default: \"Покупатель\"}}, ждём вас.</p>"})
        assert r.status_code in (200, 201), r.text


def people(server, n, prefix, ads=True, threads=4):
    """n customers with an e-mail each, made through the API in parallel; with `ads` each has
    the ads consent by e-mail and is subscribed to the topic. Returns their addresses."""
    def one(i):
        h = requests.Session()
        hd = {"Authorization": f"Bearer {server.admin_key}"}
        addr = f"{prefix}-{i}@example.org"
        consents = [{"purpose": "pd_processing", "document": f"{PD}@1", "granted": True,
                     "evidence": {"form_id": "f-1"}}]
        if ads:
            consents.append({"purpose": "ads", "channel": "email", "document": "cmp-ads",
                             "granted": True, "evidence": {"form_id": "f-1"}})
        r = h.post(server.url + "/v1/customers", headers=hd, timeout=30,
                   json={"source": {"channel": "web"}, "profile": {"email": addr},
                         "consents": consents})
        assert r.status_code == 201, r.text
        if ads:
            cid = r.json()["customer"]["id"]
            r = h.post(f"{server.url}/v1/customers/{cid}/subscriptions", headers=hd, timeout=30,
                       json={"topic": "promo", "channel": "email", "subscribed": True})
            assert r.status_code == 200, r.text
        h.close()
        return addr

    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        return list(ex.map(one, range(n)))


def create(server, **kw):
    body = {"name": "Весна", "channel": "email", "topic": "promo", "query": "has email",
            "template": "spring-a"}
    body.update(kw)
    r = server.post("/v1/campaigns", body)
    assert r.status_code == 201, r.text
    return r.json()


def act(server, cid, action, status=200):
    r = server.post(f"/v1/campaigns/{cid}/{action}")
    assert r.status_code == status, r.text
    return r.json()


def get(server, cid):
    r = server.get(f"/v1/campaigns/{cid}")
    assert r.status_code == 200, r.text
    return r.json()


def wait_state(server, cid, states, timeout=60):
    last = {}

    def reached():
        last.update(get(server, cid))
        return last["state"] in states

    wait_for(reached, timeout, f"the campaign reaching {states} (it is {last.get('state')})")
    return last


def copies(sink, who=None):
    """How many messages each recipient got."""
    with sink.lock:
        c = Counter(a for e in sink.messages for a in e.rcpt_tos)
    return c if who is None else {a: c.get(a, 0) for a in who}


def members(server, cid):
    rows = server.rows("SELECT m.grp, m.message_id, o.ck IS NOT NULL FROM campaign_members m "
                       "LEFT JOIN outbox o ON o.id = m.message_id WHERE m.campaign_id = ?", (cid,))
    states = dict(server.rows("SELECT state || ':' || coalesce(reason, ''), count(*) FROM "
                              "outbox WHERE campaign_id = ? GROUP BY 1", (cid,)))
    return rows, states


def test_a_campaign_is_checked_and_moves_only_as_its_state_allows(tmp_path, sink):
    s = Server(tmp_path / "v", smtp_args(sink))
    prepare(s, public_url=False)
    r = s.post("/v1/segments", {"name": "all-email", "query": "has email"})
    assert r.status_code == 201, r.text
    for bad, code, field in (
            ({"query": "has email and"}, "syntax_error", "query"),
            ({"segment": "all-email"}, "invalid_value", "query"),  # both
            ({"query": None}, "missing_field", "segment"),
            ({"template": "nope"}, "template_not_found", "template"),
            ({"template": None}, "missing_field", "template"),
            ({"template": None, "variants": [{"name": "a", "template": "spring-a", "percent": 60},
                                             {"name": "b", "template": "spring-b",
                                              "percent": 30}]}, "invalid_value", "variants"),
            ({"template": None, "variants": [{"name": "control", "template": "spring-a",
                                              "percent": 100}]}, "invalid_value",
             "variants[0].name"),
            ({"control_percent": 95}, "invalid_value", "control_percent"),
            ({"conversion_window_days": 31}, "invalid_value", "conversion_window_days"),
            ({"channel": "sms"}, "invalid_value", "channel"),
            ({"topic": None}, "missing_field", "topic"),
            ({"colour": "red"}, "unknown_field", "colour")):
        body = {"name": "x", "channel": "email", "topic": "promo", "query": "has email",
                "template": "spring-a"}
        body.update(bad)
        body = {k: v for k, v in body.items() if v is not None}
        r = s.post("/v1/campaigns", body)
        assert r.status_code == 422, (bad, r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), bad
    r = s.post("/v1/campaigns", {"name": "x", "channel": "email", "topic": "promo",
                                 "query": "has email and", "template": "spring-a"})
    assert r.json()["error"]["line"] == 1 and r.json()["error"]["column"] == 14, r.text
    r = s.post("/v1/campaigns", {"name": "x", "channel": "email", "topic": "promo",
                                 "segment": "nobody", "template": "spring-a"})
    assert r.status_code == 404 and r.json()["error"]["field"] == "segment", r.text

    c = create(s, segment="all-email", query=None, control_percent=10)
    assert c["state"] == "draft" and c["segment_id"].startswith("s_") and c["query"] is None
    assert c["variants"] == [{"name": "a", "template": "spring-a", "version": 1, "percent": 100}]
    assert c["conversion_window_days"] == 3 and c["audience"] is None and c["started_at"] is None
    assert c["id"].startswith("cmp_") and get(s, c["id"]) == c
    assert s.get("/v1/campaigns/cmp_nope").status_code == 404
    # an e-mail campaign needs public_url: its messages carry an unsubscribe link
    r = s.post(f"/v1/campaigns/{c['id']}/start")
    assert r.status_code == 422 and r.json()["error"]["code"] == "public_url_required", r.text
    assert s.put("/v1/privacy/settings", {"public_url": s.url}).status_code == 200
    for action in ("pause", "resume"):
        r = s.post(f"/v1/campaigns/{c['id']}/{action}")
        assert r.status_code == 409 and r.json()["error"]["code"] == "campaign_state", r.text
    assert act(s, c["id"], "cancel")["state"] == "cancelled"
    assert s.post(f"/v1/campaigns/{c['id']}/start").status_code == 409
    r = s.get("/v1/audit?action=campaign")
    assert r.status_code == 200, r.text
    said = [e["detail"] for e in r.json()["items"]]
    assert f"create {c['id']}" in said and f"cancel {c['id']}" in said, said
    assert f"start {c['id']}" not in said  # the refused start changed nothing

    ids = [c["id"]] + [create(s, name=f"n{i}")["id"] for i in range(4)]
    seen, cursor = [], None
    while True:
        r = s.get("/v1/campaigns?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status_code == 200, r.text
        seen += [x["id"] for x in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    assert s.get("/v1/campaigns?cursor=bogus").status_code == 400
    pos = s.new_key("pos")
    assert s.get("/v1/campaigns", key=pos).status_code == 403
    assert s.post(f"/v1/campaigns/{ids[1]}/start", key=pos).status_code == 403

    s.stop()


def test_a_campaign_to_a_saved_segment_arrives_once_per_member(tmp_path, sink):
    s = Server(tmp_path / "seg", smtp_args(sink))
    prepare(s)
    yes = people(s, 40, "seg-yes")
    no_ads = people(s, 10, "seg-noads", ads=False)
    r = s.post("/v1/segments", {"name": "mailable", "query": "has email"})
    assert r.status_code == 201, r.text
    c = create(s, segment="mailable", query=None)
    assert act(s, c["id"], "start")["state"] == "running"
    done = wait_state(s, c["id"], {"done"})
    assert done["audience"] == 50 and done["enqueued"] == 50 and done["control"] == 0
    assert done["started_at"] and done["finished_at"]
    got = copies(sink, yes + no_ads)
    assert all(got[a] == 1 for a in yes), got
    assert all(got[a] == 0 for a in no_ads), got  # consent: suppressed, never sent
    rows, states = members(s, c["id"])
    assert len(rows) == 50 and all(g == "a" and mid and has for g, mid, has in rows)
    assert states == {"sent:": 40, "suppressed:not_subscribed": 10}, states
    # the message is the template's, with the unsubscribe headers of a marketing e-mail
    env = next(i for i, e in enumerate(sink.messages) if yes[0] in e.rcpt_tos)
    msg = sink.parsed(env)
    assert msg["Subject"] == "Весна: скидка 10%"
    assert msg["List-Unsubscribe"].startswith(f"<{s.url}/u/")
    # a second start, a resume or a run of the job finds nothing to send again
    assert s.post(f"/v1/campaigns/{c['id']}/start").status_code == 409
    r = s.post("/v1/loyalty/run-due")
    assert r.status_code == 200 and r.json()["campaigns"]["enqueued"] == 0, r.text
    time.sleep(1.5)
    assert all(copies(sink, yes)[a] == 1 for a in yes)
    s.stop()


def test_control_group_is_never_messaged_and_variants_split(tmp_path, sink):
    s = Server(tmp_path / "ab", smtp_args(sink))
    prepare(s)
    who = people(s, 400, "ab")
    c = create(s, template=None, control_percent=25,
               variants=[{"name": "a", "template": "spring-a", "percent": 50},
                         {"name": "b", "template": "spring-b", "percent": 50}])
    act(s, c["id"], "start")
    done = wait_state(s, c["id"], {"done"})
    rows, _ = members(s, c["id"])
    groups = Counter(g for g, _, _ in rows)
    assert sum(groups.values()) == 400 and done["control"] == groups["control"]
    # 25 % of 400 is 100; the binomial's deviation is 8.7: 60..140 fails one run in 10^5
    assert 60 <= groups["control"] <= 140, groups
    assert 100 <= groups["a"] <= 200 and 100 <= groups["b"] <= 200, groups
    assert all(mid is None for g, mid, _ in rows if g == "control")
    assert done["enqueued"] == groups["a"] + groups["b"]
    wait_for(lambda: sum(copies(sink, who).values()) == done["enqueued"], 60, "every send")
    # who got which: the control group nothing, each variant its own subject
    ck_grp = dict(s.rows("SELECT ck, grp FROM campaign_members WHERE campaign_id = ?",
                         (c["id"],)))
    subjects = {}
    with sink.lock:
        envs = [(e.rcpt_tos[0], e.original_content) for e in sink.messages
                if e.rcpt_tos[0].startswith("ab-")]
    import email
    import email.policy
    for addr, raw in envs:
        subjects[addr] = str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
    got = copies(sink, who)
    assert all(n <= 1 for n in got.values())
    assert sum(got.values()) == groups["a"] + groups["b"]
    by_subject = Counter(subjects.values())
    assert by_subject == {"Весна: скидка 10%": groups["a"], "Весна: подарок": groups["b"]}
    assert len(ck_grp) == 400
    s.stop()


def test_pause_then_resume_sends_each_member_one_copy(tmp_path, sink):
    s = Server(tmp_path / "pr", smtp_args(sink))
    prepare(s)
    who = people(s, 300, "pr")
    sink.busy.update(who)  # the relay defers everything: the messages wait in the queue
    c = create(s)
    act(s, c["id"], "start")
    wait_for(lambda: get(s, c["id"])["enqueued"] > 0, 30, "the first batch")
    paused = act(s, c["id"], "pause")
    assert paused["state"] == "paused"
    at_pause = get(s, c["id"])["enqueued"]
    # a batch the sender took before the pause goes on to the relay (deferred there): once it is
    # back in the queue, the relay would take them all - the pause must hold them
    wait_for(lambda: s.rows("SELECT count(*) FROM outbox WHERE campaign_id = ? "
                            "AND state = 'sending'", (c["id"],))[0][0] == 0, 60,
             "the batch in flight deferred")
    sink.busy.difference_update(who)
    time.sleep(2.5)
    assert sum(copies(sink, who).values()) == 0
    assert get(s, c["id"])["enqueued"] == at_pause  # the enqueue stopped too
    assert s.post(f"/v1/campaigns/{c['id']}/start").status_code == 409
    assert act(s, c["id"], "resume")["state"] == "running"
    # a pause and a resume again in the middle
    time.sleep(0.3)
    act(s, c["id"], "pause")
    act(s, c["id"], "resume")
    done = wait_state(s, c["id"], {"done"}, 120)
    assert done["enqueued"] == 300
    time.sleep(1.5)
    got = copies(sink, who)
    assert all(n == 1 for n in got.values()), Counter(got.values())
    s.stop()


def test_cancel_suppresses_what_waits(tmp_path, sink):
    s = Server(tmp_path / "cx", smtp_args(sink))
    prepare(s)
    who = people(s, 60, "cx")
    sink.busy.update(who)
    c = create(s)
    act(s, c["id"], "start")
    wait_for(lambda: get(s, c["id"])["enqueued"] == 60, 30, "the enqueue")
    x = act(s, c["id"], "cancel")
    assert x["state"] == "cancelled" and x["finished_at"]
    sink.busy.difference_update(who)
    time.sleep(2)
    assert sum(copies(sink, who).values()) == 0
    _, states = members(s, c["id"])
    assert states == {"suppressed:cancelled": 60}, states
    assert s.post(f"/v1/campaigns/{c['id']}/resume").status_code == 409
    s.stop()


def test_a_scheduled_campaign_starts_at_its_time(tmp_path, sink):
    s = Server(tmp_path / "sch", smtp_args(sink) + ["--settable-clock"])
    prepare(s)
    who = people(s, 5, "sch")
    assert s.put("/v1/system/clock", {"now": "2026-12-01T10:00:00Z"}).status_code == 200
    c = create(s, scheduled_at="2026-12-01T11:00:00Z")
    assert act(s, c["id"], "start")["state"] == "scheduled"
    time.sleep(1.5)
    assert get(s, c["id"])["state"] == "scheduled" and sum(copies(sink, who).values()) == 0
    assert s.put("/v1/system/clock", {"now": "2026-12-01T11:00:01Z"}).status_code == 200
    wait_state(s, c["id"], {"done"})
    wait_for(lambda: all(n == 1 for n in copies(sink, who).values()), 30, "the sends")
    s.stop()


def test_kill_9_in_a_10000_customer_campaign_then_each_gets_one_copy(tmp_path, sink):
    """The server dies with kill -9 while it enqueues a campaign of 10,000 (no SMTP server yet:
    what is enqueued waits queued); it restarts with its SMTP server, the enqueue goes on from
    its cursor, and every customer gets exactly one copy at the SMTP server."""
    s = Server(tmp_path / "k9", [])
    prepare(s)
    who = people(s, 10000, "k9", threads=6)
    c = create(s)
    act(s, c["id"], "start")
    wait_for(lambda: 0 < get(s, c["id"])["enqueued"], 60, "the enqueue under way")
    mid = get(s, c["id"])
    s.proc.kill()
    s.proc.wait()
    s.http.close()
    s.out.close()
    s.err.close()
    assert mid["state"] == "running" and mid["enqueued"] < 10000, mid
    s.args = smtp_args(sink)
    s.start()
    done = wait_state(s, c["id"], {"done"}, 300)
    assert done["enqueued"] == 10000 and done["audience"] == 10000
    time.sleep(1.5)
    got = copies(sink, who)
    assert all(n == 1 for n in got.values()), Counter(got.values())
    rows, states = members(s, c["id"])
    assert len(rows) == 10000 and len({m for _, m, _ in rows}) == 10000
    assert states == {"sent:": 10000}, states
    s.stop()
