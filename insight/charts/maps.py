"""Maps and charts for the Hotspots and maps page (pydeck, plotly), built from insight.queries.maps frames.

Every map draws the nine authorities' outlines as its base layer and uses no basemap
(`map_provider=None`), so it works offline. An optional basemap is a setting: ASB_MAP_STYLE, the URL
of a MapLibre style (an organisation's own tile server's style.json, whose raster source names its
XYZ tile URL, or the OS Maps API's style with the organisation's key), and ASB_MAP_ATTRIBUTION, the
words its licence asks to show (printed under the map: Streamlit's map hides the style's own
attribution control). With a basemap the outlines are drawn unfilled, so the streets show through. The selectable layer of every map has the id `areas`; each of its objects
carries an `id` (H3 cell or area code) that `picked_id` reads back from a selection event.

Colours: counts and per-km² use the sequential YlOrBr ramp of insight.charts.base; change and Gi* classes
use ColorBrewer's diverging RdBu (blue = fewer / cold, red = more / hot), colour-blind safe.
"""

from __future__ import annotations

import json
import os

import h3
import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import pydeck as pdk
import shapely

from insight import labels
from insight.charts.base import AUTHORITY_NAME_COLOURS, YLORBR, _geometry, _rgb, _view

LAYER_ID = "areas"
RDBU = ("#2166AC", "#67A9CF", "#D1E5F0", "#F7F7F7", "#FDDBC7", "#EF8A62", "#B2182B")  # -3..3
GI_LABELS = {3: "hot, 99%", 2: "hot, 95%", 1: "hot, 90%", 0: "not significant",
             -1: "cold, 90%", -2: "cold, 95%", -3: "cold, 99%",
             None: "class not shown: a cell next to it has too few incidents to show"}


def gi_class(value) -> int | None:
    """A cell's Gi* class as a key of GI_LABELS: None where the disclosure rule blanked it."""
    return None if pd.isna(value) else int(value)


def gi_colour(value) -> str:
    """The fill of a Gi* class: the diverging colours for a significant one, pale grey otherwise."""
    c = gi_class(value)
    return RDBU[c + 3] if c else "#C8C8C8"
MEASURES = {"incidents": "Incidents", "per_km2": "Incidents per km²", "change": "Change on the previous period"}
_OUTLINE = [60, 60, 60, 255]
_DECIMALS = 5  # degrees to 5 decimals is about a metre: the boundaries' JSON is a third shorter


def _geojson(geometry) -> dict:
    """A geometry as GeoJSON with coordinates to about a metre (what a map can show)."""
    return shapely.transform(geometry, lambda xy: np.round(xy, _DECIMALS)).__geo_interface__


def _fmt(value, digits: int = 0, sign: bool = False) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:{'+' if sign else ''},.{digits}f}"


def fill_colours(values: pd.Series, measure: str, alpha: int = 200) -> list[list[int]]:
    """RGBA per value on a logarithmic scale (ASB is heavily skewed: a linear scale leaves all
    but a few cells pale): the sequential ramp from 0 to the maximum for counts and densities,
    the diverging ramp symmetric around zero for change. Worked out for all values at once (a
    value at a time took 0.1-0.15 s for the 4,000 hexagons of the default map): each value's class as
    `ramp_colour` gives it (a value missing or hidden takes the palest, or the neutral middle for
    change), then its colour."""
    values = pd.Series(values, dtype=float).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        if measure == "change":
            top = float(np.log1p(np.nanmax(np.abs(values)))) if len(values) and not np.isnan(values).all() else 0.0
            steps = (np.zeros(len(values), dtype=int) if not top or np.isnan(top) else np.nan_to_num(
                np.clip(np.sign(values) * np.ceil(np.log1p(np.abs(values)) / top * 3), -3, 3)).astype(int))
            palette = [_rgb(colour) + [alpha] for colour in RDBU]
            return [list(palette[s + 3]) for s in steps.tolist()]
        top = float(np.nanmax(values)) if len(values) and not np.isnan(values).all() else 0.0
    palette = [_rgb(colour) + [alpha] for colour in YLORBR]
    return [list(palette[k]) for k in ramp_steps(values, top).tolist()]


def ramp_steps(values, top: float) -> np.ndarray:
    """The step of the sequential ramp (0 = palest .. len(YLORBR) - 1) of each value on a map whose
    largest value is `top`: log1p(value) / log1p(top) in equal steps (a value missing takes the
    palest). One rule for the fills and the legend's labels (vector_map.ramp_legend)."""
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = float(np.log1p(top)) if top and top > 0 else 0.0
        share = (np.zeros(len(values)) if not scale or np.isnan(scale) else
                 np.nan_to_num(np.clip(np.log1p(values) / scale, 0.0, 1.0)))
    return np.round(share * (len(YLORBR) - 1)).astype(int)


def legend(frame: pd.DataFrame, measure: str) -> str:
    """One line saying what the colours mean and the range shown."""
    if frame.empty:
        return "Nothing to colour: no incidents in this selection."
    if measure == "change":
        top = frame["change"].abs().max()
        return (f"Colour: change on the previous period, blue = fewer, red = more, darkest at ±{top:,.0f} "
                "incidents (log scale); white = no change.")
    top = frame[measure].max()
    unit = "incidents per km²" if measure == "per_km2" else "incidents"
    return (f"Colour: {unit} on a log scale, from pale (0) to dark brown "
            f"({_fmt(top, 1 if measure == 'per_km2' else 0)}).")


STYLE_ENV, ATTRIBUTION_ENV = "ASB_MAP_STYLE", "ASB_MAP_ATTRIBUTION"


def basemap_style() -> str | None:
    """The basemap's MapLibre style URL set up in settings ($ASB_MAP_STYLE), or None (the outlines
    are the base layer, offline)."""
    return os.environ.get(STYLE_ENV) or None


def basemap_note() -> str:
    """The sentence under a map about what lies beneath it: the basemap's attribution, or the
    offline outlines."""
    if basemap_style():
        attribution = os.environ.get(ATTRIBUTION_ENV, "").strip()
        return f"Basemap: {attribution}." if attribution else "Basemap: see its provider's terms."
    return "Boundaries are the base layer (no basemap), so the map works offline."


def outline_shapes(outlines: pd.DataFrame, focus: tuple[str, ...] | None):
    """The outlines' (shape, name, code) where the shape parses, and the shapes a view fits: the
    `focus` authorities' (the sidebar's selection), or all when `focus` is empty or names none."""
    parsed = [(g, n, c) for g, n, c in zip(outlines["boundary_geojson"].map(_geometry), outlines["authority_name"],
                                             outlines["authority_code"], strict=True) if g is not None]
    return parsed, [g for g, _, c in parsed if focus and c in focus] or [g for g, _, _ in parsed]


def _base_layers(outlines: pd.DataFrame, focus: tuple[str, ...] | None = None) -> tuple[list[pdk.Layer], list]:
    """The nine outlines as the offline base layer, and the outlines the view fits: those of the
    `focus` authorities (the sidebar's selection), so Erewash alone fills the map instead of
    being a sliver of the county; every outline when `focus` is empty or names none of them."""
    parsed, geometries = outline_shapes(outlines, focus)
    features = [{"type": "Feature", "geometry": _geojson(g), "properties": {"name": n}} for g, n, _ in parsed]
    layer = pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features}, id="outlines",
                      stroked=True, filled=not basemap_style(), get_fill_color=[232, 232, 228, 255],
                      get_line_color=_OUTLINE,
                      line_width_min_pixels=1.5, pickable=False)
    return [layer], geometries


def _labels(outlines: pd.DataFrame) -> pdk.Layer:
    rows = []
    for text, name in zip(outlines["boundary_geojson"], outlines["authority_name"], strict=True):
        geometry = _geometry(text)
        if geometry is not None:
            point = geometry.representative_point()
            rows.append({"name": name, "position": [point.x, point.y]})
    return pdk.Layer("TextLayer", rows, id="names", get_position="position", get_text="name", get_size=12,
                     get_color=[30, 30, 30, 255], background=True, get_background_color=[255, 255, 255, 160],
                     background_padding=[3, 1])


def _deck(layers: list, geometries: list, tooltip: dict, height_px: int) -> pdk.Deck:
    style = basemap_style()
    return pdk.Deck(layers=layers, initial_view_state=_view(geometries, height_px=height_px),
                    map_provider="carto" if style else None, map_style=style or None, tooltip=tooltip)


_TOOLTIP = ("<b>{label}</b><br/>{incidents} incidents ({previous} in the previous period, {change})"
            "<br/>{per_km2} per km² · area {area} km²")


_HEX_TOOLTIP = _TOOLTIP.replace("</b><br/>", "</b><br/>{where}<br/>", 1)


def _tooltip_fields(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "incidents": [_fmt(v) for v in frame["incidents"]],
        "previous": [_fmt(v) for v in frame["previous"]],
        "change": [_fmt(c, sign=True) + ("" if pd.isna(p) else f", {p:+.0%}")
                   for c, p in zip(frame["change"], frame["change_pct"], strict=True)],
        "per_km2": [_fmt(v, 1) for v in frame["per_km2"]],
        "area": [_fmt(v, 3 if v < 1 else 1) for v in frame["area_km2"]],
    }, index=frame.index)


def _place_of(street, ward, authority, h3_cell) -> tuple[str, str]:
    """A hexagon's name in its tooltip, as (first line, second line): its busiest location
    description (where the viewer may see it), then its ward and authority; the H3 index only when
    nothing names it. deck.gl inserts the values into the tooltip as text, not HTML."""
    where = ", ".join(v for v in (ward, authority) if isinstance(v, str) and v)
    if isinstance(street, str) and street:
        return street, where
    return where or f"H3 cell {h3_cell}", ""


def places(cells: pd.DataFrame) -> list[tuple[str, str]]:
    """`_place_of` every hexagon of `cells`, read a column at a time (itertuples over the whole
    frame took 0.04 s of a cold Hotspots page for a few thousand cells)."""
    def column(name: str) -> list:
        return cells[name].tolist() if name in cells.columns else [None] * len(cells)

    return [_place_of(*parts) for parts in zip(column("main_location"), column("ward_name"),
                                                column("authority_name"), cells["h3_cell"].tolist(), strict=True)]


STREET_LABELS = 15  # street-level hexagons labelled with their place, busiest first
STREET_RESOLUTION = 10


def place_names(cells: pd.DataFrame) -> pd.Series:
    """Every hexagon's name in one line ("first (second)" of `places`: the chooser beside the map,
    where typing a street finds it), unique: a name that repeats gets its rank ("#2"), since the
    address keeps the chosen area by its name."""
    return labels.numbered(pd.Series([f"{first} ({second})" if second else first for first, second in places(cells)],
                                     index=cells.index, dtype=object))


def street_label_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """The hexagons that carry their place's words on the map ("Outside High Street"): at street
    level (resolution 10) the busiest STREET_LABELS with a location description the disclosure rule
    lets the viewer see (the frame holds only those); none at coarser resolutions."""
    if cells.empty or h3.get_resolution(cells["h3_cell"].iloc[0]) < STREET_RESOLUTION or "main_location" not in cells:
        return cells.iloc[:0]
    return cells[cells["main_location"].notna()].nlargest(STREET_LABELS, "incidents")


def _street_labels(cells: pd.DataFrame) -> pdk.Layer | None:
    """The street-level words as a deck.gl text layer (street_label_cells); None without any."""
    named = street_label_cells(cells)
    if named.empty:
        return None
    rows = [{"text": str(r.main_location), "position": list(h3.cell_to_latlng(r.h3_cell))[::-1]}
            for r in named.itertuples()]
    return pdk.Layer("TextLayer", rows, id="streets", get_position="position", get_text="text", get_size=11,
                     get_color=[20, 20, 20, 255], background=True, get_background_color=[255, 255, 255, 200],
                     background_padding=[2, 1], get_pixel_offset=[0, -14], character_set="auto")


def hex_map(cells: pd.DataFrame, measure: str, outlines: pd.DataFrame, height_px: int = 600,
            focus: tuple[str, ...] | None = None) -> pdk.Deck:
    """H3 cells coloured by `measure` over the authority outlines, the view fitting `focus`; at
    street level the busiest cells labelled with their place (`_street_labels`)."""
    base, geometries = _base_layers(outlines, focus)
    data = pd.concat([cells[["h3_cell"]].rename(columns={"h3_cell": "id"}), _tooltip_fields(cells)], axis=1)
    names = places(cells)
    data["label"], data["where"] = [n[0] for n in names], [n[1] for n in names]
    data["fill"] = fill_colours(cells[measure], measure)
    hexes = pdk.Layer("H3HexagonLayer", data.to_dict("records"), id=LAYER_ID, get_hexagon="id",
                      get_fill_color="fill", extruded=False, stroked=False, pickable=True,
                      auto_highlight=True, highlight_color=[0, 0, 0, 90])
    streets = _street_labels(cells)
    return _deck([*base, hexes, _labels(outlines), *([streets] if streets else [])], geometries,
                 {"html": _HEX_TOOLTIP}, height_px)


def area_map(areas: pd.DataFrame, measure: str, outlines: pd.DataFrame, height_px: int = 600,
             focus: tuple[str, ...] | None = None) -> pdk.Deck:
    """Areas (authorities, wards or LSOAs) coloured by `measure`, authority outlines on top, the
    view fitting `focus`."""
    base, geometries = _base_layers(outlines, focus)
    fields = _tooltip_fields(areas)
    fills = fill_colours(areas[measure], measure, alpha=220)
    features = []
    for i, row in enumerate(areas.itertuples()):
        geometry = _geometry(row.boundary_geojson)
        if geometry is None:
            continue
        features.append({"type": "Feature", "geometry": _geojson(geometry), "properties": {
            "id": row.code, "label": f"{row.name} ({row.authority_name})" if row.name != row.authority_name
            else row.name, "fill": fills[i], **fields.iloc[i].to_dict()}})
    choropleth = pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features}, id=LAYER_ID,
                           stroked=True, filled=True, get_fill_color="properties.fill",
                           get_line_color=[255, 255, 255, 160], line_width_min_pixels=0.5, pickable=True,
                           auto_highlight=True, highlight_color=[0, 0, 0, 70])
    top_lines = pdk.Layer("GeoJsonLayer", base[0].data, id="outlines_top", stroked=True, filled=False,
                          get_line_color=_OUTLINE, line_width_min_pixels=1.5, pickable=False)
    # the tooltip reads GeoJSON features' properties by bare name, as in insight.charts.base.density_map
    return _deck([*base, choropleth, top_lines, _labels(outlines)], geometries, {"html": _TOOLTIP}, height_px)


def gi_map(cells: pd.DataFrame, outlines: pd.DataFrame, height_px: int = 600,
           focus: tuple[str, ...] | None = None) -> pdk.Deck:
    """Gi* classes of H3 cells (significant ones coloured, others with incidents pale grey)."""
    base, geometries = _base_layers(outlines, focus)
    data = pd.DataFrame({
        "id": cells["h3_cell"], "label": "H3 cell " + cells["h3_cell"],
        "incidents": [_fmt(v) for v in cells["incidents"]],
        "gi": [GI_LABELS[gi_class(c)] for c in cells["gi_class"]],
        "z": [_fmt(v, 2) for v in cells["gi_z"]], "p": [_fmt(v, 3) for v in cells["gi_p"]],
        "fill": [_rgb(gi_colour(c)) + [230] if gi_class(c) else [200, 200, 200, 110] for c in cells["gi_class"]]})
    hexes = pdk.Layer("H3HexagonLayer", data.to_dict("records"), id=LAYER_ID, get_hexagon="id",
                      get_fill_color="fill", extruded=False, stroked=False, pickable=True,
                      auto_highlight=True, highlight_color=[0, 0, 0, 90])
    tooltip = {"html": "<b>{label}</b><br/>{gi}<br/>{incidents} incidents in the 12 months"
                       "<br/>Gi* z {z}, pseudo p {p}"}
    return _deck([*base, hexes, _labels(outlines)], geometries, tooltip, height_px)


class PrebuiltDeck(pdk.Deck):
    """A map whose JSON was built before (`frozen`), for st.pydeck_chart: a page caches the JSON of
    a map between reruns (a click on the map reruns with the same map) instead of rebuilding and
    re-serialising thousands of hexagons every time."""

    def __init__(self, spec: str, tooltip: dict | None):
        super().__init__(layers=[], map_provider=None, tooltip=tooltip)
        self._spec = spec

    def to_json(self) -> str:
        return self._spec


def frozen(deck: pdk.Deck) -> tuple[str, dict | None]:
    """The deck's JSON and tooltip, the arguments of PrebuiltDeck (plain values, so they cache)."""
    return deck.to_json(), deck._tooltip


FOCUS_MAX_ZOOM = 13.5  # a searched or opened place with its surrounding streets, not one hexagon filling the map
SELECTED_LINE = [0, 90, 200, 255]  # the selected area's outline: blue, apart from the brown ramp


def focus_view(geometry, height_px: int = 560, nonce: int = 0) -> dict:
    """The view (latitude, longitude, zoom) fitting a shape, no closer than FOCUS_MAX_ZOOM.

    Streamlit's map moves only for the keys of the view that changed since the last run, so a
    search for the same place after the user panned away would not move it back: `nonce` (a count
    of searches) shifts every key by a billionth, far below a pixel."""
    view = _view([geometry], height_px=height_px)
    shift = nonce * 1e-9
    return {"latitude": view.latitude + shift, "longitude": view.longitude + shift,
            "zoom": min(view.zoom, FOCUS_MAX_ZOOM) + shift}


def with_focus(spec: str, view: dict | None, outline: dict | None) -> str:
    """A map's JSON (`frozen`) moved to `view` and with `outline` (a GeoJSON geometry: the selected
    area) drawn on top as a line; the map's other layers as they were. Splicing the JSON costs far
    less than rebuilding thousands of hexagons."""
    doc = json.loads(spec)
    if view:
        doc["initialViewState"] = {**doc.get("initialViewState", {}), **view}
    if outline:
        layer = pdk.Layer("GeoJsonLayer", {"type": "Feature", "geometry": outline, "properties": {}},
                          id="selected", stroked=True, filled=False, get_line_color=SELECTED_LINE,
                          line_width_min_pixels=3, pickable=False)
        doc["layers"].append(json.loads(pdk.Deck(layers=[layer], map_provider=None).to_json())["layers"][0])
    return json.dumps(doc)


def area_shape(areas: pd.DataFrame, code: str):
    """An area's outline (its `boundary_geojson` in a frame of areas, by `code`) as a shape."""
    return _geometry(areas.loc[areas["code"] == code, "boundary_geojson"].iloc[0])


def picked_id(event) -> str | None:
    """The `id` of the object selected on a map made here, from st.pydeck_chart's event (or the
    map's value in session state, read before the map is drawn)."""
    try:
        selection = event["selection"] if isinstance(event, dict) else event.selection
        objects = selection["objects"].get(LAYER_ID) or []
    except (AttributeError, KeyError, TypeError):
        return None
    if not objects:
        return None
    first = objects[0]
    return first.get("id") or (first.get("properties") or {}).get("id")


def area_trend_chart(monthly: pd.DataFrame) -> go.Figure:
    """Incidents per month in the selected area, previous period grey, current period brown."""
    fig = px.bar(monthly, x="month", y="incidents", color="period",
                 color_discrete_map={"previous": "#BBBBBB", "current": "#CC4C02"},
                 labels={"month": "Month", "incidents": "Incidents", "period": "Period"})
    fig.update_layout(barmode="stack", margin={"t": 10}, height=280, legend={"orientation": "h", "y": -0.3})
    fig.update_xaxes(tickformat="%b %Y")
    return fig


def lorenz_chart(conc: pd.DataFrame) -> go.Figure:
    """Lorenz curves: share of places (busiest first) against share of incidents, one line per
    authority, with the line of equality and the 25% and 50% marks. Built in one go (no pandas
    group-by over the names, no add_hline): a cold Hotspots page spent 0.13 s here."""
    names = conc["authority_name"].to_numpy(dtype=object)
    x, y = conc["share_of_places"].to_numpy(), conc["share_of_incidents"].to_numpy()
    traces = [go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="equal spread",
                         line={"dash": "dot", "color": "#888888"})]
    for name in dict.fromkeys(names):
        rows = (names == name) & ~np.isnan(y.astype(float))   # a point the disclosure rule hides is not drawn
        traces.append(go.Scatter(x=x[rows], y=y[rows], mode="lines", name=name,
                                 line={"color": AUTHORITY_NAME_COLOURS.get(name, "#000000"),
                                       "width": 3 if name.startswith("All") else 1.5},
                                 hovertemplate="%{x:.2%} of places: %{y:.1%} of incidents<extra>" + name + "</extra>"))
    levels = (0.25, 0.5)
    return go.Figure(traces, {
        "margin": {"t": 10}, "height": 380, "legend": {"title": ""},
        "xaxis": {"title": "Share of places (H3 resolution-10 cells, busiest first, log scale)",
                  "type": "log", "range": [-4, 0],   # ".1%" read 0.0% at 0.01%, 0.02%, 0.05%
                  "tickvals": [1e-4, 1e-3, 1e-2, 0.1, 1], "ticktext": ["0.01%", "0.1%", "1%", "10%", "100%"]},
        "yaxis": {"title": "Share of incidents", "tickformat": ".0%", "range": [0, 1]},
        "shapes": [{"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": level, "y1": level,
                    "line": {"width": 0.5, "color": "#888888"}} for level in levels],
        "annotations": [{"xref": "x domain", "x": 1, "xanchor": "right", "yref": "y", "y": level,
                         "yanchor": "bottom", "text": f"{level:.0%} of ASB", "showarrow": False}
                        for level in levels]})


def knox_heatmap(table: pd.DataFrame) -> go.Figure:
    """Knox ratios (observed / expected) per spatial x temporal band, p-values in the cells."""
    spatial = list(dict.fromkeys(table["spatial_band"]))
    temporal = list(dict.fromkeys(table["temporal_band"]))
    ratio = table.pivot(index="spatial_band", columns="temporal_band", values="ratio").loc[spatial, temporal]
    text = table.assign(t=[f"{r:.2f}<br>obs {_fmt(o)}, p {p:.3f}" if pd.notna(r) and pd.notna(p) else f"obs {_fmt(o)}"
                           for r, o, p in zip(table["ratio"], table["observed"], table["p_value"], strict=True)]
                        ).pivot(index="spatial_band", columns="temporal_band", values="t").loc[spatial, temporal]
    top = max(2.0, float(np.nanmax(ratio.to_numpy())) if ratio.notna().any().any() else 2.0)
    fig = go.Figure(go.Heatmap(z=ratio.to_numpy(), x=temporal, y=spatial, text=text.to_numpy(),
                               texttemplate="%{text}", colorscale=list(RDBU), zmin=2 - top, zmax=top,
                               colorbar={"title": {"text": "observed /<br>expected"}},
                               hovertemplate="%{y}, %{x}: ratio %{z:.2f}<extra></extra>"))
    fig.update_layout(margin={"t": 10}, height=120 + 60 * len(spatial))
    fig.update_yaxes(autorange="reversed", title="Distance between the two incidents")
    fig.update_xaxes(title="Days between the two incidents", side="top")
    return fig
