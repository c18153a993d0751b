"""One hexagon size for a viewer without person-level rights (the README's known limit of size 8
against size 9, closed).

A size-8 hexagon holds, nearly, its seven size-9 hexagons (H3's hexagons do not nest exactly: a
size-9 hexagon's incidents can fall in two size-8 ones), so a reader of both maps for the same
choice and period can subtract. Confirmed on the demo warehouse: April to June 2026, all nine
authorities, a size-8 hexagon of 6 incidents whose incidents (ever) lie in two size-9 hexagons,
one shown with 5, the other left out: 6 - 5 told its 1. Judging the two maps together (as the
wards with the LSOAs) hid 238 of 3,742 hexagons of a month at ten million incidents and took
10 s instead of 0.9 s for the map's first view, so such a viewer gets one size, 9 (towns), for
every hexagon count: the hexagon map, the Gi* map, and the trend and busiest places of a hexagon.
Wards and LSOAs remain for rural areas; a viewer's own authorities alone keep every size.
"""

from __future__ import annotations

import datetime as dt

import pytest
from support import open_app

from etl.rules import authorities
from insight.access import disclosure
from insight.access import roles as access
from insight.queries import maps as qm

DERBY, EREWASH = "E06000015", "E07000036"
APRIL, JUNE = dt.date(2026, 4, 1), dt.date(2026, 6, 30)
MAPS = "app_pages/maps.py"
BOARD = access.Viewer("board.viewer", access.BOARD_VIEWER)
DERBY_MANAGER = access.Viewer("derby.manager", access.COUNCIL_MANAGER, DERBY)


def _asks(codes: tuple[str, ...], size: int) -> list[tuple]:
    """Every named query that counts a hexagon's incidents, asked at `size`."""
    cell = "89195c929d7ffff" if size == 9 else None
    return [(qm.hex_counts, (codes, APRIL, JUNE, size)), (qm.hotspot_cells, (codes, size)),
            (qm.area_trend, (codes, APRIL, JUNE, f"h3_{size}", cell or "x")),
            (qm.area_top_locations, (codes, APRIL, JUNE, f"h3_{size}", cell or "x"))]


@pytest.mark.parametrize(("viewer", "codes"), [
    (BOARD, tuple(authorities.CODES)), (BOARD, (DERBY,)), (BOARD, (EREWASH, DERBY)),
    (DERBY_MANAGER, tuple(authorities.CODES)), (DERBY_MANAGER, (DERBY, EREWASH)), (DERBY_MANAGER, (EREWASH,)),
], ids=["board-all", "board-derby", "board-two", "manager-all", "manager-own-and-other", "manager-other"])
def test__a_viewer_under_the_rule__gets_hexagon_counts_at_one_size(viewer, codes):
    for size in (8, 10):
        for query, args in _asks(codes, size):
            with pytest.raises(disclosure.TooDetailed, match="one size|finer"):
                access.check_request(viewer, query, args, {})
    for query, args in _asks(codes, disclosure.RESTRICTED_RESOLUTION):
        access.check_request(viewer, query, args, {})


def test__a_manager_s_own_authority_alone__every_size():
    for size in (8, 9, 10):
        for query, args in _asks((DERBY,), size):
            access.check_request(DERBY_MANAGER, query, args, {})


def test__maps_page__a_board_viewer_is_offered_one_hexagon_size_and_one_gi_resolution(monkeypatch, demo_warehouse):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="board", authority="all")
    assert [option.split()[0] for option in at.selectbox(key="mp_res").options] == ["9"]
    at.session_state["analysis"] = "Hot spots"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    gi = at.radio(key="mp_gi_res")
    assert [str(o).split()[0] for o in gi.options] == ["9"], gi.options


@pytest.mark.parametrize("asked", [8, 10])
def test__maps_page__a_size_chosen_for_the_own_authority__becomes_9_when_another_joins(monkeypatch, demo_warehouse, asked):
    """Derby's manager looks at Derby at size 8 (or street level), then adds Erewash, whose incident
    rows they may not see: the map is drawn at size 9, the size control says so, nothing refused."""
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="derby", authority=DERBY)
    at.selectbox(key="mp_res").set_value(asked).run()
    assert at.selectbox(key=f"mp_area_h3_{asked}").options
    at.sidebar.multiselect[0].set_value([DERBY, EREWASH]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("not shown for" in e.value for e in [*at.error, *at.info]), [e.value for e in at.error]
    assert at.selectbox(key="mp_res").value == 9 and at.selectbox(key="mp_res").options == ["9 – town (about 0.1 km²)"]
    assert at.selectbox(key="mp_area_h3_9").options   # the size-9 hexagons are listed
    assert not [b for b in at.selectbox if b.key == f"mp_area_h3_{asked}"]


def test__maps_page__a_manager_on_their_own_authority_keeps_every_size(monkeypatch, demo_warehouse):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="derby", authority=DERBY)
    assert [option.split()[0] for option in at.selectbox(key="mp_res").options] == ["8", "9", "10"]
