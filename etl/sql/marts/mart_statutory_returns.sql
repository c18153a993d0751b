-- The four figures each council must publish (ASB, Crime and Policing Act 2014 s.104), per
-- authority and financial year (April-March), as of $as_of (DESIGN.md mart_statutory_returns,
-- contract): applications received (by received date), times the threshold was not met (by
-- decision date), reviews carried out and reviews with recommendations (by review date). Every
-- authority has a row for every year from the first application's (or the first frozen return's)
-- to the as-of date's, zeros included. The figures count the applications as recorded,
-- contradictions included, as a published table would.
-- The checks:
-- - counts_add_up is the identity a reader of the published table applies (not met + reviews <=
--   received). Correct figures can fail it: an application received late in March and decided or
--   reviewed in April counts in one year's "received" and the next year's "not met" or "reviews"
--   (a carried_in note in mart_statutory_exceptions), so it does not decide consistency;
-- - intake_adds_up follows each year's intake instead: of the applications received in the year,
--   those not met plus those reviewed, wherever the decision or review fell, at most the number
--   received. One reviewed by discretion after "not met" counts in both figures by design, so it
--   is counted once here; any other application counted twice (a review held where the threshold
--   was not met) makes it fail;
-- - contradictions and notes count the rows of mart_statutory_exceptions for the year;
--   met_without_review is the year's "met" decisions that have no review although the limit has
--   passed or the case was closed (the gap published tables often show: more met than reviews);
-- - is_consistent = the intake adds up and no application contradicts itself.
-- Frozen returns: where `published_returns` (the figures as published, loaded by the build from
-- the file `[build] published_returns` names) holds the year, the published figures stand beside
-- the current ones and is_restated says whether any has changed since (restatement in words).
-- Reads mart_review_turnaround and mart_statutory_exceptions (same $as_of) and published_returns.
with apps as (
    select *, year(received_date) - (month(received_date) < 4)::int as received_year
    from mart_review_turnaround
),
events as (
    select authority_code, application_ref, received_year, 'received' as event, received_date as event_date
    from apps
    union all
    select authority_code, application_ref, received_year, decision, decision_date
    from apps where decision in ('met', 'not_met')
    union all
    select authority_code, application_ref, received_year, 'review', review_date
    from apps where review_date is not null
    union all
    select authority_code, application_ref, received_year, 'recommendations', review_date
    from apps where review_date is not null and outcome = 'recommendations'
),
dated as (
    select *, year(event_date) - (month(event_date) < 4)::int as fy from events
),
published as (   -- the frozen figures known on $as_of: published by then, or of a year that had ended by
                  -- then (a build's as-of date is its data's latest date, most often before the day
                  -- a year's figures are frozen: they are the same figures). A year still running on
                  -- $as_of and published later is not frozen, nor restated, on a page or in a return
                  -- for that date (the returns audit of 6 December 2026).
    select * from published_returns
    where published_date <= $as_of
       or make_date(cast(left(financial_year, 4) as integer) + 1, 3, 31) <= $as_of
),
frozen as (
    select *, cast(left(financial_year, 4) as integer) as fy from published
),
span as (   -- from the first year with an application or a frozen return (or the as-of year) to the as-of year
    select least(coalesce((select min(fy) from dated), y.fy), coalesce((select min(fy) from frozen), y.fy), y.fy)
            as first_year,
        y.fy as last_year
    from (select year(cast($as_of as date)) - (month(cast($as_of as date)) < 4)::int as fy) as y
),
years as (
    select a.authority_code, y.fy
    from authorities as a
    cross join (select unnest(range(first_year, last_year + 1)) as fy from span) as y
),
counts as (
    select authority_code, fy,
        count(*) filter (where event = 'received') as applications_received,
        count(*) filter (where event = 'not_met') as threshold_not_met,
        count(*) filter (where event = 'review') as reviews_carried_out,
        count(*) filter (where event = 'recommendations') as reviews_with_recommendations,
        count(*) filter (where event = 'met') as threshold_met,
        count(distinct application_ref) filter (where event in ('not_met', 'review') and received_year < fy)
            as carried_in_applications
    from dated
    group by all
),
intake as (   -- the year's applications (by received date), wherever their decision and review fell
    select authority_code, received_year as fy,
        count(*) filter (where decision = 'not_met') as intake_not_met,
        count(*) filter (where review_date is not null) as intake_reviews,
        count(*) filter (where decision = 'not_met' and review_date is not null
                         and threshold_route = 'discretion') as intake_reviewed_by_discretion
    from apps
    group by all
),
checks as (
    select authority_code, financial_year,
        count(*) filter (where severity = 'contradiction') as contradictions,
        count(*) filter (where severity = 'note') as notes,
        count(distinct application_ref) filter (where check_code = 'met_without_review') as met_without_review
    from mart_statutory_exceptions
    group by all
),
counted as (
    select y.authority_code, format('{}/{:02d}', y.fy, (y.fy + 1) % 100) as financial_year,
        make_date(y.fy, 4, 1) as year_start_date, make_date(y.fy + 1, 3, 31) as year_end_date,
        make_date(y.fy + 1, 3, 31) <= cast($as_of as date) as is_complete_year,
        coalesce(c.applications_received, 0) as applications_received,
        coalesce(c.threshold_not_met, 0) as threshold_not_met,
        coalesce(c.reviews_carried_out, 0) as reviews_carried_out,
        coalesce(c.reviews_with_recommendations, 0) as reviews_with_recommendations,
        coalesce(c.threshold_met, 0) as threshold_met,
        coalesce(c.carried_in_applications, 0) as carried_in_applications,
        coalesce(c.threshold_not_met + c.reviews_carried_out <= c.applications_received, true) as counts_add_up,
        coalesce(i.intake_not_met, 0) as intake_not_met,
        coalesce(i.intake_reviews, 0) as intake_reviews,
        coalesce(i.intake_reviewed_by_discretion, 0) as intake_reviewed_by_discretion,
        coalesce(i.intake_not_met + i.intake_reviews - i.intake_reviewed_by_discretion
                 <= c.applications_received, true) as intake_adds_up,
        coalesce(k.met_without_review, 0) as met_without_review,
        coalesce(k.contradictions, 0) as contradictions,
        coalesce(k.notes, 0) as notes,
        cast($as_of as date) as as_of_date
    from years as y
    left join counts as c using (authority_code, fy)
    left join intake as i using (authority_code, fy)
    left join checks as k
        on k.authority_code = y.authority_code
        and k.financial_year = format('{}/{:02d}', y.fy, (y.fy + 1) % 100)
),
compared as (   -- the frozen published figures beside the current ones
    select c.*, p.authority_code is not null as is_frozen,
        p.applications_received as published_applications_received,
        p.threshold_not_met as published_threshold_not_met,
        p.reviews_carried_out as published_reviews_carried_out,
        p.reviews_with_recommendations as published_reviews_with_recommendations,
        p.published_date, p.published_by,
        nullif(concat_ws('; ',
            case when p.applications_received <> c.applications_received
                 then format('applications received: published {}, now {}', p.applications_received,
                             c.applications_received) end,
            case when p.threshold_not_met <> c.threshold_not_met
                 then format('threshold not met: published {}, now {}', p.threshold_not_met,
                             c.threshold_not_met) end,
            case when p.reviews_carried_out <> c.reviews_carried_out
                 then format('reviews carried out: published {}, now {}', p.reviews_carried_out,
                             c.reviews_carried_out) end,
            case when p.reviews_with_recommendations <> c.reviews_with_recommendations
                 then format('reviews with recommendations: published {}, now {}',
                             p.reviews_with_recommendations, c.reviews_with_recommendations) end
        ), '') as restatement
    from counted as c
    left join published as p using (authority_code, financial_year)
),
final as (
    select * exclude (restatement), restatement is not null as is_restated, restatement,
        contradictions = 0 and intake_adds_up as is_consistent
    from compared
)
select * from final
