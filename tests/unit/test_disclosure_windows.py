"""The repeat-location table's nested windows against a reader who subtracts (insight/access/roles.py
QUERIES["insight.queries.maps.repeat_locations"], insight/access/disclosure.py `differences`).

In every row of the mart, incidents_180d = incidents_90d + incidents_prev_90d, and the windows are
nested: the 30 days lie in the 90, the 180 in the 365. So 180d - prev_90d gives a hidden 90-day
count away, and 90d - 30d (days 31-90) or 365d - 180d (days 181-365) count incidents too: none of
them may come out as 1..k-1 for a viewer without person-level rights over the row's authority.

The reader here knows every relation and that each count is 0 or more; it narrows each hidden
cell, and each never-shown band (31-90, 91-180, 181-365 days), from what is shown, and lists the
small ones (1..k-1) it can tell exactly. Then the same on the demo warehouse, through ui's path.
"""

from __future__ import annotations

import math

import pandas as pd
from reader import tightened

from etl.rules import authorities
from insight import db
from insight.access import disclosure
from insight.access import roles as access
from insight.queries import maps as qm

K = 5
A, B = "E07000032", "E07000033"
WINDOWS = ["incidents_30d", "incidents_90d", "incidents_180d", "incidents_365d", "incidents_prev_90d"]


def _frame(rows: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """Rows of (30d, 31-90d, 91-180d, 181-365d) bands made into the mart's nested windows."""
    out = []
    for n, (b30, b90, b180, b365) in enumerate(rows):
        out.append({"authority_code": A, "authority_name": "Amber Valley", "rank": n + 1, "h3_cell": f"c{n}",
                    "incidents_30d": b30, "incidents_90d": b30 + b90, "incidents_180d": b30 + b90 + b180,
                    "incidents_365d": b30 + b90 + b180 + b365, "incidents_prev_90d": b180,
                    "first_report": pd.Timestamp("2025-01-01"), "last_report": pd.Timestamp("2025-06-01"),
                    "main_asb_types": "noise", "distinct_reporters": 6, "main_location": "Market Place",
                    "change_z": 0.0, "changed": False, "lat": 53.0, "lon": -1.4})
    return pd.DataFrame(out)


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """What a board viewer sees, in the frame's order of cells (the rule lists a row whose ordering
    window is hidden after the rows shown: `Aggregate.order`)."""
    shown = access.shown_as(access.BOARD_VIEWER, (), qm.repeat_locations, ((A,), None, None), {}, frame, K)
    return shown.set_index("h3_cell").loc[frame["h3_cell"]].reset_index()


def _worked_out(row: pd.Series, shown: pd.Series) -> list[str]:
    """The small counts of the row (windows and the bands between them) a reader tells exactly."""
    true = {"b30": row["incidents_30d"], "b90": row["incidents_90d"] - row["incidents_30d"],
            "b180": row["incidents_prev_90d"], "b365": row["incidents_365d"] - row["incidents_180d"]}
    # every window is a sum of bands: the reader knows the sum where the window is shown
    sums = {"incidents_30d": ["b30"], "incidents_90d": ["b30", "b90"], "incidents_180d": ["b30", "b90", "b180"],
            "incidents_365d": ["b30", "b90", "b180", "b365"], "incidents_prev_90d": ["b180"]}
    lines = [(shown[w], parts) for w, parts in sums.items() if pd.notna(shown[w])]
    bounds = tightened({b: (0.0, math.inf) for b in true}, lines)
    small = [b for b, (lo, hi) in bounds.items() if lo >= hi and 0 < true[b] < K]
    # and a window made of bands the reader knows (a hidden window worked out)
    for window, parts in sums.items():
        lo = sum(bounds[p][0] for p in parts)
        hi = sum(bounds[p][1] for p in parts)
        if pd.isna(shown[window]) and lo >= hi and 0 < row[window] < K:
            small.append(window)
    return small


ROWS = [(0, 3, 5, 0),    # the probe's rank 1: 90d hidden (3), 180d 8 and prev 5 shown gave it away
        (0, 6, 0, 1),    # 365d - 180d = 1 incident 181-365 days ago
        (2, 6, 0, 7),    # a hidden 30d: 90d - 30d must not pin it
        (5, 2, 5, 9),    # days 31-90: 2 = 90d 7 - 30d 5
        (5, 5, 5, 5),    # nothing small: everything shown
        (0, 0, 7, 2),    # 181-365 days: 2
        (1, 1, 1, 5)]


def test__repeat_locations__no_window_and_no_band_between_windows_is_worked_out():
    frame = _frame(ROWS)
    shown = _shown(frame)
    for i in frame.index:
        assert _worked_out(frame.loc[i], shown.loc[i]) == [], (ROWS[i], shown.loc[i, WINDOWS].tolist())
    # nothing small is shown, and what can be shown is
    for column in WINDOWS:
        values = pd.to_numeric(shown[column])
        assert not ((values > 0) & (values < K)).any(), column
    assert shown.loc[4, WINDOWS].tolist() == [5, 10, 15, 20, 5]


def test__repeat_locations__the_probe_s_rows():
    """180d 8 - prev 5 = a hidden 90d of 3; 365d 7 - 180d 6 = 1."""
    frame = _frame([(0, 3, 5, 0), (0, 6, 0, 1)])
    shown = _shown(frame)
    assert pd.isna(shown.at[0, "incidents_90d"])
    assert pd.isna(shown.at[0, "incidents_180d"]) or pd.isna(shown.at[0, "incidents_prev_90d"])
    assert pd.isna(shown.at[1, "incidents_365d"]) or pd.isna(shown.at[1, "incidents_180d"])


def test__repeat_locations__the_own_authority_s_rows_stay_as_they_are():
    frame = _frame(ROWS)
    shown = access.shown_as(access.COUNCIL_MANAGER, (A,), qm.repeat_locations, ((A, B), None, None), {}, frame, K)
    assert shown[WINDOWS].equals(frame[WINDOWS])


def test__differences__a_cover_total_whose_parts_are_shown_is_no_cover():
    """A total hidden to cover another group is worked out from its shown parts: the machinery sees
    that line too (365 = 180 + band, 180 = 90 + prev: hiding 180 alone would not hide the band)."""
    values = {("r", "t365"): 7, ("r", "t180"): 6, ("r", "t90"): 6, ("r", "p90"): 0, ("r", "band"): 1}
    groups = [disclosure.Group(("r", "t180"), (("r", "t90"), ("r", "p90"))),
              disclosure.Group(("r", "t365"), (("r", "t180"), ("r", "band")))]
    primary, secondary = disclosure.hidden_cells(values, groups, K, free={("r", "band")})
    hidden = primary | secondary
    assert ("r", "band") not in hidden  # never shown, so never reported as hidden
    # the band (1) must not follow from what is shown
    shown = {c: v for c, v in values.items() if c not in hidden and c != ("r", "band")}
    t365, t180 = shown.get(("r", "t365")), shown.get(("r", "t180"))
    if t180 is None and ("r", "t90") in shown and ("r", "p90") in shown:
        t180 = shown[("r", "t90")] + shown[("r", "p90")]
    assert t365 is None or t180 is None


def test__repeat_locations__on_the_demo_warehouse_no_difference_of_shown_windows_is_small(con):
    """Every authority as the board viewer sees it (as ui.load's rule): no two shown windows of a
    row differ by 1..k-1 where one holds the other, and no hidden window follows from shown ones."""
    k = disclosure.suppress_below()
    as_of = db.build_as_of(con)
    viewer = access.Viewer("board.viewer", access.BOARD_VIEWER)
    pairs = [("incidents_90d", "incidents_30d"), ("incidents_180d", "incidents_90d"),
             ("incidents_365d", "incidents_180d"), ("incidents_180d", "incidents_prev_90d"),
             ("incidents_365d", "incidents_90d"), ("incidents_365d", "incidents_30d"),
             ("incidents_180d", "incidents_30d"), ("incidents_365d", "incidents_prev_90d")]
    checked = 0
    for code in authorities.CODES:
        args = ((code,), as_of, as_of)
        frame = qm.repeat_locations(con, *args)
        shown = access.shown(viewer, qm.repeat_locations, args, {}, frame, k)
        for i in shown.index:
            row = shown.loc[i]
            for larger, smaller in pairs:
                if pd.notna(row[larger]) and pd.notna(row[smaller]):
                    assert not 0 < row[larger] - row[smaller] < k, (code, row["h3_cell"], larger, smaller)
                    checked += 1
            # 90d = 180d - prev, prev = 180d - 90d: a hidden one of these is not given by the other two
            for hidden, a, b, sign in (("incidents_90d", "incidents_180d", "incidents_prev_90d", -1),
                                       ("incidents_prev_90d", "incidents_180d", "incidents_90d", -1),
                                       ("incidents_180d", "incidents_90d", "incidents_prev_90d", 1)):
                if pd.isna(row[hidden]) and pd.notna(row[a]) and pd.notna(row[b]):
                    assert not 0 < row[a] + sign * row[b] < k, (code, row["h3_cell"], hidden)
    assert checked > 100
