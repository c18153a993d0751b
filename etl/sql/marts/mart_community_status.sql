-- The community route as of $as_of, where an authority's rule enables it: distinct identified
-- people reporting related ASB in the window. "Related" (not defined in law) is defined here
-- as the same H3 cell at the rule's resolution (res 9: about 0.1 km2) and the same ASB
-- category. Anonymous reports count for the place (incidents) but are never a distinct
-- reporter. Met at community_threshold reporters, near-miss one or two short. The cluster's
-- window_expires_date is the last day before its reporter count drops: the last counting day of
-- the earliest among each reporter's latest qualifying report.
with rules as (
    select * from settings_rules
    where community_route and $as_of >= effective_from and $as_of < effective_to
),
reports as (
    select i.authority_code, i.asb_category, i.person_key, i.reported_date, r.rule_id,
        r.community_threshold, r.window_months, r.community_h3_resolution,
        case r.community_h3_resolution when 8 then i.h3_r8 when 9 then i.h3_r9 when 10 then i.h3_r10 end
            as cluster_cell  -- settings allow only 8, 9, 10 (etl/rules/settings.py)
    from incidents i
    -- a floor, the longest window of any rule, as a one-row join: DuckDB passes the join's bound
    -- down to the scan (a dynamic filter), which then skips the older row groups; as a scalar
    -- subquery in WHERE it was applied after the scan (0.19 s against 0.11 s at ten million)
    join (select cast(cast($as_of as date) - to_months(max(window_months)) as date) as floor
          from settings_rules) fl on i.reported_date > fl.floor
    join rules r using (authority_code)
    -- whether a report came within the qualifying period is settled the day it was made, by the
    -- rule in force then (as int_complaints.is_qualifying): a later, longer period changes nothing
    join settings_rules q
      on q.authority_code = i.authority_code
     and i.reported_date >= q.effective_from and i.reported_date < q.effective_to
    where i.reported_date <= $as_of
      and i.reported_date > $as_of - to_months(r.window_months)
      and i.reported_date <= i.occurred_date + to_months(q.qualifying_report_months)
      and i.asb_category is not null
),
reporters as (
    select authority_code, cluster_cell, asb_category, person_key, max(reported_date) as latest_report_date
    from reports
    where person_key is not null and cluster_cell is not null
    group by all
),
reporter_counts as (
    select authority_code, cluster_cell, asb_category, count(*) as distinct_reporters,
        min(latest_report_date) as earliest_latest_report
    from reporters group by all
),
clusters as (
    select authority_code, cluster_cell, asb_category, any_value(rule_id) as rule_id,
        any_value(community_threshold) as community_threshold, any_value(window_months) as window_months,
        any_value(community_h3_resolution) as h3_resolution,
        count(*) as incidents, count(*) filter (where person_key is null) as anonymous_reports,
        min(reported_date) as first_report_date, max(reported_date) as last_report_date
    from reports
    where cluster_cell is not null
    group by all
),
final as (
    select c.authority_code, c.cluster_cell, c.h3_resolution, c.asb_category, rc.distinct_reporters,
        c.incidents, c.anonymous_reports, c.first_report_date, c.last_report_date,
        rc.distinct_reporters >= c.community_threshold as is_threshold_met,
        rc.distinct_reporters < c.community_threshold
            and rc.distinct_reporters >= c.community_threshold - 2 as is_near_miss,
        last_counting_day(rc.earliest_latest_report, c.window_months) as window_expires_date,
        c.community_threshold, c.rule_id, cast($as_of as date) as as_of_date
    from clusters c
    join reporter_counts rc using (authority_code, cluster_cell, asb_category)
)
select * from final
