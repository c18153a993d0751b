-- The reports that could be one incident with another (DESIGN.md, "The same incident reported
-- to several organisations"): identified reports of the same person and authority, from
-- different organisations (source, agency), with the same ASB type, occurred at most $days days
-- apart and, when both have a point, within $distance_m metres. Only the person-and-authority
-- groups holding such a pair are returned (every identified report of those groups), for the
-- anchored grouping in etl/transform/dedupe.py. Anonymous reports never merge.
-- The pairs are found by an equi-join on ($days + 1)-day buckets of the occurred date (a report
-- meets the earlier ones of its own bucket and of the one before, the only buckets that can hold
-- a date at most $days days before its own), then the exact conditions: a person's reports of
-- one type are not all paired with each other (that self-join took most of the de-duplication).
with reports as (
    select report_id, person_key, authority_code, source, agency, incident_ref, asb_type,
           occurred_date, reported_date, pt_easting as easting, pt_northing as northing,
           date_diff('day', date '1970-01-01', occurred_date) // ($days + 1) as bucket
    from _reports
    where person_key is not null
),
pairs as (
    select distinct r.person_key, r.authority_code
    from (select *, unnest([bucket, bucket - 1]) as near_bucket from reports) as r
    join reports as a
      on a.person_key = r.person_key
     and a.bucket = r.near_bucket
     and a.authority_code is not distinct from r.authority_code
     and a.asb_type is not distinct from r.asb_type
     and (a.source <> r.source or a.agency <> r.agency)
     and a.occurred_date between r.occurred_date - $days and r.occurred_date
     and a.report_id <> r.report_id
     and (a.easting is null or r.easting is null
          or (a.easting - r.easting) ^ 2 + (a.northing - r.northing) ^ 2 <= $distance_m ^ 2)
),
final as (
    select r.* from reports as r
    semi join pairs as p
      on p.person_key = r.person_key and p.authority_code is not distinct from r.authority_code
)
select * from final
