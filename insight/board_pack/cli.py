"""`asb report`: the monthly board pack from the command line (the same code as the page).

    asb report --month 2026-10 --out pack.pptx [--pdf] [--authority CODE ...] [--warehouse FILE]
               [--commentary-file notes.txt] [--suppress-below 5]

The PDF, when asked for, is written beside the pptx with the same name and `.pdf`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from etl import argtypes
from etl.rules import authorities
from insight import db


def _month(text: str) -> str:
    from insight.board_pack.data import Month

    try:
        return Month.parse(text).key
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _replace(files: dict[Path, bytes]) -> None:
    """Write each file's bytes to a new file beside it, and once all are written move each over
    its name (atomic on one filesystem): a failure replaces none of them."""
    temps = {path: path.with_name(f".{path.name}.tmp") for path in files}
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temps[path].write_bytes(data)
        for path, tmp in temps.items():
            os.replace(tmp, path)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)


def cmd_report(args) -> int:
    from insight.board_pack import map_slide as report_map
    from insight.board_pack import pack as report

    args.warehouse = args.warehouse or db.warehouse_path()
    if not args.warehouse.exists():
        print(f"asb: error: no warehouse at {args.warehouse} (build one with `asb build` or `asb demo`)",
              file=sys.stderr)
        return 2
    if args.out.is_dir():
        print(f"asb: error: --out {args.out} is a folder: give the file to write, e.g. {args.out / 'pack.pptx'}",
              file=sys.stderr)
        return 2
    if args.pdf and args.out.with_suffix(".pdf").is_dir():
        print(f"asb: error: {args.out.with_suffix('.pdf')} is a folder: the PDF is written beside the pptx "
              "under its name, so move the folder or name the pack otherwise", file=sys.stderr)
        return 2
    if args.out.suffix.lower() != ".pptx":  # a PowerPoint file under another name opens nowhere
        print(f"asb: error: --out {args.out}: the board pack is a PowerPoint file: name it with .pptx "
              f"(e.g. {args.out.with_suffix('.pptx')}; --pdf writes the PDF beside it)", file=sys.stderr)
        return 2
    codes = tuple(sorted(set(args.authority), key=authorities.CODES.index)) if args.authority else authorities.CODES
    try:
        commentary = args.commentary_file.read_text(encoding="utf-8-sig") if args.commentary_file else ""
    except (OSError, UnicodeDecodeError) as exc:
        why = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror or str(exc)
        print(f"asb: error: the commentary file {args.commentary_file} cannot be read: {why}", file=sys.stderr)
        return 2
    try:
        with report_map.chromium_started():
            pack = report.make_pack(args.warehouse, args.month, codes, commentary, pdf=args.pdf,
                                    suppress_below=args.suppress_below)
    except report.ReportError as exc:
        print(f"asb: error: {exc}", file=sys.stderr)
        return 2
    files = {args.out: pack.pptx, **({args.out.with_suffix(".pdf"): pack.pdf} if pack.pdf is not None else {})}
    try:   # each file written beside its name, then all moved over them: a reader never opens half a pack
        _replace(files)
    except OSError as exc:
        print(f"asb: error: cannot write {exc.filename or args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for problem in pack.problems:
        print(f"asb: warning: {problem}", file=sys.stderr)
    print(f"board pack for {pack.month.label}, {len(codes)} authorit{'y' if len(codes) == 1 else 'ies'}: "
          f"{len(pack.titles)} slides -> {' and '.join(map(str, files))} in {pack.seconds:.1f}s")
    return 0


def add_parser(sub) -> None:
    """Add `asb report` to the `asb` command's sub-commands."""
    r = sub.add_parser("report", help="make the monthly board pack (pptx, optionally PDF)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("--month", type=_month, required=True, help="the month, YYYY-MM")
    r.add_argument("--out", type=Path, required=True, help="the .pptx file to write")
    r.add_argument("--pdf", action="store_true", help="also write the PDF (LibreOffice) beside it")
    r.add_argument("--authority", type=argtypes.authority, nargs="+", action="extend", metavar="CODE",
                   help="authorities to include, GSS code or name (default: all nine)")
    r.add_argument("--warehouse", type=Path, default=None,
                   help="the warehouse file (default: $ASB_WAREHOUSE, else data/warehouse.duckdb)")
    r.add_argument("--commentary-file", type=Path, help="text for the commentary slide")
    r.add_argument("--suppress-below", type=argtypes.positive, default=None,
                   help="show counts of people below this as '<N' (default: insight/board_pack/report.toml, 5)")
    r.set_defaults(func=cmd_report)
