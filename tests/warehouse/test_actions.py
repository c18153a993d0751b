"""Action plans and re-triggers (etl/marts/actions.py + SQL) on a hand-built register, through the real build.

One build, as of Monday 30 June 2025. Erewash's CT-A had its review on Mon 3 Feb 2025 and its
outcome told on Fri 7 Feb; its plan holds one action in every state on the as-of date (working days
counted by hand: England, the start counts, the end does not):

    ACT-ONTIME   due Mon 3 Mar, completed Fri 28 Feb        completed on time, 19 working days
    ACT-LATE     due Fri 14 Mar, completed Wed 19 Mar       completed late by 3 (14, 17, 18)
    ACT-OVERDUE  due Fri 20 Jun, open                       overdue by 6 working days, 10 calendar days
    ACT-TODAY    due Mon 30 Jun, open                       not yet overdue (due today), 0 left
    ACT-PENDING  due Thu 31 Jul, open (a date after the as-of date is allowed for a due date)  23 left
    ACT-CANCEL   cancelled

Re-triggers (retrigger_months 12 by default):

    CT-A  P1 applies again to Erewash on 12 May 2025 (CT-A2), three months after the outcome; an
          application to Derby on 10 Mar 2025 (DCC-P1) is another authority's case and does not count
    CT-B  P2's threshold was met in June 2024, before the review's outcome (6 Sep 2024), and that
          spell does not count; P2 meets it again on 15 Apr 2025 (three new complaints): re-triggered
    CT-C  P3 (Derby) applies again 14 months after the outcome: outside the window, not re-triggered
    CT-D  no further action; nothing since: not re-triggered, window still open
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import INCIDENT_COLUMNS, build_module_warehouse, run_build, write_inputs

from etl.marts import registry
from insight import db

D = dt.date
AS_OF = D(2025, 6, 30)
EREWASH, DERBY = "E07000036", "E06000015"
APP_HEADER = ("application_ref,authority,person_ref,received_date,decision,decision_date,decision_notified_date,"
              "review_date,outcome,recommendations_count,outcome_notified_date")
APPLICATIONS = [
    "CT-A,Erewash,P1,2025-01-06,met,2025-01-10,2025-01-13,2025-02-03,recommendations,6,2025-02-07",
    "CT-A2,Erewash,P1,2025-05-12,pending,,,,,,",
    "DCC-P1,Derby,P1,2025-03-10,not_met,2025-03-14,2025-03-14,,,,",
    "CT-B,Erewash,P2,2024-07-01,met,2024-07-05,2024-07-08,2024-09-02,recommendations,1,2024-09-06",
    "DCC-C,Derby,P3,2023-02-01,met,2023-02-08,2023-02-09,2023-03-01,recommendations,1,2023-03-08",
    "DCC-C2,Derby,P3,2024-05-01,not_met,2024-05-09,2024-05-10,,,,",
    "CT-D,Erewash,P4,2025-05-01,met,2025-05-08,2025-05-09,2025-05-28,no_further_action,0,2025-06-02",
    "CT-BAD,Erewash,P5,2025-02-31,met,,,,,,",  # rejected: no such date
]
ACT_HEADER = "action_ref,application_ref,authority,agency,action_type,agreed_date,due_date,completed_date,status"
ACTIONS = [  # row 2 onwards (the header is row 1)
    "ACT-ONTIME,CT-A,,council,mediation,2025-02-03,2025-03-03,2025-02-28,completed",
    "ACT-LATE,CT-A,Erewash,police,enforcement_patrols,2025-02-03,2025-03-14,2025-03-19,",
    "ACT-OVERDUE,CT-A,,housing,housing_action,2025-02-03,2025-06-20,,open",
    "ACT-TODAY,CT-A,,social_care,case_management,2025-02-03,2025-06-30,,",
    "ACT-PENDING,CT-A,,health,support_referral,2025-02-03,2025-07-31,,open",
    "ACT-CANCEL,CT-A,,fire,environmental_works,2025-02-03,2025-04-30,,cancelled",
    "ACT-B1,CT-B,Derby,police,warning_or_acceptable_behaviour_contract,2024-09-02,2024-10-01,2024-09-20,",
    "ACT-D1,CT-D,,council,mediation,2025-05-28,2025-06-27,2025-06-20,completed",
    "ACT-ONTIME,CT-A,,council,mediation,2025-02-03,2025-03-03,2025-02-28,completed",    # row 10: a repeat
    "ACT-ONTIME,CT-A,,council,mediation,2025-02-03,2025-03-07,2025-02-28,completed",    # 11: other values
    "ACT-UNKNOWN,CT-NOPE,,council,mediation,2025-02-03,2025-03-03,,",                   # 12
    "ACT-REJAPP,CT-BAD,,council,mediation,2025-03-03,2025-04-03,,",                     # 13
    "ACT-DUE-EARLY,CT-A,,council,mediation,2025-02-03,2025-01-31,,",                    # 14
    "ACT-DONE-EARLY,CT-A,,council,mediation,2025-02-03,2025-03-03,2025-02-01,",         # 15
    "ACT-FUTURE,CT-A,,council,mediation,2025-02-03,2025-03-03,2099-07-05,completed",    # 16: not yet
    "ACT-BADDATE,CT-A,,council,mediation,2025-02-31,2025-03-03,,",                      # 17
    "ACT-NODATE,CT-A,,council,mediation,2025-02-03,2025-03-03,,completed",              # 18
    "ACT-OPENDONE,CT-A,,council,mediation,2025-02-03,2025-03-03,2025-02-20,open",       # 19
    "ACT-TYPE,CT-A,,council,leaflet drop,2025-02-03,2025-03-03,,",                      # 20
    "ACT-AGENCY,CT-A,,the vicar,mediation,2025-02-03,2025-03-03,,",                     # 21
    "ACT-NOWHERE,CT-A,Nottingham,council,mediation,2025-02-03,2025-03-03,,",            # 22
    ",CT-A,,council,mediation,2025-02-03,2025-03-03,,",                                 # 23
]
# P2's complaints: three in June 2024 (met before the outcome), three in April 2025 (met again)
COMPLAINTS = ["2024-06-03", "2024-06-10", "2024-06-17", "2025-04-01", "2025-04-08", "2025-04-15"]
TOML = """
[[source]]
slug = "case-reviews"
kind = "applications"
path = "applications.csv"

[[source]]
slug = "action-plans"
kind = "actions"
path = "actions.csv"
[source.gates]
reject_share = "warn"                     # most rows here are planted problems

[[source]]
slug = "erewash-council"
kind = "incidents"
path = "erewash.csv"
authority = "E07000036"
"""


def _incidents() -> str:
    rows = [",".join(INCIDENT_COLUMNS)]
    for n, day in enumerate(COMPLAINTS, 1):
        values = {"incident_ref": f"EBC-{n}", "agency": "council", "reported_date": day, "occurred_date": day,
                  "asb_category": "nuisance", "asb_type": "noise", "person_ref": "P2", "victim_type": "individual"}
        rows.append(",".join(values.get(c, "") for c in INCIDENT_COLUMNS))
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    inputs = write_inputs(tmp_path_factory.mktemp("actions") / "inputs", TOML, {
        "applications.csv": "\n".join([APP_HEADER, *APPLICATIONS]) + "\n",
        "actions.csv": "\n".join([ACT_HEADER, *ACTIONS]) + "\n", "erewash.csv": _incidents()})
    return build_module_warehouse(inputs, AS_OF)


@pytest.fixture(scope="module")
def con(warehouse):
    connection = db.connect(warehouse)
    yield connection
    connection.close()


def _actions(con) -> pd.DataFrame:
    return con.execute("select * from mart_actions").df().set_index("action_ref")


def _none(value):
    """None for a missing value, a date for a timestamp (pandas reads DATE columns as timestamps)."""
    if pd.isna(value):
        return None
    return value.date() if isinstance(value, pd.Timestamp) else value


# --- loading: every row loaded, merged or rejected once, with its reason -------------------------------

def test__actions__rejects_name_the_row_and_the_reason(con):
    got = con.execute("""select source_row, reason_code, reason from etl_rejects where kind = 'actions'
                         order by source_row""").fetchall()
    assert [(row, code) for row, code, _ in got] == [
        (11, "duplicate_key"), (12, "unknown_application"), (13, "unknown_application"),
        (14, "action_date_order"), (15, "action_date_order"), (16, "future_date"), (17, "bad_date"),
        (18, "action_status"), (19, "action_status"), (20, "bad_value"), (21, "bad_value"),
        (22, "unknown_authority"), (23, "missing_key")]
    reasons = {row: reason for row, _, reason in got}
    assert reasons[12] == "application_ref 'CT-NOPE' is not in any applications file"
    assert reasons[13].startswith("application_ref 'CT-BAD' was rejected (applications.csv row 9: ")
    assert reasons[14] == "due_date 2025-01-31 is before agreed_date 2025-02-03"
    assert reasons[15] == "completed_date 2025-02-01 is before agreed_date 2025-02-03"
    # a completion after the as-of date is read as not happened yet on it (test_case_review_dates.py);
    # one after the day of the build is not a date a register can hold
    assert reasons[16].startswith("completed_date 2099-07-05 is in the future (the build ran on ")
    assert reasons[18] == "status completed but completed_date is empty"
    assert reasons[19] == "status open but completed_date 2025-02-20 is given"
    # quoted as sent (the key to map it under), not normalised
    assert "'leaflet drop'" in reasons[20] and "'the vicar'" in reasons[21]


def test__actions__every_row_accounted_for_once(con):
    read, loaded, rejected, merged = con.execute("""select rows_read, rows_loaded, rows_rejected, rows_merged
        from etl_loads where kind = 'actions'""").fetchall()[0]
    assert (read, loaded, rejected, merged) == (len(ACTIONS), 8, 13, 1)
    assert con.execute("select source_row, rule from etl_merged where kind = 'actions'").fetchall() == [
        (10, "repeated_row")]
    assert con.execute("select actions from etl_builds").fetchall()[0][0] == 8


def test__actions__published_with_the_application_authority_and_a_status(con):
    rows = dict(con.execute("select action_ref, (authority_code, status) from actions").fetchall())
    assert rows["ACT-ONTIME"] == (EREWASH, "completed")
    assert rows["ACT-LATE"] == (EREWASH, "completed")   # blank status, a completion date: completed
    assert rows["ACT-TODAY"] == (EREWASH, "open")       # blank status, no completion date: open
    assert rows["ACT-B1"] == (DERBY, "completed")       # as the file names it ...


# --- mart_actions: the state of each action on the as-of date -----------------------------------------

@pytest.mark.parametrize(("ref", "state", "overdue", "days_overdue", "late", "left", "to_complete"), [
    ("ACT-ONTIME", "completed_on_time", None, None, None, None, 19),
    ("ACT-LATE", "completed_late", None, None, 3, None, 32),  # Mon 3 Feb -> Wed 19 Mar: 6 weeks + 2
    ("ACT-OVERDUE", "overdue", 6, 10, None, None, None),
    ("ACT-TODAY", "pending", None, None, None, 0, None),
    ("ACT-PENDING", "pending", None, None, None, 23, None),
    ("ACT-CANCEL", "cancelled", None, None, None, None, None),
])
def test__mart_actions__state_and_working_days_by_hand(con, ref, state, overdue, days_overdue, late, left,
                                                        to_complete):
    row = _actions(con).loc[ref]
    assert row["state"] == state and row["authority_code"] == EREWASH
    assert [_none(row[c]) for c in ("working_days_overdue", "days_overdue", "working_days_late", "working_days_left",
                                    "working_days_to_complete")] == [overdue, days_overdue, late, left, to_complete]
    assert row["is_overdue"] == (state == "overdue") and row["is_open"] == (state in ("overdue", "pending"))
    assert row["is_completed_on_time"] == (state == "completed_on_time")


def test__mart_actions__plan_problems_are_data_errors(con):
    frame = _actions(con)
    assert frame.loc["ACT-ONTIME", "plan_actions"] == 6 and pd.isna(frame.loc["ACT-ONTIME", "data_errors"])
    # the action names Derby, its application is Erewash's: filed under Erewash, flagged
    b1 = frame.loc["ACT-B1"]
    assert (b1["authority_code"], b1["action_authority_code"], b1["is_authority_mismatch"]) == (EREWASH, DERBY, True)
    assert b1["data_errors"] == "the action names Derby, the application is Erewash's"
    assert frame.loc["ACT-D1", "data_errors"] == ("the review of CT-D made no recommendations (outcome: "
                                                  "no further action); 1 action(s) in the plan, 0 recommendation(s) "
                                                  "made by the review")


def test__mart_actions__an_earlier_date_has_not_seen_later_events(con):
    """On Mon 10 Mar ACT-LATE was not yet due; on Mon 17 Mar it was overdue by 1 working day (Fri 14)."""
    early = registry.evaluate(con, "mart_actions", D(2025, 3, 10)).set_index("action_ref")
    assert early.loc["ACT-LATE", "state"] == "pending" and pd.isna(early.loc["ACT-LATE", "completed_date"])
    assert early.loc["ACT-ONTIME", "state"] == "completed_on_time"
    assert "ACT-D1" not in early.index  # agreed on 28 May
    later = registry.evaluate(con, "mart_actions", D(2025, 3, 17)).set_index("action_ref")
    assert (later.loc["ACT-LATE", "state"], later.loc["ACT-LATE", "working_days_overdue"]) == ("overdue", 1)
    # the register's status on that date too: completed on 19 March, so open on the 17th (audit,
    # 5 December 2026: "completed" beside "overdue" in the export)
    assert (early.loc["ACT-ONTIME", "status"], later.loc["ACT-LATE", "status"]) == ("completed", "open")
    assert later.loc["ACT-CANCEL", "status"] == "cancelled"


# --- mart_retriggers -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("ref", "expected"), [
    ("CT-A", {"outcome_date": D(2025, 2, 7), "window_end_date": D(2026, 2, 7), "is_retriggered": True,
              "retrigger_kind": "application", "retrigger_date": D(2025, 5, 12), "next_application_ref": "CT-A2",
              "later_applications": 1, "met_again_date": None, "plan_actions": 5, "actions_completed": 2,
              "actions_overdue": 1}),
    ("CT-B", {"outcome_date": D(2024, 9, 6), "window_end_date": D(2025, 9, 6), "is_retriggered": True,
              "retrigger_kind": "threshold", "retrigger_date": D(2025, 4, 15), "next_application_ref": None,
              "later_applications": 0, "met_again_date": D(2025, 4, 15), "plan_actions": 1,
              "actions_completed": 1, "actions_overdue": 0}),
    ("DCC-C", {"outcome_date": D(2023, 3, 8), "window_end_date": D(2024, 3, 8), "is_retriggered": False,
               "retrigger_kind": None, "retrigger_date": None, "next_application_ref": None,
               "later_applications": 0, "met_again_date": None, "plan_actions": 0, "actions_completed": 0,
               "actions_overdue": 0}),
    ("CT-D", {"outcome_date": D(2025, 6, 2), "window_end_date": D(2026, 6, 2), "is_retriggered": False,
              "retrigger_kind": None, "retrigger_date": None, "next_application_ref": None,
              "later_applications": 0, "met_again_date": None, "plan_actions": 1, "actions_completed": 1,
              "actions_overdue": 0}),
])
def test__mart_retriggers__by_hand(con, ref, expected):
    row = con.execute("select * from mart_retriggers").df().set_index("application_ref").loc[ref]
    assert {k: _none(row[k]) for k in expected} == expected
    assert row["retrigger_months"] == 12 and row["rule_id"].endswith("@2014-10-20")


def test__mart_retriggers__only_reviews_held_with_a_person(con):
    refs = {r[0] for r in con.execute("select application_ref from mart_retriggers").fetchall()}
    assert refs == {"CT-A", "CT-B", "DCC-C", "CT-D"}
    closed = dict(con.execute("select application_ref, is_window_closed from mart_retriggers").fetchall())
    assert closed == {"CT-A": False, "CT-B": False, "DCC-C": True, "CT-D": False}


def test__mart_retriggers__the_months_are_a_dated_setting(tmp_path):
    """Erewash shortens the window to 2 months for outcomes told from 1 Jan 2025: CT-A (told 7 Feb)
    is then not re-triggered by its application of 12 May; CT-B (told in 2024) keeps 12 months."""
    from etl.rules import settings as rule_settings

    rules = rule_settings.DEFAULT_PATH.read_text(encoding="utf-8") + (
        '\n[[rule]]\nauthority = "Erewash"\neffective_from = "2025-01-01"\nretrigger_months = 2\n')
    inputs = write_inputs(tmp_path / "inputs", '[build]\nsettings = "rules.toml"\n' + TOML, {
        "applications.csv": "\n".join([APP_HEADER, *APPLICATIONS]) + "\n",
        "actions.csv": "\n".join([ACT_HEADER, *ACTIONS[:8]]) + "\n", "erewash.csv": _incidents(),
        "rules.toml": rules})
    _, connection = run_build(inputs, as_of=AS_OF)
    got = connection.execute("""select application_ref, retrigger_months, window_end_date, is_retriggered
        from mart_retriggers where application_ref in ('CT-A', 'CT-B') order by 1""").fetchall()
    connection.close()
    assert got == [("CT-A", 2, D(2025, 4, 7), False), ("CT-B", 12, D(2025, 9, 6), True)]


def test__mart_retriggers__an_earlier_date(con):
    """On 1 May 2025 CT-A2 had not been received: CT-A not yet re-triggered; CT-B already was."""
    frame = registry.evaluate(con, "mart_retriggers", D(2025, 5, 1)).set_index("application_ref")
    assert not frame.loc["CT-A", "is_retriggered"] and frame.loc["CT-B", "is_retriggered"]
    assert "CT-D" not in frame.index  # its outcome was told on 2 June


@pytest.mark.parametrize("mart", ["mart_actions", "mart_retriggers"])
def test__evaluate__at_the_build_date_equals_the_stored_mart(con, mart):
    stored = con.execute(f"select * from {mart}").df()
    live = registry.evaluate(con, mart, AS_OF)
    key = list(stored.columns[:1])
    pd.testing.assert_frame_equal(live.sort_values(key).reset_index(drop=True),
                                  stored[live.columns].sort_values(key).reset_index(drop=True), check_dtype=False)


# --- the demo -----------------------------------------------------------------------------------------

def test__demo__plausible_plans_and_retriggers(demo_build):
    """Every review with recommendations has one action per recommendation, from several agencies;
    on the as-of date some are late, some overdue, a few cancelled; people came back after their
    review both ways; the planted bad rows are the only action rejects."""
    _, warehouse, summary = demo_build
    with db.connect(warehouse) as connection:
        plans = connection.execute("""select a.application_ref, a.recommendations_count, count(m.action_ref) as n
            from applications a left join mart_actions m using (application_ref)
            where a.outcome = 'recommendations' and a.review_date is not null
            group by all""").df()
        states = dict(connection.execute("select state, count(*) from mart_actions group by 1").fetchall())
        agencies = connection.execute("select count(distinct agency) from mart_actions").fetchall()[0][0]
        kinds = dict(connection.execute("""select retrigger_kind, count(*) from mart_retriggers
            where is_retriggered group by 1""").fetchall())
        rejects = dict(connection.execute("""select reason_code, count(*) from etl_rejects
            where kind = 'actions' group by 1""").fetchall())
    assert len(plans) > 20 and (plans["n"] == plans["recommendations_count"]).all()
    assert set(states) == {"completed_on_time", "completed_late", "overdue", "pending", "cancelled"}
    assert states["completed_on_time"] > states["completed_late"] > 0 and states["overdue"] >= 5
    assert 0 < states["cancelled"] <= 0.1 * sum(states.values())  # a few
    assert agencies >= 6
    assert kinds.get("application", 0) + kinds.get("both", 0) > 0 and kinds.get("threshold", 0) > 0
    assert summary.second_applications > 0 and rejects == {"unknown_application": 1, "missing_key": 1}
