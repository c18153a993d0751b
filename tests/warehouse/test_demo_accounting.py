"""Every file of the demo inputs adds up, counted by an independent reader (DESIGN.md contracts).

For each file a source's glob matches: `etl_loads` has one row, rows read = loaded + rejected +
merged, and rows read = the records an independent reader finds in the file:

- CSV: Python's `csv` module with the source's declared encoding and delimiter (sources.toml),
  after `skip_rows` lines; the header and blank lines are not records;
- XLSX: openpyxl (read-only, values only) on the declared sheet, after `skip_rows` rows; the
  header is not a record, nor is a row with no value in any cell (trailing or between records).

And every record's number appears exactly once across the tables that account for it: the
loaded table (incident_reports for incidents, applications, appeals), etl_merged (rows not also
in incident_reports) and etl_rejects. The numbering is the one etl_rejects documents ("record
number in the file, header = 1"): for CSV the header is record skip_rows + 1 and each non-blank
record adds one; for XLSX a record's number is its row number in the sheet as Excel shows it.

Uses the session's demo warehouse (tests/conftest.py `demo_build`): no build of its own.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import duckdb
import openpyxl
import pytest

from etl.sources import config

LOADED_TABLE = {"incidents": "incident_reports", "applications": "applications", "appeals": "appeals",
                "police_uk": None, "actions": "actions"}


def csv_record_numbers(path: Path, source: config.Source) -> list[int]:
    """Record numbers of the data records of a CSV, as the csv module reads it."""
    encoding = "utf-8-sig" if source.encoding in ("utf-8", "utf8") else source.encoding
    with open(path, encoding=encoding, newline="") as fh:
        for _ in range(source.skip_rows):
            fh.readline()
        records = (r for r in csv.reader(fh, delimiter=source.delimiter or ",") if any(c.strip() for c in r))
        next(records)  # the header
        return [source.skip_rows + 1 + n for n, _ in enumerate(records, 1)]


def xlsx_record_numbers(path: Path, source: config.Source) -> list[int]:
    """Excel row numbers of the data records of a workbook's declared sheet, as openpyxl reads it."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book[source.sheet] if source.sheet else book.worksheets[0]
        numbers = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            if number <= source.skip_rows + 1:
                continue  # title rows and the header
            if any(v is not None and str(v).strip() for v in row):
                numbers.append(number)
        return numbers
    finally:
        book.close()


def record_numbers(path: Path, source: config.Source) -> list[int]:
    return xlsx_record_numbers(path, source) if path.suffix.lower() == ".xlsx" else csv_record_numbers(path, source)


@pytest.fixture(scope="module")
def demo(demo_build):
    inputs, warehouse, _ = demo_build
    con = duckdb.connect(str(warehouse), read_only=True)
    cfg = config.load(inputs)
    files = [(s, p, cfg.display_path(p)) for s in cfg.sources for p in s.files(inputs)]
    yield cfg, con, files
    con.close()


def _loads(con) -> dict[tuple[str, str], tuple]:
    rows = con.execute("""select source, source_file, rows_read, rows_loaded, rows_rejected, rows_merged, file_error
        from etl_loads where load_id = (select load_id from etl_builds order by built_at desc limit 1)""").fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test__demo_accounting__every_file_has_one_etl_loads_row_and_adds_up(demo):
    cfg, con, files = demo
    loads = _loads(con)
    assert len(files) >= 80 and {x.suffix for _, x, _ in files} == {".csv", ".xlsx"}
    assert set(loads) == {(s.slug, rel) for s, _, rel in files}
    wrong = {key: row for key, row in loads.items() if row[0] != row[1] + row[2] + row[3] or row[4] is not None}
    assert not wrong, f"files that do not add up or could not be read: {wrong}"


def test__demo_accounting__rows_read_is_what_an_independent_reader_finds(demo):
    cfg, con, files = demo
    loads = _loads(con)
    wrong = {}
    for source, path, rel in files:
        found = len(record_numbers(path, source))
        if loads[(source.slug, rel)][0] != found:
            wrong[rel] = (loads[(source.slug, rel)][0], found)
    assert not wrong, f"file: (rows read in etl_loads, records found by csv/openpyxl): {wrong}"


def _numbers(con, table: str, source: str, rel: str, where: str = "") -> list[int]:
    return [r[0] for r in con.execute(f"""select source_row from {table}
        where source = ? and source_file = ? {where}""", [source, rel]).fetchall()]


def test__demo_accounting__every_record_number_appears_exactly_once(demo):
    cfg, con, files = demo
    wrong = {}
    for source, path, rel in files:
        expected = record_numbers(path, source)
        loaded = _numbers(con, LOADED_TABLE[source.kind], source.slug, rel)
        merged = _numbers(con, "etl_merged m", source.slug, rel, """and not exists (select 1 from
            incident_reports r where (r.source, r.source_file, r.source_row) = (m.source, m.source_file, m.source_row))""")
        rejected = _numbers(con, "etl_rejects", source.slug, rel)
        seen = Counter(loaded + merged + rejected)
        twice = sorted(n for n, k in seen.items() if k > 1)
        missing, extra = sorted(set(expected) - set(seen)), sorted(set(seen) - set(expected))
        if twice or missing or extra:
            wrong[rel] = {"twice": twice[:5], "missing": missing[:5], "not a record": extra[:5]}
    assert not wrong, wrong


def test__demo_accounting__the_demo_has_merges_and_rejects_to_account_for(demo):
    """The checks above are not vacuous: the demo's files hold merged rows and rejects of every kind."""
    _, con, _ = demo
    merged = dict(con.execute("select kind, count(*) from etl_merged group by 1").fetchall())
    rejected = dict(con.execute("select kind, count(*) from etl_rejects group by 1").fetchall())
    assert merged.get("incidents", 0) > 0
    assert all(rejected.get(k, 0) > 0 for k in ("incidents", "applications", "appeals", "actions"))
