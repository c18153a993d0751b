"""A kind no source sends is staged as an empty table with staging's own columns and types
(`extract.empty_staged`). Binding staging's SQL over an empty table took 0.1-0.5 s a kind, most of a
small build's fixed cost (issue 15: a build of a few thousand rows in under 3 s; every test build
paid it too): the columns are now kept per version of that SQL, in the process and in the build's
cache (etl/cache.py), and an entry that is not columns and types is made again, never run."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from etl import cache
from etl.sources import extract
from etl.sources.config import Source
from etl.transform import stage

KINDS = ("incidents", "police_uk", "applications", "appeals", "actions")


def _described(con, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe {table}").fetchall()]


def _from_sql(kind: str) -> list[tuple[str, str]]:
    """Staging's SQL itself over an empty raw table: the columns every staged table must have."""
    con = duckdb.connect()
    stage.maps(con)
    extract.empty_raw(con, "_raw", kind)
    sql = stage.stage_sql(kind, ["_raw"], {"_raw": Source("none", kind, "")}, dt.date(2026, 3, 31))
    return [(r[0], r[1]) for r in con.execute(f"describe {sql}").fetchall()]


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ASB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(extract, "_STAGED_COLUMNS", {})
    return tmp_path / "cache"


@pytest.mark.parametrize("kind", KINDS)
def test__empty_staged__has_staging_s_columns_and_types_cold_and_warm(own_cache, kind, monkeypatch):
    expected = _from_sql(kind)
    for _ in range(2):   # made, then from the process's memory
        con = duckdb.connect()
        stage.maps(con)
        extract.empty_staged(con, kind, dt.date(2025, 1, 31))
        assert _described(con, f"stg_{kind}") == expected
        assert con.execute(f"select count(*) from stg_{kind}").fetchall() == [(0,)]
    monkeypatch.setattr(extract, "_STAGED_COLUMNS", {})   # another process: from the cache folder
    con = duckdb.connect()
    extract.empty_staged(con, kind, dt.date(2026, 7, 1))
    assert _described(con, f"stg_{kind}") == expected


def test__empty_staged__a_cache_entry_that_is_no_columns_is_made_again(own_cache, monkeypatch):
    con = duckdb.connect()
    stage.maps(con)
    extract.empty_staged(con, "appeals", dt.date(2025, 1, 31))
    [entry] = [p for p in own_cache.iterdir() if p.name.startswith("staged-columns-")]
    columns = json.loads(entry.read_text())
    bad = [[columns[0][0], "VARCHAR); create table pwned (x int); --"], *columns[1:]]
    for text in (json.dumps(bad), "not json", json.dumps({"a": 1}), json.dumps([["x y", "VARCHAR"]])):
        entry.write_text(text)
        monkeypatch.setattr(extract, "_STAGED_COLUMNS", {})
        con = duckdb.connect()
        stage.maps(con)
        extract.empty_staged(con, "appeals", dt.date(2025, 1, 31))
        assert _described(con, "stg_appeals") == _from_sql("appeals")
        assert not con.execute("select count(*) from duckdb_tables() where table_name = 'pwned'").fetchall()[0][0]
        assert json.loads(entry.read_text()) == columns   # made again whole


class _Recorder:
    """A connection that passes every statement on to DuckDB and keeps its text."""

    def __init__(self, con):
        self.con, self.statements = con, []

    def execute(self, sql, *args):
        self.statements.append(sql)
        return self.con.execute(sql, *args)


def test__empty_staged__binds_no_staging_sql_once_its_columns_are_known(own_cache, monkeypatch):
    """The point of keeping the columns: once known (in the process, or in the cache folder for a
    new process) no statement of staging's SQL (`describe` of it, or `create ... as` it) is run."""
    con = duckdb.connect()
    stage.maps(con)
    first = _Recorder(con)
    extract.empty_staged(first, "applications", dt.date(2025, 1, 31))
    assert any(sql.startswith("describe") for sql in first.statements)   # made once
    for fresh_process in (False, True):
        if fresh_process:
            monkeypatch.setattr(extract, "_STAGED_COLUMNS", {})
        con.execute("drop table stg_applications")
        again = _Recorder(con)
        extract.empty_staged(again, "applications", dt.date(2026, 2, 28))
        assert not [sql for sql in again.statements if "regexp" in sql or sql.startswith("describe")], again.statements
        assert _described(con, "stg_applications") == _from_sql("applications")
    assert cache.cache_dir() == own_cache
