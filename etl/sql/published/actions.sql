-- Published action plans: one row per action_ref, each resolving to an application. The authority is
-- the one the action file gave, else its application's; a blank status is completed when the action
-- has a completion date, else open (staging rejected a status that contradicts the date).
insert into actions
with final as (
    select k.action_ref, k.application_ref, coalesce(k.authority_code, a.authority_code) as authority_code,
           k.agency, k.action_type, k.agreed_date, k.due_date, k.completed_date,
           coalesce(k.status, case when k.completed_date is not null then 'completed' else 'open' end) as status,
           k.source, k.source_file, k.source_row
    from _keyed as k left join applications as a using (application_ref)
    where k.key_rank = 1
)
select * from final order by action_ref
