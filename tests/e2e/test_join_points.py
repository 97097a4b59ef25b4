"""Join points and their QR codes (docs/pages.md, "Join points and QR codes"): a store and a spot
named by a short random code; its QR code served as SVG and PNG and read back to its link by a real
decoder (zbarimg, from Debian's zbar-tools); its A5/A6 poster well-formed SVG with its texts."""
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import operator_settings

SVG = "{http://www.w3.org/2000/svg}"
CODE = re.compile(r"^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{8}$")


def zbar(path):
    """The text of the one QR code zbarimg finds in the image at `path`."""
    assert shutil.which("zbarimg"), "zbarimg (zbar-tools) is a test dependency: scripts/deps.sh"
    r = subprocess.run(["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def pgm_of_path(d, side, out, px=6):
    """Draws an SVG path of "M x y h n v 1 h -n z" modules (what the server writes) as a PGM
    image, so the decoder reads what the SVG shows and not what the server meant."""
    dark = set()
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", d):
        for i in range(int(n)):
            dark.add((int(x) + i, int(y)))
    assert re.fullmatch(r"(M\d+ \d+h\d+v1h-\d+z)+", d), "the path is runs of modules only"
    w = side * px
    rows = bytearray()
    for y in range(w):
        for x in range(w):
            rows.append(0 if (x // px, y // px) in dark else 255)
    out.write_bytes(b"P5 %d %d 255\n" % (w, w) + bytes(rows))
    return out


@pytest.fixture(scope="module")
def store(server):
    r = server.put("/v1/stores/MSK-7", {"title": "Магазин на Лесной", "city": "Москва"})
    assert r.status_code in (200, 201), r.text
    return "MSK-7"


def test_no_public_url_no_join_point(server, store):
    r = server.post("/v1/join-points", {"store": store, "spot": "till"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "public_url_required"
    assert server.get("/v1/join-points").json()["items"] == []  # nothing half-made


def test_create_refusals_list_get_disable(server, store):
    assert server.put("/v1/privacy/settings",
                      {"public_url": "https://shop.example"}).status_code == 200
    r = server.post("/v1/join-points", {"store": store, "spot": "till", "label": "Касса 3"})
    assert r.status_code == 201, r.text
    j = r.json()
    assert CODE.match(j["code"]), j
    assert j["url"] == f"https://shop.example/j/{j['code']}"
    assert (j["store"], j["spot"], j["label"], j["disabled_at"]) == (store, "till", "Касса 3", None)
    assert j["qr_svg"] == f"/v1/join-points/{j['code']}/qr.svg"
    assert j["qr_png"] == f"/v1/join-points/{j['code']}/qr.png"
    assert j["poster"] == f"/v1/join-points/{j['code']}/poster.svg"

    for body, code, field in [
        ({"store": "NOPE", "spot": "till"}, "store_not_found", "store"),
        ({"store": store, "spot": "door"}, "invalid_value", "spot"),
        ({"store": store, "spot": "shelf", "label": "ж" * 101}, "too_long", "label"),
        ({"store": store, "spot": "shelf", "label": "a\u0007b"}, "invalid_value", "label"),
        ({"spot": "till"}, "missing_field", "store"),
        ({"store": store}, "missing_field", "spot"),
        ({"store": store, "spot": "till", "place": "x"}, "unknown_field", "place"),
        ({"store": 7, "spot": "till"}, "wrong_type", "store"),
    ]:
        r = server.post("/v1/join-points", body)
        assert r.status_code == 422, (body, r.text)
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == (code, field), r.text
    assert server.post("/v1/join-points", {"store": store, "spot": "shelf",
                                           "label": "ж" * 100}).status_code == 201

    # list: pages with a cursor, and by store
    codes = {j["code"]}
    for spot in ("entrance", "other"):
        codes.add(server.post("/v1/join-points", {"store": store, "spot": spot}).json()["code"])
    page = server.get("/v1/join-points?limit=2").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = server.get(f"/v1/join-points?limit=2&cursor={page['next_cursor']}").json()
    seen = [i["code"] for i in page["items"] + rest["items"]]
    assert seen == sorted(seen) and len(seen) == 4 and codes <= set(seen)
    assert server.get("/v1/join-points?store=OTHER").json()["items"] == []
    assert len(server.get(f"/v1/join-points?store={store}").json()["items"]) == 4

    # get, in either case; unknown
    assert server.get(f"/v1/join-points/{j['code'].lower()}").json() == j
    r = server.get("/v1/join-points/ZZZZZZZZ")
    assert r.status_code == 404 and r.json()["error"]["code"] == "join_point_not_found"

    # disable: once, kept; its pictures are gone; others still served
    r = server.post(f"/v1/join-points/{j['code']}/disable")
    assert r.status_code == 200 and r.json()["disabled_at"], r.text
    again = server.post(f"/v1/join-points/{j['code']}/disable").json()
    assert again["disabled_at"] == r.json()["disabled_at"]
    assert server.get(f"/v1/join-points/{j['code']}").json()["disabled_at"] == again["disabled_at"]
    for pic in ("qr.svg", "qr.png", "poster.svg"):
        r = server.get(f"/v1/join-points/{j['code']}/{pic}")
        assert r.status_code == 409 and r.json()["error"]["code"] == "join_point_disabled"
    assert server.post("/v1/join-points/ZZZZZZZZ/disable").status_code == 404

    # an admin's only: a pos key is refused
    pos = server.new_key("pos")
    assert server.get("/v1/join-points", key=pos).status_code == 403
    assert server.post("/v1/join-points", {"store": store, "spot": "till"},
                       key=pos).status_code == 403


def test_qr_codes_decode_to_the_link(server, store, tmp_path):
    server.put("/v1/privacy/settings", {"public_url": "https://shop.example/"})
    j = server.post("/v1/join-points", {"store": store, "spot": "entrance"}).json()
    link = f"https://shop.example/j/{j['code']}"
    assert j["url"] == link

    r = server.get(j["qr_png"])
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
    assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
    png = tmp_path / "qr.png"
    png.write_bytes(r.content)
    assert zbar(png) == link
    small = server.get(j["qr_png"] + "?module_px=2")
    big = server.get(j["qr_png"] + "?module_px=20")
    width = lambda b: int.from_bytes(b[16:20], "big")  # IHDR
    assert width(big.content) == 10 * width(small.content) == 2 * width(r.content)
    for bad in ("0", "33", "x"):
        r = server.get(j["qr_png"] + f"?module_px={bad}")
        assert r.status_code == 400 and r.json()["error"]["field"] == "module_px"

    r = server.get(j["qr_svg"])
    assert r.status_code == 200 and r.headers["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(r.text)
    assert root.tag == SVG + "svg" and root.get("shape-rendering") == "crispEdges"
    assert root.find(SVG + "title").text == link
    paths = root.findall(SVG + "path")
    assert len(paths) == 1
    side = int(root.get("viewBox").split()[2])
    assert zbar(pgm_of_path(paths[0].get("d"), side, tmp_path / "svg.pgm")) == link


def test_posters_a5_and_a6(server, store, tmp_path):
    server.put("/v1/privacy/settings", {"public_url": "https://shop.example"})
    j = server.post("/v1/join-points", {"store": store, "spot": "till",
                                        "label": "Касса <2> & выход"}).json()
    shown = f"shop.example/j/{j['code']}"
    for paper, size in (("a5", ("148mm", "210mm")), ("a6", ("105mm", "148mm")), (None, None)):
        r = server.get(j["poster"] + (f"?paper={paper}" if paper else ""))
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/svg+xml"
        root = ET.fromstring(r.text)
        assert (root.get("width"), root.get("height")) == (size or ("148mm", "210mm"))
        texts = [t.text for t in root.iter(SVG + "text")]
        # no operator named yet: the heading is the store's title
        assert texts == ["Магазин на Лесной", "Вступайте в программу лояльности",
                         "Магазин на Лесной, Москва", shown, "Касса <2> & выход"], texts
        qr = root.find(SVG + "g").find(SVG + "svg")
        side = int(qr.get("viewBox").split()[2])
        assert zbar(pgm_of_path(qr.find(SVG + "path").get("d"), side,
                                tmp_path / "poster.pgm")) == f"https://{shown}"
    operator_settings(server)
    root = ET.fromstring(server.get(j["poster"] + "?paper=a6").text)
    assert [t.text for t in root.iter(SVG + "text")][0] == "ООО «Ромашка»"
    r = server.get(j["poster"] + "?paper=a4")
    assert r.status_code == 400 and r.json()["error"]["field"] == "paper"
