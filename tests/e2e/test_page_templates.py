"""The retailer's own pages (docs/pages.md, "The retailer's own pages"): the questionnaire's
wording, the stylesheet and a logo replaced through /v1/pages, shown on the page a customer opens
at once; the versions listed and read back; a reset brings the built-in back; a page with a
script, another host's asset, a bad template, a name the page does not hold or too much weight is
refused with 422, the field and the place."""
import struct
import zlib

import requests

from test_questionnaire import link, member


def png():
    """A real 1x1 PNG."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(b"\x00\xcc\x00\x00")) + chunk(b"IEND", b""))


def get_page(server, path, **kw):
    return requests.get(server.url + path, timeout=10, allow_redirects=False, **kw)


def refused(r, code):
    assert r.status_code == 422, r.text
    e = r.json()["error"]
    assert e["code"] == code and e["field"] == "body", r.text
    return e


def test_the_retailer_restyles_the_questionnaire(server):
    items = {p["name"]: p for p in server.get("/v1/pages").json()["items"]}
    for name in ("layout", "questionnaire", "refused", "invalid", "style.css", "logo"):
        assert items[name]["overridden"] is False and items[name]["version"] == 0, items
    assert items["style.css"]["kind"] == "stylesheet" and items["logo"]["kind"] == "logo"
    builtin = server.get("/v1/pages/questionnaire").json()
    assert builtin["version"] == 0 and "<h1>Анкета участника</h1>" in builtin["body"]

    cid, _ = member(server)
    path = link(server, cid)
    assert "<h1>Анкета участника</h1>" in get_page(server, path).text

    # The wording: a new version, shown at once; the same body again is no new version.
    mine = builtin["body"].replace("<h1>Анкета участника</h1>", "<h1>Анкета клуба «Ромашка»</h1>")
    r = server.put("/v1/pages/questionnaire", {"body": mine})
    assert r.status_code == 201 and r.json()["version"] == 1 and r.json()["overridden"], r.text
    r = server.put("/v1/pages/questionnaire", {"body": mine})
    assert r.status_code == 200 and r.json()["version"] == 1, r.text
    html = get_page(server, path).text
    assert "<h1>Анкета клуба «Ромашка»</h1>" in html and "Анкета участника</h1>" not in html
    assert 'name="csrf"' in html  # the form still works: its values are there

    # The stylesheet: served with a tag that changes with it, linked with that tag.
    css = server.get("/v1/pages/style.css").json()["body"] + ".brand { color: #8a1c1c; }\n"
    r = server.put("/v1/pages/style.css", {"body": css})
    assert r.status_code == 201 and r.json()["kind"] == "stylesheet", r.text
    html = get_page(server, path).text
    tag = html.split('href="/p/style.css?v=')[1].split('"')[0]
    r = get_page(server, f"/p/style.css?v={tag}")
    assert r.status_code == 200 and ".brand { color: #8a1c1c; }" in r.text
    assert r.headers["Content-Type"].startswith("text/css")
    assert "immutable" in r.headers["Cache-Control"] and r.headers["ETag"] == f'"{tag}"'
    r = get_page(server, "/p/style.css")  # the address without the tag: revalidated each time
    assert r.headers["Cache-Control"] == "no-cache"
    r = get_page(server, "/p/style.css", headers={"If-None-Match": f'"{tag}"'})
    assert r.status_code == 304 and r.content == b""

    # The logo: stored, linked from the layout, served as it was sent.
    assert get_page(server, "/p/logo").status_code == 404
    image = png()
    r = server.request("PUT", "/v1/pages/logo", data=image, headers={"Content-Type": "image/png"})
    assert r.status_code == 201 and r.json()["bytes"] == len(image), r.text
    assert r.json()["type"] == "image/png"
    html = get_page(server, path).text
    logo = html.split('<img class="logo" src="')[1].split('"')[0]
    r = get_page(server, logo)
    assert r.status_code == 200 and r.content == image and r.headers["Content-Type"] == "image/png"
    assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert len(get_page(server, path).content) < 50 * 1024

    # Listed with their versions; an old version read back.
    items = {p["name"]: p for p in server.get("/v1/pages").json()["items"]}
    assert items["questionnaire"]["overridden"] and items["questionnaire"]["version"] == 1
    assert items["style.css"]["version"] == 1 and items["logo"]["version"] == 1
    assert "body" not in items["questionnaire"]

    # A reset: the built-in again, as a version of its own; a second reset adds nothing.
    r = server.post("/v1/pages/questionnaire/reset")
    assert r.status_code == 200 and r.json()["version"] == 2 and not r.json()["overridden"], r.text
    assert r.json()["body"] == builtin["body"]
    assert server.post("/v1/pages/questionnaire/reset").json()["version"] == 2
    assert "<h1>Анкета участника</h1>" in get_page(server, path).text
    old = server.get("/v1/pages/questionnaire?version=1").json()
    assert old["overridden"] and "Ромашка" in old["body"]
    assert server.get("/v1/pages/questionnaire?version=9").status_code == 404
    assert server.post("/v1/pages/logo/reset").json()["overridden"] is False
    assert get_page(server, "/p/logo").status_code == 404
    assert 'class="logo"' not in get_page(server, path).text
    assert server.get("/v1/pages/nothing").status_code == 404


def test_unsafe_or_broken_pages_are_refused(server):
    base = server.get("/v1/pages/refused").json()["body"]
    for bad, line in ((base + "<script>alert(1)</script>\n", 4),
                      ("<h1 onclick=\"x()\">{{heading}}</h1>", 1),
                      ("<h1>{{heading}}</h1>\n<img src=\"https://cdn.example/a.png\" alt=\"\">", 2),
                      ("<link rel=\"stylesheet\" href=\"//cdn.example/a.css\">", 1),
                      ("<p style=\"background: url(http://cdn.example/a.png)\">{{text}}</p>", 1),
                      ("<a href=\"javascript:x()\">{{text}}</a>", 1)):
        e = refused(server.put("/v1/pages/refused", {"body": bad}), "page_unsafe")
        assert e["line"] == line, (bad, e)
    # A link to the retailer's site is no asset: allowed.
    ok = base + '<p><a href="https://shop.example/">Магазин</a></p>\n'
    assert server.put("/v1/pages/refused", {"body": ok}).status_code == 201
    e = refused(server.put("/v1/pages/refused", {"body": "<h1>{{heading}}</h1>\n{{#back}}x"}),
                "template_unclosed_section")
    assert e["line"] == 2 and e["column"] == 1, e
    e = refused(server.put("/v1/pages/refused", {"body": "<p>{{text}} {{customer_phone}}</p>"}),
                "page_unknown_variable")
    assert e["line"] == 1 and e["column"] == 13 and "customer_phone" in e["message"], e
    heavy = "{{#back}}" + "<p>тяжёлый текст</p>" * 2000 + "{{/back}}"
    refused(server.put("/v1/pages/refused", {"body": heavy}), "page_too_large")
    refused(server.put("/v1/pages/style.css", {"body": "@import url(a.css);"}), "page_unsafe")
    refused(server.put("/v1/pages/style.css",
                       {"body": "body { background: url('https://cdn.example/b.png') }"}),
            "page_unsafe")
    refused(server.put("/v1/pages/style.css", {"body": "a{}" * 6000}), "page_too_large")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    r = server.request("PUT", "/v1/pages/logo", data=svg, headers={"Content-Type": "image/svg+xml"})
    refused(r, "page_unsafe")
    r = server.request("PUT", "/v1/pages/logo", data=b"GIF89a", headers={"Content-Type": "image/png"})
    refused(r, "logo_invalid")
    r = server.request("PUT", "/v1/pages/logo", data=b"GIF89a", headers={"Content-Type": "image/gif"})
    assert r.status_code == 415, r.text
    assert server.put("/v1/pages/nothing", {"body": "x"}).status_code == 404
    # Nothing refused was stored: the version in force is the one allowed above.
    assert server.get("/v1/pages/refused").json()["version"] == 1
    assert server.get("/v1/pages/style.css").json()["version"] == 1  # the first test's
    # A pos key may not change the pages.
    pos = server.new_key("pos")
    assert server.put("/v1/pages/refused", {"body": base}, key=pos).status_code == 403
