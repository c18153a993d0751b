"""What a person sees on the case review pages: the real server on the demo warehouse, Debian's
Chromium through Playwright, signed in as the OPCC analyst.

Each page loads without an exception box and shows its sections; full-page screenshots go to
tests/artifacts/ (turnaround.png, appeals.png, partnership.png) and must not be blank; hovering a
cell of the partnership table shows the rule that coloured it; choosing another stage redraws the
turnaround page's detail charts; the at-risk list and the published return offer a CSV download.
"""

from __future__ import annotations

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from support import (
    ARTIFACTS,
    EXCEPTION,
    assert_page_shows,
    open_select,
    record_runs,
    signed_in,
    wait_for_run,
)

pytestmark = pytest.mark.browser

PAGES = [  # (url path, screenshot name, texts that must show)
    ("/turnaround", "turnaround", ["Review turnaround", "At risk of breach", "Analysis", "Within the limits",
                                   "Working days per stage", "One stage in detail", "Open cases by age",
                                   "From application to appeal"]),
    ("/appeals", "appeals", ["Appeals and PCC reviews", "Needs action", "By authority", "Grounds and outcome", "Time to decision",
                             "Upheld by the original decision", "Appeals and the applications behind them"]),
    ("/partnership", "partnership", ["Partnership", "The authorities side by side", "Statutory returns",
                                     "Consistency checks"]),
]


@pytest.mark.parametrize("path, name, texts", PAGES, ids=[p[1] for p in PAGES])
def test__review_page__renders_in_chromium(server, page, path, name, texts):
    assert_page_shows(page, server + path, texts, name, ready=".js-plotly-plot")


def test__partnership__hovering_a_cell_shows_its_rule(server, page):
    signed_in(page, server + "/partnership")
    chart = page.locator(".st-key-pt_table .js-plotly-plot")
    chart.scroll_into_view_if_needed()
    area = chart.locator(".nsewdrag").first.bounding_box()
    # the first row is the first authority alphabetically, the first column "Applications"
    page.mouse.move(area["x"] + area["width"] / 16, area["y"] + area["height"] / 18)
    label = chart.locator(".hoverlayer .hovertext")
    label.wait_for(state="visible", timeout=10_000)
    text = label.text_content()  # an SVG element: no inner_text
    assert "Amber Valley" in text and "Applications" in text and "county median" in text
    page.mouse.move(area["x"] + area["width"] * 5 / 16, area["y"] + area["height"] / 18)  # days to decision
    page.wait_for_timeout(500)
    assert "working days" in chart.locator(".hoverlayer .hovertext").text_content()


def test__turnaround__another_stage_redraws_and_lists_download(server, page):
    signed_in(page, server + "/turnaround")
    assert page.get_by_text("At risk of breach", exact=True).is_visible()  # the list first (issue 16, item 3)
    page.get_by_role("tab", name="One stage in detail").click()  # the analysis runs when its tab opens
    wait_for_run(page)
    assert "rt_analysis=One" in page.url  # the open tab is in the address
    stage = page.get_by_role("combobox", name="Stage")
    open_select(page, stage)
    page.get_by_role("option", name="Review meeting", exact=False).first.click()
    page.wait_for_timeout(500)
    wait_for_run(page)
    assert page.locator(EXCEPTION).count() == 0
    detail = page.locator(".st-key-rt_distribution .js-plotly-plot")
    detail.scroll_into_view_if_needed()
    assert "limit 20 working days" in detail.text_content()
    assert page.get_by_role("button", name="Download", exact=False).first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "turnaround_at_risk.png"))


@pytest.mark.parametrize("user, shown", [("opcc", "1"), ("derby", "1"), ("erewash", "0"), ("board", "–")])
def test__appeals__overdue_appeal_on_the_default_view(server, page, user, shown):
    """Issue 16, item 1: the demo's Derby appeal, received long before the default period and
    pending past its limit, counts on the default view. A Derby manager and the OPCC see it, and
    its row heads the Needs action list; for the board one appeal is fewer than 5 (hidden)."""
    signed_in(page, server + "/appeals", user)
    assert page.locator(EXCEPTION).count() == 0
    tile = page.locator('[data-testid="stMetric"]').filter(has_text="Pending past the limit")
    assert tile.locator('[data-testid="stMetricValue"]').inner_text() == shown
    assert page.get_by_text("Needs action", exact=True).first.is_visible()
    if user in ("opcc", "derby"):  # their own authority by default (item 4)
        assert page.locator(".st-key-ap_action").is_visible()  # the list (a keyed container)


@pytest.mark.parametrize("user", ["opcc", "erewash", "board"])
def test__appeals__pcc_reviews_and_referrals_per_role(server, page, user):
    """Issue 17, part 1: the register's two types side by side for every role; the cases referred
    back, each with its result, listed for the OPCC and the authorities' own staff, counted only
    (small numbers hidden) for the board."""
    signed_in(page, server + "/appeals?start=2023-11-01&authority=all", user)  # Erewash has none of its own
    assert page.locator(EXCEPTION).count() == 0
    section = page.get_by_text("By type: appeals and PCC reviews", exact=True).first
    section.scroll_into_view_if_needed()
    assert section.is_visible()
    assert page.locator(".st-key-ap_by_type_box").is_visible()
    tile = page.locator('[data-testid="stMetric"]').filter(has_text="PCC reviews received")
    assert tile.locator('[data-testid="stMetricValue"]').inner_text() not in ("", "0")
    listed = page.locator(".st-key-ap_referrals_box")
    if user == "board":
        assert listed.count() == 0
        assert page.get_by_text("The cases referred back are listed", exact=False).first.is_visible()
    else:
        listed.scroll_into_view_if_needed()
        assert listed.is_visible()
        if user == "opcc":
            listed.screenshot(path=str(ARTIFACTS / "appeals_referrals.png"))


def test__turnaround__an_analysis_tab_reruns_only_the_analysis(server, page):
    """Issue 16, item 8: the analysis tabs are one fragment (ui.analysis_tabs, as on the Threshold and
    Hotspots pages): opening a tab or choosing a stage in it reruns that part only, not the page."""
    runs = record_runs(page)
    signed_in(page, server + "/turnaround")
    runs.clear()
    page.get_by_role("tab", name="Open cases by age").click()
    page.locator(".st-key-rt_backlog .js-plotly-plot").first.wait_for(timeout=60_000)
    wait_for_run(page)
    assert runs == [ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY], runs
    assert page.get_by_text("At risk of breach", exact=True).is_visible()
