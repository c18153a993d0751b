"""`asb check --inputs DIR`: what the build would make of every declared file, before loading.

Each messy folder below is made in tmp_path (a canonical CSV, an ECINS-style XLSX under a title,
a Windows-1252 file declared UTF-8, unmapped ASB types, dates in another format, a file saved
under the wrong source); the check names the same reason the build would give, counts what would
be rejected, suggests sources.toml lines that can be pasted, never prints a person reference or
location text, and writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import tempfile
import tomllib

import pytest
import xlsxwriter
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, write_inputs

from etl import cli as etl_cli
from etl import schema
from insight import cli as asb_cli

HEADER, TOML = INCIDENT_COLUMNS, EREWASH_TOML
PERSON = "ECN00540"
PLACE = "Flat 3 Acacia Avenue"


def good(n: int, asb_type: str = "noise", reported: str | None = None, occurred: str = "") -> list[str]:
    return [f"A{n}", "council", "", reported or f"2025-03-{1 + n % 27:02d}", occurred, "personal", asb_type,
            "", "", "", "", "DE7 5RP", PLACE, PERSON if n % 2 else f"ECN-{n:05d}", "individual", "N"]


def text(records: list[list[str] | str], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for r in records:
        if isinstance(r, str):
            out.write(r + "\n")
        else:
            writer.writerow(r)
    return out.getvalue()


def check(inputs, *args: str, capsys) -> tuple[int, str]:
    code = etl_cli.main(["check", "--inputs", str(inputs), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def snapshot(folder) -> dict[str, str]:
    """Every path under `folder` with its bytes' SHA-256 ("dir" for folders)."""
    return {str(p.relative_to(folder)) + "/" * p.is_dir():
            "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*"))}


def assert_private(output: str) -> None:
    assert PERSON not in output and "ECN-0" not in output and "00540" not in output
    assert PLACE not in output and "Acacia" not in output


# --- the command ---------------------------------------------------------------------------------

def test__check__is_an_asb_command():
    assert "check" in asb_cli.parser().format_help()
    assert "check" in etl_cli.parser().format_help()


def test__check__a_canonical_csv_passes_and_shows_how_it_is_read(tmp_path, capsys):
    content = text([HEADER, *[good(n) for n in range(1, 21)]])
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": content})
    code, out = check(inputs, capsys=capsys)
    assert code == 0, out
    assert "erewash/export.csv" in out and "erewash_council" in out
    assert "utf-8" in out and 'delimiter ","' in out and "header on line 1" in out and "20 records" in out
    assert "2025-03-02 -> 2025-03-02" in out           # a date as written and as the build parses it
    assert "constant E07000036" in out                 # authority comes from the source
    assert "1 file ok, 0 with problems" in out
    assert_private(out)


def test__check__writes_nothing_and_needs_no_key(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ASB_PSEUDONYM_KEY", raising=False)
    files = {"erewash/export.csv": text([HEADER, *[good(n, "Noise Nuisance") for n in range(1, 21)]]),
             "erewash/legacy.csv": text([HEADER, *[good(n) for n in range(1, 20)]]).replace(PLACE, "Café £5")
             .encode("cp1252")}
    inputs = write_inputs(tmp_path / "in", TOML.replace("erewash/*.csv", "erewash/*"), files)
    _xlsx(inputs / "erewash" / "extra.xlsx", title=True)
    monkeypatch.chdir(inputs)                           # nothing spills into the working folder either
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))   # transcoded copies, DuckDB's spill
    before = snapshot(inputs)
    for args in ((), ("--json",)):
        code, out = check(inputs, *args, capsys=capsys)
        assert code == 1 and "legacy.csv" in out and "extra.xlsx" in out
    assert snapshot(inputs) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "tmp"]   # no warehouse, no key file beside it
    assert list((tmp_path / "tmp").iterdir()) == []


# --- file-level problems: the build's reason and what to change ----------------------------------

ECINS_TOML = """
[[source]]
slug = "ecins"
kind = "incidents"
path = "ecins/*.xlsx"
authority = "Erewash"
{extra}
[source.columns]
incident_ref = "Case Reference"
reported_date = "Date Reported"
asb_type = "Incident Type"
asb_category = "Category"
person_ref = "ECINS Ref"
location_desc = "Location"
[source.constants]
agency = "council"
"""
ECINS_HEADER = ["Case Reference", "Date Reported", "Incident Type", "Category", "ECINS Ref", "Location",
                "Reporter Name"]


def _xlsx(path, title: bool, rows: int = 12, cover: bool = False) -> None:
    """An ECINS-style export: optionally two title lines above the header, real date cells;
    `cover`: a notes sheet before the data's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    if cover:
        book.add_worksheet("Notes").write(0, 0, "Exported from ECINS for the ASB partnership")
    sheet = book.add_worksheet("Cases")
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    top = 0
    if title:
        sheet.write(0, 0, "ECINS - ASB cases export")
        sheet.write(1, 0, "Run on 01/04/2025")
        top = 2
    sheet.write_row(top, 0, ECINS_HEADER)
    for n in range(1, rows + 1):
        sheet.write_row(top + n, 0, [f"EC-{n}", None, "Rowdy/Inconsiderate Behaviour", "Nuisance",
                                     PERSON, PLACE, "Jane Doe"])
        sheet.write_datetime(top + n, 1, dt.datetime(2025, 3, n), date)
    book.close()


def test__check__an_xlsx_under_a_title_suggests_skip_rows(tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in", ECINS_TOML.format(extra=""), {})
    _xlsx(inputs / "ecins" / "cases.xlsx", title=True)
    code, out = check(inputs, capsys=capsys)
    assert code == 1, out
    assert "its header fits none of the incidents columns of source ecins" in out   # the build's own reason
    n = len(schema.INPUTS["incidents"])
    assert f"with skip_rows = 2 the file reads: header on line 3, 6 of the {n} incidents columns found" in out
    assert "\n    skip_rows = 2\n" in out                   # the line to paste
    assert "0 files ok, 1 with problems" in out
    assert_private(out)
    # with the suggestion applied the file reads, and its sheet and header line are shown
    (inputs / "sources.toml").write_text(ECINS_TOML.format(extra="skip_rows = 2"), encoding="utf-8")
    code, out = check(inputs, capsys=capsys)
    assert "sheet Cases" in out and "header on line 3" in out and "12 records" in out
    assert "2025-03-01 -> 2025-03-01" in out
    assert "Reporter Name" in out                       # a header that will not be read
    assert "Jane Doe" not in out
    assert_private(out)


def test__check__a_cover_sheet_first_suggests_the_sheet(tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in", ECINS_TOML.format(extra=""), {})
    _xlsx(inputs / "ecins" / "cases.xlsx", title=False, cover=True)
    code, out = check(inputs, capsys=capsys)
    assert code == 1, out
    assert "sheet 'Cases' fits" in out                   # the build's own reason
    assert 'with sheet = "Cases" the file reads: header on line 1' in out and '\n    sheet = "Cases"\n' in out
    assert_private(out)


def test__check__cp1252_declared_utf8_suggests_the_encoding(tmp_path, capsys):
    content = text([HEADER, *[good(n) for n in range(1, 20)]]).replace(PLACE, "Café £5 shop").encode("cp1252")
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": content})
    code, out = check(inputs, capsys=capsys)
    assert code == 1, out
    assert "not valid UTF-8" in out                     # the reader's own message
    assert 'with encoding = "cp1252" the file reads' in out and '\n    encoding = "cp1252"\n' in out
    assert "Café" not in out and "£5" not in out
    assert_private(out)
    inputs2 = write_inputs(tmp_path / "in2", TOML + 'encoding = "cp1252"\n', {"erewash/export.csv": content})
    code, out = check(inputs2, capsys=capsys)
    assert code == 0, out
    assert "cp1252" in out


def test__check__a_few_bytes_not_utf8_are_named_in_a_note(tmp_path, capsys):
    """One line of Windows-1252 in a file declared UTF-8 loads (read as U+FFFD): the check says so
    with the build's note (etl_loads.file_note), as the refusal of many such lines is said."""
    records = [HEADER, *[good(n) for n in range(1, 200)]]
    content = text(records).encode("utf-8").replace(PLACE.encode(), "Café".encode("cp1252"), 1)
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": content})
    code, out = check(inputs, capsys=capsys)
    assert code == 0, out
    assert "note: 1 line holds bytes that are not valid UTF-8 (line 2)" in out, out
    assert_private(out)


TWO_SOURCES = TOML + """
[[source]]
slug = "opcc-appeals"
kind = "appeals"
path = "opcc/*.csv"
"""
APPEALS_HEADER = "appeal_ref,application_ref,authority,received_date,appellant,consent_letter,grounds,outcome,decision_date"
APPEAL = "AP1,CT1,Erewash,2025-03-01,victim,Y,review_process,pending,"


def test__check__a_file_saved_under_the_wrong_source(tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in", TWO_SOURCES, {
        "erewash/export.csv": text([HEADER, good(1), good(2)]),
        "erewash/appeals.csv": f"{APPEALS_HEADER}\n{APPEAL.replace('AP1', 'AP2')}\n",
        "opcc/a.csv": f"{APPEALS_HEADER}\n{APPEAL}\n"})
    code, out = check(inputs, capsys=capsys)
    assert code == 1, out
    assert "it fits source opcc_appeals (appeals): was it saved in the wrong folder?" in out
    assert "move erewash/appeals.csv into opcc/" in out
    assert "2 files ok, 1 with problems" in out


def test__check__the_same_file_under_two_sources_and_a_source_without_files(tmp_path, capsys):
    toml = (TOML + TOML.replace("erewash-council", "erewash-copy").replace("erewash/*.csv", "copy/*.csv")
            + TWO_SOURCES.split(TOML)[1])
    content = text([HEADER, good(1), good(2)])
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/export.csv": content, "copy/export.csv": content})
    code, out = check(inputs, capsys=capsys)
    assert code == 1, out
    assert "the same file as copy/export.csv of source erewash_copy" in out and "gate same_file" in out
    assert "no file matches path 'opcc/*.csv'" in out
    assert "0 files ok, 2 with problems; no files for opcc_appeals" in out


def test__check__a_missing_required_column_suggests_a_similar_header(tmp_path, capsys):
    header = [("Date Reported" if h == "reported_date" else h) for h in HEADER]
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": text([header, good(1), good(2)])})
    code, out = check(inputs, capsys=capsys)
    assert code == 1, out
    assert "file has no column for reported_date" in out       # the build's reason
    assert "missing (required)" in out
    assert "[source.columns]" in out and 'reported_date = "Date Reported"' in out
    assert "0 files ok, 1 with problems" in out


def test__check__source_filters_to_one_source(tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in", TWO_SOURCES, {
        "erewash/export.csv": text([HEADER, good(1)]), "opcc/a.csv": f"{APPEALS_HEADER}\n{APPEAL}\n"})
    code, out = check(inputs, "--source", "opcc-appeals", capsys=capsys)
    assert code == 0, out
    assert "opcc/a.csv" in out and "erewash/export.csv" not in out
    assert "1 file ok, 0 with problems" in out
    code, out = check(inputs, "--source", "nobody", capsys=capsys)
    assert code == 2 and "nobody" in out and "erewash_council" in out


# --- values: what would be rejected, and value maps to paste ---------------------------------------

def test__check__unmapped_asb_types_are_counted_with_nearest_types_and_a_value_map(tmp_path, capsys):
    rows = ([good(n, "Noise Nuisance") for n in range(1, 4)]
            + [good(n, "Rowdy/Inconsiderate Behaviour") for n in range(4, 6)]
            + [good(n, "noise") for n in range(6, 21)] + [good(21, "Neighbour  Dispute"), good(22, "rowdy_behaviour")])
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": text([HEADER, *rows])})
    code, out = check(inputs, capsys=capsys)
    assert code == 0, out                                # row rejects only, 5 of 22: the file loads
    assert '"Noise Nuisance"' in out and "nearest: noise" in out
    assert '"Rowdy/Inconsiderate Behaviour"' in out and "nearest: rowdy behaviour" in out
    report = json.loads(check(inputs, "--json", capsys=capsys)[1])[0]
    asb = next(p for p in report["problems"] if p["column"] == "asb_type")
    assert [(v["value"], v["count"], v["nearest"][0]) for v in asb["values"]] == [
        ("Noise Nuisance", 3, "noise"), ("Rowdy/Inconsiderate Behaviour", 2, "rowdy behaviour")]
    assert asb["count"] == 5
    snippet = _snippet(out, "[source.values.asb_type]")
    assert tomllib.loads(snippet)["source"]["values"]["asb_type"] == {
        "Noise Nuisance": "noise", "Rowdy/Inconsiderate Behaviour": "rowdy behaviour"}
    assert "guess" in snippet
    # pasted into sources.toml, the next check finds no unmapped label
    (inputs / "sources.toml").write_text(TOML + snippet, encoding="utf-8")
    code, out = check(inputs, "--json", capsys=capsys)
    report = json.loads(out)
    assert not [p for p in report[0]["problems"] if p["column"] == "asb_type"]


def _snippet(out: str, header: str) -> str:
    """The TOML block under `header` in the suggestions (indented lines until a blank line)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == header)
    block = []
    for line in lines[start:]:
        if not line.strip():
            break
        block.append(line.strip())
    return "\n".join(block) + "\n"


def test__check__dates_that_would_not_parse_are_counted_with_examples_and_a_format(tmp_path, capsys):
    rows = [good(n, occurred=(dt.date(2025, 3, 1) + dt.timedelta(days=n)).strftime("%d-%b-%y")) for n in range(1, 21)]
    rows[4][3], rows[9][3] = "31/02/2025", "yesterday"
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": text([HEADER, *rows])})
    code, out = check(inputs, capsys=capsys)
    report = json.loads(check(inputs, "--json", capsys=capsys)[1])[0]
    reported = next(p for p in report["problems"] if p["column"] == "reported_date")
    assert reported["count"] == 2 and {e["value"] for e in reported["examples"]} == {"31/02/2025", "yesterday"}
    assert {e["row"] for e in reported["examples"]} == {6, 11}
    occurred = next(p for p in report["problems"] if p["column"] == "occurred_date")
    assert occurred["count"] == 20
    assert "02-Mar-25 -> (not a date)" in out
    assert "31/02/2025" in out and "yesterday" in out
    assert 'occurred_date = "%d-%b-%y"' in out
    # every row rejected: the reject_share gate would stop the build, so the file has a problem
    assert code == 1 and "reject_share" in out


def test__check__a_time_zone_the_build_does_not_know_is_named_as_such(tmp_path, capsys):
    """A zone after the time that the build cannot place (IST, a made-up name) is counted apart
    from other bad dates, with what to write instead; a known one (an IANA name) reads, moved to
    Europe/London as the build moves it."""
    rows = [good(n) for n in range(1, 21)]
    rows[2][3], rows[5][3] = "2025-03-03T23:30:00 IST", "2025-03-06T10:00:00 Mars/Olympus"
    rows[7][3] = "2025-03-08T22:30:00 America/New_York"   # 03:30 GMT on 9 March: read, no problem
    rows[9][3] = "yesterday"
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": text([HEADER, *rows])})
    report = json.loads(check(inputs, "--json", capsys=capsys)[1])[0]
    problems = {p["kind"]: p for p in report["problems"] if p["column"] == "reported_date"}
    assert {e["value"] for e in problems["unknown_zone"]["examples"]} == {
        "2025-03-03T23:30:00 IST", "2025-03-06T10:00:00 Mars/Olympus"}
    assert problems["unknown_zone"]["count"] == 2 and problems["bad_date"]["count"] == 1
    _, out = check(inputs, capsys=capsys)
    assert "time zone after the time that the build does not know" in out


def test__check__values_outside_the_allowed_list_and_broken_records(tmp_path, capsys):
    rows = [good(n) for n in range(1, 21)]
    rows[0][5] = "Personal (targeted)"
    rows[1][1] = "Police"                                 # allowed after lower-casing: no problem
    rows[2][14] = "Unknown"
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": text([HEADER, *rows[:10], f"Total,{PERSON}",
                                                                               *rows[10:]])})
    code, out = check(inputs, capsys=capsys)
    assert code == 0, out
    report = json.loads(check(inputs, "--json", capsys=capsys)[1])[0]
    problems = {p["column"]: p for p in report["problems"]}
    assert problems["asb_category"]["count"] == 1 and "agency" not in problems
    assert problems["victim_type"]["count"] == 1
    assert report["read"]["broken_records"] == 1 and problems[None]["examples"][0]["row"] == 12
    snippet = _snippet(out, "[source.values.asb_category]")
    assert tomllib.loads(snippet)["source"]["values"]["asb_category"] == {"Personal (targeted)": "personal"}
    assert_private(out)


# --- JSON and privacy ------------------------------------------------------------------------------

def test__check__json_is_a_list_of_file_reports_without_personal_data(tmp_path, capsys):
    inputs = write_inputs(tmp_path / "in", TWO_SOURCES, {
        "erewash/export.csv": text([HEADER, *[good(n, "Noise Nuisance") for n in range(1, 6)]]),
        "opcc/a.csv": f"{APPEALS_HEADER}\n{APPEAL}\n"})
    code, out = check(inputs, "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0
    assert [(r["source"], r["file"], r["ok"]) for r in report] == [
        ("erewash_council", "erewash/export.csv", True), ("opcc_appeals", "opcc/a.csv", True)]
    first = report[0]
    assert first["read"]["rows"] == 5 and first["read"]["delimiter"] == ","
    columns = {c["column"]: c for c in first["columns"]}
    assert columns["person_ref"]["header"] == "person_ref" and columns["person_ref"]["filled"] == 5
    assert columns["person_ref"]["samples"] == [] and columns["location_desc"]["samples"] == []
    assert columns["reported_date"]["samples"][0] == {"raw": "2025-03-02", "value": "2025-03-02"}
    assert columns["authority"]["constant"] == "E07000036"
    asb = next(p for p in first["problems"] if p["column"] == "asb_type")
    assert asb["values"] == [{"value": "Noise Nuisance", "count": 5, "nearest": ["noise", "animal nuisance",
                                                                                  "vehicle nuisance"]}]
    assert any("[source.values.asb_type]" in s["toml"] for s in first["suggestions"])
    assert_private(out)


def test__check__a_sep_line_and_a_bom_read_as_the_build_reads_them(tmp_path, capsys):
    """Excel's `sep=;` line: the header is on line 2; a UTF-8 byte-order mark under a declared
    cp1252 reads as UTF-8 (the build's own readers)."""
    files = {"erewash/a.csv": "sep=;\n" + text([HEADER, *[good(n) for n in range(1, 6)]], ";"),
             "erewash/b.csv": b"\xef\xbb\xbf" + text([HEADER, *[good(n) for n in range(6, 9)]]).encode("utf-8")}
    inputs = write_inputs(tmp_path / "in", TOML + 'encoding = "cp1252"\n', files)
    code, out = check(inputs, capsys=capsys)
    assert code == 0, out
    assert "header on line 2" in out and "5 records" in out
    assert "3 records" in out and "2 files ok" in out
    assert_private(out)


def test__check__police_free_text_is_counted_never_shown(tmp_path, capsys):
    """A police.uk file's Location and Context are free text: `asb check` counts them and shows no
    sample (a context can name a person), as it does an incidents file's location_desc."""
    toml = '[[source]]\nslug = "police"\nkind = "police_uk"\npath = "police/*.csv"\n'
    head = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
            "Crime type,Last outcome category,Context")
    row = (',2025-03,Derbyshire Constabulary,Derbyshire Constabulary,-1.377024,53.100783,'
           f'"Outside 12 Meadow Close - {PERSON}",E01019400,Amber Valley 001A,Anti-social behaviour,,'
           f'"{PLACE} - ring 07700 900130"')
    inputs = write_inputs(tmp_path / "in", toml, {"police/2025-03.csv": f"{head}\n{row}\n"})
    code, out = check(inputs, "--json", capsys=capsys)
    columns = {c["column"]: c for c in json.loads(out)[0]["columns"]}
    assert columns["location"]["filled"] == 1 and columns["location"]["samples"] == []
    assert columns["context"]["samples"] == []
    assert_private(out) and "07700" not in out


def test__check__a_reference_holding_personal_data_is_a_reject_shown_by_its_row_alone(tmp_path, capsys):
    """A record's reference that holds an e-mail address or a phone number is a `personal_key`
    reject of the build: the check counts it, names its row, and never prints it, in the
    problems or in the column's samples (the audit of 6 December)."""
    rows = [good(n) for n in range(1, 11)]
    rows[2][0], rows[5][0] = "jane.doe@example.com", "Mrs Patel 07700 900124"
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": text([HEADER, *rows])})
    code, out = check(inputs, "--json", capsys=capsys)
    report = json.loads(out)[0]
    problems = [p for p in report["problems"] if p.get("kind") == "personal_key"]
    assert problems and problems[0]["count"] == 2 and [e["row"] for e in problems[0]["examples"]] == [4, 7]
    assert "example.com" not in out and "Patel" not in out and "07700" not in out
    code, out = check(inputs, capsys=capsys)
    assert "personal data" in out and "example.com" not in out and "Patel" not in out and "07700" not in out


# --- guesses that would move or change records (the partner-source audit of 6 December 2026) -------

def test__check__a_date_header_is_never_offered_as_the_key(tmp_path, capsys):
    """"Incident Date" looks like incident_ref to a string comparison; pasted, every reference was a
    date and the second record of a day a duplicate_key reject."""
    header = [("Incident Date" if h == "incident_ref" else h) for h in HEADER]
    rows = [[f"2025-03-{n:02d}" if c == "Incident Date" else v for c, v in zip(header, good(n), strict=True)]
            for n in (1, 2)]
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": text([header, *rows])})
    code, out = check(inputs, capsys=capsys)
    assert code == 1 and "file has no column for incident_ref" in out, out
    assert 'incident_ref = "Incident Date"' not in out, out
    assert "no header looks like incident_ref" in out, out


def test__check__no_authority_guess_that_moves_records(tmp_path, capsys):
    """The county council covers all nine (no guess); "NE Derbys" is North East Derbyshire, never Derby."""
    rows = [good(1), good(2), good(3)]
    for row, label in zip(rows, ("Derbyshire County Council", "NE Derbys", "DCC"), strict=True):
        row[HEADER.index("authority")] = label
    toml = TOML.replace('authority = "E07000036"\n', "")
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/export.csv": text([HEADER, *rows])})
    report = json.loads(check(inputs, "--json", capsys=capsys)[1])[0]
    values = {v["value"]: v["nearest"] for p in report["problems"] if p["column"] == "authority" for v in p["values"]}
    assert values["Derbyshire County Council"] == []
    assert values["NE Derbys"][0] == "North East Derbyshire" and "Derby" not in values["NE Derbys"]
    assert values["DCC"] == []        # Derby City Council or Derbyshire County Council: no guess
    toml_lines = "\n".join(s["toml"] for s in report["suggestions"])
    assert '"Derbyshire County Council" = "?"' in toml_lines, toml_lines


def test__check__not_known_is_never_guessed_as_no(tmp_path, capsys):
    """A hate flag of "N/A" or "Unknown" is not "N": guessed so, it would change the hate counts."""
    rows = [good(1), good(2), good(3)]
    for row, label in zip(rows, ("N/A", "Unknown", "Nope"), strict=True):
        row[HEADER.index("is_hate")] = label
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": text([HEADER, *rows])})
    report = json.loads(check(inputs, "--json", capsys=capsys)[1])[0]
    values = {v["value"]: v["nearest"] for p in report["problems"] if p["column"] == "is_hate" for v in p["values"]}
    assert values["N/A"] == [] and values["Unknown"] == [], values


@pytest.mark.parametrize("as_json", [False, True])
def test__check__partner_values_are_shown_scrubbed(tmp_path, capsys, as_json):
    """Values `asb check` quotes from a file (samples, labels outside a list with their nearest
    values and the value map to paste, dates that would not parse, unread headers, a police
    record's Crime ID and Reported by) are shown as the build would store them: the personal-data
    audit of 6 December 2026 found names and phone numbers printed as sent, and offered as lines
    to paste into sources.toml."""
    person = "Mrs Patel 07700 900215"
    rows = [good(n) for n in range(1, 6)]
    rows[1][14] = person                                  # victim_type outside its list
    rows[2][3] = "TBC ring Mrs Patel 07700 900216"         # a date that would not parse
    files = {"erewash/export.csv": text([[*HEADER, "Mrs Patel 07700 900222"], *[[*r, "x"] for r in rows]])}
    toml = TOML + '\n[[source]]\nslug = "police"\nkind = "police_uk"\npath = "police/*.csv"\n'
    head = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
            "Crime type,Last outcome category,Context")
    files["police/2025-03.csv"] = (f"{head}\nMrs Patel 07700 900242,2025-03,PC Kowalczyk 07700900241,Derbyshire "
                                   "Constabulary,-1.377024,53.100783,On or near Market Place,E01019400,"
                                   "Amber Valley 001A,Anti-social behaviour,,\n")
    inputs = write_inputs(tmp_path / "in", toml, files)
    code, out = check(inputs, *(["--json"] if as_json else []), capsys=capsys)
    assert "Patel" not in out and "Kowalczyk" not in out and "07700" not in out and "900241" not in out, out
    assert "[name]" in out and "[phone]" in out


def test__check__a_tab_after_a_date_is_read_as_the_build_reads_it(tmp_path, capsys):
    """`asb check` trims a value as the build does: a date with a tab after it loads, so check
    predicts no reject for it."""
    rows = [good(n) for n in range(1, 4)]
    rows[1][3] = rows[1][3] + "\t"
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": text([HEADER, *rows])})
    code, out = check(inputs, "--json", capsys=capsys)
    report = json.loads(out)[0]
    assert code == 0 and report["rejected_estimate"] in (0, None), report["rejected_estimate"]
    assert not [p for p in report["problems"] if p["column"] == "reported_date"], report["problems"]


@pytest.mark.parametrize("case", ["same", "upper", "other_order"])
def test__check__a_header_pasted_again_is_judged_as_the_build_judges_it(tmp_path, capsys, case):
    """Two exports pasted into one file: the header again in the same order is a rejected record
    (a note names its row); in another order the build refuses the file, and so must the check
    (it said "ok" and exited 0, the build then failing on the unreadable_file gate: the fuzz audit
    of 6 December 2026)."""
    again = {"same": HEADER, "upper": [h.upper() for h in HEADER],
             "other_order": [HEADER[1], HEADER[0], *HEADER[2:]]}[case]
    content = text([HEADER, good(1), good(2), again, good(3)])
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/export.csv": content})
    code, out = check(inputs, "--json", capsys=capsys)
    report = json.loads(out)[0]
    if case == "other_order":
        assert code == 1 and report["ok"] is False and report["status"] == "refused", report
        assert "row 4 is the header again with its columns in another order" in report["error"]
    else:
        assert code == 0 and report["ok"] is True, report
        assert any("row 4 is the header again" in n for n in report["notes"]), report["notes"]


ROW_RULE_FILES = {   # kind -> (sources.toml entry, header, a record breaking a row rule, the rule's code)
    "incidents": (TOML, ",".join(HEADER), lambda n: ",".join(good(n, reported="2025-03-01", occurred="2025-03-05")),
                  "occurred_after_reported"),
    "appeals": ('[[source]]\nslug = "opcc-appeals"\nkind = "appeals"\npath = "erewash/*.csv"\n',
                "appeal_ref,application_ref,authority,received_date,grounds,outcome,decision_date",
                lambda n: f"AP-{n},CR-{n},Erewash,2025-03-10,threshold_decision,upheld,2025-03-01", "date_order"),
    "actions": ('[[source]]\nslug = "action-plans"\nkind = "actions"\npath = "erewash/*.csv"\n',
                "action_ref,application_ref,agency,action_type,agreed_date,due_date",
                lambda n: f"AC-{n},CR-{n},council,mediation,2025-03-10,2025-03-01", "action_date_order"),
}


@pytest.mark.parametrize("kind", list(ROW_RULE_FILES))
def test__check__the_row_rules_count_as_the_build_s_rejects(tmp_path, capsys, kind):
    """The build rejects a record by its row rules too (occurred after reported, an appeal decided
    before it was received, an action due before it was agreed): the check said "ok", 0 of 10 to
    be rejected, and the build then stopped on the reject_share gate (the registers fuzz of 6
    December 2026)."""
    toml, header, record, code = ROW_RULE_FILES[kind]
    content = "\n".join([header, *(record(n) for n in range(1, 11))]) + "\n"
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/export.csv": content})
    code_, out = check(inputs, "--json", capsys=capsys)
    report = json.loads(out)[0]
    assert code_ == 1 and report["status"] == "reject_share", report
    assert report["rejected_estimate"] == 10
    [problem] = [p for p in report["problems"] if p["kind"] == code]
    assert problem["count"] == 10 and problem["examples"][0]["row"] == 2 and problem["examples"][0]["reason"]


def test__check__numbers_read_as_the_build_reads_them(tmp_path, capsys):
    """A longitude with a minus sign as Word writes it loads, so the check does not call it "not a
    number"; a count written 3.0 (Excel) loads as 3; "2.5" and "-1" are no count, for both."""
    incidents = text([HEADER, *[good(n)[:7] + ["52.9706", "\u22121.3096"] + good(n)[9:] for n in range(1, 4)]])
    register = ("application_ref,authority,received_date,decision,recommendations_count\n"
                "CR-1,Erewash,2025-01-06,met,3.0\nCR-2,Erewash,2025-01-07,met,2.5\nCR-3,Erewash,2025-01-08,met,-1\n")
    toml = TOML + '\n[[source]]\nslug = "case-reviews"\nkind = "applications"\npath = "apps.csv"\n'
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/export.csv": incidents, "apps.csv": register})
    _, out = check(inputs, "--json", capsys=capsys)
    reports = {r["kind"]: r for r in json.loads(out)}
    assert not [p for p in reports["incidents"]["problems"] if p["kind"] == "not_a_number"]
    [count] = [p for p in reports["applications"]["problems"] if p["kind"] == "not_a_number"]
    assert count["column"] == "recommendations_count" and count["count"] == 2
    assert sorted(e["value"] for e in count["examples"]) == ["-1", "2.5"]


@pytest.mark.parametrize("declared, codec, bom, shown", [
    ("utf-8", "utf-16", b"", "utf-16le with BOM"),           # Python writes its BOM, little-endian here
    ("cp1252", "utf-16-be", b"\xfe\xff", "utf-16be with BOM"),
    ("cp1252", "utf-8", b"\xef\xbb\xbf", "utf-8 with BOM"),   # Excel's "CSV UTF-8" under a legacy declaration
    ("cp1252", "cp1252", b"", "cp1252,"),
])
def test__check__names_the_encoding_the_file_is_read_in(tmp_path, capsys, declared, codec, bom, shown):
    """The check's "read" line names the encoding the build reads the file in: a byte-order mark
    decides it whatever is declared (readers.encoding_read), so a UTF-16 file is not "utf-8"."""
    content = bom + text([HEADER, *[good(n) for n in range(1, 12)]]).replace(PLACE, "Café").encode(codec)
    inputs = write_inputs(tmp_path / "in", TOML + f'encoding = "{declared}"\n', {"erewash/export.csv": content})
    code, out = check(inputs, capsys=capsys)
    assert code == 0, out
    assert f"CSV, {shown}" in out, out
    assert "Café" not in out


def test__check__a_date_format_suggested_by_one_file_is_tried_on_the_source_s_other_files(tmp_path, capsys):
    """`asb check` suggested a date format from one file alone (the police audit of 7 December
    2026): a source whose newer export writes month first ("03/25/2025") got `%m/%d/%Y` offered,
    which the build would then apply to every file of the source, turning the older files' good
    day-first dates ("25/03/2025") into rejects. A suggestion is now tried on the source's other
    files too: where it would lose dates that parse now, it says so and names the file."""
    day_first = [good(n, reported=(dt.date(2025, 3, 13) + dt.timedelta(days=n)).strftime("%d/%m/%Y"))
                 for n in range(1, 11)]
    month_first = [good(n + 20, reported=(dt.date(2025, 4, 13) + dt.timedelta(days=n)).strftime("%m/%d/%Y"))
                   for n in range(1, 11)]
    toml = TOML + 'date_format = "%d/%m/%Y"\n'
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/2025-03.csv": text([HEADER, *day_first]),
                                                 "erewash/2025-04.csv": text([HEADER, *month_first])})
    reports = json.loads(check(inputs, "--json", capsys=capsys)[1])
    by_file = {r["file"]: r for r in reports}
    newer = by_file["erewash/2025-04.csv"]
    fix = next(s for s in newer["suggestions"] if "%m/%d/%Y" in s["toml"])
    assert "erewash/2025-03.csv" in fix["why"] and "10 dates" in fix["why"], fix
    assert "split" in fix["why"]
    assert not by_file["erewash/2025-03.csv"]["suggestions"]   # the older file reads as declared
    _, out = check(inputs, capsys=capsys)
    assert "erewash/2025-03.csv" in out and "would no longer" in out


def test__check__a_date_format_that_suits_every_file_is_suggested_plainly(tmp_path, capsys):
    month_first = [good(n, reported=(dt.date(2025, 4, 13) + dt.timedelta(days=n)).strftime("%m/%d/%Y"))
                   for n in range(1, 11)]
    iso = [good(n + 20) for n in range(1, 11)]   # ISO dates read under any declared format
    inputs = write_inputs(tmp_path / "in", TOML + 'date_format = "%d/%m/%Y"\n',
                          {"erewash/a.csv": text([HEADER, *month_first]), "erewash/b.csv": text([HEADER, *iso])})
    reports = json.loads(check(inputs, "--json", capsys=capsys)[1])
    fix = next(s for r in reports for s in r["suggestions"] if "%m/%d/%Y" in s["toml"])
    assert "would no longer" not in fix["why"]


def test__check__a_source_wide_date_format_is_tried_on_every_date_column_of_the_other_files(tmp_path, capsys):
    """`date_format = ...` in the [[source]] entry is every date column's: a file whose only dates
    are its reported dates (month first) must not be offered one that breaks another file's
    occurred dates (day first)."""
    month_first = [good(n, reported=(dt.date(2025, 4, 13) + dt.timedelta(days=n)).strftime("%m/%d/%Y"))
                   for n in range(1, 11)]
    occurred = [good(n + 20, occurred=(dt.date(2025, 2, 13) + dt.timedelta(days=n)).strftime("%d/%m/%Y"))
                for n in range(1, 11)]   # reported ISO (reads under any format), occurred day first
    inputs = write_inputs(tmp_path / "in", TOML + 'date_format = "%d/%m/%Y"\n',
                          {"erewash/a.csv": text([HEADER, *month_first]), "erewash/b.csv": text([HEADER, *occurred])})
    reports = json.loads(check(inputs, "--json", capsys=capsys)[1])
    fix = next(s for r in reports for s in r["suggestions"] if "%m/%d/%Y" in s["toml"])
    assert fix["toml"].startswith("date_format =")
    assert "dates of erewash/b.csv (occurred_date)" in fix["why"], fix["why"]
