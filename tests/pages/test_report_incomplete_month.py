"""The board pack of a month one incident feed sent nothing for (insight/board_pack/data.py
`_sources`, `PackData.incomplete`), on a small hand-made warehouse built with the real ETL.

Derby's council sends its file a month late: on 30 November 2025 the warehouse holds its
incidents to October, Erewash's to November. Derby's 0 in November is the data not yet sent,
not a fall in ASB, so the pack for both authorities says the month is not complete instead of
"ASB fell 40%", flags no change for Derby, and names the feed on the caveats slide; Erewash's
pack alone, which Derby's feed never fed, reads as before.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, made_pack
from pptx import Presentation

EREWASH_CODE = "E07000036"

TOML = EREWASH_TOML + """
[[source]]
slug = "derby-council"
kind = "incidents"
path = "derby/*.csv"
authority = "E06000015"
"""
AS_OF = dt.date(2025, 11, 30)
EREWASH, DERBY = ("52.9706", "-1.3095"), ("52.9225", "-1.4746")


def _csv(prefix: str, place: tuple[str, str], per_month: dict[int, int]) -> str:
    rows, n = [], 0
    for month, count in per_month.items():
        for i in range(count):
            n += 1
            day = dt.date(2025, month, 1 + i % 28)
            values = {"incident_ref": f"{prefix}{n}", "agency": "council", "reported_date": str(day),
                      "occurred_date": str(day), "asb_category": "nuisance", "asb_type": "noise",
                      "latitude": place[0], "longitude": place[1], "location_desc": "Market Place",
                      "person_ref": f"{prefix}P{n}", "victim_type": "individual", "is_hate": "N"}
            rows.append(",".join(values.get(c, "") for c in INCIDENT_COLUMNS))
    return ",".join(INCIDENT_COLUMNS) + "\n" + "\n".join(rows) + "\n"


FILES = {"erewash/e.csv": _csv("E", EREWASH, {9: 30, 10: 30, 11: 30}),
         "derby/d.csv": _csv("D", DERBY, {9: 50, 10: 50})}          # nothing for November yet


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    _, path = made_pack(tmp_path_factory.mktemp("late"), TOML, FILES, AS_OF, "2025-11")
    return path


def _titles(pack) -> list[str]:
    return [s.shapes.title.text_frame.text for s in Presentation(io.BytesIO(pack.pptx)).slides]


def _slide(pack, starts: str):
    deck = Presentation(io.BytesIO(pack.pptx))
    return next(s for s in deck.slides if s.shapes.title.text_frame.text.startswith(starts))


def test__pack__a_month_a_feed_has_not_sent_is_not_complete_not_a_fall(warehouse):
    from insight.board_pack import pack as report

    pack = report.make_pack(warehouse, "2025-11")
    titles = _titles(pack)
    assert "ASB in November 2025: 1 incident feed is late or missing, so the month's counts are not complete" \
        in titles, titles
    assert not any("fell" in t for t in titles), titles
    assert "Incidents per authority in November 2025: not complete for Derby" in titles, titles
    assert "ASB per month: November 2025 is not complete (1 incident feed is late or missing)" in titles, titles
    caveats = _slide(pack, "1 incident feed late or missing for November")
    table = next(s.table for s in caveats.shapes if s.has_table)
    assert [c.text for c in table.rows[1].cells][3] == "no rows for November 2025"
    headline = _slide(pack, "ASB in November 2025")
    table = next(s.table for s in headline.shapes if s.has_table)
    incidents = [c.text for c in table.rows[1].cells]
    assert incidents[:4] == ["ASB incidents", "30", "80", "−50 (−62%)"], incidents   # printed, no ▼


def test__pack__a_feed_that_never_sent_the_authority_s_incidents_leaves_its_pack_alone(warehouse):
    from insight.board_pack import pack as report

    pack = report.make_pack(warehouse, "2025-11", (EREWASH_CODE,))
    titles = _titles(pack)
    assert "ASB was about the same as last month (0%)" in titles, titles
    assert not any("not complete" in t for t in titles), titles


def test__overview__warns_that_a_late_feed_s_period_is_not_complete(warehouse, monkeypatch):
    """The Overview and Hotspots say it too (the same rule, `quality.short_feeds`): their default
    period ends on the as-of date, 30 November, which Derby's feed has not reached."""
    from support import open_app

    for page in ("app_pages/overview.py", "app_pages/maps.py"):   # Hotspots too: its last 90 days lack them
        at = open_app(monkeypatch, warehouse, page)
        warnings = [w.value for w in at.warning if w.value.startswith("Not complete")]
        assert len(warnings) == 1 and "Derby council" in warnings[0] and "Erewash" not in warnings[0], warnings
        at = open_app(monkeypatch, warehouse, page, authority=EREWASH_CODE)
        assert not [w.value for w in at.warning if w.value.startswith("Not complete")]


def test__short_feeds__the_rule(warehouse):
    """Late or missing for a period ending on a day: no row in that day's month, or the last record
    more than 7 days before it; only with the authorities the feed sent incidents of in the year."""
    import duckdb

    from insight.queries import quality

    with duckdb.connect(str(warehouse), read_only=True) as con:
        def short(end, codes=("E06000015", EREWASH_CODE)):
            return sorted(map(tuple, quality.short_feeds(con, codes, end).to_numpy()))

        assert short(dt.date(2025, 11, 30)) == [("derby_council", "E06000015")]
        assert short(dt.date(2025, 11, 30), (EREWASH_CODE,)) == []
        assert short(dt.date(2025, 10, 31)) == []                       # both feeds reach 28 October
        assert short(dt.date(2025, 11, 5)) == [("derby_council", "E06000015")]   # nothing in November
        assert short(dt.date(2025, 10, 20)) == []


def test__overview__a_previous_period_before_the_data_is_no_change_in_asb(warehouse, monkeypatch):
    """The data start in September 2025, inside the default period, after the previous period
    (December 2023 to November 2024) begins: "+190 (new), more than chance" would call the data's
    start a rise in ASB. The Overview says so as Hotspots does, and no tile judges its change."""
    from support import open_app

    at = open_app(monkeypatch, warehouse, "app_pages/overview.py")
    assert any(w.value.startswith("The data starts on") for w in at.warning), [w.value for w in at.warning]
    words = [m.proto.delta_description for m in at.metric]
    assert words and not any("chance" in t for t in words), words
    assert all(t == "on the previous period, which the data start after" for t in words if t), words
