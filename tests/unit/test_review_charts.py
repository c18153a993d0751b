"""The case review charts' boxes (insight/charts/reviews.py): issue 16, item 11, "box plots of 1-4
cases": an authority with fewer than five cases gets its median and ends as points, not a box."""

from __future__ import annotations

import pandas as pd
import pytest

from insight.charts import reviews


def _stats(cases: int, hidden_ends: bool = False) -> pd.DataFrame:
    return pd.DataFrame([{"authority_name": "Erewash", "cases": cases, "min_days": None if hidden_ends else 3,
                          "q1_days": 4.0, "median_days": 5.0, "q3_days": 6.0, "max_days": None if hidden_ends else 9,
                          "limit_min": 20, "limit_max": 20}])


@pytest.mark.parametrize("cases", [1, 2, 4])
def test__boxes__fewer_than_five_cases_are_points(cases):
    fig = reviews.decision_time_chart(_stats(cases))
    kinds = [t.type for t in fig.data]
    assert "box" not in kinds and kinds.count("scatter") >= 1
    points = next(t for t in fig.data if t.type == "scatter" and t.mode == "markers")
    assert list(points.y) == [5.0, 3, 9] and points.x[0] == f"Erewash ({cases})"


def test__boxes__hidden_ends_leave_the_median_alone():
    points = next(t for t in reviews.decision_time_chart(_stats(3, hidden_ends=True)).data if t.type == "scatter"
                  and t.mode == "markers")
    assert list(points.y) == [5.0]


@pytest.mark.parametrize("cases", [5, 40])
def test__boxes__five_or_more_cases_are_a_box(cases):
    assert [t.type for t in reviews.decision_time_chart(_stats(cases)).data].count("box") == 1
