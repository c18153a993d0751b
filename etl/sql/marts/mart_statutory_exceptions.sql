-- The applications behind the consistency checks of the published figures, as of $as_of: one row
-- per application and check, in the financial year (April-March) whose figures it affects.
-- Contradictions (the application contradicts itself; the year is inconsistent):
-- - review_without_threshold_met: a review held although the threshold was not met and no
--   discretion was applied (real published tables show this);
-- - recommendations_without_review: recommendations recorded with no review date, so they count
--   in no year's "reviews with recommendations";
-- - recommendations_count_mismatch: the outcome and recommendations_count disagree;
-- - met_without_review: the threshold was met, so a review must follow (s.104(1)), but none was held
--   though the review limit (sla_review_days working days from the decision, the rule in force at
--   receipt, as in mart_review_turnaround) has passed on $as_of (more working days than the limit,
--   as "overdue" in mart_review_open_stages), or the case was closed without one (an outcome
--   recorded or told, or an action plan closed, with no review date). In the year of the decision
--   (of receipt when the decision has no date): the year whose "met" it leaves unreviewed.
-- - dated_before_receipt: a threshold decision or review dated before the application was received
--   (mart_review_turnaround lists it in data_errors): counted in the year of that date, which may
--   be a year with no such application received, so the year's counts cannot add up. In the
--   year of the decision or review.
-- Notes (the figures are right, but explain why a year's counts need not add up):
-- - decided_after_year_end: received in the year, threshold decision in a later year (or still
--   none after the year ended): "decisions inside the year" fails for it;
-- - carried_in: counted in the year's "not met" or "reviews" but received in an earlier year;
-- - reviewed_by_discretion: not met, yet reviewed by discretion: counted in both figures.
-- Reads mart_review_turnaround (dates and decisions as of $as_of).
with apps as (
    select t.*,
        year(received_date) - (month(received_date) < 4)::int as received_year,
        year(decision_date) - (month(decision_date) < 4)::int as decision_year,
        year(review_date) - (month(review_date) < 4)::int as review_year,
        year(cast($as_of as date)) - (month(cast($as_of as date)) < 4)::int as as_of_year,
        working_day_index(t.decision_date) as i_decision,
        working_day_index(cast($as_of as date)) as i_as_of
    from mart_review_turnaround as t
),
unreviewed as (   -- threshold met, no review (yet) on $as_of: closed without one, or past the limit
    select a.*, a.i_as_of - a.i_decision as review_days_elapsed, due.calendar_date as review_due_date,
        a.outcome in ('recommendations', 'no_further_action') or a.outcome_notified_date is not null
            or a.action_plan_closed_date is not null as is_closed
    from apps as a
    left join ref_working_days as due
        on due.working_day_index = a.i_decision + a.sla_review_days and due.is_working_day
    where a.decision = 'met' and a.review_date is null
),
found as (
    select authority_code, review_year as fy, application_ref, 'review_without_threshold_met' as check_code,
        'contradiction' as severity,
        format('review held on {} but the threshold decision is "{}" (route {})', review_date,
               replace(decision, '_', ' '), coalesce('"' || threshold_route || '"', 'not recorded')) as reason
    from apps
    where review_date is not null and decision <> 'met' and coalesce(threshold_route, '') <> 'discretion'
    union all
    select authority_code,
        year(coalesce(outcome_notified_date, decision_date, received_date))
            - (month(coalesce(outcome_notified_date, decision_date, received_date)) < 4)::int,
        application_ref, 'recommendations_without_review', 'contradiction',
        format('outcome {} with {} recommendation(s) but no review date',
               coalesce('"' || replace(outcome, '_', ' ') || '"', 'not recorded'),
               coalesce(recommendations_count::varchar, 'an unknown number of'))
    from apps
    where review_date is null and (outcome = 'recommendations' or recommendations_count > 0)
    union all
    select authority_code, review_year, application_ref, 'recommendations_count_mismatch', 'contradiction',
        format('outcome "{}" but the recommendations count is {}', replace(outcome, '_', ' '),
               coalesce(recommendations_count::varchar, 'empty'))
    from apps
    where review_date is not null
        and ((outcome = 'recommendations' and coalesce(recommendations_count, 0) = 0)
             or (outcome = 'no_further_action' and recommendations_count > 0))
    union all
    select authority_code, coalesce(decision_year, received_year), application_ref, 'met_without_review',
        'contradiction',
        case when is_closed
             then format('threshold met on {} but closed without a review ({})',
                         coalesce(decision_date::varchar, 'an unrecorded date'), concat_ws(', ',
                             case when outcome in ('recommendations', 'no_further_action')
                                  then 'outcome ' || outcome end,
                             'outcome told ' || outcome_notified_date,
                             'action plan closed ' || action_plan_closed_date))
             else format('threshold met on {} but no review held by {}, though due within {} working days '
                         '(by {})', decision_date, cast($as_of as date), sla_review_days, review_due_date) end
    from unreviewed
    where is_closed or review_days_elapsed > sla_review_days
    union all
    select authority_code, decision_year, application_ref, 'dated_before_receipt', 'contradiction',
        format('threshold decision ("{}") on {}, before the application was received on {}',
               replace(decision, '_', ' '), decision_date, received_date)
    from apps where decision_date < received_date
    union all
    select authority_code, review_year, application_ref, 'dated_before_receipt', 'contradiction',
        format('review held on {}, before the application was received on {}', review_date, received_date)
    from apps where review_date < received_date
    union all
    select authority_code, received_year, application_ref, 'decided_after_year_end', 'note',
        case when decision_year is not null
             then format('received on {} ({}/{:02d}), threshold decision on {} ({}/{:02d})', received_date,
                         received_year, (received_year + 1) % 100, decision_date, decision_year,
                         (decision_year + 1) % 100)
             else format('received on {} ({}/{:02d}), still no threshold decision on {}', received_date,
                         received_year, (received_year + 1) % 100, cast($as_of as date)) end
    from apps
    where (decision in ('met', 'not_met') and decision_year > received_year)
        or (decision = 'pending' and as_of_year > received_year)
    union all
    select authority_code, decision_year, application_ref, 'carried_in', 'note',
        format('threshold not met on {}, received on {} ({}/{:02d})', decision_date, received_date,
               received_year, (received_year + 1) % 100)
    from apps where decision = 'not_met' and decision_year > received_year
    union all
    select authority_code, review_year, application_ref, 'carried_in', 'note',
        format('reviewed on {}, received on {} ({}/{:02d})', review_date, received_date,
               received_year, (received_year + 1) % 100)
    from apps where review_year > received_year
    union all
    select authority_code, review_year, application_ref, 'reviewed_by_discretion', 'note',
        format('threshold not met on {}, reviewed by discretion on {}: counted as not met and as a review',
               coalesce(decision_date::varchar, 'an unrecorded date'), review_date)
    from apps where decision = 'not_met' and threshold_route = 'discretion' and review_date is not null
),
final as (
    select authority_code, format('{}/{:02d}', fy, (fy + 1) % 100) as financial_year, application_ref,
        check_code, severity, reason, cast($as_of as date) as as_of_date
    from found
)
select * from final
