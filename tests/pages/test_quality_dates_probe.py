"""The day of one incident on the Data quality page and in the board pack's refusal (the disclosure
rule: insight/access/disclosure.py, applied by ui.load from insight/access/roles.py QUERIES).

1. The per-file accounting (`quality.file_accounting`) and the freshness per source
   (`quality.source_freshness`) were open: every role read a file's and a source's first and last
   date, and a file of one row (or a source whose last month held one) gave the day of one
   incident, and `days_behind` the same day counted back from the as-of date. A viewer without
   person-level rights over all nine authorities (the board viewer, a council manager) now reads
   each date as its month, and only when the source loaded at least k rows in that month (a file:
   and at least k rows were loaded from it); never the days behind, and the months behind only
   with the last month. The OPCC analyst keeps the days.
2. The board pack refused a month before the warehouse's first incident naming that incident's
   day; it now names its month, and only when that month holds k incidents (as the maps page's
   data span), else no date.

A hand-made build, the queries through the access layer the pages use (`roles.shown`, what
`ui.load` returns for an open query), and the page in AppTest signed in through the real form.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest
from conftest import EREWASH_DERBY_TOML, build_module_warehouse, dated_incidents, write_inputs
from support import open_app

from insight import db
from insight.access import disclosure
from insight.access import roles as access
from insight.board_pack import data as report_data
from insight.queries import quality

EREWASH, DERBY = "E07000036", "E06000015"
K = disclosure.suppress_below()
AS_OF = dt.date(2025, 6, 30)
PAGE = "app_pages/data_quality.py"
# Erewash: a file of six in March; a file of one incident (15 May, the source's last: May holds one);
# a file of five whose first (20 January, the source's first) is alone in its month and four more in
# March. Derby: one file of five in April.
FILES = {"erewash/a_march.csv": (EREWASH, [f"2025-03-{d:02d}" for d in range(2, 8)]),
         "erewash/b_single.csv": (EREWASH, ["2025-05-15"]),
         "erewash/c_january.csv": (EREWASH, ["2025-01-20", *(f"2025-03-{d:02d}" for d in range(10, 14))]),
         "derby/d_april.csv": (DERBY, [f"2025-04-{d:02d}" for d in range(10, 15)])}
LONE_DAYS = (dt.date(2025, 5, 15), dt.date(2025, 1, 20))  # each the only incident of its source's month
TOML = EREWASH_DERBY_TOML
BOARD = access.Viewer("board.viewer", access.BOARD_VIEWER)
EREWASH_MANAGER = access.Viewer("erewash.manager", access.COUNCIL_MANAGER, EREWASH)
DERBY_MANAGER = access.Viewer("derby.manager", access.COUNCIL_MANAGER, DERBY)
ANALYST = access.Viewer("opcc.analyst", access.OPCC_ANALYST)
RESTRICTED = [BOARD, EREWASH_MANAGER, DERBY_MANAGER]


def _incidents(name: str) -> str:
    return dated_incidents(name, FILES[name][1])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quality_dates")
    return build_module_warehouse(write_inputs(folder / "in", TOML, {name: _incidents(name) for name in FILES}),
                                  AS_OF)


def _seen(warehouse, viewer: access.Viewer, query, *args) -> pd.DataFrame:
    """The query's frame as ui.load hands it to the page for this viewer (roles.shown)."""
    con = db.connect(warehouse)
    try:
        return access.shown(viewer, query, args, {}, query(con, *args))
    finally:
        con.close()


def _day(value) -> dt.date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _dates(frame: pd.DataFrame, key: str, columns=("first_date", "last_date")) -> dict:
    return {row[key]: tuple(_day(row[c]) for c in columns) for _, row in frame.iterrows()}


def _cells(frame: pd.DataFrame) -> set:
    """Every value of the frame, dates as dates."""
    found = set()
    for column in frame.columns:
        for value in frame[column].dropna():
            found.add(pd.Timestamp(value).date() if isinstance(value, (pd.Timestamp, dt.date, dt.datetime)) else value)
    return found


# --- 1. the files and the sources: the query through the access layer ----------------------------------

def test__file_accounting__the_analyst_sees_every_day(warehouse):
    files = _seen(warehouse, ANALYST, quality.file_accounting)
    assert _dates(files, "source_file") == {
        "erewash/a_march.csv": (dt.date(2025, 3, 2), dt.date(2025, 3, 7)),
        "erewash/b_single.csv": (dt.date(2025, 5, 15), dt.date(2025, 5, 15)),
        "erewash/c_january.csv": (dt.date(2025, 1, 20), dt.date(2025, 3, 13)),
        "derby/d_april.csv": (dt.date(2025, 4, 10), dt.date(2025, 4, 14))}


@pytest.mark.parametrize("viewer", RESTRICTED, ids=lambda v: v.user_id)
def test__file_accounting__a_restricted_viewer_sees_a_month_among_k_rows_or_nothing(warehouse, viewer):
    files = _seen(warehouse, viewer, quality.file_accounting)
    march, april = dt.date(2025, 3, 1), dt.date(2025, 4, 1)
    # a file's name is raw partner text, shown to the analyst alone: the rows are in the analyst's order
    assert set(files["source_file"]) == {access.RAW_TEXT_HIDDEN}
    names = _seen(warehouse, ANALYST, quality.file_accounting)["source_file"].tolist()
    assert _dates(files.assign(source_file=names), "source_file") == {
        "erewash/a_march.csv": (march, march),
        "erewash/b_single.csv": (None, None),         # one row loaded from the file
        "erewash/c_january.csv": (None, march),       # its first is the only one of the source's January
        "derby/d_april.csv": (april, april)}
    assert not _cells(files) & set(LONE_DAYS)
    assert files["rows_loaded"].tolist() == [5, 6, 1, 5]   # the file's rows are counts of file rows: shown
    assert files.attrs["months"] == ("first_date", "last_date")


def test__source_freshness__the_analyst_sees_the_days_and_the_days_behind(warehouse):
    fresh = _seen(warehouse, ANALYST, quality.source_freshness, AS_OF).set_index("source")
    assert _dates(fresh.reset_index(), "source") == {
        "erewash_council": (dt.date(2025, 1, 20), dt.date(2025, 5, 15)),
        "derby_council": (dt.date(2025, 4, 10), dt.date(2025, 4, 14))}
    assert fresh["days_behind"].to_dict() == {"derby_council": 77, "erewash_council": 46}
    assert fresh["months_behind"].to_dict() == {"derby_council": 2, "erewash_council": 1}


@pytest.mark.parametrize("viewer", RESTRICTED, ids=lambda v: v.user_id)
def test__source_freshness__a_restricted_viewer_sees_months_never_days(warehouse, viewer):
    fresh = _seen(warehouse, viewer, quality.source_freshness, AS_OF)
    april = dt.date(2025, 4, 1)
    # Erewash's first month (January) and last (May) each hold one incident: neither is shown
    assert _dates(fresh, "source") == {"erewash_council": (None, None), "derby_council": (april, april)}
    assert fresh["days_behind"].isna().all()   # counted from the last day: never shown
    behind = fresh.set_index("source")["months_behind"]
    assert behind["derby_council"] == 2 and pd.isna(behind["erewash_council"])   # not without its month
    assert not _cells(fresh) & set(LONE_DAYS)
    # the rows behind the rule are counts of incidents in a month: none of 1 to k-1 is handed on
    counts = pd.concat([fresh["first_month_rows"], fresh["last_month_rows"]]).dropna()
    assert not ((counts > 0) & (counts < K)).any()


def test__source_freshness__the_board_packs_caveats_read_the_query_as_it_is(warehouse):
    """The board pack reads the freshness query itself (insight/board_pack/data.py `_sources`):
    the columns added for the rule change none of the ones it reads."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        fresh = quality.source_freshness(con, AS_OF)
    assert {"source", "kind", "last_date"} <= set(fresh.columns)
    assert fresh["last_date"].map(_day).tolist() == [dt.date(2025, 4, 14), dt.date(2025, 5, 15)]


# --- 1. the page ------------------------------------------------------------------------------------

def _headers(element) -> dict[str, str]:
    """column -> the header the table shows (its configured label, else its name); hidden left out."""
    config = json.loads(element.proto.columns or "{}")
    order = list(element.proto.column_order) or list(element.value.columns)
    shown = {}
    for name in order:
        column = config.get(f"col:name:{name}") or config.get(name) or {}
        if not column.get("hidden") and name in element.value.columns:
            shown[name] = column.get("label") or name
    return shown


def _table(at, column: str):
    return next(d for d in at.dataframe if column in d.value.columns)


@pytest.mark.parametrize("user", ["board", "erewash"])
def test__data_quality_page__a_restricted_viewer_reads_months_and_no_day(monkeypatch, warehouse, user):
    at = open_app(monkeypatch, warehouse, PAGE, user=user)
    for d in at.dataframe:   # no table of the page holds the day of a lone incident
        assert not _cells(d.value) & set(LONE_DAYS), _headers(d)
    files, fresh = _table(at, "rows_read"), _table(at, "files")
    assert {_headers(files)[c] for c in ("first_date", "last_date")} == {"first month", "last month"}
    assert {_headers(fresh)[c] for c in ("first_date", "last_date")} == {"first month", "last month loaded"}
    assert "months behind" in _headers(fresh).values() and "days_behind" not in fresh.value.columns
    assert not {"first_month_rows", "last_month_rows"} & {*files.value.columns, *fresh.value.columns}
    # in the order of what is shown, not of the days behind (Derby's 77, then Erewash's 46, whose place
    # would bound its hidden last day): the rows without their last month first, then the most months behind
    assert fresh.value["source"].tolist() == ["Erewash council", "Derby council"]
    assert fresh.value["months_behind"].isna().tolist() == [True, False]


def test__data_quality_page__the_analyst_reads_the_days(monkeypatch, warehouse):
    at = open_app(monkeypatch, warehouse, PAGE, user="opcc")
    files, fresh = _table(at, "rows_read"), _table(at, "files")
    assert {_headers(files)[c] for c in ("first_date", "last_date")} == {"first date", "last date"}
    assert _headers(fresh)["days_behind"] == "days behind" and "months_behind" not in fresh.value.columns
    assert set(LONE_DAYS) <= _cells(files.value) and dt.date(2025, 5, 15) in _cells(fresh.value)


# --- 2. the board pack's refusal --------------------------------------------------------------------

def _refusal(warehouse) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con, pytest.raises(report_data.PackDataError) as refused:
        report_data.gather(con, report_data.Month(dt.date(2024, 12, 1)), (EREWASH,))
    return str(refused.value)


def test__board_pack__a_month_before_the_first_incident_names_no_day(warehouse):
    # the warehouse's first incident (20 January) is alone in its month: no date at all
    message = _refusal(warehouse)
    assert message == "December 2024 ends before the warehouse's first incident: choose a later month"


def test__board_pack__names_the_first_incidents_month_when_it_holds_k(warehouse, tmp_path, monkeypatch):
    settings = tmp_path / "report.toml"
    settings.write_text("[report]\nsuppress_below = 1\n")   # k = 1: January's one incident is enough
    monkeypatch.setenv(disclosure.SETTINGS_ENV, str(settings))
    message = _refusal(warehouse)
    assert message == ("December 2024 ends before the warehouse's first incident (January 2025): "
                       "choose a month from then on")
    assert "20 Jan" not in message
