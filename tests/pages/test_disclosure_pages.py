"""Issue 14, findings 1 and 2, on the pages (AppTest, signed in through the real form, on the demo
warehouse): what a viewer sees of authorities whose person-level rows their role may not see.

Finding 1: the maps page's busiest places, the repeat-location table and its CSV took plain
authority codes, so a board viewer with `?authority=E06000015&start=...&end=...` (one day) and
hexagons of size 10 read single incidents with their place, type and date, and an Erewash
manager read Derby's; and nothing was logged. Finding 2: with a one-day period the appeals and
turnaround pages showed one appeal's or one case's figures (min = median = max).

The rule (insight/access/disclosure.py, applied by ui.load from insight/access/roles.py QUERIES):
no count of 1..k-1 people or incidents, no row about fewer than k, no statistic over fewer than
k cases, no single case's value, no place description without k reporters, a period of at least
MIN_PERIOD_DAYS and hexagons of RESTRICTED_RESOLUTION only, for every row outside the
viewer's person-level rights.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import sqlite3

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support import open_app, users_file

from etl.rules import authorities
from insight import db, ui
from insight.access import auth, disclosure
from insight.access import roles as access

MAPS, APPEALS, TURNAROUND, DQ = (f"app_pages/{p}.py" for p in ("maps", "appeals", "turnaround", "data_quality"))
EREWASH, DERBY = "E07000036", "E06000015"
K = disclosure.suppress_below()
REPEAT_COUNTS = ["incidents_30d", "incidents_90d", "incidents_180d", "incidents_365d", "distinct_reporters"]


def _frame(at: AppTest, column: str, key: str | None = None) -> pd.DataFrame | None:
    for d in at.dataframe:
        if (key is not None and d.key == key) or (key is None and column in d.value.columns):
            return d.value
    return None


def _small(values) -> list:
    """The values that describe 1..k-1 people or incidents (a list, or plotly's typed array)."""
    if isinstance(values, dict) and "bdata" in values:
        values = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return [v for v in pd.Series(values, dtype="float64").dropna() if 0 < v < K]


def _one_day(con, sql: str) -> dt.date:
    """The latest date on which `sql` (date, count) finds exactly one case."""
    rows = con.execute(sql).fetchall()
    assert rows, sql
    return rows[0][0]


def _plotly(at: AppTest, key: str) -> dict:
    """The chart's plotly spec; a chart with nothing to draw (every figure hidden) is a sentence in
    its place (`ui.plotly_chart`), read as a chart of no trace."""
    chart = next((c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id), None)
    if chart is None:
        assert any(ui.NOTHING_TO_DRAW in c.value for c in at.caption), f"no chart {key} and no sentence for it"
        return {"data": []}
    return json.loads(chart.proto.spec)


def _sizes(at: AppTest) -> list[str]:
    """The hexagon sizes the maps page offers ("8 – rural (...)" -> "8")."""
    return [option.split()[0] for option in at.selectbox(key="mp_res").options]


# --- finding 1: the maps page ------------------------------------------------------------------------

def test__maps__a_board_viewer_on_one_day_gets_no_single_incident(monkeypatch, demo_warehouse, con):
    day = db.build_as_of(con) - dt.timedelta(days=28)
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="board", authority=DERBY, start=day.isoformat(),
                  end=day.isoformat())
    assert _sizes(at) == ["9"]  # one size: no street-level hexagons, none of size 8 to subtract
    assert any("whole months" in i.value for i in at.sidebar.info)  # the period was widened to its month
    box = at.selectbox(key="mp_area_h3_9")
    box.select_index(0).run()
    assert not at.exception, [e.value for e in at.exception]
    top = _frame(at, "main_location")
    assert top is not None
    assert (top["incidents"] >= K).all(), top
    assert top["first_report"].isna().all() and top["last_report"].isna().all()
    assert top.loc[~(top["reporters"] >= K), "main_location"].isna().all()
    assert top.loc[~(top["reporters"] >= K), "main_asb_type"].isna().all()
    assert "Incident rows are not available" in " ".join(c.value for c in at.caption)


def _load_hexagons_at_10():
    import datetime as dt

    import streamlit as st

    from insight import ui
    from insight.queries import maps as qm

    day = dt.date(2026, 10, 1)
    cells = ui.load(qm.hex_counts, ("E06000015",), day, day + dt.timedelta(days=60), 10)
    st.write(f"cells {len(cells)}")


@pytest.mark.parametrize("user, shown", [("board", False), ("derby", True)])
def test__maps__ui_load_refuses_street_hexagons_outside_the_role(monkeypatch, demo_warehouse, user, shown):
    """The server refuses resolution 10 for an authority whose incident rows the viewer may not see,
    whatever a page asks (a page cannot forget the rule)."""
    monkeypatch.setenv(db.WAREHOUSE_ENV, str(demo_warehouse))
    monkeypatch.setenv(auth.USERS_ENV, str(users_file()))
    at = AppTest.from_function(_load_hexagons_at_10, default_timeout=120)
    at.session_state["auth_token"] = auth.issue_token(auth.DEMO_USERS[user][0])
    at.run()
    assert not at.exception
    assert any(m.value.startswith("cells ") for m in at.markdown) == shown
    assert any("resolution 9" in i.value for i in at.info) == (not shown)


def test__maps__another_council_s_repeat_locations_hold_no_small_count_place_or_date(
        monkeypatch, demo_warehouse, audit_file):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="erewash", authority=DERBY)
    repeats = _frame(at, "incidents_365d")
    assert len(repeats) > 0 and set(repeats["authority_name"]) == {"Derby"}
    for column in REPEAT_COUNTS:
        assert _small(repeats[column]) == [], column
    assert (repeats["incidents_365d"] >= K).all()
    assert repeats["first_report"].isna().all() and repeats["last_report"].isna().all()
    assert repeats.loc[~(repeats["distinct_reporters"] >= K), "main_location"].isna().all()
    # their own authority's places stay as they are
    own = open_app(monkeypatch, demo_warehouse, MAPS, user="erewash", authority=EREWASH)
    assert _frame(own, "incidents_365d")["first_report"].notna().all()


def test__maps__opening_another_council_s_area_is_logged(monkeypatch, demo_warehouse, audit_file):
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="erewash", authority=DERBY)
    at.selectbox(key="mp_area_h3_9").select_index(0).run()
    assert not at.exception
    log = pd.read_sql_query("select * from audit_log order by seq", sqlite3.connect(audit_file))
    views = log[log["action"] == "view"]
    assert {"area_trend", "area_top_locations"} <= set(views["what"])
    assert set(views["user_id"]) == {"erewash.manager"} and DERBY in views["filters"].iloc[0]


# --- finding 2: appeals and turnaround ---------------------------------------------------------------

def test__appeals__one_day_with_one_appeal_shows_a_board_viewer_no_single_case(monkeypatch, demo_warehouse, con):
    day = _one_day(con, "select received_date, count(*) from mart_appeals group by 1 having count(*) = 1 "
                        "order by 1 desc")
    at = open_app(monkeypatch, demo_warehouse, APPEALS, user="board", start=day.isoformat(), end=day.isoformat())
    summary = _frame(at, "median_decision_working_days")
    for column in ("appeals", "upheld", "partially_upheld", "not_upheld", "withdrawn", "pending", "overdue"):
        assert _small(summary[column]) == [], (column, summary)
    few = ~(summary["decided"] >= K)
    assert summary.loc[few, ["median_decision_working_days", "share_within_sla", "upheld_rate"]].isna().all().all()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Appeals received"] not in [str(n) for n in range(1, K)]
    for trace in _plotly(at, "ap_times")["data"]:
        cases = int(re.search(r"\(([\d,]+)\)", trace["name"]).group(1).replace(",", ""))
        assert cases >= K and trace["lowerfence"] == trace["q1"] and trace["upperfence"] == trace["q3"]
    by_decision = _frame(at, "application_decision")
    assert _small(by_decision["appeals"]) == [] and _small(by_decision["upheld"]) == []


def test__turnaround__one_day_with_one_decision_shows_a_board_viewer_no_single_case(
        monkeypatch, demo_warehouse, con):
    day = _one_day(con, "select decision_date, count(*) from mart_review_turnaround where decision_date is not "
                        "null group by 1 having count(*) = 1 order by 1 desc")
    at = open_app(monkeypatch, demo_warehouse, TURNAROUND, user="board", start=day.isoformat(),
                  end=day.isoformat())
    at.session_state["rt_analysis"] = "Working days per stage"  # each analysis runs in its own tab
    at.run()
    medians = _frame(at, "Authority")
    counts = [int(n) for cell in medians.drop(columns="Authority").stack() if isinstance(cell, str)
              for n in re.findall(r"\((\d+)\)", cell)]
    assert counts and _small(counts) == []
    at.session_state["rt_analysis"] = "One stage in detail"
    at.run()
    for stage in ("decision", "acknowledge"):
        at.selectbox(key="rt_stage").set_value(stage).run()
        for trace in _plotly(at, "rt_distribution")["data"]:
            cases = int(re.search(r"\(([\d,]+)\)", trace["name"]).group(1).replace(",", ""))
            assert cases >= K and trace["lowerfence"] == trace["q1"] and trace["upperfence"] == trace["q3"]
    at.session_state["rt_analysis"] = "Open cases by age"
    at.run()
    for trace in _plotly(at, "rt_backlog")["data"]:
        assert _small(trace["x"]) == []


def test__council_manager__own_authority_alone_keeps_short_periods_and_street_hexagons(monkeypatch, demo_warehouse,
                                                                                      con):
    day = db.build_as_of(con) - dt.timedelta(days=28)
    at = open_app(monkeypatch, demo_warehouse, MAPS, user="erewash", authority=EREWASH, start=day.isoformat(),
                  end=day.isoformat())
    assert _sizes(at) == ["8", "9", "10"] and not at.sidebar.info


# --- the SVG maps of the Overview and the Threshold page (issue 16, item 8) ----------------------------

def _k_between(tmp_path, monkeypatch, counts) -> int:
    """A disclosure k (a settings file, $ASB_REPORT_SETTINGS) that hides the smaller half of `counts`."""
    k = sorted(counts)[len(counts) // 2] + 1
    settings = tmp_path / "report.toml"
    settings.write_text(f"[report]\nsuppress_below = {k}\n", encoding="utf-8")
    monkeypatch.setenv(disclosure.SETTINGS_ENV, str(settings))
    return k


def test__overview__the_map_hides_a_board_viewer_s_small_counts(monkeypatch, demo_warehouse, con, tmp_path):
    """The SVG map words each authority's incidents on hover as the deck.gl map did: a count the
    rule hides (and its per km², computed from it) reads "–", and is drawn at the foot of the
    scale, never at its real value."""
    end = db.build_as_of(con)   # the demo's, a month's end
    start = (end - dt.timedelta(days=59)).replace(day=1)   # whole months, as the board viewer's sidebar gives
    counts = dict(con.execute("select authority_code, count(*) from incidents where reported_date between ? and ? "
                              "group by 1", [start, end]).fetchall())
    k = _k_between(tmp_path, monkeypatch, list(counts.values()))
    at = open_app(monkeypatch, demo_warehouse, "app_pages/overview.py", user="board", start=start.isoformat(),
                  end=end.isoformat())
    figure = _plotly(at, "ov_map")
    hover, fill = {}, {}
    for trace in figure["data"]:
        if trace["type"] == "choropleth":
            z = _values(trace["z"])
            for row, value in zip(trace["customdata"], z, strict=True):
                hover[row[0]], fill[row[0]] = row[1:3], value
    hidden = [code for code, n in counts.items() if n < k]
    assert hidden and len(hidden) < len(counts)
    for code, n in counts.items():
        name = authorities.NAME_BY_CODE[code]
        if n < k:
            assert hover[name] == ["–", "–"] and fill[name] == 0, (name, hover[name], fill[name])
        else:
            assert hover[name][0] == f"{n:,}"


def test__threshold__the_map_shows_another_council_no_small_cluster_nor_its_dates(monkeypatch, demo_warehouse,
                                                                                 con, tmp_path):
    """The Erewash manager's cluster map: other authorities' clusters under k reporters are not
    drawn, and their single-case dates read "–" on hover (counts until –), as on the deck.gl map."""
    from insight.queries import threshold as qt

    as_of = db.build_as_of(con)
    clusters = qt.community_clusters(con, as_of, authorities.CODES)
    others = clusters[clusters["authority_code"] != EREWASH]
    k = _k_between(tmp_path, monkeypatch, others["distinct_reporters"].tolist())
    at = open_app(monkeypatch, demo_warehouse, "app_pages/threshold.py", user="erewash",
                  authority=list(authorities.CODES), thr_analysis="Community route")
    figure = _plotly(at, "thr_map")
    shown = {}
    for trace in figure["data"]:
        if trace["type"] == "choropleth" and trace.get("hoverinfo") != "skip":
            shown.update({row[0].split("cell ")[-1]: row[1] for row in trace["customdata"]})
    small, large = others[others["distinct_reporters"] < k], others[others["distinct_reporters"] >= k]
    assert not small.empty and not large.empty
    for row in small.itertuples():
        assert f"{row.asb_category}: " not in shown.get(row.cluster_cell, ""), row
    assert set(large["cluster_cell"]) == set(shown)
    for details in shown.values():
        lines = details.split("<br>")
        assert all(line.endswith("counts until – (– days)") for line in lines), details


def _values(values) -> list[float]:
    """A plotly array as floats (a list, or plotly's typed array)."""
    if isinstance(values, dict) and "bdata" in values:
        values = np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return [float(v) for v in values]


# --- raw header text ----------------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["board", "erewash", "opcc"])
def test__data_quality__raw_header_text_for_the_opcc_analyst_only(monkeypatch, demo_warehouse, user):
    at = open_app(monkeypatch, demo_warehouse, DQ, user=user)
    files = _frame(at, "ignored_columns")
    text = " ".join(files["ignored_columns"].dropna())
    assert ("Complainant Name" in text) == (user == "opcc")
    if user != "opcc":
        assert set(files["ignored_columns"].dropna()) <= {access.RAW_TEXT_HIDDEN}


@pytest.mark.parametrize("user", ["board", "erewash", "opcc"])
def test__data_quality__file_names_and_notes_for_the_opcc_analyst_only(monkeypatch, demo_warehouse, user):
    """A partner's file name, and the note on a file (which names its sheets), are text the partner
    typed, as its headers are: "gary thompson.csv", a hidden sheet "Kowalczyk" were shown to a
    board viewer on this page (the personal-data audit of 6 December 2026; the scrub finds only
    the names it can tell from place words). The OPCC analyst alone sees them; the counts stay."""
    at = open_app(monkeypatch, demo_warehouse, DQ, user=user)
    frames = [frame for frame in (_frame(at, "rows_read"), _frame(at, "items")) if frame is not None]
    names = {v for frame in frames for v in frame["source_file"].dropna()}
    assert names and (names == {access.RAW_TEXT_HIDDEN}) == (user != "opcc"), names
    notes = set(frames[0]["file_note"].dropna())
    assert user == "opcc" or notes <= {access.RAW_TEXT_HIDDEN}
    shown = " ".join(m.value for m in [*at.warning, *at.error, *at.success, *at.markdown, *at.caption])
    assert user == "opcc" or ".csv" not in shown and ".xlsx" not in shown
