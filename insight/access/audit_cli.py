"""`asb audit`: check the audit log's chain, and export or check a checkpoint (insight/access/audit.py).

`asb audit checkpoint [--file AUDIT] [--out FILE]` writes the newest entry's number and hash with
the count and the time as JSON (to FILE, else to standard output): keep it somewhere the server
cannot write. `asb audit verify [--file AUDIT] [--checkpoint FILE]` checks the chain and, with a
checkpoint, that the log still reaches it (entries cut off the end are found there); exit 1 when
anything is wrong. The log is `--file`, else $ASB_AUDIT, else audit.sqlite beside the warehouse.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from insight import db
from insight.access import audit


def _path(args) -> Path:
    return (args.file or audit.audit_path(db.warehouse_path())).resolve()


def cmd_checkpoint(args) -> int:
    path = _path(args)
    if not path.exists():   # a mistyped path must not give a checkpoint of nothing that looks valid
        print(f"asb audit: error: no audit log at {path}: nothing has been logged there yet, or it was deleted",
              file=sys.stderr)
        return 1
    try:
        point = audit.checkpoint(path)
    except ValueError as exc:
        print(f"asb audit: error: {path}: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(point, indent=2) + "\n"
    if args.out:
        try:
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"asb audit: error: cannot write the checkpoint to {args.out}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
        print(f"checkpoint of {path}: {point['entries']} entries, newest {point['last_seq']}, written to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_verify(args) -> int:
    path = _path(args)
    if not path.exists():  # a deleted log must not pass: there is nothing to vouch for
        print(f"asb audit: no audit log at {path}: nothing has been logged there yet, or it was deleted",
              file=sys.stderr)
        return 1
    found = audit.verify(path)
    problems = [found.problem] if found.problem else []
    if found.broken is not None:
        problems.append(f"the hash chain breaks at entry {found.broken}: the file was edited outside the application")
    if args.checkpoint:
        try:
            point = json.loads(args.checkpoint.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            print(f"asb audit: the checkpoint {args.checkpoint} cannot be read: "
                  f"{getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
            return 1
        problems += [p for p in audit.verify_checkpoint(path, point) if p not in problems
                     and not p.startswith("the hash chain breaks")]
    for problem in problems:
        print(f"asb audit: {path}: {problem}", file=sys.stderr)
    if problems:
        return 1
    unkeyed = f" ({found.unkeyed} written before the chain was keyed)" if found.unkeyed else ""
    against = f", and it reaches the checkpoint {args.checkpoint}" if args.checkpoint else ""
    print(f"{path}: hash chain intact over {found.entries} entries{unkeyed}{against}")
    return 0


def add_parser(sub) -> None:
    """Register `asb audit checkpoint` and `asb audit verify` on the `asb` command's subparsers."""
    a = sub.add_parser("audit", help="check the audit log, export or check a checkpoint")
    commands = a.add_subparsers(dest="audit_command", required=True)
    c = commands.add_parser("checkpoint", help="write the newest entry's number and hash (JSON)")
    c.add_argument("--file", type=Path, help="the audit log (default: $ASB_AUDIT, else beside the warehouse)")
    c.add_argument("--out", type=Path, help="write the checkpoint here (default: standard output)")
    c.set_defaults(func=cmd_checkpoint)
    v = commands.add_parser("verify", help="check the chain, and that the log reaches a checkpoint")
    v.add_argument("--file", type=Path, help="the audit log (default: $ASB_AUDIT, else beside the warehouse)")
    v.add_argument("--checkpoint", type=Path, help="a checkpoint written earlier by `asb audit checkpoint`")
    v.set_defaults(func=cmd_verify)
