"""The write side's commands: `asb build` (inputs folder -> warehouse), `asb check` (what a build
would make of each input file, before loading; writes nothing) and `asb demo` (synthetic inputs,
built). The `asb` command itself (insight/cli.py) adds the read side's `asb report`, `asb users`
and `asb returns freeze` to these; `python -m etl.cli` runs the write side alone."""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import gc
import importlib
import json
import os
import signal
import sys
import threading
from pathlib import Path

from etl import DEFAULT_WAREHOUSE, argtypes
from etl import build as build_mod
from etl.progress import Progress, peak_rss_mib
from etl.rules import settings
from etl.sources import config, readers
from etl.transform import pseudonym

DEFAULT_DEMO_INPUTS = Path("data/demo_inputs")


def _summary(result: build_mod.BuildResult) -> str:
    c = result.counts
    as_of = f"{result.as_of}, the latest data date" if result.as_of_is_latest_data else str(result.as_of)
    notes = "".join(f"\n{'warning' if n.startswith(build_mod.STATUTE_WARNING) else 'note'}: {n}"
                    for n in result.notes)
    return (f"warehouse {result.warehouse} built in {result.seconds:.1f}s (as of {as_of}, "
            f"load {result.load_id}): {c['incidents']:,} incidents from {c['reports']:,} reports, "
            f"{c['applications']:,} applications, {c['appeals']:,} appeals, {c['actions']:,} actions, "
            f"{c['rejects']:,} rejected rows{_reasons(result.reject_reasons)}"
            f"{notes}")


def _reasons(reasons: dict[str, int], most: int = 4) -> str:
    """' (3 malformed_row, 2 bad_date; etl_rejects and the Data quality page list them)' after the
    count of rejected rows: what to look for, not only how many."""
    if not reasons:
        return ""
    shown = ", ".join(f"{n:,} {code}" for code, n in list(reasons.items())[:most])
    more = f" and {len(reasons) - most} more reasons" if len(reasons) > most else ""
    return f" ({shown}{more}; etl_rejects and the Data quality page list them)"


def _exit_without_freeing() -> None:
    """At the end of a build or demo command, let the process end without Python collecting its
    last objects one by one: the garbage collector's last passes over pandas, NumPy and GeoPandas
    took 0.2-0.3 s of every `asb build` (issue 15). Frozen objects are left to the operating system;
    nothing of the build depends on them being freed (the warehouse connection is closed and the
    file replaced before the command returns), and the ordinary exit (atexit, flushing) still runs."""
    atexit.unregister(gc.freeze)  # once, however many commands one process runs (the tests)
    atexit.register(gc.freeze)


def _import_in_background(*modules: str) -> None:
    """Import modules the build needs only at a later stage (scipy.special for Gi*, 0.2-0.4 s) in a
    thread, while the build reads and stages the files in DuckDB, which releases the GIL. A module
    that fails to import here fails again, with its error, where the build imports it."""
    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - reported by the build's own import
                return

    threading.Thread(target=run, name="asb-imports", daemon=True).start()


def cmd_build(args) -> int:
    _exit_without_freeing()
    _import_in_background("scipy.special")
    progress = Progress(enabled=Progress().enabled and not args.quiet)
    result = build_mod.build(args.inputs, args.warehouse, args.as_of, progress)
    print(_summary(result))
    if args.stats:
        print(stage_table(result.stages, result.seconds))
        if args.stats != "-":
            Path(args.stats).write_text(json.dumps({"seconds": result.seconds, "counts": result.counts,
                                                    "stages": result.stages, "peak_rss_mib": peak_rss_mib()},
                                                   indent=1))
    return 0


def stage_table(stages: list[dict], seconds: float) -> str:
    """The build's stages as a Markdown table: seconds, share of the build, CPU seconds (every
    thread: on two cores up to twice the seconds), rows handled and rows a second where a stage
    counts rows, and the process's peak memory when the stage ended."""
    lines = ["| stage | seconds | share | CPU seconds | rows | rows/s | peak memory |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for s in stages:
        rows = f"{s['rows']:,}" if s["rows"] else ""
        rate = f"{s['rows'] / s['seconds']:,.0f}" if s["rows"] and s["seconds"] else ""
        cpu = f"{s['cpu_seconds']:.1f}" if "cpu_seconds" in s else ""
        lines.append(f"| {s['stage']} | {s['seconds']:.2f} | {s['seconds'] / seconds:.0%} | {cpu} | {rows} | {rate} "
                     f"| {s['peak_rss_mib']:,.0f} MiB |")
    total = sum(s.get("cpu_seconds", 0) for s in stages)
    lines.append(f"| **whole build** | **{seconds:.2f}** | | {total:.1f} | | | {peak_rss_mib():,.0f} MiB |")
    return "\n".join(lines)


def cmd_check(args) -> int:
    from etl.sources import check

    cfg = config.load(args.inputs)
    build_mod.preflight(cfg)  # the rules and published-returns files, as the build checks them
    reports = check.check(args.inputs, args.source, cfg)
    if args.json:
        print(json.dumps(reports, indent=1, ensure_ascii=False))
    else:
        print(check.render(reports))
    return check.exit_code(reports)


def cmd_demo(args) -> int:
    from etl.demo import generator as demo

    _exit_without_freeing()
    progress = Progress(enabled=Progress().enabled and not args.quiet)
    progress.say(f"writing demo inputs to {args.out} (seed {args.seed}, scale {args.scale})")
    summary = demo.generate(args.out, seed=args.seed, scale=args.scale, as_of=args.as_of)
    pseudonym.generate_key_file(args.out / "secrets" / "pseudonym.key")
    result = build_mod.build(args.out, args.warehouse, summary.as_of, progress)
    print(_summary(result))
    return 0


ERRORS = (config.ConfigError, readers.ReadError, pseudonym.KeyError_, build_mod.BuildError,
          settings.SettingsError)  # ReturnsFileError is a ConfigError


def add_commands(sub) -> None:
    """Add `build`, `check` and `demo` to an argparse subparsers object."""
    b = sub.add_parser("build", help="build the warehouse from an inputs folder with sources.toml")
    b.add_argument("--inputs", type=Path, required=True, help="folder holding sources.toml")
    b.add_argument("--warehouse", type=argtypes.file_to_write, default=DEFAULT_WAREHOUSE,
                   help="DuckDB file to (re)place")
    b.add_argument("--as-of", type=argtypes.as_of, default=None,
                   help="evaluation date (default: the latest date the incident data covers)")
    b.add_argument("--quiet", action="store_true", help="no progress lines")
    b.add_argument("--stats", nargs="?", const="-", metavar="FILE",
                   help="print each stage's time, rows and peak memory as a table; with FILE, also write "
                        "them there as JSON (benchmarks)")
    b.set_defaults(func=cmd_build)
    c = sub.add_parser("check", help="before a build: how each input file would be read, what would be rejected "
                                     "and what to change in sources.toml (writes nothing)",
                       description="Read every file of every declared source (or of one) as the build would, "
                                   "and report its header, column mapping, sample values, the rows staging would "
                                   "reject and sources.toml lines to paste. Exit 0 when every file would load "
                                   "without a file-level problem, 1 otherwise.")
    c.add_argument("--inputs", type=Path, required=True, help="folder holding sources.toml")
    c.add_argument("--source", help="check only this source (its slug)")
    c.add_argument("--json", action="store_true", help="print the report as JSON (a list of per-file reports)")
    c.set_defaults(func=cmd_check)
    d = sub.add_parser("demo", help="generate realistic synthetic partner exports and build them")
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--scale", type=argtypes.scale, default=1.0, help="1 = Derbyshire-sized; 55 ~ 10M incidents")
    d.add_argument("--out", type=argtypes.folder_to_write, default=DEFAULT_DEMO_INPUTS,
                   help="where the inputs are written")
    d.add_argument("--warehouse", type=argtypes.file_to_write, default=DEFAULT_WAREHOUSE)
    d.add_argument("--as-of", type=argtypes.demo_as_of, default=dt.date(2026, 10, 31), help="last day of the demo data")
    d.add_argument("--quiet", action="store_true")
    d.set_defaults(func=cmd_demo)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asb", description=__doc__)
    add_commands(p.add_subparsers(dest="command", required=True))
    return p


_STOPPED: list[int] = []   # the signal that stopped the command


def _stopped(signum, frame) -> None:
    """SIGINT (Ctrl-C) or SIGTERM (a service stopped, a shell's `kill`): unwound as Ctrl-C is, so
    a build deletes its temporary files (etl/build.py), and said in one line by `main`. DuckDB may
    turn the interrupt of a running query into its own error: the signal noted here says why."""
    _STOPPED.append(signum)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code. An error is one line (2); Ctrl-C or SIGTERM is one line
    too, with the usual 128 + the signal's number, a build leaving the previous warehouse as it was."""
    args = parser().parse_args(argv)
    _STOPPED.clear()
    handled = (signal.SIGINT, signal.SIGTERM) if threading.current_thread() is threading.main_thread() else ()
    previous = {sig: signal.signal(sig, _stopped) for sig in handled}
    try:
        return args.func(args)
    except BrokenPipeError:
        return broken_pipe()
    except ERRORS as exc:
        if not _STOPPED:
            print(f"asb: error: {exc}", file=sys.stderr)
            return 2
        return _say_stopped(args)
    except BaseException:
        if not _STOPPED:
            raise
        return _say_stopped(args)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def broken_pipe() -> int:
    """A reader that stopped early (`asb check --json | head`): no traceback, the exit code of a
    command killed by SIGPIPE (128 + 13); standard output goes nowhere, so that Python's flush of
    it at exit fails no more."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE


def _say_stopped(args) -> int:
    kept = " the warehouse was not replaced (the previous one is kept)" if args.command in ("build", "demo") else ""
    print(f"asb: stopped:{kept}" if kept else "asb: stopped", file=sys.stderr)
    return 128 + _STOPPED[0]


if __name__ == "__main__":
    sys.exit(main())
