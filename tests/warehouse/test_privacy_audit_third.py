"""Personal data that still reached the warehouse or `asb check` (the personal-data audit of
8 December 2026, black-box, from the brief's rule alone: names, contacts and house numbers never
reach the warehouse):

- a forename next to a quote ("'rang Sandra'", "['Cases for Sandra']") was never taken for a
  name, and every message that quotes a value in quotes kept it: an application's stage date's
  error (shown on the turnaround page), an incident's date error, a reject's reason, a workbook's
  sheet names in a file's error;
- a name written surname first in capitals ("WHITTAKER Shaun") kept the surname, in free text, a
  case reference and a file's name;
- an export's footer row ("Report run by Gary Thompson on 01/07/2025 09:14") in the reference
  column was kept as sent in the reject's raw values (a row's own key was never scrubbed there);
- `asb check` printed a label's closed-list form ("jane_doe_[phone]") beside its scrubbed text.
"""

from __future__ import annotations

import pytest
from conftest import (
    APPLICATIONS_HEADER,
    EREWASH_TOML,
    INCIDENT_COLUMNS,
    REGISTERS_TOML,
    incident_row,
    run_build,
    text_holding,
    write_inputs,
)
from support import workbook_bytes

from etl.sources import check

WARN = '[source.gates]\nreject_share = "warn"\nunreadable_file = "warn"\n'
HOUSING_TOML = '\n[[source]]\nslug = "housing"\nkind = "incidents"\npath = "housing/*.xlsx"\nsheet = "ASB Cases"\n'
PIECES = ("sandra", "gary", "thompson", "whittaker", "shaun", "priya", "quixley")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("pii3")
    incidents = [",".join(INCIDENT_COLUMNS),
                 incident_row("E1", 3, location_desc="lad known as 'Gary' on the green"),
                 incident_row("E2", 4, location_desc="Nominal WHITTAKER Shaun seen on bike"),
                 incident_row("E3", 5, is_hate="Y per Sandra"),
                 incident_row("E4", 6, reported_date="'Priya told by phone'"),
                 "Report run by Gary Thompson on 01/07/2025 09:14" + "," * (len(INCIDENT_COLUMNS) - 1)]
    applications = [APPLICATIONS_HEADER,
                    "CT-1,Erewash,P1,2025-05-01,2025-05-02,victim,met,2025-05-05,letter returned - rang Sandra,,,,,"]
    inputs = write_inputs(root / "in", REGISTERS_TOML + WARN + EREWASH_TOML + WARN + HOUSING_TOML + WARN, {
        "applications.csv": "\n".join(applications) + "\n",
        "appeals.csv": "appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date\n",
        "erewash/a.csv": "\n".join(incidents) + "\n",
        "erewash/WHITTAKER Shaun complaints.csv": "\n".join(incidents[:2]).replace("E1", "W1") + "\n",
        "housing/cases.xlsx": workbook_bytes({"THOMPSON Gary": [], "Cases for Sandra": []})})
    _, con = run_build(inputs)
    yield con
    con.close()


def test__warehouse__no_planted_name_anywhere(built):
    assert text_holding(built, PIECES) == []


def test__warehouse__the_rows_are_still_there_with_their_reasons(built):
    """The scrub removes the names, not the rows nor what is said of them."""
    errors = built.execute("select date_errors from applications where application_ref = 'CT-1'").fetchall()
    assert errors == [("decision_notified_date 'letter returned - rang [name]' is not a valid date (format iso)",)], \
        errors
    reasons = dict(built.execute("select reason_code, count(*) from etl_rejects group by 1").fetchall())
    assert reasons.get("bad_date", 0) >= 1 and reasons.get("bad_value", 0) >= 1, reasons
    footer = built.execute("select raw_values from etl_rejects where source_file = 'erewash/a.csv' "
                           "and source_row = 6").fetchall()
    assert len(footer) == 1 and "Report run by [name] on" in footer[0][0], footer
    error = built.execute("select file_error from etl_loads where file_error is not null").fetchall()
    assert error and "[name]" in error[0][0], error


def test__asb_check__a_label_s_closed_list_form_is_shown_from_its_scrubbed_text(tmp_path):
    toml = ('[[source]]\nslug = "plans"\nkind = "actions"\npath = "plans/*.csv"\n')
    header = "action_ref,application_ref,authority,agency,action_type,agreed_date,due_date,completed_date,status"
    inputs = write_inputs(tmp_path / "in", toml, {"plans/a.csv": "\n".join([
        header, "A1,CT-1,Erewash,Jane Quixley 07700 900703,mediation,2025-05-10,2025-07-10,,",
        "A2,CT-1,Erewash,council,mediation,2025-05-10,2025-07-10,,open - PCSO Quixley 07700 900704"]) + "\n"})
    reports = check.check(inputs)
    text = check.render(reports) + repr(reports)
    assert not [p for p in PIECES + ("900703", "900704") if p in text.lower()], text
    # the label and what it reads as are still shown, from the scrubbed text
    assert "[name] [phone] -> [name]_[phone]" in text and "open - [name] [phone] -> open___[name]_[phone]" in text, text
