-- The reports that could be one incident with another (DESIGN.md, "The same incident reported
-- to several organisations"): identified reports of the same person and authority, from
-- different organisations (source, agency), with the same known ASB type (neither 'other' nor
-- missing: those match nothing, etl/transform/dedupe.py), occurred at most $days days
-- apart and, when both have a point, within $distance_m metres. Only the person-and-authority
-- groups holding such a pair are returned (every identified report of those groups), for the
-- anchored grouping in etl/transform/dedupe.py. Anonymous reports never merge.
-- The pairs are found by an equi-join on ($days + 1)-day buckets of the occurred date (a report
-- meets the earlier ones of its own bucket and of the one before, the only buckets that can hold
-- a date at most $days days before its own), then the exact conditions: a person's reports of
-- one type are not all paired with each other (that self-join took most of the de-duplication).
-- The join reads a narrow copy of the reports whose person, authority and type are 64-bit hashes
-- (`keyed`): joining on the texts took 26 s of a ten-million build, this 14 s. Two groups whose
-- hashes collide could only add a group to these candidates, never a merge: the anchored pass
-- compares the person, authority and type themselves, and every other condition, again. A report
-- never pairs with itself: its own organisation is excluded (and report_id is unique), so the
-- narrow copy carries no report_id (a 30-character text on six million rows).
with reports as not materialized (   -- read twice: the pairs' narrow copy, then the paired groups' rows
    select report_id, person_key, authority_code, source, agency, incident_ref, asb_type,
           occurred_date, reported_date, pt_easting as easting, pt_northing as northing
    from _reports
    where person_key is not null
),
keyed as (   -- what the pairs need, narrow: the person and authority (and type) as 64-bit hashes
    select source, agency, occurred_date, easting, northing,
           date_diff('day', date '1970-01-01', occurred_date) // ($days + 1) as bucket,
           hash(person_key, authority_code) as pid, hash(person_key, authority_code, asb_type) as typed_pid
    from reports
    where asb_type is not null and asb_type <> 'other'
),
pairs as (
    select distinct r.pid
    from (select *, unnest([bucket, bucket - 1]) as near_bucket from keyed) as r
    join keyed as a
      on a.typed_pid = r.typed_pid
     and a.bucket = r.near_bucket
     and (a.source <> r.source or a.agency <> r.agency)
     and a.occurred_date between r.occurred_date - $days and r.occurred_date
     and (a.easting is null or r.easting is null
          or (a.easting - r.easting) ^ 2 + (a.northing - r.northing) ^ 2 <= $distance_m ^ 2)
),
final as (
    select r.* from reports as r
    semi join pairs as p on p.pid = hash(r.person_key, r.authority_code)
)
select * from final
