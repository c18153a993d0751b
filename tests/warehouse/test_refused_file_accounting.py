"""A file refused as a whole still accounts for every record (the black-box audit of 8 December
2026). DESIGN.md: "Every record of every file appears in exactly one of `incident_reports`,
`etl_merged` ... and `etl_rejects`". A file whose records could be read but which the build
refuses as a whole (two exports pasted with their columns in another order, a column named twice
with different values, a header that fits another source or none) was recorded in `etl_loads`
with its error and `rows_read = 0`: with the source's `unreadable_file` gate at "warn" the build
published and the file's records were in none of the three tables. Now each of them is a reject
(`file_refused`) at its own row, with the reason and no value of it (the file was not read under
its header, so a value could sit under another column's name: a person's reference as a place);
`rows_read` counts them, the file's error still says why and the gate still fires; the share of
rejects (`reject_share`) is not judged on such a file, whose refusal is the `unreadable_file`
gate's business."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, incident_row, run_build, write_inputs

WARN = '[source.gates]\nunreadable_file = "warn"\n'
APPEALS = """
[[source]]
slug = "opcc-appeals"
kind = "appeals"
path = "opcc/*.csv"
"""
HEADER = ",".join(INCIDENT_COLUMNS)


def _records(n: int, start: int = 1, person: str = "ECN") -> list[str]:
    return [incident_row(f"R{start + k}", 1 + k % 28, person_ref=f"{person}-{start + k}") for k in range(n)]


def _swapped(line: str) -> str:
    """A CSV line with location_desc and person_ref in each other's place."""
    cells = line.split(",")
    i, j = INCIDENT_COLUMNS.index("location_desc"), INCIDENT_COLUMNS.index("person_ref")
    cells[i], cells[j] = cells[j], cells[i]
    return ",".join(cells)


def _pasted(n: int) -> str:
    """Two exports pasted into one file, the second with two columns swapped: refused."""
    return "\n".join([HEADER, *_records(n), _swapped(HEADER), *(_swapped(r) for r in _records(n, 100, "PASTED"))]) + "\n"


def _twice(n: int) -> str:
    """reported_date written twice with other values in the second: refused."""
    rows = [HEADER + ",reported_date"] + [r + ",2025-03-28" for r in _records(n)]
    return "\n".join(rows) + "\n"


def _title_rows(n: int) -> str:
    """A title line above the header and no skip_rows: the header fits nothing, refused."""
    return "Erewash ASB export,run 01/04/2025\n" + "\n".join([HEADER, *_records(n)]) + "\n"


def _appeals_here(n: int) -> str:
    """An appeals register saved into the council's folder: it fits another source, refused."""
    head = "appeal_ref,application_ref,authority,received_date,appellant,consent_letter,grounds,outcome,decision_date"
    return "\n".join([head, *(f"AP{k},CT{k},Erewash,2025-03-01,victim,Y,review_process,pending," for k in range(n))]) + "\n"


def _xlsx(text: str) -> bytes:
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(text)):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _record_rows(text: str) -> list[int]:
    """The rows of a CSV text's records as a spreadsheet shows them, read independently: every
    non-blank line below the first (the build's header line, or the line it took for one)."""
    lines = text.splitlines()
    return [n for n, line in enumerate(lines, 1) if n > 1 and line.strip()]


CASES = {
    "pasted": (_pasted, "the header again with its columns in another order"),
    "twice": (_twice, "could be reported_date"),
    "title_rows": (_title_rows, "set skip_rows = 1"),
    "appeals_here": (_appeals_here, "it fits source opcc_appeals"),
}


@pytest.mark.parametrize("xlsx", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test__refused_file__every_record_is_a_reject_at_its_row(tmp_path, case, xlsx):
    make, message = CASES[case]
    text = make(12)   # more than reject_share's minimum of records: that gate is not judged here
    name = "erewash/refused" + (".xlsx" if xlsx else ".csv")
    toml = (EREWASH_TOML.replace('path = "erewash/*.csv"', 'path = "erewash/*.*"') + WARN + APPEALS)
    good = "\n".join([HEADER, *_records(3, 500)]) + "\n"
    inputs = write_inputs(tmp_path / "in", toml, {name: _xlsx(text) if xlsx else text, "erewash/good.csv": good,
                                                  "opcc/a.csv": "appeal_ref,application_ref,authority,received_date\n"})
    result, con = run_build(inputs)
    assert any("unreadable_file (warn)" in n for n in result.notes), result.notes
    [(read, loaded, rejected, merged, error)] = con.execute(
        "select rows_read, rows_loaded, rows_rejected, rows_merged, file_error from etl_loads "
        "where source_file = ?", [name]).fetchall()
    assert message in error, error
    rows = _record_rows(text)
    assert (read, loaded, rejected, merged) == (len(rows), 0, len(rows), 0)
    rejects = con.execute("select source_row, reason_code, reason, raw_values from etl_rejects where source_file = ? "
                          "order by 1", [name]).fetchall()
    assert [r[0] for r in rejects] == rows
    assert {r[1] for r in rejects} == {"file_refused"}
    assert all(r[3] is None for r in rejects)   # nothing of a record read under the wrong names is kept
    assert all(r[2].startswith("the file was refused as a whole") and message in r[2] for r in rejects), rejects[0]
    # the rest of the build as before: the good file loads, and every file adds up
    assert con.execute("select rows_loaded from etl_loads where source_file = 'erewash/good.csv'").fetchall() == [(3,)]
    assert con.execute("select count(*) from etl_loads where rows_read <> rows_loaded + rows_rejected + rows_merged"
                       ).fetchall() == [(0,)]
    # no record of the refused file reached the published tables, and no reference of it in clear
    assert con.execute("select count(*) from incident_reports where source_file = ?", [name]).fetchall() == [(0,)]
    assert con.execute("select count(*) from etl_rejects where reason like '%PASTED%' or reason like '%ECN-%'"
                       ).fetchall() == [(0,)]


def test__refused_file__the_default_gate_still_keeps_the_previous_warehouse(tmp_path):
    from etl import build

    inputs = write_inputs(tmp_path / "in", EREWASH_TOML, {"erewash/refused.csv": _pasted(3)})
    with pytest.raises(build.BuildError, match="unreadable_file"):
        run_build(inputs)
    assert not (tmp_path / "in").parent.joinpath("warehouse.duckdb").exists()
