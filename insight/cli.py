"""The `asb` command: the write side's `build`, `check` and `demo` (etl/cli.py) and the read side's
`report` (the board pack, insight/board_pack/cli.py), `users` (insight/access/users_cli.py), `audit`
(insight/access/audit_cli.py),
`returns freeze` (statutory returns as published, insight/returns_cli.py) and `export` (Parquet and
the yearly data return, insight/export/).

A write-side command imports only the write side: the read side's modules (sign-in, audit, the
board pack, exports) are imported for their own commands and for `asb --help`, which lists them
all, so they cost a build nothing (issue 15: a small build in under 3 s, imports included)."""

from __future__ import annotations

import argparse
import importlib
import sys

from etl import cli as etl_cli

# The read side's commands and the module that adds each one's parser (`add_parser(sub)`).
READ_SIDE = (("users", "insight.access.users_cli"), ("audit", "insight.access.audit_cli"),
             ("report", "insight.board_pack.cli"), ("returns", "insight.returns_cli"),
             ("export", "insight.export"))
WRITE_SIDE = ("build", "check", "demo")


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `asb` parser: every command, or only the write side's when `command` is one of them."""
    p = argparse.ArgumentParser(prog="asb", description="ASB and Community Trigger analytics for the "
                                "Derbyshire partnership: build the warehouse, make the board pack, manage users.")
    sub = p.add_subparsers(dest="command", required=True)
    etl_cli.add_commands(sub)
    if command not in WRITE_SIDE:
        for _, module in READ_SIDE:
            importlib.import_module(module).add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(argv[0] if argv else None).parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:   # `asb check --json | head`
        return etl_cli.broken_pipe()
    except etl_cli.ERRORS as exc:
        print(f"asb: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, RuntimeError) as exc:
        if not _read_side_refusal(exc):
            raise
        print(f"asb: error: {exc}", file=sys.stderr)
        return 2


# The read side's refusals, by module and class: imported only by the read side's commands, so
# looked up rather than imported (the write side's commands must not load them).
_READ_SIDE_ERRORS = (("insight.db", "WarehouseError"),           # a file that cannot be opened as a warehouse
                     ("insight.access.audit", "AuditUnavailable"))  # an audit log that cannot be written


def _read_side_refusal(exc: Exception) -> bool:
    return any(isinstance(exc, getattr(sys.modules[m], name)) for m, name in _READ_SIDE_ERRORS if m in sys.modules)

if __name__ == "__main__":
    sys.exit(main())
