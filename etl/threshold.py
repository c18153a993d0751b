"""The Community Trigger threshold engine: who has met or nearly met it, as of any date.

The rules live in settings/authorities.toml (`etl.settings`), stored in the warehouse as
`settings_rules`. The build materialises the engine's intermediate tables and its marts as of
the build's as-of date; the same SQL, given another date, answers the page's questions live.

- `int_complaints`: identified people's incidents with the rule in force when made.
- `int_threshold_timeline`: each person's qualifying count through time (crossings marked).
- `mart_threshold_status`: one row per person and authority with a qualifying complaint (contract).
- `mart_community_status`: community-route clusters (authorities that enable the route).
- `mart_threshold_history`: people near/at the threshold at each month end, and newly eligible.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from . import publish, settings

MARTS = ("mart_threshold_status", "mart_community_status")


def store_rules(con: duckdb.DuckDBPyConnection, rules: settings.Rules) -> None:
    """Write the dated rule versions as `settings_rules`."""
    con.register("_rules_frame", rules.table)
    con.execute("create or replace table settings_rules as select * from _rules_frame order by rule_id")
    con.unregister("_rules_frame")


def build_engine(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """Materialise the engine's tables and marts as of `as_of` (needs incidents, applications)."""
    con.execute("create or replace table int_complaints as " + publish.sql_file("int_complaints"))
    con.execute("create or replace table int_threshold_timeline as "
                + publish.sql_file("int_threshold_timeline"))
    for mart in (*MARTS, "mart_threshold_history"):
        con.execute(f"create or replace table {mart} as {publish.sql_file(mart)}", {"as_of": as_of})


def status(con: duckdb.DuckDBPyConnection, as_of: dt.date, mart: str = "mart_threshold_status"):
    """A threshold mart evaluated live as of any date (a DataFrame with the mart's columns)."""
    if mart not in MARTS:
        raise ValueError(f"unknown threshold mart {mart!r}")
    return con.execute(publish.sql_file(mart), {"as_of": as_of}).df()
