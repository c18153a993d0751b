-- Freshness and gaps: rows loaded per source and month (a report merged into another agency's
-- incident is counted where it was merged, etl_merged, not here: the grid agrees with the files'
-- loaded counts). For incident feeds, a month inside the source's span with no rows received is a
-- gap (for police files: a month whose file had no ASB rows); case review applications, appeals
-- and action plans are rare, so an empty month there is not a gap.
with counted as (
    select source, 'incidents' as kind, date_trunc('month', reported_date) as month,
           count(*) filter (where not is_merged) as n, count(*) as received
    from incident_reports group by all
    union all
    select source, 'applications', date_trunc('month', received_date), count(*), count(*) from applications group by all
    union all
    select source, 'appeals', date_trunc('month', received_date), count(*), count(*) from appeals group by all
    union all
    select source, 'actions', date_trunc('month', agreed_date), count(*), count(*) from actions group by all
),
seen as (   -- months a source covered, whatever the rows were (police context rows included)
    select source, kind, month from counted
    union
    select source, 'incidents', month from police_crimes
),
spans as (
    select source, kind, min(month) as first_month, max(month) as last_month from seen group by all
),
months as (
    select s.source, s.kind, cast(m.month as date) as month
    from spans s, lateral (select unnest(generate_series(s.first_month, s.last_month, interval 1 month)) as month) m
),
final as (
    select m.source, m.kind, m.month, coalesce(c.n, 0) as rows_loaded,
           coalesce(c.received, 0) = 0 and m.kind = 'incidents' as is_gap
    from months m left join counted c on c.source = m.source and c.kind = m.kind and c.month = m.month
)
select * from final order by source, kind, month
