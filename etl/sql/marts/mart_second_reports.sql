-- Second-report events as of $as_of (DESIGN.md threshold rules, contract; statutory guidance July
-- 2025): agencies must explain the ASB Case Review to every victim who makes a second report of
-- ASB in a six-month period, whether or not the threshold is met. An event is a qualifying
-- complaint c of a person with exactly one earlier qualifying complaint of theirs (ordered by
-- reported_date, then incident id) in the same authority in (c.reported_date - window,
-- c.reported_date], the window being the rule's in force that day. The explanation is the
-- earliest review_explained_date (an optional incidents column) on any of the person's incidents
-- in that authority from the event's day to $as_of; it is in time within sla_explain_days working
-- days. lead_agency: the rule's, else the agency that took the second report (it owes the
-- explanation).
with q as (
    select incident_id, person_key, authority_code, reported_date, agency, agencies, window_months,
           rule_id
    from int_complaints
    where is_qualifying and reported_date <= $as_of
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
    where prev_date > reported_date - to_months(window_months)
      and (prev2_date is null or prev2_date <= reported_date - to_months(window_months))
),
told as (   -- the few incidents that carry an explanation date, read once
    select person_key, authority_code, review_explained_date
    from incidents
    where review_explained_date is not null and review_explained_date <= $as_of and person_key is not null
),
explained as (
    select p.incident_id, min(i.review_explained_date) as review_explained_date
    from pairs p
    join told i
      on i.person_key = p.person_key and i.authority_code = p.authority_code
     and i.review_explained_date >= p.reported_date
    group by p.incident_id
),
ruled as (
    select p.*, x.review_explained_date, r.sla_explain_days, r.lead_agency as rule_lead_agency,
        working_day_index(x.review_explained_date) - working_day_index(p.reported_date) as explained_working_days,
        working_day_index(cast($as_of as date)) - working_day_index(p.reported_date) as elapsed_working_days
    from pairs p
    left join explained x using (incident_id)
    join settings_rules r on r.rule_id = p.rule_id
),
final as (
    select person_key, authority_code, reported_date as second_report_date, incident_id,
        first_report_date, first_incident_id,
        coalesce(nullif(rule_lead_agency, ''), agency) as lead_agency,
        array_to_string(list_sort(list_distinct(string_split(agencies || ',' || first_agencies, ','))), ',')
            as agencies,
        review_explained_date, explained_working_days,
        review_explained_date is not null as is_explained,
        case when review_explained_date is not null then explained_working_days <= sla_explain_days
             when elapsed_working_days > sla_explain_days then false end as is_explained_in_time,
        review_explained_date is null and elapsed_working_days > sla_explain_days as is_overdue,
        sla_explain_days, rule_id, cast($as_of as date) as as_of_date
    from ruled
)
select * from final
