"""A chart with nothing to draw (no incident, appeal or case in the period: an early as-of date, a
period before the data) was drawn anyway, as empty axes with a meaningless scale (the UX audit of
7 December 2026: the Overview's trend, Turnaround's compliance heatmap, the Appeals page's grounds
and decision times). `ui.nothing_to_draw` tells such a figure from one of real zeros, and
`ui.plotly_chart` shows a sentence in its place."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from insight import ui


@pytest.mark.parametrize("figure", [
    go.Figure(),                                                                  # no trace at all
    go.Figure([go.Scatter(x=["2019-01-01", "2019-02-01"], y=[None, None])]),      # months without data
    go.Figure([go.Scatter(x=[], y=[]), go.Scatter(x=["a"], y=[None])]),
    go.Figure([go.Heatmap(z=[], x=[], y=[])]),
    go.Figure([go.Bar(x=[], y=[])]),
    go.Figure([go.Box(y=[])]),
    go.Figure([go.Histogram(x=[])]),
])
def test__nothing_to_draw__an_empty_figure(figure):
    assert ui.nothing_to_draw(figure)


@pytest.mark.parametrize("figure", [
    go.Figure([go.Bar(x=["Erewash", "Derby"], y=[0, 0])]),     # real zeros are figures
    go.Figure([go.Scatter(x=["2019-01-01", "2019-02-01"], y=[None, 3])]),
    go.Figure([go.Heatmap(z=[[0, 1]], x=["a", "b"], y=["c"])]),
    go.Figure([go.Box(y=[3, 4, 5])]),
    go.Figure([go.Histogram(x=[1, 2])]),
    go.Figure([go.Pie(values=[1, 0], labels=["a", "b"])]),
    go.Figure([go.Scatter(x=[None], y=[None]), go.Scatter(x=[1.0], y=[2.0], mode="lines", fill="toself")]),
])
def test__nothing_to_draw__a_figure_of_values_even_zeros(figure):
    assert not ui.nothing_to_draw(figure)
