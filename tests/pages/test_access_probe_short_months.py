"""Access probe: a month cut by the period showed a count of fewer than 28 days.

The disclosure rule gives a viewer without person-level rights no figure over fewer than
MIN_PERIOD_DAYS (28) days: a shorter period in the sidebar is widened. But the Overview's incidents
per month, and the monthly trend of an area on the maps page, count "only the days inside the
period" in their first and last months: a board viewer who chose 30 September to 27 October (28
days) read Amber Valley's incidents of 30 September alone (5) in the chart's JSON, and an area's
incidents of one day the same way. A row over fewer than 28 days now has its counts hidden for such
a viewer (disclosure.Aggregate.row_days), with secondary suppression against the totals.

Real demo warehouse, the real queries and the rule as ui.load applies it, and the page in AppTest.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import numpy as np
import pandas as pd
from support import open_app

from etl.rules import authorities, periods
from insight.access import disclosure
from insight.access import roles as access
from insight.queries import maps as qm
from insight.queries import overview

K = disclosure.suppress_below()
BOARD = access.Viewer("board.viewer", access.BOARD_VIEWER)
EREWASH = "E07000036"
MANAGER = access.Viewer("erewash.manager", access.COUNCIL_MANAGER, EREWASH)


def _days(month, first: dt.date, last: dt.date) -> int:
    """Days of the calendar month starting `month` inside first..last (worked out here, not read
    from the query)."""
    start = pd.Timestamp(month).date()
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return (min(end, last) - max(start, first)).days + 1


def _cut_periods(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """28-day periods starting on the last day of a month, or a few days before it."""
    ends = [as_of.replace(day=1) - dt.timedelta(days=n * 31) for n in range(1, 5)]
    return [(e - dt.timedelta(days=d), e - dt.timedelta(days=d) + dt.timedelta(days=27)) for e in ends
            for d in (1, 3, 12)]


def test__monthly_incidents__no_month_of_fewer_than_28_days_for_a_viewer_without_rights(con, demo_build):
    as_of, hidden_large = demo_build[2].as_of, 0
    for viewer, codes in ((BOARD, authorities.CODES), (MANAGER, authorities.CODES), (BOARD, ("E07000032",))):
        for start, end in _cut_periods(as_of):
            args = (codes, start, end)
            raw = overview.monthly_incidents(con, *args)
            shown = access.shown(viewer, overview.monthly_incidents, args, {}, raw, K)
            for row, was in zip(shown.itertuples(), raw.itertuples(), strict=True):
                own = row.authority_code in access.person_level_authorities(viewer)
                if _days(row.month, start, end) < disclosure.MIN_PERIOD_DAYS and not own:
                    assert pd.isna(row.incidents), (viewer.role, row)
                    hidden_large += was.incidents >= K
                elif own:
                    assert row.incidents == was.incidents  # the viewer's own authority as it is
    assert hidden_large  # the demo has cut months of k or more incidents: they were shown


def test__monthly_incidents__whole_months_stay_shown(con, demo_build):
    as_of = demo_build[2].as_of
    start, end = periods.default_period(as_of)
    raw = overview.monthly_incidents(con, authorities.CODES, start, end)
    shown = access.shown(BOARD, overview.monthly_incidents, (authorities.CODES, start, end), {}, raw, K)
    big = raw["incidents"] >= K
    assert big.any() and shown.loc[big, "incidents"].notna().mean() > 0.9


def test__area_trend__no_row_of_fewer_than_28_days_for_a_viewer_without_rights(con, demo_build):
    as_of, hidden_large, checked = demo_build[2].as_of, 0, 0
    for start, end in _cut_periods(as_of)[:6]:
        prev_start, prev_end = periods.previous_period(start, end)
        cells = qm.hex_counts(con, authorities.CODES, start, end, 8).head(5)["h3_cell"]
        for cell in cells:
            args = (authorities.CODES, start, end, "h3_8", cell)
            raw = qm.area_trend(con, *args)
            shown = access.shown(BOARD, qm.area_trend, args, {}, raw, K)
            for row, was in zip(shown.itertuples(), raw.itertuples(), strict=True):
                first, last = (start, end) if row.period == "current" else (prev_start, prev_end)
                if _days(row.month, first, last) < disclosure.MIN_PERIOD_DAYS:
                    assert pd.isna(row.incidents), row
                    hidden_large += was.incidents >= K
                checked += 1
    assert checked and hidden_large


def test__overview_page__a_cut_period_becomes_whole_months_for_a_board_viewer(monkeypatch, demo_build):
    """The page as a board viewer, a period of 28 days from the last day of a month: before 6 December
    2026 the chart held no value for the one-day month nor for the 27 days after it (`row_span`);
    now the sidebar gives such a viewer the whole months that hold the period, so the chart has a
    value for each whole month and no month is cut."""
    _, warehouse, summary = demo_build
    end = summary.as_of.replace(day=1) - dt.timedelta(days=4)
    start = end - dt.timedelta(days=27)
    assert start.month != end.month
    at = open_app(monkeypatch, warehouse, user="board", start=start.isoformat(), end=end.isoformat())
    f = at.session_state["flt_filters"]
    assert (f.start_date, f.end_date) == (start.replace(day=1), periods.month_end(end))
    chart = next(c for c in at.get("plotly_chart") if "ov_trend" in c.proto.id)
    values = []
    for trace in json.loads(chart.proto.spec)["data"]:
        y = trace["y"]
        if isinstance(y, dict):
            y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
        values += [v for v in pd.Series(y, dtype="float64").tolist() if not np.isnan(v)]
    assert values, "whole months are shown"
