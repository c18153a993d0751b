"""The write side: partner files in, one validated DuckDB warehouse out (extract, stage, geocode,
pseudonymise, de-duplicate, publish, marts). The read side is the `insight` package."""

from pathlib import Path

__version__ = "0.1.0"

# Where `asb build` and `asb demo` write, and the dashboard and `asb report` read, unless told otherwise.
DEFAULT_WAREHOUSE = Path("data") / "warehouse.duckdb"
