-- Published case review applications: one row per application_ref.
insert into applications
with final as (
    select application_ref, authority_code, person_key,
           on_behalf = 'Y' as on_behalf, consent_received = 'Y' as consent_received,
           received_date, acknowledged_date, threshold_route, decision, decision_date,
           decision_notified_date, review_date, outcome, recommendations_count,
           outcome_notified_date, action_plan_closed_date,
           independent_chair = 'Y' as independent_chair, victim_attended = 'Y' as victim_attended,
           date_errors,
           source, source_file, source_row
    from _keyed where key_rank = 1
)
select * from final order by application_ref
