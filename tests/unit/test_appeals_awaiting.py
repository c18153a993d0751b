"""Which OPCC cases are "awaiting the bodies" (README "Appeals and PCC reviews"): only a case the
OPCC decided, by the as-of date, and referred back, with no result yet. A pending appeal, a
withdrawn one and one decided without a referral were never sent back: their referral_result is
null and they count nowhere in the referral columns, in the stored mart and in its SQL run live for
another as-of date (the Appeals page's table by type reads them).
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import CASES_TOML, INCIDENT_COLUMNS, build_module_warehouse, write_inputs

from insight import db
from insight.queries import appeals as q

D = dt.date
AS_OF = D(2025, 6, 30)
EREWASH = ("E07000036",)
APPLICATIONS = """application_ref,authority,person_ref,received_date,decision,decision_date,decision_notified_date
A1,Erewash,P1,2025-04-01,not_met,2025-04-08,2025-04-09
A2,Erewash,P2,2025-04-01,not_met,2025-04-08,2025-04-09
"""
APPEALS = """appeal_ref,application_ref,authority,received_date,grounds,outcome,decision_date,review_type,referred_back,referral_result
PENDING,A1,Erewash,2025-05-01,threshold_decision,pending,,pcc_review,,
WITHDRAWN,A2,Erewash,2025-05-02,threshold_decision,withdrawn,,appeal,,
WITHDRAWN-DATED,A2,Erewash,2025-05-02,threshold_decision,withdrawn,2025-05-09,appeal,,
NOT-UPHELD,A2,Erewash,2025-05-05,threshold_decision,not_upheld,2025-05-20,appeal,N,
BACK,A1,Erewash,2025-05-06,threshold_decision,upheld,2025-05-21,pcc_review,Y,
BACK-LATER,A2,Erewash,2025-05-07,threshold_decision,upheld,2025-06-25,appeal,Y,
PENDING-DATED,A1,Erewash,2025-05-08,threshold_decision,pending,2025-05-20,appeal,,
RESULT-NOT-BACK,A2,Erewash,2025-05-09,threshold_decision,not_upheld,2025-05-22,appeal,N,threshold_met
WITHDRAWN-BACK,A2,Erewash,2025-05-09,threshold_decision,withdrawn,2025-05-22,appeal,Y,
"""
TOML = CASES_TOML
# (referred_back, referral_result) as of 30 June, and as of 10 June (BACK-LATER not decided yet)
# a withdrawn or pending case was not decided by the OPCC, whatever dates the register gives it
# (audit, 5 December 2026: a withdrawn one with a decision date was "not referred back")
EXPECTED = {"PENDING": (None, None), "WITHDRAWN": (None, None), "WITHDRAWN-DATED": (None, None),
            "NOT-UPHELD": (False, None), "BACK": (True, "pending"), "BACK-LATER": (True, "pending"),
            "PENDING-DATED": (None, None), "RESULT-NOT-BACK": (False, None), "WITHDRAWN-BACK": (None, None)}
EXPECTED_EARLIER = {**EXPECTED, "BACK-LATER": (None, None)}


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    incident = {"incident_ref": "C1", "agency": "council", "reported_date": "2025-06-30",
                "asb_category": "personal", "asb_type": "noise", "postcode": "NG10 1AA", "person_ref": "P1"}
    inputs = write_inputs(tmp_path_factory.mktemp("awaiting") / "inputs", TOML, {
        "erewash/e.csv": ",".join(INCIDENT_COLUMNS) + "\n" + ",".join(incident.get(c, "") for c in INCIDENT_COLUMNS)
        + "\n", "applications.csv": APPLICATIONS, "appeals.csv": APPEALS})
    connection = db.connect(build_module_warehouse(inputs, AS_OF))  # read-only, as the dashboard opens it
    yield connection
    connection.close()


def _followed(con, as_of: dt.date) -> dict:
    """appeal_ref -> (referred_back, referral_result) of mart_appeals as the pages read it on `as_of`."""
    relation = q._appeals(con, as_of)
    rows = con.execute(f"select appeal_ref, referred_back, referral_result from {relation}",
                       {"as_of": as_of} if "$as_of" in relation else {}).fetchall()
    return {ref: (back, result) for ref, back, result in rows}


def test__appeals__only_a_case_referred_back_awaits_the_bodies(con):
    assert _followed(con, AS_OF) == EXPECTED


def test__appeals__live_on_an_earlier_date_an_undecided_case_awaits_nothing(con):
    assert _followed(con, D(2025, 6, 10)) == EXPECTED_EARLIER


@pytest.mark.parametrize(("as_of", "awaiting", "referred"), [(AS_OF, 2, 2), (D(2025, 6, 10), 1, 1)])
def test__appeals__by_review_type_counts_awaiting_the_bodies(con, as_of, awaiting, referred):
    table = q.by_review_type(con, as_of, EREWASH, D(2025, 4, 1), as_of).set_index("review_type")
    assert int(table["awaiting_bodies"].sum()) == awaiting
    assert int(table["referred_back"].sum()) == referred
    assert int(table.loc["pcc_review", "awaiting_bodies"]) == 1  # BACK, not PENDING


@pytest.mark.parametrize(("ref", "error"), [
    ("PENDING-DATED", 'outcome "pending" but decision_date 2025-05-20'),
    ("RESULT-NOT-BACK", 'referral result "threshold met" recorded, but the case was not referred back'),
    ("WITHDRAWN-BACK", 'referred back, but the outcome is "withdrawn"'),
])
def test__appeals__a_register_that_contradicts_itself_is_a_data_error(con, ref, error):
    [(errors,)] = con.execute("select data_errors from mart_appeals where appeal_ref = ?", [ref]).fetchall()
    assert error in errors
