"""The "Action plans" page (AppTest, signed in through the real form) and its queries
(insight/queries/actions.py) on the demo warehouse, per role.

The OPCC analyst sees every section, tiles equal to what pandas counts from the marts and the
lists with the application behind each action; an Erewash manager sees Erewash's rows only, and
the other authorities' figures under the disclosure rule; a board viewer sees no list, no reference
and no count of 1 to k-1. The queries agree with the marts and never return rows of an authority
they were not asked for.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from support import open_app

from etl.rules import authorities, periods
from insight import db
from insight.access import disclosure
from insight.queries import actions as qx

PAGE = "app_pages/actions.py"
EREWASH, DERBY = "E07000036", "E06000015"
K = disclosure.suppress_below()
SUBHEADERS = ["Needs action", "By authority", "By agency", "By type", "Re-triggers"]
REF = re.compile(r"[A-Z]+-CT-\d\d-\d{3}")  # a demo application reference (and its actions' refs)


@pytest.fixture(scope="module")
def period(con):
    as_of = db.build_as_of(con)
    return (as_of, *periods.default_period(as_of))


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# Each table of the page by a column only it has (AppTest gives tables without selection no key).
SIGNATURES = {"ax_action_list": "days_overdue", "ax_every": "working_days_late", "ax_retriggers": "retrigger_kind",
              "ax_summary": "plans", "ax_agencies": "share_on_time", "ax_retrigger_summary": "in_window"}


def _tables(at) -> dict[str, pd.DataFrame]:
    """The page's tables by the names the page gives them (SIGNATURES)."""
    frames = [d.value for d in at.dataframe]
    found = {}
    for name, column in SIGNATURES.items():
        matches = [f for f in frames if column in f.columns and (name != "ax_agencies" or "plans" not in f)]
        if matches:
            found[name] = matches[0]
    return found


def _text(at) -> str:
    """Every table cell and text element of the page as one string."""
    cells = " ".join(d.value.astype(str).to_string() for d in at.dataframe)
    words = " ".join(e.value for kind in ("markdown", "caption", "info", "success", "subheader") for e in at.get(kind))
    return cells + " " + words


def test__actions_page__the_opcc_analyst_sees_figures_equal_to_the_marts(demo_warehouse, monkeypatch, con, period):
    as_of, start, end = period
    at = open_app(monkeypatch, demo_warehouse, PAGE)
    assert [t.value for t in at.title] == ["Action plans"]
    assert [s.value for s in at.subheader] == SUBHEADERS
    mart = con.execute("select * from mart_actions").df()
    agreed = mart[mart["agreed_date"].between(pd.Timestamp(start), pd.Timestamp(end))]
    due = mart[mart["due_date"].between(pd.Timestamp(start), pd.Timestamp(end))
               & mart["state"].isin(["completed_on_time", "completed_late", "overdue"])]
    shown = _metrics(at)
    assert shown["Actions agreed"] == f"{len(agreed):,}" and len(agreed) > 0
    assert shown["Action plans agreed"] == str(agreed["application_ref"].nunique())
    assert shown["Done by the due date"] == f"{round((due['state'] == 'completed_on_time').mean(), 3):.0%}"
    assert shown["Actions overdue now"] == str(int(mart["is_overdue"].sum())) != "0"
    assert shown["Actions open now"] == str(int(mart["is_open"].sum()))
    retriggers = con.execute("select * from mart_retriggers").df()
    in_period = retriggers["retrigger_date"].between(pd.Timestamp(start), pd.Timestamp(end))
    assert shown["Re-triggers"] == str(int(in_period.sum())) != "0"
    tables = _tables(at)
    action = tables["ax_action_list"]
    soon = mart["is_open"] & (mart["is_overdue"] | (mart["working_days_left"] <= qx.DUE_SOON_WORKING_DAYS))
    assert set(action["action_ref"]) == set(mart.loc[soon, "action_ref"])
    assert action["working_days_overdue"].is_monotonic_decreasing and "person_key" not in action
    assert set(tables["ax_retriggers"]["application_ref"]) == set(retriggers.loc[in_period, "application_ref"])
    assert {"ax_action_dl", "ax_retriggers_dl", "ax_every_dl"} <= {b.key for b in at.get("download_button")}
    assert len(at.get("plotly_chart")) == 1 and not at.exception


def test__actions_page__an_erewash_manager_sees_erewash_rows_and_the_others_under_the_rule(
        demo_warehouse, monkeypatch, con):
    at = open_app(monkeypatch, demo_warehouse, PAGE, user="erewash", authority="all")
    tables = _tables(at)
    for key in ("ax_action_list", "ax_retriggers", "ax_every"):
        if key in tables:
            assert set(tables[key]["authority_name"]) <= {"Erewash"}, key
    summary = tables["ax_summary"]
    others = summary[~summary["authority_name"].isin(["Erewash"])]
    counts = others[["plans", "actions", "due", "on_time", "late", "missed", "open_now", "overdue_now"]]
    assert not ((counts > 0) & (counts < K)).any().any()
    own = summary[summary["authority_name"] == "Erewash"].iloc[0]
    mart = con.execute("select * from mart_actions where authority_code = ?", [EREWASH]).df()
    assert own["overdue_now"] == int(mart["is_overdue"].sum())  # their own figures whole
    soon = mart["is_open"] & (mart["is_overdue"] | (mart["working_days_left"] <= qx.DUE_SOON_WORKING_DAYS))
    if not soon.any():  # the all-clear banner says whose lists it is about (issue 16, item 4)
        assert any(b.value.startswith("For Erewash (the lists you may see): No action is overdue") for b in at.success)


def test__actions_page__a_board_viewer_gets_counts_only_small_ones_hidden(demo_warehouse, monkeypatch, con):
    at = open_app(monkeypatch, demo_warehouse, PAGE, user="board")
    assert [s.value for s in at.subheader] == SUBHEADERS
    assert not REF.search(_text(at)), "no application or action reference for a board viewer"
    assert {"ax_action_list", "ax_retriggers", "ax_every"}.isdisjoint(_tables(at))
    assert not at.get("download_button")
    assert any("not available to you" in i.value for i in at.info)
    for key, frame in _tables(at).items():
        numbers = frame.select_dtypes("number").drop(columns=["actions_per_plan", "share_on_time"], errors="ignore")
        assert not ((numbers > 0) & (numbers < K)).any().any(), key
    retriggers = con.execute("select count(*) from mart_retriggers where is_retriggered and "
                             "retrigger_date > as_of_date - 365").fetchall()[0][0]
    assert 0 < retriggers < K and _metrics(at)["Re-triggers"] == "–"  # the demo's few are hidden
    assert any("Disclosure control" in c.value for c in at.caption)


def test__queries__the_lists_stay_inside_the_codes_asked_for(con, period):
    as_of, start, end = period
    for query, args in ((qx.needs_action, ()), (qx.action_list, (start, end)), (qx.retrigger_list, (start, end))):
        rows = query(con, as_of, (DERBY,), *args)
        assert not rows.empty and set(rows["authority_code"]) == {DERBY}, query.__name__
        assert "person_key" not in rows


def test__queries__the_total_row_adds_up(con, period):
    as_of, start, end = period
    summary = qx.summary(con, as_of, authorities.CODES, start, end)
    parts, total = summary[summary["authority_code"].notna()], summary[summary["authority_code"].isna()].iloc[0]
    for column in ("actions", "due", "on_time", "late", "missed", "open_now", "overdue_now"):
        assert parts[column].sum() == total[column], column
    assert (summary["due"] == summary["on_time"] + summary["late"] + summary["missed"]).all()
    agencies = qx.by_agency(con, as_of, authorities.CODES, start, end)
    assert agencies["actions"].sum() == total["actions"] and agencies["overdue_now"].sum() == total["overdue_now"]
    assert qx.by_type(con, as_of, authorities.CODES, start, end)["actions"].sum() == total["actions"]
    retriggers = qx.retrigger_summary(con, as_of, authorities.CODES, start, end)
    assert retriggers["retriggers"].iloc[:-1].sum() == retriggers["retriggers"].iloc[-1] > 0


def test__queries__another_as_of_date_is_evaluated_live(con, period):
    """A year before the build, fewer actions had been agreed, and the states are those of that day."""
    as_of, start, end = period
    earlier = as_of.replace(year=as_of.year - 1)
    now = qx.summary(con, as_of, authorities.CODES, start, end).iloc[-1]
    then = qx.summary(con, earlier, authorities.CODES, start, end).iloc[-1]
    assert then["actions"] < now["actions"]
    live = con.execute("select count(*) from mart_actions where agreed_date <= ?", [earlier]).fetchall()[0][0]
    assert then["open_now"] <= live
