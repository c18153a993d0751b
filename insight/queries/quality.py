"""Named, read-only queries behind the Data quality page: builds, per-file accounting, rejected
rows, source freshness and gaps. Every query reads the latest build's rows; rejected rows are
person-level (insight/access/roles.py).
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from insight.queries.run import run

# Per case-review register kind (applications, appeals, actions): the fewest rows any count of it
# on the Data quality page rests on: a source's month (the grid), a file's rows read or loaded, the
# applications kept with an unusable date. Those counts add up to one another (months to a source's
# rows, files to a source, sources to a build's total), so a viewer without person-level rights over
# all nine authorities sees a kind's counts only when this is at least k (roles.QUERIES `at_least_k`):
# three applications in one month were hidden in the grid and shown as the register file's rows.
# A kind with no row has nothing to hide (its counts are 0): `REGISTER_LEAST_NONE`.
REGISTER_LEAST = """register_least as (
    select kind, min(n) as least_rows
    from (
        select kind, rows_loaded as n from mart_source_months where kind in ('applications', 'appeals', 'actions')
        union all
        select kind, unnest([rows_read, rows_loaded]) as n from etl_loads
        where kind in ('applications', 'appeals', 'actions')
          and load_id = (select load_id from etl_builds order by built_at desc limit 1)
        union all
        select 'applications', count(*) from applications where date_errors is not null group by source
    )
    where n > 0
    group by kind
)"""
REGISTER_LEAST_NONE = 2147483647


def _least(kind_sql: str) -> str:
    """SQL of the fewest rows the counts of the register kind `kind_sql` rest on (REGISTER_LEAST)."""
    return (f"coalesce((select least_rows from register_least where register_least.kind = {kind_sql}), "
            f"{REGISTER_LEAST_NONE})")


def latest_build(con) -> pd.DataFrame:
    """The most recent row of etl_builds (empty when the warehouse holds no build)."""
    return run(con, f"""
        with {REGISTER_LEAST},
        final as (
            select *, {_least("'applications'")} as applications_least, {_least("'appeals'")} as appeals_least
            from etl_builds order by built_at desc limit 1
        )
        select * from final
    """)



def builds(con) -> pd.DataFrame:
    """Every build recorded in the warehouse, newest first; `applications_least`, `appeals_least`:
    the fewest rows the register's counts rest on (REGISTER_LEAST), for the disclosure rule."""
    return run(con, f"""
        with {REGISTER_LEAST},
        final as (
            select load_id, built_at, as_of_date, inputs_path, boundaries, incidents, reports,
                   applications, appeals, rejects, build_seconds,
                   {_least("'applications'")} as applications_least, {_least("'appeals'")} as appeals_least
            from etl_builds
        )
        select * from final order by built_at desc
    """)


# The rows a source loaded in the month of a file's or source's first and last date (of etl_loads
# `l`), as the month-by-source grid counts them (mart_source_months, where police.uk's feeds count
# under 'incidents'). Each date is one row's: a viewer without person-level rights over all nine
# authorities gets its month, and only among k rows of the source in that month (roles.QUERIES,
# disclosure.Aggregate.months).
_MONTH_ROWS = "coalesce(f.rows_loaded, 0) as first_month_rows, coalesce(t.rows_loaded, 0) as last_month_rows"
_MONTH_JOINS = "".join(f"""
    left join mart_source_months as {alias}
        on {alias}.source = l.source and {alias}.month = date_trunc('month', l.{day})
       and {alias}.kind = case when l.kind = 'police_uk' then 'incidents' else l.kind end"""
                       for alias, day in (("f", "first_date"), ("t", "last_date")))


def file_accounting(con) -> pd.DataFrame:
    """Per file of the latest build: rows read, loaded, rejected, merged, whether they add up, and
    a status: "could not be read" (nothing of the file loaded; `file_error` says why), "does not
    add up" or "adds up"; `file_note`, what to know of a file that loaded (bytes not valid UTF-8). `first_month_rows`, `last_month_rows`: the rows its source loaded in the
    month of its first and last date (the disclosure rule shows a restricted viewer that month only
    when these, and the file's rows loaded, are at least k); `register_least_rows`, for a
    case-review register's file, the fewest rows its kind's counts rest on (REGISTER_LEAST)."""
    return run(con, f"""
        with {REGISTER_LEAST},
        latest as (
            select load_id from etl_builds order by built_at desc limit 1
        ),
        accounted as (
            select l.source, l.kind, l.source_file, l.rows_read, l.rows_loaded, l.rows_rejected,
                   l.rows_merged, l.rows_context, l.first_date, l.last_date,
                   l.rows_read = l.rows_loaded + l.rows_rejected + l.rows_merged as is_balanced,
                   l.ignored_columns, l.file_error, l.file_note,
                   {_MONTH_ROWS}, {_least("l.kind")} as register_least_rows
            from etl_loads as l
            join latest using (load_id){_MONTH_JOINS}
        ),
        final as (
            select source, kind, source_file,
                   case when file_error is not null then 'could not be read'
                        when not is_balanced then 'does not add up'
                        else 'adds up' end as status,
                   * exclude (source, kind, source_file)
            from accounted
        )
        select * from final order by source, source_file
    """)


def unreadable_files(con) -> pd.DataFrame:
    """Files of the latest build that could not be read at all (nothing of them loaded), with why
    (the reason without the file's name, which the ETL puts first)."""
    return run(con, """
        with latest as (
            select load_id from etl_builds order by built_at desc limit 1
        ),
        final as (
            select l.source_file, l.source, l.kind,
                   case when starts_with(l.file_error, l.source_file || ': ')
                        then l.file_error[length(l.source_file) + 3:] else l.file_error end as reason
            from etl_loads as l
            join latest using (load_id)
            where l.file_error is not null
        )
        select * from final order by source, source_file
    """)


def kept_with_errors(con) -> pd.DataFrame:
    """Rows loaded although one of their dates could not be used (an application's stage date, a
    report's review_explained_date): per source, how many, and one example reason. These rows
    count in every figure; only the unusable date is left empty (etl/transform/stage.py).
    `register_least_rows`: for the applications, the fewest rows their counts rest on (REGISTER_LEAST)."""
    return run(con, f"""
        with {REGISTER_LEAST},
        kept as (
            select source, 'incidents' as kind, date_errors from incidents where date_errors is not null
            union all
            select source, 'applications', date_errors from applications where date_errors is not null
        ),
        final as (
            select source, kind, count(*) as rows_kept, min(date_errors) as example,
                   {_least("kept.kind")} as register_least_rows
            from kept group by all
        )
        select * from final order by rows_kept desc, source
    """)


def scrubbed(con) -> pd.DataFrame:
    """Personal data removed from free text at ingest (etl/transform/scrub.py), per file of the
    latest build, column and kind: how many were removed and from how many rows. Counts only; the
    removed text is kept nowhere. Empty for a warehouse built before the scrubber existed."""
    if con.execute("select count(*) from information_schema.tables where table_name = 'etl_scrubbed'"
                   ).fetchall()[0][0] == 0:
        return pd.DataFrame(columns=["source", "source_file", "field", "removed", "items", "rows_changed"])
    return run(con, """
        with latest as (
            select load_id from etl_builds order by built_at desc limit 1
        ),
        final as (
            select s.source, s.source_file, s.field, s.removed, sum(s.items) as items,
                   sum(s.rows_changed) as rows_changed
            from etl_scrubbed as s
            join latest using (load_id)
            group by all
        )
        select * from final order by source, source_file, field, removed
    """)


def rejects_by_reason(con) -> pd.DataFrame:
    """Rejected rows of the latest build counted by source and reason code."""
    return run(con, """
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


# The rejected rows a list holds at most (in order of source, file and row); `rejects` says how many
# matched (`attrs["matching"]`), so the page says when its list stops short.
REJECTS_LISTED = 50_000
SENT = " (as sent)"   # the raw values' columns: the partner's text, never put in words (labels.readable)


def rejects(con, sources: tuple[str, ...] = (), reason_codes: tuple[str, ...] = (),
            text: str = "", limit: int | None = None) -> pd.DataFrame:
    """Rejected rows of the latest build, filtered, with their raw values spread into columns
    named `<column> (as sent)`; at most `limit` (REJECTS_LISTED) rows, and `attrs["matching"]`
    how many matched."""
    limit = REJECTS_LISTED if limit is None else limit
    frame = run(con, """
        with latest as (
            select load_id from etl_builds order by built_at desc limit 1
        ),
        final as (
            select r.source, r.kind, r.source_file, r.source_row, r.reason_code, r.reason,
                   r.raw_values, count(*) over () as matching
            from etl_rejects as r
            join latest using (load_id)
            where (len($sources) = 0 or r.source = any($sources))
              and (len($reasons) = 0 or r.reason_code = any($reasons))
              and ($text = '' or contains(lower(r.reason), lower($text))
                   or contains(lower(r.raw_values), lower($text)))
        )
        select * from final order by source, source_file, source_row limit $limit
    """, {"sources": list(sources), "reasons": list(reason_codes), "text": text.strip(),
          "limit": limit})
    matching = int(frame["matching"].iloc[0]) if len(frame) else 0
    frame = _spread_raw_values(frame.drop(columns="matching"))
    frame.attrs["matching"] = matching
    return frame


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
    return pd.concat([frame.drop(columns="raw_values"), raw.add_suffix(SENT)], axis=1)


def source_freshness(con, as_of: date) -> pd.DataFrame:
    """Per source of the latest build: the first and last date loaded, how many days the last is
    behind `as_of` (`days_behind`) and how many calendar months its month is behind as-of's month
    (`months_behind`, which tells nothing of the day), 0 when the last date is after `as_of` (a
    warehouse viewed at an earlier date: the source was not behind then); `first_month_rows`, `last_month_rows`: the
    rows the source loaded in the month of each date (the disclosure rule shows a restricted
    viewer that month only among k rows, and never the day nor the days behind);
    `register_least_rows`, for a case-review register, the fewest rows its kind's counts rest on."""
    return run(con, f"""
        with {REGISTER_LEAST},
        latest as (
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
            select l.*, greatest(date_diff('day', l.last_date, $as_of::date), 0) as days_behind,
                   greatest(date_diff('month', l.last_date, $as_of::date), 0) as months_behind,
                   {_MONTH_ROWS}, {_least("l.kind")} as register_least_rows
            from per_source as l{_MONTH_JOINS}
        )
        select * from final order by days_behind desc nulls first, source
    """, {"as_of": as_of})


# An incident feed whose last record is more than this many days before a period's end is late
# for it (the board pack's caveats, the Overview's warning: `short_feeds`).
LATE_DAYS = 7


def short_feeds(con, codes, end: date) -> pd.DataFrame:
    """(source, authority_code): the incident feeds not complete for a period ending `end`, with
    each authority of `codes` whose incidents they sent in the year to `end` (so the period's
    counts of that authority lack what the feed has not sent). A feed is short when it loaded no
    row dated in `end`'s month, or its last record (in the latest build) is more than LATE_DAYS
    days before `end` (a police.uk feed, dated by month: its last month is before `end`'s). The
    one rule of the board pack's "not complete" and the Overview's warning. The incidents are
    read only when some feed is short (most periods: none, and no scan of them)."""
    short = run(con, """
        with latest as (
            select load_id from etl_builds order by built_at desc limit 1
        ),
        feeds as (
            select l.source, bool_or(l.kind = 'police_uk') as by_month, max(l.last_date) as last_date
            from etl_loads as l join latest using (load_id)
            where l.kind in ('incidents', 'police_uk')
            group by l.source
        ),
        in_month as (
            select source, sum(rows_loaded) as rows_loaded
            from mart_source_months
            where month = date_trunc('month', $end::date)
            group by source
        )
        select f.source
        from feeds as f left join in_month as m using (source)
        where coalesce(m.rows_loaded, 0) = 0 or f.last_date is null
           or (case when f.by_month then date_trunc('month', f.last_date) < date_trunc('month', $end::date)
                    else f.last_date < $end::date - $late::integer end)""", {"end": end, "late": LATE_DAYS})
    if short.empty:
        return pd.DataFrame({"source": pd.Series(dtype=object), "authority_code": pd.Series(dtype=object)})
    # an incident counts under its first report's source
    return run(con, """select distinct source, authority_code from incidents
                       where source = any($sources) and authority_code = any($codes)
                         and reported_date > $end::date - interval 1 year and reported_date <= $end::date
                       order by source, authority_code""",
               {"sources": short["source"].tolist(), "codes": list(codes), "end": end})


def source_months(con) -> pd.DataFrame:
    """Rows loaded per source and month (also as a share of the source's busiest month), gaps flagged."""
    return run(con, """
        with final as (
            select source, kind, source || ' (' || kind || ')' as source_label, month,
                   rows_loaded, is_gap,
                   rows_loaded / nullif(max(rows_loaded) over (partition by source, kind), 0)
                       as share_of_peak
            from mart_source_months
        )
        select * from final order by source, month
    """)
