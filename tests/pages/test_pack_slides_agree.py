"""The board pack's threshold, threshold history and busiest places slides against the pages that
show the same figures, for the same month and authorities (the roles audit of 7 December 2026, F3d-f).

Each slide hid what its own rule asked, and each page what its own; read together they told what
both hide:
- the busiest places (Hotspots' repeat locations, June 2025): the page hid a place's last 90 days
  and the 90 days before beside its 180 days (29); the pack printed the last 90 days (25): 4 before;
- the threshold slide (the Threshold page, August 2026, Derby's manager): the page hid Chesterfield's
  and Derbyshire Dales' "met, no application" beside the total (175); the pack hid Chesterfield's
  but printed the Dales' 8: Chesterfield's 20 against 23 met told 3 people met and applied;
- the threshold history (November 2024, Derby's manager): the pack printed all nine's month ends
  (7, 7 and 6), the manager's own Derby figures (3, 3, 3) told the other eight's 4, 4 and 3, which
  the Threshold page hides from that manager.
The pack now prints none of these figures where a page hides it for the same choice, from a board
viewer or from the manager of any of the authorities (their own row known to them)."""

from __future__ import annotations

import copy
import re

import pandas as pd
import pytest

from etl.rules import authorities
from insight.access import disclosure
from insight.access import roles as access
from insight.board_pack import content as report_content
from insight.board_pack import data as report_data
from insight.board_pack import people as report_people
from insight.board_pack import slides as rs
from insight.queries import maps as qm
from insight.queries import threshold as qt

ALL = authorities.CODES
K = disclosure.suppress_below()
VIEWERS = [(access.BOARD_VIEWER, ()), *((access.COUNCIL_MANAGER, (c,)) for c in ALL)]


def _views(con, query, args):
    """The page's frame of query(con, *args) as each viewer sees it, beside the true frame."""
    frame = query(con, *args)
    return frame, [access.shown_as(role, allowed, query, args, {}, frame, K,
                                   rerun=lambda a, kw: query(con, *a, **kw)) for role, allowed in VIEWERS]


def _hidden(frame, views, key, columns) -> set[tuple]:
    """(key value, column) of every count some viewer's page hides (a true count shown as blank)."""
    out = set()
    truth = frame.set_index(key)
    for view in views:
        for k, row in view.set_index(key).iterrows():
            out |= {(k, c) for c in columns if c in row.index and pd.isna(row[c]) and pd.notna(truth.at[k, c])}
    return out


def _month(text: str) -> report_data.Month:
    return report_data.Month(pd.Timestamp(f"{text}-01").date())


_GATHERED: dict[tuple, report_data.PackData] = {}


def _gather(con, month: report_data.Month, cases: bool = False) -> report_data.PackData:
    """`report_data.gather` of all nine for `month` (with the case review figures: `cases`), as
    the pack gathers it; gathered once per month and connection (3-5 s each: the tests here read
    the same months), a deep copy given to each test so none sees another's changes."""
    from insight.board_pack import cases as report_cases

    key = (id(con), month.start, cases)
    if key not in _GATHERED:
        _GATHERED[key] = report_data.gather(con, month, ALL, *([report_cases.gather] if cases else []))
    return copy.deepcopy(_GATHERED[key])


def _series(slide) -> dict[str, tuple]:
    chart = next(s.chart for s in slide.shapes if s.has_chart)
    return {s.name: tuple(s.values) for s in chart.plots[0].series}


@pytest.mark.parametrize("month", ["2025-06", "2026-08", "2024-11", "2026-10", "2025-12"])
def test__pack__busiest_places_print_no_count_hotspots_hides(con, month):
    month = _month(month)
    data = _gather(con, month)
    deck = rs.new_deck()
    report_content.slide_repeats(deck, report_content.Context(data, K))
    series = _series(deck.slides[-1])
    build_as_of = data.build["as_of"]
    frame, views = _views(con, qm.repeat_locations, (ALL, month.end, build_as_of))
    hidden = _hidden(frame, views, "h3_cell", ("incidents_90d", "incidents_prev_90d"))
    found = []
    for i, cell in enumerate(data.repeats["h3_cell"]):
        for column, name in (("incidents_90d", "last 90 days"), ("incidents_prev_90d", "the 90 days before")):
            if (cell, column) in hidden and series[name][i] is not None:
                found.append((month.label, cell, column, series[name][i]))
    assert not found, found


@pytest.mark.parametrize("month", ["2026-08", "2025-06", "2024-11", "2026-10", "2025-12"])
def test__pack__threshold_slide_prints_no_count_the_threshold_page_hides(con, month):
    month = _month(month)
    data = _gather(con, month)
    table = report_people.threshold_table(report_content.Context(data, K))
    frame, views = _views(con, qt.summary, (month.end, ALL))
    hidden = _hidden(frame, views, "authority_name", list(report_people.THRESHOLD_COLUMNS))
    found = [(month.label, row, column, table.text(row, column)) for row, column in sorted(hidden)
             if not table.is_hidden(row, column)]
    assert not found, found


@pytest.mark.parametrize("month", ["2024-11", "2026-08", "2025-06", "2026-10"])
def test__pack__threshold_history_prints_no_figure_the_page_hides(con, month):
    month = _month(month)
    data = _gather(con, month)
    deck = rs.new_deck()
    report_people.slide_newly_eligible(deck, report_content.Context(data, K))
    slide = deck.slides[-1]
    values = list(_series(slide).values())
    frame, views = _views(con, qt.history, (month.end, ALL))
    columns = ("near_miss_people", "met_people", "newly_met_people")
    hidden = _hidden(frame, views, "month_end", columns)
    found = []
    for i, month_end in enumerate(data.threshold_history["month_end"]):
        for s, column in enumerate(columns):
            if (month_end, column) in hidden and values[s][i] is not None:
                found.append((str(month_end), column, values[s][i]))
    title = slide.shapes.title.text_frame.text
    last, before = data.threshold_history["month_end"].iloc[-1], data.threshold_history["month_end"].iloc[-2]
    if (last, "newly_met_people") in hidden:
        assert not re.match(r"\d", title), title
    if (before, "newly_met_people") in hidden:
        assert "against" not in title, title
    assert not found, found


@pytest.mark.parametrize("month", ["2026-02", "2025-11", "2026-10", "2025-01", "2026-06"])
def test__pack__statutory_slide_prints_no_application_count_the_overview_hides(con, month):
    """The statutory slide's applications of the year so far against the Overview for the same
    period (financial year start to the month's end): the Overview's cover, printed by the pack,
    with the Overview's total told the count it protects (the roles audit, F2b, on the pages)."""
    from insight.board_pack import cases as report_cases
    from insight.queries import overview

    month = _month(month)
    data = _gather(con, month, cases=True)
    table = report_cases.statutory_table(report_content.Context(data, K))
    frame, views = _views(con, overview.headline, (ALL, month.financial_year_start, month.end))
    hidden = _hidden(frame.assign(authority_name=frame["authority_name"].fillna(report_cases.TOTAL)),
                     views, "authority_code", ("applications",))
    names = dict(zip(frame["authority_code"].fillna("total"), frame["authority_name"], strict=True))
    found = [(month.label, names.get(code if pd.notna(code) else "total"), table.text(
                 names.get(code) if pd.notna(code) else report_cases.TOTAL, "applications_received"))
             for code, _ in hidden
             if not table.is_hidden(names.get(code) if pd.notna(code) else report_cases.TOTAL, "applications_received")]
    assert not found, found


@pytest.mark.parametrize("month", ["2024-01", "2024-02", "2025-06", "2026-10"])
def test__pack__turnaround_slide_prints_no_figure_the_turnaround_page_hides(con, month):
    """All selected's cases, share in time and median per stage against the Turnaround page for the
    same twelve months: all nine's 8 threshold decisions of the year to January 2024, printed by the
    pack where the page hid them from Derby's manager, told the other eight's 3."""
    from insight.board_pack import cases as report_cases
    from insight.queries import turnaround as qtn

    month = _month(month)
    data = _gather(con, month, cases=True)
    deck = rs.new_deck()
    report_cases.slide_turnaround(deck, report_content.Context(data, K))
    table = next(s.table for s in deck.slides[-1].shapes if s.has_table)
    printed = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows}
    frame, views = _views(con, qtn.stage_summary, (month.end, ALL, month.shift(-11).start, month.end))
    def named(f):   # a row is an authority's (or all selected's) stage
        return f.assign(row=f["authority_name"] + "|" + f["stage"])

    hidden = _hidden(named(frame), [named(v) for v in views], "row",
                     ("finished", "within_sla", "share_within_sla", "median_working_days"))
    from etl.marts import reviews
    found = []
    for stage in report_cases.STAGES:
        row = printed.get(reviews.STAGE_BY_NAME[stage].label)
        if row is None:
            continue
        cell = f"{report_cases.TOTAL}|{stage}"
        if (cell, "finished") in hidden and re.fullmatch(r"[0-9,]+", row[1]):
            found.append((stage, "cases", row[1]))
        if {(cell, "within_sla"), (cell, "share_within_sla")} & hidden and re.search(r"\d", row[2]):
            found.append((stage, "in time", row[2]))
        if (cell, "median_working_days") in hidden and re.search(r"\d", row[3]):
            found.append((stage, "median", row[3]))
    chart = next(s.chart for s in deck.slides[-1].shapes if s.has_chart)
    for series in chart.plots[0].series:
        stage = next(st for st in report_cases.STAGES if reviews.STAGE_BY_NAME[st].label == series.name)
        for name, value in zip(chart.plots[0].categories, series.values, strict=True):
            if {(f"{name}|{stage}", c) for c in ("finished", "within_sla", "share_within_sla")} & hidden and value is not None:
                found.append((name, stage, "share", value))
    assert not found, (month.label, found)


@pytest.mark.parametrize("month", ["2024-03", "2024-06", "2025-06", "2026-10", "2024-12"])
def test__pack__appeals_slide_prints_no_figure_the_appeals_page_hides_from_any_viewer(con, month):
    """All selected's appeals by outcome, decided, overdue, the median and the PCC reviews against the
    Appeals page for the same twelve months, as a board viewer and as each council manager sees it
    (a manager's own authority known: all nine less it is the other eight's)."""
    from etl.schema import APPEAL_OUTCOME_LABELS
    from insight.board_pack import cases as report_cases
    from insight.queries import appeals as qa

    month = _month(month)
    data = _gather(con, month, cases=True)
    ctx = report_content.Context(data, K)
    deck = rs.new_deck()
    report_cases.slide_appeals(deck, ctx)
    lines = {r.cells[0].text: r.cells[1].text for s in deck.slides[-1].shapes if s.has_table for r in s.table.rows}
    args = (month.end, ALL, month.shift(-11).start, month.end)
    frame, views = _views(con, qa.summary, args)
    counts = [*APPEAL_OUTCOME_LABELS, "decided", "appeals"]
    hidden = {c for name, c in _hidden(frame, views, "authority_name", [*counts, "overdue", "median_decision_working_days"])
              if name == report_cases.TOTAL}
    table = report_cases.appeal_counts(ctx)
    found = [c for c in hidden & set(counts) if not table.is_hidden(report_cases.TOTAL, c)]
    from insight import glossary
    # a count the page hides may be printed "<k" (1 to k-1, the rule's own mark), never as a number
    for column, label, number in (("overdue", "appeals_overdue", r"[0-9,]+"),
                                  ("median_decision_working_days", "appeal_median_days", r".*\d.*")):
        if column in hidden and re.fullmatch(number, lines.get(glossary.name(label), "")):
            found.append((column, lines[glossary.name(label)]))
    types_frame, type_views = _views(con, qa.by_review_type, args)
    type_hidden = {name for name, c in _hidden(types_frame, type_views, "review_type", ("cases",))}
    types = report_cases.type_counts(ctx)
    found += [t for t in type_hidden if t in types.values.columns and not types.is_hidden(report_cases.TOTAL, t)]
    assert not found, (month.label, found)


@pytest.mark.parametrize("unlocated", [1, 2, 4, 5, 40])
def test__pack__concentration_subtitle_tells_no_count_of_1_to_k_minus_1_unlocated(con, unlocated):
    """"{located} of {all} had a place": both printed, their difference counts the incidents with no
    place, which may be 1 to k-1 (the roles audit's S3; every demo incident has a place, so the
    month's headline is given that many more here)."""
    import dataclasses

    month = _month("2026-10")
    data = _gather(con, month)
    located = int(data.concentration.loc[data.concentration["authority_code"] == "all", "incidents"].iloc[0])
    headline = data.headline.copy()
    headline.loc["incidents", "current"] = located + unlocated
    deck = rs.new_deck()
    report_content.slide_concentration(deck, report_content.Context(dataclasses.replace(data, headline=headline), K))
    text = " ".join(s.text_frame.text for s in deck.slides[-1].shapes if s.has_text_frame)
    numbers = {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text)}
    if unlocated < K:
        assert not {located, located + unlocated} <= numbers, text
    else:
        assert {located, located + unlocated} <= numbers, text   # no reason to hide them
