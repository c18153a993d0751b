"""Named, read-only queries behind the Hotspots and maps page.

Everything is aggregated in DuckDB before it reaches the page: a map gets one row per H3 cell
or area, never a row per incident (the busiest view, resolution 10, is capped at
`HEX_LIMIT` cells, the busiest first). The incident list behind a selected area is capped at
`INCIDENT_LIMIT` rows and asked for with the viewer's person-level authority codes.

Areas ("kinds"): `authority`, `ward` (every build since the wards were shipped in etl/reference/;
`has_wards` says whether this one has them), `lsoa`, and H3
cells `h3_8`, `h3_9`, `h3_10`. Counts are distinct incidents by reported date in the chosen
period; "previous" is the period of equal length just before (etl/rules/periods.py).
"""

from __future__ import annotations

from datetime import date

import h3
import numpy as np
import pandas as pd

from etl.marts import registry
from etl.marts.hotspots import REPEAT_LIST
from etl.rules.periods import month_end, previous_period
from insight.queries import knox
from insight.queries.run import run, source

HEX_LIMIT = 20_000
INCIDENT_LIMIT = 1_000
KNOX_POINT_LIMIT = 20_000
DEFAULT_RESOLUTION = 9  # the map's hexagon size until a viewer picks another (towns)
RESOLUTIONS = {8: "8 – rural (about 0.7 km²)", 9: "9 – town (about 0.1 km²)", 10: "10 – street (about 0.015 km²)"}

# kind -> (incidents column, reference table, its key column, its name column)
AREA_KINDS = {
    "authority": ("authority_code", "authorities", "authority_code", "authority_name"),
    "ward": ("ward_code", "ref_ward", "ward_code", "ward_name"),
    "lsoa": ("lsoa_code", "ref_lsoa", "lsoa_code", "lsoa_name"),
}


def _column(kind: str) -> str:
    """The incidents column that identifies an area of this kind."""
    if kind in AREA_KINDS:
        return AREA_KINDS[kind][0]
    if kind.startswith("h3_") and int(kind[3:]) in RESOLUTIONS:
        return f"h3_r{int(kind[3:])}"
    raise ValueError(f"unknown kind of area: {kind!r}")


def _periods(start: date, end: date) -> dict:
    prev_start, prev_end = previous_period(start, end)
    return {"start": start, "end": end, "prev_start": prev_start, "prev_end": prev_end}


def _counted_sql(column: str, key: str, also: str | None = None) -> str:
    """Incidents per value of `column` (as `key`) in the period and the previous one; with `also`
    (a column as a name), per value of both."""
    return f"""
            select {column} as {key},{f" {also}," if also else ""}
                   count(*) filter (where reported_date between $start and $end) as incidents,
                   count(*) filter (where reported_date between $prev_start and $prev_end) as previous
            from incidents
            where authority_code = any($codes)
              and reported_date between $prev_start and $end and {column} is not null
            group by all
        """


def _with_change(frame: pd.DataFrame) -> pd.DataFrame:
    frame["change"] = frame["incidents"] - frame["previous"]
    frame["change_pct"] = np.where(frame["previous"] > 0, frame["change"] / frame["previous"].where(
        frame["previous"] > 0), np.nan)
    frame["per_km2"] = frame["incidents"] / frame["area_km2"]
    return frame


def hex_counts(con, codes: tuple[str, ...], start: date, end: date, resolution: int) -> pd.DataFrame:
    """One row per H3 cell with an incident in the period or the previous one: `h3_cell`,
    `incidents`, `previous`, `change`, `change_pct`, `area_km2`, `per_km2`, `lat`, `lon`, `rank`
    (1 = busiest), and what names the place in the period: `main_location` (the most frequent
    location description), `reporters` (distinct pseudonymised people, which the disclosure rule
    needs before it shows a description), `ward_name` and `authority_name` (the most frequent).
    At most HEX_LIMIT rows, the busiest first; `cells_total` says how many there were."""
    column = _column(f"h3_{int(resolution)}")
    frame = run(con, f"""
        with counted as ({_counted_sql(column, "h3_cell")}), ranked as (
            select *, row_number() over (order by incidents desc, previous desc, h3_cell) as rank,
                   count(*) over () as cells_total
            from counted
        ),
        shown as (select * from ranked where rank <= {HEX_LIMIT}),
        named as (
            select i.{column} as h3_cell, mode(i.location_desc order by i.location_desc) as main_location,
                   count(distinct i.person_key) as reporters, mode(i.ward_code order by i.ward_code) as ward_code,
                   mode(i.authority_code order by i.authority_code) as authority_code
            from incidents as i semi join shown as s on s.h3_cell = i.{column}
            where i.authority_code = any($codes) and i.reported_date between $start and $end
            group by 1
        ),
        final as (
            select s.*, n.main_location, coalesce(n.reporters, 0) as reporters, w.ward_name, a.authority_name
            from shown as s
            left join named as n using (h3_cell)
            left join ref_ward as w on w.ward_code = n.ward_code
            left join authorities as a on a.authority_code = n.authority_code
        )
        select * from final order by rank
    """, {**_periods(start, end), "codes": list(codes)})
    frame["area_km2"] = [h3.cell_area(c, "km^2") for c in frame["h3_cell"]]
    centres = [h3.cell_to_latlng(c) for c in frame["h3_cell"]]
    frame["lat"], frame["lon"] = [c[0] for c in centres], [c[1] for c in centres]
    return _with_change(frame)


# wards and LSOAs both divide an authority's incidents: each kind's map is judged with the other's
# (roles.QUERIES "insight.queries.maps.area_counts", `Aggregate.crossed`)
CROSSED_KINDS = {"ward": "lsoa", "lsoa": "ward"}
WITHIN = "within"   # area_counts' column of an area's incidents per area of the other kind


def area_counts(con, codes: tuple[str, ...], start: date, end: date, kind: str) -> pd.DataFrame:
    """One row per area of the kind (authority, ward, lsoa) in the selected authorities, with
    none included: `code`, `name`, `authority_code`, `authority_name`, `area_km2`, `incidents`,
    `previous`, `change`, `change_pct`, `per_km2`, `boundary_geojson`; for a ward or an LSOA also
    `within`: its incidents and previous incidents per area of the other kind (CROSSED_KINDS; a
    null code for those without one), which the disclosure rule reads and never shows."""
    column, table, key, name = AREA_KINDS[kind]
    other = AREA_KINDS[CROSSED_KINDS[kind]][0] if kind in CROSSED_KINDS else None
    counted = _counted_sql(column, "code") if other is None else f"""
            select code, sum(incidents)::bigint as incidents, sum(previous)::bigint as previous,
                   list(struct_pack(code := other, incidents := incidents, previous := previous)
                        order by other nulls last) as {WITHIN}
            from ({_counted_sql(column, "code", also=f"{other} as other")})
            group by 1"""
    frame = run(con, f"""
        with counted as ({counted}), final as (
            select r.{key} as code, r.{name} as name, r.authority_code as authority_code, a.authority_name,
                   r.area_km2, coalesce(c.incidents, 0) as incidents, coalesce(c.previous, 0) as previous,
                   r.boundary_geojson{f", c.{WITHIN}" if other else ""}
            from {table} r
            join authorities a on a.authority_code = r.authority_code
            left join counted c on c.code = r.{key}
            where r.authority_code = any($codes)
        )
        select * from final order by incidents desc, code
    """, {**_periods(start, end), "codes": list(codes)})
    return _with_change(frame)


def data_span(con, codes: tuple[str, ...]) -> pd.DataFrame:
    """First and last reported date of the selected authorities' incidents (one row), and the
    incidents reported in the month of each (`first_month_incidents`, `last_month_incidents`):
    each date is one incident's, so a viewer without person-level rights sees it as its month,
    and only where that month holds at least k incidents (roles.QUERIES, `Aggregate.months`)."""
    return run(con, """
        with picked as (
            select reported_date from incidents where authority_code = any($codes)
        ), span as (
            select min(reported_date) as first_date, max(reported_date) as last_date from picked
        )
        select s.first_date, s.last_date,
               count(p.reported_date) filter (where p.reported_date < date_trunc('month', s.first_date)
                                                                      + interval 1 month) as first_month_incidents,
               count(p.reported_date) filter (where p.reported_date >= date_trunc('month', s.last_date))
                   as last_month_incidents
        from span s left join picked p on true
        group by s.first_date, s.last_date""", {"codes": list(codes)})


def period_against_span(first: date | None, last: date | None, start: date, end: date, prev_start: date,
                        months_only: bool) -> str | None:
    """Where a period lies against the data's span (`data_span`'s first and last dates, the months'
    first days when `months_only`: a restricted viewer's): "outside" when it holds no incident
    (wholly before the first or after the last), "starts_late" when the data start after the
    previous period begins (a change is then against part of it), else None."""
    if first is None:
        return None
    after = last and start > (month_end(last) if months_only else last)
    if end < first or after:
        return "outside"
    return "starts_late" if first > prev_start else None


AS_OF_AFTER_DAYS = 7   # an as-of date this many days after the data's last incident is "after the data"


def as_of_against_span(first: date | None, last: date | None, as_of: date, months_only: bool) -> str | None:
    """Where an as-of date lies against the data's span (as `period_against_span` reads it):
    "before" the first incident (every figure as of it is 0), "after" when more than
    AS_OF_AFTER_DAYS past the last (nothing after it is known), else None. A hidden date (None) is
    no bound."""
    if first is not None and as_of < first:
        return "before"
    if last is not None and (as_of - (month_end(last) if months_only else last)).days > AS_OF_AFTER_DAYS:
        return "after"
    return None


def has_wards(con) -> bool:
    """True when the build had a ward layer (ref_ward holds rows)."""
    return bool(con.execute("select count(*) from ref_ward").fetchall()[0][0])


def outlines(con) -> pd.DataFrame:
    """The nine authorities' outlines (the maps' offline base layer)."""
    return run(con, "select authority_code, authority_name, boundary_geojson from authorities "
                    "where boundary_geojson is not null order by authority_code")


def area_trend(con, codes: tuple[str, ...], start: date, end: date, kind: str, key: str) -> pd.DataFrame:
    """Incidents per month in one area over the previous and the current period: `month`,
    `incidents`, `period` ('previous' or 'current'; a month split by the boundary is split) and
    `first_day`, `last_day`, the days of the month that period holds (the disclosure rule hides a
    row of fewer than 28 days from a viewer without person-level rights). Every month of the two
    periods has its row, zeros included: which months have rows must not tell when a place's few
    incidents fell."""
    column = _column(kind)
    return run(con, f"""
        with months as (
            select unnest(generate_series(date_trunc('month', $prev_start::date), date_trunc('month', $prev_end::date),
                                          interval 1 month))::date as month, 'previous' as period
            union all
            select unnest(generate_series(date_trunc('month', $start::date), date_trunc('month', $end::date),
                                          interval 1 month))::date, 'current'
        ), picked as (
            select date_trunc('month', reported_date)::date as month,
                   case when reported_date >= $start then 'current' else 'previous' end as period
            from incidents
            where authority_code = any($codes) and {column} = $key
              and reported_date between $prev_start and $end
        ), counted as (
            select month, period, count(*) as incidents from picked group by all
        ), final as (
            select m.month, m.period, coalesce(c.incidents, 0) as incidents,
                   greatest(m.month, if(m.period = 'current', $start::date, $prev_start::date)) as first_day,
                   least(last_day(m.month), if(m.period = 'current', $end::date, $prev_end::date)) as last_day
            from months as m
            left join counted as c using (month, period)
        )
        select * from final order by month, period
    """, {**_periods(start, end), "codes": list(codes), "key": key})


def area_top_locations(con, codes: tuple[str, ...], start: date, end: date, kind: str, key: str,
                       limit: int | None = 10) -> pd.DataFrame:
    """The busiest street-level places (H3 resolution-10 cells) inside one area in the period:
    `h3_cell`, `incidents`, `reporters` (distinct pseudonymised people), `main_location` (most
    frequent description), `main_asb_type`, `first_report`, `last_report`; the `limit` busiest, or
    every place (None). Every incident of an area has a place, so the places add up to the area's
    incidents (the map's count beside them: insight/access/roles.py `shown_whole`)."""
    column = _column(kind)
    return run(con, f"""
        with picked as (
            select h3_r10, location_desc, asb_type, reported_date, person_key
            from incidents
            where authority_code = any($codes) and {column} = $key
              and reported_date between $start and $end and h3_r10 is not null
        ), final as (
            select h3_r10 as h3_cell, count(*) as incidents, count(distinct person_key) as reporters,
                   mode(location_desc order by location_desc) as main_location,
                   mode(asb_type order by asb_type) as main_asb_type,
                   min(reported_date) as first_report, max(reported_date) as last_report
            from picked group by 1
        )
        select * from final order by incidents desc, h3_cell {"" if limit is None else f"limit {int(limit)}"}
    """, {"start": start, "end": end, "codes": list(codes), "key": key})


def area_incidents(con, person_codes: tuple[str, ...], start: date, end: date, kind: str,
                   key: str) -> pd.DataFrame:
    """The incidents in one area in the period (newest first, at most INCIDENT_LIMIT), from the
    authorities whose incident rows this viewer may see. No person key or name is returned."""
    column = _column(kind)
    return run(con, f"""
        with final as (
            select i.reported_date, i.occurred_date, a.authority_name, i.agencies, i.asb_category,
                   i.asb_type, i.location_desc, i.lsoa_code, i.is_hate, i.report_count, i.incident_id
            from incidents i join authorities a using (authority_code)
            where i.authority_code = any($codes) and i.{column} = $key
              and i.reported_date between $start and $end
        )
        select * from final order by reported_date desc, incident_id limit {INCIDENT_LIMIT}
    """, {"start": start, "end": end, "codes": list(person_codes), "key": key})


def hotspot_cells(con, codes: tuple[str, ...], resolution: int) -> pd.DataFrame:
    """Gi* cells of `mart_hotspot_cells` at one resolution in the selected authorities, with a
    class (significant) or with incidents: every column of the mart plus `lat`, `lon`."""
    frame = run(con, """
        with final as (
            select * from mart_hotspot_cells
            where h3_resolution = $res and authority_code = any($codes)
              and (gi_class <> 0 or incidents > 0)
        )
        select * from final order by gi_class desc, incidents desc, h3_cell
    """, {"res": int(resolution), "codes": list(codes)})
    centres = [h3.cell_to_latlng(c) for c in frame["h3_cell"]]
    frame["lat"], frame["lon"] = [c[0] for c in centres], [c[1] for c in centres]
    return frame


def hotspot_summary(con, codes: tuple[str, ...]) -> pd.DataFrame:
    """Cells per Gi* class and resolution in the selected authorities, with the mart's period."""
    return run(con, """
        with final as (
            select h3_resolution, gi_class, count(*) as cells, sum(incidents) as incidents,
                   min(period_start) as period_start, max(period_end) as period_end
            from mart_hotspot_cells where authority_code = any($codes)
            group by all
        )
        select * from final order by h3_resolution, gi_class desc
    """, {"codes": list(codes)})


def repeat_locations(con, codes: tuple[str, ...], as_of: date, build_as_of: date,
                     per_authority: int = REPEAT_LIST) -> pd.DataFrame:
    """Repeat locations (H3 resolution-10 cells) ranked per authority as of `as_of`: the
    `mart_repeat_locations` rows when `as_of` is the build's as-of date, else the same SQL run
    live (kept per date for the REPEAT_LIST busiest cells of each authority; a longer list is
    evaluated on its own). The top `per_authority` per authority, with `authority_name`, `lat`, `lon`."""
    mart, top = "mart_repeat_locations", {}
    if as_of == build_as_of or per_authority <= registry.model(mart).live_params["top"]:
        relation = source(con, as_of, mart, built=build_as_of)
    else:
        relation = f"({registry.live_sql(mart)})"
        top = registry.parameters(mart, registry.Context(as_of, params={"top": int(per_authority)}))
    frame = run(con, f"""
        with final as (
            select a.authority_name, m.* from {relation} m join authorities a using (authority_code)
            where m.authority_code = any($codes) and m.rank <= $limit
        )
        select * from final order by authority_name, rank
    """, {"codes": list(codes), "limit": int(per_authority), "as_of": as_of, **top})
    centres = [h3.cell_to_latlng(c) for c in frame["h3_cell"]]
    frame["lat"], frame["lon"] = [c[0] for c in centres], [c[1] for c in centres]
    return frame


def concentration(con, codes: tuple[str, ...]) -> pd.DataFrame:
    """Lorenz curves and the "X% of places" figures of `mart_concentration` for the selected
    authorities (and the nine together when all are selected), with `authority_name`."""
    return run(con, """
        with final as (
            select coalesce(a.authority_name, 'All nine authorities') as authority_name, m.*
            from mart_concentration m left join authorities a using (authority_code)
            where m.authority_code = any($codes)
               or (m.authority_code = 'all' and len($codes::varchar[]) = 9)
        )
        select * from final order by authority_code = 'all' desc, authority_name, point
    """, {"codes": list(codes)})


def hotspot_accuracy(con, codes: tuple[str, ...], resolution: int) -> pd.DataFrame:
    """`mart_hotspot_accuracy` at one resolution for the selected authorities (and all nine when
    all are), one row per authority: `all_cells`, `incidents` (N, the later six months) and per
    top share s (1, 5, 10%) `cells_s`, `captured_s`, `hit_rate_s`, `pai_s`; the periods."""
    long = run(con, """
        with final as (
            select coalesce(a.authority_name, 'All nine authorities') as authority_name, m.*
            from mart_hotspot_accuracy m left join authorities a using (authority_code)
            where m.h3_resolution = $res and (m.authority_code = any($codes)
               or (m.authority_code = 'all' and len($codes::varchar[]) = 9))
        )
        select * from final order by authority_code = 'all' desc, authority_name, top_share
    """, {"codes": list(codes), "res": int(resolution)})
    if long.empty:
        return long
    long["share"] = (long["top_share"] * 100).round().astype(int).astype(str)
    wide = long.pivot(index="authority_name", columns="share", values=["cells", "captured", "hit_rate", "pai"])
    wide.columns = [f"{measure}_{share}" for measure, share in wide.columns]
    keys = long.drop_duplicates("authority_name").set_index("authority_name")[
        ["all_cells", "incidents", "period_start", "period_mid", "period_end"]]
    return keys.join(wide).reset_index()


class TooManyPoints(ValueError):
    """More incidents than the near-repeat test takes at once: narrow the selection."""


def near_repeats(con, codes: tuple[str, ...], start: date, end: date, spatial_bands_m: tuple[float, ...],
                 temporal_bands_days: tuple[int, ...], permutations: int) -> pd.DataFrame:
    """The Knox table (insight.queries.knox) over the located incidents with day-level dates in the period.

    Police.uk rows carry the month only, so they are left out; when nothing else is left,
    `knox.NeedsDayLevelDates` is raised with that reason. Adds `points` and `month_only_excluded`
    columns. Raises TooManyPoints above KNOX_POINT_LIMIT incidents."""
    frame = run(con, """
        with police as (
            select distinct source from etl_loads where kind = 'police_uk'
        ), final as (
            select easting, northing, reported_date, source in (select source from police) as month_only
            from incidents
            where authority_code = any($codes) and easting is not null
              and reported_date between $start and $end
        )
        select * from final
    """, {"start": start, "end": end, "codes": list(codes)})
    day_level = frame[~frame["month_only"]]
    if day_level.empty:
        raise knox.NeedsDayLevelDates(   # no count in the words: it may be 1 to k-1 (the disclosure rule)
            "near repeats need day-level dates; every located incident in this selection comes from "
            "police.uk files, which date every incident to the 1st of its month, so 'within 7 "
            "days' cannot be measured" if len(frame) else
            "there are no located incidents in this selection")
    if len(day_level) > KNOX_POINT_LIMIT:
        raise TooManyPoints(f"{len(day_level):,} incidents are more than the {KNOX_POINT_LIMIT:,} the test takes "
                            "at once: choose one authority or a shorter period")
    table = knox.knox(day_level[["easting", "northing"]].to_numpy(), day_level["reported_date"].to_numpy(),
                      list(spatial_bands_m), list(temporal_bands_days), permutations=permutations)
    return table.assign(points=len(day_level), month_only_excluded=int(frame["month_only"].sum()))
