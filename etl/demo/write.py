"""Writing demo sources to disk: references, files per year or month, bad-row patches, CSV and XLSX.

CSV goes through pyarrow's writer (fast at benchmark scale), then gets the layout's line ending,
encoding and byte-order mark. XLSX goes through xlsxwriter in constant-memory mode with a fixed
creation time, so the same seed gives byte-identical workbooks. Returns rows written per file.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xlsxwriter

from etl.demo import bad as demo_bad
from etl.demo.formats import Context, case_columns, format_day, incident_columns


def write_csv(path: Path, columns: dict[str, pa.Array], layout) -> None:
    """One CSV in the layout's delimiter, line ending, encoding (and BOM)."""
    table = pa.table({h: columns[c] for h, c in layout.fields})
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(delimiter=layout.delimiter))
    data = sink.getvalue().to_pybytes()
    if layout.crlf:
        data = data.replace(b"\n", b"\r\n")
    if layout.encoding == "cp1252":
        data = data.decode("utf-8").encode("cp1252")
    elif layout.encoding == "utf-8-sig":
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)


def write_xlsx(path: Path, columns: dict[str, list], layout, created: datetime) -> None:
    """One workbook with the layout's sheet; dates as date cells (or plain serials), text as text."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"created": created, "author": "demo"})
    sheet = book.add_worksheet(layout.sheet)
    date_cell = None if layout.serial_dates else book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, [h for h, _ in layout.fields])
    names = [c for _, c in layout.fields]
    dated = [c.endswith("_date") for c in names]
    for r, row in enumerate(zip(*(columns[c] for c in names), strict=True), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value, date_cell if dated[c] else None)
    book.close()


def _patch(columns: dict, frame, kind: str, layout, extra: dict, nth: Counter, lists: bool) -> dict:
    """Make the marked rows of a file bad (see demo_bad.patch_row); returns columns ready to write."""
    changes: dict[str, dict[int, object]] = {}
    for pos in np.flatnonzero(frame.bad.to_numpy() > 0):
        bad = demo_bad.KINDS[int(frame.bad.iloc[pos]) - 1]
        row = {c: a[int(pos)].as_py() for c, a in columns.items()}
        ctx = demo_bad.PatchContext(
            kind=kind, layout=layout, as_of_day=extra["last_day"],
            days={c: float(frame[col].iloc[pos]) for c, col in extra["day_columns"].items()},
            format_day=lambda day, c: format_day(day, layout.date_format_for(c)), nth=nth[bad],
            other_ref=extra["other_ref"](int(pos)), foreign=extra["foreign"])
        nth[bad] += 1
        for c, v in demo_bad.patch_row(bad, dict(row), ctx).items():
            if v != row[c]:
                changes.setdefault(c, {})[int(pos)] = v
    if lists:
        columns = {c: a.to_pylist() for c, a in columns.items()}
        for c, values in changes.items():
            for pos, v in values.items():
                columns[c][pos] = v
        return columns
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


def write_incident_source(out_dir: Path, spec, rows, ctx: Context, foreign: dict, as_of) -> dict[str, int]:
    """All files of one incident source; rows are its reports sorted by reported day."""
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
        columns = _patch(incident_columns(part, part_refs, spec, ctx), part, "incidents", spec.layout, extra,
                         nth, spec.is_xlsx)
        written[_write(out_dir, spec, name, columns, as_of)] = hi - lo
    return written


def write_case_source(out_dir: Path, spec, table, ctx: Context, foreign: dict, as_of) -> dict[str, int]:
    """The one file of an application or appeal source; table holds its rows (bad copies marked)."""
    kind = spec.kind
    key = demo_bad.KEYS[kind]
    dates = [c for _, c in spec.layout.fields if c.endswith("_date")]
    extra = {"last_day": ctx.last_day, "foreign": foreign, "day_columns": {c: c for c in dates},
             "other_ref": lambda pos: table[key].loc[table.template.iloc[pos]]
             if table.template.iloc[pos] >= 0 else None}
    columns = _patch(case_columns(table, spec, ctx), table, kind, spec.layout, extra, Counter(), spec.is_xlsx)
    return {_write(out_dir, spec, spec.file, columns, as_of): len(table)}


def _write(out_dir: Path, spec, name: str, columns: dict, as_of) -> str:
    folder = out_dir / spec.folder
    folder.mkdir(parents=True, exist_ok=True)
    if spec.is_xlsx:
        write_xlsx(folder / name, columns, spec.layout, datetime(as_of.year, as_of.month, as_of.day))
    else:
        write_csv(folder / name, columns, spec.layout)
    return f"{spec.folder}/{name}"
