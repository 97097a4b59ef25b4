"""The one scheduler (issue 20, part 1): POST /v1/loyalty/run-due and `kartoteka run-due` run
every on-demand job of the one table (src/sched/jobs.c) - the jobs the server's runner runs on
its clock, but the refresh of saved segments - and say what each did. The jobs' own effects
(erasures, retention, points expiry, birthdays, import reject lines) are tested with their
modules; these tests hold the list itself."""
import re

from conftest import phone, src

# The reply's member per job and what it counts (docs/api.md, POST /v1/loyalty/run-due).
JOBS = {"erased": ["customers"], "retention": ["customers"], "acts_expired": ["acts"],
        "expired": ["customers", "points"], "birthday": ["customers", "points"],
        "event_ids": ["forgotten"], "import_rejects": ["rows"], "page_limits": ["rows"],
        "campaigns": ["enqueued", "control"], "journeys": ["steps", "entered"],
        "audiences": ["written", "failed"], "wallet": ["passes", "pushes"],
        "events_expired": ["rows"],
        "messages_expired": ["rows"]}


def test_the_api_runs_every_job_of_the_table(server):
    r = server.post("/v1/loyalty/run-due")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == set(JOBS) | {"at"}
    for job, counts in JOBS.items():
        assert sorted(body[job]) == sorted(counts), job
        assert all(isinstance(v, int) and v >= 0 for v in body[job].values()), job
    assert server.post("/v1/loyalty/run-due", key=server.new_key("pos")).status_code == 403


def test_the_cli_says_what_each_job_did(server):
    out = server.cli("run-due").stdout
    assert out.startswith("run-due: erased ")
    for words in [r"erased \d+ customers?;", r"retention erased \d+ customers?;",
                  r"\d+ acts? of destruction purged after 3 years;",
                  r"\d+ points expired for \d+ customers", r"\d+ birthday points for",
                  r"\d+ event message ids? forgotten", r"\d+ import reject rows? expired",
                  r"\d+ campaign messages? enqueued, \d+ set aside in control groups",
                  r"\d+ events? past their term rolled up into daily counts",
                  r"\d+ sent messages? past their term deleted",
                  r"\d+ page limit uses? past every window deleted",
                  r"\d+ audience files? written, \d+ failed",
                  r"\d+ wallet cards? changed, \d+ devices? pushed"]:
        assert re.search(words, out), (words, out)


def test_run_due_leaves_the_segments_to_their_own_verbs(server, pending_policy):
    """Refreshing segments is an analytic job on the runner's clock (every ten minutes), not work
    that falls due: run-due and the API leave it to `segment refresh` and POST .../refresh."""
    city = "Кострома"

    def join():
        r = server.post("/v1/customers", {"source": src("web"),
                                          "profile": {"phone": phone(), "city": city}})
        assert r.status_code == 201, r.text

    join()
    r = server.post("/v1/segments", {"name": "kostroma", "query": f"city = \"{city}\""})
    assert r.status_code == 201 and r.json()["size"] == 1, r.text
    seg = r.json()
    join()
    assert server.post("/v1/loyalty/run-due").status_code == 200
    assert "segment" not in server.cli("run-due").stdout
    assert server.get(f"/v1/segments/{seg['id']}").json()["size"] == 1
    assert server.post(f"/v1/segments/{seg['id']}/refresh").status_code == 200
    assert server.get(f"/v1/segments/{seg['id']}").json()["size"] == 2
