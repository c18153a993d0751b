-- Re-triggers as of $as_of: one row per case review held by $as_of with an identified person, dated
-- by its outcome (outcome_date: the outcome letter when sent by $as_of, else the meeting). The
-- review is re-triggered when the same person, after that day and within retrigger_months of it
-- (the setting of the application's authority in force on that day; window_end_date the last day)
-- and by $as_of, applies again to the same authority (another application received) or meets the
-- threshold again there (a new spell at or over it begins: a crossing of int_threshold_timeline,
-- so a spell that began before the outcome and lasted does not count). retrigger_date is the first
-- of the two, retrigger_kind which one it was (both: the same day). The plan's delivery comes
-- from mart_actions (same $as_of): actions not cancelled, completed, overdue.
with reviews as (
    select a.application_ref, a.authority_code, a.person_key, a.review_date, a.outcome as review_outcome,
        a.recommendations_count,
        -- an outcome letter after $as_of has not been sent yet: the meeting; one dated before the
        -- meeting (a data error of mart_review_turnaround) cannot end it: the meeting
        case when a.outcome_notified_date <= $as_of then greatest(a.outcome_notified_date, a.review_date)
             else a.review_date end as outcome_date
    from applications as a
    where a.review_date <= $as_of and a.person_key is not null
),
ruled as (
    select r.*, s.rule_id, s.retrigger_months,
        cast(r.outcome_date + to_months(s.retrigger_months) as date) as window_end_date
    from reviews as r
    join settings_rules as s
      on s.authority_code = r.authority_code
     and r.outcome_date >= s.effective_from and r.outcome_date < s.effective_to
),
applied_again as (
    select r.application_ref, min(n.received_date) as applied_again_date,
        arg_min(n.application_ref, (n.received_date, n.application_ref)) as next_application_ref,
        count(*) as later_applications
    from ruled as r
    join applications as n
      on n.person_key = r.person_key and n.authority_code = r.authority_code
     and n.application_ref <> r.application_ref
     and n.received_date > r.outcome_date and n.received_date <= least(r.window_end_date, $as_of)
    group by r.application_ref
),
met_again as (
    select r.application_ref, min(t.from_date) as met_again_date, count(*) as threshold_crossings
    from ruled as r
    join int_threshold_timeline as t
      on t.person_id = hash(r.person_key, r.authority_code) and t.authority_code = r.authority_code
     and t.is_crossing and t.from_date > r.outcome_date and t.from_date <= least(r.window_end_date, $as_of)
    group by r.application_ref
),
delivery as (
    select application_ref, count(*) filter (where state <> 'cancelled') as plan_actions,
        count(*) filter (where is_completed) as actions_completed,
        count(*) filter (where is_overdue) as actions_overdue
    from mart_actions group by all
),
final as (
    select r.application_ref, r.authority_code, r.rule_id, r.review_date, r.review_outcome,
        r.recommendations_count, r.outcome_date, r.retrigger_months, r.window_end_date,
        r.window_end_date < $as_of as is_window_closed,
        p.applied_again_date, p.next_application_ref, coalesce(p.later_applications, 0) as later_applications,
        m.met_again_date, coalesce(m.threshold_crossings, 0) as threshold_crossings,
        least(p.applied_again_date, m.met_again_date) as retrigger_date,
        least(p.applied_again_date, m.met_again_date) is not null as is_retriggered,
        case when p.applied_again_date = m.met_again_date then 'both'
             when p.applied_again_date = least(p.applied_again_date, m.met_again_date) then 'application'
             when m.met_again_date is not null then 'threshold' end as retrigger_kind,
        coalesce(d.plan_actions, 0) as plan_actions, coalesce(d.actions_completed, 0) as actions_completed,
        coalesce(d.actions_overdue, 0) as actions_overdue,
        cast($as_of as date) as as_of_date
    from ruled as r
    left join applied_again as p using (application_ref)
    left join met_again as m using (application_ref)
    left join delivery as d using (application_ref)
)
select * from final
