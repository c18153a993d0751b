"""The "Board pack" page in the real browser: the real server (`streamlit run dashboard.py`) on the
demo warehouse, driven by Debian's Chromium through Playwright, signed in as the OPCC analyst.

Pressing "Make the pack" shows the slide previews, one a row, as wide as a 1366 px laptop's column
and rendered at least that wide (two a row, their figures were 5 px high); the pptx download button
delivers a file that python-pptx opens, with one titled slide per preview. The page's screenshot must
not be blank.
"""

from __future__ import annotations

import pytest
from pptx import Presentation
from support import EXCEPTION, assert_not_blank, screenshot, signed_in, wait_for_run

pytestmark = pytest.mark.browser


def test__board_pack__download_gives_the_pptx(server, page, tmp_path):
    signed_in(page, server + "/board_pack")
    page.get_by_role("heading", name="Board pack").wait_for(timeout=60_000)
    page.get_by_label("Commentary for the last slide").fill("Made in the browser test.")
    page.get_by_role("button", name="Make the pack").click()
    download_button = page.get_by_role("button", name="Download the pptx")
    download_button.wait_for(timeout=180_000)
    wait_for_run(page)
    assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
    previews = page.locator('[data-testid="stImage"]')
    with page.expect_download(timeout=60_000) as info:
        download_button.click()
    download = info.value
    assert download.suggested_filename == "asb_board_pack_2026-10.pptx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    deck = Presentation(str(path))
    titles = [s.shapes.title.text_frame.text for s in deck.slides]
    assert titles[0] == "ASB and ASB Case Review: October 2026"
    assert previews.count() in (0, len(titles))  # no previews only without LibreOffice
    commentary = next(s for s in deck.slides[-1].shapes if s.name == "Commentary")
    assert commentary.text_frame.text == "Made in the browser test."
    for title in titles[:3]:
        assert page.get_by_text(title, exact=False).first.is_visible(), title
    if previews.count():   # on a laptop's screen a slide fills the column, at its own resolution: legible
        page.set_viewport_size({"width": 1366, "height": 768})
        page.wait_for_timeout(300)
        shown, natural = previews.first.locator("img").evaluate(
            "img => [img.getBoundingClientRect().width, img.naturalWidth]")
        assert shown >= 900 and natural >= 0.95 * shown, (shown, natural)
    assert_not_blank(screenshot(page, "board_pack"))
