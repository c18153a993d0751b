"""A page never crashes (issue 16, item 10), whatever the period, authority and role.

Hypothesis draws a demo user (OPCC analyst, a council manager of Erewash or Derby, a board
viewer), one of the pages that user's navigation holds, an authority (or "all", or none: the
user's default) and a period around the demo data (one day, start = end, a period with no data,
one before the first incident, one after the as-of date, the dates given the wrong way round)
and opens the page with them in the URL, as a bookmarked or shared link does; no page may raise.
Then every page for every user on a warehouse built from police.uk files alone (no partner
files, no applications, appeals or returns: the first thing a new partnership builds).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil

import pytest
from conftest import real_data, write_inputs
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from streamlit import config
from streamlit.testing.v1 import AppTest
from support import APP, sign_in, users_file

from etl import build
from etl.rules import authorities
from insight import db, ui
from insight.access import auth
from insight.access import roles as access
from insight.charts import reviews as charts_reviews
from insight.queries import turnaround

USERS = ("opcc", "erewash", "derby", "board")
DERBY = "E06000015"
POLICE_MONTHS = ("2024-08", "2024-09", "2024-10")
POLICE_AS_OF = dt.date(2024, 10, 31)
TURNAROUND = "app_pages/turnaround.py"


def _pages(user: str) -> list[str]:
    """The pages in this demo user's navigation (insight/access/roles.py PAGES), as script paths."""
    _, _, role, authority, name = auth.DEMO_USERS[user]
    viewer = access.Viewer(user, role, authority, name)
    return [f"app_pages/{url}.py" for url in access.PAGES if url and access.may_open(viewer, url)]


@contextlib.contextmanager
def _error_details():
    """Show an exception's message and trace in AppTest (the app redacts them: config.toml)."""
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "full")
    try:
        yield
    finally:
        config.set_option("client.showErrorDetails", before)


def _open(monkeypatch, warehouse, user: str, params: dict) -> AppTest:
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update(params)
    at.run()
    return sign_in(at, user)


def _crashes(at: AppTest) -> list[str]:
    return [f"{e.message}\n" + "\n".join(e.stack_trace[-6:]) for e in at.exception]


@pytest.fixture(scope="module")
def demo_span(demo_warehouse) -> tuple[dt.date, dt.date]:
    """(first incident date, build as-of date) of the demo warehouse."""
    con = db.connect(demo_warehouse)
    try:
        return con.execute("select min(reported_date) from incidents").fetchone()[0], db.build_as_of(con)
    finally:
        con.close()


# Derandomized (the same examples on every run) and not shrunk (a failing example is shown as drawn).
@settings(max_examples=16, deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(visit=st.sampled_from(USERS).flatmap(lambda user: st.tuples(st.just(user), st.sampled_from(_pages(user)))),
       authority=st.sampled_from((None, ui.ALL_PARAM, *authorities.CODES)),
       start=st.one_of(st.sampled_from(("first", "as_of", "before", "after")), st.integers(-400, 1200)),
       days=st.one_of(st.just(0), st.integers(0, 40), st.integers(0, 800)), backwards=st.booleans())
@example(visit=("derby", TURNAROUND), authority=DERBY, start=dt.date(2026, 3, 3), days=0, backwards=False)  # the issue's
@example(visit=("board", TURNAROUND), authority=None, start="before", days=0, backwards=False)
def test__every_page__any_period_authority_and_role__no_exception(demo_warehouse, demo_span, monkeypatch,
                                                                   visit, authority, start, days, backwards):
    first, as_of = demo_span
    anchors = {"first": first, "as_of": as_of, "before": first - dt.timedelta(days=400),
               "after": as_of + dt.timedelta(days=30)}
    start = anchors[start] if isinstance(start, str) else (
        start if isinstance(start, dt.date) else first + dt.timedelta(days=start))
    end = start + dt.timedelta(days=days)
    params = {"start": (end if backwards else start).isoformat(), "end": (start if backwards else end).isoformat()}
    if authority:
        params["authority"] = authority
    user, path = visit
    with _error_details():
        at = _open(monkeypatch, demo_warehouse, user, params)
        at.switch_page(path).run()
        assert not _crashes(at), (user, path, params, _crashes(at))


@pytest.fixture(scope="module")
def police_only_warehouse(tmp_path_factory):
    """A warehouse of three real Derbyshire police.uk months and nothing else (the built-in
    district boundaries); skips when ../shared/data/real is absent."""
    folder = real_data("police_uk", "derbyshire")
    root = tmp_path_factory.mktemp("police_only")
    inputs = write_inputs(root / "inputs", """
[[source]]
slug = "police-uk"
kind = "police_uk"
path = "police/*.csv"
""", {})
    (inputs / "police").mkdir()
    for month in POLICE_MONTHS:
        shutil.copy(folder / f"{month}-derbyshire-street.csv", inputs / "police")
    with pytest.MonkeyPatch.context() as mp:  # not os.environ: the key would reach other builds
        mp.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
        build.build(inputs, root / "warehouse.duckdb", POLICE_AS_OF)
    return root / "warehouse.duckdb"


@pytest.mark.parametrize("user", USERS)
def test__every_page__police_only_warehouse__no_exception(police_only_warehouse, monkeypatch, user):
    """The default view (the twelve months to the as-of date) and one day of Derby on every page."""
    crashes = {}
    for params in ({}, {"authority": DERBY, "start": "2024-09-03", "end": "2024-09-03"}):
        with _error_details():
            at = _open(monkeypatch, police_only_warehouse, user, params)
            for path in _pages(user):
                at.switch_page(path).run()
                if _crashes(at):
                    crashes[path, str(params)] = _crashes(at)
    assert not crashes, crashes


def test__review_tables__no_stage_finished__empty_not_an_error(police_only_warehouse):
    """No application at all: the median table and the compliance heatmap of Review turnaround
    are empty (a Series.map of an empty count column stays numeric: adding text to it raised)."""
    con = db.connect(police_only_warehouse)
    try:
        summary = turnaround.stage_summary(con, POLICE_AS_OF, authorities.CODES, dt.date(2023, 11, 1), POLICE_AS_OF)
    finally:
        con.close()
    assert summary.empty
    assert charts_reviews.median_table(summary).columns.tolist() == ["Authority"]
    assert len(charts_reviews.compliance_heatmap(summary).data[0].y) == 0


@pytest.mark.parametrize("content", [b"", b"not a database\n"])
def test__frame__a_file_that_is_no_warehouse_is_said_in_words(monkeypatch, tmp_path, content):
    """A warehouse file DuckDB cannot open (copied in by hand, cut short): the frame says what to do
    after sign-in, as for a missing one, instead of an error Streamlit redacts."""
    bad = tmp_path / "warehouse.duckdb"
    bad.write_bytes(content)
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(bad))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))
    monkeypatch.setenv(auth.DEMO_USERS_ENV, "1")  # not a demo build: the demo users need leave
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    sign_in(at, "opcc")
    assert not at.exception
    assert any("cannot be opened as a warehouse" in e.value for e in at.error), [e.value for e in at.error]
