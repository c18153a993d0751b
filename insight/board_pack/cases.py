"""The board pack's case review slides: turnaround against the SLAs per authority, appeals to the
OPCC and their outcomes, and the statutory figures for the financial year to date.

Figures come from the case review marts through their own query functions
(insight.queries.turnaround.stage_summary, insight.queries.appeals.summary,
insight.queries.partnership.statutory_returns), evaluated as of the month's last day. Case reviews
are few (a district has a handful a year), so turnaround and appeals cover the 12 months to the
month's end and the statutory figures the financial year to it. Every count here is of cases
brought by people, so all pass through disclosure control (insight.access.disclosure).
"""

from __future__ import annotations

import pandas as pd

from etl.marts import reviews
from etl.rules import authorities
from etl.schema import APPEAL_OUTCOME_LABELS, DECIDED_APPEAL_OUTCOMES, REVIEW_TYPES
from insight import glossary
from insight.access.disclosure import protect, share_or_none
from insight.board_pack import slides as rs
from insight.board_pack import words as w
from insight.board_pack.content import Context
from insight.board_pack.data import mark_page_hidden, page_hides
from insight.charts.base import OKABE_ITO
from insight.queries import appeals as queries_appeals
from insight.queries import partnership as queries_partnership
from insight.queries import turnaround as queries_turnaround

STAGES = ("acknowledge", "decision", "total")  # the stages the board follows, with their limits
STAGE_COLOURS = [OKABE_ITO[4], OKABE_ITO[0], OKABE_ITO[1]]
TURNAROUND_COUNTS = ("finished", "within_sla", "median_working_days", "share_within_sla")
APPEAL_COUNTS = (*APPEAL_OUTCOME_LABELS, "decided", "appeals", "overdue", "median_decision_working_days")
TOTAL = "All selected"


def gather(con, month, codes) -> dict:
    """The case review frames for the pack (see the module docstring for the periods)."""
    start = month.shift(-11).start
    fy = month.financial_year_start
    returns = queries_partnership.statutory_returns(con, month.end, codes)
    args = (month.end, tuple(codes), start, month.end)
    return {
        "period_start": start,
        "turnaround": _turnaround(con, month, codes, start),
        # each count marked where the Appeals page hides it for the same choice, from a board viewer
        # or a council manager: the pack hides it too (`data.mark_page_hidden`)
        "appeals": mark_page_hidden(con, queries_appeals.summary, args, queries_appeals.summary(con, *args), codes,
                                    "authority_name", APPEAL_COUNTS),
        "appeal_types": mark_page_hidden(con, queries_appeals.by_review_type, args,
                                         queries_appeals.by_review_type(con, *args), codes, "review_type", ("cases",)),
        "financial_year": f"{fy.year}/{(fy.year + 1) % 100:02d}",
        "statutory": returns[pd.to_datetime(returns["year_start_date"]).dt.date == fy].reset_index(drop=True),
    }


def _turnaround(con, month, codes, start) -> pd.DataFrame:
    """stage_summary for the twelve months, each count marked where the Turnaround page hides it for
    the same choice from a board viewer or a council manager (`data.mark_page_hidden`): all nine's
    threshold decisions, 8, where the page hid them from Derby's manager, told the other eight's 3
    (January 2024 in the demo)."""
    args = (month.end, tuple(codes), start, month.end)
    frame = queries_turnaround.stage_summary(con, *args)
    return mark_page_hidden(con, queries_turnaround.stage_summary, args, frame, codes, ("authority_name", "stage"),
                            TURNAROUND_COUNTS)


def _page_hidden(frame: pd.DataFrame, key: str, rows, columns) -> list[tuple[str, str]]:
    """The all-selected cells (TOTAL, column) of `columns` that the page showing `frame` hides
    (`data.page_hides`): its total row's (`rows` None) or, for each of `rows`, the `key` row's own
    "cases". Read with what the pack prints, a figure the page hides told what the page protects
    (the pages audit of 6 December 2026: all nine's appeals decided, printed by the pack, told 2
    decided late)."""
    if frame is None or frame.empty:
        return []
    if rows is None:
        total = frame[frame[key] == TOTAL]
        return [(TOTAL, c) for c in columns if page_hides(total, c).any()]
    hides = dict(zip(frame[key], page_hides(frame, "cases"), strict=True))
    return [(TOTAL, c) for c in rows if hides.get(c, False)]


def _twelve_months(ctx: Context) -> str:
    return f"the 12 months to {ctx.data.month.end:%-d %b %Y}"


def slide_turnaround(deck, ctx: Context) -> None:
    summary = ctx.data.cases["turnaround"]
    summary = summary[summary["stage"].isin(STAGES)]
    rows = list(dict.fromkeys(summary["authority_name"]))
    if not rows:
        slide = ctx.slide(deck, f"No case review stage finished in the 12 months to {ctx.data.month.name}",
                          notes=TURNAROUND_NOTE)
        rs.text(slide, rs.BODY, ["No application was acknowledged, decided or completed in the period."])
        return
    rows, share = turnaround_shares(ctx, summary, ctx.k)
    lines, rates = [], {}
    for stage in STAGES:
        r = summary[(summary["authority_name"] == TOTAL) & (summary["stage"] == stage)]
        finished, within = (r["finished"].iloc[0], r["within_sla"].iloc[0]) if not r.empty else (0, 0)
        page = {c: bool(page_hides(r, c).any()) for c in TURNAROUND_COUNTS}   # what the page hides of it
        # the number of cases is printed beside the rate, so each side (in time, late) must be 0 or >= k
        rates[stage] = rate = (None if page["within_sla"] or page["share_within_sla"] or page["finished"]
                               else share_or_none(within, finished, ctx.k, whole_is_shown=True))
        median = r["median_working_days"].iloc[0] if finished >= ctx.k and not page["median_working_days"] else None
        count = ctx.person_count(finished, page["finished"] or (stage == "decision" and decisions_give_met_away(ctx, finished)))
        lines.append([reviews.STAGE_BY_NAME[stage].label, count, "–" if rate is None else f"{rate:.0%}",
                      w.days(median)])
    total = summary[(summary["authority_name"] == TOTAL) & (summary["stage"] == "decision")]
    # the title's rate is the table's (all selected, beside its number of cases): one computed
    # without the table's check would give a hidden late (or in-time) count back
    decision = rates["decision"]
    limit = total["limits_in_force"].iloc[0] if not total.empty else "?"
    decided = total["finished"].iloc[0] if not total.empty else 0
    title = (f"{decision:.0%} of threshold decisions were made within {limit} working days" if decision is not None
             else "Too few threshold decisions to show a rate" if decided < ctx.k
             else "Threshold decisions within the limit: not shown (too few in time or late, or hidden as on the Turnaround page)")
    slide = ctx.slide(deck, title, f"Share of case review stages finished within their limit, {_twelve_months(ctx)}",
                      notes=TURNAROUND_NOTE)
    rs.bar_chart(slide, rs.box(0.5, 1.75, 7.6, 4.6), rows, {reviews.STAGE_BY_NAME[s].label: share[s]
                                                             for s in STAGES},
                 STAGE_COLOURS, number_format="0%", font_pt=13, maximum=1.0)
    rs.text(slide, rs.box(0.5, 6.35, 7.6, 0.5), [f"No bar: no case finished that stage in the period, or fewer "
                                                 f"than {ctx.k} in time or late, too few for a rate."],
            rs.SMALL_PT, rs.MUTED)
    rs.table(slide, rs.box(8.4, 1.9, 4.43, 2.5), [TOTAL, "cases", "in time", "median days"], lines,
             [1.9, 0.75, 0.85, 0.93], font_pt=13)


def turnaround_shares(ctx: Context, summary: pd.DataFrame, k: int) -> tuple[list[str], dict[str, list]]:
    """The turnaround chart's rows (every authority of the pack, by name, then all selected) and,
    per stage, each row's share finished in time, or None. A share is shown only with 0 or k or
    more cases on each side (in time, late), every row alike: the table prints all selected's cases,
    which bound an authority's, and 80% of at most 6 is 4 of 5, 1 late (the red-team audit of 6
    December 2026). An authority with no case is a row too, with no bar, like one of too few: were
    only those with cases listed, the rows would tell which had 1 to k-1."""
    names = sorted(authorities.NAME_BY_CODE[c] for c in ctx.data.codes)
    rows = [*names, TOTAL]
    share = {}
    for stage in STAGES:
        part = summary[summary["stage"] == stage].set_index("authority_name").reindex(rows)
        # and no share the Turnaround page hides (its count or its share) for the same choice
        page = pd.concat([page_hides(part, c) for c in ("finished", "within_sla", "share_within_sla")],
                         axis=1).any(axis=1)
        share[stage] = [None if pd.isna(r.finished) or hides else share_or_none(r.within_sla, r.finished, k,
                                                                                 whole_is_shown=True)
                        for r, hides in zip(part.itertuples(), page, strict=True)]
    return rows, share


def decisions_give_met_away(ctx: Context, decisions) -> bool:
    """Whether printing the all-selected threshold decisions of the turnaround slide would give away
    a hidden count. In a March pack its 12 months are the financial year of the statutory slide, so
    the decisions less the "not met" printed there are the year's "met" decisions, a count of
    people: the pack must not show it as 1 to k-1 by a subtraction across slides."""
    if ctx.data.cases.get("period_start") != ctx.data.month.financial_year_start:
        return False
    table = statutory_table(ctx)
    if table.is_hidden(TOTAL, "threshold_not_met"):
        return False
    met = decisions - table.values.at[TOTAL, "threshold_not_met"]
    return 0 < met < ctx.k


TURNAROUND_NOTE = ("Working days (England and Wales bank holidays excluded) from mart_review_turnaround: "
                   "acknowledgement = received to acknowledged; threshold decision = received to decision; "
                   "whole process = received to outcome told. A stage counts in the month it finished. "
                   "Limits are each authority's settings. A share is shown only with 5 or more cases "
                   "behind it, and, beside a count, with 0 or 5 or more on each side. In a March pack the 12 "
                   "months are the financial year of the statutory slide: the threshold decisions are then "
                   "hidden (*) when they less its 'not met' would give a small number of 'met' decisions.")




def appeal_counts(ctx: Context):
    """The all-selected appeals by outcome with their totals (appeals, decided), protected."""
    summary = ctx.data.cases["appeals"].set_index("authority_name")
    columns = [*APPEAL_OUTCOME_LABELS, "decided", "appeals"]
    row = summary.loc[TOTAL, columns] if TOTAL in summary.index else pd.Series(0, index=columns)
    counts = pd.DataFrame([row.astype(float)], index=[TOTAL])
    return protect(counts, columns, ctx.k, column_totals={  # appeals = the outcomes = decided + withdrawn + pending
        "appeals": [list(APPEAL_OUTCOME_LABELS), ["decided", "withdrawn", "pending"]],
        "decided": list(DECIDED_APPEAL_OUTCOMES)}, hide=_page_hidden(ctx.data.cases["appeals"], "authority_name", None, columns))


def type_counts(ctx: Context):
    """The all-selected OPCC cases received by type (appeals, statutory PCC reviews) with their total,
    protected together so that neither type can be worked out from the total."""
    types = ctx.data.cases.get("appeal_types")
    by_type = (types.set_index("review_type")["cases"] if types is not None and not types.empty
               else pd.Series(dtype=float))
    row = pd.Series({t: float(by_type.get(t, 0)) for t in REVIEW_TYPES})
    row["appeals"] = row.sum()
    return protect(pd.DataFrame([row], index=[TOTAL]), [*REVIEW_TYPES, "appeals"], ctx.k,
                   column_totals={"appeals": list(REVIEW_TYPES)},
                   hide=_page_hidden(types, "review_type", REVIEW_TYPES, ()))


def slide_appeals(deck, ctx: Context) -> None:
    summary = ctx.data.cases["appeals"].set_index("authority_name")
    row = summary.loc[TOTAL] if TOTAL in summary.index else pd.Series(dtype=float)
    table = appeal_counts(ctx)
    values = table.values.loc[TOTAL]
    rate = share_or_none(values["upheld"] + values["partially_upheld"], values["decided"], ctx.k,
                         whole_is_shown=True)
    if any(table.is_hidden(TOTAL, c) for c in ("upheld", "partially_upheld", "decided")):
        rate = None  # a rate from a hidden cell would give it back (decided = not upheld / (1 - rate))
    appeals = table.text(TOTAL, "appeals")
    title = (f"Fewer than {ctx.k} appeals" if appeals.startswith("<") else f"{appeals} appeals") + \
        f" to the OPCC in the 12 months to {ctx.data.month.name}"
    if rate is not None:
        title += f"; {rate:.0%} of those decided upheld in full or part"
    slide = ctx.slide(deck, title, f"Appeals received in {_twelve_months(ctx)}, by outcome (all selected "
                      "authorities)", notes=APPEALS_NOTE)
    shown = table.shown()
    drawn = [o for o in APPEAL_OUTCOME_LABELS if shown.at[TOTAL, o] is not None and shown.at[TOTAL, o] > 0]
    if len(drawn) >= 2:
        rs.bar_chart(slide, rs.box(0.5, 1.75, 7.6, 4.6), list(APPEAL_OUTCOME_LABELS.values()),
                     {"Appeals": [shown.at[TOTAL, o] for o in APPEAL_OUTCOME_LABELS]}, [OKABE_ITO[2]], font_pt=14)
        hidden = [f"{label.lower()} {table.text(TOTAL, o)}" for o, label in APPEAL_OUTCOME_LABELS.items()
                  if table.is_hidden(TOTAL, o)]
        if hidden:
            rs.text(slide, rs.box(0.5, 6.35, 7.6, 0.5), ["Not drawn (hidden counts): " + "; ".join(hidden) + "."],
                    rs.SMALL_PT + 1, rs.INK, name="Hidden counts")
    else:  # too few to draw: the outcomes as a table
        rs.table(slide, rs.box(0.5, 1.9, 7.0, 3.0), ["Outcome", "appeals"],
                 [[label, table.text(TOTAL, o)] for o, label in APPEAL_OUTCOME_LABELS.items()], [4.5, 2.5], font_pt=16)
    total = summary.loc[[TOTAL]] if TOTAL in summary.index else summary.iloc[:0]
    page = {c: bool(page_hides(total, c).any()) for c in ("median_decision_working_days", "overdue")}
    median = (row.get("median_decision_working_days") if values["decided"] >= ctx.k
              and not table.is_hidden(TOTAL, "decided") and not page["median_decision_working_days"] else None)
    lines = [[glossary.name("appeals"), appeals], [glossary.name("appeals_decided"), table.text(TOTAL, "decided")],
             [glossary.name("upheld_rate"), "–" if rate is None else f"{rate:.0%}"],
             [glossary.name("appeal_median_days"), w.days(median)],
             [glossary.name("appeals_overdue"), ctx.person_count(row.get("overdue", 0), page["overdue"])],
             [glossary.name("pcc_reviews"), type_counts(ctx).text(TOTAL, "pcc_review")]]
    rs.table(slide, rs.box(8.4, 1.9, 4.43, 3.4), [TOTAL, ""], lines, [3.13, 1.3], font_pt=15)
    rs.text(slide, rs.box(8.4, 5.5, 4.43, 1.0), [
        w.marks_key(ctx.k, "appeals", table.withheld_note())],
        rs.SMALL_PT, rs.MUTED)


APPEALS_NOTE = ("Appeals to the OPCC received in the period (mart_appeals), statutory PCC reviews (Crime and "
                "Policing Act 2026) included: the PCC reviews line says how many of them were such reviews. "
                "The upheld rate (upheld in full "
                "or part) is of the appeals decided (withdrawn and pending ones are not decisions). Pending past the limit is "
                "a state on the month's last day: every appeal then waiting for a decision for longer than its "
                "limit, whenever it was received. Counts of appeals "
                "are counts of people and are protected: a hidden outcome cannot be worked out from the "
                "total.")

WITHOUT_RECOMMENDATIONS = "reviews_without_recommendations"  # held less recommendations: never printed
FIGURE_HEADS = {"applications_received": "applications", "threshold_not_met": "not met",
                "reviews_carried_out": "reviews held", "reviews_with_recommendations": "recommendations"}


def statutory_table(ctx: Context):
    """The statutory slide's four figures per authority and all selected, protected (the slide prints
    them; the turnaround slide checks its own counts against them)."""
    returns = ctx.data.cases["statutory"].set_index("authority_name").sort_index()
    columns = list(FIGURE_HEADS)
    frame = returns[columns].astype(float)
    # reviews with recommendations are some of the reviews held: the rest, never printed, is a
    # count a reader subtracts (the red-team audit of 6 December 2026), under the rule too
    frame[WITHOUT_RECOMMENDATIONS] = frame["reviews_carried_out"] - frame["reviews_with_recommendations"]
    frame.loc[TOTAL] = frame.sum()
    return protect(frame, [*columns, WITHOUT_RECOMMENDATIONS], ctx.k, total_row=TOTAL, column_totals={
        "reviews_carried_out": ("reviews_with_recommendations", WITHOUT_RECOMMENDATIONS)},
        known_rows=[r for r in frame.index if r != TOTAL])   # each authority's own manager knows its row


def slide_statutory(deck, ctx: Context) -> None:
    cases = ctx.data.cases
    returns = cases["statutory"].set_index("authority_name").sort_index()
    columns = list(FIGURE_HEADS)
    table = statutory_table(ctx)
    frame = table.values
    apps, held = table.text(TOTAL, "applications_received"), table.text(TOTAL, "reviews_carried_out")
    fy = cases["financial_year"]
    # no title opens on a mark ("* case review applications"): the red-team audit of 6 December 2026
    title = (f"{apps} case review applications so far in {fy}" if table.is_shown(TOTAL, "applications_received")
             else f"Fewer than {ctx.k} case review applications so far in {fy}" if apps.startswith("<")
             else f"The case review applications so far in {fy}: their number is not shown")
    if table.is_shown(TOTAL, "reviews_carried_out"):
        title += f", {held} reviews held"
    slide = ctx.slide(deck, title,
                      f"The four figures published each year (s.104), {fy} to {ctx.data.month.end:%-d %b %Y}",
                      notes=STATUTORY_NOTE)
    rows = [[name, *[table.text(name, c) for c in columns],
             "" if name == TOTAL else ("yes" if returns.at[name, "is_consistent"] else "no")]
            for name in frame.index]
    emphasis = {(i, 5): rs.RISE for i, r in enumerate(rows) if r[5] == "no"}
    rs.table(slide, rs.box(0.5, 1.85, 12.33, 4.4), ["Authority", *FIGURE_HEADS.values(), "agree"],
             rows, [3.0, 1.9, 2.2, 1.8, 2.4, 1.03], font_pt=14, emphasis=emphasis, row_height=0.38)
    rs.text(slide, rs.box(0.5, 6.4, 12.33, 0.45), [
        "Not met: threshold not met. Recommendations: reviews that made recommendations. "
        + w.marks_key(ctx.k, "", table.withheld_note()) + " Agree: the figures are consistent."],
        rs.SMALL_PT, rs.MUTED)


STATUTORY_NOTE = ("mart_statutory_returns as of the month's last day: applications by received date, "
                  "threshold not met by decision date, reviews and reviews with recommendations by review "
                  "date, in the financial year (April-March) to date. 'Figures agree' is the mart's "
                  "consistency check. The published annual return itself is exempt from suppression; this "
                  "pack, circulated more widely during the year, is not.")

SLIDES = (slide_turnaround, slide_appeals, slide_statutory)
