"""The board pack's hotspot map: a static picture (plotly, drawn to PNG by kaleido with Chromium).

The map needs no basemap and no internet: the authorities' outlines from the warehouse are the
base layer, and the Gi* hot (and cold) H3 cells are drawn on top as filled polygons, on plain
axes with longitude scaled by cos(latitude) so shapes keep their proportions. Colours are the
maps' diverging RdBu classes (insight.charts.maps), with the confidence level in the legend, so the
map does not rely on colour alone to be read.
"""

from __future__ import annotations

import contextlib
import math
import threading
import warnings

import h3
import pandas as pd
import plotly.graph_objects as go

from insight.charts import svg_map
from insight.charts.base import _geometry
from insight.charts.maps import GI_LABELS, RDBU

_OUTLINE, _SELECTED_FILL, _OTHER_FILL = "#505050", "#ECECE6", "#F7F7F7"
LEGEND_PX = 200
_HALO = "0 0 4px white, 0 0 4px white, 0 0 4px white"  # names readable over the cells  # a strip at the left for the legend, so it never covers the map


def _rings(geometry) -> list:
    polygons = getattr(geometry, "geoms", [geometry])
    out = []
    for polygon in polygons:
        for part in getattr(polygon, "geoms", [polygon]):
            if hasattr(part, "exterior"):
                out.append(list(part.exterior.coords))
    return out


def _path(rings: list, stretch: float) -> tuple[list, list]:
    """x, y of many closed rings in one trace, separated by None (plotly fills each)."""
    xs, ys = [], []
    for ring in rings:
        xs += [lon * stretch for lon, _ in ring] + [None]
        ys += [lat for _, lat in ring] + [None]
    return xs, ys


def _cell_ring(cell: str) -> list:
    ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(cell)]
    return ring + ring[:1]


def _frame(fig: go.Figure, focus: pd.DataFrame, height: int) -> float:
    """Fit the axes to the focus outlines (longitude scaled by cos(latitude)); returns the scale."""
    bounds = [g.bounds for g in focus["geometry"]]
    west, south = min(b[0] for b in bounds), min(b[1] for b in bounds)
    east, north = max(b[2] for b in bounds), max(b[3] for b in bounds)
    stretch, pad = math.cos(math.radians((south + north) / 2)), 0.01
    x_range = [(west - pad) * stretch, (east + pad) * stretch]
    y_range = [south - pad, north + pad]
    width = int(height * (x_range[1] - x_range[0]) / (y_range[1] - y_range[0])) + LEGEND_PX
    fig.update_xaxes(visible=False, range=x_range, domain=[LEGEND_PX / width, 1])
    fig.update_yaxes(visible=False, range=y_range, scaleanchor="x", scaleratio=1)
    fig.update_layout(width=width, height=height, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                      plot_bgcolor="white", paper_bgcolor="white",
                      legend={"x": 0.0, "y": 0.0, "xanchor": "left", "yanchor": "bottom",
                              "font": {"size": 19, "family": "Arial"}, "bgcolor": "rgba(255,255,255,0.85)",
                              "title": {"text": "Gi* hot spots"}})
    return stretch


def hotspot_figure(cells: pd.DataFrame, outlines: pd.DataFrame, codes: tuple[str, ...],
                   height: int = 620) -> go.Figure:
    """Hot and cold cells (gi_class != 0) over the outlines; selected authorities named. The
    figure is as wide as the selected area's shape needs, plus room for the legend."""
    shapes = outlines.assign(geometry=outlines["boundary_geojson"].map(_geometry))
    shapes = shapes[shapes["geometry"].notna()]
    selected = shapes[shapes["authority_code"].isin(codes)]
    fig = go.Figure()
    stretch = _frame(fig, selected if not selected.empty else shapes, height)
    for is_selected, fill in ((False, _OTHER_FILL), (True, _SELECTED_FILL)):
        rows = shapes[shapes["authority_code"].isin(codes) == is_selected]
        xs, ys = _path([r for g in rows["geometry"] for r in _rings(g)], stretch)
        fig.add_scatter(x=xs, y=ys, fill="toself", fillcolor=fill, mode="lines", hoverinfo="skip",
                        line={"color": _OUTLINE, "width": 1.6}, showlegend=False)
    for level in (3, 2, 1, -1, -2, -3):
        chosen = cells.loc[cells["gi_class"] == level, "h3_cell"]
        if chosen.empty:
            continue
        xs, ys = _path([_cell_ring(c) for c in chosen], stretch)
        fig.add_scatter(x=xs, y=ys, fill="toself", fillcolor=RDBU[level + 3], mode="lines",
                        line={"color": "#555555", "width": 0.6},
                        name=f"{GI_LABELS[level]} ({len(chosen)})")
    points = [svg_map.label_point(g) for g in selected["geometry"]]  # names last: drawn over the cells
    fig.add_scatter(x=[p.x * stretch for p in points], y=[p.y for p in points], mode="text",
                    text=selected["authority_name"].tolist(), hoverinfo="skip", showlegend=False,
                    textfont={"size": 20, "color": "#222222", "family": "Arial", "shadow": _HALO})
    return fig


# kaleido's one server answers two renders in flight in any order: a render in a thread (the
# warm-up of `chromium_started`, a page's pictures) could get another's picture, so renders take turns
_RENDERING = threading.Lock()


def to_png(fig: go.Figure, scale: float = 2.5) -> bytes:
    """The figure as PNG bytes (kaleido, which starts Debian's Chromium by itself)."""
    with _RENDERING, warnings.catch_warnings():  # plotly notes that a running server ignores its options
        warnings.filterwarnings("ignore", "The kopts argument is ignored", UserWarning)
        return fig.to_image(format="png", scale=scale)


@contextlib.contextmanager
def chromium_started():
    """Within the block, one Chromium serves every picture, started at once in the background so
    that it starts while the figures are gathered (for one process making one pack: the command)."""
    import kaleido

    kaleido.start_sync_server(silence_warnings=True)
    warm = threading.Thread(target=lambda: to_png(go.Figure(layout={"width": 10, "height": 10})), daemon=True)
    warm.start()
    try:
        yield
    finally:
        warm.join()
        kaleido.stop_sync_server(silence_warnings=True)
