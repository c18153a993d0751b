"""The same count on two pages, hidden alike (the roles audit of 7 December 2026).

The Overview's table per authority and the Partnership page's side-by-side table both give each
authority's applications received and appeals received in the period. The Overview also prints the
total of the nine ("Applications received"), so it hides a second authority as a cover beside a
count of 1 to 4; the Partnership page, which has no total, hid only the 1 to 4. A board viewer with
one link on both pages read the cover on the Partnership page, and the tile less the eight others
gave the hidden count (Derbyshire Dales' 2 applications, 1 September 2025 to 31 August 2026).

Here, for a board viewer, every cell the Overview hides is hidden on the Partnership page too, over
several periods of the demo warehouse."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from support import open_app

MEASURES = {"applications": "Applications", "appeals": "Appeals"}   # Overview column -> Partnership label start
PERIODS = [("2025-09-01", "2026-08-31"), ("2025-11-01", "2026-10-31"), ("2026-05-01", "2026-10-31"),
           ("2026-08-01", "2026-10-31")]


def _partnership_cells(at) -> dict[tuple[str, str], str]:
    """(authority, Overview measure) -> the Partnership table's text of that cell."""
    chart = next(c for c in at.get("plotly_chart") if "pt_table" in c.proto.id)
    cells = {}
    for note in json.loads(chart.proto.spec)["layout"]["annotations"]:
        for measure, label in MEASURES.items():
            if str(note.get("x", "")).startswith(label):
                cells[(note["y"], measure)] = note["text"]
    return cells


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test__partnership__hides_what_the_overview_hides_of_the_same_counts(monkeypatch, demo_warehouse, start, end):
    link = {"authority": "all", "start": start, "end": end}
    overview = open_app(monkeypatch, demo_warehouse, None, user="board", **link)
    table = next(d.value for d in overview.dataframe if "applications" in d.value.columns)
    table = table.set_index("authority_name")
    hidden = {(name, m) for m in MEASURES for name, v in table[m].items() if pd.isna(v) and not name.startswith("All")}
    partnership = open_app(monkeypatch, demo_warehouse, "app_pages/partnership.py", user="board", **link)
    cells = _partnership_cells(partnership)
    shown = {cell for cell in hidden if re.search(r"[0-9]", cells.get(cell, ""))}
    assert not shown, {cell: cells[cell] for cell in shown}


# (as of, the financial year it falls in): a year not over, whose returns are under the rule
YEARS_SO_FAR = [("2026-02-28", "2025-04-01"), ("2025-11-30", "2025-04-01"), ("2026-10-31", "2026-04-01"),
                ("2025-01-31", "2024-04-01")]


@pytest.mark.parametrize(("as_of", "year_start"), YEARS_SO_FAR)
def test__statutory_returns__of_a_year_not_over_hide_what_the_overview_hides(monkeypatch, demo_warehouse,
                                                                            as_of, year_start):
    """The Overview for the financial year so far gives each authority's applications received and
    their total; the Partnership page's statutory return of that year gives the same counts. It hid
    only the 1 to 4, not the Overview's cover: 95 less the eight others told Derbyshire Dales' 3
    applications by 28 February 2026 (the roles audit, F2b)."""
    overview = open_app(monkeypatch, demo_warehouse, None, user="board", authority="all", start=year_start, end=as_of)
    table = next(d.value for d in overview.dataframe if "applications" in d.value.columns).set_index("authority_name")
    hidden = {name for name, v in table["applications"].items() if pd.isna(v) and not name.startswith("All")}
    partnership = open_app(monkeypatch, demo_warehouse, "app_pages/partnership.py", user="board",
                           authority="all", as_of=as_of)
    returns = next(d.value for d in partnership.dataframe if "applications_received" in d.value.columns)
    year = returns[pd.to_datetime(returns["year_start_date"]).dt.date == pd.Timestamp(year_start).date()]
    assert len(year) == 9 and not year["is_complete_year"].any()
    shown = year[year["authority_name"].isin(hidden) & year["applications_received"].notna()]
    assert shown.empty, shown[["authority_name", "applications_received"]]
