"""Named, read-only queries behind the "Action plans" page: the actions the case reviews agreed, how
they are delivered, and the reviews re-triggered after their outcome.

Flows follow the period: a plan and its actions count in the period the actions were agreed in; an
action's delivery counts in the period its due date fell in, once its result is known on the as-of
date (completed, or past its due date): on time (completed by the due date), late (completed after
it) or missed (past it and still open); a cancelled action counts in no delivery figure. States
follow the as-of date, whatever the period: actions open and overdue now. A re-trigger counts in the
period of its date (the first new application or crossing of the threshold within the authority's
retrigger_months of the review's outcome). An action belongs to its application's authority
(mart_actions.authority_code). Reads mart_actions and mart_retriggers at the build's as-of date, their
SQL live for any other date. The lists are application-level, so they take `person_codes` (from
`ui.person_level_codes`); none returns a person_key.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from insight.queries.run import LIST_LIMIT, run, source

DUE_SOON_WORKING_DAYS = 10  # an open action due this soon is listed with the overdue ones (Needs action)

# One delivery row per action: due in the period, result known on the as-of date (SQL over mart_actions `m`).
_DELIVERY = """
    count(*) filter (where {due}) as due,
    count(*) filter (where {due} and m.state = 'completed_on_time') as on_time,
    count(*) filter (where {due} and m.state = 'completed_late') as late,
    count(*) filter (where {due} and m.state = 'overdue') as missed,
    round(count(*) filter (where {due} and m.state = 'completed_on_time')
          / nullif(count(*) filter (where {due}), 0), 3) as share_on_time,
    count(*) filter (where m.is_open) as open_now,
    count(*) filter (where m.is_overdue) as overdue_now"""
_DUE = ("m.state in ('completed_on_time', 'completed_late', 'overdue') "
        "and m.due_date between $start and $end")
_AGREED = "m.agreed_date between $start and $end"


def _actions(con, as_of: date) -> str:
    return source(con, as_of, "mart_actions")


def summary(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per authority and for all selected (authority_code null): plans and actions agreed in the
    period, actions per plan, cancelled; the delivery of the actions due in the period (due = on
    time + late + missed, share on time); and the actions open and overdue on the as-of date."""
    return run(con, f"""
        with chosen as (
            select m.* from {_actions(con, as_of)} as m
            where m.authority_code = any($codes)
        ),
        grouped as (
            select m.authority_code,
                   count(distinct m.application_ref) filter (where {_AGREED}) as plans,
                   count(*) filter (where {_AGREED}) as actions,
                   round(count(*) filter (where {_AGREED})
                         / nullif(count(distinct m.application_ref) filter (where {_AGREED}), 0), 1)
                       as actions_per_plan,
                   count(*) filter (where {_AGREED} and m.state = 'cancelled') as cancelled,
                   {_DELIVERY.format(due=_DUE)}
            from chosen as m
            group by grouping sets ((m.authority_code), ())
        ),
        final as (
            select coalesce(a.authority_name, 'All selected') as authority_name, g.*
            from grouped as g left join authorities as a using (authority_code)
        )
        select * from final order by authority_code is null, authority_name
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def by_agency(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per delivering agency, over the selected authorities: actions agreed in the period, the
    delivery of those due in it, and the actions open and overdue on the as-of date."""
    return run(con, f"""
        with final as (
            select m.agency as action_agency, count(*) filter (where {_AGREED}) as actions,
                   {_DELIVERY.format(due=_DUE)}
            from {_actions(con, as_of)} as m
            where m.authority_code = any($codes)
            group by all
            having count(*) filter (where {_AGREED} or {_DUE} or m.is_open) > 0
        )
        select * from final order by actions desc, action_agency
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def by_type(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Actions agreed in the period by type and by their state on the as-of date."""
    return run(con, f"""
        with final as (
            select m.action_type, m.state as action_state, count(*) as actions
            from {_actions(con, as_of)} as m
            where m.authority_code = any($codes) and {_AGREED}
            group by all
        )
        select * from final order by action_type, action_state
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def needs_action(con, as_of: date, person_codes: tuple[str, ...], due_within_days: int = DUE_SOON_WORKING_DAYS,
                 limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Open actions on the as-of date that are past their due date or due within `due_within_days`
    working days, whenever agreed, the most overdue first: the action, the application behind it,
    its authority, agency, type, dates and working days overdue (negative: left)."""
    return run(con, f"""
        with final as (
            select m.action_ref, m.application_ref, a.authority_name, m.authority_code, m.agency as action_agency,
                   m.action_type, m.agreed_date, m.due_date,
                   coalesce(m.working_days_overdue, -m.working_days_left) as working_days_overdue,
                   m.days_overdue, case when m.is_overdue then 'overdue' else 'due soon' end as status,
                   m.review_date, m.data_errors
            from {_actions(con, as_of)} as m join authorities as a using (authority_code)
            where m.is_open and m.authority_code = any($person_codes)
              and (m.is_overdue or m.working_days_left <= $due_within_days)
        )
        select * from final order by working_days_overdue desc, due_date, action_ref
        limit $limit
    """, {"as_of": as_of, "person_codes": list(person_codes), "due_within_days": due_within_days,
          "limit": limit})


def action_list(con, as_of: date, person_codes: tuple[str, ...], start: date, end: date,
                limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Every action agreed in the period, by application and due date: its agency, type, dates,
    state on the as-of date, working days overdue, late or to complete, and any plan problem."""
    return run(con, f"""
        with final as (
            select m.application_ref, m.action_ref, a.authority_name, m.authority_code, m.agency as action_agency,
                   m.action_type, m.agreed_date, m.due_date, m.completed_date, m.state as action_state,
                   m.working_days_overdue, m.working_days_late, m.working_days_to_complete,
                   m.review_outcome, m.recommendations_count, m.plan_actions, m.data_errors
            from {_actions(con, as_of)} as m join authorities as a using (authority_code)
            where m.authority_code = any($person_codes) and {_AGREED}
        )
        select * from final order by application_ref, due_date, action_ref
        limit $limit
    """, {"as_of": as_of, "person_codes": list(person_codes), "start": start, "end": end, "limit": limit})


def _retriggers(con, as_of: date) -> str:
    return source(con, as_of, "mart_retriggers")


def retrigger_summary(con, as_of: date, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Per authority and for all selected (authority_code null): reviews whose outcome was told in
    the period; re-triggers dated in the period, by a new application and by the threshold met
    again (a re-trigger of both kinds on one day counts in both); and the reviews still watched on
    the as-of date (their window has not closed), with the months in force."""
    in_period = "r.retrigger_date between $start and $end"
    return run(con, f"""
        with grouped as (
            select r.authority_code,
                   count(*) filter (where r.outcome_date between $start and $end) as reviews,
                   count(*) filter (where {in_period}) as retriggers,
                   count(*) filter (where {in_period} and r.retrigger_kind in ('application', 'both'))
                       as by_application,
                   count(*) filter (where {in_period} and r.retrigger_kind in ('threshold', 'both'))
                       as by_threshold,
                   count(*) filter (where not r.is_window_closed) as in_window,
                   string_agg(distinct r.retrigger_months::varchar, ', ') as months_in_force
            from {_retriggers(con, as_of)} as r
            where r.authority_code = any($codes)
            group by grouping sets ((r.authority_code), ())
        ),
        final as (
            select coalesce(a.authority_name, 'All selected') as authority_name, g.*
            from grouped as g left join authorities as a using (authority_code)
        )
        select * from final order by authority_code is null, authority_name
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def retrigger_list(con, as_of: date, person_codes: tuple[str, ...], start: date, end: date,
                   limit: int = LIST_LIMIT) -> pd.DataFrame:
    """The reviews re-triggered in the period, newest first: the review, its outcome, when and how it
    was re-triggered (the later application's reference), and how its plan stood on the as-of date."""
    return run(con, f"""
        with final as (
            select r.application_ref, a.authority_name, r.authority_code, r.review_date, r.review_outcome,
                   r.outcome_date, r.retrigger_date, r.retrigger_kind, r.next_application_ref, r.met_again_date,
                   r.retrigger_date - r.outcome_date as days_after_outcome, r.window_end_date,
                   r.plan_actions, r.actions_completed, r.actions_overdue, r.rule_id
            from {_retriggers(con, as_of)} as r join authorities as a using (authority_code)
            where r.authority_code = any($person_codes) and r.retrigger_date between $start and $end
        )
        select * from final order by retrigger_date desc, application_ref
        limit $limit
    """, {"as_of": as_of, "person_codes": list(person_codes), "start": start, "end": end, "limit": limit})
