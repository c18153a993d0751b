"""Named, read-only queries behind every chart and table of the dashboard.

Each function takes an open DuckDB connection (or cursor) on the warehouse and plain filter
values, runs one readable SQL statement (lower-case, a chain of CTEs ending in `final`) and
returns a pandas DataFrame. Period arithmetic (the previous period of equal length, the default
period) and the definitions of the headline measures live here, so pages only lay things out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

# A location counts as "repeat" with this many incidents in the period (H3 resolution 9 cell).
REPEAT_LOCATION_MIN_INCIDENTS = 3


@dataclass(frozen=True)
class Measure:
    column: str
    label: str
    definition: str
    higher_is_worse: bool | None  # None: neither direction is good or bad in itself


MEASURES: tuple[Measure, ...] = (
    Measure("incidents", "ASB incidents", "Distinct incidents (after cross-agency de-duplication) "
            "by reported date.", True),
    Measure("reporting_persons", "Reporting persons", "Distinct pseudonymised people who reported "
            "an incident in the period (anonymous reports excluded).", None),
    Measure("repeat_locations", "Repeat locations", "Map cells of about 0.1 km² (H3 resolution 9) "
            f"with {REPEAT_LOCATION_MIN_INCIDENTS} or more incidents in the period.", True),
    Measure("applications", "Case review applications", "Applications received in the period.", None),
    Measure("threshold_met", "Threshold met", "Applications whose threshold decision, dated in the "
            "period, was 'met'.", None),
    Measure("appeals", "Appeals to the OPCC", "Appeals received by the OPCC in the period.", None),
)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period just before, of equal length: as many whole months when the period is made of
    whole months (so a calendar year compares with the year before), else as many days."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        year, month = divmod(start.year * 12 + start.month - 1 - months, 12)
        return date(year, month + 1, 1), start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def default_period(as_of: date) -> tuple[date, date]:
    """The twelve months that end on the as-of date."""
    try:
        year_before = as_of.replace(year=as_of.year - 1)
    except ValueError:  # 29 February
        year_before = as_of.replace(year=as_of.year - 1, day=28)
    return year_before + timedelta(days=1), as_of


def _df(con, sql: str, params: dict | None = None) -> pd.DataFrame:
    return con.execute(sql, params or {}).df()


def latest_build(con) -> pd.DataFrame:
    """The most recent row of etl_builds (empty when the warehouse holds no build)."""
    return _df(con, """
        with final as (
            select * from etl_builds order by built_at desc limit 1
        )
        select * from final
    """)


_HEADLINE_SQL = """
with periods as (
    select 'current' as period, $start::date as start_date, $end::date as end_date
    union all
    select 'previous', $prev_start::date, $prev_end::date
),
chosen as (
    select authority_code, authority_name from authorities
    where list_contains($codes, authority_code)
    union all
    select null, 'All selected'
),
incident_counts as (
    select p.period, i.authority_code, count(*) as incidents,
           count(distinct i.person_key) as reporting_persons
    from incidents as i
    join periods as p on i.reported_date between p.start_date and p.end_date
    where list_contains($codes, i.authority_code)
    group by grouping sets ((p.period, i.authority_code), (p.period))
),
cell_counts as (
    select p.period, i.authority_code, i.h3_r9, count(*) as cell_incidents
    from incidents as i
    join periods as p on i.reported_date between p.start_date and p.end_date
    where list_contains($codes, i.authority_code) and i.h3_r9 is not null
    group by all
),
repeat_counts as (
    select period, authority_code,
           count(*) filter (where cell_incidents >= $repeat_min) as repeat_locations
    from cell_counts
    group by grouping sets ((period, authority_code), (period))
),
application_counts as (
    select p.period, a.authority_code, count(*) as applications
    from applications as a
    join periods as p on a.received_date between p.start_date and p.end_date
    where list_contains($codes, a.authority_code)
    group by grouping sets ((p.period, a.authority_code), (p.period))
),
met_counts as (
    select p.period, a.authority_code, count(*) as threshold_met
    from applications as a
    join periods as p on a.decision_date between p.start_date and p.end_date
    where list_contains($codes, a.authority_code) and a.decision = 'met'
    group by grouping sets ((p.period, a.authority_code), (p.period))
),
appeal_counts as (
    select p.period, a.authority_code, count(*) as appeals
    from appeals as a
    join periods as p on a.received_date between p.start_date and p.end_date
    where list_contains($codes, a.authority_code)
    group by grouping sets ((p.period, a.authority_code), (p.period))
),
final as (
    select c.authority_code, c.authority_name, p.period,
           coalesce(ic.incidents, 0) as incidents,
           coalesce(ic.reporting_persons, 0) as reporting_persons,
           coalesce(rc.repeat_locations, 0) as repeat_locations,
           coalesce(ac.applications, 0) as applications,
           coalesce(mc.threshold_met, 0) as threshold_met,
           coalesce(apc.appeals, 0) as appeals
    from chosen as c
    cross join periods as p
    left join incident_counts as ic
        on ic.period = p.period and ic.authority_code is not distinct from c.authority_code
    left join repeat_counts as rc
        on rc.period = p.period and rc.authority_code is not distinct from c.authority_code
    left join application_counts as ac
        on ac.period = p.period and ac.authority_code is not distinct from c.authority_code
    left join met_counts as mc
        on mc.period = p.period and mc.authority_code is not distinct from c.authority_code
    left join appeal_counts as apc
        on apc.period = p.period and apc.authority_code is not distinct from c.authority_code
)
select * from final
order by authority_code is null, authority_name, period
"""


def headline(con, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Headline measures per authority (and an 'All selected' row with a null code), with the
    previous period of equal length in `<measure>_previous` columns."""
    prev_start, prev_end = previous_period(start, end)
    long = _df(con, _HEADLINE_SQL, {
        "codes": list(codes), "start": start, "end": end, "prev_start": prev_start,
        "prev_end": prev_end, "repeat_min": REPEAT_LOCATION_MIN_INCIDENTS,
    })
    keys = ["authority_code", "authority_name"]
    current = long[long.period == "current"].drop(columns="period")
    previous = long[long.period == "previous"].drop(columns=["period", "authority_name"])
    wide = current.merge(previous, on="authority_code", suffixes=("", "_previous"), how="left")
    for m in MEASURES:
        wide[f"{m.column}_change"] = wide[m.column] - wide[f"{m.column}_previous"]
    return wide[keys + [c for c in wide.columns if c not in keys]].reset_index(drop=True)


def monthly_incidents(con, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Incidents per calendar month and authority in the period, zero-filled."""
    return _df(con, """
        with months as (
            select unnest(generate_series(date_trunc('month', $start::date),
                                          date_trunc('month', $end::date),
                                          interval 1 month))::date as month
        ),
        chosen as (
            select authority_code, authority_name from authorities
            where list_contains($codes, authority_code)
        ),
        counts as (
            select authority_code, date_trunc('month', reported_date)::date as month,
                   count(*) as incidents
            from incidents
            where reported_date between $start and $end
              and list_contains($codes, authority_code)
            group by all
        ),
        final as (
            select m.month, c.authority_code, c.authority_name,
                   coalesce(n.incidents, 0) as incidents
            from months as m
            cross join chosen as c
            left join counts as n using (month, authority_code)
        )
        select * from final order by month, authority_name
    """, {"codes": list(codes), "start": start, "end": end})


def incident_density(con, codes: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    """Every authority's outline with its incidents and incidents per km² in the period."""
    return _df(con, """
        with counts as (
            select authority_code, count(*) as incidents
            from incidents
            where reported_date between $start and $end
            group by all
        ),
        final as (
            select a.authority_code, a.authority_name, a.area_km2, a.boundary_geojson,
                   coalesce(c.incidents, 0) as incidents,
                   coalesce(c.incidents, 0) / nullif(a.area_km2, 0) as incidents_per_km2,
                   list_contains($codes, a.authority_code) as is_selected
            from authorities as a
            left join counts as c using (authority_code)
        )
        select * from final order by authority_name
    """, {"codes": list(codes), "start": start, "end": end})


def builds(con) -> pd.DataFrame:
    """Every build recorded in the warehouse, newest first."""
    return _df(con, """
        with final as (
            select load_id, built_at, as_of_date, inputs_path, boundaries, incidents, reports,
                   applications, appeals, rejects, build_seconds
            from etl_builds
        )
        select * from final order by built_at desc
    """)


def file_accounting(con) -> pd.DataFrame:
    """Per file of the latest build: rows read, loaded, rejected, merged, and whether they add up."""
    return _df(con, """
        with latest as (
            select load_id from etl_builds order by built_at desc limit 1
        ),
        final as (
            select l.source, l.kind, l.source_file, l.rows_read, l.rows_loaded, l.rows_rejected,
                   l.rows_merged, l.rows_context, l.first_date, l.last_date,
                   l.rows_read = l.rows_loaded + l.rows_rejected + l.rows_merged as is_balanced,
                   l.ignored_columns
            from etl_loads as l
            join latest using (load_id)
        )
        select * from final order by source, source_file
    """)


def rejects_by_reason(con) -> pd.DataFrame:
    """Rejected rows of the latest build counted by source and reason code."""
    return _df(con, """
        with latest as (
            select load_id from etl_builds order by built_at desc limit 1
        ),
        final as (
            select r.source, r.kind, r.reason_code, count(*) as rows_rejected
            from etl_rejects as r
            join latest using (load_id)
            group by all
        )
        select * from final order by rows_rejected desc, source, reason_code
    """)


def rejects(con, sources: tuple[str, ...] = (), reason_codes: tuple[str, ...] = (),
            text: str = "", limit: int = 50_000) -> pd.DataFrame:
    """Rejected rows of the latest build, filtered, with their raw values spread into columns."""
    frame = _df(con, """
        with latest as (
            select load_id from etl_builds order by built_at desc limit 1
        ),
        final as (
            select r.source, r.kind, r.source_file, r.source_row, r.reason_code, r.reason,
                   r.raw_values
            from etl_rejects as r
            join latest using (load_id)
            where (len($sources) = 0 or list_contains($sources, r.source))
              and (len($reasons) = 0 or list_contains($reasons, r.reason_code))
              and ($text = '' or contains(lower(r.reason), lower($text))
                   or contains(lower(r.raw_values), lower($text)))
        )
        select * from final order by source, source_file, source_row limit $limit
    """, {"sources": list(sources), "reasons": list(reason_codes), "text": text.strip(),
          "limit": limit})
    return _spread_raw_values(frame)


def _spread_raw_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Replace the JSON raw_values column by one text column per key that has any value."""
    def parse(value):
        try:
            parsed = json.loads(value) if value else {}
        except ValueError:
            return {"raw": value}
        return parsed if isinstance(parsed, dict) else {"raw": value}

    raw = pd.DataFrame([parse(v) for v in frame["raw_values"]], index=frame.index)
    raw = raw.astype("object").where(raw.notna(), None).astype("string").dropna(axis=1, how="all")
    return pd.concat([frame.drop(columns="raw_values"), raw], axis=1)


def source_freshness(con, as_of: date) -> pd.DataFrame:
    """Per source of the latest build: the last date loaded and how many days it is behind."""
    return _df(con, """
        with latest as (
            select load_id from etl_builds order by built_at desc limit 1
        ),
        per_source as (
            select l.source, l.kind, count(*) as files, sum(l.rows_loaded) as rows_loaded,
                   min(l.first_date) as first_date, max(l.last_date) as last_date
            from etl_loads as l
            join latest using (load_id)
            group by all
        ),
        final as (
            select *, date_diff('day', last_date, $as_of::date) as days_behind
            from per_source
        )
        select * from final order by days_behind desc nulls first, source
    """, {"as_of": as_of})


def source_months(con) -> pd.DataFrame:
    """Rows loaded per source and month (also as a share of the source's busiest month), gaps flagged."""
    return _df(con, """
        with final as (
            select source, kind, source || ' (' || kind || ')' as source_label, month,
                   rows_loaded, is_gap,
                   rows_loaded / nullif(max(rows_loaded) over (partition by source, kind), 0)
                       as share_of_peak
            from mart_source_months
        )
        select * from final order by source, month
    """)
