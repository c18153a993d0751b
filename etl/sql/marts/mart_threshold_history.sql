-- People near or at the victim threshold at each month end, per authority, and how many became
-- eligible (crossed the threshold) during the month: read from the timeline, so each month end
-- uses the counts and rule that applied that day.
with bounds as (
    select date_trunc('month', min(reported_date)) as first_month, date_trunc('month', $as_of) as last_month
    from int_complaints
),
month_ends as (
    select least(last_day(m.month), cast($as_of as date)) as month_end, cast(m.month as date) as month_start
    from bounds, lateral (select unnest(generate_series(first_month, last_month, interval 1 month)) as month) m
),
relevant as (   -- the timeline keeps only spells near or at a threshold, so the join is small
    select * from int_threshold_timeline
),
status as (   -- a person (whatever related group took them there) is met if any group is
    select t.authority_code, m.month_end, t.person_id, bool_or(t.is_met) as is_met
    from relevant t
    join month_ends m on m.month_end >= t.from_date and m.month_end < t.to_date
    group by all
),
at_month_end as (
    select authority_code, month_end,
        count(*) filter (where is_met) as met_people,
        count(*) filter (where not is_met) as near_miss_people
    from status group by all
),
crossed as (
    select t.authority_code, m.month_end, count(distinct t.person_id) as newly_met_people
    from int_threshold_timeline t
    join month_ends m on t.from_date between m.month_start and m.month_end
    where t.is_crossing
    group by all
),
grid as (
    select a.authority_code, m.month_end from authorities a, month_ends m
),
final as (
    select g.authority_code, g.month_end,
        coalesce(s.near_miss_people, 0) as near_miss_people,
        coalesce(s.met_people, 0) as met_people,
        coalesce(c.newly_met_people, 0) as newly_met_people
    from grid g
    left join at_month_end s using (authority_code, month_end)
    left join crossed c using (authority_code, month_end)
)
select * from final order by authority_code, month_end
