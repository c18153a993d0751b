"""Argument types shared by the `asb` command's sub-commands (argparse `type=`): each turns the text
given into a value or refuses it with a message in words, so every command reads dates, years,
authorities and counts the same way."""

from __future__ import annotations

import argparse
import datetime as dt

from etl.marts import returns_file
from etl.rules import authorities


def date(text: str) -> dt.date:
    """An ISO date (YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from exc


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
