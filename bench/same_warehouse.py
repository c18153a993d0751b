"""Check that two warehouses built from the same inputs hold the same data: every table, row for row.

    .venv/bin/python bench/same_warehouse.py OLD.duckdb NEW.duckdb

For a speed change to the build (issue 15): build the same inputs with the code before and after,
then run this. Every table of either file must be in both with the same columns and types, and
hold the same multiset of rows (`except all` both ways, so a duplicated row counts). Only the
columns that record the build itself are left out: `etl_builds.built_at` and `build_seconds`.
Prints one line per table; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

BUILD_ONLY = {("etl_builds", "built_at"), ("etl_builds", "build_seconds")}
# A police group's number (`gid`) is a surrogate key numbered in parallel, so it differs between two
# builds of the same inputs: groups are compared without it and copies by their group's stem and file.
SURROGATE = {
    "police_incident_groups": "select * exclude (gid) from {db}.police_incident_groups",
    "police_incident_copies": "select g.incident_stem, g.source_file, c.k, c.source_row "
                              "from {db}.police_incident_copies c join {db}.police_incident_groups g using (gid)",
}


def _columns(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute("""select table_name, column_name, data_type from information_schema.columns
        where table_catalog = ? and table_schema = 'main' order by table_name, ordinal_position""", [catalog]).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def compare(old: str, new: str) -> list[str]:
    """One line per table ("same" or what differs); lines of differences start with "DIFF"."""
    con = duckdb.connect()
    con.execute(f"attach '{old}' as old (read_only)")
    con.execute(f"attach '{new}' as new (read_only)")
    before, after = _columns(con, "old"), _columns(con, "new")
    lines = []
    for table in sorted(before.keys() | after.keys()):
        if before.get(table) != after.get(table):
            lines.append(f"DIFF {table}: columns {before.get(table)} != {after.get(table)}")
            continue
        cols = ", ".join(f'"{c}"' for c, _ in before[table] if (table, c) not in BUILD_ONLY)
        rows = con.execute(f'select count(*) from old."{table}"').fetchall()[0][0]
        query = SURROGATE.get(table, f'select {cols} from {{db}}."{table}"')
        gone, came = (con.execute(f"select count(*) from ({query.format(db=a)} except all "
                                  f"{query.format(db=b)})").fetchall()[0][0]
                      for a, b in (("old", "new"), ("new", "old")))
        lines.append(f"{'DIFF ' if gone or came else ''}{table}: {rows:,} rows"
                     + (f", {gone:,} only in old, {came:,} only in new" if gone or came else ", same"))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    args = ap.parse_args()
    lines = compare(args.old, args.new)
    print("\n".join(lines))
    sys.exit(1 if any(line.startswith("DIFF") for line in lines) else 0)


if __name__ == "__main__":
    main()
