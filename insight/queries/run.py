"""The one way a named query runs SQL, filters by authority and picks a mart's source.

- `run(con, sql, params)`: one statement, the parameters it names (DuckDB refuses others), a
  pandas DataFrame back.
- The authority filter is written one way in every query: `authority_code = any($codes)` (or
  `$person_codes` for person-level rows, see insight/access/roles.py); tests/unit/test_layout.py
  fails on any other form.
- `source(con, as_of, mart)`: the stored mart when `as_of` is the build's as-of date, else the
  mart's registered SQL (etl/marts/registry.py) as a subquery evaluated for `$as_of`.
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from etl.marts import registry
from insight import db

LIST_LIMIT = 5_000  # rows per person-level list; a page says when a list was cut


def run(con, sql: str, params: dict | None = None) -> pd.DataFrame:
    """Run `sql` with those of `params` it names as `$name`; a DataFrame."""
    named = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    return con.execute(sql, {k: v for k, v in (params or {}).items() if k in named}).df()


def source(con, as_of: date, mart: str, built: date | None = None) -> str:
    """The relation to read `mart` from as of `as_of`: its table when `as_of` is the build's
    as-of date (`built`, read from the warehouse when not given), else its SQL as a subquery
    that takes `$as_of` (and the mart's other parameters)."""
    if not registry.model(mart).live:
        raise ValueError(f"{mart} is stored for the build's as-of date only")
    if as_of == (built if built is not None else db.build_as_of(con)):
        return mart
    return f"({registry.live_sql(mart)})"
