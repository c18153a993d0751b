"""The board pack's busiest-places slide and its significance flag (insight/board_pack/content.py
slide_repeats), on a small hand-made warehouse built with the real ETL, opened with python-pptx.

    June 2025, incidents per place (H3 resolution-10 cell)   last 90 days   the 90 days before   year
    Derby city centre                                         8              0                    8   rising, shown
    Bath Street, Ilkeston                                     3              0                    6   90-day count hidden
    Market Place, Long Eaton                                  0              2                    5   90 days before hidden
    Station Road, Ilkeston                                    2              0                    2   not listed

Z = 2(sqrt(now) - sqrt(before)) > 2 says "3 > 1": an arrow beside a hidden count (or a place counted
as rising in the title) tells the reader the hidden count is 2 to 4. So no flag, and no count in
the title, when either 90-day count is hidden (README: "no significance flag either"). A place of
fewer than k incidents in the year is not listed, as Hotspots lists it not (the roles audit of 7
December 2026: the pack follows what the page hides).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from conftest import made_pack
from pptx import Presentation

from insight.board_pack import words as w

HEADER = ("incident_ref,agency,authority,reported_date,occurred_date,asb_category,asb_type,"
          "latitude,longitude,easting,northing,postcode,location_desc,person_ref,victim_type,is_hate")
TOML = '[[source]]\nslug = "partners"\nkind = "incidents"\npath = "p/*.csv"\n'
AS_OF = dt.date(2025, 6, 30)
DERBY = ("52.9225", "-1.4746")
ILKESTON = ("52.9706", "-1.3095")
LONG_EATON = ("52.8990", "-1.2700")
STATION_ROAD = ("52.9660", "-1.3020")


def _rows() -> list[str]:
    rows, n = [], 0
    places = [(DERBY, "Sadler Gate", [dt.date(2025, 6, d) for d in (2, 5, 9, 12, 16, 19, 23, 26)]),
              # three more each in September 2024: in the year, not in the 180 days
              (ILKESTON, "Bath Street", [*(dt.date(2025, 6, d) for d in (10, 17, 24)),
                                         *(dt.date(2024, 9, d) for d in (3, 10, 17))]),
              (LONG_EATON, "Market Place", [dt.date(2025, 2, 10), dt.date(2025, 3, 10),
                                            *(dt.date(2024, 9, d) for d in (4, 11, 18))]),
              (STATION_ROAD, "Station Road", [dt.date(2025, 6, 11), dt.date(2025, 6, 18)]),
              # the data start over a year before (outside the busiest places' year): the 90 days
              # before the last 90 are all after the data start, so a change there is ASB's, not the data's
              (("53.2350", "-1.4210"), "Chesterfield market", [dt.date(2024, 5, 1)])]
    for (lat, lon), where, days in places:
        for day in days:
            n += 1
            rows.append(f"R{n},council,,{day},{day},personal,noise,{lat},{lon},,,,{where},P{n},individual,N")
    return rows


@pytest.fixture(scope="module")
def deck(tmp_path_factory):
    pack, _ = made_pack(tmp_path_factory.mktemp("arrow"), TOML,
                        {"p/june.csv": "\n".join([HEADER, *_rows()]) + "\n"}, AS_OF, "2025-06")
    return Presentation(io.BytesIO(pack.pptx))


def _repeats_slide(deck):
    return next(s for s in deck.slides if "busiest places" in s.shapes.title.text_frame.text)


def _bars(slide) -> list[tuple[str, list]]:
    """(label, [last 90 days, the 90 days before]) per place, in the chart's order."""
    chart = next(sh.chart for sh in slide.shapes if sh.has_chart)
    categories = list(chart.plots[0].categories)
    return [(c, [s.values[i] for s in chart.plots[0].series]) for i, c in enumerate(categories)]


def test__busiest_places__no_flag_beside_a_hidden_90_day_count(deck):
    bars = _bars(_repeats_slide(deck))
    assert len(bars) == 3, bars
    flagged = [values for label, values in bars if w.UP in label or w.DOWN in label]
    # Derby's 8 against 0 is shown and flagged; Ilkeston's hidden 3 against 0 and Long Eaton's 0
    # against a hidden 2 are not
    assert flagged == [[8.0, 0.0]], bars
    # Ilkeston's last 90 days and Long Eaton's 90 days before are hidden (and what the page hides beside them)
    others = [values for _, values in bars if values != [8.0, 0.0]]
    assert any(v[0] is None for v in others) and any(v[1] is None for v in others), bars
    for _, values in bars:
        assert all(v is None or v == 0 or v >= 5 for v in values), bars


def test__busiest_places__the_title_counts_only_flags_that_are_shown(deck):
    title = _repeats_slide(deck).shapes.title.text_frame.text
    assert title == "1 of the 3 busiest places is rising significantly", title
