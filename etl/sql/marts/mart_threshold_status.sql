-- Who has met, or nearly met, the victim threshold as of $as_of (DESIGN.md threshold rules):
-- a complaint qualifies when made within qualifying_report_months of the behaviour (the rule in
-- force the day it was made: int_complaints.is_qualifying, as the timeline and second reports
-- read it) and its reported_date lies in ($as_of - window, $as_of]; met at victim_threshold
-- qualifying complaints (or hate_threshold hate complaints in the hate rule's own window,
-- hate_window_months, where hate_threshold is set: 0 is no hate rule, and the hate count is then
-- of the window's complaints), near-miss one short. Otherwise the rule is the one in force on
-- $as_of. Complaints count together as the rule's related_by says (any: all of them; category: the same ASB category; case: the
-- same case_ref): a person's row shows their furthest-on group. The counted complaints are those
-- in the window, and where the person is met or one short on the hate route (is_hate_route) the
-- hate complaints of the hate window too (older ones when hate_window_months is the longer).
-- window_expires_date is the last day the oldest counted complaint still counts (last_counting_day,
-- in the longer window of the counts it is in). has_application: an
-- application by the person to the authority received on or after that oldest complaint and on
-- or before $as_of (an older one concerned an earlier spell). lead_agency: the rule's, else the
-- agency that took most of the counted complaints (ties: alphabetical). first_met_date: the
-- first day any of the person's groups met it; met_since_date: the row's group's latest crossing.
-- counted_incident_ids: the row's counted complaints (the lists show their partners' references).
-- $every_row: the build stores every row (the contract); a page evaluating another date asks
-- only for the rows it reads (met, near-miss, hate near-miss; etl/marts/registry.py `live_params`).
-- $with_lists: the build gathers each row's complaints (lead_agency, agencies,
-- counted_incident_ids); a page's kept evaluation for another date leaves them null (its counts,
-- dates and order need none of them: gathering them was half the evaluation at ten million
-- incidents) and asks for them for the rows a list shows, with $persons: the items
-- ('<authority_code>|<person_key>') to evaluate, null for everyone (insight/queries/run.py
-- `complete`). A person's row depends on their own complaints, crossings and applications only,
-- so it is the same whoever else is evaluated with it.
with rules as (   -- the rule in force on $as_of, with its windows' first days as dates
    select *,
        cast(cast($as_of as date) - to_months(window_months) as date) as window_after,
        cast(cast($as_of as date) - to_months(hate_window_months) as date) as hate_window_after
    from settings_rules where $as_of >= effective_from and $as_of < effective_to
),
counted as (   -- the complaints counted: qualifying (made within the qualifying period of the rule in
               -- force the day each was made, int_complaints) and in the window, or hate ones in the
               -- hate window where the rule has a hate threshold (0: no hate rule, and the hate
               -- count is of the hate complaints in the window)
    select c.incident_id, c.person_key, c.authority_code, c.reported_date, c.agency, c.agencies,
           case r.related_by when 'category' then coalesce(c.asb_category, '')
                             when 'case' then coalesce(c.case_ref, 'incident ' || c.incident_id)
                             else '' end as related_group,
           c.reported_date > r.window_after as in_window,
           coalesce(c.hate_from <= $as_of, false)   -- a hate incident by $as_of (int_complaint_rows)
               and c.reported_date > (case when r.hate_threshold > 0 then r.hate_window_after else r.window_after end)
               as is_hate_counted
    from int_complaints c
    join rules r using (authority_code)
    where c.is_qualifying
      -- the items as (person, authority) pairs: no text made for each complaint scanned
      and ($persons is null or (c.person_key, c.authority_code)
                               in (select (split_part(p, '|', 2), split_part(p, '|', 1)) from unnest(cast($persons as varchar[])) as t(p)))
      and c.reported_date <= $as_of
      -- a constant floor (the longest window in any rule) lets the scan skip old rows early
      and c.reported_date > (select cast(cast($as_of as date) - to_months(max(greatest(window_months, hate_window_months))) as date)
                             from settings_rules)
      and (c.reported_date > r.window_after
           or (r.hate_threshold > 0 and c.hate_from <= $as_of and c.reported_date > r.hate_window_after))
),
groups as (
    select person_key, authority_code, related_group,
        count(*) filter (where in_window) as qualifying_complaints,
        count(*) filter (where is_hate_counted) as qualifying_hate_complaints,
        min(reported_date) filter (where in_window) as oldest_in_window,
        min(reported_date) filter (where is_hate_counted) as oldest_hate,
        max(reported_date) as latest_complaint_date
    from counted
    group by person_key, authority_code, related_group
),
judged as (
    select g.*, r.rule_id, r.victim_threshold, r.hate_threshold, r.window_months, r.hate_window_months,
        r.related_by, r.lead_agency as rule_lead_agency, r.statute_note,
        r.hate_threshold > 0 and g.qualifying_hate_complaints >= r.hate_threshold as is_hate_threshold_met,
        g.qualifying_complaints >= r.victim_threshold
            or (r.hate_threshold > 0 and g.qualifying_hate_complaints >= r.hate_threshold) as is_threshold_met,
        -- met or one short on the hate route: the hate complaints of its own window are counted too
        r.hate_threshold > 0 and g.qualifying_hate_complaints >= greatest(r.hate_threshold - 1, 1) as is_hate_route,
        case when is_hate_route then least(g.oldest_in_window, g.oldest_hate)
             else coalesce(g.oldest_in_window, g.oldest_hate) end as oldest_complaint_date
    from groups g join rules r using (authority_code)
),
expiring as materialized (   -- the last day the oldest counted complaint still counts, in any count it is counted in
    select *,
        case when is_hate_route
             then greatest(case when oldest_in_window = oldest_complaint_date
                                then last_counting_day(oldest_complaint_date, window_months) end,
                           case when oldest_hate = oldest_complaint_date
                                then last_counting_day(oldest_complaint_date, hate_window_months) end)
             when oldest_in_window is not null then last_counting_day(oldest_in_window, window_months)
             else last_counting_day(oldest_hate, hate_window_months) end as window_expires_date
    from judged
),
best as (   -- one row per person and authority: the group furthest on (a rule relating every
            -- complaint, related_by any, makes one group per person and authority: no ranking)
    select * from expiring where related_by = 'any'
    union all
    select * from expiring where related_by <> 'any'
    qualify row_number() over (partition by person_key, authority_code
                               order by is_threshold_met desc, qualifying_complaints desc,
                                        qualifying_hate_complaints desc, oldest_complaint_date,
                                        related_group) = 1
),
kept as (   -- the rows a page reads ($every_row: all of them, as the build stores)
    select * from best
    where $every_row or is_threshold_met
       or (not is_threshold_met and qualifying_complaints = victim_threshold - 1)
       or (not is_threshold_met and hate_threshold >= 2 and qualifying_hate_complaints = hate_threshold - 1)
),
known as (   -- the agencies as of $as_of of incidents another organisation also reported later
    select * from agencies_as_of($as_of) where $with_lists
),
details as (   -- the kept rows' counted complaints: agencies and incident ids
    select c.person_key, c.authority_code, c.related_group,
        -- one list of the counted complaints, sorted once (oldest first, then by incident id)
        list_sort(list({'reported': c.reported_date, 'id': c.incident_id, 'agency': c.agency,
                        'agencies': coalesce(n.agencies, c.agencies)})) as complaints
    from counted c
    join kept k using (person_key, authority_code, related_group)
    left join known n using (incident_id)
    -- the complaints in the window; the hate window's too on the hate route, or when the group
    -- has none in the window (as oldest_complaint_date counts them)
    where $with_lists and (c.in_window or (c.is_hate_counted and (k.is_hate_route or k.oldest_in_window is null)))
    group by all
),
kept_ids as (   -- the kept rows' keys, each hash made once
    select person_key, authority_code, related_group, hash(person_key, authority_code) as person_id,
           hash(person_key, authority_code, related_group) as person_authority_id
    from kept
),
group_crossings as (   -- per related group (person_authority_id): its first and latest crossing
    select person_id, person_authority_id, max(from_date) as latest_crossing_date,
           min(from_date) as first_crossing_date
    from int_threshold_timeline
    where is_crossing and from_date <= $as_of
      and person_id in (select person_id from kept_ids)   -- the rows made only
    group by person_id, person_authority_id
),
crossed as (   -- per kept row: its group's latest crossing and the person's first (any group's);
               -- joined to the kept rows by their own keys, not by hashes made again from them
               -- (joining the wide kept rows to the crossings by hash: 0.58 s against 0.50 s for a page's
               -- evaluation for another date at ten million incidents, issue 15)
    select k.person_key, k.authority_code, k.related_group, g.latest_crossing_date,
           (select min(p.first_crossing_date) from group_crossings p where p.person_id = k.person_id)
               as first_met_date
    from kept_ids k
    left join group_crossings g using (person_authority_id)
),
applied as (   -- an application about these complaints: on or after the oldest counted one
    select distinct a.person_key, a.authority_code
    from applications a
    join kept b using (person_key, authority_code)
    where a.received_date <= $as_of
      and a.received_date >= b.oldest_complaint_date
),
final as (
    select b.person_key, b.authority_code, b.qualifying_complaints, b.qualifying_hate_complaints,
        b.is_threshold_met,
        not b.is_threshold_met and b.qualifying_complaints = b.victim_threshold - 1 as is_near_miss,
        b.window_expires_date,
        c.first_met_date,
        case when b.is_threshold_met then c.latest_crossing_date end as met_since_date,
        ap.person_key is not null as has_application,
        b.oldest_complaint_date, b.latest_complaint_date, b.victim_threshold, b.hate_threshold,
        b.window_months, b.rule_id, cast($as_of as date) as as_of_date,
        b.is_hate_threshold_met,
        not b.is_threshold_met and b.hate_threshold >= 2
            and b.qualifying_hate_complaints = b.hate_threshold - 1 as is_hate_near_miss,
        b.hate_window_months, b.related_by, b.related_group,
        -- the rule's lead agency, else the agency with most counted complaints (ties: alphabetical)
        coalesce(nullif(b.rule_lead_agency, ''),
                 list_sort(list_transform(list_distinct(list_transform(d.complaints, lambda x: x.agency)),
                                          lambda a: {'n': -len(list_filter(d.complaints, lambda x: x.agency = a)),
                                                     'agency': a}))[1].agency)
            as lead_agency,
        array_to_string(list_sort(list_distinct(flatten(list_transform(d.complaints, lambda x: string_split(x.agencies, ','))))), ',')
            as agencies,
        b.statute_note, list_transform(d.complaints, lambda x: x.id) as counted_incident_ids
    from kept b
    left join details d using (person_key, authority_code, related_group)   -- none without $with_lists
    left join crossed c using (person_key, authority_code, related_group)
    left join applied ap using (person_key, authority_code)
)
select * from final
