"""Chart builders (plotly figures, SVG maps) with the project's colours set once.

Colours are colour-blind safe: each authority keeps one colour from Paul Tol's nine-colour
"muted" scheme on every chart, other categories cycle through the Okabe-Ito palette, and
quantities use Tol's sequential "YlOrBr" ramp. Builders take the frames that insight.queries.overview
returns and never query or compute business figures themselves.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import pydeck as pdk
from shapely.geometry import shape

from etl.rules import authorities
from insight import labels as in_words
from insight.charts import svg_map

TOL_MUTED = ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99",
             "#999933", "#AA4499")
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")
YLORBR = ("#FFFFE5", "#FFF7BC", "#FEE391", "#FEC44F", "#FB9A29", "#EC7014", "#CC4C02",
          "#993404", "#662506")
GAP_COLOUR = "#0077BB"  # Tol vibrant blue: stands apart from the yellow-brown ramp
AUTHORITY_COLOURS = dict(zip(authorities.CODES, TOL_MUTED, strict=True))
AUTHORITY_NAME_COLOURS = {authorities.NAME_BY_CODE[c]: h for c, h in AUTHORITY_COLOURS.items()}
# Every chart's text (ticks, axis titles, legend) in a dark grey that reads at about 10:1 on white
# (WCAG AA asks 4.5:1): Streamlit's plotly theme draws it at about 3.7:1, and a template cannot
# change that (the browser puts Streamlit's in its place), so `readable` sets it on the figure.
INK = "#404552"


def readable(figure: go.Figure) -> go.Figure:
    """The figure with its text in INK (explicit layout values win over any theme)."""
    figure.update_layout(font_color=INK, legend_font_color=INK, legend_title_font_color=INK)
    figure.update_xaxes(tickfont_color=INK, title_font_color=INK)
    figure.update_yaxes(tickfont_color=INK, title_font_color=INK)
    return figure


def warm_up() -> None:
    """Make one tiny figure of each kind the pages draw and serialise it, so that plotly builds its
    property validators now (it does so on a figure's first use of each: 0.3 s for the first line
    chart, as much for the first bar chart) rather than in the first page a person opens after a
    server start. Synthetic values only; nothing is cached for anyone (insight.ui.session warm-up)."""
    frame = pd.DataFrame({"x": [1, 2], "y": [3, 4], "c": ["a", "b"]})
    figures = [px.line(frame, x="x", y="y", color="c", markers=True), px.bar(frame, x="x", y="y", color="c"),
               go.Figure([go.Scatter(x=[1], y=[2]), go.Heatmap(z=[[1]]), go.Box(y=[1, 2])]),
               go.Figure(go.Funnel(x=[2, 1], y=["a", "b"])),
               go.Figure([go.Scattergeo(lon=[1], lat=[2], mode="text", text=["a"]),
                          go.Choropleth(locations=["a"], z=[1], geojson={"type": "FeatureCollection",
                                                                         "features": []})])]
    for figure in figures:
        readable(figure).update_layout(margin={"l": 0, "r": 0, "t": 30, "b": 0}, height=300,
                                       legend={"orientation": "h", "title": {"text": ""}},
                                       hoverlabel={"bgcolor": "white"}).to_json()


UNSELECTED_FILL = "#EFEFEF"  # an authority not selected: light grey, apart from the ramp's palest


def category_colours(values) -> dict[str, str]:
    """A stable colour for each distinct value (sorted), cycling through Okabe-Ito."""
    ordered = sorted({str(v) for v in values})
    return {v: OKABE_ITO[i % len(OKABE_ITO)] for i, v in enumerate(ordered)}


def _rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def ramp_colour(value: float, maximum: float, alpha: int = 200) -> list[int]:
    """RGBA on the sequential ramp for value in [0, maximum]."""
    share = 0.0 if not maximum or pd.isna(value) else min(max(value / maximum, 0.0), 1.0)
    return _rgb(YLORBR[round(share * (len(YLORBR) - 1))]) + [alpha]


def _cut_month(first, last, month) -> str:
    """" (20–31 Jan only)" for a month the period (or the data) holds only some days of, else ""."""
    if pd.isna(first) or pd.isna(last):
        return ""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    start = pd.Timestamp(month)
    if first <= start and last >= start + pd.offsets.MonthEnd(0):
        return ""
    return f" ({first.day}–{last.day} {first:%b} only)"


def trend_chart(monthly: pd.DataFrame) -> go.Figure:
    """Incidents per month, one line per authority (in the frame's order), hover unified by month.
    A month outside the authority's data (`has_data` false: before its first incident or after its
    last) is a gap, not a 0, and a month the period cuts (`first_day`, `last_day`: its first or last
    month) an open marker whose hover names its days, so neither reads as a fall in ASB (both did:
    the UX audit of 7 December 2026). Built with graph_objects, not plotly express: the landing
    page's chart took 0.13 s a run."""
    names = monthly["authority_name"].to_numpy(dtype=object)
    months = monthly["month"].to_numpy()
    counts = monthly["incidents"].astype(object).where(monthly["incidents"].notna(), None)
    if "has_data" in monthly:
        counts = counts.where(monthly["has_data"].fillna(True).astype(bool), None)
    counts = counts.to_numpy(dtype=object)
    if {"first_day", "last_day"} <= set(monthly.columns):
        cut = [_cut_month(f, la, m) for f, la, m in zip(monthly["first_day"], monthly["last_day"], monthly["month"],
                                                         strict=True)]
    else:
        cut = [""] * len(monthly)
    cut = np.array(cut, dtype=object)
    traces = []
    for name in dict.fromkeys(names):
        rows = names == name
        colour = AUTHORITY_NAME_COLOURS.get(name)
        symbols = ["circle-open" if c else "circle" for c in cut[rows]]
        traces.append(go.Scatter(x=months[rows], y=counts[rows], mode="lines+markers", name=name, legendgroup=name,
                                 line={"color": colour}, marker={"color": colour, "symbol": symbols, "size": 7},
                                 customdata=cut[rows],
                                 hovertemplate="Authority=" + str(name)
                                 + "<br>Month=%{x}<br>Incidents=%{y}%{customdata}<extra></extra>"))
    return go.Figure(traces, {"legend": {"title": {"text": ""}, "tracegroupgap": 0}, "hovermode": "x unified",
                              "margin": {"t": 10},
                              "xaxis": {"title": {"text": "Month"}, "dtick": "M1", "tickformat": "%b %Y"},
                              "yaxis": {"title": {"text": "Incidents"}}})


def _geometry(text: str | None):
    """A shapely geometry from boundary_geojson (a geometry, a Feature or a FeatureCollection)."""
    if not text:
        return None
    doc = json.loads(text)
    if doc.get("type") == "FeatureCollection":
        doc = {"type": "GeometryCollection", "geometries": [f["geometry"] for f in doc["features"]]}
    elif doc.get("type") == "Feature":
        doc = doc["geometry"]
    return shape(doc)


def _view(geometries, width_px: int = 700, height_px: int = 500) -> pdk.ViewState:
    """A view that fits every outline into a map of about the given size in pixels."""
    bounds = [g.bounds for g in geometries]
    west, south = min(b[0] for b in bounds), min(b[1] for b in bounds)
    east, north = max(b[2] for b in bounds), max(b[3] for b in bounds)
    # deck.gl draws the whole world 512 pixels wide at zoom 0 (Web Mercator).
    lat_stretch = 1 / math.cos(math.radians((north + south) / 2))
    zoom_x = math.log2(360 * width_px / (512 * max(east - west, 1e-3)))
    zoom_y = math.log2(360 * height_px / (512 * max((north - south) * lat_stretch, 1e-3)))
    return pdk.ViewState(latitude=(south + north) / 2, longitude=(west + east) / 2,
                         zoom=min(zoom_x, zoom_y) - 0.1)


def ramp_scale(colours: tuple[str, ...] = YLORBR) -> list:
    """The ramp as a stepped plotly colorscale: a value is drawn in the class `ramp_colour` gives
    it (the share of the maximum rounded to one of the colours), and the colour bar shows the steps."""
    edges = [0.0, *((i + 0.5) / (len(colours) - 1) for i in range(len(colours) - 1)), 1.0]
    return [[edge, colour] for i, colour in enumerate(colours) for edge in (edges[i], edges[i + 1])]


def density_map(density: pd.DataFrame, height_px: int = 520) -> go.Figure | None:
    """Authority outlines coloured by incidents per km² (selected ones on the ramp, others grey),
    named, each selected one answering hover with its incidents, per km² and area (the others with
    their area only: they have no figures here); an SVG map with no basemap
    (insight.charts.svg_map); None when the warehouse holds no outlines. A figure the disclosure
    rule hid (null) reads "–" and is drawn at the foot of the ramp, never at its value."""
    rows = density.assign(geometry=density["boundary_geojson"].map(_geometry))
    rows = rows[rows["geometry"].notna()]
    if rows.empty:
        return None
    top = rows.loc[rows["is_selected"], "incidents_per_km2"].max()
    hover = pd.DataFrame({
        "name": rows["authority_name"],
        "incidents": rows["incidents"].map(lambda n: "–" if pd.isna(n) else f"{int(n):,}"),
        "per_km2": rows["incidents_per_km2"].map(lambda v: "–" if pd.isna(v) else f"{v:,.1f}"),
        "area_km2": rows["area_km2"].map("{:,.0f}".format)})
    template = ("<b>%{customdata[0]}</b><br>%{customdata[1]} incidents<br>%{customdata[2]} per km²"
                "<br>area %{customdata[3]} km²<extra></extra>")
    # an authority not selected has no figures here (queries.overview.incident_density counts only
    # the selected ones): its hover says so rather than "– incidents", which reads as hidden
    unselected = "<b>%{customdata[0]}</b><br>not selected<br>area %{customdata[3]} km²<extra></extra>"
    selected, other = rows["is_selected"].astype(bool), ~rows["is_selected"].astype(bool)
    traces = [svg_map.polygons(rows.loc[other, "geometry"], hover[other].values, colour=UNSELECTED_FILL,
                               hovertemplate=unselected, name="not selected", showlegend=False)] if other.any() else []
    traces += [svg_map.polygons(rows.loc[selected, "geometry"], hover[selected].values,
                               z=rows.loc[selected, "incidents_per_km2"].fillna(0), zmin=0,
                               zmax=top if pd.notna(top) and top > 0 else 1, colorscale=ramp_scale(),
                               colorbar={"title": {"text": "Incidents<br>per km²"}, "thickness": 14, "len": 0.7},
                               hovertemplate=template, name="incidents per km²", showlegend=False),
               svg_map.names(rows["geometry"], rows["authority_name"])]
    return svg_map.figure(traces, rows["geometry"], height_px=height_px)


def rejects_chart(by_reason: pd.DataFrame) -> go.Figure:
    """Rejected rows per reason, stacked by kind of source (the table beside names each source);
    reasons, kinds and sources in words (insight/labels.py)."""
    shown = in_words.readable(by_reason)
    fig = px.bar(shown, x="rows_rejected", y="reason_code", color="kind", orientation="h",
                 color_discrete_map=category_colours(shown["kind"]), hover_data=["source"],
                 labels={"rows_rejected": "Rows rejected", "reason_code": "Reason", "kind": "Kind",
                         "source": "Source"})
    # the legend above the bars: at its side it took 170 of a half-width column's 450 px (1366 px screen)
    fig.update_layout(barmode="stack", yaxis={"categoryorder": "total ascending"}, margin={"t": 10},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return fig


def source_month_heatmap(months: pd.DataFrame) -> go.Figure:
    """Rows loaded per source and month, shaded against each source's busiest month; gaps crossed.
    A row is a source and kind in words ('Amber Valley council (Incidents)', insight/labels.py)."""
    months = months.assign(source_label=[f"{in_words.source_name(s)} ({in_words.word('kind', k)})"
                                         for s, k in zip(months["source"], months["kind"], strict=True)])
    share = months.pivot(index="source_label", columns="month", values="share_of_peak")
    rows = months.pivot(index="source_label", columns="month", values="rows_loaded").map(
        lambda n: "–" if pd.isna(n) else f"{int(n):,}")  # '–': hidden by the disclosure rule
    fig = go.Figure(go.Heatmap(
        z=share.values, x=share.columns, y=share.index, customdata=rows.values,
        colorscale=list(YLORBR), zmin=0, zmax=1, xgap=1, ygap=1, hoverongaps=False,
        colorbar={"title": {"text": "share of<br>busiest month"}, "tickformat": ".0%"},
        hovertemplate="%{y}<br>%{x|%b %Y}: %{customdata} rows<extra></extra>"))
    gaps = months[months["is_gap"]]
    fig.add_trace(go.Scatter(
        x=gaps["month"], y=gaps["source_label"], mode="markers", name="gap (no rows)",
        marker={"symbol": "x-thin", "size": 12, "line": {"width": 3, "color": GAP_COLOUR}},
        hovertemplate="%{y}<br>%{x|%b %Y}: gap, no rows<extra></extra>"))
    fig.update_layout(legend={"orientation": "h", "y": -0.25}, margin={"t": 10},
                      height=max(240, 80 + 40 * len(share.index)))
    fig.update_xaxes(tickformat="%b %Y")
    fig.update_yaxes(autorange="reversed")  # sources in alphabetical order, top down
    return fig


def density_legend(density: pd.DataFrame) -> str:
    """One line explaining the map's colours, with the range shown."""
    top = density.loc[density["is_selected"], "incidents_per_km2"].max()
    top_text = "no incidents" if pd.isna(top) or not top else f"{top:,.1f} incidents per km²"
    return (f"Colour: incidents per km² in the period, from pale (0) to dark brown ({top_text}) among "
            "the selected authorities; grey = not selected. Outlines only, no basemap, so the map "
            "works offline. Hover for figures.")
