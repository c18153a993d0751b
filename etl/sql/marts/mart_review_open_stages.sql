-- Open-case ageing and the "at risk of breach" list, as of $as_of: one row per open application
-- and stage whose clock is running (started, not finished). A stage is due on the last day it can
-- finish within its limit: the working day whose index is index(start) + limit. It is overdue
-- when more working days than the limit have passed, and at risk when it is not overdue and at
-- most $at_risk_days working days are left. The acknowledgement is waited for only while the
-- decision is (a decision letter acknowledges too); action plans have no limit, so they are
-- aged in mart_review_turnaround, not here. Reads mart_review_turnaround (same $as_of).
with turnaround as (
    select * from mart_review_turnaround where is_open
),
running as (
    select application_ref, authority_code, rule_id, 'acknowledge' as stage, received_date as started_date,
        sla_acknowledge_days as sla_days
    from turnaround where decision = 'pending' and acknowledged_date is null
    union all
    select application_ref, authority_code, rule_id, 'decision', received_date, sla_decision_days
    from turnaround where decision = 'pending'
    union all
    select application_ref, authority_code, rule_id, 'decision_notice', decision_date, sla_decision_notice_days
    from turnaround where decision in ('met', 'not_met') and decision_date is not null
        and decision_notified_date is null
    union all
    select application_ref, authority_code, rule_id, 'review', decision_date, sla_review_days
    from turnaround where decision = 'met' and decision_date is not null and review_date is null
    union all
    select application_ref, authority_code, rule_id, 'outcome_notice', review_date, sla_outcome_days
    from turnaround where review_date is not null and outcome_notified_date is null
),
aged as (
    select r.*, w_as_of.working_day_index - w_start.working_day_index as working_days_elapsed,
        w_start.working_day_index + r.sla_days as due_index
    from running as r
    join ref_working_days as w_start on w_start.calendar_date = r.started_date
    join ref_working_days as w_as_of on w_as_of.calendar_date = cast($as_of as date)
),
final as (
    select a.application_ref, a.authority_code, a.rule_id, a.stage, a.started_date, a.sla_days,
        d.calendar_date as due_date, a.working_days_elapsed,
        a.sla_days - a.working_days_elapsed as working_days_left,
        a.working_days_elapsed > a.sla_days as is_overdue,
        a.working_days_elapsed <= a.sla_days and a.sla_days - a.working_days_elapsed <= $at_risk_days
            as is_at_risk,
        cast($as_of as date) as as_of_date
    from aged as a
    left join ref_working_days as d on d.working_day_index = a.due_index and d.is_working_day
)
select * from final
