"""`asb export parquet`: the files read back in DuckDB equal the warehouse's tables, split by
authority (and month for incidents) on disk, without person keys unless the key file and an OPCC
analyst say so, written whole or not at all.

    demo warehouse --asb export parquet--> out/<table>/authority_code=<code>/[month=YYYY-MM/]data_0.parquet
    read_parquet(out/<table>/**, hive_partitioning) EXCEPT ALL warehouse.<table> = {} (both ways)
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import duckdb
import pytest
from conftest import TEST_KEY

from insight import cli
from insight.access import auth
from insight.access import roles as access
from insight.export import dictionary, parquet


def _export(warehouse: Path, out: Path, *extra) -> int:
    return cli.main(["export", "parquet", "--warehouse", str(warehouse), "--out", str(out), *map(str, extra)])


@pytest.fixture(scope="module")
def exported(demo_warehouse, tmp_path_factory):
    """The demo warehouse exported without person keys (audit log of its own)."""
    root = tmp_path_factory.mktemp("parquet")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASB_AUDIT", str(root / "audit.sqlite"))
        assert _export(demo_warehouse, root / "out") == 0
    return root / "out", root / "audit.sqlite"


@pytest.fixture
def users_file(tmp_path, monkeypatch) -> Path:
    """A users file with an OPCC analyst, a council manager and a board viewer ($ASB_USERS)."""
    path = tmp_path / "users.toml"
    auth.write_accounts(path, [auth.Account("olivia", access.OPCC_ANALYST),
                               auth.Account("evan", access.COUNCIL_MANAGER, "E07000036"),
                               auth.Account("bea", access.BOARD_VIEWER)])
    monkeypatch.setenv(auth.USERS_ENV, str(path))
    return path


@pytest.fixture
def key_file(demo_build) -> Path:
    """The key file the demo warehouse was built with (`asb demo` writes it into its inputs)."""
    return demo_build[0] / "secrets" / "pseudonym.key"


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _tables(warehouse: Path, out: Path) -> list[parquet.Table]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        manifest = _manifest(out)
        return parquet.plan(con, tuple(t["name"] for t in manifest["tables"]), manifest["with_person_keys"])
    finally:
        con.close()


def _differences(warehouse: Path, out: Path, table: parquet.Table) -> tuple[int, int, int, int]:
    """(rows in the warehouse, rows read back, warehouse rows missing, rows read back extra)."""
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    try:
        ours = table.select_sql().replace(f'from "{table.name}"', f'from wh."{table.name}"')
        theirs = parquet.read_back_sql(out, table)
        casts = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in table.columns)
        theirs = f"select {casts} from ({theirs})"
        counts = [con.execute(f"select count(*) from ({q})").fetchone()[0] for q in (ours, theirs)]
        missing = con.execute(f"select count(*) from ({ours} except all {theirs})").fetchone()[0]
        extra = con.execute(f"select count(*) from ({theirs} except all {ours})").fetchone()[0]
        return counts[0], counts[1], missing, extra
    finally:
        con.close()


def test__export__every_mart_incidents_and_authorities(exported, demo_warehouse):
    out, _ = exported
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    marts = {r[0] for r in con.execute("select table_name from information_schema.tables "
                                       "where table_name like 'mart\\_%' escape '\\' and table_type = 'BASE TABLE'").fetchall()}
    con.close()
    names = {t["name"] for t in _manifest(out)["tables"]}
    assert names == marts | {"incidents", "authorities"}
    assert all((out / name).is_dir() for name in names)


def test__export__each_table_reads_back_equal_in_duckdb(exported, demo_warehouse):
    """EXCEPT ALL both ways, after casting the folder-name columns back to the warehouse's type."""
    out, _ = exported
    for table in _tables(demo_warehouse, out):
        ours, theirs, missing, extra = _differences(demo_warehouse, out, table)
        assert (ours, missing, extra) == (theirs, 0, 0), table.name
        assert ours == next(t["rows"] for t in _manifest(out)["tables"] if t["name"] == table.name)


def test__export__incidents_split_by_authority_and_month_on_disk(exported, demo_warehouse):
    out, _ = exported
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    expected = {(a, m) for a, m in con.execute(
        "select distinct authority_code, strftime(reported_date, '%Y-%m') from incidents").fetchall()}
    con.close()
    folders = {(f.parent.parent.name.removeprefix("authority_code="), f.parent.name.removeprefix("month="))
               for f in (out / "incidents").glob("authority_code=*/month=*/*.parquet")}
    assert folders == {(a or "__HIVE_DEFAULT_PARTITION__", m) for a, m in expected}
    # the values inside each file are those its folders name
    check = duckdb.connect()
    wrong = check.execute(f"""
        select count(*) from read_parquet('{out}/incidents/**/*.parquet', hive_partitioning = false, filename = true)
        where filename not like '%authority_code=' || coalesce(authority_code, '__HIVE_DEFAULT_PARTITION__')
                                || '/month=' || month || '/%'""").fetchone()[0]
    assert wrong == 0
    assert not list((out / "authorities").glob("authority_code=*"))  # a row per authority: one file
    assert list((out / "mart_second_reports").glob("authority_code=E07000036/*.parquet"))


def test__export__no_person_columns_without_rights(exported):
    out, _ = exported
    check = duckdb.connect()
    names = {r[0] for r in check.execute(
        f"select distinct name from parquet_schema('{out}/**/*.parquet')").fetchall()}
    assert not [n for n in names if re.search("person", n)], names
    dictionary_text = (out / "data_dictionary.csv").read_text(encoding="utf-8")
    assert "person_key" not in dictionary_text
    left_out = {t["name"]: t["person_columns_left_out"] for t in _manifest(out)["tables"]}
    assert left_out["incidents"] == ["person_key"] and left_out["mart_threshold_status"] == ["person_key"]


def test__export__every_column_described_and_docs_written(exported):
    out, _ = exported
    import csv

    with (out / "data_dictionary.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and not [(r["table"], r["column"]) for r in rows if not r["description"].strip()]
    readme = (out / "README.md").read_text(encoding="utf-8")
    for words in ("Power BI", "Excel", "read_parquet", "partitioning=None", "data_dictionary.csv"):
        assert words in readme
    assert dictionary.column_description("incidents", "month").startswith("Month of reported_date")


def test__export__pandas_reads_a_table_folder_as_documented(exported, demo_warehouse):
    import pandas as pd

    out, _ = exported
    frame = pd.read_parquet(out / "incidents", partitioning=None)
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    assert len(frame) == con.execute("select count(*) from incidents").fetchone()[0]
    con.close()
    assert "person_key" not in frame.columns and frame["month"].str.fullmatch(r"\d{4}-\d{2}").all()


def test__export__audited_without_a_user(exported):
    _, audit_path = exported
    row = sqlite3.connect(audit_path).execute(
        "select action, page, what, filters from audit_log order by seq desc limit 1").fetchone()
    assert row[:2] == ("export", "asb export parquet") and row[2].endswith("out")
    assert json.loads(row[3])["with_person_keys"] is False


def test__person_keys__with_the_key_file_and_an_opcc_analyst(demo_warehouse, tmp_path, users_file, key_file,
                                                              audit_file, capsys):
    out = tmp_path / "with-keys"
    assert _export(demo_warehouse, out, "--table", "incidents", "mart_threshold_status", "--with-person-keys",
                   "--key-file", key_file, "--user", "olivia") == 0
    assert "with person keys" in capsys.readouterr().out
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    tables = parquet.plan(con, ("incidents", "mart_threshold_status"), with_person_keys=True)
    con.close()
    assert all("person_key" in dict(t.columns) for t in tables)
    for table in tables:
        ours, theirs, missing, extra = _differences(demo_warehouse, out, table)
        assert (ours, missing, extra) == (theirs, 0, 0), table.name
    entry = sqlite3.connect(audit_file).execute(
        "select user_id, role, action, filters from audit_log order by seq desc limit 1").fetchone()
    assert entry[:3] == ("olivia", access.OPCC_ANALYST, "export")
    assert json.loads(entry[3])["with_person_keys"] is True


@pytest.mark.parametrize("case, message", [
    ("wrong key", "is not the pseudonymisation key this warehouse was built with"),
    ("no key file", "--with-person-keys needs --key-file"),
    ("missing key file", "cannot read the key file"),
    ("council manager", "for the OPCC analyst role only"),
    ("board viewer", "for the OPCC analyst role only"),
    ("unknown user", "no user 'nobody'"),
    ("key without the flag", "for --with-person-keys only"),
])
def test__person_keys__refused_and_nothing_written(demo_warehouse, tmp_path, users_file, key_file, audit_file,
                                                   capsys, case, message):
    wrong = tmp_path / "other.key"
    wrong.write_text(TEST_KEY + "\n", encoding="utf-8")  # a good key, not this warehouse's
    args = {"wrong key": ("--with-person-keys", "--key-file", wrong, "--user", "olivia"),
            "no key file": ("--with-person-keys", "--user", "olivia"),
            "missing key file": ("--with-person-keys", "--key-file", tmp_path / "none.key", "--user", "olivia"),
            "council manager": ("--with-person-keys", "--key-file", key_file, "--user", "evan"),
            "board viewer": ("--with-person-keys", "--key-file", key_file, "--user", "bea"),
            "unknown user": ("--with-person-keys", "--key-file", key_file, "--user", "nobody"),
            "key without the flag": ("--key-file", key_file, "--user", "olivia")}[case]
    out = tmp_path / "refused"
    assert _export(demo_warehouse, out, "--table", "authorities", *args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".refused*"))


def test__person_keys__an_unwritable_audit_log_refuses_and_writes_nothing(demo_warehouse, tmp_path, users_file,
                                                                         key_file, monkeypatch, capsys):
    """Person keys leave only with their audit entry: with the log unwritable the export is refused
    in one line and no folder is left (before: a traceback after the files were in place)."""
    blocked = tmp_path / "audit.sqlite"
    blocked.mkdir()
    monkeypatch.setenv("ASB_AUDIT", str(blocked))
    out = tmp_path / "unaudited"
    assert _export(demo_warehouse, out, "--table", "incidents", "--with-person-keys", "--key-file", key_file,
                   "--user", "olivia") == 2
    err = capsys.readouterr().err
    assert err.startswith("asb: error:") and "audit log" in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".unaudited*"))


def test__folder__non_empty_refused_empty_accepted_force_replaces(demo_warehouse, tmp_path, audit_file, capsys):
    out = tmp_path / "out"
    out.mkdir()
    assert _export(demo_warehouse, out, "--table", "authorities") == 0  # an empty folder is fine
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert _export(demo_warehouse, out, "--table", "mart_appeals") == 2
    assert "is not empty" in capsys.readouterr().err
    assert (out / "notes.txt").exists() and not (out / "mart_appeals").exists()
    # --force replaces an earlier export only: not one holding a file an export does not write
    assert _export(demo_warehouse, out, "--table", "mart_appeals", "--force") == 2
    assert "not an earlier export" in capsys.readouterr().err and (out / "notes.txt").exists()
    (out / "notes.txt").unlink()
    assert _export(demo_warehouse, out, "--table", "mart_appeals", "--force") == 0
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "data_dictionary.csv", "manifest.json",
                                                     "mart_appeals"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test__folder__under_a_file_is_one_error_line(demo_warehouse, tmp_path, audit_file, capsys):
    (tmp_path / "file").write_text("a file, not a folder", encoding="utf-8")
    assert _export(demo_warehouse, tmp_path / "file" / "out", "--table", "authorities") == 2
    err = capsys.readouterr().err
    assert "cannot make the folder" in err and len(err.strip().splitlines()) == 1, err


def test__folder__a_failed_export_leaves_nothing(demo_warehouse, tmp_path, audit_file, monkeypatch):
    def broken(*_):
        raise RuntimeError("disk full")

    monkeypatch.setattr(parquet, "_write_docs", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        parquet.export(demo_warehouse, tmp_path / "out", ("incidents",))
    assert not [p.name for p in tmp_path.iterdir() if p.name != "audit.sqlite"]


def test__tables__found_in_the_warehouse_unknown_refused(tmp_path, audit_file, capsys):
    """A mart added later (another branch's) is exported without a change here; an empty table is
    one file that keeps its columns; a table that is not there is refused."""
    warehouse = tmp_path / "small.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create table etl_builds (load_id varchar, built_at timestamp, as_of_date date, key_fingerprint varchar)")
    con.execute("create table mart_action_plans (authority_code varchar, plan_ref varchar, person_key varchar, "
                "actions integer)")
    con.execute("insert into mart_action_plans values ('E07000036', 'AP1', 'p_1', 3), (null, 'AP2', null, 1)")
    con.execute("create table mart_empty (authority_code varchar, n integer)")
    con.execute("create table incidents (incident_id varchar, authority_code varchar, reported_date date, "
                "person_key varchar)")
    con.close()
    out = tmp_path / "out"
    assert _export(warehouse, out) == 0
    assert {t["name"] for t in _manifest(out)["tables"]} == {"mart_action_plans", "mart_empty", "incidents"}
    check = duckdb.connect()
    assert check.execute(f"select plan_ref, authority_code, actions from read_parquet('{out}/mart_action_plans/**/*.parquet', "
                         "hive_partitioning = true) order by 1").fetchall() == [("AP1", "E07000036", 3), ("AP2", None, 1)]
    assert [r[0] for r in check.execute(f"describe select * from '{out}/mart_empty/data_0.parquet'").fetchall()] == \
        ["authority_code", "n"]
    assert _export(warehouse, tmp_path / "other", "--table", "mart_nothing") == 2
    assert "no table mart_nothing" in capsys.readouterr().err
