"""From staged rows to the published tables: candidates, keys, de-duplication, incidents, cases.

Every staged row ends in exactly one place: a published table (loaded), `etl_rejects` (with its
reason) or `etl_merged` (folded into a row that is kept). `etl/sources/accounting.py` proves it per file.
"""

from __future__ import annotations

import contextlib

import duckdb

from etl import schema, sqlfile
from etl.transform import locate
from etl.transform.stage import stored_fields

# The working tables and views of the incidents' path, dropped by etl/build.py once
# `publish_incidents` has run (`_located` is a view over the staged rows: etl/transform/locate.py).
INCIDENT_WORK = ("_published", "_reports", "_single_reports", "_located", "_pointed", "_cand", "stg_incidents",
                 "stg_police_uk", "_police_asb", "_police_context", "_loc_keys", "_loc", "_ll_bng", "_postcodes",
                 "_placed", "_groups", "_copies", "_ref_hashes", "_keyed", "_repeats", "_merge_rows")


def reject_from(con, load_id: str, kind: str, relation: str, code: str, reason: str, raw: str,
                expand: bool = False) -> None:
    """Append rows of `relation` to etl_rejects (`kind`, `code`, `reason`, `raw` are SQL expressions).
    With `expand`, a row standing for identical records (`source_rows`, etl/sources/extract.py
    GROUPED_KINDS) is one reject per record."""
    row = "unnest(coalesce(source_rows, [source_row]))" if expand else "source_row"
    con.execute(f"""insert into etl_rejects select '{load_id}', source, {kind}, source_file,
        {row}, {code}, {reason}, {raw} from {relation}""")


def _police_content(crime_type: str) -> str:
    """SQL for the fields that make a police.uk row's content key: identical content in one file is
    told apart only by its place in the file (the n-th copy is ref <key>-<n>). `crime_type` is the
    type as the key holds it: an ASB row's is data.police.uk's own spelling whatever the file's
    (`police_asb_sql`), another row's in lower case, so a month re-saved by hand with its types'
    case changed is the same records, which merge as republished (the partner-file audit: its 30
    ASB rows were 60 incidents). An unchanged file's ASB keys are those it always had."""
    return (f"concat_ws('|', {crime_type}, falls_within, month, longitude, latitude, location, lsoa_code, "
            "lsoa_name, crime_id)")


def police_asb_sql(column: str) -> str:
    """Whether a street row's crime type is anti-social behaviour: data.police.uk writes
    'Anti-social behaviour'; a file re-saved by hand may change its case or drop the hyphen
    ('Anti social behaviour', 'ANTI-SOCIAL BEHAVIOUR'), and is still ASB, not context."""
    exact = sqlfile.literal(schema.POLICE_ASB_TYPE)
    loose = sqlfile.literal("".join(ch for ch in schema.POLICE_ASB_TYPE.lower() if ch.isalpha()))
    return (f"(case when {column} = {exact} then true "
            f"else regexp_replace(lower({column}), '[^a-z]', '', 'g') = {loose} end)")


def police_rows(con: duckdb.DuckDBPyConnection) -> None:
    """Good street-level rows, keyed by content: the n-th row of a file with a given content key is
    ref `<key>-<n>` (n by record number), so a month published twice (a re-download) repeats the
    same refs, and the later file's rows merge (`police_republished`).

    `_police_asb`: one row per file and content key of the ASB rows, with every record number in
    `source_rows` (sorted) and `first_new`, the first n that no earlier file already holds;
    copies before it are republished. Earlier is by source, then file name, over every police
    source: the content names the force, month and point, so the same month saved into a second
    police source's folder is the same records (the police-file audit: a copy re-saved with
    other line endings, which the same_file gate cannot see, counted every record twice).
    `_police_owners`: which source's file first holds the n-th copy of a content key (n from lo to
    hi), the incident a republished copy merges into. `_police_context`: the other crime types,
    one row per record, ranked the same way.
    """
    asb = police_asb_sql("crime_type")
    con.execute(f"""create or replace temp table _police_asb as
        with keyed as (
            select *, left(md5({_police_content(sqlfile.literal(schema.POLICE_ASB_TYPE))}), 16) as content_key
            from stg_police_uk where reject_code is null and {asb}
        ),
        grouped as (
            select source, source_file, content_key, list_sort(flatten(list(source_rows))) as source_rows,
                   any_value(month) as month, any_value(latitude) as latitude,
                   any_value(longitude) as longitude, any_value(location) as location,
                   any_value(lsoa_code) as lsoa_code, any_value(lsoa_name) as lsoa_name
            from keyed group by source, source_file, content_key
        )
        select g.*, l.authority_code as lsoa_authority_code,
               1 + coalesce(max(len(g.source_rows)) over (partition by g.content_key order by g.source, g.source_file
                                                          rows between unbounded preceding and 1 preceding), 0)
                   as first_new
        from grouped g left join _lsoa_name_map l using (lsoa_name)""")
    con.execute("""create or replace temp table _police_owners as
        select content_key, source, first_new as lo, len(source_rows) as hi
        from _police_asb where len(source_rows) >= first_new""")
    con.execute(f"""create or replace temp table _police_context as
        select p.*, l.authority_code as lsoa_authority_code,
               content_key || '-' || row_number() over (partition by source_file, content_key
                                                        order by source_row) as police_ref
        from (select * exclude (source_row, source_rows), unnest(source_rows) as source_row,
                     left(md5({_police_content('lower(crime_type)')}), 16) as content_key, null as row_hash
              from stg_police_uk where reject_code is null and not {asb}) p
        left join _lsoa_name_map l using (lsoa_name)""")


def _values_sql(columns: list[str]) -> tuple[str, str]:
    """(hash, values): SQL for a row's values of `columns` as one hash (a repeated ref with the same
    hash is the same record sent twice, with another a `duplicate_key`) and as a list of texts,
    from which a duplicate_key's reason names the columns that differ (`_differing_sql`)."""
    texts = [f"coalesce(cast({c} as varchar), '')" for c in columns]
    return f"md5(concat_ws('|', {', '.join(texts)}))", f"[{', '.join(texts)}]"


def _differing_sql(columns: list[str]) -> str:
    """SQL over `_keyed` (`_split_keys` with values): the columns in which a row's values differ
    from the first row's with its key, named ("is_hate, reported_date"): a partner correcting a
    record in a later export sees which value the build did not take."""
    names = "[" + ", ".join(sqlfile.literal(c) for c in columns) + "]"
    return (f"array_to_string(list_transform(list_filter(range(1, {len(columns) + 1}), "
            f"lambda i: row_values[i] is distinct from first_values[i]), lambda i: {names}[i]), ', ')")


_INCIDENT_VALUES = [f.name for f in stored_fields("incidents") if f.name != "incident_ref"]


def _incident_hash_sql() -> str:
    """SQL over stg_incidents: `_values_sql`'s hash of a row's values but its ref."""
    return _values_sql(_INCIDENT_VALUES)[0]


def candidates(con: duckdb.DuckDBPyConnection) -> None:
    """`_cand`: good incident rows from canonical sources and ASB rows from police street files
    (one row per file and content key: `incident_ref` is the key, `source_rows` the records).
    An incident row's `row_hash` is null here: only rows whose ref repeats need it, and
    `keyed_reports` computes it for them alone (hashing ten million rows took seconds)."""
    con.execute("""create or replace temp view _cand as
        select source, source_file, source_row, 'incidents' as kind, incident_ref, agency, authority_code,
            reported_date, coalesce(occurred_date, reported_date) as occurred_date, asb_category,
            asb_type, latitude, longitude, easting, northing, postcode, location_desc, person_key,
            victim_type, is_hate = 'Y' as is_hate, case_ref, review_explained_date, date_errors,  -- blank hate: unknown
            null::bigint[] as source_rows, null::bigint as first_new,
            null::varchar as source_lsoa_code, null::varchar as source_lsoa_name,
            null::varchar as source_lsoa_authority_code, null::varchar as row_hash
        from stg_incidents where reject_code is null
        union all by name
        select source, source_file, source_rows[1] as source_row, 'police_uk' as kind, content_key as incident_ref,
            'police' as agency, null as authority_code, month as reported_date, month as occurred_date,
            null as asb_category, null as asb_type, latitude, longitude, null as easting,
            null as northing, null as postcode, location as location_desc, null as person_key,
            null as victim_type, null::boolean as is_hate, null as case_ref, null::date as review_explained_date,
            null::varchar as date_errors, source_rows, first_new, lsoa_code as source_lsoa_code,
            lsoa_name as source_lsoa_name, lsoa_authority_code as source_lsoa_authority_code,
            content_key as row_hash
        from _police_asb""")


def police_context(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """Non-ASB street-level rows, kept for context only, in `police_crimes`, never in an ASB
    figure. Each record is accounted for in `etl_merged` too (DESIGN.md: every record of every file
    is in exactly one of incident_reports, etl_merged and etl_rejects): `police_context`, naming the
    `police_crimes.police_ref` kept, or `police_republished` for a later copy of a row kept."""
    _split_keys(con, "_police_context", "police_ref", "source, source_file, source_row")   # over every police source
    con.execute("""insert into police_crimes
        select source, month, crime_type, falls_within, latitude, longitude, lsoa_code,
               lsoa_authority_code, last_outcome_category, source_file, source_row, police_ref
        from _keyed where key_rank = 1""")
    con.execute(f"""insert into etl_merged select '{load_id}', 'police_uk', source, source_file, source_row,
        police_ref, case when key_rank = 1 then 'police_context' else 'police_republished' end from _keyed""")


def _split_keys(con, relation: str, key: str, order: str, values: bool = False) -> None:
    """`_keyed`: rows of `relation` with key_rank and the first occurrence's file, row and hash
    (and its `row_values` as `first_values`, with `values`)."""
    firsts = ", first_value(row_values) over w as first_values" if values else ""
    con.execute(f"""create or replace temp table _keyed as
        select *, row_number() over w as key_rank,
               first_value(row_hash) over w as first_hash,
               first_value(source_file) over w as first_file,
               first_value(source_row) over w as first_row{firsts}
        from {relation}
        window w as (partition by {key} order by {order})""")


def _police_copies(where: str) -> str:
    """One row per record of the located police groups (`_groups`, one row per copy in `_copies`)
    matching `where` (SQL over the group `g` and the copy number `c.k`), each with its ref
    `<key>-<n>` and its own record number.

    The copies are a table of their own (`keyed_reports`) rather than an `unnest` over the
    groups: DuckDB runs a scan's work in parallel per row group, and 24,000 groups are one row
    group, so expanding them in place made ten million incidents on one core. Each copy carries
    its record number, and the groups lose their lists: a list carried through the join is
    copied into every row it expands to (28 s of CPU at ten million)."""
    return f"""select g.* exclude (gid, first_new, incident_ref, source_row),
               g.incident_ref || '-' || c.k as incident_ref, c.source_row
        from _copies c join _groups g using (gid) where {where}"""


@contextlib.contextmanager
def optimizers_off(con: duckdb.DuckDBPyConnection, *names: str):
    """DuckDB's optimizer passes `names` off for the statements inside, the setting restored after."""
    before = con.execute("select current_setting('disabled_optimizers')").fetchall()[0][0]
    con.execute("set disabled_optimizers = ?", [",".join(filter(None, [before, *names]))])
    try:
        yield
    finally:
        con.execute("set disabled_optimizers = ?", [before])


def ref_hashes(con: duckdb.DuckDBPyConnection) -> None:
    """`_ref_hashes`: the good staged incident rows whose (source, incident_ref) repeats, with the
    hash of their values (`_incident_hash_sql`), so `keyed_reports` can tell a record sent twice
    from a conflicting one. Keys repeat rarely: they are grouped by a 64-bit hash first (ten
    million texts grouped took seconds: `sqlfile.repeated_hashes`), then the few rows whose hash
    repeats by the key itself."""
    con.execute(f"""create or replace temp table _ref_hashes as
        with good as not materialized (select source, incident_ref from stg_incidents where reject_code is null),
        repeated as (select source, incident_ref from good
                     where hash(source, incident_ref) in ({sqlfile.repeated_hashes('source, incident_ref', 'good')})
                     group by all having count(*) > 1)
        select source, source_file, source_row, {_incident_hash_sql()} as row_hash,
               {_values_sql(_INCIDENT_VALUES)[1]} as row_values
        from stg_incidents semi join repeated using (source, incident_ref)
        where reject_code is null""")


def keyed_reports(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """Repeated keys: identical repeats merge into the first row, conflicting ones are rejects.

    Keys repeat rarely, so only the rows of the keys that repeat among the staged rows
    (`ref_hashes`) are ranked; `_reports` is a view over the located rows minus those repeats. Police groups
    (`source_rows`) were keyed by `police_rows`: their republished copies are repeats, the rest
    reports, one row per record in `_reports` (`_single_reports` holds the others); publishing
    stores each group once with its copies (`publish_incidents`).
    """
    con.execute("""create or replace temp table _groups as
        select row_number() over () as gid, * from _located where source_rows is not null""")
    con.execute("""create or replace temp table _copies as
        select gid, unnest(generate_series(1, len(source_rows))) as k, unnest(source_rows) as source_row
        from _groups""")
    con.execute("alter table _groups drop column source_rows")
    located_rows = ("select * exclude (source_rows, first_new) from _located "
                    "where source_rows is null and loc_reject is not null "
                    f"union all by name {_police_copies('g.loc_reject is not null')}")
    reject_from(con, load_id, "kind", f"({located_rows})",
                "loc_reject.code", "loc_reject.reason", "to_json(struct_pack(incident_ref, agency, "
                f"reported_date, postcode, {locate.raw_coordinates_sql()}, location_desc, source_lsoa_name))::varchar")
    # Only refs that repeat among the staged rows (`ref_hashes`) are ranked; one that repeats no
    # more once located rows are rejected ranks 1 alone and is a report like any other.
    _split_keys(con, "(select l.* replace (h.row_hash as row_hash), h.row_values from _located l join _ref_hashes h "
                "on h.source = l.source and h.source_file = l.source_file and h.source_row = l.source_row "
                "where l.loc_reject is null and l.source_rows is null)",
                "source, incident_ref", "source_file, source_row", values=True)
    reject_from(con, load_id, "kind", "_keyed where key_rank > 1 and row_hash <> first_hash",
                "'duplicate_key'", "format('incident_ref ''{}'' already used in {} row {} with other values ({})', "
                f"incident_ref, first_file, first_row, {_differing_sql(_INCIDENT_VALUES)})",
                "to_json(struct_pack(incident_ref, agency, reported_date, asb_type))::varchar")
    # a republished copy merges into the incident of the source whose file first held it
    con.execute("""create or replace temp table _repeats as
        select source || ':' || incident_ref as report_id, source, source_file, source_row, kind,
               row_hash = first_hash as is_repeat
        from _keyed where key_rank > 1
        union all
        select o.source || ':' || g.incident_ref || '-' || c.k, g.source, g.source_file, c.source_row, g.kind, true
        from _copies c join _groups g using (gid)
        join _police_owners o on o.content_key = g.incident_ref and c.k between o.lo and o.hi
        where g.loc_reject is null and c.k < g.first_new""")
    con.execute("""create or replace temp view _single_reports as
        select l.* exclude (source_rows, first_new), l.source || ':' || l.incident_ref as report_id
        from _located l anti join _repeats r using (source_file, source_row)
        where l.loc_reject is null and l.source_rows is null""")
    con.execute(f"""create or replace temp view _reports as
        select * from _single_reports
        union all by name
        select *, source || ':' || incident_ref as report_id
        from ({_police_copies("g.loc_reject is null and c.k >= g.first_new")})""")


def publish_incidents(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """incidents, the reports of merged incidents (the rest of `incident_reports` is read from
    incidents) and etl_merged for incidents. Only reports with a person merge (dedupe), so the
    joins with the merge roots read those alone, and police.uk reports (no person) are published
    as their distinct records and copies (etl/sql/published/incidents.sql)."""
    # The reports of merged incidents (their anchors too), read once: the merged reports, etl_merged
    # and the incidents' member aggregate each scanned every report with a person for them.
    # The few hundred thousand reports `_root` names, joined to it. DuckDB's estimate of `_reports`
    # (a view over anti joins) is far too small, so its build-side choice hashed the six million
    # reports with a person and probed them with `_root` (3.5 s of a ten-million build); with the
    # choice off for this statement, `_root`'s ids are hashed and the reports probe them (1.5 s).
    with optimizers_off(con, "build_side_probe_side"):
        con.execute("""create or replace temp table _merge_rows as
            select r.report_id, r.kind, r.source, r.agency, r.reported_date, r.is_hate, r.review_explained_date,
                   r.source_file, r.source_row, m.root, m.rule
            from (select * from _reports
                  where person_key is not null
                    and report_id in (select report_id from _root union all select root from _root)) r
            left join _root m using (report_id)""")
    con.execute("""insert into incident_merged_reports
        select coalesce(root, report_id), report_id, source, agency, reported_date,
               root is not null, source_file, source_row, is_hate, review_explained_date
        from _merge_rows""")
    con.execute(f"""insert into etl_merged
        select '{load_id}', kind, source, source_file, source_row, root, rule
        from _merge_rows where root is not null
        union all
        select '{load_id}', p.kind, p.source, p.source_file, p.source_row,
               coalesce(m.root, p.report_id),
               case when p.kind = 'police_uk' then 'police_republished' else 'repeated_row' end
        from _repeats p left join _root m using (report_id) where p.is_repeat""")
    con.execute(sqlfile.read("incidents"))
    # Only a build with police copies turns `incidents` into a view; every other warehouse keeps
    # the table the DDL declares (one a person or a script may update, as before).
    if con.execute("select count(*) from police_incident_copies").fetchall()[0][0]:
        con.execute(sqlfile.read("incidents_view"))


def incidents_in_parts(con: duckdb.DuckDBPyConnection) -> bool:
    """True when `incidents` is the view of `stored_incidents` and the police groups and copies
    (a build that stored police.uk copies: etl/sql/published/incidents_view.sql)."""
    return bool(con.execute("select count(*) from duckdb_views() where view_name = 'incidents' "
                            "and database_name = current_database()").fetchall()[0][0])


def incident_files(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Fill the temporary table `_incident_files`, per source and file: the incidents it gives
    (`incidents`), how many are incidents of one report (`single_reports`) and their first and last
    `reported_date`; returns the rows of `incidents` and of `incident_reports`. Counted on the stored
    parts where `incidents` is their view (a police group counts as many times as it has copies),
    so the accounting and the build's counts do not join ten million copies back (1-1.5 s each)."""
    per_row = ("count(*) filter (where report_count = 1) as single_reports, "
               "min(reported_date) filter (where report_count = 1) as first_single, "
               "max(reported_date) filter (where report_count = 1) as last_single")
    if incidents_in_parts(con):
        con.execute(f"""create or replace temp table _incident_files as
            select source, source_file, sum(incidents)::bigint as incidents,
                   sum(single_reports)::bigint as single_reports,
                   min(first_single) as first_single, max(last_single) as last_single
            from (select source, source_file, count(*) as incidents, {per_row}
                  from stored_incidents group by all
                  union all
                  select g.source, g.source_file, sum(c.n), sum(c.n) filter (where g.report_count = 1),
                         min(g.reported_date) filter (where g.report_count = 1),
                         max(g.reported_date) filter (where g.report_count = 1)
                  from police_incident_groups g
                  join (select gid, count(*) as n from police_incident_copies group by gid) c using (gid)
                  group by all)
            group by all""")
    else:
        con.execute(f"""create or replace temp table _incident_files as
            select source, source_file, count(*) as incidents, {per_row} from incidents group by all""")
    incidents, single = con.execute("select coalesce(sum(incidents), 0)::bigint, "
                                    "coalesce(sum(single_reports), 0)::bigint from _incident_files").fetchall()[0]
    merged = con.execute("select count(*) from incident_merged_reports").fetchall()[0][0]
    return incidents, single + merged


def publish_cases(con: duckdb.DuckDBPyConnection, load_id: str, kind: str, order_sql: str) -> None:
    """applications, appeals or actions: the first row of each ref loads, identical repeats merge."""
    key = schema.KEYS[kind]
    cols = [f.name for f in stored_fields(kind) if f.name != key]
    hashed, listed = _values_sql(cols)
    con.execute(f"""create or replace temp table _good as
        select *, {hashed} as row_hash, {listed} as row_values from stg_{kind} where reject_code is null""")
    _split_keys(con, "_good", key, order_sql, values=True)
    reject_from(con, load_id, f"'{kind}'", "_keyed where key_rank > 1 and row_hash <> first_hash",
                "'duplicate_key'", f"format('{key} ''{{}}'' already used in {{}} row {{}} with other values ({{}})', "
                f"{key}, first_file, first_row, {_differing_sql(cols)})", f"to_json(struct_pack({key}))::varchar")
    con.execute(f"""insert into etl_merged select '{load_id}', '{kind}', source, source_file, source_row,
        {key}, 'repeated_row' from _keyed where key_rank > 1 and row_hash = first_hash""")
    con.execute(sqlfile.read(kind))
