"""How slide titles say numbers (insight/board_pack/words.py): a change is a rise or a fall only when the
Poisson change rule says so, |2(sqrt(now) - sqrt(before))| > 2; lists of names stay short.
"""

from __future__ import annotations

import pytest

from insight.board_pack import words as w


@pytest.mark.parametrize("now, before, versus, title", [
    (5074, 5859, "last month", "ASB fell 13% on last month"),          # Z = -10.6
    (5074, 5123, "October 2025", "ASB was about the same as October 2025 (−1%)"),  # Z = -0.7
    (30, 18, "last month", "ASB rose 67% on last month"),                # Z = 2.47
    (25, 18, "last month", "ASB was about the same as last month (+39%)"),  # Z = 1.51: a wiggle
    (38, 0, "last month", "ASB rose to 38, from none last month"),
    (38, 0, "June 2024", "ASB rose to 38, from none in June 2024"),
    (279925, 280365, "last year", "ASB was about the same as last year (−0.2%)"),
    (0, 0, "last month", "ASB was 0, as it was last month"),
    (0, 0, "June 2024", "ASB was 0, as it was in June 2024"),
])
def test__change_phrase__names_only_significant_changes(now, before, versus, title):
    assert w.change_phrase("ASB", now, before, versus) == title


@pytest.mark.parametrize("now, before, cell", [
    (5074, 5859, ("−785 (−13%) ▼", -1)),
    (8, 12, ("−4 (−33%)", 0)),
    (0, 0, ("none in either", 0)),     # no "+0 (0%)": there is no change between two zeros
    (7, 7, ("0 (0%)", 0)),             # nor "+0 (+0%)"
])
def test__change_cell__arrow_only_when_significant(now, before, cell):
    assert w.change_cell(now, before) == cell


@pytest.mark.parametrize("items, of, text", [
    (["Derby"], 9, "Derby"),
    (["Derby", "Erewash"], 9, "Derby and Erewash"),
    (["Bolsover", "Derby", "Erewash"], 9, "Bolsover, Derby and Erewash"),
    (["a", "b", "c", "d"], 9, "4 of 9 authorities"),
    (list("abcdefghi"), 9, "all 9 authorities"),
])
def test__names__short_lists(items, of, text):
    assert w.names(items, 3, of) == text


def test__share__tiny_shares_are_not_zero():
    assert (w.share(0.0013), w.share(0.00004), w.plural(1, "place"), w.plural(3, "person", "people")) == (
        "0.13%", "under 0.01%", "1 place", "3 people")


def test__change_cell__no_arrow_when_not_flagged():
    """A month whose feeds are incomplete: the change is printed, never flagged as a fall."""
    assert w.change_cell(0, 5859, flag=False) == ("−5,859 (−100%)", 0)
    assert w.change_cell(0, 5859) == ("−5,859 (−100%) ▼", -1)


@pytest.mark.parametrize("k, what, key", [
    (5, "people", "<5: fewer than 5 people; *: hidden so that a small count cannot be worked out."),
    (2, "appeals", "<2: fewer than 2 appeals; *: hidden so that a small count cannot be worked out."),
    (5, "", "<5: fewer than 5; *: hidden so that a small count cannot be worked out."),
    (1, "people", "Every count is shown: the disclosure limit is 1."),   # never "<1: fewer than 1"
])
def test__marks_key__says_the_limit_and_nothing_odd_at_k_1(k, what, key):
    assert w.marks_key(k, what) == key


@pytest.mark.parametrize("cells, title", [
    ({"Derby": 7, "Erewash": 5}, "12 hot-spot cells in October, 7 of them in Derby"),
    ({"Derby": 3}, "3 hot-spot cells in October, all of them in Derby"),
    ({"Derby": 1}, "1 hot-spot cell in October, in Derby"),      # never "1 of them"
    ({}, "No significant ASB hot spots in October"),
])
def test__hotspot_title__counts_in_words(cells, title):
    import pandas as pd

    from insight.board_pack import content

    assert content.hotspot_title(pd.Series(cells, dtype="int64"), "October") == title
