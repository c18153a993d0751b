"""Small maps drawn as SVG by plotly's `geo` subplot: polygons from GeoJSON, names, dots; no WebGL.

Why: a browser without a GPU (this machine's Chromium, a council laptop on a remote desktop) runs
deck.gl's WebGL in software, and every new deck.gl map there costs seconds of CPU compiling its
shaders before it draws (bench/HISTORY.md, "Clicks in the browser"). A map of a few hundred
polygons (the nine authorities, the community-route clusters' hexagons) needs none of that:
plotly draws `go.Choropleth` and `go.Scattergeo` as SVG paths in the page, answers hover at once,
and prints as vectors. Maps of thousands of hexagons are too many for plotly's JavaScript (1-1.5 s
for 4,000): the Hotspots page writes their SVG itself (insight/charts/vector_map.py).

The base map is the outlines only: `geo.visible` is off, so plotly draws no world map, and CONFIG
keeps it from fetching one (below), so the map works offline as the deck.gl maps do. The view fits
the given outlines in a Mercator projection (the projection of the deck.gl maps); the map pans
and zooms with the mouse. Not `choropleth_map`/`scattermap`: those are MapLibre, WebGL again.
"""

from __future__ import annotations

import html
import json
import math
import urllib.parse
from collections.abc import Iterable, Sequence

import plotly.graph_objects as go
import shapely
from shapely.ops import polylabel

# plotly.js fetches its world map (topojson, from cdn.plot.ly) for any choropleth, even with the
# base map hidden, and draws nothing until it has arrived: offline, never. An empty topology given
# inline (a data: URL; plotly appends "/world_110m.json", which the "#" makes a fragment) ends that
# wait at once, with no request. Pass CONFIG as st.plotly_chart's `config` (ui.plotly_chart does).
OFFLINE_TOPOJSON = "data:application/json," + urllib.parse.quote(
    json.dumps({"type": "Topology", "objects": {}, "arcs": []}, separators=(",", ":"))) + "#"
CONFIG = {"topojsonURL": OFFLINE_TOPOJSON}
OUTLINE = "#505050"  # the outlines' grey, as on the deck.gl maps
HALO = "0 0 3px white, 0 0 3px white, 0 0 3px white"  # names readable over any fill
_PAD = 0.04  # share of the fitted outlines' extent left around them


def polygons(shapes: Sequence, customdata: Sequence | None = None, *, colour: str | None = None,
             line_colour: str = OUTLINE, line_width: float = 1, **trace) -> go.Choropleth:
    """One choropleth trace of shapely (multi)polygons in longitude/latitude: all filled with
    `colour`, or coloured by the trace's `z` and `colorscale` (given in `trace`). With `customdata`
    (one row per shape) the trace answers hover through its `hovertemplate`; without, it does not.

    Rings are wound clockwise, the order d3-geo (which plotly draws with) reads as "inside": a ring
    wound the other way would fill the whole world except the shape. Coordinates go to the browser
    to 5 decimals (about a metre), as on the maps page: less to send, nothing visible lost."""
    features = [{"type": "Feature", "id": str(i), "properties": {}, "geometry": shapely.transform(
                     shapely.orient_polygons(_polygonal(shape), exterior_cw=True), _to_metre).__geo_interface__}
                for i, shape in enumerate(shapes)]
    if colour is not None:
        trace.update(z=[0] * len(features), colorscale=[[0, colour], [1, colour]], showscale=False)
    if customdata is None:
        trace.update(hoverinfo="skip")
    else:
        trace.update(customdata=[list(row) for row in customdata])
    return go.Choropleth(geojson={"type": "FeatureCollection", "features": features},
                         locations=[f["id"] for f in features], featureidkey="id",
                         marker_line_color=line_colour, marker_line_width=line_width, **trace)


def _to_metre(coordinates):
    return coordinates.round(5)


def _polygonal(shape):
    """The shape as a Polygon or MultiPolygon (a choropleth draws no other kind): the polygons of a
    GeometryCollection (an outline stored as a FeatureCollection) as one MultiPolygon."""
    if shape.geom_type != "GeometryCollection":
        return shape
    return shapely.MultiPolygon([part for geometry in shape.geoms for part in getattr(geometry, "geoms", [geometry])
                                 if part.geom_type == "Polygon"])


def label_point(shape):
    """Where a name goes: the point of the largest part farthest from its edges (inside it)."""
    parts = getattr(shape, "geoms", [shape])
    return polylabel(max(parts, key=lambda part: part.area), tolerance=0.001)


def names(shapes: Iterable, texts: Iterable[str], colour: str = "#1E1E1E", size: int = 12) -> go.Scattergeo:
    """The shapes' names written inside them with a white halo; they take no hover, so the
    shape under a name still answers."""
    points = [label_point(shape) for shape in shapes]
    return go.Scattergeo(lon=[p.x for p in points], lat=[p.y for p in points], text=list(texts), mode="text",
                         textfont={"size": size, "color": colour, "shadow": HALO}, hoverinfo="skip",
                         showlegend=False, name="names")


def lines(texts: Iterable[str]) -> str:
    """Lines of data-made text for a hover label: escaped (plotly reads hover text as a little
    HTML), joined by line breaks."""
    return "<br>".join(html.escape(str(text), quote=False) for text in texts)


def _mercator_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _latitude(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2)


def view(fit: Iterable, aspect: float) -> tuple[list[float], list[float]]:
    """Longitude and latitude ranges that hold the shapes `fit` with a margin, widened (or
    heightened) to `aspect` (width / height) in the Mercator projection: plotly shows exactly the
    ranges, so a tall county in a wide chart would otherwise sit in a narrow strip, cut at its sides."""
    bounds = [shape.bounds for shape in fit]
    west, south = min(b[0] for b in bounds), min(b[1] for b in bounds)
    east, north = max(b[2] for b in bounds), max(b[3] for b in bounds)
    pad_x, pad_y = (east - west) * _PAD or 0.01, (north - south) * _PAD or 0.01
    west, east, south, north = west - pad_x, east + pad_x, south - pad_y, north + pad_y
    width, bottom, top = math.radians(east - west), _mercator_y(south), _mercator_y(north)
    if width < aspect * (top - bottom):
        middle, half = (west + east) / 2, math.degrees(aspect * (top - bottom)) / 2
        west, east = middle - half, middle + half
    else:
        middle, half = (bottom + top) / 2, width / aspect / 2
        south, north = _latitude(middle - half), _latitude(middle + half)
    return [west, east], [south, north]


def figure(traces: Iterable, fit: Iterable, height_px: int = 520, aspect: float = 1.8) -> go.Figure:
    """The traces on a plain map (outlines only, white), `height_px` high, showing the shapes `fit`
    (shapely, in longitude/latitude) with a margin in a view `aspect` times as wide as high (about
    the main column beside the sidebar on a laptop: a narrower chart shows the same view smaller);
    hover labels white (plotly writes dark text on them), whatever the colour under the pointer."""
    lon_range, lat_range = view(fit, aspect)
    fig = go.Figure(list(traces))
    fig.update_geos(visible=False, projection_type="mercator", fitbounds=False, bgcolor="rgba(0,0,0,0)",
                    lonaxis_range=lon_range, lataxis_range=lat_range)
    fig.update_layout(height=height_px, margin={"l": 0, "r": 0, "t": 0, "b": 0}, dragmode="pan",
                      hoverlabel={"bgcolor": "white", "bordercolor": OUTLINE, "align": "left",
                                  "font": {"size": 13}})
    return fig
