"""A page at another as-of date, differentially: what a later build's pages show for a date D (the
marts evaluated live, insight/queries/run.py) must be what a build run with `--as-of D` on the same
inputs stores and shows (DESIGN.md, the as-of date).

One hand-made inputs folder, built once as of LATE and once as of each D:
- two authorities under a dated rules file: Erewash's window goes 6 -> 4 months (1 Mar 2025, with
  the community route at resolution 10 and a hate threshold of 2 over 8 months) -> 8 months (31 May
  2025); Derby keeps the statutory 6 months, the community route at resolution 8 and a hate
  threshold of 1 over 3 months from 29 Feb 2024; so the longest window of any rule is not the one
  a given authority is judged by, and it changes over time;
- Erewash reports come from a shared case system (council and police rows: two organisations, so
  the same incident reported to both is one incident with two reports); Derby's from its council;
- incidents on each D and 30, 90 and 365 days before it, second reports either side of the window
  ends, 70 Erewash repeat-location cells (more than a page keeps, REPEAT_LIST) with tied counts and
  6 Derby cells (fewer than any list's length);
- PD-MERGE: a second report on 31 Mar 2025 to the council that the police also took, reported to
  them on 3 Apr: as of 31 Mar the police report did not exist yet, so no list may show its
  reference (the build as of 31 Mar rejects it as a future report);
- PD-HATE: an incident reported to the council on 10 Apr 2025 and to the police on 20 Apr, the
  police saying it was a hate incident: before 20 Apr it was none (a build as of 15 Apr rejects
  the police's report), and the person met the hate threshold on 20 Apr, not on 10 Apr.

Each D is compared on: every live mart (registry MODELS with live=True and a date) evaluated at D
against the D build's table, and its kept evaluation (the rows and parameters a page keeps);
`maps.repeat_locations` with 1, 10, 50 and 80 cells per authority; the Threshold page's summary,
week queue, near-miss, met-without-application and second-report lists.
"""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest
from conftest import INCIDENT_COLUMNS, RULE_DEFAULTS, TEST_KEY, run_build, write_inputs

from etl.marts import registry
from etl.marts.hotspots import REPEAT_LIST
from insight import db
from insight.queries import maps, run, threshold

D = dt.date
LATE = D(2025, 6, 30)
DATES = [D(2024, 2, 29), D(2025, 2, 28), D(2025, 3, 1), D(2025, 3, 31), D(2025, 4, 15), D(2025, 5, 30),
         D(2025, 5, 31)]
EREWASH, DERBY = "E07000036", "E06000015"
CODES = (EREWASH, DERBY)
TOML = """
[build]
settings = "rules.toml"

[[source]]
slug = "erewash-ecins"
kind = "incidents"
path = "erewash/*.csv"
authority = "E07000036"
max_reject_share = 1.0   # a build as of an earlier date rejects the later reports as future ones

[[source]]
slug = "derby-council"
kind = "incidents"
path = "derby/*.csv"
authority = "E06000015"
max_reject_share = 1.0
"""
RULES = RULE_DEFAULTS + """
[[rule]]
authority = "Erewash"
effective_from = "2025-03-01"
window_months = 4
community_route = true
community_threshold = 3
community_h3_resolution = 10
hate_threshold = 2
hate_window_months = 8

[[rule]]
authority = "Erewash"
effective_from = "2025-05-31"
window_months = 8

[[rule]]
authority = "Derby"
effective_from = "2024-02-29"
community_route = true
community_threshold = 3
community_h3_resolution = 8
hate_threshold = 1
hate_window_months = 3
"""
# where each authority's cells lie (Ilkeston and Derby): cell i is on a grid ten cells wide, 0.0015
# degrees apart (about 170 m north, 100 m east: each in its own resolution-10 cell)
ORIGIN = {EREWASH: (52.970, -1.309), DERBY: (52.921, -1.476)}
CELLS = {EREWASH: 70, DERBY: 6}


def _row(ref: str, reported: dt.date, person: str | None, code: str, cell: int, agency: str = "council",
         occurred: dt.date | None = None, category: str = "personal", kind: str = "noise", hate: bool = False,
         place: str = "Market Place") -> str:
    lat, lon = ORIGIN[code]
    values = dict.fromkeys(INCIDENT_COLUMNS, "")
    values.update(incident_ref=ref, agency=agency, reported_date=reported.isoformat(),
                  occurred_date=(occurred or reported).isoformat(), asb_category=category, asb_type=kind,
                  latitude=f"{lat + 0.0015 * (cell // 10):.6f}", longitude=f"{lon + 0.0015 * (cell % 10):.6f}",
                  location_desc=place, person_ref=person or "", victim_type="individual",
                  is_hate="Y" if hate else "N")
    return ",".join(values.values())


def _incidents() -> dict[str, list[str]]:
    """The reports of each authority's file: a seeded random year and a half, then the edge cases."""
    rng = random.Random(20250630)
    rows = {EREWASH: [], DERBY: []}
    start = D(2024, 1, 1)
    span = (LATE - start).days
    n = 0
    for code, people in ((EREWASH, 60), (DERBY, 20)):
        for p in range(people):
            home = rng.randrange(CELLS[code])
            for _ in range(rng.randint(1, 9)):
                n += 1
                day = start + dt.timedelta(days=rng.randrange(span + 1))
                late_by = rng.choice([0, 0, 0, 3, 20, 40])  # some reported after the qualifying month
                rows[code].append(_row(
                    f"R{n}", day, f"{code[-2:]}-P{p}", code, home if rng.random() < 0.7 else rng.randrange(CELLS[code]),
                    agency=rng.choice(["council", "police"]) if code == EREWASH else "council",
                    occurred=day - dt.timedelta(days=late_by), category=rng.choice(["personal", "nuisance"]),
                    kind=rng.choice(["noise", "rowdy"]), hate=rng.random() < 0.12,
                    place=rng.choice(["Market Place", "Bath Street", "Park Road"])))
        # anonymous reports in every cell, the same number in many (tied repeat-location ranks)
        for cell in range(CELLS[code]):
            for k in range(1 + cell % 4):
                n += 1
                day = LATE - dt.timedelta(days=(37 * cell + 11 * k) % 400)
                rows[code].append(_row(f"R{n}", day, None, code, cell, place="Bath Street"))
        # on each date and 30, 90 and 365 days before it, and the day after it
        for i, as_of in enumerate(DATES):
            for back in (0, 30, 90, 365, -1):
                n += 1
                rows[code].append(_row(f"R{n}", as_of - dt.timedelta(days=back), f"{code[-2:]}-E{i}", code, i,
                                       hate=back == 0))
    # a second report on 31 Mar 2025, reported to the police as well three days later
    rows[EREWASH] += [_row("PD-FIRST", D(2025, 3, 10), "PD-MERGE", EREWASH, 5),
                      _row("PD-MERGE-C", D(2025, 3, 31), "PD-MERGE", EREWASH, 5),
                      _row("PD-MERGE-P", D(2025, 4, 3), "PD-MERGE", EREWASH, 5, agency="police",
                           occurred=D(2025, 3, 31))]
    # PD-HATE: a hate report on 1 Apr 2025, then one on 10 Apr that the council said was no hate,
    # which the police also took, reported to them on 20 Apr as hate: before 20 Apr the incident was
    # no hate incident (Erewash's hate threshold is 2 from 1 Mar: one short on 15 Apr, met from 20 Apr)
    rows[EREWASH] += [_row("PH-FIRST", D(2025, 4, 1), "PD-HATE", EREWASH, 6, hate=True),
                      _row("PH-C", D(2025, 4, 10), "PD-HATE", EREWASH, 6),
                      _row("PH-P", D(2025, 4, 20), "PD-HATE", EREWASH, 6, agency="police",
                           occurred=D(2025, 4, 10), hate=True)]
    return rows


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("live_dates")
    header = ",".join(INCIDENT_COLUMNS)
    files = {f"{name}/incidents.csv": "\n".join([header, *lines]) + "\n"
             for name, lines in zip(("erewash", "derby"), _incidents().values(), strict=True)}
    return root, write_inputs(root / "in", TOML, {**files, "rules.toml": RULES})


def _build(folder, as_of: dt.date):
    root, inputs = folder
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
        _, connection = run_build(inputs, root / f"warehouse_{as_of:%Y%m%d}.duckdb", as_of)
    connection.close()
    return db.connect(root / f"warehouse_{as_of:%Y%m%d}.duckdb")


@pytest.fixture(scope="module")
def late(folder):
    connection = _build(folder, LATE)
    yield connection
    connection.close()


def _norm(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value as text (null as None), rows sorted on every column: two frames with the same rows."""
    text = frame.astype(object).where(frame.notna(), None).astype(str)
    return text.sort_values(list(text.columns)).reset_index(drop=True)


def _same(what: str, live: pd.DataFrame, built: pd.DataFrame) -> None:
    assert sorted(live.columns) == sorted(built.columns), what
    pd.testing.assert_frame_equal(_norm(live[list(built.columns)]), _norm(built), obj=what)


LIVE_MARTS = [m.name for m in registry.MODELS if m.live and "as_of" in m.params]
LISTS = ("week_queue", "near_miss_work_list", "met_without_application", "second_reports")


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test__live_dates__a_later_build_at_a_date_shows_what_a_build_on_that_date_stores(folder, late, as_of):
    early = _build(folder, as_of)
    try:
        assert db.build_as_of(early) == as_of and db.build_as_of(late) == LATE
        for mart in LIVE_MARTS:
            built = early.execute(f"select * from {mart}").df()
            _same(f"{mart} evaluated", registry.evaluate(late, mart, as_of), built)
            # the evaluation a page keeps (its own live_params) for the rows the pages read
            kept = run.run(late, f"select * from {run.source(late, as_of, mart, built=LATE)}",
                           registry.parameters(mart, registry.Context(as_of)))
            if mart == "mart_threshold_status":
                lists = ["lead_agency", "agencies", "counted_incident_ids"]
                built = built[built.is_threshold_met | built.is_near_miss | built.is_hate_near_miss].drop(columns=lists)
                kept = kept.drop(columns=lists)
            elif mart == "mart_repeat_locations":
                built = built[built["rank"] <= REPEAT_LIST]
            _same(f"{mart} kept", kept, built)
        cells = early.execute("select authority_code, count(*) from mart_repeat_locations group by all").fetchall()
        if as_of > D(2025, 1, 1):  # more cells than a page keeps in Erewash, fewer than a list in Derby
            assert dict(cells)[EREWASH] > REPEAT_LIST and dict(cells)[DERBY] < 10, cells
        for per_authority in (1, 10, REPEAT_LIST, 80):
            _same(f"repeat_locations {per_authority}",
                  maps.repeat_locations(late, CODES, as_of, LATE, per_authority),
                  maps.repeat_locations(early, CODES, as_of, as_of, per_authority))
        _same("summary", threshold.summary(late, as_of, CODES), threshold.summary(early, as_of, CODES))
        # the Threshold page's "Over time": month ends, and a mid-month date's own point (the audit of
        # 6 December: a later build dropped the date's month, a build on the date ends on it)
        for codes in (CODES, (EREWASH,)):
            _same(f"history {codes}", threshold.history(late, as_of, codes), threshold.history(early, as_of, codes))
        for name in LISTS:
            listed = getattr(threshold, name)(early, as_of, CODES)
            _same(name, getattr(threshold, name)(late, as_of, CODES), listed)
    finally:
        early.close()


def test__live_dates__a_list_never_shows_a_report_made_after_its_date(folder, late):
    """PD-MERGE's second report of 31 Mar was reported to the police on 3 Apr: on 31 Mar the lists
    name the council's report alone, as the build as of 31 Mar does; a search for the police's
    reference finds nobody then."""
    as_of = D(2025, 3, 31)
    for name in ("second_reports", "near_miss_work_list", "week_queue"):
        frame = getattr(threshold, name)(late, as_of, CODES, search="PD-MERGE-C")
        assert len(frame) == 1, (name, frame)
        assert "PD-MERGE-P" not in frame["partner_refs"].iloc[0], (name, frame["partner_refs"].iloc[0])
        assert getattr(threshold, name)(late, as_of, CODES, search="PD-MERGE-P").empty, name
        assert set(frame["agencies"]) == {"council"}, (name, frame["agencies"])
    person = threshold.second_reports(late, as_of, CODES, search="PD-MERGE-C")["person_key"].iloc[0]
    early = _build(folder, as_of)
    try:
        complaints = threshold.person_complaints(late, as_of, CODES, EREWASH, person)
        _same("person_complaints", complaints, threshold.person_complaints(early, as_of, CODES, EREWASH, person))
        assert "PD-MERGE-P" not in " ".join(complaints["partner_refs"]) and set(complaints["agencies"]) == {"council"}
    finally:
        early.close()
    # from 3 Apr the police's reference is listed beside the council's
    refs = threshold.second_reports(late, D(2025, 4, 3), CODES, search="PD-MERGE-P")["partner_refs"]
    assert len(refs) == 1 and "PD-MERGE-P" in refs.iloc[0] and "PD-MERGE-C" in refs.iloc[0]


def test__live_dates__a_hate_incident_is_one_from_the_day_a_report_said_so(folder, late):
    """PD-HATE: on 15 Apr one of the person's two complaints was a hate incident (one short of
    Erewash's hate threshold of 2); the police's report of 20 Apr made the other one too, so the
    person met the threshold on 20 Apr: the later build says so, whatever the date it is asked."""
    status = late.execute("""select s.* from mart_threshold_status s
        where s.authority_code = $code and s.qualifying_hate_complaints = 2
          and s.person_key in (select person_key from incidents where incident_id = 'erewash_ecins:PH-FIRST')""",
                          {"code": EREWASH}).df()
    assert len(status) == 1 and status["first_met_date"].iloc[0].date() == D(2025, 4, 20), status.T
    key = status["person_key"].iloc[0]
    for as_of, hate, met, near in ((D(2025, 4, 15), 1, False, True), (D(2025, 4, 20), 2, True, False)):
        row = registry.evaluate(late, "mart_threshold_status", as_of).set_index("person_key").loc[key]
        assert (row["qualifying_hate_complaints"], row["is_threshold_met"], row["is_hate_near_miss"]) == \
            (hate, met, near), (as_of, row)
