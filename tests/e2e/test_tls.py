"""HTTPS (docs/operations.md, "TLS"): the server serves TLS 1.2 and 1.3 with a certificate the test
makes, sends HSTS, refuses plain HTTP on its TLS port, and will not start on an address beyond
loopback in clear unless told a proxy terminates TLS, nor with a certificate it cannot serve."""
import datetime
import os
import socket
import ssl
import subprocess

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import BIN, Server, db_arg


def make_cert(dir, name, days=(-1, 30), key=None):
    """A self-signed certificate for 127.0.0.1 and localhost valid from days[0] to days[1] from
    now; returns (cert path, key path)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    import ipaddress
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=days[0]))
            .not_valid_after(now + datetime.timedelta(days=days[1]))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = dir / f"{name}.crt", dir / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(key_path, 0o600)
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = make_cert(d, "server")
    srv = Server(d / "srv", ["--tls-cert", str(cert), "--tls-key", str(key)])
    srv.cert = cert
    yield srv
    srv.stop()


def test_https_serves_with_hsts(tls_server):
    assert tls_server.url.startswith("https://")
    r = tls_server.get("/healthz")
    assert r.status_code == 200
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
    r = tls_server.post("/v1/customers", {"source": {"channel": "pos"},
                                          "profile": {"phone": "+79161234567"}})
    assert r.status_code in (200, 201), r.text
    assert "Strict-Transport-Security" in r.headers
    # The first start's hint names the scheme the server speaks.
    assert "https://127.0.0.1:" in tls_server.stdout()
    assert "tls=on" in tls_server.stderr()


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_12_and_13(tls_server, version):
    ctx = ssl.create_default_context(cafile=str(tls_server.cert))
    ctx.minimum_version = ctx.maximum_version = version
    port = int(tls_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            assert s.version() == {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                                   ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert s.recv(64).startswith(b"HTTP/1.1 200")


def test_plain_http_on_the_tls_port_gets_nothing(tls_server):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(tls_server.url.replace("https://", "http://") + "/healthz", timeout=10)
    # An untrusted client (no anchor) cannot be fooled into trusting the server either.
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_server.url + "/healthz", timeout=10, verify=True)


def serve_fails(tmp_path, *args, env=None):
    """Runs serve expecting it to refuse to start; returns its standard error."""
    e = dict(os.environ, KARTOTEKA_DRAIN="0", **(env or {}))
    r = subprocess.run([BIN, "serve", "--db", db_arg(tmp_path / "k.db"), *args],
                       capture_output=True, text=True, timeout=60, env=e)
    assert r.returncode != 0, r.stderr
    return r.stderr


def test_beyond_loopback_needs_tls(tmp_path):
    err = serve_fails(tmp_path, "--listen", "0.0.0.0:0")
    assert "--tls-cert" in err and "--insecure-http" in err
    err = serve_fails(tmp_path, "--listen", "[::]:0")
    assert "--insecure-http" in err


def test_insecure_http_when_a_proxy_terminates_tls(tmp_path):
    srv = Server(tmp_path, ["--listen", "0.0.0.0:0", "--insecure-http"])
    try:
        assert "plain HTTP beyond loopback" in srv.stderr()
        r = srv.get("/healthz")
        assert r.status_code == 200 and "Strict-Transport-Security" not in r.headers
    finally:
        srv.stop()
    # The environment says the same.
    srv = Server(tmp_path / "env", ["--listen", "0.0.0.0:0"], env={"KARTOTEKA_INSECURE_HTTP": "1"})
    srv.stop()


def test_a_certificate_it_cannot_serve_refuses_to_start(tmp_path):
    cert, key = make_cert(tmp_path, "a")
    other_cert, other_key = make_cert(tmp_path, "b")
    err = serve_fails(tmp_path, "--tls-cert", str(cert), "--tls-key", str(other_key))
    assert "is not the key of the certificate" in err
    err = serve_fails(tmp_path, "--tls-cert", str(cert))
    assert "both --tls-cert and --tls-key" in err
    err = serve_fails(tmp_path, "--tls-cert", str(key), "--tls-key", str(key))
    assert "cannot be read as a PEM certificate" in err
    err = serve_fails(tmp_path, "--tls-cert", str(cert), "--tls-key", str(cert))
    assert "cannot be read as an unencrypted PEM private key" in err
    err = serve_fails(tmp_path, "--tls-cert", str(tmp_path / "missing.crt"), "--tls-key", str(key))
    assert "cannot be read as a PEM certificate" in err
    old_cert, old_key = make_cert(tmp_path, "old", days=(-30, -1))
    err = serve_fails(tmp_path, "--tls-cert", str(old_cert), "--tls-key", str(old_key))
    assert "has expired" in err
    # The key is never printed, whatever went wrong.
    assert "PRIVATE KEY" not in err


def test_warns_of_a_readable_key_and_a_certificate_near_its_end(tmp_path):
    cert, key = make_cert(tmp_path, "soon", days=(-1, 3))
    os.chmod(key, 0o644)
    srv = Server(tmp_path / "srv", ["--tls-cert", str(cert), "--tls-key", str(key)])
    try:
        err = srv.stderr()
        assert "can be read by other users" in err
        assert "expires soon" in err and "days_left=2" in err
        assert srv.get("/healthz").status_code == 200
    finally:
        srv.stop()
