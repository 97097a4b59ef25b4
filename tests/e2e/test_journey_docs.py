"""Journey documents through the API (docs/journeys.md): the eight recipes of
docs/samples/journeys saved against the templates, topics and attribute they name; versions (the
same body again is no new version, a change is the next one); the moves and the moves a state
refuses; documents refused with the JSON path of the bad node; a customer's runs.

The engine (runs, entries, steps) is tested in test_journeys.py; here nothing runs. The runs a
customer's list and a journey's report show are written straight into the database beside the
server, as the engine writes them (journey_runs, journey_steps), to see how they are read back.
"""
import copy
import json
import pathlib

import pytest

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "docs" / "samples" / "journeys"
RECIPES = ["abandoned-cart", "browse-abandonment", "replenishment", "birthday", "win-back",
           "welcome", "points-expiring", "life-event"]


def recipe(name):
    return json.loads((SAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def templates_named():
    """Every template the recipes' send steps name."""
    names = set()
    for name in RECIPES:
        for step in recipe(name)["steps"]:
            if "send" in step:
                names.add(step["send"]["template"])
    return names


@pytest.fixture(scope="module")
def shop(server, pending_policy):
    """The topics, templates (made-up texts) and attribute the recipes name."""
    for topic, channels in (("promo", ["email", "sms"]), ("news", ["email"])):
        r = server.put(f"/v1/topics/{topic}", {"title": topic, "channels": channels})
        assert r.status_code in (200, 201), r.text
    for name in sorted(templates_named()):
        if name.endswith("-sms"):
            body = {"channel": "sms", "text": "Скидка ждёт вас: {{context.coupon.code}}"}
        else:
            body = {"channel": "email", "subject": f"Письмо {name}",
                    "text": "{{first_name | default: \"Покупатель\"}}, у нас для вас новости."}
        r = server.put(f"/v1/templates/{name}", body)
        assert r.status_code in (200, 201), r.text
    r = server.put("/v1/attributes/youngest_child_age",
                   {"type": "number", "title": "Возраст младшего ребёнка"})
    assert r.status_code in (200, 201), r.text
    return server


def test_every_recipe_is_accepted(shop):
    assert len(list(SAMPLES.glob("*.json"))) == len(RECIPES)
    for name in RECIPES:
        doc = recipe(name)
        r = shop.put(f"/v1/journeys/{name}", doc)
        assert r.status_code == 201, (name, r.text)
        j = r.json()
        assert (j["key"], j["name"], j["state"], j["version"]) == (name, doc["name"], "draft", 1)
        assert j["live_version"] is None and j["started_at"] is None
        assert j["document"] == doc
    items = shop.get("/v1/journeys").json()["items"]
    assert [j["key"] for j in items] == sorted(RECIPES)
    assert all("document" not in j for j in items)


def test_versions(shop):
    doc = recipe("browse-abandonment")
    doc["name"] = "Версии"
    r = shop.put("/v1/journeys/versions", doc)
    assert r.status_code == 201, r.text
    created = r.json()["created_at"]
    # the same document again, its keys in another order: the same version, 200
    again = json.loads(json.dumps(doc, sort_keys=True))
    r = shop.put("/v1/journeys/versions", dict(reversed(list(again.items()))))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    # changed: the next version, 200 (the journey existed)
    changed = copy.deepcopy(doc)
    changed["steps"][0]["wait"] = {"hours": 48}
    r = shop.put("/v1/journeys/versions", changed)
    assert r.status_code == 200, r.text
    j = r.json()
    assert j["version"] == 2 and j["created_at"] == created
    assert j["document"]["steps"][0]["wait"] == {"hours": 48}
    # the latest, and version 1 by ?version=
    assert shop.get("/v1/journeys/versions").json()["document"] == changed
    r = shop.get("/v1/journeys/versions?version=1")
    assert r.status_code == 200 and r.json()["version"] == 1
    assert r.json()["document"] == doc
    r = shop.get("/v1/journeys/versions?version=3")
    assert r.status_code == 404 and r.json()["error"]["code"] == "journey_not_found"
    assert r.json()["error"]["field"] == "version"
    assert shop.get("/v1/journeys/versions?version=x").status_code == 400
    assert shop.get("/v1/journeys/nobody").status_code == 404


def test_moves(shop):
    r = shop.put("/v1/journeys/moves", recipe("birthday"))
    assert r.status_code == 201, r.text

    def move(action, status, state):
        r = shop.post(f"/v1/journeys/moves/{action}")
        assert r.status_code == status, (action, r.text)
        if status == 409:
            assert r.json()["error"]["code"] == "journey_state"
        assert shop.get("/v1/journeys/moves").json()["state"] == state
        return r.json()

    move("pause", 409, "draft")
    j = move("start", 200, "active")
    assert j["live_version"] == 1 and j["started_at"] is not None
    started = j["started_at"]
    move("start", 409, "active")
    changed = recipe("birthday")
    changed["steps"][0]["points"]["points"] = 700
    r = shop.put("/v1/journeys/moves", changed)
    assert r.status_code == 200 and r.json()["version"] == 2
    assert r.json()["live_version"] == 1  # live at the next start
    move("pause", 200, "paused")
    move("pause", 409, "paused")
    j = move("start", 200, "active")
    assert j["live_version"] == 2 and j["started_at"] == started
    move("archive", 200, "archived")
    move("archive", 409, "archived")
    move("start", 409, "archived")
    r = shop.put("/v1/journeys/moves", recipe("birthday"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "journey_state"
    assert shop.post("/v1/journeys/nobody/start").status_code == 404
    # two versions and the four moves made (a refused move writes nothing)
    entries = [e["detail"] for e in shop.get("/v1/audit?action=journey&limit=100").json()["items"]
               if "moves" in (e.get("detail") or "")]
    assert sorted(entries) == sorted(["version moves 1", "start moves", "version moves 2",
                                      "pause moves", "start moves", "archive moves"])


# (recipe, changes, code, field): each a bad node the server names by its JSON path
REFUSALS = [
    ("abandoned-cart", [(("steps", 1, "send", "template"), "no-such-template")],
     "template_not_found", "steps[1].send.template"),
    ("abandoned-cart", [(("steps", 1, "send", "topic"), "no-such-topic")],
     "topic_not_found", "steps[1].send.topic"),
    # an unreachable step: after an exit step
    ("abandoned-cart", [(("steps", 2), {"exit": {"name": "stop"}})],
     "journey_unreachable", "steps[3]"),
    # a cycle without a wait: the smaller coupon goes back to the branch before it
    ("abandoned-cart", [(("steps", 4, "next"), "regular")], "journey_cycle", "steps[4].next"),
    # a journey that enters on its own messages' opens and sends
    ("abandoned-cart", [(("entry",), {"event": {"type": "email_open"}}),
                        (("exits",), [{"name": "bought", "purchase": True}])],
     "journey_loop", "entry.event.type"),
    ("abandoned-cart", [(("steps", 3, "branch", "colour"), "red")],
     "unknown_field", "steps[3].branch.colour"),
    ("abandoned-cart", [(("steps", 3, "branch", "then"), "nowhere")],
     "step_not_found", "steps[3].branch.then"),
    ("birthday", [(("entry",), {"segment": {"segment": "no-such-segment"}})],
     "segment_not_found", "entry.segment.segment"),
    ("abandoned-cart", [(("entry", "event", "where"), {"sku": 42})],
     "wrong_type", "entry.event.where.sku"),
    ("abandoned-cart", [(("exits", 1, "name"), "bought")], "duplicate_value", "exits[1].name"),
    ("life-event", [(("steps", 0, "trait", "name"), "rfm_group")],
     "trait_reserved", "steps[0].trait.name"),
    ("points-expiring", [(("steps", 2, "branch", "if"), "trait vip_level = \"gold\"")],
     "trait_not_found", "steps[2].branch.if"),
]


@pytest.mark.parametrize("name,changes,code,field", REFUSALS,
                         ids=[f"{r[2]}:{r[3]}" for r in REFUSALS])
def test_refusals_name_the_bad_node(shop, name, changes, code, field):
    doc = recipe(name)
    for path, value in changes:
        node = doc
        for k in path[:-1]:
            node = node[k]
        if isinstance(node, list) and len(path) == 2:
            node.insert(path[-1], value)  # a step added
        else:
            node[path[-1]] = value
    r = shop.put("/v1/journeys/refused", doc)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert (err["code"], err.get("field")) == (code, field), err
    assert shop.get("/v1/journeys/refused").status_code == 404  # nothing stored


def test_a_cycle_through_a_wait_is_a_loop_in_time(shop):
    doc = recipe("abandoned-cart")
    doc["steps"][4]["next"] = "wait-24h"
    r = shop.put("/v1/journeys/loop-in-time", doc)
    assert r.status_code == 201, r.text
    r = shop.put("/v1/journeys/Bad%20Key", doc)
    assert r.status_code == 422 and r.json()["error"]["field"] == "key"


def test_a_customer_without_runs(shop):
    r = shop.post("/v1/customers", {"source": {"channel": "web"},
                                    "profile": {"email": "journey-docs@example.org"}})
    assert r.status_code == 201, r.text
    cid = r.json()["customer"]["id"]
    r = shop.get(f"/v1/customers/{cid}/journeys")
    assert r.status_code == 200, r.text
    assert r.json() == {"customer_id": cid, "items": []}
    assert shop.get("/v1/customers/c_00000000000000000000/journeys").status_code == 404
    dpo = shop.new_key("dpo")
    assert shop.get(f"/v1/customers/{cid}/journeys", key=dpo).status_code == 200
    assert shop.get("/v1/journeys", key=dpo).status_code == 403


def test_the_report_of_a_journey_without_runs(shop):
    r = shop.get("/v1/reports/journeys/abandoned-cart")
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["journey"] == "abandoned-cart" and rep["steps"] == [] and rep["groups"] == []
    assert rep["runs"] == {"entered": 0, "control": 0, "active": 0, "waiting": 0, "done": 0,
                           "exited": 0, "by_exit": {}}
    assert rep["uplift"] is None and rep["window_days"] == 7
    assert shop.get("/v1/reports/journeys/abandoned-cart?window_days=0").status_code == 400
    assert shop.get("/v1/reports/journeys/nobody").status_code == 404


def test_runs_as_the_engine_writes_them(shop):
    """A customer's runs show the id of their step, looked up in the version they entered with;
    the report counts runs by state and exit and steps by outcome."""
    doc = recipe("abandoned-cart")
    r = shop.put("/v1/journeys/runs", doc)
    assert r.status_code == 201, r.text
    doc["steps"][0]["id"] = "wait-an-hour"  # version 2 renames the first step
    assert shop.put("/v1/journeys/runs", doc).json()["version"] == 2
    r = shop.post("/v1/customers", {"source": {"channel": "web"},
                                    "profile": {"email": "journey-runs@example.org"}})
    cid = r.json()["customer"]["id"]
    t = 1790000000000  # ms
    # Two runs and their steps, written beside the server a row at a time.
    ck = shop.rows("SELECT ck FROM customers WHERE id = ?", (cid,))[0][0]
    runs = [  # (version, entry key, step index, state, due, entered, finished, exit)
        (1, "cart-1", 3, "exited", None, t, t + 5000, "bought"),
        (2, "cart-2", 0, "waiting", t + 3600000, t + 1000, None, None),
    ]
    for v, key, step, state, due, at, fin, ex in runs:
        shop.execute("INSERT INTO journey_runs (journey, version, ck, entry_key, step, state, "
                     "due_at, since_at, entered_at, updated_at, finished_at, exit) VALUES "
                     "('runs', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (v, ck, key, step, state, due, at, at, fin or at, fin, ex))
    first = shop.rows("SELECT min(id) FROM journey_runs WHERE journey = 'runs'")[0][0]
    for visit, (step, outcome) in enumerate([("wait-1h", "entered"), ("wait-1h", "waited"),
                                             ("reminder", "sent"), ("regular", "exited")]):
        shop.execute("INSERT INTO journey_steps (run, visit, journey, step, outcome, at) "
                     "VALUES (?, ?, 'runs', ?, ?, ?)", (first, visit, step, outcome, t + visit))
    r = shop.get(f"/v1/customers/{cid}/journeys")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(i["journey"], i["version"], i["step"], i["state"], i["exit"]) for i in items] == [
        ("runs", 2, "wait-an-hour", "waiting", None),  # newest first
        ("runs", 1, "regular", "exited", "bought")]
    assert items[0]["due_at"] is not None and items[0]["finished_at"] is None
    assert items[1]["due_at"] is None and items[1]["finished_at"] is not None
    assert shop.get(f"/v1/customers/{cid}/journeys?limit=1").json()["items"] == items[:1]
    assert shop.get(f"/v1/customers/{cid}/journeys?limit=0").status_code == 400
    r = shop.get("/v1/reports/journeys/runs")
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["runs"] == {"entered": 2, "control": 0, "active": 0, "waiting": 1, "done": 0,
                           "exited": 1, "by_exit": {"bought": 1}}
    assert [(st["step"], st["outcome"], st["count"]) for st in rep["steps"]] == [
        ("regular", "exited", 1), ("reminder", "sent", 1), ("wait-1h", "entered", 1),
        ("wait-1h", "waited", 1)]
    assert rep["groups"] == [{"group": "journey", "runs": 2, "buyers": 0, "revenue": 0}]

