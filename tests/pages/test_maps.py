"""The Hotspots and maps page: its queries against the warehouse rows, and the page in AppTest on
the demo warehouse and on a warehouse of the real Derbyshire police.uk files (ONS boundaries
with wards)."""

from __future__ import annotations

import datetime as dt
import json

import h3
import pandas as pd
import pytest
import streamlit as st
from conftest import POLICE_AS_OF
from streamlit.testing.v1 import AppTest
from support import in_fresh_process, open_app, svg_maps

from etl.rules import authorities
from etl.rules.periods import previous_period
from insight import db
from insight.access import disclosure
from insight.access import roles as access
from insight.charts import maps as cm
from insight.charts import vector_map as vm
from insight.queries import knox
from insight.queries import maps as qm

MAPS = "app_pages/maps.py"
ALL = authorities.CODES
DERBY, EREWASH = "E06000015", "E07000036"


@pytest.fixture
def demo_con(demo_warehouse):
    con = db.connect(demo_warehouse)
    yield con
    con.close()


@pytest.fixture
def police_con(police_warehouse):
    con = db.connect(police_warehouse)
    yield con
    con.close()


def _period(con) -> tuple[dt.date, dt.date]:
    as_of = con.execute("select max(as_of_date) from etl_builds").fetchall()[0][0]
    return as_of.replace(year=as_of.year - 1) + dt.timedelta(days=1), as_of


def _count(con, where: str, params: list) -> int:
    return con.execute(f"select count(*) from incidents where {where}", params).fetchall()[0][0]


@pytest.mark.parametrize("resolution", [8, 9, 10])
def test__hex_counts__add_up_to_the_incident_rows(demo_con, resolution):
    start, end = _period(demo_con)
    prev_start, prev_end = previous_period(start, end)
    cells = qm.hex_counts(demo_con, (DERBY, EREWASH), start, end, resolution)
    where = f"authority_code in (?, ?) and reported_date between ? and ? and h3_r{resolution} is not null"
    assert cells["incidents"].sum() == _count(demo_con, where, [DERBY, EREWASH, start, end])
    assert cells["previous"].sum() == _count(demo_con, where, [DERBY, EREWASH, prev_start, prev_end])
    top = cells.iloc[0]
    assert top["incidents"] == _count(demo_con, f"h3_r{resolution} = ? and authority_code in (?, ?) and "
                                      "reported_date between ? and ?", [top["h3_cell"], DERBY, EREWASH, start, end])
    assert top["change"] == top["incidents"] - top["previous"]
    assert top["per_km2"] == pytest.approx(top["incidents"] / h3.cell_area(top["h3_cell"], "km^2"))
    assert list(cells["rank"]) == list(range(1, len(cells) + 1))
    assert h3.get_resolution(top["h3_cell"]) == resolution


def test__hex_counts__cap_at_the_busiest_cells(demo_con, monkeypatch):
    start, end = _period(demo_con)
    monkeypatch.setattr(qm, "HEX_LIMIT", 50)
    cells = qm.hex_counts(demo_con, ALL, start, end, 10)
    assert len(cells) == 50 and cells["cells_total"].iloc[0] > 50
    assert cells["incidents"].is_monotonic_decreasing


@pytest.mark.parametrize("kind", ["authority", "ward", "lsoa"])
def test__area_counts__every_area_with_none_included(demo_con, kind):
    start, end = _period(demo_con)
    areas = qm.area_counts(demo_con, (EREWASH,), start, end, kind)
    table = {"authority": "authorities", "ward": "ref_ward", "lsoa": "ref_lsoa"}[kind]
    expected = demo_con.execute(f"select count(*) from {table} where authority_code = ?", [EREWASH]).fetchall()[0][0]
    assert len(areas) == expected > 0 and (areas["authority_code"] == EREWASH).all()
    column = {"authority": "authority_code", "ward": "ward_code", "lsoa": "lsoa_code"}[kind]
    assert areas["incidents"].sum() == _count(
        demo_con, f"authority_code = ? and reported_date between ? and ? and {column} is not null", [EREWASH, start, end])
    assert areas["boundary_geojson"].notna().all()


def test__area_counts__wards_on_the_real_police_data(police_con):
    start, end = _period(police_con)
    assert qm.has_wards(police_con)
    wards = qm.area_counts(police_con, ALL, start, end, "ward")
    assert len(wards) >= 170 and set(wards["authority_code"]) == set(ALL)
    assert wards["incidents"].sum() == _count(police_con, "reported_date between ? and ? and ward_code is not null",
                                              [start, end])
    assert (wards["incidents"] == 0).sum() < len(wards)


def test__selected_area__trend_top_places_and_incidents_agree(demo_con):
    start, end = _period(demo_con)
    lsoa = qm.area_counts(demo_con, (DERBY,), start, end, "lsoa").iloc[0]
    trend = qm.area_trend(demo_con, (DERBY,), start, end, "lsoa", lsoa["code"])
    assert trend.loc[trend["period"] == "current", "incidents"].sum() == lsoa["incidents"]
    assert trend.loc[trend["period"] == "previous", "incidents"].sum() == lsoa["previous"]
    top = qm.area_top_locations(demo_con, (DERBY,), start, end, "lsoa", lsoa["code"])
    assert top["incidents"].sum() <= lsoa["incidents"] and top["incidents"].is_monotonic_decreasing
    rows = qm.area_incidents(demo_con, (DERBY,), start, end, "lsoa", lsoa["code"])
    assert len(rows) == min(lsoa["incidents"], qm.INCIDENT_LIMIT)
    assert "person_key" not in rows.columns
    assert qm.area_incidents(demo_con, (EREWASH,), start, end, "lsoa", lsoa["code"]).empty  # not a viewer's authority


def test__repeat_locations__live_run_matches_the_mart(demo_con):
    _, as_of = _period(demo_con)
    mart = qm.repeat_locations(demo_con, ALL, as_of, as_of)
    live = qm.repeat_locations(demo_con, ALL, as_of, dt.date(1999, 1, 1))  # forces the live SQL
    assert len(mart) > 0
    assert mart.drop(columns=["lat", "lon"]).equals(live.drop(columns=["lat", "lon"]))
    earlier = qm.repeat_locations(demo_con, ALL, as_of - dt.timedelta(days=60), as_of)
    assert (earlier["last_report"] <= str(as_of - dt.timedelta(days=60))).all()


def test__repeat_locations__top_cells_evaluation_equals_the_whole(demo_con):
    """A page at another date keeps the busiest cells of each authority alone (`top`): their rows
    are the whole evaluation's, column for column (reporters, location, types gathered for them
    alone), and a list longer than the kept one is evaluated on its own, never cut short."""
    from etl.marts import registry
    from etl.marts.hotspots import REPEAT_LIST

    _, as_of = _period(demo_con)
    earlier = as_of - dt.timedelta(days=45)
    assert registry.model("mart_repeat_locations").live_params == {"top": REPEAT_LIST, "month_only": []}
    whole = registry.evaluate(demo_con, "mart_repeat_locations", earlier)
    cols = list(whole.columns)
    for top in (1, 3, REPEAT_LIST):
        kept = registry.evaluate(demo_con, "mart_repeat_locations", earlier, top=top)
        expected = whole[whole["rank"] <= top].sort_values(["authority_code", "rank"]).reset_index(drop=True)
        got = kept[cols].sort_values(["authority_code", "rank"]).reset_index(drop=True)
        assert len(got) > 0 and got["rank"].max() == min(top, whole["rank"].max())
        pd.testing.assert_frame_equal(got, expected)
    longer = REPEAT_LIST + 20
    assert (whole.groupby("authority_code")["rank"].max() > REPEAT_LIST).any(), "the demo has too few cells"
    listed = qm.repeat_locations(demo_con, ALL, earlier, as_of, per_authority=longer)
    stored_way = whole[whole["rank"] <= longer]
    assert len(listed) == len(stored_way)
    assert sorted(zip(listed["authority_code"], listed["h3_cell"], listed["distinct_reporters"], strict=True)) == \
        sorted(zip(stored_way["authority_code"], stored_way["h3_cell"], stored_way["distinct_reporters"], strict=True))


def test__hotspot_cells__one_authority_per_cell(demo_con):
    cells = qm.hotspot_cells(demo_con, (DERBY,), 9)
    assert len(cells) > 0 and (cells["authority_code"] == DERBY).all()
    duplicates = demo_con.execute("select count(*) - count(distinct (h3_cell, h3_resolution)) "
                                  "from mart_hotspot_cells").fetchall()[0][0]
    assert duplicates == 0


def test__hotspot_accuracy__wide_rows_per_authority(demo_con):
    wide = qm.hotspot_accuracy(demo_con, ALL, 9)
    assert wide["authority_name"].iloc[0] == "All nine authorities" and len(wide) == 10
    assert (wide["hit_rate_1"] <= wide["hit_rate_5"]).all() and (wide["hit_rate_5"] <= wide["hit_rate_10"]).all()
    row = wide.iloc[0]
    assert row["pai_5"] == pytest.approx(row["hit_rate_5"] / (row["cells_5"] / row["all_cells"]))


def test__near_repeats__day_level_demo_data(demo_con):
    _, end = _period(demo_con)
    table = qm.near_repeats(demo_con, (EREWASH,), end - dt.timedelta(days=90), end, (0, 100, 200), (0, 7, 14), 19)
    assert list(table["spatial_band"].unique()) == ["same location (0 m)", "[0,100) m excl. 0 m", "[100,200) m"]
    assert table["points"].iloc[0] == _count(demo_con, "authority_code = ? and easting is not null and "
                                             "reported_date between ? and ?", [EREWASH, end - dt.timedelta(days=90), end])


def test__near_repeats__refuses_too_many_points(demo_con, monkeypatch):
    _, end = _period(demo_con)
    monkeypatch.setattr(qm, "KNOX_POINT_LIMIT", 10)
    with pytest.raises(qm.TooManyPoints, match="more than the 10"):
        qm.near_repeats(demo_con, (EREWASH,), end - dt.timedelta(days=90), end, (0, 100), (0, 7), 19)


def test__near_repeats__refused_on_police_data(police_con):
    with pytest.raises(knox.NeedsDayLevelDates, match="police.uk"):
        qm.near_repeats(police_con, ALL, dt.date(2024, 5, 1), POLICE_AS_OF, (0, 100), (0, 7), 19)


# --- the page in AppTest ----------------------------------------------------------------------

def _app(monkeypatch, warehouse) -> AppTest:
    return open_app(monkeypatch, warehouse, MAPS)  # signed in as the OPCC analyst


def _layers(at: AppTest, index: int = 0) -> dict[str, str]:
    """The layers of a deck.gl map (the WebGL map, on demand): id -> type."""
    spec = json.loads(at.get("deck_gl_json_chart")[index].proto.json)
    assert "mapProvider" not in spec or spec["mapProvider"] is None  # offline: no basemap
    return {layer["id"]: layer["@@type"] for layer in spec["layers"]}


def _map(at: AppTest, index: int = 0) -> dict:
    """The data of the page's SVG map `index` (insight.charts.vector_map)."""
    maps = svg_maps(at)
    assert len(maps) > index, len(maps)
    return maps[index]


def _kind(data: dict) -> str:
    """What an SVG map shows: "hexagons" (its areas are H3 cells) or "areas"; one path per area."""
    assert data["svg"].count("<path class=\"f") == len(data["codes"]) == len(data["tips"]) > 0
    return "hexagons" if all(h3.is_valid_cell(c) for c in data["codes"]) else "areas"


def test__maps_page__demo_sections_map_and_drilldown(monkeypatch, demo_warehouse):
    at = _app(monkeypatch, demo_warehouse)
    # the list a manager acts on first, the analysis behind it in tabs (issue 16, item 3)
    assert [s.value for s in at.subheader] == ["Repeat locations", "Analysis"]
    assert [t.label for t in at.tabs] == ["Concentration", "Hot spots", "Accuracy", "Near repeats"]
    # the map is an SVG drawn here, no WebGL map (issue 16, item 8): hexagons over the outlines, named
    assert not at.get("deck_gl_json_chart") and len(svg_maps(at)) == 1
    # the concentration's sentences at once, its Lorenz curve (a plotly chart, the slowest thing a
    # first visit drew in the browser) only when its expander is opened (issue 16, item 8)
    assert "of places produced half of ASB" in " ".join(m.value for m in at.markdown)
    assert not at.get("plotly_chart") and at.expander[-1].label.startswith("Lorenz curve")
    at.session_state["mp_lorenz"] = True
    at.run()
    assert not at.exception and len(at.get("plotly_chart")) == 1
    data = _map(at)
    assert _kind(data) == "hexagons" and data["svg"].count("<text") >= len(ALL)
    assert all(name in data["svg"] for name in authorities.NAME_BY_CODE.values())
    for label, shown in [("Hot spots", lambda: len(svg_maps(at)) == 2 and _kind(_map(at, 1)) == "hexagons"
                          and not _map(at, 1)["clickable"]),  # the Gi* map
                         ("Accuracy", lambda: [d for d in at.dataframe if "pai_1" in d.value.columns])]:
        at.session_state["analysis"] = label
        at.run()
        assert not at.exception and shown(), label
    at.session_state["analysis"] = "Near repeats"
    at.run()
    assert not at.exception and "Run the near-repeat test" in [b.label for b in at.button]
    assert len(svg_maps(at)) == 1  # the Gi* map is not drawn behind another tab
    options = at.selectbox(key="mp_area_h3_9").options
    at.selectbox(key="mp_area_h3_9").select_index(0).run()
    assert not at.exception
    assert at.subheader[0].value == options[0]
    assert [m.label for m in at.metric][:3] == ["ASB incidents", "Incidents per km²", "Area (km²)"]
    assert at.radio(key="mp_view").options == ["Hexagons (H3)", "Authorities", "Wards", "LSOAs"]
    map_id = at.get("bidi_component")[0].proto.id
    for view in ("authority", "lsoa", "ward"):
        at.radio(key="mp_view").set_value(view).run()
        assert not at.exception and _kind(_map(at)) == "areas"
        # one map whatever its type: the browser swaps the drawing in place
        assert at.get("bidi_component")[0].proto.id == map_id
    # the wards shipped with the package: a choropleth of the 176 wards (issue 16, item 5)
    assert not at.info and len(_map(at)["codes"]) == 176
    at.selectbox(key="mp_area_ward").select_index(0).run()
    assert not at.exception and at.metric[0].label == "ASB incidents"


def test__maps_page__the_webgl_map_on_demand(monkeypatch, demo_warehouse):
    """The deck.gl maps stay a choice ("WebGL map"): the same map types as layers, the Gi* map too."""
    at = _app(monkeypatch, demo_warehouse)
    at.toggle(key="mp_gl").set_value(True).run()
    assert not at.exception and not svg_maps(at)
    assert _layers(at) == {"outlines": "GeoJsonLayer", "areas": "H3HexagonLayer", "names": "TextLayer"}
    map_id = at.get("deck_gl_json_chart")[0].proto.id
    for view in ("authority", "lsoa", "ward"):
        at.radio(key="mp_view").set_value(view).run()
        assert not at.exception and _layers(at)["areas"] == "GeoJsonLayer"
        assert at.get("deck_gl_json_chart")[0].proto.id == map_id  # deck.gl updates the map in place
    at.session_state["analysis"] = "Hot spots"
    at.run()
    assert not at.exception and len(at.get("deck_gl_json_chart")) == 2 and _layers(at, 1)["areas"] == "H3HexagonLayer"
    at.toggle(key="mp_gl").set_value(False).run()
    assert not at.exception and not at.get("deck_gl_json_chart") and len(svg_maps(at)) == 2


def test__maps_page__with_a_basemap_the_webgl_map_is_the_default(monkeypatch, demo_warehouse):
    """Only deck.gl draws a basemap (ASB_MAP_STYLE): with one set up, its map comes first."""
    monkeypatch.setenv(cm.STYLE_ENV, "http://127.0.0.1:9/style.json")
    at = _app(monkeypatch, demo_warehouse)
    assert at.toggle(key="mp_gl").value and at.get("deck_gl_json_chart") and not svg_maps(at)


def _outline_centre(selected: str) -> tuple[float, float]:
    """The mean of the points of an SVG outline (`M x y l dx dy ...`), as longitude and latitude."""
    import re

    numbers = [int(n) for n in re.findall(r"-?\d+", selected.split('d="', 1)[1].split('"', 1)[0])]
    first, steps = numbers[:2], list(zip(numbers[2::2], numbers[3::2], strict=True))
    points = [tuple(first)]
    for dx, dy in steps:
        points.append((points[-1][0] + dx, points[-1][1] + dy))
    return vm.lon_lat(sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def test__maps_page__a_click_on_the_svg_map_opens_the_area_each_time(monkeypatch, demo_warehouse):
    """A click on the SVG map (its state `picked`, as the browser sets it) opens the area beside the
    map and outlines it; a later click on the same area opens it again after another was chosen."""
    at = _app(monkeypatch, demo_warehouse)
    data = _map(at)
    code, label = data["codes"][2], at.selectbox(key="mp_area_h3_9").options[2]
    at.session_state["mp_map"] = {"picked": {"id": code, "n": 1}}
    at.run()
    assert not at.exception and at.session_state["mp_area_h3_9"] == code and at.subheader[0].value == label
    lon, lat = _outline_centre(_map(at)["selected"])
    assert h3.latlng_to_cell(lat, lon, 9) == code  # the hexagon is outlined on the map
    assert _map(at)["svg"] == data["svg"]  # the same drawing: the browser keeps it, only the outline is new
    at.selectbox(key="mp_area_h3_9").select_index(0).run()
    assert at.session_state["mp_area_h3_9"] != code
    at.session_state["mp_map"] = {"picked": {"id": code, "n": 2}}
    at.run()
    assert not at.exception and at.session_state["mp_area_h3_9"] == code
    # the authorities' map ignores a click it did not receive (a hexagon's code), then takes its own
    at.radio(key="mp_view").set_value("authority").run()
    assert not at.exception and at.session_state.get("mp_area_authority") is None
    at.session_state["mp_map"] = {"picked": {"id": EREWASH, "n": 3}}
    at.run()
    assert not at.exception and at.session_state["mp_area_authority"] == EREWASH
    assert at.subheader[0].value == "Erewash"


def test__maps_page__no_wards_option_on_a_warehouse_without_wards(monkeypatch, demo_warehouse, tmp_path):
    """A warehouse built before wards were shipped (ref_ward empty) does not offer "Wards" at all,
    rather than print an instruction."""
    import shutil

    import duckdb

    old = tmp_path / "old.duckdb"
    shutil.copy(demo_warehouse, old)
    with duckdb.connect(str(old)) as con:
        con.execute("update incidents set ward_code = null")
        con.execute("delete from ref_ward")
    at = _app(monkeypatch, old)
    assert at.radio(key="mp_view").options == ["Hexagons (H3)", "Authorities", "LSOAs"]
    assert not at.info and _kind(_map(at)) == "hexagons"
    at.radio(key="mp_view").set_value("lsoa").run()
    assert not at.exception and not at.info and _kind(_map(at)) == "areas"


def test__maps_page__knox_on_demand_on_demo_data(monkeypatch, demo_warehouse):
    at = _app(monkeypatch, demo_warehouse)
    at.query_params["authority"] = EREWASH
    at.session_state["flt_authority"] = [EREWASH]
    at.session_state["analysis"] = "Near repeats"  # its tab
    at.run()
    button = next(b for b in at.button if "near-repeat" in str(b.label))
    button.click().run()
    assert not at.exception and not [w for w in at.warning if "Not computed" in w.value]
    assert any("incidents with day-level dates" in c.value for c in at.caption)


def test__maps_page__real_police_data(monkeypatch, police_warehouse):
    at = _app(monkeypatch, police_warehouse)
    assert any("data starts on 1 Jan 2023" in w.value for w in at.warning)
    assert _kind(_map(at)) == "hexagons"
    at.radio(key="mp_view").set_value("ward").run()
    assert not at.exception and _kind(_map(at)) == "areas" and not at.info
    at.selectbox(key="mp_area_ward").select_index(0).run()
    assert not at.exception and at.metric[0].label == "ASB incidents"
    at.session_state["analysis"] = "Near repeats"  # its tab
    at.run()
    button = next(b for b in at.button if "near-repeat" in str(b.label))
    button.click().run()
    assert any("Not computed" in w.value and "month" in w.value for w in at.warning)


# --- a hexagon names its street (issue 16, item 5) --------------------------------------------------

def test__hex_counts__each_cell_names_its_busiest_place_ward_and_authority(demo_con):
    end = db.build_as_of(demo_con)
    start = end - dt.timedelta(days=364)
    cells = qm.hex_counts(demo_con, ALL, start, end, 9)
    busiest = cells.iloc[0]
    expected = demo_con.execute("""
        select location_desc from incidents
        where h3_r9 = ? and reported_date between ? and ? and location_desc is not null
        group by 1 order by count(*) desc, location_desc limit 1""", [busiest["h3_cell"], start, end]).fetchone()[0]
    assert busiest["main_location"] == expected
    named = cells[cells["incidents"] > 0]
    assert named["authority_name"].notna().all() and named["ward_name"].notna().mean() > 0.95
    assert (named["reporters"] >= 0).all()


def test__hex_map__the_tooltip_leads_with_the_street():
    from insight.charts import maps as cm

    cells = qm._with_change(__import__("pandas").DataFrame({
        "h3_cell": ["89195c96327ffff", "89195c96323ffff"], "incidents": [9, 4], "previous": [3, 1],
        "area_km2": [0.1, 0.1], "main_location": ["Outside <b onmouseover=alert(1)>High Street</b>", None],
        "reporters": [6, 0], "ward_name": ["Ilkeston Central", None], "authority_name": ["Erewash", None]}))
    square = json.dumps({"type": "Polygon", "coordinates": [[[-1.4, 52.9], [-1.2, 52.9], [-1.2, 53.0], [-1.4, 52.9]]]})
    outlines = __import__("pandas").DataFrame({"authority_code": ["E07000036"], "authority_name": ["Erewash"],
                                               "boundary_geojson": [square]})
    deck = json.loads(cm.hex_map(cells, "incidents", outlines).to_json())
    data = next(layer["data"] for layer in deck["layers"] if layer["id"] == cm.LAYER_ID)
    # deck.gl puts values into the tooltip as text: the description stays as it is, markup and all
    assert (data[0]["label"], data[0]["where"]) == ("Outside <b onmouseover=alert(1)>High Street</b>",
                                                    "Ilkeston Central, Erewash")
    assert (data[1]["label"], data[1]["where"]) == ("H3 cell 89195c96323ffff", "")
    # the SVG map: the same words lead its hover label (the browser sets them as text, not HTML)
    svg_map = vm.hex_map(cells, "incidents", outlines)
    assert svg_map["tips"][0].split("\n")[:3] == ["Outside <b onmouseover=alert(1)>High Street</b>",
                                                   "Ilkeston Central, Erewash",
                                                   "9 incidents (3 in the previous period, +6, +200%)"]
    assert svg_map["tips"][1].split("\n")[0] == "H3 cell 89195c96323ffff"
    assert svg_map["codes"] == list(cells["h3_cell"])


def _streets(data: dict) -> list[str]:
    """The words written on the SVG map at street level (its "streets" labels), unescaped."""
    import html
    import re

    group = re.search(r'<g class="labels streets"[^>]*>(.*?)</g>', data["svg"])
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", group.group(1))] if group else []


def test__vector_map__hexagons_drawn_together_as_one_by_one():
    """`cell_paths` (thousands projected at once) writes each cell as `_ring` writes it alone, the
    twelve pentagons included."""
    cells = [h3.latlng_to_cell(52.97, -1.31, r) for r in (8, 9, 10)] + [h3.get_pentagons(9)[0]]
    alone = [vm._ring([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells]
    assert vm.cell_paths(cells) == alone and all(p.startswith("M") and p.endswith("z") for p in alone)


def test__vector_map__an_empty_map_draws_the_outlines_alone():
    """A period with no incident (one day, a police-only warehouse): no hexagon or area, no error."""
    square = json.dumps({"type": "Polygon", "coordinates": [[[-1.4, 52.9], [-1.2, 52.9], [-1.2, 53.0], [-1.4, 52.9]]]})
    outlines = pd.DataFrame({"authority_code": ["E07000036"], "authority_name": ["Erewash"],
                             "boundary_geojson": [square]})
    cells = qm._with_change(pd.DataFrame({
        "h3_cell": pd.Series([], dtype=str), "incidents": pd.Series([], dtype="int64"),
        "previous": pd.Series([], dtype="int64"), "area_km2": pd.Series([], dtype=float),
        "lat": pd.Series([], dtype=float), "lon": pd.Series([], dtype=float)}))
    for measure in cm.MEASURES:
        data = vm.hex_map(cells, measure, outlines)
        assert data["codes"] == [] and data["tips"] == [] and "Erewash" in data["svg"]
    areas = cells.rename(columns={"h3_cell": "code"}).assign(name=[], authority_name=[], boundary_geojson=[])
    assert vm.area_map(areas, "incidents", outlines)["codes"] == []


def test__vector_map__data_words_are_text_not_markup():
    """A place's description goes into the drawing escaped: it shows as words, never as markup."""
    cells = qm._with_change(pd.DataFrame({
        "h3_cell": ["8a195c963277fff"], "incidents": [9], "previous": [3], "area_km2": [0.015],
        "main_location": ["<script>alert(1)</script> & <b>Lane</b>"], "reporters": [6],
        "ward_name": ["Ilkeston Central"], "authority_name": ["Erewash"], "lat": [52.97], "lon": [-1.31]}))
    square = json.dumps({"type": "Polygon", "coordinates": [[[-1.4, 52.9], [-1.2, 52.9], [-1.2, 53.0], [-1.4, 52.9]]]})
    outlines = pd.DataFrame({"authority_code": ["E07000036"], "authority_name": ["Erewash <i>"],
                             "boundary_geojson": [square]})
    data = vm.hex_map(cells, "incidents", outlines)
    assert "<script>" not in data["svg"] and "<b>" not in data["svg"] and "<i>" not in data["svg"]
    assert _streets(data) == ["<script>alert(1)</script> & <b>Lane</b>"]
    assert "Erewash &lt;i&gt;" in data["svg"]


def test__hex_counts__a_board_viewer_gets_a_street_only_with_enough_reporters(monkeypatch, demo_warehouse):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="board")
    data = _map(at)
    labels = [tip.split("\n")[0] for tip in data["tips"]]
    assert labels and all("H3 cell" not in label for label in labels[:20])  # named by ward and authority at least
    with db.connect(demo_warehouse) as con:
        end = db.build_as_of(con)
        cells = qm.hex_counts(con, ALL, end - dt.timedelta(days=364), end, 9).set_index("h3_cell")
    for code, tip in zip(data["codes"], data["tips"], strict=True):
        street = cells.at[code, "main_location"] if code in cells.index else None
        if isinstance(street, str) and cells.at[code, "reporters"] < 5:
            assert street not in tip, tip


def test__maps_page__a_rerun_reuses_the_disclosed_figures(monkeypatch, demo_warehouse):
    """Issue 16, item 8: the disclosure rule over the board viewer's hexagons and repeat locations
    (0.1-0.7 s each) runs once per question and viewer, not on every rerun of the page; what the
    rerun shows is the same."""
    from insight.access import disclosure

    calls = []
    real = disclosure.protect_result

    def counted(spec, frame, *args, **kwargs):
        calls.append(len(frame))
        return real(spec, frame, *args, **kwargs)

    monkeypatch.setattr(disclosure, "protect_result", counted)
    st.cache_data.clear()  # another test of this process may have asked the same before
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="board")
    assert calls, "the board viewer's figures pass the disclosure rule"
    first, tips = len(calls), _map(at)["tips"]
    at.run()
    assert not at.exception and len(calls) == first and _map(at)["tips"] == tips


def test__maps_page__a_rerun_names_the_hexagons_from_the_cache(monkeypatch, demo_warehouse):
    """Issue 16, item 8: the hexagons' names (a street or town for each of some 4,000 cells) are
    worked out once per frame, not on every run of the map; the names are the same."""
    calls = []
    real = cm.place_names

    def counted(cells):
        calls.append(len(cells))
        return real(cells)

    monkeypatch.setattr(cm, "place_names", counted)
    st.cache_data.clear()  # another test of this process may have asked the same before
    at = _app(monkeypatch, demo_warehouse)
    assert calls
    first, options = len(calls), at.selectbox(key="mp_area_h3_9").options
    at.run()
    assert not at.exception and len(calls) == first and at.selectbox(key="mp_area_h3_9").options == options

def test__maps_page__the_map_zooms_to_the_selected_authorities(monkeypatch, demo_warehouse):
    """Issue 16, item 5: choosing Erewash fits the map to Erewash (a closer zoom, centred on it),
    with the county's outlines still drawn around it; all nine fit the county."""
    views = {}
    for name, params in (("all", {"authority": "all"}), ("erewash", {"authority": EREWASH})):
        at = open_app(monkeypatch, demo_warehouse, MAPS, **params)
        data = _map(at)
        views[name] = data["view"]  # x, y, width, height (SVG units)
        base = data["svg"].split('<g class="base">', 1)[1].split("</g>", 1)[0]
        assert base.count("<path") == 9  # the county's outlines around it
    assert views["erewash"][3] < views["all"][3] / 2  # more than twice as close
    x, y, width, height = views["erewash"]
    lon, lat = vm.lon_lat(x + width / 2, y + height / 2)
    assert 52.85 < lat < 53.05 and -1.45 < lon < -1.2


def test__maps_page__streets_name_the_hexagons_on_the_map_and_in_the_chooser(monkeypatch, demo_warehouse, con):
    """Issue 16, item 5 ("which streets?"): at street level the busiest hexagons carry their place's
    words on the map, and the chooser beside the map lists hexagons by place, so typing a street
    finds one; the OPCC analyst sees every place description."""
    at = open_app(monkeypatch, demo_warehouse, MAPS, authority=EREWASH)
    at.selectbox(key="mp_res").set_value(10).run()
    assert not at.exception
    texts = _streets(_map(at))
    assert 0 < len(texts) <= 15 and all(t and "H3 cell" not in t for t in texts)
    chooser = at.selectbox(key="mp_area_h3_10")
    assert not [o for o in chooser.options[:50] if o.startswith("H3 cell")]  # the busiest are named
    assert texts[0] in chooser.options[0]  # the busiest first in both
    # coarser hexagons are not labelled on the map (too many streets in one)
    at.selectbox(key="mp_res").set_value(9).run()
    assert _streets(_map(at)) == [] and 'class="labels streets"' not in _map(at)["svg"]


def test__place_names__unique_for_the_address():
    """Two hexagons on the same street of the same ward keep apart in the chooser and the address."""
    cells = pd.DataFrame({"h3_cell": ["a", "b", "c", "d"],
                          "main_location": ["Mill Lane", "Mill Lane", None, None],
                          "ward_name": ["Kirk Hallam", "Kirk Hallam", "Kirk Hallam", None],
                          "authority_name": ["Erewash", "Erewash", "Erewash", None]})
    from insight.charts import maps as cm

    assert list(cm.place_names(cells)) == ["Mill Lane (Kirk Hallam, Erewash)", "Mill Lane (Kirk Hallam, Erewash) #2",
                                           "Kirk Hallam, Erewash", "H3 cell d"]
    assert cm.place_names(cells.iloc[:0]).empty


FIRST_OPEN = """
import sys, threading
from pathlib import Path
import pytest
from support import open_app
monkeypatch = pytest.MonkeyPatch()
at = open_app(monkeypatch, Path(sys.argv[1]))
for thread in threading.enumerate():   # the sign-in page's warm-up imports too: counted with the page
    if thread.name == "asb-warm-up-imports":
        thread.join(120)
before = set(sys.modules)
at.switch_page("app_pages/maps.py").run()
assert not at.exception, [e.value for e in at.exception]
print(" ".join(sorted(set(sys.modules) - before)), "|", " ".join(sorted(sys.modules)))
"""


def test__maps_page__opening_it_imports_neither_the_knox_test_nor_the_postcode_lookup(demo_warehouse):
    """Issue 16, item 8: the page's first run (in a fresh server process) does not import scipy's
    k-d tree (only the near-repeat test, run on demand, needs it: about 0.6 s) nor geopandas and
    the postcode files' reader (only a postcode search needs them: about 0.2 s)."""
    new, everything = (set(part.split()) for part in in_fresh_process(FIRST_OPEN, demo_warehouse).split("|"))
    assert "insight.places" in new   # the page did run
    # ... and neither it nor the sign-in page's warm-up of the pages' modules imported them
    assert not {"scipy.spatial", "etl.transform.geo", "geopandas.io.file"} & everything



@pytest.mark.parametrize("value, drawn", [("true", True), ("false", False), ("<script>alert(1)</script>", False),
                                          ("1' or '1'='1", False)])
def test__maps_page__the_lorenz_curve_opens_from_the_address(monkeypatch, demo_warehouse, value, drawn):
    """Issue 16, item 8: the Lorenz curve is drawn only when its expander is open, which a shared
    link carries (?mp_lorenz=true); any other value leaves it closed, without an exception."""
    at = open_app(monkeypatch, demo_warehouse, MAPS, mp_lorenz=value)
    assert not at.exception and bool(at.get("plotly_chart")) is drawn


@pytest.mark.parametrize("resolution", [8, 9])
def test__hex_counts__no_hexagon_is_drawn_for_a_hidden_previous_count_alone(demo_con, resolution):
    """A hexagon with no incident in the period is drawn for a viewer without rights only when its
    previous period's count is shown: one of 1..k-1 there, drawn as "0 incidents (– in the previous
    period)", marked where a few incidents had been (the pages audit of 6 December 2026: 380 of the
    board's 2,448 hexagons)."""
    start, end = _period(demo_con)
    args = (ALL, start, end, resolution)
    frame = qm.hex_counts(demo_con, *args)
    k = disclosure.suppress_below()
    assert ((frame["incidents"] == 0) & frame["previous"].between(1, k - 1)).any()   # the case is there
    shown = access.shown_as("board_viewer", (), qm.hex_counts, args, {}, frame, k,
                            rerun=lambda a, kw: qm.hex_counts(demo_con, *a, **kw))
    drawn = frame.set_index("h3_cell").loc[shown["h3_cell"]]
    assert not ((drawn["incidents"] == 0) & drawn["previous"].between(1, k - 1)).any()
    assert ((drawn["incidents"] == 0) & (drawn["previous"] >= k)).sum() == \
        ((frame["incidents"] == 0) & (frame["previous"] >= k)).sum()   # a previous count shown: still drawn
    assert (drawn["incidents"] >= k).sum() == (frame["incidents"] >= k).sum()


def test__maps_page__a_link_to_a_hexagon_left_off_the_map_opens_it_and_a_bogus_one_says_so(demo_warehouse,
                                                                                          monkeypatch, demo_con):
    """README: a hexagon left out of the map can still be opened by a link (its panel follows the
    rule). A board viewer's link to one of 1 to 4 incidents was dropped without a word, and so was
    a bogus one (the pages audit of 6 December 2026)."""
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="board")
    f = at.session_state["flt_filters"]
    small = demo_con.execute("""select h3_r9 from incidents where reported_date between ? and ? and h3_r9 is not null
                                group by 1 having count(*) between 1 and 4 order by 1 limit 1""",
                             [f.start_date, f.end_date]).fetchall()[0][0]
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="board", mp_area_h3_9=small)
    assert at.session_state["mp_area_h3_9"] == small
    assert not any("is not on this map" in i.value for i in at.info)
    bogus = open_app(monkeypatch, demo_warehouse, MAPS, user="board", mp_area_h3_9="zzzz<b>")
    assert bogus.session_state["mp_area_h3_9"] is None
    assert any("The area this link names (zzzz" in i.value and "is not on this map" in i.value for i in bogus.info)


def test__maps_page__another_authority_s_area_names_whose_incident_rows_are_listed(demo_warehouse, monkeypatch,
                                                                                  demo_con):
    """An Erewash manager choosing all nine and a Derby hexagon read "Incidents (0)" beside its
    figures: the rows are Erewash's alone, and the expander now says so."""
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="erewash", authority="all")
    f = at.session_state["flt_filters"]
    derby = demo_con.execute("""select h3_r9 from incidents where reported_date between ? and ? and
                                authority_code = ? group by 1 order by count(*) desc limit 1""",
                             [f.start_date, f.end_date, DERBY]).fetchall()[0][0]
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="erewash", authority="all", mp_area_h3_9=derby)
    labels = [e.label for e in at.expander if e.label.startswith("Incidents")]
    assert labels and labels[0].startswith("Incidents in Erewash ("), labels


def test__hex_counts__one_authority_chosen_shows_the_hexagons_the_nine_show_for_it(demo_con):
    """A board viewer choosing Derby alone lost 141 of its 463 hexagons of 5 incidents or more (one
    of 25) that the map of all nine shows with the same figures: a hexagon wholly Derby's was left
    out for a small count in another column (its previous period). Each count is now judged on its
    own column where the frame's columns are no sums of each other (the pages audit of 6 December
    2026); the disclosure choices test checks that no two choices subtract to a hidden count."""
    start, end = _period(demo_con)
    k = disclosure.suppress_below()

    def shown(codes):
        args = (codes, start, end, 9)
        frame = qm.hex_counts(demo_con, *args)
        return access.shown_as("board_viewer", (), qm.hex_counts, args, {}, frame, k,
                               rerun=lambda a, kw: qm.hex_counts(demo_con, *a, **kw)).set_index("h3_cell")

    nine, derby = shown(ALL), shown((DERBY,))
    only_derby = {c for (c,) in demo_con.execute(
        """select h3_r9 from incidents where reported_date between ? and ? and h3_r9 is not null
           group by 1 having bool_and(authority_code = ?)""", [start, end, DERBY]).fetchall()}
    busy = nine[nine.index.isin(only_derby) & (pd.to_numeric(nine["incidents"], errors="coerce") >= k)]
    assert len(busy) > 50
    missing = busy.index.difference(derby.index)
    assert missing.empty, f"{len(missing)} of {len(busy)} busy Derby hexagons left out"
    assert (derby.loc[busy.index, "incidents"].astype(float) == busy["incidents"].astype(float)).all()


def test__maps_page__the_analysis_names_its_own_12_months_when_the_sidebar_asks_for_others(demo_warehouse,
                                                                                         monkeypatch):
    """Concentration, Hot spots and Accuracy are of the build's 12 months, whatever the sidebar's
    period or as-of date; only a caption deep in the Hot spots tab said so, under a page whose header
    named another period (the UX audit of 7 December 2026). The Analysis section now says it first."""
    default = open_app(monkeypatch, demo_warehouse, MAPS)
    f = default.session_state["flt_filters"]
    assert not [i for i in default.info if "computed for the 12 months" in i.value]
    start, end = f.start_date - dt.timedelta(days=200), f.end_date - dt.timedelta(days=200)
    at = open_app(monkeypatch, demo_warehouse, MAPS, start=start.isoformat(), end=end.isoformat(),
                  as_of=end.isoformat())
    notes = [i.value for i in at.info if "computed for the 12 months" in i.value]
    assert len(notes) == 1, [i.value for i in at.info]
    assert "not the period chosen" in notes[0] and "Near repeats" in notes[0]
