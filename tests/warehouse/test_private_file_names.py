"""A partner's file named after a person ("Complaints Mrs Patel 07700 900218.csv", a folder named
by an e-mail address): before, that name was in `source_file` of incidents, incident_reports,
etl_loads, etl_rejects and etl_scrubbed, shown on the Data quality page to every role (the
partner-file audit of 6 December 2026). Now the warehouse records such a file under its name with
the personal data taken out and a short tag of the name it had, so two such files never share a
name, and the file's note asks the partner to rename it. The file still loads; other names, the
demo's and police.uk's, are recorded as sent."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, TEST_KEY, run_build, text_holding, write_inputs

from etl.sources import config

FORBIDDEN = ("patel", "900218", "900219", "jane.doe", "jane doe", "5rp")


def _row(ref: str) -> str:
    return ",".join([ref, "council", "", "2025-03-03", "", "personal", "noise", "", "", "", "",
                     "DE7 5RP", "Market Place", "ECN-1", "individual", "N"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    head = ",".join(INCIDENT_COLUMNS)
    files = {"erewash/Complaints Mrs Patel 07700 900218.csv": f"{head}\n{_row('A1')}\n{_row('A2')},bad\n",
             "erewash/Complaints Mrs Patel 07700 900219.csv": f"{head}\n{_row('A3')}\n",
             "erewash/jane.doe@erewash.gov.uk/export.csv": f"{head}\n{_row('A4')}\n",
             "erewash/Complaints DE7 5RP.csv": f"{head}\n{_row('A5')}\n",
             "erewash/ASB_Export_2025.csv": f"{head}\n{_row('A6')}\n"}
    toml = EREWASH_TOML.replace('path = "erewash/*.csv"', 'path = "erewash/**/*.csv"')
    inputs = write_inputs(root / "in", toml, files)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
        _, con = run_build(inputs, as_of=dt.date(2025, 3, 31))
    return con


def test__build__no_personal_data_of_a_file_s_name_reaches_any_table(built):
    assert text_holding(built, FORBIDDEN) == []


def test__build__such_a_file_still_loads_under_a_name_of_its_own_with_a_note(built):
    loads = built.execute("select source_file, rows_read, rows_loaded, rows_rejected, file_note from etl_loads "
                          "order by 1").fetchall()
    names = [n for n, *_ in loads]
    assert len(set(names)) == 5
    assert "erewash/ASB_Export_2025.csv" in names
    renamed = [row for row in loads if row[0] != "erewash/ASB_Export_2025.csv"]
    assert all(" (renamed " in n and n.endswith(".csv") for n, *_ in renamed), names
    assert sorted(r[1:4] for r in renamed) == [(1, 1, 0), (1, 1, 0), (1, 1, 0), (2, 1, 1)]
    for _, _, _, _, note in renamed:
        assert note.startswith("the file's name holds personal data, so the warehouse records it without it: "
                               "rename the file"), note
    # each row names its file by that name, as etl_loads does
    assert {f for (f,) in built.execute("select distinct source_file from incident_reports").fetchall()} == set(names)
    assert built.execute("select count(*) from etl_rejects where source_file in (select source_file from etl_loads)"
                         ).fetchall()[0][0] == 1


def test__display_path__other_names_are_as_sent(tmp_path):
    cfg = config.BuildConfig(inputs=tmp_path, sources=())
    for name in ("policeuk/2023-04-derbyshire-street.csv", "bolsover/ASB_Export_2026.csv",
                 "trent_peak_homes/TPH_ASB_cases_2026.xlsx", "x/Dean Street cases.csv", "x/Victoria Park.csv",
                 "x/Jan-Mar 2025 Erewash.csv", "district_case_reviews/ASB Case Reviews 2025.csv"):
        assert cfg.display_path(tmp_path / name) == name
