"""Issue 16, item 11: a date typed into the sidebar applies at once, in the real browser.

A manager clicks one of the sidebar's date fields (From, To, As of), selects what is there, types a
date as people write it (03/03/2026) and presses Enter, or Tab to move on: the page reruns for the
new period and the address says so, for every role. Streamlit's own segmented date field
(st.date_input) ignored Enter, swallowed the first Tab (it moves to its calendar button) and put the
digits typed after a click in the middle of the field into the month and year parts, so the
period silently stayed as it was. A date that does not exist is refused in words and changes
nothing; the calendar beside each field still picks a day with the mouse.
"""

from __future__ import annotations

import datetime as dt

import pytest
from support import EXCEPTION, screenshot, signed_in, wait_for_run

from etl.rules import periods
from insight import ui

pytestmark = pytest.mark.browser
SIDEBAR = '[data-testid="stSidebar"]'
PARAM = {"From": "start", "To": "end", "As of": "as_of"}


@pytest.fixture(scope="module")
def as_of(demo_build) -> dt.date:
    """The demo warehouse's as-of date (the build's: conftest's demo_build)."""
    return demo_build[2].as_of


def _typed_day(field: str, as_of: dt.date) -> dt.date:
    """A day inside the default period (the twelve months to the as-of date) for each field, so
    the period stays the right way round."""
    return as_of - dt.timedelta(days={"From": 200, "To": 30, "As of": 60}[field])


def _type_into(page, field: str, text: str, key: str) -> None:
    """Click the field as a person would (its middle), select what it holds, type, then press `key`."""
    page.locator(SIDEBAR).get_by_label(field, exact=True).first.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press(key)


def _wait_for_param(page, name: str, value: str, timeout: float = 20_000) -> None:
    page.wait_for_function("([n, v]) => new URL(location.href).searchParams.get(n) === v", arg=[name, value],
                           timeout=timeout)


@pytest.mark.parametrize("user, field, key, path", [
    ("opcc", "From", "Enter", "/"),
    ("erewash", "To", "Enter", "/"),
    ("board", "As of", "Enter", "/appeals"),
    ("derby", "From", "Tab", "/"),
    ("board", "To", "Tab", "/"),
    ("opcc", "As of", "Tab", "/appeals"),
])
def test__sidebar__typed_date_applies_on_enter_and_on_tab(server, page, as_of, user, field, key, path):
    signed_in(page, server + path, user)
    typed = _typed_day(field, as_of)
    _type_into(page, field, typed.strftime("%d/%m/%Y"), key)
    # a board viewer gets whole months as of a month's end (disclosure.coarse_period, coarse_as_of)
    day = typed if user != "board" else {"From": typed.replace(day=1), "To": periods.month_end(typed),
                                         "As of": periods.last_month_end(typed)}[field]
    _wait_for_param(page, PARAM[field], day.isoformat())
    wait_for_run(page)
    assert page.locator(EXCEPTION).count() == 0
    start, end = periods.default_period(as_of)
    if field == "As of":
        shown = f"on {ui.fmt_date(day)}"        # the appeals page counts what is pending on the as-of date
    else:
        start, end = (day, end) if field == "From" else (start, day)
        shown = ui.fmt_period(start, end)       # the overview's caption names the period
    assert page.get_by_text(shown, exact=False).first.is_visible(), shown


@pytest.mark.parametrize("typed, words", [
    ("31/02/2026", "February 2026 has 28 days"),
    ("yesterday", "Not a date"),
])
def test__sidebar__impossible_typed_date_is_refused_in_words(server, page, typed, words):
    signed_in(page, server + "/")
    before = page.url
    _type_into(page, "From", typed, "Enter")
    page.locator(SIDEBAR).get_by_text(words, exact=False).wait_for(timeout=20_000)
    wait_for_run(page)
    assert page.url == before
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator(SIDEBAR).get_by_label("From", exact=True).first.input_value() == typed


def test__sidebar__calendar_beside_the_field_picks_a_day(server, page, as_of):
    signed_in(page, server + "/")
    sidebar = page.locator(SIDEBAR)
    button = sidebar.locator(".st-key-flt_start_calendar").get_by_test_id("stPopoverButton").first
    # a screen reader names the button by its picture (a calendar), not by an icon font's code word
    # ("calendar_month"); the field's label and the help say what it is for (issue 16, item 9)
    snapshot = button.aria_snapshot()
    assert "📅" in snapshot and "_" not in snapshot, snapshot
    button.click()
    page.get_by_role("button", name="Choose date").last.click()
    picked = periods.default_period(as_of)[0].replace(day=15)  # the calendar opens on the month shown
    page.get_by_role("grid").get_by_text("15", exact=True).first.click()
    _wait_for_param(page, "start", picked.isoformat())
    wait_for_run(page)
    assert page.get_by_text(ui.fmt_period(picked, as_of), exact=False).first.is_visible()
    assert sidebar.get_by_label("From", exact=True).first.input_value() == picked.strftime("%d/%m/%Y")


def test__sidebar__an_earlier_as_of_date_moves_from_and_to_and_the_chart_marks_cut_months(server, page, as_of):
    """The UX audit of 7 December 2026: after an earlier as-of date From and To still showed the
    period asked for, and the Overview's monthly chart drew the cut first and last months as lows.
    Now the boxes show the period used, and the chart's cut months are open markers (charts.base)."""
    signed_in(page, server + "/")
    earlier = as_of - dt.timedelta(days=100)
    _type_into(page, "As of", earlier.strftime("%d/%m/%Y"), "Enter")
    used = periods.default_period(earlier)
    _wait_for_param(page, "start", used[0].isoformat())
    wait_for_run(page)
    sidebar = page.locator(SIDEBAR)
    page.wait_for_function("v => [...document.querySelectorAll('[data-testid=\"stSidebar\"] input')]"
                           ".some(i => i.value === v)", arg=used[1].strftime("%d/%m/%Y"), timeout=20_000)
    assert sidebar.get_by_label("From", exact=True).first.input_value() == used[0].strftime("%d/%m/%Y")
    assert sidebar.get_by_label("To", exact=True).first.input_value() == used[1].strftime("%d/%m/%Y")
    assert sidebar.get_by_text(f"the period is {ui.fmt_period(*used)}", exact=False).first.is_visible()
    assert page.locator(EXCEPTION).count() == 0
    # the trend's traces as plotly drew them: a cut month (the period starts on used[0]) is open
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')?.data?.length > 0", timeout=20_000)
    traces = page.evaluate("() => document.querySelector('.js-plotly-plot').data.map("
                           "t => ({symbols: t.marker.symbol, hover: t.customdata}))")
    cut = used[0].day != 1 or not periods.is_month_end(used[1])
    assert traces and all(len(t["symbols"]) == len(t["hover"]) for t in traces)
    assert cut == any("circle-open" in t["symbols"] for t in traces)
    screenshot(page, "overview_earlier_as_of")
