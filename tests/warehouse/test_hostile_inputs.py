"""Hostile partner files through the real build (the ingest probe's bugs): a file name DuckDB would
take for a glob pattern, a column named RowID, XLSX formula errors, names and phones in closed-list
and postcode columns, blank lines above the header and among the records. Every record is loaded,
merged or rejected once, in its own file, numbered by the row a spreadsheet shows it on, and no
personal data reaches the warehouse."""

from __future__ import annotations

import datetime as dt
import io
import json

import duckdb
import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, csv_text, incident_row, run_build, write_inputs

from etl.sources import readers
from etl.sources.config import Source

HEADER = ",".join(INCIDENT_COLUMNS)


def reports(con) -> dict[str, list[int]]:
    got: dict[str, list[int]] = {}
    for file, n in con.execute("select source_file, source_row from incident_reports order by all").fetchall():
        got.setdefault(file, []).append(n)
    return got


def rejects_text(con) -> str:
    return " ".join(f"{r} {v}" for r, v in con.execute("select reason, raw_values from etl_rejects").fetchall())


# --- 1. a file name with glob characters -----------------------------------------------------------

@pytest.mark.parametrize("other_layout", [False, True], ids=["read together", "read on its own"])
def test__glob_characters_in_a_file_name_read_that_file(tmp_path, other_layout):
    """`e[1].csv` is not the pattern matching `e1.csv`: its own records load, with its own numbers."""
    header = HEADER if not other_layout else ",".join(INCIDENT_COLUMNS[::-1])
    b_rows = [incident_row(f"B{n}", n) for n in (1, 2, 3)]
    if other_layout:
        b_rows = [",".join(r.split(",")[::-1]) for r in b_rows]
    files = {"erewash/e1.csv": csv_text(HEADER, incident_row("A1"), incident_row("A2", 2)),
             "erewash/e[1].csv": csv_text(header, *b_rows),
             "erewash/e?.csv": csv_text(HEADER, incident_row("C1", 5))}
    _, con = run_build(write_inputs(tmp_path / "in", EREWASH_TOML, files))
    assert reports(con) == {"erewash/e1.csv": [2, 3], "erewash/e[1].csv": [2, 3, 4], "erewash/e?.csv": [2]}
    assert con.execute("select source_file, rows_read, rows_loaded from etl_loads order by 1").fetchall() == [
        ("erewash/e1.csv", 2, 2), ("erewash/e?.csv", 1, 1), ("erewash/e[1].csv", 3, 3)]
    assert con.execute("select count(*) from etl_merged").fetchall() == [(0,)]


# --- 2. a column named RowID, and DuckDB failing on one file ---------------------------------------

@pytest.mark.parametrize("name", ["RowID", "rowid", "ROWID"])
def test__a_column_named_rowid_is_a_column_like_any_other(tmp_path, name):
    header = f"{name},{HEADER}"
    files = {"erewash/good.csv": csv_text(HEADER, incident_row("G1")),
             "erewash/r1.csv": csv_text(header, "7," + incident_row("R1"), "8," + incident_row("R2", 2, reported_date="2025-13-45")),
             "erewash/r2.csv": csv_text(header, "9," + incident_row("R3", 3), "10," + incident_row("R4", 4))}
    _, con = run_build(write_inputs(tmp_path / "in", EREWASH_TOML, files))
    assert reports(con) == {"erewash/good.csv": [2], "erewash/r1.csv": [2], "erewash/r2.csv": [2, 3]}
    assert con.execute("select source_file, source_row, reason_code from etl_rejects").fetchall() == [
        ("erewash/r1.csv", 3, "bad_date")]
    ignored = con.execute("select ignored_columns from etl_loads where source_file = 'erewash/r1.csv'").fetchall()
    assert name in str(ignored)


def test__a_column_named_rowid_can_be_mapped(tmp_path):
    toml = EREWASH_TOML + '[source.columns]\nincident_ref = "RowID"\n'
    header = HEADER.replace("incident_ref", "RowID")
    files = {"erewash/r.csv": csv_text(header, incident_row("R1"), incident_row("R2", 2))}
    _, con = run_build(write_inputs(tmp_path / "in", toml, files))
    assert con.execute("select incident_id, source_row from incident_reports order by 2").fetchall() == [
        ("erewash_council:R1", 2), ("erewash_council:R2", 3)]


def test__duckdb_failing_on_one_file_is_that_files_error(tmp_path, monkeypatch):
    """An unexpected DuckDB error while one file is read or loaded is that file's `file_error`
    (its message scrubbed); the other files load."""
    real = readers.read_file

    def failing(con, path, *args, **kwargs):
        if path.name == "bad.csv":
            raise duckdb.BinderException("Binder Error: could not convert 'Mrs Gupta 07700 900126'")
        return real(con, path, *args, **kwargs)

    monkeypatch.setattr(readers, "read_file", failing)
    toml = EREWASH_TOML + '[source.gates]\nunreadable_file = "warn"\n'
    files = {"erewash/a.csv": csv_text(HEADER, incident_row("A1")),
             "erewash/bad.csv": csv_text(",".join(INCIDENT_COLUMNS[::-1]), ",".join(incident_row("X1").split(",")[::-1]))}
    _, con = run_build(write_inputs(tmp_path / "in", toml, files))
    loads = dict(con.execute("select source_file, file_error from etl_loads").fetchall())
    assert loads["erewash/a.csv"] is None
    assert "DuckDB could not read or load it" in loads["erewash/bad.csv"]
    assert "Gupta" not in loads["erewash/bad.csv"] and "07700" not in loads["erewash/bad.csv"]
    assert reports(con) == {"erewash/a.csv": [2]}


# --- 3. XLSX formula errors ---------------------------------------------------------------------------

def _workbook_with_errors() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["incident_ref", "agency", "reported_date", "occurred_date", "asb_category", "asb_type",
               "postcode", "person_ref", "is_hate"])
    ws.append(["X1", "council", dt.date(2025, 3, 3), "#REF!", "personal", "noise", "NG10 1AA", "ECN-1", "N"])
    ws.append(["X2", "council", "#N/A", None, "personal", "noise", "NG10 1AA", "ECN-2", "N"])
    ws.append(["X3", "council", dt.date(2025, 3, 4), None, "personal", "noise", "NG10 1AA", "ECN-3", "#VALUE!"])
    ws.append(["X4", "council", dt.date(2025, 3, 5), "#DIV/0!", "personal", "noise", "NG10 1AA", "ECN-4", "N"])
    ws.append(["X5", "council", dt.date(2025, 3, 6), None, "personal", "noise", "NG10 1AA", "ECN-5", "N"])
    assert ws["D2"].data_type == "e" and ws["C3"].data_type == "e"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test__xlsx_error_cells_keep_their_text(tmp_path):
    path = tmp_path / "e.xlsx"
    path.write_bytes(_workbook_with_errors())
    _, rows = readers.parse_xlsx(path, Source("s", "incidents", "*.xlsx"))
    assert rows[1][3] == "#REF!" and rows[2][2] == "#N/A" and rows[3][8] == "#VALUE!" and rows[4][3] == "#DIV/0!"
    assert rows[2][3] in ("", None)   # an empty cell stays empty


def test__xlsx_error_cells_are_rejected_as_their_csv_text_is(tmp_path):
    toml = EREWASH_TOML.replace("*.csv", "*.xlsx")
    _, con = run_build(write_inputs(tmp_path / "in", toml, {"erewash/e.xlsx": _workbook_with_errors()}))
    got = con.execute("select source_row, reason_code, reason from etl_rejects order by 1").fetchall()
    assert [(n, code) for n, code, _ in got] == [(2, "bad_date"), (3, "bad_date"), (4, "bad_value"), (5, "bad_date")]
    assert "'#REF!' is not a valid date" in got[0][2] and "'#N/A' is not a valid date" in got[1][2]
    assert "'#VALUE!'" in got[2][2]
    assert reports(con) == {"erewash/e.xlsx": [6]}


# --- 4 and 5. names and phones in closed-list and postcode columns ---------------------------------

def test__a_name_or_phone_in_a_closed_list_column_is_scrubbed_in_the_reject(tmp_path):
    files = {"erewash/e.csv": csv_text(HEADER, incident_row("A1"), incident_row("A2", 2, agency="Mrs Gupta"),
                                       incident_row("A3", 3, asb_category="Jane Doe 07700 900126"),
                                       incident_row("A4", 4, victim_type="Mrs Gupta 07700 900126"),
                                       incident_row("A5", 5, is_hate="Yes"), incident_row("A6", 6, agency="Not Known"))}
    _, con = run_build(write_inputs(tmp_path / "in", EREWASH_TOML, files))
    text = rejects_text(con).lower()
    assert "gupta" not in text and "jane" not in text and "07700" not in text and "900126" not in text
    reasons = dict(con.execute("select source_row, reason from etl_rejects").fetchall())
    assert reasons[3].startswith("agency '[name]' is not one of")
    assert reasons[4].startswith("asb_category '[name] [phone]' is not one of")
    assert reasons[5].startswith("victim_type '[name] [phone]' is not one of")
    assert reasons[7].startswith("agency 'Not Known' is not one of")   # quoted as sent: the key to map
    assert reports(con) == {"erewash/e.csv": [2, 6]}
    assert con.execute("select is_hate from incidents where incident_id like '%A5'").fetchall() == [(True,)]


def test__personal_data_in_the_postcode_column_is_scrubbed(tmp_path):
    files = {"erewash/e.csv": csv_text(HEADER, incident_row("A1"), incident_row("A2", 2, postcode="ring Mrs Patel 07700 900123"),
                                       incident_row("A3", 3, postcode="jane.doe@example.com"),
                                       incident_row("A4", 4, postcode="ZZ99 9ZZ"),
                                       incident_row("A5", 5, postcode="Mr Smith 07700 900124", reported_date="2025-13-45"))}
    _, con = run_build(write_inputs(tmp_path / "in", EREWASH_TOML, files))
    text = rejects_text(con)
    for leak in ("Patel", "07700", "900123", "jane.doe", "example.com", "Smith", "900124"):
        assert leak not in text, leak
    reasons = dict(con.execute("select source_row, reason from etl_rejects").fetchall())
    assert reasons[3] == "postcode 'ring [name] [phone]' is not in the ONS Postcode Directory"
    assert reasons[4] == "postcode '[email]' is not in the ONS Postcode Directory"
    assert reasons[5] == "postcode 'ZZ99 9ZZ' is not in the ONS Postcode Directory"   # a postcode: as sent
    raw = {n: json.loads(v)["postcode"] for n, v in con.execute("select source_row, raw_values from etl_rejects")
           .fetchall()}
    assert raw == {3: "ring [name] [phone]", 4: "[email]", 5: "ZZ99 9ZZ", 6: "[name] [phone]"}


def test__scrub_json_keeps_only_a_postcode_shaped_postcode():
    from etl.transform import scrub

    for value in ("DE7 5RP", "de75rp", " NG10 1AA "):
        assert json.loads(scrub._scrub_json(json.dumps({"postcode": value}))[0]) == {"postcode": value}
    cleaned, counts = scrub._scrub_json(json.dumps({"postcode": "call Mrs Patel 07700 900123"}))
    assert json.loads(cleaned) == {"postcode": "call [name] [phone]"} and counts == {"phone": 1, "name": 1}


# --- 6 and 7. blank lines above the header and among the records ------------------------------------

@pytest.mark.parametrize("first", ["", "   ", ",,,,", "\t"])
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test__a_blank_line_above_the_header_is_skipped_and_counted(tmp_path, first, ending):
    content = ending.join([first, HEADER, incident_row("A1"), incident_row("A2", 2, reported_date="2025-13-45")]) + ending
    _, con = run_build(write_inputs(tmp_path / "in", EREWASH_TOML, {"erewash/e.csv": content}))
    assert con.execute("select rows_read, file_error from etl_loads").fetchall() == [(2, None)]
    assert reports(con) == {"erewash/e.csv": [3]}
    assert con.execute("select source_row from etl_rejects").fetchall() == [(4,)]


CASES = {
    # records, loaded rows, rejected rows (a spreadsheet's row numbers)
    "blank line": ([HEADER, incident_row("A1"), "", incident_row("A2", 2, reported_date="2025-13-45")], [2], [4]),
    "blank lines": ([HEADER, "", incident_row("A1"), "", "", incident_row("A2", 2), incident_row("A3", 3, reported_date="x")], [3, 6], [7]),
    "spacer row": ([HEADER, incident_row("A1"), ",,,,", incident_row("A2", 2, reported_date="x")], [2], [4]),
    "blank line and a quoted line break": (
        [HEADER, incident_row("A1", location_desc='"Corner of\nHigh St"'), "", incident_row("A2", 2, reported_date="x")], [2], [4]),
    "trailing blank lines": ([HEADER, incident_row("A1"), incident_row("A2", 2, reported_date="x"), "", ""], [2], [3]),
    "blank line and a total row": ([HEADER, incident_row("A1"), "", incident_row("A2", 2), "Total,2"], [2, 4], [5]),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("together", [False, True], ids=["alone", "beside files read together"])
def test__records_keep_the_row_a_spreadsheet_shows_after_a_blank_line(tmp_path, name, ending, together):
    lines, loaded, rejected = CASES[name]
    files = {"erewash/b.csv": ending.join(lines) + ending}
    if together:
        files |= {"erewash/a.csv": csv_text(HEADER, incident_row("Z1"), incident_row("Z2")), "erewash/c.csv": csv_text(HEADER, incident_row("Y1"))}
    _, con = run_build(write_inputs(tmp_path / "in", EREWASH_TOML, files))
    got = reports(con)
    assert got.pop("erewash/b.csv", []) == loaded
    assert got == ({"erewash/a.csv": [2, 3], "erewash/c.csv": [2]} if together else {})
    assert con.execute("select source_row from etl_rejects where source_file = 'erewash/b.csv' order by 1"
                       ).fetchall() == [(n,) for n in rejected]
    assert con.execute("select rows_read from etl_loads where source_file = 'erewash/b.csv'").fetchall() == [
        (len(loaded) + len(rejected),)]


@pytest.mark.parametrize(("content", "inside"), [
    (b"h\na\nb\n", False), (b"h\na\nb", False), (b"h\na\nb\n\n\n", False), (b"h\r\na\r\n\r\n", False),
    (b"h\na\n\nb\n", True), (b"h\r\na\r\n\r\nb\r\n", True), (b"h\ra\r\rb\r", True), (b"h\ra\rb\r\r", False),
    (b"h\na\n  \n\n\t\n", False), (b"h\n\na\n", True)])
def test__blank_line_inside_looks_before_the_last_text(tmp_path, content, inside):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert readers.blank_line_or_nul(path) is inside
