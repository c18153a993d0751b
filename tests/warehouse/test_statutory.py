"""The statutory returns' checks, the s.104(1) duty to review, appeals against the right authority's
limits, and frozen published returns, through the real build on a hand-built register.

One build, as of Monday 30 June 2025; working days counted by hand in the comments (England:
weekends and bank holidays excluded, the start counts, the end does not; Good Friday 18 and Easter
Monday 21 April, 5 and 26 May 2025 are holidays). Every row is one scenario:

    Amber Valley      applications received late in March 2025, decided and reviewed in April: the
                      2025/26 figures do not add up by date (2 not met + 1 review > 1 received), yet
                      the return is right; each year's intake adds up
    South Derbyshire  received in 2024/25, not met, reviewed in 2025/26: 2024/25's figures add up
                      by date, but its intake counts the application twice (inconsistent)
    Chesterfield      threshold met, no review: overdue (a contradiction), due on the as-of date
                      itself (not yet), closed without one (a contradiction); one reviewed
    High Peak         appeals: an appeal naming the wrong authority, held to High Peak's limits;
                      "threshold_decision" grounds against a met decision

The inputs declare `[build] published_returns`, a file of frozen published figures: Amber
Valley's 2024/25 agrees with today's figures, Chesterfield's published two reviews where the
register now holds one (restated).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil

import duckdb
import pandas as pd
import pytest
from conftest import APPLICATIONS_HEADER, REGISTERS_TOML, build_module_warehouse, run_build, write_inputs
from support import open_app

from etl import sqlfile
from etl.marts import registry, returns_file
from etl.rules import settings as rule_settings
from insight import cli, db

D = dt.date
AS_OF = D(2025, 6, 30)
AMBER, CHESTERFIELD, HIGH_PEAK, SOUTH = "E07000032", "E07000034", "E07000037", "E07000039"
EREWASH = "E07000036"
HEADER = APPLICATIONS_HEADER
APPLICATIONS = [
    # received Mon 24 Mar, met Thu 3 Apr, reviewed Thu 24 Apr (13 working days: in time)
    "AV-MAR1,Amber Valley,P21,2025-03-24,2025-03-25,victim,met,2025-04-03,2025-04-04,2025-04-24,"
    "no_further_action,0,2025-04-29,",
    "AV-MAR2,Amber Valley,P22,2025-03-26,2025-03-27,victim,not_met,2025-04-02,2025-04-02,,,,,",
    "AV-APR,Amber Valley,P23,2025-04-01,2025-04-02,victim,not_met,2025-04-08,2025-04-08,,,,,",
    # not met (victim route) in March 2025, yet reviewed in April
    "SD-CONTRA,South Derbyshire,P31,2025-03-03,2025-03-04,victim,not_met,2025-03-10,2025-03-11,2025-04-07,"
    "recommendations,1,2025-04-10,",
    "CH-OK,Chesterfield,P41,2025-01-06,2025-01-07,victim,met,2025-01-13,2025-01-14,2025-02-03,recommendations,2,"
    "2025-02-07,",
    # met Mon 10 Mar; 20 working days later is Mon 7 Apr; no review by 30 Jun
    "CH-OVERDUE,Chesterfield,P42,2025-03-03,2025-03-04,victim,met,2025-03-10,2025-03-11,,,,,",
    # met Mon 2 Jun: 20 working days to Mon 30 Jun, the as-of date, so the limit has not passed yet
    "CH-EDGE,Chesterfield,P43,2025-05-27,2025-05-28,victim,met,2025-06-02,2025-06-03,,,,,",
    # met, then closed (outcome told) with no review
    "CH-CLOSED,Chesterfield,P44,2025-06-02,2025-06-03,victim,met,2025-06-04,2025-06-05,,no_further_action,0,"
    "2025-06-13,",
    "HP-APP1,High Peak,P51,2025-03-03,2025-03-04,victim,not_met,2025-03-10,2025-03-11,,,,,",
    "HP-APP2,High Peak,P52,2025-04-07,2025-04-08,victim,met,2025-04-14,2025-04-15,2025-05-06,recommendations,1,"
    "2025-05-09,",
]
APPEALS = """appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date
AP-MISMATCH,HP-APP1,Erewash,2025-03-28,victim,threshold_decision,not_upheld,2025-04-23
AP-MET,HP-APP2,High Peak,2025-04-23,victim,threshold_decision,not_upheld,2025-05-02
AP-OK,HP-APP2,High Peak,2025-05-12,victim,review_process,pending,
"""
# High Peak's appeal limits: window 10 and decision 15 from 2025, the window 30 from 20 March 2025
HIGH_PEAK_RULES = """
[[rule]]
authority = "High Peak"
effective_from = "2025-01-01"
sla_appeal_window_days = 10
sla_appeal_decision_days = 15

[[rule]]
authority = "High Peak"
effective_from = "2025-03-20"
sla_appeal_window_days = 30
"""
PUBLISHED = """authority_code,financial_year,applications_received,threshold_not_met,reviews_carried_out,reviews_with_recommendations,published_date,published_by
Amber Valley,2024/25,2,0,0,0,2025-05-15,AVBC community safety
E07000034,2024/25,2,0,2,1,2025-05-20,CBC
"""
TOML = """
[build]
settings = "rules.toml"
published_returns = "published/returns.csv"
""" + REGISTERS_TOML


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    rules = rule_settings.DEFAULT_PATH.read_text(encoding="utf-8") + HIGH_PEAK_RULES
    inputs = write_inputs(tmp_path_factory.mktemp("statutory") / "inputs", TOML, {
        "applications.csv": "\n".join([HEADER, *APPLICATIONS]) + "\n", "appeals.csv": APPEALS,
        "rules.toml": rules, "published/returns.csv": PUBLISHED})
    return build_module_warehouse(inputs, AS_OF)


@pytest.fixture(scope="module")
def con(warehouse):
    connection = db.connect(warehouse)
    yield connection
    connection.close()


def _none(value) -> object:
    return None if pd.isna(value) else value


def _exceptions(con, code: str) -> list[tuple]:
    return con.execute("""select financial_year, application_ref, check_code, severity, reason
                          from mart_statutory_exceptions where authority_code = ? order by 1, 2, 3""",
                       [code]).fetchall()


# --- 1. consistency by intake ---------------------------------------------------------------------

RETURN_COLUMNS = ["applications_received", "threshold_not_met", "reviews_carried_out",
                  "reviews_with_recommendations", "counts_add_up", "intake_not_met", "intake_reviews",
                  "intake_adds_up", "met_without_review", "contradictions", "notes", "is_consistent"]


@pytest.mark.parametrize(("code", "year", "expected"), [
    # MAR1 and MAR2 received; both decided in April (notes)
    (AMBER, "2024/25", [2, 0, 0, 0, True, 1, 1, True, 0, 0, 2, True]),
    # APR received; not met: MAR2 (carried in), APR; review: MAR1 (carried in). 2 + 1 > 1 by date,
    # but the year's intake (APR) adds up: consistent
    (AMBER, "2025/26", [1, 2, 1, 0, False, 1, 0, True, 0, 0, 2, True]),
    # CONTRA received and not met in 2024/25, reviewed in 2025/26: 1 + 0 <= 1 by date, but its
    # intake counts CONTRA as not met and as reviewed: 2 > 1
    (SOUTH, "2024/25", [1, 1, 0, 0, True, 1, 1, False, 0, 0, 0, False]),
    (SOUTH, "2025/26", [0, 0, 1, 1, False, 0, 0, True, 0, 1, 1, False]),
    # OK and OVERDUE received and met; OK reviewed; OVERDUE never reviewed
    (CHESTERFIELD, "2024/25", [2, 0, 1, 1, True, 0, 1, True, 1, 1, 0, False]),
    # EDGE (limit not passed yet) and CLOSED (closed without a review) met
    (CHESTERFIELD, "2025/26", [2, 0, 0, 0, True, 0, 0, True, 1, 1, 0, False]),
])
def test__returns__consistency_checks_each_year_s_intake(con, code, year, expected):
    row = con.execute(f"select {', '.join(RETURN_COLUMNS)} from mart_statutory_returns "
                      "where authority_code = ? and financial_year = ?", [code, year]).fetchall()
    assert list(row[0]) == expected


def test__returns__late_march_applications_are_notes_not_inconsistencies(con):
    assert _exceptions(con, AMBER) == [
        ("2024/25", "AV-MAR1", "decided_after_year_end", "note",
         "received on 2025-03-24 (2024/25), threshold decision on 2025-04-03 (2025/26)"),
        ("2024/25", "AV-MAR2", "decided_after_year_end", "note",
         "received on 2025-03-26 (2024/25), threshold decision on 2025-04-02 (2025/26)"),
        ("2025/26", "AV-MAR1", "carried_in", "note", "reviewed on 2025-04-24, received on 2025-03-24 (2024/25)"),
        ("2025/26", "AV-MAR2", "carried_in", "note",
         "threshold not met on 2025-04-02, received on 2025-03-26 (2024/25)"),
    ]


# --- 2. threshold met but no review -----------------------------------------------------------------

def test__met_without_review__overdue_or_closed_is_a_contradiction_with_its_reason(con):
    assert _exceptions(con, CHESTERFIELD) == [
        ("2024/25", "CH-OVERDUE", "met_without_review", "contradiction",
         "threshold met on 2025-03-10 but no review held by 2025-06-30, though due within 20 working days "
         "(by 2025-04-07)"),
        ("2025/26", "CH-CLOSED", "met_without_review", "contradiction",
         "threshold met on 2025-06-04 but closed without a review (outcome no_further_action, "
         "outcome told 2025-06-13)"),
    ]


def test__met_without_review__flagged_the_day_after_the_limit(con):
    """CH-EDGE: met Mon 2 Jun, 20 working days have passed on Mon 30 Jun (due that day); on Tue 1 Jul 21."""
    late = registry.evaluate(con, "mart_statutory_exceptions", D(2025, 7, 1))
    edge = late[late["application_ref"] == "CH-EDGE"]
    assert edge[["financial_year", "check_code"]].values.tolist() == [["2025/26", "met_without_review"]]
    assert edge["reason"].iloc[0].endswith("though due within 20 working days (by 2025-06-30)")
    returns = registry.evaluate(con, "mart_statutory_returns", D(2025, 7, 1)).set_index(
        ["authority_code", "financial_year"])
    assert returns.loc[(CHESTERFIELD, "2025/26"), "met_without_review"] == 2


# --- 3. appeals -------------------------------------------------------------------------------------

APPEAL_COLUMNS = ["authority_code", "appeal_authority_code", "rule_id", "sla_appeal_decision_days",
                  "decision_working_days", "decision_within_sla", "due_date", "window_rule_id",
                  "sla_appeal_window_days", "lodged_working_days", "is_within_appeal_window",
                  "is_authority_mismatch", "is_grounds_mismatch", "is_flagged"]


@pytest.mark.parametrize(("ref", "expected"), [
    # names Erewash, about a High Peak application: High Peak's limits. Received Fri 28 Mar (rule of
    # 20 Mar): decided Wed 23 Apr = 16 working days (Easter excluded), over 15, due Tue 22 Apr. The
    # window runs from the letter of Tue 11 Mar (rule of 1 Jan: 10): lodged 13 working days later
    ("AP-MISMATCH", [HIGH_PEAK, EREWASH, f"{HIGH_PEAK}@2025-03-20", 15, 16, False, D(2025, 4, 22),
                     f"{HIGH_PEAK}@2025-01-01", 10, 13, False, True, False, True]),
    # letter Tue 15 Apr, appeal Wed 23 Apr = 4 (window 30); decided Fri 2 May = 7; due Thu 15 May
    ("AP-MET", [HIGH_PEAK, HIGH_PEAK, f"{HIGH_PEAK}@2025-03-20", 15, 7, True, D(2025, 5, 15),
                f"{HIGH_PEAK}@2025-03-20", 30, 4, True, False, True, True]),
    ("AP-OK", [HIGH_PEAK, HIGH_PEAK, f"{HIGH_PEAK}@2025-03-20", 15, None, None, D(2025, 6, 3),
               f"{HIGH_PEAK}@2025-03-20", 30, 1, True, False, False, False]),
])
def test__appeals__limits_of_the_application_s_authority(con, ref, expected):
    row = con.execute(f"select {', '.join(APPEAL_COLUMNS)} from mart_appeals where appeal_ref = ?",
                      [ref]).df().iloc[0]
    got = [_none(row[c]) for c in APPEAL_COLUMNS]
    got[6] = pd.Timestamp(got[6]).date()
    assert got == expected


def test__appeals__flags_name_the_problem(con):
    got = con.execute("select appeal_ref, flags from mart_appeals order by appeal_ref").fetchall()
    assert got == [
        ("AP-MET", "appealed on the grounds \"threshold decision\", but the threshold of HP-APP2 was met (decided 2025-04-14): "
                   "a met threshold decision cannot be appealed on those grounds"),
        ("AP-MISMATCH", "the appeal names Erewash (E07000036), but HP-APP1 is an application to High Peak "
                        "(E07000037): High Peak's limits apply"),
        ("AP-OK", None),
    ]


# --- 4. frozen published returns --------------------------------------------------------------------

def test__published__the_build_loads_the_frozen_file(con):
    got = con.execute("select * from published_returns order by authority_code").df()
    assert got[["authority_code", "financial_year", "applications_received", "threshold_not_met",
                "reviews_carried_out", "reviews_with_recommendations", "published_by"]].values.tolist() == [
        [AMBER, "2024/25", 2, 0, 0, 0, "AVBC community safety"],
        [CHESTERFIELD, "2024/25", 2, 0, 2, 1, "CBC"]]
    assert [d.date() for d in got["published_date"]] == [D(2025, 5, 15), D(2025, 5, 20)]


@pytest.mark.parametrize(("code", "year", "expected"), [
    (AMBER, "2024/25", [True, 2, 0, 0, 0, False, None]),
    (CHESTERFIELD, "2024/25", [True, 2, 0, 2, 1, True, "reviews carried out: published 2, now 1"]),
    (CHESTERFIELD, "2025/26", [False, None, None, None, None, False, None]),
])
def test__published__frozen_and_current_figures_side_by_side(con, code, year, expected):
    columns = ["is_frozen", "published_applications_received", "published_threshold_not_met",
               "published_reviews_carried_out", "published_reviews_with_recommendations", "is_restated",
               "restatement"]
    row = con.execute(f"select {', '.join(columns)} from mart_statutory_returns "
                      "where authority_code = ? and financial_year = ?", [code, year]).df().iloc[0]
    assert [_none(row[c]) for c in columns] == expected


def test__published__a_declared_file_not_there_yet_is_a_note_and_no_rows(tmp_path):
    con = duckdb.connect()
    con.execute(sqlfile.read("warehouse"))
    note = returns_file.load(con, tmp_path / "published" / "returns.csv")
    assert note == (f"no published returns frozen yet: {tmp_path / 'published' / 'returns.csv'} does not "
                    "exist (asb returns freeze writes it)")
    assert con.execute("select count(*) from published_returns").fetchall() == [(0,)]
    assert returns_file.load(con, None) is None


@pytest.mark.parametrize(("line", "message"), [
    ("Narnia,2024/25,1,0,0,0,2025-05-01,x", "line 2: authority 'Narnia' is not one of the nine"),
    ("Erewash,2024-25,1,0,0,0,2025-05-01,x", "line 2: financial_year '2024-25' is not like 2024/25"),
    ("Erewash,2024/26,1,0,0,0,2025-05-01,x", "line 2: financial_year '2024/26' is not like 2024/25"),
    ("Erewash,2024/25,one,0,0,0,2025-05-01,x", "line 2: applications_received 'one' is not a whole number"),
    ("Erewash,2024/25,1,0,-1,0,2025-05-01,x", "line 2: reviews_carried_out '-1' is not a whole number"),
    ("Erewash,2024/25,1,0,0,0,15/05/2025,x", "line 2: published_date '15/05/2025' is not a date (YYYY-MM-DD)"),
])
def test__published__a_bad_row_names_its_line(tmp_path, line, message):
    path = tmp_path / "returns.csv"
    path.write_text(f"{','.join(returns_file.REQUIRED)}\n{line}\n", encoding="utf-8")
    with pytest.raises(returns_file.ReturnsFileError, match=f"^{re.escape(f'{path}: {message}')}$"):
        returns_file.read(path)


def test__published__a_year_frozen_twice_or_a_missing_column_is_an_error(tmp_path):
    path = tmp_path / "returns.csv"
    row = "Erewash,2024/25,1,0,0,0,2025-05-01,x"
    path.write_text(f"{','.join(returns_file.REQUIRED)}\n{row}\nE07000036,2024/25,2,0,0,0,2025-05-02,y\n")
    with pytest.raises(returns_file.ReturnsFileError, match="line 3: E07000036 2024/25 is frozen twice"):
        returns_file.read(path)
    path.write_text("authority_code,financial_year,applications_received\nErewash,2024/25,1\n")
    with pytest.raises(returns_file.ReturnsFileError, match="missing column"):
        returns_file.read(path)


def _freeze(*args) -> list[str]:
    return ["returns", "freeze", *map(str, args)]


def test__freeze__appends_refuses_to_overwrite_and_forces(warehouse, con, tmp_path, capsys):
    out = tmp_path / "published" / "returns.csv"
    assert cli.main(_freeze("--warehouse", warehouse, "--year", "2024/25", "--authority", "High Peak",
                            "--out", out, "--published-by", "HPBC", "--published-date", "2025-06-01")) == 0
    assert "froze 2024/25 for 1 authority" in capsys.readouterr().out
    first = out.read_text(encoding="utf-8")
    assert first.splitlines() == [
        ",".join(returns_file.COLUMNS),
        f"{HIGH_PEAK},2024/25,1,1,0,0,2025-06-01,HPBC,2025-06-30"]
    # again: refused, file untouched
    assert cli.main(_freeze("--warehouse", warehouse, "--year", "2024/25", "--authority", HIGH_PEAK,
                            "--out", out)) == 2
    err = capsys.readouterr().err
    assert "already holds the published 2024/25 figures of High Peak" in err and "--force" in err
    assert out.read_text(encoding="utf-8") == first
    # every authority: refused as a whole because High Peak is there, nothing written
    assert cli.main(_freeze("--warehouse", warehouse, "--year", "2024/25", "--out", out)) == 2
    assert out.read_text(encoding="utf-8") == first
    # --force replaces High Peak and appends the other eight
    assert cli.main(_freeze("--warehouse", warehouse, "--year", "2024/25", "--out", out, "--force",
                            "--published-by", "OPCC", "--published-date", "2025-06-02")) == 0
    frozen = returns_file.read(out)
    assert len(frozen) == 9 and set(frozen["published_by"]) == {"OPCC"}
    assert frozen.set_index("authority_code").loc[HIGH_PEAK, ["applications_received", "threshold_not_met"]].tolist() \
        == [1, 1]
    current = con.execute(
        "select authority_code, applications_received, threshold_not_met, reviews_carried_out, "
        "reviews_with_recommendations from mart_statutory_returns where financial_year = '2024/25' "
        "order by authority_code").df()
    figures = frozen.sort_values("authority_code")[list(current.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(figures, current, check_dtype=False)


def test__freeze__the_file_is_what_the_build_reads(warehouse, tmp_path, capsys):
    """Freezing into a copy of the inputs' file and rebuilding shows the year as frozen, not restated."""
    inputs = warehouse.parent / "inputs"
    copy = tmp_path / "inputs"
    shutil.copytree(inputs, copy)
    assert cli.main(_freeze("--warehouse", warehouse, "--year", "2024/25", "--authority", "High Peak",
                            "--out", copy / "published" / "returns.csv")) == 0
    result, rebuilt = run_build(copy, tmp_path / "rebuilt.duckdb", as_of=AS_OF)
    got = rebuilt.execute("""select authority_code, is_frozen, is_restated from mart_statutory_returns
                             where financial_year = '2024/25' and is_frozen order by 1""").fetchall()
    rebuilt.close()
    assert got == [(AMBER, True, False), (CHESTERFIELD, True, True), (HIGH_PEAK, True, False)]


@pytest.mark.parametrize(("year", "message"), [
    ("2025/26", "2025/26 has not ended on the warehouse's as-of date 2025-06-30"),
    ("2019/20", "no 2019/20 in the warehouse's statutory returns (2024/25 to 2025/26)"),
    ("2019-20", "'2019-20' is not a financial year like 2024/25"),
])
def test__freeze__refuses_a_year_not_ended_or_not_there(warehouse, tmp_path, capsys, year, message):
    out = tmp_path / "returns.csv"
    try:
        code = cli.main(_freeze("--warehouse", warehouse, "--year", year, "--out", out))
    except SystemExit as exc:  # argparse refuses what is not a year at all
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


# --- the same SQL live, and the pages ---------------------------------------------------------------

@pytest.mark.parametrize("mart", ["mart_statutory_exceptions", "mart_statutory_returns", "mart_appeals"])
def test__evaluate__at_the_build_date_equals_the_stored_mart(con, mart):
    stored = con.execute(f"select * from {mart}").df()
    live = registry.evaluate(con, mart, AS_OF)
    key = list(stored.columns[:4])
    pd.testing.assert_frame_equal(live.sort_values(key).reset_index(drop=True),
                                  stored[live.columns].sort_values(key).reset_index(drop=True), check_dtype=False)


def test__partnership_page__restatements_beside_the_frozen_figures(warehouse, monkeypatch):
    at = open_app(monkeypatch, warehouse, "app_pages/partnership.py", authority=[CHESTERFIELD, AMBER],
                  start="2024-04-01", end="2025-06-30")
    published = next(d.value for d in at.dataframe if "figure" in d.value.columns)  # Amber Valley first
    # 2025/26 is not over on the build's date: its heading says to when
    this_year = next(c for c in published.columns if c.startswith("2025/26 (to "))
    assert published["2024/25"].tolist() == [2, 0, 0, 0] and published[this_year].tolist() == [1, 2, 1, 0]
    at.selectbox(key="pt_authority").set_value(CHESTERFIELD).run()
    published = next(d.value for d in at.dataframe if "figure" in d.value.columns)
    assert published["2024/25"].tolist() == ["2", "0", "published 2, now 1", "1"]
    assert any("2024/25 published on 20 May 2025 by CBC" in c.value for c in at.caption)
    returns = next(d.value for d in at.dataframe if "is_consistent" in d.value.columns)
    restated = returns[returns["is_restated"]]
    assert restated[["authority_code", "financial_year", "restatement"]].values.tolist() == [
        [CHESTERFIELD, "2024/25", "reviews carried out: published 2, now 1"]]
    checks = next(d.value for d in at.dataframe if "check_code" in d.value.columns)
    assert set(checks.loc[checks["severity"] == "contradiction", "application_ref"]) == {"CH-OVERDUE", "CH-CLOSED"}


def test__appeals_page__flagged_appeals_with_reasons(warehouse, monkeypatch):
    at = open_app(monkeypatch, warehouse, "app_pages/appeals.py", authority=[HIGH_PEAK, EREWASH],
                  start="2025-01-01", end="2025-06-30")
    assert "Flagged appeals" in [s.value for s in at.subheader]
    flagged = next(d.value for d in at.dataframe  # not the list of appeals, nor "Needs action" (working days left)
                   if "flags" in d.value.columns and not {"decision_working_days", "working_days_left"} & set(d.value.columns))
    assert flagged[["appeal_ref", "application_ref", "authority_name"]].values.tolist() == [
        ["AP-MET", "HP-APP2", "High Peak"], ["AP-MISMATCH", "HP-APP1", "High Peak"]]
    assert flagged["flags"].str.contains("cannot be appealed|High Peak's limits apply").all()
    listed = next(d.value for d in at.dataframe if "decision_working_days" in d.value.columns)
    assert listed.set_index("appeal_ref")["flags"].notna().to_dict() == {
        "AP-OK": False, "AP-MET": True, "AP-MISMATCH": True}
    assert {"appeal_authority_code", "flags"} <= set(listed.columns)  # the CSV download is this frame


def test__return__a_restated_year_says_so_in_its_s104_files(warehouse, tmp_path):
    """A year frozen as published and changed since: the return's s.104 table, which a council puts
    on its website, says the figures were restated and how, as the Partnership page does, rather
    than printing the new figure alone (found by a black-box audit of the exports)."""
    out = tmp_path / "return"
    assert cli.main(["export", "return", "--warehouse", str(warehouse), "--out", str(out), "--year", "2024/25",
                     "--authority", "Chesterfield", "--authority", "Amber Valley"]) == 0
    chesterfield = next(out.glob("E07000034_*_s104.csv")).read_text(encoding="utf-8")
    page = next(out.glob("E07000034_*_s104.html")).read_text(encoding="utf-8")
    assert "reviews carried out: published 2, now 1" in chesterfield and "published 2, now 1" in page
    assert "Restated" in chesterfield and "Restated" in page
    assert "Restated" not in next(out.glob("E07000032_*_s104.csv")).read_text(encoding="utf-8")


def test__published__a_running_year_is_frozen_only_from_its_published_date(con):
    """Figures published after the year ended were shown as published, and "restated", as of a
    date when the year was still running (the returns audit of 6 December 2026: a return for
    2024/25 to 1 February 2025 carried "Restated since these figures were published on ...").
    A year is frozen on a date once it has ended by then (its figures are those published) or
    they were published by then."""
    for day, frozen in ((D(2025, 2, 1), False), (D(2025, 3, 31), True), (D(2025, 5, 16), True)):
        frame = registry.evaluate(con, "mart_statutory_returns", day).set_index(["authority_code", "financial_year"])
        for code in (AMBER, CHESTERFIELD):
            row = frame.loc[(code, "2024/25")]
            assert bool(row["is_frozen"]) == frozen, (day, code)
            if not frozen:
                assert not bool(row["is_restated"]) and _none(row["restatement"]) is None
                assert _none(row["published_date"]) is None


@pytest.mark.parametrize(("published", "message"), [
    ("2025-03-01", "--published-date 2025-03-01 is before 2024/25 ended (31 March 2025)"),
    ("2099-05-01", "--published-date 2099-05-01 is after today"),
])
def test__freeze__refuses_a_published_date_that_cannot_be(warehouse, tmp_path, capsys, published, message):
    """A year cannot be published before it ends, nor on a day still to come (the returns audit:
    both were frozen, and quoted in every restatement note)."""
    out = tmp_path / "returns.csv"
    assert cli.main(_freeze("--warehouse", warehouse, "--year", "2024/25", "--out", out,
                            "--published-date", published)) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
