"""The customer's pages' kit (docs/pages.md): the one stylesheet is public and served under the
pages' Content-Security-Policy - nothing but this server's stylesheet and images, no script, no
frame, forms posting here only - with no referrer and no framing."""
import requests


def test_the_stylesheet_is_public_under_the_pages_policy(server):
    r = requests.get(server.url + "/p/style.css", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "main {" in r.text and len(r.content) < 8 * 1024
    csp = {d.split()[0]: d.split()[1:] for d in r.headers["Content-Security-Policy"].split("; ")}
    assert csp["default-src"] == ["'none'"] and csp["style-src"] == ["'self'"]
    assert csp["form-action"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert "script-src" not in csp  # default-src 'none': no script at all
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Frame-Options"] == "DENY"
    # The API's routes are not pages: no page policy on them.
    assert "Content-Security-Policy" not in requests.get(server.url + "/healthz").headers
