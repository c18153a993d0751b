"""The one way a named query runs SQL, filters by authority and picks a mart's source.

- `run(con, sql, params)`: one statement, the parameters it names (DuckDB refuses others), a
  pandas DataFrame back.
- The authority filter is written one way in every query: `authority_code = any($codes)` (or
  `$person_codes` for person-level rows, see insight/access/roles.py); tests/unit/test_layout.py
  fails on any other form.
- `source(con, as_of, mart)`: the stored mart when `as_of` is the build's as-of date, else the
  mart's registered SQL (etl/marts/registry.py) evaluated for that date once per connection and
  kept in its scratch database (`memory` of insight.db.connect, else `temp`), so the several
  queries of a page that read it pay for it once; a mart that reads another (appeals, open
  stages and returns read mart_review_turnaround) reads that one's kept evaluation. At most
  `LIVE_TABLES` such evaluations are kept; the oldest-named beyond that are dropped. A mart with
  parameters other than the date (e.g. at_risk_days) is evaluated as a subquery each time, over
  the kept evaluations of the marts it reads. A mart's `live_params` (registry) are set for the
  kept evaluation: mart_threshold_status keeps only the rows the pages read (met, near-miss, hate
  near-miss; every query of insight/queries/threshold.py filters on them), so its complaints'
  lists are gathered for a third of the people at ten million incidents. Its kept evaluation leaves
  the complaints' lists out (`with_lists` false): `complete(con, as_of, mart, pick, params)` gives
  the rows a list shows whole, the stored mart on the build's date, else the mart's SQL evaluated
  for the picked people alone. A mart registered with
  `keep=False` (mart_second_reports: a projection of the stored int_second_reports) is read as a
  subquery each time, so each query's own filters (period, authorities) reach the stored table.
"""

from __future__ import annotations

import re
import time
from datetime import date

import duckdb
import pandas as pd

from etl.marts import registry
from insight import db

LIST_LIMIT = 5_000  # rows per person-level list; a page says when a list was cut
LIVE_TABLES = 24  # live mart evaluations kept per connection (two or three as-of dates of every page)
_LIVE_PREFIX = "live_"


def run(con, sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run `sql` with those of `params` it names as `$name`; a DataFrame."""
    return con.execute(sql, _named(sql, params)).df()


def _named(sql: str, params: dict | None) -> dict:
    """Those of `params` that `sql` names as `$name` (DuckDB refuses others)."""
    named = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    return {k: v for k, v in (params or {}).items() if k in named}


def source(con, as_of: date, mart: str, built: date | None = None) -> str:
    """The relation to read `mart` from as of `as_of`: its table when `as_of` is the build's
    as-of date (`built`, read from the warehouse when not given), else its SQL as a subquery
    that takes `$as_of` (and the mart's other parameters)."""
    if not registry.model(mart).live:
        raise ValueError(f"{mart} is stored for the build's as-of date only")
    if as_of == (built if built is not None else db.build_as_of(con)):
        return mart
    if not _kept(mart):
        return f"({registry.live_sql(mart, _made(con, mart, as_of))})"
    return _live_table(con, mart, as_of)


def complete(con, as_of: date, mart: str, pick: str, params: dict, built: date | None = None) -> tuple[str, dict]:
    """The relation holding `mart`'s complete rows (every column, the lists its kept evaluation
    leaves out) for the people a query shows, and the parameters it takes: on the build's as-of
    date the stored mart (every row is complete) and no parameter; else its SQL as a subquery for
    the items ('<authority_code>|<person_key>') that `pick` selects from the kept evaluation (a
    SELECT of one column over `{rows}`, run with `params`), so that a list of 5,000 people gathers
    5,000 people's complaints, not those of everyone near or at the threshold (issue 15)."""
    if as_of == (built if built is not None else db.build_as_of(con)):
        return mart, {}
    model = registry.model(mart)
    if "persons" not in model.params:
        raise ValueError(f"{mart} is not evaluated for some people")
    sql = pick.format(rows=source(con, as_of, mart, built))
    items = [r[0] for r in con.execute(sql, _named(sql, params)).fetchall()]
    values = registry.parameters(mart, registry.Context(as_of, params={**model.live_params, "with_lists": True,
                                                                       "persons": items}))
    return f"({registry.live_sql(mart)})", {k: v for k, v in values.items() if k != "as_of"}


def _made(con, mart: str, as_of: date) -> dict[str, str]:
    """The live tables of the marts `mart` reads (made now if need be), so that a mart read by
    several others (mart_review_turnaround: appeals, open stages, exceptions, returns) is evaluated
    once per date, not once per mart that reads it."""
    return {d: _live_table(con, d, as_of) for d in registry.dependencies(mart) if _kept(d)}


def _kept(mart: str) -> bool:
    """Whether a page keeps `mart`'s evaluation per date: not when the mart is registered with
    `keep=False`, nor when it takes parameters a page varies beyond the date (e.g. at_risk_days),
    since then it is evaluated each time. Its `live_params` are fixed, so they do not count."""
    model = registry.model(mart)
    return model.keep and not set(model.params) - {"as_of"} - set(model.live_params)


def _scratch(con) -> str:
    """Where live evaluations are kept: the connection's in-memory database when it has one (shared
    by the cursors of insight.db.connect), else the connection's temp catalogue."""
    has_memory = con.execute("select count(*) from duckdb_databases() where database_name = 'memory'").fetchone()[0]
    return "memory" if has_memory else "temp"


def _live_tables(con, scratch: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = $db and starts_with(table_name, $prefix) "
        "order by table_name", {"db": scratch, "prefix": _LIVE_PREFIX}).fetchall()]


def _live_table(con, mart: str, as_of: date) -> str:
    """`mart` evaluated as of `as_of`, made once per connection: the name of its table."""
    scratch = _scratch(con)
    name = f"{_LIVE_PREFIX}{as_of:%Y%m%d}_{mart}"
    qualified = f"{scratch}.main.{name}"
    kept = _live_tables(con, scratch)
    if name in kept:
        return qualified
    for attempt in range(3):
        try:
            kind = "temp table" if scratch == "temp" else "table"   # DuckDB: the temp catalogue takes temp tables only
            con.execute(f"create {kind} {qualified} as {registry.live_sql(mart, _made(con, mart, as_of))}",
                        registry.parameters(mart, registry.Context(as_of, params=registry.model(mart).live_params)))
            break
        except duckdb.Error:
            if name in _live_tables(con, scratch):  # another cursor made the same table first
                break
            if attempt == 2:
                raise
            time.sleep(0.2)  # its transaction may not have committed yet
    other_dates = [t for t in kept if not t.startswith(f"{_LIVE_PREFIX}{as_of:%Y%m%d}_")]
    for old in other_dates[:max(0, len(kept) + 1 - LIVE_TABLES)]:   # names sort oldest date first
        con.execute(f"drop table if exists {scratch}.main.{old}")
    return qualified
