"""The colour bar under the maps (insight/charts/vector_map.py ramp_legend): each step is labelled
with the smallest value the map colours that way (insight/charts/maps.py fill_colours), labels
never repeat, and a step no value can take is left out. Before, a map whose busiest cell held a
few incidents read "0 0 1 1 2 …": several steps started at the same rounded value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from insight.charts import maps as cm
from insight.charts import vector_map as vm


def _colour(value: float, values: pd.Series, measure: str) -> str:
    """The colour fill_colours gives `value` on a map whose values are `values` (its top sets the scale)."""
    rgb = cm.fill_colours(pd.Series([*values, value]), measure)[-1][:3]
    return "#{:02X}{:02X}{:02X}".format(*rgb)


@pytest.mark.parametrize("top", [1, 2, 3, 5, 7, 12, 40, 1_000, 87_654])
def test__ramp_legend__counts_each_step_starts_at_the_smallest_count_coloured_so(top):
    values = pd.Series([0, top], dtype=float)
    steps = vm.ramp_legend(values, "incidents", "Incidents")["steps"]
    starts = [int(label.replace(",", "")) for _, label in steps]
    assert starts == sorted(set(starts)) and starts[0] == 0 and starts[-1] <= top, starts
    for (colour, _), start in zip(steps, starts, strict=True):
        assert _colour(start, values, "incidents") == colour.upper(), (start, colour)
        if start:   # one less is another step's colour
            assert _colour(start - 1, values, "incidents") != colour.upper(), (start, colour)
    # every count from 0 to the top has its colour in the legend
    assert {_colour(v, values, "incidents") for v in range(0, min(top, 300) + 1)} <= {c.upper() for c, _ in steps}


@pytest.mark.parametrize("top", [0.3, 1.7, 9.5, 250.0])
def test__ramp_legend__densities_never_repeat_a_label(top):
    values = pd.Series(np.linspace(0, top, 50))
    labels = [label for _, label in vm.ramp_legend(values, "per_km2", "Incidents per km²")["steps"]]
    assert len(labels) == len(set(labels)), labels
    numbers = [float(label.replace(",", "")) for label in labels]
    assert numbers == sorted(numbers) and numbers[0] == 0


def test__ramp_legend__nothing_to_colour():
    assert vm.ramp_legend(pd.Series([], dtype=float), "incidents", "Incidents") is None
