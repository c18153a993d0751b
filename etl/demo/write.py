"""Writing demo sources to disk: references, files per year or month, bad-row patches, CSV and XLSX.

CSV goes through pyarrow's writer (fast at benchmark scale) with the layout's line ending,
encoding and byte-order mark. XLSX goes through xlsxwriter in constant-memory mode with a fixed
creation time, so the same seed gives byte-identical workbooks; its rows are built column-wise
(etl/demo/xlsx.py) rather than cell by cell. The bad cells of a file are decided in file order;
the file itself is formatted and written by a `Writer` thread while the next one is prepared.
Returns rows written per file.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xlsxwriter

from etl.demo import bad as demo_bad
from etl.demo import xlsx
from etl.demo.formats import Context, case_columns, format_day, incident_columns


class Writer:
    """Writes files in background threads while the caller formats the next ones.

    Serialising (pyarrow), compressing (zlib) and the disk release the GIL, so on two cores a
    file's writing overlaps with the next file's formatting. At most `pending` files wait (each
    holds its columns); `close` (or leaving the `with` block) waits for all and re-raises the
    first error. What a file holds is decided before it is handed over, so the bytes do not
    depend on the threads.
    """

    def __init__(self, threads: int = 2, pending: int = 3):
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="demo-write")
        self._slots = threading.BoundedSemaphore(pending)
        self._futures: list[Future] = []

    def submit(self, fn, *args) -> None:
        failed = next((f for f in self._futures if f.done() and f.exception() is not None), None)
        if failed is not None:  # stop at the first file that could not be written
            raise failed.exception()
        self._slots.acquire()
        try:
            future = self._pool.submit(fn, *args)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        self._futures.append(future)

    def close(self) -> None:
        try:
            for future in self._futures:
                future.result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.close()
        else:
            self._pool.shutdown(wait=True, cancel_futures=True)


def write_csv(path: Path, columns: dict[str, pa.Array], layout) -> None:
    """One CSV in the layout's delimiter, line ending, encoding (and BOM)."""
    table = pa.table({h: columns[c] for h, c in layout.fields})
    # CRLF from the writer itself unless a value holds a line break (which the export turns into
    # CRLF too): the same bytes as replacing every LF afterwards, without copying the file twice.
    crlf_rows = layout.crlf and not any("\n" in h for h in table.column_names) and not any(
        pa.types.is_string(a.type) and pc.any(pc.match_substring(a, "\n")).as_py() for a in table.columns)
    options = pacsv.WriteOptions(delimiter=layout.delimiter, eol="\r\n" if crlf_rows else "\n")
    if layout.encoding != "cp1252" and (crlf_rows or not layout.crlf):
        with pa.OSFile(str(path), "wb") as sink:
            if layout.encoding == "utf-8-sig":
                sink.write(b"\xef\xbb\xbf")
            pacsv.write_csv(table, sink, options)
        return
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, options)
    data = sink.getvalue().to_pybytes()
    if layout.crlf and not crlf_rows:
        data = data.replace(b"\n", b"\r\n")
    if layout.encoding == "cp1252":
        data = data.decode("utf-8").encode("cp1252")
    elif layout.encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def write_xlsx(path: Path, columns: dict[str, pa.Array], layout, created: datetime,
               overrides: dict[str, dict[int, object]] | None = None) -> None:
    """One workbook with the layout's sheet; dates as date cells (or plain serials), text as text.

    `overrides` replace single values ({column: {row position: value}}, the patched bad cells).
    The rows go in bulk (etl/demo/xlsx.py) where that gives xlsxwriter's bytes, else cell by cell.
    """
    overrides = overrides or {}
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"created": created, "author": "demo"})
    sheet = book.add_worksheet(layout.sheet)
    date_cell = None if layout.serial_dates else book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, [h for h, _ in layout.fields])
    names = [c for _, c in layout.fields]
    dated = [c.endswith("_date") for c in names]
    arrays, extra = [columns[c] for c in names], [overrides.get(c, {}) for c in names]
    if xlsx.supported(sheet) and xlsx.fits(arrays, extra):
        xlsx.write_rows(sheet, arrays, dated, date_cell, extra)
    else:
        _write_cells(sheet, arrays, dated, date_cell, extra)
    book.close()


def _write_cells(sheet, arrays: list[pa.Array], dated: list[bool], date_cell, extra: list[dict]) -> None:
    """The rows one cell at a time through xlsxwriter (any version, any value)."""
    lists = [a.to_pylist() for a in arrays]
    for values, changes in zip(lists, extra, strict=True):
        for pos, v in changes.items():
            values[pos] = v
    for r, row in enumerate(zip(*lists, strict=True), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value, date_cell if dated[c] else None)


def _patch(frame, cells, kind: str, layout, extra: dict, nth: Counter) -> dict[str, dict[int, object]]:
    """The cells that make the marked rows of a file bad (see demo_bad.patch_row): {column: {row: value}}.

    `cells(positions)` gives the file's columns at those rows (formatting is row by row, so the
    marked rows alone are formatted here and the whole file where it is written).
    """
    changes: dict[str, dict[int, object]] = {}
    marked = np.flatnonzero(frame.bad.to_numpy() > 0)
    columns = cells(marked) if len(marked) else {}
    for i, pos in enumerate(marked.tolist()):
        bad = demo_bad.KINDS[int(frame.bad.iloc[pos]) - 1]
        row = {c: a[i].as_py() for c, a in columns.items()}
        ctx = demo_bad.PatchContext(
            kind=kind, layout=layout, as_of_day=extra["last_day"],
            days={c: float(frame[col].iloc[pos]) for c, col in extra["day_columns"].items()},
            format_day=lambda day, c: format_day(day, layout.date_format_for(c)), nth=nth[bad],
            other_ref=extra["other_ref"](pos), foreign=extra["foreign"])
        nth[bad] += 1
        for c, v in demo_bad.patch_row(bad, dict(row), ctx).items():
            if v != row[c]:
                changes.setdefault(c, {})[pos] = v
    return changes


def _patched(columns: dict[str, pa.Array], changes: dict[str, dict[int, object]]) -> dict[str, pa.Array]:
    """CSV columns (all text) with the changed cells replaced."""
    columns = dict(columns)
    for c, values in changes.items():
        mask = np.zeros(len(columns[c]), dtype=bool)
        mask[list(values)] = True
        replacements = pa.array([values[p] for p in sorted(values)], type=columns[c].type)
        columns[c] = pc.replace_with_mask(columns[c], pa.array(mask), replacements)
    return columns


def _refs(rows, spec) -> pa.Array:
    """References: a prefix per year (or day) from the source's pattern, then the order within it."""
    days = rows.rep.to_numpy().astype("datetime64[D]")
    group = days if spec.ref_reset == "day" else days.astype("datetime64[Y]")
    keys, first, inverse = np.unique(group, return_index=True, return_inverse=True)
    seq = np.arange(len(rows)) - first[inverse] + 1
    prefixes = []
    for k in keys.astype("datetime64[D]").astype(object):
        prefixes.append(spec.ref[0].format(yy=f"{k.year % 100:02d}", yyyy=k.year, mm=f"{k.month:02d}",
                                           dd=f"{k.day:02d}"))
    digits = pc.utf8_lpad(pc.cast(pa.array(seq), pa.string()), spec.ref[1], "0")
    return pc.binary_join_element_wise(pa.array(prefixes).take(pa.array(inverse)), digits, "")


def write_incident_source(out_dir: Path, spec, rows, ctx: Context, foreign: dict, as_of,
                          writer: Writer | None = None) -> dict[str, int]:
    """All files of one incident source; rows are its reports sorted by reported day (written by
    `writer` if given, else before returning)."""
    refs = _refs(rows, spec)
    month = rows.rep.to_numpy().astype("datetime64[D]").astype("datetime64[M]")
    split = month if spec.split == "month" else month.astype("datetime64[Y]")
    keys, first = np.unique(split, return_index=True)
    bounds = list(first) + [len(rows)]
    nth, written = Counter(), {}
    anonymous_good = (rows.person.to_numpy() < 0) & (rows.bad.to_numpy() == 0)
    for k, lo, hi in zip(keys.astype("datetime64[D]").astype(object), bounds[:-1], bounds[1:], strict=True):
        name = spec.file.format(yyyy=k.year, mm=f"{k.month:02d}")
        part, part_refs = rows.iloc[lo:hi], refs[lo:hi]
        good = np.flatnonzero(anonymous_good[lo:hi])
        good = good if len(good) else np.flatnonzero(rows.bad.to_numpy()[lo:hi] == 0)
        extra = {"last_day": ctx.last_day, "foreign": foreign,
                 "day_columns": {"reported_date": "rep", "occurred_date": "occ"},
                 "other_ref": lambda pos, g=good, r=part_refs: r[int(g[np.abs(g - pos).argmin()])].as_py()}
        changes = _patch(part, lambda at, p=part, r=part_refs: incident_columns(p.iloc[at], r.take(pa.array(at)),
                                                                                spec, ctx),
                         "incidents", spec.layout, extra, nth)
        columns = partial(incident_columns, part, part_refs, spec, ctx)  # formatted by the writer
        written[_write(out_dir, spec, name, columns, changes, as_of, writer)] = hi - lo
    return written


def write_case_source(out_dir: Path, spec, table, ctx: Context, foreign: dict, as_of,
                      writer: Writer | None = None) -> dict[str, int]:
    """The one file of an application or appeal source; table holds its rows (bad copies marked)."""
    kind = spec.kind
    key = demo_bad.KEYS[kind]
    dates = [c for _, c in spec.layout.fields if c.endswith("_date")]
    extra = {"last_day": ctx.last_day, "foreign": foreign, "day_columns": {c: c for c in dates},
             "other_ref": lambda pos: table[key].loc[table.template.iloc[pos]]
             if table.template.iloc[pos] >= 0 else None}
    columns = case_columns(table, spec, ctx)
    changes = _patch(table, lambda at: {c: a.take(pa.array(at)) for c, a in columns.items()}, kind, spec.layout,
                     extra, Counter())
    return {_write(out_dir, spec, spec.file, lambda: columns, changes, as_of, writer): len(table)}


def _write(out_dir: Path, spec, name: str, columns, changes: dict, as_of, writer: Writer | None) -> str:
    """Write (or hand to the writer) one file whose columns come from calling `columns`."""
    folder = out_dir / spec.folder
    folder.mkdir(parents=True, exist_ok=True)
    task = partial(_write_file, folder / name, spec, columns, changes, datetime(as_of.year, as_of.month, as_of.day))
    if writer is None:
        task()
    else:
        writer.submit(task)
    return f"{spec.folder}/{name}"


def _write_file(path: Path, spec, columns, changes: dict, created: datetime) -> None:
    if spec.is_xlsx:
        write_xlsx(path, columns(), spec.layout, created, changes)
    else:
        write_csv(path, _patched(columns(), changes), spec.layout)
