"""Hotspots and repeat locations: where ASB concentrates, which places repeat, and how much.

The map (H3 hexagons at resolution 8, 9 or 10, only 9 for a viewer under the disclosure rule, or a
choropleth of authorities, wards or LSOAs; an SVG drawn on the server, insight.charts.vector_map, or
on demand the deck.gl map of insight.charts.maps) colours counts, per-km² density or change on the previous period; a click on a hexagon or area
(or the chooser beside the map, or the search above it: a postcode, a postcode sector or district or a street,
insight/places.py) opens, beside the map, its monthly trend and busiest street-level places, and
under it its incidents; the repeat-location list below keeps the places inside that area. Then tabs
of concentration (Lorenz), Getis-Ord Gi* hot spots, hotspot accuracy (PAI) and the Knox
near-repeat test on demand. The map with the list, and the tabs, are fragments: a control reruns
only its own part. Layout only: figures come from
insight.queries.maps (aggregated in DuckDB), maps and charts from insight.charts.maps. Incident rows are
asked for with ui.person_level_codes (none for a board viewer), never carry a person key,
and their views and downloads are logged in the audit log.
"""

import hashlib
import json
import re

import h3
import numpy as np
import pandas as pd
import shapely
import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from etl.marts.hotspots import REPEAT_LIST, REPEAT_LOCATION_RESOLUTION
from etl.rules import authorities, periods
from insight import places, ui
from insight.charts import maps as cm
from insight.charts import vector_map as vm
from insight.queries import knox
from insight.queries import maps as qm
from insight.ui import vector_map as map_ui

f = ui.current_filters()
person_codes = ui.person_level_codes(f)
build_as_of = ui.build_as_of()
DATE = {"format": "D MMM YYYY"}
VIEWS = {"h3": "Hexagons (H3)", "authority": "Authorities", "ward": "Wards", "lsoa": "LSOAs"}
TOP_PLACES = 10   # the busiest places listed beside an area (judged over all of them first)


def incident_rows(kind: str, area: str) -> None:
    """The incident rows behind the selected area (person-level: only the viewer's authorities)."""
    incidents = ui.load(qm.area_incidents, person_codes, f.start_date, f.end_date, kind, area)
    # the rows are of the viewer's own authorities: said when others are chosen ("Incidents (0)" beside a
    # tile of 1,418 in Derby read as none there: the pages audit of 6 December 2026)
    scope = ("" if set(f.authority_codes) <= set(person_codes)
             else " in " + ", ".join(authorities.NAME_BY_CODE[c] for c in person_codes))
    with st.expander(f"Incidents{scope} ({len(incidents):,}{'+' if len(incidents) >= qm.INCIDENT_LIMIT else ''})"):
        ui.dataframe(incidents, hide_index=True, column_config={
            "reported_date": st.column_config.DateColumn("reported", **DATE),
            "occurred_date": st.column_config.DateColumn("occurred", **DATE),
            "is_hate": st.column_config.CheckboxColumn("hate"),
            "report_count": st.column_config.NumberColumn("reports", help="Reports merged into this incident")})
        if len(incidents) >= qm.INCIDENT_LIMIT:
            st.caption(f"The newest {qm.INCIDENT_LIMIT:,}; shorten the period to see older ones.")
        ui.download_csv(incidents, one="incident", file_name=f"incidents_{area}.csv", key="mp_inc_dl")


st.title("Hotspots and repeat locations")
prev_start, prev_end = periods.previous_period(f.start_date, f.end_date)
st.caption(f"Incidents reported {ui.fmt_period(f.start_date, f.end_date)}; change is on "
           f"{ui.fmt_period(prev_start, prev_end)}. Police.uk locations are snapped to anonymous map "
           "points and dated by month only, so police rows pile up on those points.")
# a period with no incident says so, and one whose data start after the previous period begins
# says its change is against part of a period (insight.ui.span_notice: the Overview's too)
ui.span_notice(f, prev_start)
ui.short_feeds_notice(f)   # the repeat locations' last 90 days lack what a late feed has not sent

# --- the map, the selected area and the repeat-location list: one fragment, so a control change, a
# click on the map, a search or a row of the list reruns only this part (the list is in it because
# the area selected narrows it), and the map keeps one key (the browser swaps the drawing in place).
# The map is an SVG drawn here (insight/charts/vector_map.py): no WebGL, which without a GPU costs
# seconds per map (bench/HISTORY.md, "Clicks in the browser"). The deck.gl map stays on demand ("WebGL map"),
# and is the default with a basemap (ASB_MAP_STYLE), which only it can draw.
GL_KEY = "mp_gl"


def webgl() -> bool:
    """Whether the viewer chose the deck.gl maps (the default only with a basemap)."""
    return bool(st.session_state.get(GL_KEY, gl_default()))


def gl_default() -> bool:
    return cm.basemap_style() is not None


@st.cache_data(ttl=ui.QUERY_TTL_SECONDS, max_entries=64, show_spinner=False)
def map_spec(view: str, frame: pd.DataFrame, measure: str, outlines: pd.DataFrame,
             focus: tuple[str, ...]) -> tuple[str, dict]:
    """The deck.gl map's JSON, built once per frame and colour (a click on the map reruns with the
    same), its view fitting the selected authorities."""
    make = cm.hex_map if view == "h3" else cm.area_map
    deck = make(frame, measure, outlines, focus=focus)
    return cm.frozen(deck)


@st.cache_data(ttl=ui.QUERY_TTL_SECONDS, max_entries=64, show_spinner=False)
def svg_spec(view: str, frame: pd.DataFrame, measure: str, outlines: pd.DataFrame,
             focus: tuple[str, ...]) -> vm.MapData:
    """The SVG map, drawn once per frame and colour, its view fitting the selected authorities."""
    if view == "h3":
        return vm.hex_map(frame, measure, outlines, focus=focus)
    return vm.area_map(frame, measure, outlines, focus=focus)


@st.cache_data(ttl=ui.QUERY_TTL_SECONDS, max_entries=16, show_spinner=False)
def focused_spec(spec: str, view: tuple, outline: str | None) -> str:
    """The map's JSON moved to a searched or opened place, that area outlined (cm.with_focus)."""
    return cm.with_focus(spec, dict(view), json.loads(outline) if outline else None)


def map_views() -> list[str]:
    """The maps this warehouse can draw: one built before the wards were shipped has no ward layer."""
    return [v for v in VIEWS if v != "ward" or ui.load(qm.has_wards)]


def map_controls() -> tuple[str, int, str]:
    """The map type, hexagon size and colour chosen above the map."""
    left, middle, right = st.columns([2, 2, 3])
    view = left.radio("Map", map_views(), format_func=VIEWS.get, horizontal=True, key="mp_view",
                    bind="query-params")
    only = ui.restricted_resolution(f)  # one size for authorities whose incident rows the viewer may not see
    sizes, first = (list(qm.RESOLUTIONS), qm.DEFAULT_RESOLUTION) if only is None else ([only], only)
    if st.session_state.get("mp_res") not in (None, *sizes):   # a size kept from another choice or address
        st.session_state["mp_res"] = first
    default = sizes.index(first)
    resolution = middle.selectbox("Hexagon size", sizes, index=default, format_func=qm.RESOLUTIONS.get,
                                  key="mp_res", bind="query-params", disabled=view != "h3", help="H3 resolution: 8 for rural areas, "
                                  "9 for towns, 10 for streets" + ("" if only is None else " (8 and 10 only for the "
                                  "authorities whose incident rows your role may see: two sizes of the same "
                                  "incidents would subtract; the ward and LSOA maps show rural areas)"))
    measure = right.radio("Colour by", list(cm.MEASURES), format_func=cm.MEASURES.get, horizontal=True,
                          key="mp_measure", bind="query-params")
    return view, resolution, measure


def frame_for(view: str, resolution: int) -> pd.DataFrame:
    """The figures behind the map: one row per hexagon or area, with `code` and `name`."""
    if view != "h3":
        return ui.load(qm.area_counts, f.authority_codes, f.start_date, f.end_date, view)
    frame = ui.load(qm.hex_counts, f.authority_codes, f.start_date, f.end_date, resolution)
    # named by place, so typing a street in the chooser beside the map (or the search) finds its hexagon
    return frame.assign(code=frame["h3_cell"], name=place_names(frame))


@st.cache_data(ttl=ui.QUERY_TTL_SECONDS, max_entries=16, show_spinner=False)
def place_names(frame: pd.DataFrame) -> pd.Series:
    """The hexagons' names (cm.place_names), worked out once per frame: every run of the map uses them."""
    return cm.place_names(frame)


def map_frame(view: str, resolution: int) -> pd.DataFrame:
    """`frame_for`, saying so when the hexagons were capped."""
    frame = frame_for(view, resolution)
    if view == "h3" and len(frame) and frame["cells_total"].iloc[0] > qm.HEX_LIMIT:  # not: left out by disclosure
        st.caption(f"Showing the busiest {len(frame):,} of {frame['cells_total'].iloc[0]:,} cells; "
                   "choose fewer authorities or a larger hexagon to see every cell.")
    return frame


# --- selecting a place: a search, a row of the list. Both run before the map's widgets are drawn
# (the search box comes first; a row asks for a rerun), so they may set the map type, size and area.
def current_view() -> tuple[str, int]:
    """The map type and hexagon size as the controls will show them."""
    only = ui.restricted_resolution(f)
    return st.session_state.get("mp_view") or "h3", only or int(st.session_state.get("mp_res") or 9)


def cell_shape(cell: str):
    """A hexagon as a shape (to fit the map to it and outline it)."""
    return shapely.geometry.shape(places.cells_outline([cell]))


def choose(kind: str, code: str, shape) -> None:
    """Select an area of a map beside it (so also in the address), move the map to it and outline it."""
    st.session_state[f"mp_area_{kind}"] = code
    st.session_state.update(mp_district=None, mp_opened=None)
    focus_on(shape, ("area", kind, code))


def focus_on(shape, target: tuple) -> None:
    """Move the map to a shape and outline it while `target` (what was selected) stays selected; the
    view stays after that (the map does not jump back), until the sidebar's authorities change."""
    nonce = (st.session_state.get("mp_focus") or {}).get("nonce", 0) + 1
    st.session_state["mp_focus"] = {"codes": tuple(f.authority_codes), "view": cm.focus_view(shape, nonce=nonce),
                                    "svg_view": vm.focus_view(shape),
                                    "outline": json.dumps(shapely.geometry.mapping(shape)), "target": target,
                                    "nonce": nonce}


def open_cell(cell: str) -> None:
    """Open a repeat location on the map: hexagons at street level (or the one size the viewer may
    see, the location's parent hexagon), that hexagon chosen and the map moved to it."""
    resolution = ui.restricted_resolution(f) or REPEAT_LOCATION_RESOLUTION
    target = h3.cell_to_parent(cell, resolution) if resolution < h3.get_resolution(cell) else cell
    st.session_state.update(mp_view="h3", mp_res=resolution)
    choose(f"h3_{resolution}", target, cell_shape(target))
    # and into the address now: the chooser bound to it writes a choice once it has been drawn at
    # this size, so the first place opened from the list (a size not drawn yet) was not there (the
    # UX audit of 7 December: a reload or a shared link lost it; the later ones were)
    try:
        st.query_params[f"mp_area_h3_{resolution}"] = target
    except StreamlitAPIException:   # the chooser of this size is drawn already: it writes the choice itself
        pass
    st.session_state["mp_opened"] = cell
    st.toast("Opened on the map above.", icon=":material/map:")


def search_box():
    """The search above the map: a postcode, a postcode sector or district, or a street. What it finds is
    selected as a click would; the slot returned, under the box, says where it is, or why nothing
    was found (`found_note`).
    The text is never logged nor put in the address (a postcode may be a victim's home): only
    the area it selects is, as for a click."""
    with st.form("mp_find", border=False):
        left, right = st.columns([6, 1], vertical_alignment="bottom")
        text = left.text_input("Find a postcode or street", key="mp_search",
                               placeholder="A postcode (DE7 5RP), a sector (DE7 5), a district (DE7) or a street",
                               help="Postcodes are looked up offline in the ONS Postcode Directory. What you "
                                    "type is not logged and not kept in the address; the area found is.")
        go = right.form_submit_button("Find", key="mp_search_go", icon=":material/search:")
    if go:
        found, words = find(text)
        target = (st.session_state.get("mp_focus") or {}).get("target") if found else None
        st.session_state["mp_found"] = {"words": words, "target": target, "fresh": True}
    return st.empty()


def found_note(slot, selection: places.Selection | None) -> None:
    """Under the search box: where the search found its place, while that place stays selected;
    why it found nothing, once."""
    found = st.session_state.get("mp_found")
    if not found:
        return
    if found["target"] is None:
        if found["fresh"]:
            slot.warning(found["words"], icon=":material/search_off:")
    elif tuple(found["target"]) == target_of(selection):
        slot.caption(found["words"])
    found["fresh"] = False


def find(text: str, by_name: bool = True) -> tuple[bool, str]:
    """Select what a search points at: (whether something was selected, the words to show).
    `by_name`: a postcode district not found may be a street's name ("A1" is a road as well)."""
    kind, key = places.parse(text)
    if kind == "empty":
        return False, "Type a postcode (DE7 5RP), a postcode sector (DE7 5), a postcode district (DE7) or a street."
    if kind == "place":
        return find_place(key)
    found = places.locate(kind, key)
    if found.status != "found" and kind == "district" and by_name:
        by_name = find_place(text.strip())
        if by_name[0]:
            return by_name
    if found.status != "found":
        return False, places.describe(found)
    points = found.points[found.points["authority_code"].isin(f.authority_codes)]
    if points.empty:
        return False, f"{places.describe(found)} Choose it in the sidebar to see it."
    if kind in places.AREA_KINDS:   # a district or a sector: its hexagons
        cells = places.district_cells(points)
        for name in [k for k in st.session_state if str(k).startswith("mp_area_")]:
            st.session_state[name] = None  # a district is no single area of the chooser
        st.session_state.update(mp_view="h3", mp_opened=None, mp_district={"label": found.label, "cells": cells, "code": found.key})
        focus_on(shapely.geometry.shape(places.cells_outline(cells)), ("district", cells))
        return True, f"{places.describe(found)} Its hexagons are outlined on the map and the list below keeps its repeat locations."
    return find_point(points.iloc[0], places.describe(found))


def find_point(point: pd.Series, words: str) -> tuple[bool, str]:
    """Select the hexagon (at the size shown) or the area of the map holding a postcode."""
    view, resolution = current_view()
    if view == "h3":
        cell = h3.latlng_to_cell(point["latitude"], point["longitude"], resolution)
        choose(f"h3_{resolution}", cell, cell_shape(cell))
        return True, f"{words} Its hexagon is selected on the map."
    areas = frame_for(view, resolution)
    code = places.containing_area(areas, point["latitude"], point["longitude"])
    if code is None:
        return False, f"{words} It lies in none of this map's areas."
    choose(view, code, cm.area_shape(areas, code))
    return True, f"{words} Its area is selected on the map."


def find_place(text: str) -> tuple[bool, str]:
    """Select the busiest hexagon or area of the map whose name holds every word typed."""
    view, resolution = current_view()
    frame = frame_for(view, resolution)
    matches = places.matching_places(frame["name"], text)
    shown = ui.plain(text)
    if matches.empty:
        return False, (f"No place on this map matches “{shown}”. Street names are on hexagons of size 10 "
                       "(where your role may see them); a postcode finds any place.")
    code = frame.loc[matches.index[0], "code"]
    if view == "h3":
        choose(f"h3_{resolution}", code, cell_shape(code))
    else:
        choose(view, code, cm.area_shape(frame, code))
    more = f"; {len(matches) - 1:,} more match (type in “Selected area” to choose another)" if len(matches) > 1 else ""
    return True, f"Selected the busiest place matching “{shown}”: {ui.plain(matches.iloc[0])}{more}."


@ui.fragment
def map_section() -> None:
    """The search, the map with its controls and, beside it, the area clicked or chosen; under it
    its incidents and the repeat locations inside it."""
    if st.session_state.pop("mp_gl_changed", False):
        rerun_here("app")
    pending = st.session_state.pop("mp_open", None)
    if pending:
        open_cell(pending)
    district_from_address()
    found_slot = search_box()
    view, resolution, measure = map_controls()
    kind = f"h3_{resolution}" if view == "h3" else view
    frame = map_frame(view, resolution)
    labels = dict(zip(frame["code"], frame["name"], strict=True))
    choice_key = f"mp_area_{kind}"
    take_click(kind, labels, choice_key)
    area_from_address(choice_key, labels, kind)
    selection = current_selection(view, kind, st.session_state.get(choice_key), labels)
    district_to_address()
    found_note(found_slot, selection)
    outlines = ui.load(qm.outlines)
    map_col, panel = st.columns([3, 2])
    with map_col:
        if webgl():
            spec, tooltip = map_spec(view, frame, measure, outlines, tuple(f.authority_codes))
            st.pydeck_chart(cm.PrebuiltDeck(focused(spec, selection), tooltip), height=560, on_select="rerun",
                            selection_mode="single-object", key="mp_map_gl")
        else:
            data = svg_spec(view, frame, measure, outlines, tuple(f.authority_codes))
            map_ui.show(svg_focused(data, selection, frame), key="mp_map")
        st.caption(f"{cm.legend(frame, measure)} {cm.basemap_note()} Hover for figures; click a hexagon or area "
                   "to open it beside the map" + ("." if webgl() else "; drag to pan, the wheel or the buttons "
                                                  "to zoom."))
        gl_toggle()
    options = list(frame["code"].head(300))
    if st.session_state.get(choice_key) and st.session_state[choice_key] not in options:
        options.insert(0, st.session_state[choice_key])
    # bound to the URL (?mp_area_h3_9=...), with the map type, size and colour: a shared link opens the same area
    chosen = panel.selectbox("Selected area", options, index=None, key=choice_key, bind="query-params",
                             placeholder="Click the map, "
                             "or type a street or choose here (busiest first)", format_func=lambda c: labels.get(c, c))
    if chosen:
        with panel:
            selected_area(frame, labels, kind, chosen)
        if not person_codes:
            st.caption("Incident rows are not available to your role for the selected authorities.")
        else:
            incident_rows(kind, chosen)
    elif selection is not None:
        with panel:
            district_panel(frame, selection)
    repeats_section(selection, frame)
    ui.fragment_footer()


def take_click(kind: str, labels: dict, choice_key: str) -> None:
    """A click on the map, read before the map is drawn, so the area opens (and is outlined) at
    once. The SVG map keeps its last click, numbered: each click is taken once. The deck.gl map
    keeps its last selection across map types: taken only for an area of this map, once."""
    if webgl():
        picked = cm.picked_id(st.session_state.get("mp_map_gl"))
        if picked in labels and picked != st.session_state.get(f"mp_last_{kind}"):
            st.session_state[f"mp_last_{kind}"] = picked
            st.session_state[choice_key] = picked
        return
    click = map_ui.picked_id(st.session_state.get("mp_map"))
    if click is not None and click != st.session_state.get("mp_last_click"):
        st.session_state["mp_last_click"] = click
        if click[0] in labels:
            st.session_state[choice_key] = click[0]


def gl_toggle() -> None:
    """The choice of the deck.gl maps, under the map (read before the maps are drawn). It changes
    the Gi* map in its tab too, so a change reruns the whole page (`map_section` asks for it)."""
    st.toggle("WebGL map", value=gl_default(), key=GL_KEY, on_change=st.session_state.update,
              kwargs={"mp_gl_changed": True},
              help="The same map drawn by deck.gl with WebGL: smoother zooming on a computer with a graphics "
                   "card, and the basemap when one is set up; without a graphics card each new map takes "
                   "seconds to draw.")


def svg_focused(data: vm.MapData, selection: places.Selection | None, frame: pd.DataFrame) -> vm.MapData:
    """The SVG map moved where the last search or opened row took it (while the sidebar's
    authorities stay), the selected area outlined."""
    focus = st.session_state.get("mp_focus")
    view = nonce = None
    if focus and tuple(focus["codes"]) == tuple(f.authority_codes):
        view, nonce = focus["svg_view"], focus["nonce"]
    return vm.with_focus(data, view, selected_outline(selection, frame), nonce or 0)


def selected_outline(selection: places.Selection | None, frame: pd.DataFrame) -> str | None:
    """The selected area's outline on the SVG map: a hexagon, an area, or a district's hexagons."""
    if selection is None:
        return None
    if selection.kind == "district":
        return vm.selected_outline(shapely.geometry.shape(places.cells_outline(list(selection.key))))
    if selection.kind.startswith("h3_"):
        return vm.selected_outline(cell_shape(selection.key))
    if selection.key not in set(frame["code"]):
        return None
    return vm.selected_outline(cm.area_shape(frame, selection.key))


DISTRICT_PARAM = "mp_district"


def district_from_address() -> None:
    """A postcode district or sector in the address (`?mp_district=DE7`, `?mp_district=DE7+5`: a reload,
    a shared link) selected as a search for it would, once per session, where it lies in the sidebar's
    authorities. Only a district or a sector is taken from there (an area of thousands of addresses; a
    full postcode, which may be a victim's home, is never put in the address): anything else selects
    nothing and is dropped."""
    if "mp_district" in st.session_state:
        return
    st.session_state["mp_district"] = None
    value = st.query_params.get(DISTRICT_PARAM)
    if value and len(value) <= 8 and places.parse(value)[0] in places.AREA_KINDS:
        find(value, by_name=False)


def district_to_address() -> None:
    """The postcode district selected, in the address like a clicked area (none: taken out)."""
    district = st.session_state.get("mp_district")
    if district:
        st.query_params[DISTRICT_PARAM] = district["code"]
    elif DISTRICT_PARAM in st.query_params:
        del st.query_params[DISTRICT_PARAM]


def area_from_address(choice_key: str, labels: dict, kind: str) -> None:
    """The area a shared link names (?mp_area_h3_9=..., the chooser's label as the chooser writes it
    to the address) taken into the chooser's state before the map and the list are made: the
    chooser reads the address only when it is drawn, below them, so a link opened the area's panel
    over a map of the whole county and an unnarrowed list (the usability audit of 6 December)."""
    if st.session_state.get(choice_key) is not None or st.session_state.get("mp_district"):
        return   # a district searched is the selection: the address's old area is not taken back (the pages audit)
    named = st.query_params.get(choice_key)
    if not named:
        return
    code = named if named in labels else next((c for c, label in labels.items() if label == named), None)
    resolution = int(kind[3:]) if kind.startswith("h3_") else None
    if code is None and resolution is not None and h3.is_valid_cell(named) and h3.get_resolution(named) == resolution:
        code = named   # a hexagon left off the map opens all the same: its panel follows the rule (README)
    if code is not None:
        st.session_state[choice_key] = code
    else:   # a link to an area not on this map was dropped without a word (the pages audit)
        st.info(f"The area this link names ({ui.plain(named[:40])}) is not on this map: it lies outside the "
                "authorities chosen, or it is not an area of this map's kind and size.", icon=":material/link_off:")


def current_selection(view: str, kind: str, chosen: str | None, labels: dict) -> places.Selection | None:
    """The area selected: the one chosen (a click, the chooser, a search, a row), else a postcode
    district searched (hexagon maps only; a click or a choice ends it)."""
    district = st.session_state.get("mp_district")
    if chosen:
        st.session_state["mp_district"] = None
        return places.Selection(kind, chosen, labels.get(chosen, chosen))
    if district and view == "h3":
        return places.Selection("district", tuple(district["cells"]), district["label"])
    return None


def target_of(selection: places.Selection | None) -> tuple | None:
    """What a search or an opened row selected, in the form `focus_on` keeps it."""
    if selection is None:
        return None
    return ("district", selection.key) if selection.kind == "district" else ("area", selection.kind, selection.key)


def focused(spec: str, selection: places.Selection | None) -> str:
    """The map's JSON, moved where the last search or opened row took it (while the sidebar's
    authorities stay), that area outlined while it stays selected."""
    focus = st.session_state.get("mp_focus")
    if not focus or tuple(focus["codes"]) != tuple(f.authority_codes):
        return spec
    outline = focus["outline"] if target_of(selection) == tuple(focus["target"]) else None
    return focused_spec(spec, tuple(sorted(focus["view"].items())), outline)


def selected_area(frame: pd.DataFrame, labels: dict, kind: str, chosen: str) -> None:
    """The chosen area's figures, monthly trend and busiest places (beside the map, so a click on
    the map shows its answer without scrolling)."""
    row = frame[frame["code"] == chosen].iloc[0] if chosen in labels else None
    st.subheader(labels.get(chosen, chosen))
    if row is not None:
        tiles = ui.tile_row()
        ui.tile(tiles, "incidents", ui.fmt_int(row["incidents"]), row["change"], row["previous"], -1)
        ui.tile(tiles, "incidents_per_km2", "–" if pd.isna(row["per_km2"]) else f"{row['per_km2']:,.1f}")
        ui.tile(tiles, "area_km2", f"{row['area_km2']:,.3f}")
    st.markdown("**Incidents per month**")
    monthly = ui.load(qm.area_trend, f.authority_codes, f.start_date, f.end_date, kind, chosen)
    # a place whose count the map hides shows no month either (`Aggregate.follows_map`): say why, not "nothing"
    hidden = bool(len(monthly)) and monthly["incidents"].isna().all()
    ui.plotly_chart(ui.figure(cm.area_trend_chart, monthly), key="mp_trend",
                    empty="Not shown: the map hides this area's count, so its months are hidden too (the "
                          "disclosure rule)." if hidden else ui.NOTHING_TO_DRAW)
    st.markdown("**Busiest places** (H3 resolution-10 cells)")
    # every place judged (the places add up to the tile's count: what the list leaves out must not
    # follow from it), then the busiest listed
    top = ui.load(qm.area_top_locations, f.authority_codes, f.start_date, f.end_date, kind, chosen,
                  limit=None).head(TOP_PLACES)
    if top.empty and row is not None and pd.isna(row["incidents"]):
        st.caption("Not shown: the map hides this area's count, so its places are not listed (the disclosure rule).")
        return
    ui.dataframe(top, hide_index=True, key="mp_top", column_order=[   # the place and its counts first: the
        "main_location", "incidents", "main_asb_type", "last_report", "reporters", "first_report"],  # panel is narrow
        column_config={
        "h3_cell": None, "incidents": st.column_config.NumberColumn("incidents"),
        "reporters": st.column_config.NumberColumn("reporters", help="Distinct pseudonymised people"),
        "main_location": st.column_config.TextColumn("most given location"),
        "main_asb_type": st.column_config.TextColumn("main type"),
        "first_report": st.column_config.DateColumn("first", help="The earliest report in the period", **DATE),
        "last_report": st.column_config.DateColumn("last", help="The latest report in the period", **DATE)})


def district_panel(frame: pd.DataFrame, selection: places.Selection) -> None:
    """A postcode district or sector searched: its hexagons on this map, busiest first (figures as the map
    shows them, so nothing the map hides)."""
    st.subheader(selection.label[0].upper() + selection.label[1:])
    cells = frame[places.in_cells(frame["h3_cell"], selection.key)]
    ui.tile(st, "incidents", ui.fmt_int(cells["incidents"].sum()))
    st.markdown("**Busiest hexagons**")
    ui.dataframe(cells.nlargest(10, "incidents")[["name", "incidents"]], hide_index=True, key="mp_district_top",
                 column_config={"name": st.column_config.TextColumn("place")})
    which = (f"The {len(cells):,} hexagons of this map with incidents that hold" if len(cells) != 1
             else "The one hexagon of this map with incidents that holds")
    st.caption(f"{which} at least one of its postcodes (ONS Postcode Directory). Click one on the map, or choose "
               "it above, to open it.")


# --- repeat locations, narrowed to the area selected on the map ----------------------------------
def repeats_section(selection: places.Selection | None, areas: pd.DataFrame) -> None:
    """The busiest places and how their last 90 days changed; only those inside the area selected
    on the map, unless the viewer asks for all. The list is the one the viewer may see (ui.load
    applied the disclosure rule): narrowing it shows nothing more."""
    st.subheader("Repeat locations")
    repeats = ui.load(qm.repeat_locations, f.authority_codes, f.as_of_date, build_as_of)
    only_changed = st.toggle("Only places whose last 90 days changed significantly", key="mp_changed",
                             persist_state="session")
    listed = repeats[repeats["changed"].fillna(False).astype(bool)] if only_changed else repeats
    shown, mark = narrowed(listed, selection, areas)
    rows = [i for i, cell in enumerate(shown["h3_cell"]) if cell == mark]
    # a new table for each narrowing, so a row selected in one is not selected in the next
    table = "mp_repeats_" + hashlib.sha1(repr((selection and (selection.kind, selection.key), len(shown),
                                               only_changed, mark)).encode()).hexdigest()[:12]
    with st.container(key="mp_repeats"):
        picked = ui.dataframe(shown, hide_index=True, key=table, on_select="rerun", selection_mode="single-row",
                              highlight=rows, column_order=[
            "authority_name", "rank", "main_location", "incidents_30d", "incidents_90d", "incidents_180d",
            "incidents_365d", "change_z", "changed", "last_report", "first_report", "main_asb_types",
            "distinct_reporters", "h3_cell"], column_config={
            "authority_name": st.column_config.TextColumn("authority"),
            "main_location": st.column_config.TextColumn(   # pinned: in view when the table scrolls sideways
                "most given location", pinned=True, help="The cell's most frequent location description"),
            "incidents_30d": st.column_config.NumberColumn("30 days"),
            "incidents_90d": st.column_config.NumberColumn("90 days"),
            "incidents_180d": st.column_config.NumberColumn("180 days"),
            "incidents_365d": st.column_config.NumberColumn("365 days"),
            "change_z": ui.measure_column("change_z", format="%+.1f"),
            "changed": st.column_config.CheckboxColumn("changed", help="The change score is beyond ±2: more than chance"),
            "first_report": st.column_config.DateColumn(
                "first in 365 days", help="The earliest report in the 365 days to the as-of date "
                "(not the place's first ever)", **DATE),
            "last_report": st.column_config.DateColumn("last", **DATE),
            "main_asb_types": st.column_config.TextColumn("main types"),
            "distinct_reporters": st.column_config.NumberColumn("reporters", help="Distinct pseudonymised people"),
            "h3_cell": st.column_config.TextColumn("H3 cell")})
    picked_rows = [i for i in picked.selection.rows if i < len(shown)]
    if picked_rows:  # open it on the map: the next run sets the map's controls before drawing them
        st.session_state["mp_open"] = shown.iloc[picked_rows[0]]["h3_cell"]
        st.session_state.pop(table, None)
        rerun_here()
    st.caption("Select a row to open its place on the map above (hexagons at street level, or at the one "
               "size your role may see). "
               f"A place is an H3 resolution-10 cell (about 15,000 m², 130 m across): police points are "
               f"snapped, so a cell gathers a street's points. Counts are the last 30/90/180/365 days to "
               f"{ui.fmt_date(f.as_of_date)} (the sidebar's as-of date); the top {REPEAT_LIST} per authority"
               + ("." if not ui.restricted(f) else f"; for authorities whose incident rows your role may not see, "
                  f"places with at least {ui.disclosure_k()} incidents in the year, no dates of single "
                  "incidents, and a description only where that many people reported."))
    suffix = "" if shown is listed else "_" + re.sub(r"\W+", "_", selection.label if selection.kind == "district"
                                                      else str(selection.key))
    ui.download_csv(shown, one="place", key="mp_repeats_dl",
                    file_name=f"repeat_locations_{f.as_of_date.isoformat()}{suffix}.csv")


def narrowed(listed: pd.DataFrame, selection: places.Selection | None,
             areas: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The list inside the selected area, with a note "Repeat locations in <place>: N of M" and
    "Show all" (or all of it, with the way back), and the cell to mark: the street-level cell
    selected, or the row opened from the list, put first."""
    if selection is None:
        return listed, None
    selection_id = (selection.kind, selection.key)
    place = ui.plain(selection.label)
    note, button = st.columns([5, 1], vertical_alignment="center")
    if st.session_state.get("mp_list_all") == selection_id:
        note.markdown(f"All {len(listed):,} repeat locations; the map has {place} selected.")
        button.button("Only this area", key="mp_show_area", on_click=st.session_state.update,
                      kwargs={"mp_list_all": None}, icon=":material/filter_alt:")
        return listed, None
    inside = listed[places.inside(listed, selection, areas)]
    note.markdown(f"Repeat locations in {place}: {len(inside):,} of {len(listed):,}")
    button.button("Show all", key="mp_show_all", on_click=st.session_state.update,
                  kwargs={"mp_list_all": selection_id}, icon=":material/filter_alt_off:")
    mark = selection.key if selection.kind == f"h3_{REPEAT_LOCATION_RESOLUTION}" else st.session_state.get("mp_opened")
    if mark not in set(inside["h3_cell"]):
        return inside, None
    first = (inside["h3_cell"] != mark).to_numpy()
    return inside.iloc[np.argsort(first, kind="stable")], mark


def rerun_here(scope: str = "fragment") -> None:
    """Rerun this fragment (or the whole page: `scope` "app"); the whole page when this run drew the
    whole page (Streamlit refuses a fragment's own rerun there, and need not rerun it)."""
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        st.rerun(scope=scope)
    elif scope == "fragment":
        st.rerun(scope="app")


def seed_map_controls() -> None:
    """The map type, size and colour of a link, on the page's first draw in a session (before a
    search or a row reads them: `current_view`); a size the viewer may not see is not taken."""
    ui.seed_from_address("mp_view", map_views())
    only = ui.restricted_resolution(f)
    ui.seed_from_address("mp_res", list(qm.RESOLUTIONS) if only is None else [only], int)
    ui.seed_from_address("mp_measure", cm.MEASURES)


seed_map_controls()
map_section()


def gi_section() -> None:
    """Getis-Ord Gi* hot spots of the build's 12 months."""
    summary = ui.load(qm.hotspot_summary, f.authority_codes)
    if summary.empty:
        st.info("The warehouse holds no hot spot cells; rebuild it.")
    else:
        period = ui.fmt_period(summary["period_start"].min(), summary["period_end"].max())
        only = ui.restricted_resolution(f)   # a viewer under the disclosure rule: one size (the hexagon map's)
        gi_sizes = [9, 8] if only is None else [only]
        if st.session_state.get("mp_gi_res") not in (None, *gi_sizes):
            st.session_state["mp_gi_res"] = gi_sizes[0]
        gi_res = st.radio("Resolution", gi_sizes, format_func=qm.RESOLUTIONS.get, horizontal=True, key="mp_gi_res",
                          persist_state="session")
        cells = ui.load(qm.hotspot_cells, f.authority_codes, gi_res)
        # the cells the map draws (a viewer under the disclosure rule: those whose class is shown)
        counts = cells["gi_class"].value_counts()
        tiles = ui.tile_row()
        for term, classes in [("hot_99", [3]), ("hot_95", [2]), ("hot_90", [1]), ("cold", [-1, -2, -3])]:
            ui.tile(tiles, term, ui.fmt_int(sum(int(counts.get(c, 0)) for c in classes)))
        if webgl():
            st.pydeck_chart(cm.gi_map(cells, ui.load(qm.outlines), focus=tuple(f.authority_codes)), height=520,
                            key="mp_gi_map_gl")
        else:
            map_ui.show(gi_spec(cells, ui.load(qm.outlines), tuple(f.authority_codes)), key="mp_gi_map")
        st.caption(
            f"Cells of the 12 months {period} (the build's as-of date; the sidebar period does not change "
            "this map). Gi* compares each cell plus its six neighbours with 999 random rearrangements of "
            "the counts (fixed seed); classes survive a false-discovery-rate correction over all cells, so "
            "a hot cell is one whose neighbourhood (the cell and its six neighbours) holds far more ASB than "
            "the county's average cell: an empty cell beside a busy one can be hot. Red = hot at 90/95/99%; "
            "blue would be cold, but with most cells empty a quiet neighbourhood is never unusual, so "
            "cold spots are rare. Emerging hot spots (a trend test per cell across months) are not shown: "
            "the installed esda has no space-time trend test.")



@st.cache_data(ttl=ui.QUERY_TTL_SECONDS, max_entries=16, show_spinner=False)
def gi_spec(cells: pd.DataFrame, outlines: pd.DataFrame, focus: tuple[str, ...]) -> vm.MapData:
    """The Gi* map as SVG, drawn once per resolution and selection."""
    return vm.gi_map(cells, outlines, focus=focus)


def concentration_section() -> None:
    """How few places produce half of ASB: a sentence per authority at once, the Lorenz curve
    behind them when its expander is opened (it is in the URL). The curve is a plotly chart, the
    costliest thing a first visit to this page drew in the browser (issue 16, item 8), and it
    shows what the sentences already say."""
    conc = ui.load(qm.concentration, f.authority_codes)
    if not conc.empty:
        firsts = conc.drop_duplicates("authority_name").reset_index(drop=True)
        sentences = [f"**{r.authority_name}**: {r.places_for_50pct:.2%} of places produced half of ASB, "
                     f"{r.places_for_25pct:.2%} a quarter ({ui.fmt_int(r.incidents)} incidents, "
                     f"{ui.fmt_int(r.places)} places)" if pd.notna(r.places_for_50pct) else
                     f"**{r.authority_name}**: too few incidents to show how they spread (the disclosure rule)"
                     for r in firsts.itertuples()]
        st.markdown("\n".join(f"- {s}" for s in sentences))
        curve = st.expander("Lorenz curve: the share of incidents in the busiest share of places",
                            icon=":material/show_chart:", key="mp_lorenz", bind="query-params")
        if curve.open:
            with curve:
                ui.plotly_chart(ui.figure(cm.lorenz_chart, conc), key="mp_lorenz_chart")
        st.caption(f"Places are the H3 resolution-10 cells (about 0.015 km²) whose centre lies in the authority "
                   "and that had at least one incident, so a rural district's empty fields do not make it look "
                   "concentrated and the authorities compare; 12 months "
                   f"{ui.fmt_period(conc['period_start'].min(), conc['period_end'].max())}.")



def accuracy_section() -> None:
    """Hit rate and PAI of the busiest cells on the six months after."""
    acc_res = st.radio("Cells", [9, 10], format_func=qm.RESOLUTIONS.get, horizontal=True, key="mp_acc_res",
                       persist_state="session")
    accuracy = ui.load(qm.hotspot_accuracy, f.authority_codes, acc_res)
    if not accuracy.empty:
        columns = {"authority_name": st.column_config.TextColumn("authority"),
                   "all_cells": st.column_config.NumberColumn("cells (A)", help="Cells whose centre lies in the authority"),
                   "incidents": st.column_config.NumberColumn("later incidents (N)")}
        for share in ("1", "5", "10"):
            columns[f"hit_rate_{share}"] = st.column_config.NumberColumn(
                f"top {share}%: hit rate", format="percent", help=f"Share of later incidents (n/N) in the busiest "
                f"{share}% of cells (a) of the earlier period")
            columns[f"pai_{share}"] = st.column_config.NumberColumn(
                f"top {share}%: PAI", format="%.1f", help="Predictive Accuracy Index (n/N)/(a/A): how many times "
                "better than as many cells picked at random")
        ui.dataframe(accuracy, hide_index=True, column_order=list(columns), column_config=columns, key="mp_accuracy")
        first = accuracy.iloc[0]
        st.caption(f"The busiest cells of {ui.fmt_period(first['period_start'], first['period_mid'])} tested on "
                   f"where ASB happened in the six months after, up to {ui.fmt_date(first['period_end'])} "
                   "(the build's as-of date).")



def knox_section() -> None:
    """The Knox near-repeat test, run on demand."""
    # for a selection under the disclosure rule the bands are the standard ones (two runs with nested
    # bands subtract to a band's pairs): the inputs are shown at them, fixed
    fixed = ui.restricted(f)
    with st.form("mp_knox"):
        cols = st.columns(5)
        s_width = cols[0].number_input("Distance band (m)", 25, 1000, 100, 25, disabled=fixed)
        s_count = cols[1].number_input("Distance bands", 1, 6, 3, disabled=fixed)
        t_width = cols[2].number_input("Time band (days)", 1, 60, 7, disabled=fixed)
        t_count = cols[3].number_input("Time bands", 1, 6, 3, disabled=fixed)
        perms = cols[4].selectbox("Permutations", [99, 999], help="999 is slower but resolves p-values to 0.001")
        ran = st.form_submit_button("Run the near-repeat test", icon=":material/play_arrow:")
    if fixed:
        st.caption("The bands are the standard ones for a selection with authorities whose person-level rows you "
                   "may not see: two runs with other bands would subtract to the pairs of one band.")
    if ran:
        spatial = tuple(float(s_width * k) for k in range(int(s_count) + 1))
        temporal = tuple(int(t_width * k) for k in range(int(t_count) + 1))
        if fixed:
            spatial, temporal = ui.STANDARD_KNOX_BANDS
        st.session_state["mp_knox_args"] = (f.authority_codes, f.start_date, f.end_date, spatial, temporal,
                                            int(perms))
    args = st.session_state.get("mp_knox_args")
    if args is None:
        st.caption("Counts pairs of incidents close in space and time against random re-dating (Monte Carlo); "
                   "runs on demand over the sidebar's authorities and period.")
    else:
        try:
            table = ui.load(qm.near_repeats, *args)
        except knox.NeedsDayLevelDates as exc:
            st.warning(f"Not computed: {exc}.", icon=":material/event_busy:")
        except qm.TooManyPoints as exc:
            st.warning(f"Not computed: {exc}.", icon=":material/warning:")
        else:
            ui.plotly_chart(ui.figure(cm.knox_heatmap, table), key="mp_knox_chart")
            excluded = table["month_only_excluded"].iloc[0]   # counts: "–" where the rule hides them
            st.caption(f"{ui.fmt_int(table['points'].iloc[0])} incidents with day-level dates"
                       + (f"; {ui.fmt_int(excluded)} police.uk incidents (month-only dates) left out"
                          if pd.isna(excluded) or excluded else "")
                       + ". Bands are half-open: [0,100) m includes 0 and excludes 100. Pairs at the same spot "
                       "form their own band. Ratio above 1 (red) = more pairs than chance; p from the permutations.")
            ui.dataframe(table.drop(columns=["points", "month_only_excluded"]), hide_index=True, key="mp_knox_table")

# --- the analysis behind the lists, one tab at a time (only the open tab runs; the tab is in the URL).
# A fragment, so opening a tab does not redraw the map above. The first tab is a chart: the Gi* map
# (a second map, SVG like the first) is drawn only when its tab is opened.
ANALYSES = {"Concentration": concentration_section, "Hot spots": gi_section, "Accuracy": accuracy_section,
            "Near repeats": knox_section}

st.subheader("Analysis")
built_period = periods.default_period(build_as_of)
if (f.start_date, f.end_date) != built_period:
    # these three are computed when the warehouse is built (Gi* over every cell of the nine districts
    # takes seconds), so they cannot follow the sidebar; said before the tabs, not in a caption inside one
    st.info(f"Concentration, Hot spots and Accuracy are computed for the 12 months to the build's as-of "
            f"date, {ui.fmt_date(build_as_of)} (each tab gives its dates), not the period chosen "
            f"({ui.fmt_period(f.start_date, f.end_date)}); Near repeats follows the period chosen.",
            icon=":material/info:")
ui.analysis_tabs(ANALYSES, key="analysis")
