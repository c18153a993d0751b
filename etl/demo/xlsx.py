"""Demo workbooks without a Python call per cell: xlsxwriter's own sheet XML, built column-wise.

xlsxwriter in constant-memory mode writes each row's cells as XML to a temporary file, one
Python call chain per cell (about 5 µs a cell: 40 s for the housing provider's half a million
rows at scale 55). `write_rows` builds the same XML for a whole column at once with pyarrow and
hands it to the worksheet's temporary file; xlsxwriter still writes the header, the rest of the
package, the styles and the zip, so the workbook stays byte-identical to the cell-by-cell one.
Values the vectorised template might not treat exactly as xlsxwriter does (XML or control
characters, leading or trailing non-alphanumerics, patched bad cells) go through the same
escaping functions xlsxwriter uses. The template reproduces xlsxwriter 3.3; with any other
version `supported` is False and the caller writes cell by cell.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

CHUNK_ROWS = 65_536  # rows built and written at a time (bounds the memory of one chunk's XML)
MAX_FAST_TEXT = 16_000  # longer strings may be truncated by xlsxwriter (32,767 UTF-16 units)
# Text the template copies as it is: no XML or control character, no "_xHHHH_" escape look-alike,
# no leading or trailing character that Python's \s might call whitespace (checked per value
# by xlsxwriter, so anything else goes through its functions).
SPECIAL_TEXT = r"[&<>\x00-\x1f\x{FFFE}\x{FFFF}]|_x[0-9a-fA-F]{4}_|^[^\pL\pN]|[^\pL\pN]$"


def supported(sheet) -> bool:
    """Whether this xlsxwriter's constant-memory worksheet is the one the template reproduces."""
    return (xlsxwriter.__version__.startswith("3.3.") and getattr(sheet, "constant_memory", False)
            and getattr(sheet, "row_data_fh", None) is not None)


def cell_xml(ref: str, value, style: str) -> str:
    """One cell exactly as xlsxwriter writes it (worksheet._write_cell, constant-memory mode)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return f'<c r="{ref}" t="inlineStr"><is>{_inline(value)}</is></c>'
    return f'<c r="{ref}"{style}><v>{value:.16G}</v></c>'


def _inline(value: str) -> str:
    """What xlsxwriter puts inside <is> for a string (xmlwriter._xml_inline_string and friends)."""
    text = XMLwriter._escape_control_characters(value)
    if text.startswith("<r>") and text.endswith("</r>"):
        return text
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<t{space}>{text}</t>"


def fits(columns: list[pa.Array], overrides: list[dict[int, object]]) -> bool:
    """False when a value is one the bulk path does not write (long text, NaN or infinite numbers)."""
    for array, extra in zip(columns, overrides, strict=True):
        if _is_text(array):
            if len(array) and (pc.max(pc.utf8_length(array)).as_py() or 0) > MAX_FAST_TEXT:
                return False
        elif pa.types.is_floating(array.type) and len(array) and pc.any(pc.invert(pc.is_finite(array))).as_py():
            return False
        for v in extra.values():
            if isinstance(v, str) and len(v) > MAX_FAST_TEXT:
                return False
            if isinstance(v, float) and not np.isfinite(v):
                return False
    return True


def _is_text(array: pa.Array) -> bool:
    return pa.types.is_string(array.type) or pa.types.is_large_string(array.type)


def _column_cells(array: pa.Array, letter: str, rownum: pa.Array, first: int, style: str,
                  extra: dict[int, object]) -> pa.Array:
    """The <c> elements of one column's rows first.. (rownum: their sheet row numbers as text)."""
    odd = np.array([p - first for p in extra if first <= p < first + len(array)], dtype=np.int64)
    if array.null_count == len(array):
        cells = pa.nulls(len(array), pa.string())
    elif _is_text(array):
        cells = pc.binary_join_element_wise(f'<c r="{letter}', rownum, '" t="inlineStr"><is><t>', array,
                                            "</t></is></c>", "")
        special = pc.fill_null(pc.match_substring_regex(array, SPECIAL_TEXT), False)
        if pc.any(special).as_py():  # escaped by xlsxwriter's functions, once per distinct value
            values = array.filter(special)
            distinct = pc.unique(values)
            escaped = pa.array([_inline(v) for v in distinct.to_pylist()], pa.string())
            cells = pc.replace_with_mask(cells, special, pc.binary_join_element_wise(
                f'<c r="{letter}', rownum.filter(special), '" t="inlineStr"><is>',
                escaped.take(pc.index_in(values, distinct)), "</is></c>", ""))
    else:
        codes = pc.dictionary_encode(array)
        numbers = pa.array([f"{v:.16G}" for v in codes.dictionary.to_pylist()], pa.string())
        cells = pc.binary_join_element_wise(f'<c r="{letter}', rownum, f'"{style}><v>',
                                            numbers.take(codes.indices), "</v></c>", "")
    if len(odd):
        odd = np.unique(odd)  # in row order, as replace_with_mask takes the replacements
        values = array.take(pa.array(odd)).to_pylist()
        xml = [cell_xml(f"{letter}{first + p + 2}", extra.get(first + p, v), style)
               for p, v in zip(odd.tolist(), values, strict=True)]
        mask = np.zeros(len(array), dtype=bool)
        mask[odd] = True
        cells = pc.replace_with_mask(cells, pa.array(mask), pa.array(xml, pa.string()))
    return pc.fill_null(cells, "")


def write_rows(sheet, columns: list[pa.Array], dated: list[bool], date_cell,
               overrides: list[dict[int, object]]) -> None:
    """Rows 1.. of a constant-memory sheet whose header (row 0) is written and nothing else.

    `columns` are the sheet's columns in order (pyarrow arrays, null = no cell), `dated` marks
    those whose numbers get `date_cell`, `overrides` per column {row position: value} replace
    values (patched bad cells; None = no cell).
    """
    n = len(columns[0]) if columns else 0
    # A format gets its index when xlsxwriter first writes a cell with it (and only then is it
    # in the styles), so ask for it only if a dated column has a number.
    style = ""
    if date_cell is not None and any(_has_number(a, o) for a, o, d in zip(columns, overrides, dated, strict=True)
                                     if d):
        style = f' s="{date_cell._get_xf_index()}"'
    sheet._write_single_row(n)  # the header row out to the row file; the data rows follow it
    fh = sheet.row_data_fh
    fh.flush()
    last = 0
    for lo in range(0, n, CHUNK_ROWS):
        hi = min(n, lo + CHUNK_ROWS)
        rownum = pc.cast(pa.array(np.arange(lo + 2, hi + 2)), pa.string())
        cells = [_column_cells(a.slice(lo, hi - lo), xl_col_to_name(c), rownum, lo, style if dated[c] else "",
                               overrides[c]) for c, a in enumerate(columns)]
        rows = pc.binary_join_element_wise('<row r="', rownum, '">', *cells, "</row>", "")
        # a row without a cell is not written at all (and does not count for the dimensions)
        filled = pc.greater(pc.binary_length(rows), pc.add(pc.binary_length(rownum), len('<row r=""></row>')))
        if not pc.all(filled).as_py():
            rows = pc.if_else(filled, rows, "")
        used = np.flatnonzero(filled.to_numpy(zero_copy_only=False))
        if len(used):
            last = lo + int(used[-1]) + 1
        fh.buffer.write(_joined(rows))
    fh.buffer.flush()
    if last:
        sheet._check_dimensions(last, 0, ignore_col=True)


def _has_number(array: pa.Array, extra: dict[int, object]) -> bool:
    """Whether a column (after its overrides) has a number: a cell xlsxwriter writes with a format."""
    if any(v is not None and not isinstance(v, str) for v in extra.values()):
        return True
    if _is_text(array) or array.null_count == len(array):
        return False
    kept = np.ones(len(array), dtype=bool)
    kept[list(extra)] = False
    return bool(np.any(kept & ~np.asarray(array.is_null().to_numpy(zero_copy_only=False))))


def _joined(strings: pa.Array) -> bytes:
    """The concatenated UTF-8 bytes of a string array without nulls."""
    width = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    offsets = np.frombuffer(strings.buffers()[1], dtype=width)
    start, stop = int(offsets[strings.offset]), int(offsets[strings.offset + len(strings)])
    return strings.buffers()[2][start:stop].to_pybytes()
