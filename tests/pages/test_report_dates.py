"""The board pack's dates on the demo warehouse: a month that has not ended on the warehouse's as-of
date is refused (by the command, with exit 2, and by the page, which does not offer it), and the
cover's "pack made" date and `asb returns freeze`'s published date are the date in England, not
the server's own.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from zoneinfo import ZoneInfo

import duckdb
import pytest
from support import open_app

from insight import cli
from insight.board_pack import content as report_content
from insight.board_pack import data as report_data
from insight.board_pack import pack as report

LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def mid_month(demo_warehouse, tmp_path_factory):
    """A copy of the demo warehouse whose build is as of the 20th of its last month."""
    copy = tmp_path_factory.mktemp("mid") / "w.duckdb"
    shutil.copy(demo_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        as_of = con.execute("select max(as_of_date) from etl_builds").fetchall()[0][0]
        con.execute("update etl_builds set as_of_date = ?", [as_of.replace(day=20)])
    return copy, as_of.replace(day=20)


def test__cli__a_month_not_ended_on_the_as_of_date_is_refused(mid_month, tmp_path, capsys):
    warehouse, as_of = mid_month
    out = tmp_path / "x.pptx"
    code = cli.main(["report", "--month", f"{as_of:%Y-%m}", "--out", str(out), "--warehouse", str(warehouse)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{as_of:%B %Y} has not ended on the warehouse's as-of date ({as_of:%-d %b %Y})" in err
    assert err.startswith("asb: error:") and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test__gather__refuses_a_month_not_ended(mid_month):
    warehouse, as_of = mid_month
    with duckdb.connect(str(warehouse), read_only=True) as con, pytest.raises(report_data.PackDataError,
                                                                                match="has not ended"):
        report_data.gather(con, report_data.Month(as_of.replace(day=1)), ("E07000036",))


def test__page__offers_only_whole_months(mid_month):
    warehouse, as_of = mid_month
    mp = pytest.MonkeyPatch()
    try:
        at = open_app(mp, warehouse, "app_pages/board_pack.py", timeout=300, authority="E07000036")
        month = at.selectbox(key="bp_month")
        previous = report_data.Month(as_of.replace(day=1)).shift(-1)
        assert month.value.label == previous.label
        assert month.options[0] == previous.label
        assert f"{as_of:%B %Y}" not in month.options
    finally:
        mp.undo()


@pytest.fixture
def server_zone_not_london(monkeypatch):
    """The process's TZ set to a zone whose date differs from London's right now (UTC+14 or UTC-12:
    at every instant one of them is on another day than England)."""
    london = dt.datetime.now(LONDON).date()
    for zone in ("Etc/GMT-14", "Etc/GMT+12"):
        if dt.datetime.now(ZoneInfo(zone)).date() != london:
            monkeypatch.setenv("TZ", zone)
            time.tzset()
            break
    assert dt.date.today() != london
    yield london
    monkeypatch.undo()
    time.tzset()


def test__cover__pack_made_is_the_date_in_england(demo_warehouse, server_zone_not_london, monkeypatch):
    london = server_zone_not_london
    monkeypatch.setattr(report, "SLIDES", (report_content.slide_cover,))
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        as_of = con.execute("select max(as_of_date) from etl_builds").fetchall()[0][0]
        deck = report.build_deck(con, report_data.default_month(as_of), ("E07000036",), 5)
    said = " ".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame)
    assert f"pack made {london:%-d %B %Y}." in said, said


def test__returns_freeze__published_date_is_the_date_in_england(demo_warehouse, server_zone_not_london, tmp_path,
                                                                capsys):
    london = server_zone_not_london
    out = tmp_path / "returns.csv"
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        year = con.execute("select max(financial_year) from mart_statutory_returns where is_complete_year").fetchone()[0]
    code = cli.main(["returns", "freeze", "--warehouse", str(demo_warehouse), "--year", year, "--out", str(out),
                     "--authority", "Erewash", "--published-by", "OPCC"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert f"published {london.isoformat()} by OPCC" in printed.out
    assert f",{london.isoformat()},OPCC," in out.read_text(encoding="utf-8")
