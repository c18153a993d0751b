"""The Maps page's ward map against its LSOA map (the roles audit's suspicion S2, confirmed on the
demo warehouse): most LSOAs lie wholly in one ward, so a ward whose incidents all come from such
LSOAs is their sum. In November 2025 the ward map showed a ward's 7 incidents and the LSOA map its
LSOAs' 6, 0 and one hidden: the hidden one was 1.

The reader here knows what both maps show for the same choice and period, and the authorities'
totals, and where each incident's LSOA and ward are (which LSOAs lie wholly in which ward); from
every relation that gives, no hidden count of 1..k-1 can be told exactly.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from reader import tightened

from etl.rules import authorities
from insight.access import roles as access
from insight.queries import maps as qm

K = 5
# the months where, before, the two maps told a hidden count (found by the probe of 7 December 2026), a
# quiet one, and the year to the build's date
PERIODS = [(d.date(), (d + pd.offsets.MonthEnd(0)).date()) for d in pd.to_datetime(
    ["2025-11-01", "2026-04-01", "2026-07-01", "2026-08-01", "2026-10-01"])] + [(dt.date(2025, 11, 1), dt.date(2026, 10, 31))]
COUNTS = ("incidents", "previous")


def _seen(con, viewer: tuple, codes: tuple[str, ...], start: dt.date, end: dt.date, kind: str) -> pd.DataFrame:
    """The area map's frame as `viewer` (role, allowed) sees it (ui.load's rule), by area code."""
    args = (codes, start, end, kind)
    frame = qm.area_counts(con, *args)
    return access.shown_as(*viewer, qm.area_counts, args, {}, frame, K,
                           rerun=lambda a, kw: qm.area_counts(con, *a, **kw)).set_index("code")


def _nested(con) -> dict[str, list[str]]:
    """ward -> its LSOAs, for the wards whose incidents all come from LSOAs wholly inside them."""
    rows = con.execute("""
        with lsoa as (select lsoa_code, count(distinct ward_code) as wards, count(*) filter (where ward_code is null) as no_ward
                      from incidents where lsoa_code is not null group by 1),
             pairs as (select distinct ward_code, lsoa_code from incidents where ward_code is not null)
        select p.ward_code, list(p.lsoa_code order by p.lsoa_code)
        from pairs p left join lsoa l using (lsoa_code)
        group by 1 having bool_and(l.wards = 1 and l.no_ward = 0)""").fetchall()
    return dict(rows)


def _told(con, viewer: tuple, start: dt.date, end: dt.date, nested: dict[str, list[str]]) -> list:
    codes = tuple(authorities.CODES)
    wards, lsoas = (_seen(con, viewer, codes, start, end, kind) for kind in ("ward", "lsoa"))
    true = {kind: qm.area_counts(con, codes, start, end, kind).set_index("code") for kind in ("ward", "lsoa")}
    shown = {"ward": wards, "lsoa": lsoas}
    told = []
    for c in COUNTS:
        bounds, lines = {}, []
        for kind in ("ward", "lsoa"):
            for code in shown[kind].index[shown[kind][c].isna() & true[kind].loc[shown[kind].index, c].notna()]:
                bounds[(kind, code)] = (1.0, math.inf)

        def line(total: float, cells: list[tuple[str, str]], c: str = c, bounds: dict = bounds) -> tuple[float, list]:
            known = sum(shown[kind].at[code, c] for kind, code in cells if (kind, code) not in bounds)
            return total - known, [x for x in cells if x in bounds]

        for ward, its in nested.items():
            if ward in shown["ward"].index and pd.notna(shown["ward"].at[ward, c]):
                lines.append(line(shown["ward"].at[ward, c], [("lsoa", code) for code in its if code in shown["lsoa"].index]))
        for code in authorities.CODES:   # the Authorities map's totals: the wards and the LSOAs each add up to them
            total = true["ward"].loc[true["ward"]["authority_code"] == code, c].sum()
            if total >= K:
                for kind in ("ward", "lsoa"):
                    cells = [(kind, x) for x in shown[kind].index[shown[kind]["authority_code"] == code]]
                    lines.append(line(total, cells))
        for x, (lo, hi) in tightened(bounds, [ln for ln in lines if ln[1]]).items():
            if lo >= hi and 0 < true[x[0]].at[x[1], c] < K:
                told.append((start, viewer[0], c, x, true[x[0]].at[x[1], c]))
    return told


@pytest.mark.parametrize("viewer", [(access.BOARD_VIEWER, ()), (access.COUNCIL_MANAGER, ("E06000015",))],
                         ids=["board", "derby"])
def test__ward_and_lsoa_maps__together_tell_no_small_count(con, viewer):
    nested = _nested(con)
    assert len(nested) > 20   # the demo's LSOAs mostly lie in one ward
    told = [t for start, end in PERIODS for t in _told(con, viewer, start, end, nested)]
    assert told == []


def _trend_values(at, period: str) -> list[float]:
    """The monthly trend beside the map: the shown incidents of `period` ("current", "previous")."""
    import base64
    import json

    import numpy as np

    chart = next((c for c in at.get("plotly_chart") if "mp_trend" in c.proto.id), None)
    if chart is None:   # nothing to draw: the page says why instead
        assert any(c.value.startswith("Not shown: the map hides this area") for c in at.caption)
        return []
    values = []
    for trace in json.loads(chart.proto.spec)["data"]:
        if trace.get("name") != period:
            continue
        y = trace["y"]
        if isinstance(y, dict):
            y = np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
        values += [v for v in pd.Series(y, dtype="float64").tolist() if not np.isnan(v)]
    return values


@pytest.mark.parametrize(("kind", "start", "end"), [("lsoa", "2025-11-01", "2025-11-30"), ("ward", "2025-11-01", "2025-11-30"),
                                                    ("lsoa", "2026-04-01", "2026-04-30")])
def test__an_area_whose_count_the_map_hides__shows_no_month_beside_it(monkeypatch, demo_warehouse, con, kind, start, end):
    """The map hides an area's count as a cover (it has k or more: another count would follow from
    it). Opened beside the map, its monthly trend showed the month's count, so the cover was undone:
    in November 2025 every such LSOA (19 on the LSOA, ward and hexagon maps of two months) showed it,
    and one LSOA's single busiest place its 7."""
    from support import open_app

    codes = tuple(authorities.CODES)
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    shown = _seen(con, (access.BOARD_VIEWER, ()), codes, first, last, kind)
    true = qm.area_counts(con, codes, first, last, kind).set_index("code")
    covers = [c for c in shown.index[shown["incidents"].isna()] if true.at[c, "incidents"] >= K]
    assert covers, "the month has a cover on this map"
    for code in covers[:3]:   # chosen as a click on the map chooses it (the chooser lists the 300 busiest)
        at = open_app(monkeypatch, demo_warehouse, None, user="board", authority="all", start=start, end=end)
        at.session_state["mp_view"], at.session_state[f"mp_area_{kind}"] = kind, code
        at.switch_page("app_pages/maps.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.subheader[0].value == true.at[code, "name"]
        assert _trend_values(at, "current") == [], (code, true.at[code, "incidents"])
        top = next((d.value for d in at.dataframe if d.key == "mp_top"), None)   # the busiest places in it
        assert top is None or top.empty, (code, top)
