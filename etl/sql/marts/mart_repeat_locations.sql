-- Repeat locations as of $as_of: one row per authority and H3 resolution-10 cell (a cell of
-- about 15,000 m²; police points are snapped, so a cell aggregates them) with an incident in the
-- 365 days (as_of - 365 days, as_of]. Windows are "last N days" ending at as_of, inclusive.
-- A police.uk row carries its month alone (dated the 1st): it counts by whole months, the 30, 90,
-- 180 and 365 days read as the 1, 3, 6 and 12 months to the as-of date's month, on any day of it
-- (by days, as of 31 October the 30 days held none of October's rows, the last 90 days two months
-- against three in the 90 before, and the 365 days eleven months). Its `age` is then 15 days into
-- its month's place: 15, 45, 75, ... 345. The police sources are those of etl_loads, and in the
-- build (before etl_loads is written) those of $month_only.
-- main_location: the cell's most frequent location description (ties: alphabetical first).
-- change_z = 2(sqrt(last 90 days) - sqrt(the 90 days before)); changed when |z| > 2.
-- $top: null for every cell (the build stores them all); n for the n busiest cells of each
-- authority alone (a page at another as-of date, etl/marts/hotspots.py REPEAT_LIST): the cells are
-- counted and ranked first, then the costly columns (distinct reporters, main location, main types)
-- are gathered for the cells kept. `base` is read more than once but not materialised: scanning
-- the year's incidents again is cheaper than writing them to a temporary result.
with month_only as (
    select source from etl_loads where kind = 'police_uk'
    union select unnest($month_only::varchar[])
), base as not materialized (
    select * from (
        select authority_code, h3_r10 as h3_cell, reported_date, asb_type, person_key, location_desc,
               case when source in (select source from month_only)
                    then date_diff('month', reported_date, $as_of::date) * 30 + 15
                    else $as_of::date - reported_date end as age
        from incidents
        where h3_r10 is not null and reported_date <= $as_of::date and reported_date > $as_of::date - 366
    )
    where age < 365
), counted as (
    select authority_code, h3_cell,
           count(*) filter (where age < 30) as incidents_30d,
           count(*) filter (where age < 90) as incidents_90d,
           count(*) filter (where age < 180) as incidents_180d,
           count(*) as incidents_365d,
           count(*) filter (where age >= 90 and age < 180) as incidents_prev_90d,
           min(reported_date) as first_report, max(reported_date) as last_report
    from base group by 1, 2
), ranked as (
    select *, row_number() over (partition by authority_code order by incidents_365d desc, incidents_90d desc, h3_cell) as rank
    from counted
    qualify $top::bigint is null or rank <= $top::bigint
), kept as not materialized (
    select * from base where $top::bigint is null
    union all
    select b.* from base b semi join ranked r using (authority_code, h3_cell) where $top::bigint is not null
), types as (
    select authority_code, h3_cell, string_agg(asb_type, ', ' order by n desc, asb_type) as main_asb_types
    from (select authority_code, h3_cell, asb_type, count(*) as n,
                 row_number() over (partition by authority_code, h3_cell order by count(*) desc, asb_type) as r
          from kept where asb_type is not null group by 1, 2, 3)
    where r <= 3 group by 1, 2
), named as (
    select authority_code, h3_cell, count(distinct person_key) as distinct_reporters,
           mode(location_desc order by location_desc) as main_location
    from kept group by 1, 2
)
select c.authority_code, c.rank, c.h3_cell, incidents_30d, incidents_90d, incidents_180d, incidents_365d,
       incidents_prev_90d, first_report, last_report, t.main_asb_types, n.distinct_reporters, n.main_location,
       2 * (sqrt(incidents_90d) - sqrt(incidents_prev_90d)) as change_z,
       abs(2 * (sqrt(incidents_90d) - sqrt(incidents_prev_90d))) > 2 as changed
from ranked c join named n using (authority_code, h3_cell) left join types t using (authority_code, h3_cell)
