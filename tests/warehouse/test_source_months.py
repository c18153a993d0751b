"""Data quality's rows per month (mart_source_months) count the rows each file loaded: a police
report merged into the council's report of the same incident is counted as merged (etl_merged),
not loaded, so the grid adds up to the files' loaded counts; a month whose only report was merged
is still no gap (the source sent a row)."""

from __future__ import annotations

import datetime as dt

from conftest import EREWASH_TOML, INCIDENT_COLUMNS, run_build, write_inputs

TOML = EREWASH_TOML + """
[[source]]
slug = "police"
kind = "incidents"
path = "police/*.csv"
authority = "E07000036"
"""


def _csv(rows: list[dict]) -> str:
    return ",".join(INCIDENT_COLUMNS) + "\n" + "".join(
        ",".join(r.get(c, "") for c in INCIDENT_COLUMNS) + "\n" for r in rows)


def test__source_months__a_merged_report_is_not_a_loaded_row(tmp_path):
    base = {"asb_category": "personal", "asb_type": "noise", "postcode": "NG10 1AA"}
    council = [dict(base, incident_ref="C1", agency="council", reported_date="2025-05-10", person_ref="P1"),
               dict(base, incident_ref="C2", agency="council", reported_date="2025-06-03", person_ref="P2")]
    police = [dict(base, incident_ref="X1", agency="police", reported_date="2025-05-10", person_ref="P1"),  # = C1
              dict(base, incident_ref="X2", agency="police", reported_date="2025-04-02", person_ref="P3"),
              dict(base, incident_ref="X3", agency="police", reported_date="2025-06-20", person_ref="P4")]
    inputs = write_inputs(tmp_path / "inputs", TOML, {"erewash/e.csv": _csv(council), "police/p.csv": _csv(police)})
    _, con = run_build(inputs, as_of=dt.date(2025, 6, 30))
    assert con.execute("select count(*) from etl_merged where rule = 'cross_agency'").fetchone()[0] == 1
    grid = {(s, m.month): (n, gap) for s, m, n, gap in con.execute(
        "select source, month, rows_loaded, is_gap from mart_source_months where kind = 'incidents'").fetchall()}
    merged_source = con.execute("select source from etl_merged where rule = 'cross_agency'").fetchone()[0]
    loaded = dict(con.execute("select source, sum(rows_loaded) from etl_loads group by 1").fetchall())
    for source in loaded:
        assert sum(n for (s, _), (n, _) in grid.items() if s == source) == loaded[source], (source, grid)
    may = grid[(merged_source, 5)]
    assert may == (0, False)   # its one May report merged: nothing loaded, and no gap
    assert not any(gap for (_, gap) in grid.values())
