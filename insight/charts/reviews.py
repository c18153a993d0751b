"""Chart builders for the case review pages: turnaround, backlog, funnel, partnership, appeals.

Colours follow insight.charts.base: one colour per authority (Tol muted), categories in Okabe-Ito,
quantities on the YlOrBr ramp. In the partnership table, better / within the limit is bluish
green, worse / over the limit vermillion, above and below the county median (neither good nor
bad) dark and light blue, at the median grey. Builders only arrange and word the frames that
insight.queries.turnaround, queries_partnership and queries_appeals return.
"""

from __future__ import annotations

import math
import textwrap

import pandas as pd
import plotly.graph_objects as go

from etl.marts import reviews
from insight import glossary, labels
from insight.charts import base as charts

WITHIN_COLOUR, OVER_COLOUR = charts.OKABE_ITO[2], charts.OKABE_ITO[5]
CELL_COLOURS = {  # partnership colour class -> (fill, text colour)
    "better": ("#009E73", "white"), "within": ("#009E73", "white"),
    "worse": ("#D55E00", "white"), "over": ("#D55E00", "white"),
    "above": ("#0072B2", "white"), "below": ("#9ECAE9", "black"),
    "median": ("#DDDDDD", "black"), "none": ("#FFFFFF", "black"),
}
# A symbol before each partnership cell's value, so the judgement does not rest on colour alone
CELL_SYMBOLS = {"better": "✓ ", "within": "✓ ", "worse": "✗ ", "over": "✗ ", "above": "▲ ", "below": "▼ ",
                "median": "= ", "none": ""}
OUTCOME_COLOURS = {"upheld": charts.OKABE_ITO[5], "partially_upheld": charts.OKABE_ITO[1],
                   "not_upheld": charts.OKABE_ITO[0], "withdrawn": "#999999", "pending": charts.OKABE_ITO[4]}
# young to old open cases: lightness and hue both change, so neighbouring bands stay apart (Tol's
# "sunset" ends; the YlOrBr oranges used before were five near-identical shades)
AGE_COLOURS = ("#C2E4EF", "#6EA6CD", "#364B9A", "#F67E4B", "#A50026")
STAGE_LABELS = {s.name: s.label for s in reviews.STAGES}
# the funnel's steps (insight.queries.turnaround.funnel) as glossary terms: their names and definitions
FUNNEL_TERMS = {"applications": "applications", "threshold_met": "funnel_met", "reviews": "funnel_reviewed",
                "recommendations": "funnel_recommendations", "appealed": "funnel_appealed",
                "appeals_upheld": "funnel_upheld"}
FUNNEL_LABELS = {step: glossary.name(term) for step, term in FUNNEL_TERMS.items()}


DEFINITIONS = """
- **Working days**: England, weekends and England and Wales bank holidays (substitute days included)
  excluded. From A to B counts A when it is a working day and not B, so the same day is 0.
- **Limits**: the per-authority settings (`etl/rules/authorities.toml`) in force on the day the
  application was received; the whole process is allowed the decision, review and outcome limits
  added up.
- **A stage counts in the month and period in which it finished.** Open cases, overdue and at-risk
  stages are as of the as-of date.
- **Open case**: the applicant has not yet been told the decision (threshold not met) or the outcome
  of the review (met). Withdrawn applications are closed.
- **Funnel**: applications received in the period; each later step counts those applications only.
"""
PARTNERSHIP_LEGEND = (
    "✓ green: better than the county median of the nine authorities (days to decision: within the "
    "authority's limit); ✗ vermillion: worse (over the limit). For measures that are neither good nor "
    "bad (how many applications, reviews, appeals; % met; % with action plans), ▲ dark blue is above "
    "the county median and ▼ light blue below. = grey: at the median; white: no data in the period.")
_CHECKS = reviews.STATUTORY_CHECKS  # the checks' words (etl/marts/reviews.py)
CHECKS = f"""
Contradictions (the year is inconsistent):
- **{_CHECKS['review_without_threshold_met']}**: a review was held although the threshold decision was not
  "met" and no discretion was applied, the contradiction real published tables often show.
- **{_CHECKS['recommendations_without_review']}**: recommendations recorded with no review date.
- **{_CHECKS['recommendations_count_mismatch']}**: the outcome and the number of recommendations disagree.
- **{_CHECKS['met_without_review']}**: the threshold was met, so a review must follow (s.104(1)), but none was
  held although the review limit (working days from the decision, the rule in force) has passed,
  or the case was closed without one. Counted in the year of the decision (column "met, no
  review"), the gap published tables often show as more "met" than reviews.
- **{_CHECKS['dated_before_receipt']}**: a threshold decision or review dated before the application was
  received. It counts in the year of that date, perhaps a year with nothing received, so that
  year's figures cannot add up.

Each year's **intake** must add up: of the applications received in the year, those not met plus
those reviewed, wherever the decision or review fell, are at most the applications received (one
reviewed by discretion after "not met" counts once). A year is consistent when its intake adds up
and no application contradicts itself.

The four figures themselves are counted by date (received, decided, reviewed), so a reader's
check on one year's column (not met + reviews ≤ received, "counts add up") can fail for right
figures. Notes (the figures are right) explain such a year:
- **{_CHECKS['carried_in']}**: counted as not met or reviewed this year, received in an earlier year (an
  application received late in March and decided in April).
- **{_CHECKS['reviewed_by_discretion']}**: not met, yet reviewed by discretion: counted in both figures.
- **{_CHECKS['decided_after_year_end']}** (decisions inside the year): received this year, decided in a later
  one or still undecided, so it counts in two years' figures.

**Frozen returns**: a year frozen as published (`asb returns freeze`) keeps its published
figures; where today's count differs, the return is *restated* and shows "published 12, now 13".
"""


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def checks_sentence(returns: pd.DataFrame, exceptions: pd.DataFrame) -> tuple[bool, str]:
    """Whether the statutory checks found no contradiction, and what they found, in words."""
    contradicting = exceptions.loc[exceptions["severity"] == "contradiction", "application_ref"].nunique()
    inconsistent = int((~returns["is_consistent"].astype(bool)).sum())
    short = int((~returns["counts_add_up"].astype(bool)).sum())
    if contradicting or inconsistent:
        return False, (f"{_plural(contradicting, 'application')} contradict{'s' if contradicting == 1 else ''} "
                       f"the published figures; {_plural(inconsistent, 'authority-year')} "
                       f"inconsistent.")
    if short:
        return True, (f"No application contradicts the published figures. The {_plural(short, 'authority-year')} "
                      "whose counts do not add up by date are explained by the notes below (applications "
                      "carried in from an earlier year, reviewed by discretion, or decided after the year "
                      "they were received in); each year's intake adds up.")
    return True, "No application contradicts the published figures, and every year's counts add up."


def restated_sentence(returns: pd.DataFrame) -> str | None:
    """The frozen years whose figures have changed since they were published, in words (None: none)."""
    restated = returns[returns["is_restated"].astype(bool)]
    if restated.empty:
        return None
    parts = [f"{r.authority_name} {r.financial_year} ({r.restatement})" for r in restated.itertuples()]
    return (f"Restated since published: {'; '.join(parts)}. The published figures stay frozen; the "
            "difference is what a corrected return would show.")


def frozen_sentence(returns: pd.DataFrame) -> str:
    """Which of one authority's years are frozen as published, by whom and when, in words."""
    frozen = returns[returns["is_frozen"].astype(bool)].sort_values("financial_year")
    if frozen.empty:
        return ("No year is frozen as published yet (`asb returns freeze`); the table shows today's counts.")
    parts = [f"{r.financial_year} published on {pd.Timestamp(r.published_date):%-d %B %Y}"
             + (f" by {r.published_by}" if isinstance(r.published_by, str) and r.published_by else "")
             for r in frozen.itertuples()]
    return (f"Frozen as published: {'; '.join(parts)}. A frozen year shows its published figures; one that "
            "has changed since reads \"published 12, now 13\". Other years are today's counts.")


def _count(value) -> str:
    """A count as text; '–' where the disclosure rule hid it (insight/access/disclosure.py)."""
    return "–" if pd.isna(value) else f"{int(value):,}"


def _texts(values, *more, fmt) -> pd.Series:
    """`fmt` of each row's values as text (object dtype, also with no rows: a Series.map of an
    empty numeric column stays numeric, and adding text to it raises)."""
    return pd.Series([fmt(*row) for row in zip(values, *more, strict=True)], index=values.index, dtype=object)


def median_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Median working days per authority (rows) and stage (columns), 'median (finished)'; no rows
    when no stage finished in the period."""
    rows = summary.assign(cell=_texts(summary["median_working_days"], summary["finished"],
                                      fmt=lambda v, n: f"{'–' if pd.isna(v) else f'{v:g}'} ({_count(n)})"))
    table = rows.pivot(index="authority_name", columns="stage", values="cell")
    table = table.reindex(columns=[s.name for s in reviews.STAGES if s.name in table.columns])
    names = [n for n in table.index if n != "All selected"] + [n for n in table.index if n == "All selected"]
    return table.reindex(names).rename(columns=STAGE_LABELS).reset_index(names="Authority")


def limits_sentence(summary: pd.DataFrame) -> str:
    """The limits in force behind the compliance figures, in words."""
    overall = summary[summary["authority_code"].isna() & summary["limits_in_force"].notna()]
    if overall.empty:
        return "No stage with a limit finished in the period."
    parts = [f"{STAGE_LABELS[r.stage].lower()} {r.limits_in_force}" for r in overall.itertuples()]
    return ("Limits in force, in working days: " + "; ".join(parts) + ". Several values for a stage "
            "mean a rule changed; each case is held to the rule in force when it was received. "
            "Hover a cell for the counts.")


def _limit_lines(fig: go.Figure, limits) -> None:
    for limit in sorted({int(v) for v in limits if pd.notna(v)}):
        fig.add_hline(y=limit, line_dash="dash", line_color=OVER_COLOUR,
                      annotation_text=f"limit {limit} working days", annotation_position="top left")


# a box's key, as the pages' captions give it: the count and the whiskers are left out for an
# authority outside the viewer's rights (insight/access/roles.py `_BOX`)
BOX_KEY = ("in brackets: how many; box: the middle half, line: the median, whiskers: the shortest and longest; "
           "the count and the whiskers only where you may see single cases")
BOX_MIN_CASES = 5  # fewer cases draw their points, not a box: a box of 1 to 4 values says nothing about spread


def _boxes(fig: go.Figure, stats: pd.DataFrame) -> None:
    """One box per authority from statistics computed in SQL (queries_turnaround.box_stats_sql):
    box = the middle half, line = the median, whiskers = the shortest and the longest (none where
    the disclosure rule hides single cases: the whiskers then end at the box). An authority with
    fewer than BOX_MIN_CASES cases gets no box (quartiles of two values are not a spread): its
    median is drawn as a diamond, with the shortest and longest as dots where they are shown."""
    for row in stats.sort_values("authority_name").itertuples():
        # no count where the disclosure rule hid it (an authority outside the viewer's rights)
        label = row.authority_name if pd.isna(row.cases) else f"{row.authority_name} ({_count(row.cases)})"
        colour = charts.AUTHORITY_NAME_COLOURS.get(row.authority_name)
        if pd.notna(row.cases) and row.cases < BOX_MIN_CASES:
            ends = [v for v in dict.fromkeys((row.min_days, row.max_days)) if pd.notna(v)]
            fig.add_trace(go.Scatter(
                x=[label] * (1 + len(ends)), y=[row.median_days, *ends], name=label, mode="markers",
                marker={"color": colour, "size": [12] + [7] * len(ends), "symbol": ["diamond"] + ["circle"] * len(ends)},
                hovertemplate=f"{label}: too few cases for a box<br>%{{y}} working days<extra></extra>"))
            continue
        low = row.q1_days if pd.isna(row.min_days) else row.min_days
        high = row.q3_days if pd.isna(row.max_days) else row.max_days
        fig.add_trace(go.Box(x=[label], q1=[row.q1_days], median=[row.median_days], q3=[row.q3_days],
                             lowerfence=[low], upperfence=[high], name=label, marker_color=colour))
    _limit_lines(fig, pd.concat([stats["limit_min"], stats["limit_max"]]))
    fig.update_layout(showlegend=False, margin={"t": 10}, yaxis_rangemode="tozero")


def stage_distribution(durations: pd.DataFrame, stage: str) -> go.Figure:
    """Working days of one stage per authority (box statistics, cases in brackets), the limit dashed."""
    fig = go.Figure()
    _boxes(fig, durations[durations["stage"] == stage])
    fig.update_layout(yaxis_title="Working days")
    return fig


def compliance_heatmap(summary: pd.DataFrame) -> go.Figure:
    """Share of stages finished within their limit, authority by stage, with the counts on hover."""
    rows = summary[summary["share_within_sla"].notna()].copy()
    rows["stage_label"] = rows["stage"].map(STAGE_LABELS)
    order = [STAGE_LABELS[s.name] for s in reviews.STAGES if s.sla_column]
    share = rows.pivot(index="authority_name", columns="stage_label", values="share_within_sla")
    share = share.reindex(columns=[c for c in order if c in share.columns])
    names = [n for n in share.index if n != "All selected"] + (["All selected"] if "All selected" in share.index else [])
    share = share.reindex(names)
    detail = rows.assign(text=_texts(rows["within_sla"], rows["finished"], rows["limits_in_force"].fillna("?"),
                                     fmt=lambda w, n, lim: f"{_count(w)} of {_count(n)} within {lim} working days")
                         ).pivot(index="authority_name", columns="stage_label", values="text")
    detail = detail.reindex(index=share.index, columns=share.columns)
    fig = go.Figure(go.Heatmap(
        z=share.values, x=share.columns, y=share.index, customdata=detail.values,
        text=[[("" if pd.isna(v) else f"{v:.0%}") for v in row] for row in share.values],
        texttemplate="%{text}", colorscale=list(reversed(charts.YLORBR[:6])), zmin=0, zmax=1, xgap=2, ygap=2,
        hoverongaps=False, colorbar={"title": {"text": "within<br>limit"}, "tickformat": ".0%"},
        hovertemplate="%{y}, %{x}: %{z:.0%}<br>%{customdata}<extra></extra>"))
    fig.update_layout(margin={"t": 10, "b": 10}, height=max(240, 60 + 32 * len(share.index)))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    return fig


def monthly_chart(monthly: pd.DataFrame, stage: str) -> go.Figure:
    """One stage by month of finishing: cases within and over the limit (stacked bars; all cases
    when the stage has no limit) and the median working days (line, right axis)."""
    rows = monthly[monthly["stage"] == stage]
    fig = go.Figure()
    if rows["within_sla"].notna().any():
        fig.add_bar(x=rows["month"], y=rows["within_sla"], name="within the limit", marker_color=WITHIN_COLOUR,
                    hovertemplate="%{y} within the limit<extra></extra>")
        fig.add_bar(x=rows["month"], y=rows["over_sla"], name="over the limit", marker_color=OVER_COLOUR,
                    customdata=rows["share_within_sla"],
                    hovertemplate="%{y} over the limit (%{customdata:.0%} within)<extra></extra>")
    else:
        fig.add_bar(x=rows["month"], y=rows["finished"], name="finished (no limit set)",
                    marker_color=charts.OKABE_ITO[0], hovertemplate="%{y} finished<extra></extra>")
    fig.add_scatter(x=rows["month"], y=rows["median_working_days"], name="median working days", yaxis="y2",
                    mode="lines+markers", line_color=charts.OKABE_ITO[7],
                    hovertemplate="median %{y:g} working days<extra></extra>")
    fig.update_layout(barmode="stack", hovermode="x unified", margin={"t": 10}, yaxis_title="Cases finished",
                      yaxis2={"title": "Median working days", "overlaying": "y", "side": "right",
                              "rangemode": "tozero", "showgrid": False},
                      legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(tickformat="%b %Y", dtick="M1")
    fig.update_yaxes(rangemode="tozero", tickformat="d")
    return fig


def backlog_chart(backlog: pd.DataFrame, bands: tuple) -> go.Figure:
    """Open cases per authority, stacked by how many working days they have been open."""
    fig = go.Figure()
    totals = backlog.groupby(["authority_name", "age_order", "age_band"], as_index=False)["open_cases"].sum()
    for i, (_, _, label) in enumerate(bands):
        rows = totals[totals["age_order"] == i]
        fig.add_bar(y=rows["authority_name"], x=rows["open_cases"], name=f"{label} working days",
                    orientation="h", marker_color=AGE_COLOURS[i % len(AGE_COLOURS)],
                    hovertemplate="%{y}: %{x} open " + label + " working days<extra></extra>")
    fig.update_layout(barmode="stack", margin={"t": 10}, xaxis_title="Open cases",
                      legend={"orientation": "h", "y": -0.25, "traceorder": "normal"},
                      height=max(220, 90 + 30 * totals["authority_name"].nunique()))
    fig.update_yaxes(categoryorder="category descending")
    fig.update_xaxes(tickformat="d", rangemode="tozero", tick0=0,
                     dtick=max(1, math.ceil(totals.groupby("authority_name")["open_cases"].sum().max() / 8)))
    return fig


def funnel_chart(funnel: pd.DataFrame) -> go.Figure:
    """From applications received to appeals upheld, with each step as a share of applications."""
    definitions = funnel["step"].map(lambda step: "<br>".join(textwrap.wrap(
        glossary.definition(FUNNEL_TERMS[step]), 60)))
    fig = go.Figure(go.Funnel(y=funnel["step"].map(FUNNEL_LABELS), x=funnel["applications"],
                              customdata=definitions, textinfo="value+percent initial",
                              marker_color=charts.OKABE_ITO[0],
                              hovertemplate="%{y}: %{x}<br>%{customdata}<extra></extra>"))
    fig.update_layout(margin={"t": 10, "l": 10, "b": 10}, height=300)
    return fig


def partnership_heatmap(cells: pd.DataFrame, labels: list[str]) -> go.Figure:
    """The partnership table: authorities by measures, each cell coloured by its rule (on hover)."""
    classes = list(CELL_COLOURS)
    cells = cells.assign(colour=cells["colour"].fillna("none"), display=cells["display"].fillna("–"),
                         rule=cells["rule"].fillna("not shown: too few cases behind it (disclosure control)"))
    colour = cells.pivot(index="authority_name", columns="label", values="colour").reindex(columns=labels)
    text = cells.pivot(index="authority_name", columns="label", values="display").reindex(columns=labels)
    rule = cells.pivot(index="authority_name", columns="label", values="rule").reindex(columns=labels)
    n = len(classes)
    scale = [pair for i, c in enumerate(classes) for pair in ([i / n, CELL_COLOURS[c][0]],
                                                              [(i + 1) / n, CELL_COLOURS[c][0]])]
    columns = ["<br>".join(textwrap.wrap(label, 12)) for label in labels]
    fig = go.Figure(go.Heatmap(
        z=colour.map(classes.index).values, x=columns, y=colour.index, zmin=-0.5, zmax=n - 0.5,
        colorscale=scale, showscale=False, xgap=3, ygap=3, customdata=rule.values,
        hovertemplate="<b>%{y}</b><br>%{customdata}<extra></extra>"))
    labels_on_cells = [  # annotations, so the text colour can follow the fill (set at once: fast)
        {"x": column, "y": name, "text": CELL_SYMBOLS[colour.iat[row, col]] + text.iat[row, col], "showarrow": False,
         "font": {"size": 14, "color": CELL_COLOURS[colour.iat[row, col]][1]}}
        for row, name in enumerate(colour.index) for col, column in enumerate(columns)]
    fig.update_layout(annotations=labels_on_cells, margin={"t": 10, "l": 10, "b": 10},
                      height=max(240, 70 + 38 * len(colour.index)))
    fig.update_yaxes(autorange="reversed", tickfont={"size": 13})
    fig.update_xaxes(side="top", tickfont={"size": 13}, tickangle=0)
    return fig


def grounds_chart(grounds: pd.DataFrame) -> go.Figure:
    """Appeals by grounds, stacked by outcome."""
    fig = go.Figure()
    for outcome, colour in OUTCOME_COLOURS.items():
        rows = grounds[grounds["outcome"] == outcome]
        if not rows.empty:
            name = labels.word("appeal_outcome", outcome)
            fig.add_bar(y=rows["grounds"].map(lambda g: labels.word("grounds", g)), x=rows["appeals"],
                        orientation="h", name=name, marker_color=colour,
                        hovertemplate="%{y}: %{x} " + name.lower() + "<extra></extra>")
    fig.update_layout(barmode="stack", margin={"t": 10}, xaxis_title="Appeals", height=280,
                      legend={"orientation": "h", "y": -0.3})
    return fig


def decision_time_chart(times: pd.DataFrame) -> go.Figure:
    """Working days from receipt to the OPCC's decision per authority (box statistics), limit dashed."""
    fig = go.Figure()
    _boxes(fig, times)
    fig.update_layout(yaxis_title="Working days to decision")
    return fig
