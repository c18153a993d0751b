"""The "Threshold near-misses" page (AppTest) and its queries (insight/queries/threshold.py) on the
demo warehouse.

The page shows the counts, the work list sorted by window expiry, the complaints behind a
selected person, the met-but-not-applied list, the trend and the map; another as-of date in the
URL gives the live engine's figures. The queries agree with the marts at the build's as-of
date, with `registry.evaluate` at any other date, and never return a person-level row outside
the authorities they are given.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from support import open_app

from etl.marts import registry
from etl.rules import authorities
from insight import db, ui
from insight.access import roles as access
from insight.queries import threshold as qt

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
    return next(d.value for d in at.dataframe if d.key == key)


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


def _per_authority(summary: pd.DataFrame) -> pd.DataFrame:
    rows = summary[summary["authority_code"].notna()].set_index("authority_code")
    return rows[COUNTS].reindex(list(ALL)).fillna(0).astype(int)


# --- the page ------------------------------------------------------------------------------------

def test__threshold_page__shows_counts_work_list_met_list_trend_and_map(app, con, build_date):
    at = _open(app)
    assert [t.value for t in at.title] == ["Threshold near-misses"]
    assert "from the build's threshold marts" in at.caption[0].value
    expected = _per_authority(qt.summary(con, build_date, ALL)).sum()
    shown = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert shown == {"Near-miss people": expected["near_miss_people"], "Met people": expected["met_people"],
                     "Met, no application": expected["met_without_application_people"],
                     "Near-miss clusters": expected["near_miss_clusters"],
                     "Met clusters": expected["met_clusters"]}
    assert expected["near_miss_people"] > 0 and expected["near_miss_clusters"] > 0  # the demo plants them
    work = _frame(at, "thr_worklist")
    assert len(work) == expected["near_miss_people"]
    assert work["window_expires_date"].is_monotonic_increasing
    assert (work["days_left"] == (work["window_expires_date"] - pd.Timestamp(build_date)).dt.days).all()
    met = _frame(at, "thr_met")
    assert len(met) == expected["met_without_application_people"]
    assert [s.value for s in at.subheader] == [
        "At and near the threshold, by authority", "Work list: one complaint short",
        "Met the threshold, no application", "Near-miss and met people over time",
        "Community route: clusters near and at the threshold"]
    rules = next(d.value for d in at.dataframe if "victim_rule" in d.value.columns)
    assert set(rules["rule_id"]) == set(qt.summary(con, build_date, ALL)["rule_id"].dropna())
    assert len(at.get("plotly_chart")) == 1 and len(at.get("deck_gl_json_chart")) == 1
    assert any("became eligible" in c.value for c in at.caption)


def test__threshold_page__selected_row_opens_that_persons_complaints(app):
    at = _open(app)
    for key in ("thr_worklist", "thr_met"):
        assert sum(c.value.startswith("Select a row") for c in at.caption) == 2
        rows = _frame(at, key)
        at.session_state[key] = {"selection": {"rows": [1]}}
        at.run()
        assert not at.exception
        person = rows.iloc[1]
        heading = next(m.value for m in at.markdown if m.value.startswith("**Complaints behind"))
        assert person["person_key"] in heading and person["authority_name"] in heading
        complaints = next(d.value for d in at.dataframe if "drops_out_date" in d.value.columns)
        assert complaints["is_qualifying"].sum() == person["qualifying_complaints"]
        at.session_state[key] = {"selection": {"rows": []}}
        at.run()


def test__threshold_page__another_as_of_date_shows_the_live_engine(app, con, build_date):
    at = _open(app, as_of=LIVE_DATE.isoformat())
    assert "evaluated live for this date" in at.caption[0].value
    expected = _engine_counts(con, LIVE_DATE).sum()
    shown = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    assert shown["Near-miss people"] == expected["near_miss_people"]
    assert shown["Met, no application"] == expected["met_without_application_people"]
    assert shown["Near-miss clusters"] == expected["near_miss_clusters"]
    built = _per_authority(qt.summary(con, build_date, ALL)).sum()
    assert shown["Near-miss people"] != built["near_miss_people"]
    live = registry.evaluate(con, "mart_threshold_status", LIVE_DATE)
    work = _frame(at, "thr_worklist")
    assert set(work["person_key"]) == set(live.loc[live["is_near_miss"], "person_key"])
    assert (work["days_left"] == (work["window_expires_date"] - pd.Timestamp(LIVE_DATE)).dt.days).all()


def test__threshold_page__one_authority_without_the_community_route(app, con, build_date):
    at = _open(app, authority="Erewash")
    assert set(_frame(at, "thr_worklist")["authority_name"]) == {"Erewash"}
    assert any("None of the selected authorities uses the community route" in i.value for i in at.info)
    assert not at.get("deck_gl_json_chart")


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
    (DERBY, dt.date(2025, 4, 1), "3 qualifying complaints in 6 months, reported within 1 month; hate: 1",
     "not used"),
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


def test__near_miss_work_list__soonest_expiry_first_with_days_left(con, build_date):
    work = qt.near_miss_work_list(con, build_date, ALL)
    mart = con.execute("select person_key, authority_code from mart_threshold_status where is_near_miss").df()
    assert sorted(zip(work["person_key"], work["authority_code"], strict=True)) == sorted(
        zip(mart["person_key"], mart["authority_code"], strict=True))
    assert work["window_expires_date"].is_monotonic_increasing
    assert (work["days_left"] > 0).all()
    assert (work["qualifying_complaints"] == work["victim_threshold"] - 1).all()
    assert len(qt.near_miss_work_list(con, build_date, ALL, limit=5)) == 5


def test__met_without_application__met_and_never_applied(con, build_date):
    met = qt.met_without_application(con, build_date, ALL)
    mart = con.execute("""select person_key, authority_code from mart_threshold_status
                          where is_threshold_met and not has_application""").df()
    assert len(met) == len(mart) > 0
    assert met["met_since_date"].notna().all() and (met["first_met_date"] <= met["met_since_date"]).all()
    assert met["met_since_date"].is_monotonic_increasing


@pytest.mark.parametrize("query", [qt.near_miss_work_list, qt.met_without_application])
def test__person_level_queries__only_the_authorities_given(con, build_date, query):
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
