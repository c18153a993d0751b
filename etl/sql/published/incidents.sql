-- Published incidents: one row per anchor (a report no other report joined), with what its
-- members add (DESIGN.md contract): the earliest reported_date, hate if any report says so (not
-- hate if one says no and none yes, unknown if none says either), and
-- every agency and source that had it; the rest (occurred date, place, category, type) is the
-- anchor's. Only merged incidents need the member aggregate; the rest had one report.
-- No final sort: ten million wide rows would cost a minute, and files arrive roughly by date.
-- A police.uk file's identical records are published once each (`_groups`, gid set, no record
-- number) with their copies apart (warehouse.sql `incidents`); police reports have no person, so
-- they never merge and take no member aggregate.
create or replace temp view _published as
with members as (
    -- the merged reports (only reports with a person merge: etl/transform/dedupe.py), without anchors
    select root as incident_id, string_agg(distinct agency, ',' order by agency) as agencies,
           string_agg(distinct source, ',' order by source) as sources,
           count(*) + 1 as report_count, min(reported_date) as first_reported_date,
           bool_or(is_hate) as any_hate, min(review_explained_date) as first_explained_date
    from _merge_rows
    where root is not null
    group by root
),
firsts as (
    select r.*, null::bigint as gid from _single_reports r anti join _root m using (report_id)
    union all by name
    select g.* exclude (source_row, first_new), null::bigint as source_row,
           g.source || ':' || g.incident_ref as report_id
    from _groups g where g.loc_reject is null
),
final as (
    select f.gid, f.report_id as incident_id, f.authority_code, f.source, f.agency,
           case when m.agencies is null or list_contains(string_split(m.agencies, ','), f.agency)
                then coalesce(m.agencies, f.agency)
                else array_to_string(list_sort(string_split(m.agencies || ',' || f.agency, ',')), ',')
           end as agencies,
           case when m.sources is null or list_contains(string_split(m.sources, ','), f.source)
                then coalesce(m.sources, f.source)
                else array_to_string(list_sort(string_split(m.sources || ',' || f.source, ',')), ',')
           end as sources,
           coalesce(m.report_count, 1) as report_count,
           least(f.reported_date, coalesce(m.first_reported_date, f.reported_date)) as reported_date,
           f.occurred_date, f.asb_category, f.asb_type,
           coalesce(f.in_latitude, f.latitude) as latitude,
           coalesce(f.in_longitude, f.longitude) as longitude,
           f.pt_easting as easting, f.pt_northing as northing,
           f.lsoa_code, f.ward_code, f.h3_r8, f.h3_r9, f.h3_r10, f.location_desc, f.person_key,
           f.victim_type,
           case when f.is_hate or m.any_hate then true
                when f.is_hate = false or m.any_hate = false then false end as is_hate, f.case_ref,
           least(f.review_explained_date, m.first_explained_date) as review_explained_date, f.date_errors,
           -- the outward code of the postcode the partner sent (DE7 of DE7 5RP), for searching lists
           -- (postcode_key is set only for a postcode's shape: etl/transform/locate.py)
           case when length(f.postcode_key) between 5 and 7 then left(f.postcode_key, length(f.postcode_key) - 3)
           end as postcode_district,
           f.source_lsoa_code, f.source_lsoa_authority_code, f.source_file, f.source_row
    from firsts f left join members m on m.incident_id = f.report_id
)
select * from final;

insert into incidents by name select * exclude (gid) from _published where gid is null;
insert into police_incident_groups by name
    select * exclude (incident_id, source_row), incident_id as incident_stem from _published where gid is not null;
insert into police_incident_copies
    select c.gid, c.k, c.source_row from _copies c join _groups g using (gid)
    where g.loc_reject is null and c.k >= g.first_new;
