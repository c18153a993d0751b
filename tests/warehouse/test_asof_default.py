"""`asb build` without `--as-of` (DESIGN.md "The as-of date"): the build evaluates on the latest
date the incident data covers, and case records dated after it (an application, an appeal or an
action plan received after the last incident a late police file holds) are treated exactly as an
explicit `--as-of` on that date treats them: `future_date` rejects, each with its row and reason,
and the build says how many. The build never fails on them: the turnaround and the statutory
returns count the same applications as `applications`.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from conftest import CASES_TOML, EREWASH_TOML, INCIDENT_COLUMNS, write_inputs

from etl import build
from etl.rules import periods

D = dt.date
LATEST = D(2025, 3, 10)  # the last incident: the default as-of date
APPLICATIONS = """application_ref,authority,person_ref,received_date,decision,decision_date
A-BEFORE,Erewash,P1,2025-03-03,not_met,2025-03-07
A-ON,Erewash,P1,2025-03-10,pending,
A-AFTER,Erewash,P1,2025-04-02,pending,
"""
APPEALS = """appeal_ref,application_ref,authority,received_date,grounds,outcome,decision_date
AP-BEFORE,A-BEFORE,Erewash,2025-03-08,threshold_decision,pending,
AP-AFTER,A-BEFORE,Erewash,2025-03-20,threshold_decision,pending,
"""
ACTIONS = """action_ref,application_ref,authority,agency,action_type,agreed_date,due_date,completed_date,status
ACT-BEFORE,A-BEFORE,,council,mediation,2025-03-08,2025-04-30,,
ACT-AFTER,A-BEFORE,,council,mediation,2025-03-25,2025-04-30,,
"""
TOML = CASES_TOML + """

[[source]]
slug = "action-plans"
kind = "actions"
path = "actions.csv"
"""
AFTER = {("applications.csv", 4), ("appeals.csv", 3), ("actions.csv", 3)}  # (file, row) of the late records


def _incident(ref: str, day: str, person: str = "P1", agency: str = "council") -> str:
    values = {"incident_ref": ref, "agency": agency, "reported_date": day, "occurred_date": day,
              "asb_category": "personal", "asb_type": "noise", "postcode": "NG10 1AA", "person_ref": person,
              "victim_type": "individual", "is_hate": "N"}
    return ",".join(values.get(c, "") for c in INCIDENT_COLUMNS)


def _inputs(folder, applications: str = APPLICATIONS):
    incidents = [",".join(INCIDENT_COLUMNS), _incident("C1", "2025-02-20"), _incident("C2", "2025-03-10")]
    return write_inputs(folder, TOML, {"erewash/e.csv": "\n".join(incidents) + "\n",
                                       "applications.csv": applications, "appeals.csv": APPEALS,
                                       "actions.csv": ACTIONS})


def _before(text: str) -> str:
    """The records of a register dated on or before 10 March."""
    return "".join(line for line in text.splitlines(keepends=True) if "AFTER" not in line)


def _connect(path):
    return duckdb.connect(str(path), read_only=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(result, connection) without --as-of, and (result, connection) with --as-of 2025-03-10."""
    root = tmp_path_factory.mktemp("asof")
    inputs = _inputs(root / "in")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
        default = build.build(inputs, root / "default.duckdb")
        explicit = build.build(inputs, root / "explicit.duckdb", LATEST)
    return (default, _connect(default.warehouse)), (explicit, _connect(explicit.warehouse))


def test__asof_default__a_late_application_does_not_fail_the_build(built):
    (result, con), _ = built
    assert result.as_of == LATEST and result.as_of_is_latest_data
    assert con.execute("select application_ref from applications order by 1").fetchall() == [
        ("A-BEFORE",), ("A-ON",)]
    assert con.execute("select application_ref from mart_review_turnaround order by 1").fetchall() == [
        ("A-BEFORE",), ("A-ON",)]
    assert con.execute("select sum(applications_received) from mart_statutory_returns").fetchall() == [(2,)]
    assert con.execute("select appeal_ref from appeals").fetchall() == [("AP-BEFORE",)]
    assert con.execute("select action_ref from actions").fetchall() == [("ACT-BEFORE",)]


def test__asof_default__records_after_it_are_future_date_rejects_named_in_a_note(built):
    (result, con), _ = built
    rejects = con.execute("select source_file, source_row, reason_code, reason from etl_rejects").fetchall()
    assert {(f.rsplit("/", 1)[-1], r) for f, r, _, _ in rejects} == AFTER
    assert {code for _, _, code, _ in rejects} == {"future_date"}
    assert "received_date 2025-04-02 is after the as-of date 2025-03-10" in {reason for *_, reason in rejects}
    assert any("1 application, 1 appeal, 1 action dated after the as-of date 2025-03-10" in n
               for n in result.notes), result.notes
    # every record once: read = loaded + rejected + merged
    assert con.execute("select sum(rows_read), sum(rows_loaded + rows_rejected + rows_merged) from etl_loads "
                       "where kind <> 'incidents'").fetchall() == [(7, 7)]


def test__asof_default__equals_an_explicit_as_of_on_the_same_date(built):
    (_, default), (explicit_result, explicit) = built
    assert not explicit_result.notes or not any("future_date" in n for n in explicit_result.notes)
    for sql in ("select * exclude (load_id) from etl_rejects",
                "select * exclude (load_id, file_sha256) from etl_loads",
                "select * from applications", "select * from appeals", "select * from actions",
                "select * from mart_review_turnaround", "select * from mart_statutory_returns",
                "select * from mart_appeals", "select * from mart_actions", "select * from mart_threshold_status"):
        assert sorted(map(str, default.execute(sql).fetchall())) == sorted(map(str, explicit.execute(sql).fetchall())), sql


def test__asof_default__late_applications_do_not_trip_the_reject_share_gate(tmp_path):
    """Ten applications, six received after the incident data ends: more than half of the file is
    rejected, but for being newer than the incident data, not for anything wrong with the file."""
    rows = [f"L{n},Erewash,P{n},2025-0{4 if n <= 6 else 2}-0{n % 9 + 1},pending," for n in range(1, 11)]
    applications = "application_ref,authority,person_ref,received_date,decision,decision_date\n" + "\n".join(rows) + "\n"
    result = build.build(_inputs(tmp_path / "in", applications), tmp_path / "w.duckdb")
    con = _connect(result.warehouse)
    assert con.execute("select count(*) from applications").fetchall() == [(4,)]
    assert not any("reject_share" in n for n in result.notes), result.notes
    # with an explicit --as-of the gate still judges every reject
    with pytest.raises(build.BuildError, match="reject_share"):
        build.build(tmp_path / "in", tmp_path / "w2.duckdb", LATEST)


def test__asof_default__is_the_latest_report_loaded_a_merged_one_too(tmp_path):
    """The council reports on 12 March the incident the police reported on 10 March: one incident
    reported on 10 March, but the data covers 12 March, and `--as-of 2025-03-10` would reject the
    council's report as a future date."""
    police = EREWASH_TOML.replace('"erewash-council"', '"erewash-police"').replace("erewash/*", "police/*")
    inputs = write_inputs(tmp_path / "in", TOML + police, {
        "erewash/e.csv": "\n".join([",".join(INCIDENT_COLUMNS), _incident("C1", "2025-02-20"),
                                    _incident("C2", "2025-03-12").replace("2025-03-12,2025-03-12",
                                                                          "2025-03-12,2025-03-10")]) + "\n",
        "police/p.csv": "\n".join([",".join(INCIDENT_COLUMNS),
                                   _incident("P-9", "2025-03-10", agency="police")]) + "\n",
        **{name: _before(text) for name, text in [("applications.csv", APPLICATIONS), ("appeals.csv", APPEALS),
                                                   ("actions.csv", ACTIONS)]}})
    result = build.build(inputs, tmp_path / "w.duckdb")
    con = _connect(result.warehouse)
    assert con.execute("select count(*), max(reported_date) from incidents").fetchall() == [(2, LATEST)]
    assert con.execute("select count(*) from etl_merged where kind = 'incidents'").fetchall() == [(1,)]
    assert result.as_of == D(2025, 3, 12)


def test__asof_default__an_incident_after_today_is_in_the_future_not_after_the_as_of_date(tmp_path, monkeypatch):
    """Without --as-of the incidents are staged against today (the latest data date is not known
    until they are loaded), so an incident dated 2099 is a future_date reject "in the future (the
    build ran on <today>)". Its reason said "after the as-of date <today>", which is not the as-of
    date the build then reports (the latest data date, 10 March 2025)."""
    incidents = [",".join(INCIDENT_COLUMNS), _incident("C1", "2025-02-20"), _incident("C2", "2025-03-10"),
                 _incident("C3", "2099-01-01")]
    inputs = write_inputs(tmp_path / "in", EREWASH_TOML, {"erewash/e.csv": "\n".join(incidents) + "\n"})
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
    result = build.build(inputs, tmp_path / "w.duckdb")
    assert result.as_of == LATEST
    con = _connect(result.warehouse)
    [(row, code, why)] = con.execute("select source_row, reason_code, reason from etl_rejects").fetchall()
    today = periods.london_today().isoformat()
    assert (row, code, why) == (4, "future_date", f"reported_date 2099-01-01 is in the future (the build ran on {today})")
    # with --as-of, a date after it is after the as-of date
    explicit = build.build(inputs, tmp_path / "x.duckdb", LATEST)
    reasons = {r for (r,) in _connect(explicit.warehouse).execute("select reason from etl_rejects").fetchall()}
    assert reasons == {"reported_date 2099-01-01 is after the as-of date 2025-03-10"}
