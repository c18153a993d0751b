"""The board pack's hotspot map: a static picture (plotly, drawn to PNG by kaleido with Chromium).

The map needs no basemap and no internet: the authorities' outlines from the warehouse are the
base layer, and the Gi* hot (and cold) H3 cells are drawn on top as filled polygons, on plain
axes with longitude scaled by cos(latitude) so shapes keep their proportions. Colours are the
maps' diverging RdBu classes (insight.charts.maps), with the confidence level in the legend, so the
map does not rely on colour alone to be read.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading

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


# Renders take turns: one Chromium answers one picture at a time (a render in a thread, the
# warm-up of `chromium_started` or a page's, could otherwise get another's picture).
_RENDERING = threading.Lock()
# How long opening Chromium, or drawing one picture, may take before it is given up and tried once
# more in a new Chromium. A picture takes 1-3 s; kaleido's browser can stop answering for good,
# rarely (plotly/Kaleido#441, open: `to_image` waits forever), and a test run of this suite was held
# 50 minutes by one such picture (8 December 2026), which would hold `asb report` and the Board
# pack page the same way.
RENDER_SECONDS = 60.0


class MapPictureError(RuntimeError):
    """The map's picture could not be drawn: Chromium did not answer in time, twice."""


class _Chromium:
    """One kaleido browser in an event loop of its own thread; every call waits RENDER_SECONDS at
    most (kaleido's own waits do not cover the browser's start or a tab's page), and a call given
    up is cancelled in the loop, so the browser is closed as kaleido closes it."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
        self._thread.start()
        self._kaleido = None   # made in the loop (its locks and queues belong to it)
        self._open = False

    def _wait(self, coroutine, seconds: float):
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout=seconds)
        except TimeoutError:
            future.cancel()
            raise

    async def _start(self) -> None:
        import kaleido

        self._kaleido = kaleido.Kaleido(n=1)
        await self._kaleido.open()
        self._open = True

    def png(self, figure: dict, opts: dict, seconds: float) -> bytes:
        if not self._open:
            self._wait(self._start(), seconds)
        return self._wait(self._kaleido.calc_fig(figure, opts=opts), seconds)

    def close(self, seconds: float = 15.0) -> None:
        """Close the browser (waiting `seconds` at most) and stop the loop; a browser that does not
        close is left to its daemon thread, and ends with the process."""
        if self._kaleido is not None:
            with contextlib.suppress(Exception):
                self._wait(self._kaleido.close(), seconds)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(seconds)


_shared: _Chromium | None = None   # the browser of `chromium_started`, while it runs


def to_png(fig: go.Figure, scale: float = 2.5) -> bytes:
    """The figure as PNG bytes (kaleido drives Debian's Chromium, started here or by
    `chromium_started`), as plotly's `to_image` draws it. A browser that does not answer in
    RENDER_SECONDS is closed and the picture drawn once more in a new one; MapPictureError when
    that one does not answer either."""
    global _shared
    figure = fig.to_dict()
    layout = figure.get("layout", {})
    opts = {"format": "png", "width": layout.get("width") or 700, "height": layout.get("height") or 500,
            "scale": scale}
    with _RENDERING:
        for attempt in (1, 2):
            browser = _shared if attempt == 1 and _shared is not None else _Chromium()
            try:
                return browser.png(figure, opts, RENDER_SECONDS)
            except TimeoutError:
                if browser is _shared:
                    _shared = None   # the rest of the pack's pictures start their own
                browser.close()
                browser = None
            finally:
                if browser is not None and browser is not _shared:
                    browser.close()
    raise MapPictureError(f"Chromium (kaleido) did not draw the map in {RENDER_SECONDS:.0f} s, twice")


@contextlib.contextmanager
def chromium_started():
    """Within the block, one Chromium serves every picture, started at once in the background so
    that it starts while the figures are gathered (for one process making one pack: the command)."""
    global _shared
    _shared = _Chromium()
    warm = threading.Thread(target=_warm_up, daemon=True)
    warm.start()
    try:
        yield
    finally:
        warm.join(RENDER_SECONDS * 2 + 30)
        browser, _shared = _shared, None
        if browser is not None:
            browser.close()


def _warm_up() -> None:
    with contextlib.suppress(MapPictureError):   # the pack's own picture says so, if it cannot be drawn
        to_png(go.Figure(layout={"width": 10, "height": 10}))
