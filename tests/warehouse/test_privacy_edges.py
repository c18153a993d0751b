"""Personal data in places the free-text scrub did not look (the Data quality audit, 6 December).

- A workbook's sheet names are the partner's text: a file refused because another sheet fits
  named that sheet (and a missing sheet listed every sheet) in `etl_loads.file_error` as sent.
- A phone number typed without a space after a word ("ring07700900123") was taken for a
  reference's digits and kept, in free text and in a case reference.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import xlsxwriter
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, run_build, write_inputs

PERSON = "Jane Doe 07700 900123"
FORBIDDEN = ["Jane", "Doe", "07700", "900123", "Patel", "01332", "example.com"]

TOML = EREWASH_TOML + """
[[source]]
slug = "housing"
kind = "incidents"
path = "housing/*.xlsx"
authority = "Derby"
[source.columns]
incident_ref = "Ref"
reported_date = "Logged"
asb_category = "Category"
[source.constants]
agency = "housing"
[source.gates]
unreadable_file = "warn"

[[source]]
slug = "housing-two"
kind = "incidents"
path = "housing2/*.xlsx"
sheet = "ASB"
authority = "Derby"
[source.columns]
incident_ref = "Ref"
reported_date = "Logged"
asb_category = "Category"
[source.constants]
agency = "housing"
[source.gates]
unreadable_file = "warn"
"""


def _workbook(path, sheets: dict[str, list[list]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for n, row in enumerate(rows):
            sheet.write_row(n, 0, row)
    book.close()


def _canonical() -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*INCIDENT_COLUMNS, "case_ref"])
    texts = [("ring07700900123 about the noise", "CASE-77"), ("Outside the shops", "REF-01332123456"),
             ("Play area, The Crescent", "Smith07700900123")]
    for n, (desc, case) in enumerate(texts, 1):
        w.writerow([f"E{n}", "council", "", "2025-03-03", "", "personal", "noise", "", "", "", "", "",
                    desc, f"ECN-{n}", "individual", "N", case])
    # a record's own reference holding a person's details (the wrong column mapped, a typed note):
    # rejected as personal_key, its reference scrubbed in the reject's raw values; the references a
    # partner's system writes stay, spaces and hyphens included
    for n, ref in enumerate(PERSONAL_KEYS + KEPT_KEYS, 10):
        w.writerow([ref, "council", "", "2025-03-04", "", "personal", "noise", "", "", "", "", "",
                    "Market Place", f"ECN-{n}", "individual", "N", ""])
    return out.getvalue()


PERSONAL_KEYS = ["jane.doe@example.com", "Mrs Patel 07700 900124", "07700900125", "Ring Jane Doe 07700 900126"]
KEPT_KEYS = ["AV 2025 00017", "HP-0123-456789", "INC-20250701-00001", "DCC/ASB/25/000001"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("privacy_edges")
    rows = [["Ref", "Logged", "Category"], ["H-1", "2025-03-05", "nuisance"]]
    # the fitting sheet is not the first, and none is declared: refused, naming the sheet that fits
    _workbook(folder / "in" / "housing" / "log.xlsx", {"Notes": [["about"], ["x"]], PERSON: rows})
    # the declared sheet is missing: refused, listing the sheets there are
    _workbook(folder / "in" / "housing2" / "log.xlsx", {"Mrs Patel": rows})
    inputs = write_inputs(folder / "in", TOML, {"erewash/export.csv": _canonical()})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
        result, con = run_build(inputs, as_of=dt.date(2025, 6, 30))
    yield con
    con.close()


def test__file_errors__a_sheet_named_after_a_person_is_scrubbed_and_the_advice_kept(built):
    errors = dict(built.execute("select source, file_error from etl_loads where file_error is not null").fetchall())
    assert set(errors) == {"housing", "housing_two"}
    assert "sheet '[name] [phone]' fits" in errors["housing"] and "set sheet =" in errors["housing"]
    assert errors["housing"].startswith("housing/log.xlsx: ")   # the file's name stays as sent
    assert "no sheet 'ASB'" in errors["housing_two"]
    for error in errors.values():
        assert not any(piece.lower() in error.lower() for piece in FORBIDDEN), error


def test__free_text__a_phone_number_joined_to_a_word_is_scrubbed(built):
    rows = built.execute("select location_desc, case_ref from incidents order by incident_id").fetchall()
    assert ("[phone] about the noise" in {d for d, _ in rows}) or ("ring[phone] about the noise" in {d for d, _ in rows})
    assert "CASE-77" in {c for _, c in rows}   # a reference stays
    for desc, case in rows:
        for text in (desc, case):
            assert not any(piece.lower() in (text or "").lower() for piece in FORBIDDEN), text


def test__no_text_column_of_any_table_holds_the_planted_details(built):
    columns = built.execute("""select table_name, column_name from information_schema.columns
                               where data_type = 'VARCHAR' and table_catalog <> 'temp'""").fetchall()
    leaked = [(t, c, v) for t, c in columns
              for (v,) in built.execute(f'select distinct "{c}" from "{t}" where "{c}" is not null').fetchall()
              if any(piece.lower() in v.lower() for piece in FORBIDDEN)]
    assert leaked == []


def test__keys__a_reference_holding_personal_data_is_rejected_and_scrubbed(built):
    rejects = built.execute("""select source_row, reason_code, reason, raw_values from etl_rejects
                               where reason_code = 'personal_key' order by source_row""").fetchall()
    assert [r[0] for r in rejects] == [5, 6, 7, 8]   # the header is row 1, three rows before
    assert all("personal data" in r[2] for r in rejects)
    loaded = {r[0] for r in built.execute("select report_id from incident_reports").fetchall()}
    loaded = {r.split(":", 1)[1] for r in loaded}
    assert set(KEPT_KEYS) <= loaded and not set(PERSONAL_KEYS) & loaded
