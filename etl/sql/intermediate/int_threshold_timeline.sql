-- Each person's qualifying count through time, per authority (and related group, see
-- int_complaints): a row per interval in which the counts are constant, from a complaint (+1) or a
-- complaint dropping out of its window (-1; the hate count has its own window, and counts a
-- complaint from the day it became a hate incident: int_complaint_rows hate_from) to the next such
-- day, or a change of rule (a zero event, so a new threshold applies from its date).
-- is_met uses the rule in force on the interval's first day; is_crossing marks the first day of
-- a spell at or above the threshold (met now, not met with the day before's count and rule).
-- Only intervals at the threshold or one short are kept: all that status and history need (one
-- short is at least one complaint: under a local threshold of one, no complaint is no near-miss).
-- The person is carried as its 64-bit person_id, not the person_key text, and a complaint's
-- count and hate count start in one event: grouping the events with the text, four a complaint,
-- took most of the build's threshold stage at ten million incidents (it spilled).
-- hated is read twice and not materialised (a table of six million complaints: 2-3 s more).
with hated as not materialized (   -- hate_counted: a hate incident on some day of its hate window
                                   -- (from hate_from, the day a report said so: mostly its own
                                   -- reported_date, else that of a report merged into it later)
    select *, coalesce(hate_from < hate_drops_out_date, false) as hate_counted
    from int_complaints where is_qualifying
),
events as (   -- a complaint's hate drop-out is an event only when it counted as hate (else it changes
              -- nothing: 5.6 million of the scale-55 demo's 17 million events, for 28,678 hate ones)
    select person_authority_id, hash(person_key, authority_code) as person_id, authority_code,
           unnest(case when hate_counted then [reported_date, drops_out_date, hate_drops_out_date]
                       else [reported_date, drops_out_date] end) as event_date,
           unnest(case when hate_counted then [1, -1, 0] else [1, -1] end) as delta,
           unnest(case when hate_counted then [(hate_from = reported_date)::int, 0, -1] else [0, 0] end)
               as hate_delta
    from hated
    union all   -- a complaint that became a hate incident after it was made: +1 on that day
    select person_authority_id, hash(person_key, authority_code), authority_code, hate_from, 0, 1
    from hated where hate_counted and hate_from > reported_date
    union all
    select distinct c.person_authority_id, hash(c.person_key, c.authority_code), c.authority_code, r.effective_from, 0, 0
    from int_complaints c
    join settings_rules r
      on r.authority_code = c.authority_code
     and r.effective_from > c.reported_date
     and r.effective_from < greatest(c.drops_out_date, c.hate_drops_out_date)
    where c.is_qualifying
),
running as (   -- one row per person and day with events: the window's peers (the day's other
               -- events) summed by range frames, and the day's last row kept. Grouping the events
               -- by day first cost a hash table of eleven million rows that merged only 39,000
               -- (2 of the 7 s of this statement at ten million incidents).
    select person_authority_id, event_date, authority_code, person_id,
        sum(delta) over (w range between unbounded preceding and current row) as qualifying_count,
        sum(hate_delta) over (w range between unbounded preceding and current row) as hate_count,
        sum(delta) over (w range between current row and current row)::integer as delta,
        sum(hate_delta) over (w range between current row and current row)::integer as hate_delta,
        lead(event_date, 1, date '9999-12-31') over w as next_date
    from events
    window w as (partition by person_authority_id order by event_date)
    qualify next_date <> event_date   -- the day's last row: the next row is the next day's
),
ruled as (
    select t.*, r.rule_id, r.victim_threshold, r.hate_threshold,
           p.victim_threshold as prev_victim_threshold, p.hate_threshold as prev_hate_threshold
    from running t
    join settings_rules r
      on r.authority_code = t.authority_code
     and t.event_date >= r.effective_from and t.event_date < r.effective_to
    left join settings_rules p
      on p.authority_code = t.authority_code
     and t.event_date - 1 >= p.effective_from and t.event_date - 1 < p.effective_to
),
judged as (
    select *,
        qualifying_count >= victim_threshold
            or (hate_threshold > 0 and hate_count >= hate_threshold) as is_met,
        coalesce(qualifying_count - delta >= prev_victim_threshold
            or (prev_hate_threshold > 0 and hate_count - hate_delta >= prev_hate_threshold), false)
            as was_met
    from ruled
),
final as (
    select person_authority_id, person_id, authority_code,
        event_date as from_date, next_date as to_date,
        qualifying_count, hate_count, is_met, is_met and not was_met as is_crossing,
        victim_threshold, rule_id
    from judged
    where is_met or (qualifying_count = victim_threshold - 1 and qualifying_count > 0)   -- one short: of 1 or more
)
select * from final
