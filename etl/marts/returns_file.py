"""Frozen statutory returns: the four s.104 figures as an authority published them, kept in a CSV
file outside the warehouse so that they survive every rebuild.

The warehouse is rebuilt from scratch by each build, and mart_statutory_returns recounts every
year from the current data, so a late record or a corrected date can change a year already
published without anyone noticing. `asb returns freeze` (insight/returns_cli.py) appends a year's
figures, as the warehouse holds them, to the file; the build loads the file that sources.toml
names (`[build] published_returns = "published/returns.csv"`, a path inside the inputs folder)
into `published_returns`, and mart_statutory_returns shows each frozen year's published figures
beside the current ones (`is_restated`, `restatement`).

The file (UTF-8, one row per authority and financial year, never two):

    authority_code,financial_year,applications_received,threshold_not_met,reviews_carried_out,reviews_with_recommendations,published_date,published_by,as_of_date
    E07000036,2024/25,12,7,5,4,2025-06-02,Community safety team,2025-05-31

`authority_code` takes a GSS code or a name (written as the code); `published_by` may be empty;
`as_of_date` (optional) is the as-of date of the warehouse the figures came from. A row that
cannot be used stops the build with the line and the reason, never silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from etl.rules import authorities
from etl.sources.config import ConfigError

FIGURES = ("applications_received", "threshold_not_met", "reviews_carried_out", "reviews_with_recommendations")
REQUIRED = ("authority_code", "financial_year", *FIGURES, "published_date", "published_by")
COLUMNS = (*REQUIRED, "as_of_date")
YEAR = re.compile(r"(\d{4})/(\d{2})")


class ReturnsFileError(ConfigError):
    """A published-returns file that cannot be used; the message names the file, the line and why."""


def is_financial_year(text: str) -> bool:
    """'2024/25' is; '2024/26', '2024-25' and '24/25' are not."""
    match = YEAR.fullmatch(text)
    return bool(match) and (int(match.group(1)) + 1) % 100 == int(match.group(2))


def _date(text: str, column: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ReturnsFileError(f"{where}: {column} {text!r} is not a date (YYYY-MM-DD)") from None


def _row(values: dict, where: str) -> dict:
    code = authorities.resolve(values["authority_code"] or "")
    if code is None:
        raise ReturnsFileError(f"{where}: authority {values['authority_code']!r} is not one of the nine")
    year = values["financial_year"]
    if not is_financial_year(year):
        raise ReturnsFileError(f"{where}: financial_year {year!r} is not like 2024/25")
    row = {"authority_code": code, "financial_year": year}
    for column in FIGURES:
        if not values[column].isdigit():
            raise ReturnsFileError(f"{where}: {column} {values[column]!r} is not a whole number")
        row[column] = int(values[column])
    row["published_date"] = _date(values["published_date"], "published_date", where)
    row["published_by"] = values["published_by"] or None
    row["as_of_date"] = _date(values["as_of_date"], "as_of_date", where) if values.get("as_of_date") else None
    return row


def read(path: Path | str) -> pd.DataFrame:
    """The frozen returns in `path`, checked (ReturnsFileError naming the line otherwise)."""
    path = Path(path)
    try:
        return _read(path)
    except UnicodeDecodeError as exc:
        raise ReturnsFileError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except IsADirectoryError:
        raise ReturnsFileError(f"{path} is a folder, not a published-returns file (.csv)") from None
    except (OSError, csv.Error) as exc:
        raise ReturnsFileError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None


def _read(path: Path) -> pd.DataFrame:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        unknown = [c for c in header if c not in COLUMNS]
        if missing or unknown:
            raise ReturnsFileError(f"{path}: missing column(s) {missing} / unknown column(s) {unknown}; the "
                                   f"header is {','.join(COLUMNS)} (as_of_date optional)")
        reader.fieldnames = header
        rows, seen = [], {}
        for line, values in enumerate(reader, 2):
            row = _row({k: (v or "").strip() for k, v in values.items() if k is not None}, f"{path}: line {line}")
            key = (row["authority_code"], row["financial_year"])
            if key in seen:
                raise ReturnsFileError(f"{path}: line {line}: {key[0]} {key[1]} is frozen twice (also line "
                                       f"{seen[key]}); keep the figures that were published")
            seen[key] = line
            rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype({c: "int64" for c in FIGURES})


def load(con: duckdb.DuckDBPyConnection, path: Path | None) -> str | None:
    """Fill `published_returns` from `path` (none declared: nothing to do). Returns a note for
    the person running the build when the declared file does not exist yet."""
    if path is None:
        return None
    if not Path(path).exists() and not Path(path).is_symlink():
        return f"no published returns frozen yet: {path} does not exist (asb returns freeze writes it)"
    con.register("_published_returns", read(path))
    con.execute("insert into published_returns by name select * from _published_returns")
    con.unregister("_published_returns")
    return None


def _text(value) -> str:
    """A cell as written: dates ISO, nothing for a missing value."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def write(path: Path | str, frame: pd.DataFrame) -> None:
    """Write `frame` (the COLUMNS) to `path` atomically, rows in the order given."""
    path = Path(path)
    if path.is_dir():
        raise ReturnsFileError(f"{path} is a folder, not a published-returns file (.csv)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ReturnsFileError(f"{path} cannot be written ({exc.strerror or exc})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(COLUMNS)
            for row in frame[list(COLUMNS)].itertuples(index=False):
                writer.writerow([_text(v) for v in row])
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReturnsFileError(f"{path} cannot be written ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append(path: Path | str, new: pd.DataFrame, force: bool = False) -> pd.DataFrame:
    """Add `new` rows to the file at `path` (made when absent) and return what it now holds. A row
    for an authority and year already frozen is refused (ReturnsFileError, nothing written) unless
    `force`, which replaces it."""
    path = Path(path)
    existing = read(path) if path.exists() else pd.DataFrame(columns=list(COLUMNS))
    keys = set(zip(new["authority_code"], new["financial_year"], strict=True))
    clash = existing[[k in keys for k in zip(existing["authority_code"], existing["financial_year"], strict=True)]]
    if len(clash) and not force:
        named = ", ".join(f"{authorities.NAME_BY_CODE[r.authority_code]} (published {_text(r.published_date)}"
                          f"{' by ' + r.published_by if isinstance(r.published_by, str) else ''})"
                          for r in clash.itertuples())
        raise ReturnsFileError(f"{path} already holds the published {clash['financial_year'].iloc[0]} figures "
                               f"of {named}: pass --force to replace them")
    kept = existing.drop(index=clash.index)
    merged = pd.concat([kept, new[list(COLUMNS)]], ignore_index=True) if len(kept) else new[list(COLUMNS)]
    write(path, merged)
    return merged.reset_index(drop=True)
