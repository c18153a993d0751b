"""The Hotspots and maps page: its queries against the warehouse rows, and the page in AppTest on
the demo warehouse and on a warehouse of the real Derbyshire police.uk files (ONS boundaries
with wards)."""

from __future__ import annotations

import datetime as dt
import json

import h3
import pandas as pd
import pytest
from conftest import POLICE_AS_OF
from streamlit.testing.v1 import AppTest
from support import open_app

from etl.rules import authorities
from etl.rules.periods import previous_period
from insight import db
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
    spec = json.loads(at.get("deck_gl_json_chart")[index].proto.json)
    assert "mapProvider" not in spec or spec["mapProvider"] is None  # offline: no basemap
    return {layer["id"]: layer["@@type"] for layer in spec["layers"]}


def test__maps_page__demo_sections_map_and_drilldown(monkeypatch, demo_warehouse):
    at = _app(monkeypatch, demo_warehouse)
    # the list a manager acts on first, the analysis behind it in tabs (issue 16, item 3)
    assert [s.value for s in at.subheader] == ["Repeat locations", "Analysis"]
    assert [t.label for t in at.tabs] == ["Concentration", "Hot spots", "Accuracy", "Near repeats"]
    assert _layers(at) == {"outlines": "GeoJsonLayer", "areas": "H3HexagonLayer", "names": "TextLayer"}
    # the first tab is a chart: the Gi* map (a second WebGL map) only when its tab opens (issue 16, item 8)
    assert len(at.get("deck_gl_json_chart")) == 1 and at.get("plotly_chart")
    for label, shown in [("Hot spots", lambda: len(at.get("deck_gl_json_chart")) == 2
                          and _layers(at, 1)["areas"] == "H3HexagonLayer"),  # the Gi* map
                         ("Accuracy", lambda: [d for d in at.dataframe if "pai_1" in d.value.columns])]:
        at.session_state["analysis"] = label
        at.run()
        assert not at.exception and shown(), label
    at.session_state["analysis"] = "Near repeats"
    at.run()
    assert not at.exception and "Run the near-repeat test" in [b.label for b in at.button]
    assert len(at.get("deck_gl_json_chart")) == 1  # the Gi* map is not drawn behind another tab
    options = at.selectbox(key="mp_area_h3_9").options
    at.selectbox(key="mp_area_h3_9").select_index(0).run()
    assert not at.exception
    assert at.subheader[0].value == options[0]
    assert [m.label for m in at.metric][:3] == ["ASB incidents", "Incidents per km²", "Area (km²)"]
    assert at.radio(key="mp_view").options == ["Hexagons (H3)", "Authorities", "Wards", "LSOAs"]
    map_id = at.get("deck_gl_json_chart")[0].proto.id
    for view, layer in [("authority", "GeoJsonLayer"), ("lsoa", "GeoJsonLayer"), ("ward", "GeoJsonLayer")]:
        at.radio(key="mp_view").set_value(view).run()
        assert not at.exception and _layers(at)["areas"] == layer
        # one map whatever its type: deck.gl updates it in place rather than start a new WebGL context
        assert at.get("deck_gl_json_chart")[0].proto.id == map_id
    # the wards shipped with the package: a choropleth of the 176 wards (issue 16, item 5)
    assert not at.info and len(_features(at)) == 176
    at.selectbox(key="mp_area_ward").select_index(0).run()
    assert not at.exception and at.metric[0].label == "ASB incidents"


def _features(at: AppTest) -> list[dict]:
    """The features of the map's area layer (a choropleth)."""
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    data = next(layer for layer in spec["layers"] if layer["id"] == "areas")["data"]
    return data["features"] if isinstance(data, dict) else data


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
    assert not at.info and _layers(at)["areas"] == "H3HexagonLayer"
    at.radio(key="mp_view").set_value("lsoa").run()
    assert not at.exception and not at.info and _layers(at)["areas"] == "GeoJsonLayer"


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
    assert _layers(at)["areas"] == "H3HexagonLayer"
    at.radio(key="mp_view").set_value("ward").run()
    assert not at.exception and _layers(at)["areas"] == "GeoJsonLayer" and not at.info
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


def test__hex_counts__a_board_viewer_gets_a_street_only_with_enough_reporters(monkeypatch, demo_warehouse):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="board")
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    data = next(layer["data"] for layer in spec["layers"] if layer["id"] == "areas")
    assert data and all("H3 cell" not in d["label"] for d in data[:20])  # named by ward and authority at least
    with db.connect(demo_warehouse) as con:
        end = db.build_as_of(con)
        cells = qm.hex_counts(con, ALL, end - dt.timedelta(days=364), end, 9).set_index("h3_cell")
    for row in data:
        street = cells.at[row["id"], "main_location"] if row["id"] in cells.index else None
        if isinstance(street, str) and cells.at[row["id"], "reporters"] < 5:
            assert street not in row["label"], row


def test__maps_page__the_map_zooms_to_the_selected_authorities(monkeypatch, demo_warehouse):
    """Issue 16, item 5: choosing Erewash fits the map to Erewash (a closer zoom, centred on it),
    with the county's outlines still drawn around it; all nine fit the county."""
    views = {}
    for name, params in (("all", {"authority": "all"}), ("erewash", {"authority": EREWASH})):
        at = open_app(monkeypatch, demo_warehouse, MAPS, **params)
        spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
        views[name] = spec["initialViewState"]
        outlines = next(layer for layer in spec["layers"] if layer["id"] == "outlines")
        assert len(outlines["data"]["features"]) == 9
    assert views["erewash"]["zoom"] > views["all"]["zoom"] + 1
    assert 52.85 < views["erewash"]["latitude"] < 53.05 and -1.45 < views["erewash"]["longitude"] < -1.2


def test__maps_page__streets_name_the_hexagons_on_the_map_and_in_the_chooser(monkeypatch, demo_warehouse, con):
    """Issue 16, item 5 ("which streets?"): at street level the busiest hexagons carry their place's
    words on the map, and the chooser beside the map lists hexagons by place, so typing a street
    finds one; the OPCC analyst sees every place description."""
    at = open_app(monkeypatch, demo_warehouse, MAPS, authority=EREWASH)
    at.selectbox(key="mp_res").set_value(10).run()
    assert not at.exception
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    streets = next(layer for layer in spec["layers"] if layer["id"] == "streets")
    texts = [row["text"] for row in streets["data"]]
    assert 0 < len(texts) <= 15 and all(t and "H3 cell" not in t for t in texts)
    chooser = at.selectbox(key="mp_area_h3_10")
    assert not [o for o in chooser.options[:50] if o.startswith("H3 cell")]  # the busiest are named
    assert texts[0] in chooser.options[0]  # the busiest first in both
    # coarser hexagons are not labelled on the map (too many streets in one)
    at.selectbox(key="mp_res").set_value(9).run()
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert "streets" not in [layer["id"] for layer in spec["layers"]]


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
