-- The identified people's incidents (after cross-agency de-duplication), with what the threshold
-- engine reads of them (and the lists of people on the Threshold page: postcode_district), in
-- reported_date order: int_complaints adds the rule in force on each day. Stored sorted so that a
-- scan bounded by dates (an as-of date's window, on a page at another date: etl/marts/registry.py
-- `live`) reads the row groups of those dates alone: DuckDB keeps each row group's least and
-- greatest reported_date, and the published incidents are in no date order (each row group spans
-- a year or two of a ten-million-row warehouse), so before it every such scan read all of them.
-- About 5.5 s of a ten-million build; the engine's own statements gain 2-5 s of it back.
-- hate_from: the first day a report of the incident said it was a hate incident (the day it
-- became one: a report merged into it later, the police's say, makes it one from that report's day,
-- as a build on an earlier date, which rejects that report, has it); hate_known_from: the first day
-- a report said either. As of D the incident is hate when hate_from <= D, not hate when only
-- hate_known_from is, unknown before (incidents.is_hate is the same on the build's own date).
with merged as (   -- the incidents of several reports (incident_merged_reports holds every report of them)
    select incident_id, min(reported_date) filter (where is_hate) as hate_from,
           min(reported_date) filter (where is_hate is not null) as hate_known_from
    from incident_merged_reports
    group by incident_id
),
final as (
    select i.incident_id, i.person_key, i.authority_code, i.reported_date, i.occurred_date, i.asb_category,
           i.asb_type, i.agency, i.agencies, i.is_hate, i.h3_r9, i.case_ref, i.review_explained_date,
           i.postcode_district,
           case when m.incident_id is not null then m.hate_from when i.is_hate then i.reported_date end
               as hate_from,
           case when m.incident_id is not null then m.hate_known_from
                when i.is_hate is not null then i.reported_date end as hate_known_from
    from incidents as i
    left join merged as m using (incident_id)
    where i.person_key is not null
)
select * from final order by reported_date
