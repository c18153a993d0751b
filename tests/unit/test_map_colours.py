"""The maps' fill colours (insight.charts.maps.fill_colours), computed for all values at once,
against the value-by-value rule they replace, on random values (empty, NaN, zero, negative,
huge)."""

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from insight.charts import maps as cm
from insight.charts.base import YLORBR, _rgb, ramp_colour


def _reference(values, measure: str, alpha: int = 200) -> list[list[int]]:
    values = pd.Series(values, dtype=float)
    if measure == "change":
        top = float(np.log1p(values.abs().max())) if len(values) else 0.0
        steps = [0 if not top or pd.isna(v) else int(np.clip(np.sign(v) * np.ceil(np.log1p(abs(v)) / top * 3), -3, 3))
                 for v in values]
        return [_rgb(cm.RDBU[s + 3]) + [alpha] for s in steps]
    top = float(np.log1p(values.max())) if len(values) else 0.0
    return [ramp_colour(np.log1p(v), top, alpha) for v in values]  # the scalar rule of the ramp


counts = st.lists(st.one_of(st.integers(0, 10**6).map(float), st.floats(0, 1e7, allow_nan=False),
                            st.just(math.nan)), max_size=80)
changes = st.lists(st.one_of(st.integers(-10**5, 10**5).map(float), st.just(math.nan), st.just(0.0)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(values=counts, measure=st.sampled_from(["incidents", "per_km2"]), alpha=st.sampled_from([200, 220]))
def test__fill_colours__counts_and_densities_as_value_by_value(values, measure, alpha):
    assert cm.fill_colours(pd.Series(values, dtype=float), measure, alpha) == _reference(values, measure, alpha)


@settings(max_examples=300, deadline=None)
@given(values=changes)
def test__fill_colours__change_as_value_by_value(values):
    assert cm.fill_colours(pd.Series(values, dtype=float), "change") == _reference(values, "change")


def test__fill_colours__ramp_ends_and_a_half_step():
    # 0 is the palest, the maximum the darkest; a value exactly between two steps rounds as Python does
    top = 1000.0
    half = math.expm1(0.5 / (len(YLORBR) - 1) * math.log1p(top))
    values = [0.0, top, half, math.nan]
    assert cm.fill_colours(pd.Series(values), "incidents") == _reference(values, "incidents")
    assert cm.fill_colours(pd.Series(values), "incidents")[1][:3] == _rgb(YLORBR[-1])
