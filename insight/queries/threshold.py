"""Named, read-only queries behind the "Threshold near-misses" page.

Each function takes a DuckDB connection (or cursor) on the warehouse, the as-of date and
authority codes, and runs one SQL statement over the threshold engine's marts. When the as-of
date is the build's, the materialised marts are read; for any other date the engine's own SQL
(etl/sql/marts/mart_*.sql, through `run.source`) is evaluated inline for that date, so the
authority filter reaches the engine's scans. Functions that return one row per
person take `person_codes` (the authorities whose person-level rows the viewer may see, from
`ui.person_level_codes`); counts take every selected authority. Days left and similar date
arithmetic happen here, never on the page.

The person-level lists carry the partners' own references of the complaints behind each row
(`partner_refs`: "<source>: <incident_ref> (case <case_ref>)", the incident ref being the part of
incident_reports.report_id after the first ':'), so a manager can open the case in their own
system; they are read only for incidents of `person_codes` (the SQL filters on them, whatever
the rows). `search` (a partner reference, a case reference or a postcode district) narrows each
list in SQL; `narrow` applies the page's route and days-left filters and its sort.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from insight.queries.run import LIST_LIMIT, complete, run, source

WEEK_DAYS = 7  # "this week": the 7 days to the as-of date (as-of date - 6 .. as-of date)
NEW_REPORT = "second report: explain the case review"
NEW_MET = "met the threshold: case review due"
ROUTES = ("victim", "hate", "community")
SORTS = {"each list's own order": None, "days left, fewest first": "days_left",
         "authority": "authority_name", "route": "route"}

# What the page says about the figures; the numbers come from settings_rules, never from here.
DEFINITIONS = (
    ("Qualifying complaint", "a distinct incident (the same incident reported to several agencies "
     "counts once) reported by the person within the rule's reporting limit of the behaviour, and "
     "reported inside the rolling window that ends on the as-of date. Complaints count toward the "
     "authority where the ASB happened."),
    ("Met", "qualifying complaints at or above the rule's victim threshold (or, where the rule sets "
     "one, hate-incident complaints at or above its hate threshold)."),
    ("Near-miss", "one qualifying complaint short of the victim threshold (route victim), or one hate "
     "complaint short where the rule's hate threshold is 2 or more (route hate). The chance to act "
     "expires after the last day the oldest counted complaint still counts (window expires; days "
     "left = that day - the as-of date, 0 = today is the last day)."),
    ("Related", "which complaints count together (the rule's related_by): any (all of the person's "
     "complaints to the authority, the statutory reading), category (the same ASB category) or case "
     "(the same partner case reference). A person's row shows the group furthest on."),
    ("Met, no application", "met the threshold on the as-of date with no case review application "
     "received on or after their oldest counted complaint (an older application was about an "
     "earlier spell): candidates for an automatic review. Most recently met first."),
    ("Lead agency", "who should make contact: the rule's lead_agency where set, else the agency that "
     "took most of the counted complaints. Where every counted complaint came from the police only, "
     "the council holds no reference of its own: the list says 'contact: <lead agency>'."),
    ("Second report", "a qualifying complaint with exactly one earlier qualifying complaint of the "
     "same person to the same authority in the window before it (statutory guidance, July 2025): "
     "the case review must be explained to the victim, whether or not the threshold is met, within "
     "the rule's sla_explain_days working days. Explained in time / events whose limit has passed."),
    ("Statute", "s.104(4) lets local procedures set the number of complaints (its Explanatory Notes: "
     "no higher than three); s.104(11) fixes the one month and the six months. A rule that departs "
     "is marked ⚠️ with the reason wherever it is shown."),
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
    || case when r.hate_threshold > 0 then format('; hate: {} in {} months', r.hate_threshold,
                                                  r.hate_window_months) else '' end
"""
# The rule as a list shows it: its id, marked when it departs from the statute.
_RULE_LABEL = "case when {t}.statute_note is not null then '⚠️ ' else '' end || {t}.rule_id"
_RELATED = """case {t}.related_by when 'category' then 'same ASB category' when 'case' then 'same case'
                  else 'any complaint' end"""
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
    at the victim threshold (and one hate complaint short), met without an application, community
    clusters near and met, with the rule in force on `as_of` that produced the figures: its id
    (`rule`: marked ⚠️ when it departs from the statute), what it relates complaints by, its lead
    agency, second-report limit and `statute_note` (why it departs, else null)."""
    status = source(con, as_of, "mart_threshold_status")
    community = source(con, as_of, "mart_community_status")
    return run(con, f"""
        with rules as (
            select r.*, {_VICTIM_RULE} as victim_rule, {_COMMUNITY_RULE} as community_rule,
                   {_RULE_LABEL.format(t="r")} as rule, {_RELATED.format(t="r")} as related
            from settings_rules as r
            where $as_of::date >= r.effective_from and $as_of::date < r.effective_to
              and r.authority_code = any($codes)
        ),
        victims as (
            select authority_code,
                   count(*) filter (where is_near_miss) as near_miss_people,
                   count(*) filter (where is_hate_near_miss) as hate_near_miss_people,
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
            select a.authority_code, a.authority_name, r.rule_id, r.rule, r.victim_rule, r.community_rule,
                   r.community_route, r.related_by, r.related, r.lead_agency, r.sla_explain_days,
                   r.statute_note,
                   coalesce(v.near_miss_people, 0) as near_miss_people,
                   coalesce(v.hate_near_miss_people, 0) as hate_near_miss_people,
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
                   coalesce(sum(hate_near_miss_people), 0)::bigint as hate_near_miss_people,
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


def _search_text(search: str) -> str:
    """What `search` matches on: trimmed, lower case ('' matches everything)."""
    return (search or "").strip().lower()


def _list_params(as_of: date, person_codes: tuple[str, ...], limit: int, search: str, **more) -> dict:
    """The parameters of a person-level list: `first` is how many rows get their references looked
    up (the list's own limit, or every row while a search needs them all)."""
    text = _search_text(search)
    return {"as_of": as_of, "person_codes": list(person_codes), "limit": limit, "search": text,
            "first": None if text else limit, **more}


def _references(members: str) -> str:
    """CTEs over `members` (item, authority_code and the incident's incident_id, reported_date,
    case_ref, postcode_district): `refs`, per item, the partners' own references of its complaints
    ("<source>: <incident_ref> (case <case_ref>)", oldest complaint first, '; ' between), their
    postcode districts, and whether `$search` matches one of them (a part of an incident or case
    reference, or a whole postcode district, ignoring case). An incident's first report is the
    incident itself (its incident_id is that report's report_id, '<source>:<incident_ref>'); the
    reports merged into it are incident_reports' merged rows. Only rows of `$person_codes` are
    read: another authority's references are never reached."""
    return f"""
        merged_reports as materialized (   -- the few reports folded into an earlier one, made by the
                                           -- as-of date (a later one did not exist yet then)
            select incident_id, report_id, source from incident_reports
            where is_merged and reported_date <= $as_of::date
        ),
        member_reports as (
            select m.item, m.incident_id, m.reported_date, m.case_ref, m.postcode_district,
                   split_part(m.incident_id, ':', 1) as source,
                   substr(m.incident_id, strpos(m.incident_id, ':') + 1) as incident_ref, true as is_anchor
            from {members} as m
            where m.authority_code = any($person_codes)
            union all
            select m.item, m.incident_id, m.reported_date, m.case_ref, m.postcode_district, r.source,
                   substr(r.report_id, strpos(r.report_id, ':') + 1) as incident_ref, false as is_anchor
            from {members} as m
            join merged_reports as r on r.incident_id = m.incident_id
            where m.authority_code = any($person_codes)
        ),
        refs as (
            select item,
                array_to_string(list_transform(list_sort(list({{
                    'at': reported_date, 'id': incident_id, 'merged': not is_anchor, 'source': source,
                    'ref': incident_ref,
                    'text': source || ': ' || incident_ref
                            || case when is_anchor and case_ref is not null then ' (case ' || case_ref || ')'
                                    else '' end}})), lambda x: x.text), '; ') as partner_refs,
                array_to_string(list_sort(list_distinct(list(postcode_district))), ', ') as postcode_districts,
                bool_or(contains(lower(incident_ref), $search) or contains(lower(coalesce(case_ref, '')), $search)
                        or lower(coalesce(postcode_district, '')) = $search) as is_match
            from member_reports
            group by item
        )"""


def _members(*parts: str) -> str:
    """CTE `members`: the complaints behind each item, with what `_references` needs of each, in
    one join of the complaints' incidents (int_complaint_rows: every complaint is an identified
    person's incident, stored in reported_date order). `parts` are SELECTs of (item, incident_id,
    reported_from): a met or near person's counted complaints (`_counted_ids`), a second report's
    two complaints (`_event_ids`); reported_from is a day on or before the complaint's
    reported_date, so the join reads only the row groups from the earliest of them to the as-of
    date (a one-row join: DuckDB passes its bound down to the scan, as it does not a scalar
    subquery's)."""
    ids = "\n            union all\n            ".join(parts)
    return f"""
        member_ids as materialized (
            {ids}
        ),
        members as materialized (
            select m.item, i.authority_code, i.incident_id, i.reported_date, i.case_ref, i.postcode_district
            from member_ids as m
            join int_complaint_rows as i using (incident_id)
            join (select min(reported_from) as floor from member_ids) as fl on i.reported_date >= fl.floor
            where i.reported_date <= $as_of::date
        )"""


def _counted_ids(rows: str) -> str:
    """(item, incident_id, reported_from) of the complaints the engine counted for each row of
    `rows` (rows of mart_threshold_status: its counted_incident_ids), so the lists never restate
    the rule; every one was made in the longest window of any rule before the as-of date."""
    return (f"select item, unnest(counted_incident_ids) as incident_id, "
            f"(select cast($as_of::date - to_months(max(greatest(window_months, hate_window_months))) as date) "
            f"from settings_rules) as reported_from from {rows}")


def _event_ids(events: str) -> str:
    """(item, incident_id, reported_from) of each second-report event's two complaints (rows of
    mart_second_reports with an `item`), the first report's day bounding both."""
    return (f"select item, incident_id, first_report_date as reported_from from {events} "
            f"union all select item, first_incident_id, first_report_date from {events}")


# Columns every list of people (rows of mart_threshold_status as `s`) shows.
_PERSON_COLUMNS = f"""
    s.window_expires_date, date_diff('day', $as_of::date, s.window_expires_date) as days_left,
    s.lead_agency, s.agencies,
    case when s.agencies = 'police' then 'contact: ' || s.lead_agency end as contact,
    s.related_by, s.rule_id, {_RULE_LABEL.format(t="s")} as rule, s.statute_note"""
_NEAR_ROUTE = """case when s.is_near_miss and s.is_hate_near_miss then 'victim, hate'
                      when s.is_hate_near_miss then 'hate' else 'victim' end"""
_MET_ROUTE = """case when s.qualifying_complaints >= s.victim_threshold and s.is_hate_threshold_met then 'victim, hate'
                     when s.is_hate_threshold_met then 'hate' else 'victim' end"""


def _person_list(con, as_of: date, person_codes: tuple[str, ...], limit: int, columns: str, where: str,
                 order: str, search: str) -> pd.DataFrame:
    """Rows of mart_threshold_status (as of `as_of`) for the viewer's person-level authorities,
    with the partners' references of the complaints counted, narrowed by `search`."""
    params = _list_params(as_of, person_codes, limit, search)
    status, more = complete(con, as_of, "mart_threshold_status", f"""
        select s.authority_code || '|' || s.person_key
        from {{rows}} as s
        join authorities as a using (authority_code)
        where ({where}) and s.authority_code = any($person_codes)
        order by {order}
        limit $first""", params)
    return run(con, f"""
        with rows as materialized (
            select s.authority_code, a.authority_name, s.person_key, s.qualifying_complaints, {columns},
                   {_PERSON_COLUMNS}, s.counted_incident_ids, s.authority_code || '|' || s.person_key as item
            from {status} as s
            join authorities as a using (authority_code)
            where ({where}) and s.authority_code = any($person_codes)
            order by {order}
            limit $first
        ),
        {_members(_counted_ids("rows"))},
        {_references("members")},
        final as (
            select s.* exclude (item, counted_incident_ids), f.partner_refs, f.postcode_districts
            from rows as s
            left join refs as f using (item)
            where $search = '' or f.is_match
        )
        select * from final order by {order} limit $limit
    """, {**params, **more})


def near_miss_work_list(con, as_of: date, person_codes: tuple[str, ...], search: str = "",
                        limit: int = LIST_LIMIT) -> pd.DataFrame:
    """People one qualifying complaint short on `as_of` (route victim), or one hate complaint short
    where the hate threshold is 2 or more (route hate), soonest window expiry first, with the days
    left to act (window_expires_date - as-of date; 0 = today is the last day), the lead agency and
    every agency, 'contact: <lead agency>' where all their complaints came from the police only,
    and the partners' references of the complaints counted."""
    return _person_list(con, as_of, person_codes, limit, f"""
        s.victim_threshold, s.qualifying_hate_complaints, s.hate_threshold, {_NEAR_ROUTE} as route,
        s.oldest_complaint_date, s.latest_complaint_date, s.first_met_date, s.has_application""",
        "s.is_near_miss or s.is_hate_near_miss", "window_expires_date, authority_name, person_key", search)


def met_without_application(con, as_of: date, person_codes: tuple[str, ...], search: str = "",
                            limit: int = LIST_LIMIT) -> pd.DataFrame:
    """People who meet the threshold on `as_of` with no application since their oldest counted
    complaint, the most recently met (latest met_since_date) first: a manager acts on new ones
    first. With the route that took them there, the lead agency and the partners' references."""
    return _person_list(con, as_of, person_codes, limit, f"""
        s.qualifying_hate_complaints, s.victim_threshold, s.hate_threshold, {_MET_ROUTE} as route,
        s.first_met_date, s.met_since_date, date_diff('day', s.met_since_date, $as_of::date) as days_since_met,
        s.oldest_complaint_date, s.latest_complaint_date""",
        "s.is_threshold_met and not s.has_application",
        "met_since_date desc nulls last, authority_name, person_key", search)


# Second-report columns (rows of mart_second_reports as `e`, its rule as `r`).
_EXPLAIN_COLUMNS = f"""
    e.lead_agency, e.agencies,
    case when e.agencies = 'police' then 'contact: ' || e.lead_agency end as contact,
    e.review_explained_date, e.explained_working_days, e.is_explained, e.is_explained_in_time, e.is_overdue,
    e.sla_explain_days,
    case when not e.is_explained and not e.is_overdue
         then e.sla_explain_days - (working_day_index($as_of::date) - working_day_index(e.second_report_date))
    end as explain_working_days_left,
    case when e.is_overdue
         then working_day_index($as_of::date) - working_day_index(e.second_report_date) - e.sla_explain_days
    end as working_days_overdue,
    case when e.is_explained and e.is_explained_in_time then 'explained in time'
         when e.is_explained then 'explained late'
         when e.is_overdue then 'overdue: not explained'
         else 'not explained yet, in time' end as explanation,
    r.related_by, e.rule_id, {_RULE_LABEL.format(t="r")} as rule, r.statute_note"""
_QUEUE_ORDER = "authority_name, is_new desc, happened_date, what, person_key, incident_id"


def week_queue(con, as_of: date, person_codes: tuple[str, ...], search: str = "",
               limit: int = LIST_LIMIT) -> pd.DataFrame:
    """What a manager acts on this week, per authority (authority_name order): first what happened
    in the 7 days to `as_of` (is_new) - second reports (the case review must be explained to the
    victim) and people who met the threshold (met_since_date; a case review is due) - then the
    other second reports still open: not explained and less than six months old (the guidance's
    period, which defines a second report, whatever the rule's window). Each part oldest first (happened_date), with what
    happened, the lead agency, whether and when the victim was told, and the partners' references
    (a second report's two complaints; a met person's counted complaints)."""
    events = source(con, as_of, "mart_second_reports")
    params = _list_params(as_of, person_codes, limit, search)
    status, more = complete(con, as_of, "mart_threshold_status", f"""
        select s.authority_code || '|' || s.person_key from {{rows}} as s
        where s.authority_code = any($person_codes) and s.is_threshold_met
          and s.met_since_date > $as_of::date - {WEEK_DAYS}""", params)
    return run(con, f"""
        with items as (
            select e.authority_code, a.authority_name, e.person_key, 'r|' || e.authority_code || '|' || e.incident_id
                       as item,
                   e.second_report_date > $as_of::date - {WEEK_DAYS} as is_new, e.second_report_date as happened_date,
                   '{NEW_REPORT}' as what, e.incident_id, e.first_incident_id, e.first_report_date,
                   {_EXPLAIN_COLUMNS},
                   null::boolean as has_application, null::date as window_expires_date, null::bigint as days_left,
                   null::varchar as route, null::varchar[] as counted_incident_ids
            from {events} as e
            join settings_rules as r on r.rule_id = e.rule_id
            join authorities as a on a.authority_code = e.authority_code
            -- the earliest day either part below can reach, as a one-row join: DuckDB passes its
            -- bound down to the events' scan, so the older events are never judged (0.08 s of
            -- 0.54 s at ten million incidents, issue 15)
            join (select least($as_of::date - {WEEK_DAYS}, cast($as_of::date - to_months(6) as date)) as floor)
                 as fl on e.second_report_date > fl.floor
            where e.authority_code = any($person_codes)
              and (e.second_report_date > $as_of::date - {WEEK_DAYS}
                   or (not e.is_explained and e.second_report_date > $as_of::date - to_months(6)))
            union all by name
            select s.authority_code, a.authority_name, s.person_key, 'm|' || s.authority_code || '|' || s.person_key
                       as item,
                   true as is_new, s.met_since_date as happened_date, '{NEW_MET}' as what, s.lead_agency, s.agencies,
                   case when s.agencies = 'police' then 'contact: ' || s.lead_agency end as contact,
                   s.has_application, s.window_expires_date,
                   date_diff('day', $as_of::date, s.window_expires_date) as days_left, {_MET_ROUTE} as route,
                   s.related_by, s.rule_id, {_RULE_LABEL.format(t="s")} as rule, s.statute_note, s.counted_incident_ids
            from {status} as s
            join authorities as a using (authority_code)
            where s.authority_code = any($person_codes) and s.is_threshold_met
              and s.met_since_date > $as_of::date - {WEEK_DAYS}
        ),
        picked as materialized (
            select * from items order by {_QUEUE_ORDER} limit $first
        ),
        reports as (
            select * from picked where incident_id is not null
        ),
        met as (
            select * from picked where incident_id is null
        ),
        {_members(_event_ids("reports"), _counted_ids("met"))},
        {_references("members")},
        final as (
            select i.* exclude (item, first_incident_id, counted_incident_ids), f.partner_refs,
                   f.postcode_districts
            from picked as i
            left join refs as f using (item)
            where $search = '' or f.is_match
        )
        select * from final order by {_QUEUE_ORDER} limit $limit
    """, {**params, **more})


_SECOND_ORDER = ("is_explained, case when not is_explained then second_report_date end, second_report_date desc, "
                 "authority_name, person_key, incident_id")


def second_reports(con, as_of: date, person_codes: tuple[str, ...], start: date | None = None,
                   end: date | None = None, search: str = "", limit: int = LIST_LIMIT) -> pd.DataFrame:
    """Second-report events on `as_of` (mart_second_reports) whose second report lies in
    [`start`, `end`] (either open when None): the victims owed an explanation of the case review.
    The unexplained first, the oldest of them first; then the explained, the newest first. With
    the working days left to explain (0 = the last day is today) or, once overdue, the working days
    past the limit, the explanation in words and the partners' references of the two complaints."""
    events = source(con, as_of, "mart_second_reports")
    return run(con, f"""
        with rows as materialized (
            select e.authority_code, a.authority_name, e.person_key, e.second_report_date, e.first_report_date,
                   e.incident_id, e.first_incident_id, {_EXPLAIN_COLUMNS},
                   e.authority_code || '|' || e.incident_id as item
            from {events} as e
            join authorities as a on a.authority_code = e.authority_code
            join settings_rules as r on r.rule_id = e.rule_id
            where e.authority_code = any($person_codes)
              and ($start::date is null or e.second_report_date >= $start::date)
              and ($end::date is null or e.second_report_date <= $end::date)
            order by {_SECOND_ORDER}
            limit $first
        ),
        {_members(_event_ids("rows"))},
        {_references("members")},
        final as (
            select e.* exclude (item), f.partner_refs, f.postcode_districts
            from rows as e
            left join refs as f using (item)
            where $search = '' or f.is_match
        )
        select * from final order by {_SECOND_ORDER} limit $limit
    """, _list_params(as_of, person_codes, limit, search, start=start, end=end))


def _period(alias: str) -> str:
    return (f"($start::date is null or {alias}.second_report_date >= $start::date) "
            f"and ($end::date is null or {alias}.second_report_date <= $end::date)")


def second_report_share(con, as_of: date, codes: tuple[str, ...], start: date | None = None,
                        end: date | None = None) -> pd.DataFrame:
    """Per selected authority and in total ('All selected'): second-report events in [`start`,
    `end`] on `as_of` and the share explained in time = events explained within the rule's
    sla_explain_days working days / events whose limit has passed on `as_of` (more than
    sla_explain_days working days since the second report). Events still inside their limit are
    left out of the share (awaiting, or explained early), so a recent week does not flatter or
    spoil it; limit_passed = explained_in_time + explained_late + not_explained."""
    events = source(con, as_of, "mart_second_reports")
    return run(con, f"""
        with rows as (
            select e.authority_code, e.is_explained, e.is_explained_in_time, e.is_overdue,
                   working_day_index($as_of::date) - working_day_index(e.second_report_date)
                       > e.sla_explain_days as is_limit_passed
            from {events} as e
            where e.authority_code = any($codes) and {_period("e")}
        ),
        counts as (
            select authority_code, count(*) as events,
                   count(*) filter (where is_explained) as explained,
                   count(*) filter (where is_limit_passed) as limit_passed,
                   count(*) filter (where is_limit_passed and is_explained_in_time) as explained_in_time,
                   count(*) filter (where is_explained and not is_explained_in_time) as explained_late,
                   count(*) filter (where is_overdue) as not_explained,
                   count(*) filter (where not is_limit_passed and not is_explained) as awaiting
            from rows
            group by all
        ),
        rules as (
            select authority_code, sla_explain_days from settings_rules
            where $as_of::date >= effective_from and $as_of::date < effective_to
        ),
        per_authority as (
            select a.authority_code, a.authority_name, r.sla_explain_days,
                   coalesce(c.events, 0) as events, coalesce(c.explained, 0) as explained,
                   coalesce(c.limit_passed, 0) as limit_passed,
                   coalesce(c.explained_in_time, 0) as explained_in_time,
                   coalesce(c.explained_late, 0) as explained_late,
                   coalesce(c.not_explained, 0) as not_explained, coalesce(c.awaiting, 0) as awaiting
            from authorities as a
            left join counts as c using (authority_code)
            left join rules as r using (authority_code)
            where a.authority_code = any($codes)
        ),
        total as (
            select null as authority_code, 'All selected' as authority_name,
                   sum(events)::bigint as events, sum(explained)::bigint as explained,
                   sum(limit_passed)::bigint as limit_passed, sum(explained_in_time)::bigint as explained_in_time,
                   sum(explained_late)::bigint as explained_late, sum(not_explained)::bigint as not_explained,
                   sum(awaiting)::bigint as awaiting
            from per_authority
        ),
        final as (
            select *, explained_in_time / nullif(limit_passed, 0) as share_in_time
            from (select * from per_authority union all by name select * from total)
        )
        select * from final order by authority_code is null, authority_name
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def second_report_trend(con, as_of: date, codes: tuple[str, ...], start: date | None = None,
                        end: date | None = None) -> pd.DataFrame:
    """Second-report events per month (of the second report) in [`start`, `end`] on `as_of`,
    summed over the selected authorities, split by what became of them: explained in time,
    explained late, not explained past the limit (overdue), not explained yet but still in time
    (awaiting). Every month of the period, empty ones as zeros, with the first and last day of it
    the period holds (`first_day`, `last_day`: the first month may start, and the last end, inside
    it; the disclosure rule hides a month of fewer than 28 days from a viewer without person-level
    rights, as it hides a period that short)."""
    events = source(con, as_of, "mart_second_reports")
    return run(con, f"""
        with rows as (
            select date_trunc('month', e.second_report_date)::date as month, e.is_explained,
                   e.is_explained_in_time, e.is_overdue
            from {events} as e
            where e.authority_code = any($codes) and {_period("e")}
        ),
        bounds as (
            select date_trunc('month', coalesce($start::date, min(month)))::date as first_month,
                   date_trunc('month', least(coalesce($end::date, $as_of::date), $as_of::date))::date as last_month
            from rows
        ),
        months as (
            select unnest(generate_series(first_month, last_month, interval 1 month))::date as month
            from bounds where first_month is not null and first_month <= last_month
        ),
        counts as (
            select month, count(*) as events,
                   count(*) filter (where is_explained_in_time) as explained_in_time,
                   count(*) filter (where is_explained and not is_explained_in_time) as explained_late,
                   count(*) filter (where is_overdue) as not_explained,
                   count(*) filter (where not is_explained and not is_overdue) as awaiting
            from rows
            group by all
        ),
        final as (
            select m.month, coalesce(c.events, 0) as events,
                   coalesce(c.explained_in_time, 0) as explained_in_time,
                   coalesce(c.explained_late, 0) as explained_late,
                   coalesce(c.not_explained, 0) as not_explained, coalesce(c.awaiting, 0) as awaiting,
                   greatest(m.month, coalesce($start::date, m.month)) as first_day,
                   least(last_day(m.month), coalesce($end::date, $as_of::date), $as_of::date) as last_day
            from months as m
            left join counts as c using (month)
        )
        select * from final order by month
    """, {"as_of": as_of, "codes": list(codes), "start": start, "end": end})


def explanation_sources(con) -> pd.DataFrame:
    """Every partner source of incidents and whether it sends review_explained_date (when the
    case review was explained to the victim). A source sends it when an incident that it alone
    reported carries one; a merged incident's date may have come from any of its sources, so it
    is not credited to one."""
    return run(con, """
        with sources as (
            select distinct source from incident_reports
        ),
        own as (
            select source, count(*) as incidents, count(review_explained_date) as explained_incidents
            from incidents
            where coalesce(sources, source) = source
            group by all
        ),
        final as (
            select s.source, coalesce(o.incidents, 0) as incidents,
                   coalesce(o.explained_incidents, 0) as explained_incidents,
                   coalesce(o.explained_incidents, 0) > 0 as sends_explained_date
            from sources as s
            left join own as o using (source)
        )
        select * from final order by source
    """)


def narrow(frame: pd.DataFrame, routes: tuple[str, ...] = (), max_days_left: int | None = None,
           sort: str | None = None) -> pd.DataFrame:
    """The rows of a list the page's filters keep, in the order asked: a route among `routes`
    (rows without a route, such as second reports, stay), at most `max_days_left` days left (rows
    without days left stay), then sorted by the column `sort` (one of SORTS' values; stable, so
    ties keep the list's own order). A list without that column is left as it is. The frame's
    attributes (the audit tag that logs its download) are kept."""
    out = frame
    if routes and "route" in out.columns:
        wanted = set(routes)
        out = out[out["route"].map(lambda r: not isinstance(r, str) or bool(wanted & set(r.split(", "))))]
    if max_days_left is not None and "days_left" in out.columns:
        out = out[out["days_left"].isna() | (out["days_left"] <= max_days_left)]
    if sort and sort in out.columns:
        out = out.sort_values(sort, kind="stable", na_position="last")
    out = out.reset_index(drop=True)
    out.attrs = dict(frame.attrs)
    return out


def person_complaints(con, as_of: date, person_codes: tuple[str, ...], authority_code: str,
                      person_key: str) -> pd.DataFrame:
    """One person's complaints to one authority that are inside the window on `as_of`
    (reported on or before it, not yet dropped out), and every complaint the engine counted for
    the person's row (counted_incident_ids: the hate window's too, on the hate route), oldest
    first, with whether each qualifies and the partners' own references of each (every report
    merged into it)."""
    params = {"as_of": as_of, "person_codes": list(person_codes), "authority_code": authority_code,
              "person_key": person_key, "search": ""}
    status, more = complete(con, as_of, "mart_threshold_status", """
        select s.authority_code || '|' || s.person_key from {rows} as s
        where s.person_key = $person_key and s.authority_code = $authority_code
          and s.authority_code = any($person_codes)""", params)
    return run(con, f"""
        with counted as (
            select unnest(counted_incident_ids) as incident_id
            from {status} as s
            where s.person_key = $person_key and s.authority_code = $authority_code
        ),
        complaints as (
            select c.incident_id as item, c.incident_id, c.reported_date, c.occurred_date,
                   date_diff('day', c.occurred_date, c.reported_date) as days_to_report,
                   c.is_qualifying, c.asb_category, c.asb_type, coalesce(k.agencies, c.agencies) as agencies,
                   -- a hate incident from the day a report said so (int_complaint_rows hate_from)
                   case when c.hate_from <= $as_of::date then true
                        when c.hate_known_from <= $as_of::date then false end as is_hate,
                   c.drops_out_date, c.drops_out_date - 1 as counts_until, c.rule_id
            from int_complaints as c
            -- the agencies that had each complaint by the as-of date (a report merged into it later
            -- did not exist yet then: warehouse.sql agencies_as_of)
            left join agencies_as_of($as_of::date) as k using (incident_id)
            where c.person_key = $person_key and c.authority_code = $authority_code
              and c.authority_code = any($person_codes)
              and c.reported_date <= $as_of::date
              and (c.drops_out_date > $as_of::date or c.incident_id in (select incident_id from counted))
        ),
        members as (
            select c.item, i.authority_code, i.incident_id, i.reported_date, i.case_ref, i.postcode_district
            from complaints as c
            join incidents as i using (incident_id)
            where i.authority_code = any($person_codes) and i.person_key = $person_key
        ),
        {_references("members")},
        final as (
            select c.* exclude (item), f.partner_refs, f.postcode_districts as postcode_district
            from complaints as c
            left join refs as f using (item)
        )
        select * from final order by reported_date, incident_id
    """, {**params, **more})


def history(con, as_of: date, codes: tuple[str, ...]) -> pd.DataFrame:
    """People near and at the victim threshold at each month end up to `as_of`, and people newly
    eligible (crossed the threshold) in each month, summed over the selected authorities; the last
    point is `as_of` itself, with the people newly eligible from its month's first day, as a build
    on that date stores it. The stored month ends serve; a date no stored point ends on (a
    mid-month date of a warehouse built later) is read from the timeline, as the build's
    mart_threshold_history reads it for its own last day."""
    return run(con, """
        with stored as (
            select authority_code, month_end, near_miss_people, met_people, newly_met_people
            from mart_threshold_history
            where authority_code = any($codes)
              and (month_end < date_trunc('month', $as_of::date) or month_end = $as_of::date)
        ),
        day as (   -- the as-of date's own point, when no stored one ends on it
            select $as_of::date as month_end, date_trunc('month', $as_of::date)::date as month_start
            where not exists (select 1 from mart_threshold_history where month_end = $as_of::date)
              and $as_of::date >= date_trunc('month', (select min(month_end) from mart_threshold_history))
        ),
        status as (   -- a person (whatever related group took them there) is met if any group is
            select t.authority_code, t.person_id, bool_or(t.is_met) as is_met
            from int_threshold_timeline as t, day
            where t.authority_code = any($codes) and day.month_end >= t.from_date and day.month_end < t.to_date
            group by all
        ),
        crossed as (
            select t.authority_code, count(distinct t.person_id) as newly_met_people
            from int_threshold_timeline as t, day
            where t.authority_code = any($codes) and t.is_crossing
              and t.from_date between day.month_start and day.month_end
            group by all
        ),
        live as (
            select a.authority_code, day.month_end,
                   (select count(*) from status s where s.authority_code = a.authority_code and not s.is_met)
                       as near_miss_people,
                   (select count(*) from status s where s.authority_code = a.authority_code and s.is_met) as met_people,
                   coalesce((select c.newly_met_people from crossed c where c.authority_code = a.authority_code), 0)
                       as newly_met_people
            from authorities as a, day
            where a.authority_code = any($codes)
        ),
        final as (
            select month_end, sum(near_miss_people)::bigint as near_miss_people,
                   sum(met_people)::bigint as met_people,
                   sum(newly_met_people)::bigint as newly_met_people
            from (select * from stored union all select * from live)
            group by all
        )
        select * from final order by month_end
    """, {"as_of": as_of, "codes": list(codes)})


def community_clusters(con, as_of: date, codes: tuple[str, ...]) -> pd.DataFrame:
    """Community-route clusters (H3 cell and ASB category) near or at the threshold on `as_of`,
    soonest expiry first, with days left until the reporter count next drops and the rule
    (marked ⚠️ when it departs from the statute)."""
    community = source(con, as_of, "mart_community_status")
    return run(con, f"""
        with final as (
            select c.authority_code, a.authority_name, c.cluster_cell, c.h3_resolution,
                   c.asb_category, c.distinct_reporters, c.community_threshold, c.incidents,
                   c.anonymous_reports, c.first_report_date, c.last_report_date,
                   c.is_threshold_met, c.is_near_miss, c.window_expires_date,
                   date_diff('day', $as_of::date, c.window_expires_date) as days_left, 'community' as route,
                   c.rule_id, {_RULE_LABEL.format(t="r")} as rule, r.statute_note
            from {community} as c
            join authorities as a using (authority_code)
            left join settings_rules as r on r.rule_id = c.rule_id
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
