"""Page tests with Streamlit's AppTest on the demo warehouse, plus the pieces the pages rely on.

Every page renders without an exception and shows its sections; the shared sidebar restores
its choices from the URL, keeps them across pages and writes them back to the URL; a missing
warehouse explains how to make one; a rebuilt warehouse file is picked up; downloads defuse
spreadsheet formulas; the headline figures agree with the warehouse.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from support import in_fresh_process, open_app

from etl.rules import authorities, periods
from insight import db, ui
from insight.queries import overview, quality

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard.py"
OVERVIEW, DATA_QUALITY = "app_pages/overview.py", "app_pages/data_quality.py"
EREWASH, BOLSOVER = "E07000036", "E07000033"


@pytest.fixture
def app(demo_warehouse, monkeypatch):
    """app(page, **query_params): the dashboard signed in as the OPCC analyst (support.open_app)."""
    return functools.partial(open_app, monkeypatch, demo_warehouse)


def _open(app, page: str | None = None, **params):
    return app(page, **params)


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def test__pages_folder__absent():
    """A pages/ folder next to dashboard.py would switch Streamlit to its old folder-based
    navigation, which runs a page without the frame (no sidebar); pages live in app_pages/."""
    assert not (ROOT / "pages").exists()


@pytest.mark.parametrize("page, title", [(None, "Overview"), (OVERVIEW, "Overview"),
                                         (DATA_QUALITY, "Data quality")])
def test__page__renders_with_sidebar_and_footer(app, page, title):
    at = _open(app, page)
    assert _texts(at.title) == [title]
    assert [w.key for w in at.sidebar.date_input] == ["flt_start", "flt_end", "flt_as_of"]
    assert ui.ATTRIBUTION in _texts(at.caption)


def test__overview__shows_tiles_table_trend_and_map(app):
    at = _open(app, OVERVIEW)
    assert [m.label for m in at.metric] == [
        overview.MEASURES[i].label for i in (0, 3, 1, 4, 2, 5)]  # listed column by column
    assert all(m.delta and m.delta != "–" for m in at.metric)
    assert _texts(at.subheader) == ["By authority", "Incidents per month", "Incidents per km²"]
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 9
    assert len(at.get("plotly_chart")) == 2  # the trend and the map
    assert not at.get("deck_gl_json_chart")


def _figure(at, key: str) -> dict:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id)
    return json.loads(chart.proto.spec)


def test__overview__map_is_an_svg_choropleth_with_each_authority_s_figures(app, con):
    """Issue 16, item 8: the map of the nine authorities is drawn by plotly as SVG (a `geo`
    choropleth, no WebGL, no tiles), so this CPU-only browser draws it at once; it keeps what the
    deck.gl map showed: each authority's name, incidents, incidents per km² and area on hover,
    the names on the map, the colour scale and the outlines."""
    at = _open(app, OVERVIEW)
    figure = _figure(at, "ov_map")
    types = {t["type"] for t in figure["data"]}
    assert types == {"choropleth", "scattergeo"}, types  # not choroplethmap/scattermap (MapLibre, WebGL)
    assert figure["layout"]["geo"]["visible"] is False  # no land, coasts or countries: offline
    filters = at.session_state["flt_filters"]
    density = overview.incident_density(con, filters.authority_codes, filters.start_date, filters.end_date)
    hover = {row[0]: row[1:] for t in figure["data"] if t["type"] == "choropleth" for row in t["customdata"]}
    assert set(hover) == set(authorities.NAME_BY_CODE.values())
    for row in density.itertuples():
        assert hover[row.authority_name] == [f"{row.incidents:,}", f"{row.incidents_per_km2:,.1f}",
                                             f"{row.area_km2:,.0f}"]
    template = next(t["hovertemplate"] for t in figure["data"] if t["type"] == "choropleth")
    assert "incidents" in template and "per km²" in template and "area" in template
    scaled = [t for t in figure["data"] if t["type"] == "choropleth" and t.get("showscale", True)]
    assert len(scaled) == 1 and "per km²" in scaled[0]["colorbar"]["title"]["text"]
    names = next(t for t in figure["data"] if t["type"] == "scattergeo")
    assert sorted(names["text"]) == sorted(authorities.NAME_BY_CODE.values())
    assert all(t["marker"]["line"]["width"] > 0 for t in figure["data"] if t["type"] == "choropleth")
    chart = next(c for c in at.get("plotly_chart") if "ov_map" in c.proto.id)
    assert "incidents per km²" in chart.proto.alt  # the map's accessible name
    assert json.loads(chart.proto.config)["topojsonURL"].startswith("data:")  # plotly fetches no world map


def test__overview__table_fits_a_laptop_screen_figures_or_changes(app):
    """Issue 16, item 11: the authority table showed 13 columns (each measure and its change), so
    the appeals sat off-screen at 1366 px. It shows one column per measure, the figures or (one
    click) the changes, so every measure, appeals included, is on screen."""
    at = _open(app, OVERVIEW)
    shown = list(at.dataframe[0].proto.column_order)
    assert shown == ["authority_name", *[m.column for m in overview.MEASURES]]
    at.get("button_group")[0].set_value("changes").run()
    changes = list(at.dataframe[0].proto.column_order)
    assert changes == ["authority_name", *[f"{m.column}_change" for m in overview.MEASURES]]
    assert len(changes) <= 7 and changes[-1] == "appeals_change"


def test__data_quality__shows_every_section(app):
    at = _open(app, DATA_QUALITY)
    assert _texts(at.subheader)[:3] == ["Builds", "Rows per file", "Rejects by reason"]
    assert _texts(at.subheader)[-2:] == ["Freshness", "Rows loaded per month"]
    assert not at.error, _texts(at.error)  # every file adds up in the demo build
    assert any("add up" in s for s in _texts(at.success))


def test__data_quality__rejects_browser_filters(app):
    at = _open(app, DATA_QUALITY)
    if not at.multiselect(key="dq_reason").options:
        pytest.skip("the demo build rejected no rows")
    reason = at.multiselect(key="dq_reason").options[0]
    at.multiselect(key="dq_reason").set_value([reason]).run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "source_row" in d.value.columns)
    assert set(shown["reason_code"]) == {reason}


def test__sidebar__restores_choices_from_url(app):
    at = _open(app, authority=EREWASH, start="2025-01-01", end="2025-03-31", as_of="2025-04-30")
    assert at.multiselect(key="flt_authority").value == [EREWASH]
    assert at.date_input(key="flt_start").value == dt.date(2025, 1, 1)
    assert at.date_input(key="flt_end").value == dt.date(2025, 3, 31)
    assert at.date_input(key="flt_as_of").value == dt.date(2025, 4, 30)
    assert at.session_state["flt_filters"] == ui.Filters(
        (EREWASH,), dt.date(2025, 1, 1), dt.date(2025, 3, 31), dt.date(2025, 4, 30))
    assert "1 Jan 2025 – 31 Mar 2025" in at.caption[0].value


def test__sidebar__keeps_choices_across_pages_and_in_url(app):
    at = _open(app, authority=[EREWASH, BOLSOVER], start="2025-01-01", end="2025-06-30")
    at.switch_page(DATA_QUALITY).run()
    assert not at.exception
    assert at.multiselect(key="flt_authority").value == [BOLSOVER, EREWASH]
    assert at.query_params["authority"] == [BOLSOVER, EREWASH]
    assert (at.query_params["start"], at.query_params["end"]) == ("2025-01-01", "2025-06-30")
    at.switch_page(OVERVIEW).run()
    assert at.date_input(key="flt_start").value == dt.date(2025, 1, 1)


def test__sidebar__writes_changes_to_url(app):
    at = _open(app)
    assert at.query_params["authority"] == "all"  # all nine, named: a link opens them for anyone
    assert "as_of" not in at.query_params  # the build's as-of date: implied
    at.multiselect(key="flt_authority").set_value([EREWASH])
    at.date_input(key="flt_start").set_value(dt.date(2024, 10, 1))
    at.run()
    assert at.query_params["authority"] == EREWASH
    assert at.query_params["start"] == "2024-10-01"


@pytest.mark.parametrize("params, codes", [
    ({"authority": "Erewash"}, [EREWASH]),
    ({"authority": f"{EREWASH},{BOLSOVER}"}, [BOLSOVER, EREWASH]),
    ({"authority": "Nottingham"}, []),
    ({"start": "2025-13-45", "end": "yesterday"}, []),
])
def test__sidebar__reads_names_lists_and_ignores_junk(app, params, codes):
    at = _open(app, **params)
    assert at.multiselect(key="flt_authority").value == codes
    filters = at.session_state["flt_filters"]
    assert filters.authority_codes == (tuple(codes) or authorities.CODES)
    assert filters.start_date <= filters.end_date


def test__sidebar__swaps_reversed_dates(app):
    at = _open(app, start="2025-06-30", end="2025-01-01")
    assert at.sidebar.warning
    filters = at.session_state["flt_filters"]
    assert (filters.start_date, filters.end_date) == (dt.date(2025, 1, 1), dt.date(2025, 6, 30))


def test__dashboard__missing_warehouse_says_how_to_build(monkeypatch, tmp_path):
    at = open_app(monkeypatch, tmp_path / "nowhere.duckdb", timeout=60)
    assert "asb demo" in at.error[0].value and "asb build" in at.error[0].value


def _tiny_warehouse(path: Path, as_of: str) -> None:
    con = duckdb.connect(str(path))
    con.execute("create table etl_builds as select 'x' as load_id, now() as built_at, "
                f"date '{as_of}' as as_of_date")
    con.close()


def test__dashboard__old_warehouse_says_to_rebuild(monkeypatch, tmp_path):
    _tiny_warehouse(tmp_path / "old.duckdb", "2025-01-31")  # holds etl_builds only
    at = open_app(monkeypatch, tmp_path / "old.duckdb", timeout=60)
    assert "Rebuild it" in at.error[0].value


def test__load__picks_up_a_replaced_warehouse_file(monkeypatch, tmp_path):
    """Builds replace the file with os.replace; the next query must read the new build."""
    live = tmp_path / "warehouse.duckdb"
    _tiny_warehouse(live, "2025-01-31")
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(live))
    old = db.connect(live)  # a connection still open on the old file, as a session would hold
    assert ui.build_as_of() == dt.date(2025, 1, 31)
    _tiny_warehouse(tmp_path / "next.duckdb", "2025-02-28")
    os.replace(tmp_path / "next.duckdb", live)
    assert ui.build_as_of() == dt.date(2025, 2, 28)
    assert old.execute("select as_of_date from etl_builds").fetchall() == [(dt.date(2025, 1, 31),)]
    old.close()


@pytest.mark.parametrize("cell, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"\"http://x\"\")"),
    ("+44 1332", "'+44 1332"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("High St", "High St"), ("", ""),
])
def test__safe_csv__defuses_formulas(cell, written):
    csv = ui.safe_csv(pd.DataFrame({"text": [cell], "number": [-5]})).decode("utf-8-sig")
    assert csv.splitlines()[1] == (f'"{written}",-5' if '"' in written else f"{written},-5")


@pytest.mark.parametrize("cell, written", [
    ("-1.283591", "-1.283591"), ("+44", "+44"), ("-5e-3", "-5e-3"),      # a number as sent: no formula
    ("-1.2+cmd|' /C calc'!A0", "'-1.2+cmd|' /C calc'!A0"), ("-", "'-"), ("+", "'+"),
])
def test__safe_csv__a_number_as_text_is_left_a_number(cell, written):
    """A longitude "as sent" (text) read "'-1.283591" in a spreadsheet (the downloads audit of 6
    December 2026): a cell that is a number and nothing else runs no formula."""
    csv = ui.safe_csv(pd.DataFrame({"text": [cell]})).decode("utf-8-sig")
    assert csv.splitlines()[1] == written


def test__safe_csv__counts_whole_decimals_short_and_times_a_spreadsheet_reads():
    """Counts with a hidden cell (NaN) came out as 88.0, a Z as 16 decimals and the audit log's time
    as 2026-12-06 08:52:06.152163+00:00, which a spreadsheet keeps as text."""
    frame = pd.DataFrame({"incidents": [88.0, float("nan")], "change_z": [1.2345678912345, -0.5],
                          "lat": [52.9225101234, 53.1], "share": [0.857, None],
                          "at_utc": pd.to_datetime(["2026-12-06 08:52:06.152163+00:00",
                                                    "2026-06-01 23:30:00+00:00"], format="ISO8601")})
    lines = ui.safe_csv(frame).decode("utf-8-sig").splitlines()
    assert lines[0] == "incidents,change_z,lat,share,at_utc"
    assert lines[1] == "88,1.234568,52.92251,0.857,2026-12-06 08:52:06"
    assert lines[2] == ",-0.5,53.1,,2026-06-01 23:30:00"


@pytest.mark.parametrize("start, end, previous", [
    ("2025-01-01", "2025-12-31", ("2024-01-01", "2024-12-31")),
    ("2025-03-01", "2025-03-31", ("2025-02-01", "2025-02-28")),
    ("2025-01-01", "2025-02-28", ("2024-11-01", "2024-12-31")),
    ("2025-01-10", "2025-01-19", ("2024-12-31", "2025-01-09")),
    ("2025-06-30", "2025-06-30", ("2025-06-29", "2025-06-29")),
])
def test__previous_period__same_months_or_days_just_before(start, end, previous):
    got = periods.previous_period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert got == tuple(dt.date.fromisoformat(d) for d in previous)


@pytest.mark.parametrize("as_of, period", [
    ("2025-06-30", ("2024-07-01", "2025-06-30")), ("2024-02-29", ("2023-03-01", "2024-02-29")),
])
def test__default_period__twelve_months_to_as_of(as_of, period):
    assert periods.default_period(dt.date.fromisoformat(as_of)) == tuple(
        dt.date.fromisoformat(d) for d in period)


def test__headline__totals_agree_with_the_warehouse(con):
    as_of = pd.Timestamp(quality.latest_build(con)["as_of_date"].iloc[0]).date()
    start, end = periods.default_period(as_of)
    frame = overview.headline(con, authorities.CODES, start, end)
    total = frame[frame["authority_code"].isna()].iloc[0]
    per_authority = frame[frame["authority_code"].notna()]
    assert len(per_authority) == 9
    for column in ("incidents", "applications", "threshold_met", "appeals"):
        assert total[column] == per_authority[column].sum()
    counted = con.execute("select count(*) from incidents where reported_date between ? and ?",
                          [start, end]).fetchall()[0][0]
    assert total["incidents"] == counted > 0
    assert total["incidents_change"] == total["incidents"] - total["incidents_previous"]


def test__monthly_incidents__zero_fills_months(con):
    frame = overview.monthly_incidents(con, (EREWASH,), dt.date(1999, 11, 15), dt.date(2000, 2, 10))
    assert list(frame["incidents"]) == [0, 0, 0, 0]
    assert list(frame["month"].dt.month) == [11, 12, 1, 2]
    assert not frame["has_data"].any()   # years before the data: no data, not a quiet month


@pytest.mark.parametrize("code", [EREWASH, BOLSOVER])
def test__monthly_incidents__months_outside_an_authoritys_data_are_marked(con, code):
    """A month before an authority's first incident or after its last is no data, not a month of
    no ASB: `has_data` is false there and true for every month between (a quiet month within the
    data is a real 0). Worked out here from the incidents, per authority."""
    first, last = con.execute("select min(reported_date), max(reported_date) from incidents "
                              "where authority_code = ?", [code]).fetchall()[0]
    start, end = first - dt.timedelta(days=75), last + dt.timedelta(days=70)
    frame = overview.monthly_incidents(con, (code,), start, end)
    month = frame["month"].dt.date
    inside = (month >= first.replace(day=1)) & (month <= last.replace(day=1))
    assert (~inside).sum() >= 4 and inside.sum() >= 2
    assert list(frame["has_data"]) == list(inside)
    assert (frame.loc[~inside, "incidents"] == 0).all()


def test__file_accounting__every_file_adds_up(con):
    files = quality.file_accounting(con)
    assert len(files) and files["is_balanced"].all()


def test__copy_of_warehouse__opens_read_only(demo_warehouse, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(demo_warehouse, copy)
    connection = db.connect(copy)
    with pytest.raises(duckdb.Error):
        connection.execute("create table wh.scratch (x int)")
    connection.close()


def test__charts__built_once_per_data_and_shared_across_reruns_and_viewers(app, monkeypatch):
    """A page's plotly figures are built once per builder and data and kept for every rerun and
    every viewer with the same data (ui.figure): a rerun of Data quality builds none again (they were
    0.2 s of its 0.35 s), draws the same specs, and a session with other data (another period on the
    Overview) gets a figure of its own data, never the kept one."""
    from insight.charts import base as charts

    calls = []

    def counted(real):
        @functools.wraps(real)   # the same name: ui.figure keeps figures by it
        def builder(*args, **kwargs):
            calls.append(real.__name__)
            return real(*args, **kwargs)
        return builder

    for name in ("rejects_chart", "source_month_heatmap", "trend_chart"):
        monkeypatch.setattr(charts, name, counted(getattr(charts, name)))
    ui.figure.clear()
    at = _open(app, DATA_QUALITY)   # signed in on the Overview, then Data quality
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    assert sorted(calls) == ["rejects_chart", "source_month_heatmap", "trend_chart"] and len(specs) == 2
    at.run()
    assert not at.exception and len(calls) == 3   # the rerun built nothing
    assert [c.proto.spec for c in at.get("plotly_chart")] == specs
    other = _open(app, DATA_QUALITY, user="opcc")   # another session, the same data
    assert len(calls) == 3 and [c.proto.spec for c in other.get("plotly_chart")] == specs

    calls.clear()
    whole = _open(app, OVERVIEW)
    short = _open(app, OVERVIEW, start="2026-09-01", end="2026-09-30")
    assert calls == ["trend_chart"]   # the whole default period's was kept
    def trend(at):
        return json.loads(next(c.proto.spec for c in at.get("plotly_chart") if "ov_trend" in c.proto.id))
    assert trend(whole) != trend(short)
    months = {x[:7] for trace in trend(short)["data"] for x in trace["x"]}
    assert months == {"2026-09"}


def _total_chart(frame):
    """A chart of one bar, the frame's total (for the test below)."""
    import plotly.graph_objects as go
    return go.Figure(go.Bar(x=["total"], y=[int(frame["n"].sum())]))


def test__charts__a_large_frame_is_told_apart_by_every_row():
    """Streamlit's own hashing looks at a sample of 10,000 rows of a frame of 50,000 or more, so two
    viewers' frames that differ outside the sample (another role's suppressed cells) would share one
    figure: ui.figure keys figures by a hash of every row."""
    import numpy as np
    ui.figure.clear()
    base = pd.DataFrame({"n": np.ones(60_000, dtype="int64")})
    assert ui.figure(_total_chart, base).data[0].y == (60_000,)
    for row in (7, 12_345, 33_333, 45_678, 59_999):
        changed = base.copy()
        changed.loc[row, "n"] = 5
        assert ui.figure(_total_chart, changed).data[0].y == (60_004,), row
        assert ui.figure(_total_chart, changed.rename(columns={"n": "m"}).rename(columns={"m": "n"})).data[0].y == (60_004,)
    assert ui.figure(_total_chart, frame=base).data[0].y == (60_000,)


@pytest.mark.parametrize("page, kind, key, value", [
    (OVERVIEW, "segmented_control", "ov_table_show", "changes"),
    ("app_pages/turnaround.py", "selectbox", "rt_stage", "review"),
    ("app_pages/turnaround.py", "slider", "rt_margin", 9),
    ("app_pages/maps.py", "toggle", "mp_changed", True),
    (DATA_QUALITY, "text_input", "dq_text", "bad_date"),
])
def test__page_choices__survive_a_visit_to_another_page(app, page, kind, key, value):
    """A choice on a page (the table's view, the stage, a list narrowed to the changed places) was
    back to its default after a look at another page (the UX audit of 7 December 2026)."""
    at = _open(app, page)
    if key == "rt_stage":   # in a tab that runs when opened
        at.session_state["rt_analysis"] = "One stage in detail"
        at.run()
    getattr(at, kind)(key=key).set_value(value).run()
    at.switch_page(OVERVIEW if page == DATA_QUALITY else DATA_QUALITY).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert getattr(at, kind)(key=key).value == value


@pytest.mark.parametrize("user", ["opcc", "board", "erewash"])
def test__overview__the_by_authority_table_downloads_as_csv(app, user):
    """The Overview's table per authority had no CSV button (the UX audit of 7 December 2026): it
    has one now, of every measure with its previous period and change, as each role sees them (a
    board viewer's hidden counts empty, never the figure)."""
    at = _open(app, OVERVIEW, user=user)
    buttons = [b for b in at.get("download_button") if b.proto.id.endswith("ov_table_dl")]
    rows = 2 if user == "erewash" else 10   # a manager starts on their own authority; all selected besides
    assert len(buttons) == 1 and f"{rows} rows" in buttons[0].proto.label


def test__measure_export__every_measure_with_its_previous_and_change(con):
    as_of = pd.Timestamp(quality.latest_build(con)["as_of_date"].iloc[0]).date()
    start, end = periods.default_period(as_of)
    frame = overview.headline(con, authorities.CODES, start, end)
    frame.loc[0, "incidents"] = None   # a figure the disclosure rule hid
    out = ui.measure_export(frame)
    assert list(out.columns[:4]) == ["authority", "incidents", "incidents_previous", "incidents_change"]
    assert len(out) == 10 and out["authority"].iloc[-1] == "All selected"
    assert pd.isna(out.loc[out["authority"] == frame.loc[0, "authority_name"], "incidents"]).all()
    assert {f"{m.column}{s}" for m in overview.MEASURES for s in ("", "_previous", "_change")} <= set(out.columns)


def test__process__exits_cleanly_while_the_warm_up_thread_runs(demo_warehouse):
    """A process that signs in and ends at once (a server stopped just after its start, a test run)
    aborted at exit ("terminate called ... FATAL: exception not rethrown", exit status 134): the
    warm-up thread was inside a DuckDB query when Python's finalisation stopped it. The warm-up now
    stops between queries at exit and is waited for (`session.stop_warm_up`)."""
    code = """
import os, sys
from pathlib import Path
from support import open_app

class Env:
    def setenv(self, name, value):
        os.environ[name] = value

at = open_app(Env(), Path(sys.argv[1]), "app_pages/overview.py")
print("opened", len(at.get("plotly_chart")))
"""
    for _ in range(2):   # the abort did not happen every time
        assert "opened" in in_fresh_process(code, demo_warehouse)
