"""Named, read-only queries behind the "Appeals" page: OPCC appeals by authority, grounds and outcome,
time to decision against the limit, the upheld rate and the applications appealed against.

Every figure follows the appeals received in the period (pending ones as of the as-of date). The
upheld rate is upheld or partially upheld, of the appeals decided (withdrawn and pending are not
decisions). An appeal belongs to its application's authority (mart_appeals.authority_code), whatever
authority the appeal itself names. Reads mart_appeals at the build's as-of date, its SQL live for
any other date. The appeal list and the flagged appeals are application-level, so they take
`person_codes` (from `ui.person_level_codes`).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from etl.schema import APPEAL_OUTCOMES
from insight.queries.run import LIST_LIMIT, run, source
from insight.queries.turnaround import box_stats_sql


def _appeals(con, as_of: date) -> str:
    return source(con, as_of, "mart_appeals")


def summary(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per authority and for all selected (authority_code null): appeals received in the period,
    each outcome, the upheld rate, median working days to decision, the share decided within the
    limit (shares rounded to 0.1%), pending ones past it, the flagged ones and the limits in force."""
    counts = ", ".join(f"count(*) filter (where outcome = '{o}') as {o}" for o in APPEAL_OUTCOMES)
    return run(con, f"""
        with chosen as (
            select * from {_appeals(con, as_of)}
            where authority_code = any($codes) and received_date between $start and $end
        ),
        grouped as (
            select authority_code, count(*) as appeals, {counts},
                   count(*) filter (where is_decided) as decided,
                   round(count(*) filter (where is_decided and is_upheld)
                         / nullif(count(*) filter (where is_decided), 0), 3) as upheld_rate,
                   median(decision_working_days) as median_decision_working_days,
                   round(count(*) filter (where decision_within_sla) / nullif(count(decision_within_sla), 0), 3)
                       as share_within_sla,
                   count(*) filter (where is_overdue) as overdue,
                   count(*) filter (where is_flagged) as flagged,
                   string_agg(distinct sla_appeal_decision_days::varchar, ', ') as limits_in_force
            from chosen
            group by grouping sets ((authority_code), ())
        ),
        final as (
            select coalesce(a.authority_name, 'All selected') as authority_name, g.*
            from grouped as g left join authorities as a using (authority_code)
        )
        select * from final order by authority_code is null, authority_name
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def grounds_outcomes(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Appeals received in the period by grounds and outcome."""
    return run(con, f"""
        with final as (
            select grounds, outcome, count(*) as appeals
            from {_appeals(con, as_of)}
            where authority_code = any($codes) and received_date between $start and $end
            group by all
        )
        select * from final order by grounds, outcome
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def decision_times(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per authority, the spread of working days to decision of the appeals received in the period
    and decided (box statistics computed here, so no per-appeal row leaves the server)."""
    stats = box_stats_sql("p.decision_working_days", "p.sla_appeal_decision_days")
    return run(con, f"""
        with final as (
            select a.authority_name, p.authority_code, {stats}
            from {_appeals(con, as_of)} as p join authorities as a using (authority_code)
            where p.authority_code = any($codes) and p.received_date between $start and $end
              and p.decision_working_days is not null
            group by all
        )
        select * from final order by authority_name
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def by_original_decision(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Appeals received in the period by the application's decision and route: decided, upheld, rate."""
    return run(con, f"""
        with final as (
            select application_decision, coalesce(application_route, 'not recorded') as application_route,
                   count(*) as appeals, count(*) filter (where is_decided) as decided,
                   count(*) filter (where is_decided and is_upheld) as upheld,
                   round(count(*) filter (where is_decided and is_upheld)
                         / nullif(count(*) filter (where is_decided), 0), 3) as upheld_rate
            from {_appeals(con, as_of)}
            where authority_code = any($codes) and received_date between $start and $end
            group by all
        )
        select * from final order by application_decision, application_route
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def appeal_list(con, as_of: date, person_codes: tuple[str, ...], start: date, end: date,
                limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Appeals received in the period, newest first, each with the application appealed against:
    its route, decision, outcome and turnaround (working days and whether within the limits), and
    any flag with its reason."""
    return run(con, f"""
        with final as (
            select p.appeal_ref, p.application_ref, a.authority_name, p.authority_code, p.received_date,
                   p.appellant, p.grounds, p.outcome, p.decision_date, p.decision_working_days,
                   p.sla_appeal_decision_days, p.decision_within_sla, p.open_working_days, p.due_date,
                   p.is_overdue, p.lodged_working_days, p.is_within_appeal_window, p.application_route,
                   p.application_decision, p.application_outcome, p.application_decision_working_days,
                   p.application_decision_within_sla, p.application_total_working_days,
                   p.application_total_within_sla, p.data_errors, p.flags, p.appeal_authority_code, p.rule_id,
                   p.window_rule_id
            from {_appeals(con, as_of)} as p join authorities as a using (authority_code)
            where p.authority_code = any($person_codes) and p.received_date between $start and $end
        )
        select * from final order by received_date desc, appeal_ref
        limit $limit
    """, {"as_of": as_of, "person_codes": list(person_codes), "start": start, "end": end, "limit": limit})


def flagged_appeals(con, as_of: date, person_codes: tuple[str, ...], start: date, end: date,
                    limit: int = LIST_LIMIT) -> pd.DataFrame:
    """The appeals received in the period that are flagged, newest first, with the reasons: the
    appeal names another authority than its application's, or appeals a met threshold decision on
    threshold_decision grounds."""
    return run(con, f"""
        with final as (
            select p.appeal_ref, p.application_ref, a.authority_name, p.authority_code, p.appeal_authority_code,
                   p.received_date, p.grounds, p.outcome, p.application_decision, p.flags
            from {_appeals(con, as_of)} as p join authorities as a using (authority_code)
            where p.is_flagged and p.authority_code = any($person_codes)
              and p.received_date between $start and $end
        )
        select * from final order by received_date desc, appeal_ref
        limit $limit
    """, {"as_of": as_of, "person_codes": list(person_codes), "start": start, "end": end, "limit": limit})
