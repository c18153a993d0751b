"""How police.uk incidents are stored (issue 15): each distinct street-level record once, with its
copies apart, and `incidents` a view that reads as the contract's table. The id check still
catches a repeated id however it arises in the stored parts."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import duckdb
import pytest
from conftest import TEST_KEY, real_data, run_build, write_inputs

from etl import validate

POLICE_TOML = """
[[source]]
slug = "police-uk"
kind = "police_uk"
path = "police/*.csv"
"""
ID_CHECK = "incidents.incident_id unique, not null"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A month with identical ASB rows, and a later file repeating it with more copies (its first
    copies republished, the rest new: two groups share one stem)."""
    folder = real_data("police_uk", "derbyshire")
    with open(folder / "2023-01-derbyshire-street.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], [r for r in rows[1:] if r[9] == "Anti-social behaviour"][:40]
    first = [*body, body[0], body[0], body[1]]
    again = [body[0]] * 5 + [body[2]]

    def text(records):
        return "\n".join(",".join(f'"{c}"' for c in r) for r in [header, *records]) + "\n"

    root = tmp_path_factory.mktemp("storage")
    inputs = write_inputs(root / "in", POLICE_TOML, {"police/a.csv": text(first), "police/b.csv": text(again)})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_PSEUDONYM_KEY", TEST_KEY)
        _, con = run_build(inputs, as_of=dt.date(2024, 11, 30))
    return root / "warehouse.duckdb", con


def test__incidents__a_view_with_the_stored_table_columns_and_one_row_per_record(built):
    _, con = built
    kinds = dict(con.execute("select table_name, table_type from information_schema.tables").fetchall())
    assert kinds["incidents"] == "VIEW" and kinds["stored_incidents"] == "BASE TABLE"
    columns = "select column_name, data_type from information_schema.columns where table_name = ? order by ordinal_position"
    assert con.execute(columns, ["incidents"]).fetchall() == con.execute(columns, ["stored_incidents"]).fetchall()
    loaded = con.execute("select sum(rows_loaded) from etl_loads").fetchall()[0][0]
    n, ids, rows = con.execute("select count(*), count(distinct incident_id), count(distinct (source_file, source_row)) "
                               "from incidents").fetchall()[0]
    assert n == ids == rows == loaded
    groups, copies = con.execute("select (select count(*) from police_incident_groups), "
                                 "(select count(*) from police_incident_copies)").fetchall()[0]
    assert copies == n and groups < n  # identical records are stored once
    # file b's five copies of body[0]: a.csv holds three, so b publishes copies 4 and 5 under the same
    # stem; body[2], once in each file, is copy 1 in a.csv and republished (merged) in b.csv
    shared = con.execute("""select g.source_file, list(c.k order by c.k) from police_incident_copies c
        join police_incident_groups g using (gid)
        where g.incident_stem in (select incident_stem from police_incident_groups group by 1 having count(*) > 1)
        group by 1 order by 1""").fetchall()
    assert shared == [("police/a.csv", [1, 1, 2, 3]), ("police/b.csv", [4, 5])]
    assert con.execute("select count(*) from stored_incidents").fetchall()[0][0] == 0


def tampered_failures(path, tmp_path, tamper: str) -> list[str]:
    """The build's checks on a copy of the warehouse after `tamper` ran on it."""
    copy = tmp_path / "w.duckdb"
    shutil.copy(path, copy)
    rw = duckdb.connect(str(copy))
    rw.execute(tamper)
    return validate.run(rw)


@pytest.mark.parametrize("tamper", [
    "insert into police_incident_copies select gid, k, source_row + 1000 from police_incident_copies limit 1",
    # a group sharing a stem publishes a copy number another group already used
    """insert into police_incident_copies select gid, 1, 9999 from police_incident_groups
       where source_file = 'police/b.csv' and incident_stem in
             (select incident_stem from police_incident_groups group by 1 having count(*) > 1)""",
    "update police_incident_groups set incident_stem = null where gid = (select min(gid) from police_incident_groups)",
    # an incident of the police source stored among the other sources' ones
    "insert into stored_incidents select * from incidents limit 1",
    "insert into stored_incidents select * replace ('x' as source) from incidents limit 1; "
    "insert into stored_incidents select * replace ('x' as source) from incidents limit 1",
    # a copy renumbered onto another copy of its group (no row added: the count stays the same)
    "update police_incident_copies c set k = k - 1 from (select gid, max(k) as top from police_incident_copies "
    "group by gid having count(*) >= 3 order by gid limit 1) t where c.gid = t.gid and c.k = t.top",
    # the middle copy renumbered onto the last: the group's smallest and largest numbers and its count stay
    "update police_incident_copies c set k = t.top from (select gid, min(k) + 1 as mid, max(k) as top "
    "from police_incident_copies group by gid having count(*) >= 3 order by gid limit 1) t "
    "where c.gid = t.gid and c.k = t.mid",
])
def test__incident_id_check__fails_on_a_repeated_id_in_any_stored_part(built, tmp_path, tamper):
    path, con = built
    assert validate.run(con) == []
    failures = tampered_failures(path, tmp_path, tamper)
    assert any(f.startswith(ID_CHECK) for f in failures), failures


def test__incidents__stays_a_table_without_police_copies(tmp_path):
    """A build with no police.uk copies keeps the table the DDL declares (updatable, as before)."""
    inputs = write_inputs(tmp_path / "in", """
[[source]]
slug = "erewash"
kind = "incidents"
path = "e/*"
authority = "Erewash"
""", {"e/a.csv": "incident_ref,agency,reported_date,asb_category,asb_type,postcode\n"
                 "E1,council,2025-03-01,personal,noise,DE7 5AB\nE2,council,2025-03-02,nuisance,littering,DE7 5AB\n"})
    _, con = run_build(inputs)
    kinds = dict(con.execute("select table_name, table_type from information_schema.tables").fetchall())
    assert kinds["incidents"] == "BASE TABLE" and "stored_incidents" not in kinds
    assert validate.run(con) == []
    assert con.execute("select count(*) from incidents").fetchall()[0][0] == 2


def test__incidents__a_partner_file_and_police_copies_in_one_build(tmp_path):
    """Both parts in one warehouse: the view holds the partner's incidents and every police copy,
    the reports view follows it, and the accounting balances per file."""
    folder = real_data("police_uk", "derbyshire")
    with open(folder / "2023-01-derbyshire-street.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, asb = rows[0], next(r for r in rows[1:] if r[9] == "Anti-social behaviour")
    police = "\n".join(",".join(f'"{c}"' for c in r) for r in [header, asb, asb, asb]) + "\n"
    inputs = write_inputs(tmp_path / "in", POLICE_TOML + """
[[source]]
slug = "erewash"
kind = "incidents"
path = "e/*"
authority = "Erewash"
""", {"police/a.csv": police, "e/a.csv": "incident_ref,agency,reported_date,asb_category,asb_type,postcode,person_ref\n"
                                            "E1,council,2025-03-01,personal,noise,DE7 5AB,ECN-1\n"})
    _, con = run_build(inputs)
    assert con.execute("select source, count(*) from incidents group by 1 order by 1").fetchall() == [
        ("erewash", 1), ("police_uk", 3)]
    assert con.execute("select count(*) from stored_incidents").fetchall()[0][0] == 1
    assert con.execute("select count(*) from incident_reports").fetchall()[0][0] == 4
    assert con.execute("select sum(rows_read) = sum(rows_loaded), sum(rows_loaded) from etl_loads").fetchall() == [
        (True, 4)]
    assert validate.run(con) == []


@pytest.mark.parametrize(("tamper", "check"), [
    ("update police_incident_groups set occurred_date = reported_date + 1 where gid = (select min(gid) "
     "from police_incident_groups)", "incidents occurred on or before reported, not after the as-of date"),
    ("update police_incident_groups set authority_code = 'E99999999' where gid = (select max(gid) "
     "from police_incident_groups)", "incidents.authority_code is one of the nine"),
    ("update police_incident_groups set asb_category = 'other' where gid = (select min(gid) "
     "from police_incident_groups)", "incidents.asb_category allowed"),
    ("update police_incident_groups set agency = 'nobody' where gid = (select min(gid) "
     "from police_incident_groups)", "incidents.agency allowed"),
    ("update police_incident_groups set report_count = 2 where gid = (select min(gid) "
     "from police_incident_groups)", "a merged incident has as many reports as its report_count"),
])
def test__row_checks__read_the_police_groups_where_incidents_is_the_view(built, tmp_path, tamper, check):
    """The checks of an incident's own values read each stored row once: a bad value in a police
    group (which stands for all its copies) still fails the build's checks."""
    failures = tampered_failures(built[0], tmp_path, tamper)
    assert any(f.startswith(check) for f in failures), failures


def test__incident_files__counts_the_stored_parts_as_the_view(built, tmp_path):
    """The accounting's per-file counts and dates, read from the parts, equal the views' own."""
    from etl.transform import publish
    path, _ = built
    copy = tmp_path / "w.duckdb"
    shutil.copy(path, copy)
    con = duckdb.connect(str(copy))
    assert publish.incident_files(con) == con.execute(
        "select (select count(*) from incidents), (select count(*) from incident_reports)").fetchall()[0]
    assert con.execute("select source, source_file, incidents, first_single, last_single from _incident_files "
                       "order by all").fetchall() == con.execute(
        "select source, source_file, count(*), min(reported_date), max(reported_date) from incidents "
        "group by all order by all").fetchall()
