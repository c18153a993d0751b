-- The applications behind the consistency checks of the published figures, as of $as_of: one row
-- per application and check, in the financial year (April-March) whose figures it affects.
-- Contradictions (the application contradicts itself; the year is inconsistent):
-- - review_without_threshold_met: a review held although the threshold was not met and no
--   discretion was applied (real published tables show this);
-- - recommendations_without_review: recommendations recorded with no review date, so they count
--   in no year's "reviews with recommendations";
-- - recommendations_count_mismatch: the outcome and recommendations_count disagree.
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
        year(cast($as_of as date)) - (month(cast($as_of as date)) < 4)::int as as_of_year
    from mart_review_turnaround as t
),
found as (
    select authority_code, review_year as fy, application_ref, 'review_without_threshold_met' as check_code,
        'contradiction' as severity,
        format('review held on {} but the threshold decision is {} (route {})', review_date, decision,
               coalesce(threshold_route, 'not recorded')) as reason
    from apps
    where review_date is not null and decision <> 'met' and coalesce(threshold_route, '') <> 'discretion'
    union all
    select authority_code,
        year(coalesce(outcome_notified_date, decision_date, received_date))
            - (month(coalesce(outcome_notified_date, decision_date, received_date)) < 4)::int,
        application_ref, 'recommendations_without_review', 'contradiction',
        format('outcome {} with {} recommendation(s) but no review date', coalesce(outcome, 'not recorded'),
               coalesce(recommendations_count::varchar, 'an unknown number of'))
    from apps
    where review_date is null and (outcome = 'recommendations' or recommendations_count > 0)
    union all
    select authority_code, review_year, application_ref, 'recommendations_count_mismatch', 'contradiction',
        format('outcome {} but recommendations_count is {}', outcome,
               coalesce(recommendations_count::varchar, 'empty'))
    from apps
    where review_date is not null
        and ((outcome = 'recommendations' and coalesce(recommendations_count, 0) = 0)
             or (outcome = 'no_further_action' and recommendations_count > 0))
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
               decision_date, review_date)
    from apps where decision = 'not_met' and threshold_route = 'discretion' and review_date is not null
),
final as (
    select authority_code, format('{}/{:02d}', fy, (fy + 1) % 100) as financial_year, application_ref,
        check_code, severity, reason, cast($as_of as date) as as_of_date
    from found
)
select * from final
