"""The real data.police.uk files for Derbyshire (22 months), read from ../shared/data/real.

ASB rows become incidents placed by their point; the district in the LSOA name checks the
placement; rows outside the nine districts are rejects with a reason; a month without ASB rows
is a gap; a month published twice is merged, not double counted.
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from conftest import real_data, run_build, write_inputs

POLICE_TOML = """
[[source]]
slug = "police-uk"
kind = "police_uk"
path = "{path}"
"""


def _asb_rows(folder) -> int:
    n = 0
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            n += sum(1 for r in csv.DictReader(fh) if r["Crime type"] == "Anti-social behaviour")
    return n


@pytest.fixture(scope="module")
def police_build(tmp_path_factory):
    folder = real_data("police_uk", "derbyshire")
    root = tmp_path_factory.mktemp("police")
    inputs = write_inputs(root / "in", POLICE_TOML.format(path=f"{folder}/*.csv"), {})
    # not os.environ: a key left set would reach the session's demo build in this worker
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
        result, con = run_build(inputs, as_of=dt.date(2024, 11, 30))
    return folder, result, con


def test__police_uk__every_asb_row_is_an_incident_or_a_reject(police_build):
    """34,557 ASB rows in the files = incidents + rejects (+ merged, none here)."""
    folder, _, con = police_build
    asb = _asb_rows(folder)
    incidents = con.execute("select count(*) from incidents").fetchall()[0][0]
    rejects = con.execute("select count(*) from etl_rejects").fetchall()[0][0]
    merged = con.execute("select count(*) from etl_merged where rule <> 'police_context'").fetchall()[0][0]
    assert asb == 34_557
    assert incidents + rejects + merged == asb
    assert incidents > 34_000
    assert con.execute("select count(*) from etl_loads where rows_read <> rows_loaded + rows_rejected "
                       "+ rows_merged").fetchall()[0][0] == 0
    assert con.execute("select sum(rows_read) from etl_loads").fetchall()[0][0] == 204_633


def test__police_uk__authority_from_point_agrees_with_lsoa_name(police_build):
    """Inside Derbyshire, the point's district equals the LSOA name's district for >= 99% of rows."""
    _, _, con = police_build
    n, agree = con.execute("""select count(*), avg((authority_code = source_lsoa_authority_code)::int)
        from incidents where source_lsoa_authority_code is not null""").fetchall()[0]
    assert n > 34_000 and agree >= 0.99


def test__police_uk__2011_and_2021_lsoa_codes_both_handled(police_build):
    """Months before 2023-06 carry retired 2011 codes: those rows are placed and agree too."""
    lookup21 = real_data("boundaries", "lsoa21_to_lad_derbyshire.csv")
    with open(lookup21, encoding="utf-8") as fh:
        codes21 = {r["LSOA21CD"] for r in csv.DictReader(fh)}
    _, _, con = police_build
    rows = con.execute("""select source_lsoa_code, authority_code, source_lsoa_authority_code from incidents
        where source_lsoa_authority_code is not null and reported_date < date '2023-06-01'""").fetchall()
    old = [r for r in rows if r[0] not in codes21]
    assert len(old) > 100
    assert sum(r[1] == r[2] for r in old) / len(old) >= 0.99


def test__police_uk__rows_outside_the_nine_are_rejects_with_a_reason(police_build):
    """Rows in neighbouring districts are kept in etl_rejects naming the place."""
    _, _, con = police_build
    rows = con.execute("select reason_code, reason, source_row from etl_rejects").fetchall()
    assert rows and {r[0] for r in rows} == {"outside_area"}
    assert all("outside the nine Derbyshire districts" in r[1] and r[2] >= 2 for r in rows)
    assert any("Ashfield" in r[1] or "Broxtowe" in r[1] or "Sheffield" in r[1] for r in rows)


def test__police_uk__no_gaps_in_22_months_and_context_rows_kept(police_build):
    """Each of the 22 months has ASB rows; other crime types load as context, not as incidents."""
    _, _, con = police_build
    months = con.execute("select count(*), count(*) filter (where is_gap) from mart_source_months").fetchall()
    assert months == [(22, 0)]
    context = con.execute("select count(*) from police_crimes").fetchall()[0][0]
    assert context == 204_633 - 34_557


def test__police_uk__every_record_of_every_file_is_in_exactly_one_contract_table(police_build):
    """DESIGN.md (contract): every record of every file appears in exactly one of incident_reports,
    etl_merged (when not also in incident_reports) and etl_rejects; the crimes of other types too
    (before: in police_crimes alone, 170,076 of the 204,633 real records in none of the three)."""
    _, _, con = police_build
    wrong = con.execute("""
        with placed as (
            select source_file, source_row, 'reports' as home from incident_reports
            union all select source_file, source_row, 'merged' from etl_merged m
            where not exists (select 1 from incident_reports r
                              where r.source_file = m.source_file and r.source_row = m.source_row)
            union all select source_file, source_row, 'rejects' from etl_rejects
        ),
        counted as (select source_file, source_row, count(*) as n from placed group by all)
        select l.source_file, l.rows_read, count(c.source_row), count(*) filter (where c.n <> 1),
               min(c.source_row), max(c.source_row)
        from etl_loads l left join counted c using (source_file)
        group by all having count(c.source_row) <> l.rows_read or count(*) filter (where c.n <> 1) > 0
            or min(c.source_row) <> 2 or max(c.source_row) <> l.rows_read + 1""").fetchall()
    assert wrong == []
    assert con.execute("select sum(rows_context) from etl_loads").fetchall()[0][0] == 204_633 - 34_557


def test__police_uk__month_without_asb_is_a_gap_and_republished_month_merges(tmp_path):
    """Feb with only crimes -> a gap; January downloaded again with CRLF -> merged, not counted twice."""
    folder = real_data("police_uk", "derbyshire")
    files = {}
    for month in ("2023-01", "2023-02", "2023-03"):
        text = (folder / f"{month}-derbyshire-street.csv").read_text(encoding="utf-8")
        if month == "2023-02":
            text = "\n".join(line for line in text.splitlines() if "Anti-social behaviour" not in line) + "\n"
        files[f"police/{month}-derbyshire-street.csv"] = text
    files["police/again/2023-01-derbyshire-street.csv"] = files["police/2023-01-derbyshire-street.csv"].replace(
        "\n", "\r\n").encode()
    inputs = write_inputs(tmp_path / "in", POLICE_TOML.format(path="police/**/*.csv"), files)
    _, con = run_build(inputs, as_of=dt.date(2024, 11, 30))
    gaps = con.execute("select month from mart_source_months where is_gap").fetchall()
    assert gaps == [(dt.date(2023, 2, 1),)]
    merged = con.execute("select rule, count(*) from etl_merged where source_file like 'police/again/%' "
                         "group by all").fetchall()
    assert merged == [("police_republished", 8884 - 11)]  # all but 11 rejects (outside)
    assert con.execute("select rows_read, rows_loaded, rows_merged from etl_loads where source_file like "
                       "'police/again/%'").fetchall() == [(8884, 0, 8884 - 11)]
    # the first copy's crimes of other types: merged as context (police_crimes), none in an ASB figure
    first = con.execute("""select count(*) filter (where rule = 'police_context'), count(*) from etl_merged
                           where source_file = 'police/2023-01-derbyshire-street.csv'""").fetchall()
    crimes = con.execute("""select count(*) from police_crimes
                            where source_file = 'police/2023-01-derbyshire-street.csv'""").fetchall()[0][0]
    assert first == [(crimes, crimes)] and crimes > 7000
    assert con.execute("select count(*) from incidents where reported_date = '2023-01-01'").fetchall()[0][0] == 1269
    # every merged row names what it joined: an ASB row its incident, another crime type the row of
    # police_crimes kept (audit, 5 December 2026: 7,600 of them named nothing in the warehouse)
    assert con.execute("""select count(*) from etl_merged m where m.merged_into not in (select incident_id from incidents)
                          and m.merged_into not in (select police_ref from police_crimes)""").fetchall() == [(0,)]
    assert con.execute("select count(*) from police_crimes where police_ref is null").fetchall() == [(0,)]


def test__police_uk__identical_rows_each_count_with_their_own_row_numbers(tmp_path):
    """Identical ASB rows of a file are separate incidents (refs <key>-1..-n by row number, a row
    differing only in a column outside the key ranks among them); a later file repeating the
    month merges its first copies and adds the rest; every rejected copy is its own reject."""
    folder = real_data("police_uk", "derbyshire")
    with open(folder / "2023-01-derbyshire-street.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, asb = rows[0], next(r for r in rows[1:] if r[9] == "Anti-social behaviour")
    other = next(r for r in rows[1:] if r[9] == "Anti-social behaviour" and r[4:6] != asb[4:6])
    context = [*asb[:11], "a note the key leaves out"]
    outside = [*asb[:4], "-1.1", "51.5", *asb[6:]]          # Oxfordshire: outside the nine
    bad_month = [asb[0], "2023-13", *asb[2:]]

    def text(body):
        return "\n".join(",".join(f'"{c}"' for c in r) for r in [header, *body]) + "\n"

    # file a: rows 2-4 asb, 5 its context variant, 6 other, 7-8 outside, 9-10 bad month, 11 asb again
    a = [asb, asb, asb, context, other, outside, outside, bad_month, bad_month, asb]
    b = [asb] * 7 + [other]          # rows 2-8: the first 5 repeat file a's five, 2 are new; 9 repeats
    inputs = write_inputs(tmp_path / "in", POLICE_TOML.format(path="police/*.csv"),
                          {"police/a.csv": text(a), "police/b.csv": text(b)})
    _, con = run_build(inputs, as_of=dt.date(2024, 11, 30))
    reports = con.execute("""select source_file, source_row, report_id, is_merged from incident_reports
        order by source_file, source_row""").fetchall()
    key = next(rid for f, n, rid, _ in reports if (f, n) == ("police/a.csv", 2)).rsplit("-", 1)[0]
    assert [(f, n, rid.removeprefix(key)) for f, n, rid, _ in reports if rid.startswith(key + "-")] == [
        ("police/a.csv", 2, "-1"), ("police/a.csv", 3, "-2"), ("police/a.csv", 4, "-3"),
        ("police/a.csv", 5, "-4"), ("police/a.csv", 11, "-5"), ("police/b.csv", 7, "-6"), ("police/b.csv", 8, "-7")]
    assert [(f, n) for f, n, rid, _ in reports if not rid.startswith(key + "-")] == [("police/a.csv", 6)]
    assert not any(m for *_, m in reports)
    merged = con.execute("select source_file, source_row, merged_into, rule from etl_merged order by 2").fetchall()
    other_key = next(rid for f, n, rid, _ in reports if (f, n) == ("police/a.csv", 6))
    assert merged == [*(("police/b.csv", n, f"{key}-{n - 1}", "police_republished") for n in range(2, 7)),
                      ("police/b.csv", 9, other_key, "police_republished")]
    rejects = con.execute("select source_file, source_row, reason_code from etl_rejects order by 2").fetchall()
    assert rejects == [("police/a.csv", 7, "outside_area"), ("police/a.csv", 8, "outside_area"),
                       ("police/a.csv", 9, "bad_date"), ("police/a.csv", 10, "bad_date")]
    # named by the point that placed it, the file's LSOA name beside it (here a Derbyshire one: the
    # reason named only that, "location (Amber Valley 001A) is outside the nine ...")
    why = con.execute("select reason from etl_rejects where source_row = 7").fetchall()[0][0]
    assert why.startswith("location (51.50000, -1.10000, LSOA ") and f"LSOA {asb[8]})" in why, why
    assert con.execute("""select source_file, rows_read, rows_loaded, rows_rejected, rows_merged
        from etl_loads order by 1""").fetchall() == [("police/a.csv", 10, 6, 4, 0), ("police/b.csv", 8, 2, 0, 6)]
    assert con.execute("select count(*) from incidents").fetchall()[0][0] == 8


def test__police_uk__scrub_counts_every_identical_record(tmp_path):
    """Free text scrubbed once per distinct record still counts each record it changed."""
    folder = real_data("police_uk", "derbyshire")
    with open(folder / "2023-01-derbyshire-street.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, asb = rows[0], next(r for r in rows[1:] if r[9] == "Anti-social behaviour")
    phoned = [*asb[:6], "On or near Park Road, call 07700 900123", *asb[7:]]
    body = "\n".join(",".join(f'"{c}"' for c in r) for r in [header, phoned, asb, phoned, phoned]) + "\n"
    inputs = write_inputs(tmp_path / "in", POLICE_TOML.format(path="police/*.csv"), {"police/a.csv": body})
    _, con = run_build(inputs, as_of=dt.date(2024, 11, 30))
    assert con.execute("select field, removed, items, rows_changed from etl_scrubbed").fetchall() == [
        ("location", "phone", 3, 3)]
    assert con.execute("select count(*) from incidents where location_desc like '%07700%'").fetchall()[0][0] == 0
    assert con.execute("select count(*) from incidents").fetchall()[0][0] == 4


def test__police_uk__asb_is_known_however_a_resaved_file_writes_it(tmp_path):
    """A street file re-saved by hand (a spreadsheet, a script) may write the crime type in another
    case or without the hyphen: still anti-social behaviour, not a context row."""
    folder = real_data("police_uk", "derbyshire")
    with open(folder / "2023-01-derbyshire-street.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, asb = rows[0], next(r for r in rows[1:] if r[9] == "Anti-social behaviour")
    spellings = ["Anti-social behaviour", "Anti social behaviour", "anti-social behaviour",
                 "ANTI-SOCIAL BEHAVIOUR", " Anti-Social Behaviour "]
    body = [[*asb[:4], asb[4][:-1] + str(k), *asb[5:9], s, *asb[10:]] for k, s in enumerate(spellings)]
    body.append([*asb[:9], "Burglary", *asb[10:]])
    text = "\n".join(",".join(f'"{c}"' for c in r) for r in [header, *body]) + "\n"
    inputs = write_inputs(tmp_path / "in", POLICE_TOML.format(path="police/*.csv"), {"police/a.csv": text})
    _, con = run_build(inputs, as_of=dt.date(2024, 11, 30))
    assert con.execute("select rows_read, rows_loaded, rows_merged, rows_context from etl_loads").fetchall() == [
        (6, 5, 1, 1)]  # the context row is accounted for in etl_merged (police_context)
    assert con.execute("select count(*) from incidents").fetchall() == [(5,)]


@pytest.mark.parametrize("spelling", ["ANTI-SOCIAL BEHAVIOUR", "Anti social behaviour", "anti-social behaviour"])
def test__police_uk__a_month_downloaded_again_and_re_saved_merges(tmp_path, spelling):
    """A month downloaded twice, one copy re-saved by hand with the crime types' case changed (or
    ASB's hyphen dropped): its ASB rows are still ASB (README), and they are the same records, so
    the copy merges as `police_republished`, as an unchanged copy does. Before, its content keys
    held the type as written, so the 30 ASB rows were 60 incidents (the partner-file audit)."""
    folder = real_data("police_uk", "derbyshire")
    lines = (folder / "2023-04-derbyshire-street.csv").read_text(encoding="utf-8").splitlines()
    asb = [line for line in lines[1:] if "Anti-social behaviour" in line][:30]
    other = [line for line in lines[1:] if "Anti-social behaviour" not in line][:10]
    first = "\n".join([lines[0], *asb, *other]) + "\n"
    shouted = []   # the other crime types' case changed too ("VIOLENCE AND SEXUAL OFFENCES")
    for row in csv.reader(other):
        row[9] = row[9].upper()
        shouted.append(",".join(f'"{c}"' for c in row))
    again = "\n".join([lines[0], *(line.replace("Anti-social behaviour", spelling) for line in asb), *shouted]) + "\n"
    inputs = write_inputs(tmp_path / "in", POLICE_TOML.format(path="police/*.csv"),
                          {"police/2023-04-derbyshire-street.csv": first,
                           "police/2023-04-derbyshire-street_resaved.csv": again})
    _, con = run_build(inputs, as_of=dt.date(2023, 4, 30))
    loads = con.execute("select source_file, rows_read, rows_loaded, rows_merged from etl_loads "
                        "order by 1").fetchall()
    incidents = con.execute("select count(*) from incidents").fetchall()[0][0]
    assert incidents == loads[0][2] <= 30
    assert loads[1][2] == 0, loads
    assert con.execute("""select count(*) from etl_merged where rule = 'police_republished'
                          and source_file like '%resaved%'""").fetchall()[0][0] == loads[1][3]
    assert con.execute("select count(*) from police_crimes").fetchall()[0][0] == 10   # the context once too


@pytest.mark.parametrize("written", ["2023-04-01", "Apr-23", "01/04/2023"])
def test__police_uk__a_month_re_saved_as_a_date_reads_as_its_month(tmp_path, written):
    """A street file re-saved by a spreadsheet writes its Month as a date ("2023-04-01", Excel's
    "Apr-23" for 2023-04): every record was a bad_date reject and the reject_share gate stopped
    the build (the police-file audit). It is the month: the copy beside the file as published
    merges as the same records, and alone it loads the same incidents."""
    folder = real_data("police_uk", "derbyshire")
    lines = (folder / "2023-04-derbyshire-street.csv").read_text(encoding="utf-8").splitlines()
    body = [line for line in lines[1:] if "Anti-social behaviour" in line][:40] + \
        [line for line in lines[1:] if "Anti-social behaviour" not in line][:10]
    assert all(line.startswith(",2023-04,") or line.split(",")[1] == "2023-04" for line in body)
    resaved = [",".join([r[0], written, *r[2:]]) for r in csv.reader(body)]
    files = {"police/2023-04-derbyshire-street.csv": "\n".join([lines[0], *body]) + "\n",
             "police/2023-04-derbyshire-street_resaved.csv": "\n".join([lines[0], *resaved]) + "\n"}
    _, con = run_build(write_inputs(tmp_path / "in", POLICE_TOML.format(path="police/*.csv"), files),
                       as_of=dt.date(2023, 4, 30))
    assert con.execute("select count(*) from etl_rejects where reason_code = 'bad_date'").fetchall() == [(0,)]
    loads = con.execute("select rows_read, rows_loaded, rows_merged + rows_rejected from etl_loads "
                        "order by source_file").fetchall()
    assert loads[1] == (50, 0, 50), loads    # the re-saved copy: every record the published one's
    assert con.execute("select count(*) from police_crimes").fetchall()[0][0] == 10
    alone = write_inputs(tmp_path / "alone", POLICE_TOML.format(path="police/*.csv"),
                         {"police/2023-04.csv": files["police/2023-04-derbyshire-street_resaved.csv"]})
    _, con2 = run_build(alone, tmp_path / "alone.duckdb", as_of=dt.date(2023, 4, 30))
    assert con2.execute("select count(*), min(reported_date), max(reported_date) from incidents").fetchall() == \
        con.execute("select count(*), min(reported_date), max(reported_date) from incidents").fetchall()


def test__police_uk__a_month_in_two_police_sources_counts_once(tmp_path):
    """The same month saved into a second police source's folder, re-saved with CRLF (so not the
    same bytes: the same_file gate does not see it): its records are the first source's, merged
    as `police_republished`, never a second incident (the police-file audit: every figure of
    that month doubled). Rows beyond the first source's copies (a later, fuller download) are
    the second source's own."""
    folder = real_data("police_uk", "derbyshire")
    lines = (folder / "2023-01-derbyshire-street.csv").read_text(encoding="utf-8").splitlines()
    asb = [line for line in lines[1:] if "Anti-social behaviour" in line]
    other = [line for line in lines[1:] if "Anti-social behaviour" not in line][:20]
    first = "\n".join([lines[0], *asb[:-5], *other]) + "\n"          # five ASB rows short
    again = "\r\n".join([lines[0], *reversed(asb), *other]) + "\r\n"  # all of them, in another order
    toml = POLICE_TOML.format(path="police/*.csv") + POLICE_TOML.format(path="police2/*.csv").replace(
        'slug = "police-uk"', 'slug = "police-uk-archive"')
    inputs = write_inputs(tmp_path / "in", toml, {"police/2023-01.csv": first, "police2/2023-01.csv": again.encode()})
    _, con = run_build(inputs, as_of=dt.date(2023, 1, 31))
    alone = write_inputs(tmp_path / "alone", POLICE_TOML.format(path="police/*.csv"),
                         {"police/2023-01.csv": "\n".join([lines[0], *asb, *other]) + "\n"})
    _, con1 = run_build(alone, tmp_path / "alone.duckdb", as_of=dt.date(2023, 1, 31))
    per_authority = "select authority_code, count(*) from incidents group by 1 order by 1"
    assert con.execute(per_authority).fetchall() == con1.execute(per_authority).fetchall()
    assert con.execute("select count(*) from police_crimes").fetchall() == [(20,)]
    loads = dict(con.execute("select source, rows_loaded from etl_loads").fetchall())
    assert loads["police_uk_archive"] <= 5, loads   # only what the first source lacks
    # every record once: loaded, merged or rejected, each merged one naming what it joined
    assert con.execute("select count(*) from etl_loads where rows_read <> rows_loaded + rows_rejected "
                       "+ rows_merged").fetchall() == [(0,)]
    assert con.execute("""select count(*) from etl_merged m where m.merged_into not in (select incident_id from incidents)
                          and m.merged_into not in (select police_ref from police_crimes)""").fetchall() == [(0,)]
