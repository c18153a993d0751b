-- Every second-report event, whatever the as-of date (DESIGN.md threshold rules, contract;
-- statutory guidance July 2025): a qualifying complaint c of a person with exactly one earlier
-- qualifying complaint of theirs (ordered by reported_date, then incident id) in the same
-- authority in (c.reported_date - 6 months, c.reported_date]: the guidance's six months, whatever
-- the window of the rule in force (a local rule's other window, warned as non-statutory, changes
-- when the threshold is met, not which reports are second reports). Whether c is an event depends
-- only on complaints made on or before its own day, so the events as of a date D are the rows
-- with second_report_date <= D (mart_second_reports), and a page asking for another date reads
-- this table instead of ordering every complaint again.
-- explanations: each review_explained_date (an optional incidents column) on any of the person's
-- incidents in that authority on or after the event's day (every partner's, on a merged incident),
-- with the day its report was made, earliest first. As of D the explanation is the earliest one dated on or before D on
-- an incident reported by D (a build as of D has no incident reported later: it would be a
-- future_date reject there), else none yet.
with q as (
    select incident_id, person_key, authority_code, reported_date, agency, agencies, rule_id
    from int_complaints
    where is_qualifying
),
ordered as (   -- each complaint with the person's two before it (reported_date, then incident id)
    select *,
        lag(reported_date, 1) over w as prev_date, lag(incident_id, 1) over w as prev_incident_id,
        lag(agencies, 1) over w as prev_agencies, lag(reported_date, 2) over w as prev2_date
    from q
    window w as (partition by person_key, authority_code order by reported_date, incident_id)
),
pairs as (   -- the earlier ones inside c's window are the latest few: exactly one when the one
             -- before is inside and the one before that is not
    select incident_id, person_key, authority_code, reported_date, agency, agencies, rule_id,
           prev_date as first_report_date, prev_incident_id as first_incident_id,
           prev_agencies as first_agencies
    from ordered
    where prev_date > reported_date - to_months(6)
      and (prev2_date is null or prev2_date <= reported_date - to_months(6))
),
told as (   -- the few incidents that carry an explanation date, read once: a merged incident's
            -- from each of its reports (the incident keeps the earliest, which may predate the
            -- event while a later partner's follows it), each known from its report's own day
    select person_key, authority_code, review_explained_date, reported_date
    from incidents
    where review_explained_date is not null and person_key is not null and report_count = 1
    union all
    select i.person_key, i.authority_code, m.review_explained_date, m.reported_date
    from incident_merged_reports as m
    join incidents as i using (incident_id)
    where m.review_explained_date is not null and i.person_key is not null
),
explained as (   -- and the day each was reported: as of D only those reported by D are known
    select p.incident_id,
        list({'explained': i.review_explained_date, 'reported': i.reported_date}
             order by i.review_explained_date, i.reported_date) as explanations
    from pairs p
    join told i
      on i.person_key = p.person_key and i.authority_code = p.authority_code
     and i.review_explained_date >= p.reported_date
    group by p.incident_id
),
final as (
    select p.person_key, p.authority_code, p.reported_date as second_report_date, p.incident_id,
        p.first_report_date, p.first_incident_id, p.agency,
        array_to_string(list_sort(list_distinct(string_split(p.agencies || ',' || p.first_agencies, ','))), ',')
            as agencies,
        -- each incident's own, for a date before a report merged into one of them was made
        -- (mart_second_reports)
        p.first_agencies, p.agencies as second_agencies,
        x.explanations, p.rule_id
    from pairs p
    left join explained x using (incident_id)
)
select * from final
