"""An area's busiest places against its count (the disclosure audit of 8 December 2026).

Every incident of a map's area (a hexagon, a ward, an LSOA) has a street-level place, so the
places listed beside the area's count on the Hotspots page add up to it, with the places the list
leaves out (under k incidents, or past its ten busiest). The list declared no such total: the
board viewer's tile of 20 beside one place of 19 told a left-out place of 1 (17 of 83 size-9
hexagons, 15 of 120 wards and 28 of 310 LSOAs of a twelve-month period told 1 to 4). Now the
places are judged over all of them against the area's count (`shown_whole`), then the busiest
listed: what the tile less the places shown leaves is 0 or at least k, for every area.
"""

from __future__ import annotations

import datetime as dt
import functools

import pytest

from etl.rules import authorities
from insight.access import disclosure
from insight.access import roles as access
from insight.queries import maps as qm

BOARD = ("board_viewer", ())
DERBY = "E06000015"
TOP = 10   # the places the page lists (app_pages/maps.py TOP_PLACES)


def _viewer_sees(con, role: str, allowed: tuple[str, ...]):
    """(named query, args) -> the frame as the viewer sees it, as ui.load gives it (access.shown_as
    with the query's parts and the map the rows follow), each kept."""
    @functools.cache
    def run(query, args):
        return query(con, *args)

    @functools.cache
    def seen(query, args):
        def rerun(a, kw):
            return query(con, *a, **kw)

        def on_map(name, map_args):
            map_query = getattr(qm, name.rpartition(".")[2])
            return run(map_query, tuple(map_args)), seen(map_query, tuple(map_args))
        return access.shown_as(role, allowed, query, args, {}, run(query, args), disclosure.suppress_below(),
                               rerun=rerun, on_map=on_map)
    return seen


@pytest.mark.parametrize(("role", "allowed"), [BOARD, ("council_manager", (DERBY,))], ids=["board", "derby-manager"])
@pytest.mark.parametrize("kind", ["h3_9", "ward", "lsoa"])
def test__an_area_s_count_less_its_places_shown_tells_no_small_count(con, demo_build, role, allowed, kind):
    k = disclosure.suppress_below()
    end = demo_build[2].as_of.replace(day=1) - dt.timedelta(days=1)   # the last whole month
    start = (end.replace(day=1) - dt.timedelta(days=330)).replace(day=1)
    codes = tuple(authorities.CODES)
    seen = _viewer_sees(con, role, allowed)
    if kind == "h3_9":
        areas = seen(qm.hex_counts, (codes, start, end, 9)).rename(columns={"h3_cell": "code"})
    else:
        areas = seen(qm.area_counts, (codes, start, end, kind))
    shown = areas[areas["incidents"].notna() & (areas["incidents"] > 0)]
    if allowed:   # an area of the viewer's own incidents: its count less its places is theirs to see
        own = (qm.hex_counts(con, allowed, start, end, 9).rename(columns={"h3_cell": "code"}) if kind == "h3_9"
               else qm.area_counts(con, allowed, start, end, kind))
        shown = shown[~shown["code"].isin(own.loc[own["incidents"] > 0, "code"])]
    assert len(shown) > 20, len(shown)
    told = []
    for code, count in zip(shown["code"], shown["incidents"], strict=True):
        places = seen(qm.area_top_locations, (codes, start, end, kind, code, None)).head(TOP)
        rest = count - places["incidents"].sum(skipna=True)
        if 0 < rest < k:
            told.append((code, int(count), places["incidents"].tolist()))
    assert told == [], f"{len(told)} of {len(shown)} areas: the tile less the places shown is 1..{k - 1}: {told[:5]}"
