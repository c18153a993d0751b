"""The threshold page's words about its lists (insight/charts/threshold.py), against a plain
reference over random queues."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from insight.charts import threshold as charts_threshold

NAMES = ["Erewash", "Derby", "Bolsover", "High Peak"]


def _reference(queue: pd.DataFrame) -> str:
    """One authority at a time, row by row."""
    if queue.empty:
        return "Nothing new this week and no open second report."
    parts = []
    for name in sorted(set(queue["authority_name"])):
        rows = [r for r in queue.itertuples() if r.authority_name == name]
        new = [r for r in rows if bool(r.is_new)]
        reports = sum(1 for r in new if pd.notna(r.incident_id))
        still = len(rows) - len(new)
        parts.append(f"- **{name}**: {reports:,} new second report{'s' if reports != 1 else ''}, "
                     f"{len(new) - reports:,} newly met, {still:,} open second report{'s' if still != 1 else ''}")
    return "\n".join(parts)


rows = st.lists(st.tuples(st.sampled_from(NAMES), st.booleans(), st.one_of(st.none(), st.integers(1, 10**6))),
                max_size=60)


@settings(max_examples=150, deadline=None)
@given(rows=rows)
def test__queue_sentence__per_authority_counts_match_a_row_by_row_reference(rows):
    queue = pd.DataFrame(rows, columns=["authority_name", "is_new", "incident_id"])
    queue["incident_id"] = queue["incident_id"].astype("Int64")
    assert charts_threshold.queue_sentence(queue) == _reference(queue)


def test__queue_sentence__a_large_queue_is_counted_at_once():
    queue = pd.DataFrame({"authority_name": [NAMES[i % 4] for i in range(5_000)],
                          "is_new": [i % 7 == 0 for i in range(5_000)],
                          "incident_id": [None if i % 3 == 0 else i for i in range(5_000)]})
    assert charts_threshold.queue_sentence(queue) == _reference(queue)
    assert "- **Bolsover**: " in charts_threshold.queue_sentence(queue)
