"""Statutory PCC reviews (Crime and Policing Act 2026) beside appeals under the local procedure, in
one register, through the real build on hand-made files: each case's type, the decision it
reviews, its own working-day limit, and referred-back cases followed to their result.

One build as of Wednesday 30 September 2026. Working days counted by hand (England: weekends and
bank holidays excluded; the start counts, the end does not; Monday 31 August 2026 is a holiday).
Derby's PCC reviews must be decided within 15 working days (a dated setting from 1 May 2026);
appeals keep the default 20.

    PR-MET      Derby, PCC review of a not-met decision, upheld and referred back on 29 May; the
                same person applies again and is decided met on 5 June: followed to
                "threshold_met" from the applications (6 working days after the referral)
    PR-NOCH     Erewash, PCC review, upheld, referred back; the register records "no_change" on 10 July
    PR-LATER    Erewash, partly upheld, referred back; the register says the result is pending and
                no application shows one (as of 2 June, PR-NOCH's 10 July result is pending too)
    PR-OPEN     Derby, PCC review received Mon 7 September, pending: 17 working days, past its 15
    AP-OPEN     Derby, an appeal received the same day, pending: 17 working days, within its 20
    AP-PLAIN    an appeal with no review_type (an older register): an appeal under the local procedure
    AP-BADREF   referred back but not upheld: loaded, with a data error
    rejected    a referral result outside the closed list; a result dated before the OPCC's decision
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import build_module_warehouse, write_inputs

from etl.rules import settings as rule_settings
from insight import db
from insight.queries import appeals as q

D = dt.date
AS_OF = D(2026, 9, 30)
DERBY, EREWASH = "E06000015", "E07000036"
APPLICATIONS = """application_ref,authority,person_ref,received_date,acknowledged_date,threshold_route,decision,decision_date,decision_notified_date
DB-NM,Derby,P1,2026-04-20,2026-04-21,victim,not_met,2026-04-27,2026-04-28
DB-AGAIN,Derby,P1,2026-06-01,2026-06-02,victim,met,2026-06-05,2026-06-08
EW-NM1,Erewash,P2,2026-04-20,2026-04-21,victim,not_met,2026-04-27,2026-04-28
EW-NM2,Erewash,P3,2026-04-20,2026-04-21,victim,not_met,2026-04-27,2026-04-28
DB-NM3,Derby,P4,2026-08-03,2026-08-04,victim,not_met,2026-08-10,2026-08-11
DB-NM4,Derby,P5,2026-08-03,2026-08-04,victim,not_met,2026-08-10,2026-08-11
EW-NM5,Erewash,P6,2026-04-20,2026-04-21,victim,not_met,2026-04-27,2026-04-28
"""
APPEALS = """appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date,review_type,decision_reviewed,referred_back,referral_result,referral_result_date
PR-MET,DB-NM,Derby,2026-05-11,victim,threshold_decision,upheld,2026-05-29,pcc_review,threshold_decision,Y,,
PR-NOCH,EW-NM1,Erewash,2026-05-11,victim,threshold_decision,upheld,2026-05-29,pcc_review,,Y,no_change,2026-07-10
PR-LATER,EW-NM2,Erewash,2026-05-11,victim,threshold_decision,partially_upheld,2026-05-29,pcc_review,,Y,pending,
PR-OPEN,DB-NM3,Derby,2026-09-07,victim,threshold_decision,pending,,pcc_review,,,,
AP-OPEN,DB-NM4,Derby,2026-09-07,victim,threshold_decision,pending,,appeal,,,,
AP-PLAIN,EW-NM5,Erewash,2026-05-11,victim,threshold_decision,not_upheld,2026-05-29,,,,,
AP-BADREF,EW-NM5,Erewash,2026-05-12,victim,threshold_decision,not_upheld,2026-05-29,appeal,,Y,,
PR-BADRES,EW-NM5,Erewash,2026-05-13,victim,threshold_decision,upheld,2026-05-29,pcc_review,,Y,maybe,2026-06-01
PR-BADDATE,EW-NM5,Erewash,2026-05-14,victim,threshold_decision,upheld,2026-05-29,pcc_review,,Y,no_change,2026-05-20
"""
DERBY_RULES = """
[[rule]]
authority = "Derby"
effective_from = "2026-05-01"
sla_pcc_review_decision_days = 15
"""
TOML = """
[build]
settings = "rules.toml"

[[source]]
slug = "case-reviews"
kind = "applications"
path = "applications.csv"

[[source]]
slug = "opcc-register"
kind = "appeals"
path = "appeals.csv"
"""


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    rules = rule_settings.DEFAULT_PATH.read_text(encoding="utf-8") + DERBY_RULES
    inputs = write_inputs(tmp_path_factory.mktemp("pcc") / "inputs", TOML, {
        "applications.csv": APPLICATIONS, "appeals.csv": APPEALS, "rules.toml": rules})
    connection = db.connect(build_module_warehouse(inputs, AS_OF))
    yield connection
    connection.close()


def _row(con, ref: str) -> dict:
    cursor = con.execute("select * from mart_appeals where appeal_ref = ?", [ref])
    rows = cursor.fetchall()
    assert len(rows) == 1, ref
    return dict(zip([c[0] for c in cursor.description], rows[0], strict=True))


def test__pcc_reviews__type_and_decision_reviewed_default_for_older_registers(con):
    plain = _row(con, "AP-PLAIN")
    assert (plain["review_type"], plain["decision_reviewed"]) == ("appeal", "threshold_decision")
    assert _row(con, "PR-NOCH")["review_type"] == "pcc_review"
    assert con.execute("select count(*) from appeals where review_type = 'pcc_review'").fetchone()[0] == 4


def test__pcc_reviews__each_type_has_its_own_limit(con):
    pcc, appeal = _row(con, "PR-OPEN"), _row(con, "AP-OPEN")
    assert pcc["open_working_days"] == appeal["open_working_days"] == 17
    assert (pcc["sla_appeal_decision_days"], pcc["is_overdue"]) == (15, True)
    assert (appeal["sla_appeal_decision_days"], appeal["is_overdue"]) == (20, False)
    assert pcc["due_date"] == dt.date(2026, 9, 28)  # 15 working days from Mon 7 Sep


def test__pcc_reviews__referred_back_followed_to_the_applications_result(con):
    met = _row(con, "PR-MET")
    assert (met["referred_back"], met["referral_result"], met["referral_result_source"]) == (
        True, "threshold_met", "applications")
    assert met["referral_result_date"] == dt.date(2026, 6, 5)
    assert met["referral_working_days"] == 5  # Fri 29 May -> Fri 5 Jun


def test__pcc_reviews__recorded_results_and_pending_ones(con):
    nochange = _row(con, "PR-NOCH")
    assert (nochange["referral_result"], nochange["referral_result_source"]) == ("no_change", "recorded")
    later = _row(con, "PR-LATER")
    assert (later["referral_result"], later["referral_result_source"], later["referral_result_date"]) == (
        "pending", None, None)
    assert _row(con, "AP-PLAIN")["referral_result"] is None  # never referred back


def test__pcc_reviews__an_earlier_as_of_date_sees_the_referral_still_pending(con):
    frame = q.referrals(con, D(2026, 6, 2), (DERBY, EREWASH), D(2026, 4, 1), D(2026, 6, 2))
    by_ref = frame.set_index("appeal_ref")
    assert by_ref.loc["PR-MET", "referral_result"] == "pending"
    assert by_ref.loc["PR-NOCH", "referral_result"] == "pending"


def test__pcc_reviews__bad_rows_rejected_with_row_numbers_and_contradictions_flagged(con):
    rejects = con.execute("""select source_row, reason_code from etl_rejects where source = 'opcc_register'
                             order by source_row""").fetchall()
    assert rejects == [(9, "bad_value"), (10, "date_order")]
    assert 'referred back, but the outcome is "not upheld"' in _row(con, "AP-BADREF")["data_errors"]
    loads = con.execute("""select rows_read, rows_loaded, rows_rejected from etl_loads
                           where source = 'opcc_register'""").fetchone()
    assert loads == (9, 7, 2)


def test__pcc_reviews__summary_by_type_and_referrals_followed(con):
    by_type = q.by_review_type(con, AS_OF, (DERBY, EREWASH), D(2026, 4, 1), AS_OF).set_index("review_type")
    assert by_type.loc["pcc_review", "cases"] == 4 and by_type.loc["appeal", "cases"] == 3
    assert by_type.loc["pcc_review", "overdue"] == 1 and by_type.loc["appeal", "overdue"] == 0
    assert by_type.loc["pcc_review", "referred_back"] == 3
    assert by_type.loc["pcc_review", "threshold_then_met"] == 1
    referrals = q.referrals(con, AS_OF, (DERBY, EREWASH), D(2026, 4, 1), AS_OF)
    assert sorted(referrals.appeal_ref) == ["AP-BADREF", "PR-LATER", "PR-MET", "PR-NOCH"]
    # scoped to the person-level authorities given
    assert sorted(q.referrals(con, AS_OF, (DERBY,), D(2026, 4, 1), AS_OF).appeal_ref) == ["PR-MET"]
