"""A month cut by the period is a count over fewer days: the second-report trend (Threshold page)
and the monthly compliance (Review turnaround) hide it from a viewer without person-level rights,
as the Overview's incidents per month do (disclosure.Aggregate.row_span). Before, a board viewer
whose period started on the last day of a month read that day's second reports (or finished
stages) as the first month of the chart.

Real demo warehouse, the real queries and the rule as ui.load applies it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from etl.rules import authorities
from insight import db
from insight.access import disclosure
from insight.access import roles as access
from insight.queries import threshold as qt
from insight.queries import turnaround as qr

K = disclosure.suppress_below()
BOARD = access.Viewer("board.viewer", access.BOARD_VIEWER)
OPCC = access.Viewer("opcc.analyst", access.OPCC_ANALYST)


def _days(month, first: dt.date, last: dt.date) -> int:
    """Days of the calendar month starting `month` inside first..last (worked out here)."""
    start = pd.Timestamp(month).date()
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return (min(end, last) - max(start, first)).days + 1


def _periods(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Periods of about three months whose first month is cut to a few days, ending on a month end."""
    ends = [as_of.replace(day=1) - dt.timedelta(days=1 + n * 31) for n in range(0, 4)]
    ends = [e + pd.offsets.MonthEnd(0) for e in ends]
    return [(e.date().replace(day=1) - dt.timedelta(days=d + 62), e.date()) for e in ends for d in (1, 3)]


def _check(con, query, args_of, as_of, counts):
    hidden_large = cut_rows = 0
    for start, end in _periods(as_of):
        args = args_of(start, end)
        raw = query(con, *args)
        shown = access.shown(BOARD, query, args, {}, raw, K)
        whole = access.shown(OPCC, query, args, {}, raw, K)
        for row, was, opcc in zip(shown.itertuples(), raw.itertuples(), whole.itertuples(), strict=True):
            if _days(row.month, start, end) < disclosure.MIN_PERIOD_DAYS:
                cut_rows += 1
                assert all(pd.isna(getattr(row, c)) for c in counts), row
                hidden_large += max(0 if pd.isna(getattr(was, c)) else getattr(was, c) for c in counts) >= K
            assert all(pd.isna(getattr(was, c)) or getattr(opcc, c) == getattr(was, c) for c in counts)
    assert cut_rows
    return hidden_large


def test__second_report_trend__a_cut_month_is_hidden_from_a_board_viewer(con):
    build_date = db.build_as_of(con)
    counts = ("events", "explained_in_time", "explained_late", "not_explained", "awaiting")
    hidden = _check(con, qt.second_report_trend, lambda s, e: (build_date, authorities.CODES, s, e), build_date, counts)
    assert hidden  # the demo has cut months of k or more second reports: they were shown


def test__monthly_compliance__a_cut_month_is_hidden_from_a_board_viewer(con):
    build_date = db.build_as_of(con)
    _check(con, qr.monthly_compliance, lambda s, e: (build_date, authorities.CODES, s, e), build_date,
           ("finished", "within_sla", "over_sla"))
