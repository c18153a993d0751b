"""Partner files that lost or renumbered records without a word (the ingest audit of 7 December
2026, black-box, from DESIGN.md's accounting contract alone):

- a line starting with `#` above the header: DuckDB's CSV sniffer took `#` for a comment character,
  so every record starting with `#` vanished (no load, no reject) and every record's number was one
  row too low; a `#` line is text like any other (a title row above the header, a record below it);
- a quote opened and never closed before the end of the file: the careful reader read every line
  after it as one field of one rejected record, so twenty good records were neither loaded nor
  rejected; the line with the stray quote is the reject, and the lines after it are records;
- UTF-16 without a byte-order mark: read as 8-bit text with its zero bytes dropped, so a character
  whose UTF-16 bytes hold a line feed, carriage return, comma or quote split or swallowed records;
  it is read as UTF-16 (every other byte zero says which order), with a note;
- a UTF-8 file of a source declaring cp1252 (the partner changed its export): references changed
  silently ('É-1' stored as 'Ã‰-1', another incident than the same reference sent right); a file
  that is valid UTF-8 holding characters beyond ASCII is read as UTF-8, with a note.
"""

from __future__ import annotations

import csv
import io

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, run_build, write_inputs

from etl.build import BuildError

HEADER = ",".join(INCIDENT_COLUMNS)


def good(n: int, desc: str = "Market Place", ref: str | None = None) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(
        [ref or f"A{n}", "council", "", f"2025-03-{1 + n % 27:02d}", "", "personal", "noise", "", "", "", "",
         "NG10 1AA", desc, f"ECN-{n}", "individual", "N"])
    return out.getvalue()


def build(tmp_path, files: dict[str, str | bytes], toml: str = EREWASH_TOML, ending: str = "\n"):
    """(etl_loads rows, {source_row: incident_ref} loaded, [(source_row, reason)] rejected, con)."""
    written = {f"erewash/{name}": ending.join(lines) + ending if isinstance(lines, list) else lines
               for name, lines in files.items()}
    _, con = run_build(write_inputs(tmp_path / "in", toml, written))
    loads = con.execute("select source_file, rows_read, rows_loaded, rows_rejected, rows_merged, file_note, "
                        "file_error from etl_loads order by 1").fetchall()
    loaded = con.execute("select r.source_file, r.source_row, split_part(r.report_id, ':', 2), i.location_desc "
                         "from incident_reports r join incidents i using (incident_id) order by 1, 2").fetchall()
    rejects = con.execute("select source_file, source_row, reason from etl_rejects order by 1, 2").fetchall()
    return loads, loaded, rejects, con


# --- a line starting with '#' --------------------------------------------------------------------

@pytest.mark.parametrize("title", ["# exported", "#", "## ASB export, Erewash", "# incidents; exported 2025-04-01"])
def test__read__a_hash_line_above_the_header_is_a_title_row_not_a_comment(tmp_path, title):
    lines = [title, HEADER, good(1), good(2, ref="#A2"), good(3), "# end of export", good(4)]
    with pytest.raises(BuildError, match="its header looks like line 2: set skip_rows = 1"):
        build(tmp_path / "plain", {"a.csv": lines, "b.csv": [HEADER, good(9)]})   # a title row, as any
    loads, loaded, rejects, _ = build(tmp_path / "skip", {"a.csv": lines}, EREWASH_TOML + "skip_rows = 1\n")
    assert [(row, ref) for _, row, ref, _ in loaded] == [(3, "A1"), (4, "#A2"), (5, "A3"), (7, "A4")], loaded
    assert [row for _, row, _ in rejects] == [6], rejects
    assert [load[1:4] for load in loads] == [(5, 4, 1)], loads


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("where", [0, 1, 3])
def test__read__records_starting_with_a_hash_are_records(tmp_path, ending, where):
    """'#' opening the first record, or several: each is a record with its own row."""
    records = [good(n) for n in range(1, 6)]
    records[where] = good(where + 1, ref=f"#A{where + 1}")
    records[4] = good(5, desc="Flat #3, High St")
    loads, loaded, rejects, _ = build(tmp_path, {"a.csv": [HEADER, *records]}, ending=ending)
    assert [(row, ref) for _, row, ref, _ in loaded] == [
        (n + 1, f"#A{n}" if n == where + 1 else f"A{n}") for n in range(1, 6)], loaded
    assert not rejects and [load[1:4] for load in loads] == [(5, 5, 0)]


# --- a quote never closed ------------------------------------------------------------------------

@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("broken", [2, 3, 21])
def test__read__a_quote_never_closed_is_its_own_line_s_reject_and_the_lines_after_it_are_records(
        tmp_path, ending, broken):
    records = {n: good(n) for n in range(1, 23)}
    records[broken] = good(broken).replace("Market Place", '"Market Place')   # opened, never closed
    loads, loaded, rejects, _ = build(tmp_path, {"a.csv": [HEADER, *records.values()]}, ending=ending)
    assert [row for _, row, _ in rejects] == [broken + 1], rejects
    assert "never closed" in rejects[0][2], rejects
    assert [row for _, row, _, _ in loaded] == [n + 1 for n in records if n != broken], loaded
    assert [load[1:4] for load in loads] == [(22, 21, 1)], loads


def test__read__two_quotes_never_closed_and_a_blank_line_keep_every_record_and_its_row(tmp_path):
    lines = [HEADER, good(1), good(2).replace("Market", '"Market'), "", good(4),
             good(5).replace("A5", '"A5'), good(6), good(7)]
    loads, loaded, rejects, _ = build(tmp_path, {"a.csv": lines, "b.csv": [HEADER, good(8), good(9)]})
    assert [(f, row) for f, row, _ in rejects] == [("erewash/a.csv", 3), ("erewash/a.csv", 6)], rejects
    assert [(f, row) for f, row, _, _ in loaded] == [
        ("erewash/a.csv", 2), ("erewash/a.csv", 5), ("erewash/a.csv", 7), ("erewash/a.csv", 8),
        ("erewash/b.csv", 2), ("erewash/b.csv", 3)], loaded
    assert [load[1:4] for load in loads] == [(6, 4, 2), (2, 2, 0)], loads


# --- UTF-16 without a byte-order mark --------------------------------------------------------------

TEXTS = ["family \U0001F468\u200d\U0001F469 next door", "\u2022 loud music", "\u0a0a shop", "\u012c corner",
         "Caf\u00e9 \u00a35"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test__read__utf16_without_a_byte_order_mark_is_read_as_utf16(tmp_path, codec):
    lines = [HEADER, *(good(n, desc=t) for n, t in enumerate(TEXTS, 1))]
    body = "\r\n".join(lines).encode(codec) + "\r\n".encode(codec)
    loads, loaded, rejects, _ = build(tmp_path, {"a.csv": body, "b.csv": [HEADER, good(9)]})
    assert not rejects, rejects
    assert [(f, row, desc) for f, row, _, desc in loaded] == [
        *(("erewash/a.csv", n + 1, t) for n, t in enumerate(TEXTS, 1)), ("erewash/b.csv", 2, "Market Place")]
    (_, read, n_loaded, rejected, _, note, error), _ = loads
    assert (read, n_loaded, rejected, error) == (5, 5, 0, None)
    assert "UTF-16" in note and "byte-order mark" in note, note


def test__check__names_utf16_without_a_byte_order_mark(tmp_path):
    from etl.sources import check

    inputs = write_inputs(tmp_path / "in", EREWASH_TOML, {
        "erewash/a.csv": ("\n".join([HEADER, good(1, desc=TEXTS[1])]) + "\n").encode("utf-16-le")})
    [report] = check.check(inputs)
    assert (report["read"]["encoding"], report["read"]["bom"], report["read"]["rows"]) == ("utf-16le", False, 1), report


# --- a declared legacy encoding, a UTF-8 file ------------------------------------------------------

@pytest.mark.parametrize("declared", ["cp1252", "latin-1", "windows-1252"])
def test__read__a_utf8_file_of_a_source_declaring_a_legacy_encoding_is_read_as_utf8(tmp_path, declared):
    toml = EREWASH_TOML + f'encoding = "{declared}"\n'
    a = "\n".join([HEADER, good(1, desc="Caf\u00e9 Rouge", ref="\u00c9-1"), good(2)]) + "\n"
    b = "\n".join([HEADER, good(3, desc="Caf\u00e9 Noir")]) + "\n"
    loads, loaded, rejects, _ = build(tmp_path, {"a.csv": a.encode("utf-8"), "b.csv": b.encode("utf-8"),
                                                 "c.csv": b.replace("Noir", "Bleu").replace("A3", "A4")
                                                 .encode("cp1252")}, toml)
    assert not rejects, rejects
    assert [(f, ref, desc) for f, _, ref, desc in loaded] == [
        ("erewash/a.csv", "\u00c9-1", "Caf\u00e9 Rouge"), ("erewash/a.csv", "A2", "Market Place"),
        ("erewash/b.csv", "A3", "Caf\u00e9 Noir"), ("erewash/c.csv", "A4", "Caf\u00e9 Bleu")], loaded
    notes = {f: note for f, *_, note, _ in loads}
    assert "UTF-8" in notes["erewash/a.csv"] and declared in notes["erewash/a.csv"], notes
    assert notes["erewash/c.csv"] is None, notes   # the declared encoding, right for this one
