"""Named, read-only queries behind the "Review turnaround" page (and shared by the case review pages).

Each function runs one SQL statement over the case review marts (etl/marts/reviews.py). At the build's
as-of date the stored marts are read; for any other as-of date the marts' own SQL runs inline for
that date (`run.source`), so open cases are aged to the day asked for. A stage counts in the period
in which it finished (its end date); open cases and the at-risk list are as of the as-of date;
the funnel follows the applications received in the period. Functions returning one row per
application take `person_codes` (from `ui.person_level_codes`); the others take every selected
authority. No person_key is ever returned.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from etl.marts import reviews
from insight.queries.run import LIST_LIMIT, run, source

AGE_BANDS = ((0, 5, "0–5"), (6, 10, "6–10"), (11, 20, "11–20"), (21, 40, "21–40"), (41, None, "41+"))


def stage_rows_sql(turnaround: str) -> str:
    """One row per application and finished stage: stage, end_date, working_days, within_sla, sla_days."""
    parts = [f"""select application_ref, authority_code, '{s.name}' as stage, {s.end_column} as end_date,
            {s.name}_working_days as working_days,
            {f'{s.name}_within_sla' if s.sla_column else 'null::boolean'} as within_sla,
            {s.sla_column or 'null::integer'} as sla_days
        from {turnaround} where {s.name}_working_days is not null""" for s in reviews.STAGES]
    return "\n        union all\n        ".join(parts)


def _stage_order() -> str:
    whens = " ".join(f"when '{s.name}' then {i}" for i, s in enumerate(reviews.STAGES))
    return f"case stage {whens} end"


def box_stats_sql(value: str, limit: str) -> str:
    """Select-list of a box plot's statistics over `value` (cases, min, quartiles, max) and the
    lowest and highest `limit` in force: the pages get these, never one row per case."""
    return (f"count(*) as cases, min({value}) as min_days, quantile_cont({value}, 0.25) as q1_days, "
            f"median({value}) as median_days, quantile_cont({value}, 0.75) as q3_days, "
            f"max({value}) as max_days, min({limit}) as limit_min, max({limit}) as limit_max")


def stage_durations(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per authority and stage, the spread of working days of the stages finished in the period
    (box statistics computed here, so no per-case row leaves the server)."""
    turnaround = source(con, as_of, "mart_review_turnaround")
    return run(con, f"""
        with stages as ({stage_rows_sql(turnaround)}),
        final as (
            select a.authority_name, s.authority_code, s.stage, {box_stats_sql("s.working_days", "s.sla_days")}
            from stages as s join authorities as a using (authority_code)
            where s.authority_code = any($codes) and s.end_date between $start and $end
            group by all
        )
        select * from final order by {_stage_order()}, authority_name
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def stage_summary(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per authority and stage, and for all selected (authority_code null): stages finished in the
    period, median and 90th percentile working days, how many within the limit, the share, and
    the limits in force (several when a rule changed)."""
    turnaround = source(con, as_of, "mart_review_turnaround")
    return run(con, f"""
        with stages as ({stage_rows_sql(turnaround)}),
        chosen as (
            select * from stages
            where authority_code = any($codes) and end_date between $start and $end
        ),
        grouped as (
            select authority_code, stage, count(*) as finished,
                   median(working_days) as median_working_days,
                   quantile_cont(working_days, 0.9) as p90_working_days,
                   count(*) filter (where within_sla) as within_sla,
                   count(*) filter (where within_sla) / nullif(count(within_sla), 0) as share_within_sla,
                   string_agg(distinct sla_days::varchar, ', ' order by sla_days::varchar) as limits_in_force
            from chosen
            group by grouping sets ((authority_code, stage), (stage))
        ),
        final as (
            select g.*, coalesce(a.authority_name, 'All selected') as authority_name
            from grouped as g left join authorities as a using (authority_code)
        )
        select * from final order by authority_code is null, authority_name, {_stage_order()}
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def monthly_compliance(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per month and stage, over the selected authorities: stages finished, within and over the
    limit (null where the stage has none), the share within and the median working days, with the
    first and last day of the month the period holds (`first_day`, `last_day`: the disclosure rule
    hides a month the period cuts to fewer than 28 days from a viewer without person-level rights)."""
    turnaround = source(con, as_of, "mart_review_turnaround")
    return run(con, f"""
        with stages as ({stage_rows_sql(turnaround)}),
        final as (
            select date_trunc('month', end_date)::date as month, stage, count(*) as finished,
                   case when count(within_sla) > 0 then count(*) filter (where within_sla) end as within_sla,
                   case when count(within_sla) > 0 then count(*) filter (where not within_sla) end as over_sla,
                   count(*) filter (where within_sla) / nullif(count(within_sla), 0) as share_within_sla,
                   median(working_days) as median_working_days,
                   greatest(month, $start::date) as first_day, least(last_day(month), $end::date) as last_day
            from stages
            where authority_code = any($codes) and end_date between $start and $end
            group by month, stage
        )
        select * from final order by month, {_stage_order()}
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def backlog(con, as_of: date, codes: tuple[str, ...]) -> pd.DataFrame:
    """Open cases on the as-of date by authority, the stage they wait for and how long they have
    been open (working-day bands, `age_band`, ordered by `age_order`)."""
    turnaround = source(con, as_of, "mart_review_turnaround")
    bands = " ".join(f"when open_working_days >= {lo}{f' and open_working_days <= {hi}' if hi else ''} "
                     f"then {i}" for i, (lo, hi, _) in enumerate(AGE_BANDS))
    labels = " ".join(f"when {i} then '{label}'" for i, (_, _, label) in enumerate(AGE_BANDS))
    return run(con, f"""
        with open_cases as (
            select authority_code, open_stage, case {bands} end as age_order
            from {turnaround} where is_open and authority_code = any($codes)
        ),
        final as (
            select a.authority_name, o.authority_code, o.open_stage, o.age_order,
                   case o.age_order {labels} end as age_band, count(*) as open_cases
            from open_cases as o join authorities as a using (authority_code)
            group by all
        )
        select * from final order by authority_name, age_order, open_stage
    """, {"as_of": as_of, "codes": list(codes)})


def at_risk(con, as_of: date, person_codes: tuple[str, ...], at_risk_days: int,
            limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Open stages overdue or due within `at_risk_days` working days on the as-of date, the least
    time left first: application, authority, stage, started, due date, working days elapsed and left."""
    stages = source(con, as_of, "mart_review_open_stages")
    labels = " ".join(f"when '{s.name}' then '{s.label}'" for s in reviews.STAGES)
    return run(con, f"""
        with final as (
            select s.application_ref, a.authority_name, s.authority_code, s.stage,
                   case s.stage {labels} end as stage_label, s.started_date, s.sla_days, s.due_date,
                   s.working_days_elapsed, s.working_days_left,
                   case when s.is_overdue then 'overdue' else 'due soon' end as status, s.rule_id
            from {stages} as s join authorities as a using (authority_code)
            where s.authority_code = any($person_codes)
              and (s.is_overdue or s.working_days_left <= $at_risk_days)
        )
        select * from final order by working_days_left, due_date, application_ref, stage
        limit $limit
    """, {"as_of": as_of, "person_codes": list(person_codes), "at_risk_days": at_risk_days, "limit": limit})


def open_summary(con, as_of: date, codes: tuple[str, ...], at_risk_days: int) -> pd.DataFrame:
    """One row: open cases, open action plans, stages overdue and at risk on the as-of date."""
    turnaround = source(con, as_of, "mart_review_turnaround")
    stages = source(con, as_of, "mart_review_open_stages")
    return run(con, f"""
        with cases as (
            select count(*) filter (where is_open) as open_cases,
                   count(*) filter (where is_action_plan_open) as open_action_plans
            from {turnaround} where authority_code = any($codes)
        ),
        running as (
            select count(*) filter (where is_overdue) as overdue_stages,
                   count(*) filter (where not is_overdue and working_days_left <= $at_risk_days)
                       as at_risk_stages
            from {stages} where authority_code = any($codes)
        ),
        final as (select * from cases, running)
        select * from final
    """, {"as_of": as_of, "codes": list(codes), "at_risk_days": at_risk_days})


def funnel(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Applications received in the period and how far they went by the as-of date: threshold met,
    reviewed, recommendations, appealed, an appeal upheld (fully or partly). One row per step."""
    turnaround = source(con, as_of, "mart_review_turnaround")
    appeals = source(con, as_of, "mart_appeals")
    return run(con, f"""
        with cohort as (
            select * from {turnaround}
            where authority_code = any($codes) and received_date between $start and $end
        ),
        appealed as (
            select application_ref, bool_or(is_upheld) as is_upheld from {appeals} group by all
        ),
        counted as (
            select count(*) as applications,
                   count(*) filter (where c.decision = 'met') as threshold_met,
                   count(*) filter (where c.review_date is not null) as reviews,
                   count(*) filter (where c.review_date is not null and c.outcome = 'recommendations')
                       as recommendations,
                   count(p.application_ref) as appealed,
                   count(*) filter (where p.is_upheld) as appeals_upheld
            from cohort as c left join appealed as p using (application_ref)
        ),
        final as (
            unpivot counted on applications, threshold_met, reviews, recommendations, appealed, appeals_upheld
            into name step value applications
        )
        select * from final
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def data_errors(con, as_of: date, person_codes: tuple[str, ...]) -> pd.DataFrame:
    """Applications whose stage dates are out of order or skip a stage, with the reasons."""
    turnaround = source(con, as_of, "mart_review_turnaround")
    return run(con, f"""
        with final as (
            select t.application_ref, a.authority_name, t.authority_code, t.received_date, t.decision, t.data_errors
            from {turnaround} as t join authorities as a using (authority_code)
            where t.has_data_error and t.authority_code = any($person_codes)
        )
        select * from final order by received_date, application_ref
    """, {"as_of": as_of, "person_codes": list(person_codes)})
