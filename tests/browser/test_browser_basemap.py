"""An optional basemap (issue 16, item 5) in the real browser: the maps draw the authority outlines
offline by default; with ASB_MAP_STYLE set to a MapLibre style (an organisation's own tile server,
or the OS Maps API's style with its key) they also draw that basemap, its attribution shown.

The test runs its own tile server on localhost (no internet here): a style JSON whose raster
source is an XYZ template, and a small PNG for every tile. Chromium must ask it for tiles of the
area on screen (the selection's, at a street-level zoom), and the page must show the attribution
that the settings give.
"""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image
from support import ARTIFACTS, MAP_CANVAS, serve, signed_in

pytestmark = pytest.mark.browser

ATTRIBUTION = "Test tiles © the partnership"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (180, 210, 240)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def tiles():
    """A style and tile server on a free port: (style URL, the tile paths asked for)."""
    asked: list[str] = []
    png = _png()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server name)
            if self.path.startswith("/style.json"):
                host = f"http://127.0.0.1:{self.server.server_address[1]}"
                body = json.dumps({"version": 8, "sources": {"base": {
                    "type": "raster", "tiles": [host + "/tiles/{z}/{x}/{y}.png"], "tileSize": 256,
                    "attribution": ATTRIBUTION}}, "layers": [{"id": "base", "type": "raster", "source": "base"}]
                }).encode()
                kind = "application/json"
            elif self.path.startswith("/tiles/"):
                asked.append(self.path)
                body, kind = png, "image/png"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/style.json", asked
    httpd.shutdown()


@pytest.fixture(scope="module")
def basemap_server(demo_warehouse, tiles, tmp_path_factory):
    yield from serve(demo_warehouse, tmp_path_factory.mktemp("basemap") / "streamlit.log",
                     env={"ASB_MAP_STYLE": tiles[0], "ASB_MAP_ATTRIBUTION": ATTRIBUTION})


def test__maps__an_optional_basemap_from_settings(basemap_server, tiles, page):
    _, asked = tiles
    signed_in(page, basemap_server + "/maps?authority=E07000036")
    page.locator(MAP_CANVAS).first.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('.maplibregl-canvas, .mapboxgl-canvas').length > 0",
                           timeout=60_000)
    page.wait_for_timeout(5_000)
    assert asked, "the browser asked the tile server for no tile"
    shot = np.asarray(Image.open(io.BytesIO(page.locator('[data-testid="stDeckGlJsonChart"]').first.screenshot()))
                      .convert("RGB"), dtype=int)
    tile_blue = (np.abs(shot - np.array([180, 210, 240])) < 12).all(axis=2).mean()
    assert tile_blue > 0.2, "the basemap's tiles are not visible under the map"
    zooms = {int(p.split("/")[2]) for p in asked}
    assert max(zooms) >= 9  # tiles of Erewash, the selection, not of the whole county at zoom 7
    # under the map, in words (the style's own attribution control is collapsed in Streamlit's map)
    assert page.locator('[data-testid="stCaptionContainer"]', has_text=f"Basemap: {ATTRIBUTION}").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "maps_basemap.png"))
