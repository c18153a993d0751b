-- The identified people's incidents (after cross-agency de-duplication), with what the threshold
-- engine reads of them (and the lists of people on the Threshold page: postcode_district), in
-- reported_date order: int_complaints adds the rule in force on each day. Stored sorted so that a
-- scan bounded by dates (an as-of date's window, on a page at another date: etl/marts/registry.py
-- `live`) reads the row groups of those dates alone: DuckDB keeps each row group's least and
-- greatest reported_date, and the published incidents are in no date order (each row group spans
-- a year or two of a ten-million-row warehouse), so before it every such scan read all of them.
-- About 5.5 s of a ten-million build; the engine's own statements gain 2-5 s of it back.
with final as (
    select incident_id, person_key, authority_code, reported_date, occurred_date, asb_category,
           asb_type, agency, agencies, is_hate, h3_r9, case_ref, review_explained_date, postcode_district
    from incidents
    where person_key is not null
)
select * from final order by reported_date
