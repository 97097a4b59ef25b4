"""The Online Retail replay (issue 5, part 4) on its first weeks: receipts and refunds of real
invoices posted through the API in time order with the server's clock following the invoice
dates, then the totals and every customer's balance checked against an independent computation
of the rules (retail_model.py). The whole year is replayed by bench/replay.py."""
import pathlib
import sys

import pytest

import retail_model

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bench"))
import online_retail  # noqa: E402

DAYS = 40  # from 2010-12-01: a month and more, so that points are held, spent and expire


@pytest.mark.skipif(not online_retail.DATA.exists(), reason="../shared/data is not beside")
def test_replay_matches_an_independent_computation(start_server):
    s = start_server(["--settable-clock"])
    # A short hold and a one-month expiry, so that forty days see all of it happen.
    program = {"earn": {"percent_bp": 500}, "hold_days": 3, "expiry_months": 1}
    days, skipped = online_retail.load(days=DAYS)
    custs = online_retail.customers(days)
    assert s.put("/v1/system/clock", {"now": "2010-11-30T00:00:00Z"}).status_code == 200
    online_retail.setup(s.url, s.admin_key, custs, program)
    counts, _ = online_retail.replay(s.url, s.admin_key, days, clients=8)
    model = retail_model.Model(retail_model.Rules(hold_days=3, expiry_months=1)).run(days)
    want = model.report()
    assert want["spent"] > 0 and want["expired"] > 0 and want["refund_reversed"] > 0
    assert (counts["receipts"], counts["refunds"]) == (want["receipts"], want["refunds"])
    assert retail_model.server_totals(s.get("/v1/reports/loyalty").json()) == want
    # Every customer's balance at the end, as the server shows it.
    assert retail_model.differing_balances(lambda path: s.get(path).json(), custs, model,
                                           days[-1][0], online_retail.phone_of) == []
