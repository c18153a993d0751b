"""Charts of the "Action plans" page: the actions agreed by type, stacked by their state on the as-of date.

Colours say the state the same way on every chart: Okabe-Ito vermilion for overdue, orange for not
yet due, sky blue for completed late, bluish green for completed on time, grey for cancelled. A
count hidden by the disclosure rule (NaN in the frame) is not drawn, and a line under the chart
says so (the page's footer).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from etl.marts.actions import ACTION_STATES
from insight import labels

STATE_COLOURS = {"overdue": "#D55E00", "pending": "#E69F00", "completed_late": "#56B4E9",
                 "completed_on_time": "#009E73", "cancelled": "#999999"}


def type_chart(by_type: pd.DataFrame) -> go.Figure:
    """Actions agreed in the period by type (one bar each), stacked by state on the as-of date."""
    fig = go.Figure()
    shown = by_type.dropna(subset=["actions"])
    order = shown.groupby("action_type")["actions"].sum().sort_values().index.tolist()
    words = {t: labels.word("action_type", t) for t in order}
    for state in ACTION_STATES:
        rows = shown[shown["action_state"] == state].set_index("action_type").reindex(order).dropna(subset=["actions"])
        if rows.empty:
            continue
        name = labels.word("action_state", state)
        fig.add_bar(y=[words[t] for t in rows.index], x=rows["actions"], orientation="h", name=name,
                    marker_color=STATE_COLOURS[state], hovertemplate="%{y}: %{x} " + name.lower() + "<extra></extra>")
    fig.update_layout(barmode="stack", margin={"t": 10}, xaxis_title="Actions agreed in the period",
                      height=max(260, 40 * len(order) + 120), legend={"orientation": "h", "y": -0.25},
                      yaxis={"categoryorder": "array", "categoryarray": [words[t] for t in order]})
    return fig
