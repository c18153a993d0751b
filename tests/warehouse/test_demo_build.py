"""The demo built by the real ETL: planted problems are found, duplicates merge, no personal data.

Uses the session's demo warehouse (small scale); the generator's own checks are in test_demo.py.
"""

from __future__ import annotations

import re

import duckdb
import pytest


@pytest.fixture(scope="module")
def con(demo_warehouse):
    return duckdb.connect(str(demo_warehouse), read_only=True)


def test__demo_build__every_planted_bad_row_is_a_reject_with_its_reason(demo_build, con):
    _, _, summary = demo_build
    got = dict(con.execute("select reason_code, count(*) from etl_rejects group by 1").fetchall())
    assert got == summary.bad_rows


def test__demo_build__applications_decided_before_receipt_are_kept_with_a_data_error(demo_build, con):
    _, _, summary = demo_build
    n = con.execute("select count(*) from mart_review_turnaround where data_errors like "
                    "'%decision_date % is before received_date%'").fetchall()[0][0]
    assert n == summary.data_errors["stage_order"] > 0


def test__demo_build__planted_cross_agency_duplicates_merge(demo_build, con):
    _, _, summary = demo_build
    merged = con.execute("select count(*) from etl_merged where rule = 'cross_agency'").fetchall()[0][0]
    assert merged == summary.cross_agency_duplicates > 0
    reports, incidents = con.execute("select (select count(*) from incident_reports), "
                                     "(select count(*) from incidents)").fetchall()[0]
    assert reports - incidents == merged


def test__demo_build__every_file_adds_up(con):
    rows = con.execute("select count(*), count(*) filter (where rows_read = rows_loaded + rows_rejected "
                       "+ rows_merged), sum(rows_read) from etl_loads").fetchall()[0]
    assert rows[0] == rows[1] >= 80 and rows[2] > 5_000


def _text_values(con) -> set[str]:
    """Every distinct text value in every table of the warehouse."""
    cols = con.execute("""select table_name, column_name from information_schema.columns
        where data_type = 'VARCHAR'""").fetchall()
    values: set[str] = set()
    for table, column in cols:
        values |= {r[0] for r in con.execute(f'select distinct "{column}" from "{table}"').fetchall() if r[0]}
    return values


def test__demo_build__names_phones_emails_addresses_and_refs_never_reach_the_warehouse(demo_build, con):
    """The fake personal data in the exports, and the raw person references, appear nowhere."""
    _, _, summary = demo_build
    values = _text_values(con)
    blob = "\n".join(values)
    leaked = [v for v in summary.personal_data_samples if v in blob]
    assert not leaked
    assert not re.search(r"ECN-\d{4,}", blob)  # the partnership's person references
    assert not re.search(r"\b07\d{3} ?\d{6}\b|@example\.(com|net|org)", blob)
    keys = con.execute("select count(distinct person_key) from incidents").fetchall()[0][0]
    assert keys > 100


def test__demo_build__key_is_not_stored(demo_build, con):
    inputs, _, _ = demo_build
    key = (inputs / "secrets" / "pseudonym.key").read_text().strip()
    assert key not in "\n".join(_text_values(con))
    assert con.execute("select key_fingerprint from etl_builds").fetchall()[0][0] not in key
