"""What every exported column means, read from the one place the warehouse declares it.

The warehouse's tables are declared in etl/sql/warehouse.sql with a comment beside each column
(DESIGN.md: every column declared once). The exports (`asb export parquet`, `asb export return`)
write those words into their data dictionaries rather than a second copy that would drift: a
column's description is its comment in warehouse.sql, else the comment of the same column in
another table there (`authority_code`), else the canonical input column of that name
(etl/schema.py INPUTS), else empty (tests/warehouse/test_export_parquet.py fails on an empty one).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from etl import schema

WAREHOUSE_SQL = Path(__file__).resolve().parents[2] / "etl" / "sql" / "warehouse.sql"
_TABLE = re.compile(r"^\s*create\s+table\s+(\w+)\s*\(\s*(?:--\s*(.*))?$", re.IGNORECASE)
_NOT_COLUMNS = {"primary", "foreign", "unique", "check", "constraint"}
# Exported columns that the warehouse does not hold (derived by the export itself).
DERIVED = {"month": "Month of reported_date as text YYYY-MM (added by the export; a partition column)"}


@functools.cache
def _declared() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """({table: {column: description}}, {table: the table's own comment})."""
    columns: dict[str, dict[str, str]] = {}
    tables: dict[str, str] = {}
    table, last = None, None
    for line in WAREHOUSE_SQL.read_text(encoding="utf-8").splitlines():
        start = _TABLE.match(line)
        if start:
            table, last = start.group(1).lower(), None
            columns[table], tables[table] = {}, (start.group(2) or "").strip()
            continue
        if table is None:
            continue
        if line.strip().startswith(")"):
            table = None
            continue
        code, _, comment = line.partition("--")
        comment = comment.strip()
        names = [p.split()[0].lower() for p in code.split(",") if p.strip() and not p.strip().startswith("(")]
        names = [n for n in names if n not in _NOT_COLUMNS and re.fullmatch(r"\w+", n)]
        if not names and comment and last:  # a comment continued on the next line
            columns[table][last] = f"{columns[table][last]} {comment}".strip()
            continue
        for name in names:
            columns[table][name] = comment
        last = names[-1] if names else last
    return columns, tables


def table_description(table: str) -> str:
    """The comment that opens the table's declaration in warehouse.sql ('' when none), without the
    'contract:' mark that tells the project's developers the table is relied on."""
    return re.sub(r"^contract:\s*", "", _declared()[1].get(table, ""))


def column_description(table: str, column: str) -> str:
    """A column's meaning (see the module docstring for where it comes from)."""
    columns, _ = _declared()
    own = columns.get(table, {}).get(column)
    if own:
        return own
    if column in DERIVED:
        return DERIVED[column]
    for other in columns.values():
        if other.get(column):
            return other[column]
    for fields in schema.INPUTS.values():
        for field in fields:
            if field.name == column:
                return field.description
    return ""
