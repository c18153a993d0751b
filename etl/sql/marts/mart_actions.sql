-- Action plans as of $as_of: one row per action agreed on or before $as_of, under its
-- application's authority (authority_code; action_authority_code keeps what the action file said),
-- with its state on $as_of: cancelled (whenever: the file gives no cancellation date), completed on
-- time (completed on or before its due date), completed late, overdue (not completed and its due
-- date before $as_of) or pending (open, not yet past its due date; due today is not overdue). A
-- completion after $as_of has not happened yet. Working days (England; A counts, B does not):
-- overdue by index($as_of) - index(due), late by index(completed) - index(due), left index(due) -
-- index($as_of), to complete index(completed) - index(agreed). status is the register's on
-- $as_of: a completion after $as_of leaves the action open then. plan_actions: every action of
-- the plan agreed by $as_of, cancelled ones included (each recommendation was given an action,
-- whatever became of it; mart_retriggers' plan_actions, the plan's delivery, leaves them out).
-- data_errors: agreed before the application was received; a plan for a review that made no
-- recommendations; a plan whose number of actions differs from the review's recommendations_count.
with plans as (   -- the actions agreed by $as_of (a later one is not in the plan yet)
    select application_ref, count(*) as plan_actions from actions where agreed_date <= $as_of group by all
),
known as (
    select k.action_ref, k.application_ref, a.authority_code, k.authority_code as action_authority_code,
        k.agency, k.action_type, k.agreed_date, k.due_date,
        case when k.completed_date <= $as_of then k.completed_date end as completed_date,
        -- completed after $as_of: still open on $as_of, whatever the register says now
        case when k.status = 'completed' and not (k.completed_date <= $as_of) then 'open' else k.status end
            as status,
        a.received_date as application_received_date, a.review_date,
        a.outcome as review_outcome, a.recommendations_count, a.outcome_notified_date, p.plan_actions
    from actions as k
    join applications as a using (application_ref)
    join plans as p using (application_ref)
    where k.agreed_date <= $as_of
),
stated as (
    select *,
        case when status = 'cancelled' then 'cancelled'
             when completed_date <= due_date then 'completed_on_time'
             when completed_date is not null then 'completed_late'
             when due_date < $as_of then 'overdue'
             else 'pending' end as state,
        working_day_index(cast($as_of as date)) as i_as_of, working_day_index(due_date) as i_due,
        working_day_index(completed_date) as i_completed, working_day_index(agreed_date) as i_agreed
    from known
),
named as (  -- the authorities' names, for the reasons
    select s.*, n.authority_name as action_authority_name, o.authority_name
    from stated as s
    left join authorities as n on n.authority_code = s.action_authority_code
    left join authorities as o on o.authority_code = s.authority_code
),
final as (
    select action_ref, application_ref, authority_code, action_authority_code, agency, action_type,
        agreed_date, due_date, completed_date, status, state,
        state in ('completed_on_time', 'completed_late') as is_completed,
        state = 'completed_on_time' as is_completed_on_time,
        state = 'overdue' as is_overdue,
        state in ('overdue', 'pending') as is_open,
        case when state = 'overdue' then i_as_of - i_due end as working_days_overdue,
        case when state = 'overdue' then cast($as_of as date) - due_date end as days_overdue,
        case when state = 'completed_late' then i_completed - i_due end as working_days_late,
        case when state = 'pending' then i_due - i_as_of end as working_days_left,
        case when completed_date is not null then i_completed - i_agreed end as working_days_to_complete,
        application_received_date, review_date, review_outcome, recommendations_count, outcome_notified_date,
        plan_actions,
        action_authority_code is distinct from authority_code as is_authority_mismatch,
        nullif(concat_ws('; ',
            case when agreed_date < application_received_date
                 then format('agreed on {}, before {} was received ({})', agreed_date, application_ref,
                             application_received_date) end,
            case when review_outcome is distinct from 'recommendations'
                 then format('the review of {} made no recommendations (outcome: {})', application_ref,
                             coalesce(replace(review_outcome, '_', ' '), 'not recorded')) end,
            case when recommendations_count is not null and plan_actions <> recommendations_count
                 then format('{} action(s) in the plan, {} recommendation(s) made by the review', plan_actions,
                             recommendations_count) end,
            case when action_authority_code is distinct from authority_code
                 then format('the action names {}, the application is {}''s',
                             coalesce(action_authority_name, action_authority_code, 'no authority'),
                             coalesce(authority_name, authority_code)) end
        ), '') as data_errors,
        cast($as_of as date) as as_of_date
    from named
)
select * from final
