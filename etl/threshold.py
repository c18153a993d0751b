"""The Community Trigger threshold engine: who has met or nearly met it, as of any date.

The rules live in settings/authorities.toml (`etl.settings`), stored in the warehouse as
`settings_rules`. The build materialises the engine's intermediate tables and its marts as of
the build's as-of date; the same SQL, given another date, answers the page's questions live.

- `int_complaints` (a view): identified people's incidents with the rule in force when made.
- `int_threshold_timeline`: the spells in which a person was at or one short of the threshold.
- `mart_threshold_status`: one row per person and authority with a qualifying complaint (contract).
- `mart_community_status`: community-route clusters (authorities that enable the route).
- `mart_threshold_history`: people near/at the threshold at each month end, and newly eligible.
"""

from __future__ import annotations

import datetime as dt
import time

import duckdb

from . import publish, settings

MARTS = ("mart_threshold_status", "mart_community_status")


def store_rules(con: duckdb.DuckDBPyConnection, rules: settings.Rules) -> None:
    """Write the dated rule versions as `settings_rules`."""
    con.register("_rules_frame", rules.table)
    con.execute("create or replace table settings_rules as select * from _rules_frame order by rule_id")
    con.unregister("_rules_frame")


def build_engine(con: duckdb.DuckDBPyConnection, as_of: dt.date, timings: list | None = None) -> None:
    """Materialise the engine's tables and marts as of `as_of` (needs incidents, applications).

    `timings`, if given, receives (step, seconds) per step, for the benchmark.
    """
    steps = [("int_complaints", "create or replace view int_complaints as {sql}", None),
             ("int_threshold_timeline", "create or replace table int_threshold_timeline as {sql}", None)]
    steps += [(mart, f"create or replace table {mart} as {{sql}}", {"as_of": as_of})
              for mart in (*MARTS, "mart_threshold_history")]
    for name, statement, params in steps:
        started = time.perf_counter()
        con.execute(statement.format(sql=publish.sql_file(name)), params)
        if timings is not None:
            timings.append((name, time.perf_counter() - started))


def status(con: duckdb.DuckDBPyConnection, as_of: dt.date, mart: str = "mart_threshold_status"):
    """A threshold mart evaluated live as of any date (a DataFrame with the mart's columns)."""
    if mart not in MARTS:
        raise ValueError(f"unknown threshold mart {mart!r}")
    return con.execute(publish.sql_file(mart), {"as_of": as_of}).df()
