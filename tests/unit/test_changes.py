"""Changes on the previous period (issue 16, item 2): coloured only when more than chance, and
never written "+0%"."""

from __future__ import annotations

import pytest

from insight import ui


@pytest.mark.parametrize("change, previous, text", [
    (112, 27_000, "+112 (+0.4%)"), (12, 240, "+12 (+5%)"), (-3, 0, "-3 (new)"), (0, 0, "0"),
    (-50, 1_000, "-50 (-5%)"), (0, 500, "+0 (+0%)"), (float("nan"), 3, "–")])
def test__fmt_change__small_shares_keep_a_decimal(change, previous, text):
    assert ui.fmt_change(change, previous) == text


@pytest.mark.parametrize("change, previous, significant", [
    (112, 27_000, False),   # 2(√27112 − √27000) = 0.68: noise, even though +112
    (400, 27_000, True),    # 2.43
    (5, 5, False), (15, 5, True), (-40, 100, True), (-10, 100, False), (3, 0, True), (1, 0, False)])
def test__is_significant__poisson_z_beyond_two(change, previous, significant):
    assert ui.is_significant(change, previous) is significant


def test__change_colour__grey_unless_significant_and_directed():
    assert ui.change_colour(-1, 112, 27_000) == "off"          # the "+112 (+0%)" red alarm
    assert ui.change_colour(-1, 400, 27_000) == "inverse"      # more ASB: red, because significant
    assert ui.change_colour(1, 400, 27_000) == "normal"
    assert ui.change_colour(0, 400, 27_000) == "off"           # neither good nor bad
    assert ui.change_words(112, 27_000).endswith("within chance")
    assert ui.change_words(400, 27_000).endswith("more than chance")
