"""Chart builders for the "Threshold near-misses" page: the monthly trend, the second-report trend,
the cluster map and the sentences that word them.

Colours follow insight.charts.base (Okabe-Ito): near-miss orange, met wine, newly eligible blue;
second reports explained in time bluish green, late orange, not explained wine, awaiting grey.
The map draws the authority outlines as its base layer (no basemap, so it works offline) and
the community-route clusters as H3 hexagons at their true size, each with a dot that stays
visible when the map is zoomed out. Builders take the frames of insight.queries.threshold and only
arrange and word them.
"""

from __future__ import annotations

import h3
import pandas as pd
import plotly.graph_objects as go
from shapely.geometry import Polygon

from insight import glossary, labels
from insight.charts import base as charts
from insight.charts import svg_map

# near-miss orange and met wine (Tol): apart in hue and lightness (orange and vermillion were not)
NEAR_MISS_COLOUR, MET_COLOUR, NEWLY_MET_COLOUR = charts.OKABE_ITO[1], "#882255", charts.OKABE_ITO[0]
SECOND_REPORT_SERIES = (  # column, legend, colour: the stack of second-report events per month
    ("explained_in_time", "Explained in time", charts.OKABE_ITO[2]),
    ("explained_late", "Explained late", charts.OKABE_ITO[1]),
    ("not_explained", "Not explained, past the limit", MET_COLOUR),
    ("awaiting", "Not explained yet, still in time", "#BBBBBB"),
)
_ROUTE_FILL = "#EBEBE1"  # selected authority with the community route
_PLAIN_FILL = "#FAFAFA"  # selected, no community route
_OTHER_FILL = "#D7D7D7"  # not selected


def _fmt_date(value) -> str:
    return pd.Timestamp(value).strftime("%-d %b %Y")


def history_chart(history: pd.DataFrame) -> go.Figure:
    """People near and at the threshold at each month end (lines) and newly eligible per month (bars).

    Each month is drawn over its own name: at its first day, with period alignment (the bar or point
    in the middle of the month's span on the axis), since plotly labels a "%b %Y" tick at the 1st,
    so a point at 31 October sat on "Nov 2026". The hover still names the month end the counts are
    taken on."""
    months = pd.to_datetime(history["month_end"]).dt.to_period("M").dt.to_timestamp()
    ends = [_fmt_date(v) for v in history["month_end"]]
    period = {"xperiod": "M1", "xperiodalignment": "middle", "customdata": ends}
    fig = go.Figure()
    fig.add_bar(x=months, y=history["newly_met_people"],
                name=f"{glossary.name('newly_met_people')} in the month",
                marker_color=NEWLY_MET_COLOUR, opacity=0.55, **period,
                hovertemplate="%{y:,} newly eligible in the month to %{customdata}<extra></extra>")
    fig.add_scatter(x=months, y=history["near_miss_people"], mode="lines+markers",
                    name=f"{glossary.name('near_miss_people')} (at month end)", line_color=NEAR_MISS_COLOUR,
                    **period, hovertemplate="%{y:,} one complaint short at %{customdata}<extra></extra>")
    fig.add_scatter(x=months, y=history["met_people"], mode="lines+markers",
                    name=f"{glossary.name('met_people')} (at month end)", line_color=MET_COLOUR,
                    **period, hovertemplate="%{y:,} at or over at %{customdata}<extra></extra>")
    fig.update_layout(hovermode="x unified", margin={"t": 10}, yaxis_title="People",
                      legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(tickformat="%b %Y", hoverformat="%B %Y", ticklabelmode="period")  # a label under its month
    return fig


def history_sentence(history: pd.DataFrame) -> str:
    """The latest month of the trend in words, for the board ('12 people became eligible in ...')."""
    if history.empty:
        return "No month end on or before the as-of date has any threshold history."
    last = history.iloc[-1]
    newly = last["newly_met_people"]
    who = ("A few people (not shown: disclosure control)" if pd.isna(newly)
           else "1 person" if newly == 1 else f"{int(newly):,} people")

    def people(value) -> str:
        return "a few (not shown)" if pd.isna(value) else f"{int(value):,}"

    return (f"{who} became eligible (reached the threshold) in {pd.Timestamp(last['month_end']):%B %Y}. "
            f"At {_fmt_date(last['month_end'])}, {people(last['near_miss_people'])} were one complaint "
            f"short and {people(last['met_people'])} were at or over the threshold.")


def second_report_chart(trend: pd.DataFrame) -> go.Figure:
    """Second-report events per month, stacked by what became of them (explained in time, late,
    not explained past the limit, not explained yet), the month's total above each bar."""
    fig = go.Figure()
    for column, name, colour in SECOND_REPORT_SERIES:
        fig.add_bar(x=trend["month"], y=trend[column], name=name, marker_color=colour,
                    hovertemplate=f"%{{y:,}} {name.lower()}<extra></extra>")
    fig.add_scatter(x=trend["month"], y=trend["events"], mode="text", text=trend["events"].map("{:,}".format),
                    textposition="top center", name="Second reports in the month", showlegend=False,
                    hovertemplate="%{y:,} second reports<extra></extra>")
    fig.update_layout(barmode="stack", hovermode="x unified", margin={"t": 10}, yaxis_title="Second reports",
                      legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(tickformat="%b %Y", dtick="M1")
    return fig


def second_report_sentence(share: pd.DataFrame) -> str:
    """The 'All selected' row of queries.threshold.second_report_share in words ("a few" where the
    disclosure rule hid a figure, insight/access/disclosure.py)."""
    total = share[share["authority_code"].isna()].iloc[0]

    def n(column: str) -> str:
        return "a few (not shown)" if pd.isna(total[column]) else f"{int(total[column]):,}"

    events, passed, in_time = total["events"], total["limit_passed"], total["explained_in_time"]
    if events == 0:
        return "No second report was made in the period."
    said = f"{n('events')} second report{'' if events == 1 else 's'} in the period."
    if passed == 0:
        return said + " None has reached its limit yet."
    share_text = "" if pd.isna(in_time) or pd.isna(passed) else f" ({in_time / passed:.0%})"
    return (said + f" Of the {n('limit_passed')} whose limit has passed, {n('explained_in_time')}{share_text} "
            f"were explained in time, {n('explained_late')} late and {n('not_explained')} "
            f"not at all; {n('awaiting')} are not explained yet but still in time.")


def queue_sentence(queue: pd.DataFrame) -> str:
    """Per authority, what this week's queue holds, one markdown bullet each ('- **Erewash**: 2 new
    second reports, 1 newly met, 14 open second reports')."""
    if queue.empty:
        return "Nothing new this week and no open second report."
    new = queue["is_new"].astype(bool)
    counts = pd.DataFrame({"rows": 1, "new": new, "reports": new & queue["incident_id"].notna()}).groupby(
        queue["authority_name"], sort=True).sum()   # one pass, not a selection per authority
    parts = []
    for name, rows, new_rows, reports in counts[["rows", "new", "reports"]].itertuples(name=None):
        met, still = new_rows - reports, rows - new_rows
        parts.append(f"- **{name}**: {reports:,} new second report{'s' if reports != 1 else ''}, "
                     f"{met:,} newly met, {still:,} open second report{'s' if still != 1 else ''}")
    return "\n".join(parts)


def _n(value) -> str:
    """A whole number as text; '–' where the disclosure rule hid it."""
    return "–" if pd.isna(value) else str(int(value))


def _cells(clusters: pd.DataFrame) -> pd.DataFrame:
    """One row per H3 cell (a cell may hold clusters of several categories): whether any is met,
    its hexagon and centre, and its hover text, a line per cluster."""
    columns = ["cell", "is_met", "hexagon", "lon", "lat", "title", "details", "rule"]
    if clusters.empty:
        return pd.DataFrame(columns=columns)
    status = clusters["is_threshold_met"].map({True: "met", False: "near-miss"})
    # "–" where the disclosure rule hid a figure (insight/access/disclosure.py)
    drops = pd.to_datetime(clusters["window_expires_date"]).dt.strftime("%-d %b %Y").fillna("–")
    lines = (clusters["asb_category"].astype(str) + ": " + clusters["distinct_reporters"].map(_n)
             + " reporters (threshold " + clusters["community_threshold"].map(_n) + ", " + status + "), "
             + clusters["incidents"].map(_n) + " incidents (" + clusters["anonymous_reports"].map(_n)
             + " anonymous); counts until " + drops + " (" + clusters["days_left"].map(_n)
             + clusters["days_left"].map(lambda n: " day)" if n == 1 else " days)"))
    cells = clusters.assign(line=lines).groupby("cluster_cell", sort=False).agg(
        is_met=("is_threshold_met", "any"), details=("line", svg_map.lines),
        authority_name=("authority_name", "first"), rule=("rule_id", "first"))
    centres = [h3.cell_to_latlng(cell) for cell in cells.index]
    return pd.DataFrame({
        "cell": cells.index, "is_met": cells["is_met"].to_numpy(),
        "hexagon": [Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)]) for cell in cells.index],
        "lon": [lng for _, lng in centres], "lat": [lat for lat, _ in centres],
        "title": [svg_map.lines([f"{name}, cell {cell}"]) for name, cell in zip(cells["authority_name"], cells.index,
                                                                                 strict=True)],
        "details": cells["details"].to_numpy(), "rule": cells["rule"].map(lambda r: svg_map.lines([labels.rule_name(r)])).to_numpy()},
        columns=columns)


def cluster_map(clusters: pd.DataFrame, outlines: pd.DataFrame, height_px: int = 520) -> go.Figure | None:
    """Community-route clusters (near-miss orange, met wine) as H3 hexagons at their true size over
    the authority outlines, each with a dot that stays visible when the hexagon is a pixel or two;
    the community-route authorities named; fitted to them. An SVG map with no basemap
    (insight.charts.svg_map); None when the warehouse holds no outlines."""
    rows = outlines.assign(geometry=outlines["boundary_geojson"].map(charts._geometry))
    rows = rows[rows["geometry"].notna()]
    if rows.empty:
        return None
    traces = []
    for fill, chosen in ((_OTHER_FILL, ~rows["is_selected"]), (_ROUTE_FILL, rows["is_selected"] & rows["community_route"]),
                         (_PLAIN_FILL, rows["is_selected"] & ~rows["community_route"])):
        traces.append(svg_map.polygons(rows.loc[chosen, "geometry"], colour=fill, showlegend=False))
    focus = rows[rows["is_selected"] & rows["community_route"]]
    traces.append(svg_map.names(focus["geometry"], focus["authority_name"], colour="#3C3C3C"))
    cells = _cells(clusters)
    template = "<b>%{customdata[0]}</b><br>%{customdata[1]}<br>%{customdata[2]}<extra></extra>"
    for is_met, colour, name in ((False, NEAR_MISS_COLOUR, "Near-miss cluster"), (True, MET_COLOUR, "Met the threshold")):
        chosen = cells[cells["is_met"] == is_met]
        hover = chosen[["title", "details", "rule"]].to_numpy()
        traces.append(svg_map.polygons(chosen["hexagon"], hover, colour=colour, line_colour="#282828",
                                       marker_opacity=0.82, hovertemplate=template, name=name, legendgroup=name,
                                       showlegend=False))
        traces.append(go.Scattergeo(lon=chosen["lon"], lat=chosen["lat"], mode="markers", name=name, legendgroup=name,
                                    marker={"size": 12, "color": _halo(colour), "line": {"color": colour, "width": 1}},
                                    customdata=hover, hovertemplate=template, showlegend=True))
    fit = (focus if not focus.empty else rows)["geometry"]
    fig = svg_map.figure(traces, fit, height_px=height_px)
    fig.update_layout(legend={"x": 0.01, "y": 0.01, "xanchor": "left", "yanchor": "bottom",
                              "bgcolor": "rgba(255,255,255,0.85)"})
    return fig


def _halo(hex_colour: str, alpha: float = 0.35) -> str:
    """The colour, see-through: a dot's fill, so the hexagon under it still shows."""
    red, green, blue = charts._rgb(hex_colour)
    return f"rgba({red},{green},{blue},{alpha})"


def cluster_legend(clusters: pd.DataFrame) -> str:
    """One line explaining the map's marks."""
    levels = ", ".join(str(v) for v in sorted(clusters["h3_resolution"].unique())) or "none"
    return (f"Orange: near-miss cluster; wine (dark red): met. Each hexagon is one H3 cell (resolution {levels}) "
            "drawn at its true size, with a dot so it shows when zoomed out; hover for reporters, "
            "incidents and the date the reporter count next drops. Darker grey areas are not "
            "selected; outlines only, no basemap, so the map works offline.")
