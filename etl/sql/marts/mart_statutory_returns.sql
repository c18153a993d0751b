-- The four figures each council must publish (ASB, Crime and Policing Act 2014 s.104), per
-- authority and financial year (April-March), as of $as_of (DESIGN.md mart_statutory_returns,
-- contract): applications received (by received date), times the threshold was not met (by
-- decision date), reviews carried out and reviews with recommendations (by review date). Every
-- authority has a row for every year from the first application's to the as-of date's, zeros
-- included. The figures count the applications as recorded, contradictions included, as a
-- published table would. The checks: counts_add_up is the identity a reader of the published
-- table applies (not met + reviews <= received); contradictions and notes count the rows of
-- mart_statutory_exceptions for the year (notes explain counts that do not add up: applications
-- carried in from an earlier year, reviews by discretion after "not met"); is_consistent = the
-- counts add up and no application contradicts itself. Reads mart_review_turnaround and
-- mart_statutory_exceptions (same $as_of).
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
span as (   -- from the first year with an application (or the as-of year) to the as-of year
    select least(coalesce((select min(fy) from dated), y.fy), y.fy) as first_year, y.fy as last_year
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
checks as (
    select authority_code, financial_year,
        count(*) filter (where severity = 'contradiction') as contradictions,
        count(*) filter (where severity = 'note') as notes
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
        coalesce(k.contradictions, 0) as contradictions,
        coalesce(k.notes, 0) as notes,
        cast($as_of as date) as as_of_date
    from years as y
    left join counts as c using (authority_code, fy)
    left join checks as k
        on k.authority_code = y.authority_code
        and k.financial_year = format('{}/{:02d}', y.fy, (y.fy + 1) % 100)
),
final as (
    select *, contradictions = 0 and counts_add_up as is_consistent from counted
)
select * from final
