"""The Data quality page's figures about the case-review registers, and its rejected rows (the
Data quality audit, 6 December).

- The month grid hid a register's months of 1 to k-1 cases from a viewer without person-level
  rights over all nine authorities, but the same page showed that register's totals: the builds
  table's applications and appeals, the rows of each register file, each register source's rows
  loaded and the applications kept with an unusable date. With three applications and one appeal
  in one month, those were the hidden month. Now every count of a register kind on the page is
  shown to such a viewer only when the fewest rows any of them rests on (a month of a source, a
  file, the rows kept) are at least k (`quality.REGISTER_LEAST`).
- The rejected rows' list stopped at 50,000 rows without a word, leaving out whole sources; it now
  says how many of how many it holds.
- The list and its download showed a rejected row's values in words ("Individual"), not as the
  partner's file held them ("individual"), which is what the partner must find and correct.

One small warehouse, built once by the real ETL: 30 Erewash incidents, an applications register
of three (one with an unusable stage date), one appeal; rejected rows in two sources.
"""

from __future__ import annotations

import csv
import io

import duckdb
import pandas as pd
import pytest
from conftest import EREWASH_TOML, INCIDENT_COLUMNS, build_module_warehouse, write_inputs
from support import open_app

from insight import labels, ui
from insight.access import roles as access
from insight.queries import quality

K = 5
PAGE = "app_pages/data_quality.py"
TOML = EREWASH_TOML + """
[[source]]
slug = "register"
kind = "applications"
path = "register/*.csv"

[[source]]
slug = "appeals"
kind = "appeals"
path = "appeals/*.csv"
"""
ERE = "E07000036"


def _incidents() -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(INCIDENT_COLUMNS)
    for n in range(1, 31):
        w.writerow([f"E{n}", "council", "", f"2025-03-{n % 28 + 1:02d}", "", "personal", "noise", "", "", "", "",
                    "", "Market Place", f"ECN-{n}", "individual", "N"])
    # rejected rows: a bad date, its victim type as the partner wrote it (lower case)
    for n in range(31, 38):
        w.writerow([f"E{n}", "council", "", "31/02/2025", "", "personal", "noise", "", "", "", "",
                    "", "Market Place", f"ECN-{n}", "individual", "N"])
    return out.getvalue()


REGISTER = """application_ref,authority,person_ref,received_date,acknowledged_date,threshold_route,decision,decision_date,review_date,outcome
APP1,Erewash,ECN-1,2025-03-01,2025-03-03,victim,met,2025-03-10,2025-03-30,recommendations
APP2,Erewash,ECN-2,2025-03-02,not a date,victim,not_met,2025-03-12,,
APP3,Erewash,ECN-3,2025-03-04,,victim,pending,,,
APP4,Erewash,ECN-4,someday,,victim,pending,,,
"""
APPEALS = """appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date
AP1,APP1,Erewash,2025-04-10,victim,review_process,not_upheld,2025-04-20
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality_registers")
    inputs = write_inputs(root / "in", TOML + '[source.gates]\nreject_share = "warn"\n', {
        "erewash/export.csv": _incidents(), "register/register.csv": REGISTER, "appeals/appeals.csv": APPEALS})
    return build_module_warehouse(inputs)


@pytest.fixture(scope="module")
def con(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _shown(role, allowed, query, con, *args):
    return access.shown_as(role, allowed, query, args, {}, query(con, *args), K)


VIEWERS = [(access.BOARD_VIEWER, ()), (access.COUNCIL_MANAGER, ("E06000015",)), (access.COUNCIL_MANAGER, (ERE,))]


@pytest.mark.parametrize(("role", "allowed"), VIEWERS)
def test__registers__a_viewer_without_every_authority_sees_no_count_of_fewer_than_k_cases(con, role, allowed):
    builds = _shown(role, allowed, quality.builds, con).iloc[0]
    assert pd.isna(builds["applications"]) and pd.isna(builds["appeals"])
    assert builds["incidents"] == 30   # incident feeds' counts stay as they are
    latest = _shown(role, allowed, quality.latest_build, con).iloc[0]
    assert pd.isna(latest["applications"]) and pd.isna(latest["appeals"])
    files = _shown(role, allowed, quality.file_accounting, con).set_index("source")
    for source in ("register", "appeals"):
        assert files.loc[source, ["rows_read", "rows_loaded", "rows_merged"]].isna().all(), source
    assert files.loc["register", "status"] == "adds up" and files.loc["register", "rows_rejected"] == 1
    assert files.loc["erewash_council", "rows_loaded"] == 30
    fresh = _shown(role, allowed, quality.source_freshness, con, pd.Timestamp("2025-06-30").date()).set_index("source")
    assert fresh.loc[["register", "appeals"], "rows_loaded"].isna().all()
    assert fresh.loc["erewash_council", "rows_loaded"] == 30
    kept = _shown(role, allowed, quality.kept_with_errors, con).set_index("kind")
    assert pd.isna(kept.loc["applications", "rows_kept"])


def test__registers__the_opcc_analyst_sees_every_count(con):
    nine = access.person_level_authorities(access.Viewer("a", access.OPCC_ANALYST))
    builds = _shown(access.OPCC_ANALYST, nine, quality.builds, con).iloc[0]
    assert (builds["applications"], builds["appeals"]) == (3, 1)
    files = _shown(access.OPCC_ANALYST, nine, quality.file_accounting, con).set_index("source")
    assert (files.loc["register", "rows_read"], files.loc["register", "rows_loaded"]) == (4, 3)
    kept = _shown(access.OPCC_ANALYST, nine, quality.kept_with_errors, con).set_index("kind")
    assert kept.loc["applications", "rows_kept"] == 1


def test__registers__counts_of_k_or_more_are_shown_and_a_kind_stands_alone(con):
    """At k = 1 nothing is fewer than k; at k = 2 the one appeal hides the appeals' counts alone
    (the applications rest on at least 2 rows everywhere but the one kept with an error: hidden)."""
    builds = access.shown_as(access.BOARD_VIEWER, (), quality.builds, (), {}, quality.builds(con), 1).iloc[0]
    assert (builds["applications"], builds["appeals"]) == (3, 1)
    builds = access.shown_as(access.BOARD_VIEWER, (), quality.builds, (), {}, quality.builds(con), 2).iloc[0]
    assert pd.isna(builds["appeals"]) and pd.isna(builds["applications"])   # one application kept with an error
    least = dict(con.execute(f"with {quality.REGISTER_LEAST} select kind, least_rows from register_least").fetchall())
    assert least == {"applications": 1, "appeals": 1}


def test__rejected_rows__say_when_the_list_stops_short(con, monkeypatch):
    total = con.execute("select count(*) from etl_rejects").fetchall()[0][0]
    assert total >= 8
    monkeypatch.setattr(quality, "REJECTS_LISTED", 5)
    rows = quality.rejects(con)
    assert len(rows) == 5 and rows.attrs["matching"] == total
    assert quality.rejects(con, ("register",)).attrs["matching"] == 1


def test__rejected_rows__values_as_the_file_held_them(con):
    rows = quality.rejects(con, ("erewash_council",))
    sent = [c for c in rows.columns if c.startswith("victim_type")]
    assert sent and set(rows[sent[0]].dropna()) == {"individual"}
    assert set(labels.readable(rows)[sent[0]].dropna()) == {"individual"}
    csv_text = ui.safe_csv(rows).decode("utf-8-sig")
    assert ",individual," in csv_text and "Individual" not in csv_text


@pytest.mark.parametrize("user", ["board", "opcc"])
def test__page__shows_what_the_rule_allows_and_no_helper_column(warehouse, monkeypatch, user):
    at = open_app(monkeypatch, warehouse, PAGE, user=user)
    frames = [d.value for d in at.dataframe]
    builds = next(f for f in frames if "appeals" in f.columns and "applications" in f.columns)
    assert (pd.isna(builds["applications"].iloc[0])) == (user == "board")
    for frame in frames:
        assert not any("least" in str(c) for c in frame.columns), list(frame.columns)


def test__page__says_when_the_rejected_rows_stop_short(warehouse, monkeypatch):
    import streamlit as st

    st.cache_data.clear()   # the list is kept per build: make it again with the smaller cap
    monkeypatch.setattr(quality, "REJECTS_LISTED", 3)
    at = open_app(monkeypatch, warehouse, PAGE, user="opcc")
    total = duckdb.connect(str(warehouse), read_only=True).execute("select count(*) from etl_rejects").fetchall()[0][0]
    assert any(w.value.startswith(f"{total:,} rejected rows match; the list and its download hold the first 3 ")
               for w in at.warning), [w.value for w in at.warning]
    listed = next(d.value for d in at.dataframe if "reason_code" in d.value.columns and "source_row" in d.value.columns)
    assert len(listed) == 3 and any(c.endswith(quality.SENT) for c in listed.columns)
    st.cache_data.clear()


def test__freshness__a_source_is_never_negative_days_behind_an_earlier_date(con):
    """At an as-of date before a source's last date (a later warehouse viewed at an earlier date) the
    source was not behind: 0 days and 0 months, not -18 (the as-of audit, 6 December)."""
    fresh = quality.source_freshness(con, pd.Timestamp("2025-03-10").date()).set_index("source")
    assert fresh.loc["erewash_council", "days_behind"] == 0 and fresh.loc["erewash_council", "months_behind"] == 0
    later = quality.source_freshness(con, pd.Timestamp("2025-06-30").date()).set_index("source")
    assert later.loc["erewash_council", "days_behind"] > 0
