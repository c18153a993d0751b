"""`asb export`: the warehouse for other tools and for the Secretary of State.

    asb export parquet --out DIR [--table NAME ...] [--with-person-keys --key-file FILE --user ID]
                       [--users FILE] [--warehouse FILE] [--force]
    asb export return --year 2025/26 --out DIR [--authority CODE ...] [--fields FILE]
                      [--suppress-below N] [--allow-incomplete-year] [--force] [--warehouse FILE]

`parquet` (insight/export/parquet.py) writes the marts and the incidents table as Hive-partitioned
Parquet with a data dictionary; `return` (insight/export/data_return.py) writes the yearly data
return per authority, small numbers suppressed, and the s.104 table as councils publish it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from etl import argtypes
from etl.rules import authorities
from insight import db
from insight.export.folder import FolderRefused


def _warehouse(args) -> Path | None:
    path = (args.warehouse or db.warehouse_path()).resolve()
    if not path.exists():
        print(f"asb: error: no warehouse at {path} (build one with `asb build` or `asb demo`)", file=sys.stderr)
        return None
    return path


def cmd_parquet(args) -> int:
    from insight.export import parquet

    warehouse = _warehouse(args)
    if warehouse is None:
        return 2
    try:
        viewer = None
        if args.with_person_keys:
            viewer = parquet.check_person_key_rights(warehouse, args.key_file, args.user, args.users)
        elif args.key_file or args.user:
            raise parquet.ExportRefused("--key-file and --user are for --with-person-keys only")
        result = parquet.export(warehouse, args.out, tuple(args.table or ()), args.with_person_keys, viewer,
                                args.force)
    except FolderRefused as exc:  # parquet.ExportRefused too
        print(f"asb: error: {exc}", file=sys.stderr)
        return 2
    except db.OLDER_BUILD_ERRORS as exc:
        print(f"asb: error: {db.older_build(warehouse, 'the export', exc)}", file=sys.stderr)
        return 2
    keys = "with person keys" if args.with_person_keys else "without person keys"
    print(f"exported {len(result.tables)} tables ({sum(result.rows.values()):,} rows, {keys}) -> {result.out} "
          f"(audit entry {result.audit_seq})")
    return 0


def cmd_return(args) -> int:
    from insight.export import data_return

    warehouse = _warehouse(args)
    if warehouse is None:
        return 2
    codes = tuple(sorted(set(args.authority), key=authorities.CODES.index)) if args.authority else authorities.CODES
    try:
        written = data_return.export(warehouse, args.out, args.year, codes, k=args.suppress_below,
                                     fields=args.fields, allow_incomplete=args.allow_incomplete_year,
                                     force=args.force)
    except (data_return.ReturnError, FolderRefused) as exc:
        print(f"asb: error: {exc}", file=sys.stderr)
        return 2
    except db.OLDER_BUILD_ERRORS as exc:
        print(f"asb: error: {db.older_build(warehouse, 'the return', exc)}", file=sys.stderr)
        return 2
    n = len(codes)
    print(f"data return {args.year} for {n} authorit{'y' if n == 1 else 'ies'}: {len(written)} files -> {args.out}")
    return 0


def add_parser(sub) -> None:
    """Add `asb export` (sub-commands `parquet` and `return`) to the `asb` command's sub-commands."""
    e = sub.add_parser("export", help="export the warehouse as Parquet, or the yearly data return",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = e.add_subparsers(dest="action", required=True)
    p = actions.add_parser("parquet", help="the marts and incidents as Hive-partitioned Parquet",
                           description=_doc("parquet"), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="the folder to write (new or empty)")
    p.add_argument("--table", nargs="+", action="extend", metavar="NAME", help="tables to export (default: every mart, incidents "
                   "and authorities)")
    p.add_argument("--with-person-keys", action="store_true",
                   help="keep person_key and other person columns (needs --key-file and --user)")
    p.add_argument("--key-file", type=Path, help="the pseudonymisation key file the warehouse was built with")
    p.add_argument("--user", help="your user id in the users file (an OPCC analyst)")
    p.add_argument("--users", type=Path, help="the users file (default: $ASB_USERS, else data/users.toml)")
    p.add_argument("--warehouse", type=Path, default=None,
                   help="the warehouse file (default: $ASB_WAREHOUSE, else data/warehouse.duckdb)")
    p.add_argument("--force", action="store_true", help="replace the folder if it is not empty")
    p.set_defaults(func=cmd_parquet)
    r = actions.add_parser("return", help="the yearly data return and the published s.104 table",
                           description=_doc("data_return"), formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--year", type=argtypes.financial_year, required=True, help="the financial year, e.g. 2025/26")
    r.add_argument("--out", type=Path, required=True, help="the folder to write (new or empty)")
    r.add_argument("--authority", type=argtypes.authority, nargs="+", action="extend", metavar="CODE",
                   help="authorities, GSS code or name (default: all nine)")
    r.add_argument("--warehouse", type=Path, default=None,
                   help="the warehouse file (default: $ASB_WAREHOUSE, else data/warehouse.duckdb)")
    r.add_argument("--fields", type=Path, default=None,
                   help="the field list (default: insight/export/return.toml)")
    r.add_argument("--suppress-below", type=argtypes.positive, default=None,
                   help="hide counts below this (default: insight/board_pack/report.toml, 5)")
    r.add_argument("--allow-incomplete-year", action="store_true",
                   help="write a year that had not ended on the warehouse's as-of date")
    r.add_argument("--force", action="store_true", help="replace the folder if it is not empty")
    r.set_defaults(func=cmd_return)


def _doc(module: str) -> str:
    import importlib

    return importlib.import_module(f"insight.export.{module}").__doc__ or ""
