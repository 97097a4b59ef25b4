"""RFM (issue 6, part 4): on the first sixty days of the Online Retail data replayed through the
API, every customer's recency, frequency and monetary scores and group equal an independent
computation here; storing them makes traits that the customer's export carries."""
import json
import pathlib
import sys

import pytest

import retail_model

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))
import online_retail  # noqa: E402

DAYS = 60


@pytest.mark.skipif(not online_retail.DATA.exists(), reason="../shared/data is not beside")
def test_rfm_equals_an_independent_computation(start_server):
    s = start_server(["--settable-clock"])
    days, _ = online_retail.load(days=DAYS)
    custs = online_retail.customers(days)
    s.put("/v1/system/clock", {"now": "2010-11-30T00:00:00Z"})
    online_retail.setup(s.url, s.admin_key, custs, {"hold_days": 3})
    online_retail.replay(s.url, s.admin_key, days, clients=8)
    model = retail_model.Model(retail_model.Rules(hold_days=3)).run(days)
    want = retail_model.rfm_expected(model, days)
    rep = s.get("/v1/reports/rfm?items=true").json()
    assert rep["customers"] == len(want) > 1000
    assert retail_model.rfm_differing(rep, lambda path: s.get(path).json(), custs, model, days,
                                      online_retail.phone_of) == []
    assert sum(rep["groups"].values()) == len(want)
    assert len({w[3] for w in want.values()}) >= 6  # the data fills most groups
    # Stored as traits, which the export carries; the CLI says the same as the API.
    r2 = s.post("/v1/traits/rfm")
    assert r2.status_code == 200 and r2.json()["customers"] == len(want)
    some = rep["items"][0]
    doc = s.get(f"/v1/customers/{some['customer_id']}/export").json()
    assert doc["traits"] == {"rfm_group": some["group"],
                             "rfm_score": f"{some['r']}{some['f']}{some['m']}"}
    cli = json.loads(s.cli("report", "rfm", "--json", "--now", rep["as_of"]).stdout)
    assert cli["groups"] == rep["groups"] and cli["scores_1_to_5"] == rep["scores_1_to_5"]
    # The grid of the console's heat map: customers per recency and frequency score.
    grid = [[0] * 5 for _ in range(5)]
    for it in rep["items"]:
        grid[it["r"] - 1][it["f"] - 1] += 1
    assert rep["r_by_f"] == grid and cli["r_by_f"] == grid
    assert s.get("/v1/reports/rfm?as_of=yesterday").status_code == 400

    # Clusters over the same customers: every one in a cluster, stored as a trait, described.
    r = s.post("/v1/clusters", {"k": 4})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["customers"] == len(want) and sum(c["size"] for c in out["clusters"]) == len(want)
    assert all(c["description"] for c in out["clusters"]) and -1 <= out["silhouette"] <= 1
    assert s.get(f"/v1/customers/{some['customer_id']}/export").json()["traits"]["cluster"] in \
        {"1", "2", "3", "4"}
    two = s.post("/v1/clusters", {"k": 2, "as_trait": False}).json()
    assert two["inertia"] > out["inertia"]  # more clusters fit closer
    for body in [{"k": 1}, {"k": 50}, {}, {"k": 3, "store": "yes"}]:
        assert s.post("/v1/clusters", body).status_code == 422, body
    cli = s.cli("cluster", "--k", "4", "--no-store")
    assert "clusters: inertia" in cli.stdout
