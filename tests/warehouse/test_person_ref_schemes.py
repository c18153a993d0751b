"""One person reference sent by two sources, one declaring `person_ref_pattern` and one not
(the partner-source audit of 6 December 2026): the housing source keys "ECN-00540" as person 540,
the council source as ECN00540, so the victim's three complaints count as two people's (2 and 1)
and the threshold is missed, silently. The build and `asb check` now say so for the file whose
references match the other source's pattern, with the line to add; the count of such references
is given, never one of them."""

from __future__ import annotations

import datetime as dt

from conftest import TEST_KEY, run_build, write_inputs

from etl.sources import check

HEADER = "incident_ref,agency,authority,reported_date,asb_category,asb_type,person_ref"
TOML = """
[[source]]
slug = "housing"
kind = "incidents"
path = "a/*.csv"
person_ref_pattern = "ECN-?0*([0-9]+)"

[[source]]
slug = "council"
kind = "incidents"
path = "b/*.csv"
{council_pattern}
"""
HOUSING = [HEADER, "H1,housing,Erewash,2025-04-01,nuisance,noise,ECN-00540",
           "H2,housing,Erewash,2025-04-10,nuisance,noise,ECN-00540"]
COUNCIL = [HEADER, "C1,council,Erewash,2025-04-20,nuisance,rowdy behaviour,ECN-00540",
           "C2,council,Erewash,2025-04-21,nuisance,noise,ecn 00777",
           "C3,council,Erewash,2025-04-22,nuisance,noise,DCC-12"]     # another scheme: not counted


def _inputs(root, council_pattern: str = ""):
    return write_inputs(root / "in", TOML.format(council_pattern=council_pattern),
                        {"a/h.csv": "\n".join(HOUSING) + "\n", "b/c.csv": "\n".join(COUNCIL) + "\n"})


def test__build__a_file_keyed_otherwise_than_another_source_s_pattern_is_noted(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    result, con = run_build(_inputs(tmp_path), as_of=dt.date(2025, 6, 30))
    assert [n for n in result.notes if "person_ref_pattern" in n] == [
        "b/c.csv: " + con.execute("select file_note from etl_loads where source = 'council'").fetchall()[0][0]]
    notes = dict(con.execute("select source, file_note from etl_loads").fetchall())
    assert notes["housing"] is None
    assert notes["council"].startswith("2 distinct person references here match the person_ref_pattern of source "
                                       "housing, which source council does not declare"), notes
    assert 'person_ref_pattern = "ECN-?0*([0-9]+)"' in notes["council"]
    assert "ECN" not in notes["council"].split("person_ref_pattern =")[0]    # no reference quoted


def test__build__the_same_pattern_declared_keys_one_person_and_says_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    _, con = run_build(_inputs(tmp_path, 'person_ref_pattern = "ECN-?0*([0-9]+)"'), as_of=dt.date(2025, 6, 30))
    assert con.execute("select count(*) from etl_loads where file_note is not null").fetchall()[0][0] == 0
    people = con.execute("select count(distinct person_key) from incidents where incident_id in "
                         "('housing:H1', 'housing:H2', 'council:C1')").fetchall()[0][0]
    assert people == 1


def test__check__says_it_before_the_build(tmp_path):
    reports = {r["source"]: r for r in check.check(_inputs(tmp_path))}
    assert any("match the person_ref_pattern of source housing" in n for n in reports["council"]["notes"])
    assert not any("person_ref_pattern" in n for n in reports["housing"]["notes"])
