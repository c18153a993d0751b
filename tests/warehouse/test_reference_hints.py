"""An appeal or action plan naming its application by a reference written another way ("cr-001",
" CR-001 ", "CR 001" for CR-001) was an `unknown_application` reject saying only that the
reference is in no applications file. References are matched exactly (two registers' CR-001 and
cr-001 are not merged by guesswork); the reason now names the application it most likely means,
so whoever fixes the register sees what to write (a dash such as "CR–001" is read as "-" already,
and loads). Real builds on small registers."""

from __future__ import annotations

import pytest
from conftest import (
    APPLICATIONS_HEADER,
    CASES_TOML,
    INCIDENT_COLUMNS,
    csv_text,
    incident_row,
    run_build,
    write_inputs,
)

APPEALS_HEADER = "appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date"


def _build(tmp_path, appeal_ref_written: str):
    files = {
        "erewash/a.csv": csv_text(",".join(INCIDENT_COLUMNS), incident_row("E1", 3)),
        "applications.csv": csv_text(APPLICATIONS_HEADER,
                                     "CR-001,Erewash,ECN-E1,2025-04-01,2025-04-02,victim,not_met,2025-04-20,"
                                     "2025-04-21,,,,,",
                                     "CR-0011,Erewash,ECN-E1,2025-04-02,2025-04-03,victim,not_met,2025-04-20,"
                                     "2025-04-21,,,,,"),
        "appeals.csv": csv_text(APPEALS_HEADER, f"AP-1,{appeal_ref_written},Erewash,2025-05-01,victim,"
                                "threshold_decision,upheld,2025-05-20"),
    }
    return run_build(write_inputs(tmp_path / "in", CASES_TOML, files), tmp_path / "w.duckdb")


@pytest.mark.parametrize("written", ["cr-001", "Cr-001", "CR 001", "CR001", "CR_001", "CR.001"])
def test__unknown_application__the_reason_names_the_reference_it_likely_means(tmp_path, monkeypatch, written):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
    _, con = _build(tmp_path, written)
    reason, = con.execute("select reason from etl_rejects where reason_code = 'unknown_application'").fetchall()[0]
    assert "is not in any applications file" in reason
    assert "CR-001" in reason and "CR-0011" not in reason, reason   # the one it means, not a longer one
    assert con.execute("select count(*) from appeals").fetchall()[0][0] == 0   # still a reject: no guessing


def test__unknown_application__no_hint_for_a_reference_like_none(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
    _, con = _build(tmp_path, "XY-999")
    reason, = con.execute("select reason from etl_rejects where reason_code = 'unknown_application'").fetchall()[0]
    assert reason == "application_ref 'XY-999' is not in any applications file"
