"""Disclosure control: small counts hidden, and kept hidden. One mechanism for the board pack and
for every page a viewer opens without person-level rights over an authority (`protect_result`,
applied by `ui.load` through insight/access/roles.py).

The board pack: a figure that counts people (see `PEOPLE` in insight/board_pack/data.py for which ones) is shown as
"<k" when it is 1 to k-1 (k = `suppress_below`, default 5, from insight/board_pack/report.toml or the
`--suppress-below` option); 0 is shown. That is primary suppression. A table that also shows
a total lets a reader subtract, and knowing that "<5" means 1 to 4 narrows it further (two
hidden cells that must add up to 2 are both 1). So, in every group of cells that add up to a
shown total, while some hidden cell can be worked out exactly from the total, the shown cells
and what the marks say of the others ("<5": 1 to 4; "*": 5 or more), the smallest other non-zero
cell is hidden too, shown as "*" (secondary suppression); a cell can sit in several groups (a
row and a column), and the rule runs until no group gives a cell away. Changes and rates from
a hidden cell are not shown at all. The pack never holds a row per person.

The pages (`Aggregate`, `protect_result`): a protected-aggregate query's rows that a viewer has no
person-level right over (board viewers: every row; a council manager: rows of the other eight
authorities, and totals that include them) show no count of people or incidents from 1 to k-1
(the cell is empty, NaN), with the same secondary suppression where a shown total (a total row,
a total column, or a total shown elsewhere on the page) would give a hidden cell away; no row
that describes fewer than k (a place, a box plot); no median, quartile or share resting on fewer
than k cases; no single case's value (the shortest and longest, first and last dates); and no
place description unless k distinct people reported there. Such a viewer also gets no period
shorter than `MIN_PERIOD_DAYS` and no hexagon finer than `COARSEST_RESOLUTION` (`check_request`).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

DEFAULT_SUPPRESS_BELOW = 5
SETTINGS_PATH = Path(__file__).resolve().parents[1] / "board_pack" / "report.toml"  # the board pack's settings
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


def _residual(group: Group, values: dict, hidden: set) -> tuple[list[Key], float] | None:
    """(the hidden parts, what they add up to) of a group whose total the reader sees, else None."""
    if group.total in hidden or pd.isna(values.get(group.total)):
        return None
    parts = [c for c in group.parts if pd.notna(values.get(c))]
    secret = [c for c in parts if c in hidden]
    return secret, values[group.total] - sum(values[c] for c in parts if c not in hidden)


def _propagated(groups: list[Group], values: dict, primary: set, hidden: set, k: int,
                rounds: int = 20) -> dict[Key, tuple[float, float]]:
    """What a reader can tell of each hidden cell from every group at once: its bounds (`_bounds`)
    narrowed, group after group, by the group's shown total less the bounds of its other hidden
    parts (a hidden cell that one group pins is as good as shown in the others)."""
    bounds = {c: _bounds(c, primary, k) for c in hidden}
    lines = [(secret, residual) for secret, residual in filter(None, (_residual(g, values, hidden) for g in groups))
             if secret]
    for _ in range(rounds):
        changed = False
        for secret, residual in lines:
            for c in secret:
                lo, hi = bounds[c]
                others_lo = sum(bounds[o][0] for o in secret if o != c)
                others_hi = sum(bounds[o][1] for o in secret if o != c)
                narrowed = (max(lo, residual - others_hi), min(hi, residual - others_lo))
                if narrowed != (lo, hi):
                    bounds[c] = narrowed
                    changed = True
        if not changed:
            break
    return bounds


def _pinned(group: Group, values: dict, primary: set, hidden: set, k: int,
            bounds: dict[Key, tuple[float, float]] | None = None) -> bool:
    """Whether a hidden part of the group can be worked out exactly from its shown total, the
    shown parts and what the reader can tell of the other hidden parts (`bounds`, by default what
    the marks say: `_bounds`)."""
    line = _residual(group, values, hidden)
    if not line or not line[0]:
        return False
    secret, residual = line
    known = {c: (bounds or {}).get(c) or _bounds(c, primary, k) for c in secret}
    for c in secret:
        lo, hi = _bounds(c, primary, k)
        others_lo = sum(b[0] for o, b in known.items() if o != c)
        others_hi = sum(b[1] for o, b in known.items() if o != c)
        if max(lo, residual - others_hi) >= min(hi, residual - others_lo):
            return True
    return False


def hidden_cells(values: dict[Key, float], groups: Iterable[Group], k: int,
                 exempt: Iterable[Key] = ()) -> tuple[set[Key], set[Key]]:
    """(primary, secondary): the cells to hide. Primary: 0 < value < k (except the `exempt` cells,
    which the reader may see anyway). Secondary: while a group has a hidden part that its shown
    total pins down (`_pinned`, with what the other groups tell of its other hidden parts:
    `_propagated`), its smallest other non-zero part is hidden too (the total, when no part is left
    and the total is not `exempt`)."""
    exempt = set(exempt)
    primary = {key for key, v in values.items() if pd.notna(v) and 0 < v < k and key not in exempt}
    hidden = set(primary)
    groups = list(groups)
    stuck: set[int] = set()  # groups pinned with nothing left to hide (an exempt total and exempt parts)
    changed = True
    while changed:
        changed = False
        bounds = _propagated(groups, values, primary, hidden, k)
        for n, group in enumerate(groups):
            if n in stuck or not _pinned(group, values, primary, hidden, k, bounds):
                continue
            visible = [c for c in group.parts if c not in hidden and c not in exempt
                       and pd.notna(values.get(c)) and values[c] > 0]
            if visible:
                hidden.add(min(visible, key=lambda c: (values[c], group.parts.index(c))))
            elif group.total not in exempt:
                hidden.add(group.total)
            else:
                stuck.add(n)
                continue
            changed = True
            bounds = _propagated(groups, values, primary, hidden, k)
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


def sums(parts) -> list[tuple[str, ...]]:
    """The ways a total column adds up, as `column_totals` gives them: a sequence of column names
    (one way), or a list of such sequences (several: appeals = the five outcomes = decided +
    withdrawn + pending)."""
    if isinstance(parts, str):
        return [(parts,)]
    parts = list(parts)
    if all(isinstance(p, str) for p in parts):
        return [tuple(parts)]
    return [tuple(p) for p in parts]


def protect(values: pd.DataFrame, people_columns: Sequence[str], k: int, total_row=None,
            column_totals: dict[str, Sequence] | None = None) -> Protected:
    """Suppress the people columns of `values` (rows = e.g. authorities). `total_row`: the label
    of the row that is the sum of the others (a group per column); `column_totals`: total column
    -> the columns it sums, or a list of such when it adds up in several ways (`sums`; a group
    per row and way). Other columns are left as they are."""
    columns = [c for c in people_columns if c in values.columns]
    cells = {(r, c): values.at[r, c] for r in values.index for c in columns}
    groups: list[Group] = []
    if total_row is not None:
        parts = [r for r in values.index if r != total_row]
        groups += [Group((total_row, c), tuple((r, c) for r in parts)) for c in columns]
    for total, ways in (column_totals or {}).items():
        groups += [Group((r, total), tuple((r, p) for p in parts)) for parts in sums(ways) for r in values.index]
    primary, secondary = hidden_cells(cells, groups, k)
    return Protected(values, frozenset(primary), frozenset(secondary), k)


def protect_one(value, k: int) -> str | None:
    """A single count of people on its own (no total beside it): '<k' when hidden, else None."""
    return f"<{k}" if pd.notna(value) and 0 < value < k else None


def small_as_blank(values, k: int) -> list:
    """Chart values with every count from 1 to k-1 blanked (None: the point is not drawn and has
    no label, in the chart or its workbook)."""
    return [None if pd.notna(v) and 0 < v < k else v for v in values]


def share_or_none(part, whole, k: int, whole_is_shown: bool) -> float | None:
    """part / whole, or None when it would tell a small count: fewer than k cases behind it, or,
    where the number of cases is shown beside it, 1 to k-1 on either side (in time / late)."""
    if pd.isna(whole) or pd.isna(part) or whole < k:
        return None
    if whole_is_shown and (0 < part < k or 0 < whole - part < k):
        return None
    return part / whole


# --- the pages: protected aggregates --------------------------------------------------------------

MIN_PERIOD_DAYS = 28  # the shortest period a viewer without person-level rights may ask for (a month)
COARSEST_RESOLUTION = 9  # the finest H3 hexagon such a viewer may ask for (8 rural, 9 town; not 10)


class TooDetailed(PermissionError):
    """A protected aggregate asked for a period or a hexagon finer than the disclosure rule allows."""


@dataclass(frozen=True)
class Aggregate:
    """How a protected-aggregate query's frame is disclosed to a viewer without person-level rights
    over (some of) its rows. Column names that the frame lacks are ignored.

    - `counts`: columns that count people or incidents: 1..k-1 is hidden (primary suppression).
    - `authority`: the column naming a row's authority; a row of an authority the viewer has
      person-level rights over is shown as it is. A row whose authority is null (a total) or a
      frame without the column is protected unless every authority asked for is the viewer's.
    - `total_by`: the rows whose `authority` is null are totals of the other rows with the same
      values of these columns (a group per column and value: secondary suppression).
    - `column_totals`: total column -> the columns it adds up (a group per row), or a list of such
      when it adds up in several ways (appeals = the five outcomes = decided + withdrawn + pending).
    - `known_total_by`: the rows with the same values of these columns add up to a total shown
      elsewhere on the page (e.g. months of a stage whose total a table shows; () = all rows).
    - `min_rows`: a row whose value here is 1..k-1 describes fewer than k: it is dropped.
    - `at_least_k`: derived column -> the count it rests on: hidden when that is below k (medians,
      quartiles, rates over fewer than k cases).
    - `shares`: share column -> (part, whole): hidden unless whole >= k and part and whole - part are
      each 0 or at least k (a frame of measures in rows gives a count or median the part = the whole).
    - `derived`: column -> the counts it is computed from: hidden when any of them is hidden.
    - `places`: place description column -> the distinct-reporters column: shown only with >= k.
    - `single`: columns that describe one case (the first or last date, the shortest or longest
      time): never shown.
    - `period`: the names of the (start, end) arguments (MIN_PERIOD_DAYS); `resolution`: the name of
      the H3 resolution argument, or of a `kind` argument such as "h3_10" (COARSEST_RESOLUTION).
    - `audit`: loads of it by a viewer without rights are logged (it narrows to one small area).
    - `published`: counts the law requires published as they are (the four s.104 figures): shown
      as they are, never hidden nor hidden as a cover.
    - `only_rows`: column -> values: only the rows holding one of these values come under the rule
      (the rows per month of the case-review registers, not of the incident feeds); None: every row.
    """

    counts: tuple[str, ...] = ()
    authority: str | None = "authority_code"
    codes: str = "codes"
    total_by: tuple[str, ...] | None = None
    column_totals: dict[str, tuple[str, ...] | list[tuple[str, ...]]] = field(default_factory=dict)
    known_total_by: tuple[str, ...] | None = None
    min_rows: str | None = None
    at_least_k: dict[str, str] = field(default_factory=dict)
    shares: dict[str, tuple] = field(default_factory=dict)  # share -> (part or parts, whole)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    single: tuple[str, ...] = ()
    period: tuple[str, str] | None = None
    resolution: str | None = None
    audit: bool = False
    only_rows: dict[str, tuple] | None = None
    published: tuple[str, ...] = ()


def _resolution(value) -> int | None:
    """The H3 resolution a `resolution` or `kind` argument asks for (None: not a hexagon)."""
    if isinstance(value, str):
        return int(value[3:]) if value.startswith("h3_") and value[3:].isdigit() else None
    return None if value is None else int(value)


def check_request(spec: Aggregate, arguments: dict, restricted: bool) -> None:
    """Raise TooDetailed when a viewer without person-level rights over some authority asked for
    (`restricted`) asks for a period shorter than MIN_PERIOD_DAYS or a hexagon finer than
    COARSEST_RESOLUTION."""
    if not restricted:
        return
    if spec.period:
        start, end = (arguments.get(name) for name in spec.period)
        if isinstance(start, date) and isinstance(end, date) and (end - start).days + 1 < MIN_PERIOD_DAYS:
            raise TooDetailed(f"a period of at least {MIN_PERIOD_DAYS} days (a month) is needed to show "
                              "figures of authorities whose person-level rows you may not see")
    if spec.resolution:
        resolution = _resolution(arguments.get(spec.resolution))
        if resolution is not None and resolution > COARSEST_RESOLUTION:
            raise TooDetailed(f"hexagons finer than resolution {COARSEST_RESOLUTION} are not shown for "
                              "authorities whose person-level rows you may not see")


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def protect_result(spec: Aggregate, frame: pd.DataFrame, allowed: Iterable[str], requested: Iterable[str] | None,
                   k: int) -> pd.DataFrame:
    """The frame as a viewer may see it: rows of `allowed` authorities (those the viewer has
    person-level rights over) as they are; everything else under the rule of `spec` (see
    `Aggregate`). `requested`: the authorities the query was asked for (None: unknown, every row
    without an authority is protected). `attrs["hidden"]` counts the cells hidden, `attrs["dropped"]`
    the rows left out."""
    allowed = set(allowed)
    whole_is_allowed = requested is not None and set(requested) <= allowed
    out = frame.copy()
    if spec.authority and spec.authority in out.columns:
        authority = out[spec.authority]
        open_rows = authority.isin(allowed) | (authority.isna() & whole_is_allowed)
    else:
        open_rows = pd.Series(whole_is_allowed, index=out.index)
    for column, values in (spec.only_rows or {}).items():
        open_rows = open_rows | ~out[column].isin(values) if column in out.columns else open_rows
    if open_rows.all():
        return frame
    dropped = 0
    if spec.min_rows and spec.min_rows in out.columns:
        value = out[spec.min_rows].map(_number)
        drop = ~open_rows & (value > 0) & (value < k)
        dropped = int(drop.sum())
        out, open_rows = out[~drop], open_rows[~drop]
    out = out.reset_index(drop=True)
    open_rows = open_rows.reset_index(drop=True)
    closed = [i for i in out.index if not open_rows[i]]
    counts = [c for c in spec.counts if c in out.columns]
    # each column's cells as numbers, read once (not cell by cell: `.at` costs 0.3 s for the board
    # viewer's thousand hexagons); `out`'s index is 0..n-1 here, so a row's label is its position
    number: dict[str, list[float]] = {}

    def cell(i: int, column: str) -> float:
        if column not in number:
            number[column] = [_number(v) for v in out[column].tolist()]
        return number[column][i]

    values = {(i, c): cell(i, c) for i in out.index for c in counts}
    exempt = {(i, c) for i in out.index if open_rows[i] for c in counts}
    groups, totals = _groups(spec, out, counts, values)
    values.update(totals)
    primary, secondary = hidden_cells(values, groups, k, exempt | set(totals))  # a known total is shown
    hidden = {key for key in primary | secondary if key[0] in out.index}
    blank: dict[str, set] = {}
    for i, column in hidden:
        blank.setdefault(column, set()).add(i)
    for column, base in spec.at_least_k.items():
        if column in out.columns and base in out.columns:
            blank.setdefault(column, set()).update(
                i for i in closed if not cell(i, base) >= k or (i, base) in hidden)
    for column, (part, whole) in spec.shares.items():
        parts = (part,) if isinstance(part, str) else tuple(part)
        if column in out.columns and whole in out.columns and all(p in out.columns for p in parts):
            for i in closed:
                value = sum(cell(i, p) for p in parts)
                shown = share_or_none(value, cell(i, whole), k, whole_is_shown=True)
                if shown is None or (i, whole) in hidden or any((i, p) in hidden for p in parts):
                    blank.setdefault(column, set()).add(i)
    for column, bases in spec.derived.items():
        if column in out.columns:
            blank.setdefault(column, set()).update(i for i in closed if any((i, b) in hidden for b in bases))
    for column, reporters in spec.places.items():
        if column in out.columns:
            blank.setdefault(column, set()).update(
                i for i in closed if reporters not in out.columns or not cell(i, reporters) >= k)
    for column in spec.single:
        if column in out.columns:
            blank.setdefault(column, set()).update(closed)
    result = out.copy()
    for column, rows in blank.items():
        if not rows:
            continue
        numeric = pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column])
        result[column] = result[column].astype("float64" if numeric else object)
        result.loc[sorted(rows), column] = math.nan if numeric else None
    result.attrs = {**frame.attrs, "hidden": sum(len(rows) for rows in blank.values()), "dropped": dropped}
    return result


def _groups(spec: Aggregate, out: pd.DataFrame, counts: list[str], values: dict) -> tuple[list[Group], dict]:
    """The lines whose total a reader sees: a total row (authority null) over the rows with the same
    `total_by` values, total columns over their parts, and `known_total_by` (a total shown elsewhere:
    a synthetic total cell, always shown, holds the sum)."""
    groups: list[Group] = []
    if spec.total_by is not None and spec.authority in out.columns:
        keys = [c for c in spec.total_by if c in out.columns]
        for _, block in out.groupby(keys or (lambda _: 0), dropna=False, sort=False):
            totals = block.index[block[spec.authority].isna()]
            parts = tuple(block.index[block[spec.authority].notna()])
            for total in totals:
                groups += [Group((total, c), tuple((p, c) for p in parts)) for c in counts]
    for total, ways in spec.column_totals.items():
        if total in counts:
            groups += [Group((i, total), tuple((i, p) for p in parts if p in counts))
                       for parts in sums(ways) for i in out.index]
    totals: dict = {}
    if spec.known_total_by is not None:
        keys = [c for c in spec.known_total_by if c in out.columns]
        for n, (_, block) in enumerate(out.groupby(keys or (lambda _: 0), dropna=False, sort=False)):
            for c in counts:
                parts = tuple((i, c) for i in block.index)
                totals[("known total", n, c)] = sum(v for v in (values[p] for p in parts) if pd.notna(v))
                groups.append(Group(("known total", n, c), parts))
    return groups, totals
