-- Second-report events as of $as_of (DESIGN.md threshold rules, contract; statutory guidance July
-- 2025): agencies must explain the ASB Case Review to every victim who makes a second report of
-- ASB in a six-month period, whether or not the threshold is met. An event is a qualifying
-- complaint c of a person with exactly one earlier qualifying complaint of theirs (ordered by
-- reported_date, then incident id) in the same authority in (c.reported_date - window,
-- c.reported_date], the window being the rule's in force that day: the events of
-- int_second_reports made on or before $as_of. The explanation is the earliest
-- review_explained_date (an optional incidents column) on any of the person's incidents in that
-- authority reported by $as_of, from the event's day to $as_of; it is in time within
-- sla_explain_days working days.
-- lead_agency: the rule's, else the agency that took the second report (it owes the explanation).
with events as (
    select e.*,
        -- the earliest explanation by $as_of on an incident reported by then (int_second_reports)
        list_filter(e.explanations, lambda x: x.explained <= $as_of and x.reported <= $as_of)[1].explained
            as review_explained_date
    from int_second_reports e
    where e.second_report_date <= $as_of
),
-- known: agencies_as_of (warehouse.sql). Not materialised: DuckDB materialises a CTE read twice,
-- and then no longer passed a reader's date bound down to int_second_reports' scan (the week
-- queue: 0.45 s -> 0.7 s at ten million incidents).
known as not materialized (
    select * from agencies_as_of($as_of)
),
ruled as (
    select e.* replace (case when k.incident_id is null and f.incident_id is null then e.agencies
                             else array_to_string(list_sort(list_distinct(string_split(
                                 coalesce(k.agencies, e.second_agencies) || ',' || coalesce(f.agencies, e.first_agencies),
                                 ','))), ',') end as agencies),
        r.sla_explain_days, r.lead_agency as rule_lead_agency,
        working_day_index(e.review_explained_date) - working_day_index(e.second_report_date)
            as explained_working_days,
        working_day_index(cast($as_of as date)) - working_day_index(e.second_report_date) as elapsed_working_days
    from events e
    join settings_rules r on r.rule_id = e.rule_id
    left join known k on k.incident_id = e.incident_id
    left join known f on f.incident_id = e.first_incident_id
),
final as (
    select person_key, authority_code, second_report_date, incident_id,
        first_report_date, first_incident_id,
        coalesce(nullif(rule_lead_agency, ''), agency) as lead_agency,
        agencies,
        review_explained_date, explained_working_days,
        review_explained_date is not null as is_explained,
        case when review_explained_date is not null then explained_working_days <= sla_explain_days
             when elapsed_working_days > sla_explain_days then false end as is_explained_in_time,
        review_explained_date is null and elapsed_working_days > sla_explain_days as is_overdue,
        sla_explain_days, rule_id, cast($as_of as date) as as_of_date
    from ruled
)
select * from final
