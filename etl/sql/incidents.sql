-- Published incidents: one row per first report, with every agency that had the incident.
insert into incidents
with members as (
    select incident_id, string_agg(distinct agency, ',' order by agency) as agencies,
           count(*) as report_count
    from incident_reports group by incident_id
),
firsts as (
    select * from _reports where merged_into is null
),
final as (
    select f.report_id as incident_id, f.authority_code, f.source, f.agency, m.agencies,
           m.report_count, f.reported_date, f.occurred_date, f.asb_category, f.asb_type,
           coalesce(f.in_latitude, f.latitude) as latitude,
           coalesce(f.in_longitude, f.longitude) as longitude,
           f.pt_easting as easting, f.pt_northing as northing,
           f.lsoa_code, f.ward_code, f.h3_r8, f.h3_r9, f.h3_r10, f.location_desc, f.person_key,
           f.victim_type, f.is_hate, f.case_ref, f.source_lsoa_code, f.source_lsoa_authority_code,
           f.source_file, f.source_row
    from firsts f join members m on m.incident_id = f.report_id
)
select * from final order by reported_date, incident_id
