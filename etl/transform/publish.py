"""From staged rows to the published tables: candidates, keys, de-duplication, incidents, cases.

Every staged row ends in exactly one place: a published table (loaded), `etl_rejects` (with its
reason) or `etl_merged` (folded into a row that is kept). `etl/sources/accounting.py` proves it per file.
"""

from __future__ import annotations

import duckdb

from etl import schema, sqlfile
from etl.transform.stage import stored_fields


def reject_from(con, load_id: str, kind: str, relation: str, code: str, reason: str, raw: str) -> None:
    """Append rows of `relation` to etl_rejects (`kind`, `code`, `reason`, `raw` are SQL expressions)."""
    con.execute(f"""insert into etl_rejects select '{load_id}', source, {kind}, source_file,
        source_row, {code}, {reason}, {raw} from {relation}""")


def police_rows(con: duckdb.DuckDBPyConnection) -> None:
    """`_police`: good street-level rows with a content key; the n-th identical row of a file is
    `<key>-<n>`, so a month published twice (a re-download) repeats the same refs."""
    con.execute("""create or replace temp table _police as
        select p.*, l.authority_code as lsoa_authority_code,
               content_key || '-' || row_number() over (partition by source_file, content_key
                                                        order by source_row) as police_ref
        from (select *, left(md5(concat_ws('|', crime_type, falls_within, month, longitude, latitude,
                                              location, lsoa_code, lsoa_name, crime_id)), 16) as content_key,
                     null as row_hash
              from stg_police_uk where reject_code is null) p
        left join _lsoa_name_map l using (lsoa_name)""")


def candidates(con: duckdb.DuckDBPyConnection) -> None:
    """`_cand`: good incident rows from canonical sources and ASB rows from police street files."""
    inc = stored_fields("incidents")
    hash_cols = ", ".join(f"coalesce(cast({f.name} as varchar), '')" for f in inc if f.name != "incident_ref")
    con.execute(f"""create or replace temp view _cand as
        select source, source_file, source_row, 'incidents' as kind, incident_ref, agency, authority_code,
            reported_date, coalesce(occurred_date, reported_date) as occurred_date, asb_category,
            asb_type, latitude, longitude, easting, northing, postcode, location_desc, person_key,
            victim_type, is_hate = 'Y' as is_hate, case_ref, review_explained_date, date_errors,  -- blank hate: unknown
            null::varchar as source_lsoa_code, null::varchar as source_lsoa_name,
            null::varchar as source_lsoa_authority_code, md5(concat_ws('|', {hash_cols})) as row_hash
        from stg_incidents where reject_code is null
        union all by name
        select source, source_file, source_row, 'police_uk' as kind, police_ref as incident_ref,
            'police' as agency, null as authority_code, month as reported_date, month as occurred_date,
            null as asb_category, null as asb_type, latitude, longitude, null as easting,
            null as northing, null as postcode, location as location_desc, null as person_key,
            null as victim_type, null::boolean as is_hate, null as case_ref, null::date as review_explained_date, null::varchar as date_errors, lsoa_code as source_lsoa_code,
            lsoa_name as source_lsoa_name, lsoa_authority_code as source_lsoa_authority_code,
            content_key as row_hash
        from _police where crime_type = '{schema.POLICE_ASB_TYPE}'""")


def police_context(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """Non-ASB street-level rows, loaded for context only (a republished row merges)."""
    _split_keys(con, f"_police where crime_type <> '{schema.POLICE_ASB_TYPE}'", "source, police_ref",
                "source_file, source_row")
    con.execute("""insert into police_crimes
        select source, month, crime_type, falls_within, latitude, longitude, lsoa_code,
               lsoa_authority_code, last_outcome_category, source_file, source_row
        from _keyed where key_rank = 1""")
    con.execute(f"""insert into etl_merged select '{load_id}', 'police_uk', source, source_file, source_row,
        police_ref, 'police_republished' from _keyed where key_rank > 1""")


def _split_keys(con, relation: str, key: str, order: str) -> None:
    """`_keyed`: rows of `relation` with key_rank and the first occurrence's file, row and hash."""
    con.execute(f"""create or replace temp table _keyed as
        select *, row_number() over w as key_rank,
               first_value(row_hash) over w as first_hash,
               first_value(source_file) over w as first_file,
               first_value(source_row) over w as first_row
        from {relation}
        window w as (partition by {key} order by {order})""")


def keyed_reports(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """Repeated keys: identical repeats merge into the first row, conflicting ones are rejects.

    Keys repeat rarely, so the repeated ones are found with a hash aggregate first and only their
    rows are ranked; `_reports` is a view over the located rows minus those repeats.
    """
    reject_from(con, load_id, "kind", "_located where loc_reject is not null",
                "loc_reject.code", "loc_reject.reason", "to_json(struct_pack(incident_ref, agency, "
                "reported_date, postcode, latitude := in_latitude, longitude := in_longitude, "
                "easting := in_easting, northing := in_northing, location_desc, source_lsoa_name))::varchar")
    con.execute("""create or replace temp table _repeated as
        select source, incident_ref from _located where loc_reject is null
        group by all having count(*) > 1""")
    _split_keys(con, "_located l semi join _repeated r using (source, incident_ref) where loc_reject is null",
                "source, incident_ref", "source_file, source_row")
    reject_from(con, load_id, "kind", "_keyed where key_rank > 1 and row_hash <> first_hash",
                "'duplicate_key'", "format('incident_ref ''{}'' already used in {} row {} with other values', "
                "incident_ref, first_file, first_row)",
                "to_json(struct_pack(incident_ref, agency, reported_date, asb_type))::varchar")
    con.execute("""create or replace temp table _repeats as
        select source || ':' || incident_ref as report_id, source, source_file, source_row, kind,
               row_hash = first_hash as is_repeat
        from _keyed where key_rank > 1""")
    con.execute("""create or replace temp view _reports as
        select l.*, l.source || ':' || l.incident_ref as report_id
        from _located l anti join _repeats r using (source_file, source_row)
        where l.loc_reject is null""")


def publish_incidents(con: duckdb.DuckDBPyConnection, load_id: str) -> None:
    """incident_reports, incidents and etl_merged for incidents."""
    con.execute("""insert into incident_reports
        select coalesce(m.root, r.report_id), r.report_id, r.source, r.agency, r.reported_date,
               m.root is not null, r.source_file, r.source_row
        from _reports r left join _root m using (report_id)""")
    con.execute(f"""insert into etl_merged
        select '{load_id}', r.kind, r.source, r.source_file, r.source_row, m.root, m.rule
        from _reports r join _root m using (report_id)
        union all
        select '{load_id}', p.kind, p.source, p.source_file, p.source_row,
               coalesce(m.root, p.report_id),
               case when p.kind = 'police_uk' then 'police_republished' else 'repeated_row' end
        from _repeats p left join _root m using (report_id) where p.is_repeat""")
    con.execute(sqlfile.read("incidents"))


def publish_cases(con: duckdb.DuckDBPyConnection, load_id: str, kind: str, order_sql: str) -> None:
    """applications or appeals: the first row of each ref loads, identical repeats merge."""
    key = schema.KEYS[kind]
    cols = [f.name for f in stored_fields(kind)]
    hashed = ", ".join(f"coalesce(cast({c} as varchar), '')" for c in cols if c != key)
    con.execute(f"""create or replace temp table _good as
        select *, md5(concat_ws('|', {hashed})) as row_hash from stg_{kind} where reject_code is null""")
    _split_keys(con, "_good", key, order_sql)
    reject_from(con, load_id, f"'{kind}'", "_keyed where key_rank > 1 and row_hash <> first_hash",
                "'duplicate_key'", f"format('{key} ''{{}}'' already used in {{}} row {{}} with other values', "
                f"{key}, first_file, first_row)", f"to_json(struct_pack({key}))::varchar")
    con.execute(f"""insert into etl_merged select '{load_id}', '{kind}', source, source_file, source_row,
        {key}, 'repeated_row' from _keyed where key_rank > 1 and row_hash = first_hash""")
    con.execute(sqlfile.read(kind))
