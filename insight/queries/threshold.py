"""Named, read-only queries behind the "Threshold near-misses" page.

Each function takes a DuckDB connection (or cursor) on the warehouse, the as-of date and
authority codes, and runs one SQL statement over the threshold engine's marts. When the as-of
date is the build's, the materialised marts are read; for any other date the engine's own SQL
(etl/sql/marts/mart_*.sql, through `run.source`) is evaluated inline for that date, so the
authority filter reaches the engine's scans. Functions that return one row per
person take `person_codes` (the authorities whose person-level rows the viewer may see, from
`ui.person_level_codes`); counts take every selected authority. Days left and similar date
arithmetic happen here, never on the page.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from insight.queries.run import LIST_LIMIT, run, source

# What the page says about the figures; the numbers come from settings_rules, never from here.
DEFINITIONS = (
    ("Qualifying complaint", "a distinct incident (the same incident reported to several agencies "
     "counts once) reported by the person within the rule's reporting limit of the behaviour, and "
     "reported inside the rolling window that ends on the as-of date. Complaints count toward the "
     "authority where the ASB happened."),
    ("Met", "qualifying complaints at or above the rule's victim threshold (or, where the rule sets "
     "one, hate-incident complaints at or above its hate threshold)."),
    ("Near-miss", "one qualifying complaint short of the victim threshold. The chance to act "
     "expires when the oldest qualifying complaint drops out of the window (window expires)."),
    ("Met, no application", "met the threshold on the as-of date with no case review application "
     "received since the window before their oldest qualifying complaint: candidates for an "
     "automatic review."),
    ("Community route", "only where the authority's rule enables it: distinct identified people "
     "reporting related ASB in the window. Related (not defined in law) means the same H3 map cell "
     "at the rule's resolution (resolution 9 is about 0.1 km², a street or two) and the same ASB "
     "category. A cluster is a near-miss one or two reporters short of the community threshold."),
    ("Anonymous reports", "count for a place (a cluster's incidents), never for a person: they are "
     "nobody's complaint and never a distinct reporter."),
)

_VICTIM_RULE = """
    format('{} qualifying complaints in {} months, reported within {} month{}',
           r.victim_threshold, r.window_months, r.qualifying_report_months,
           case when r.qualifying_report_months = 1 then '' else 's' end)
    || case when r.hate_threshold > 0 then format('; hate: {}', r.hate_threshold) else '' end
"""
_COMMUNITY_RULE = """
    case when r.community_route
         then format('{} distinct reporters of related ASB in {} months (same H3 cell at '
                     'resolution {}, same category); near-miss at {}-{}',
                     r.community_threshold, r.window_months, r.community_h3_resolution,
                     greatest(r.community_threshold - 2, 0), r.community_threshold - 1)
         else 'not used' end
"""


def summary(con, as_of: date, codes: tuple[str, ...]) -> pd.DataFrame:
    """Per selected authority and in total ('All selected', authority_code null): people near and
    at the victim threshold, met without an application, community clusters near and met, with
    the rule in force on `as_of` that produced the figures."""
    status = source(con, as_of, "mart_threshold_status")
    community = source(con, as_of, "mart_community_status")
    return run(con, f"""
        with rules as (
            select r.*, {_VICTIM_RULE} as victim_rule, {_COMMUNITY_RULE} as community_rule
            from settings_rules as r
            where $as_of::date >= r.effective_from and $as_of::date < r.effective_to
              and r.authority_code = any($codes)
        ),
        victims as (
            select authority_code,
                   count(*) filter (where is_near_miss) as near_miss_people,
                   count(*) filter (where is_threshold_met) as met_people,
                   count(*) filter (where is_threshold_met and not has_application)
                       as met_without_application_people
            from {status}
            where authority_code = any($codes)
            group by all
        ),
        clusters as (
            select authority_code,
                   count(*) filter (where is_near_miss) as near_miss_clusters,
                   count(*) filter (where is_threshold_met) as met_clusters
            from {community}
            where authority_code = any($codes)
            group by all
        ),
        per_authority as (
            select a.authority_code, a.authority_name, r.rule_id, r.victim_rule, r.community_rule,
                   r.community_route,
                   coalesce(v.near_miss_people, 0) as near_miss_people,
                   coalesce(v.met_people, 0) as met_people,
                   coalesce(v.met_without_application_people, 0) as met_without_application_people,
                   case when r.community_route then coalesce(c.near_miss_clusters, 0) end
                       as near_miss_clusters,
                   case when r.community_route then coalesce(c.met_clusters, 0) end as met_clusters
            from authorities as a
            join rules as r using (authority_code)
            left join victims as v using (authority_code)
            left join clusters as c using (authority_code)
        ),
        total as (
            select null as authority_code, 'All selected' as authority_name,
                   coalesce(bool_or(community_route), false) as community_route,
                   coalesce(sum(near_miss_people), 0)::bigint as near_miss_people,
                   coalesce(sum(met_people), 0)::bigint as met_people,
                   coalesce(sum(met_without_application_people), 0)::bigint
                       as met_without_application_people,
                   sum(near_miss_clusters)::bigint as near_miss_clusters,
                   sum(met_clusters)::bigint as met_clusters
            from per_authority
        ),
        final as (
            select * from per_authority
            union all by name
            select * from total
        )
        select * from final order by authority_code is null, authority_name
    """, {"as_of": as_of, "codes": list(codes)})


def _person_list(con, as_of: date, person_codes: tuple[str, ...], limit: int, columns: str, where: str,
                 order: str) -> pd.DataFrame:
    """Rows of mart_threshold_status (as of `as_of`) for the viewer's person-level authorities."""
    status = source(con, as_of, "mart_threshold_status")
    return run(con, f"""
        with final as (
            select s.authority_code, a.authority_name, s.person_key, s.qualifying_complaints, {columns}
            from {status} as s
            join authorities as a using (authority_code)
            where {where} and s.authority_code = any($person_codes)
        )
        select * from final order by {order} limit $limit
    """, {"as_of": as_of, "person_codes": list(person_codes), "limit": limit})


def near_miss_work_list(con, as_of: date, person_codes: tuple[str, ...],
                        limit: int = LIST_LIMIT) -> pd.DataFrame:
    """People one qualifying complaint short on `as_of`, soonest window expiry first, with the
    days left to act (window_expires_date - as-of date)."""
    return _person_list(con, as_of, person_codes, limit, """
        s.victim_threshold, s.oldest_complaint_date, s.latest_complaint_date, s.window_expires_date,
        date_diff('day', $as_of::date, s.window_expires_date) as days_left,
        s.first_met_date, s.has_application, s.rule_id""",
        "s.is_near_miss", "window_expires_date, authority_name, person_key")


def met_without_application(con, as_of: date, person_codes: tuple[str, ...],
                            limit: int = LIST_LIMIT) -> pd.DataFrame:
    """People who meet the threshold on `as_of` and have not applied for a case review, the
    longest waiting (earliest met_since_date) first."""
    return _person_list(con, as_of, person_codes, limit, """
        s.qualifying_hate_complaints, s.victim_threshold, s.first_met_date, s.met_since_date,
        date_diff('day', s.met_since_date, $as_of::date) as days_since_met,
        s.oldest_complaint_date, s.latest_complaint_date, s.rule_id""",
        "s.is_threshold_met and not s.has_application", "met_since_date nulls last, authority_name, person_key")


def person_complaints(con, as_of: date, person_codes: tuple[str, ...], authority_code: str,
                      person_key: str) -> pd.DataFrame:
    """One person's complaints to one authority that are inside the window on `as_of`
    (reported on or before it, not yet dropped out), oldest first, with whether each qualifies."""
    return run(con, """
        with final as (
            select c.incident_id, c.reported_date, c.occurred_date,
                   date_diff('day', c.occurred_date, c.reported_date) as days_to_report,
                   c.is_qualifying, c.asb_category, c.asb_type, c.agencies, c.is_hate,
                   c.drops_out_date, c.rule_id
            from int_complaints as c
            where c.person_key = $person_key and c.authority_code = $authority_code
              and c.authority_code = any($person_codes)
              and c.reported_date <= $as_of::date and c.drops_out_date > $as_of::date
        )
        select * from final order by reported_date, incident_id
    """, {"as_of": as_of, "person_codes": list(person_codes), "authority_code": authority_code,
          "person_key": person_key})


def history(con, as_of: date, codes: tuple[str, ...]) -> pd.DataFrame:
    """People near and at the victim threshold at each month end up to `as_of`, and people newly
    eligible (crossed the threshold) in each month, summed over the selected authorities."""
    return run(con, """
        with final as (
            select month_end, sum(near_miss_people)::bigint as near_miss_people,
                   sum(met_people)::bigint as met_people,
                   sum(newly_met_people)::bigint as newly_met_people
            from mart_threshold_history
            where authority_code = any($codes) and month_end <= $as_of::date
            group by all
        )
        select * from final order by month_end
    """, {"as_of": as_of, "codes": list(codes)})


def community_clusters(con, as_of: date, codes: tuple[str, ...]) -> pd.DataFrame:
    """Community-route clusters (H3 cell and ASB category) near or at the threshold on `as_of`,
    soonest expiry first, with days left until the reporter count next drops."""
    community = source(con, as_of, "mart_community_status")
    return run(con, f"""
        with final as (
            select c.authority_code, a.authority_name, c.cluster_cell, c.h3_resolution,
                   c.asb_category, c.distinct_reporters, c.community_threshold, c.incidents,
                   c.anonymous_reports, c.first_report_date, c.last_report_date,
                   c.is_threshold_met, c.is_near_miss, c.window_expires_date,
                   date_diff('day', $as_of::date, c.window_expires_date) as days_left, c.rule_id
            from {community} as c
            join authorities as a using (authority_code)
            where (c.is_near_miss or c.is_threshold_met) and c.authority_code = any($codes)
        )
        select * from final
        order by is_threshold_met, window_expires_date, authority_name, cluster_cell, asb_category
    """, {"as_of": as_of, "codes": list(codes)})


def authority_outlines(con, as_of: date, codes: tuple[str, ...]) -> pd.DataFrame:
    """Every authority's outline, whether it is selected and whether its rule on `as_of` uses
    the community route."""
    return run(con, """
        with rules as (
            select authority_code, community_route from settings_rules
            where $as_of::date >= effective_from and $as_of::date < effective_to
        ),
        final as (
            select a.authority_code, a.authority_name, a.boundary_geojson,
                   a.authority_code = any($codes) as is_selected,
                   coalesce(r.community_route, false) as community_route
            from authorities as a
            left join rules as r using (authority_code)
        )
        select * from final order by authority_name
    """, {"as_of": as_of, "codes": list(codes)})
