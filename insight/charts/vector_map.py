"""The Hotspots page's maps as one SVG drawn on the server, shown by a small Streamlit component.

Why: deck.gl draws with WebGL, and a browser without a GPU (this machine's Chromium, a council
laptop on a remote desktop) runs WebGL in software, where every new map costs seconds of shader
compiling (bench/HISTORY.md, "Clicks in the browser"). plotly's SVG maps (insight/charts/svg_map.py)
avoid that, but plotly's JavaScript takes 1-1.5 s to lay out the default view's 4,000 hexagons. The
same shapes written here as SVG paths (in Web Mercator, coordinates as whole units of 1e-5 degree)
and put in the page as they are take Chromium about 0.2 s.

The component that shows it is insight.ui.vector_map (Streamlit lives in insight.ui): it answers
hover with the area's words (`tips`, set as text, never HTML), pans with a drag, zooms with the
wheel or its buttons, and answers a click with the area's code (`codes`). The map has no basemap:
the authorities' outlines are its base layer, so it works offline.

`hex_map`, `area_map` and `gi_map` take the frames and colours of the deck.gl maps of
insight/charts/maps.py (same colours, the same hover words, "–" for a figure the disclosure rule
hid) and return the component's data (`MapData`, plain values that cache).
"""

from __future__ import annotations

import html
import math
from typing import Any

import h3
import numpy as np
import pandas as pd

from insight.charts import maps as cm
from insight.charts import svg_map
from insight.charts.base import YLORBR, _geometry

UNITS = 100_000  # SVG units per degree of longitude (and of Mercator latitude): a unit is about a metre
HEIGHT_PX = 560
FOCUS_SPAN_DEGREES = 0.034  # a searched place: about the view of deck.gl's zoom 13.5 on a 560-pixel map
_PAD = 0.04
BASE_FILL, OUTLINE, SELECTED = "#E8E8E4", "#3C3C3C", "#005AC8"
_STYLE = f"""
svg {{ display: block; width: 100%; height: 100%; fill-rule: evenodd; }}
.base path {{ fill: {BASE_FILL}; stroke: none; }}
.lines path {{ fill: none; stroke: {OUTLINE}; stroke-width: 1.5px; vector-effect: non-scaling-stroke; }}
.areas path {{ cursor: pointer; }}
.areas.bordered path {{ stroke: rgba(255,255,255,.63); stroke-width: .5px; vector-effect: non-scaling-stroke; }}
.selected path {{ fill: none; stroke: {SELECTED}; stroke-width: 3px; vector-effect: non-scaling-stroke; }}
path.hover {{ fill: rgba(0,0,0,.35); stroke: none; }}
.lines, .selected, path.hover, .labels {{ pointer-events: none; }}
.labels text {{ paint-order: stroke; stroke: rgba(255,255,255,.8); stroke-linejoin: round;
                fill: #1E1E1E; text-anchor: middle; font-family: sans-serif; }}
.labels.streets text {{ font-weight: 600; fill: #141414; }}
"""
MapData = dict[str, Any]


# --- geometry to SVG ------------------------------------------------------------------------------
def _mercator(lat):
    """Latitude in degrees to the Web Mercator y, also in degrees (so a unit is as wide both ways)."""
    return np.degrees(np.log(np.tan(np.pi / 4 + np.radians(np.asarray(lat, dtype=float)) / 2)))


def _project(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """SVG units: x east, y south (SVG's y grows downwards), whole units of 1e-5 degree."""
    return (np.rint(np.asarray(lon, dtype=float) * UNITS).astype(np.int64),
            np.rint(-_mercator(lat) * UNITS).astype(np.int64))


def _ring(coords) -> str:
    """One closed ring as a path: the first point, then steps from point to point (short numbers)."""
    xy = np.asarray(coords, dtype=float)[:, :2]
    x, y = _project(xy[:, 0], xy[:, 1])
    points = np.column_stack([x, y])
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(np.diff(points, axis=0) != 0, axis=1)  # rounding may join points
    points = points[keep]
    if len(points) > 1 and (points[0] == points[-1]).all():
        points = points[:-1]
    if len(points) < 3:
        return ""
    steps = np.diff(points, axis=0)
    return f"M{points[0, 0]} {points[0, 1]}l" + " ".join(f"{a} {b}" for a, b in steps) + "z"


def _polygons(shape) -> list:
    if shape is None or shape.is_empty:
        return []
    if shape.geom_type == "Polygon":
        return [shape]
    return [p for part in getattr(shape, "geoms", []) for p in _polygons(part)]


def shape_path(shape) -> str:
    """A shapely (multi)polygon, holes and all, as one path's `d` (filled even-odd)."""
    return "".join(_ring(ring.coords) for p in _polygons(shape) for ring in (p.exterior, *p.interiors))


_HEXAGON = "M%d %dl" + " ".join(["%d %d"] * 5) + "z"


def cell_paths(cells) -> list[str]:
    """Many H3 cells' paths at once (thousands on a map: projected together, a fraction of the
    time of one by one); each the closed ring `_ring` writes for the cell's boundary."""
    rings = [h3.cell_to_boundary(c) for c in cells]
    paths: list[str] = [""] * len(rings)
    hexagons = [i for i, ring in enumerate(rings) if len(ring) == 6]  # the twelve pentagons aside
    if hexagons:
        points = np.array([rings[i] for i in hexagons], dtype=float)  # (n, 6, lat/lng)
        x, y = _project(points[..., 1], points[..., 0])
        steps = np.stack([np.diff(x, axis=1), np.diff(y, axis=1)], axis=2).reshape(len(hexagons), 10)
        for i, row in zip(hexagons, np.column_stack([x[:, 0], y[:, 0], steps]).tolist(), strict=True):
            paths[i] = _HEXAGON % tuple(row)
    for i, ring in enumerate(rings):
        if len(ring) != 6:
            paths[i] = _ring([(lng, lat) for lat, lng in ring])
    return paths


def _view_box(shapes, min_span: float = 0.0) -> list[float]:
    """The viewBox (x, y, width, height in SVG units) holding the shapes with a margin, at least
    `min_span` degrees high (a searched street not blown up to fill the map)."""
    bounds = np.array([s.bounds for s in shapes if s is not None and not s.is_empty])
    west, south, east, north = bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()
    (x0, x1), (y1, y0) = _project([west, east], [south, north])  # y0 is north (smaller)
    width, height = max(x1 - x0, 1), max(y1 - y0, 1)
    pad = max(width, height) * _PAD
    span = min_span * UNITS
    if height + 2 * pad < span:
        grow = (span - height - 2 * pad) / 2
        y0, height = y0 - grow, height + 2 * grow
        x0, width = x0 - grow, width + 2 * grow
    return [float(x0 - pad), float(y0 - pad), float(width + 2 * pad), float(height + 2 * pad)]


def focus_view(shape) -> list[float]:
    """The view of a searched or opened place: the shape with its surrounding streets."""
    return _view_box([shape], FOCUS_SPAN_DEGREES)


def selected_outline(shape) -> str:
    """The selected area's outline, drawn over the map (the same drawing with a new selection is
    not sent again as a whole: the component replaces this part only)."""
    return f'<path d="{shape_path(shape)}"/>'


# --- the pieces of a map -------------------------------------------------------------------------
def _rgb_hex(rgba) -> str:
    return "#{:02X}{:02X}{:02X}".format(*[int(v) for v in rgba[:3]])


def _labels(points, texts, cls: str = "labels", dy: str = "0.35em") -> str:
    rows = "".join(f'<text x="{x}" y="{y}" dy="{dy}">{html.escape(str(t), quote=False)}</text>'
                   for (x, y), t in zip(points, texts, strict=True))
    return f'<g class="{cls}" font-size="12" stroke-width="3">{rows}</g>'


def _point_xy(lon: float, lat: float) -> tuple[int, int]:
    x, y = _project([lon], [lat])
    return int(x[0]), int(y[0])


def _svg(parts: list[str], fills: list[str], aria: str, view: list[float], bordered: bool,
         outlines_on_top: bool, base: str, lines: str, names: str, extra: str = "") -> str:
    """The whole drawing: the outlines filled as a base, the areas coloured (each fill a class, so
    the paths stay short), the outlines' lines on top, the selected outline, the names."""
    palette = sorted(set(fills))
    classes = {c: f"f{i}" for i, c in enumerate(palette)}
    style = _STYLE + "".join(f".{classes[c]} {{ fill: {c}; }}" for c in palette)
    areas = "".join(f'<path class="{classes[c]}" d="{d}"/>' for d, c in zip(parts, fills, strict=True))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{" ".join(f"{v:.1f}" for v in view)}" '
            f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="{html.escape(aria)}">'
            f"<style>{style}</style><g class=\"base\">{base}</g>"
            + ("" if outlines_on_top else f'<g class="lines">{lines}</g>')
            + f'<g class="areas{" bordered" if bordered else ""}">{areas}</g><path class="hover" d=""/>'
            + (f'<g class="lines">{lines}</g>' if outlines_on_top else "")
            + f'<g class="selected"></g>{names}{extra}</svg>')


def _data(svg: str, codes: list[str], tips: list[str], view: list[float], legend: dict | None) -> MapData:
    return {"svg": svg, "codes": [str(c) for c in codes], "tips": tips, "view": view, "legend": legend,
            "selected": "", "height": HEIGHT_PX, "clickable": True}


def _base(outlines: pd.DataFrame, focus: tuple[str, ...] | None) -> tuple[str, str, str, list[float]]:
    parsed, fit = cm.outline_shapes(outlines, focus)
    paths = "".join(f'<path d="{shape_path(g)}"/>' for g, _, _ in parsed)
    points = [svg_map.label_point(g) for g, _, _ in parsed]
    names = _labels([_point_xy(p.x, p.y) for p in points], [n for _, n, _ in parsed])
    return paths, paths, names, _view_box(fit)


# --- legends -----------------------------------------------------------------------------------------
def ramp_legend(values: pd.Series, measure: str, title: str) -> dict | None:
    """The colour bar: each colour of the ramp with the value it starts at (log scale, as
    maps.fill_colours colours), for counts and densities; the diverging steps for change."""
    values = pd.Series(values, dtype=float).dropna()
    if values.empty:
        return None
    if measure == "change":
        top = float(values.abs().max())
        if not top:
            return {"title": title, "steps": [[cm.RDBU[3], "0"]]}
        edge = [float(np.expm1(k / 3 * np.log1p(top))) for k in (2, 1)]
        labels = [f"−{top:,.0f}", f"−{edge[0]:,.0f}", f"−{edge[1]:,.0f}", "0", f"+{edge[1]:,.0f}",
                  f"+{edge[0]:,.0f}", f"+{top:,.0f}"]
        return {"title": title, "steps": [[c, t] for c, t in zip(cm.RDBU, labels, strict=True)]}
    return {"title": title, "steps": _ramp_labels(float(values.max()), 1 if measure == "per_km2" else 0)}


def _ramp_labels(top: float, digits: int) -> list[list[str]]:
    """[colour, the smallest value shown with `digits` decimals that the map colours so] for each
    step of the ramp (maps.ramp_steps) that a value up to `top` can take, each label different: a
    few incidents' map reads "0 1 2 3 5", not "0 0 1 1 2 …". Counts (digits 0) are whole numbers; a
    density's labels take up to three more decimals where fewer would repeat one."""
    for places in range(digits, digits + 4):
        unit = 10.0 ** -places
        found: dict[int, float] = {0: 0.0}
        for k in range(1, len(YLORBR)):
            edge = float(np.expm1((k - 0.5) / (len(YLORBR) - 1) * np.log1p(top))) if top > 0 else math.inf
            value = math.ceil(edge / unit - 1e-9) * unit if math.isfinite(edge) else math.inf
            while value > 0 and cm.ramp_steps([value - unit], top)[0] >= k:   # the rounding's tie
                value -= unit
            while value <= top and cm.ramp_steps([value], top)[0] < k:
                value += unit
            if value <= top + 1e-9 and cm.ramp_steps([value], top)[0] == k:
                found[k] = value
        labels = {k: f"{v:,.{places}f}" for k, v in found.items()}
        if len(set(labels.values())) == len(labels) or places == digits + 3:
            break
    return [[YLORBR[k], label] for k, label in labels.items()]


LEGEND_TITLES = {"incidents": "Incidents (log scale), from", "per_km2": "Incidents per km² (log scale), from",
                 "change": "Change on the previous period (log scale)"}


# --- the maps ---------------------------------------------------------------------------------------
def hex_map(cells: pd.DataFrame, measure: str, outlines: pd.DataFrame, focus: tuple[str, ...] | None = None) -> MapData:
    """H3 cells coloured by `measure` (maps.fill_colours) over the authority outlines, the view
    fitting `focus`; hover names the place first (maps.places: the busiest location description the
    viewer may see, then ward and authority), then the figures; at street level the busiest cells
    carry their place's words on the map."""
    base, lines, names, view = _base(outlines, focus)
    figures = _figure_lines(cm._tooltip_fields(cells))
    tips = []
    for (first, second), numbers in zip(cm.places(cells), figures, strict=True):
        tips.append(f"{first}\n{second}\n{numbers}" if second else f"{first}\n{numbers}")
    fills = [_rgb_hex(c) for c in cm.fill_colours(cells[measure], measure)]
    parts = cell_paths(cells["h3_cell"])
    named = cm.street_label_cells(cells)
    streets = "" if named.empty else _labels([_point_xy(r.lon, r.lat) for r in named.itertuples()],
                                             named["main_location"], cls="labels streets", dy="-1em")
    svg = _svg(parts, fills, f"Map of {len(cells):,} hexagons coloured by {cm.MEASURES[measure].lower()}", view,
               bordered=False, outlines_on_top=False, base=base, lines=lines, names=names, extra=streets)
    return _data(svg, list(cells["h3_cell"]), tips, view, ramp_legend(cells[measure], measure, LEGEND_TITLES[measure]))


def _figure_lines(fields: pd.DataFrame) -> list[str]:
    """The figures of each hover label (maps._TOOLTIP's words), two lines; "–" where a figure is
    hidden (maps._tooltip_fields). An empty frame's columns are not text (a day with no incident)."""
    f = fields.astype(str)
    return (f["incidents"] + " incidents (" + f["previous"] + " in the previous period, "
            + f["change"] + ")\n" + f["per_km2"] + " per km² · area " + f["area"] + " km²").tolist()


def area_map(areas: pd.DataFrame, measure: str, outlines: pd.DataFrame, focus: tuple[str, ...] | None = None) -> MapData:
    """Areas (authorities, wards or LSOAs) coloured by `measure`, the authorities' outlines on top,
    the view fitting `focus`; hover names the area and its authority, then the figures."""
    base, lines, names, view = _base(outlines, focus)
    figures = _figure_lines(cm._tooltip_fields(areas))
    fills = [_rgb_hex(c) for c in cm.fill_colours(areas[measure], measure, alpha=220)]
    parts, colours, codes, tips = [], [], [], []
    for i, row in enumerate(areas.itertuples()):
        d = shape_path(_geometry(row.boundary_geojson))
        if not d:
            continue
        label = f"{row.name} ({row.authority_name})" if row.name != row.authority_name else row.name
        parts.append(d)
        colours.append(fills[i])
        codes.append(row.code)
        tips.append(f"{label}\n{figures[i]}")
    svg = _svg(parts, colours, f"Map of {len(parts):,} areas coloured by {cm.MEASURES[measure].lower()}", view,
               bordered=True, outlines_on_top=True, base=base, lines=lines, names=names)
    return _data(svg, codes, tips, view, ramp_legend(areas[measure], measure, LEGEND_TITLES[measure]))


def gi_map(cells: pd.DataFrame, outlines: pd.DataFrame, focus: tuple[str, ...] | None = None) -> MapData:
    """Gi* classes of H3 cells (significant ones in the diverging colours, others pale grey), the
    colours and hover words of maps.gi_map."""
    base, lines, names, view = _base(outlines, focus)
    fills = [cm.gi_colour(c) for c in cells["gi_class"]]
    tips = [f"H3 cell {cell}\n{cm.GI_LABELS[cm.gi_class(c)]}\n{cm._fmt(n)} incidents in the 12 months\n"
            f"Gi* z {cm._fmt(z, 2)}, pseudo p {cm._fmt(p, 3)}"
            for cell, c, n, z, p in zip(cells["h3_cell"], cells["gi_class"], cells["incidents"], cells["gi_z"],
                                        cells["gi_p"], strict=True)]
    classes = {cm.gi_class(c) for c in cells["gi_class"]}
    present = sorted(classes - {None}, reverse=True) + ([None] if None in classes else [])
    legend = {"title": "Gi* class", "steps": [[cm.gi_colour(c), cm.GI_LABELS[c]] for c in present]}
    svg = _svg(cell_paths(cells["h3_cell"]), fills, f"Map of {len(cells):,} hexagons by Gi* class",
               view, bordered=False, outlines_on_top=False, base=base, lines=lines, names=names)
    return {**_data(svg, list(cells["h3_cell"]), tips, view, legend), "clickable": False, "height": 520}


def with_focus(data: MapData, view: list[float] | None, selected: str | None, nonce: int = 0) -> MapData:
    """The map moved to `view` and with the `selected` outline (selected_outline) drawn on top; the
    drawing itself unchanged (the browser keeps it). The browser moves the map only when the view
    it is given changes, so a search for the same place after the user panned away would not move
    it back: `nonce` (a count of searches) makes each search's view new."""
    return {**data, **({"view": view, "nonce": nonce} if view else {}), "selected": selected or ""}


def lon_lat(x: float, y: float) -> tuple[float, float]:
    """SVG units back to longitude and latitude (what a view shows)."""
    return x / UNITS, math.degrees(2 * math.atan(math.exp(math.radians(-y / UNITS))) - math.pi / 2)
