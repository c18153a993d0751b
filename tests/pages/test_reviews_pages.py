"""The "Review turnaround", "Appeals" and "Partnership" pages (AppTest, signed in as the OPCC analyst)
and their queries (insight/queries/turnaround.py, queries_appeals.py, queries_partnership.py) on the
demo warehouse.

The pages show their sections without an exception; their headline figures equal what pandas
counts from the marts; another as-of date ages open cases live; the queries agree with the marts,
never return application-level rows outside the authorities given, and colour each partnership
cell by the rule they state.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from support import open_app

from etl.marts import registry, reviews
from etl.rules import authorities, periods
from insight import db, ui
from insight.access import disclosure
from insight.queries import appeals as qa
from insight.queries import partnership as qp
from insight.queries import turnaround as qt

TURNAROUND, APPEALS, PARTNERSHIP = "app_pages/turnaround.py", "app_pages/appeals.py", "app_pages/partnership.py"
EREWASH, DERBY = "E07000036", "E06000015"
ALL = authorities.CODES
LIVE_DATE = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def period(con):
    as_of = db.build_as_of(con)
    return (as_of, *periods.default_period(as_of))


def _frame(at, column: str) -> pd.DataFrame:
    """The table on the page that has `column` (AppTest gives tables without selection no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _share(hits: pd.Series) -> str:
    return "–" if hits.empty else f"{hits.mean():.0%}"


# --- the pages ---------------------------------------------------------------------------------------

def test__turnaround_page__figures_equal_the_mart(demo_warehouse, monkeypatch, con, period):
    as_of, start, end = period
    at = open_app(monkeypatch, demo_warehouse, TURNAROUND)
    assert [t.value for t in at.title] == ["Review turnaround"]
    # the list a manager acts on first, the analysis behind it in tabs (issue 16, item 3)
    assert [s.value for s in at.subheader] == ["At risk of breach", "Analysis"]
    assert [t.label for t in at.tabs] == list(TURNAROUND_TABS)
    mart = con.execute("select * from mart_review_turnaround").df()
    decided = mart[mart["decision_date"].between(pd.Timestamp(start), pd.Timestamp(end))]
    shown = _metrics(at)
    assert shown["Decisions in time"] == _share(decided["decision_within_sla"].dropna().astype(bool))
    assert shown["Open cases"] == str(int(mart["is_open"].sum())) and int(mart["is_open"].sum()) > 0
    stages = con.execute("select * from mart_review_open_stages").df()
    assert shown["Overdue stages"] == str(int(stages["is_overdue"].sum()))
    assert shown["Stages at risk"] == str(int(stages["is_at_risk"].sum()))
    risky = _frame(at, "working_days_left")
    assert len(risky) == int(stages["is_overdue"].sum() + stages["is_at_risk"].sum())
    assert risky["working_days_left"].is_monotonic_increasing and "person_key" not in risky
    assert at.get("download_button")
    for label, charts in TURNAROUND_TABS.items():  # only the open tab runs
        at.session_state["rt_analysis"] = label
        at.run()
        assert not at.exception and len(at.get("plotly_chart")) == charts, label


TURNAROUND_TABS = {"Within the limits": 1, "Working days per stage": 0, "One stage in detail": 2,
                   "Open cases by age": 1, "From application to appeal": 1}


def test__turnaround_page__margin_and_stage_choices(demo_warehouse, monkeypatch, con):
    at = open_app(monkeypatch, demo_warehouse, TURNAROUND)
    before = len(_frame(at, "working_days_left"))
    at.slider(key="rt_margin").set_value(10).run()
    at.session_state["rt_analysis"] = "One stage in detail"
    at.run()
    at.selectbox(key="rt_stage").set_value("review").run()
    assert not at.exception, [e.value for e in at.exception]
    wider = _frame(at, "working_days_left")
    assert len(wider) >= before and (wider["working_days_left"] <= 10).all()
    left = con.execute("select count(*) from mart_review_open_stages where working_days_left <= 10").fetchall()
    assert len(wider) == left[0][0]


def test__turnaround_page__another_as_of_date_ages_cases_live(demo_warehouse, monkeypatch, con):
    at = open_app(monkeypatch, demo_warehouse, TURNAROUND, as_of=LIVE_DATE.isoformat())
    assert "evaluated live for this date" in at.caption[0].value
    live = registry.evaluate(con, "mart_review_turnaround", LIVE_DATE)
    assert _metrics(at)["Open cases"] == str(int(live["is_open"].sum()))
    assert live["received_date"].max() <= pd.Timestamp(LIVE_DATE)


def test__appeals_page__figures_equal_the_mart(demo_warehouse, monkeypatch, con, period):
    as_of, start, end = period
    at = open_app(monkeypatch, demo_warehouse, APPEALS, start=(end - dt.timedelta(days=3 * 365)).isoformat())
    assert [t.value for t in at.title] == ["Appeals and PCC reviews"]
    mart = con.execute("select * from mart_appeals where received_date between ? and ?",
                       [end - dt.timedelta(days=3 * 365), end]).df()
    shown = _metrics(at)
    assert shown["Appeals received"] == str(len(mart)) and len(mart) > 10
    decided = mart[mart["is_decided"]]
    assert shown["Upheld rate"] == f"{decided['is_upheld'].mean():.0%}"
    assert shown["Median days per appeal"] == f"{decided['decision_working_days'].median():g}"
    listed = _frame(at, "lodged_working_days")  # the list of appeals (the first table is "Needs action")
    assert set(listed["appeal_ref"]) == set(mart["appeal_ref"])
    assert listed["application_decision"].notna().all() and "person_key" not in listed
    assert len(at.get("plotly_chart")) == 2
    # the demo's appeals name their application's authority and fit its decision: none flagged
    assert "Flagged appeals" in [h.value for h in at.subheader] and not mart["is_flagged"].any()
    assert "No appeal received in the period is flagged." in [m.value for m in at.success]
    assert "flags" in listed.columns


def test__partnership_page__table_returns_and_checks(demo_warehouse, monkeypatch, con):
    at = open_app(monkeypatch, demo_warehouse, PARTNERSHIP, authority=EREWASH)
    assert [s.value for s in at.subheader] == ["The authorities side by side", "Statutory returns",
                                               "Consistency checks"]
    returns = _frame(at, "is_consistent")
    assert set(returns["authority_code"]) == {EREWASH}
    published = _frame(at, "figure")
    assert list(published["figure"]) == [label for _, label in qp.FIGURES]
    # a year not over on the as-of date says to when (as `asb export return` heads it)
    assert [c.split(" (to ")[0] for c in published.columns[1:]] == sorted(returns["financial_year"])
    assert all(c.endswith(")") == (not whole) for c, whole in zip(
        published.columns[1:], returns.sort_values("financial_year")["is_complete_year"], strict=True))
    assert set(_frame(at, "check_code")["authority_name"]) <= {"Erewash"}
    assert [m.value[:48] for m in at.success] == ["No application contradicts the published figures"]
    assert {"intake_adds_up", "met_without_review", "is_frozen", "restatement"} <= set(returns.columns)
    assert not returns["is_frozen"].any()
    assert any(c.value.startswith("No year is frozen as published yet") for c in at.caption)
    assert len(at.get("plotly_chart")) == 1 and at.get("download_button")


@pytest.mark.parametrize("page, column, manager, name", [
    (TURNAROUND, "working_days_left", "erewash", "Erewash"), (APPEALS, "appeal_ref", "erewash", "Erewash"),
    (PARTNERSHIP, "check_code", "derby", "Derby")])
def test__review_pages__application_rows_follow_the_role(demo_warehouse, monkeypatch, page, column, manager,
                                                         name):
    """A board viewer gets the aggregates and no application rows; a council manager gets the
    rows of their own authority only, whatever the sidebar selects."""
    board = open_app(monkeypatch, demo_warehouse, page, user="board")
    assert not [d for d in board.dataframe if column in d.value.columns]
    assert any("not available to you" in i.value for i in board.info)
    assert board.get("plotly_chart")
    assert "rt_margin" not in [s.key for s in board.slider]  # no control that changes nothing they see
    rows = _frame(open_app(monkeypatch, demo_warehouse, page, user=manager, start="2023-11-01"), column)
    assert set(rows["authority_name"]) == {name}


# --- the queries ------------------------------------------------------------------------------------

def test__stage_summary__equals_pandas_over_the_mart(con, period):
    as_of, start, end = period
    got = qt.stage_summary(con, as_of, ALL, start, end)
    mart = con.execute("select * from mart_review_turnaround").df()
    for stage in reviews.STAGES:
        done = mart[mart[stage.end_column].between(pd.Timestamp(start), pd.Timestamp(end))
                    & mart[f"{stage.name}_working_days"].notna()]
        row = got[got["authority_code"].isna() & (got["stage"] == stage.name)].iloc[0]
        assert row["finished"] == len(done) > 0
        assert row["median_working_days"] == done[f"{stage.name}_working_days"].median()
        if stage.sla_column:
            assert row["within_sla"] == done[f"{stage.name}_within_sla"].sum()


def test__funnel__each_step_a_subset_of_the_one_before(con, period):
    as_of, start, end = period
    steps = qt.funnel(con, as_of, ALL, start, end).set_index("step")["applications"]
    assert list(steps.index) == ["applications", "threshold_met", "reviews", "recommendations", "appealed",
                                 "appeals_upheld"]
    assert steps["applications"] >= steps["threshold_met"] >= steps["recommendations"] > 0
    assert steps["reviews"] >= steps["recommendations"] and steps["appealed"] >= steps["appeals_upheld"]
    mart = con.execute("select * from mart_review_turnaround where received_date between ? and ?",
                       [start, end]).df()
    assert steps["applications"] == len(mart) and steps["threshold_met"] == (mart["decision"] == "met").sum()


@pytest.mark.parametrize("query, args", [
    (qt.at_risk, (10,)), (qt.data_errors, ()), (qp.statutory_exceptions, ()),
    (qa.appeal_list, (dt.date(2020, 1, 1), dt.date(2030, 1, 1))),
])
def test__application_level_queries__only_the_authorities_given(con, period, query, args):
    as_of = period[0]
    everyone = query(con, as_of, ALL, *args)
    derby = query(con, as_of, (DERBY,), *args)
    assert set(derby["authority_code"]) <= {DERBY}
    assert len(derby) == (everyone["authority_code"] == DERBY).sum()
    assert query(con, as_of, (), *args).empty


def test__partnership__every_cell_coloured_by_its_rule(con, period):
    as_of, start, end = period
    cells = qp.partnership(con, as_of, ALL, start, end)
    assert len(cells) == 9 * len(qp.MEASURES)
    days = cells[cells["measure"] == "median_decision_days"]
    limits = con.execute("""select authority_code, sla_decision_days from settings_rules
                            where ? >= effective_from and ? < effective_to""", [end, end]).df()
    merged = days.merge(limits, on="authority_code")
    known = merged[merged["value"].notna()]
    assert ((known["value"] > known["sla_decision_days"]) == (known["colour"] == "over")).all()
    upheld = cells[(cells["measure"] == "share_upheld") & cells["value"].notna()]
    median = upheld["county_median"].iloc[0]
    assert ((upheld["value"] > median) == (upheld["colour"] == "worse")).all()
    assert cells["rule"].str.len().gt(20).all()
    only = qp.partnership(con, as_of, (EREWASH,), start, end)
    pd.testing.assert_frame_equal(only.reset_index(drop=True),
                                  cells[cells["authority_code"] == EREWASH].reset_index(drop=True))


def test__partnership__each_cell_says_its_judgement_in_a_symbol_not_colour_alone(con, period):
    """Issue 16, item 9: ✓ better or within, ✗ worse or over, ▲▼ above or below, = at the median."""
    from insight.charts import reviews as charts_reviews

    as_of, start, end = period
    cells = qp.partnership(con, as_of, ALL, start, end)
    figure = charts_reviews.partnership_heatmap(cells, [m.label for m in qp.MEASURES])
    shown = {(a.y, a.text) for a in figure.layout.annotations}
    symbol = {"better": "✓", "within": "✓", "worse": "✗", "over": "✗", "above": "▲", "below": "▼", "median": "="}
    for row in cells[cells["colour"].isin(list(symbol))].itertuples():
        assert (row.authority_name, f"{symbol[row.colour]} {row.display}") in shown, row
    assert {"✓", "✗"} <= {text.split()[0] for _, text in shown if text.strip()}


MEASURE = {m.column: m for m in qp.MEASURES}


@pytest.mark.parametrize(("column", "value", "median", "limit", "colour", "words"), [
    ("median_decision_days", 12.0, 8.0, 10, "over", "over the limit of 10 working days"),
    ("median_decision_days", 10.0, 12.0, 10, "within", "within the limit of 10"),
    ("share_decisions_in_time", 0.8, 0.6, None, "better", "above the county median 60%: better"),
    ("share_decisions_in_time", 0.4, 0.6, None, "worse", "below the county median 60%: worse"),
    ("share_upheld", 0.5, 0.25, None, "worse", "above the county median 25%: worse"),
    ("applications", 14, 9, None, "above", "above the county median 9 (neither good nor bad)"),
    ("reviews", 1, 3, None, "below", "below the county median 3"),
    ("appeals", 2, 2, None, "median", "at the county median"),
    ("share_upheld", float("nan"), 0.2, None, "none", "no data in the period"),
])
def test__judge__colour_and_rule(column, value, median, limit, colour, words):
    got, rule = qp.judge(MEASURE[column], value, median, limit, "E07000036@2014-10-20")
    assert got == colour and words in rule


def test__published_returns__four_rows_a_column_per_year(con, period):
    as_of = period[0]
    table = qp.published_table(qp.statutory_returns(con, as_of, (DERBY,)), as_of)
    mart = con.execute("""select * from mart_statutory_returns where authority_code = ?
                          order by financial_year""", [DERBY]).df()
    # a year not yet over says to when, as `asb export return` heads it (the downloads audit of 6
    # December 2026: the CSV's 2026/27 held April to October's figures as the year's)
    assert list(table.columns) == ["figure", *[y if whole else f"{y} (to {as_of.isoformat()})"
                                               for y, whole in zip(mart["financial_year"], mart["is_complete_year"],
                                                                   strict=True)]]
    assert not mart["is_complete_year"].all()
    for (column, _), row in zip(qp.FIGURES, table.itertuples(index=False), strict=True):
        assert list(row[1:]) == list(mart[column])
    assert ui.safe_csv(table).decode("utf-8-sig").splitlines()[0].startswith("figure,20")


def test__spread_queries__box_statistics_not_case_rows(con, period):
    """The distribution charts get one row of statistics per authority (and stage), equal to
    pandas' quartiles of the mart's rows: no per-case row reaches the browser for any role."""
    as_of, start, end = period
    spread = qt.stage_durations(con, as_of, ALL, start, end)
    assert not spread.duplicated(["authority_code", "stage"]).any()
    mart = con.execute("select authority_code, received_date, decision_date, decision_working_days "
                       "from mart_review_turnaround where decision_working_days is not null").df()
    mart = mart[(mart["decision_date"] >= pd.Timestamp(start)) & (mart["decision_date"] <= pd.Timestamp(end))]
    for code, days in mart.groupby("authority_code")["decision_working_days"]:
        row = spread[(spread["authority_code"] == code) & (spread["stage"] == "decision")].iloc[0]
        assert row["cases"] == len(days)
        assert (row["min_days"], row["max_days"]) == (days.min(), days.max())
        assert row["q1_days"] == pytest.approx(days.quantile(0.25))
        assert row["median_days"] == pytest.approx(days.median())
        assert row["q3_days"] == pytest.approx(days.quantile(0.75))
    times = qa.decision_times(con, as_of, ALL, start, end)
    assert not times.duplicated(["authority_code"]).any() and "cases" in times.columns


# --- states on the as-of date (issue 16, item 1) -------------------------------------------------------

def _pending_on(con, codes) -> tuple[int, int]:
    """(pending, pending past the limit) on the as-of date, whatever the date received."""
    return con.execute("""select count(*) filter (where is_open), count(*) filter (where is_overdue)
                          from mart_appeals where authority_code = any(?)""", [list(codes)]).fetchone()


def test__appeals_summary__pending_is_a_state_on_the_as_of_date(con, period):
    """An appeal pending past its limit counts whatever period the sidebar shows: it is work owed
    today. The demo's Derby appeal was received long before the default period."""
    as_of, start, end = period
    pending, overdue = _pending_on(con, ALL)
    received_before = con.execute("select count(*) from mart_appeals where is_overdue and received_date < ?",
                                  [start]).fetchone()[0]
    assert overdue >= 1 and received_before >= 1, "the demo must hold an appeal overdue from before the period"
    for first, last in [(start, end), (end, end), (start - dt.timedelta(days=3 * 365), end)]:
        total = qa.summary(con, as_of, ALL, first, last).set_index("authority_name").loc["All selected"]
        assert (total["pending_now"], total["overdue"]) == (pending, overdue), (first, last)
    derby = qa.summary(con, as_of, (DERBY,), end, end).set_index("authority_code")
    assert derby.loc[DERBY, "overdue"] == _pending_on(con, (DERBY,))[1] >= 1


def test__appeals_needs_action__overdue_first_whatever_the_period(con, period):
    as_of, *_ = period
    rows = qa.needs_action(con, as_of, ALL, due_within_days=10)
    mart = con.execute("select appeal_ref from mart_appeals where is_overdue").df()
    assert set(mart["appeal_ref"]) <= set(rows["appeal_ref"]) and len(mart) >= 1
    assert rows["status"].iloc[0] == "past the limit"
    assert (rows["working_days_left"].diff().dropna() >= 0).all()
    assert "person_key" not in rows
    assert qa.needs_action(con, as_of, (EREWASH,), due_within_days=10)["authority_code"].eq(EREWASH).all()


def test__appeals_page__overdue_appeal_shown_on_the_default_view(demo_warehouse, monkeypatch, con):
    at = open_app(monkeypatch, demo_warehouse, APPEALS)
    overdue = con.execute("select appeal_ref from mart_appeals where is_overdue").df()["appeal_ref"]
    shown = _metrics(at)
    assert shown["Pending past the limit"] == str(len(overdue)) != "0"
    assert shown["Appeals pending now"] == str(_pending_on(con, ALL)[0])
    first = at.subheader[0].value
    assert first.startswith("Needs action"), first
    listed = _frame(at, "working_days_left")
    assert set(overdue) <= set(listed["appeal_ref"])


def test__appeals_page__pcc_reviews_by_type_and_referrals_followed(demo_warehouse, monkeypatch, con, period):
    """Issue 17, part 1: the register's two types side by side, and the cases referred back listed with
    their result for the OPCC; the board sees the counts under the disclosure rule, no list."""
    as_of, start, end = period
    start = end - dt.timedelta(days=3 * 365)
    mart = con.execute("select * from mart_appeals where received_date between ? and ?", [start, end]).df()
    assert (mart["review_type"] == "pcc_review").sum() >= 5 and mart["referred_back"].fillna(False).any()
    at = open_app(monkeypatch, demo_warehouse, APPEALS, start=start.isoformat())
    headers = [h.value for h in at.subheader]
    assert {"By type: appeals and PCC reviews", "Referred back, followed to the result"} <= set(headers)
    assert _metrics(at)["PCC reviews received"] == str((mart["review_type"] == "pcc_review").sum())
    by_type = _frame(at, "threshold_then_met").set_index("review_type")
    assert set(by_type.index) == {"Appeal (local procedure)", "PCC review (2026 Act)"}  # words, not codes
    assert by_type["cases"].sum() == len(mart)
    assert by_type.loc["PCC review (2026 Act)", "overdue"] == int(
        con.execute("select count(*) from mart_appeals where is_overdue and review_type = 'pcc_review'").fetchone()[0])
    referred = con.execute("select appeal_ref, referral_result from mart_appeals where referred_back "
                           "and decision_date between ? and ?", [start, end]).df()
    listed = _frame(at, "working_days_since_referral")
    assert sorted(listed["appeal_ref"]) == sorted(referred["appeal_ref"])
    awaiting = (referred["referral_result"] == "pending").sum()
    assert list(listed["referral_result"][:awaiting]) == ["Awaiting the bodies"] * awaiting  # awaiting first

    board = open_app(monkeypatch, demo_warehouse, APPEALS, user="board", start=start.isoformat())
    assert not any("working_days_since_referral" in d.value.columns for d in board.dataframe)
    assert any("cases referred back are listed" in i.value for i in board.info)
    counts = _frame(board, "threshold_then_met").drop(columns=["review_type"])
    for column in ("cases", "decided", "referred_back", "threshold_then_met", "awaiting_bodies", "overdue"):
        shown = counts[column].dropna()
        assert not shown.between(1, disclosure.suppress_below() - 1).any(), (column, list(shown))


@pytest.mark.parametrize("page", [APPEALS, PARTNERSHIP])
def test__banners__about_lists_name_the_authorities_they_cover(demo_warehouse, monkeypatch, page):
    """Issue 16, item 4: an Erewash manager looking at all nine authorities reads a banner about the
    lists of people they may see, Erewash's, never one that sounds like the county's; the OPCC
    analyst's banners cover what the figures cover, so they need no such words."""
    manager = open_app(monkeypatch, demo_warehouse, page, user="erewash", authority="all")
    banners = [b.value for b in (*manager.success, *manager.error)]
    assert banners and all(b.startswith("For Erewash (the lists you may see): ") for b in banners), banners
    analyst = open_app(monkeypatch, demo_warehouse, page, authority="all")
    assert not any(b.value.startswith("For ") for b in (*analyst.success, *analyst.error))


@pytest.mark.parametrize("page, drawn", [
    ("app_pages/appeals.py", ("ap_grounds", "ap_times")),
    ("app_pages/turnaround.py", ("rt_compliance",)),
    ("app_pages/overview.py", ("ov_trend",)),
])
def test__pages__a_period_before_the_data_says_so_in_place_of_empty_charts(demo_warehouse, monkeypatch, page, drawn):
    """As of 2019 (years before the demo's data) these charts were empty axes with a made-up scale
    (the UX audit of 7 December 2026): each is a sentence now, and the page's other figures stay."""
    at = open_app(monkeypatch, demo_warehouse, page, as_of="2019-01-31", start="2018-02-01", end="2019-01-31")
    ids = [c.proto.id for c in at.get("plotly_chart")]
    assert not [i for i in ids if any(i.endswith(key) for key in drawn)], ids
    assert sum(ui.NOTHING_TO_DRAW in c.value for c in at.caption) >= len(drawn)
    now = open_app(monkeypatch, demo_warehouse, page)   # the build's own dates draw them
    ids = [c.proto.id for c in now.get("plotly_chart")]
    assert all(any(i.endswith(key) for i in ids) for key in drawn), ids
    assert not any(ui.NOTHING_TO_DRAW in c.value for c in now.caption)
