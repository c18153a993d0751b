"""A table of counts under a total, whose every row one reader knows exactly (an authority's row, to
its own manager, who gets the all-nine board pack): with the marks printed, no other hidden count
may follow from that row (`disclosure.protect`, `known_rows`).

The roles audit of 7 December 2026: the June 2026 pack's statutory slide printed reviews held as
Derby '<5', Derbyshire Dales '<5', High Peak '<5', the six others 0 and All selected '<5'. Derby's
manager knows Derby's 2, so the other two add up to at most 2, each at least 1: Dales 1, High Peak 1.
The '[c]' marks that stop such a reading ("0 or more") were worked out without the known rows.

Checked by brute force: every set of values the printed marks and one known row allow."""

from __future__ import annotations

import itertools
import random

import pandas as pd
import pytest

from insight.access import disclosure

K = 5
TOTAL = "All selected"


def _allowed(protected: disclosure.Protected, row, column, cap: int) -> range:
    """The values a reader takes a cell to have from what is printed."""
    text = protected.text(row, column)
    if text == f"<{K}":
        return range(1, K)
    if text in (disclosure.SECONDARY, disclosure.WITHHELD):
        return range(0, cap + 1)
    return range(int(protected.values.at[row, column]), int(protected.values.at[row, column]) + 1)


def _pinned(protected: disclosure.Protected, column: str, known) -> list:
    """The hidden small counts (other than `known`'s) that the marks and `known`'s row pin to one value."""
    values = protected.values[column]
    cap = int(values.sum())
    parts = [r for r in values.index if r != TOTAL]
    ranges = {r: (range(int(values[r]), int(values[r]) + 1) if r == known else _allowed(protected, r, column, cap))
              for r in values.index}
    possible: dict = {r: set() for r in values.index}
    free = [r for r in parts if len(ranges[r]) > 1]
    fixed = sum(ranges[r][0] for r in parts if len(ranges[r]) == 1)
    for combo in itertools.product(*(ranges[r] for r in free)):
        total = fixed + sum(combo)
        if total in ranges[TOTAL]:
            for r, v in zip(free, combo, strict=True):
                possible[r].add(v)
            possible[TOTAL].add(total)
    own = values[known] if known is not None else 0
    # the total pinned tells the others' sum: a small count unless it is theirs alone (the others 0)
    small = {r: 0 < (values[r] - own if r == TOTAL else values[r]) < K for r in values.index}
    return [r for r in values.index if r != known and protected.is_hidden(r, column)
            and small[r] and len(possible[r]) == 1]


def _table(counts: dict[str, int]) -> pd.DataFrame:
    frame = pd.DataFrame({"reviews": counts})
    frame.loc[TOTAL] = frame["reviews"].sum()
    return frame


def test__known_row__the_audit_s_case_pins_nothing():
    counts = {"Derby": 2, "Derbyshire Dales": 1, "High Peak": 1, "Amber Valley": 0, "Bolsover": 0,
              "Chesterfield": 0, "Erewash": 0, "North East Derbyshire": 0, "South Derbyshire": 0}
    table = _table(counts)
    protected = disclosure.protect(table, ["reviews"], K, total_row=TOTAL, known_rows=list(counts))
    assert _pinned(protected, "reviews", None) == []
    assert {known: _pinned(protected, "reviews", known) for known in counts} == {known: [] for known in counts}


@pytest.mark.parametrize("seed", range(40))
def test__known_row__no_reader_of_one_row_pins_another(seed):
    rng = random.Random(seed)
    names = [f"A{i}" for i in range(rng.randint(3, 5))]
    counts = {n: rng.choice([0, 0, 1, 1, 2, 3, 4, 5, 6]) for n in names}
    protected = disclosure.protect(_table(counts), ["reviews"], K, total_row=TOTAL, known_rows=names)
    assert _pinned(protected, "reviews", None) == [], counts
    for known in names:
        assert _pinned(protected, "reviews", known) == [], (counts, known)
