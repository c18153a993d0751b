"""One generic reader: any declared CSV or XLSX file into a DuckDB table of text, numbered by record.

Every file becomes a table of its header columns as text plus a way to number its records
(`FileRead.row_sql`, a column named `ROW`); `source_row` is the row a spreadsheet shows the record
on, with the first line as 1 (a quoted field with a line break stays in one row; a blank line, or
a row of empty fields, is no record but is a row, so the records after it keep their rows), so a
reject can be found in the partner's own file. Blank lines above the header are skipped (they
count as lines, as title rows do). In a workbook it is the row number Excel shows: rows are
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
import csv
import datetime as dt
import functools
import io
import itertools
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from etl import schema
from etl.sources.config import Source
from etl.transform import plain, scrub


class ReadError(ValueError):
    """A file that cannot be read as declared (encoding, sheet, empty); names the file. `rows`:
    the rows of the records it holds when they could be told apart though the file is refused (a
    workbook's title row taken for its header), each then a `file_refused` reject."""

    def __init__(self, message: str, rows: list[int] | None = None):
        super().__init__(message)
        self.rows = rows or []


@dataclass
class FileRead:
    table: str                 # temp table or relation: one VARCHAR column per header + ROW (BIGINT)
    headers: list[str]
    broken: list[tuple[int, str, str]]   # (source_row, reason, raw text) of structurally broken records
    rows_read: int
    row_sql: str                    # SQL giving each record's source_row in `table`
    delimiter: str | None = None    # CSV: the delimiter used (declared or sniffed)
    sheet: str | None = None        # XLSX: the sheet read
    batch: str | None = None        # the temp table of several files read together (`read_batch`)
    whole: FileRead | None = None   # a batch's records of every file, `_file_name` naming each one's file
    header_line: int | None = None  # the header's line in the file (after skip_rows and a `sep=` line)
    note: str | None = None         # something the partner should know of a file that loaded (`_check_utf8`)
    raw_headers: list[str] | None = None   # the header as written, a repeated name repeated (`unique_headers`)
    padded: bool = True             # a value may have whitespace around it that DuckDB's trim leaves (`padded`)

    def written(self) -> list[str]:
        """Each column's header as the file writes it (`headers` holds them made unique)."""
        return self.raw_headers if self.raw_headers and len(self.raw_headers) == len(self.headers) else self.headers


def unique_headers(headers: list[str]) -> list[str]:
    """A header's names made unique as DuckDB's CSV reader makes them (its names ignore case): a
    repeated name takes `_1`, `_2`, ... ("Date", "Date" -> "Date", "Date_1"), so every reader names a
    file's columns alike, and a column is chosen under [source.columns] by that name (`asb check`
    lists them)."""
    seen: set[str] = set()
    out = []
    for header in headers:
        name, k = header, 0
        while name.lower() in seen:
            k += 1
            name = f"{header}_{k}"
        seen.add(name.lower())
        out.append(name)
    return out


def header_cells(line: str, delimiter: str) -> list[str]:
    """A CSV header line's names as written (trimmed; a blank one is `column<n>`, as the careful
    reader names it)."""
    cells = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter, quotechar='"'), [])
    return [c.strip() or f"column{i}" for i, c in enumerate(cells, 1)]


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def _to_utf8(path: Path, encoding: str, lenient: bool = False) -> tuple[Path, str | None]:
    """Transcode a legacy-encoded CSV to a temporary UTF-8 file, streaming; with the note of bytes
    the encoding does not define. Such a byte fails it (ReadError) unless `lenient`: then, as in a
    file declared UTF-8 (`_check_utf8`), a few lines holding them (3 at most, or 1% of the lines)
    are read with each such byte as U+FFFD and the note says how many lines and which first (one
    byte 0x81 in a cp1252 file refused the whole file, and the build: the accounting audit of 6
    December 2026); more refuse the file, naming the first line."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="asb-utf8-")
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with open(path, "rb") as src, os.fdopen(fd, "w", encoding="utf-8", newline="") as dst:
            for chunk in iter(lambda: src.read(1 << 22), b""):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
        return Path(tmp), None
    except UnicodeDecodeError as exc:
        if lenient and "\n".encode(encoding) == b"\n":   # lines split on b"\n" (cp1252, latin-1, ...)
            try:
                return Path(tmp), _to_utf8_by_line(path, Path(tmp), encoding)
            except BaseException:
                os.unlink(tmp)
                raise
        os.unlink(tmp)
        raise ReadError(f"{path}: not valid {encoding} at byte {exc.start}; declare its encoding "
                        "in sources.toml") from exc


def _to_utf8_by_line(path: Path, tmp: Path, encoding: str) -> str:
    """`_to_utf8`'s lenient transcoding, line by line; its note, or ReadError."""
    lines = bad = 0
    first = None
    with open(path, "rb") as src, open(tmp, "w", encoding="utf-8", newline="") as dst:
        for n, line in enumerate(src, 1):
            lines += 1
            try:
                dst.write(line.decode(encoding))
            except UnicodeDecodeError:
                bad += 1
                first = first or n
                dst.write(line.decode(encoding, errors="replace"))
    if bad > 3 and bad > 0.01 * lines:
        raise ReadError(f"{path}: {bad:,} of {lines:,} lines are not valid {encoding} (the first is line {first}); "
                        "declare its encoding in sources.toml")
    return (f"{bad} line{'s hold' if bad > 1 else ' holds'} bytes that {encoding} does not define "
            f"({'the first is ' if bad > 1 else ''}line {first}), read as \ufffd: if the file is not {encoding}, "
            "declare its encoding in sources.toml")


# Files that are not text at all, by their first bytes: refused saying what they are (decoding
# one as Windows-1252 "succeeds" and the advice would be wrong).
_NOT_TEXT = ((b"PK\x03\x04", "an Excel workbook (or another ZIP archive): rename it .xlsx, and make sure "
                             "the source's path matches .xlsx files"),
             (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
              "an old Excel workbook (.xls): open it in Excel and save it as .xlsx"),
             (b"%PDF", "a PDF: ask the partner for the CSV or XLSX export"))
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode Text": UTF-16, decoded whatever is declared


# The column giving each record's number (`source_row`) in every table or relation a reader
# returns: a real column under a reserved name, never DuckDB's `rowid` pseudo-column, which a
# partner's own column named RowID (any case) would shadow.
ROW = "__asb_source_row"
_PATTERN = re.compile(r"[*?\[\]{}]|^~")  # what DuckDB's readers take for a glob pattern (or a home folder)


def _is_blank_line(line: str) -> bool:
    """A line above the header holding nothing: empty, spaces, or only delimiters and quotes
    (`,,,,`, an export's spacer)."""
    return not line.strip(" \t\r\n\ufeff,;|\"")


def _header_position(lines, skip_rows: int) -> tuple[str | None, int, str | None]:
    """(delimiter named by a `sep=` line or None, lines above the header, the header line or None)
    of a file's lines (an iterator of text lines): `skip_rows` lines, then blank lines (as a
    spreadsheet shows them: rows, so the header keeps its line number) and Excel's `sep=` line."""
    it = iter(lines)
    above = 0
    for _ in range(skip_rows):
        if next(it, None) is None:
            return None, above, None
        above += 1
    sep = None
    for line in it:
        if _is_blank_line(line) and not sep_line(line):
            above += 1
            continue
        if sep is None and (named := sep_line(line)):
            sep = named
            above += 1
            continue
        return sep, above, line
    return sep, above, None


_BLANK_LINE = re.compile(rb"\n[\r\n]")   # an empty line in a LF or CRLF file ("\n\r" also: rare, checked carefully)
_BLANK_LINE_CR = re.compile(rb"\r\r")     # in a file whose lines end with CR alone


@functools.lru_cache(maxsize=4096)
def _text_scan(path: str, size: int, mtime_ns: int) -> tuple[bool, int | None, tuple[bool, bool]]:
    """One bytes scan of a file in 4 MiB chunks: (whether it has an empty line before its last
    non-blank byte, or a NUL byte anywhere; its lines, or None when the scan stopped at an empty
    line; `_padding` of the chunks read). DuckDB's reader skips an empty line without a word, so
    the records after it would be numbered one row too low (a spreadsheet shows the empty row), and
    it keeps a NUL byte in its field ('coun\\0cil', then a reject), which the careful reader drops.
    Such a file is read by the careful reader, which numbers records by the row they are on, so a
    record loads the same whichever line elsewhere in its file; a blank line inside a quoted field
    also sends the file there (slower, same numbers). The lines are its line ends (LF, or CR in a
    file whose lines end with CR alone), and one more when its last line has none
    (`_one_line_records`). 1.05-1.2 s over the 1.85 GB of CSV of the 10-million-row bench on its
    2-core machine (reading them alone, `cat`: 0.5 s), the count of line ends about 0.1 s a GB
    more, `_padding` about 0.15 s a GB."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
        cr_only = b"\n" not in head and b"\r" in head
        pattern, mark = (_BLANK_LINE_CR, b"\r") if cr_only else (_BLANK_LINE, b"\n")
        tab, other = False, cr_only   # in a file of CR line ends, a CR may end a value as well as a line
        fh.seek(0)
        found, base, last, ends = -1, 0, b"", 0
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            if b"\0" in chunk:
                return True, None, (True, True)
            if pattern.match(last + chunk[:1]):  # across two chunks (no copy of the chunk itself)
                found = base - 1
                break
            if m := pattern.search(chunk):
                found = base + m.start()
                break
            lines = chunk.count(mark)
            ends += lines
            if not (tab and other):
                has_tab, has_other = _padding(chunk, lines, cr_only, last == b"\r" and chunk[:1] == b"\n")
                tab, other = tab or has_tab, other or has_other
            last, base = chunk[-1:], base + len(chunk)
        if found < 0:
            return False, ends + (1 if last and last not in (b"\n", b"\r") else 0), (tab, other)
        fh.seek(found)
        rest = fh.read(1 << 16)
        return (bool(rest.strip()) or len(rest) == 1 << 16 and _has_text_after(fh), None,  # a NUL is no blank
                (True, True))


# What may stand around a value besides a space, as bytes: a control character other than a line
# end (a tab, a vertical tab, a form feed, the separators), and the UTF-8 of the other whitespace
# characters of plain.WHITESPACE: a non-breaking space or NEL (C2 A0, C2 85), U+1680 (E1 9A 80),
# U+2000-U+200A, U+2028, U+2029, U+202F (E2 80 80-8A, A8, A9, AF), U+205F (E2 81 9F), U+3000
# (E3 80 80). tests/unit/test_readers_padding.py holds the bytes to plain.WHITESPACE.
_WIDE_LEADS = np.array([0xC2, 0xE1, 0xE2, 0xE3], dtype=np.uint8)


def _padding(chunk: bytes, lines: int, cr_only: bool, split_crlf: bool = False) -> tuple[bool, bool]:
    """(whether `chunk` holds a tab, whether it holds another whitespace character than a space
    and its line ends: a CR outside a CRLF, a vertical tab or form feed, a non-breaking space, ...)
    `lines`: its LF count (its CR count in a file whose lines end with CR alone). A value of a file
    with neither needs no trim but DuckDB's of spaces (`padded`). Counted with NumPy: a chunk of
    plain text in one comparison, and a wide character by its lead byte, then the two after it.
    `split_crlf`: the chunk starts with the LF of a CRLF whose CR ended the chunk before (a CRLF
    cut by the chunks' edge is a line end, not a CR in a value)."""
    array = np.frombuffer(chunk, dtype=np.uint8)
    controls = int(np.count_nonzero(array < 32))
    tab = other = False
    if controls != lines:
        tabs = chunk.count(b"\t")
        crs = 0 if cr_only else chunk.count(b"\r")
        tab = tabs > 0
        line_crs = lines - split_crlf + chunk.endswith(b"\r")   # the CRs of its CRLFs, when it has them
        other = controls - lines - tabs - crs > 0 or crs not in (0, line_crs)
    if other or chunk.isascii():
        return tab, other
    at = np.flatnonzero(np.isin(array, _WIDE_LEADS))
    if not at.size:
        return tab, False
    if at[-1] >= len(array) - 2:   # a character cut by the chunk's end: taken as padding
        return tab, True
    lead, b1, b2 = array[at], array[at + 1], array[at + 2]
    wide = (((lead == 0xC2) & ((b1 == 0xA0) | (b1 == 0x85)))
            | ((lead == 0xE1) & (b1 == 0x9A) & (b2 == 0x80))
            | ((lead == 0xE2) & (b1 == 0x80) & (((b2 >= 0x80) & (b2 <= 0x8A)) | (b2 == 0xA8) | (b2 == 0xA9)
                                               | (b2 == 0xAF)))
            | ((lead == 0xE2) & (b1 == 0x81) & (b2 == 0x9F))
            | ((lead == 0xE3) & (b1 == 0x80) & (b2 == 0x80)))
    return tab, bool(wide.any())


def _one_line_records(path: Path, skip: int, records: int) -> bool:
    """Whether a file's records are each one line (its lines are the header's, the lines above
    it and one per record): then no field holds a line break, and `_swallows` need not look. A
    file whose scan stopped at an empty line (at its end: others go to the careful reader) is
    looked at."""
    st = os.stat(path)
    return _text_scan(str(path), st.st_size, st.st_mtime_ns)[1] == skip + 1 + records


def _has_text_after(fh) -> bool:
    return any(chunk.strip() for chunk in iter(lambda: fh.read(1 << 22), b""))


def padded(path: Path, delimiter: str | None, skip: int, records: int) -> bool:
    """Whether a value of a CSV file may have whitespace around it that DuckDB's trim leaves (a tab
    but as the delimiter, a CR, a non-breaking space, a line break inside a quoted field): its
    values are then trimmed as a workbook's cells are (etl/sources/extract.py `stripped`), which
    costs about 36 ns a value read record by record."""
    st = os.stat(path)
    _, _, (tab, other) = _text_scan(str(path), st.st_size, st.st_mtime_ns)
    return other or (tab and delimiter != "\t") or not _one_line_records(path, skip, records)


def blank_line_or_nul(path: Path) -> bool:
    """`_text_scan`'s empty line or NUL byte of a file as it is now (cached by size and time)."""
    st = os.stat(path)
    return _text_scan(str(path), st.st_size, st.st_mtime_ns)[0]


HEAD_BYTES = 4096   # the first bytes of a file that say how it is encoded (`encoding_read`)


def encoding_read(head: bytes, declared: str) -> str:
    """The encoding a CSV file is read in, from its first bytes (`HEAD_BYTES`) and the declared
    (Python) one: a UTF-16 byte-order mark (Excel's "Unicode Text") gives "utf-16" and UTF-8's
    (Excel's "CSV UTF-8") "utf-8-sig", whatever is declared; UTF-16 without a byte-order mark
    (`utf16_without_bom`) "utf-16-le" or "utf-16-be"; else the declared one."""
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):  # its byte-order mark wins over a declared legacy encoding
        return "utf-8-sig"
    if not declared.startswith("utf-16") and (order := utf16_without_bom(head)):
        return order
    return declared


def utf16_without_bom(head: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for a file written in UTF-16 without a byte-order mark, known by
    its first bytes: a header and records in UTF-16 have a zero byte in every other position (the
    high byte of each ASCII character) and almost none in the others; else None. Read as 8-bit text
    with its zero bytes dropped, such a file split or swallowed records wherever a character's
    bytes held a line feed, a carriage return, a comma or a quote (the ingest audit of 7 December
    2026: U+200D is 0D 20, a line break; U+2022 is 22 20, a quote)."""
    head = head[:len(head) - len(head) % 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.4 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.4 and zeros_odd < 0.05:
        return "utf-16-be"
    return None


def utf8_beyond_ascii(path: Path) -> bool:
    """Whether a file is valid UTF-8 holding a character beyond ASCII: then it is UTF-8 whatever
    legacy encoding its source declares (Windows-1252 text is almost never valid UTF-8 once it
    holds an accented letter: 'Café' is 43 61 66 E9, and E9 must be followed by two bytes of 80-BF)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    beyond = False
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 22), b""):
                decoder.decode(chunk)
                beyond = beyond or max(chunk) > 0x7F
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return beyond


def _encoding_note(declared: str, read: str) -> str | None:
    """The file's note when it is read in another encoding than its source declares (and no
    byte-order mark says so), else None."""
    if read in ("utf-16-le", "utf-16-be"):
        return (f"read as UTF-16 ({read[-2:].upper()}): the file has no byte-order mark, but every other byte is "
                f"zero; declare encoding = \"{read}\" for its source if this is wrong")
    if read == "utf-8" and not declared.startswith("utf"):
        return (f"read as UTF-8: sources.toml declares encoding = \"{declared}\", but the file is valid UTF-8 "
                f"holding characters beyond ASCII (read as {declared}, 'É' would be 'Ã‰'); if the partner now "
                "sends UTF-8, remove the encoding line")
    return None


def file_encoding(path: Path, head: bytes, declared: str) -> str:
    """`encoding_read`, and UTF-8 for a file of a source declaring a legacy encoding that is valid
    UTF-8 holding characters beyond ASCII (`utf8_beyond_ascii`: a partner's export changed to
    UTF-8, sources.toml not yet; `_encoding_note` says so)."""
    encoding = encoding_read(head, declared)
    if encoding == declared and not declared.startswith("utf") and utf8_beyond_ascii(path):
        return "utf-8"
    return encoding


def encoding_shown(path: Path, declared: str) -> tuple[str, bool]:
    """(the encoding a CSV file is read in, as a partner would name it, and whether a byte-order
    mark says so): what `asb check` reports of a file it read."""
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    read = file_encoding(path, head, declared)
    if read == "utf-16":
        return ("utf-16le" if head.startswith(b"\xff\xfe") else "utf-16be"), True
    if read == "utf-8-sig":
        return "utf-8", True
    return read.replace("-le", "le").replace("-be", "be"), False


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str) -> FileRead:
    declared = _python_encoding(source)
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    for magic, what in _NOT_TEXT:
        if head.startswith(magic):
            raise ReadError(f"{path}: not CSV text but {what}")
    encoding = file_encoding(path, head, declared)
    real, note = (path, None) if encoding in ("utf-8", "utf8", "utf-8-sig") else _to_utf8(path, encoding, lenient=True)
    note = "; ".join(filter(None, (_encoding_note(source.encoding, encoding), note))) or None
    delim, skip = source.delimiter or ",", source.skip_rows
    try:
        with open(real, encoding="utf-8-sig", errors="replace") as fh:
            sep, skip, header = _header_position(fh, source.skip_rows)
        if header is None:
            raise ReadError(f"{path}: no header row (file empty?)")
        delim = sep or source.delimiter or _sniff_delimiter(header)
        if blank_line_or_nul(real):  # DuckDB would skip the line (numbering the records after it one row too low) or keep the NUL
            return _read_carefully(con, real, path, delim, skip, table, note)
        malformed, _ = _scan_csv(con, table, [str(real)], delim, skip)
        columns = _columns(con, table)
        rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        if (malformed or _has_empty_records(con, table, [c for c, _ in columns])   # the careful reader numbers them
                or _long_records(con, [str(real)], delim, skip, len(columns))
                or (not _one_line_records(real, skip, rows) and _swallows(con, table, [c for c, _ in columns], delim))):
            return _read_carefully(con, real, path, delim, skip, table, note)
        spaced = padded(real, delim, skip, rows)
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: not valid {encoding}; declare its encoding in sources.toml") from exc
    except duckdb.InterruptException:   # Ctrl-C or SIGTERM (etl/cli.py): stop
        raise
    except duckdb.Error:  # DuckDB's sniffer refused the file (or a byte not valid UTF-8): read it record by record
        return _read_carefully(con, real, path, delim, skip, table, note)
    finally:
        if real != path and os.path.exists(real):
            os.unlink(real)
    first = skip + 2  # record number of the first data row (no empty line inside: `blank_line_or_nul`)
    # record number = position in the table (insertion order kept)
    return FileRead(f"(select {_select(columns)}, rowid + {first} as {ROW} from {table})",
                    [h for _, h in columns], [], rows, ROW, delimiter=delim, header_line=skip + 1,
                    raw_headers=header_cells(header.lstrip("\ufeff"), delim), note=note, padded=spaced)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(column of `table`, the file's header) for each header column of a table DuckDB read:
    a header named rowid (any case), which would shadow DuckDB's `rowid` that numbers the
    records, is renamed in the table and given its name back by `_select`."""
    out = []
    for n, (name,) in enumerate(con.execute(f"select column_name from (describe {table})").fetchall()):
        if name == "_file_name":
            continue
        column = name
        if name.lower() == "rowid":
            column = f"__asb_rowid_{n}"
            con.execute(f"alter table {table} rename column {quote_ident(name)} to {column}")
        out.append((column, name))
    return out


def _select(columns: list[tuple[str, str]], alias: str = "") -> str:
    """The select list giving each column of `_columns` its header's name."""
    return ", ".join(f"{alias}{quote_ident(c)} as {quote_ident(h)}" for c, h in columns) or "null as column1"


def sep_line(line: str) -> str | None:
    """The delimiter named by Excel's `sep=;` line (the first line of some exports, above the
    header), else None. Such a line is skipped like a title row (it keeps its line number) and its
    delimiter is used whatever sources.toml declares: the file says how it was written."""
    text = line.lstrip("\ufeff").rstrip("\r\n")
    return text[4] if len(text) == 5 and text[:4].lower() == "sep=" else None


def _scan_csv(con: duckdb.DuckDBPyConnection, table: str, paths: list[str], delim: str, skip: int,
              filename: str | None = None) -> tuple[int, dict[str, str]]:
    """DuckDB's reader: `paths` into temp table `table` as text, in the files' order (record numbers
    come from table order), the malformed records into `<table>_rej`; returns how many there
    were, and each file's name as DuckDB read it -> its path. `filename` names a column holding
    each row's file (DuckDB's name). DuckDB takes every path for a glob pattern, so a file whose
    path holds `[ ] ? * { }` (`e[1].csv` would read `e1.csv`) is read through a symbolic link
    with a plain name in a private temporary folder."""
    con.execute(f"drop table if exists {table}; drop table if exists {table}_rej; drop table if exists {table}_scan")
    folder, names = None, {}
    try:
        for n, p in enumerate(paths):
            if _PATTERN.search(p):
                folder = folder or tempfile.mkdtemp(prefix="asb-read-")
                link = os.path.join(folder, f"file{n}.csv")
                os.symlink(os.path.abspath(p), link)
                names[link] = p
            else:
                names[p] = p
        if any(_PATTERN.search(name) for name in names):  # the temporary folder's own path is a pattern
            raise duckdb.IOException(f"cannot give DuckDB a plain name for {paths[0]!r}")
        keep = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
        con.execute("set preserve_insertion_order = true")
        named = f" filename='{filename}', union_by_name=false," if filename else ""
        try:
            con.execute(
                f"create temp table {table} as select * from read_csv(?, all_varchar=true, header=true,"
                f" delim=?, quote='\"', escape='\"', comment='', skip={skip}, null_padding=false,"
                f" max_line_size={LONGEST_LINE},{named}"
                f" store_rejects=true, rejects_table='{table}_rej', rejects_scan='{table}_scan')",
                [list(names), delim])
        finally:
            con.execute(f"set preserve_insertion_order = {str(keep).lower()}")
    finally:
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    return con.execute(f"select count(*) from {table}_rej").fetchall()[0][0], names


def _long_records(con: duckdb.DuckDBPyConnection, paths: list[str], delim: str, skip: int, fields: int) -> bool:
    """Whether a line below the header holds more than `fields` fields (as many delimiters outside
    quotes as there are fields, or more) and ends with a delimiter. DuckDB's reader takes an empty
    last field for a trailing delimiter and drops it, so a record with an unquoted delimiter in its
    text and an empty last field ("Market Place, Ilkeston,ECN-2,,") was read with every value after
    the delimiter one column to the right, silently (a longer record, or one whose last field is
    not empty, is one of DuckDB's malformed records already). Such a file goes to the careful
    reader, which rejects the record with its number and why. The lines are scanned as plain text
    (1.5 s for the 1.4 GB of the national bench); the quoted parts are removed only from the lines
    with enough delimiters in all that end with one. A record with a quoted line break is scanned
    as its lines: a part may look long (the careful reader then reads the file, for nothing), and a
    long record whose last line alone holds too few delimiters is not seen. A file DuckDB cannot
    scan this way counts as holding one."""
    if any(_PATTERN.search(p) for p in paths):  # DuckDB would read the path as a glob: not this scan
        return True
    try:
        return bool(con.execute(
            r"""select exists (
                    select 1
                    from (select regexp_replace(line, '"[^"]*"', '', 'g') as bare   -- the quoted parts removed
                          from (select line   -- enough delimiters counting quoted ones (one character each)
                                from read_csv($paths, columns={'line': 'VARCHAR'}, delim=E'\x01', quote='',
                                              escape='', comment='', header=false, auto_detect=false, skip=$skip)
                                where strlen(line) - strlen(replace(line, $delim, '')) >= $fields)
                          where ends_with(line, $delim) or ends_with(line, $delim || chr(13)))   -- an empty last field
                    where strlen(bare) - strlen(replace(bare, $delim, '')) >= $fields)""",
            {"paths": paths, "skip": skip + 1, "delim": delim, "fields": fields}).fetchall()[0][0])
    except duckdb.InterruptException:   # Ctrl-C or SIGTERM (etl/cli.py): stop
        raise
    except duckdb.Error:
        return True


def _has_empty_records(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> bool:
    """Whether DuckDB's reader kept a record whose every field is empty (`,,,,`: a spacer row an
    export writes between blocks). Such a record is no record, as a blank line is none and as a
    workbook row with no value is none: the careful reader skips it, and the records after it
    keep the row numbers a spreadsheet shows (DuckDB would keep it as a record, and reject it as
    a record without a reference)."""
    empty = " and ".join(f"{plain.blank_null_sql(quote_ident(h))} is null" for h in columns)
    return bool(columns) and con.execute(f"select exists (select 1 from {table} where {empty})").fetchall()[0][0]


def _read_carefully(con: duckdb.DuckDBPyConnection, real: Path, path: Path, delim: str, skip_rows: int,
                    table: str, note: str | None = None) -> FileRead:
    """`_read_csv_records`, a file declared UTF-8 (`real` is `path`) checked by `_check_utf8` first;
    `note`: the transcoding's of another (`_to_utf8`)."""
    note = _check_utf8(path) if real == path else note
    read = _read_csv_records(con, real, path, delim, skip_rows, table)
    read.note = "; ".join(filter(None, (note, read.note))) or None
    return read


def _check_utf8(path: Path) -> str | None:
    """Refuse a file declared UTF-8 whose lines are often not (more than 3 and more than 1%),
    naming the encoding it reads as; a few stray bytes are read as U+FFFD and the file loads, with
    a note saying how many lines hold them and which first (etl_loads.file_note), else None."""
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
    if not bad:
        return None
    return (f"{bad} line{'s hold' if bad > 1 else ' holds'} bytes that are not valid UTF-8 "
            f"({'the first is ' if bad > 1 else ''}line {first}), read as \ufffd: if the file is not UTF-8, "
            'declare its encoding (e.g. encoding = "cp1252")')


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
    # a field as long as DuckDB's reader takes (a line of up to LONGEST_LINE bytes), so a long note
    # loads whichever reader reads its file (the csv module's default limit is 131,072 characters)
    csv.field_size_limit(max(csv.field_size_limit(), LONGEST_LINE))
    consumed: list[str] = []   # the lines of the record being read (the reader never reads ahead)

    def tracked(lines):
        for line in lines:
            consumed.append(line)
            yield line

    def read(lines):
        return csv.reader(tracked(lines), delimiter=delim, quotechar='"', doublequote=True, strict=False)

    pending = _lines(real, skip_rows)   # the lines not yet read (with those a broken quote took, read again)
    reader = read(pending)
    # A record's number is the row a spreadsheet shows it on: every record counts, a blank line
    # and a spacer row of empty fields too (they are rows there, though no record here), and a
    # quoted line break stays inside its row.
    number = skip_rows  # the row of the record last read
    try:
        while True:
            headers = next(reader)
            number += 1
            if any(cell.strip() for cell in headers):
                break
    except StopIteration:
        raise ReadError(f"{path}: no header row (file empty?)") from None
    except csv.Error as exc:
        raise ReadError(f"{path}: cannot be read as CSV ({exc})") from exc
    header_line = number
    written = [h.strip() or f"column{i}" for i, h in enumerate(headers, 1)]
    headers = unique_headers(written)
    good, numbers, broken = [], [], []
    # records with one field more than the header, that field empty: a delimiter after the last field
    trailing: list[tuple[int, list[str], str]] = []
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
        number += 1
        if not record or not any(cell.strip() for cell in record):
            continue  # a blank line or a spacer row is not a record (but it is a row)
        if quoting := _broken_quotes("".join(consumed), delim) or _swallowed(record, delim, len(headers)):
            if len(consumed) > 1 and (ends := _never_closed(consumed, delim)) is not None:
                # a broken quote took the lines after its own into the record: the reject is its
                # first line, and the lines after it are read again as records (the records between
                # vanished inside one reject: twenty, when the quote was never closed)
                rest = consumed[1:]
                took = f"the {len(rest):,} lines it took in are" if len(rest) != 1 else "the line it took in is"
                broken.append((number, f"its quotes are unbalanced: a quote opens in it and {ends} ({took} read "
                                       f"as records)", consumed[0].rstrip("\r\n")))
                pending = itertools.chain(rest, pending)
                reader = read(pending)
                continue
            broken.append((number, quoting, "".join(consumed).rstrip("\r\n")))
            continue
        if len(record) == len(headers) + 1 and not record[-1].strip():
            trailing.append((number, record[:-1], "".join(consumed).rstrip("\r\n")))
            continue
        if len(record) != len(headers):   # its lines as written (the reject keeps their shape)
            broken.append((number, f"the record has {len(record)} field{'s' * (len(record) != 1)}, "
                                   f"the header has {len(headers)}", "".join(consumed).rstrip("\r\n")))
            continue
        good.append(record)
        numbers.append(number)
    note = None
    if trailing and not good:
        # every record ends with a delimiter the header lacks ("...;Market Place;"): an export's
        # habit, not a field, so the records are read without it (and the file says so)
        good, numbers = [r for _, r, _ in trailing], [n for n, _, _ in trailing]
        note = (f"every record ends with a delimiter ({delim!r}) the header does not: read as no field "
                f"({len(trailing):,} records)")
    else:   # some records only: each is one field too long, a reject with its number
        broken += [(n, f"the record has {len(headers) + 1} fields, the header has {len(headers)} (its last "
                       f"field empty: a delimiter after the last value?)", raw) for n, _, raw in trailing]
        broken.sort(key=lambda b: b[0])
    frame = pd.DataFrame(good, columns=[f"c{i}" for i in range(len(headers))], dtype="object")
    frame[ROW] = pd.array(numbers, dtype="int64")
    con.register("_csv_frame", frame)
    cols = ", ".join(f"cast(c{i} as varchar) as {quote_ident(h)}" for i, h in enumerate(headers))
    con.execute(f"create or replace temp table {table} as select {cols}, {ROW} from _csv_frame")
    con.unregister("_csv_frame")
    return FileRead(table, headers, broken, len(good) + len(broken), ROW, delimiter=delim,
                    header_line=header_line, note=note, raw_headers=written)


def _never_closed(lines: list[str], delim: str) -> str | None:
    """How a quote of the record read from `lines` (several) went wrong, when the lenient reader
    took lines that are records of their own into it, else None (a quoted line break, well formed):
    a quote never closed before the end of the file, or one that a later line's quote closed."""
    error = _strict_error("".join(lines), delim)
    if error is None:
        return None
    return "is never closed before the end of the file" if "unexpected end of data" in error else \
        "a quote in a later line closes it"


def _swallowed(record: list[str], delim: str, fields: int) -> str | None:
    """Why a record is others run together, or None: a field holding a line break and a whole
    record's delimiters (`fields` - 1) is a quote opened and never closed, in an export that quotes
    nothing ("Corner of High St", then 12 inch" lines below), which valid CSV reads as one field
    with the records between inside it: they would vanish without a word (the accounting audit of
    6 December 2026). The fast readers send such a file here (`_swallows`)."""
    for i, cell in enumerate(record):
        if ("\n" in cell or "\r" in cell) and cell.count(delim) >= _swallowing(fields):
            lines = len(cell.splitlines())
            return (f"field {i + 1} runs over {lines} lines holding {cell.count(delim)} delimiters: a quote opened "
                    f"and never closed (a text starting with a quote in an export that quotes nothing?) read the "
                    f"lines as one record")
    return None


def _swallowing(fields: int) -> int:
    """The delimiters in a field with a line break that make it records run together: a whole
    record's, and never fewer than 3 (in a file of two or three columns one comma in a two-line
    address would do)."""
    return max(fields - 1, 3)


def _swallows(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], delim: str) -> bool:
    """Whether a record DuckDB read has a field `_swallowed` rejects (then the careful reader reads
    the file, and rejects it with its number)."""
    each = " or ".join(f"(contains({quote_ident(c)}, chr(10)) or contains({quote_ident(c)}, chr(13))) and "
                       f"strlen({quote_ident(c)}) - strlen(replace({quote_ident(c)}, $d, '')) >= "
                       f"{_swallowing(len(columns))}" for c in columns)
    return con.execute(f"select exists (select 1 from {table} where {each})", {"d": delim}).fetchall()[0][0]


def _broken_quotes(text: str, delim: str) -> str | None:
    """Why a record's quoting is broken, or None. The careful reader splits records as Python's
    `csv` module does by default (leniently, so record numbers match what a spreadsheet shows), but
    a lenient read of a quoted field whose inner quote was not doubled (`"12" pipe"`, `""A2"`)
    silently drops or moves a quote: a reference would become another incident's ('A2"' beside
    'A2'). Such a record is a reject, as DuckDB's strict reader on the fast path also finds it."""
    if '"' not in text:
        return None
    error = _strict_error(text, delim)
    return f"its quotes are unbalanced ({error}; a quote inside a quoted field is written twice)" if error else None


def _strict_error(text: str, delim: str) -> str | None:
    """The csv module's error reading `text` strictly (a quote not doubled, or never closed), else None."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delim, quotechar='"', doublequote=True,
                            strict=True):
            pass
    except csv.Error as exc:
        return str(exc)
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
    """The sheet a source reads from a workbook (its name) and its rows from A1 as Python values."""
    name, rows, _ = parse_xlsx_noted(path, source)
    return name, rows


def parse_xlsx_noted(path: Path, source: Source) -> tuple[str, list[list], str | None]:
    """`parse_xlsx`, and the note of its formulas with no saved result (`_special_cells`), or None.
    python-calamine parses in Rust without holding the GIL, so `XlsxAhead` parses the next files
    of a source in threads while the current one loads."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        name, passed = (source.sheet, None) if source.sheet else _first_shown_sheet(book)
        if name not in book.sheet_names:
            raise ReadError(f"{path}: no sheet {name!r} (sheets: {book.sheet_names})")
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except ReadError:
        raise
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise ReadError(f"{path}: cannot be read as XLSX ({exc})") from exc
    errors, unsaved, shown = _special_cells(path, name)
    for (r, c), text in [*errors.items(), *shown.items()]:
        # calamine gives a formula's error (#N/A, #REF!, #VALUE!, ...) as an empty cell: the cell
        # holds that text, and staging rejects it as it rejects the text "#N/A" in a CSV; and a
        # number under a zero-padded format as the number (05001 as 5001): it is the text shown
        while len(rows) <= r:
            rows.append([])
        row = rows[r]
        row.extend([""] * (c + 1 - len(row)))
        if row[c] in ("", None) or (r, c) in shown:
            row[c] = text
    note = passed
    if unsaved:   # read as empty, whose rows said "... is empty" of a cell that is not (the partner-file audit)
        note = "; ".join(filter(None, (note, (
            f"{len(unsaved):,} cell{'s hold' if len(unsaved) != 1 else ' holds'} a formula with no saved result "
            f"(the first: {unsaved[0]}), read as empty: the workbook was saved by a program that does not "
            "calculate formulas; open it in Excel (or LibreOffice) and save it again"))))
    return name, rows, note


def _first_shown_sheet(book) -> tuple[str, str | None]:
    """The sheet a workbook is read from when its source names none: the first worksheet Excel
    shows, passing over hidden ("very hidden" too: an old copy a template keeps, which nobody can
    see to check) and chart, macro or dialog sheets; else the first sheet. With the note of the
    sheets passed over (their names scrubbed: a sheet may be named after a person)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    sheets = list(book.sheets_metadata)
    shown = next((n for n, m in enumerate(sheets)
                  if m.typ == SheetTypeEnum.WorkSheet and m.visible == SheetVisibleEnum.Visible), None)
    if not shown:   # the first sheet is shown (or none is: the first is read, and judged, as before)
        return book.sheet_names[0], None
    kinds = [(SheetTypeEnum.ChartSheet, "a chart"), (SheetTypeEnum.MacroSheet, "a macro sheet"),
             (SheetTypeEnum.DialogSheet, "a dialog sheet")]   # (calamine's enums cannot be dict keys)
    why = [f"{scrub.scrub_text(m.name)[0]!r} ("
           + next((what for typ, what in kinds if m.typ == typ),
                  "hidden" if m.visible == SheetVisibleEnum.Hidden else "very hidden") + ")"
           for m in sheets[:shown]]
    name = sheets[shown].name
    return name, (f"read sheet {scrub.scrub_text(name)[0]!r}, the first worksheet Excel shows; passed over: "
                  f"{', '.join(why)}; set sheet = \"...\" in sources.toml to read another")


_ERROR_MARKS = (b't="e"', b"t='e'")  # an error cell's type in the sheet's XML
# a formula followed by an empty value, or by none (openpyxl writes <f>...</f><v></v>)
_UNSAVED_MARKS = (b"</f><v></v>", b"</f><v/>", b"</f></c>")


Cells = dict[tuple[int, int], str]


def _special_cells(path: Path, sheet: str) -> tuple[Cells, list[str], Cells]:
    """The sheet's error cells, (row, column) from A1 = (0, 0) -> their text; the references of
    its formulas with no saved result, in the order of the sheet (A3, B4, ...); and its whole
    numbers under a zero-padded format (`_padded_styles`) -> the text Excel shows (05001). The
    sheet's XML is first scanned for their marks alone, decompressing it in chunks (the 46 MB of
    XLSX of the 10-million-row bench: about 0.9 s, in `XlsxAhead`'s threads: zlib lets go of the
    GIL); it is parsed only when one is there. An unreadable part gives none: calamine read it."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            part = _sheet_part(z, sheet)
            if part is None:
                return {}, [], {}
            padded = _padded_styles(z)
            marks = [m for style in padded for m in (f' s="{style}"'.encode(), f" s='{style}'".encode())]
            with z.open(part) as fh:
                tail, errors, unsaved, pads = b"", False, False, False
                for chunk in iter(lambda: fh.read(1 << 22), b""):
                    joined = tail + chunk
                    errors = errors or any(m in joined for m in _ERROR_MARKS)
                    unsaved = unsaved or any(m in joined for m in _UNSAVED_MARKS)
                    pads = pads or any(m in joined for m in marks)
                    if errors and unsaved and (pads or not marks):
                        break
                    tail = chunk[-16:]
            if not (errors or unsaved or pads):
                return {}, [], {}
            with z.open(part) as fh:
                return _parse_special_cells(fh, padded if pads else {})
    except Exception:  # noqa: BLE001 - calamine read the sheet; a part it tolerates gives no such cells
        return {}, [], {}


def _padded_styles(z) -> dict[str, int]:
    """The workbook's cell styles (their index in the sheet's `s` attribute) whose number format is
    zeros alone ("00000": a reference or a person's number shown with its leading zeros) -> the
    number of digits shown. calamine gives such a cell as the number (5001), where the same
    record exported as CSV reads 05001: one person or record would be two."""
    from xml.etree import ElementTree

    try:
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    except KeyError:
        return {}

    def local(el) -> str:
        return el.tag.rsplit("}", 1)[-1]

    zeros = {}
    for el in styles.iter():
        if local(el) == "numFmt":
            code = (el.get("formatCode") or "").split(";")[0].replace('"', "").replace("\\", "")
            if len(code) >= 2 and set(code) == {"0"}:
                zeros[el.get("numFmtId")] = len(code)
    if not zeros:
        return {}
    xfs = next((el for el in styles.iter() if local(el) == "cellXfs"), None)
    if xfs is None:
        return {}
    return {str(i): zeros[xf.get("numFmtId")] for i, xf in enumerate(x for x in xfs if local(x) == "xf")
            if xf.get("numFmtId") in zeros}


def _sheet_part(z, sheet: str) -> str | None:
    """The path inside the workbook's ZIP of the sheet named `sheet`."""
    from xml.etree import ElementTree

    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    rel_id = next((el.get(k) for el in book.iter() if el.tag.rsplit("}", 1)[-1] == "sheet"
                   and el.get("name") == sheet for k in el.keys() if k.rsplit("}", 1)[-1] == "id"), None)
    target = next((el.get("Target") for el in rels.iter() if el.get("Id") == rel_id), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _column_number(ref: str) -> int:
    """The column of a cell reference from 1 (A1 -> 1, AB7 -> 28)."""
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + ord(ch.upper()) - 64
    return n


def _parse_special_cells(fh, padded: dict[str, int]) -> tuple[Cells, list[str], Cells]:
    """(row, column) from A1 = (0, 0) -> text of each error cell (`t="e"`: calamine reads #N/A as
    empty), the references of the cells holding a formula with no saved value, and (row, column)
    -> the text shown of each whole number whose style is one of `padded` (style -> digits)."""
    from xml.etree import ElementTree

    errors, unsaved, shown, row_number = {}, [], {}, 0
    for _, el in ElementTree.iterparse(fh, events=("end",)):
        if el.tag.rsplit("}", 1)[-1] != "row":
            continue
        row_number = int(el.get("r") or row_number + 1)
        column = 0
        for cell in el:
            if cell.tag.rsplit("}", 1)[-1] != "c":
                continue
            column = _column_number(cell.get("r")) if cell.get("r") else column + 1
            parts = {part.tag.rsplit("}", 1)[-1]: part for part in cell}
            value = parts["v"].text if "v" in parts else None
            if cell.get("t") == "e":
                errors[(row_number - 1, column - 1)] = (value or "").strip() or "#ERROR"
            elif "f" in parts and not (value or "").strip() and "is" not in parts:
                unsaved.append(cell.get("r") or f"{_column_name(column)}{row_number}")
            elif cell.get("s") in padded and cell.get("t") in (None, "n") and value:
                number = float(value)
                if number.is_integer() and number >= 0:
                    shown[(row_number - 1, column - 1)] = str(int(number)).zfill(padded[cell.get("s")])
        el.clear()
    return errors, unsaved, shown


def _column_name(number: int) -> str:
    """A column's letters from its number from 1 (28 -> AB)."""
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


class XlsxAhead:
    """Workbooks prepared ahead (`prepare_xlsx`: calamine's parse and the conversion to Arrow) in
    a background thread, in the order given, while the build reads the CSV files of the sources
    before them: `take(path, source)` gives a workbook's future and starts the next one. The
    extract makes one for every workbook of every source when it starts (`extract.extract`):
    the scale-55 demo's 500,000 workbook rows took 9.7 s of the extract after the CSV sources
    (the parse and conversion hold one core while DuckDB's CSV reading leaves part of the
    other two threads' time idle). At most `ahead` prepared frames wait, so memory stays bounded
    whatever the number of workbooks; a source reading a workbook not given here prepares it
    itself."""

    def __init__(self, items: list[tuple[Path, Source]], ahead: int = 4, workers: int = 1):
        from concurrent.futures import ThreadPoolExecutor

        self._items, self._ahead, self._next = list(items), ahead, 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asb-xlsx") if self._items else None
        self._futures: dict = {}
        self._fill()

    def _fill(self) -> None:
        while self._pool and self._next < len(self._items) and len(self._futures) < self._ahead:
            path, source = self._items[self._next]
            self._futures[(path, source.slug)] = self._pool.submit(prepare_xlsx, path, source)
            self._next += 1

    def take(self, path: Path, source: Source):
        """The future of a workbook's `prepare_xlsx` for `source`, or None when it is not prepared
        ahead (not given, or given for another source)."""
        future = self._futures.pop((path, source.slug), None)
        self._fill()
        return future

    def close(self) -> None:
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _texts(values) -> pa.Array:
    """Text cells (str or None) as `_cell` gives them, in pyarrow: trimmed, an empty one null."""
    array = pc.utf8_trim(pa.array(values, type=pa.string()), characters=plain.WHITESPACE)
    return pc.if_else(pc.equal(array, ""), pa.nulls(len(array), pa.string()), array)


def _cells(column: tuple) -> pa.Array:
    """`_cell` of every value of a column, as a pyarrow string array. A column of text alone (most
    are) is trimmed in pyarrow, with no Python call per cell (7 million cells in the scale-55
    demo's workbooks: 3 s as a list comprehension). Other values (dates, times, numbers) repeat:
    each distinct one is converted once, keyed by its type too (True, 1 and 1.0 are equal keys but
    three texts). A date column of a million cells called strftime a million times: 1.5 s of the
    scale-55 build's extract."""
    kinds = set(map(type, column))
    if kinds <= {str, type(None)}:
        return _texts(column)
    seen: dict = {}
    out: list[str | None] = []
    for v in column:
        if type(v) is str:
            out.append(v.strip() or None)
        elif v is None:
            out.append(None)
        else:
            key = (type(v), v)
            try:
                text = seen[key]
            except KeyError:
                text = seen[key] = _cell(v)
            except TypeError:   # a value that cannot be a key
                text = _cell(v)
            out.append(text)
    return pa.array(out, type=pa.string())


@dataclass
class XlsxFrame:
    """A workbook's sheet ready to load (`prepare_xlsx`): its text cells as an Arrow table of
    columns "0", "1", ... and ROW, and the header's names."""
    sheet: str
    headers: list[str]
    frame: pa.Table
    note: str | None = None   # formulas with no saved result (`parse_xlsx_noted`)


def prepare_xlsx(path: Path, source: Source) -> XlsxFrame:
    """A workbook's sheet (`parse_xlsx`) as text columns in Arrow, its header checked (ReadError:
    an empty sheet, a title row above the header). Pure Python and Arrow, no database: it runs in
    `XlsxAhead`'s thread while the build reads other files."""
    name, rows, note = parse_xlsx_noted(path, source)
    rows = rows[source.skip_rows:]
    if not rows:
        raise ReadError(f"{path}: sheet {name!r} is empty")
    below = header_below(source, rows)
    if below:
        # worded as extract._misfit words it for a CSV (that check reads only CSV lines); the rows
        # below the line taken for the header, as a CSV file's, are its records
        records = [source.skip_rows + 2 + i for i, row in enumerate(rows[1:]) if any(_cell(v) for v in row)]
        raise ReadError(f"{path}: its header fits none of the {source.kind} columns of source {source.slug}; "
                        f"its header looks like line {source.skip_rows + below + 1} of sheet {name!r}: "
                        f"set skip_rows = {source.skip_rows + below} in sources.toml", records)
    headers = [str(h).strip() if h not in (None, "") else f"column{i}" for i, h in enumerate(rows[0], 1)]
    body = rows[1:]
    del rows
    width = len(headers)
    # a column at a time (calamine's rows are as wide as the header; a shorter row is padded)
    columns = list(itertools.zip_longest(*body))[:width] if body else [() for _ in headers]
    count = len(body)
    del body
    arrays = {}
    for i in range(len(columns)):
        arrays[str(i)] = _cells(columns[i])
        columns[i] = None  # each column's Python values freed once converted
    # source_row = the row number Excel shows (rows are read from A1 on, title rows included)
    arrays[ROW] = pa.array(range(source.skip_rows + 2, source.skip_rows + 2 + count), type=pa.int64())
    return XlsxFrame(name, headers, pa.table(arrays), note)


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str,
               prepared: XlsxFrame | None = None) -> FileRead:
    prepared = prepared or prepare_xlsx(path, source)
    headers, width = unique_headers(prepared.headers), len(prepared.headers)
    con.register("_xlsx_frame", prepared.frame)
    cols = ", ".join(f'cast("{i}" as varchar) as "{h.replace(chr(34), chr(34) * 2)}"' for i, h in enumerate(headers))
    # A row with no value is no record (trailing formatting, a spacer between blocks), as a blank
    # CSV line is none; the records after it keep their Excel row numbers.
    anything = " or ".join(f'"{i}" is not null' for i in range(width)) or "false"
    con.execute(f"create or replace temp table {table} as select {cols}, {ROW} from _xlsx_frame "
                f"where {anything}")
    con.unregister("_xlsx_frame")
    rows_read = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    return FileRead(table, headers, [], rows_read, ROW, sheet=prepared.sheet, header_line=source.skip_rows + 1,
                    padded=False,   # its text cells are trimmed as read (`_texts`)
                    raw_headers=prepared.headers, note=prepared.note)


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
        first = _first_shown_sheet(book)[0]
        for name in [n for n in book.sheet_names if n != first]:
            rows = list(itertools.islice(book.get_sheet_by_name(name).iter_rows(), source.skip_rows + 1))
            if len(rows) > source.skip_rows and _fit_row(source, rows[source.skip_rows]) >= 2:
                return name
    except Exception:  # noqa: BLE001 - a corrupt sheet gives no hint; the file is refused anyway
        return None
    return None


# DuckDB's CSV reader refuses a line longer than this many bytes (`max_line_size`, set to it in
# `_scan_csv`: DuckDB's default); such a file is read by the careful reader, which takes fields up
# to the same length and rejects a longer one.
LONGEST_LINE = 2_000_000

BATCH_BYTES = 2 << 30  # files read together by `read_batch`, at most this much text at a time (DuckDB spills beyond its memory limit)


def _plain_header(path: Path, source: Source, text: Path | None = None) -> tuple[str, str, int] | None:
    """(header line, delimiter, lines before the header) of a CSV that DuckDB can read as it is
    (UTF-8 with or without its byte-order mark, no other magic, a header row, no empty line
    among its records), else None. `text`: the file's UTF-8 copy (`_utf8_copy`) when its source
    declares a legacy encoding, read instead (a file of such a source that starts with UTF-8's
    byte-order mark is read as UTF-8 by `_read_csv`, so on its own)."""
    if path.suffix.lower() not in (".csv", ".txt", ".tsv") or (text is None and not _is_utf8(source)):
        return None
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    if head.startswith(_UTF16_BOMS) or any(head.startswith(m) for m, _ in _NOT_TEXT) or \
            (text is not None and head.startswith(codecs.BOM_UTF8)) or utf16_without_bom(head):
        return None
    text = text or path
    try:  # a UTF-8 byte-order mark (Excel's "CSV UTF-8") is skipped by DuckDB's reader in every file
        with open(text, encoding="utf-8-sig", errors="strict") as fh:
            sep, skip, header = _header_position(itertools.islice(fh, source.skip_rows + 200), source.skip_rows)
    except UnicodeDecodeError:
        return None
    if header is None or blank_line_or_nul(text):
        return None
    header = header.rstrip("\r\n")
    return header, sep or source.delimiter or _sniff_delimiter(header), skip


def _is_utf8(source: Source) -> bool:
    return source.encoding in ("utf-8", "utf8")


def _python_encoding(source: Source) -> str:
    """The source's declared encoding as Python's codecs name it."""
    return source.encoding.replace("windows-1252", "cp1252").replace("iso-8859-1", "latin-1")


def _utf8_copy(path: Path, source: Source) -> Path | None:
    """A temporary UTF-8 copy of a file of a source declaring a legacy encoding, for `read_batch`;
    None when it cannot be made (a byte the encoding does not define: `_read_csv` says so)."""
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return None
    try:
        return _to_utf8(path, _python_encoding(source))[0]
    except (ReadError, LookupError, OSError):
        return None


def _only_header(path: Path, skip: int) -> bool:
    """Whether a file holds nothing after its header line (`skip` lines above it) but blanks."""
    with open(path, "rb") as fh:
        for _ in range(skip + 1):
            fh.readline()
        rest = fh.read(1 << 20)
        return not rest.strip() and len(rest) < 1 << 20


def read_batch(con: duckdb.DuckDBPyConnection, paths: list[Path], source: Source, table: str) -> dict[Path, FileRead]:
    """Read several CSV files of a source in one DuckDB scan when they share a header line and a
    delimiter (a partner's monthly files): the 22 files of the national bench (1.4 GiB) take
    12.0 s at once against 15.5 s one by one. Each file's records are a row range of `table` (`FileRead.table` selects it, with
    the file's own record numbers). Files of a source declaring a legacy encoding (cp1252) are
    read from temporary UTF-8 copies, deleted once read: the scale-55 demo's three such councils
    (1.7 million records) took 13.4 s file by file. Returns the files read this way; a file left
    out (another layout, another encoding, an empty line among its records) or a batch DuckDB
    finds any malformed record in, or whose rows are not each requested file's own, is read on
    its own by `read_file`, which gives broken records their numbers and reasons."""
    groups: dict[tuple[str, str, int, int], list[Path]] = {}
    size: dict[tuple[str, str, int], tuple[int, int]] = {}  # (header, delimiter, skip) -> (batch number, bytes)
    copies: dict[Path, Path] = {}   # a legacy-encoded file -> its UTF-8 copy, which is read
    try:
        for path in paths:
            copy = None
            if not _is_utf8(source):
                if (not source.encoding.startswith("utf") and path.suffix.lower() in (".csv", ".txt", ".tsv")
                        and utf8_beyond_ascii(path)):
                    continue   # UTF-8 whatever is declared: read on its own (`_read_csv` notes it)
                copy = _utf8_copy(path, source)
                if copy is None:
                    continue
                copies[path] = copy
            key = _plain_header(path, source, copy)
            if key:
                number, held = size.get(key, (0, 0))
                if held and held + path.stat().st_size > BATCH_BYTES:  # a batch's text in memory stays small
                    number, held = number + 1, 0
                size[key] = (number, held + path.stat().st_size)
                groups.setdefault((*key, number), []).append(path)
        out: dict[Path, FileRead] = {}
        for n, ((header, delim, skip, _), files) in enumerate(groups.items()):
            if len(files) < 2:
                continue
            name = f"{table}_{n}"
            try:
                read = _read_together(con, name, files, delim, skip, header_cells(header.lstrip("\ufeff"), delim),
                                      copies)
            except duckdb.InterruptException:   # Ctrl-C or SIGTERM (etl/cli.py): stop
                raise
            except duckdb.Error:
                read = None
            if read is None:
                con.execute(f"drop table if exists {name}; drop table if exists {name}_files")
                continue
            out.update(read)
        return out
    finally:
        for copy in copies.values():
            copy.unlink(missing_ok=True)


def _read_together(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], delim: str,
                   skip: int, written: list[str] | None = None,
                   copies: dict[Path, Path] | None = None) -> dict[Path, FileRead] | None:
    """`read_batch`'s reading of one batch into table `name`, or None when it must be read file
    by file: a malformed or empty record, or rows that are not each file's own (a file without
    rows must hold no record). `copies`: the UTF-8 copy read for a file (a legacy encoding);
    the records name the file itself."""
    text = {p: str((copies or {}).get(p, p)) for p in files}   # each file -> what DuckDB reads
    malformed, names = _scan_csv(con, name, list(text.values()), delim, skip, "_file_name")
    columns = _columns(con, name)
    if (malformed or _has_empty_records(con, name, [c for c, _ in columns])
            or _long_records(con, list(text.values()), delim, skip, len(columns))):
        return None
    ranges = {names.get(f, f): (lo, hi) for f, lo, hi in con.execute(
        f"select _file_name, min(rowid), max(rowid) from {name} group by 1").fetchall()}
    if (not all(_one_line_records(Path(f), skip, hi - lo + 1) for f, (lo, hi) in ranges.items())
            and _swallows(con, name, [c for c, _ in columns], delim)):
        return None
    if not set(ranges) <= set(text.values()) or sum(hi - lo + 1 for lo, hi in ranges.values()) != \
            con.execute(f"select count(*) from {name}").fetchall()[0][0]:
        return None  # rows of a file not asked for, or one file's rows not in one range
    if any(text[p] not in ranges and not _only_header(Path(text[p]), skip) for p in files):
        return None  # a file with records got no rows: it was not what DuckDB read
    first = skip + 2
    duck = {path: duck for duck, path in names.items()}
    con.execute(f"create or replace temp table {name}_files (file varchar, path varchar, lo bigint)")
    con.executemany(f"insert into {name}_files values (?, ?, ?)",
                    [(duck[text[p]], str(p), ranges[text[p]][0]) for p in files if text[p] in ranges])
    headers = [h for _, h in columns]
    spaced = {p: text[p] in ranges and padded(Path(text[p]), delim, skip, ranges[text[p]][1] - ranges[text[p]][0] + 1)
              for p in files}
    whole = FileRead(f"(select {_select(columns, 'b.')}, f.path as _file_name, b.rowid - f.lo + {first} as {ROW} "
                     f"from {name} b join {name}_files f on f.file = b._file_name)", headers, [],
                     sum(hi - lo + 1 for lo, hi in ranges.values()), ROW, delimiter=delim, batch=name,
                     raw_headers=written, padded=any(spaced.values()))
    out = {}
    for path in files:
        lo, hi = ranges.get(text[path], (0, -1))
        relation = (f"(select {_select(columns)}, rowid - {lo} + {first} as {ROW} from {name} "
                    f"where rowid between {lo} and {hi})")
        out[path] = FileRead(relation, headers, [], hi - lo + 1, ROW, delimiter=delim, batch=name,
                             header_line=skip + 1, whole=whole, raw_headers=written, padded=spaced[path])
    return out


def read_file(con: duckdb.DuckDBPyConnection, path: Path, source: Source, table: str,
              parsed=None) -> FileRead:
    """Read one file of a source into temp table `table` (text columns plus source_row);
    `parsed`: a workbook's `prepare_xlsx` future (`XlsxAhead`), else it is prepared here."""
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
