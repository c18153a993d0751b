"""Free text with personal data never reaches the warehouse (issue 14, finding 3).

One real build reads partner files in several layouts (canonical UTF-8 CSV, a mapped Windows-1252
semicolon CSV, a UTF-8 tab-separated CSV with a BOM, an XLSX sheet, a police street-level file)
whose free-text columns carry names, phone numbers, e-mails, house numbers with streets and full
postcodes, in loaded rows, rejected rows and records the reader cannot split. No text column of
any table holds any of it; the counts of what was removed are in `etl_scrubbed` and on the Data
quality page's query; place descriptions survive.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import duckdb
import pytest
import xlsxwriter
from conftest import INCIDENT_COLUMNS, run_build, write_inputs
from support import open_app

from insight.queries import quality

HOSTILE = [
    "Outside 12 Meadow Close - Jane Doe 07700 900123",
    "Flat 2, 14 Meadow Close, DE1 2AB",
    "complainant Wojciech Nowak wojtek.nowak@example.com",
    "Mrs Zoë Brontë rang on +44 (0)7700 900-124",
    "behind 27a Acacia Avenue de12ab, ring 01332-123-456",
]
# Fragments of the hostile text: none may appear (ignoring case) in any text column of any table.
FORBIDDEN = ["Meadow Close", "Jane", "Doe", "07700", "900123", "900-124", "Flat 2", "DE1 2AB", "de12ab",
             "DE12AB", "Wojciech", "Nowak", "wojtek", "example.com", "Zoë", "Brontë", "Acacia",
             "123-456", "01332"]
PLACES = ["Play area, The Crescent", "Outside Co-op, Market Place", "Car park behind Tesco"]
TOML = """
[[source]]
slug = "erewash-council"
kind = "incidents"
path = "erewash/*.csv"
authority = "E07000036"

[[source]]
slug = "high-peak"
kind = "incidents"
path = "hp/*.csv"
authority = "High Peak"
encoding = "cp1252"
delimiter = ";"
date_format = "%d/%m/%Y"
[source.columns]
incident_ref = "Case No"
reported_date = "Date Reported"
asb_category = "Category"
postcode = "Post Code"
location_desc = "Where"
[source.constants]
agency = "council"

[[source]]
slug = "bolsover-council"
kind = "incidents"
path = "bolsover/*.tsv.csv"
authority = "Bolsover"
delimiter = "\\t"

[[source]]
slug = "housing"
kind = "incidents"
path = "housing/*.xlsx"
sheet = "ASB Log"
authority = "Derby"
[source.columns]
incident_ref = "Ref"
reported_date = "Logged"
asb_category = "Category"
location_desc = "Location"
[source.constants]
agency = "housing"

[[source]]
slug = "police-street"
kind = "police_uk"
path = "police/*.csv"
"""


def _canonical(delimiter: str, first: int) -> str:
    """Canonical incident columns: hostile text in loaded rows, a rejected row (bad date) and a
    record with an extra field (malformed), plus place descriptions that must survive."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    w.writerow(INCIDENT_COLUMNS)
    rows = [*HOSTILE, *PLACES]
    for n, desc in enumerate(rows, first):
        w.writerow([f"A{n}", "council", "", "2025-03-03", "", "personal", "noise", "", "", "", "",
                    "", desc, f"ECN-{n}", "individual", "N"])
    w.writerow([f"A{first + 50}", "council", "", "3rd of March", "", "personal", "noise", "", "", "", "",
                "", HOSTILE[0], "", "individual", "N"])
    w.writerow([f"A{first + 51}", "council", "", "2025-03-03", "", "personal", "noise", "", "", "", "",
                "", HOSTILE[1], "", "individual", "N", HOSTILE[3]])
    return out.getvalue()


def _mapped_cp1252() -> bytes:
    lines = ["Case No;Date Reported;Category;Post Code;Where;Reporter Name"]
    lines += [f"HP-{n};04/03/2025;personal;SK17 6AA;{desc};Jane Doe" for n, desc in enumerate(HOSTILE + PLACES)]
    lines.append(f"HP-99;31/02/2025;personal;SK17 6AA;{HOSTILE[3]};Zoë Brontë")  # a bad date: rejected
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _xlsx(path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("ASB Log")
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_row(0, 0, ["Ref", "Logged", "Category", "Location"])
    for n, desc in enumerate(HOSTILE + PLACES, 1):
        sheet.write_row(n, 0, [f"H-{n}", None, "nuisance", desc])
        sheet.write_datetime(n, 1, dt.datetime(2025, 3, 5), date)
    sheet.write_row(20, 0, ["H-20", "not a date", "nuisance", HOSTILE[2]])
    book.close()


def _police() -> str:
    header = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
              "Crime type,Last outcome category,Context")
    rows = [f',2025-03,Derbyshire Constabulary,Derbyshire Constabulary,-1.377024,53.100783,"{desc}",'
            f'E01019400,Amber Valley 001A,Anti-social behaviour,,"{HOSTILE[(n + 1) % len(HOSTILE)]}"'
            for n, desc in enumerate(HOSTILE)]
    rows.append(',2025-03,Derbyshire Constabulary,Derbyshire Constabulary,-1.381946,53.101240,'
                'On or near Cedar Avenue,E01019400,Amber Valley 001A,Anti-social behaviour,,')
    rows.append(f',not a month,Derbyshire Constabulary,Derbyshire Constabulary,-1.381946,53.101240,'
                f'"{HOSTILE[0]}",E01019400,Amber Valley 001A,Anti-social behaviour,,')
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scrub")
    _xlsx(folder / "in" / "housing" / "asb.xlsx")
    inputs = write_inputs(folder / "in", TOML, {
        "erewash/export.csv": _canonical(",", 1),
        "hp/export.csv": _mapped_cp1252(),
        "bolsover/export.tsv.csv": b"\xef\xbb\xbf" + _canonical("\t", 100).encode("utf-8"),
        "police/2025-03-derbyshire-street.csv": _police(),
    })
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
        result, con = run_build(inputs, as_of=dt.date(2025, 6, 30))
    con.close()
    return result.warehouse


@pytest.fixture(scope="module")
def built(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _text_values(con) -> dict[tuple[str, str], set[str]]:
    columns = con.execute("""select table_name, column_name from information_schema.columns
                             where data_type = 'VARCHAR' and table_catalog <> 'temp'""").fetchall()
    return {(t, c): {r[0] for r in con.execute(f'select distinct "{c}" from "{t}"').fetchall() if r[0]}
            for t, c in columns}


def test__free_text__no_personal_data_in_any_text_column_of_any_table(built):
    values = _text_values(built)
    # the partners' text is not copied into the warehouse (issue 15): the files and their hashes
    # are the raw record; rejects keep their values, scrubbed
    assert not any(t.startswith("raw_") for t, _ in values) and ("etl_rejects", "raw_values") in values
    leaked = sorted({(t, c, v) for (t, c), vs in values.items() for v in vs
                     for piece in FORBIDDEN if piece.lower() in v.lower()})
    assert leaked == []


def test__free_text__rows_still_load_and_place_words_survive(built):
    descs = {r[0] for r in built.execute("select location_desc from incidents").fetchall()}
    assert set(PLACES) <= descs
    assert "Outside [address] - [name] [phone]" in descs
    assert "On or near Cedar Avenue" in descs
    assert "[address], DE1" in descs
    by_source = dict(built.execute("select source, count(*) from incident_reports group by 1").fetchall())
    assert by_source == {"erewash_council": 8, "high_peak": 8, "bolsover_council": 8, "housing": 8,
                         "police_street": 6}


def test__free_text__rejected_rows_and_broken_records_are_scrubbed_too(built):
    rejects = built.execute("select source, reason_code, raw_values from etl_rejects order by all").fetchall()
    codes = {(s, c) for s, c, _ in rejects}
    assert {("erewash_council", "bad_date"), ("erewash_council", "malformed_row"), ("high_peak", "bad_date"),
            ("housing", "bad_date"), ("bolsover_council", "malformed_row"), ("police_street", "bad_date")} <= codes
    # a record that cannot be split keeps only its shape: its person reference cannot be
    # pseudonymised nor its free text scrubbed field by field
    shapes = [json.loads(raw) for _, code, raw in rejects if code == "malformed_row"]
    assert shapes and all(set(s) == {"line_shape"} for s in shapes)
    assert all(not (set(s["line_shape"]) & set("bcdefghijklmnopqrstuvwxyzBCDEFGHIJKLMNOPQRSTUVWXYZ012345678"))
               for s in shapes)


def test__free_text__counts_per_file_and_kind_in_data_quality(built):
    counts = {(r[0], r[1], r[2]): r[3] for r in built.execute(
        "select source_file, field, removed, items from etl_scrubbed").fetchall()}
    for file in ("erewash/export.csv", "hp/export.csv", "bolsover/export.tsv.csv", "housing/asb.xlsx"):
        for kind in ("name", "phone", "email", "address", "postcode"):
            assert counts.get((file, "location_desc", kind), 0) > 0, (file, kind)
    assert counts[("erewash/export.csv", "location_desc", "phone")] == 4  # loaded and rejected rows
    assert counts[("police/2025-03-derbyshire-street.csv", "location", "address")] > 0
    assert counts[("police/2025-03-derbyshire-street.csv", "context", "name")] > 0
    assert not any(field == "line" for _, field, _ in counts)   # a broken record keeps no text to scrub
    shown = quality.scrubbed(built)
    assert list(shown.columns[:4]) == ["source", "source_file", "field", "removed"]
    assert set(shown["removed"]) == {"name", "phone", "email", "address", "postcode"}
    assert shown["items"].sum() == sum(counts.values())


@pytest.mark.parametrize("user", ["opcc", "board"])
def test__free_text__data_quality_page_shows_the_counts_and_no_personal_data(warehouse, monkeypatch, user):
    at = open_app(monkeypatch, warehouse, "app_pages/data_quality.py", user=user)
    assert "Personal data removed from free text" in [h.value for h in at.subheader]
    table = next(d.value for d in at.dataframe if "removed" in d.value.columns)
    assert set(table["removed"]) == {"name", "phone", "email", "address", "postcode"}
    assert table["items"].sum() > 50
    shown = "\n".join([str(d.value.to_csv()) for d in at.dataframe]
                      + [m.value for m in (*at.markdown, *at.caption, *at.error, *at.warning, *at.info)])
    assert [piece for piece in FORBIDDEN if piece.lower() in shown.lower()] == []
