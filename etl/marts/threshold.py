"""The Community Trigger threshold engine: who has met or nearly met it, as of any date.

The rules live in etl/rules/authorities.toml (`etl.rules.settings`), stored in the warehouse as
`settings_rules` (`store_rules`). The models below are registered in etl/marts/registry.py,
which materialises them as of the build's as-of date and evaluates the same SQL live for
another date.

- `int_complaints` (a view): identified people's incidents with the rule in force when made.
- `int_threshold_timeline`: the spells in which a person was at or one short of the threshold.
- `mart_threshold_status`: one row per person and authority with a qualifying complaint (contract).
- `mart_community_status`: community-route clusters (authorities that enable the route).
- `mart_threshold_history`: people near/at the threshold at each month end, and newly eligible.
"""

from __future__ import annotations

import duckdb

from etl.rules import settings


def store_rules(con: duckdb.DuckDBPyConnection, rules: settings.Rules) -> None:
    """Write the dated rule versions as `settings_rules`."""
    con.register("_rules_frame", rules.table)
    con.execute("create or replace table settings_rules as select * from _rules_frame order by rule_id")
    con.unregister("_rules_frame")
