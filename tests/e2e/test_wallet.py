"""Wallet cards (issue 18, part 4; docs/wallet.md) end to end, against keys the test makes itself:
a test CA standing in for Apple's WWDR, a pass certificate it signs, a Google service account's
key, and an APNs receiver on loopback (the server's `apns_url`). Covered: the API's wallet route
(serial, links, no_card, wallet_off); the .pkpass (files, manifest hashes, pass.json's fields and
what it leaves out, the CMS signature checked by `openssl smime -verify`); the Google save link
(the JWT's claims and RS256 signature); sealed link tokens; Apple's web service for passes
(register, list, fetch with Last-Modified, log, unregister); the refresh job pushing to APNs
when the points change (earned, or held as pending), and a 410 dropping the registration; the
reads in the audit log; an erasure ending the pass; a configuration refused at start with its
field named; the icons drawn for a retailer who gave none."""
import base64
import datetime
import hashlib
import http.server
import io
import json
import secrets
import shutil
import struct
import subprocess
import threading
import time
import zipfile
import zlib

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import BIN, Server, audit_entries, phone, src
from peers import wait_for

OPENSSL = shutil.which("openssl", path="/usr/bin") or "openssl"
PASS_TYPE = "pass.ru.example.loyalty"
TEAM = "ABCDE12345"
ISSUER = "3388000000012345678"
CLASS = "loyalty"
SA_EMAIL = "kt-test@example.iam.gserviceaccount.com"
ORG, DESCRIPTION = "Ромашка (тест)", "Карта «Ромашка»"
TV = {"sku": "TV", "quantity": 1, "price": 100000, "amount": 100000}  # 10%: 100 points


# --- what the test makes: keys, certificates, images, the config -----------------------------

def _pem(key, pkcs8=True):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8 if pkcs8
                             else serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def _cert(subject, issuer, key, signer, ca):
    now = datetime.datetime.now(datetime.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=30))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                      key_encipherment=not ca, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False))
    if not ca:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                            critical=False)
    return b.sign(signer, hashes.SHA256())


def png(w, h, rgb):
    """A plain w x h RGB PNG."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


IMAGES = {"icon.png": png(29, 29, (200, 30, 30)), "icon@2x.png": png(58, 58, (200, 30, 30)),
          "logo.png": png(160, 50, (20, 20, 120))}


def make_wallet_files(d, apns_url):
    """Writes into folder `d` the test CA (wwdr.pem, also the trust anchor of the checks), the
    pass certificate it signs (pass.pem, RSA 2048) with its unencrypted key (pass.key, 0600), the
    images, a Google service account (google-sa.json) and the config (wallet.json, paths relative
    to it). Returns the config's path and the service account's public key."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Kartoteka Test WWDR CA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kartoteka tests")])
    ca = _cert(ca_name, ca_name, ca_key, ca_key, ca=True)
    pass_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.USER_ID, PASS_TYPE),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"Pass Type ID: {PASS_TYPE}"),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEAM),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Romashka Test LLC"),
                         x509.NameAttribute(NameOID.COUNTRY_NAME, "RU")])
    leaf = _cert(subject, ca_name, pass_key, ca_key, ca=False)
    (d / "wwdr.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (d / "pass.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (d / "pass.key").touch(mode=0o600)
    (d / "pass.key").write_bytes(_pem(pass_key))
    (d / "pass-images").mkdir()
    for name, data in IMAGES.items():
        (d / "pass-images" / name).write_bytes(data)
    (d / "pass-images" / "notes.txt").write_text("not a PNG: stays out of the pass\n")
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (d / "google-sa.json").touch(mode=0o600)
    (d / "google-sa.json").write_text(json.dumps({
        "type": "service_account", "client_email": SA_EMAIL,
        "private_key": _pem(sa_key).decode()}))
    cfg = d / "wallet.json"
    cfg.write_text(json.dumps({
        "organization": ORG, "description": DESCRIPTION,
        "apple": {"pass_type_id": PASS_TYPE, "team_id": TEAM, "certificate": "pass.pem",
                  "key": "pass.key", "wwdr": "wwdr.pem", "images": "pass-images",
                  "apns_url": apns_url},
        "google": {"issuer_id": ISSUER, "class_id": CLASS, "service_account": "google-sa.json"},
    }, ensure_ascii=False), encoding="utf-8")
    return cfg, sa_key.public_key()


class Apns:
    """APNs on loopback: keeps each request's method, path, headers (lower-case names) and body;
    answers 200, or 410 Unregistered to a push token in `gone`."""

    def __init__(self):
        self.got, self.gone, self.lock = [], set(), threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.got.append({"method": self.command, "path": self.path, "body": body,
                                      "headers": {k.lower(): v for k, v in self.headers.items()}})
                    gone = self.path.rsplit("/", 1)[-1] in outer.gone
                out = json.dumps({"reason": "Unregistered",
                                  "timestamp": int(time.time() * 1000)}).encode() if gone else b""
                self.send_response(410 if gone else 200)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_PUT = do_DELETE = do_POST

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def to(self, token):
        with self.lock:
            return [g for g in self.got if g["path"] == f"/3/device/{token}"]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# --- fixtures and helpers -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def apns():
    a = Apns()
    yield a
    a.stop()


@pytest.fixture(scope="module")
def kit(tmp_path_factory, apns):
    d = tmp_path_factory.mktemp("wallet-keys")
    cfg, sa_public = make_wallet_files(d, apns.url)
    return {"dir": d, "config": cfg, "ca": d / "wwdr.pem", "sa_public": sa_public}


@pytest.fixture(scope="module")
def srv(tmp_path_factory, kit):
    s = Server(tmp_path_factory.mktemp("wallet"), ["--wallet", str(kit["config"])])
    assert s.put("/v1/privacy/settings", {"consent_policy": "pending"}).status_code == 200
    assert s.put("/v1/loyalty/program", {"earn": {"percent_bp": 1000}, "hold_days": 0}
                 ).status_code == 200
    yield s
    s.stop()


@pytest.fixture(scope="module")
def public(srv):
    """public_url set to the server itself, so the pass's web service is this server's /wallet."""
    assert srv.put("/v1/privacy/settings", {"public_url": srv.url}).status_code == 200
    return srv.url


def enrol(s):
    p = phone()
    r = s.post("/v1/pos/enroll", {"phone": p, "send_code": False})
    assert r.status_code == 201, r.text
    return r.json()["customer_id"], r.json()["card"]["number"], p


def wallet(s, cid, **kw):
    r = s.get(f"/v1/customers/{cid}/wallet", **kw)
    assert r.status_code == 200, r.text
    return r.json()


def points(s, cid):
    return s.get(f"/v1/customers/{cid}/points").json()


def unzip(r):
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type", "").startswith("application/vnd.apple.pkpass")
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        return {n: z.read(n) for n in z.namelist()}


def pass_json(files):
    return json.loads(files["pass.json"])


def balance(pj):
    """(points, pending) as the pass shows them: storeCard's primaryFields[0] `points` and the
    secondaryFields' `pending`."""
    card = pj["storeCard"]
    assert card["primaryFields"][0]["key"] == "points"
    pending = [f["value"] for f in card.get("secondaryFields", []) if f["key"] == "pending"]
    assert len(pending) == 1, card
    return card["primaryFields"][0]["value"], pending[0]


def altered(path):
    """The link with one character of its token changed (mid-token: every bit of it counts)."""
    token = path.split("/")[2]
    i = len(token) // 2
    return path.replace(token, token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:])


def ws(s, method, path, token=None, **kw):
    """A call of Apple's web service for passes under public_url + /wallet."""
    headers = dict(kw.pop("headers", None) or {})
    if token:
        headers["Authorization"] = f"ApplePass {token}"
    return s.request(method, "/wallet/v1" + path, key=None, headers=headers, **kw)


def listing(s, device, since=None):
    q = f"?passesUpdatedSince={since}" if since is not None else ""
    return ws(s, "GET", f"/devices/{device}/registrations/{PASS_TYPE}{q}")


def register(s, d):
    """A new device registered on pass `d`: (its library identifier, its push token)."""
    device, push = secrets.token_hex(16), secrets.token_hex(32)
    r = ws(s, "POST", f"/devices/{device}/registrations/{PASS_TYPE}/{d['serial']}", d["token"],
           json={"pushToken": push})
    assert r.status_code == 201, r.text
    return device, push


def with_device(s):
    """A fresh customer with a card, her pass fetched and one device registered on it."""
    cid, number, _ = enrol(s)
    w = wallet(s, cid)
    pj = pass_json(unzip(s.get(w["apple"]["path"], key=None)))
    d = {"cid": cid, "number": number, "serial": w["serial"], "pass": pj,
         "token": pj["authenticationToken"]}
    d["device"], d["push"] = register(s, d)
    return d


def fetch_pass(s, d):
    return pass_json(unzip(ws(s, "GET", f"/passes/{PASS_TYPE}/{d['serial']}", d["token"])))


def buy(s, cid, receipt):
    r = s.post("/v1/purchases", {"store": "S-1", "receipt": receipt, "customer": {"id": cid},
                                 "lines": [TV]})
    assert r.status_code == 201, r.text
    assert r.json()["points"]["earned"] == 100
    return r.json()


def run_due(s):
    r = s.post("/v1/loyalty/run-due")
    assert r.status_code == 200, r.text


def b64url(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# --- the tests ----------------------------------------------------------------------------------

def test_the_wallet_route_gives_a_serial_and_both_links_and_urls_once_public_url_is_set(srv):
    cid, _, _ = enrol(srv)
    w = wallet(srv, cid)
    assert w["customer_id"] == cid and w["devices"] == 0
    assert isinstance(w["serial"], str) and len(w["serial"]) >= 16 and cid not in w["serial"]
    for part, kind in (("apple", "apple"), ("google", "google")):
        assert w[part]["path"].startswith("/w/") and w[part]["path"].endswith(f"/{kind}")
        assert "url" not in w[part]  # no public_url yet
    assert srv.put("/v1/privacy/settings", {"public_url": srv.url}).status_code == 200
    again = wallet(srv, cid, key=srv.new_key("pos"))
    assert again["serial"] == w["serial"]  # one pass per customer
    for part in ("apple", "google"):
        assert again[part]["url"] == srv.url + again[part]["path"]
    # No card, unknown customer.
    r = srv.post("/v1/customers", {"source": src("pos"), "profile": {"phone": phone()}})
    assert r.status_code == 201, r.text
    r = srv.get(f"/v1/customers/{r.json()['customer']['id']}/wallet")
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_card"
    r = srv.get("/v1/customers/c_0000000000000000000a/wallet")
    assert r.status_code == 404 and r.json()["error"]["code"] == "customer_not_found"


def test_a_server_without_a_wallet_config_answers_wallet_off(server):
    cid, _, _ = enrol(server)
    r = server.get(f"/v1/customers/{cid}/wallet")
    assert r.status_code == 404 and r.json()["error"]["code"] == "wallet_off"
    assert server.get("/w/anything/apple", key=None).status_code == 404
    assert server.post("/wallet/v1/log", {"logs": ["x"]}, key=None).status_code == 404


def test_the_pkpass_holds_signed_hashes_of_its_files_and_only_the_card_and_balance(
        srv, kit, public, tmp_path):
    cid, number, p = enrol(srv)
    first, last = "Ксения", "Тестова"
    assert srv.patch(f"/v1/customers/{cid}", {"source": src("pos"), "profile": {
        "first_name": first, "last_name": last}}).status_code == 200
    assert srv.post(f"/v1/customers/{cid}/points/adjustments",
                    {"points": 42, "reason": "тест"}).status_code == 200
    w = wallet(srv, cid)
    files = unzip(srv.get(w["apple"]["path"], key=None))
    assert set(files) == {"pass.json", "manifest.json", "signature", *IMAGES}
    assert all(files[n] == data for n, data in IMAGES.items())
    manifest = json.loads(files["manifest.json"])
    assert manifest == {n: hashlib.sha1(b).hexdigest() for n, b in files.items()
                        if n not in ("manifest.json", "signature")}
    pj = pass_json(files)
    assert pj["formatVersion"] == 1 and pj["passTypeIdentifier"] == PASS_TYPE
    assert pj["teamIdentifier"] == TEAM and pj["serialNumber"] == w["serial"]
    assert (pj["organizationName"], pj["description"]) == (ORG, DESCRIPTION)
    assert isinstance(pj["authenticationToken"], str) and len(pj["authenticationToken"]) >= 16
    assert pj["webServiceURL"] == public + "/wallet"
    code = pj["barcodes"][0]
    assert code["format"] == "PKBarcodeFormatCode128" and code["message"] == number
    assert code.get("altText") == number
    bal = points(srv, cid)
    assert balance(pj) == (bal["available"], bal["pending"]) and bal["available"] >= 42
    text = json.dumps(pj, ensure_ascii=False)
    for secret in (p, p[-10:], first, last, cid):
        assert secret not in text, secret
    # The signature: a detached CMS over manifest.json, by the pass certificate, chained to WWDR.
    for n in ("manifest.json", "signature"):
        (tmp_path / n).write_bytes(files[n])

    def verify(content):
        return subprocess.run([OPENSSL, "smime", "-verify", "-binary", "-inform", "DER", "-in",
                               str(tmp_path / "signature"), "-content", str(content), "-CAfile",
                               str(kit["ca"]), "-purpose", "any", "-out", "/dev/null"],
                              capture_output=True, text=True, timeout=60)

    ok = verify(tmp_path / "manifest.json")
    assert ok.returncode == 0, ok.stderr
    bad = bytearray(files["manifest.json"])
    bad[len(bad) // 2] ^= 0x01
    (tmp_path / "altered.json").write_bytes(bytes(bad))
    assert verify(tmp_path / "altered.json").returncode != 0
    certs = subprocess.run([OPENSSL, "pkcs7", "-inform", "DER", "-in", str(tmp_path / "signature"),
                            "-print_certs", "-noout"], capture_output=True, text=True, timeout=60)
    assert f"Pass Type ID: {PASS_TYPE}" in certs.stdout and "Test WWDR CA" in certs.stdout
    attrs = subprocess.run([OPENSSL, "cms", "-cmsout", "-print", "-inform", "DER", "-in",
                            str(tmp_path / "signature")], capture_output=True, text=True,
                           timeout=60)
    assert "signingTime" in attrs.stdout, attrs.stdout[-2000:]


def test_the_google_link_redirects_to_a_save_jwt_signed_with_the_service_account(
        srv, kit, public):
    cid, number, _ = enrol(srv)
    assert srv.post(f"/v1/customers/{cid}/points/adjustments",
                    {"points": 17, "reason": "тест"}).status_code == 200
    w = wallet(srv, cid)
    r = srv.get(w["google"]["path"], key=None, allow_redirects=False)
    assert r.status_code == 302, r.text
    prefix = "https://pay.google.com/gp/v/save/"
    assert r.headers["Location"].startswith(prefix)
    jwt = r.headers["Location"][len(prefix):]
    h, c, sig = jwt.split(".")
    assert json.loads(b64url(h)) == {"alg": "RS256", "typ": "JWT"}
    claims = json.loads(b64url(c))
    assert (claims["iss"], claims["aud"], claims["typ"]) == (SA_EMAIL, "google", "savetowallet")
    assert abs(claims["iat"] - time.time()) < 300 and claims["origins"] == [public]
    obj = claims["payload"]["loyaltyObjects"][0]
    assert obj["id"] == f"{ISSUER}.{w['serial']}" and obj["classId"] == f"{ISSUER}.{CLASS}"
    assert obj["state"] == "ACTIVE" and obj["accountId"] == number
    assert obj["loyaltyPoints"]["balance"]["int"] == points(srv, cid)["available"] >= 17
    assert (obj["barcode"]["type"], obj["barcode"]["value"]) == ("EAN_13", number)
    key = kit["sa_public"]
    key.verify(b64url(sig), f"{h}.{c}".encode(), padding.PKCS1v15(), hashes.SHA256())
    obj["loyaltyPoints"]["balance"]["int"] = 100000
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidSignature):
        key.verify(b64url(sig), f"{h}.{forged}".encode(), padding.PKCS1v15(), hashes.SHA256())


def test_a_bad_or_altered_link_token_is_not_found(srv, public):
    cid, _, _ = enrol(srv)
    w = wallet(srv, cid)
    for kind in ("apple", "google"):
        path = w[kind]["path"]
        for bad in (altered(path), f"/w/nonsense/{kind}", path.replace("/w/", "/w/x", 1)):
            r = srv.get(bad, key=None, allow_redirects=False)
            assert r.status_code == 404, (bad, r.status_code)


def test_apples_web_service_registers_lists_serves_the_pass_and_takes_logs(srv, public):
    d = with_device(srv)
    path = f"/devices/{d['device']}/registrations/{PASS_TYPE}/{d['serial']}"
    again = ws(srv, "POST", path, d["token"], json={"pushToken": d["push"]})
    assert again.status_code == 200, again.text
    i = len(d["token"]) // 2
    wrong = d["token"][:i] + ("0" if d["token"][i] != "0" else "1") + d["token"][i + 1:]
    for tok in (wrong, None):
        assert ws(srv, "POST", path, tok, json={"pushToken": d["push"]}).status_code == 401
        assert ws(srv, "GET", f"/passes/{PASS_TYPE}/{d['serial']}", tok).status_code == 401
    assert wallet(srv, d["cid"])["devices"] == 1
    r = listing(srv, d["device"])
    assert r.status_code == 200, r.text
    assert r.json()["serialNumbers"] == [d["serial"]]
    tag = r.json()["lastUpdated"]
    assert int(tag) > 0
    assert listing(srv, d["device"], since=tag).status_code == 204
    assert listing(srv, secrets.token_hex(16)).status_code == 204  # a device with nothing
    r = ws(srv, "GET", f"/passes/{PASS_TYPE}/{d['serial']}", d["token"])
    assert pass_json(unzip(r))["serialNumber"] == d["serial"]
    modified = r.headers["Last-Modified"]
    r = ws(srv, "GET", f"/passes/{PASS_TYPE}/{d['serial']}", d["token"],
           headers={"If-Modified-Since": modified})
    assert r.status_code == 304 and not r.content
    r = ws(srv, "POST", "/log", json={"logs": ["[2026-01-10] Web service error: test"]})
    assert r.status_code == 200, r.text


def test_points_earned_push_the_pass_once_and_the_device_then_gets_the_new_balance(
        srv, apns, public):
    d = with_device(srv)
    old = listing(srv, d["device"]).json()["lastUpdated"]
    before = balance(d["pass"])
    bought = buy(srv, d["cid"], f"W-{d['serial'][-12:]}")
    run_due(srv)
    wait_for(lambda: apns.to(d["push"]), 10, "the push to APNs")
    push = apns.to(d["push"])[0]
    assert push["method"] == "POST" and push["headers"]["apns-topic"] == PASS_TYPE
    assert json.loads(push["body"]) == {}
    r = listing(srv, d["device"], since=old)
    assert r.status_code == 200 and r.json()["serialNumbers"] == [d["serial"]]
    assert int(r.json()["lastUpdated"]) > int(old)
    after = balance(fetch_pass(srv, d))
    assert after != before and after[0] == bought["points"]["available"] == before[0] + 100
    # Nothing changed since: the next run pushes nothing.
    n = len(apns.got)
    run_due(srv)
    time.sleep(0.3)  # a push, were one made, would have come in this time
    assert len(apns.got) == n and len(apns.to(d["push"])) == 1


def test_points_held_as_pending_push_too_and_a_410_drops_that_registration(srv, apns, public):
    r = srv.put("/v1/loyalty/program", {"earn": {"percent_bp": 1000}, "hold_days": 14})
    assert r.status_code == 200, r.text
    try:
        d = with_device(srv)
        apns.gone.add(d["push"])
        before = balance(d["pass"])
        kept, kept_push = register(srv, d)
        assert wallet(srv, d["cid"])["devices"] == 2
        tag = listing(srv, kept).json()["lastUpdated"]
        buy(srv, d["cid"], f"H-{d['serial'][-12:]}")
        run_due(srv)
        wait_for(lambda: apns.to(d["push"]) and apns.to(kept_push), 10, "both pushes")
        wait_for(lambda: listing(srv, d["device"]).status_code == 204, 10,
                 "the registration answered 410 dropped")
        assert wallet(srv, d["cid"])["devices"] == 1
        r = listing(srv, kept, since=tag)
        assert r.status_code == 200 and r.json()["serialNumbers"] == [d["serial"]]
        bal = points(srv, d["cid"])
        after = balance(fetch_pass(srv, d))
        assert after == (bal["available"], bal["pending"]) == (before[0], before[1] + 100)
    finally:
        assert srv.put("/v1/loyalty/program", {"earn": {"percent_bp": 1000}, "hold_days": 0}
                       ).status_code == 200


def test_unregistering_a_device_leaves_it_nothing_to_list(srv, public):
    d = with_device(srv)
    path = f"/devices/{d['device']}/registrations/{PASS_TYPE}/{d['serial']}"
    assert ws(srv, "DELETE", path, "0" * len(d["token"])).status_code == 401
    assert listing(srv, d["device"]).status_code == 200
    r = ws(srv, "DELETE", path, d["token"])
    assert r.status_code == 200, r.text
    assert listing(srv, d["device"]).status_code == 204
    assert wallet(srv, d["cid"])["devices"] == 0


def test_each_read_of_a_pass_is_in_the_audit_log_without_a_key(srv, public):
    d = with_device(srv)
    fetch_pass(srv, d)
    reads = [e for e in audit_entries(srv, customer_id=d["cid"]) if e["action"] == "read"]
    keyless = [e for e in reads if e["key_id"] is None]
    assert len(keyless) >= 2, reads  # the link's pass and the web service's
    assert all({"cards", "points"} <= set(e["fields"].split(",")) for e in keyless), keyless
    staff = [e for e in reads if e["key_id"] is not None and e["detail"] and "wallet" in e["detail"]]
    assert staff, reads  # GET /v1/customers/{id}/wallet


def test_an_erasure_ends_the_pass_and_its_registrations(srv, public):
    d = with_device(srv)
    r = srv.post(f"/v1/customers/{d['cid']}/erase", {"operator": "dpo-1"})
    assert r.status_code == 200, r.text
    assert "wallet_pass" in r.json()["act"]["categories"]
    assert ws(srv, "GET", f"/passes/{PASS_TYPE}/{d['serial']}", d["token"]).status_code == 401
    assert listing(srv, d["device"]).status_code == 204
    path = f"/devices/{d['device']}/registrations/{PASS_TYPE}/{d['serial']}"
    assert ws(srv, "POST", path, d["token"], json={"pushToken": d["push"]}).status_code == 401
    assert srv.rows("SELECT count(*) FROM wallet_passes p JOIN customers c ON c.ck = p.ck "
                    "WHERE c.id = ?", (d["cid"],))[0][0] == 0


def test_a_configuration_that_cannot_be_used_stops_the_server_naming_the_field(kit, tmp_path):
    cfg = json.loads(kit["config"].read_text(encoding="utf-8"))
    d = kit["dir"]
    cases = {
        # the key of another certificate: every phone would refuse the pass
        "wallet.apple.key": dict(cfg, apple=dict(cfg["apple"], key="google-key.pem")),
        "wallet.apple.certificate": dict(cfg, apple=dict(cfg["apple"], certificate="nowhere.pem")),
        "wallet.google.issuer_id": dict(cfg, google=dict(cfg["google"], issuer_id="abc")),
        # a certificate of another pass type: its UID is not the pass_type_id
        "wallet.apple.certificate ": dict(cfg, apple=dict(cfg["apple"], pass_type_id="pass.other")),
        "wallet.organization": {k: v for k, v in cfg.items() if k != "organization"},
    }
    (d / "google-key.pem").write_text(json.loads((d / "google-sa.json").read_text())["private_key"])
    # a good file, and a flag refused after it: the server says so and leaks nothing (ASan)
    r = subprocess.run([BIN, "serve", "--db", str(tmp_path / "k.db"), "--wallet",
                        str(kit["config"]), "--track-user-system", "BAD!"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "LeakSanitizer" not in r.stderr, r.stderr[-2000:]
    for field, bad in cases.items():
        path = d / f"bad-{field}.json"
        path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
        r = subprocess.run([BIN, "serve", "--db", str(tmp_path / "k.db"), "--listen",
                            "127.0.0.1:0", "--wallet", str(path)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, (field, r.returncode, r.stderr[-2000:])
        assert field.strip() in r.stderr, (field, r.stderr[-2000:])


def test_a_retailer_without_images_gets_the_icons_wallet_requires(kit, tmp_path):
    cfg = json.loads(kit["config"].read_text(encoding="utf-8"))
    del cfg["apple"]["images"]
    path = kit["dir"] / "no-images.json"
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    s = Server(tmp_path, ["--wallet", str(path)])
    try:
        cid, _, _ = enrol(s)
        files = unzip(s.get(wallet(s, cid)["apple"]["path"], key=None))
        assert set(files) == {"pass.json", "manifest.json", "signature", "icon.png", "icon@2x.png"}
        for name, side in (("icon.png", 29), ("icon@2x.png", 58)):
            png_ = files[name]
            assert png_[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">II", png_[16:24]) == (side, side)
    finally:
        s.stop()


def test_the_cli_writes_her_pass_and_prints_her_link_with_the_read_logged(srv, kit, public,
                                                                          tmp_path):
    cid, number, _ = enrol(srv)
    serial = wallet(srv, cid)["serial"]
    out = tmp_path / "card.pkpass"
    r = srv.cli("wallet", "pass", cid, "--wallet", str(kit["config"]), "--out", str(out))
    assert f"serial {serial}" in r.stdout and "google: https://pay.google.com/gp/v/save/" in r.stdout
    with zipfile.ZipFile(out) as z:
        pj = json.loads(z.read("pass.json"))
    assert pj["serialNumber"] == serial and pj["barcodes"][0]["message"] == number
    reads = [e for e in audit_entries(srv, customer_id=cid)
             if e["action"] == "read" and e["detail"] and "kartoteka wallet pass" in e["detail"]]
    assert len(reads) == 1 and reads[0]["fields"] == "cards,points"
    bad = srv.cli("wallet", "pass", "c_0000000000000000000a", "--wallet", str(kit["config"]),
                  "--out", str(tmp_path / "none.pkpass"), check=False)
    assert bad.returncode == 1 and "no live customer" in bad.stderr
    assert not (tmp_path / "none.pkpass").exists()


def test_a_message_carries_her_wallet_links_which_open_her_pass(srv, public):
    cid, number, _ = enrol(srv)
    tpl = {"channel": "sms", "text": "Карта в телефоне: {{wallet.apple}} или {{wallet.google}}"}
    assert srv.put("/v1/templates/wallet-sms", tpl).status_code in (200, 201)
    r = srv.post("/v1/templates/wallet-sms/preview", {"customer_id": cid})
    assert r.status_code == 200, r.text
    assert r.json()["warnings"] == []  # wallet.* are names a template may use
    text = r.json()["parts"]["text"]
    apple, google = text.split(": ", 1)[1].split(" или ")
    assert apple.startswith(public + "/w/") and apple.endswith("/apple")
    assert google.startswith(public + "/w/") and google.endswith("/google")
    files = unzip(srv.get(apple[len(public):], key=None))
    assert pass_json(files)["barcodes"][0]["message"] == number


def test_passes_changed_in_one_run_get_tags_each_past_the_last(srv, apns, public):
    """A device that lists between two pushes of one run must still be told of the second."""
    one, two = with_device(srv), with_device(srv)
    r = ws(srv, "POST", f"/devices/{one['device']}/registrations/{PASS_TYPE}/{two['serial']}",
           two["token"], json={"pushToken": one["push"]})
    assert r.status_code == 201, r.text  # one device, two passes
    for d in (one, two):
        buy(srv, d["cid"], f"T-{d['serial'][-12:]}")
    run_due(srv)
    tags = sorted(srv.rows("SELECT updated_at FROM wallet_passes WHERE serial IN (?, ?)",
                           (one["serial"], two["serial"])))
    first, second = tags[0][0], tags[1][0]
    assert first < second
    r = listing(srv, one["device"], since=first)
    assert r.status_code == 200 and len(r.json()["serialNumbers"]) == 1, r.text


def test_a_merged_customers_pass_shows_the_survivors_card_and_a_block_stops_it(srv, public):
    d = with_device(srv)
    survivor, number, _ = enrol(srv)
    r = srv.post(f"/v1/customers/{survivor}/merge", {"from": d["cid"]})
    assert r.status_code == 200, r.text
    shown = fetch_pass(srv, d)
    assert shown["serialNumber"] == d["serial"]
    assert {shown["barcodes"][0]["message"]} <= {number, d["number"]}  # her card went with her
    assert balance(shown) == (points(srv, survivor)["available"], points(srv, survivor)["pending"])
    rq = srv.post("/v1/privacy-requests", {"kind": "stop", "customer_id": survivor}).json()["id"]
    r = srv.post(f"/v1/customers/{survivor}/block",
                 {"reason": "subject_request", "privacy_request_id": rq})
    assert r.status_code in (200, 201), r.text
    r = ws(srv, "GET", f"/passes/{PASS_TYPE}/{d['serial']}", d["token"])
    assert r.status_code == 423 and r.json()["error"]["code"] == "customer_blocked"
