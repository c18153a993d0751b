-- OPCC appeals as of $as_of, one row per appeal, with the time to decision in working days
-- against the appeal-decision limit, and the link back to the application appealed against (its
-- route, decision and turnaround from mart_review_turnaround, same $as_of). The limits are the
-- application authority's rule in force on the day the appeal was received. An appeal is decided
-- when upheld, partially upheld or not upheld; upheld counts partially upheld too. The appeal
-- window runs from the notice appealed against: the decision letter (grounds threshold_decision)
-- or the outcome letter (review_process); an appeal about action plan delivery has no window.
-- An appeal received before the letter it appeals against is a data error, with no window days.
with appeals_as_of as (
    select p.appeal_ref, p.application_ref, p.authority_code, p.received_date, p.appellant, p.grounds,
        case when p.decision_date > $as_of then 'pending' else p.outcome end as outcome,
        case when p.decision_date <= $as_of then p.decision_date end as decision_date
    from appeals as p
    where p.received_date <= $as_of
),
linked as (
    select p.*, r.rule_id, r.sla_appeal_decision_days, r.sla_appeal_window_days,
        t.threshold_route as application_route, t.decision as application_decision,
        t.outcome as application_outcome, t.received_date as application_received_date,
        t.decision_working_days as application_decision_working_days,
        t.decision_within_sla as application_decision_within_sla,
        t.total_working_days as application_total_working_days,
        t.total_within_sla as application_total_within_sla,
        case p.grounds when 'threshold_decision' then t.decision_notified_date
                       when 'review_process' then t.outcome_notified_date end as notice_date
    from appeals_as_of as p
    left join mart_review_turnaround as t using (application_ref)
    left join settings_rules as r
        on r.authority_code = p.authority_code
        and p.received_date >= r.effective_from and p.received_date < r.effective_to
),
indexed as (
    select l.*, outcome in ('upheld', 'partially_upheld', 'not_upheld') as is_decided,
        outcome = 'pending' as is_open,
        working_day_index(l.received_date) as i_received, working_day_index(l.decision_date) as i_decision,
        working_day_index(l.notice_date) as i_notice, working_day_index(cast($as_of as date)) as i_as_of
    from linked as l
),
timed as (
    select *,
        case when is_decided and decision_date >= received_date then i_decision - i_received end
            as decision_working_days,
        case when is_open then i_as_of - i_received end as open_working_days,
        case when received_date >= notice_date then i_received - i_notice end as lodged_working_days
    from indexed
),
final as (
    select t.appeal_ref, t.application_ref, t.authority_code, t.rule_id, t.received_date, t.appellant,
        t.grounds, t.outcome, t.decision_date, t.is_decided, t.outcome in ('upheld', 'partially_upheld') as is_upheld,
        t.is_open, t.decision_working_days, t.sla_appeal_decision_days,
        t.decision_working_days <= t.sla_appeal_decision_days as decision_within_sla,
        t.open_working_days, due.calendar_date as due_date,
        t.open_working_days > t.sla_appeal_decision_days as is_overdue,
        t.notice_date, t.lodged_working_days, t.sla_appeal_window_days,
        t.lodged_working_days <= t.sla_appeal_window_days as is_within_appeal_window,
        nullif(concat_ws('; ',
            case when t.decision_date < t.received_date
                 then format('decision_date {} is before received_date {}', t.decision_date, t.received_date) end,
            case when t.received_date < t.notice_date
                 then format('appeal received on {}, before the {} letter it appeals against ({})', t.received_date,
                             case t.grounds when 'threshold_decision' then 'decision' else 'outcome' end,
                             t.notice_date) end,
            case when t.is_decided and t.decision_date is null then format('outcome {} but no decision_date', t.outcome) end
        ), '') as data_errors,
        t.application_route, t.application_decision, t.application_outcome, t.application_received_date,
        t.application_decision_working_days, t.application_decision_within_sla,
        t.application_total_working_days, t.application_total_within_sla,
        cast($as_of as date) as as_of_date
    from timed as t
    left join ref_working_days as due
        on due.working_day_index = t.i_received + t.sla_appeal_decision_days and due.is_working_day
)
select * from final
