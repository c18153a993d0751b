-- OPCC appeals as of $as_of, one row per appeal, with the time to decision in working days
-- against the appeal-decision limit, and the link back to the application appealed against (its
-- route, decision and turnaround from mart_review_turnaround, same $as_of). An appeal is decided
-- when upheld, partially upheld or not upheld; upheld counts partially upheld too. The appeal
-- window runs from the notice appealed against: the decision letter (grounds threshold_decision)
-- or the outcome letter (review_process); an appeal about action plan delivery has no window.
-- An appeal received before the letter it appeals against is a data error, with no window days.
-- The limits are the settings of the APPLICATION's authority, whatever authority the appeal
-- names: the decision limit (and rule_id) as in force on the day the appeal was received, the
-- window (window_rule_id) as in force on the day of the letter that opened it (on the appeal's
-- day when there is no letter). authority_code is the application's authority, so the pages file
-- and filter the appeal under the authority whose case it is; appeal_authority_code keeps what
-- the appeal said. Flags (is_flagged, reasons in flags): the appeal names another authority than
-- its application's; grounds threshold_decision against an application whose threshold was met
-- (a met decision cannot be appealed on those grounds; not when the application was decided
-- again after the OPCC referred it back: that decision is the referral's result, and the letter
-- appealed against is no longer in the register, so the appeal has no window days).
-- Each case is an appeal under the local procedure or a statutory PCC review (review_type, Crime
-- and Policing Act 2026); a PCC review's limit is sla_pcc_review_decision_days, an appeal's
-- sla_appeal_decision_days (the column sla_appeal_decision_days holds the one that applies).
-- A case the OPCC referred back (decided by $as_of) is followed to its result: the result the
-- register records (a result dated after $as_of is still 'pending'), else one the applications
-- show: for a reviewed threshold decision, the application, or a later one of the same person,
-- (to the same authority: another authority's application is its own case) decided 'met' on or
-- after the OPCC's decision (referral_result_source 'applications'); else
-- 'pending'. A case not referred back, or not decided by $as_of (pending or withdrawn, whatever
-- dates the register gives it: referred_back null), has no referral_result: it is never awaiting
-- the bodies. A register that says otherwise (referred back but not upheld, a result recorded for
-- a case not referred back, a pending case with a decision date) is listed in data_errors.
-- referral_working_days: OPCC decision -> the result.
with appeals_as_of as (
    select p.appeal_ref, p.application_ref, p.authority_code as appeal_authority_code, p.received_date,
        p.appellant, p.grounds, p.review_type, p.decision_reviewed,
        case when p.decision_date > $as_of then 'pending' else p.outcome end as outcome,
        case when p.decision_date <= $as_of then p.decision_date end as decision_date,
        case when p.decision_date <= $as_of and p.outcome in ('upheld', 'partially_upheld', 'not_upheld')
             then coalesce(p.referred_back, false) end as referred_back,
        -- as the register has them, for its contradictions (data_errors)
        case when p.decision_date <= $as_of then p.referred_back end as register_referred_back,
        case when p.decision_date <= $as_of and p.referral_result <> 'pending' then p.referral_result end
            as register_result,
        case when p.decision_date <= $as_of and p.referred_back and p.referral_result <> 'pending'
                  and coalesce(p.referral_result_date, p.decision_date) <= $as_of
             then p.referral_result end as recorded_result,
        case when p.decision_date <= $as_of and p.referred_back and p.referral_result_date <= $as_of
             then p.referral_result_date end as recorded_result_date
    from appeals as p
    where p.received_date <= $as_of
),
met_again as (  -- referred-back threshold decisions the applications show met afterwards
    select p.appeal_ref, min(b.decision_date) as met_date
    from appeals_as_of as p
    join applications as a using (application_ref)
    join applications as b
        on (b.application_ref = a.application_ref
            or (b.person_key = a.person_key and b.authority_code = a.authority_code))  -- another authority's is its case
        and b.decision = 'met' and b.decision_date >= p.decision_date and b.decision_date <= $as_of
    where p.referred_back and p.decision_reviewed = 'threshold_decision' and p.recorded_result is null
    group by p.appeal_ref
),
followed as (
    select p.*,
        case when p.referred_back is not true then null  -- not referred back, or not decided by $as_of
             when p.recorded_result is not null then p.recorded_result
             when m.met_date is not null then 'threshold_met'
             else 'pending' end as referral_result,
        case when p.recorded_result is not null then 'recorded'
             when m.met_date is not null then 'applications' end as referral_result_source,
        case when p.recorded_result is not null then p.recorded_result_date else m.met_date end
            as referral_result_date
    from appeals_as_of as p left join met_again as m using (appeal_ref)
),
linked as (
    select p.*, coalesce(a.authority_code, p.appeal_authority_code) as authority_code,
        a.authority_code as application_authority_code,
        t.threshold_route as application_route, t.decision as application_decision,
        t.decision_date as application_decision_date,
        t.outcome as application_outcome, t.received_date as application_received_date,
        t.decision_working_days as application_decision_working_days,
        t.decision_within_sla as application_decision_within_sla,
        t.total_working_days as application_total_working_days,
        t.total_within_sla as application_total_within_sla,
        -- a case referred back whose application was decided again on or after the OPCC's decision:
        -- the register holds the new decision (the referral's result), not the letter appealed
        p.referred_back and p.grounds = 'threshold_decision' and t.decision_date >= p.decision_date
            as is_decided_again,
        case when is_decided_again then null
             when p.grounds = 'threshold_decision' then t.decision_notified_date
             when p.grounds = 'review_process' then t.outcome_notified_date end as notice_date
    from followed as p
    left join applications as a using (application_ref)
    left join mart_review_turnaround as t using (application_ref)
),
ruled as (
    select l.*, r.rule_id,
        case l.review_type when 'pcc_review' then r.sla_pcc_review_decision_days else r.sla_appeal_decision_days end
            as sla_appeal_decision_days,
        w.rule_id as window_rule_id, w.sla_appeal_window_days
    from linked as l
    left join settings_rules as r
        on r.authority_code = l.authority_code
        and l.received_date >= r.effective_from and l.received_date < r.effective_to
    left join settings_rules as w
        on w.authority_code = l.authority_code
        and coalesce(l.notice_date, l.received_date) >= w.effective_from
        and coalesce(l.notice_date, l.received_date) < w.effective_to
),
indexed as (
    select l.*, outcome in ('upheld', 'partially_upheld', 'not_upheld') as is_decided,
        outcome = 'pending' as is_open,
        working_day_index(l.received_date) as i_received, working_day_index(l.decision_date) as i_decision,
        working_day_index(l.notice_date) as i_notice, working_day_index(cast($as_of as date)) as i_as_of,
        working_day_index(l.referral_result_date) as i_result
    from ruled as l
),
timed as (
    select *,
        case when is_decided and decision_date >= received_date then i_decision - i_received end
            as decision_working_days,
        case when is_open then i_as_of - i_received end as open_working_days,
        case when referral_result_date >= decision_date then i_result - i_decision end as referral_working_days,
        case when received_date >= notice_date then i_received - i_notice end as lodged_working_days,
        appeal_authority_code is distinct from application_authority_code
            and application_authority_code is not null as is_authority_mismatch,
        grounds = 'threshold_decision' and application_decision = 'met' and not coalesce(is_decided_again, false)
            as is_grounds_mismatch
    from indexed
),
flagged as (
    select t.*,
        nullif(concat_ws('; ',
            case when t.is_grounds_mismatch
                 then format('appealed on the grounds "threshold decision", but the threshold of {} was met (decided {}): a met '
                             'threshold decision cannot be appealed on those grounds', t.application_ref,
                             coalesce(t.application_decision_date::varchar, 'on an unrecorded date')) end,
            case when t.is_authority_mismatch
                 then format('the appeal names {} ({}), but {} is an application to {} ({}): {}''s limits apply',
                             coalesce(named.authority_name, 'no authority'),
                             coalesce(t.appeal_authority_code, 'none'), t.application_ref,
                             owner.authority_name, t.application_authority_code, owner.authority_name) end
        ), '') as flags
    from timed as t
    left join authorities as named on named.authority_code = t.appeal_authority_code
    left join authorities as owner on owner.authority_code = t.application_authority_code
),
final as (
    select t.appeal_ref, t.application_ref, t.authority_code, t.appeal_authority_code, t.rule_id, t.received_date,
        t.review_type, t.decision_reviewed,
        t.appellant, t.grounds, t.outcome, t.decision_date, t.is_decided,
        t.referred_back, t.referral_result, t.referral_result_source, t.referral_result_date,
        t.referral_working_days,
        t.outcome in ('upheld', 'partially_upheld') as is_upheld,
        t.is_open, t.decision_working_days, t.sla_appeal_decision_days,
        t.decision_working_days <= t.sla_appeal_decision_days as decision_within_sla,
        t.open_working_days, due.calendar_date as due_date,
        t.open_working_days > t.sla_appeal_decision_days as is_overdue,
        t.notice_date, t.lodged_working_days, t.window_rule_id, t.sla_appeal_window_days,
        t.lodged_working_days <= t.sla_appeal_window_days as is_within_appeal_window,
        nullif(concat_ws('; ',
            case when t.decision_date < t.received_date
                 then format('decision_date {} is before received_date {}', t.decision_date, t.received_date) end,
            case when t.received_date < t.notice_date
                 then format('appeal received on {}, before the {} letter it appeals against ({})', t.received_date,
                             case t.grounds when 'threshold_decision' then 'decision' else 'outcome' end,
                             t.notice_date) end,
            case when t.is_decided and t.decision_date is null then format('outcome "{}" but no decision date', replace(t.outcome, '_', ' ')) end,
            case when t.register_referred_back and t.outcome not in ('upheld', 'partially_upheld')
                 then format('referred back, but the outcome is "{}"', replace(t.outcome, '_', ' ')) end,
            case when t.register_result is not null and not coalesce(t.register_referred_back, false)
                 then format('referral result "{}" recorded, but the case was not referred back',
                             replace(t.register_result, '_', ' ')) end,
            case when t.outcome = 'pending' and t.decision_date is not null
                 then format('outcome "pending" but decision_date {}', t.decision_date) end
        ), '') as data_errors,
        t.is_authority_mismatch, t.is_grounds_mismatch, t.is_authority_mismatch or t.is_grounds_mismatch as is_flagged,
        t.flags,
        t.application_route, t.application_decision, t.application_outcome, t.application_received_date,
        t.application_decision_working_days, t.application_decision_within_sla,
        t.application_total_working_days, t.application_total_within_sla,
        cast($as_of as date) as as_of_date
    from flagged as t
    left join ref_working_days as due
        on due.working_day_index = t.i_received + t.sla_appeal_decision_days and due.is_working_day
)
select * from final
