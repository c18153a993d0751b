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
    INCIDENT_COLUMNS,
    incident_row,
    run_build,
    text_holding,
    write_inputs,
)

TOML = """
[[source]]
slug = "case-reviews"
kind = "applications"
path = "applications.csv"

[[source]]
slug = "opcc-appeals"
kind = "appeals"
path = "appeals.csv"
[source.gates]
reject_share = "warn"

[[source]]
slug = "action-plans"
kind = "actions"
path = "actions.csv"
[source.gates]
reject_share = "warn"

[[source]]
slug = "erewash-council"
kind = "incidents"
path = "erewash/*.csv"
authority = "E07000036"
"""
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
