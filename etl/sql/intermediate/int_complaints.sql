-- Complaints: incidents (after cross-agency de-duplication) with an identified person, each with
-- the rule in force on the day it was made. Anonymous reports are never a person's complaint.
-- drops_out_date is the first evaluation date whose window (D - window, D] no longer holds it:
-- reported_date + window months, one day later when month-end clamping shortened it
-- (31 August + 6 months = 28 February, which still counts it; 1 March does not).
-- person_authority_id is a 64-bit hash of (person_key, authority_code), a cheap key to sort on.
-- Stored as a view: computed in a second from incidents, so ten million rows are not written twice.
with complaints as (
    select incident_id, person_key, authority_code, reported_date, occurred_date, asb_category,
           asb_type, agencies, is_hate, h3_r9
    from incidents
    where person_key is not null
),
ruled as (   -- the rule version in force on the day (a range join: far faster than asof here)
    select c.*, r.rule_id, r.window_months, r.qualifying_report_months
    from complaints c
    join settings_rules r
      on r.authority_code = c.authority_code
     and c.reported_date >= r.effective_from and c.reported_date < r.effective_to
),
final as (
    select *,
        hash(person_key, authority_code) as person_authority_id,
        reported_date <= occurred_date + to_months(qualifying_report_months) as is_qualifying,
        cast(reported_date + to_months(window_months) as date)
            + case when day(reported_date + to_months(window_months)) <> day(reported_date) then 1 else 0 end
            as drops_out_date
    from ruled
)
select * from final
