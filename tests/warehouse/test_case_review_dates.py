"""Case review registers read at a date inside their cases' lives: a build as of D equals the marts
evaluated live on D from a later build, and a case's later events (a decision letter replaced after
a referral back, an outcome letter, an appeal's decision, an action agreed or completed later) are
"not happened yet" on D, never a reject and never counted early.

Registers (Erewash unless said; working days in England):

    T-DUEDAY  met; review meeting Tue 30 Jun 2026, outcome letter Tue 7 Jul; plan agreed 30 Jun
    T-REF     first not met (its letter is not in the register), appealed 15 Jun (AP-REF), upheld
              6 Jul and referred back; the register now shows the new decision: met 13 Jul, told 14 Jul
    D-NM      Derby, not met; PCC review PR-D upheld 6 Jul and referred back to Derby; the same
              person then applies to Erewash (E-P11), decided met 10 Aug: Erewash's case, not Derby's
    PL        a plan of two recommendations, one action agreed 1 Jun, the other 15 Jul
    W-DATED   withdrawn, with a decision date; P-DATED still pending, with one: no threshold decision
    W-LATER   received 15 Jun, withdrawn 20 Jul: on 1 Jul an open case awaiting its decision
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import REGISTERS_TOML, build_module_warehouse, write_inputs

from etl.marts import registry
from insight import db

D = dt.date
LATE, EARLY = D(2026, 11, 30), D(2026, 7, 1)
TOML = REGISTERS_TOML + """
[[source]]
slug = "action-plans"
kind = "actions"
path = "actions.csv"
"""
APPLICATIONS = """application_ref,authority,person_ref,received_date,acknowledged_date,threshold_route,decision,decision_date,decision_notified_date,review_date,outcome,recommendations_count,outcome_notified_date
T-DUEDAY,Erewash,P2,2026-05-18,2026-05-19,victim,met,2026-06-02,2026-06-02,2026-06-30,recommendations,2,2026-07-07
T-REF,Erewash,P9,2026-06-01,2026-06-02,victim,met,2026-07-13,2026-07-14,2026-08-03,no_further_action,0,2026-08-06
D-NM,Derby,P11,2026-06-01,2026-06-02,victim,not_met,2026-06-08,2026-06-09,,,,
E-P11,Erewash,P11,2026-08-03,2026-08-04,victim,met,2026-08-10,2026-08-11,2026-09-01,no_further_action,0,2026-09-03
PL,Erewash,Q4,2026-05-04,2026-05-05,victim,met,2026-05-11,2026-05-12,2026-06-01,recommendations,2,2026-06-05
W-DATED,Erewash,Q3,2026-09-01,2026-09-02,victim,withdrawn,2026-10-30,2026-11-02,,,,
P-DATED,Erewash,Q5,2026-09-01,2026-09-02,victim,pending,2026-10-30,,,,,
W-LATER,Erewash,Q6,2026-06-15,2026-06-16,victim,withdrawn,2026-07-20,,,,,
"""
APPEALS = """appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date,review_type,referred_back
AP-REF,T-REF,Erewash,2026-06-15,victim,threshold_decision,upheld,2026-07-06,appeal,Y
PR-D,D-NM,Derby,2026-06-15,victim,threshold_decision,upheld,2026-07-06,pcc_review,Y
"""
ACTIONS = """action_ref,application_ref,authority,agency,action_type,agreed_date,due_date,completed_date,status
ACT-1,T-DUEDAY,Erewash,council,mediation,2026-06-30,2026-11-27,,open
ACT-2,T-DUEDAY,Erewash,police,enforcement_patrols,2026-06-30,2026-07-31,2026-07-20,completed
PL-1,PL,Erewash,council,mediation,2026-06-01,2026-07-01,,open
PL-2,PL,Erewash,police,enforcement_patrols,2026-07-15,2026-08-14,,open
"""
MARTS = ("mart_appeals", "mart_retriggers", "mart_actions", "mart_review_turnaround")


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    files = {"applications.csv": APPLICATIONS, "appeals.csv": APPEALS, "actions.csv": ACTIONS}
    late, early = (db.connect(build_module_warehouse(
        write_inputs(tmp_path_factory.mktemp(f"case-dates-{as_of}") / "inputs", TOML, files), as_of))
        for as_of in (LATE, EARLY))
    yield late, early
    late.close()
    early.close()


def _rows(frame: pd.DataFrame, key: str) -> dict:
    return {r[key]: r for r in frame.to_dict("records")}


def test__appeals__a_decision_made_after_a_referral_back_is_its_result_not_the_letter_appealed(warehouses):
    late, _ = warehouses
    appeals = _rows(late.execute("select * from mart_appeals").df(), "appeal_ref")
    ref = appeals["AP-REF"]
    assert (ref["referral_result"], ref["referral_result_source"]) == ("threshold_met", "applications")
    assert not ref["is_flagged"] and not ref["flags"], ref["flags"]
    assert not ref["data_errors"], ref["data_errors"]
    assert pd.isna(ref["notice_date"])   # the letter appealed against was replaced: not in the register


def test__appeals__a_referral_back_is_followed_in_its_own_authority_only(warehouses):
    late, _ = warehouses
    pr = _rows(late.execute("select * from mart_appeals").df(), "appeal_ref")["PR-D"]
    assert pr["authority_code"] == "E06000015"
    assert pr["referral_result"] == "pending" and pd.isna(pr["referral_result_source"])
    assert pd.isna(pr["referral_result_date"])


@pytest.mark.parametrize("mart", MARTS)
def test__cases__a_build_on_a_date_equals_the_marts_evaluated_on_it(warehouses, mart):
    """Nothing the register says of a case's later life is a reject at an earlier as-of date."""
    late, early = warehouses
    built = early.execute(f"select * exclude (as_of_date) from {mart}").df()
    live = registry.evaluate(late, mart, EARLY).drop(columns="as_of_date")
    key = list(built.columns[:2])
    norm = lambda f: f.sort_values(key).reset_index(drop=True).astype(object).where(f.notna(), None)  # noqa: E731
    pd.testing.assert_frame_equal(norm(built), norm(live[built.columns]), check_dtype=False)
    # only the cases that began after the date are rejects (received or agreed later)
    rejects = early.execute("select kind, source_row, reason from etl_rejects").fetchall()
    assert {(kind, reason.split()[0]) for kind, _, reason in rejects} == {
        ("applications", "received_date"), ("actions", "agreed_date")}, rejects


def test__appeals__decided_after_the_as_of_date_are_pending_then(warehouses):
    _, early = warehouses
    appeals = _rows(early.execute("select * from mart_appeals").df(), "appeal_ref")
    assert {ref: (r["outcome"], bool(r["is_open"])) for ref, r in appeals.items()} == {
        "AP-REF": ("pending", True), "PR-D": ("pending", True)}


def test__retriggers__a_review_held_by_the_date_counts_before_its_outcome_letter(warehouses):
    _, early = warehouses
    rows = _rows(early.execute("select * from mart_retriggers").df(), "application_ref")
    assert set(rows) == {"T-DUEDAY", "PL"}
    assert rows["T-DUEDAY"]["outcome_date"].date() == D(2026, 6, 30)   # the meeting: the letter is later


def test__actions__a_plan_holds_the_actions_agreed_by_the_date(warehouses):
    late, early = warehouses
    on_early = _rows(early.execute("select * from mart_actions").df(), "action_ref")
    assert set(on_early) == {"ACT-1", "ACT-2", "PL-1"}
    assert on_early["PL-1"]["plan_actions"] == 1
    # completed on 20 July: open (and not yet due) on 1 July, kept rather than rejected
    assert on_early["ACT-2"]["state"] == "pending" and pd.isna(on_early["ACT-2"]["completed_date"])
    on_late = _rows(late.execute("select * from mart_actions").df(), "action_ref")
    assert on_late["PL-1"]["plan_actions"] == 2 and on_late["ACT-2"]["state"] == "completed_on_time"


def test__turnaround__only_a_met_or_not_met_decision_is_a_threshold_decision(warehouses):
    late, _ = warehouses
    rows = _rows(late.execute("select * from mart_review_turnaround").df(), "application_ref")
    for ref in ("W-DATED", "P-DATED"):
        assert pd.isna(rows[ref]["decision_working_days"]), ref
        assert pd.isna(rows[ref]["decision_within_sla"]), ref
    assert not rows["W-DATED"]["is_open"] and pd.isna(rows["W-DATED"]["data_errors"])
    assert rows["P-DATED"]["is_open"] and "pending" in rows["P-DATED"]["data_errors"]


def test__turnaround__a_withdrawal_after_the_date_leaves_the_case_open_on_it(warehouses):
    """A withdrawal dated after the as-of date has not happened yet, as a decision has not (the
    audit of 6 December: it closed the case at any earlier date)."""
    late, early = warehouses
    for frame in (early.execute("select * from mart_review_turnaround").df(),
                  registry.evaluate(late, "mart_review_turnaround", EARLY)):
        row = _rows(frame, "application_ref")["W-LATER"]
        assert row["decision"] == "pending" and row["is_open"], row
    stages = registry.evaluate(late, "mart_review_open_stages", EARLY)
    assert "W-LATER" in set(stages["application_ref"])
    row = _rows(late.execute("select * from mart_review_turnaround").df(), "application_ref")["W-LATER"]
    assert row["decision"] == "withdrawn" and not row["is_open"]
