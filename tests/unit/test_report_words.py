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
])
def test__change_phrase__names_only_significant_changes(now, before, versus, title):
    assert w.change_phrase("ASB", now, before, versus) == title


@pytest.mark.parametrize("now, before, cell", [
    (5074, 5859, ("−785 (−13%) ▼", -1)),
    (8, 12, ("−4 (−33%)", 0)),
    (0, 0, ("+0 (0%)", 0)),
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
