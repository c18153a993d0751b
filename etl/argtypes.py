"""Argument types shared by the `asb` command's sub-commands (argparse `type=`): each turns the text
given into a value or refuses it with a message in words, so every command reads dates, years,
authorities and counts the same way."""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path

from etl.marts import returns_file
from etl.rules import authorities, periods


def date(text: str) -> dt.date:
    """An ISO date (YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


AS_OF_RANGE = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))  # stage's oldest usable date; the calendars' reach


def _as_of_in_range(text: str) -> dt.date:
    value = date(text)
    if not AS_OF_RANGE[0] <= value <= AS_OF_RANGE[1]:
        raise argparse.ArgumentTypeError(f"{text!r} is outside {AS_OF_RANGE[0]:%Y} to {AS_OF_RANGE[1]:%Y}")
    return value


def as_of(text: str) -> dt.date:
    """A build's as-of date: an ISO date from 2000 (the oldest date staging accepts) to 2099 (bank
    holidays and working days are laid out that far; 0001-01-01 or 9999-12-31 broke the build),
    and not after today in England: a later one loaded records dated in the future and counted
    years not yet ended as complete."""
    value = _as_of_in_range(text)
    today = periods.london_today()
    if value > today:
        raise argparse.ArgumentTypeError(f"{text!r} is after today ({today.isoformat()} in England): the as-of date "
                                         "is the day the data is evaluated on, today or earlier")
    return value


DEMO_FIRST_AS_OF = dt.date(2004, 1, 1)  # the demo's three years (and their occurrence dates) start after 2000


def demo_as_of(text: str) -> dt.date:
    """The demo's last day: an as-of date whose three years of data start after 2000 (staging's
    oldest date), so `asb demo --as-of 2001-06-30` is refused here instead of failing its gates."""
    value = _as_of_in_range(text)  # synthetic data: a later date than today is the demo's to choose
    if value < DEMO_FIRST_AS_OF:
        raise argparse.ArgumentTypeError(f"{text!r} is too early for the demo: its three years of data would start "
                                         f"before 2000; use {DEMO_FIRST_AS_OF.isoformat()} or later")
    return value


def financial_year(text: str) -> str:
    """A financial year written as councils publish it: 2025/26."""
    if not returns_file.is_financial_year(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a financial year like 2024/25")
    return text


def authority(text: str) -> str:
    """One of the nine authorities, by GSS code or name: its code."""
    code = authorities.resolve(text)
    if code is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of the nine authorities (code or name)")
    return code


def positive(text: str) -> int:
    """A whole number of at least 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def scale(text: str) -> float:
    """A size factor of zero or more (the demo's --scale)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of zero or more")
    return value


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of `path` when it is a file, not a folder (nothing can be made
    under it)."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def file_to_write(text: str) -> Path:
    """A file to (re)place, such as the warehouse: not a folder, and not under a file. Refused now,
    not after a build of several minutes fails to move its result into place."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: name the file, e.g. {path / 'warehouse.duckdb'}")
    if (blocker := _file_in_the_way(path)) is not None:
        raise argparse.ArgumentTypeError(f"{text} cannot be made: {blocker} is a file, not a folder")
    return path


def folder_to_write(text: str) -> Path:
    """A folder to write files into: not an existing file, and not under one."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a folder")
    if (blocker := _file_in_the_way(path)) is not None:
        raise argparse.ArgumentTypeError(f"{text} cannot be made: {blocker} is a file, not a folder")
    return path
