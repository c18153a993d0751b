"""Disclosure control for the board pack: small counts of people hidden, and kept hidden.

A figure that counts people (see `PEOPLE` in insight/board_pack/data.py for which ones) is shown as
"<k" when it is 1 to k-1 (k = `suppress_below`, default 5, from insight/board_pack/report.toml or the
`--suppress-below` option); 0 is shown. That is primary suppression. A table that also shows
a total lets a reader subtract, and knowing that "<5" means 1 to 4 narrows it further (two
hidden cells that must add up to 2 are both 1). So, in every group of cells that add up to a
shown total, while some hidden cell can be worked out exactly from the total, the shown cells
and what the marks say of the others ("<5": 1 to 4; "*": 5 or more), the smallest other non-zero
cell is hidden too, shown as "*" (secondary suppression); a cell can sit in several groups (a
row and a column), and the rule runs until no group gives a cell away. Changes and rates from
a hidden cell are not shown at all. The pack never holds a row per person.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

DEFAULT_SUPPRESS_BELOW = 5
SETTINGS_PATH = Path(__file__).resolve().with_name("report.toml")
SETTINGS_ENV = "ASB_REPORT_SETTINGS"
SECONDARY = "*"

Key = tuple[Hashable, Hashable]  # (row label, column label)


def suppress_below(path: Path | str | None = None) -> int:
    """The smallest count of people that is shown: [report] suppress_below of the settings file
    (the argument, else $ASB_REPORT_SETTINGS, else insight/board_pack/report.toml), default 5."""
    path = Path(path or os.environ.get(SETTINGS_ENV) or SETTINGS_PATH)
    if not path.exists():
        return DEFAULT_SUPPRESS_BELOW
    value = tomllib.loads(path.read_text(encoding="utf-8")).get("report", {}).get(
        "suppress_below", DEFAULT_SUPPRESS_BELOW)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{path}: [report] suppress_below must be a whole number >= 1, not {value!r}")
    return value


@dataclass(frozen=True)
class Group:
    """Cells that add up to a total cell: a reader who sees all but one can subtract."""
    total: Key
    parts: tuple[Key, ...]


def _bounds(cell: Key, primary: set, k: int) -> tuple[float, float]:
    """What a reader who knows the rule can tell of a hidden cell: '<k' is 1..k-1 (zeros are shown),
    '*' is k or more (a smaller one would be '<k')."""
    return (1, k - 1) if cell in primary else (k, math.inf)


def _pinned(group: Group, values: dict, primary: set, hidden: set, k: int) -> bool:
    """Whether a hidden part of the group can be worked out exactly from its shown total, the
    shown parts and the bounds of the other hidden parts."""
    parts = [c for c in group.parts if pd.notna(values.get(c))]
    secret = [c for c in parts if c in hidden]
    if not secret or group.total in hidden or pd.isna(values.get(group.total)):
        return False
    residual = values[group.total] - sum(values[c] for c in parts if c not in hidden)
    bounds = {c: _bounds(c, primary, k) for c in secret}
    for c, (lo, hi) in bounds.items():
        others_lo = sum(b[0] for o, b in bounds.items() if o != c)
        others_hi = sum(b[1] for o, b in bounds.items() if o != c)
        if max(lo, residual - others_hi) >= min(hi, residual - others_lo):
            return True
    return False


def hidden_cells(values: dict[Key, float], groups: Iterable[Group], k: int) -> tuple[set[Key], set[Key]]:
    """(primary, secondary): the cells to hide. Primary: 0 < value < k. Secondary: while a group
    has a hidden part that its shown total pins down (`_pinned`), its smallest other non-zero part
    is hidden too (the total, when no part is left)."""
    primary = {key for key, v in values.items() if pd.notna(v) and 0 < v < k}
    hidden = set(primary)
    groups = list(groups)
    changed = True
    while changed:
        changed = False
        for group in groups:
            if not _pinned(group, values, primary, hidden, k):
                continue
            visible = [c for c in group.parts if c not in hidden and pd.notna(values.get(c)) and values[c] > 0]
            pick = min(visible, key=lambda c: (values[c], group.parts.index(c))) if visible else group.total
            hidden.add(pick)
            changed = True
    return primary, hidden - primary


@dataclass(frozen=True)
class Protected:
    """A table of counts with the cells to hide: `values` keeps the true numbers (never to be
    written into the pack), `shown()` gives what may be printed or charted."""
    values: pd.DataFrame
    primary: frozenset
    secondary: frozenset
    k: int

    def is_hidden(self, row, column) -> bool:
        return (row, column) in self.primary or (row, column) in self.secondary

    def text(self, row, column, fmt: str = "{:,.0f}") -> str:
        """The cell as printed: '<5', '*' or the number."""
        if (row, column) in self.primary:
            return f"<{self.k}"
        if (row, column) in self.secondary:
            return SECONDARY
        value = self.values.at[row, column]
        return "–" if pd.isna(value) else fmt.format(value)

    def shown(self) -> pd.DataFrame:
        """The values with hidden cells as None (what a chart may hold)."""
        out = self.values.astype(object).copy()
        for row, column in self.primary | self.secondary:
            out.at[row, column] = None
        return out


def protect(values: pd.DataFrame, people_columns: Sequence[str], k: int, total_row=None,
            column_totals: dict[str, Sequence[str]] | None = None) -> Protected:
    """Suppress the people columns of `values` (rows = e.g. authorities). `total_row`: the label
    of the row that is the sum of the others (a group per column); `column_totals`: total column
    -> the columns it sums (a group per row). Other columns are left as they are."""
    columns = [c for c in people_columns if c in values.columns]
    cells = {(r, c): values.at[r, c] for r in values.index for c in columns}
    groups: list[Group] = []
    if total_row is not None:
        parts = [r for r in values.index if r != total_row]
        groups += [Group((total_row, c), tuple((r, c) for r in parts)) for c in columns]
    for total, parts in (column_totals or {}).items():
        groups += [Group((r, total), tuple((r, p) for p in parts)) for r in values.index]
    primary, secondary = hidden_cells(cells, groups, k)
    return Protected(values, frozenset(primary), frozenset(secondary), k)


def protect_one(value, k: int) -> str | None:
    """A single count of people on its own (no total beside it): '<k' when hidden, else None."""
    return f"<{k}" if pd.notna(value) and 0 < value < k else None


def share_or_none(part, whole, k: int, whole_is_shown: bool) -> float | None:
    """part / whole, or None when it would tell a small count: fewer than k cases behind it, or,
    where the number of cases is shown beside it, 1 to k-1 on either side (in time / late)."""
    if pd.isna(whole) or pd.isna(part) or whole < k:
        return None
    if whole_is_shown and (0 < part < k or 0 < whole - part < k):
        return None
    return part / whole
