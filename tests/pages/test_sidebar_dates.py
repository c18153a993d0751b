"""Issue 16, item 11: the sidebar's From, To and As of are typed (insight/ui/dates.py), in AppTest
on the demo warehouse. A committed text (Enter or Tab in the browser; tests/browser/test_browser_dates.py
presses the keys) sets the day for every role, goes into the address and is shown back as
dd/mm/yyyy; a text that is not a date, or a day outside 2000-2100, is refused in words, stays in
the box and changes nothing; From after To is swapped as before; the calendar beside a field
still sets it; the audit log's dates are the same fields.

    type "3/3/26" in From  ->  ?start=2026-03-03, the box shows 03/03/2026
    type "31/02/2026"     ->  "Not a date: February 2026 has 28 days. From stays 1 Nov 2025."
"""

from __future__ import annotations

import datetime as dt

import pytest
from support import open_app

from etl.rules import periods
from insight import ui
from insight.access import disclosure

OVERVIEW, AUDIT = "app_pages/overview.py", "app_pages/audit.py"
FIELDS = {"From": ("flt_start", "start", "start_date"), "To": ("flt_end", "end", "end_date"),
          "As of": ("flt_as_of", "as_of", "as_of_date")}


@pytest.fixture
def app(demo_warehouse, monkeypatch):
    """app(user, page=OVERVIEW, **query_params): the dashboard signed in as `user`."""
    def opened(user="opcc", page=OVERVIEW, **params):
        return open_app(monkeypatch, demo_warehouse, page, user=user, **params)
    return opened


@pytest.fixture(scope="module")
def as_of(demo_build) -> dt.date:
    """The demo warehouse's as-of date (the build's: conftest's demo_build)."""
    return demo_build[2].as_of


def _type(at, key: str, text: str):
    """Type into a date field's box and commit it (what Enter or Tab does in the browser)."""
    at.text_input(key=f"{key}_typed").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _errors(at) -> list[str]:
    return [e.value for e in at.sidebar.error]


@pytest.mark.parametrize("user", ["opcc", "erewash", "derby", "board"])
@pytest.mark.parametrize("field", list(FIELDS))
def test__sidebar__a_typed_date_applies_for_every_role(app, as_of, user, field):
    key, param, attribute = FIELDS[field]
    day = as_of - dt.timedelta(days={"From": 200, "To": 30, "As of": 60}[field])
    at = _type(app(user), key, f"{day.day}/{day.month}/{day:%y}")          # 3/3/26
    filters = at.session_state["flt_filters"]
    # a board viewer gets whole months as of a month's end (disclosure.coarse_period, coarse_as_of)
    given = (day if user != "board" else day.replace(day=1) if field == "From"
             else periods.month_end(day) if field == "To" else periods.last_month_end(day))
    assert getattr(filters, attribute) == given
    assert at.query_params[param] == given.isoformat()
    assert at.text_input(key=f"{key}_typed").value == day.strftime("%d/%m/%Y")
    assert at.date_input(key=key).value == day                               # the calendar agrees
    assert not _errors(at)
    if field != "As of":
        assert ui.fmt_period(filters.start_date, filters.end_date) in at.caption[0].value


@pytest.mark.parametrize("typed, reason", [
    ("31/02/2026", "Not a date: February 2026 has 28 days"),
    ("2026-13-01", "Not a date: there is no month 13"),
    ("", "Type a date, e.g. 03/03/2026"),
    ("   ", "Type a date, e.g. 03/03/2026"),
    ("last Tuesday", "Not a date: type it day first, e.g. 03/03/2026"),
    ("**1**/[2](https://example.org)/2026", "Not a date: type it day first, e.g. 03/03/2026"),
    ("31/12/1999", "31 Dec 1999 is before the dates this covers (1 Jan 2000 to 31 Dec 2100)"),
    ("1/1/2101", "1 Jan 2101 is after the dates this covers (1 Jan 2000 to 31 Dec 2100)"),
])
@pytest.mark.parametrize("field", list(FIELDS))
def test__sidebar__a_text_that_is_not_a_date_is_refused_and_changes_nothing(app, field, typed, reason):
    key, param, attribute = FIELDS[field]
    at = app()
    before, url = at.session_state["flt_filters"], dict(at.query_params)
    _type(at, key, typed)
    kept = getattr(before, attribute)
    assert _errors(at) == [f"{reason}. {field} stays {ui.fmt_date(kept)}."]
    assert at.session_state["flt_filters"] == before
    assert dict(at.query_params) == url
    assert at.text_input(key=f"{key}_typed").value == typed     # left as typed, to be put right
    _type(at, key, kept.strftime("%d/%m/%Y"))                   # put right: the reason goes
    assert not _errors(at)


def test__sidebar__a_typed_from_after_to_is_swapped_as_before(app, as_of):
    at = _type(app(), "flt_end", (as_of - dt.timedelta(days=100)).strftime("%d/%m/%Y"))
    at = _type(at, "flt_start", (as_of - dt.timedelta(days=50)).strftime("%d/%m/%Y"))
    assert "'From' is after 'To': the dates were swapped." in [w.value for w in at.sidebar.warning]
    filters = at.session_state["flt_filters"]
    assert (filters.start_date, filters.end_date) == (as_of - dt.timedelta(days=100), as_of - dt.timedelta(days=50))


def test__sidebar__a_short_typed_period_is_widened_for_a_board_viewer(app, as_of):
    """The disclosure rule's whole months hold for a typed date as for any other: one day is its month."""
    at = _type(app("board"), "flt_start", as_of.strftime("%d/%m/%Y"))
    filters = at.session_state["flt_filters"]
    assert (filters.start_date, filters.end_date) == (as_of.replace(day=1), periods.month_end(as_of))
    assert (filters.end_date - filters.start_date).days + 1 >= disclosure.MIN_PERIOD_DAYS
    assert any("whole months" in i.value for i in at.sidebar.info)


def test__sidebar__the_calendar_sets_the_box_and_clears_a_refused_text(app, as_of):
    at = _type(app(), "flt_start", "31/02/2026")
    assert _errors(at)
    picked = periods.default_period(as_of)[0] + dt.timedelta(days=14)
    at.date_input(key="flt_start").set_value(picked).run()
    assert not _errors(at)
    assert at.text_input(key="flt_start_typed").value == picked.strftime("%d/%m/%Y")
    assert at.session_state["flt_filters"].start_date == picked


def test__sidebar__a_typed_date_survives_a_page_switch(app, as_of):
    day = as_of - dt.timedelta(days=90)
    at = _type(app(), "flt_start", day.isoformat())
    at.switch_page("app_pages/data_quality.py").run()
    assert at.text_input(key="flt_start_typed").value == day.strftime("%d/%m/%Y")
    assert at.query_params["start"] == day.isoformat()


def test__sidebar__the_address_sets_the_boxes(app):
    at = app(start="2025-01-01", end="2025-03-31", as_of="2025-04-30")
    assert [at.text_input(key=f"{k}_typed").value for k, _, _ in FIELDS.values()] == [
        "01/01/2025", "31/03/2025", "30/04/2025"]


def test__audit__dates_are_typed_the_same_way(app):
    at = app(page=AUDIT)
    today = dt.datetime.now(dt.UTC).date()
    assert at.text_input(key="au_start_typed").value == (today - dt.timedelta(days=30)).strftime("%d/%m/%Y")
    _type(at, "au_start", "31/02/2026")
    assert any("February 2026 has 28 days" in e.value for e in at.error)
    _type(at, "au_start", "1/1/2000")
    _type(at, "au_end", "2/1/2000")
    rows = next(d.value for d in at.dataframe if "row_count" in d.value.columns)
    assert rows.empty   # nothing was viewed in January 2000
    _type(at, "au_end", today.strftime("%d/%m/%Y"))
    rows = next(d.value for d in at.dataframe if "row_count" in d.value.columns)
    assert not rows.empty   # this session's sign-in at least


def _boxes(at) -> list[str]:
    return [at.text_input(key=f"{k}_typed").value for k in ("flt_start", "flt_end")]


@pytest.mark.parametrize("user", ["opcc", "erewash"])
def test__sidebar__from_and_to_show_the_period_an_earlier_as_of_date_uses(app, as_of, user):
    """An earlier as-of date moves the period to end on it (periods.ending_by), and the boxes kept
    showing the period asked for while the figures used another (the UX audit of 7 December 2026):
    From and To now show the period used, and an as-of date moved back gives back the period asked."""
    earlier = as_of - dt.timedelta(days=100)
    at = _type(app(user), "flt_as_of", earlier.strftime("%d/%m/%Y"))
    used = periods.default_period(earlier)            # the default period follows the as-of date
    f = at.session_state["flt_filters"]
    assert (f.start_date, f.end_date) == used
    assert _boxes(at) == [d.strftime("%d/%m/%Y") for d in used]
    assert any(f"the period is {ui.fmt_period(*used)}" in i.value for i in at.sidebar.info)
    at.run()                                          # a rerun keeps it, and says it once
    assert _boxes(at) == [d.strftime("%d/%m/%Y") for d in used]
    assert len([i for i in at.sidebar.info if "the period is" in i.value]) == 1
    at = _type(at, "flt_as_of", as_of.strftime("%d/%m/%Y"))   # back to the build's date
    assert _boxes(at) == [d.strftime("%d/%m/%Y") for d in periods.default_period(as_of)]
    assert not any("the period is" in i.value for i in at.sidebar.info)


def test__sidebar__a_period_asked_for_is_cut_at_the_as_of_date_in_the_boxes_too(app, as_of):
    start, end = as_of - dt.timedelta(days=300), as_of - dt.timedelta(days=20)
    at = app(start=start.isoformat(), end=end.isoformat())
    cut = as_of - dt.timedelta(days=60)
    at = _type(at, "flt_as_of", cut.strftime("%d/%m/%Y"))
    assert _boxes(at) == [start.strftime("%d/%m/%Y"), cut.strftime("%d/%m/%Y")]
    f = at.session_state["flt_filters"]
    assert (f.start_date, f.end_date, f.as_of_date) == (start, cut, cut)
    assert at.query_params["end"] == cut.isoformat()
    at = _type(at, "flt_as_of", as_of.strftime("%d/%m/%Y"))   # the period asked for comes back
    assert _boxes(at) == [start.strftime("%d/%m/%Y"), end.strftime("%d/%m/%Y")]
    # a To typed while the period was cut is the period asked for from then on
    at = _type(at, "flt_as_of", cut.strftime("%d/%m/%Y"))
    typed = cut - dt.timedelta(days=10)
    at = _type(at, "flt_end", typed.strftime("%d/%m/%Y"))
    at = _type(at, "flt_as_of", as_of.strftime("%d/%m/%Y"))
    assert _boxes(at) == [start.strftime("%d/%m/%Y"), typed.strftime("%d/%m/%Y")]
