-- Who has met, or nearly met, the victim threshold as of $as_of (DESIGN.md threshold rules):
-- a complaint qualifies when made within qualifying_report_months of the behaviour and its
-- reported_date lies in ($as_of - window, $as_of]; met at victim_threshold qualifying complaints
-- (or hate_threshold qualifying hate complaints where set), near-miss one short. The rule is
-- the one in force on $as_of. window_expires_date = oldest qualifying complaint + window months.
with rules as (
    select * from settings_rules where $as_of >= effective_from and $as_of < effective_to
),
qualifying as (
    select c.person_key, c.authority_code, c.reported_date, c.is_hate, r.rule_id,
           r.victim_threshold, r.hate_threshold, r.window_months
    from incidents c
    join rules r using (authority_code)
    where c.person_key is not null
      and c.reported_date <= $as_of
      -- a constant floor (the longest window in any rule) lets the scan skip old rows early
      and c.reported_date > cast($as_of as date) - to_months((select max(window_months) from settings_rules))
      and c.reported_date > $as_of - to_months(r.window_months)
      and c.reported_date <= c.occurred_date + to_months(r.qualifying_report_months)
),
people as (
    select person_key, authority_code,
        any_value(rule_id) as rule_id, any_value(victim_threshold) as victim_threshold,
        any_value(hate_threshold) as hate_threshold, any_value(window_months) as window_months,
        count(*) as qualifying_complaints,
        count(*) filter (where is_hate) as qualifying_hate_complaints,
        min(reported_date) as oldest_complaint_date,
        max(reported_date) as latest_complaint_date
    from qualifying
    group by person_key, authority_code
),
judged as (
    select *,
        qualifying_complaints >= victim_threshold
            or (hate_threshold > 0 and qualifying_hate_complaints >= hate_threshold) as is_threshold_met
    from people
),
crossings as (
    select person_authority_id, min(from_date) as first_met_date, max(from_date) as latest_crossing_date
    from int_threshold_timeline
    where is_crossing and from_date <= $as_of
    group by person_authority_id
),
applied as (   -- an application about these complaints: received since the window before the oldest
    select distinct a.person_key, a.authority_code
    from applications a
    join judged j using (person_key, authority_code)
    where a.received_date <= $as_of
      and a.received_date > j.oldest_complaint_date - to_months(j.window_months)
),
final as (
    select j.person_key, j.authority_code, j.qualifying_complaints, j.qualifying_hate_complaints,
        j.is_threshold_met,
        not j.is_threshold_met and j.qualifying_complaints = j.victim_threshold - 1 as is_near_miss,
        cast(j.oldest_complaint_date + to_months(j.window_months) as date) as window_expires_date,
        c.first_met_date,
        case when j.is_threshold_met then c.latest_crossing_date end as met_since_date,
        ap.person_key is not null as has_application,
        j.oldest_complaint_date, j.latest_complaint_date, j.victim_threshold, j.hate_threshold,
        j.window_months, j.rule_id, cast($as_of as date) as as_of_date
    from judged j
    left join crossings c on c.person_authority_id = hash(j.person_key, j.authority_code)
    left join applied ap using (person_key, authority_code)
)
select * from final
