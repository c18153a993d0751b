"""Partner files as they really arrive (issue 12), through the real build: time zones, person
references typed several ways, value maps that ignore case and spaces, the as-of default and the
pseudonymisation key made on the first build."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, run_build, write_inputs

from etl import build
from etl.transform import pseudonym

HEADER, TOML = ",".join(INCIDENT_COLUMNS), EREWASH_TOML


def _row(ref: str, reported: str, person: str = "ECN-1", category: str = "personal", occurred: str = "") -> str:
    return f"{ref},council,,{reported},{occurred},{category},noise,,,,,NG10 1AA,,{person},individual,N"


@pytest.mark.parametrize(("reported", "day"), [
    ("2025-03-31T23:30:00Z", dt.date(2025, 4, 1)),        # 00:30 BST: April, and the next financial year
    ("2025-03-31T22:30:00Z", dt.date(2025, 3, 31)),
    ("2025-03-31T20:30:00-05:00", dt.date(2025, 4, 1)),
    ("2025-10-25T23:30:00Z", dt.date(2025, 10, 26)),
    ("2025-01-31T23:30:00Z", dt.date(2025, 1, 31)),       # GMT: the same day
])
def test__build__timestamps_with_a_zone_fall_on_the_day_in_england(tmp_path, reported, day):
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/e.csv": f"{HEADER}\n{_row('A1', reported)}\n"})
    _, con = run_build(inputs, as_of=dt.date(2025, 12, 31))
    assert con.execute("select reported_date, occurred_date from incidents").fetchall() == [(day, day)]


def test__build__a_source_time_zone_for_timestamps_without_one(tmp_path):
    toml = TOML + 'timezone = "UTC"\n'
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/e.csv": f"{HEADER}\n{_row('A1', '2025-06-30 23:30:00')}\n"})
    _, con = run_build(inputs, as_of=dt.date(2025, 12, 31))
    assert con.execute("select reported_date from incidents").fetchall() == [(dt.date(2025, 7, 1),)]


@pytest.mark.parametrize(("extra", "reported"), [
    ('date_format = "%d/%m/%Y %H:%M"\n', "30/06/2025 23:30"),   # a declared format with a time
    ('date_format = "%d/%m/%Y"\n', "30/06/2025 23:30"),         # a day format followed by a time
    ('date_format = "excel"\n', "45838.979166"),                # an Excel serial with a time
    ("", "2025-06-30 23:30:00 UTC"),                             # the zone named after the time
])
def test__build__a_source_time_zone_whatever_reads_the_time(tmp_path, extra, reported):
    """An evening UTC time in British Summer Time is the next day in England, however the
    source writes it (the issue: UTC dates on the wrong day)."""
    toml = TOML + 'timezone = "UTC"\n' + extra
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/e.csv": f"{HEADER}\n{_row('A1', reported)}\n"})
    _, con = run_build(inputs, as_of=dt.date(2025, 12, 31))
    assert con.execute("select reported_date from incidents").fetchall() == [(dt.date(2025, 7, 1),)]


def test__build__person_references_typed_differently_are_one_person(tmp_path):
    rows = [_row("A1", "2025-03-01", "ECN00540"), _row("A2", "2025-03-05", "ECN-00540"),
            _row("A3", "2025-03-09", " ecn 00540 ")]
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/e.csv": "\n".join([HEADER, *rows]) + "\n"})
    _, con = run_build(inputs)
    assert con.execute("select count(distinct person_key), count(*) from incidents").fetchall() == [(1, 3)]
    assert con.execute("select qualifying_complaints, is_threshold_met from mart_threshold_status").fetchall() == [
        (3, True)]


def test__build__a_placeholder_for_nobody_is_an_anonymous_report(tmp_path):
    """'N/A', 'Unknown', 'anon' in the person column name nobody: three such reports are three
    anonymous reports, never one person at the threshold."""
    rows = [_row("A1", "2025-03-01", "N/A"), _row("A2", "2025-03-05", "unknown"), _row("A3", "2025-03-09", "n/a"),
            _row("A4", "2025-03-10", "ECN-7")]
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/e.csv": "\n".join([HEADER, *rows]) + "\n"})
    _, con = run_build(inputs)
    assert con.execute("select count(*) filter (where person_key is null), count(*) from incidents").fetchall() == [
        (3, 4)]
    assert con.execute("select count(*) from mart_threshold_status").fetchall() == [(1,)]


def test__build__a_declared_person_ref_pattern_drops_what_does_not_name_the_person(tmp_path):
    toml = TOML + 'person_ref_pattern = "ECN-?0*([0-9]+)"\n'
    rows = [_row("A1", "2025-03-01", "ECN00540"), _row("A2", "2025-03-05", "ECN-540")]
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/e.csv": "\n".join([HEADER, *rows]) + "\n"})
    _, con = run_build(inputs)
    assert con.execute("select count(distinct person_key) from incidents").fetchall() == [(1,)]


def test__build__value_maps_ignore_case_and_spaces(tmp_path):
    toml = TOML + '[source.values.asb_category]\n"Personal (targeted)" = "personal"\n"ASBN" = "nuisance"\n'
    rows = [_row("A1", "2025-03-01", category="personal  (TARGETED) "), _row("A2", "2025-03-02", category="asbn "),
            _row("A3", "2025-03-03", category="Asbn")]
    inputs = write_inputs(tmp_path / "in", toml, {"erewash/e.csv": "\n".join([HEADER, *rows]) + "\n"})
    _, con = run_build(inputs)
    assert con.execute("select asb_category, count(*) from incidents group by all order by all").fetchall() == [
        ("nuisance", 2), ("personal", 1)]
    assert con.execute("select count(*) from etl_rejects").fetchall() == [(0,)]


def test__build__without_as_of_evaluates_on_the_latest_data_date(tmp_path):
    rows = [_row("A1", "2024-10-01"), _row("A2", "2024-11-20"), _row("A3", "2024-11-28")]
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/e.csv": "\n".join([HEADER, *rows]) + "\n"})
    result = build.build(inputs, tmp_path / "w.duckdb")
    assert result.as_of == dt.date(2024, 11, 28) and result.as_of_is_latest_data
    import duckdb
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("select as_of_date from etl_builds").fetchall() == [(dt.date(2024, 11, 28),)]
    # the marts are not empty although the data is old: three complaints in six months
    assert con.execute("select is_threshold_met from mart_threshold_status").fetchall() == [(True,)]


def test__build__makes_a_key_on_the_first_build_and_reuses_it(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(pseudonym.ENV_VAR, raising=False)
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/e.csv": f"{HEADER}\n{_row('A1', '2025-03-01')}\n"})
    first = build.build(inputs, tmp_path / "out" / "w.duckdb", dt.date(2025, 6, 30))
    key = tmp_path / "out" / "secrets" / "pseudonym.key"
    assert key.exists() and oct(key.stat().st_mode)[-3:] == "600"
    assert not str(key).startswith(str(inputs)) and any("back it up" in n for n in first.notes)
    second = build.build(inputs, tmp_path / "out" / "w.duckdb", dt.date(2025, 6, 30))
    assert second.notes == [] and second.load_id == first.load_id
    import duckdb
    con = duckdb.connect(str(tmp_path / "out" / "w.duckdb"), read_only=True)
    stored = con.execute("select person_key from incidents").fetchall()[0][0]
    assert stored == pseudonym.person_key(key.read_text().strip().encode(), "ECN-1")
    assert os.environ.get(pseudonym.ENV_VAR) is None
