"""The build on small hand-made sources: layouts, every reject reason, accounting, de-duplication.

Each case is a few rows in a canonical or declared layout, built with the real ETL into a real
DuckDB file; assertions read the published tables.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import run_build, write_inputs

from etl import build
from etl.sources import config

HEADER = ("incident_ref,agency,authority,reported_date,occurred_date,asb_category,asb_type,"
          "latitude,longitude,easting,northing,postcode,location_desc,person_ref,victim_type,is_hate")
CANONICAL_TOML = """
[[source]]
slug = "erewash-council"
kind = "incidents"
path = "erewash/*.csv"
authority = "E07000036"
"""
# A real Erewash postcode (Long Eaton) and a point in Derby city centre.
GOOD = "A1,council,,2025-03-01,2025-02-27,personal,noise,,,,,NG10 1AA,Market Place,ECN-1,individual,N"


def _incidents(tmp_path, *rows: str, toml: str = CANONICAL_TOML):
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/export.csv": "\n".join([HEADER, *rows]) + "\n"})
    return run_build(inputs)


def test__build__canonical_template_needs_no_mapping(tmp_path):
    """A canonical file with a postcode loads as one incident in the postcode's district."""
    result, con = _incidents(tmp_path, GOOD)
    row = con.execute("select incident_id, authority_code, reported_date, occurred_date, lsoa_code, "
                      "h3_r9, person_key, agencies from incidents").fetchall()
    assert result.counts["incidents"] == 1
    incident_id, authority, reported, occurred, lsoa, h3_r9, person, agencies = row[0]
    assert (incident_id, authority, agencies) == ("erewash_council:A1", "E07000036", "council")
    assert (reported, occurred) == (dt.date(2025, 3, 1), dt.date(2025, 2, 27))
    assert lsoa.startswith("E01") and len(h3_r9) == 15
    assert person.startswith("p_") and "ECN" not in person


@pytest.mark.parametrize(("row", "code", "words"), [
    ("A1,council,,31/02/2025,,personal,noise,,,,,NG10 1AA,,,,", "bad_date", "reported_date"),
    ("A1,council,,2025-02-30,,personal,noise,,,,,NG10 1AA,,,,", "bad_date", "not a valid date"),
    ("A1,council,,2025-07-02,,personal,noise,,,,,NG10 1AA,,,,", "future_date", "after the as-of"),
    ("A1,council,,1999-12-31,,personal,noise,,,,,NG10 1AA,,,,", "too_old_date", "before 2000"),
    (",council,,2025-03-01,,personal,noise,,,,,NG10 1AA,,,,", "missing_key", "incident_ref is empty"),
    ("A1,council,,,,personal,noise,,,,,NG10 1AA,,,,", "missing_value", "reported_date is empty"),
    ("A1,council,,2025-03-01,,misc,noise,,,,,NG10 1AA,,,,", "bad_value", "asb_category 'misc'"),
    ("A1,wardens,,2025-03-01,,personal,noise,,,,,NG10 1AA,,,,", "bad_value", "agency"),
    ("A1,council,,2025-03-01,,personal,noise,,,,,NG10 1AA,,,,maybe", "bad_value", "is_hate"),
    ("A1,council,Nottingham City,2025-03-01,,personal,noise,,,,,NG10 1AA,,,,", "unknown_authority",
     "Nottingham City"),
    ("A1,council,,2025-03-01,2025-03-05,personal,noise,,,,,NG10 1AA,,,,", "occurred_after_reported",
     "occurred_date 2025-03-05"),
    ("A1,council,,2025-03-01,,personal,noise,,,,,ZZ99 9ZZ,,,,", "unplaceable", "ZZ99 9ZZ"),
    ("A1,council,,2025-03-01,,personal,noise,95.0,-1.5,,,,,,,", "unplaceable", "latitude/longitude"),
    ("A1,council,,2025-03-01,,personal,noise,,,999999,99,,,,,", "unplaceable", "easting/northing"),
    ("A1,council,,2025-03-01,,personal,noise,,,,,NG7 2RD,,,,", "outside_area", "outside the nine"),
    ("A1,council,,2025-03-01,,personal,noise,53.3811,-1.4701,,,,,,,", "outside_area", "outside"),
    ("A1,council,,2025-03-01,,personal,noise,abc,-1.47,,,,,,,", "bad_value", "latitude 'abc'"),
    ("A1,council,,2025-03-01,,personal,noise,,,,,NG10 1AA,,,,,extra", "malformed_row", "columns"),
])
def test__build__reject_reasons(tmp_path, row, code, words):
    """Each bad row is rejected with its reason, file and row number; the good row still loads."""
    _, con = _incidents(tmp_path, GOOD.replace("A1", "G1"), row)
    rejects = con.execute("select reason_code, reason, source_file, source_row from etl_rejects").fetchall()
    assert len(rejects) == 1, rejects
    got_code, reason, source_file, source_row = rejects[0]
    assert (got_code, source_file, source_row) == (code, "erewash/export.csv", 3)
    assert words in reason
    assert con.execute("select count(*) from incidents").fetchall()[0][0] == 1


def test__build__no_location_keeps_declared_authority_else_rejects(tmp_path):
    """No location: the source's authority stands; with none anywhere the row is unplaceable."""
    toml = CANONICAL_TOML.replace('authority = "E07000036"\n', "")
    _, con = _incidents(tmp_path, "A1,council,Erewash Borough Council,2025-03-01,,nuisance,graffiti,,,,,,,,,",
                        "A2,council,,2025-03-01,,nuisance,graffiti,,,,,,,,,", toml=toml)
    assert con.execute("select incident_id, authority_code, latitude from incidents").fetchall() == [
        ("erewash_council:A1", "E07000036", None)]
    assert con.execute("select reason_code, reason from etl_rejects").fetchall() == [
        ("unplaceable", "no location and no authority")]


def test__build__duplicate_key_rejects_conflict_and_merges_repeat(tmp_path):
    """Same ref twice: an identical repeat is merged, a conflicting one is a duplicate_key reject."""
    _, con = _incidents(tmp_path, GOOD, GOOD, GOOD.replace("noise", "graffiti"))
    assert con.execute("select count(*) from incidents").fetchall()[0][0] == 1
    assert con.execute("select source_row, rule from etl_merged").fetchall() == [(3, "repeated_row")]
    assert con.execute("select source_row, reason_code from etl_rejects").fetchall() == [(4, "duplicate_key")]
    assert con.execute("select rows_read, rows_loaded, rows_rejected, rows_merged from etl_loads"
                       ).fetchall() == [(3, 1, 1, 1)]


def test__build__a_ref_repeated_around_an_unplaceable_row_counts_among_the_placed(tmp_path):
    """The ref's first row cannot be placed (a reject), the second loads, the third repeats the
    second (merged), the fourth conflicts with it (duplicate_key, naming row 3, not the rejected
    row 2); a ref whose only other row is unplaceable is a plain incident. Repeats are found on
    the staged rows, before the staged table is dropped, and ranked among the placed rows alone."""
    bad = GOOD.replace("NG10 1AA", "ZZ99 9ZZ")
    _, con = _incidents(tmp_path, bad, GOOD, GOOD, GOOD.replace("noise", "graffiti"),
                        bad.replace("A1", "B1"), GOOD.replace("A1", "B1"))
    assert con.execute("select incident_id from incidents order by 1").fetchall() == [
        ("erewash_council:A1",), ("erewash_council:B1",)]
    assert con.execute("select source_row, incident_id from incidents order by 1").fetchall() == [
        (3, "erewash_council:A1"), (7, "erewash_council:B1")]
    assert con.execute("select source_row, rule from etl_merged").fetchall() == [(4, "repeated_row")]
    assert con.execute("select source_row, reason_code, reason like '%row 3 %' from etl_rejects "
                       "order by 1").fetchall() == [(2, "unplaceable", False), (5, "duplicate_key", True),
                                                    (6, "unplaceable", False)]
    assert con.execute("select rows_read, rows_loaded, rows_rejected, rows_merged from etl_loads"
                       ).fetchall() == [(6, 2, 3, 1)]


DEDUP_TOML = CANONICAL_TOML + """
[[source]]
slug = "police"
kind = "incidents"
path = "police/*.csv"
"""


# GOOD occurred on 27 Feb (reported 1 Mar): matching compares occurred dates (DESIGN.md contract).
@pytest.mark.parametrize(("police_row", "merged"), [
    ("P1,police,,2025-02-28,2025-02-28,personal,noise,,,,,NG10 1AA,,ECN-1,,", True),    # next day
    ("P1,police,,2025-02-27,2025-02-27,personal,noise,,,,,NG10 1AA,,ecn-1 ,,", True),   # ref as typed
    ("P1,police,,2025-03-01,2025-03-01,personal,noise,,,,,NG10 1AA,,ECN-1,,", False),   # two days
    ("P1,police,,2025-03-04,2025-02-27,personal,noise,,,,,NG10 1AA,,ECN-1,,", True),    # told days later
    ("P1,police,,2025-02-27,2025-02-27,personal,graffiti,,,,,NG10 1AA,,ECN-1,,", False),  # other type
    ("P1,police,,2025-02-27,2025-02-27,personal,noise,,,,,NG10 1AA,,ECN-2,,", False),   # other person
    ("P1,police,,2025-02-27,2025-02-27,personal,noise,,,,,NG10 1AA,,,,", False),        # anonymous
    ("P1,police,,2025-02-27,2025-02-27,personal,noise,,,,,DE1 1AN,,ECN-1,,", False),    # 15 km away
    ("P1,council,,2025-02-27,2025-02-27,personal,noise,,,,,NG10 1AA,,ECN-1,,", True),   # another organisation
    ("P1,police,Erewash,2025-02-27,2025-02-27,personal,noise,,,,,,,ECN-1,,", True),     # no point
])
def test__build__same_incident_to_two_agencies_counts_once(tmp_path, police_row, merged):
    """Same person, type, another organisation (source, agency), occurred within a day (and 250 m
    when both placed) -> one incident, with the earliest reported date."""
    inputs = write_inputs(tmp_path / "in", DEDUP_TOML, {
        "erewash/e.csv": f"{HEADER}\n{GOOD}\n", "police/p.csv": f"{HEADER}\n{police_row}\n"})
    _, con = run_build(inputs)
    incidents = con.execute("select incident_id, agencies, report_count, reported_date from incidents "
                            "order by all").fetchall()
    if merged:
        police_reported, police_occurred = (dt.date.fromisoformat(v) for v in police_row.split(",")[3:5])
        # the anchor is the first by (occurred, reported): A1 occurred 27 Feb and was told on 1 Mar
        anchor = "police:P1" if (police_occurred, police_reported) < (dt.date(2025, 2, 27), dt.date(2025, 3, 1)) \
            else "erewash_council:A1"
        agencies = "council,police" if ",police," in police_row else "council"
        assert incidents == [(anchor, agencies, 2, min(dt.date(2025, 3, 1), police_reported))]
        other = "erewash_council" if anchor.startswith("police") else "police"
        assert con.execute("select source, rule, merged_into from etl_merged").fetchall() == [
            (other, "cross_agency", anchor)]
    else:
        assert len(incidents) == 2
    loads = con.execute("select sum(rows_read), sum(rows_loaded + rows_rejected + rows_merged) "
                        "from etl_loads").fetchall()[0]
    assert loads == (2, 2)


def test__build__merged_incident_takes_the_anchor_and_the_earliest_report(tmp_path):
    """The council's report (occurred 27 Feb, told 1 Mar) anchors; the police heard on 28 Feb of the
    next day's incident: one incident with the anchor's occurred date and the earliest reported date."""
    police = "P1,police,,2025-02-28,2025-02-28,personal,noise,,,,,NG10 1AA,,ECN-1,,Y"
    inputs = write_inputs(tmp_path / "in", DEDUP_TOML, {
        "erewash/e.csv": f"{HEADER}\n{GOOD}\n", "police/p.csv": f"{HEADER}\n{police}\n"})
    _, con = run_build(inputs)
    assert con.execute("select incident_id, source, sources, occurred_date, reported_date, agencies, is_hate "
                       "from incidents").fetchall() == [
        ("erewash_council:A1", "erewash_council", "erewash_council,police", dt.date(2025, 2, 27),
         dt.date(2025, 2, 28), "council,police", True)]


def test__build__one_organisation_never_merges_its_own_reports(tmp_path):
    """Two refs from the same council on the same night are two incidents (DESIGN.md contract)."""
    second = GOOD.replace("A1,", "A2,", 1)
    _, con = _incidents(tmp_path, GOOD, second)
    assert con.execute("select count(*) from incidents").fetchall() == [(2,)]


def test__build__six_daily_reports_alternating_police_and_council_are_three_incidents(tmp_path):
    """Anchored, never chained: a victim keeps three complaints, not one."""
    rows = {"erewash": [], "police": []}
    for day in range(6):
        date = f"2025-03-{day + 1:02d}"
        source = "police" if day % 2 else "erewash"
        rows[source].append(f"R{day},{'police' if day % 2 else 'council'},,{date},{date},personal,noise,"
                            ",,,,NG10 1AA,,ECN-1,,N")
    inputs = write_inputs(tmp_path / "in", DEDUP_TOML, {
        "erewash/e.csv": "\n".join([HEADER, *rows["erewash"]]) + "\n",
        "police/p.csv": "\n".join([HEADER, *rows["police"]]) + "\n"})
    _, con = run_build(inputs)
    assert con.execute("select count(*), sum(report_count) from incidents").fetchall() == [(3, 6)]
    assert con.execute("select count(*) from etl_merged where rule = 'cross_agency'").fetchall() == [(3,)]


def test__build__config_errors_name_the_source(tmp_path):
    """A bad sources.toml fails before anything is built, naming the entry and key."""
    inputs = write_inputs(tmp_path / "in", '[[source]]\nslug = "x"\nkind = "crimes"\npath = "*.csv"\n', {})
    with pytest.raises(config.ConfigError, match=r"#1 \(x\): kind must be one of"):
        build.build(inputs, tmp_path / "w.duckdb", dt.date(2025, 1, 1))
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize(("place", "expected"), [
    ("0,0,,,NG10 1AA", ("E07000036", True)),      # 0, 0 beside a postcode: placed by the postcode
    ("0.0,0.000,,,", ("E07000036", False)),       # no other location: the source's authority, no point
    (",,0,0,NG10 1AA", ("E07000036", True)),      # easting/northing 0, 0 likewise
    ("0,-1.3,,,NG10 1AA", None),                  # one coordinate 0 is a point, and not a usable one
])
def test__build__zero_zero_coordinates_are_no_location(tmp_path, place, expected):
    """Case systems write 0, 0 (a point in the Gulf of Guinea) where nothing was geocoded: that is no
    location, so the row is placed by what else it gives, else keeps its source's authority,
    instead of being rejected as unplaceable."""
    row = f"A1,council,,2025-03-01,,personal,noise,{place},,,,"
    _, con = _incidents(tmp_path, GOOD.replace("A1", "G1"), row)
    got = con.execute("select authority_code, easting is not null, latitude from incidents "
                      "where incident_id like '%:A1'").fetchall()
    if expected is None:
        assert got == [] and con.execute("select reason_code from etl_rejects").fetchall() == [("unplaceable",)]
    else:
        assert [g[:2] for g in got] == [expected] and got[0][2] != 0
        assert con.execute("select count(*) from etl_rejects").fetchall() == [(0,)]


def _with_application(tmp_path, extra_column: str, decision_and_after: str):
    """A build of one good incident and one application (CT1, Erewash, received 3 March 2025)
    whose decision, decision date, outcome and `extra_column` are `decision_and_after`."""
    header = "application_ref,authority,person_ref,received_date,decision,decision_date,outcome"
    header += f",{extra_column}" if extra_column else ""
    toml = CANONICAL_TOML + '\n[[source]]\nslug = "reviews"\nkind = "applications"\npath = "reviews/*.csv"\n'
    inputs = write_inputs(tmp_path / "in", toml, {
        "erewash/export.csv": "\n".join([HEADER, GOOD]) + "\n",
        "reviews/r.csv": f"{header}\nCT1,Erewash,ECN-1,2025-03-03,{decision_and_after}\n"})
    return run_build(inputs)


@pytest.mark.parametrize(("value", "loaded"), [("3", 3), ("3.0", 3), ("0", 0), ("2.5", None), ("-3", None),
                                               ("many", None), ("99999999999", None)])
def test__build__a_count_is_a_whole_number_of_zero_or_more(tmp_path, value, loaded):
    """recommendations_count: Excel's 3.0 is 3; 2.5 is not rounded to 3, nor -3 kept: both are
    rejects with the reason, as a word is."""
    _, con = _with_application(tmp_path, "recommendations_count", f"met,2025-03-10,recommendations,{value}")
    got = con.execute("select recommendations_count from applications").fetchall()
    rejects = con.execute("select reason_code, reason from etl_rejects").fetchall()
    if loaded is None:
        assert got == [] and rejects == [("bad_value", f"recommendations_count '{value}' is not a whole number of 0 or more")]
    else:
        assert got == [(loaded,)] and rejects == []


def test__build__a_value_outside_its_list_says_where_to_map_it(tmp_path):
    """A partner's own word for a listed value ("Threshold met") is a reject whose reason says how to
    map it, as an unmapped ASB type's does. The reason quotes the value as sent (the key to map it
    under), not its normalised form."""
    _, con = _with_application(tmp_path, "", "Threshold met,2025-03-10,pending")
    assert con.execute("select reason_code, reason from etl_rejects").fetchall() == [
        ("bad_value", "decision 'Threshold met' is not one of met/not_met/withdrawn/pending: map it under "
                      "[source.values.decision] in sources.toml")]


def test__build__a_rule_dated_after_the_as_of_date_is_said(tmp_path):
    """A rule that takes effect after the as-of date (planned ahead, or a year typed wrong:
    2062 for 2026) applied to no figure without a word; the build now says so, naming the rule
    and the date its figures use the rule before it to."""
    from conftest import EREWASH_TOML, INCIDENT_COLUMNS

    from etl.rules import settings as rule_settings

    rules = rule_settings.DEFAULT_PATH.read_text(encoding="utf-8") + (
        '\n[[rule]]\nauthority = "Erewash"\neffective_from = "2062-04-01"\nvictim_threshold = 2\n'
        '\n[[rule]]\nauthority = "Derby"\neffective_from = "2025-01-01"\nvictim_threshold = 2\n')
    record = ["A1", "council", "", "2025-03-02", "", "personal", "noise", "", "", "", "", "NG10 1AA",
              "Market Place", "ECN-1", "individual", "N"]
    inputs = write_inputs(tmp_path / "in", '[build]\nsettings = "rules.toml"\n' + EREWASH_TOML, {
        "erewash/export.csv": ",".join(INCIDENT_COLUMNS) + "\n" + ",".join(record) + "\n", "rules.toml": rules})
    result, con = run_build(inputs, as_of=dt.date(2025, 6, 30))
    later = [n for n in result.notes if "2062-04-01" in n]
    assert later == ["rule E07000036@2062-04-01 (Erewash) takes effect on 2062-04-01, after the as-of date "
                     "2025-06-30: no figure of this build uses it yet"], result.notes
    assert not [n for n in result.notes if "2025-01-01" in n and "after the as-of date" in n]
