"""The `asb` command: the write side's `build`, `check` and `demo` (etl/cli.py) and the read side's
`report` (the board pack, insight/board_pack/cli.py), `users` (insight/access/users_cli.py), `audit`
(insight/access/audit_cli.py),
`returns freeze` (statutory returns as published, insight/returns_cli.py) and `export` (Parquet and
the yearly data return, insight/export/)."""

from __future__ import annotations

import argparse
import sys

from etl import cli as etl_cli
from insight import export as export_cli
from insight import returns_cli
from insight.access import audit_cli, users_cli
from insight.board_pack import cli as report_cli


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asb", description="ASB and Community Trigger analytics for the "
                                "Derbyshire partnership: build the warehouse, make the board pack, manage users.")
    sub = p.add_subparsers(dest="command", required=True)
    etl_cli.add_commands(sub)
    users_cli.add_parser(sub)
    audit_cli.add_parser(sub)
    report_cli.add_parser(sub)
    returns_cli.add_parser(sub)
    export_cli.add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except etl_cli.ERRORS as exc:
        print(f"asb: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
