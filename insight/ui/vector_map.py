"""The Hotspots page's SVG map in the browser: a small Streamlit component (st.components.v2) for
the drawings of insight.charts.vector_map.

The JavaScript (vector_map.js, no library) puts the SVG in the page as it is, answers hover with the
area's words (set as text, never as HTML), pans with a drag and zooms with the wheel or its buttons,
and answers a click by setting the component's state `picked` to {"id": the area's code, "n": the
click's time}, which reruns the script: `picked_id` reads it back, before the map is drawn, so the
area opens at once. One map keeps its key whatever the map type, so the browser swaps the drawing
in place; the same drawing with a new selection or view is not drawn again.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from insight.charts.vector_map import MapData

_CSS = """
.asb-map-frame { position: relative; width: 100%; overflow: hidden; background: #fff; touch-action: none;
                 border-radius: .5rem; }
.asb-map-svg { position: absolute; inset: 0; }
.asb-map-tip { position: absolute; display: none; pointer-events: none; z-index: 2; max-width: 22rem;
               background: #fff; color: #262730; border: 1px solid #505050; border-radius: 4px;
               padding: 4px 8px; font: 13px/1.35 sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.2); }
.asb-map-buttons { position: absolute; top: 8px; right: 8px; display: flex; flex-direction: column; gap: 4px; }
.asb-map-buttons button { width: 28px; height: 28px; border: 1px solid #9a9a9a; border-radius: 4px;
                          background: #fff; color: #262730; font: 16px/1 sans-serif; cursor: pointer; }
.asb-map-legend { position: absolute; left: 8px; bottom: 8px; background: rgba(255,255,255,.9);
                  padding: 4px 6px; border-radius: 4px; font: 11px/1.3 sans-serif; color: #404552;
                  pointer-events: none; }
.asb-map-legend-title { margin-bottom: 2px; }
.asb-map-legend-row { display: flex; gap: 2px; }
.asb-map-legend-step { display: flex; flex-direction: column; align-items: flex-start; min-width: 30px; }
.asb-map-swatch { display: block; width: 100%; height: 10px; border: 1px solid rgba(0,0,0,.15); }
"""
_JS = Path(__file__).with_name("vector_map.js").read_text(encoding="utf-8")
_component = st.components.v2.component("asb_vector_map", js=_JS, css=_CSS)


def show(data: MapData, key: str) -> None:
    """Draw the map (in the current column) under `key`; a click sets the state `picked`."""
    _component(data=data, key=key, on_picked_change=_ignore)


def _ignore() -> None:
    """The click is read from the session state before the map is drawn (the page's map_section)."""


def picked_id(value) -> tuple[str, int] | None:
    """The (code, click time) of the last area clicked on this map, from its session state value
    (read before the map is drawn), or None."""
    try:
        picked = value["picked"]
        return str(picked["id"]), int(picked["n"])
    except (KeyError, TypeError, ValueError):
        return None
