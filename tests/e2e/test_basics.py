"""The server's plumbing: health, readiness, metrics, request ids, routing errors, the API
description, and logs that never carry personal data."""
import json
import pathlib
import re

from conftest import ROOT, phone, src


def test_healthz_and_readyz_need_no_key(server):
    r = server.get("/healthz", key=None)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = server.get("/readyz", key=None)
    assert r.status_code == 200 and r.json() == {"status": "ready"}


def test_request_id_is_echoed_or_made(server):
    r = server.get("/healthz", key=None, headers={"X-Request-Id": "pos-17.abc_1"})
    assert r.headers["X-Request-Id"] == "pos-17.abc_1"
    r = server.get("/healthz", key=None, headers={"X-Request-Id": "bad id with spaces"})
    assert re.fullmatch(r"[0-9a-f]{16}", r.headers["X-Request-Id"])
    r = server.get("/v1/nothing")
    assert r.json()["error"]["request_id"] == r.headers["X-Request-Id"]


def test_unknown_route_and_wrong_method_are_json_errors(server):
    r = server.get("/v1/nothing")
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/json"
    assert r.json()["error"]["code"] == "not_found"
    r = server.request("DELETE", "/v1/customers")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert r.headers["Allow"] == "GET, POST"


def test_replies_are_not_cached(server):
    r = server.get("/v1/attributes")
    assert r.headers["Cache-Control"] == "no-store"


def test_openapi_is_served_as_kept_in_the_repository(server):
    r = server.get("/v1/openapi.json", key=None)
    assert r.status_code == 200
    assert r.json() == json.loads((ROOT / "docs" / "openapi.json").read_text())


def test_metrics_count_by_route_and_status(server):
    server.post("/v1/customers", {"source": src(), "profile": {"phone": phone()}})
    server.get("/v1/customers/c_0000000000000000000a")
    text = server.get("/metrics", key=None).text
    assert re.search(r'kartoteka_http_requests_total\{route="/v1/customers",method="POST",'
                     r'status="201"\} [1-9]', text)
    assert re.search(r'kartoteka_http_requests_total\{route="/v1/customers/\{id\}",'
                     r'method="GET",status="404"\} [1-9]', text)
    assert re.search(r'kartoteka_http_request_duration_seconds_bucket\{route="/v1/customers",'
                     r'method="POST",le="\+Inf"\} [1-9]', text)
    assert "kartoteka_db_seconds_count" in text
    assert "kartoteka_http_requests_in_flight" in text


def test_logs_hold_no_personal_data(server):
    p = phone()
    body = {"source": src(), "profile": {"phone": p, "first_name": "Синтетия",
                                        "email": "synthetic.person@example.com",
                                        "address": "Тестовая улица, 1"}}
    r = server.post("/v1/customers", body)
    assert r.status_code == 201
    server.get(f"/v1/customers?phone={p}")
    server.post("/v1/customers", {"source": src(), "profile": {"phone": "not-" + p}})
    log = server.stderr()
    assert "event=request" in log
    for secret in (p, p[1:], "Синтетия", "synthetic.person", "Тестовая"):
        assert secret not in log
    # Every request is logged with its route pattern and request id, never its path or query.
    assert 'route="/v1/customers"' in log
    assert f"rid={r.headers['X-Request-Id']} " in log
    assert "?phone" not in log


def test_every_command_has_help(server):
    import subprocess
    from conftest import BIN
    for args in (["--help"], ["serve", "--help"], ["migrate", "--help"], ["keys", "--help"]):
        r = subprocess.run([BIN, *args], capture_output=True, text=True)
        assert r.returncode == 0 and "usage: kartoteka" in r.stdout, args
    r = subprocess.run([BIN, "serve", "--bogus"], capture_output=True, text=True)
    assert r.returncode == 2 and "--help" in r.stderr
    r = subprocess.run([BIN, "frobnicate"], capture_output=True, text=True)
    assert r.returncode == 2


def test_operator_verbs_take_the_flags_their_help_lists(tmp_path):
    """keys and migrate read their own flags and environment, not serve's (docs/house.md,
    part 4): a serve flag is bad usage there, a serve variable is not theirs to check."""
    import os
    import subprocess
    from conftest import BIN, db_arg
    db = db_arg(tmp_path / "v.db")
    for args in (["keys", "list", "--threads", "4"], ["migrate", "--listen", "127.0.0.1:0"],
                 ["serve", "--status"]):
        r = subprocess.run([BIN, *args, "--db", db], capture_output=True, text=True)
        assert r.returncode == 2 and f"kartoteka {args[0]}: unknown" in r.stderr, args
    env = dict(os.environ, KARTOTEKA_SMS_URL="ftp://not-a-gateway", KARTOTEKA_THREADS="many")
    r = subprocess.run([BIN, "migrate", "--db", db, "--status"], capture_output=True, text=True,
                       env=env)
    assert r.returncode == 0 and "schema version 0 of" in r.stdout
    r = subprocess.run([BIN, "keys", "create", "--scope", "pos", "--name", "till",
                        "--secret-file", str(tmp_path / "s.secret"), "--db", db],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0 and r.stdout.startswith("kt_")
    assert (tmp_path / "s.secret").exists() and not (tmp_path / "v.db.secret").exists()
    # The blind indexes are keyed by the secret: without it the database does not open, and the
    # failed attempt leaves no new secret behind.
    r = subprocess.run([BIN, "keys", "list", "--db", db], capture_output=True, text=True, env=env)
    assert r.returncode == 1 and "secret" in r.stderr
    assert not (tmp_path / "v.db.secret").exists()
    r = subprocess.run([BIN, "keys", "list", "--db", db, "--secret-file", str(tmp_path / "s.secret")],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "till" in r.stdout


def test_an_announced_huge_body_is_refused_before_it_is_sent(server):
    import socket
    host, port = server.url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("POST /v1/customers HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {server.admin_key}\r\n"
                      "Content-Type: application/json\r\nContent-Length: 104857600\r\n"
                      "Expect: 100-continue\r\n\r\n").encode())
        reply = sock.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    assert b'"body_too_large"' in reply
