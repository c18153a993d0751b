"""What a person sees on the "Action plans" page: the real server on the demo warehouse, Debian's
Chromium through Playwright, per role.

The OPCC analyst and the Derby manager see the sections and the Needs action list with the
application behind each action (the manager Derby's only, checked in the list's CSV download: Derby
has the demo's most overdue actions); a board viewer sees the sections,
no list and no reference, and the demo's few re-triggers hidden by the disclosure rule. Full-page
screenshots go to tests/artifacts/ (actions_<role>.png) and must not be blank.
"""

from __future__ import annotations

import csv
import re

import pytest
from support import assert_no_exception, assert_not_blank, screenshot, signed_in

pytestmark = pytest.mark.browser

SECTIONS = ["Action plans", "Needs action", "By authority", "By agency", "By type", "Re-triggers"]
REF = re.compile(r"[A-Z]+-CT-\d\d-\d{3}")


@pytest.mark.parametrize("user", ["opcc", "derby", "board"])
def test__actions__renders_per_role(server, page, user):
    signed_in(page, server + "/actions", user)
    assert_no_exception(page)
    for text in SECTIONS:
        assert page.get_by_text(text, exact=True).first.is_visible(), text
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    tile = page.locator('[data-testid="stMetric"]').filter(has_text="Re-triggers")
    value = tile.locator('[data-testid="stMetricValue"]').inner_text()
    text = page.locator('[data-testid="stMain"]').inner_text()
    if user == "board":
        assert value == "–" and not REF.search(text)
        assert page.locator(".st-key-ax_action").count() == 0
        assert page.get_by_text("not available to you", exact=False).first.is_visible()
    else:
        assert page.locator(".st-key-ax_action").is_visible()  # the list a manager acts on, first
        button = page.get_by_role("button", name=re.compile(r"Download [\d,]+ actions? as CSV")).first
        shown = int(re.search(r"Download ([\d,]+) action", button.inner_text()).group(1).replace(",", ""))
        with page.expect_download(timeout=60_000) as info:
            button.click()
        with open(info.value.path(), encoding="utf-8-sig", newline="") as file:
            rows = list(csv.DictReader(file))
        assert len(rows) == shown > 0 and all(REF.match(r["application_ref"]) for r in rows)
        if user == "derby":  # their own authority by default: only its actions
            assert {r["authority_name"] for r in rows} == {"Derby"}
            assert {r["application_ref"].split("-")[0] for r in rows} == {"DCC"}
    assert_not_blank(screenshot(page, f"actions_{user}"))
