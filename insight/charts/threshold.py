"""Chart builders for the "Threshold near-misses" page: the monthly trend, the second-report trend,
the cluster map and the sentences that word them.

Colours follow insight.charts.base (Okabe-Ito): near-miss orange, met vermillion, newly eligible blue;
second reports explained in time bluish green, late orange, not explained vermillion, awaiting grey.
The map draws the authority outlines as its base layer (no basemap, so it works offline) and
the community-route clusters as H3 hexagons at their true size, each with a dot that stays
visible when the map is zoomed out. Builders take the frames of insight.queries.threshold and only
arrange and word them.
"""

from __future__ import annotations

import h3
import pandas as pd
import plotly.graph_objects as go
import pydeck as pdk

from insight.charts import base as charts

NEAR_MISS_COLOUR, MET_COLOUR, NEWLY_MET_COLOUR = charts.OKABE_ITO[1], charts.OKABE_ITO[5], charts.OKABE_ITO[0]
SECOND_REPORT_SERIES = (  # column, legend, colour: the stack of second-report events per month
    ("explained_in_time", "Explained in time", charts.OKABE_ITO[2]),
    ("explained_late", "Explained late", charts.OKABE_ITO[1]),
    ("not_explained", "Not explained, past the limit", charts.OKABE_ITO[5]),
    ("awaiting", "Not explained yet, still in time", "#BBBBBB"),
)
_ROUTE_FILL = [235, 235, 225, 255]  # selected authority with the community route
_PLAIN_FILL = [250, 250, 250, 255]  # selected, no community route
_OTHER_FILL = [215, 215, 215, 255]  # not selected


def _fmt_date(value) -> str:
    return pd.Timestamp(value).strftime("%-d %b %Y")


def history_chart(history: pd.DataFrame) -> go.Figure:
    """People near and at the threshold at each month end (lines) and newly eligible per month (bars)."""
    fig = go.Figure()
    fig.add_bar(x=history["month_end"], y=history["newly_met_people"], name="Newly eligible in the month",
                marker_color=NEWLY_MET_COLOUR, opacity=0.55,
                hovertemplate="%{y:,} newly eligible<extra></extra>")
    fig.add_scatter(x=history["month_end"], y=history["near_miss_people"], mode="lines+markers",
                    name="One complaint short (at month end)", line_color=NEAR_MISS_COLOUR,
                    hovertemplate="%{y:,} one complaint short<extra></extra>")
    fig.add_scatter(x=history["month_end"], y=history["met_people"], mode="lines+markers",
                    name="At or over the threshold (at month end)", line_color=MET_COLOUR,
                    hovertemplate="%{y:,} at or over<extra></extra>")
    fig.update_layout(hovermode="x unified", margin={"t": 10}, yaxis_title="People",
                      legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(tickformat="%b %Y")
    return fig


def history_sentence(history: pd.DataFrame) -> str:
    """The latest month of the trend in words, for the board ('12 people became eligible in ...')."""
    if history.empty:
        return "No month end on or before the as-of date has any threshold history."
    last = history.iloc[-1]
    newly = int(last["newly_met_people"])
    who = "1 person" if newly == 1 else f"{newly:,} people"
    return (f"{who} became eligible (reached the threshold) in {pd.Timestamp(last['month_end']):%B %Y}. "
            f"At {_fmt_date(last['month_end'])}, {int(last['near_miss_people']):,} were one complaint "
            f"short and {int(last['met_people']):,} were at or over the threshold.")


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
    """The 'All selected' row of queries.threshold.second_report_share in words."""
    total = share[share["authority_code"].isna()].iloc[0]
    events, passed, in_time = int(total["events"]), int(total["limit_passed"]), int(total["explained_in_time"])
    if not events:
        return "No second report was made in the period."
    said = f"{events:,} second report{'s' if events != 1 else ''} in the period."
    if not passed:
        return said + " None has reached its limit yet."
    return (said + f" Of the {passed:,} whose limit has passed, {in_time:,} ({in_time / passed:.0%}) were "
            f"explained in time, {int(total['explained_late']):,} late and {int(total['not_explained']):,} "
            f"not at all; {int(total['awaiting']):,} are not explained yet but still in time.")


def queue_sentence(queue: pd.DataFrame) -> str:
    """Per authority, what this week's queue holds, one markdown bullet each ('- **Erewash**: 2 new
    second reports, 1 newly met, 14 open second reports')."""
    if queue.empty:
        return "Nothing new this week and no open second report."
    parts = []
    for name, rows in queue.groupby("authority_name", sort=True):
        new = rows[rows["is_new"].astype(bool)]
        reports = int(new["incident_id"].notna().sum())
        met = len(new) - reports
        still = len(rows) - len(new)
        parts.append(f"- **{name}**: {reports:,} new second report{'s' if reports != 1 else ''}, "
                     f"{met:,} newly met, {still:,} open second report{'s' if still != 1 else ''}")
    return "\n".join(parts)


def _cells(clusters: pd.DataFrame) -> list[dict]:
    """One record per H3 cell (a cell may hold clusters of several categories), with its tooltip."""
    if clusters.empty:
        return []
    status = clusters["is_threshold_met"].map({True: "met", False: "near-miss"})
    drops = pd.to_datetime(clusters["window_expires_date"]).dt.strftime("%-d %b %Y")
    lines = (clusters["asb_category"].astype(str) + ": " + clusters["distinct_reporters"].astype(str)
             + " reporters (threshold " + clusters["community_threshold"].astype(str) + ", " + status + "), "
             + clusters["incidents"].astype(str) + " incidents (" + clusters["anonymous_reports"].astype(str)
             + " anonymous); counts until " + drops + " (" + clusters["days_left"].astype(str)
             + clusters["days_left"].map(lambda n: " day)" if n == 1 else " days)"))
    cells = clusters.assign(line=lines).groupby("cluster_cell", sort=False).agg(
        is_met=("is_threshold_met", "any"), details=("line", "\n".join),
        authority_name=("authority_name", "first"), rule=("rule_id", "first"))
    near, met = charts._rgb(NEAR_MISS_COLOUR), charts._rgb(MET_COLOUR)
    records = []
    for cell, row in zip(cells.index, cells.itertuples(index=False), strict=True):
        colour = met if row.is_met else near
        latitude, longitude = h3.cell_to_latlng(cell)
        records.append({"cell": cell, "position": [longitude, latitude], "fill": colour + [210],
                        "halo": colour + [90], "title": f"{row.authority_name}, cell {cell}",
                        "details": row.details, "rule": row.rule})
    return records


def cluster_map(clusters: pd.DataFrame, outlines: pd.DataFrame, height_px: int = 520) -> pdk.Deck | None:
    """Community-route clusters (near-miss orange, met vermillion) over the authority outlines;
    None when the warehouse holds no outlines."""
    rows = outlines.assign(geometry=outlines["boundary_geojson"].map(charts._geometry))
    rows = rows[rows["geometry"].notna()]
    if rows.empty:
        return None
    features = []
    for row in rows.itertuples():
        fill = (_OTHER_FILL if not row.is_selected else _ROUTE_FILL if row.community_route else _PLAIN_FILL)
        features.append({"type": "Feature", "geometry": row.geometry.__geo_interface__,
                         "properties": {"authority_name": row.authority_name, "fill": fill}})
    base = pdk.Layer("GeoJsonLayer", {"type": "FeatureCollection", "features": features}, id="authorities",
                     pickable=False, stroked=True, filled=True, get_fill_color="properties.fill",
                     get_line_color=[80, 80, 80, 255], line_width_min_pixels=1)
    focus = rows[rows["is_selected"] & rows["community_route"]]
    view = charts._view((focus if not focus.empty else rows)["geometry"], height_px=height_px)
    cells = _cells(clusters)
    halos = pdk.Layer("ScatterplotLayer", cells, id="cluster_dots", get_position="position",
                      get_radius=150, radius_min_pixels=6, get_fill_color="halo", stroked=True,
                      get_line_color="fill", line_width_min_pixels=1, pickable=True)
    hexagons = pdk.Layer("H3HexagonLayer", cells, id="clusters", get_hexagon="cell", get_fill_color="fill",
                         extruded=False, stroked=True, get_line_color=[40, 40, 40, 255],
                         line_width_min_pixels=1, pickable=True, auto_highlight=True)
    labels = [{"name": r.authority_name, "position": list(r.geometry.representative_point().coords[0])}
              for r in focus.itertuples()]
    names = pdk.Layer("TextLayer", labels, id="names", get_position="position", get_text="name", get_size=12,
                      get_color=[60, 60, 60, 255], background=True,
                      get_background_color=[255, 255, 255, 150])
    # deck.gl escapes the values it puts into the template, so lines are split by pre-line.
    tooltip = {"html": "<b>{title}</b><br/>{details}<br/>rule {rule}",
               "style": {"white-space": "pre-line", "max-width": "460px", "font-size": "13px"}}
    return pdk.Deck(layers=[base, names, halos, hexagons], initial_view_state=view, map_provider=None,
                    tooltip=tooltip)


def cluster_legend(clusters: pd.DataFrame) -> str:
    """One line explaining the map's marks."""
    levels = ", ".join(str(v) for v in sorted(clusters["h3_resolution"].unique())) or "none"
    return (f"Orange: near-miss cluster; vermillion: met. Each hexagon is one H3 cell (resolution {levels}) "
            "drawn at its true size, with a dot so it shows when zoomed out; hover for reporters, "
            "incidents and the date the reporter count next drops. Darker grey areas are not "
            "selected; outlines only, no basemap, so the map works offline.")
