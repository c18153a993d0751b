"""Partner values: the canonical ASB type vocabulary, unknown hate flags, and applications whose
stage dates are wrong (kept, with a data error) and the appeals that cite them."""

from __future__ import annotations

import json

import pytest
from conftest import AS_OF, run_build, write_inputs

from etl.rules import vocabulary

HEADER = "incident_ref,agency,reported_date,occurred_date,asb_category,asb_type,postcode,person_ref,is_hate"
POLICE_TOML = """
[[source]]
slug = "police"
kind = "incidents"
path = "police/*.csv"
authority = "Erewash"
[source.values.asb_type]
"Noise Nuisance" = "noise"
"Rowdy/Inconsiderate Behaviour" = "rowdy behaviour"

[[source]]
slug = "erewash"
kind = "incidents"
path = "erewash/*.csv"
authority = "Erewash"
"""


def test_vocabulary_is_closed_and_normalised():
    assert "noise" in vocabulary.ASB_TYPES and "other" in vocabulary.ASB_TYPES
    assert len(set(vocabulary.ASB_TYPES)) == len(vocabulary.ASB_TYPES)
    assert all(vocabulary.normalise(t) == t for t in vocabulary.ASB_TYPES)
    assert vocabulary.normalise("  Rowdy_  BEHAVIOUR ") == "rowdy behaviour"
    assert vocabulary.nearest("Noise Nuisance")[0] == "noise"
    assert vocabulary.nearest("Flytipping")[0] == "fly-tipping"


@pytest.fixture(scope="module")
def typed(tmp_path_factory):
    root = tmp_path_factory.mktemp("vocab")
    police = [HEADER,
              "P1,police,2025-05-01,2025-05-01,nuisance,Noise Nuisance,DE7 5RP,ECN1,",      # mapped -> noise
              "P2,police,2025-05-10,2025-05-10,nuisance,  noise  nuisance ,DE7 5RP,ECN2,",  # spaces, case
              "P3,police,2025-05-11,2025-05-11,nuisance,Car Cruising,DE7 5RP,ECN3,N",       # unmapped
              "P4,police,2025-05-12,2025-05-12,nuisance,Rowdy/Inconsiderate Behaviour,DE7 5RP,ECN4,Y",
              "P5,police,2025-05-13,2025-05-13,nuisance,Car Cruising,DE7 5RP,ECN5,",
              "P6,police,2025-05-14,2025-05-14,nuisance,,DE7 5RP,ECN6,"]                   # no type: fine
    council = [HEADER,
               "C1,council,2025-05-02,2025-05-01,nuisance,NOISE,DE7 5RP,ECN1,Y",          # same as P1: merges
               "C2,council,2025-05-10,2025-05-10,nuisance,Rowdy_Behaviour,DE7 5RP,ECN2,",  # other type: apart
               "C3,council,2025-05-20,2025-05-20,nuisance,Flytipping,DE7 5RP,ECN7,",       # unmapped
               "C4,council,2025-05-21,2025-05-21,nuisance,fly-tipping,DE7 5RP,ECN8,n"]
    inputs = write_inputs(root / "inputs", POLICE_TOML, {"police/p.csv": "\n".join(police) + "\n",
                                                         "erewash/c.csv": "\n".join(council) + "\n"})
    _, con = run_build(inputs)
    yield con
    con.close()


def test_partner_labels_map_onto_canonical_types(typed):
    types = dict(typed.execute("select source || ':' || split_part(incident_id, ':', 2), asb_type "
                               "from incidents").fetchall())
    assert types == {"police:P1": "noise", "police:P2": "noise", "police:P4": "rowdy behaviour",
                     "police:P6": None, "erewash:C2": "rowdy behaviour", "erewash:C4": "fly-tipping"}
    merged = typed.execute("select source_file, source_row from etl_merged").fetchall()
    assert merged == [("erewash/c.csv", 2)]   # C1 joined P1: same canonical type, a day apart


def test_unmapped_labels_are_rejects_naming_the_nearest_types(typed):
    rejects = typed.execute("select source_file, source_row, reason_code, reason, raw_values from etl_rejects "
                            "order by 1, 2").fetchall()
    assert [(f, r, c) for f, r, c, _, _ in rejects] == [
        ("erewash/c.csv", 4, "unmapped_value"), ("police/p.csv", 4, "unmapped_value"),
        ("police/p.csv", 6, "unmapped_value")]
    flytip = rejects[0][3]
    assert "'Flytipping'" in flytip and "nearest: fly-tipping" in flytip and "[source.values.asb_type]" in flytip
    assert "'Car Cruising'" in rejects[1][3] and "nearest:" in rejects[1][3]
    assert json.loads(rejects[1][4])["asb_type"] == "Car Cruising"   # as the partner wrote it
    reads = typed.execute("select sum(rows_read), sum(rows_loaded + rows_rejected + rows_merged) "
                          "from etl_loads").fetchall()[0]
    assert reads == (10, 10)


def test_a_blank_hate_flag_is_unknown_and_any_yes_wins(typed):
    hate = dict(typed.execute("select split_part(incident_id, ':', 2), is_hate from incidents").fetchall())
    assert hate["P1"] is True      # P1 blank, C1 (merged into it) says Y
    assert hate["P2"] is None and hate["C2"] is None and hate["P6"] is None   # nobody said
    assert hate["P4"] is True and hate["C4"] is False


APP_HEADER = ("application_ref,authority,person_ref,received_date,acknowledged_date,decision,decision_date,"
              "decision_notified_date,review_date,outcome,outcome_notified_date")
APPS_TOML = """
[[source]]
slug = "apps"
kind = "applications"
path = "apps/*.csv"

[[source]]
slug = "appeals"
kind = "appeals"
path = "appeals/*.csv"

[[source]]
slug = "erewash"
kind = "incidents"
path = "erewash/*.csv"
authority = "Erewash"
"""


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    root = tmp_path_factory.mktemp("apps")
    apps = [APP_HEADER,
            "A1,Erewash,ECN1,2025-01-06,2025-01-07,met,2025-01-10,2025-01-13,2025-14-02,pending,",  # bad review
            "A2,Erewash,ECN2,2025-01-06,2025-01-07,not_met,2099-01-10,,,,",           # decision in the future
            "A3,Erewash,ECN3,2025-02-03,2025-01-07,met,2025-01-20,2025-01-21,2025-02-10,recommendations,"
            "2025-02-12",                                                                    # decided before receipt
            "A4,Erewash,ECN4,2025-02-03,,not_met,,,,,",                                      # met/not_met, no date
            "A5,Erewash,ECN5,2025-03-03,2025-03-04,met,2025-03-10,2025-03-11,2026-12-20,pending,",  # booked meeting
            "A6,Erewash,ECN6,not a date,,pending,,,,,",                                     # no receipt: reject
            "A7,Erewash,ECN7,2025-03-03,1999-12-31,pending,,,,,"]                           # too old a stage
    appeals = ["appeal_ref,application_ref,authority,received_date,grounds,outcome",
               "X1,A6,Erewash,2025-04-01,threshold_decision,pending",
               "X2,A9,Erewash,2025-04-01,threshold_decision,pending",
               "X3,A4,Erewash,2025-04-01,threshold_decision,pending"]
    incidents = [HEADER, "E1,council,2025-05-01,2025-05-01,nuisance,noise,DE7 5RP,ECN1,"]
    inputs = write_inputs(root / "inputs", APPS_TOML, {"apps/a.csv": "\n".join(apps) + "\n",
                                                       "appeals/x.csv": "\n".join(appeals) + "\n",
                                                       "erewash/e.csv": "\n".join(incidents) + "\n"})
    _, con = run_build(inputs, as_of=AS_OF)
    yield con
    con.close()


def test_bad_stage_dates_keep_the_application_with_a_data_error(cases):
    loaded = {r[0] for r in cases.execute("select application_ref from applications").fetchall()}
    assert loaded == {"A1", "A2", "A3", "A4", "A5", "A7"}
    errors = dict(cases.execute("select application_ref, data_errors from mart_review_turnaround").fetchall())
    assert "review_date '2025-14-02' is not a valid date" in errors["A1"]
    assert "decision_date 2099-01-10 is in the future" in errors["A2"]
    assert "decision_date 2025-01-20 is before received_date 2025-02-03" in errors["A3"]
    assert "acknowledged_date 2025-01-07 is before received_date" in errors["A3"]
    assert "no decision_date" in errors["A4"]
    assert errors["A5"] is None            # a review meeting booked ahead is not an error
    assert "acknowledged_date '1999-12-31' reads as 1999-12-31 (format iso), before 2000-01-01" in errors["A7"]
    review = cases.execute("select review_date from applications where application_ref = 'A1'").fetchall()
    assert review == [(None,)]


def test_applications_with_bad_stage_dates_still_count_in_the_statutory_return(cases):
    received = cases.execute("select sum(applications_received) from mart_statutory_returns "
                             "where authority_code = 'E07000036'").fetchall()[0][0]
    assert received == 6


def test_an_appeal_on_a_rejected_application_says_so(cases):
    reasons = dict(cases.execute("select json_extract_string(raw_values, '$.appeal_ref'), reason "
                                 "from etl_rejects where kind = 'appeals'").fetchall())
    assert set(reasons) == {"X1", "X2"}
    assert "application_ref 'A6' was rejected (apps/a.csv row 7: received_date 'not a date'" in reasons["X1"]
    assert reasons["X2"] == "application_ref 'A9' is not in any applications file"
    assert cases.execute("select appeal_ref from appeals").fetchall() == [("X3",)]


def test_rows_kept_with_a_date_error_are_counted_for_the_data_quality_page(cases):
    from insight.queries import quality

    kept = quality.kept_with_errors(cases)
    assert kept[["source", "kind", "rows_kept"]].values.tolist() == [["apps", "applications", 3]]
    assert "is not a valid date" in kept["example"].iloc[0] or "is in the future" in kept["example"].iloc[0] \
        or "before 2000" in kept["example"].iloc[0]
