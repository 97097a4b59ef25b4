"""API keys and scopes: 401 without or with a wrong key, 403 outside the scope, and a collect key
that can write but never read."""
import pytest

from conftest import phone, src

pytestmark = pytest.mark.usefixtures("pending_policy")


def test_missing_wrong_and_revoked_keys_get_401(server):
    r = server.get("/v1/attributes", key=None)
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_key"
    r = server.get("/v1/attributes", key="kt_aaaaaaaaaaaa_" + "b" * 32)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_key"
    r = server.get("/v1/attributes", key="not-a-key")
    assert r.status_code == 401
    k = server.new_key("pos")
    assert server.get("/v1/attributes", key=k).status_code == 200
    key_id = k.split("_")[1]
    server.cli("keys", "revoke", key_id)
    assert server.get("/v1/attributes", key=k).status_code == 401
    listing = server.cli("keys", "list").stdout
    assert key_id in listing and "pos" in listing
    assert k.split("_")[2] not in listing  # the secret part is never shown again


def test_pos_scope(server):
    k = server.new_key("pos")
    p = phone()
    r = server.post("/v1/customers", {"source": src(), "profile": {"phone": p}}, key=k)
    assert r.status_code == 201
    cid = r.json()["customer"]["id"]
    assert server.get(f"/v1/customers/{cid}", key=k).status_code == 200
    assert server.get(f"/v1/customers?phone={p}", key=k).json()["items"][0]["id"] == cid
    assert server.get("/v1/customers", key=k).status_code == 403  # the whole list: admin only
    assert server.get(f"/v1/customers/{cid}/history", key=k).status_code == 403
    r = server.post(f"/v1/customers/{cid}/merge", {"from": cid}, key=k)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert server.put("/v1/attributes/x1", {"type": "string"}, key=k).status_code == 403


def test_collect_key_writes_but_never_reads(server):
    k = server.new_key("collect")
    p = phone()
    body = {"source": src("qr_form"), "profile": {"phone": p, "first_name": "Ольга"}}
    r = server.post("/v1/customers", body, key=k)
    assert r.status_code == 202
    first = r.json()
    # Not the profile, not the id, not "created": only what cleaning made of its own values.
    assert set(first) == {"accepted", "warnings"} and first["accepted"] is True
    assert first["warnings"] == [{"code": "inferred", "field": "profile.gender",
                                  "detail": "first_name"}]
    r = server.post("/v1/customers", body, key=k)
    assert r.json() == first  # the same answer for a customer that exists
    found = server.get(f"/v1/customers?phone={p}").json()["items"]
    assert len(found) == 1 and found[0]["profile"]["first_name"] == "Ольга"
    cid = found[0]["id"]
    for path in (f"/v1/customers/{cid}", f"/v1/customers?phone={p}", "/v1/customers",
                 f"/v1/customers/{cid}/history"):
        r = server.get(path, key=k)
        assert r.status_code == 403, path
        assert r.json()["error"]["code"] == "forbidden"
    assert server.patch(f"/v1/customers/{cid}", {"source": src("web")}, key=k).status_code == 403
    # A collect key may not pretend to be a cash desk or to have verified anything.
    r = server.post("/v1/customers", {"source": src("pos"), "profile": {"phone": p}}, key=k)
    assert r.status_code == 422 and r.json()["error"]["code"] == "channel_not_allowed"
    r = server.post("/v1/customers", {"source": src("web"), "profile": {"phone": p},
                                      "verified": ["phone"]}, key=k)
    assert r.status_code == 422 and r.json()["error"]["code"] == "verification_not_allowed"
    # Attribute declarations are readable: a form needs them to draw itself.
    assert server.get("/v1/attributes", key=k).status_code == 200
