-- Complaints: incidents (after cross-agency de-duplication) with an identified person, each with
-- the rule in force on the day it was made. Anonymous reports are never a person's complaint.
-- drops_out_date is the first evaluation date whose window (D - window, D] no longer holds it:
-- the day after last_counting_day (warehouse.sql); hate_drops_out_date the same for the hate
-- rule's own window. related_group is what the rule relates complaints by (related_by: any = '',
-- category = its ASB category, case = its case_ref, else the incident itself: a complaint with no
-- case relates to no other). person_authority_id is a 64-bit hash of (person_key,
-- authority_code, related_group), a cheap key to sort on.
-- Stored as a view over int_complaint_rows: the rules are joined when it is read.
with complaints as (   -- int_complaint_rows: these columns of incidents, sorted by reported_date
    select incident_id, person_key, authority_code, reported_date, occurred_date, asb_category,
           asb_type, agency, agencies, is_hate, hate_from, hate_known_from, h3_r9, case_ref,
           review_explained_date
    from int_complaint_rows
),
ruled as (   -- the rule version in force on the day (a range join: far faster than asof here)
    select c.*, r.rule_id, r.window_months, r.qualifying_report_months, r.hate_window_months,
           r.related_by
    from complaints c
    join settings_rules r
      on r.authority_code = c.authority_code
     and c.reported_date >= r.effective_from and c.reported_date < r.effective_to
),
final as (
    select *,
        case related_by when 'category' then coalesce(asb_category, '')
                        when 'case' then coalesce(case_ref, 'incident ' || incident_id)
                        else '' end as related_group,
        hash(person_key, authority_code, related_group) as person_authority_id,
        reported_date <= occurred_date + to_months(qualifying_report_months) as is_qualifying,
        last_counting_day(reported_date, window_months) + 1 as drops_out_date,
        last_counting_day(reported_date, hate_window_months) + 1 as hate_drops_out_date
    from ruled
)
select * from final
