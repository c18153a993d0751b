"""The SQL files under etl/sql, by name: read as they are, never formatted.

Layers are folders (`published/`, `intermediate/`, `marts/`, plus `warehouse.sql`, the DDL);
a name is unique across them, so callers say `read("mart_appeals")`. Values reach the SQL as
DuckDB parameters (`$as_of`), never through Python string formatting.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def _paths() -> dict[str, str]:
    found: dict[str, str] = {}
    root = resources.files("etl") / "sql"

    def walk(folder, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.name.endswith(".sql"):
                name = entry.name[:-4]
                if name in found:
                    raise RuntimeError(f"two SQL files are called {name}.sql: {found[name]} and {prefix}")
                found[name] = f"{prefix}{entry.name}"

    walk(root, "")
    return found


def read(name: str) -> str:
    """The text of the SQL file `name` (without `.sql`), from whichever layer folder holds it."""
    path = _paths().get(name)
    if path is None:
        raise ValueError(f"no SQL file called {name}.sql under etl/sql")
    return (resources.files("etl") / "sql" / path).read_text(encoding="utf-8")


def literal(value) -> str:
    """A SQL string constant holding `value`'s text (quotes doubled), for the few values that are
    part of a statement's shape rather than a parameter: a declared date format, a value map."""
    return "'" + str(value).replace("'", "''") + "'"


def repeated_hashes(expr: str, relation: str) -> str:
    """A query of the 64-bit hashes of `expr` that occur more than once in `relation` (a repeated
    hash may be listed more than once). The hashes are sorted and each compared with the one before
    it: at ten million mostly unique keys, grouping by them built a ten-million-entry hash table on
    fresh memory (2.5-4 CPU seconds in a build), the sort about one."""
    return (f"select h from (select h, lag(h) over (order by h) as before "
            f"from (select hash({expr}) as h from {relation})) where h = before")
