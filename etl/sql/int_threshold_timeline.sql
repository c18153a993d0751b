-- Each person's qualifying count through time, per authority: a row per interval in which the
-- count is constant, from a complaint (+1) or a complaint dropping out of the window (-1) to the
-- next such day, or a change of rule (a zero event, so a new threshold applies from its date).
-- is_crossing marks the first day of a spell at or above the threshold; the threshold is the
-- rule in force on the interval's first day.
with events as (
    select person_key, authority_code, reported_date as event_date, 1 as delta, is_hate::int as hate_delta
    from int_complaints where is_qualifying
    union all
    select person_key, authority_code, drops_out_date, -1, -(is_hate::int)
    from int_complaints where is_qualifying
    union all
    select distinct c.person_key, c.authority_code, r.effective_from, 0, 0
    from int_complaints c
    join settings_rules r
      on r.authority_code = c.authority_code
     and r.effective_from > c.reported_date and r.effective_from < c.drops_out_date
    where c.is_qualifying
),
daily as (
    select person_key, authority_code, event_date, sum(delta) as delta, sum(hate_delta) as hate_delta
    from events group by all
),
running as (
    select person_key, authority_code, event_date,
        sum(delta) over w as qualifying_count,
        sum(hate_delta) over w as hate_count,
        lead(event_date, 1, date '9999-12-31') over w as next_date
    from daily
    window w as (partition by person_key, authority_code order by event_date
                 rows between unbounded preceding and current row)
),
judged as (
    select t.*, r.rule_id, r.victim_threshold,
        t.qualifying_count >= r.victim_threshold
            or (r.hate_threshold > 0 and t.hate_count >= r.hate_threshold) as is_met
    from running t
    join settings_rules r
      on r.authority_code = t.authority_code
     and t.event_date >= r.effective_from and t.event_date < r.effective_to
),
final as (
    select person_key, authority_code, event_date as from_date, next_date as to_date,
        qualifying_count, hate_count, is_met,
        is_met and not coalesce(lag(is_met) over (partition by person_key, authority_code
                                                  order by event_date), false) as is_crossing,
        victim_threshold, rule_id
    from judged
)
select * from final
