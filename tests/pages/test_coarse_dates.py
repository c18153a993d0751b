"""A viewer without person-level rights over an authority chosen gets whole calendar months, as of
the build's date or a month's end (insight/access/disclosure.py `coarse_period`, `coarse_as_of`).

Before, such a viewer could ask for two periods a day apart (each of at least 28 days), or two as-of
dates a day apart, and subtract: the red-team audit of 6 December 2026 read single days' counts of
hidden cells so. The sidebar now moves such a viewer's dates to whole months (and says so), and
`ui.load` refuses any protected aggregate asked with other dates, whatever the page passes."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from support import open_app

from etl.rules import authorities, periods
from insight import ui
from insight.access import disclosure, roles
from insight.queries import appeals, maps, overview, threshold

D = dt.date
OVERVIEW = "app_pages/overview.py"


@pytest.fixture(scope="module")
def as_of(demo_build) -> dt.date:
    return demo_build[2].as_of


# --- the rule ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "whole"), [
    (D(2025, 1, 2), D(2025, 3, 15), (D(2025, 1, 1), D(2025, 3, 31))),
    (D(2025, 1, 1), D(2025, 3, 31), (D(2025, 1, 1), D(2025, 3, 31))),
    (D(2024, 2, 29), D(2024, 2, 29), (D(2024, 2, 1), D(2024, 2, 29))),     # a leap day: its February
    (D(2025, 12, 31), D(2026, 1, 1), (D(2025, 12, 1), D(2026, 1, 31))),     # across a year's end
    (D(2000, 1, 1), D(2000, 1, 1), (D(2000, 1, 1), D(2000, 1, 31))),
])
def test__coarse_period__the_calendar_months_that_hold_it(start, end, whole):
    assert disclosure.coarse_period(start, end) == whole


@pytest.mark.parametrize(("as_of", "built", "allowed"), [
    (D(2025, 10, 15), D(2025, 11, 20), D(2025, 9, 30)),
    (D(2025, 11, 20), D(2025, 11, 20), D(2025, 11, 20)),   # the build's own date
    (D(2025, 10, 31), D(2025, 11, 20), D(2025, 10, 31)),
    (D(2024, 3, 1), D(2025, 11, 20), D(2024, 2, 29)),
    (D(2025, 11, 21), D(2025, 11, 20), D(2025, 10, 31)),   # after the build: its month's end before
])
def test__coarse_as_of__the_build_s_date_or_a_month_end(as_of, built, allowed):
    assert disclosure.coarse_as_of(as_of, built) == allowed


NINE = ("E07000032", "E07000033", "E07000034", "E06000015", "E07000035", "E07000036", "E07000037",
        "E07000038", "E07000039")


@pytest.mark.parametrize(("query", "args"), [
    (overview.headline, (NINE, D(2025, 1, 2), D(2025, 3, 31))),           # a day short of January
    (overview.headline, (NINE, D(2025, 1, 1), D(2025, 3, 30))),           # a day short of March
    (maps.hex_counts, (NINE, D(2025, 2, 1), D(2025, 4, 29), 8)),
    (threshold.summary, (D(2025, 10, 14), NINE)),                         # an as-of date a day apart
    (threshold.history, (D(2025, 10, 1), NINE)),
])
def test__check_request__other_dates_are_refused_to_a_viewer_without_rights(query, args):
    board = roles.Viewer("b", roles.BOARD_VIEWER)
    with pytest.raises(disclosure.TooDetailed):
        roles.check_request(board, query, args, {}, D(2025, 11, 20))
    roles.check_request(roles.Viewer("o", roles.OPCC_ANALYST), query, args, {}, D(2025, 11, 20))   # all rights


@pytest.mark.parametrize(("query", "args"), [
    (overview.headline, (NINE, D(2025, 1, 1), D(2025, 3, 31))),
    (maps.hex_counts, (NINE, D(2024, 12, 1), D(2025, 11, 30), 9)),
    (threshold.summary, (D(2025, 11, 20), NINE)),                         # the build's date
    (threshold.summary, (D(2025, 9, 30), NINE)),
])
def test__check_request__whole_months_and_the_build_s_date_are_shown(query, args):
    roles.check_request(roles.Viewer("b", roles.BOARD_VIEWER), query, args, {}, D(2025, 11, 20))


def test__check_request__a_council_manager_s_own_authority_keeps_any_date():
    manager = roles.Viewer("e", roles.COUNCIL_MANAGER, "E07000036")
    roles.check_request(manager, overview.headline, (("E07000036",), D(2025, 1, 2), D(2025, 2, 14)), {},
                        D(2025, 11, 20))
    roles.check_request(manager, threshold.summary, (D(2025, 10, 14), ("E07000036",)), {}, D(2025, 11, 20))
    with pytest.raises(disclosure.TooDetailed):   # with another authority, whole months
        roles.check_request(manager, overview.headline, (("E07000036", "E07000033"), D(2025, 1, 2),
                                                         D(2025, 2, 14)), {}, D(2025, 11, 20))


# --- the sidebar ---------------------------------------------------------------------------------

def _filters(at):
    return at.session_state["flt_filters"]


def test__sidebar__a_board_viewer_s_dates_become_whole_months_and_a_month_end(demo_warehouse, monkeypatch, as_of):
    asked = periods.last_month_end(as_of) - dt.timedelta(days=40)
    if periods.is_month_end(asked):
        asked -= dt.timedelta(days=1)
    at = open_app(monkeypatch, demo_warehouse, OVERVIEW, user="board", start="2025-01-02", end="2025-03-15",
                  as_of=asked.isoformat())
    f = _filters(at)
    assert (f.start_date, f.end_date, f.as_of_date) == (D(2025, 1, 1), D(2025, 3, 31), periods.last_month_end(asked))
    note = " ".join(i.value for i in at.sidebar.info)
    assert "whole months" in note and "1 Jan 2025 – 31 Mar 2025" in note
    assert at.query_params["start"] == "2025-01-01" and at.query_params["end"] == "2025-03-31"
    # a day apart gives the same view: nothing left to subtract
    other = open_app(monkeypatch, demo_warehouse, OVERVIEW, user="board", start="2025-01-01", end="2025-03-14",
                     as_of=(asked - dt.timedelta(days=1)).isoformat())
    assert _filters(other) == f


def test__sidebar__a_board_viewer_s_default_is_the_twelve_whole_months_to_the_last_month_end(
        demo_warehouse, monkeypatch, as_of):
    f = _filters(open_app(monkeypatch, demo_warehouse, OVERVIEW, user="board"))
    assert f.as_of_date == as_of                               # the build's own date stays
    assert (f.start_date, f.end_date) == periods.default_period(periods.last_month_end(as_of))
    assert f.start_date.day == 1 and periods.is_month_end(f.end_date)


@pytest.mark.parametrize("user", ["opcc", "erewash"])
def test__sidebar__a_viewer_with_rights_keeps_the_dates_typed(demo_warehouse, monkeypatch, user):
    at = open_app(monkeypatch, demo_warehouse, OVERVIEW, user=user, start="2025-01-02", end="2025-03-15",
                  as_of="2025-10-14")
    f = _filters(at)
    assert (f.start_date, f.end_date, f.as_of_date) == (D(2025, 1, 2), D(2025, 3, 15), D(2025, 10, 14))
    assert not any("whole months" in i.value for i in at.sidebar.info)


def test__sidebar__a_council_manager_with_another_authority_gets_whole_months(demo_warehouse, monkeypatch):
    at = open_app(monkeypatch, demo_warehouse, OVERVIEW, user="erewash", authority="E07000036,E07000033",
                  start="2025-01-02", end="2025-03-15")
    f = _filters(at)
    assert (f.start_date, f.end_date) == (D(2025, 1, 1), D(2025, 3, 31))


# --- a period ends by the as-of date (the downloads audit of 6 December 2026) -------------------

def test__sidebar__a_period_after_the_as_of_date_is_cut_at_it(demo_warehouse, monkeypatch, as_of):
    """From 1 Nov, To the build's date, As of four months before: the Overview counted the appeals
    received after the as-of date (24) where the Appeals page, as of that date, knew 8."""
    asked = (as_of - dt.timedelta(days=120)).replace(day=15)
    start = (as_of - dt.timedelta(days=330)).replace(day=1)
    at = open_app(monkeypatch, demo_warehouse, OVERVIEW, user="opcc", start=start.isoformat(), end=as_of.isoformat(),
                  as_of=asked.isoformat())
    f = _filters(at)
    assert (f.start_date, f.end_date, f.as_of_date) == (start, asked, asked)
    assert any("ends on the as-of date" in i.value for i in at.sidebar.info)


def test__sidebar__the_default_period_follows_the_as_of_date(demo_warehouse, monkeypatch, as_of):
    asked = as_of - dt.timedelta(days=100)
    f = _filters(open_app(monkeypatch, demo_warehouse, OVERVIEW, user="opcc", as_of=asked.isoformat()))
    assert (f.start_date, f.end_date) == periods.default_period(asked)
    f = _filters(open_app(monkeypatch, demo_warehouse, OVERVIEW, user="board", as_of=asked.isoformat()))
    whole = periods.last_month_end(asked)   # a board viewer's: the twelve whole months to its month end
    assert (f.start_date, f.end_date, f.as_of_date) == (*periods.default_period(whole), whole)


def test__overview_and_appeals_page_count_the_same_appeals_as_of_an_earlier_date(demo_warehouse, monkeypatch,
                                                                                   as_of, demo_build):
    asked = (as_of - dt.timedelta(days=120)).replace(day=15)
    params = {"start": (as_of - dt.timedelta(days=330)).replace(day=1).isoformat(), "end": as_of.isoformat(),
              "as_of": asked.isoformat()}
    f = _filters(open_app(monkeypatch, demo_warehouse, OVERVIEW, user="opcc", **params))
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        head = overview.headline(con, authorities.CODES, f.start_date, f.end_date)
        summary = appeals.summary(con, f.as_of_date, authorities.CODES, f.start_date, f.end_date)
        after = con.execute("select count(*) from appeals where received_date > ? and received_date <= ?",
                            [asked, as_of]).fetchall()[0][0]
    finally:
        con.close()
    assert after > 0   # the demo has appeals the period would have counted after the as-of date
    total = head[head["authority_code"].isna()].iloc[0]
    assert total["appeals"] == summary[summary["authority_code"].isna()].iloc[0]["appeals"]


def test__sidebar__one_note_names_the_period_used(demo_warehouse, monkeypatch, as_of):
    """A board viewer asking for an as-of date mid-month without a period: the period ends on the
    as-of date, and then falls to whole months as of the month's end before. The sidebar said both
    ("the period is 16 Mar 2025 – 15 Mar 2026" and "... 1 Mar 2025 – 28 Feb 2026, as of 28 Feb
    2026"): now it says the one used (the pages audit of 6 December 2026)."""
    asked = periods.last_month_end(as_of) - dt.timedelta(days=200)
    if periods.is_month_end(asked):
        asked -= dt.timedelta(days=1)
    at = open_app(monkeypatch, demo_warehouse, OVERVIEW, user="board", as_of=asked.isoformat())
    f = _filters(at)
    notes = [i.value for i in at.sidebar.info if "the period is" in i.value]
    assert len(notes) == 1, notes
    assert f"the period is {ui.fmt_period(f.start_date, f.end_date)}" in notes[0]
    # a viewer with rights gets the note of the period ending on the as-of date, once
    at = open_app(monkeypatch, demo_warehouse, OVERVIEW, user="opcc", as_of=asked.isoformat())
    notes = [i.value for i in at.sidebar.info if "the period is" in i.value]
    assert len(notes) <= 1, notes


@pytest.mark.parametrize("user, authority", [("opcc", None), ("erewash", None), ("erewash", "all")])
def test__threshold_page__an_as_of_date_outside_the_data_says_so(demo_warehouse, monkeypatch, as_of, user, authority):
    """As of 2030 or 2019 every tile read 0, "evaluated live for this date", with no word that the
    data end (or start) years away (the pages audit of 6 December 2026)."""
    page = "app_pages/threshold.py"
    chosen = {"authority": authority} if authority else {}   # all nine: a manager's whole months (restricted)
    late = open_app(monkeypatch, demo_warehouse, page, user=user, as_of="2030-01-31", **chosen)
    assert any("The data end" in w.value and "nothing after that is known" in w.value for w in late.warning)
    early = open_app(monkeypatch, demo_warehouse, page, user=user, as_of="2019-01-31", **chosen)
    assert any("The data start" in i.value and "every figure here is 0" in i.value for i in early.info)
    now = open_app(monkeypatch, demo_warehouse, page, user=user, **chosen)
    assert not any("The data end" in w.value for w in now.warning)
    assert not any("The data start" in i.value for i in now.info)
