"""The board pack's headline slide and the Overview, for the same month and authorities (the roles
audit of 7 December 2026).

The Overview hides an all-selected figure where it would tell a small count: threshold met
decisions of five authorities each hidden and the others 0 (the total then tells they are 1 each),
or the reporting persons of the nine when the authorities' figures, all shown, add up to one more
than it (one person reported in two authorities). The pack printed those totals (5; 294 against
295), so the two read together told what the page hides. The pack now prints none of the headline's
figures that the Overview hides for that month, the month before or the month a year before, from a
board viewer or from the manager of any of the authorities (their own row known to them)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from etl.rules import authorities
from insight.access import disclosure
from insight.access import roles as access
from insight.board_pack import content as report_content
from insight.board_pack import data as report_data
from insight.board_pack import slides as rs
from insight.queries import overview

ALL = authorities.CODES
K = disclosure.suppress_below()
COLUMN = {"current": 1, "previous": 2, "last_year": 4}   # the headline table's column of each month


def _page_hides(con, month: report_data.Month) -> set[str]:
    """The headline measures whose all-selected figure the Overview hides for `month`, from a board
    viewer or any council manager."""
    frame = overview.headline(con, ALL, month.start, month.end)
    hidden = set()
    for role, allowed in [(access.BOARD_VIEWER, ()), *((access.COUNCIL_MANAGER, (c,)) for c in ALL)]:
        shown = access.shown_as(role, allowed, overview.headline, (ALL, month.start, month.end), {}, frame, K,
                                rerun=lambda a, kw: overview.headline(con, *a, **kw))
        total = shown[shown["authority_code"].isna()].iloc[0]
        hidden |= {m.column for m in overview.MEASURES if pd.isna(total[m.column])}
    return hidden


@pytest.mark.parametrize("month", ["2026-02", "2026-10", "2025-06", "2024-11", "2026-07"])
def test__pack__headline_prints_no_figure_the_overview_hides(con, month):
    month = report_data.Month(pd.Timestamp(f"{month}-01").date())
    data = report_data.gather(con, month, ALL)
    deck = rs.new_deck()
    report_content.slide_headline(deck, report_content.Context(data, K))
    table = next(s.table for s in deck.slides[-1].shapes if s.has_table)
    printed = {row.cells[0].text: [c.text for c in row.cells] for row in list(table.rows)[1:]}
    labels = {m.column: m.label for m in overview.MEASURES}
    found = []
    for when, shifted in (("current", month), ("previous", month.shift(-1)), ("last_year", month.shift(-12))):
        for measure in _page_hides(con, shifted):
            text = printed[labels[measure]][COLUMN[when]]
            if re.fullmatch(r"[0-9,]+", text):
                found.append((shifted.label, labels[measure], text))
    assert not found, found
