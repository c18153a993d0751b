"""Named, read-only queries behind the "Partnership" page: the nine authorities side by side and the
statutory returns with their consistency checks.

The partnership table computes eight measures per authority over the period, over all nine
authorities, so the county median does not move with the sidebar's choice; each cell is then
coloured by one rule, which travels with it as text for the tooltip: days to decision against the
limit each of the period's decisions was held to (the rule in force the day its application was
received: where that changed within the period, the median of each decision's days less its own
limit), every other measure against the county
median (better or worse where higher is clearly good or bad, otherwise only above or below).
Statutory figures come from mart_statutory_returns (live for another as-of date), with the
figures frozen as published beside them where a year was frozen (`asb returns freeze`).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from insight.queries.measures import Measure
from insight.queries.run import run, source

FIGURES = (  # the four published figures (s.104), in the published order
    ("applications_received", "Applications for an ASB case review received"),
    ("threshold_not_met", "Times the threshold for a review was not met"),
    ("reviews_carried_out", "ASB case reviews carried out"),
    ("reviews_with_recommendations", "ASB case reviews that resulted in recommendations"),
)


MEASURES = (  # names and definitions: insight/glossary.py (the same terms as the other pages')
    Measure("applications", 0),
    Measure("share_met", 0, True),
    Measure("median_decision_days", -1),
    Measure("share_decisions_in_time", 1, True, term="decisions_in_time"),
    Measure("reviews", 0),
    Measure("share_action_plans", 0, True),
    Measure("appeals", 0),
    Measure("share_upheld", -1, True, term="upheld_rate"),
)


_CASES = {  # measure -> the count of cases it rests on
    "applications": "applications", "share_met": "decisions", "median_decision_days": "decisions",
    "share_decisions_in_time": "decisions_timed", "reviews": "reviews", "share_action_plans": "reviews",
    "appeals": "appeals", "share_upheld": "appeals_decided",
}
_COUNTED = {  # share -> the count of cases on its counted side (the part; a count or median: all its cases)
    "share_met": "met", "share_decisions_in_time": "decisions_in_time", "share_action_plans": "action_plans",
    "share_upheld": "appeals_upheld",
}


def _wide(con, as_of: date, start: date, end: date) -> pd.DataFrame:
    turnaround = source(con, as_of, "mart_review_turnaround")
    appeals = source(con, as_of, "mart_appeals")
    return run(con, f"""
        with apps as (
            select authority_code,
                count(*) filter (where received_date between $start and $end) as applications,
                count(*) filter (where decision = 'met' and decision_date between $start and $end) as met,
                count(*) filter (where decision in ('met', 'not_met') and decision_date between $start and $end)
                    as decisions,
                median(decision_working_days) filter (where decision_date between $start and $end)
                    as median_decision_days,
                count(*) filter (where decision_within_sla and decision_date between $start and $end)
                    as decisions_in_time,
                count(decision_within_sla) filter (where decision_date between $start and $end) as decisions_timed,
                -- the limits the period's decisions were held to (the rule on each one's day of receipt)
                min(sla_decision_days) filter (where decision_working_days is not null
                                               and decision_date between $start and $end) as decided_limit,
                max(sla_decision_days) filter (where decision_working_days is not null
                                               and decision_date between $start and $end) as decided_limit_high,
                median(decision_working_days - sla_decision_days) filter (where decision_date between $start and $end)
                    as median_decision_margin,
                string_agg(distinct rule_id, ', ' order by rule_id) filter (
                    where decision_working_days is not null and sla_decision_days is not null
                      and decision_date between $start and $end) as decided_rules,
                count(*) filter (where review_date between $start and $end) as reviews,
                count(*) filter (where review_date between $start and $end and outcome = 'recommendations')
                    as action_plans
            from {turnaround} group by all
        ),
        appealed as (
            select authority_code, count(*) as appeals, count(*) filter (where is_decided) as decided,
                   count(*) filter (where is_decided and is_upheld) as upheld
            from {appeals} where received_date between $start and $end group by all
        ),
        limits as (
            select authority_code, rule_id, sla_decision_days from settings_rules
            where $end::date >= effective_from and $end::date < effective_to
        ),
        final as (
            select a.authority_code, a.authority_name,
                -- no decision held to a limit in the period: the limit in force on its last day
                coalesce(p.decided_rules, l.rule_id) as rule_id,
                coalesce(p.decided_limit, l.sla_decision_days) as sla_decision_days,
                p.decided_limit_high, p.median_decision_margin,
                coalesce(p.applications, 0) as applications, p.met / nullif(p.decisions, 0) as share_met,
                p.median_decision_days, p.decisions_in_time / nullif(p.decisions_timed, 0) as share_decisions_in_time,
                coalesce(p.reviews, 0) as reviews, p.action_plans / nullif(p.reviews, 0) as share_action_plans,
                coalesce(q.appeals, 0) as appeals, q.upheld / nullif(q.decided, 0) as share_upheld,
                coalesce(p.decisions, 0) as decisions, coalesce(p.decisions_timed, 0) as decisions_timed,
                coalesce(q.decided, 0) as appeals_decided, coalesce(p.met, 0) as met,
                coalesce(p.decisions_in_time, 0) as decisions_in_time, coalesce(p.action_plans, 0) as action_plans,
                coalesce(q.upheld, 0) as appeals_upheld
            from authorities as a
            left join apps as p using (authority_code)
            left join appealed as q using (authority_code)
            left join limits as l using (authority_code)
        )
        select * from final order by authority_name
    """, {"as_of": as_of, "start": start, "end": end})


def _show(m: Measure, value) -> str:
    if pd.isna(value):
        return "–"
    if m.is_share:
        return f"{value:.0%}"
    return f"{value:,.1f}".removesuffix(".0") if isinstance(value, float) else f"{int(value):,}"


def judge(m: Measure, value, median, limit=None, rule_id=None, limit_high=None, margin=None) -> tuple[str, str]:
    """The colour class of one cell and the rule that gave it, in words. Days to decision: against
    `limit`, the one the period's decisions were held to; where they were held to several (from
    `limit` to `limit_high`), `margin`, the median of each decision's days less its own limit."""
    shown = _show(m, value)
    if pd.isna(value):
        return "none", f"{m.label}: no data in the period. {m.definition}"
    if (m.column == "median_decision_days" and limit is not None and not pd.isna(limit)
            and limit_high is not None and not pd.isna(limit_high) and limit_high != limit
            and margin is not None and not pd.isna(margin)):
        over = margin > 0
        return ("over" if over else "within",
                f"{m.label} {shown}: the limits changed in the period ({int(limit)} to {int(limit_high)} working "
                f"days, each decision held to the rule in force when its application was received: {rule_id}); "
                f"the median decision was {_show(m, abs(float(margin)))} working days "
                f"{'over' if over else 'within'} its own limit")
    if m.column == "median_decision_days" and limit is not None and not pd.isna(limit):
        over = value > limit
        return ("over" if over else "within",
                f"{m.label} {shown} is {'over' if over else 'within'} the limit of {int(limit)} working days "
                f"(rule {rule_id})")
    if pd.isna(median) or value == median:
        return "median", f"{m.label} {shown} is at the county median"
    higher = value > median
    relation = f"{'above' if higher else 'below'} the county median {_show(m, median)}"
    if m.direction == 0:
        return ("above" if higher else "below"), f"{m.label} {shown} is {relation} (neither good nor bad)"
    good = higher == (m.direction > 0)
    return ("better" if good else "worse"), f"{m.label} {shown} is {relation}: {'better' if good else 'worse'}"


def _fewest(cases, counted) -> float:
    """The fewest cases on any side of a figure: all its cases, and for a share those it counts and
    those it does not (a side of 0 aside). Below k exactly where the disclosure rule hides the
    figure (`at_least_k` on the cases, `shares` on the two sides: disclosure.share_or_none)."""
    sides = [cases] + [n for n in (counted, cases - counted) if n > 0]
    return float(min(sides))


def median_cases(values: pd.Series, fewest: pd.Series) -> float:
    """The fewest cases (`_fewest`) the median of `values` rests on: the median is one authority's
    figure (the middle one of an odd number) or the mean of two (an even number), so a reader who
    sees the others' figures and the median works that one out. Of the authorities sharing a middle
    value the best-founded counts (the value is shown for it anyway); the two middle values of an
    even number must each be well founded. NaN when there is no median."""
    known = values.notna()
    ordered = values[known].sort_values(kind="stable")
    n = len(ordered)
    if n == 0:
        return float("nan")
    middle = {ordered.iloc[(n - 1) // 2], ordered.iloc[n // 2]}
    return min(fewest[known & (values == v)].max() for v in middle)


def partnership(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """One row per selected authority and measure: value, display text, colour class, the rule
    that coloured it (medians over all nine authorities) and `cases`, how many applications,
    decisions, reviews or appeals the value rests on, and `counted_cases`, those of them a share
    counts (met, in time, with action plans, upheld; all of them for a count or median): the
    disclosure rule reads both. `median_cases`: the fewest cases on any side of the authorities'
    figures the county median is made of (`median_cases`, `_fewest`): the median, and the colours
    and rules that compare a cell with it, give those figures away, so the disclosure rule hides
    them from every viewer without person-level rights over all nine when that is below k."""
    wide = _wide(con, as_of, start, end)
    rows = []
    for m in MEASURES:
        median = wide[m.column].median(skipna=True)
        cases, counted = wide[_CASES[m.column]], wide[_COUNTED.get(m.column, _CASES[m.column])]
        founded = median_cases(wide[m.column], pd.Series(map(_fewest, cases, counted), index=wide.index))
        for r in wide.itertuples():
            if r.authority_code not in codes:
                continue
            value = getattr(r, m.column)
            colour, rule = judge(m, value, median, r.sla_decision_days, r.rule_id, r.decided_limit_high,
                                 r.median_decision_margin)
            rows.append({"authority_code": r.authority_code, "authority_name": r.authority_name,
                         "measure": m.column, "label": m.label, "value": value, "display": _show(m, value),
                         "county_median": median, "colour": colour, "rule": rule,
                         "cases": getattr(r, _CASES[m.column]),
                         "counted_cases": getattr(r, _COUNTED.get(m.column, _CASES[m.column])),
                         "median_cases": founded})
    return pd.DataFrame(rows, columns=["authority_code", "authority_name", "measure", "label", "value",
                                       "display", "county_median", "colour", "rule", "cases", "counted_cases",
                                       "median_cases"])


# Counts the Overview's table per authority gives too, with their total (its "All selected" tile)
SHARED_WITH_OVERVIEW = ("applications", "appeals")
HIDDEN_AS_ON_THE_OVERVIEW = "not shown: the Overview hides it beside its total (disclosure control)"


def hidden_as_on_the_overview(cells: pd.DataFrame, headline: pd.DataFrame) -> pd.DataFrame:
    """`cells` (`partnership` as the viewer is shown it) with each count of SHARED_WITH_OVERVIEW
    hidden where the Overview's `headline` (as the same viewer is shown it, for the same period and
    authorities) hides that authority's count. The Overview hides a second authority beside a count
    of 1 to k-1 so that its total cannot give it away; shown here, that cover and the total pinned
    the count (the roles audit of 7 December 2026: a board viewer read Derbyshire Dales' 2
    applications so)."""
    hidden = _overview_hides(headline, SHARED_WITH_OVERVIEW)
    mask = [(code, measure) in hidden for code, measure in zip(cells["authority_code"], cells["measure"], strict=True)]
    if not any(mask):
        return cells
    out = cells.copy()
    out.loc[mask, ["value", "display", "colour", "cases", "counted_cases"]] = None
    out.loc[mask, "rule"] = HIDDEN_AS_ON_THE_OVERVIEW
    return out


def _overview_hides(headline: pd.DataFrame, measures) -> set[tuple[str, str]]:
    """(authority code, measure) of every authority's count the Overview's `headline` hides."""
    return {(code, measure) for measure in measures
            for code, value in zip(headline["authority_code"], headline[measure], strict=True)
            if pd.notna(code) and pd.isna(value)}


# a statutory return's counts of the year so far that the Overview gives for the same period
RETURNS_SHARED_WITH_OVERVIEW = {"applications_received": "applications", "threshold_met": "threshold_met"}


def year_so_far(returns: pd.DataFrame, as_of: date) -> date | None:
    """The start of the financial year not over on `as_of` among `returns` (`statutory_returns`)."""
    running = returns[~returns["is_complete_year"].astype(bool)
                      & (pd.to_datetime(returns["year_start_date"]).dt.date <= as_of)]
    return None if running.empty else pd.Timestamp(running["year_start_date"].max()).date()


def returns_hidden_as_on_the_overview(returns: pd.DataFrame, headline: pd.DataFrame, year_start: date) -> pd.DataFrame:
    """`returns` (`statutory_returns` as the viewer is shown it) with the counts of the year that
    started on `year_start` and is not over (RETURNS_SHARED_WITH_OVERVIEW) hidden where the Overview's
    `headline` for that year so far (as the same viewer is shown it, for the same authorities) hides
    that authority's count. A year not over is under the disclosure rule, which hid only its 1 to
    k-1: the Overview's cover was shown here, and its total less the others told the count (the
    roles audit of 7 December 2026: a board viewer read Derbyshire Dales' 3 applications by 28
    February 2026 so). A year that is over is the published return, shown as it is."""
    hidden = _overview_hides(headline, RETURNS_SHARED_WITH_OVERVIEW.values())
    year = pd.to_datetime(returns["year_start_date"]).dt.date == year_start
    out = returns
    for column, measure in RETURNS_SHARED_WITH_OVERVIEW.items():
        mask = year & returns["authority_code"].map(lambda code, m=measure: (code, m) in hidden)
        if mask.any() and column in out:
            out = out.copy() if out is returns else out
            out.loc[mask, column] = None
    return out


def statutory_returns(con, as_of: date, codes: tuple[str, ...]) -> pd.DataFrame:
    """mart_statutory_returns for the selected authorities, newest year first, with names."""
    returns = source(con, as_of, "mart_statutory_returns")
    return run(con, f"""
        with final as (
            select a.authority_name, r.* from {returns} as r join authorities as a using (authority_code)
            where r.authority_code = any($codes)
        )
        select * from final order by authority_name, financial_year desc
    """, {"as_of": as_of, "codes": list(codes)})


def published_table(returns: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One authority's rows of `statutory_returns` (as the viewer is shown them: a year not over is
    under the disclosure rule, its hidden figures "–") in the published shape: four rows (the
    figures), a column per year. A year frozen as published (mart_statutory_returns.is_frozen)
    shows its published figures; a figure that has changed since reads "published 12, now 13"
    (that year's column is then text). A year not over on the as-of date is headed with it,
    "2026/27 (to 2026-10-31)", as `asb export return` heads it: its figures are the year so far.
    Made from the rows the page shows, so the download holds no figure the table hides (the pages
    audit of 6 December 2026: a board viewer's download held the year so far's 1 to 4s)."""
    returns = returns.sort_values("financial_year")
    table = pd.DataFrame({"figure": [label for _, label in FIGURES]})
    for row in returns.itertuples():
        year = row.financial_year if row.is_complete_year else f"{row.financial_year} (to {as_of.isoformat()})"
        current = [int(v) if pd.notna(v) else "–" for v in (getattr(row, column) for column, _ in FIGURES)]
        if not row.is_frozen:
            table[year] = current if all(isinstance(v, int) for v in current) else [str(v) for v in current]
            continue
        published = [int(getattr(row, f"published_{column}")) for column, _ in FIGURES]
        table[year] = published if not row.is_restated else [
            str(p) if p == c else f"published {p}, now {c}" for p, c in zip(published, current, strict=True)]
    # the rows' audit tag (another authority's figures: the download is logged as an export, as
    # every such download is; the new frame had none, so the return's download went unlogged)
    table.attrs.update(returns.attrs)
    return table


def statutory_exceptions(con, as_of: date, person_codes: tuple[str, ...]) -> pd.DataFrame:
    """The applications behind failed checks (contradictions first) and notes, newest year first."""
    exceptions = source(con, as_of, "mart_statutory_exceptions")
    return run(con, f"""
        with final as (
            select e.financial_year, a.authority_name, e.authority_code, e.application_ref, e.severity,
                   e.check_code, e.reason
            from {exceptions} as e join authorities as a using (authority_code)
            where e.authority_code = any($person_codes)
        )
        select * from final
        order by severity, financial_year desc, authority_name, application_ref, check_code
    """, {"as_of": as_of, "person_codes": list(person_codes)})
