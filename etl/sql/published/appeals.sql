-- Published OPCC appeals: one row per appeal_ref, each resolving to an application.
insert into appeals
with final as (
    select appeal_ref, application_ref, authority_code, received_date, appellant,
           consent_letter = 'Y' as consent_letter, grounds, outcome, decision_date,
           coalesce(review_type, 'appeal') as review_type,
           coalesce(decision_reviewed, case grounds when 'threshold_decision' then 'threshold_decision'
                                                    when 'review_process' then 'review_outcome'
                                                    else 'action_plan' end) as decision_reviewed,
           referred_back = 'Y' as referred_back, referral_result, referral_result_date,
           source, source_file, source_row
    from _keyed where key_rank = 1
)
select * from final order by appeal_ref
