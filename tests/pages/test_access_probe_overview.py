"""Access probe: the Overview's figures of authorities outside the viewer's person-level rights.

1. The map of incidents per km² counted every authority, selected or not, while the access rules
   judge a call by the authorities it asks for: an Erewash manager who selected Erewash alone (so
   nothing was "restricted") with a period of two days read, in the hover of the map's grey
   authorities, Derby's incidents of those two days (no 28-day minimum).
2. "Reporting persons" of the "All selected" row counts distinct people (a person who reported in
   two authorities is one), so the authorities' figures less the total is the number of people who
   reported in two of them: a board viewer who chose Erewash and Derbyshire Dales read 96 + 206 -
   301 = 1 person. That difference is a count of people too (disclosure.Aggregate.distinct).

Real demo warehouse (tests/conftest.py), the real queries and the rule as ui.load applies it, and
the page in AppTest signed in through the form.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pandas as pd
import pytest
from support import open_app

from etl.rules import authorities, periods
from insight import db
from insight.access import disclosure
from insight.access import roles as access
from insight.queries import overview

EREWASH = "E07000036"
K = disclosure.suppress_below()
BOARD = access.Viewer("board.viewer", access.BOARD_VIEWER)


def test__overview_map__a_council_manager_s_own_short_period_shows_no_other_authority_s_count(
        monkeypatch, demo_build):
    _, warehouse, summary = demo_build
    end = summary.as_of
    start = end - dt.timedelta(days=1)
    at = open_app(monkeypatch, warehouse, user="erewash", authority=EREWASH, start=start.isoformat(),
                  end=end.isoformat())
    filters = at.session_state["flt_filters"]
    assert filters.authority_codes == (EREWASH,) and (filters.end_date - filters.start_date).days == 1
    chart = next(c for c in at.get("plotly_chart") if "ov_map" in c.proto.id)
    hover = {row[0]: row[1:] for t in json.loads(chart.proto.spec)["data"] if t["type"] == "choropleth"
             for row in t["customdata"]}
    erewash = authorities.NAME_BY_CODE[EREWASH]
    assert set(hover) == set(authorities.NAME_BY_CODE.values())
    figures = {name: row[:2] for name, row in hover.items() if name != erewash}
    assert all(row == ["–", "–"] for row in figures.values()), figures  # no count, no density of a day
    assert hover[erewash][0] != "–"  # their own authority's figure stays


def test__incident_density__counts_only_the_authorities_asked_for(con, demo_build):
    end = demo_build[2].as_of
    density = overview.incident_density(con, (EREWASH,), end - dt.timedelta(days=27), end)
    others = density[density["authority_code"] != EREWASH]
    assert len(others) == 8 and others["incidents"].isna().all() and others["incidents_per_km2"].isna().all()
    assert not others["is_selected"].any()
    assert density.loc[density["authority_code"] == EREWASH, "incidents"].notna().all()


def _overlaps(frame: pd.DataFrame, column: str) -> tuple[float, float]:
    """(the authorities' figures summed, less the shown total): people counted in two of them."""
    parts = frame[frame["authority_code"].notna()][column]
    total = frame[frame["authority_code"].isna()][column].iloc[0]
    return parts.sum(), parts.sum() - total


def _periods(as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    return [periods.default_period(as_of), (as_of - dt.timedelta(days=27), as_of),
            (as_of - dt.timedelta(days=90), as_of)]


@pytest.mark.parametrize("column", ["reporting_persons", "reporting_persons_previous"])
def test__headline__no_number_of_people_in_two_authorities_from_1_to_k_minus_1(con, demo_build, column):
    """Every pair of authorities and all nine, over a year, a month and a quarter, as a board viewer
    sees them (ui.load's rule, with the query run again for all nine): where the total and every
    authority's figure are shown, their difference is 0 or at least k. A pair's total of distinct
    people is never shown (choices combined would tell how many reported in exactly these
    authorities: disclosure._choice_hidden), all nine's is, unless that difference is small (the
    demo has such pairs: the test fails without the rule's `distinct`)."""
    as_of, checked = demo_build[2].as_of, 0
    selections = [*itertools.combinations(authorities.CODES, 2), authorities.CODES]
    for codes, (start, end) in itertools.product(selections, _periods(as_of)):
        args = (tuple(codes), start, end)
        shown = _board(con, overview.headline, args)
        total = shown["authority_code"].isna()
        if len(codes) < len(authorities.CODES):
            assert shown.loc[total, column].isna().all(), (codes, start, end)
            assert shown.loc[~total, column].notna().any(), (codes, start, end)
            continue
        if shown[column].isna().any():
            continue  # the total or a part is hidden: nothing to subtract
        _, overlap = _overlaps(shown, column)
        assert overlap == 0 or overlap >= K, (codes, start, end, overlap)
        checked += 1
    assert checked >= 1  # all nine's total shows


def _board(con, query, args: tuple) -> pd.DataFrame:
    """What ui.load gives a board viewer (`rerun`: the same query with other arguments)."""
    return access.shown(BOARD, query, args, {}, query(con, *args), K, rerun=lambda a, kw: query(con, *a, **kw))


def test__headline__a_hidden_total_of_people_is_one_whose_difference_was_small(con, demo_build):
    """The rule hides what it must and no more: the total of all nine is hidden only where the
    difference, or a small authority, would give people away; a choice's incidents (a plain sum)
    are shown unless an authority's count of them is hidden in all nine's view."""
    as_of = demo_build[2].as_of
    nine = _board(con, overview.headline, (authorities.CODES, *periods.default_period(as_of)))
    small_incidents = nine["authority_code"].notna() & nine["incidents"].isna()
    hidden_people = set(nine.loc[nine["authority_code"].notna() & nine["reporting_persons"].isna(), "authority_code"])
    for codes in itertools.combinations(authorities.CODES, 2):
        args = (codes, *periods.default_period(as_of))
        raw = overview.headline(con, *args)
        shown = _board(con, overview.headline, args)
        total = shown["authority_code"].isna()
        if not small_incidents.any():
            assert shown.loc[total, "incidents"].notna().all()
        assert shown.loc[total, "reporting_persons"].isna().all()
        for _, row in shown[~total].iterrows():   # each authority's figure: hidden where all nine's view hides it
            assert pd.isna(row["reporting_persons"]) or (
                row["authority_code"] not in hidden_people and not 0 < row["reporting_persons"] < K), row
    for start, end in _periods(as_of):
        args = (authorities.CODES, start, end)
        raw, shown = overview.headline(con, *args), _board(con, overview.headline, args)
        total = shown["authority_code"].isna()
        if shown.loc[total, "reporting_persons"].isna().any():
            _, overlap = _overlaps(raw, "reporting_persons")
            small = raw.loc[~total, "reporting_persons"].between(1, K - 1).any()
            assert 0 < overlap < K or small, (start, end, overlap)


def test__overview_page__the_board_viewer_s_tile_of_people_gives_no_one_away(monkeypatch, demo_build):
    """The page as a board viewer, for a pair of authorities whose year has 1 to k-1 people who
    reported in both, each with k or more: the table shows both, so the "Reporting persons" tile
    (the "All selected" row) and its change are left empty."""
    _, warehouse, summary = demo_build
    con = db.connect(warehouse)
    try:
        pairs = [codes for codes in itertools.combinations(authorities.CODES, 2)
                 if (lambda f: 0 < _overlaps(f, "reporting_persons")[1] < K and f["reporting_persons"].min() >= K)(
                     overview.headline(con, codes, *periods.default_period(summary.as_of)))]
    finally:
        con.close()
    assert pairs, "the demo has no such pair"
    at = open_app(monkeypatch, warehouse, user="board", authority=",".join(pairs[0]))
    assert at.dataframe[0].value["reporting_persons"].notna().all()
    tile = next(m for m in at.metric if m.label == "Reporting persons")
    assert (tile.value, tile.delta) == ("–", "–")
