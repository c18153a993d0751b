"""Everyday use in the real browser (issue 16, items 7 and 9): the real server on the demo
warehouse, Debian's Chromium through Playwright.

- Every caption, tile label, tick label and sidebar note has a contrast of at least 4.5:1 (WCAG AA)
  against the background it is drawn on (alpha included), on pages with charts, as the OPCC analyst.
- A page printed (print media, then Chromium's own PDF) has no sidebar or header, is not clipped
  to the window, and its tiles keep whole words: the PDF holds the page's title, its tile labels and
  text from the bottom of the page. The PDF goes to tests/artifacts/ (overview_print.pdf).
"""

from __future__ import annotations

import subprocess

import pytest
from support import ARTIFACTS, settle, signed_in

pytestmark = pytest.mark.browser

AA = 4.5

# Contrast of each visible text element against the first opaque background behind it, the text
# colour's alpha (and the element's opacity) blended over that background (WCAG 2 formula).
CONTRAST_JS = """
(selector) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const background = (el) => { for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0.99) return c; }
    return [255, 255, 255, 1]; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const text = (el.textContent || '').trim();
    const box = el.getBoundingClientRect();
    if (!text || box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    const svg = el instanceof SVGElement;
    let c = parse(svg ? (style.fill || el.getAttribute('fill')) : style.color);
    if (!c) continue;
    let alpha = c[3];
    for (let e = el; e; e = e.parentElement) alpha *= Number(getComputedStyle(e).opacity || 1);
    if (svg && style.fillOpacity) alpha *= Number(style.fillOpacity);
    const bg = background(el);
    const fg = [0, 1, 2].map((i) => c[i] * alpha + bg[i] * (1 - alpha));
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    out.push({text: text.slice(0, 40), ratio: (a + 0.05) / (b + 0.05)});
  }
  return out;
}
"""

TEXTS = ('[data-testid="stCaptionContainer"] p, [data-testid="stMetricLabel"] p, '
         '[data-testid="stSidebar"] [data-testid="stCaptionContainer"] p, '
         '.js-plotly-plot .xtick text, .js-plotly-plot .ytick text, .js-plotly-plot .legendtext, '
         '.js-plotly-plot .g-xtitle text, .js-plotly-plot .g-ytitle text')


@pytest.mark.parametrize("path", ["/", "/turnaround", "/appeals"])
def test__text__contrast_at_least_aa(server, page, path):
    signed_in(page, server + path)
    page.locator(".js-plotly-plot .xtick text").first.wait_for(timeout=60_000)
    found = page.evaluate(CONTRAST_JS, TEXTS)
    assert len(found) >= 10, found
    low = [f for f in found if f["ratio"] < AA]
    assert not low, low[:10]


def test__print__no_sidebar_not_clipped_whole_words(server, page):
    signed_in(page, server + "/")
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    page.emulate_media(media="print")
    page.wait_for_timeout(500)
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    main = page.evaluate("() => getComputedStyle(document.querySelector('[data-testid=\"stMain\"]')).overflowY")
    assert main == "visible"
    for label in page.locator('[data-testid="stMetricLabel"] p').all():  # whole words: at most two lines
        height, line = label.evaluate("e => [e.getBoundingClientRect().height, parseFloat(getComputedStyle(e).lineHeight) || 20]")
        assert height <= 2.2 * line, (label.inner_text(), height, line)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "overview_print.pdf"
    pdf.write_bytes(page.pdf(landscape=True, format="A4", print_background=True))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Overview" in text and "Incidents per km²" in text  # the last section: not clipped
    assert "Signed in as" not in text and "Authorities" not in text  # no sidebar
    for label in page.locator('[data-testid="stMetricLabel"] p').all_inner_texts()[:3]:
        assert label.split()[0] in text, label


# Each tile's label, value and change's words that cut their text short (an ellipsis: wider content than
# box, clipped), as "<the tile's text>": none may be on a laptop's screen.
CUT_SHORT_JS = """
() => {
  const out = [];
  for (const tile of document.querySelectorAll('[data-testid="stMetric"]')) {
    const parts = tile.querySelectorAll('[data-testid="stMetricLabel"], [data-testid="stMetricValue"], '
                                        + '[data-testid="stMetricDeltaDescription"]');
    const cut = Array.from(parts).flatMap((el) => [el, ...el.querySelectorAll('*')]).some((el) =>
      el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible');
    if (cut) out.push(tile.innerText.replace(/\\s+/g, ' ').trim().slice(0, 60));
  }
  return out;
}
"""


# Tiles in a row of tiles (`ui.tile_row`, a horizontal container) wider than 256 px, as "<text> <width>".
WIDE_TILES_JS = """
() => Array.from(document.querySelectorAll('[data-testid="stHorizontalBlock"] > [data-testid="stElementContainer"]'))
  .filter((box) => box.querySelector('[data-testid="stMetric"]') && box.getBoundingClientRect().width > 257)
  .map((box) => box.innerText.replace(/\\s+/g, ' ').trim().slice(0, 40) + ' ' + Math.round(box.getBoundingClientRect().width))
"""


@pytest.mark.parametrize("path", ["/", "/threshold", "/turnaround", "/appeals", "/actions", "/maps"])
def test__tiles__whole_labels_and_values_on_a_laptop_screen(server, page, path):
    """Every tile shows its whole label, value and the words under its change in a 1366 px window
    (the tiles wrap onto a second line rather than cut "Appeals decided in time" to "Appeals …", and
    "on the previous period: within chance" wraps under the change rather than end in "with…"); on
    the maps page, the tiles of the area a postcode search opened, in the panel beside the map."""
    page.set_viewport_size({"width": 1366, "height": 900})
    signed_in(page, server + path, user="erewash" if path == "/maps" else "opcc")
    if path == "/maps":
        box = page.get_by_role("textbox", name="Find a postcode or street")
        box.fill("de7 5rp")
        box.press("Enter")
        page.get_by_text("Incidents per month", exact=True).first.wait_for(timeout=90_000)
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
    settle(page)
    tiles = page.locator('[data-testid="stMetric"]').count()
    assert tiles >= 3, tiles
    assert page.evaluate(CUT_SHORT_JS) == []
    # a tile alone on a wrapped line is a tile, not a band across the page (ui.TILE_CSS): at most
    # 16rem (256 px) wide in a row of tiles
    assert page.evaluate(WIDE_TILES_JS) == []
