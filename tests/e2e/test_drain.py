"""Shutdown with a drain: after SIGTERM, /readyz answers 503 for --drain while requests are still
served (a load balancer stops sending clients meanwhile), then the listener closes and the process
exits. A second signal cuts the drain short; SIGINT (Ctrl-C) skips it.

The drain comes through KARTOTEKA_DRAIN, so these tests also run (and fail) against a binary from
before it existed.
"""
import signal
import time

import requests

from conftest import phone, src


def fresh(s, path, key="admin"):
    """A GET on a new connection, as a new client (or a load balancer's probe) makes it."""
    headers = {"Authorization": f"Bearer {s.admin_key}"} if key == "admin" else {}
    return requests.get(s.url + path, headers=headers, timeout=5)


def test_sigterm_drains_before_the_listener_closes(start_server):
    s = start_server(env={"KARTOTEKA_DRAIN": "2500"})
    p = phone()
    assert s.post("/v1/customers", {"source": src(), "profile": {"phone": p}}).status_code == 201
    assert fresh(s, "/readyz", key=None).status_code == 200
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    r = fresh(s, "/readyz", key=None)
    assert r.status_code == 503 and r.json() == {"status": "draining"}
    r = fresh(s, "/v1/customers?phone=" + p.replace("+", "%2B"))
    assert r.status_code == 200 and r.json()["items"][0]["profile"]["phone"] == p
    assert r.headers["Connection"].lower() == "close"  # kept-alive clients move on
    r = requests.post(s.url + "/v1/customers", timeout=5,
                      headers={"Authorization": f"Bearer {s.admin_key}"},
                      json={"source": src(), "profile": {"phone": phone()}})
    assert r.status_code == 201  # writes too
    assert s.proc.poll() is None
    s.proc.wait(timeout=30)
    assert 2.5 <= time.monotonic() - t0 < 15
    log = s.stop()
    assert "event=drained ms=2500" in log and "unfinished_requests=0" in log


def test_a_second_signal_ends_the_drain(start_server):
    s = start_server(env={"KARTOTEKA_DRAIN": "60000"})
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    assert fresh(s, "/readyz", key=None).status_code == 503
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    s.proc.wait(timeout=30)
    assert time.monotonic() - t0 < 5
    assert "event=drain_cut_short signal=SIGTERM" in s.stop()


def test_sigint_skips_the_drain(start_server):
    s = start_server(env={"KARTOTEKA_DRAIN": "60000"})
    t0 = time.monotonic()
    s.proc.send_signal(signal.SIGINT)
    s.proc.wait(timeout=30)
    assert time.monotonic() - t0 < 5
    assert "drain_ms=0" in s.stop()
