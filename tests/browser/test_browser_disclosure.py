"""Issue 14, finding 1, in the real browser: the maps page of the served dashboard (demo warehouse)
for viewers without person-level rights over the authority shown.

An Erewash manager who puts Derby in the URL downloads Derby's repeat locations: the file holds
no place with fewer than k incidents in the year, no count of 1..k-1, no date of a single
incident and no description of a place with fewer than k reporters. A board viewer who asks for
one day of Derby gets a period of at least 28 days and no street-level (resolution 10) hexagons.
"""

from __future__ import annotations

import csv
import datetime as dt
import re

import duckdb
import pytest
from support import EXCEPTION, assert_not_blank, open_select, screenshot, signed_in

from insight.access import disclosure

pytestmark = pytest.mark.browser
DERBY = "E06000015"
K = disclosure.suppress_below()


def test__maps__another_council_s_repeat_locations_csv_holds_no_single_incident(server, page):
    signed_in(page, f"{server}/maps?authority={DERBY}", user="erewash")
    assert page.locator(EXCEPTION).count() == 0
    button = page.get_by_role("button", name=re.compile(r"Download [\d,]+ places? as CSV"))
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    with open(info.value.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    assert rows and {r["authority_name"] for r in rows} == {"Derby"}
    for row in rows:
        assert row["first_report"] == "" and row["last_report"] == "", row
        assert float(row["incidents_365d"]) >= K, row
        for column in ("incidents_30d", "incidents_90d", "incidents_180d", "distinct_reporters"):
            assert row[column] == "" or not 0 < float(row[column]) < K, (column, row)
        if row["distinct_reporters"] == "" or float(row["distinct_reporters"]) < K:
            assert row["main_location"] == "" and row["main_asb_types"] == "", row


def test__maps__a_board_viewer_asking_for_one_day_gets_a_month_and_no_street_hexagons(server, page,
                                                                                       demo_warehouse):
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    as_of = con.execute("select max(as_of_date) from etl_builds").fetchall()[0][0]
    con.close()
    day = (as_of - dt.timedelta(days=28)).isoformat()
    signed_in(page, f"{server}/maps?authority={DERBY}&start={day}&end={day}", user="board")
    assert page.locator(EXCEPTION).count() == 0
    assert page.get_by_text("cover at least 28 days", exact=False).is_visible()
    start = re.search(r"start=([\d-]+)", page.url).group(1)
    assert (dt.date.fromisoformat(day) - dt.date.fromisoformat(start)).days == 27  # the URL says so too
    open_select(page, page.locator(".st-key-mp_res").get_by_role("combobox"))
    options = page.get_by_role("option")
    labels = [options.nth(i).inner_text() for i in range(options.count())]
    assert labels and not [t for t in labels if t.startswith("10")], labels
    page.keyboard.press("Escape")
    assert_not_blank(screenshot(page, "maps_board_viewer_one_day"))
