"""The threshold engine (etl/marts/threshold.py + SQL) on hand-made histories in a real DuckDB.

Table tests cover the edge cases the issue names; a property test compares the engine with the
plain day-by-day reference in threshold_reference.py on random histories.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import run_build, write_inputs
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from threshold_reference import Complaint, Rule
from threshold_reference import counting as reference_counting
from threshold_reference import group as reference_group
from threshold_reference import is_met as reference_is_met
from threshold_reference import second_reports as reference_second_reports
from threshold_reference import status as reference_status

from etl import sqlfile
from etl.marts import registry, reviews, threshold
from etl.rules import settings as rule_settings
from insight.queries import run

D = dt.date
EREWASH, DERBY, BOLSOVER = "E07000036", "E06000015", "E07000033"
CELL = "89195da49b7ffff"
_ids = itertools.count(1)


def _rules_toml(tmp_path, extra: str = "", **defaults) -> rule_settings.Rules:
    """The project's [defaults] with some values changed, plus `extra` rules."""
    head = rule_settings.DEFAULT_PATH.read_text(encoding="utf-8").split("\n[[rule]]")[0]
    for key, value in defaults.items():
        head = "\n".join(f"{key} = {str(value).lower() if isinstance(value, bool) else value}"
                         if line.split("=")[0].strip() == key else line for line in head.splitlines())
    path = tmp_path / "rules.toml"
    path.write_text(head + "\n" + extra, encoding="utf-8")
    return rule_settings.load(path)


def incident(person, authority, reported, occurred=None, *, is_hate=False, category="personal", cell=CELL,
             agencies="council", case_ref=None, explained=None) -> dict:
    return {"incident_id": f"t:{next(_ids):05d}", "person_key": person, "authority_code": authority,
            "reported_date": reported, "occurred_date": occurred or reported, "is_hate": is_hate,
            "asb_category": category, "asb_type": "noise", "agencies": agencies, "h3_r9": cell,
            "agency": agencies.split(",")[0], "case_ref": case_ref, "review_explained_date": explained,
            "h3_r8": None, "h3_r10": None}


def engine(tmp_path, incidents: list[dict], as_of: dt.date, rules: rule_settings.Rules | None = None,
           applications: list[dict] | None = None,
           merged: list[tuple] | None = None) -> duckdb.DuckDBPyConnection:
    """A real DuckDB warehouse holding just these rows, with the engine built as of `as_of`;
    `merged`: (incident_id, report_id, reported_date, is_hate) of the reports of incidents with
    several (incident_merged_reports, the first of each incident its anchor)."""
    con = duckdb.connect(str(tmp_path / f"w{next(_ids)}.duckdb"))
    con.execute(sqlfile.read("warehouse"))
    frame = pd.DataFrame(incidents, columns=["incident_id", "person_key", "authority_code", "reported_date",
                                             "occurred_date", "is_hate", "asb_category", "asb_type",
                                             "agencies", "h3_r9", "agency", "case_ref",
                                             "review_explained_date", "h3_r8", "h3_r10"])
    con.register("_inc", frame)
    con.execute("""insert into incidents by name select *, 'test' as source,
        1 as report_count, 'f.csv' as source_file, 1 as source_row from _inc""")
    apps = pd.DataFrame(applications or [], columns=["application_ref", "authority_code", "person_key",
                                                     "received_date"])
    con.register("_apps", apps)
    con.execute("""insert into applications by name select *, 'pending' as decision, 'test' as source,
        'a.csv' as source_file, 1 as source_row from _apps""")
    con.execute("insert into authorities (authority_code, authority_name, authority_kind) "
                "values ('E07000036', 'Erewash', 'district')")
    seen: set[str] = set()
    for incident_id, report_id, reported, is_hate in merged or []:
        con.execute("insert into incident_merged_reports (incident_id, report_id, source, agency, reported_date, "
                    "is_merged, source_file, source_row, is_hate) values (?, ?, 'test', 'council', ?, ?, 'f.csv', 1, ?)",
                    [incident_id, report_id, reported, incident_id in seen, is_hate])
        seen.add(incident_id)
    threshold.store_rules(con, rules or _rules_toml(tmp_path))
    reviews.store_calendar(con)
    registry.build(con, "threshold", registry.Context(as_of))
    return con


def rows(con, mart: str = "mart_threshold_status") -> dict:
    frame = con.execute(f"select * from {mart}").df()
    key = ["person_key", "authority_code"] if "person_key" in frame else ["cluster_cell", "asb_category"]
    return {tuple(r[k] for k in key): r for r in frame.to_dict("records")}


# --- table tests -------------------------------------------------------------------------------

@pytest.mark.parametrize(("reported", "as_of", "counts", "expires"), [
    # window_expires_date = the last day the complaint counts (DESIGN.md contract examples)
    (D(2025, 8, 31), D(2026, 2, 28), True, D(2026, 2, 28)),   # 31 Aug + 6 months = 28 Feb, still counts
    (D(2025, 8, 31), D(2026, 3, 1), False, None),             # ... gone the next day
    (D(2024, 8, 31), D(2024, 9, 1), True, D(2025, 2, 28)),    # contract: 31 Aug 2024 -> 28 Feb 2025
    (D(2024, 8, 28), D(2024, 9, 1), True, D(2025, 2, 27)),    # contract: 28 Aug 2024 -> 27 Feb 2025
    (D(2024, 8, 28), D(2025, 2, 27), True, D(2025, 2, 27)),   # ... counts on its last day
    (D(2024, 8, 28), D(2025, 2, 28), False, None),            # ... and not the day after
    (D(2023, 8, 31), D(2024, 2, 29), True, D(2024, 2, 29)),   # leap year: 29 Feb
    (D(2024, 2, 29), D(2024, 8, 28), True, D(2024, 8, 28)),   # contract: a leap day -> 28 Aug
    (D(2024, 2, 29), D(2024, 8, 29), False, None),
    (D(2025, 3, 15), D(2025, 9, 14), True, D(2025, 9, 14)),   # contract: 15 Mar -> 14 Sep, its last day
    (D(2025, 3, 15), D(2025, 9, 15), False, None),
    (D(2025, 3, 15), D(2025, 3, 14), False, None),            # not yet made
])
def test__threshold__month_ends_and_leap_days(tmp_path, reported, as_of, counts, expires):
    con = engine(tmp_path, [incident("p1", EREWASH, reported)], as_of)
    got = rows(con)
    assert (("p1", EREWASH) in got) == counts
    if counts:
        assert got["p1", EREWASH]["window_expires_date"].date() == expires


@pytest.mark.parametrize(("occurred", "reported", "qualifies"), [
    (D(2025, 1, 1), D(2025, 2, 1), True),     # within one month of the behaviour
    (D(2025, 1, 1), D(2025, 2, 2), False),    # reported more than a month later
    (D(2025, 1, 31), D(2025, 2, 28), True),   # month-end: 31 Jan + 1 month = 28 Feb
    (D(2025, 1, 31), D(2025, 3, 1), False),
])
def test__threshold__late_reports_do_not_qualify(tmp_path, occurred, reported, qualifies):
    con = engine(tmp_path, [incident("p1", EREWASH, reported, occurred)], D(2025, 4, 1))
    assert (("p1", EREWASH) in rows(con)) == qualifies


def test__threshold__met_near_miss_expiry_and_first_met(tmp_path):
    """3 in the window = met (since the 3rd); 2 = near-miss, expiring 6 months after the oldest."""
    con = engine(tmp_path, [
        incident("met", EREWASH, D(2025, 1, 10)), incident("met", EREWASH, D(2025, 2, 10)),
        incident("met", EREWASH, D(2025, 3, 10)), incident("near", EREWASH, D(2025, 2, 1)),
        incident("near", EREWASH, D(2025, 5, 1)), incident("one", EREWASH, D(2025, 5, 1)),
    ], D(2025, 6, 1))
    got = rows(con)
    met, near, one = got["met", EREWASH], got["near", EREWASH], got["one", EREWASH]
    assert (met["qualifying_complaints"], met["is_threshold_met"], met["is_near_miss"]) == (3, True, False)
    assert met["first_met_date"].date() == met["met_since_date"].date() == D(2025, 3, 10)
    assert (near["qualifying_complaints"], near["is_threshold_met"], near["is_near_miss"]) == (2, False, True)
    assert near["window_expires_date"].date() == D(2025, 7, 31) and pd.isna(near["first_met_date"])
    assert (one["is_threshold_met"], one["is_near_miss"]) == (False, False)
    assert met["rule_id"] == "E07000036@2014-10-20" and met["victim_threshold"] == 3


def test__threshold__people_in_two_authorities_have_a_row_each(tmp_path):
    con = engine(tmp_path, [incident("p", EREWASH, D(2025, 1, 10)), incident("p", EREWASH, D(2025, 2, 10)),
                            incident("p", DERBY, D(2025, 3, 10))], D(2025, 4, 1))
    got = rows(con)
    assert got["p", EREWASH]["qualifying_complaints"] == 2 and got["p", EREWASH]["is_near_miss"]
    assert got["p", DERBY]["qualifying_complaints"] == 1 and not got["p", DERBY]["is_near_miss"]


def test__threshold__hate_threshold_and_dated_rule_change(tmp_path):
    """Derby's lower hate count applies to evaluations on or after its effective date only."""
    rules = _rules_toml(tmp_path, '[[rule]]\nauthority = "Derby"\neffective_from = "2025-04-01"\nhate_threshold = 1\n')
    hate = [incident("h", DERBY, D(2025, 3, 1), is_hate=True)]
    before = rows(engine(tmp_path, hate, D(2025, 3, 31), rules))["h", DERBY]
    after = rows(engine(tmp_path, hate, D(2025, 4, 1), rules))["h", DERBY]
    assert (before["is_threshold_met"], before["rule_id"]) == (False, "E06000015@2014-10-20")
    assert (after["is_threshold_met"], after["rule_id"]) == (True, "E06000015@2025-04-01")
    assert after["first_met_date"].date() == D(2025, 4, 1)  # the day the new rule made it count


@pytest.mark.parametrize("authority", [EREWASH, DERBY])
def test__threshold__the_shipped_settings_count_hate_complaints_like_any_other(tmp_path, authority):
    """With the shipped settings (etl/rules/authorities.toml) a person meets the threshold at three
    qualifying complaints in every authority on every date, hate incidents or not (DESIGN.md
    contract: met at victim_threshold, default 3; near-miss one short). The file used to carry an
    illustrative hate rule for Derby from April 2025, under which one hate complaint met the
    threshold and two were met, not a near miss, in a partnership's own build; it is the demo's now."""
    hate = [incident("h", authority, D(2025, 6, 1), is_hate=True), incident("h", authority, D(2025, 7, 1), is_hate=True)]
    got = rows(engine(tmp_path, hate, D(2025, 8, 31)))["h", authority]
    assert (got["qualifying_complaints"], got["is_threshold_met"], got["is_near_miss"]) == (2, False, True)
    shipped = rule_settings.load().table
    assert (shipped.hate_threshold == 0).all() and (shipped.victim_threshold == 3).all()


def test__threshold__application_clears_the_automatic_review_list(tmp_path):
    inc = [incident(p, EREWASH, d) for p in ("a", "b") for d in (D(2025, 1, 5), D(2025, 2, 5), D(2025, 3, 5))]
    apps = [{"application_ref": "CT-1", "authority_code": EREWASH, "person_key": "a",
             "received_date": D(2025, 3, 20)},
            {"application_ref": "CT-0", "authority_code": EREWASH, "person_key": "b",   # years before
             "received_date": D(2022, 1, 1)}]
    got = rows(engine(tmp_path, inc, D(2025, 4, 1), applications=apps))
    assert got["a", EREWASH]["has_application"] and not got["b", EREWASH]["has_application"]


def test__threshold__same_incident_to_police_and_council_counts_once(tmp_path):
    """Through the real build: the police twin of a council report merges, leaving a near-miss."""
    header = "incident_ref,agency,authority,reported_date,asb_category,asb_type,postcode,person_ref"
    council = [f"C{i},council,,2025-0{m}-10,personal,noise,NG10 1AA,ECN-7" for i, m in ((1, 3), (2, 4))]
    police = ["P1,police,,2025-03-11,personal,noise,NG10 1AA,ECN-7"]
    toml = ('[[source]]\nslug = "erewash"\nkind = "incidents"\npath = "e.csv"\n'
            '[[source]]\nslug = "police"\nkind = "incidents"\npath = "p.csv"\n')
    inputs = write_inputs(tmp_path / "in", toml, {"e.csv": "\n".join([header, *council]) + "\n",
                                                  "p.csv": "\n".join([header, *police]) + "\n"})
    _, con = run_build(inputs, as_of=D(2025, 5, 1))
    got = con.execute("select qualifying_complaints, is_near_miss, is_threshold_met from mart_threshold_status"
                      ).fetchall()
    assert got == [(2, True, False)]


def test__community__distinct_reporters_related_by_cell_and_category(tmp_path):
    """Bolsover: 5 people in one cell and category = met; anonymous reports add incidents only."""
    rules = _rules_toml(tmp_path, '[[rule]]\nauthority = "Bolsover"\neffective_from = "2020-01-01"\n'
                                  'community_route = true\n')
    other = "89195da4983ffff"
    inc = [incident(f"r{i}", BOLSOVER, D(2025, 3, i + 1)) for i in range(5)]
    inc += [incident(None, BOLSOVER, D(2025, 3, 20)) for _ in range(3)]
    inc += [incident(f"s{i}", BOLSOVER, D(2025, 3, i + 1), cell=other) for i in range(3)]
    inc += [incident("x", BOLSOVER, D(2025, 3, 1), category="environmental"),
            incident("y", EREWASH, D(2025, 3, 1))]  # no community route in Erewash
    got = rows(engine(tmp_path, inc, D(2025, 4, 1), rules), "mart_community_status")
    met, near = got[CELL, "personal"], got[other, "personal"]
    assert (met["distinct_reporters"], met["incidents"], met["anonymous_reports"]) == (5, 8, 3)
    assert met["is_threshold_met"] and not met["is_near_miss"]
    assert met["window_expires_date"].date() == D(2025, 8, 31)  # r0's report (1 March) counts until 31 August
    assert (near["distinct_reporters"], near["is_near_miss"], near["is_threshold_met"]) == (3, True, False)
    assert got[CELL, "environmental"]["distinct_reporters"] == 1
    assert {r["authority_code"] for r in got.values()} == {BOLSOVER}


def test__threshold__anonymous_reports_are_never_a_person(tmp_path):
    con = engine(tmp_path, [incident(None, EREWASH, D(2025, 3, 1)) for _ in range(4)], D(2025, 4, 1))
    assert rows(con) == {}


def test__history__counts_people_at_each_month_end(tmp_path):
    inc = [incident("p", EREWASH, d) for d in (D(2025, 1, 10), D(2025, 2, 10), D(2025, 3, 10))]
    con = engine(tmp_path, inc, D(2025, 9, 30))
    hist = {r[0]: r[1:] for r in con.execute("""select month_end, near_miss_people, met_people, newly_met_people
        from mart_threshold_history where authority_code = 'E07000036' order by 1""").fetchall()}
    assert hist[D(2025, 1, 31)] == (0, 0, 0)
    assert hist[D(2025, 2, 28)] == (1, 0, 0)
    assert hist[D(2025, 3, 31)] == (0, 1, 1)
    assert hist[D(2025, 7, 31)] == (1, 0, 0)   # January's complaint dropped out on 10 July
    assert hist[D(2025, 9, 30)] == (0, 0, 0)


# --- property test -----------------------------------------------------------------------------

DAYS = st.dates(min_value=D(2024, 9, 1), max_value=D(2025, 9, 30))
# Month ends and the 28th-31st are where month arithmetic goes wrong: draw them often.
EDGY = st.builds(lambda y, m, d: D(y, m, 1) + pd.offsets.MonthEnd(0) - pd.Timedelta(days=d),
                 st.just(2025), st.integers(1, 9), st.integers(0, 3)).map(
    lambda t: t.date() if hasattr(t, "date") else t)
REPORTED = st.one_of(DAYS, EDGY)


@st.composite
def histories(draw):
    people = draw(st.lists(st.sampled_from(["a", "a", "b", "c"]), min_size=1, max_size=12))
    out = []
    for person in people:
        reported = draw(REPORTED)
        delay = draw(st.sampled_from([0, 0, 1, 15, 28, 30, 31, 45]))
        authority = draw(st.sampled_from([EREWASH, EREWASH, DERBY]))
        out.append(Complaint(person, authority, reported, reported - dt.timedelta(delay),
                             draw(st.booleans()), draw(st.sampled_from(["personal", "personal", "nuisance"])),
                             draw(st.sampled_from([None, "C1", "C1", "C2"]))))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories(), as_of=st.one_of(st.dates(D(2025, 1, 1), D(2025, 12, 31)), EDGY),
       rule=st.builds(Rule, victim_threshold=st.integers(2, 4), window_months=st.sampled_from([3, 6]),
                      qualifying_report_months=st.sampled_from([1, 2]),
                      hate_threshold=st.sampled_from([0, 0, 1, 2, 3]), hate_window_months=st.sampled_from([3, 6, 12]),
                      related_by=st.sampled_from(["any", "any", "category", "case"])))
def test__threshold__engine_equals_reference(tmp_path, history, as_of, rule):
    """Every figure of mart_threshold_status and every second-report event, under each related_by."""
    rules = _rules_toml(tmp_path, victim_threshold=rule.victim_threshold, window_months=rule.window_months,
                        qualifying_report_months=rule.qualifying_report_months,
                        hate_threshold=rule.hate_threshold, hate_window_months=rule.hate_window_months,
                        related_by=f'"{rule.related_by}"', effective_from='"2000-01-01"')
    inc = [incident(c.person, c.authority, c.reported, c.occurred, is_hate=c.is_hate, category=c.category,
                    case_ref=c.case) for c in history]
    history = [dataclasses.replace(c, incident=i["incident_id"]) for c, i in zip(history, inc, strict=True)]
    con = engine(tmp_path, inc, as_of, rules)
    got = rows(con)
    want = reference_status(history, as_of, rule)
    events = con.execute("select person_key, authority_code, second_report_date from mart_second_reports "
                         "order by all").fetchall()
    assert [(p, a, d) for p, a, d in events] == sorted(reference_second_reports(history, as_of, rule))
    for row in want.values():
        event("met" if row["is_threshold_met"] else "near-miss" if row["is_near_miss"] else "below")
        event("has first_met_date" if row["first_met_date"] else "never met")
        event(f"related_by {rule.related_by}, group {'named' if row['related_group'] else 'any'}")
    assert set(got) == set(want)
    for key, expected in want.items():
        actual = got[key]
        for field, value in expected.items():
            a = actual[field]
            if field == "counted_incident_ids":   # the complaints behind the row's references and agencies
                a = list(a)
            else:
                a = None if pd.isna(a) else (a.date() if hasattr(a, "date") else a)
            assert a == value, (key, field, a, value)
    _partial_evaluations_agree(con, as_of)


LISTS = ["lead_agency", "agencies", "counted_incident_ids"]


def _partial_evaluations_agree(con, as_of: dt.date) -> None:
    """What a page evaluates for another date: without the complaints' lists, every other column
    equals the stored row; for some people (`persons`), their rows equal the stored ones whole."""
    def norm(frame):
        return frame.sort_values(["authority_code", "person_key"]).reset_index(drop=True).astype(str)
    stored = con.execute("select * from mart_threshold_status").df()
    bare = registry.evaluate(con, "mart_threshold_status", as_of, with_lists=False)
    assert bare[LISTS].isna().all().all()
    pd.testing.assert_frame_equal(norm(bare.drop(columns=LISTS)), norm(stored.drop(columns=LISTS)))
    some = stored.iloc[::2]
    items = list(some["authority_code"] + "|" + some["person_key"]) + ["E07000036|nobody"]
    pd.testing.assert_frame_equal(norm(registry.evaluate(con, "mart_threshold_status", as_of, persons=items)),
                                  norm(some))


# Days on which complaints collide: the same day, and a day on which an earlier one drops out of a
# three- or six-month window (10 January counts until 9 April or 9 July; 31 August until 27 or 28
# February), so one day holds several events of one person, +1 and -1 together.
COLLIDING = st.sampled_from([D(2025, 1, 10), D(2025, 2, 1), D(2025, 4, 10), D(2025, 5, 1), D(2025, 7, 10),
                             D(2025, 8, 1), D(2025, 8, 31), D(2025, 11, 30), D(2026, 2, 28), D(2026, 3, 1)])


@st.composite
def colliding_histories(draw):
    out = []
    for person in draw(st.lists(st.sampled_from(["a", "a", "a", "b"]), min_size=2, max_size=10)):
        reported = draw(COLLIDING)
        out.append(Complaint(person, EREWASH, reported, reported, draw(st.booleans()),
                             draw(st.sampled_from(["personal", "nuisance"]))))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=colliding_histories(),
       rule=st.builds(Rule, victim_threshold=st.integers(2, 4), window_months=st.sampled_from([3, 6]),
                      hate_threshold=st.sampled_from([0, 0, 2, 3]), hate_window_months=st.sampled_from([3, 6, 12]),
                      related_by=st.sampled_from(["any", "any", "category"])))
def test__timeline__equals_reference_day_by_day(tmp_path, history, rule):
    """int_threshold_timeline, which the status's met-since and first-met dates, the month-end
    history and the re-triggers read: on every day, the interval holding it (if any) has the
    reference's count and met, it exists exactly when the person is met or one short, and its
    crossings are the days the person became met (met that day, not the day before)."""
    rules = _rules_toml(tmp_path, victim_threshold=rule.victim_threshold, window_months=rule.window_months,
                        hate_threshold=rule.hate_threshold, hate_window_months=rule.hate_window_months,
                        related_by=f'"{rule.related_by}"', effective_from='"2000-01-01"')
    inc = [incident(c.person, c.authority, c.reported, c.occurred, is_hate=c.is_hate, category=c.category)
           for c in history]
    con = engine(tmp_path, inc, D(2026, 3, 31), rules)
    timeline = con.execute("""select c.person_key, c.related_group, t.from_date, t.to_date, t.qualifying_count,
            t.is_met, t.is_crossing
        from int_threshold_timeline t
        join (select distinct person_authority_id, person_key, related_group from int_complaints) c
          using (person_authority_id)""").fetchall()
    days = [D(2025, 1, 1) + dt.timedelta(n) for n in range((D(2026, 10, 31) - D(2025, 1, 1)).days)]
    for person, name in {(c.person, reference_group(c, rule)) for c in history}:
        cs = [c for c in history if c.person == person and reference_group(c, rule) == name]
        rows = [r for r in timeline if r[:2] == (person, name)]
        assert all(r[2] < r[3] for r in rows), rows   # no empty interval
        for day in days:
            count, met = len(reference_counting(cs, day, rule)), reference_is_met(cs, day, rule)
            holding = [r for r in rows if r[2] <= day < r[3]]
            if met or count == rule.victim_threshold - 1:
                assert [(r[4], r[5]) for r in holding] == [(count, met)], (person, name, day)
            else:
                assert holding == [], (person, name, day)
        crossings = sorted(r[2] for r in rows if r[6])
        assert crossings == [d for d in days if reference_is_met(cs, d, rule)
                             and not reference_is_met(cs, d - dt.timedelta(1), rule)], (person, name)


# --- issue 13: the contract's corrections and the new rules ------------------------------------

@pytest.mark.parametrize(("received", "has"), [
    (D(2025, 1, 4), False),    # the day before the oldest counted complaint: an earlier spell
    (D(2025, 1, 5), True),     # the same day
    (D(2025, 3, 31), True),
    (D(2025, 4, 2), False),    # after the as-of date: not yet made
])
def test__threshold__has_application_only_since_the_oldest_counted_complaint(tmp_path, received, has):
    inc = [incident("a", EREWASH, d) for d in (D(2024, 6, 1), D(2025, 1, 5), D(2025, 2, 5), D(2025, 3, 5))]
    apps = [{"application_ref": "CT-1", "authority_code": EREWASH, "person_key": "a", "received_date": received}]
    got = rows(engine(tmp_path, inc, D(2025, 4, 1), applications=apps))["a", EREWASH]
    assert got["oldest_complaint_date"].date() == D(2025, 1, 5)
    assert bool(got["has_application"]) == has


def test__settings__above_the_statute_warns_and_is_flagged(tmp_path):
    rules = _rules_toml(tmp_path, '[[rule]]\nauthority = "Erewash"\neffective_from = "2025-01-01"\n'
                                  'victim_threshold = 5\nwindow_months = 3\n')
    assert rules.warnings == [
        "E07000036 rule E07000036@2025-01-01 (from 2025-01-01): victim_threshold = 5 (statute: at most 3); "
        "window_months = 3 (statute: exactly 6)"]
    inc = [incident("a", EREWASH, D(2025, 3, 1))]
    got = rows(engine(tmp_path, inc, D(2025, 4, 1), rules))["a", EREWASH]
    assert got["statute_note"] == "victim_threshold = 5 (statute: at most 3); window_months = 3 (statute: exactly 6)"
    assert _rules_toml(tmp_path, victim_threshold=2).warnings == []   # a lower count is allowed


def test__settings__a_rule_above_the_statute_is_a_warning_in_the_builds_summary():
    """DESIGN.md: such a rule "makes every build warn"; the summary printed it as a note."""
    from etl import build, cli

    result = build.BuildResult(Path("w.duckdb"), "id", D(2025, 6, 30), dict.fromkeys(
        ("incidents", "reports", "applications", "appeals", "actions", "rejects"), 0), 1.0,
        notes=[f"{build.STATUTE_WARNING}Erewash from 2025-01-01: victim_threshold = 5", "another note"])
    summary = cli._summary(result)
    assert "\nwarning: rule departs from the statute: Erewash" in summary and "\nnote: another note" in summary


@pytest.mark.parametrize(("setting", "message"), [
    ("community_h3_resolution = 7", "community_h3_resolution must be one of [8, 9, 10]"),
    ('related_by = "street"', "related_by must be one of"),
    ('lead_agency = "fire"', "lead_agency must be one of"),
    # a threshold of no complaint would put every person at the threshold; a window of no month holds none
    ("victim_threshold = 0", "victim_threshold must be at least 1"),
    ("window_months = 0", "window_months must be at least 1"),
    ("hate_window_months = 0", "hate_window_months must be at least 1"),
    # a community route of no reporter would put every cluster of one at it (the rules audit)
    ("community_threshold = 0", "community_threshold must be at least 1"),
    ('victim_threshold = "3"', "victim_threshold must be a whole number of at least 1, not '3'"),
    ('hate_threshold = -1', "hate_threshold must be a whole number of at least 0, not -1"),
])
def test__settings__values_the_engine_cannot_honour_are_refused(tmp_path, setting, message):
    with pytest.raises(rule_settings.SettingsError, match=re.escape(message)):
        _rules_toml(tmp_path, f'[[rule]]\nauthority = "Bolsover"\neffective_from = "2020-01-01"\n{setting}\n')


@pytest.mark.parametrize(("entry", "message"), [
    ('authority = "Erewash"\nvictim_threshold = 2', "needs effective_from (the date it applies from"),
    ('effective_from = "2025-01-01"\nvictim_threshold = 2', "needs authority (one of the nine authorities"),
    ('authority = "Derbyshire"\neffective_from = "2025-01-01"', "authority 'Derbyshire' is not one of the nine"),
])
def test__settings__a_rule_without_its_authority_or_date_says_which(tmp_path, entry, message):
    """The message named a valid authority invalid when only the date was missing (the rules audit)."""
    with pytest.raises(rule_settings.SettingsError, match=re.escape(message)):
        _rules_toml(tmp_path, f"[[rule]]\n{entry}\n")


def test__settings__a_rule_before_the_defaults_date_is_refused(tmp_path):
    """It left an inverted version behind (from 2014-10-20 to 2010-01-01)."""
    with pytest.raises(rule_settings.SettingsError, match=re.escape("before the [defaults]' effective_from")):
        _rules_toml(tmp_path, '[[rule]]\nauthority = "Erewash"\neffective_from = "2010-01-01"\nvictim_threshold = 2\n')


def test__settings__two_rules_for_one_authority_on_one_date_are_refused(tmp_path):
    """Before, the first was dropped without a word and the second applied."""
    two = ('[[rule]]\nauthority = "Erewash"\neffective_from = "2025-01-01"\nvictim_threshold = 2\n\n'
           '[[rule]]\nauthority = "E07000036"\neffective_from = "2025-01-01"\nwindow_months = 6\n')
    with pytest.raises(rule_settings.SettingsError, match=r"\[\[rule\]\] #1 and #2 are both for E07000036 from 2025-01-01"):
        _rules_toml(tmp_path, two)


def test__settings__an_older_file_gives_pcc_reviews_each_rules_appeal_limit(tmp_path):
    """A settings file from before PCC reviews (no sla_pcc_review_decision_days anywhere) holds them
    to the appeals' limit of the same authority and date, as the README says, not the county-wide
    default's (audit, 5 December 2026: Erewash's 15 days for appeals, 25 for its PCC reviews)."""
    head = "\n".join(line for line in rule_settings.DEFAULT_PATH.read_text(encoding="utf-8").split("\n[[rule]]")[0]
                     .splitlines() if not line.startswith("sla_pcc_review_decision_days"))
    head = head.replace("sla_appeal_decision_days = 20", "sla_appeal_decision_days = 25")
    assert "sla_appeal_decision_days = 25" in head
    path = tmp_path / "rules.toml"
    path.write_text(head + '\n[[rule]]\nauthority = "Erewash"\neffective_from = "2025-06-01"\n'
                    "sla_appeal_decision_days = 15\n\n[[rule]]\nauthority = \"Derby\"\n"
                    'effective_from = "2025-06-01"\nsla_appeal_decision_days = 10\nsla_pcc_review_decision_days = 30\n'
                    '\n[[rule]]\nauthority = "Derby"\neffective_from = "2026-01-01"\nsla_appeal_decision_days = 12\n',
                    encoding="utf-8")
    table = rule_settings.load(path).table.set_index("rule_id")
    limits = table[["sla_appeal_decision_days", "sla_pcc_review_decision_days"]].astype(int)
    assert limits.loc["E07000036@2025-06-01"].tolist() == [15, 15]
    assert limits.loc["E07000033@2014-10-20"].tolist() == [25, 25]
    # a rule that names the PCC limit keeps it, and later versions of that authority inherit it
    assert limits.loc["E06000015@2025-06-01"].tolist() == [10, 30]
    assert limits.loc["E06000015@2026-01-01"].tolist() == [12, 30]


@pytest.mark.parametrize(("resolution", "column"), [(8, "h3_r8"), (9, "h3_r9"), (10, "h3_r10")])
def test__community__uses_the_resolution_it_names(tmp_path, resolution, column):
    rules = _rules_toml(tmp_path, '[[rule]]\nauthority = "Bolsover"\neffective_from = "2020-01-01"\n'
                                  f'community_route = true\ncommunity_h3_resolution = {resolution}\n')
    inc = [dict(incident(f"r{i}", BOLSOVER, D(2025, 3, i + 1)), h3_r8="R8", h3_r9="R9", h3_r10="R10")
           for i in range(5)]
    con = engine(tmp_path, inc, D(2025, 4, 1), rules)
    cell, res = con.execute("select cluster_cell, h3_resolution from mart_community_status").fetchall()[0]
    assert (cell, res) == (column.replace("h3_r", "R"), resolution)


@pytest.mark.parametrize(("related_by", "count", "met", "group"), [
    ("any", 3, True, ""),              # the most victim-protective: every complaint counts together
    ("category", 2, False, "personal"),
    ("case", 2, False, "CASE-1"),
])
def test__threshold__related_by(tmp_path, related_by, count, met, group):
    rules = _rules_toml(tmp_path, related_by=f'"{related_by}"')
    inc = [incident("a", EREWASH, D(2025, 1, 5), case_ref="CASE-1"),
           incident("a", EREWASH, D(2025, 2, 5), case_ref="CASE-1"),
           incident("a", EREWASH, D(2025, 3, 5), category="environmental", case_ref="CASE-2")]
    got = rows(engine(tmp_path, inc, D(2025, 4, 1), rules))["a", EREWASH]
    assert (got["qualifying_complaints"], got["is_threshold_met"], got["related_by"], got["related_group"]) == (
        count, met, related_by, group)
    assert got["is_near_miss"] == (not met)


def test__threshold__hate_rule_has_its_own_window_and_near_miss(tmp_path):
    rules = _rules_toml(tmp_path, hate_threshold=2, hate_window_months=12)
    old_hate = incident("h", EREWASH, D(2024, 6, 1), is_hate=True)       # out of 6 months, in 12
    near = rows(engine(tmp_path, [old_hate], D(2025, 4, 1), rules))["h", EREWASH]
    assert (near["qualifying_complaints"], near["qualifying_hate_complaints"]) == (0, 1)
    assert near["is_hate_near_miss"] and not near["is_threshold_met"]
    assert near["window_expires_date"].date() == D(2025, 5, 31)   # the hate window's last day
    met = rows(engine(tmp_path, [old_hate, incident("h", EREWASH, D(2025, 3, 1), is_hate=True)],
                      D(2025, 4, 1), rules))["h", EREWASH]
    assert met["is_threshold_met"] and met["is_hate_threshold_met"] and met["qualifying_complaints"] == 1


def test__threshold__lead_agency_most_complaints_or_the_rule(tmp_path):
    inc = [incident("a", EREWASH, D(2025, 1, 5), agencies="police"),
           incident("a", EREWASH, D(2025, 2, 5), agencies="police,council"),
           incident("a", EREWASH, D(2025, 3, 5), agencies="council")]
    got = rows(engine(tmp_path, inc, D(2025, 4, 1)))["a", EREWASH]
    assert (got["lead_agency"], got["agencies"]) == ("police", "council,police")
    ruled = rows(engine(tmp_path, inc, D(2025, 4, 1), _rules_toml(tmp_path, lead_agency='"council"')))
    assert ruled["a", EREWASH]["lead_agency"] == "council"


def test__second_reports__events_explanations_and_limits(tmp_path):
    """p: 1st 6 Jan, 2nd 3 Feb (explained 7 Feb: 4 working days, in time), 3rd 3 Mar (not an event);
    q: 2nd report 20 Mar never explained (overdue by 1 Apr); r: 2nd on 31 Mar (still in time);
    s: two reports seven months apart (no event); t: the 2nd report was late (not qualifying)."""
    inc = [incident("p", EREWASH, D(2025, 1, 6)), incident("p", EREWASH, D(2025, 2, 3), agencies="housing"),
           incident("p", EREWASH, D(2025, 3, 3), explained=D(2025, 2, 7)),
           incident("q", EREWASH, D(2025, 3, 1)), incident("q", EREWASH, D(2025, 3, 20)),
           incident("r", EREWASH, D(2025, 3, 1)), incident("r", EREWASH, D(2025, 3, 31)),
           incident("s", EREWASH, D(2024, 8, 1)), incident("s", EREWASH, D(2025, 3, 3)),
           incident("t", EREWASH, D(2025, 3, 1)), incident("t", EREWASH, D(2025, 3, 20), D(2025, 1, 2))]
    con = engine(tmp_path, inc, D(2025, 4, 1))
    got = {r[0]: r[1:] for r in con.execute("""
        select person_key, second_report_date, first_report_date, lead_agency, review_explained_date,
               explained_working_days, is_explained, is_explained_in_time, is_overdue, sla_explain_days
        from mart_second_reports order by 1""").fetchall()}
    assert got == {
        "p": (D(2025, 2, 3), D(2025, 1, 6), "housing", D(2025, 2, 7), 4, True, True, False, 5),
        "q": (D(2025, 3, 20), D(2025, 3, 1), "council", None, None, False, False, True, 5),
        "r": (D(2025, 3, 31), D(2025, 3, 1), "council", None, None, False, None, False, 5)}


@pytest.mark.parametrize("window_months", [3, 6, 12])
def test__second_reports__the_window_is_six_months_whatever_the_local_rule(tmp_path, window_months):
    """DESIGN.md (contract; statutory guidance, July 2025): a second report is one with exactly one
    earlier qualifying complaint in the six months before it, `(c - 6 months, c]`. A local rule's
    window (non-statutory, warned) changes when the threshold is met, not which reports are second
    reports. u: 1 Jan, 20 Jul (no earlier one in six months: not an event under 6 or 3, an event
    under 12 if the window followed the rule), 1 Aug (the 20 Jul one alone in its six months: an
    event; under 12 the two before it would leave none); v: 1 Jan, 1 May (the January one inside six
    months, outside three: an event)."""
    rules = _rules_toml(tmp_path, window_months=window_months)
    inc = [incident("u", EREWASH, D(2025, 1, 1)), incident("u", EREWASH, D(2025, 7, 20)),
           incident("u", EREWASH, D(2025, 8, 1)),
           incident("v", EREWASH, D(2025, 1, 1)), incident("v", EREWASH, D(2025, 5, 1))]
    con = engine(tmp_path, inc, D(2025, 9, 1), rules)
    got = con.execute("select person_key, second_report_date, first_report_date from mart_second_reports "
                      "order by all").fetchall()
    assert got == [("u", D(2025, 8, 1), D(2025, 7, 20)), ("v", D(2025, 5, 1), D(2025, 1, 1))]
    # the live evaluation for another date reads the same events
    live = registry.evaluate(con, "mart_second_reports", D(2025, 6, 1))
    assert list(zip(live.person_key, live.second_report_date.dt.date, strict=True)) == [("v", D(2025, 5, 1))]


@pytest.mark.parametrize(("related_by", "since", "group"), [
    ("category", D(2025, 3, 3), "environmental"),
    ("case", D(2025, 3, 3), "CASE-2"),
    ("any", D(2025, 2, 3), ""),
])
def test__threshold__first_met_is_the_persons_first_crossing_in_any_group(tmp_path, related_by, since, group):
    """The row shown is the group with more complaints (met in March), yet the person first met the
    threshold in February through another group: first_met_date is that crossing, met_since_date
    the shown group's own (a join of the groups' crossings to the person, not to the group)."""
    rules = _rules_toml(tmp_path, related_by=f'"{related_by}"')
    inc = [incident("a", EREWASH, D(2025, 2, d), case_ref="CASE-1") for d in (1, 2, 3)]
    inc += [incident("a", EREWASH, D(2025, 3, d), category="environmental", case_ref="CASE-2") for d in (1, 2, 3, 4)]
    con = engine(tmp_path, inc, D(2025, 4, 1), rules)
    stored = rows(con)["a", EREWASH]
    # a page's evaluation for another date: the kept rows (no lists), then the shown rows complete
    kept = run.run(con, f"select * from {run.source(con, D(2025, 3, 20), 'mart_threshold_status')}")
    whole, params = run.complete(con, D(2025, 3, 20), "mart_threshold_status",
                                 "select authority_code || '|' || person_key from {rows}", {})
    for got in (stored, kept.iloc[0], run.run(con, f"select * from {whole}", {"as_of": D(2025, 3, 20), **params}).iloc[0]):
        assert (got["first_met_date"].date(), got["met_since_date"].date(), got["related_group"]) == \
            (D(2025, 2, 3), since, group)


@pytest.mark.parametrize(("related_by", "first", "since", "group"), [
    # two groups met at different times: the row is the group furthest on (the oldest complaint
    # breaks the tie), met since *its* crossing; first_met_date is the person's first crossing
    ("category", D(2025, 2, 3), D(2025, 2, 3), "personal"),
    ("case", D(2025, 2, 3), D(2025, 2, 3), "CASE-1"),
    ("any", D(2025, 2, 3), D(2025, 2, 3), ""),
])
def test__threshold__met_since_is_the_shown_groups_crossing(tmp_path, related_by, first, since, group):
    rules = _rules_toml(tmp_path, related_by=f'"{related_by}"')
    inc = [incident("a", EREWASH, D(2025, 2, d), case_ref="CASE-1") for d in (1, 2, 3)]
    inc += [incident("a", EREWASH, D(2025, 3, d), category="environmental", case_ref="CASE-2") for d in (1, 2, 3)]
    got = rows(engine(tmp_path, inc, D(2025, 4, 1), rules))["a", EREWASH]
    assert (got["first_met_date"].date(), got["met_since_date"].date(), got["related_group"]) == (first, since, group)


@pytest.mark.parametrize("mart", ["mart_second_reports", "mart_threshold_status"])
def test__threshold__a_live_date_equals_a_build_on_that_date(tmp_path, mart):
    """A page asking for an earlier date reads the engine's stored, date-free parts (events and
    explanations of int_second_reports): the answer is the build's on that date. p's explanation
    (14 Mar) comes after 10 Mar, so on 10 Mar p is owed one, overdue by then; q is explained
    before its second report (no explanation); r's second report is after 10 Mar."""
    inc = [incident("p", EREWASH, D(2025, 2, 3)), incident("p", EREWASH, D(2025, 2, 20), agencies="housing"),
           incident("p", EREWASH, D(2025, 3, 20), explained=D(2025, 3, 14)),
           incident("q", EREWASH, D(2025, 1, 6), explained=D(2025, 1, 7)), incident("q", EREWASH, D(2025, 3, 3)),
           incident("q", EREWASH, D(2025, 1, 8)),
           incident("r", EREWASH, D(2025, 3, 1)), incident("r", EREWASH, D(2025, 3, 21), is_hate=True)]
    early, late = D(2025, 3, 10), D(2025, 4, 1)
    built_late = engine(tmp_path, inc, late)
    live = registry.evaluate(built_late, mart, early)
    stored = built_late.execute(f"select * from {mart}").df()
    built_early = engine(tmp_path, inc, early).execute(f"select * from {mart}").df()
    key = ["person_key", "authority_code"] + (["incident_id"] if "incident_id" in live else [])
    def norm(frame):
        return frame.sort_values(key).reset_index(drop=True).astype(str)
    pd.testing.assert_frame_equal(norm(live), norm(built_early))
    assert not norm(live).equals(norm(stored))   # the dates differ, and so do the answers
    # what a page reads: the kept evaluation (met, near-miss and hate near-miss rows only; their
    # complaints' lists for the rows a list shows, run.complete)
    kept = run.run(built_late, f"select * from {run.source(built_late, early, mart, built=late)}", {"as_of": early})
    if mart == "mart_threshold_status":
        built_early = built_early[built_early.is_threshold_met | built_early.is_near_miss | built_early.is_hate_near_miss]
        assert 0 < len(built_early) < len(live)
        pd.testing.assert_frame_equal(norm(kept.drop(columns=LISTS)), norm(built_early.drop(columns=LISTS)))
        assert kept[LISTS].isna().all().all()
        whole, params = run.complete(built_late, early, mart, "select authority_code || '|' || person_key from {rows}",
                                     {}, built=late)
        kept = run.run(built_late, f"select * from {whole}", {"as_of": early, **params})
    pd.testing.assert_frame_equal(norm(kept), norm(built_early))
    if mart == "mart_second_reports":
        row = live.set_index("person_key").loc["p"]
        assert (bool(row["is_explained"]), bool(row["is_overdue"])) == (False, True)
        assert pd.Timestamp(stored.set_index("person_key").loc["p", "review_explained_date"]).date() == D(2025, 3, 14)


def test__lists__references_reach_a_hate_complaint_older_than_the_victim_window(tmp_path):
    """The lists read only the incidents from the longest window of any rule (a year for hate here):
    a hate near-miss's complaint of ten months ago is one of its references, on the build's date and
    on another."""
    from insight.queries import threshold as queries

    rules = _rules_toml(tmp_path, hate_threshold=3, hate_window_months=12)
    old = incident("h", EREWASH, D(2024, 6, 3), is_hate=True)
    inc = [old, incident("h", EREWASH, D(2025, 3, 3), is_hate=True),
           incident("x", EREWASH, D(2023, 1, 5))]   # far older than any window: never read
    con = engine(tmp_path, inc, D(2025, 4, 1), rules)
    for as_of in (D(2025, 4, 1), D(2025, 4, 2)):
        rows = queries.near_miss_work_list(con, as_of, (EREWASH,))
        row = rows.set_index("person_key").loc["h"]
        assert row["route"] == "hate"
        assert old["incident_id"].split(":", 1)[1] in row["partner_refs"], row["partner_refs"]


@pytest.mark.parametrize(("hate_threshold", "oldest", "expires", "has"), [
    # met on the hate route (two hate complaints in 12 months): the one of September 2024 is counted,
    # so the chance runs to its last day in the hate window, and the March application is about it
    (2, D(2024, 9, 1), D(2025, 8, 31), True),
    # a hate threshold of 3 (two hate complaints are one short): the same
    (3, D(2024, 9, 1), D(2025, 8, 31), True),
    # no hate rule: only the complaint in the six months counts, and March is an earlier spell
    (0, D(2025, 6, 1), D(2025, 11, 30), False),
])
def test__threshold__the_hate_route_counts_hate_complaints_older_than_the_victim_window(
        tmp_path, hate_threshold, oldest, expires, has):
    """hate_window_months (12) longer than window_months (6): for a person met or one short on the
    hate route, window_expires_date and has_application follow the oldest counted complaint, the
    hate complaint of ten months ago that counted_incident_ids lists first."""
    rules = _rules_toml(tmp_path, hate_threshold=hate_threshold, hate_window_months=12)
    old, new = (incident("h", EREWASH, D(2024, 9, 1), is_hate=True), incident("h", EREWASH, D(2025, 6, 1), is_hate=True))
    apps = [{"application_ref": "CT-1", "authority_code": EREWASH, "person_key": "h", "received_date": D(2025, 3, 1)}]
    got = rows(engine(tmp_path, [old, new], D(2025, 7, 15), rules, applications=apps))["h", EREWASH]
    assert got["oldest_complaint_date"].date() == oldest
    assert got["window_expires_date"].date() == expires
    assert bool(got["has_application"]) == has
    if hate_threshold:
        assert list(got["counted_incident_ids"])[0] == old["incident_id"]
        assert bool(got["is_threshold_met"] or got["is_hate_near_miss"])


def test__threshold__an_uncounted_hate_complaint_is_not_behind_a_row(tmp_path):
    """A hate window (12 months) longer than the victim window (6): a hate complaint of ten months
    ago counts only on the hate route. Off it, it is neither among the row's complaints (its
    references, its agencies, its lead agency) nor, with no hate rule, a row of its own."""
    old = incident("p", EREWASH, D(2024, 6, 3), is_hate=True, agencies="police")
    recent = [incident("p", EREWASH, D(2025, 2, 3)), incident("p", EREWASH, D(2025, 3, 3), agencies="housing")]
    lone = incident("q", EREWASH, D(2024, 6, 3), is_hate=True)
    for hate_threshold in (0, 3):   # no hate rule; a hate rule the person is not near (1 of 3)
        rules = _rules_toml(tmp_path, hate_threshold=hate_threshold, hate_window_months=12)
        got = rows(engine(tmp_path, [old, *recent, lone], D(2025, 4, 1), rules))
        row = got["p", EREWASH]
        assert (row["qualifying_complaints"], bool(row["is_near_miss"])) == (2, True)
        assert list(row["counted_incident_ids"]) == [c["incident_id"] for c in recent]
        assert row["agencies"] == "council,housing" and row["lead_agency"] == "council"
        assert row["oldest_complaint_date"].date() == D(2025, 2, 3)
        # q's only complaint is a hate one outside the window: a row only where a hate rule counts it
        assert (("q", EREWASH) in got) == (hate_threshold > 0), hate_threshold


def test__threshold__a_complaint_qualifies_by_the_rule_of_the_day_it_was_made(tmp_path):
    """Whether a complaint came within the qualifying period of the behaviour is settled when it is
    made: a later rule with a longer period does not make an old late complaint count. The status,
    the timeline (first met, met since) and the history agree."""
    rules = _rules_toml(tmp_path, '[[rule]]\nauthority = "Erewash"\neffective_from = "2025-03-01"\n'
                                  'qualifying_report_months = 2\n')
    late = incident("a", EREWASH, D(2025, 2, 20), D(2024, 12, 25))   # 57 days late, under the one-month rule
    inc = [late, incident("a", EREWASH, D(2025, 3, 10)), incident("a", EREWASH, D(2025, 3, 15)),
           incident("a", EREWASH, D(2025, 3, 18), D(2025, 1, 25))]  # 52 days late, under the two-month rule
    con = engine(tmp_path, inc, D(2025, 3, 20), rules)
    row = rows(con)["a", EREWASH]
    assert row["qualifying_complaints"] == 3 and bool(row["is_threshold_met"])
    assert late["incident_id"] not in list(row["counted_incident_ids"])
    assert row["first_met_date"].date() == row["met_since_date"].date() == D(2025, 3, 18)


def test__community__a_report_qualifies_by_the_rule_of_the_day_it_was_made(tmp_path):
    """The community route settles a report's qualifying period as the victim route does: a later
    rule with a longer period does not make an old late report count as a reporter."""
    rules = _rules_toml(tmp_path, '[[rule]]\nauthority = "Erewash"\neffective_from = "2020-01-01"\n'
                                  'community_route = true\n'
                                  '[[rule]]\nauthority = "Erewash"\neffective_from = "2025-03-01"\n'
                                  'qualifying_report_months = 2\n')
    inc = [incident(f"r{n}", EREWASH, D(2025, 3, n + 1)) for n in range(4)]
    inc.append(incident("late", EREWASH, D(2025, 2, 20), D(2024, 12, 25)))   # 57 days late, one-month rule
    cluster = next(iter(rows(engine(tmp_path, inc, D(2025, 3, 20), rules), "mart_community_status").values()))
    assert (cluster["distinct_reporters"], bool(cluster["is_threshold_met"]), bool(cluster["is_near_miss"])) == \
        (4, False, True)


def test__lists__a_person_s_complaints_hold_every_complaint_the_row_counts(tmp_path):
    """The table under a selected row lists the hate route's complaint from the longer hate window
    (counted_incident_ids), not only those in the victim window, on the build's date and another."""
    from insight.queries import threshold as queries

    rules = _rules_toml(tmp_path, hate_threshold=2, hate_window_months=12)
    old = incident("h", EREWASH, D(2024, 9, 2), is_hate=True, case_ref="CASE-77")
    new = incident("h", EREWASH, D(2025, 5, 2), is_hate=True)
    con = engine(tmp_path, [old, new], D(2025, 6, 18), rules)
    for as_of in (D(2025, 6, 18), D(2025, 6, 19)):
        got = queries.person_complaints(con, as_of, (EREWASH,), EREWASH, "h")
        assert list(got["incident_id"]) == [old["incident_id"], new["incident_id"]], as_of
        assert "CASE-77" in got["partner_refs"].iloc[0]


def test__second_reports__an_explanation_is_known_from_the_day_its_incident_was_reported(tmp_path):
    """An explanation recorded on an incident reported after the as-of date is not known on that
    date: a build as of it rejects that incident (future_date), so the marts evaluated on it from a
    later build must not see it either; from the day it was reported, it is."""
    first, second = incident("p", EREWASH, D(2025, 3, 3)), incident("p", EREWASH, D(2025, 3, 10))
    later = incident("p", EREWASH, D(2025, 4, 2), explained=D(2025, 3, 12))
    built_late = engine(tmp_path, [first, second, later], D(2025, 4, 30))
    built_early = engine(tmp_path, [first, second], D(2025, 3, 20))   # what a build on 20 March loads
    early = registry.evaluate(built_late, "mart_second_reports", D(2025, 3, 20)).set_index("incident_id")
    stored = built_early.execute("select * from mart_second_reports").df().set_index("incident_id")
    for frame in (early, stored):
        row = frame.loc[second["incident_id"]]
        assert not row["is_explained"] and pd.isna(row["review_explained_date"])
    known = registry.evaluate(built_late, "mart_second_reports", D(2025, 4, 2)).set_index("incident_id")
    row = known.loc[second["incident_id"]]
    assert row["is_explained"] and row["review_explained_date"].date() == D(2025, 3, 12)
    assert bool(row["is_explained_in_time"])   # 10 -> 12 March: 2 working days


def test__threshold__a_merged_incident_is_hate_from_the_day_a_report_said_so(tmp_path):
    """Three reports of one incident: the first said nothing of hate (10 Jan), the second no
    (1 Feb), the third yes (1 Mar; the incident's is_hate is true). With a hate threshold of 1,
    the person meets the threshold on 1 Mar, not 10 Jan: the counts, the crossing and the
    person's complaints read the incident as unknown, then not hate, then hate."""
    from insight.queries import threshold as queries

    rules = _rules_toml(tmp_path, hate_threshold=1)
    x = incident("h", EREWASH, D(2025, 1, 10), is_hate=True)
    merged = [(x["incident_id"], x["incident_id"], D(2025, 1, 10), None),
              (x["incident_id"], "t:second", D(2025, 2, 1), False),
              (x["incident_id"], "t:third", D(2025, 3, 1), True)]
    con = engine(tmp_path, [x], D(2025, 4, 1), rules, merged=merged)
    assert con.execute("select hate_from, hate_known_from from int_complaint_rows").fetchall() == \
        [(D(2025, 3, 1), D(2025, 2, 1))]
    stored = rows(con)["h", EREWASH]
    assert (stored["qualifying_hate_complaints"], bool(stored["is_threshold_met"]),
            stored["first_met_date"].date()) == (1, True, D(2025, 3, 1))
    for as_of, hate, shown in ((D(2025, 1, 20), 0, None), (D(2025, 2, 15), 0, False), (D(2025, 3, 5), 1, True)):
        row = registry.evaluate(con, "mart_threshold_status", as_of).set_index("person_key").loc["h"]
        assert (row["qualifying_hate_complaints"], bool(row["is_threshold_met"])) == (hate, bool(hate)), as_of
        got = queries.person_complaints(con, as_of, (EREWASH,), EREWASH, "h")["is_hate"].iloc[0]
        assert (None if pd.isna(got) else bool(got)) == shown, as_of
