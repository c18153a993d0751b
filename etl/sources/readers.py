"""One generic reader: any declared CSV or XLSX file into a DuckDB table of text, numbered by record.

Every file becomes a table of its header columns as text plus a way to number its records
(`FileRead.row_sql`); `source_row` is the record's number in the partner's file with the header
as 1 (a quoted field with a line break is one record; a blank line, or a row of empty fields, is
no record), so a reject
can be found in the partner's own file. In a workbook it is the row number Excel shows: rows are
counted from row 1 of the sheet (title rows above the header included, as skipped lines are in a
CSV), and a row with no value in any cell is no record although Excel still numbers it.

CSV goes through DuckDB's reader first (fast, the usual case). When that reader reports any
malformed record, or refuses the file (its sniffer gives up on mixed line endings plus a
truncated row, a stray quote, NUL bytes), the file is read again record by record with Python's
`csv` module: each well-formed record loads, and each broken one (too few or too many fields: a
"Total,12" row, a truncated last line; or unbalanced quotes: `"12" pipe"`, see `_broken_quotes`)
comes back once, with its record number, the reason and its raw text. A UTF-16 file (Excel's "Unicode Text", known by its byte-order mark) is decoded as
UTF-16 whatever encoding is declared, and one with UTF-8's byte-order mark (Excel's "CSV UTF-8") as
UTF-8; a workbook, an old .xls or a PDF named .csv is refused
saying what it is.
"""

from __future__ import annotations

import codecs
import datetime as dt
import itertools
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from etl import schema
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
    delimiter: str | None = None    # CSV: the delimiter used (declared or sniffed)
    sheet: str | None = None        # XLSX: the sheet read
    batch: str | None = None        # the temp table of several files read together (`read_batch`)
    whole: FileRead | None = None   # a batch's records of every file, `_file_name` naming each one's file
    header_line: int | None = None  # the header's line in the file (after skip_rows and a `sep=` line)


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


# Files that are not text at all, by their first bytes: refused saying what they are (decoding
# one as Windows-1252 "succeeds" and the advice would be wrong).
_NOT_TEXT = ((b"PK\x03\x04", "an Excel workbook (or another ZIP archive): rename it .xlsx, and make sure "
                             "the source's path matches .xlsx files"),
             (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
              "an old Excel workbook (.xls): open it in Excel and save it as .xlsx"),
             (b"%PDF", "a PDF: ask the partner for the CSV or XLSX export"))
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode Text": UTF-16, decoded whatever is declared


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str) -> FileRead:
    encoding = source.encoding.replace("windows-1252", "cp1252").replace("iso-8859-1", "latin-1")
    with open(path, "rb") as fh:
        head = fh.read(8)
    for magic, what in _NOT_TEXT:
        if head.startswith(magic):
            raise ReadError(f"{path}: not CSV text but {what}")
    if head.startswith(_UTF16_BOMS):
        encoding = "utf-16"
    elif head.startswith(codecs.BOM_UTF8):  # Excel's "CSV UTF-8": its byte-order mark wins over a declared legacy encoding
        encoding = "utf-8-sig"
    real = path if encoding in ("utf-8", "utf8", "utf-8-sig") else _to_utf8(path, encoding)
    delim, skip = source.delimiter or ",", source.skip_rows
    try:
        with open(real, encoding="utf-8-sig", errors="replace") as fh:
            lines = [fh.readline() for _ in range(skip + 2)]
        sep = sep_line(lines[skip])
        skip += bool(sep)
        if not lines[skip].strip():
            raise ReadError(f"{path}: no header row (file empty?)")
        delim = sep or source.delimiter or _sniff_delimiter(lines[skip])
        malformed = _scan_csv(con, table, str(real), delim, skip)
        headers = [r[0] for r in con.execute(f"describe {table}").fetchall()]
        if malformed or _has_empty_records(con, table, headers):  # numbers and raw text need the careful reader
            if real == path:
                _check_utf8(path)
            return _read_csv_records(con, real, path, delim, skip, table)
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: not valid {encoding}; declare its encoding in sources.toml") from exc
    except duckdb.Error:  # DuckDB's sniffer refused the file: read it record by record
        if real == path:
            _check_utf8(path)
        return _read_csv_records(con, real, path, delim, skip, table)
    finally:
        if real != path and os.path.exists(real):
            os.unlink(real)
    first = skip + 2  # record number of the first data row
    rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    # record number = position in the table (insertion order kept)
    return FileRead(table, headers, [], rows, f"rowid + {first}", delimiter=delim, header_line=skip + 1)


def sep_line(line: str) -> str | None:
    """The delimiter named by Excel's `sep=;` line (the first line of some exports, above the
    header), else None. Such a line is skipped like a title row (it keeps its line number) and its
    delimiter is used whatever sources.toml declares: the file says how it was written."""
    text = line.lstrip("\ufeff").rstrip("\r\n")
    return text[4] if len(text) == 5 and text[:4].lower() == "sep=" else None


def _scan_csv(con: duckdb.DuckDBPyConnection, table: str, paths: str | list[str], delim: str, skip: int,
              filename: str | None = None) -> int:
    """DuckDB's reader: `paths` into temp table `table` as text, in the files' order (record numbers
    come from table order), the malformed records into `<table>_rej`; returns how many there
    were. `filename` names a column holding each row's file."""
    con.execute(f"drop table if exists {table}; drop table if exists {table}_rej; drop table if exists {table}_scan")
    keep = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    con.execute("set preserve_insertion_order = true")
    named = f" filename='{filename}', union_by_name=false," if filename else ""
    try:
        con.execute(
            f"create temp table {table} as select * from read_csv(?, all_varchar=true, header=true,"
            f" delim=?, quote='\"', escape='\"', skip={skip}, null_padding=false,{named}"
            f" store_rejects=true, rejects_table='{table}_rej', rejects_scan='{table}_scan')", [paths, delim])
    finally:
        con.execute(f"set preserve_insertion_order = {str(keep).lower()}")
    return con.execute(f"select count(*) from {table}_rej").fetchall()[0][0]


def _has_empty_records(con: duckdb.DuckDBPyConnection, table: str, headers: list[str]) -> bool:
    """Whether DuckDB's reader kept a record whose every field is empty (`,,,,`: a spacer row an
    export writes between blocks). Such a record is no record, as a blank line is none and as a
    workbook row with no value is none: the careful reader skips it and numbers the records
    after it as records (DuckDB numbers by position, so it would count it, and reject it as a
    record without a reference)."""
    empty = " and ".join(f"nullif(trim({quote_ident(h)}), '') is null" for h in headers)
    return bool(headers) and con.execute(f"select exists (select 1 from {table} where {empty})").fetchall()[0][0]


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

    consumed: list[str] = []   # the lines of the record being read (the reader never reads ahead)

    def tracked(lines):
        for line in lines:
            consumed.append(line)
            yield line

    reader = csv.reader(tracked(_lines(real, skip_rows)), delimiter=delim, quotechar='"', doublequote=True,
                        strict=False)
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
        consumed.clear()
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
        if quoting := _broken_quotes("".join(consumed), delim):
            broken.append((number, quoting, "".join(consumed).rstrip("\r\n")))
            continue
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
    return FileRead(table, headers, broken, len(good) + len(broken), "_source_row", delimiter=delim,
                    header_line=skip_rows + 1)


def _broken_quotes(text: str, delim: str) -> str | None:
    """Why a record's quoting is broken, or None. The careful reader splits records as Python's
    `csv` module does by default (leniently, so record numbers match what a spreadsheet shows), but
    a lenient read of a quoted field whose inner quote was not doubled (`"12" pipe"`, `""A2"`)
    silently drops or moves a quote: a reference would become another incident's ('A2"' beside
    'A2'). Such a record is a reject, as DuckDB's strict reader on the fast path also finds it."""
    if '"' not in text:
        return None
    import csv
    import io

    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"', doublequote=True,
                            strict=True):
            pass
    except csv.Error as exc:
        return f"its quotes are unbalanced ({exc}; a quote inside a quoted field is written twice)"
    return None


def _cell(value) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, dt.datetime) and value.time() != dt.time():
        # the time decides the day where the source declares a timezone other than England's
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_xlsx(path: Path, source: Source) -> tuple[str, list[list]]:
    """The sheet a source reads from a workbook (its name) and its rows from A1 as Python values.
    python-calamine parses in Rust without holding the GIL, so `XlsxAhead` parses the next files
    of a source in threads while the current one loads."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        name = source.sheet or book.sheet_names[0]
        if name not in book.sheet_names:
            raise ReadError(f"{path}: no sheet {name!r} (sheets: {book.sheet_names})")
        return name, book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except ReadError:
        raise
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise ReadError(f"{path}: cannot be read as XLSX ({exc})") from exc


class XlsxAhead:
    """The workbooks of a source parsed `ahead` at a time in threads (`parse_xlsx`), in order:
    `take(path)` gives a path's future and starts the next. 4 workbooks of 500,000 rows took
    31.6 s one after another, most of it calamine's parse."""

    def __init__(self, paths: list[Path], source: Source, ahead: int = 2):
        from concurrent.futures import ThreadPoolExecutor

        self._paths, self._source, self._ahead, self._next = list(paths), source, ahead, 0
        self._pool = ThreadPoolExecutor(max_workers=ahead) if len(self._paths) > 1 else None
        self._futures: dict = {}
        self._fill()

    def _fill(self) -> None:
        while self._pool and self._next < len(self._paths) and len(self._futures) < self._ahead:
            path = self._paths[self._next]
            self._futures[path] = self._pool.submit(parse_xlsx, path, self._source)
            self._next += 1

    def take(self, path: Path):
        """The future of `path`'s parse, or None when it is not parsed ahead."""
        future = self._futures.pop(path, None)
        self._fill()
        return future

    def close(self) -> None:
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _cells(column: tuple) -> list[str | None]:
    """`_cell` of every value of a column; a column of text alone (most are) without a call per cell."""
    kinds = set(map(type, column))
    if kinds <= {str}:
        return [v.strip() or None for v in column]
    if kinds <= {str, type(None)}:
        return [v.strip() or None if v is not None else None for v in column]
    return [_cell(v) for v in column]


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str,
               parsed: tuple[str, list[list]] | None = None) -> FileRead:
    name, rows = parsed if parsed is not None else parse_xlsx(path, source)
    rows = rows[source.skip_rows:]
    if not rows:
        raise ReadError(f"{path}: sheet {name!r} is empty")
    below = header_below(source, rows)
    if below:
        # worded as extract._misfit words it for a CSV (that check reads only CSV lines)
        raise ReadError(f"{path}: its header fits none of the {source.kind} columns of source {source.slug}; "
                        f"its header looks like line {source.skip_rows + below + 1} of sheet {name!r}: "
                        f"set skip_rows = {source.skip_rows + below} in sources.toml")
    headers = [str(h).strip() if h not in (None, "") else f"column{i}" for i, h in enumerate(rows[0], 1)]
    body = rows[1:]
    width = len(headers)
    # a column at a time (calamine's rows are as wide as the header; a shorter row is padded)
    columns = list(itertools.zip_longest(*body))[:width] if body else [() for _ in headers]
    frame = pd.DataFrame({str(i): pd.Series(_cells(c), dtype="object") for i, c in enumerate(columns)})
    # source_row = the row number Excel shows (rows are read from A1 on, title rows included)
    frame["_source_row"] = range(source.skip_rows + 2, source.skip_rows + 2 + len(body))
    con.register("_xlsx_frame", frame)
    cols = ", ".join(f'cast("{i}" as varchar) as "{h.replace(chr(34), chr(34) * 2)}"' for i, h in enumerate(headers))
    # A row with no value is no record (trailing formatting, a spacer between blocks), as a blank
    # CSV line is none; the records after it keep their Excel row numbers.
    anything = " or ".join(f'"{i}" is not null' for i in range(width)) or "false"
    con.execute(f"create or replace temp table {table} as select {cols}, _source_row from _xlsx_frame "
                f"where {anything}")
    con.unregister("_xlsx_frame")
    rows_read = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    return FileRead(table, headers, [], rows_read, "_source_row", sheet=name, header_line=source.skip_rows + 1)


def header_below(source: Source, rows: list[list], look: int = 20) -> int | None:
    """When the first row names none of the source's columns (a title above the header) and one
    of the next `look` rows names at least two, that row's offset; else None. Names are matched as
    extract matches headers: the declared header of a mapped column, else the canonical name.
    Used for workbooks here and for CSV lines by extract's refusal message."""
    if not rows or _fit_row(source, rows[0]):
        return None
    return next((k for k in range(1, min(len(rows), look + 1)) if _fit_row(source, rows[k]) >= 2), None)


def _fit_row(source: Source, row) -> int:
    """How many of the source's columns a row names: the declared header of a mapped column, else
    the canonical name, matched as extract matches headers."""
    wanted = {normalise_header(source.columns.get(f.name, f.name)) for f in schema.INPUTS.get(source.kind, ())}
    return len(wanted & {normalise_header(str(v)) for v in row if v not in (None, "")})


def sheet_that_fits(path: Path, source: Source) -> str | None:
    """For a workbook read from its first sheet (no `sheet` declared) whose header fits nothing:
    the first other sheet whose row after `skip_rows` names at least two of the source's columns
    (the data behind a cover or notes sheet), else None. Only the refusal message reads this."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names[1:]:
            rows = list(itertools.islice(book.get_sheet_by_name(name).iter_rows(), source.skip_rows + 1))
            if len(rows) > source.skip_rows and _fit_row(source, rows[source.skip_rows]) >= 2:
                return name
    except Exception:  # noqa: BLE001 - a corrupt sheet gives no hint; the file is refused anyway
        return None
    return None


BATCH_BYTES = 2 << 30  # files read together by `read_batch`, at most this much text at a time (DuckDB spills beyond its memory limit)


def _plain_header(path: Path, source: Source) -> tuple[str, str, int] | None:
    """(header line, delimiter, lines before the header) of a CSV that DuckDB can read as it is
    (UTF-8 with or without its byte-order mark, no other magic, a header row), else None."""
    if path.suffix.lower() not in (".csv", ".txt", ".tsv") or source.encoding not in ("utf-8", "utf8"):
        return None
    with open(path, "rb") as fh:
        head = fh.read(8)
        fh.seek(0)
        lines = [fh.readline() for _ in range(source.skip_rows + 2)]
    if head.startswith(_UTF16_BOMS) or any(head.startswith(m) for m, _ in _NOT_TEXT):
        return None
    try:  # a UTF-8 byte-order mark (Excel's "CSV UTF-8") is skipped by DuckDB's reader in every file
        text = [line.decode("utf-8").removeprefix("\ufeff") for line in lines]
    except UnicodeDecodeError:
        return None
    skip = source.skip_rows
    sep = sep_line(text[skip])
    skip += bool(sep)
    header = text[skip].rstrip("\r\n")
    return (header, sep or source.delimiter or _sniff_delimiter(header), skip) if header.strip() else None


def read_batch(con: duckdb.DuckDBPyConnection, paths: list[Path], source: Source, table: str) -> dict[Path, FileRead]:
    """Read several CSV files of a source in one DuckDB scan when they share a header line and a
    delimiter (a partner's monthly files): the 22 files of the national bench (1.4 GiB) take
    12.0 s at once against 15.5 s one by one. Each file's records are a row range of `table` (`FileRead.table` selects it, with
    the file's own record numbers). Returns the files read this way; a file left out (another
    layout, another encoding) or a batch DuckDB finds any malformed record in is read on its own
    by `read_file`, which gives broken records their numbers and reasons."""
    groups: dict[tuple[str, str, int, int], list[Path]] = {}
    size: dict[tuple[str, str, int], tuple[int, int]] = {}  # (header, delimiter, skip) -> (batch number, bytes)
    for path in paths:
        key = _plain_header(path, source)
        if key:
            number, held = size.get(key, (0, 0))
            if held and held + path.stat().st_size > BATCH_BYTES:  # a batch's text in memory stays small
                number, held = number + 1, 0
            size[key] = (number, held + path.stat().st_size)
            groups.setdefault((*key, number), []).append(path)
    out: dict[Path, FileRead] = {}
    for n, ((_, delim, skip, _), files) in enumerate(groups.items()):
        if len(files) < 2:
            continue
        name = f"{table}_{n}"
        try:
            malformed = _scan_csv(con, name, [str(p) for p in files], delim, skip, "_file_name")
        except duckdb.Error:
            continue
        headers = [r[0] for r in con.execute(f"describe {name}").fetchall() if r[0] != "_file_name"]
        if malformed or _has_empty_records(con, name, headers):
            con.execute(f"drop table {name}")
            continue
        ranges = dict((f, (lo, hi)) for f, lo, hi in con.execute(
            f"select _file_name, min(rowid), max(rowid) from {name} group by 1").fetchall())
        first = skip + 2
        con.execute(f"create or replace temp table {name}_files (file varchar, lo bigint)")
        con.executemany(f"insert into {name}_files values (?, ?)", [(f, lo) for f, (lo, _) in ranges.items()])
        whole = FileRead(f"(select b.*, b.rowid - f.lo + {first} as _source_row from {name} b "
                         f"join {name}_files f on f.file = b._file_name)", headers, [],
                         sum(hi - lo + 1 for lo, hi in ranges.values()), "_source_row", delimiter=delim, batch=name)
        for path in files:
            lo, hi = ranges.get(str(path), (0, -1))
            relation = (f"(select * exclude (_file_name), rowid - {lo} + {first} as _source_row from {name} "
                        f"where rowid between {lo} and {hi})")
            out[path] = FileRead(relation, headers, [], hi - lo + 1, "_source_row", delimiter=delim, batch=name,
                                 header_line=skip + 1,
                                 whole=whole)
    return out


def read_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str,
              parsed=None) -> FileRead:
    """Read one file of a source into temp table `table` (text columns plus source_row);
    `parsed`: a workbook's `parse_xlsx` future (`XlsxAhead`), else it is parsed here."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(con, path, source, table, parsed.result() if parsed is not None else None)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(con, path, source, table)
    raise ReadError(f"{path}: unsupported file type {suffix!r} (use .csv or .xlsx)")


def quote_ident(header: str) -> str:
    """A file's header as a quoted SQL identifier."""
    return '"' + header.replace('"', '""') + '"'


def normalise_header(header: str) -> str:
    """Header comparison key: case, spaces, underscores and punctuation ignored."""
    return "".join(ch for ch in header.lower() if ch.isalnum())
