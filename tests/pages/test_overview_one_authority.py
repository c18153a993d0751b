"""The Overview of one authority: its tiles are its row of the table under them (the downloads and
totals audit of 6 December 2026: a board viewer on Derby alone read "–" for reporting persons and
repeat locations in the tiles, 5,064 and 1,002 in Derby's row beside them; with one authority the
"All selected" figures are that authority's, so the tiles show what its row shows, no more)."""

from __future__ import annotations

import pytest
from support import open_app

from insight import glossary, ui
from insight.queries import overview

OVERVIEW = "app_pages/overview.py"


@pytest.mark.parametrize("user", ["board", "opcc"])
@pytest.mark.parametrize("code", ["E06000015", "E07000035"])
def test__overview__one_authority_s_tiles_are_its_row(demo_warehouse, monkeypatch, user, code):
    at = open_app(monkeypatch, demo_warehouse, OVERVIEW, user=user, authority=code)
    tiles = {m.label: m.value for m in at.metric}
    table = next(d.value for d in at.dataframe if "reporting_persons" in d.value.columns)
    own = table[table["authority_code"] == code].iloc[0]
    for m in overview.MEASURES:
        label = glossary.TERMS[m.key].name
        assert tiles[label] == ui.fmt_int(own[m.column]), (m.key, tiles[label], own[m.column])
