"""The "Threshold near-misses" page (AppTest) and its queries (insight/queries/threshold.py) on the
demo warehouse.

The page shows the counts, the work list sorted by window expiry, the complaints behind a
selected person, the met-but-not-applied list, the trend and the map; another as-of date in the
URL gives the live engine's figures. The queries agree with the marts at the build's as-of
date, with `registry.evaluate` at any other date, and never return a person-level row outside
the authorities they are given.

Issue 13 (lists a manager can act on, the second-report duty), each checked against the marts
counted again here: this week's queue (new second reports and newly met people first, then the
open second reports, oldest first); the second-report list's order, the share explained in time
(working days counted with etl.rules.workdays) and which sources send review_explained_date; the
met list newest first; lead agency, agencies and "contact: police"; search by a real incident
reference and by a postcode district; a council manager's lists and CSV files holding the
partners' references of their own authority and none of another's; a rule above the statute
flagged (a small real build with such a settings file).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, run_build, write_inputs
from streamlit.testing.v1 import AppTest
from support import THRESHOLD_LIST_TABS, open_app, open_list

from etl.marts import registry
from etl.rules import authorities, workdays
from etl.rules import settings as rule_settings
from insight import db, glossary, labels, ui
from insight.access import roles as access
from insight.queries import run as qrun
from insight.queries import threshold as qt
from insight.ui import session as ui_access

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/threshold.py"
EREWASH, DERBY, BOLSOVER = "E07000036", "E06000015", "E07000033"
ALL = authorities.CODES
LIVE_DATE = dt.date(2026, 6, 30)
COUNTS = ["near_miss_people", "met_people", "met_without_application_people", "near_miss_clusters",
          "met_clusters"]


@pytest.fixture
def app(demo_warehouse, monkeypatch):
    """app(**query_params): the threshold page signed in as the OPCC analyst (support.open_app)."""
    return lambda **params: open_app(monkeypatch, demo_warehouse, PAGE, **params)


@pytest.fixture(scope="module")
def build_date(con) -> dt.date:
    return db.build_as_of(con)


def _open(app, **params):
    return app(**params)


def _frame(at: AppTest, key: str) -> pd.DataFrame:
    return next(d.value for d in open_list(at, key).dataframe if d.key == key)


def _whole(at: AppTest, *keys: str) -> AppTest:
    """The page again with every row of the lists `keys` shown, as after pressing each one's "Show
    more" until none is left (ui.list_page; the button itself: test__..._a_page_at_a_time)."""
    for key in keys:
        at.session_state[f"{key}_shown"] = qt.LIST_LIMIT
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _engine_counts(con, as_of: dt.date) -> pd.DataFrame:
    """Per authority, the figures the page shows, counted from the live engine's rows."""
    people = registry.evaluate(con, "mart_threshold_status", as_of)
    people["is_met_not_applied"] = people["is_threshold_met"] & ~people["has_application"]
    clusters = registry.evaluate(con, "mart_community_status", as_of)
    victims = people.groupby("authority_code").agg(
        near_miss_people=("is_near_miss", "sum"), met_people=("is_threshold_met", "sum"),
        met_without_application_people=("is_met_not_applied", "sum"))
    places = clusters.groupby("authority_code").agg(
        near_miss_clusters=("is_near_miss", "sum"), met_clusters=("is_threshold_met", "sum"))
    return victims.join(places).reindex(list(ALL)).fillna(0).astype(int)


def _hate_only_near_misses(con) -> int:
    """People one hate complaint short who are not also one short on the victim count (the work
    list holds both; the near-miss count is the victim route's)."""
    return con.execute("select count(*) from mart_threshold_status where is_hate_near_miss "
                       "and not is_near_miss").fetchall()[0][0]


def _per_authority(summary: pd.DataFrame) -> pd.DataFrame:
    rows = summary[summary["authority_code"].notna()].set_index("authority_code")
    return rows[COUNTS].reindex(list(ALL)).fillna(0).astype(int)


ANALYSIS = ["By authority", "Explained in time", "Over time", "Community route", "Rules"]
CHARTS = ("thr_second_trend", "thr_history", "thr_map")
TABLES = {"thr_counts": "hate_near_miss_people", "thr_second_share": "share_in_time", "thr_clusters": "cluster_cell",
          "thr_rules": "victim_rule"}  # the analysis' tables (not widgets, so no key in AppTest): a column each shows


def _tables(at: AppTest) -> list[str]:
    """The tables on the page, in order: a list's key, else the analysis table's name (TABLES)."""
    return [d.key or next(k for k, column in TABLES.items() if column in d.proto.column_order) for d in at.dataframe]


def _table(at: AppTest, name: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if TABLES[name] in d.proto.column_order)


# --- the page ------------------------------------------------------------------------------------

def test__threshold_page__shows_counts_work_list_met_list_trend_and_map(app, con, build_date):
    at = _open(app)
    assert [t.value for t in at.title] == ["Threshold near-misses"]
    assert "from the build's threshold marts" in at.caption[0].value
    expected = _per_authority(qt.summary(con, build_date, ALL)).sum()
    shown = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert shown == {glossary.name(key): expected[key] for key in (  # the tiles, named by the glossary
        "near_miss_people", "met_people", "met_without_application_people", "near_miss_clusters", "met_clusters")}
    assert expected["near_miss_people"] > 0 and expected["near_miss_clusters"] > 0  # the demo plants them
    work = _frame(_whole(at, "thr_worklist", "thr_met"), "thr_worklist")
    assert len(work) == expected["near_miss_people"] + _hate_only_near_misses(con)
    assert work["window_expires_date"].is_monotonic_increasing
    assert (work["days_left"] == (work["window_expires_date"] - pd.Timestamp(build_date)).dt.days).all()
    met = _frame(at, "thr_met")
    assert len(met) == expected["met_without_application_people"]
    counts = _table(at, "thr_counts")  # the first tab: per authority, as the tiles add up
    assert _per_authority(counts).sum().to_dict() == expected.to_dict()
    at.session_state["thr_analysis"] = "Rules"
    at.run()
    rules = _table(at, "thr_rules")
    # the ids in words (labels.rule_name: "Erewash rule from 20 Oct 2014"), never as stored
    assert set(rules["rule_id"]) == set(qt.summary(con, build_date, ALL)["rule_id"].dropna().map(labels.rule_name))
    assert not rules["rule_id"].str.contains("@").any()
    at.session_state["thr_analysis"] = "Over time"
    at.run()
    assert len(at.get("plotly_chart")) == 1 and not at.get("deck_gl_json_chart")  # the trend alone
    assert any("became eligible" in c.value for c in at.caption)


def test__threshold_page__the_lists_first_the_analysis_in_tabs_that_run_when_opened(app, con, build_date):
    """Issue 16, items 3 and 8, and issue 15: the page opens on the lists a manager acts on, in tabs
    (this week's queue open), then the analysis in tabs; of each only the open tab runs and is
    sent (the first, a table per authority), so the page answers with one list, no chart and one
    small table. Each tab, opened (in the page or from the URL), shows what the page showed there
    before, and the other tab set stays as it was."""
    at = _open(app)
    assert [s.value for s in at.subheader] == ["Lists", "Analysis"]
    assert [t.label for t in at.tabs] == [*THRESHOLD_LIST_TABS.values(), *ANALYSIS]
    assert _tables(at) == ["thr_queue", "thr_counts"]
    assert not at.get("plotly_chart") and not at.get("deck_gl_json_chart")
    assert [e.label for e in at.expander] == ["How these figures are defined"]
    assert next(e for e in at.expander).markdown[0].value.startswith("- **Qualifying complaint**")
    for key, label in [*list(THRESHOLD_LIST_TABS.items())[1:], *list(THRESHOLD_LIST_TABS.items())[:1]]:
        at.session_state["thr_list"] = label
        at.run()
        assert not at.exception, label
        assert _tables(at) == [key, "thr_counts"], label
        assert _frame(at, key).equals(_frame(_open(app, thr_list=label), key))   # the same from the URL
    shows = {  # what each tab shows besides the list: its tables and its charts (by key)
        "By authority": (["thr_counts"], []),
        "Explained in time": (["thr_second_share"], ["thr_second_trend"]),
        "Over time": ([], ["thr_history"]),
        "Community route": (["thr_clusters"], ["thr_map"]),
        "Rules": (["thr_rules"], []),
    }
    at.session_state["thr_list"] = "Met, no application"
    for label in [*ANALYSIS[1:], ANALYSIS[0]]:
        at.session_state["thr_analysis"] = label
        at.run()
        assert not at.exception, label
        tables, charts = shows[label]
        assert _tables(at) == ["thr_met", *tables], label
        assert [next((k for k in CHARTS if k in c.proto.id), c.proto.id) for c in at.get("plotly_chart")] == charts
        assert all(not _table(at, name).empty for name in tables), label
    # the community route's list with its download, and a tab opened from the URL
    at = _open(app, thr_analysis="Community route")
    clusters = _table(at, "thr_clusters")
    assert len(clusters) == len(qt.community_clusters(con, build_date, ALL))
    assert [b.proto.label for b in at.get("download_button") if "cluster" in b.proto.label] == [
        f"Download {len(clusters):,} clusters as CSV"]
    assert _tables(at) == ["thr_queue", "thr_clusters"]


def _figure(at: AppTest, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if key in c.proto.id).proto.spec)


def test__threshold_page__cluster_map_is_svg_hexagons_over_the_outlines(app, con, build_date):
    """Issue 16, item 8: the cluster map is drawn by plotly as SVG (a `geo` map, no WebGL): the
    outlines, each cluster's H3 hexagon (near-miss orange, met wine) with a dot that shows when the
    map is small, the names of the community-route authorities, a legend, and on hover the cell's
    clusters in words as the deck.gl map worded them."""
    from insight.charts import threshold as charts_threshold

    at = _open(app, thr_analysis="Community route")
    figure = _figure(at, "thr_map")
    assert {t["type"] for t in figure["data"]} == {"choropleth", "scattergeo"}
    assert figure["layout"]["geo"]["visible"] is False
    clusters = qt.community_clusters(con, build_date, ALL)
    outlines = [t for t in figure["data"] if t["type"] == "choropleth" and t.get("hoverinfo") == "skip"]
    assert sum(len(t["locations"]) for t in outlines) == len(authorities.CODES)
    cells = {}
    for trace in figure["data"]:
        if trace["type"] == "choropleth" and trace.get("hoverinfo") != "skip":
            colour = trace["colorscale"][0][1]
            cells.update({row[0].split("cell ")[-1]: (colour, row[1]) for row in trace["customdata"]})
    assert set(cells) == set(clusters["cluster_cell"])
    for cell, rows in clusters.groupby("cluster_cell"):
        colour, details = cells[cell]
        assert colour == (charts_threshold.MET_COLOUR if rows["is_threshold_met"].any()
                          else charts_threshold.NEAR_MISS_COLOUR)
        for row in rows.itertuples():
            assert f"{row.asb_category}: {row.distinct_reporters} reporters (threshold " in details
    legend = [t["name"] for t in figure["data"] if t.get("showlegend")]
    assert legend == ["Near-miss cluster", "Met the threshold"]
    names = next(t for t in figure["data"] if t["type"] == "scattergeo" and t["mode"] == "text")
    assert set(names["text"]) == set(qt.authority_outlines(con, build_date, ALL).query(
        "community_route")["authority_name"])


def test__threshold_page__selected_row_opens_that_persons_complaints(app):
    at = _open(app)
    for key in ("thr_queue", "thr_worklist", "thr_met", "thr_second"):
        rows = _frame(at, key)   # its tab opened: the one list shown, no selection yet
        assert sum(c.value.startswith("Select a row") for c in at.caption) == 1
        at.session_state[key] = {"selection": {"rows": [1]}}
        at.run()
        assert not at.exception
        person = rows.iloc[1]
        heading = next(m.value for m in at.markdown if m.value.startswith("**Complaints behind"))
        assert person["person_key"] in heading and person["authority_name"] in heading
        complaints = next(d.value for d in at.dataframe if "drops_out_date" in d.value.columns)
        refs = next(c.value for c in at.caption if c.value.startswith("Partners' references:"))
        if key in ("thr_worklist", "thr_met"):
            assert complaints["is_qualifying"].sum() == person["qualifying_complaints"]
            # the row's references are those of its counted complaints, spelled out in text too
            assert {r for _, r, _ in _refs(person["partner_refs"])} <= {r for _, r, _ in _refs(
                refs.removeprefix("Partners' references: ").replace("\\", ""))}
        at.session_state[key] = {"selection": {"rows": []}}
        at.run()


def test__threshold_page__a_long_list_shows_a_page_at_a_time_and_downloads_every_row(app, con, build_date):
    """Issue 16, item 8: a list of thousands of rows sends the browser its first ui.LIST_PAGE rows;
    "Show more" adds as many again, the order kept, a row beyond the first page can be selected, and
    the download button counts every row."""
    at = _open(app)
    full = qt.second_reports(con, build_date, ALL, build_date.replace(year=build_date.year - 1)
                             + dt.timedelta(days=1), build_date)
    assert len(full) > 2 * ui.LIST_PAGE  # the demo's second reports are a long list
    first = _frame(at, "thr_second")
    assert len(first) == ui.LIST_PAGE
    assert list(first["incident_id"]) == list(full["incident_id"].head(ui.LIST_PAGE))
    assert any(c.value.startswith(f"Showing the first {ui.LIST_PAGE:,} of {len(full):,} rows") for c in at.caption)
    # the download's rows counted, never "them all" (a list cut at LIST_LIMIT is not every row)
    assert any(f"the download has all {len(full):,}." in c.value for c in at.caption)
    assert any(b.label == f"Download {len(full):,} rows as CSV" for b in at.get("download_button"))
    more = next(b for b in at.button if b.key == "thr_second_more")
    assert more.label == f"Show {ui.LIST_PAGE:,} more"
    more.click().run()
    assert not at.exception
    second = _frame(at, "thr_second")
    assert list(second["incident_id"]) == list(full["incident_id"].head(2 * ui.LIST_PAGE))
    # a row of the second page opens its person's complaints
    row = ui.LIST_PAGE + 5
    at.session_state["thr_second"] = {"selection": {"rows": [row]}}
    at.run()
    assert not at.exception
    heading = next(m.value for m in at.markdown if m.value.startswith("**Complaints behind"))
    assert second.iloc[row]["person_key"] in heading
    short = _frame(at, "thr_met")  # a list that fits on its page has no button
    assert not [b for b in at.button if b.key == "thr_met_more"] or len(short) == ui.LIST_PAGE


def test__threshold_page__another_as_of_date_shows_the_live_engine(app, con, build_date):
    at = _open(app, as_of=LIVE_DATE.isoformat())
    assert "evaluated live for this date" in at.caption[0].value
    expected = _engine_counts(con, LIVE_DATE).sum()
    shown = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert shown["One complaint short"] == expected["near_miss_people"]
    assert shown["Met, no application"] == expected["met_without_application_people"]
    assert shown["Near-miss clusters"] == expected["near_miss_clusters"]
    built = _per_authority(qt.summary(con, build_date, ALL)).sum()
    assert shown["One complaint short"] != built["near_miss_people"]
    live = registry.evaluate(con, "mart_threshold_status", LIVE_DATE)
    work = _frame(_whole(at, "thr_worklist"), "thr_worklist")
    assert set(work["person_key"]) == set(live.loc[live["is_near_miss"], "person_key"])
    assert (work["days_left"] == (work["window_expires_date"] - pd.Timestamp(LIVE_DATE)).dt.days).all()


def test__threshold_page__one_authority_without_the_community_route(app, con, build_date):
    at = _open(app, authority="Erewash", thr_analysis="Community route")
    assert set(_frame(at, "thr_worklist")["authority_name"]) == {"Erewash"}
    assert any("None of the selected authorities uses the community route" in i.value for i in at.info)
    assert not [c for c in at.get("plotly_chart") if "thr_map" in c.proto.id]
    # the cluster tiles say the route is not used, not "–" (which means a figure hidden)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Near-miss clusters"] == tiles["Clusters at threshold"] == "not used", tiles


# --- the queries ---------------------------------------------------------------------------------

def test__summary__equals_the_marts_at_the_build_date(con, build_date):
    got = _per_authority(qt.summary(con, build_date, ALL))
    marts = con.execute("""
        with people as (
            select authority_code, count(*) filter (where is_near_miss) as near_miss_people,
                   count(*) filter (where is_threshold_met) as met_people,
                   count(*) filter (where is_threshold_met and not has_application)
                       as met_without_application_people
            from mart_threshold_status group by all
        ),
        places as (
            select authority_code, count(*) filter (where is_near_miss) as near_miss_clusters,
                   count(*) filter (where is_threshold_met) as met_clusters
            from mart_community_status group by all
        )
        select * from people left join places using (authority_code)
    """).df().set_index("authority_code")[COUNTS].reindex(list(ALL)).fillna(0).astype(int)
    pd.testing.assert_frame_equal(got, marts, check_names=False)


@pytest.mark.parametrize("as_of", [LIVE_DATE, dt.date(2025, 3, 31), dt.date(2026, 10, 30)])
def test__summary__equals_the_live_engine_on_other_dates(con, as_of):
    pd.testing.assert_frame_equal(_per_authority(qt.summary(con, as_of, ALL)), _engine_counts(con, as_of),
                                  check_names=False)


@pytest.mark.parametrize("code, as_of, victim_rule, community_rule", [
    (DERBY, dt.date(2025, 3, 31), "3 qualifying complaints in 6 months, reported within 1 month", "not used"),
    (DERBY, dt.date(2025, 4, 1), "3 qualifying complaints in 6 months, reported within 1 month; hate: 1 in "
     "6 months", "not used"),
    (BOLSOVER, dt.date(2025, 4, 1), "3 qualifying complaints in 6 months, reported within 1 month",
     "5 distinct reporters of related ASB in 6 months (same H3 cell at resolution 9, same category); "
     "near-miss at 3-4"),
])
def test__summary__names_the_rule_in_force(con, code, as_of, victim_rule, community_rule):
    row = qt.summary(con, as_of, (code,)).iloc[0]
    effective = "2025-04-01" if code == DERBY and as_of >= dt.date(2025, 4, 1) else "2014-10-20"
    assert (row["rule_id"], row["victim_rule"], row["community_rule"]) == (
        f"{code}@{effective}", victim_rule, community_rule)


def test__summary__before_any_rule_only_a_zero_total(con):
    """Before the Community Trigger (20 Oct 2014) no rule is in force: no authority rows."""
    frame = qt.summary(con, dt.date(2014, 1, 1), ALL)
    assert list(frame["authority_name"]) == ["All selected"]
    assert frame.iloc[0][["near_miss_people", "met_people", "community_route"]].tolist() == [0, 0, False]


def test__source__another_date_is_evaluated_once_per_connection_and_kept_bounded(demo_warehouse, build_date):
    """A page's several queries of one live mart pay for it once: the first evaluation is kept in
    the connection's in-memory database (shared by its cursors), equal to registry.evaluate; a mart
    with other parameters, or registered with keep=False (the second reports: each query's filters
    reach int_second_reports), stays a subquery; at most LIVE_TABLES evaluations are kept."""
    con = db.connect(demo_warehouse)

    def cursor():   # as ui.load runs a query: a cursor of the shared connection, in the warehouse
        c = con.cursor()
        c.execute("use wh")
        return c

    try:
        assert qrun.source(con, build_date, "mart_community_status") == "mart_community_status"
        name = qrun.source(cursor(), LIVE_DATE, "mart_community_status")
        assert name.startswith("memory.main.live_")
        assert qrun.source(cursor(), LIVE_DATE, "mart_community_status") == name
        kept = "select count(*) from duckdb_tables() where database_name = 'memory'"
        assert con.execute(kept).fetchone()[0] == 1
        stored = con.execute(f"select * from {name} order by all").df()
        live = registry.evaluate(con, "mart_community_status", LIVE_DATE)
        assert len(live) > 0
        pd.testing.assert_frame_equal(stored, live.sort_values(list(live.columns), ignore_index=True),
                                      check_dtype=False)
        assert qrun.source(con, build_date, "mart_second_reports") == "mart_second_reports"
        inline = qrun.source(cursor(), LIVE_DATE, "mart_second_reports")
        assert inline.startswith("(")
        second = con.execute(f"select * from {inline} order by all", {"as_of": LIVE_DATE}).df()
        live = registry.evaluate(con, "mart_second_reports", LIVE_DATE)
        assert len(live) > 0
        pd.testing.assert_frame_equal(second, live.sort_values(list(live.columns), ignore_index=True),
                                      check_dtype=False)
        assert con.execute(kept).fetchone()[0] == 1   # nothing kept for the second reports
        assert qrun.source(con, LIVE_DATE, "mart_review_open_stages").startswith("(")
        for n in range(qrun.LIVE_TABLES + 3):
            qrun.source(con, LIVE_DATE - dt.timedelta(days=n + 1), "mart_threshold_status")
        assert con.execute(kept).fetchone()[0] <= qrun.LIVE_TABLES
    finally:
        con.close()


def test__source__a_mart_that_reads_another_reads_its_kept_evaluation(demo_warehouse):
    """Appeals, open stages, exceptions and returns all read mart_review_turnaround: at another
    date it is evaluated once and kept, each of them reads that table, and each equals its own
    full evaluation (registry.evaluate)."""
    con = db.connect(demo_warehouse)
    try:
        appeals = qrun.source(con, LIVE_DATE, "mart_appeals")
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables() "
                                            "where database_name = 'memory'").fetchall()}
        assert tables == {f"live_{LIVE_DATE:%Y%m%d}_mart_review_turnaround", f"live_{LIVE_DATE:%Y%m%d}_mart_appeals"}
        stages = qrun.source(con, LIVE_DATE, "mart_review_open_stages")
        assert f"live_{LIVE_DATE:%Y%m%d}_mart_review_turnaround" in stages
        for relation, mart, params in ((appeals, "mart_appeals", {}),
                                       (stages, "mart_review_open_stages", {"at_risk_days": 5})):
            kept = con.execute(f"select * from {relation} order by all", {"as_of": LIVE_DATE, **params}
                               if relation.startswith("(") else None).df()
            live = registry.evaluate(con, mart, LIVE_DATE, **params)
            assert len(live) > 0, mart
            pd.testing.assert_frame_equal(kept, live.sort_values(list(live.columns), ignore_index=True),
                                          check_dtype=False)
    finally:
        con.close()


def test__source__two_sessions_asking_the_same_date_at_once_share_one_evaluation(demo_warehouse):
    """Two users open the page for the same other date at the same moment: each cursor gets the
    one kept table, neither fails on the other's creation."""
    from concurrent.futures import ThreadPoolExecutor

    con = db.connect(demo_warehouse)

    def ask(_):
        c = con.cursor()
        c.execute("use wh")
        try:
            return qrun.source(c, dt.date(2026, 5, 31), "mart_threshold_status")
        finally:
            c.close()

    try:
        with ThreadPoolExecutor(4) as pool:
            names = set(pool.map(ask, range(4)))
        assert len(names) == 1
        assert con.execute(f"select count(*) from {names.pop()}").fetchone()[0] > 0
    finally:
        con.close()


def test__near_miss_work_list__soonest_expiry_first_with_days_left(con, build_date):
    work = qt.near_miss_work_list(con, build_date, ALL)
    mart = con.execute("""select person_key, authority_code from mart_threshold_status
                          where is_near_miss or is_hate_near_miss""").df()
    assert sorted(zip(work["person_key"], work["authority_code"], strict=True)) == sorted(
        zip(mart["person_key"], mart["authority_code"], strict=True))
    assert work["window_expires_date"].is_monotonic_increasing
    assert (work["days_left"] >= 0).all()
    victims = work["route"].str.contains("victim")
    assert (work.loc[victims, "qualifying_complaints"] == work.loc[victims, "victim_threshold"] - 1).all()
    assert len(qt.near_miss_work_list(con, build_date, ALL, limit=5)) == 5


def test__met_without_application__met_and_never_applied(con, build_date):
    met = qt.met_without_application(con, build_date, ALL)
    mart = con.execute("""select person_key, authority_code from mart_threshold_status
                          where is_threshold_met and not has_application""").df()
    assert len(met) == len(mart) > 0
    assert met["met_since_date"].notna().all() and (met["first_met_date"] <= met["met_since_date"]).all()
    assert met["met_since_date"].is_monotonic_decreasing  # the most recently met first


@pytest.mark.parametrize("name", ["near_miss_work_list", "met_without_application", "week_queue",
                                  "second_reports"])
def test__person_level_queries__only_the_authorities_given(con, build_date, name):
    query = getattr(qt, name)
    assert set(query(con, build_date, (EREWASH,))["authority_code"]) == {EREWASH}
    assert query(con, build_date, ()).empty


def test__person_complaints__the_qualifying_ones_add_up_to_the_mart(con, build_date):
    work = qt.near_miss_work_list(con, build_date, ALL).head(15)
    met = qt.met_without_application(con, build_date, ALL).head(15)
    for person in pd.concat([work, met]).itertuples():
        complaints = qt.person_complaints(con, build_date, ALL, person.authority_code, person.person_key)
        assert complaints["is_qualifying"].sum() == person.qualifying_complaints
        assert complaints["reported_date"].min() <= pd.Timestamp(person.oldest_complaint_date)
        assert (complaints["drops_out_date"] > pd.Timestamp(build_date)).all()
        # "counts until" (the page's column) is the last day, as the lists' "window expires" is:
        # one date for one day, on both (the UX audit: "expires 31 Oct" beside "stops counting on 1 Nov")
        assert (complaints["counts_until"] == complaints["drops_out_date"] - pd.Timedelta(days=1)).all()
    for person in work.itertuples():
        if person.qualifying_hate_complaints:   # the hate rule's own window may be the one that expires
            continue
        complaints = qt.person_complaints(con, build_date, ALL, person.authority_code, person.person_key)
        counted = complaints[complaints["is_qualifying"] & (complaints["drops_out_date"] > pd.Timestamp(build_date))]
        assert counted["counts_until"].min() == pd.Timestamp(person.window_expires_date), person
    elsewhere = work[work["authority_code"] != DERBY].iloc[0]
    assert qt.person_complaints(con, build_date, (DERBY,), elsewhere.authority_code,
                                elsewhere.person_key).empty  # not a viewer's authority: no rows


def test__history__the_mart_summed_up_to_the_as_of_date(con, build_date):
    got = qt.history(con, LIVE_DATE, (EREWASH, DERBY))
    assert got["month_end"].max() == pd.Timestamp(LIVE_DATE)
    mart = con.execute("""select sum(near_miss_people), sum(met_people), sum(newly_met_people)
                          from mart_threshold_history
                          where authority_code in (?, ?) and month_end = ?""",
                       [EREWASH, DERBY, LIVE_DATE]).fetchall()[0]
    assert tuple(got.iloc[-1][["near_miss_people", "met_people", "newly_met_people"]]) == mart
    last = qt.history(con, build_date, ALL).iloc[-1]
    built = _per_authority(qt.summary(con, build_date, ALL)).sum()
    assert (last["near_miss_people"], last["met_people"]) == (built["near_miss_people"], built["met_people"])


def test__community_clusters__near_or_met_where_the_route_applies(con, build_date):
    clusters = qt.community_clusters(con, build_date, ALL)
    assert (clusters["is_near_miss"] | clusters["is_threshold_met"]).all()
    routes = con.execute("select authority_code from settings_rules where community_route").df()
    assert set(clusters["authority_code"]) <= set(routes["authority_code"])
    assert (clusters["distinct_reporters"] >= clusters["community_threshold"] - 2).all()
    assert qt.community_clusters(con, build_date, (EREWASH,)).empty


def test__person_level_codes__every_selected_authority_for_an_opcc_analyst():
    """ui.person_level_codes narrows the selection by role (tests/unit/test_access.py has every role)."""
    opcc = access.Viewer("opcc.analyst", access.OPCC_ANALYST)
    assert access.person_level_codes(opcc, (EREWASH, DERBY)) == (EREWASH, DERBY)


def test__load__refuses_a_function_that_is_not_a_named_query():
    with pytest.raises(ValueError, match="not a named query"):
        ui.load(registry.evaluate, "mart_threshold_status", dt.date(2025, 1, 1))


# --- issue 13: lists a manager can act on, the second-report duty --------------------------------

WEEK = 7  # the queue's "this week": the 7 days to the as-of date
REF_TOKEN = re.compile(r"([A-Za-z0-9_. -]+?): ([^;()]+?)(?: \(case ([^)]+)\))?(?:; |$)")


def _refs(text) -> list[tuple[str, str, str | None]]:
    """(source, incident_ref, case_ref) of every reference in a partner_refs cell (the source as the
    cell names it: its slug in a query's frame, its name on the page, labels.source_name)."""
    return [(s, r, c or None) for s, r, c in REF_TOKEN.findall(text or "")]


def _dates(values) -> list:
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]


def _mart(con, table: str) -> pd.DataFrame:
    return con.execute(f"select s.*, a.authority_name from {table} s join authorities a using (authority_code)").df()


def test__threshold_page__this_week_queue_new_first_then_open_second_reports_oldest_first(app, con, build_date):
    queue = _frame(_whole(_open(app), "thr_queue"), "thr_queue")
    since = pd.Timestamp(build_date) - pd.Timedelta(days=WEEK)
    events, status = _mart(con, "mart_second_reports"), _mart(con, "mart_threshold_status")
    new_events = events[events["second_report_date"] > since]
    newly_met = status[status["is_threshold_met"] & (status["met_since_date"] > since)]
    open_events = events[~events["is_explained"] & (events["second_report_date"] <= since)
                         & (events["second_report_date"] > pd.Timestamp(build_date) - pd.DateOffset(months=6))]
    assert len(new_events) and len(newly_met) and len(open_events)  # the demo has each kind
    second, met = "second report: explain the case review", "met the threshold: case review due"
    expected = sorted([(r.authority_name, True, r.second_report_date, second, r.person_key)
                       for r in new_events.itertuples()]
                      + [(r.authority_name, True, r.met_since_date, met, r.person_key) for r in newly_met.itertuples()]
                      + [(r.authority_name, False, r.second_report_date, second, r.person_key)
                         for r in open_events.itertuples()])
    shown = list(zip(queue["authority_name"], queue["is_new"], queue["happened_date"], queue["what"],
                     queue["person_key"], strict=True))
    assert sorted(shown) == expected
    # per authority: this week's first, then the open second reports, each oldest first
    assert queue["authority_name"].is_monotonic_increasing
    for _, rows in queue.groupby("authority_name", sort=False):
        assert rows["is_new"].tolist() == sorted(rows["is_new"], reverse=True)
        for _, part in rows.groupby("is_new"):
            assert part["happened_date"].is_monotonic_increasing
    reports = queue[queue["what"] == second].merge(events, on=["person_key", "authority_code", "incident_id"])
    assert len(reports) == len(new_events) + len(open_events)
    assert (reports["lead_agency_x"] == reports["lead_agency_y"]).all()
    assert _dates(reports["review_explained_date_x"]) == _dates(reports["review_explained_date_y"])
    assert (reports["is_overdue_x"] == reports["is_overdue_y"]).all()
    assert queue["partner_refs"].notna().all()


def test__threshold_page__second_reports_list_share_in_time_and_trend(app, con, build_date):
    at = _open(app, thr_analysis="Explained in time")
    start = build_date.replace(year=build_date.year - 1) + dt.timedelta(days=1)  # the default period
    events = _mart(con, "mart_second_reports")
    events = events[events["second_report_date"].between(pd.Timestamp(start), pd.Timestamp(build_date))]
    shown = _frame(_whole(at, "thr_second"), "thr_second")
    assert sorted(zip(shown["person_key"], shown["incident_id"], strict=True)) == sorted(
        zip(events["person_key"], events["incident_id"], strict=True))
    # unexplained first, the oldest of them first; then the explained, newest first
    explained = shown["is_explained"].tolist()
    assert explained == sorted(explained) and 0 < sum(explained) < len(explained)
    assert shown.loc[~shown["is_explained"], "second_report_date"].is_monotonic_increasing
    assert shown.loc[shown["is_explained"], "second_report_date"].is_monotonic_decreasing
    assert shown["partner_refs"].notna().all()
    # the share explained in time, counted again here: events whose limit has passed on the as-of
    # date (more than sla_explain_days working days since the second report), explained in time
    passed = events[[workdays.working_days(d.date(), build_date) > s
                     for d, s in zip(events["second_report_date"], events["sla_explain_days"], strict=True)]]
    share = next(d.value for d in at.dataframe if "share_in_time" in d.value.columns).set_index("authority_name")
    for name, rows in passed.groupby("authority_name"):
        in_time = int(rows["is_explained_in_time"].fillna(False).sum())
        assert (share.at[name, "limit_passed"], share.at[name, "explained_in_time"]) == (len(rows), in_time)
        assert share.at[name, "share_in_time"] == pytest.approx(in_time / len(rows))
    total = share.loc["All selected"]
    assert total["limit_passed"] == len(passed) and total["events"] == len(events)
    trend = [c for c in at.get("plotly_chart") if "explained in time" in c.proto.spec]
    assert len(trend) == 1
    # which partners send review_explained_date, worked out from the data (an incident only they reported)
    senders = sorted(r for (r,) in con.execute("""select distinct source from incidents
        where review_explained_date is not null and coalesce(sources, source) = source""").fetchall())
    note = next(c.value for c in at.caption if "review_explained_date" in c.value)
    sends = note.split("Sources that send it:")[1].split(".")[0]
    assert senders and {s.strip() for s in sends.split(",")} == {labels.source_name(s) for s in senders}
    assert labels.source_name("derbyshire_police") not in sends


def test__threshold_page__met_list_newest_first_near_misses_show_agencies_and_police_contact(app, con):
    at = _open(app)
    met = _frame(at, "thr_met")
    assert met["met_since_date"].is_monotonic_decreasing
    work = _frame(at, "thr_worklist")
    status = con.execute("select person_key, authority_code, lead_agency, agencies from mart_threshold_status").df()
    merged = work.merge(status, on=["person_key", "authority_code"], suffixes=("", "_mart"))
    assert len(merged) == len(work)
    assert (merged["lead_agency"] == merged["lead_agency_mart"]).all()
    assert (merged["agencies"] == merged["agencies_mart"]).all()
    police = work["agencies"] == "police"
    assert police.any() and (~police).any()
    assert (work.loc[police, "contact"] == "contact: " + work.loc[police, "lead_agency"]).all()
    assert work.loc[~police, "contact"].isna().all()
    assert work["partner_refs"].notna().all() and set(work["route"]) <= {"victim", "hate", "victim, hate"}


def _counted(con, as_of: dt.date, authority_code: str, person_key: str) -> pd.DataFrame:
    """A person's complaints that count on `as_of`, with every partner report behind each."""
    return con.execute("""
        select c.incident_id, i.postcode_district, i.case_ref, r.source, r.report_id
        from int_complaints c join incidents i using (incident_id) join incident_reports r using (incident_id)
        where c.person_key = ? and c.authority_code = ? and c.is_qualifying
          and c.reported_date <= ? and c.drops_out_date > ?""",
                       [person_key, authority_code, as_of, as_of]).df()


def test__threshold_page__search_by_a_partner_reference_and_by_a_postcode_district(app, con, build_date):
    at = _open(app)
    work = _frame(at, "thr_worklist")
    person = work.iloc[len(work) // 2]
    counted = _counted(con, build_date, person["authority_code"], person["person_key"])
    ref = counted["report_id"].iloc[-1].split(":", 1)[1]
    at.text_input(key="thr_search").input(f"  {ref.lower()} ").run()
    assert not at.exception
    found = _frame(at, "thr_worklist")
    assert person["person_key"] in set(found["person_key"])
    assert all(any(ref.lower() in f"{r} {c or ''}".lower() for _, r, c in _refs(t))
               for t in found["partner_refs"])
    # a postcode district (the outward code a partner sent), matched whole and without regard to case
    districts = con.execute("""select s.person_key, s.authority_code, i.postcode_district
        from mart_threshold_status s join int_complaints c using (person_key, authority_code)
        join incidents i using (incident_id)
        where s.is_near_miss and i.postcode_district is not null and c.is_qualifying
          and c.reported_date <= ? and c.drops_out_date > ?""", [build_date, build_date]).df()
    district = districts["postcode_district"].mode().iloc[0]
    at.text_input(key="thr_search").input(district.lower()).run()
    found = _frame(at, "thr_worklist")
    expected = set(districts.loc[districts["postcode_district"] == district, "person_key"])
    assert set(found["person_key"]) == expected
    assert all(district in t.split(", ") for t in found["postcode_districts"])
    at.text_input(key="thr_search").input("no-such-reference-xyz").run()
    assert _frame(at, "thr_worklist").empty and _frame(at, "thr_second").empty


def _shown_id(report_id: str) -> str:
    """A report's id ('erewash_council:EBC-1') as the page's references name it ('Erewash council:EBC-1')."""
    source, ref = report_id.split(":", 1)
    return f"{labels.source_name(source)}:{ref}"


def _person_frames(at: AppTest) -> dict[str, pd.DataFrame]:
    """Every list of people, each tab opened in turn."""
    frames = {}
    for key in THRESHOLD_LIST_TABS:
        frames |= {d.key: d.value for d in open_list(at, key).dataframe if "partner_refs" in d.value.columns}
    return frames


def test__threshold_page__council_manager_sees_own_references_never_another_authority_s(
        monkeypatch, demo_warehouse, con):
    exported: dict[str, bytes] = {}
    original = ui_access.export_data

    def capture(frame, file_name, to_bytes):
        served = original(frame, file_name, to_bytes)
        exported[file_name] = served() if callable(served) else served
        return served

    monkeypatch.setattr(ui_access, "export_data", capture)
    at = open_app(monkeypatch, demo_warehouse, PAGE, user="erewash")
    frames = _person_frames(at)
    assert {"thr_queue", "thr_worklist", "thr_met", "thr_second"} <= set(frames)
    owner = {_shown_id(report_id): code for report_id, code in con.execute(
        """select r.report_id, i.authority_code from incident_reports r join incidents i using (incident_id)""")
        .fetchall()}
    cases = {c: a for c, a in con.execute("select case_ref, authority_code from incidents "
                                          "where case_ref is not null").fetchall()}
    shown = [tok for f in frames.values() for t in f["partner_refs"] for tok in _refs(t)]
    assert shown, "no reference shown"
    assert {owner[f"{s}:{r}"] for s, r, _ in shown} == {EREWASH}
    assert {cases[c] for _, _, c in shown if c} <= {EREWASH}
    for frame in frames.values():
        assert set(frame["authority_code"]) <= {EREWASH}
    # the files as downloaded: the same references, none of another authority
    files = {name: pd.read_csv(io.BytesIO(data), encoding="utf-8-sig") for name, data in exported.items()}
    listed = [f for f in files.values() if "partner_refs" in f.columns]
    assert len(listed) >= 4
    downloaded = [tok for f in listed for t in f["partner_refs"].dropna() for tok in _refs(t)]
    assert downloaded and {owner[f"{s}:{r}"] for s, r, _ in downloaded} == {EREWASH}
    assert all(set(f["authority_code"]) <= {EREWASH} for f in listed)
    others = {r.split(":", 1)[1] for r, a in owner.items() if a != EREWASH}
    others |= {c for c, a in cases.items() if a != EREWASH}
    for data in exported.values():
        words = set(re.findall(r"[A-Za-z0-9/_-]+", data.decode("utf-8-sig")))
        assert not words & others


@pytest.fixture(scope="module")
def departing_warehouse(tmp_path_factory) -> Path:
    """A small real build whose settings set Erewash's victim threshold to 4 from 2025-01-01 (above
    the statute's three): Erewash person A has three complaints, one short under that rule."""
    root = tmp_path_factory.mktemp("statute")
    settings = root / "rules.toml"
    settings.write_text(rule_settings.DEFAULT_PATH.read_text(encoding="utf-8")
                        + '\n[[rule]]\nauthority = "Erewash"\neffective_from = "2025-01-01"\nvictim_threshold = 4\n',
                        encoding="utf-8")
    rows = [",".join(INCIDENT_COLUMNS)]
    for n, day in enumerate(("2025-04-02", "2025-05-06", "2025-06-10"), start=1):
        rows.append(f"EBC-{n},council,,{day},{day},personal,noise,,,,,NG10 1AA,Market Place,ECN-A,individual,N")
    inputs = write_inputs(root / "inputs", f'[build]\nsettings = "{settings}"\n' + EREWASH_TOML,
                          {"erewash/asb.csv": "\n".join(rows) + "\n"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", "test-key-0123456789abcdef")
        _, small = run_build(inputs, root / "warehouse.duckdb", dt.date(2025, 6, 30))
    small.close()
    return root / "warehouse.duckdb"


def test__threshold_page__a_rule_that_departs_from_the_statute_is_flagged(monkeypatch, departing_warehouse):
    at = open_app(monkeypatch, departing_warehouse, PAGE, authority=EREWASH, thr_analysis="Rules")
    rule = labels.rule_name(f"{EREWASH}@2025-01-01")
    assert rule == "Erewash rule from 1 Jan 2025"
    warning = next(w.value for w in at.warning if "s.104" in w.value)
    assert rule in warning and "victim_threshold = 4 (statute: at most 3)" in warning
    rules = next(d.value for d in at.dataframe if "victim_rule" in d.value.columns)
    row = rules[rules["rule_id"] == rule].iloc[0]
    assert row["rule"].startswith("⚠️") and row["statute_note"] == "victim_threshold = 4 (statute: at most 3)"
    assert row["related_by"] == "any"
    work = _frame(at, "thr_worklist")
    assert len(work) == 1 and work.iloc[0]["qualifying_complaints"] == 3
    assert work.iloc[0]["rule"].startswith("⚠️") and "statute" in work.iloc[0]["statute_note"]
    assert _refs(work.iloc[0]["partner_refs"]) == [("Erewash council", f"EBC-{n}", None) for n in (1, 2, 3)]



def test__threshold_page__the_lists_filters_survive_a_visit_to_another_page(app):
    """A manager who narrowed the lists (a search, a route, days left, a sort, an authority), looked
    at another page and came back found every filter reset (the UX audit of 7 December 2026): they
    are kept for the session now, as the sidebar's choices are."""
    at = app()
    at.text_input(key="thr_search").input("DE7").run()
    at.multiselect(key="thr_routes").set_value(["victim"]).run()
    at.number_input(key="thr_days_left").set_value(14).run()
    at.selectbox(key="thr_sort").set_value("days left, fewest first").run()
    at.multiselect(key="thr_authorities").set_value([EREWASH]).run()
    assert not at.exception
    at.switch_page("app_pages/data_quality.py").run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key="thr_search").value == "DE7"
    assert at.multiselect(key="thr_routes").value == ["victim"]
    assert at.number_input(key="thr_days_left").value == 14
    assert at.selectbox(key="thr_sort").value == "days left, fewest first"
    assert at.multiselect(key="thr_authorities").value == [EREWASH]
