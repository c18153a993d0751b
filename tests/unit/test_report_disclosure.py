"""Disclosure control of the board pack (insight/access/disclosure.py), on small inline tables.

    counts (k = 5)        shown
    a    3   10           a   <5   *        <- 3 hidden (primary); 10 would give 3 by subtraction,
    b    7   10           b    7  10           so the smallest other cell of the column is hidden
    c   12    0           c   12   0
    all 22   20           all 22  20

The property every case must keep: every count from 1 to k-1 is hidden, and a reader who knows the
rule ("<5" is 1 to 4, zeros are shown, "*" is 5 or more) and tries every value the marks allow
cannot pin down any hidden cell of a line (a column, or a row) whose total is shown.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from insight.access import disclosure as rd


def _table(rows: dict[str, list[int]], columns=("x", "y")) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(columns)).astype(float)
    frame.loc["all"] = frame.sum()
    return frame


def _pinned_by_reader(line: list[tuple[str, float]], total: tuple[str, float], k: int) -> list[str]:
    """A brute-force reader: every value each mark allows ('<k': 1..k-1, '*': k..total), kept when
    the line adds up to the shown total; the hidden cells left with a single possible value."""
    label, value = total
    if value is None or label.startswith("<") or label == "*":
        return []
    hidden = [(name, text) for name, text, v in line if v is None]
    known = sum(v for _, _, v in line if v is not None)
    ranges = [range(1, k) if text.startswith("<") else range(k, int(value) + 1) for _, text in hidden]
    possible = [set() for _ in hidden]
    for combo in itertools.product(*ranges):
        if known + sum(combo) == value:
            for seen, v in zip(possible, combo, strict=True):
                seen.add(v)
    return [name for (name, _), seen in zip(hidden, possible, strict=True) if len(seen) == 1]


def _recoverable(table: rd.Protected, column: str, total_row: str = "all") -> list[str]:
    """Rows of `column` whose hidden value a reader could work out from the shown total."""
    shown = table.shown()
    line = [(r, table.text(r, column), shown.at[r, column]) for r in table.values.index if r != total_row]
    return _pinned_by_reader(line, (table.text(total_row, column), shown.at[total_row, column]), table.k)


CASES = [  # (rows, expected texts of column x, top to bottom, with the total last)
    ({"a": [3, 10], "b": [7, 10], "c": [12, 0]}, ["<5", "*", "12", "22"]),
    ({"a": [0, 1], "b": [6, 9], "c": [8, 9]}, ["0", "6", "8", "14"]),
    ({"a": [2, 1], "b": [4, 9], "c": [8, 9]}, ["<5", "<5", "8", "14"]),
    ({"a": [3, 0], "b": [0, 0], "c": [0, 0]}, ["<5", "0", "0", "<5"]),
    ({"a": [1, 50], "b": [30, 50], "c": [20, 50]}, ["<5", "30", "*", "51"]),
    # two hidden cells that must add up to 2 are both 1: one more is hidden
    ({"a": [1, 5], "b": [1, 5], "c": [8, 5]}, ["<5", "<5", "*", "10"]),
    # ... and two that must add up to 8 are both 4
    ({"a": [4, 5], "b": [4, 5], "c": [9, 5]}, ["<5", "<5", "*", "17"]),
    # a "*" that the total pins to exactly 5 next to a "<5" of 1 is given away: one more hidden
    ({"a": [1, 5], "b": [5, 5], "c": [6, 5]}, ["<5", "*", "*", "12"]),
]


@pytest.mark.parametrize("rows, expected", CASES)
def test__protect__hides_small_counts_and_one_more_per_total(rows, expected):
    table = rd.protect(_table(rows), ["x", "y"], 5, total_row="all")
    assert [table.text(r, "x") for r in table.values.index] == expected
    for column in ("x", "y"):
        assert _recoverable(table, column) == []


def test__protect__every_small_count_is_hidden_on_random_tables():
    for a, b, c in itertools.product(range(0, 12), repeat=3):
        table = rd.protect(_table({"a": [a, 5], "b": [b, 5], "c": [c, 5]}), ["x"], 5, total_row="all")
        shown = table.shown()
        for row in table.values.index:
            value = table.values.at[row, "x"]
            if 0 < value < 5:
                assert shown.at[row, "x"] is None, (a, b, c, row)
        assert _recoverable(table, "x") == [], (a, b, c)


def test__protect__row_and_column_totals_both_protected():
    """A 2-D table (authorities x outcomes with a total column and a total row)."""
    frame = _table({"a": [3, 20, 0], "b": [9, 8, 6], "c": [10, 11, 12]}, columns=("up", "down", "other"))
    frame["total"] = frame.sum(axis=1)
    table = rd.protect(frame, ["up", "down", "other", "total"], 5, total_row="all",
                       column_totals={"total": ["up", "down", "other"]})
    shown = table.shown()
    for row in frame.index:
        line = [(c, table.text(row, c), shown.at[row, c]) for c in ("up", "down", "other")]
        assert _pinned_by_reader(line, (table.text(row, "total"), shown.at[row, "total"]), 5) == [], row
    for column in ("up", "down", "other", "total"):
        assert _recoverable(table, column) == [], column
    assert shown.at["a", "up"] is None


def test__protect__leaves_columns_that_are_not_people():
    frame = _table({"a": [2, 3], "b": [9, 8]})
    table = rd.protect(frame, ["x"], 5, total_row="all")
    assert table.text("a", "y") == "3" and table.text("a", "x") == "<5"


def test__protect_one__zero_shown_small_hidden():
    assert [rd.protect_one(v, 5) for v in (0, 1, 4, 5, 12)] == [None, "<5", "<5", None, None]
    assert rd.protect_one(9, 10) == "<10"


@pytest.mark.parametrize("text, expected", [("", 5), ("[report]\nsuppress_below = 10\n", 10)])
def test__suppress_below__reads_the_settings_file(tmp_path, text, expected):
    path = tmp_path / "report.toml"
    path.write_text(text)
    assert rd.suppress_below(path) == expected


def test__suppress_below__refuses_a_bad_value(tmp_path):
    path = tmp_path / "report.toml"
    path.write_text("[report]\nsuppress_below = 0\n")
    with pytest.raises(ValueError, match="suppress_below"):
        rd.suppress_below(path)


def test__suppress_below__the_shipped_setting_is_five():
    assert rd.suppress_below(rd.SETTINGS_PATH) == 5
