"""Named, read-only queries behind the "Appeals" page: OPCC appeals by authority, grounds and outcome,
time to decision against the limit, the upheld rate and the applications appealed against.

Every figure follows the appeals received in the period, except the states on the as-of date:
pending now and pending past the limit (`pending_now`, `overdue`, `needs_action`) count every appeal
pending that day, whatever the date it was received, since they are work owed today. The
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

DUE_WITHIN_WORKING_DAYS = 10  # an appeal due this soon is listed with the overdue ones (Needs action)


def _appeals(con, as_of: date) -> str:
    return source(con, as_of, "mart_appeals")


def summary(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per authority and for all selected (authority_code null): appeals received in the period,
    each outcome (`pending`: of those received in the period, still pending), the upheld rate,
    median working days to decision, the share decided within the limit (shares rounded to 0.1%),
    the flagged ones and the limits in force; and two states on the as-of date, whatever the date
    received: `pending_now` and `overdue` (pending past the limit). `within_sla` of `with_sla` (the
    decided ones whose limit is known) make the share: the disclosure rule reads both."""
    counts = ", ".join(f"count(*) filter (where in_period and outcome = '{o}') as {o}" for o in APPEAL_OUTCOMES)
    return run(con, f"""
        with chosen as (  -- received in the period, or pending on the as-of date
            select *, received_date between $start and $end as in_period
            from {_appeals(con, as_of)}
            where authority_code = any($codes) and (received_date between $start and $end or is_open)
        ),
        grouped as (
            select authority_code, count(*) filter (where in_period) as appeals, {counts},
                   count(*) filter (where in_period and is_decided) as decided,
                   round(count(*) filter (where in_period and is_decided and is_upheld)
                         / nullif(count(*) filter (where in_period and is_decided), 0), 3) as upheld_rate,
                   median(decision_working_days) filter (where in_period) as median_decision_working_days,
                   count(*) filter (where in_period and decision_within_sla) as within_sla,
                   count(decision_within_sla) filter (where in_period) as with_sla,
                   round(within_sla / nullif(with_sla, 0), 3) as share_within_sla,
                   count(*) filter (where in_period and is_flagged) as flagged,
                   string_agg(distinct sla_appeal_decision_days::varchar, ', ') filter (where in_period)
                       as limits_in_force,
                   count(*) filter (where is_open) as pending_now,
                   count(*) filter (where is_overdue) as overdue
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
            select p.appeal_ref, p.review_type, p.application_ref, a.authority_name, p.authority_code,
                   p.received_date, p.appellant, p.grounds, p.decision_reviewed, p.outcome, p.decision_date,
                   p.decision_working_days, p.referral_result,
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


def needs_action(con, as_of: date, person_codes: tuple[str, ...],
                 due_within_days: int = DUE_WITHIN_WORKING_DAYS, limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Appeals pending on the as-of date that are past their decision limit or due within
    `due_within_days` working days, whatever the date received, the least time left first: the
    appeal, its application, authority, received and due dates, working days pending and left."""
    return run(con, f"""
        with final as (
            select p.appeal_ref, p.review_type, p.application_ref, a.authority_name, p.authority_code,
                   p.received_date, p.grounds, p.due_date, p.open_working_days, p.sla_appeal_decision_days,
                   p.sla_appeal_decision_days - p.open_working_days as working_days_left,
                   case when p.is_overdue then 'past the limit' else 'due soon' end as status,
                   p.application_decision, p.flags
            from {_appeals(con, as_of)} as p join authorities as a using (authority_code)
            where p.is_open and p.authority_code = any($person_codes)
              and (p.is_overdue or p.sla_appeal_decision_days - p.open_working_days <= $due_within_days)
        )
        select * from final order by working_days_left, received_date, appeal_ref
        limit $limit
    """, {"as_of": as_of, "person_codes": list(person_codes), "due_within_days": due_within_days,
          "limit": limit})


def by_review_type(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per type of OPCC case (an appeal under the local procedure, a statutory PCC review): cases
    received in the period, decided, upheld (or partly), withdrawn, still pending (of those received
    in the period: cases = decided + withdrawn + pending), median working days to decision
    and the share within the type's limit, referred back and what then happened (threshold met,
    action plan changed, no change, awaiting the bodies); and the two states on the as-of date,
    whatever the date received: pending now and pending past the limit. `within_sla` of `with_sla`
    make the share, as in `summary`."""
    return run(con, f"""
        with chosen as (
            select *, received_date between $start and $end as in_period
            from {_appeals(con, as_of)}
            where authority_code = any($codes) and (received_date between $start and $end or is_open)
        ),
        final as (
            select review_type,
                   count(*) filter (where in_period) as cases,
                   count(*) filter (where in_period and is_decided) as decided,
                   count(*) filter (where in_period and is_upheld) as upheld,
                   count(*) filter (where in_period and outcome = 'withdrawn') as withdrawn,
                   count(*) filter (where in_period and outcome = 'pending') as pending,
                   median(decision_working_days) filter (where in_period) as median_decision_working_days,
                   count(*) filter (where in_period and decision_within_sla) as within_sla,
                   count(decision_within_sla) filter (where in_period) as with_sla,
                   round(within_sla / nullif(with_sla, 0), 3) as share_within_sla,
                   count(*) filter (where in_period and referred_back) as referred_back,
                   count(*) filter (where in_period and referral_result = 'threshold_met') as threshold_then_met,
                   count(*) filter (where in_period and referral_result = 'action_plan_changed')
                       as action_plan_changed,
                   count(*) filter (where in_period and referral_result = 'no_change') as no_change,
                   count(*) filter (where in_period and referral_result = 'pending') as awaiting_bodies,
                   count(*) filter (where is_open) as pending_now,
                   count(*) filter (where is_overdue) as overdue
            from chosen
            group by review_type
        )
        select * from final order by review_type
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def referrals(con, as_of: date, person_codes: tuple[str, ...], start: date, end: date,
              limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Cases decided in the period that the OPCC referred back to the relevant bodies, each followed
    to its result as of the as-of date (recorded in the register, or shown by a later 'met'
    decision in the applications; else awaiting the bodies), awaiting first, then newest."""
    return run(con, f"""
        with final as (
            select p.appeal_ref, p.application_ref, a.authority_name, p.authority_code, p.review_type,
                   p.decision_reviewed, p.outcome, p.decision_date, p.referral_result, p.referral_result_source,
                   p.referral_result_date, p.referral_working_days,
                   working_day_index(cast($as_of as date)) - working_day_index(p.decision_date)
                       as working_days_since_referral,
                   p.application_decision, p.data_errors
            from {_appeals(con, as_of)} as p join authorities as a using (authority_code)
            where p.referred_back and p.authority_code = any($person_codes)
              and p.decision_date between $start and $end
        )
        select * from final
        order by referral_result <> 'pending', decision_date desc, appeal_ref
        limit $limit
    """, {"as_of": as_of, "person_codes": list(person_codes), "start": start, "end": end, "limit": limit})
