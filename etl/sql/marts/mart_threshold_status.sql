-- Who has met, or nearly met, the victim threshold as of $as_of (DESIGN.md threshold rules):
-- a complaint qualifies when made within qualifying_report_months of the behaviour and its
-- reported_date lies in ($as_of - window, $as_of]; met at victim_threshold qualifying complaints
-- (or hate_threshold hate complaints in the hate rule's own window, hate_window_months, where
-- set), near-miss one short. The rule is the one in force on $as_of. Complaints count together
-- as the rule's related_by says (any: all of them; category: the same ASB category; case: the
-- same case_ref): a person's row shows their furthest-on group. window_expires_date is the last
-- day the oldest counted complaint still counts (last_counting_day). has_application: an
-- application by the person to the authority received on or after that oldest complaint and on
-- or before $as_of (an older one concerned an earlier spell). lead_agency: the rule's, else the
-- agency that took most of the counted complaints (ties: alphabetical). first_met_date: the
-- first day any of the person's groups met it; met_since_date: the row's group's latest crossing.
-- counted_incident_ids: the row's counted complaints (the lists show their partners' references).
with rules as (
    select * from settings_rules where $as_of >= effective_from and $as_of < effective_to
),
counted as (
    select c.incident_id, c.person_key, c.authority_code, c.reported_date, c.agency, c.agencies, r.rule_id,
           r.victim_threshold, r.hate_threshold, r.window_months, r.hate_window_months, r.related_by,
           r.lead_agency as rule_lead_agency, r.statute_note,
           case r.related_by when 'category' then coalesce(c.asb_category, '')
                             when 'case' then coalesce(c.case_ref, 'incident ' || c.incident_id)
                             else '' end as related_group,
           c.reported_date > $as_of - to_months(r.window_months) as in_window,
           coalesce(c.is_hate, false) and c.reported_date > $as_of - to_months(r.hate_window_months) as is_hate_counted
    from incidents c
    join rules r using (authority_code)
    where c.person_key is not null
      and c.reported_date <= $as_of
      -- a constant floor (the longest window in any rule) lets the scan skip old rows early
      and c.reported_date > cast($as_of as date) - to_months((select max(greatest(window_months, hate_window_months))
                                                               from settings_rules))
      and (c.reported_date > $as_of - to_months(r.window_months)
           or (c.is_hate and c.reported_date > $as_of - to_months(r.hate_window_months)))
      and c.reported_date <= c.occurred_date + to_months(r.qualifying_report_months)
),
groups as (
    select person_key, authority_code, related_group,
        any_value(rule_id) as rule_id, any_value(victim_threshold) as victim_threshold,
        any_value(hate_threshold) as hate_threshold, any_value(window_months) as window_months,
        any_value(hate_window_months) as hate_window_months, any_value(related_by) as related_by,
        any_value(rule_lead_agency) as rule_lead_agency, any_value(statute_note) as statute_note,
        count(*) filter (where in_window) as qualifying_complaints,
        count(*) filter (where is_hate_counted) as qualifying_hate_complaints,
        min(reported_date) filter (where in_window) as oldest_in_window,
        min(reported_date) filter (where is_hate_counted) as oldest_hate,
        max(reported_date) as latest_complaint_date,
        string_agg(distinct agencies, ',') as agency_lists,
        list(incident_id order by reported_date, incident_id) as counted_incident_ids
    from counted
    group by person_key, authority_code, related_group
),
judged as (
    select *,
        hate_threshold > 0 and qualifying_hate_complaints >= hate_threshold as is_hate_threshold_met,
        qualifying_complaints >= victim_threshold
            or (hate_threshold > 0 and qualifying_hate_complaints >= hate_threshold) as is_threshold_met,
        coalesce(oldest_in_window, oldest_hate) as oldest_complaint_date,
        case when oldest_in_window is not null then last_counting_day(oldest_in_window, window_months)
             else last_counting_day(oldest_hate, hate_window_months) end as window_expires_date
    from groups
),
best as (   -- one row per person and authority: the group furthest on
    select * from judged
    qualify row_number() over (partition by person_key, authority_code
                               order by is_threshold_met desc, qualifying_complaints desc,
                                        qualifying_hate_complaints desc, oldest_complaint_date,
                                        related_group) = 1
),
lead as (
    select c.person_key, c.authority_code,
        first(c.agency order by c.n desc, c.agency) as top_agency
    from (select person_key, authority_code, related_group, agency, count(*) as n
          from counted group by all) c
    join best b using (person_key, authority_code, related_group)
    group by all
),
crossings as (   -- per related group (person_authority_id): its latest crossing, and the person's first
    select person_id, person_authority_id, max(from_date) as latest_crossing_date,
           min(min(from_date)) over (partition by person_id) as first_met_date
    from int_threshold_timeline
    where is_crossing and from_date <= $as_of
    group by person_id, person_authority_id
),
applied as (   -- an application about these complaints: on or after the oldest counted one
    select distinct a.person_key, a.authority_code
    from applications a
    join best b using (person_key, authority_code)
    where a.received_date <= $as_of
      and a.received_date >= b.oldest_complaint_date
),
final as (
    select b.person_key, b.authority_code, b.qualifying_complaints, b.qualifying_hate_complaints,
        b.is_threshold_met,
        not b.is_threshold_met and b.qualifying_complaints = b.victim_threshold - 1 as is_near_miss,
        b.window_expires_date,
        f.first_met_date,
        case when b.is_threshold_met then c.latest_crossing_date end as met_since_date,
        ap.person_key is not null as has_application,
        b.oldest_complaint_date, b.latest_complaint_date, b.victim_threshold, b.hate_threshold,
        b.window_months, b.rule_id, cast($as_of as date) as as_of_date,
        b.is_hate_threshold_met,
        not b.is_threshold_met and b.hate_threshold >= 2
            and b.qualifying_hate_complaints = b.hate_threshold - 1 as is_hate_near_miss,
        b.hate_window_months, b.related_by, b.related_group,
        coalesce(nullif(b.rule_lead_agency, ''), l.top_agency) as lead_agency,
        array_to_string(list_sort(list_distinct(string_split(b.agency_lists, ','))), ',') as agencies,
        b.statute_note, b.counted_incident_ids
    from best b
    left join lead l using (person_key, authority_code)
    left join (select distinct person_id, first_met_date from crossings) f
           on f.person_id = hash(b.person_key, b.authority_code)
    left join crossings c on c.person_authority_id = hash(b.person_key, b.authority_code, b.related_group)
    left join applied ap using (person_key, authority_code)
)
select * from final
