"""The Appeals page's "By type" table as a viewer without person-level rights sees it (the
download and totals audit of 6 December 2026): a board viewer read from it counts the page hides.

- PCC reviews: 17 received, 14 decided, share within the limit 0.857: so 3 withdrawn or pending
  and 2 decided late, both 1 to k-1. Received less decided is a count of cases, and a share says
  how many were in time and how many late: both are now under the rule (`differences`, a
  two-sided `shares` over the type's decided cases with a limit known).
- The types add up to the "All selected" row of the table above it: where that row hides a total
  (to protect an authority's small count), the types' cells of that column are hidden too
  (`disclosure.hide_parts_of_hidden_totals`), else the types summed give it back."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from etl.rules import authorities
from insight.access import disclosure
from insight.access import roles as access
from insight.queries import appeals

K = 5
RULE = access.QUERIES["insight.queries.appeals.by_review_type"]


def _types(**pcc) -> pd.DataFrame:
    appeal = {"review_type": "appeal", "cases": 7, "decided": 7, "upheld": 5, "withdrawn": 0,
              "median_decision_working_days": 12.0, "within_sla": 7, "with_sla": 7, "share_within_sla": 1.0,
              "referred_back": 5, "threshold_then_met": 0, "action_plan_changed": 5, "no_change": 0,
              "awaiting_bodies": 0, "pending_now": 0, "overdue": 0}
    review = {**appeal, "review_type": "pcc_review", "cases": 17, "decided": 14, "upheld": 9, "withdrawn": 0,
              "within_sla": 12, "with_sla": 14, "share_within_sla": round(12 / 14, 3), "referred_back": 9,
              "action_plan_changed": 9, **pcc}
    for row in (appeal, review):   # received = decided + withdrawn + pending, as the query's
        row["pending"] = row["cases"] - row["decided"] - row["withdrawn"]
    return pd.DataFrame([appeal, review])


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    return disclosure.protect_result(RULE, frame, allowed=(), requested=None, k=K).set_index("review_type")


@pytest.mark.parametrize("query", [appeals.by_review_type, appeals.summary])
def test__the_queries_give_the_counts_their_share_rests_on(demo_build, query):
    """On the demo warehouse: share_within_sla is within_sla / with_sla, the columns the rule reads."""
    as_of = demo_build[2].as_of
    con = duckdb.connect(str(demo_build[1]), read_only=True)
    try:
        frame = query(con, as_of, authorities.CODES, as_of.replace(year=as_of.year - 2), as_of)
    finally:
        con.close()
    assert (frame["with_sla"] > 0).any()
    for row in frame.itertuples():
        assert row.within_sla <= row.with_sla <= row.decided
        if row.with_sla:
            assert row.share_within_sla == round(row.within_sla / row.with_sla, 3)


def test__by_type__a_share_that_tells_a_few_late_is_hidden():
    shown = _shown(_types())
    assert pd.isna(shown.loc["pcc_review", "share_within_sla"])        # 12 in time, 2 late
    # (the appeals' 7 of 7 may go too: the types add up to the summary's share shown above)
    shown = _shown(_types(cases=20, within_sla=7, share_within_sla=0.5))   # 7 in time, 7 late: both shown
    assert shown["share_within_sla"].tolist() == [1.0, 0.5]


def test__by_type__received_less_decided_of_a_few_is_hidden():
    shown = _shown(_types())
    row = shown.loc["pcc_review"]
    assert pd.isna(row["cases"]) or pd.isna(row["decided"]) or not 0 < row["cases"] - row["decided"] < K
    shown = _shown(_types(cases=20))                                    # 6 not decided: both shown
    assert (shown.loc["pcc_review", "cases"], shown.loc["pcc_review", "decided"]) == (20, 14)


def test__by_type__decided_less_upheld_of_a_few_is_hidden():
    shown = _shown(_types(upheld=12, referred_back=12, action_plan_changed=12))   # 2 not upheld
    row = shown.loc["pcc_review"]
    assert pd.isna(row["decided"]) or pd.isna(row["upheld"]) or not 0 < row["decided"] - row["upheld"] < K


def test__hide_parts_of_hidden_totals__the_types_never_sum_to_a_total_the_page_hides():
    types = _types()
    total = pd.Series({"appeals": float("nan"), "decided": float("nan"), "withdrawn": 0, "pending_now": 3.0})
    out = disclosure.hide_parts_of_hidden_totals(types, total, {"cases": "appeals", "decided": "decided",
                                                                "withdrawn": "withdrawn", "pending_now": "pending_now"})
    assert out["cases"].isna().all() and out["decided"].isna().all()
    assert out["withdrawn"].tolist() == [0, 0] and out["pending_now"].tolist() == [0, 0]
    assert out["upheld"].tolist() == types["upheld"].tolist()          # no total named: as it was
    assert types["cases"].notna().all()                                 # the frame given is not changed
