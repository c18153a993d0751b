"""What a reader of a suppressed table can work out, and how the disclosure tests call a named
query: shared by the unit and page tests of the disclosure rule."""

from __future__ import annotations

import importlib
import inspect


def tightened(bounds: dict, lines: list[tuple[float, list]], rounds: int = 50) -> dict:
    """`bounds` (cell -> (lowest, highest) the reader can tell) narrowed by `lines`, each (what the
    reader knows its unknown cells add up to, those cells), line after line until nothing changes."""
    bounds = dict(bounds)
    for _ in range(rounds):
        changed = False
        for total, cells in lines:
            for x in cells:
                lo = total - sum(bounds[o][1] for o in cells if o != x)
                hi = total - sum(bounds[o][0] for o in cells if o != x)
                narrowed = (max(bounds[x][0], lo), min(bounds[x][1], hi))
                if narrowed != bounds[x]:
                    bounds[x], changed = narrowed, True
        if not changed:
            break
    return bounds


def named_query(name: str):
    """The function of a named query ("insight.queries.maps.repeat_locations")."""
    module, _, function = name.rpartition(".")
    return getattr(importlib.import_module(module), function)


def call_arguments(query, values: dict) -> tuple:
    """The positional arguments after the connection of `query`, from `values` by name."""
    names = list(inspect.signature(query).parameters)[1:]
    return tuple(values[n] for n in names if n in values)
