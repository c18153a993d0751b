"""Personal data that still reached the warehouse (the personal-data audit of 7 December 2026,
black-box, from the brief's rule alone: names, contacts and house numbers never reach it):

- an appeal's or an action plan's application reference that names no loaded application was
  quoted as sent in its `unknown_application` reject (reason and raw values): the reasons of that
  check were written after the staged rows were scrubbed;
- a phone number written in its groups beside another number ("call 07700 900501 2 days ago")
  was kept whole in free text and in reject reasons (tests/unit/test_scrub_spaced_phones.py);
- the inputs folder's path was recorded as given in etl_builds.inputs_path (a folder named after
  a person and their number).
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

WARN = '[source.gates]\nreject_share = "warn"\n'   # most rows here are planted problems
TOML = (REGISTERS_TOML + WARN + '\n[[source]]\nslug = "action-plans"\nkind = "actions"\npath = "actions.csv"\n' + WARN
        + EREWASH_TOML)
PLANTED = ["Mrs Quixtonbury 07700 900530", "zed.quix531@example.org", "17 Larkspur Crescent",
           "Quixtonbury, 07700 900532 2", "ring 07700 900533 07700 900534"]
PIECES = ("quixtonbury", "900530", "zed.quix", "larkspur", "900532", "900533", "900534", "900501", "900502",
          "900535")
APPEALS_HEADER = "appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date"
ACTIONS_HEADER = "action_ref,application_ref,authority,agency,action_type,agreed_date,due_date,completed_date,status"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("pii") / "Mrs Quixtonbury 07700 900535"
    appeals = [APPEALS_HEADER, "AP-1,CT-1,Erewash,2025-04-01,victim,review_process,upheld,2025-04-20"] + [
        f'AP-{n},"{ref}",Erewash,2025-04-01,victim,review_process,upheld,2025-04-20' for n, ref in enumerate(PLANTED, 2)]
    actions = [ACTIONS_HEADER, "ACT-1,CT-1,,council,mediation,2025-02-03,2025-03-03,,"] + [
        f'ACT-{n},"{ref}",,council,mediation,2025-02-03,2025-03-03,,' for n, ref in enumerate(PLANTED, 2)]
    incidents = [",".join(INCIDENT_COLUMNS), incident_row("E1", 3, location_desc="call 07700 900501 2 days ago"),
                 incident_row("E2", 4, location_desc="ring 07700 900502 12:30"),
                 incident_row("E3", 5, agency="ring 07700 900530 2 days")]
    inputs = write_inputs(root, TOML, {
        "applications.csv": "\n".join([APPLICATIONS_HEADER,
                                       "CT-1,Erewash,P1,2025-01-06,,,pending,,,,,,,"]) + "\n",
        "appeals.csv": "\n".join(appeals) + "\n", "actions.csv": "\n".join(actions) + "\n",
        "erewash/a.csv": "\n".join(incidents) + "\n"})
    _, con = run_build(inputs)
    yield con
    con.close()


def test__unknown_applications__the_reference_quoted_is_scrubbed(built):
    rejects = built.execute("select kind, source_row, reason_code, reason from etl_rejects "
                            "where reason_code = 'unknown_application' order by 1, 2").fetchall()
    assert [(k, row) for k, row, _, _ in rejects] == [(k, n) for k in ("actions", "appeals") for n in range(3, 8)]
    assert all("[" in reason for *_, reason in rejects), rejects   # each says what it was: [name], [email] ...


def test__no_planted_personal_data_anywhere(built):
    assert text_holding(built, PIECES) == []
    [(path,)] = built.execute("select inputs_path from etl_builds").fetchall()
    assert "900535" not in path and "quixtonbury" not in path.lower(), path


def test__check__a_label_s_normalised_value_is_scrubbed_as_the_label_is(tmp_path):
    """`asb check` printed a label outside its list scrubbed, and beside it the value after
    normalising, its words joined by underscores, whole: "visit [name] [phone] at [address] ->
    visit_[name]_[phone]_at_17_larkspur_crescent"."""
    import json

    from etl.sources import check

    label = "visit Mrs Quixtonbury 07700 900453 at 17 Larkspur Crescent"
    inputs = write_inputs(tmp_path / "in", TOML, {"erewash/a.csv": "\n".join([
        ",".join(INCIDENT_COLUMNS), incident_row("E1", 3, asb_type=label, victim_type=label)]) + "\n"})
    text = json.dumps(check.check(inputs, "erewash-council")).lower()
    assert not [p for p in ("quixtonbury", "900453", "larkspur") if p in text], text


INCIDENTS_TOML = EREWASH_TOML + WARN
PERSONAL_REFS = ["Flat 3, 21 Larkspur Crescent", "JT123456D", "jt 12 34 56 c", "AB12 CDE", "ab12-cde", "DE7 5HQ",
                 "de75hq", "J Quixtonbury DOB 22/03/1985", "17 Larkspur Crescent"]
PARTNER_REFS = ["AV 2025 00017", "INC-20250701-00001", "HP-0123-456789", "CT-0001", "AV-2024-196925", "EBC 17 2025",
                "ASB/2025/0017", "CR 2025 17", "AB12CDE1", "2025 Street Crime 12"]


def test__keys__an_address_birth_date_ni_number_registration_or_postcode_is_a_personal_key(tmp_path):
    """A reference holding an address, a date of birth, a National Insurance number, a registration
    or a full postcode was stored as sent (incident_id, report_id, the threshold's tables); it is a
    `personal_key` reject, as one holding an e-mail or a phone number was. Partners' reference
    shapes still load."""
    refs = PERSONAL_REFS + PARTNER_REFS
    rows = [",".join(INCIDENT_COLUMNS)] + [incident_row(f'"{ref}"', 1 + n % 27, person_ref=f"P{n}") for n, ref in enumerate(refs)]
    inputs = write_inputs(tmp_path / "in", INCIDENTS_TOML, {"erewash/a.csv": "\n".join(rows) + "\n"})
    _, con = run_build(inputs)
    rejected = {row for (row,) in con.execute(
        "select source_row from etl_rejects where reason_code = 'personal_key'").fetchall()}
    assert rejected == set(range(2, 2 + len(PERSONAL_REFS))), con.execute(
        "select source_row, reason_code, reason from etl_rejects").fetchall()
    loaded = {ref for (ref,) in con.execute("select split_part(report_id, ':', 2) from incident_reports").fetchall()}
    assert loaded == set(PARTNER_REFS), loaded
    assert text_holding(con, ("larkspur", "jt123456d", "jt 12 34", "ab12 cde", "ab12-cde", "de7 5hq", "de75hq",
                              "quixtonbury")) == []
