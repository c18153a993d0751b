-- Case review turnaround in working days (England), one row per application, as of $as_of
-- (DESIGN.md mart_review_turnaround, contract). The working days from A to B are
-- index(B) - index(A) in ref_working_days (numpy.busday_count semantics: A counts, B does not).
-- An event dated after $as_of has not happened yet on that date, so the same SQL evaluates any
-- as-of date. The SLA limits are the rule in force on the day the application was received.
-- Staging never drops an application for its stage dates: a date it could not use (unreadable,
-- before 2000, in the future) comes as applications.date_errors; stages out of order (a stage
-- before receipt, told before decided, meeting before decision, a stage without the one before
-- it, a decision without its date, a receipt before any rule in force) are found here. All are listed in data_errors, and a stage
-- that ends before it starts has no duration, never a negative one (nor does the whole process
-- when its outcome letter is dated before the decision or the meeting).
with apps as (
    select a.application_ref, a.authority_code, a.threshold_route, a.received_date, a.date_errors,
        a.decision in ('met', 'not_met') and a.decision_date is null as is_undated_decision,
        -- a decision date on an application still pending is a contradiction (no stage is timed)
        case when a.decision = 'pending' and a.decision_date is not null then a.decision_date end
            as pending_decision_date,
        -- the decision dates as recorded, whatever the decision: a withdrawn application's dated
        -- before its receipt contradict it as a met one's would (they time no stage)
        case when a.decision_date <= $as_of then a.decision_date end as recorded_decision_date,
        case when a.decision_notified_date <= $as_of then a.decision_notified_date end
            as recorded_decision_notified_date,
        case when a.acknowledged_date <= $as_of then a.acknowledged_date end as acknowledged_date,
        -- the threshold decision is met or not met: a withdrawn or pending application's dates time no stage
        case when a.decision in ('met', 'not_met') and a.decision_date <= $as_of then a.decision_date end
            as decision_date,
        case when a.decision in ('met', 'not_met') and a.decision_notified_date <= $as_of
             then a.decision_notified_date end as decision_notified_date,
        case when a.review_date <= $as_of then a.review_date end as review_date,
        case when a.outcome_notified_date <= $as_of then a.outcome_notified_date end as outcome_notified_date,
        case when a.action_plan_closed_date <= $as_of then a.action_plan_closed_date end as action_plan_closed_date,
        -- a decision or a withdrawal dated after $as_of has not happened yet: the case is pending
        case when a.decision in ('met', 'not_met', 'withdrawn') and a.decision_date > $as_of then 'pending'
             else a.decision end as decision,
        case when a.review_date > $as_of then 'pending' else a.outcome end as outcome,
        case when a.review_date > $as_of then null else a.recommendations_count end as recommendations_count
    from applications as a
    where a.received_date <= $as_of
),
ruled as (
    select a.*, r.rule_id, r.sla_acknowledge_days, r.sla_decision_days, r.sla_decision_notice_days,
        r.sla_review_days, r.sla_outcome_days,
        r.sla_decision_days + r.sla_review_days + r.sla_outcome_days as sla_total_days
    from apps as a
    left join settings_rules as r
        on r.authority_code = a.authority_code
        and a.received_date >= r.effective_from and a.received_date < r.effective_to
),
indexed as (   -- each date's working-day index; a difference of two is a working-day count
    select a.*, working_day_index(a.received_date) as i_received,
        working_day_index(a.acknowledged_date) as i_acknowledged,
        working_day_index(a.decision_date) as i_decision,
        working_day_index(a.decision_notified_date) as i_decision_notified,
        working_day_index(a.review_date) as i_review,
        working_day_index(a.outcome_notified_date) as i_outcome_notified,
        working_day_index(a.action_plan_closed_date) as i_action_plan_closed,
        working_day_index(cast($as_of as date)) as i_as_of
    from ruled as a
),
durations as (   -- null where a stage has not happened, or ends before it starts
    select *,
        case when acknowledged_date >= received_date then i_acknowledged - i_received end
            as acknowledge_working_days,
        case when decision_date >= received_date then i_decision - i_received end as decision_working_days,
        case when decision_notified_date >= decision_date then i_decision_notified - i_decision end
            as decision_notice_working_days,
        case when review_date >= decision_date then i_review - i_decision end as review_working_days,
        case when outcome_notified_date >= review_date then i_outcome_notified - i_review end
            as outcome_notice_working_days,
        -- the whole process ends with the outcome letter, which follows the decision and the meeting
        -- (greatest skips a stage not held): a letter dated before either ends no process
        case when outcome_notified_date >= greatest(received_date, decision_date, review_date)
             then i_outcome_notified - i_received end as total_working_days,
        case when action_plan_closed_date >= outcome_notified_date
             then i_action_plan_closed - i_outcome_notified end as action_plan_working_days
    from indexed
),
checked as (
    select *, nullif(concat_ws('; ', date_errors,
        case when is_undated_decision then 'the threshold decision has no decision_date' end,
        case when pending_decision_date is not null
             then format('decision "pending" but decision_date {}', pending_decision_date) end,
        case when acknowledged_date < received_date
             then format('acknowledged_date {} is before received_date {}', acknowledged_date, received_date) end,
        case when rule_id is null
             then format('received_date {} is before any rule in force for the authority (the case '
                         'review began on 20 October 2014): no time limit applies', received_date) end,
        case when recorded_decision_date < received_date
             then format('decision_date {} is before received_date {}', recorded_decision_date, received_date) end,
        case when decision not in ('met', 'not_met')
                  and recorded_decision_notified_date < greatest(received_date, recorded_decision_date)
             then format('decision_notified_date {} is before {} {}', recorded_decision_notified_date,
                         case when recorded_decision_date > received_date then 'decision_date'
                              else 'received_date' end,
                         greatest(received_date, recorded_decision_date)) end,
        case when review_date < received_date
             then format('review_date {} is before received_date {}', review_date, received_date) end,
        case when outcome_notified_date < received_date
             then format('outcome_notified_date {} is before received_date {}', outcome_notified_date,
                         received_date) end,
        case when acknowledged_date > decision_date
             then format('acknowledged_date {} is after decision_date {}', acknowledged_date, decision_date) end,
        case when decision_notified_date < decision_date
             then format('decision_notified_date {} is before decision_date {}', decision_notified_date,
                         decision_date) end,
        case when review_date < decision_date
             then format('review_date {} is before decision_date {}', review_date, decision_date) end,
        case when review_date < decision_notified_date
             then format('review_date {} is before decision_notified_date {} (met before the applicant '
                         'was told)', review_date, decision_notified_date) end,
        case when outcome_notified_date < review_date
             then format('outcome_notified_date {} is before review_date {}', outcome_notified_date,
                         review_date) end,
        case when outcome_notified_date < decision_date and review_date is null
             then format('outcome_notified_date {} is before decision_date {}', outcome_notified_date,
                         decision_date) end,
        case when action_plan_closed_date < outcome_notified_date
             then format('action_plan_closed_date {} is before outcome_notified_date {}',
                         action_plan_closed_date, outcome_notified_date) end,
        -- whatever the decision: a pending or withdrawn application told of a decision never dated too
        case when coalesce(decision_notified_date, recorded_decision_notified_date) is not null
                  and coalesce(decision_date, recorded_decision_date) is null
             then format('decision_notified_date {} but no decision_date',
                         coalesce(decision_notified_date, recorded_decision_notified_date)) end,
        case when review_date is not null and decision_date is null
             then format('review_date {} but no decision_date', review_date) end,
        case when outcome_notified_date is not null and review_date is null
             then format('outcome_notified_date {} but no review_date', outcome_notified_date) end,
        case when action_plan_closed_date is not null and outcome_notified_date is null
             then format('action_plan_closed_date {} but no outcome_notified_date', action_plan_closed_date) end
    ), '') as data_errors
    from durations
),
opened as (   -- the review process ends when the applicant is told the outcome (or, not met, the decision)
    select *,
        case when decision = 'pending' then true
             when decision = 'not_met' then decision_notified_date is null
             when decision = 'met' then outcome_notified_date is null
             else false end as is_open
    from checked
),
final as (
    select application_ref, authority_code, rule_id, threshold_route, decision, outcome,
        recommendations_count, received_date, acknowledged_date, decision_date, decision_notified_date,
        review_date, outcome_notified_date, action_plan_closed_date,
        acknowledge_working_days, acknowledge_working_days <= sla_acknowledge_days as acknowledge_within_sla,
        decision_working_days, decision_working_days <= sla_decision_days as decision_within_sla,
        decision_notice_working_days,
        decision_notice_working_days <= sla_decision_notice_days as decision_notice_within_sla,
        review_working_days, review_working_days <= sla_review_days as review_within_sla,
        outcome_notice_working_days,
        outcome_notice_working_days <= sla_outcome_days as outcome_notice_within_sla,
        total_working_days, total_working_days <= sla_total_days as total_within_sla,
        action_plan_working_days,
        sla_acknowledge_days, sla_decision_days, sla_decision_notice_days, sla_review_days,
        sla_outcome_days, sla_total_days,
        is_open,
        case when is_open then i_as_of - i_received end as open_working_days,
        case when not is_open then null
             when decision = 'pending' then 'decision'
             when decision_notified_date is null then 'decision_notice'
             when review_date is null then 'review'
             else 'outcome_notice' end as open_stage,
        outcome = 'recommendations' and outcome_notified_date is not null
            and action_plan_closed_date is null as is_action_plan_open,
        data_errors, data_errors is not null as has_data_error,
        cast($as_of as date) as as_of_date
    from opened
)
select * from final
