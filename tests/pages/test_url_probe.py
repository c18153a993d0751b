"""Hostile addresses: a person edits the address bar (or pastes a link from an e-mail) and opens the
dashboard with query parameters the sidebar never wrote, signed in as each demo role, on the demo
warehouse (AppTest; the link opened signed out, then signed in, as a bookmark is).

What must hold, beyond the cases of test_sidebar_dates.py, test_access_pages.py and
test_pages_never_crash.py: a date the link gives that cannot be read (31 February, 1900, a
timestamp's garbage, a 100,000-digit run) is said in the sidebar, field by field with the reason,
and the default shown, not silently replaced; a date written as a person or another system writes
it (03/03/2026, an ISO timestamp with a zone) is read; empty or repeated authority entries name
nothing; a long or invisible list of unknown authorities is named briefly, never echoed whole nor
with characters that turn the page's text round; the address the sidebar writes back reopens the
same view (a board viewer's widened one-day period too); and no page, for any role, raises or shows
another authority's people under a link that mixes every hostile parameter at once.

    ?start=2025-02-29  ->  "The link's From is not used (Not a date: February 2025 has 28 days): From is ..."
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest
from support import APP, sign_in, users_file

from etl.rules import authorities, periods
from insight import db
from insight.access import auth, disclosure
from insight.access import roles as access
from insight.ui import dates

EREWASH, DERBY = "E07000036", "E06000015"
OVERVIEW = "app_pages/overview.py"
FIELDS = {"start": ("From", "start_date"), "end": ("To", "end_date"), "as_of": ("As of", "as_of_date")}
# Columns that only a row per person, complaint, incident, application, appeal or rejected row has
# (tests/pages/test_access_pages.py PERSON_COLUMNS).
PERSON_COLUMNS = {"person_key", "incident_id", "application_ref", "appeal_ref", "source_row"}


@pytest.fixture(scope="module")
def as_of(demo_build) -> dt.date:
    """The demo warehouse's as-of date (the build's: conftest's demo_build)."""
    return demo_build[2].as_of


@pytest.fixture
def link(demo_warehouse, monkeypatch):
    """link(user, page=OVERVIEW, **params): the address opened signed out, then signed in as `user`
    (the sidebar is seeded from the address on that run, as after a bookmark)."""
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))

    def opened(user: str = "opcc", page: str = OVERVIEW, **params) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.query_params.update(params)
        at.switch_page(page).run()
        sign_in(at, user)
        assert not at.exception, [e.value for e in at.exception]
        return at
    return opened


def _viewer(user: str) -> access.Viewer:
    _, _, role, code, name = auth.DEMO_USERS[user]
    return access.Viewer(user, role, code, name)


def _warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.sidebar.warning]


def _filters(at: AppTest):
    return at.session_state["flt_filters"]


def _address(at: AppTest) -> dict:
    return {k: at.query_params.get_all(k) if hasattr(at.query_params, "get_all") else at.query_params[k]
            for k in at.query_params}


# --- dates ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, reason", [
    ("2025-02-29", "Not a date: February 2025 has 28 days"),
    ("1900-01-01", "1 Jan 1900 is before the dates this covers (1 Jan 2000 to 31 Dec 2100)"),
    ("2101-01-01", "1 Jan 2101 is after the dates this covers (1 Jan 2000 to 31 Dec 2100)"),
    ("9" * 100_000, "Not a date: type it day first, e.g. 03/03/2026"),
    ("2026-99999999999-01", "Not a date: type it day first, e.g. 03/03/2026"),
    ("２０２６-０３-３１", "Not a date: type it day first, e.g. 03/03/2026"),
    ("0001-01-01T00:00:00+01:00", "1 Jan 1 is before the dates this covers (1 Jan 2000 to 31 Dec 2100)"),
    ("**now**](javascript:x)", "Not a date: type it day first, e.g. 03/03/2026"),
])
@pytest.mark.parametrize("param", list(FIELDS))
def test__url__a_date_that_cannot_be_read_is_said_and_the_default_shown(link, as_of, param, value, reason):
    """Before: the default period was shown without a word, so the reader took it for the link's."""
    at = link("board", **{param: value})
    field, attribute = FIELDS[param]
    default = {"start": periods.default_period(as_of)[0], "end": as_of, "as_of": as_of}[param]
    assert getattr(_filters(at), attribute) == default
    day = f"{default.day} {default:%b %Y}"
    assert _warnings(at) == [f"The link's {field} is not used ({reason}): {field} is {day}."]
    assert value[:12] not in _warnings(at)[0]       # the reason, never the text given
    assert at.query_params.get(param) in (None, default.isoformat())
    at.run()                                          # said once, on the link's run
    assert not _warnings(at) and not at.exception


@pytest.mark.parametrize("value, day", [
    ("03/03/2026", dt.date(2026, 3, 3)),                       # as a person types it in the box
    ("3 Mar 2026", dt.date(2026, 3, 3)),
    ("2026-03-03T09:00:00Z", dt.date(2026, 3, 3)),             # a timestamp, its day in Europe/London
    ("2026-06-30T23:30:00+00:00", dt.date(2026, 7, 1)),        # 00:30 BST on 1 July
    ("\u200b2026-03-03\u200b", dt.date(2026, 3, 3)),           # zero-width spaces pasted with the link
])
def test__url__a_date_written_as_a_person_or_another_system_writes_it_is_read(link, value, day):
    at = link("opcc", start=value)
    assert _filters(at).start_date == day and not _warnings(at)
    assert at.query_params["start"] == day.isoformat()         # written back as the sidebar writes it


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(text=hs.one_of(hs.text(), hs.datetimes(timezones=hs.one_of(hs.none(), hs.timezones())).map(
    lambda t: t.isoformat()), hs.dates().map(lambda d: d.strftime("%d/%m/%Y"))))
def test__link_day__any_text_is_a_day_in_range_or_a_reason(text):
    """Whatever the address holds, a day the sidebar can show or ValueError with a reason in words
    (a timestamp of year 1 in another zone raised OverflowError when moved to Europe/London)."""
    try:
        day = dates.link_day(text)
    except ValueError as exc:
        assert str(exc) and len(str(exc)) < 120
    else:
        assert dates.EARLIEST_DATE <= day <= dates.LATEST_DATE


# --- authorities ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value, shown", [("", [EREWASH]), (",,,", [EREWASH]), (" , ,", [EREWASH]),
                                          (f" {DERBY} , ,", [DERBY]), (f"{DERBY},,{DERBY.lower()},derby", [DERBY])])
def test__url__empty_or_repeated_authority_entries_name_nothing(link, value, shown):
    """Before: `?authority=` warned "The link names no authority called : ...", naming nothing."""
    at = link("erewash", authority=value)
    assert list(_filters(at).authority_codes) == shown
    assert not _warnings(at)


def test__url__a_long_or_invisible_list_of_unknown_authorities_is_named_briefly(link):
    """Fifty unknown names (one opening with a right-to-left override, which turned the rest of the
    warning round in the browser) and one known: three named, the rest counted, nothing invisible."""
    names = ["\u202eDERBY" + "A" * 200, "x'); drop table incidents; --"] + [f"bad{i}" for i in range(48)]
    at = link("erewash", authority=",".join([*names, EREWASH]))
    assert list(_filters(at).authority_codes) == [EREWASH]
    (warning,) = _warnings(at)
    assert warning.startswith("The link names no authority called DERBY") and "and 47 more" in warning
    assert warning.endswith(": showing the others it names.")
    assert len(warning) < 250 and "\u202e" not in warning and "bad3" not in warning


# --- the address written back reopens the view ----------------------------------------------------

@pytest.mark.parametrize("user, params", [
    ("board", {"start": "2000-01-05", "end": "2000-01-05"}),       # widened: not from 9 Dec 1999
    ("board", {"start": "2026-10-31", "end": "2026-10-01", "authority": DERBY}),
    ("erewash", {"start": "2026-03-03T09:00:00Z", "end": "31/03/2026", "as_of": "2100-12-31"}),
    ("erewash", {"authority": f"{DERBY.lower()},{DERBY},all,nowhere", "start": "garbage"}),
    ("derby", {"authority": [EREWASH, EREWASH, "all"], "end": "2025-02-29"}),
])
def test__url__the_address_the_sidebar_writes_reopens_the_same_view(link, user, params):
    """A hostile link shows a view; the address it then carries, bookmarked or sent on, opens that
    view again without a warning. Before: a board viewer's one-day period near 1 Jan 2000 was widened
    to start on 9 Dec 1999, an address the sidebar refuses, so the link reopened the default year."""
    first = link(user, **params)
    shown, address = _filters(first), _address(first)
    assert shown.start_date >= dt.date(2000, 1, 1)
    again = link(user, **address)
    assert _filters(again) == shown and not _warnings(again)
    assert _address(again) == address
    if set(shown.authority_codes) - set(access.person_level_codes(_viewer(user), shown.authority_codes)):
        assert (shown.end_date - shown.start_date).days + 1 >= disclosure.MIN_PERIOD_DAYS


# --- every page, every role, one link holding every hostile parameter -----------------------------

HOSTILE = {
    "authority": [f"{DERBY.lower()},{EREWASH}", "x'); drop table incidents; --", "all" * 3, "\u200b"],
    "start": "2026-10-31", "end": "2026-10-31",        # one day: below the disclosure rule's 28
    "as_of": "2025-02-29",
    "thr_list": ["Second reports", "nope"], "thr_analysis": "Z" * 5000, "rt_analysis": "<script>x</script>",
    "analysis": "Hot spots", "mp_view": ["nowhere", "Authorities"], "mp_res": "10", "mp_measure": "1' or '1'='1",
    "mp_area_h3_10": "8a195da49a27fff", "mp_area_authority": "Derby", "mp_district": "DE1 1",
    "mp_lorenz": "true", "ov_table_show": "changes", "bp_month": "2099-13", "rt_margin": "-5",
}


def _pages(user: str) -> list[str]:
    return [f"app_pages/{url}.py" for url in access.PAGES if url and access.may_open(_viewer(user), url)]


@pytest.mark.parametrize("user", ["erewash", "board"])
def test__url__every_page_under_a_link_of_every_hostile_parameter(link, user):
    """No exception; the period widened to the rule's 28 days (Derby is in the selection, whose people
    neither may see); a council manager's lists of people hold their own authority's rows only, the
    board viewer's none; Derby, opened on the Hotspots page's authority map by the link, shows its
    busiest places under the disclosure rule (none under k incidents, no single incident's date, a
    description only with k reporters)."""
    own = auth.DEMO_USERS[user][3]
    k = disclosure.suppress_below()
    for page in _pages(user):
        at = link(user, page, **HOSTILE)
        assert not at.exception, (page, [e.value for e in at.exception])
        f = _filters(at)
        assert f.authority_codes == (DERBY, EREWASH), page
        assert (f.end_date - f.start_date).days + 1 >= disclosure.MIN_PERIOD_DAYS, page
        for frame in (d.value for d in at.dataframe):
            if PERSON_COLUMNS & set(frame.columns):
                assert user != "board", (page, list(frame.columns))
                codes = set(frame["authority_code"].dropna()) if "authority_code" in frame.columns else {
                    authorities.resolve(n) for n in frame.get("authority_name", pd.Series()).dropna()}
                assert codes <= {own}, (page, codes)
        if page.endswith("maps.py"):
            assert "Derby" in [h.value for h in at.subheader]
            (places,) = [d.value for d in at.dataframe if {"reporters", "main_location"} <= set(d.value.columns)]
            assert len(places) and (places["incidents"] >= k).all()
            assert places[["first_report", "last_report"]].isna().all().all()
            assert places.loc[places["main_location"].notna(), "reporters"].ge(k).all()
