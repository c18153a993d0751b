"""Named, read-only queries behind the Overview page: the headline measures with their change on
the previous period, incidents per month and per km².

Each function takes an open DuckDB connection (or cursor) on the warehouse and plain filter
values, runs one readable SQL statement (lower-case, a chain of CTEs ending in `final`) through
`run` and returns a pandas DataFrame. The measures are `MEASURES`, named and defined in insight/glossary.py.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from etl.marts.hotspots import REPEAT_LOCATION_MIN_INCIDENTS, REPEAT_LOCATION_RESOLUTION
from etl.rules.periods import previous_period
from insight.queries.measures import Measure
from insight.queries.run import run

MEASURES: tuple[Measure, ...] = (  # names and definitions: insight/glossary.py
    Measure("incidents", -1),
    Measure("reporting_persons", 0),
    Measure("repeat_locations", -1),
    Measure("applications", 0),
    Measure("threshold_met", 0),
    Measure("appeals", 0),
)


_REPEAT_CELL = f"h3_r{REPEAT_LOCATION_RESOLUTION}"  # the repeat-location cell column
_HEADLINE_SQL = f"""
with periods as (
    select 'current' as period, $start::date as start_date, $end::date as end_date
    union all
    select 'previous', $prev_start::date, $prev_end::date
),
chosen as (
    select authority_code, authority_name from authorities
    where authority_code = any($codes)
    union all
    select null, 'All selected'
),
dated as (   -- each incident of the two periods with its period (previous_period ends the day
             -- before $start): a CASE, not a range join of ten million rows to the periods
    select case when i.reported_date >= $start::date then 'current' else 'previous' end as period,
           i.authority_code, i.person_key, i.{_REPEAT_CELL} as cell
    from incidents as i
    where i.authority_code = any($codes)
      and i.reported_date between $prev_start::date and $end::date
),
people as (   -- distinct people per period and authority, counted below without a distinct aggregate
    select period, authority_code, person_key from dated where person_key is not null group by all
),
incident_counts as (
    select d.period, d.authority_code, count(*) as incidents
    from dated as d
    group by grouping sets ((d.period, d.authority_code), (d.period))
),
person_counts as (
    select period, authority_code, count(*) as reporting_persons
    from people
    group by period, authority_code
    union all   -- a person who reported in two authorities is one person of the whole selection
    select period, null, count(distinct person_key) from people group by period
),
cell_counts as (   -- per authority, and per place over the whole selection (authority null): a
                   -- place with incidents of two authorities is one place of the selection, a
                   -- repeat location when its incidents together are $repeat_min or more
    select period, authority_code, cell, count(*) as cell_incidents
    from dated
    where cell is not null
    group by grouping sets ((period, authority_code, cell), (period, cell))
),
repeat_counts as (
    select period, authority_code,
           count(*) filter (where cell_incidents >= $repeat_min) as repeat_locations
    from cell_counts
    group by period, authority_code
),
case_events as (
    select 'applications' as measure, authority_code, received_date as event_date from applications
    union all
    select 'threshold_met', authority_code, decision_date from applications where decision = 'met'
    union all  -- an appeal counts under its application's authority, as on the Appeals page (mart_appeals)
    select 'appeals', coalesce(a.authority_code, p.authority_code), p.received_date
    from appeals as p left join applications as a using (application_ref)
),
case_counts as (
    select p.period, e.authority_code,
           count(*) filter (where e.measure = 'applications') as applications,
           count(*) filter (where e.measure = 'threshold_met') as threshold_met,
           count(*) filter (where e.measure = 'appeals') as appeals
    from case_events as e
    join periods as p on e.event_date between p.start_date and p.end_date
    where e.authority_code = any($codes)
    group by grouping sets ((p.period, e.authority_code), (p.period))
),
final as (
    select c.authority_code, c.authority_name, p.period,
           coalesce(ic.incidents, 0) as incidents,
           coalesce(pc.reporting_persons, 0) as reporting_persons,
           coalesce(rc.repeat_locations, 0) as repeat_locations,
           coalesce(cc.applications, 0) as applications,
           coalesce(cc.threshold_met, 0) as threshold_met,
           coalesce(cc.appeals, 0) as appeals
    from chosen as c
    cross join periods as p
    left join incident_counts as ic
        on ic.period = p.period and ic.authority_code is not distinct from c.authority_code
    left join person_counts as pc
        on pc.period = p.period and pc.authority_code is not distinct from c.authority_code
    left join repeat_counts as rc
        on rc.period = p.period and rc.authority_code is not distinct from c.authority_code
    left join case_counts as cc
        on cc.period = p.period and cc.authority_code is not distinct from c.authority_code
)
select * from final
order by authority_code is null, authority_name, period
"""


def headline(con, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Headline measures per authority (and an 'All selected' row with a null code), with the
    previous period of equal length in `<measure>_previous` columns."""
    prev_start, prev_end = previous_period(start, end)
    long = run(con, _HEADLINE_SQL, {
        "codes": list(codes), "start": start, "end": end, "prev_start": prev_start,
        "prev_end": prev_end, "repeat_min": REPEAT_LOCATION_MIN_INCIDENTS,
    })
    keys = ["authority_code", "authority_name"]
    current = long[long.period == "current"].drop(columns="period")
    previous = long[long.period == "previous"].drop(columns=["period", "authority_name"])
    wide = current.merge(previous, on="authority_code", suffixes=("", "_previous"), how="left")
    for m in MEASURES:
        wide[f"{m.column}_change"] = wide[m.column] - wide[f"{m.column}_previous"]
    return wide[keys + [c for c in wide.columns if c not in keys]].reset_index(drop=True)


def monthly_incidents(con, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Incidents per calendar month and authority in the period, zero-filled, with the first and
    last day of the month that the period holds (`first_day`, `last_day`: the first and last months
    may be cut; the disclosure rule hides a month of fewer than 28 days from a viewer without
    person-level rights), and `has_data`: whether the month lies within the authority's data, from
    the month of its first incident to that of its last (a month outside holds 0 incidents, which
    is no data rather than no ASB: the chart draws it as a gap). The flag tells nothing a 0 does
    not: the months before the first incident are those of 0 before the first month that has any."""
    return run(con, """
        with months as (
            select unnest(generate_series(date_trunc('month', $start::date),
                                          date_trunc('month', $end::date),
                                          interval 1 month))::date as month
        ),
        chosen as (
            select authority_code, authority_name from authorities
            where authority_code = any($codes)
        ),
        counts as (
            select authority_code, date_trunc('month', reported_date)::date as month,
                   count(*) as incidents
            from incidents
            where reported_date between $start and $end
              and authority_code = any($codes)
            group by all
        ),
        spans as (   -- each authority's data, in months (any date, not the period's alone)
            select authority_code, date_trunc('month', min(reported_date))::date as first_month,
                   date_trunc('month', max(reported_date))::date as last_month
            from incidents
            where authority_code = any($codes)
            group by authority_code
        ),
        final as (
            select m.month, c.authority_code, c.authority_name,
                   coalesce(n.incidents, 0) as incidents,
                   greatest(m.month, $start::date) as first_day, least(last_day(m.month), $end::date) as last_day,
                   coalesce(m.month between s.first_month and s.last_month, false) as has_data
            from months as m
            cross join chosen as c
            left join counts as n using (month, authority_code)
            left join spans as s using (authority_code)
        )
        select * from final order by month, authority_name
    """, {"codes": list(codes), "start": start, "end": end})


def incident_density(con, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Every authority's outline with, for the selected ones (`is_selected`), its incidents and
    incidents per km² in the period; the others' figures are null (drawn grey, no figures). Only
    the selected authorities are counted: the access rules judge a call by the authorities it asks
    for (insight/access/roles.py), so a council manager who selects their own authority alone, for
    a period of a day, must not get the other eight's counts of that day beside it."""
    return run(con, """
        with counts as (
            select authority_code, count(*) as incidents
            from incidents
            where reported_date between $start and $end
              and authority_code = any($codes)
            group by all
        ),
        final as (
            select a.authority_code, a.authority_name, a.area_km2, a.boundary_geojson,
                   case when a.authority_code = any($codes) then coalesce(c.incidents, 0) end as incidents,
                   case when a.authority_code = any($codes)
                        then coalesce(c.incidents, 0) / nullif(a.area_km2, 0) end as incidents_per_km2,
                   a.authority_code = any($codes) as is_selected
            from authorities as a
            left join counts as c using (authority_code)
        )
        select * from final order by authority_name
    """, {"codes": list(codes), "start": start, "end": end})
