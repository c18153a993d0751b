"""One generic reader: any declared CSV or XLSX file into a DuckDB table of text, numbered by record.

Every file becomes a table of its header columns as text plus a way to number its records
(`FileRead.row_sql`); `source_row` is the record's number in the partner's file with the header
as 1 (a quoted field with a line break is one record; a blank line is no record), so a reject
can be found in the partner's own file.

CSV goes through DuckDB's reader first (fast, the usual case). When that reader reports any
malformed record, or refuses the file (its sniffer gives up on mixed line endings plus a
truncated row, a stray quote, NUL bytes), the file is read again record by record with Python's
`csv` module: each well-formed record loads, and each broken one (too few or too many fields: a
"Total,12" row, a truncated last line) comes back once, with its record number, the reason and
its raw text.
"""

from __future__ import annotations

import codecs
import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from etl.sources.config import Source


class ReadError(ValueError):
    """A file that cannot be read as declared (encoding, sheet, empty); names the file."""


@dataclass
class FileRead:
    table: str                 # temp table: source_row BIGINT + one VARCHAR column per header
    headers: list[str]
    broken: list[tuple[int, str, str]]   # (source_row, reason, raw text) of structurally broken records
    rows_read: int
    row_sql: str                    # SQL giving each record's source_row in `table`


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def _to_utf8(path: Path, encoding: str) -> Path:
    """Transcode a legacy-encoded CSV to a temporary UTF-8 file, streaming (fails on bad bytes)."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="asb-utf8-")
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with open(path, "rb") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            for chunk in iter(lambda: src.read(1 << 22), b""):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        os.unlink(tmp)
        raise ReadError(f"{path}: not valid {encoding} at byte {exc.start}; declare its encoding "
                        "in sources.toml") from exc
    return Path(tmp)


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str) -> FileRead:
    encoding = source.encoding.replace("windows-1252", "cp1252").replace("iso-8859-1", "latin-1")
    real = path if encoding in ("utf-8", "utf8", "utf-8-sig") else _to_utf8(path, encoding)
    keep, delim = None, source.delimiter or ","
    try:
        with open(real, encoding="utf-8-sig", errors="replace") as fh:
            lines = [fh.readline() for _ in range(source.skip_rows + 1)]
        if not lines[-1].strip():
            raise ReadError(f"{path}: no header row (file empty?)")
        delim = source.delimiter or _sniff_delimiter(lines[-1])
        con.execute(f"drop table if exists {table}; drop table if exists {table}_rej; "
                    f"drop table if exists {table}_scan")
        # Record numbers come from table order, so this read must keep the file's order.
        keep = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
        con.execute("set preserve_insertion_order = true")
        con.execute(
            f"create temp table {table} as select * from read_csv(?, all_varchar=true, header=true,"
            f" delim=?, quote='\"', escape='\"', skip={source.skip_rows},"
            f" null_padding=false, store_rejects=true, rejects_table='{table}_rej',"
            f" rejects_scan='{table}_scan')", [str(real), delim])
        con.execute(f"set preserve_insertion_order = {str(keep).lower()}")
        headers = [r[0] for r in con.execute(f"describe {table}").fetchall()]
        malformed = con.execute(f"select count(*) from {table}_rej").fetchall()[0][0]
        if malformed:  # record numbers and raw text need the careful reader
            if real == path:
                _check_utf8(path)
            return _read_csv_records(con, real, path, delim, source.skip_rows, table)
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: not valid {encoding}; declare its encoding in sources.toml") from exc
    except duckdb.Error:  # DuckDB's sniffer refused the file: read it record by record
        if keep is not None:
            con.execute(f"set preserve_insertion_order = {str(keep).lower()}")
        if real == path:
            _check_utf8(path)
        return _read_csv_records(con, real, path, delim, source.skip_rows, table)
    finally:
        if real != path and os.path.exists(real):
            os.unlink(real)
    first = source.skip_rows + 2  # record number of the first data row
    rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    # record number = position in the table (insertion order kept)
    return FileRead(table, headers, [], rows, f"rowid + {first}")


def _check_utf8(path: Path) -> None:
    """Refuse a file declared UTF-8 whose lines are often not (more than 3 and more than 1%),
    naming the encoding it reads as; a few stray bytes are read as U+FFFD and the file loads."""
    lines = bad = 0
    first = None
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            lines += 1
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad += 1
                first = first or n
    if bad > 3 and bad > 0.01 * lines:
        raise ReadError(f"{path}: {bad:,} of {lines:,} lines are not valid UTF-8 (the first is line {first}); "
                        'it reads as Windows-1252: declare encoding = "cp1252" for its source in sources.toml')


def _lines(path: Path, skip_rows: int):
    """The file's text after `skip_rows` lines, NUL bytes dropped, any line ending kept for csv."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for _ in range(skip_rows):
            fh.readline()
        for line in fh:
            yield line.replace("\0", "")


def _read_csv_records(con: duckdb.DuckDBPyConnection, real: Path, path: Path, delim: str, skip_rows: int,
                      table: str) -> FileRead:
    """Read a CSV record by record (see the module docstring): good records into `table`, broken
    ones returned with their record numbers, reasons and raw text."""
    import csv
    import io

    reader = csv.reader(_lines(real, skip_rows), delimiter=delim, quotechar='"', doublequote=True, strict=False)
    try:
        headers = next(r for r in reader if any(cell.strip() for cell in r))
    except StopIteration:
        raise ReadError(f"{path}: no header row (file empty?)") from None
    except csv.Error as exc:
        raise ReadError(f"{path}: cannot be read as CSV ({exc})") from exc
    headers = [h.strip() or f"column{i}" for i, h in enumerate(headers, 1)]
    good, numbers, broken = [], [], []
    number = skip_rows + 1  # the header's record number
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field larger than the csv module's limit
            number += 1
            broken.append((number, f"the record could not be read: {exc}", ""))
            continue
        if not record or not any(cell.strip() for cell in record):
            continue  # a blank line is not a record
        number += 1
        if len(record) != len(headers):
            raw = io.StringIO()
            csv.writer(raw, delimiter=delim, lineterminator="").writerow(record)
            broken.append((number, f"the record has {len(record)} field{'s' * (len(record) != 1)}, "
                                   f"the header has {len(headers)}", raw.getvalue()))
            continue
        good.append(record)
        numbers.append(number)
    frame = pd.DataFrame(good, columns=headers, dtype="object")
    frame["_source_row"] = pd.array(numbers, dtype="int64")
    con.register("_csv_frame", frame)
    cols = ", ".join(f'cast("{h.replace(chr(34), chr(34) * 2)}" as varchar) as "{h.replace(chr(34), chr(34) * 2)}"'
                     for h in headers)
    con.execute(f"create or replace temp table {table} as select {cols}, _source_row from _csv_frame")
    con.unregister("_csv_frame")
    return FileRead(table, headers, broken, len(good) + len(broken), "_source_row")


def _cell(value) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str) -> FileRead:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        name = source.sheet or book.sheet_names[0]
        if name not in book.sheet_names:
            raise ReadError(f"{path}: no sheet {name!r} (sheets: {book.sheet_names})")
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except ReadError:
        raise
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise ReadError(f"{path}: cannot be read as XLSX ({exc})") from exc
    rows = rows[source.skip_rows:]
    if not rows:
        raise ReadError(f"{path}: sheet {name!r} is empty")
    headers = [str(h).strip() if h not in (None, "") else f"column{i}" for i, h in enumerate(rows[0], 1)]
    body = [r for r in rows[1:]]
    frame = pd.DataFrame([[_cell(v) for v in r] for r in body], columns=headers, dtype="object")
    frame["_source_row"] = range(source.skip_rows + 2, source.skip_rows + 2 + len(frame))
    # Trailing blank rows are formatting, not records.
    blank = frame[headers].isna().all(axis=1)
    frame = frame[~blank | (blank[::-1].cumprod()[::-1] == 0)]
    con.register("_xlsx_frame", frame)
    cols = ", ".join(f'cast("{h.replace(chr(34), chr(34) * 2)}" as varchar) as "{h.replace(chr(34), chr(34) * 2)}"'
                     for h in headers)
    con.execute(f"create or replace temp table {table} as select {cols}, _source_row from _xlsx_frame")
    con.unregister("_xlsx_frame")
    return FileRead(table, headers, [], len(frame), "_source_row")


def read_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str) -> FileRead:
    """Read one file of a source into temp table `table` (text columns plus source_row)."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(con, path, source, table)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(con, path, source, table)
    raise ReadError(f"{path}: unsupported file type {suffix!r} (use .csv or .xlsx)")


def normalise_header(header: str) -> str:
    """Header comparison key: case, spaces, underscores and punctuation ignored."""
    return "".join(ch for ch in header.lower() if ch.isalnum())
