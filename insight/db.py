"""The one way to open the warehouse for reading: where it is, which build it holds, a connection.

No Streamlit here: the dashboard caches `connect` (insight/ui), the board pack's command, the
benchmarks and the tests call it directly. The build writes the warehouse with its own
connection (etl/build.py) and replaces the file atomically, so a reader opened here keeps
seeing one whole build.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from etl import DEFAULT_WAREHOUSE

WAREHOUSE_ENV = "ASB_WAREHOUSE"


def warehouse_path() -> Path:
    """The warehouse file: $ASB_WAREHOUSE, else ./data/warehouse.duckdb."""
    return Path(os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE).resolve()


def build_key(path: Path) -> tuple[str, int, int] | None:
    """Identify one build of the warehouse file (path, inode, mtime); None when it is missing."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return str(path), stat.st_ino, stat.st_mtime_ns


class WarehouseError(ValueError):
    """The warehouse file cannot be opened (not a DuckDB file, unreadable); names the file."""


def connect(path: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (default: `warehouse_path()`) read-only as database `wh` of a private
    in-memory DuckDB; a file DuckDB cannot open is a `WarehouseError` naming it."""
    # duckdb.connect(path) reuses any live instance opened on the same path, so after a build
    # replaced the file it would keep serving the old one; ATTACH opens the file anew.
    con = duckdb.connect(":memory:")
    path = path or warehouse_path()
    quoted = str(path).replace("'", "''")
    try:
        con.execute(f"attach '{quoted}' as wh (read_only)")
    except duckdb.IOException as exc:
        con.close()
        raise WarehouseError(f"{path} cannot be opened as a warehouse: {str(exc).splitlines()[0]} "
                             "(build one with `asb build` or `asb demo`)") from exc
    con.execute("use wh")
    return con


# what a warehouse an older version built lacks (a table, a column): `older_build` says so
OLDER_BUILD_ERRORS = (duckdb.CatalogException, duckdb.BinderException)


def older_build(warehouse: Path | str, needs: str, exc: Exception) -> str:
    """The one line a command prints when the warehouse lacks a table or column it reads
    (OLDER_BUILD_ERRORS): probably built by an older version, and the cure."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (f"the warehouse {warehouse} lacks a table or column {needs} needs; it was probably built by an "
            f"older version: rebuild it with `asb build` or `asb demo` ({first})")


def build_as_of(con) -> date | None:
    """The as-of date the stored marts were built for (the latest build's), or None."""
    row = con.execute("select as_of_date from etl_builds order by built_at desc limit 1").fetchall()
    return pd.Timestamp(row[0][0]).date() if row else None
