"""A local rule of one complaint (s.104(4) lets an authority set fewer than three): "one complaint
short" is then no complaint at all, and nobody is a near-miss. Before, the threshold timeline kept
a person's spell of 0 complaints (after their only complaint left the window) as "one short",
never closed, so `mart_threshold_history` counted them as near-misses at every later month end,
even after the rule went back to three, while `mart_threshold_status` (the tiles) did not.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, RULE_DEFAULTS, TEST_KEY, run_build, write_inputs

D = dt.date
AS_OF = D(2024, 12, 31)
DEFAULTS = RULE_DEFAULTS + """
[[rule]]
authority = "Erewash"
effective_from = "2020-01-01"
victim_threshold = 1
"""
BACK_TO_THREE = """
[[rule]]
authority = "Erewash"
effective_from = "2024-09-01"
victim_threshold = 3
"""


def _row(ref: str, day: D, person: str) -> str:
    values = dict.fromkeys(INCIDENT_COLUMNS, "")
    values.update(incident_ref=ref, agency="council", reported_date=day.isoformat(), occurred_date=day.isoformat(),
                  asb_category="personal", asb_type="noise", latitude="52.970", longitude="-1.309",
                  location_desc="Bath Street", person_ref=person, victim_type="individual", is_hate="N")
    return ",".join(values.values())


def _month_ends() -> list[D]:
    return [D(2024, m + 1, 1) - dt.timedelta(days=1) for m in range(1, 12)] + [AS_OF]


def _met_on(day: D, rules_back_to_three: bool) -> int:
    """People met on `day` (hand-counted): P1's complaint of 15 Jan counts to 14 Jul, P2's of 20 Nov
    from then on; each is met alone under a rule of one, never under three."""
    if rules_back_to_three and day >= D(2024, 9, 1):
        return 0
    return int(D(2024, 1, 15) <= day <= D(2024, 7, 14)) + int(day >= D(2024, 11, 20))


@pytest.mark.parametrize("back_to_three", [False, True])
def test__a_threshold_of_one_has_no_near_misses_at_any_month_end(tmp_path, monkeypatch, back_to_three):
    rules = DEFAULTS + (BACK_TO_THREE if back_to_three else "")
    files = {"erewash/incidents.csv": "\n".join([",".join(INCIDENT_COLUMNS), _row("F1", D(2024, 1, 15), "P1"),
                                                 _row("F2", D(2024, 11, 20), "P2")]) + "\n",
             "rules.toml": rules}
    inputs = write_inputs(tmp_path / "in", '[build]\nsettings = "rules.toml"\n' + EREWASH_TOML, files)
    monkeypatch.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
    _, con = run_build(inputs, tmp_path / "warehouse.duckdb", AS_OF)
    history = dict(((m, (n, k)) for m, n, k in con.execute(
        "select month_end, near_miss_people, met_people from mart_threshold_history "
        "where authority_code = 'E07000036'").fetchall()))
    for month_end in _month_ends():
        assert history.get(month_end, (0, 0)) == (0, _met_on(month_end, back_to_three)), month_end
    status = con.execute("select count(*) filter (where is_near_miss) from mart_threshold_status").fetchone()[0]
    assert status == 0
    assert con.execute("select count(*) from int_threshold_timeline where qualifying_count = 0 "
                       "and not is_met").fetchone()[0] == 0
