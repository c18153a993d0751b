"""Per-file accounting: rows read = loaded + rejected + merged, counted from the published tables."""

from __future__ import annotations

import duckdb
import pandas as pd

from etl.sources import config
from etl.sources.extract import FileLoad
from etl.transform import scrub
from etl.transform.publish import incident_files

ACCOUNTING_SQL = """
insert into etl_loads
with loaded as (
    select source, source_file, incidents as n, 0 as ctx from _incident_files
    union all select source, source_file, count(*), 0 from applications group by all
    union all select source, source_file, count(*), 0 from appeals group by all
    union all select source, source_file, count(*), 0 from actions group by all
    -- police non-ASB rows: merged (etl_merged, police_context), of which rows_context says how many
    union all select source, source_file, 0, count(*) from police_crimes group by all
),
dated as (
    -- incident_reports' dates: its incidents of one report, and the merged incidents' reports
    select source, source_file, first_single as d from _incident_files
    union all select source, source_file, last_single from _incident_files
    union all select source, source_file, reported_date from incident_merged_reports
    union all select source, source_file, received_date from applications
    union all select source, source_file, received_date from appeals
    union all select source, source_file, agreed_date from actions
    union all select source, source_file, month from police_crimes
),
final as (
    select f.load_id, f.source, f.kind, f.source_file, f.file_sha256, f.rows_read,
        coalesce((select sum(n) from loaded l where l.source = f.source and l.source_file = f.source_file), 0),
        (select count(*) from etl_rejects r where r.source = f.source and r.source_file = f.source_file),
        (select count(*) from etl_merged m where m.source = f.source and m.source_file = f.source_file),
        coalesce((select sum(ctx) from loaded l where l.source = f.source and l.source_file = f.source_file), 0),
        (select min(d) from dated x where x.source = f.source and x.source_file = f.source_file),
        -- police street files give a month, which covers its last day too
        (select case when f.kind = 'police_uk' then last_day(max(d)) else max(d) end
         from dated x where x.source = f.source and x.source_file = f.source_file),
        f.ignored_columns, f.file_error, f.file_note
    from _files f
)
select * from final order by source, source_file
"""


EMPTY_FILE_NOTE = "no records: the file holds its header alone (an export of an empty period, or cut short?)"


def _note(load: FileLoad) -> str | None:
    """What to know of a file that loaded: the reader's note, and that it held no record at all
    (loaded without a word before: the partner may have sent the wrong period or a failed export)."""
    empty = EMPTY_FILE_NOTE if load.error is None and load.rows_read == 0 else None
    renamed = config.RENAMED_NOTE if config.RENAMED.search(load.path) else None
    return "; ".join(n for n in (renamed, load.note, empty) if n) or None


def _scrubbed_error(load: FileLoad) -> str | None:
    """Why a file could not be read, scrubbed after the file's name: the reason may quote the
    partner's text (a workbook's sheet names, "sheet 'Jane Doe 07700 900123' fits"; DuckDB's
    message is scrubbed where it is made). The name before it stays as sent, as everywhere."""
    if load.error is None:
        return None
    head = f"{load.path}: " if load.error.startswith(f"{load.path}: ") else ""
    return head + error_cause(load)


def error_cause(load: FileLoad) -> str:
    """`load.error` without the file's name in front, scrubbed (a refused file's records' reason)."""
    head = f"{load.path}: " if load.error.startswith(f"{load.path}: ") else ""
    return scrub.scrub_text(load.error[len(head):])[0]


def record(con: duckdb.DuckDBPyConnection, load_id: str, loads: list[FileLoad]) -> tuple[int, int]:
    """Fill etl_loads for every file read in this build; returns the rows of `incidents` and of
    `incident_reports` (counted per file by `publish.incident_files`, on the stored parts)."""
    counts = incident_files(con)
    files = pd.DataFrame({
        "load_id": load_id,
        "source": [x.source.slug for x in loads], "kind": [x.source.kind for x in loads],
        "source_file": [x.path for x in loads], "file_sha256": [x.sha256 for x in loads],
        "rows_read": pd.array([x.rows_read for x in loads], dtype="int64"),
        # the headers of columns not read, as sent but scrubbed: a header can hold a name or a phone
        "ignored_columns": [", ".join(scrub.scrub_text(h)[0] for h in x.ignored_columns) or None for x in loads],
        "file_error": [_scrubbed_error(x) for x in loads],
        "file_note": [_note(x) for x in loads],
    }, dtype="object").astype({"rows_read": "int64"})
    con.register("_files_frame", files)
    con.execute("create or replace temp table _files as select * from _files_frame")
    con.unregister("_files_frame")
    con.execute(ACCOUNTING_SQL)
    return counts
