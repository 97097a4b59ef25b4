"""The console's app at /admin (docs/console.md, "The console"): index.html at /admin and at every
address under it that is not an asset, never cached; the built files at /admin/assets/, cached for
a year; the console's Content-Security-Policy on all of them; no key needed."""
import re

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def test_index_at_every_address(server):
    first = None
    for path in ("/admin", "/admin/", "/admin/customers", "/admin/customers/c_x/consents?tab=1"):
        r = server.get(path, key=None)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.headers["Cache-Control"] == "no-cache"
        assert r.headers["Content-Security-Policy"] == CSP
        assert r.headers["X-Frame-Options"] == "DENY"
        first = first or r.text
        assert r.text == first
    # No inline script or style: every script and stylesheet is a file of /admin/assets/.
    assert re.search(r"<script(?![^>]*\bsrc=)", first) is None
    assert "<style" not in first and "style=" not in first
    assert '<html lang="ru">' in first


def test_assets(server):
    html = server.get("/admin", key=None).text
    names = re.findall(r'(?:src|href)="/admin/assets/([^"]+)"', html)
    assert any(n.endswith(".js") for n in names) and any(n.endswith(".css") for n in names)
    for n in names:
        assert re.fullmatch(r"[\w-]+-[\w-]{8}\.(js|css)", n), n  # named by the content's hash
        r = server.get(f"/admin/assets/{n}", key=None)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == ("text/javascript; charset=utf-8" if n.endswith(".js")
                                             else "text/css; charset=utf-8")
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert r.headers["Content-Security-Policy"] == CSP
        assert "sourceMappingURL" not in r.text  # no source maps in the embedded build
    for missing in ("nope-12345678.js", "index.html"):
        r = server.get(f"/admin/assets/{missing}", key=None)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"


def test_not_under_admin(server):
    assert server.get("/administrator", key=None).status_code == 404
    r = server.post("/admin/customers", {}, key=None)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET"
