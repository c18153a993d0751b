-- The same incident reported to several agencies counts once (DESIGN.md threshold rules):
-- same person, same ASB type, a different agency, reported within 1 day of each other, and
-- within $distance_m m when both reports have a point. A report joins the earliest matching
-- report (ordered by reported_date, source, incident_ref); chains are followed to their first
-- report in etl/transform/publish.py. Anonymous reports never merge: nothing says two are one incident.
with reports as (
    select report_id, person_key, asb_type, agency, reported_date,
           pt_easting as easting, pt_northing as northing,
           {'d': reported_date, 's': source, 'r': incident_ref} as report_order
    from _reports
    where person_key is not null
),
matches as (
    select r.report_id,
           arg_min(a.report_id, a.report_order) as first_match
    from reports r
    join reports a
      on a.person_key = r.person_key
     and a.asb_type is not distinct from r.asb_type
     and a.agency <> r.agency
     and a.reported_date between r.reported_date - 1 and r.reported_date
     and a.report_order < r.report_order
     and (a.easting is null or r.easting is null
          or (a.easting - r.easting) ^ 2 + (a.northing - r.northing) ^ 2 <= $distance_m ^ 2)
    group by r.report_id
),
final as (
    select report_id, first_match from matches
)
select * from final
