"""The disclosure rule for the pages (insight/access/disclosure.py protect_result), on small inline
frames: rows the viewer has rights over stay as they are; others lose small counts, cells a shown
total would give away (never by hiding a cell the viewer may see anyway), rows about fewer than
k, statistics over fewer than k, single cases and place descriptions without k reporters.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from insight.access import disclosure

A, B, C = "E07000032", "E07000033", "E07000034"
COUNTS = disclosure.Aggregate(counts=("people",), total_by=())


def _table() -> pd.DataFrame:
    return pd.DataFrame({"authority_code": [A, B, C, None], "people": [3, 10, 12, 25]})


def test__protect_result__a_board_viewer_loses_the_small_cell_and_the_one_that_gives_it_away():
    shown = disclosure.protect_result(COUNTS, _table(), allowed=(), requested=(A, B, C), k=5)
    assert shown["people"].isna().tolist() == [True, True, False, False]  # 3 (primary), 10 (secondary)


def test__protect_result__a_manager_sees_their_own_row_and_the_secondary_cell_is_another():
    own = disclosure.protect_result(COUNTS, _table(), allowed=(A,), requested=(A, B, C), k=5)
    assert own["people"].tolist() == [3, 10, 12, 25]  # only A is small, and A is theirs
    other = disclosure.protect_result(COUNTS, _table(), allowed=(B,), requested=(A, B, C), k=5)
    assert other["people"].isna().tolist() == [True, False, True, False]  # B (theirs) is never the cover


def test__protect_result__everything_asked_is_the_viewer_s_own():
    frame = _table().iloc[[0, 3]].assign(people=[3, 3])
    assert disclosure.protect_result(COUNTS, frame, allowed=(A,), requested=(A,), k=5) is frame


def test__protect_result__places_rows_statistics_and_single_cases():
    rule = disclosure.Aggregate(counts=("incidents", "reporters"), authority=None, min_rows="incidents",
                                places={"place": "reporters"}, single=("first",),
                                at_least_k={"median": "incidents"})
    frame = pd.DataFrame({"incidents": [1, 6, 9], "reporters": [1, 2, 7], "place": ["Play area", "Park", "Shops"],
                          "first": [dt.date(2026, 3, 3)] * 3, "median": [1.0, 2.0, 3.0]})
    shown = disclosure.protect_result(rule, frame, allowed=(), requested=(A,), k=5)
    assert shown["incidents"].tolist() == [6, 9] and shown.attrs["dropped"] == 1
    assert shown["place"].tolist() == [None, "Shops"] and shown["first"].isna().all()
    assert pd.isna(shown["reporters"].iloc[0]) and shown["median"].tolist() == [2.0, 3.0]


@pytest.mark.parametrize("arguments, refused", [
    ({"start": dt.date(2026, 3, 3), "end": dt.date(2026, 3, 3), "resolution": 9}, True),
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 28), "resolution": 9}, True),   # not a whole month
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31), "resolution": 9}, False),
    ({"start": dt.date(2026, 2, 1), "end": dt.date(2026, 3, 31), "resolution": 9}, False),
    ({"start": dt.date(2026, 2, 2), "end": dt.date(2026, 3, 31), "resolution": 9}, True),
    ({"start": dt.date(2026, 2, 1), "end": dt.date(2026, 3, 31), "resolution": 8}, True),   # one size: 8 and 9 subtract
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31), "resolution": "h3_8"}, True),
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31), "resolution": 10}, True),
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31), "resolution": "h3_10"}, True),
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31), "resolution": "lsoa"}, False),
])
def test__check_request__whole_months_and_one_hexagon_size(arguments, refused):
    rule = disclosure.Aggregate(period=("start", "end"), resolution="resolution")
    if refused:
        with pytest.raises(disclosure.TooDetailed):
            disclosure.check_request(rule, arguments, restricted=True)
    else:
        disclosure.check_request(rule, arguments, restricted=True)
    disclosure.check_request(rule, arguments, restricted=False)  # the viewer's own authorities: any


def test__protect_result__a_mixed_row_wholly_the_viewer_s_own_is_hidden_like_any_other():
    """A's manager asks for A with B. Hexagon 'a' lies wholly in A (3 incidents, B's part 0), 'ab'
    holds A's 3 and B's 1. Were 'a' shown because B has no part in it, the manager, who sees A's 3
    in both with A alone, would read 'ab' left out as "B had a part": 1 exactly, since the sum is
    under 5. Both are left out (a red-team audit, 6 December 2026, read months, the day of one
    incident and a border hexagon's part from a version that showed such rows)."""
    rule = disclosure.Aggregate(counts=("incidents",), authority=None, rows=("h3_cell",), min_rows="incidents")
    summed = pd.DataFrame({"h3_cell": ["a", "ab", "big"], "incidents": [3, 4, 20]})
    others = pd.DataFrame({"h3_cell": ["ab", "big"], "incidents": [1, 10]})
    own = pd.DataFrame({"h3_cell": ["a", "ab", "big"], "incidents": [3, 3, 10]})
    shown = disclosure.protect_result(rule, summed, allowed=(A,), requested=(A, B), k=5, others=others, own=own)
    assert shown["h3_cell"].tolist() == ["big"] and shown.attrs["dropped"] == 2


def test__protect_result__a_hidden_count_is_not_told_by_the_row_s_place_in_a_busiest_first_list():
    """A list in the order of its counts (the map's hexagons and the chooser beside it, busiest
    first) would tell a hidden count by where its row sits: between two of 6 it is 6 (a red-team
    audit, 6 December 2026, read another authority's part of a border hexagon so). Rows whose
    ordering count is hidden come after the rows shown, in the order of their key, and a rank
    column counts the rows as listed."""
    rule = disclosure.Aggregate(counts=("incidents",), authority=None, rows=("h3_cell",), min_rows="incidents",
                                order=("incidents",))
    frame = pd.DataFrame({"h3_cell": ["h9", "h1", "h5", "h2", "h7"], "incidents": [9, 6, 6, 6, 5],
                          "rank": [1, 2, 3, 4, 5]})
    others = pd.DataFrame({"h3_cell": ["h9", "h1", "h5", "h2", "h7"], "incidents": [5, 6, 2, 6, 3]})
    own = pd.DataFrame({"h3_cell": ["h5", "h7"], "incidents": [4, 2]})
    shown = disclosure.protect_result(rule, frame, allowed=(A,), requested=(A, B), k=5, others=others, own=own)
    hidden = shown[shown["incidents"].isna()]
    assert set(hidden["h3_cell"]) == {"h5", "h7"}   # the others' parts 2 and 3
    assert shown["h3_cell"].tolist() == ["h9", "h1", "h2", "h5", "h7"]   # shown first, then by key
    assert shown["rank"].tolist() == [1, 2, 3, 4, 5]
    # a frame whose order no hidden count decides is left in its order
    plain = disclosure.protect_result(rule, frame, allowed=(A, B), requested=(A, B), k=5)
    assert plain["h3_cell"].tolist() == ["h9", "h1", "h5", "h2", "h7"]
