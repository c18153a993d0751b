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
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 28), "resolution": 9}, False),
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31), "resolution": 10}, True),
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31), "resolution": "h3_10"}, True),
    ({"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31), "resolution": "lsoa"}, False),
])
def test__check_request__a_month_at_least_and_no_street_hexagons(arguments, refused):
    rule = disclosure.Aggregate(period=("start", "end"), resolution="resolution")
    if refused:
        with pytest.raises(disclosure.TooDetailed):
            disclosure.check_request(rule, arguments, restricted=True)
    else:
        disclosure.check_request(rule, arguments, restricted=True)
    disclosure.check_request(rule, arguments, restricted=False)  # the viewer's own authorities: any


PLACES = disclosure.Aggregate(counts=("incidents", "reporters"), authority=None, rows=("h3_cell",),
                              min_rows="incidents", places={"place": "reporters"}, single=("first",),
                              known_total_by=())


def _mixed_places():
    """A's manager asks for A with B: three hexagons, summed. 'a' lies wholly in A (B's part 0),
    'b' wholly in B, 'ab' in both."""
    summed = pd.DataFrame({"h3_cell": ["a", "b", "ab", "big"], "incidents": [3, 2, 6, 20],
                           "reporters": [2, 1, 3, 9], "place": ["Play area", "Car park", "Shops", "Park"],
                           "first": [dt.date(2026, 3, 3)] * 4})
    others = pd.DataFrame({"h3_cell": ["b", "ab", "big"], "incidents": [2, 1, 10], "reporters": [1, 1, 5]})
    own = pd.DataFrame({"h3_cell": ["a", "ab", "big"], "incidents": [3, 5, 10], "reporters": [2, 2, 4]})
    return summed, others, own


def test__protect_result__a_mixed_selection_s_row_with_no_part_of_the_others_is_the_viewer_s_own():
    """A row of a mixed selection whose others' part is 0 in every count is all the viewer's own:
    shown as it is, as with their own authority alone (before: every small sum hidden)."""
    summed, others, own = _mixed_places()
    shown = disclosure.protect_result(PLACES, summed, allowed=(A,), requested=(A, B), k=5, others=others, own=own)
    by_cell = shown.set_index("h3_cell")
    assert by_cell.loc["a", "incidents"] == 3 and by_cell.loc["a", "reporters"] == 2
    assert by_cell.loc["a", "place"] == "Play area" and by_cell.loc["a", "first"] == dt.date(2026, 3, 3)
    assert "b" not in by_cell.index   # B's alone, 2 incidents: left out as before
    assert pd.isna(by_cell.loc["ab", "incidents"]) and by_cell.loc["ab", "place"] is None  # B's part is 1
    assert pd.isna(by_cell.loc["big", "first"])   # a row with the others' part: one case's date never shown
    # the same rows for a viewer with no rights over A are hidden as before
    board = disclosure.protect_result(PLACES, summed, allowed=(), requested=(A, B), k=5)
    assert "a" not in set(board["h3_cell"])


def test__protect_result__the_own_rows_of_a_mixed_selection_match_the_own_selection():
    """Whatever the others' part elsewhere, a row that is all the viewer's own reads the same as in
    the query for their own authorities alone."""
    summed, others, own = _mixed_places()
    mixed = disclosure.protect_result(PLACES, summed, allowed=(A,), requested=(A, B), k=5, others=others, own=own)
    alone = disclosure.protect_result(PLACES, own, allowed=(A,), requested=(A,), k=5)
    assert mixed.set_index("h3_cell").loc["a", ["incidents", "reporters"]].tolist() == \
        alone.set_index("h3_cell").loc["a", ["incidents", "reporters"]].tolist()
