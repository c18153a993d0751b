"""A second report's explanation on an incident reported to two organisations (audit, 5 December
2026): the incident kept only its earliest review_explained_date, so an explanation the police
recorded before the event hid the council's, given two working days after it; the event read as
never explained and overdue. Every partner's explanation now counts, from its own report's day.

    erewash council  B1   reported Fri 1 Aug 2025, explained Wed 13 Aug
    erewash police   BP1  reported Mon 4 Aug, occurred 1 Aug: merges into B1; explained Sat 2 Aug
    erewash council  B2   reported Mon 11 Aug: the second report (B1 the first)
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, build_module_warehouse, write_inputs

from insight import db

D = dt.date
COLUMNS = [*INCIDENT_COLUMNS, "review_explained_date"]
POLICE_TOML = EREWASH_TOML.replace('"erewash-council"', '"erewash-police"').replace("erewash/*", "police/*")


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"agency": "council", "asb_category": "personal", "asb_type": "noise", "postcode": "NG10 1AA",
                         "person_ref": "ECN-T2", "victim_type": "individual", "is_hate": "N", **row})
    return out.getvalue()


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    council = _csv([{"incident_ref": "B1", "reported_date": "2025-08-01", "review_explained_date": "2025-08-13"},
                    {"incident_ref": "B2", "reported_date": "2025-08-11"}])
    police = _csv([{"incident_ref": "BP1", "agency": "police", "reported_date": "2025-08-04",
                    "occurred_date": "2025-08-01", "review_explained_date": "2025-08-02"}])
    inputs = write_inputs(tmp_path_factory.mktemp("merged_explained") / "inputs", EREWASH_TOML + POLICE_TOML,
                          {"erewash/e.csv": council, "police/p.csv": police})
    connection = db.connect(build_module_warehouse(inputs, D(2025, 11, 30)))
    yield connection
    connection.close()


def test__second_report__a_later_partners_explanation_on_a_merged_incident_counts(con):
    assert con.execute("select count(*) from etl_merged").fetchall() == [(1,)]   # BP1 joined B1
    assert con.execute("select review_explained_date from incidents where incident_id like '%B1'").fetchall() == [
        (D(2025, 8, 2),)]   # the incident's own: the earliest
    [row] = con.execute("""select second_report_date, review_explained_date, explained_working_days,
                                  is_explained_in_time, is_overdue from mart_second_reports""").fetchall()
    assert row == (D(2025, 8, 11), D(2025, 8, 13), 2, True, False)


def test__second_report__a_merged_reports_explanation_is_known_from_its_own_day(con):
    """As of 12 August the council's explanation (on B1, reported 1 August, dated the 13th) is not
    given yet; the police's (dated 2 August) is before the event: none counts yet."""
    from etl.marts import registry

    frame = registry.evaluate(con, "mart_second_reports", D(2025, 8, 12))
    assert frame["review_explained_date"].isna().all() and len(frame) == 1
