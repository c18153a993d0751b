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
shorter than `MIN_PERIOD_DAYS` and hexagons of one size only, `RESTRICTED_RESOLUTION` (`check_request`).

Secondary suppression treats every group as an equation (a hidden total is an unknown like a
hidden part) and can take cells that are never shown but a reader gets by subtracting (`free`
cells: the incidents between two nested windows, `Aggregate.differences`). A council manager who
asks for their own authority with others, in a frame that sums them in one row (`mixed`), knows
their own part: the others' part and the sum less the own part must each pass the rule too
(`protect_result`'s `others` and `own`, run by roles.shown_as for such a selection only).

Choices of authorities: all nine's "All selected" less the other eight's is the ninth's figure. A
frame asked for fewer than the nine, holding an authority outside the viewer's rights, is judged
against the authorities' own figures (the same query for all nine where it has a row per
authority, `_choice_hidden`; for each authority alone where it sums them in rows,
`_choice_hidden_rows`): a total over the choice is shown only when it is a sum of figures the
viewer may see anyway, or a total they may see less such figures.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from etl.rules import authorities, periods

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


def _bounds(cell: Key, primary: set, k: int, free: Iterable[Key] = ()) -> tuple[float, float]:
    """What a reader who knows the rule can tell of a hidden cell: '<k' is 1..k-1 (zeros are shown),
    '*' is k or more (a smaller one would be '<k'); a `free` cell (a difference of two cells that
    is never shown itself, `hidden_cells`) is only known to be 0 or more."""
    if cell in free:
        return 0, math.inf
    return (1, k - 1) if cell in primary else (k, math.inf)


def _line(group: Group, values: dict, hidden: set) -> tuple[list[tuple[Key, int]], float] | None:
    """The group as the reader sees it: parts - total = 0 with the shown cells moved to the right,
    as ([(hidden cell, its sign: +1 a part, -1 the total)], what they add up to); None when the
    total is missing (no line). A hidden total is an unknown like a hidden part: a reader who sees
    every part adds them up."""
    if pd.isna(values.get(group.total)):
        return None
    parts = [c for c in group.parts if pd.notna(values.get(c))]
    secret = [(c, 1) for c in parts if c in hidden]
    known = sum(values[c] for c in parts if c not in hidden)
    if group.total in hidden:
        secret.append((group.total, -1))
        return secret, -known
    return secret, values[group.total] - known


def _narrowed(cell: Key, sign: int, secret: list[tuple[Key, int]], residual: float,
              bounds: dict[Key, tuple[float, float]], prior: tuple[float, float]) -> tuple[float, float]:
    """`prior` narrowed by the line sum(sign * cell) = residual and the bounds of its other cells."""
    others_lo = sum(bounds[o][0] if s > 0 else -bounds[o][1] for o, s in secret if o != cell)
    others_hi = sum(bounds[o][1] if s > 0 else -bounds[o][0] for o, s in secret if o != cell)
    lo, hi = residual - others_hi, residual - others_lo  # sign * cell lies here
    if sign < 0:
        lo, hi = -hi, -lo
    return max(prior[0], lo), min(prior[1], hi)


def _propagated(groups: list[Group], values: dict, primary: set, hidden: set, k: int, free: set = frozenset(),
                rounds: int = 20) -> dict[Key, tuple[float, float]]:
    """What a reader can tell of each hidden cell from every group at once: its bounds (`_bounds`)
    narrowed, group after group, by the group's shown cells less the bounds of its other hidden
    cells (a hidden cell that one group pins is as good as shown in the others)."""
    lines = [line for line in filter(None, (_line(g, values, hidden) for g in groups)) if line[0]]
    bounds = {c: _bounds(c, primary, k, free) for secret, _ in lines for c, _ in secret}
    for _ in range(rounds):
        changed = False
        for secret, residual in lines:
            changed |= _narrow_line(secret, residual, bounds)
        if not changed:
            break
    return bounds


class _Sum:
    """A sum of terms that may be infinite, less one of them, in O(1) (`_narrow_line`)."""

    def __init__(self, terms) -> None:
        self.finite, self.infinite = 0.0, 0   # infinite terms all of one sign (see _narrow_line)
        for t in terms:
            self.add(t)

    def add(self, t: float, times: int = 1) -> None:
        if math.isinf(t):
            self.infinite += times
        else:
            self.finite += times * t

    def without(self, t: float, infinity: float) -> float:
        infinite = self.infinite - (1 if math.isinf(t) else 0)
        return infinity if infinite else self.finite - (0.0 if math.isinf(t) else t)


def _narrow_line(secret: list[tuple[Key, int]], residual: float, bounds: dict[Key, tuple[float, float]]) -> bool:
    """`_narrowed` for each cell of a line in turn (each narrowing seen by the next), with the sums
    of the other cells' bounds kept rather than added up again for each cell (a line of a few
    hundred cells: an authority's LSOAs); whether a bound changed. A term of `lows` is a lower
    bound or minus an upper one (finite or -inf), of `highs` an upper bound or minus a lower one
    (finite or +inf)."""
    def low(o, s):
        return bounds[o][0] if s > 0 else -bounds[o][1]

    def high(o, s):
        return bounds[o][1] if s > 0 else -bounds[o][0]

    lows, highs = _Sum(low(o, s) for o, s in secret), _Sum(high(o, s) for o, s in secret)
    changed = False
    for c, sign in secret:
        before_low, before_high = low(c, sign), high(c, sign)
        others_lo, others_hi = lows.without(before_low, -math.inf), highs.without(before_high, math.inf)
        lo, hi = residual - others_hi, residual - others_lo
        if sign < 0:
            lo, hi = -hi, -lo
        narrowed = (max(bounds[c][0], lo), min(bounds[c][1], hi))
        if narrowed != bounds[c]:
            bounds[c] = narrowed
            changed = True
            lows.add(before_low, -1)
            lows.add(low(c, sign))
            highs.add(before_high, -1)
            highs.add(high(c, sign))
    return changed


def _pinned(group: Group, values: dict, primary: set, hidden: set, k: int,
            bounds: dict[Key, tuple[float, float]] | None = None, free: set = frozenset(),
            forced: set = frozenset()) -> bool:
    """Whether a hidden cell of the group can be worked out exactly from its shown cells and what
    the reader can tell of its other hidden cells (`bounds`, by default what the marks say:
    `_bounds`). A `free` cell counts only when it is 1..k-1 (a difference of 0 or k or more may be
    worked out); a `forced` one (hidden whatever its value) whenever it is not 0."""
    line = _line(group, values, hidden)
    if not line or not line[0]:
        return False
    secret, residual = line
    known = {c: (bounds or {}).get(c) or _bounds(c, primary, k, free) for c, _ in secret}
    for c, sign in secret:
        if c in forced:
            if not values[c] > 0:
                continue
        elif c in free and not (0 < values[c] < k):
            continue
        lo, hi = _narrowed(c, sign, secret, residual, known, _bounds(c, primary, k, free))
        if lo >= hi:
            return True
    return False


def hidden_cells(values: dict[Key, float], groups: Iterable[Group], k: int,
                 exempt: Iterable[Key] = (), free: Iterable[Key] = (),
                 forced: Iterable[Key] = ()) -> tuple[set[Key], set[Key]]:
    """(primary, secondary): the cells to hide. Primary: 0 < value < k (except the `exempt` cells,
    which the reader may see anyway). Secondary: while a group has a hidden cell that its shown
    cells pin down (`_pinned`, with what the other groups tell of its other hidden cells:
    `_propagated`), its smallest other non-zero part is hidden too (the total, when no part is left
    and the total is not `exempt`). `free` cells are never shown (a difference of two shown counts
    that a reader can take, such as the incidents 31 to 90 days ago = 90 days - 30 days): they are
    hidden from the start, a reader knows only that they are 0 or more, and a group that pins one
    of 1..k-1 hides one of its shown cells; they are in neither set returned. `forced` cells are
    hidden whatever their value (a count over too short a period: `Aggregate.row_span`): as `free`
    cells, a reader knows only that they are 0 or more, but a group that pins one that is not 0
    hides one of its shown cells; they are in the primary set returned."""
    exempt, forced = set(exempt), set(forced) - set(exempt)
    free = set(free) | forced
    primary = {key for key, v in values.items()
               if pd.notna(v) and 0 < v < k and key not in exempt and key not in free}
    hidden = primary | free
    for component in _components(list(groups)):  # groups that share no cell are settled apart: faster
        _cover(component, values, primary, hidden, exempt, free, k, forced)
    return primary | forced, hidden - primary - free


def _components(groups: list[Group]) -> list[list[Group]]:
    """The groups in sets that share no cell (a table's rows, when only column totals tie cells)."""
    parent: dict = {}

    def root(cell):
        while parent.setdefault(cell, cell) != cell:
            parent[cell] = parent[parent[cell]]
            cell = parent[cell]
        return cell

    for group in groups:
        for cell in group.parts:
            parent[root(cell)] = root(group.total)
    found: dict = {}
    for group in groups:
        found.setdefault(root(group.total), []).append(group)
    return list(found.values())


def _cover(groups: list[Group], values: dict, primary: set, hidden: set, exempt: set, free: set, k: int,
           forced: set = frozenset()) -> None:
    """`hidden_cells`' secondary suppression over one set of groups: adds the covers to `hidden`."""
    stuck: set[int] = set()  # groups pinned with nothing left to hide (an exempt total and exempt parts)
    changed = True
    while changed:
        changed = False
        bounds = _propagated(groups, values, primary, hidden, k, free)
        for n, group in enumerate(groups):
            if n in stuck or not _pinned(group, values, primary, hidden, k, bounds, free, forced):
                continue
            visible = [c for c in group.parts if c not in hidden and c not in exempt
                       and pd.notna(values.get(c)) and values[c] > 0]
            if visible:
                hidden.add(min(visible, key=lambda c: (values[c], group.parts.index(c))))
            elif group.total not in exempt and group.total not in hidden:
                hidden.add(group.total)
            else:
                stuck.add(n)
                continue
            changed = True
            bounds = _propagated(groups, values, primary, hidden, k, free)


WITHHELD = "[c]"  # a hidden cell whose mark would tell it: no range said (the ONS's "confidential")


@dataclass(frozen=True)
class Protected:
    """A table of counts with the cells to hide: `values` keeps the true numbers (never to be
    written into the pack), `shown()` gives what may be printed or charted. `withheld`: hidden
    cells printed WITHHELD rather than '<k' or '*', where those marks together would pin them
    (`_withheld`)."""
    values: pd.DataFrame
    primary: frozenset
    secondary: frozenset
    k: int
    withheld: frozenset = frozenset()

    def is_hidden(self, row, column) -> bool:
        return (row, column) in self.primary or (row, column) in self.secondary or (row, column) in self.withheld

    def is_shown(self, row, column) -> bool:
        """Whether the cell prints as a number (not a mark, not missing): a title may open on it."""
        return not self.is_hidden(row, column) and pd.notna(self.values.at[row, column])

    def withheld_note(self) -> str:
        """The key's words for '[c]', when the table prints it ('' otherwise)."""
        return f"; {WITHHELD}: not shown, as the marks together would tell it" if self.withheld else ""

    def text(self, row, column, fmt: str = "{:,.0f}") -> str:
        """The cell as printed: '<5', '*', '[c]' or the number."""
        if (row, column) in self.withheld:
            return WITHHELD
        if (row, column) in self.primary:
            return f"<{self.k}"
        if (row, column) in self.secondary:
            return SECONDARY
        value = self.values.at[row, column]
        return "–" if pd.isna(value) else fmt.format(value)

    def shown(self) -> pd.DataFrame:
        """The values with hidden cells as None (what a chart may hold)."""
        out = self.values.astype(object).copy()
        for row, column in self.primary | self.secondary | self.withheld:
            out.at[row, column] = None
        return out


def _withheld(values: dict, groups: list[Group], primary: set, secondary: set, k: int) -> set[Key]:
    """The hidden cells to print without a range: those of every group that the marks still pin
    once secondary suppression has nothing left to hide (its other cells zeros or hidden). Four
    "not met" of '<5' under a total of '<5' are four counts of at least 1 adding up to at most 4,
    so 1 each (the red-team audit of 6 December 2026); printed '[c]' a reader knows only that they
    are 0 or more. Repeated until no group pins a hidden cell of 1 to k-1."""
    withheld: set[Key] = set()
    hidden = primary | secondary
    while True:
        bounds = _propagated(groups, values, primary - withheld, hidden, k, withheld)
        more = {c for g in groups if _pinned(g, values, primary - withheld, hidden, k, bounds, withheld)
                for c in (g.total, *g.parts) if c in hidden} - withheld
        if not more:
            return withheld
        withheld |= more


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


def cover_known(cells: dict, groups: list[Group], primary: set, secondary: set, k: int,
                 known: list[set[Key]]) -> set[Key]:
    """`secondary` with more covers, so that a reader who knows any one of the `known` sets of cells
    exactly (a council manager, their own authority's row) pins no other hidden cell: for each set,
    its cells count as shown and the groups are covered again, until no set adds a cover."""
    hidden = primary | secondary
    changed = True
    while changed:
        changed = False
        for own in known:
            view = hidden - own
            for component in _components(groups):
                _cover(component, cells, primary - own, view, set(own), set(), k)
            if view - hidden:
                hidden |= view
                changed = True
    return hidden - primary


def protect(values: pd.DataFrame, people_columns: Sequence[str], k: int, total_row=None,
            column_totals: dict[str, Sequence] | None = None, known_rows: Iterable = (),
            hide: Iterable = ()) -> Protected:
    """Suppress the people columns of `values` (rows = e.g. authorities). `total_row`: the label
    of the row that is the sum of the others (a group per column); `column_totals`: total column
    -> the columns it sums, or a list of such when it adds up in several ways (`sums`; a group
    per row and way); `known_rows`: rows a reader may know exactly (an authority's row, to its own
    manager, who gets the all-nine pack: the red-team audit of 6 December 2026 pinned 67 cells in 18
    months' packs so), each alone: no other hidden cell follows from one of them (`cover_known`).
    `hide`: (row, column) cells hidden besides (what another product shows of the same figures
    hides: the pack hides what the pages hide from a board viewer, so that the two read together
    tell no more than the page). Other columns are left as they are."""
    columns = [c for c in people_columns if c in values.columns]
    cells = {(r, c): values.at[r, c] for r in values.index for c in columns}
    groups: list[Group] = []
    if total_row is not None:
        parts = [r for r in values.index if r != total_row]
        groups += [Group((total_row, c), tuple((r, c) for r in parts)) for c in columns]
    for total, ways in (column_totals or {}).items():
        groups += [Group((r, total), tuple((r, p) for p in parts)) for parts in sums(ways) for r in values.index]
    primary, secondary = hidden_cells(cells, groups, k)
    secondary = set(secondary) | ({key for key in hide if key in cells} - set(primary))
    known = [{(r, c) for c in columns} for r in known_rows if r in values.index]
    if known:
        secondary = cover_known(cells, groups, primary, secondary, k, known)
    withheld = _withheld(cells, groups, primary, secondary, k)
    for own in known:   # the marks as read by one who knows the row (its cells as if shown): a '<5'
        # that then follows from the others is printed '[c]' too (the roles audit of 7 December 2026:
        # Derby '<5' = 2 to its manager, so two more '<5' under a total '<5' were 1 each)
        withheld |= _withheld(cells, groups, set(primary) - own, set(secondary) - own, k) - own
    return Protected(values, frozenset(primary), frozenset(secondary), k, frozenset(withheld))


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
# The one H3 hexagon size such a viewer may ask for (9, towns): not 10 (streets), and not 8 beside
# it: a size-8 hexagon holds, nearly, seven size-9 ones, so the two maps subtract (on the demo, a
# size-8 hexagon of 6 beside its two size-9 hexagons, 5 shown and one left out, told 1). Judging
# both maps together, as the wards with the LSOAs, took ten times as long at ten million incidents.
RESTRICTED_RESOLUTION = 9
# The near-repeat (Knox) test's bands for such a viewer: the page's standard ones (4 distance bands of
# 100 m, 4 time bands of 7 days, edges from 0), since two runs with nested bands subtract to a band's
# pairs (the disclosure audit of 8 December 2026: within 50 m less within 25 m told 2 pairs).
STANDARD_SPATIAL_BANDS_M = (0.0, 100.0, 200.0, 300.0)
STANDARD_TEMPORAL_BANDS_DAYS = (0, 7, 14, 21)


class TooDetailed(PermissionError):
    """A protected aggregate asked for a period or a hexagon finer (or of another size) than the
    disclosure rule allows."""


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
    - `distinct`: count columns whose total row (`total_by`) counts distinct people, so a person
      counted in two rows (who reported in two authorities) is one in the total: the total is the
      rows' sum less those people, a count of people too, which a reader gets by subtracting the
      total from the sum and which is never shown as 1..k-1 (a synthetic sum cell and an overlap
      cell, never shown, as for `differences`).
    - `column_totals`: total column -> the columns it adds up (a group per row), or a list of such
      when it adds up in several ways (appeals = the five outcomes = decided + withdrawn + pending).
    - `known_total_by`: the rows with the same values of these columns add up to a total shown
      elsewhere on the page (e.g. months of a stage whose total a table shows; () = all rows).
    - `min_rows`: a row whose value here is 1..k-1 describes fewer than k: it is dropped.
    - `shown_whole`: count columns whose rows (those with the same `shown_whole_by` values), with
      the rows left out (`min_rows`, `listed_for`), add up to a figure shown elsewhere for the same
      choice and period (a map's hexagons: the Overview's incidents and previous incidents, every
      incident located; the Gi* cells of an authority: its incidents in the concentration
      sentence). A synthetic total cell, always shown, holds that figure, and the rows left out
      are one more part of it, never shown (a reader knows it is 0 or more); when what the rows
      left out add up to, or a count the choices of authorities hide (`choice_needs_parts`), would
      follow from the rows shown, more are hidden. Choices are still judged row by row (unlike
      `known_total_by`). A reader who counts the rows left out (a hexagon had at least one
      incident) knows a little more than 0 or more: not modelled.
    - `crossed`: (argument, {its value: the other value}, column, key): the query asked with the
      argument's other value divides the same incidents another way (an authority's wards and its
      LSOAs), and `column` holds each row's counts per row of the other (a list of structs of the
      other's `key`, null for none, and the counts): `crossed_hidden` judges the two maps
      together, as a reader who sees both would (roles.shown_as); the column is never shown.
    - `follows_map`: (where, period column, {period: map column}): the rows describe one place of
      a map, `where(arguments)` giving (the map's named query, its arguments, the column naming its
      places, the place). Where the map, as the viewer sees it, hides that place's count (a cover:
      k or more, hidden so that another count does not follow) or leaves the place out, the rows of
      that period (the period column's value; every row when the column is None) show no count too:
      a trend's are blanked, a list's left out (roles.shown_as). Else opening the place beside the
      map undid the cover.
    - `at_least_k`: derived column -> the count it rests on: hidden when that is below k (medians,
      quartiles, rates over fewer than k cases).
    - `shares`: share column -> (part, whole): hidden unless whole >= k and part and whole - part are
      each 0 or at least k (a frame of measures in rows gives a count or median the part = the whole).
    - `derived`: column -> the counts it is computed from: hidden when any of them is hidden.
    - `places`: place description column -> the distinct-reporters column: shown only with >= k.
    - `single`: columns that describe one case (the first or last date, the shortest or longest
      time): never shown.
    - `county`: column -> (the column holding the fewest cases it rests on, the columns that quote
      or compare with it): a figure over all nine authorities whatever was asked (the county median
      of the partnership table, which is one authority's figure or the mean of two). A viewer
      without person-level rights over all nine sees it, and what quotes it (a cell's colour and
      rule), in no row, their own included, where the fewest cases are below k; the column of the
      fewest cases (one authority's count) is never shown to such a viewer.
    - `months`: date column -> the count of incidents in its month: a date that is one case's
      (the first or last incident of a selection) shown as its month (the month's first day), and
      only when that count is at least k and not hidden; else not at all. The day of one incident
      is never shown, and its month only among k others. Several counts (a tuple) must each pass:
      a file's first date needs k rows in the file and k rows of its source in that month.
      `attrs["months"]` of the result names the date columns whose protected rows hold months.
    - `period`: the names of the (start, end) arguments (MIN_PERIOD_DAYS); `resolution`: the name of
      the H3 resolution argument, or of a `kind` argument such as "h3_10" (RESTRICTED_RESOLUTION).
    - `audit`: loads of it by a viewer without rights are logged (it narrows to one small area).
    - `published`: counts the law requires published as they are (the four s.104 figures): shown
      as they are, never hidden nor hidden as a cover; with `published_when`, only in the rows where
      that column is true (a financial year that is over: one not over is published by nobody yet,
      and its figures in `counts` follow the rule, as the board pack's do).
    - `only_rows`: column -> values: only the rows holding one of these values come under the rule
      (the rows per month of the case-review registers, not of the incident feeds); None: every row.
    - `differences`: name -> (larger, smaller): two count columns of a row whose difference counts
      people or incidents too (nested windows: the incidents 31 to 90 days ago = 90 days - 30 days).
      Never shown itself, but a reader subtracts: a difference of 1..k-1 is hidden by hiding one of
      the two (and the rest of the rule follows, as for `column_totals`).
    - `rows`: for a frame without per-authority rows (`authority` None): the columns that name a
      row (a month, a stage, a hexagon; () for a single row). A viewer who asks for their own
      authority with others sees the rows summed, and knows their own part: a cell is shown only
      when the others' part (the same query for the others alone) and the sum less their own part
      (the query for their own authorities alone) are each 0 or at least k (`protect_result`,
      `others`, `own`). None: the query cannot be asked per authority.
    - `row_span`: the columns holding the first and last day a row counts (a month cut by the
      period's first or last day counts fewer days): a row over fewer than MIN_PERIOD_DAYS days has
      every count hidden, whatever its value (a period of 28 days from 30 September is one day of
      September), with secondary suppression against the totals it adds up to.
    - `choices`: False when the frame's counts are never shown, only what they decide (the data
      span's months): two choices of authorities then have no count to subtract, and the frame is
      not judged against each authority's part (`choice_needs_parts`).
    - `limit`: the argument that caps the rows of a top-N list (`rows` then match only when the
      others' and own lists are asked for without the cap: roles.shown_as lifts it).
    - `listed_for`: columns besides `min_rows` a row is listed for (a Gi* class: a hexagon with no
      incident is listed when it is hot): a protected row whose `min_rows` count is 0 and whose
      `listed_for` columns are all blanked is left out, since its presence alone would tell what
      the blanks hide.
    - `whole_by`: the rows with the same values of these columns count one whole (a place's months
      of a period): when it is 1..k-1 (a place the map leaves out), every count of those rows is
      hidden, zeros too, since which months had none tells when its few incidents fell.
    - `cumulative`: column -> the count it is a running share of, within each authority's rows in
      the frame's order (a Lorenz curve: the share of incidents in the busiest places). Two
      neighbouring points tell the count between them, so a point is shown only when what it adds
      over the previous point shown is 0 or at least k, and the last point (the whole) only when
      what it adds over the one before it shown is too (points before it are blanked until so).
    - `fixed`: argument -> the one value a viewer under the rule may ask it with: a free choice
      whose two values subtract to a count (a warning margin: the stages at risk within 8 working
      days less those within 5; a near-repeat test's bands: the pairs within 50 m less those within
      25 m), refused otherwise (`check_request`; the disclosure audit of 8 December 2026).
    - `order`: the counts the query orders its rows by (busiest first). A row where one of them is
      hidden would tell it by its place (between two rows of 6, it is 6), so such rows come after
      the rows shown (of the same `order_within` value, where the list is ranked per authority), in
      the order of their `rows` key, and a `rank` column counts the rows as they are then listed
      (`_reordered`).
    """

    counts: tuple[str, ...] = ()
    authority: str | None = "authority_code"
    codes: str = "codes"
    total_by: tuple[str, ...] | None = None
    distinct: tuple[str, ...] = ()
    column_totals: dict[str, tuple[str, ...] | list[tuple[str, ...]]] = field(default_factory=dict)
    known_total_by: tuple[str, ...] | None = None
    min_rows: str | None = None
    shown_whole: tuple[str, ...] = ()
    shown_whole_by: tuple[str, ...] = ()
    crossed: tuple[str, dict[str, str], str, str] | None = None
    follows_map: tuple[Callable[[dict], tuple[str, tuple, str, object]], str | None, dict] | None = None
    at_least_k: dict[str, str] = field(default_factory=dict)
    shares: dict[str, tuple] = field(default_factory=dict)  # share -> (part or parts, whole)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    single: tuple[str, ...] = ()
    months: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    county: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    period: tuple[str, str] | None = None
    resolution: str | None = None
    audit: bool = False
    only_rows: dict[str, tuple] | None = None
    published: tuple[str, ...] = ()
    published_when: str | None = None
    differences: dict[str, tuple[str, str]] = field(default_factory=dict)
    rows: tuple[str, ...] | None = None
    limit: str | None = None
    row_span: tuple[str, str] | None = None
    choices: bool = True
    listed_for: tuple[str, ...] = ()
    cumulative: dict[str, str] = field(default_factory=dict)
    whole_by: tuple[str, ...] | None = None
    order: tuple[str, ...] = ()
    order_within: str | None = None
    fixed: dict[str, object] = field(default_factory=dict)


def _resolution(value) -> int | None:
    """The H3 resolution a `resolution` or `kind` argument asks for (None: not a hexagon)."""
    if isinstance(value, str):
        return int(value[3:]) if value.startswith("h3_") and value[3:].isdigit() else None
    return None if value is None else int(value)


def hide_parts_of_hidden_totals(parts: pd.DataFrame, total: pd.Series,
                                columns: dict[str, str | tuple[str, ...]]) -> pd.DataFrame:
    """`parts` (rows of one table that add up to the total row of another on the same page: the
    Appeals page's types to its "All selected" row) with, for each `columns` item (part column ->
    the total column, or the total columns it rests on: a share on its part and whole, upheld in
    full or in part on both), every part hidden where the page hides that total: parts all shown would add up
    to it, and a total hidden as a cover for an authority's small count would then give that count
    back (the download and totals audit of 6 December 2026). Zeros too: 0 and 7 add up to 7. A copy."""
    out = parts.copy()
    for part, whole in columns.items():
        wholes = (whole,) if isinstance(whole, str) else whole
        if part in out.columns and any(w in total.index and pd.isna(total[w]) for w in wholes):
            out[part] = math.nan
    return out


def coarse_as_of(as_of: date, build_as_of: date | None) -> date:
    """The as-of date a viewer without person-level rights over some authority asked for gets: the
    build's own as-of date, or a month's last day (the last before a date that is neither). Two
    as-of dates a day apart told how many people met the threshold, or reported at a place, on that
    one day (the red-team audit of 6 December 2026); a month's end apart they tell a month's figure,
    which the monthly trends show under the rule."""
    return as_of if as_of == build_as_of else periods.last_month_end(as_of)


def coarse_period(start: date, end: date) -> tuple[date, date]:
    """The period such a viewer gets: the whole calendar months that hold it. Two periods a day apart
    (each of at least MIN_PERIOD_DAYS) told one day's incidents by subtracting; whole months apart
    they tell a month's, as the monthly trends do."""
    return periods.whole_months(start, end)


def coarse_dates(start: date, end: date, as_of: date, build_as_of: date | None) -> tuple[date, date, date]:
    """(start, end, as_of) as such a viewer gets them: the as-of date `coarse_as_of`; the default
    period (twelve months to the as-of date asked) the twelve whole months to the last month end on
    or before the as-of date given, so whole months compare with whole months; another period the
    whole months that hold it, ending by the as-of date given (a month that holds it, at the build's
    date)."""
    given = coarse_as_of(as_of, build_as_of)
    if (start, end) == periods.default_period(as_of):
        return (*periods.default_period(periods.last_month_end(given)), given)
    end = min(end, given)
    return (*coarse_period(min(start, end), end), given)


def check_request(spec: Aggregate, arguments: dict, restricted: bool, build_as_of: date | None = None) -> None:
    """Raise TooDetailed when a viewer without person-level rights over some authority asked for
    (`restricted`) asks for a period other than whole calendar months (`coarse_period`; so never
    shorter than MIN_PERIOD_DAYS), an as-of date other than the build's or a month's end
    (`coarse_as_of`; `build_as_of` None: any month end), or a hexagon of another size than
    RESTRICTED_RESOLUTION (finer, or coarser beside it), or a `fixed` argument with another value."""
    if not restricted:
        return
    for name, value in spec.fixed.items():
        if name in arguments and arguments[name] != value:
            raise TooDetailed(f"{name.replace('_', ' ')} can only be the standard {value} for authorities whose "
                              "person-level rows you may not see: two choices of it subtract")
    if spec.period:
        start, end = (arguments.get(name) for name in spec.period)
        if isinstance(start, date) and isinstance(end, date) and (end - start).days + 1 < MIN_PERIOD_DAYS:
            raise TooDetailed(f"a period of at least {MIN_PERIOD_DAYS} days (a month) is needed to show "
                              "figures of authorities whose person-level rows you may not see")
        if isinstance(start, date) and isinstance(end, date) and coarse_period(start, end) != (start, end):
            raise TooDetailed("figures of authorities whose person-level rows you may not see are counted "
                              "over whole calendar months")
    as_of = arguments.get("as_of")
    if isinstance(as_of, date) and coarse_as_of(as_of, build_as_of) != as_of:
        raise TooDetailed("figures of authorities whose person-level rows you may not see are shown as of "
                          "the build's date or a month's end")
    if spec.resolution:
        resolution = _resolution(arguments.get(spec.resolution))
        if resolution is not None and resolution > RESTRICTED_RESOLUTION:
            raise TooDetailed(f"hexagons finer than resolution {RESTRICTED_RESOLUTION} are not shown for "
                              "authorities whose person-level rows you may not see")
        if resolution is not None and resolution != RESTRICTED_RESOLUTION:
            raise TooDetailed(f"hexagons of one size only, resolution {RESTRICTED_RESOLUTION}, are shown for authorities whose "
                              "person-level rows you may not see: two sizes of the same incidents subtract")


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def mixed(spec: Aggregate, columns: Iterable[str], allowed: Iterable[str], requested: Iterable[str] | None) -> bool:
    """Whether a frame of `spec` with these columns sums authorities the viewer has person-level
    rights over with others in one row (no per-authority rows): the viewer knows their own part, so
    the others' part must pass the rule on its own (`protect_result`, `others` and `own`)."""
    if requested is None or (spec.authority and spec.authority in set(columns)):
        return False
    allowed, requested = set(allowed), set(requested)
    return bool(requested & allowed) and bool(requested - allowed)


def choice_needs_whole(spec: Aggregate, columns: Iterable[str], allowed: Iterable[str],
                       requested: Iterable[str] | None) -> bool:
    """Whether a frame of `spec` with these columns, asked for the `requested` authorities, is
    judged against the same query for all nine (`protect_result`'s `whole`): a frame with a row per
    authority and total rows (`total_by`), asked for fewer than the nine, holding an authority
    outside the viewer's person-level rights (`allowed`)."""
    if spec.total_by is None or not spec.authority or spec.authority not in set(columns):
        return False
    return _short_choice(allowed, requested)


def _short_choice(allowed: Iterable[str], requested: Iterable[str] | None) -> bool:
    """Whether `requested` is a choice of fewer than the nine holding an authority outside `allowed`."""
    if requested is None:
        return False
    requested = set(requested)
    return not requested >= set(authorities.CODES) and bool(requested - set(allowed))


def choice_needs_parts(spec: Aggregate, columns: Iterable[str], allowed: Iterable[str],
                       requested: Iterable[str] | None) -> bool:
    """Whether a frame of `spec` with these columns, asked for the `requested` authorities, is
    judged against each authority's part (`protect_result`'s `parts`): a frame that sums the chosen
    authorities in rows without an authority (`rows` declared), asked for fewer than the nine,
    holding an authority outside the viewer's person-level rights (`allowed`)."""
    if not spec.choices or spec.rows is None or (spec.authority and spec.authority in set(columns)):
        return False
    return _short_choice(allowed, requested)


def _row_key(row: pd.Series, keys: Sequence[str]) -> tuple:
    return tuple(None if pd.isna(row[c]) else row[c] for c in keys)


def _choice_hidden_rows(spec: Aggregate, out: pd.DataFrame, counts: list[str], allowed: set,
                        requested: Iterable[str], k: int, parts: dict[str, pd.DataFrame] | None) -> set:
    """The cells of a frame of `spec` that sums the chosen authorities in rows without an authority
    (`choice_needs_parts`) hidden so that no two choices of authorities can be subtracted: the
    Threshold page's history for all nine less that for the other eight is Bolsover's month by month.

    `parts`: the same query for each authority outside the viewer's rights alone. They make the
    table a reader could at best build from many choices: per row, a cell per authority and their
    total. Rows are judged in blocks: each row alone, or, where the rows add up to a total shown
    elsewhere (`known_total_by`: the months of a period whose per-authority totals another table
    shows), the rows of one such total together. In each block, H is the authorities with a part
    of 1..k-1 in any of its rows and columns (in any of its rows, per column, when the frame's
    columns are no sums or differences of each other), and, for each column where only one of H has parts,
    the authority with the smallest other non-zero total in that column (as that other table would
    hide it beside a small one). A cell of the frame is shown only when the chosen authorities
    outside the viewer's rights hold none of H: a shown sum is then of authorities whose every part
    there the viewer may see alone, and the nine's row less such sums is the parts of H added
    together, two or more of them, never one alone. Without `parts` (an authority's part could not
    be asked for alone), no count is shown."""
    chosen = set(requested) - allowed
    if not chosen:
        return set()
    if parts is None:
        return {(i, c) for i in out.index for c in counts}
    keys = [c for c in spec.rows or () if c in out.columns]
    outside = [c for c in authorities.CODES if c not in allowed]
    at = ([keys.index(c) for c in spec.known_total_by if c in keys] if spec.known_total_by is not None
          else list(range(len(keys))))

    def block(row: pd.Series) -> tuple:
        key = _row_key(row, keys)
        return tuple(key[n] for n in at)

    # block -> column -> authority -> its parts there (their sum, and whether one is 1..k-1)
    size: dict[tuple, dict] = {}
    small: dict[tuple, dict] = {}
    for code in outside:
        frame = parts.get(code)
        if frame is None or not len(frame):
            continue
        if any(c not in frame.columns for c in keys):
            return {(i, c) for i in out.index for c in counts}
        columns = [c for c in counts if c in frame.columns]
        numbers = frame[columns].map(_number)
        for n, (_, row) in enumerate(frame.iterrows()):
            b = block(row)
            for c, v in zip(columns, numbers.iloc[n].tolist(), strict=True):
                if pd.notna(v):
                    per = size.setdefault(b, {}).setdefault(c, {})
                    per[code] = per.get(code, 0.0) + v
                    if 0 < v < k:
                        small.setdefault(b, {}).setdefault(c, set()).add(code)
    # One H per block for every column, unless the columns are no sums or differences of each other
    # (`column_totals`, `differences`): then each column has its own, and a count is hidden only for
    # a small part in its own column. A hexagon wholly Derby's, of 25 incidents and 3 the period
    # before, was left off a map of Derby alone for its previous count (the pages audit of 6
    # December 2026: 141 of 463 such hexagons), though the nine's map shows it as it is.
    apart = not spec.column_totals and not spec.differences
    pattern: dict[tuple, dict[str, set]] = {}   # block -> column -> H
    for b in {block(out.loc[i]) for i in out.index}:
        sizes, smalls = size.get(b, {}), small.get(b, {})
        pattern[b] = {}
        for together in ([[c] for c in counts] if apart else [counts]):   # the columns judged as one
            h = set().union(*(smalls.get(c, set()) for c in together))
            changed = True
            while changed:   # per column, a small part is never H's only part there: it would be pinned
                changed = False
                for c in together:
                    per = sizes.get(c, {})
                    inside = [code for code in h if per.get(code, 0) > 0]
                    covers = sorted((v, code) for code, v in per.items() if code not in h and v > 0)
                    if len(inside) == 1 and inside[0] in smalls.get(c, ()) and covers:
                        h.add(covers[0][1])
                        changed = True
            pattern[b].update(dict.fromkeys(together, h))
    return {(i, c) for i in out.index for c in counts if chosen & pattern[block(out.loc[i])][c]}


def _choice_hidden(spec: Aggregate, out: pd.DataFrame, counts: list[str], allowed: set, requested: Iterable[str],
                   k: int, whole: pd.DataFrame | None) -> set:
    """The cells of a frame of `spec` (per-authority rows and total rows, asked for `requested`,
    fewer than the nine) hidden so that no choice of authorities tells more than the nine together.

    A reader who picks one choice of authorities, then another, and subtracts the totals reads an
    authority's hidden figure (all nine less the other eight). So each frame is judged against
    `whole`, the same query for all nine as this viewer sees it: an authority's cell hidden there
    is hidden here, whatever the choice (one suppression pattern, H, per total row and column); a
    total row's count is shown only when the chosen authorities outside the viewer's rights hold
    none of H, or all of H and the nine's total is shown. Each shown value is then worked out from
    the nine's view alone, so no combination of choices gives away what that view hides. A total
    of distinct people (`distinct`) is no sum of the rows, and choices combined tell how many people
    reported in exactly these authorities (inclusion and exclusion): it is shown for all nine (and
    the viewer's own authorities alone) only. Without `whole`, no count of a total row of a choice
    with another authority is shown."""
    chosen = set(requested) - allowed
    keys = [c for c in spec.total_by or () if c in out.columns]
    total_rows = [i for i in out.index if pd.isna(out.at[i, spec.authority])]
    hidden: set = set()
    if not chosen:
        return hidden
    if whole is None:
        return {(i, c) for i in total_rows for c in counts}

    def by_row(frame: pd.DataFrame) -> dict:   # (group, authority or None) -> the row
        return {(_row_key(row, keys), None if pd.isna(row[spec.authority]) else row[spec.authority]): row
                for _, row in frame.iterrows()}

    true_rows, seen_rows = by_row(whole), by_row(protect_result(spec, whole, allowed, authorities.CODES, k))
    pattern: dict[tuple, set] = {}     # (group, column) -> H: the authorities hidden in the nine's view
    nine_total: dict[tuple, bool] = {}  # (group, column) -> the nine's total is shown
    for (group, authority), true in true_rows.items():
        row = seen_rows.get((group, authority))   # a row the rule left out (`min_rows`) is hidden
        for c in counts:
            if c not in whole.columns:
                continue
            shown = row is not None and pd.notna(row[c])
            if authority is None:
                nine_total[(group, c)] = shown
            elif not shown and pd.notna(true[c]):
                pattern.setdefault((group, c), set()).add(authority)
    for i in out.index:
        group, authority = _row_key(out.loc[i], keys), out.at[i, spec.authority]
        for c in counts:
            if pd.notna(authority):
                if authority not in allowed and authority in pattern.get((group, c), ()):
                    hidden.add((i, c))
                continue
            if c in spec.distinct:
                shown = False
            else:
                h = pattern.get((group, c), set())
                shown = not (chosen & h) or (chosen >= h and nine_total.get((group, c), False))
            if not shown:
                hidden.add((i, c))
    return hidden


def protect_result(spec: Aggregate, frame: pd.DataFrame, allowed: Iterable[str], requested: Iterable[str] | None,
                   k: int, others: pd.DataFrame | None = None, own: pd.DataFrame | None = None,
                   whole: pd.DataFrame | None = None, check_choices: bool = False,
                   parts: dict[str, pd.DataFrame] | None = None,
                   forced: tuple[str, set] | None = None) -> pd.DataFrame:
    """The frame as a viewer may see it: rows of `allowed` authorities (those the viewer has
    person-level rights over) as they are; everything else under the rule of `spec` (see
    `Aggregate`). `requested`: the authorities the query was asked for (None: unknown, every row
    without an authority is protected). `attrs["hidden"]` counts the cells hidden, `attrs["dropped"]`
    the rows left out.

    A `mixed` selection (the viewer's own authorities and others summed in rows without an
    authority): `others` is the same query for the requested authorities outside `allowed` alone,
    `own` for those inside; rows match on `spec.rows`. Besides the rule on the sums, a cell is
    hidden when the others' part or the sum less the own part is 1..k-1, with secondary suppression
    of each of these as for the sums. Without `others` (when `spec.rows` says the query can be
    split), every count is hidden: the sums cannot be checked.

    With `check_choices` (roles.shown_as, for every page), a frame with per-authority rows and total
    rows asked for fewer than the nine authorities (`choice_needs_whole`) is judged against `whole`,
    the same query for all nine, so that no two choices of authorities can be subtracted
    (`_choice_hidden`); without `whole` its total rows show no count. A frame that sums the chosen
    authorities in rows without an authority, asked for fewer than the nine (`choice_needs_parts`),
    is judged against `parts`, the same query for each authority outside `allowed` alone
    (`_choice_hidden_rows`); without them it shows no count. `forced`: (a key column, {(its value,
    a count column)}): cells of protected rows hidden whatever their value, with the rest of the
    rule following (`crossed_hidden`'s, for a map judged with another)."""
    allowed = set(allowed)
    frame, county_hidden = _county(spec, frame, allowed, k)
    whole_is_allowed = requested is not None and set(requested) <= allowed
    split = mixed(spec, frame.columns, allowed, requested) and spec.rows is not None
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
    left_out: dict[tuple, float] = {}   # `shown_whole`: (block, column) -> what the rows left out add up to
    if spec.min_rows and spec.min_rows in out.columns:
        value = out[spec.min_rows].map(_number)
        drop = ~open_rows & (value > 0) & (value < k)
        listed = [c for c in spec.listed_for if c in out.columns]
        whole = [c for c in spec.shown_whole if c in out.columns]
        if whole and listed and set(listed) <= set(spec.counts):
            # and a row listed for counts of 1..k-1 alone (as it would be left out below)
            drop |= ~open_rows & (value == 0) & pd.concat(
                [out[c].map(_number).between(1, k - 1) for c in listed], axis=1).all(axis=1)
        dropped = int(drop.sum())
        if dropped:
            left_out = _left_out(spec, out[drop], whole)
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
    if spec.published_when in out.columns:   # published by law in these rows: never hidden, nor a cover
        flags = out[spec.published_when].fillna(False).astype(bool).tolist()
        exempt |= {(i, c) for i in out.index if flags[i] for c in spec.published if c in counts}
    # a row over fewer than MIN_PERIOD_DAYS days (a month cut by the period's first or last day)
    short: set = set()
    if spec.row_span and all(c in out.columns for c in spec.row_span):
        first, last = (pd.to_datetime(out[c], errors="coerce") for c in spec.row_span)
        days = ((last - first).dt.days + 1).tolist()
        short = {(i, c) for i in closed if not days[i] >= MIN_PERIOD_DAYS for c in counts}
    if forced and forced[0] in out.columns:
        keys = out[forced[0]].tolist()
        short |= {(i, c) for i in closed for c in counts if (keys[i], c) in forced[1]}
    groups, totals, free = _groups(spec, out, counts, values, closed, left_out)
    primary, secondary = hidden_cells({**values, **totals, **free}, groups, k, exempt | set(totals),
                                      free, short)  # a known total is shown
    hidden = {key for key in primary | secondary if key[0] in out.index and key[1] in counts}
    first_primary = primary
    parts_hidden: set = set()  # cells hidden for the others' part of a mixed selection
    if split:
        for part, part_left_out in _parts(spec, out, counts, values, others, own, left_out):
            groups, totals, free = _groups(spec, out, counts, part, closed, part_left_out)
            primary, secondary = hidden_cells({**part, **totals, **free}, groups, k, set(totals), free, short)
            parts_hidden |= {key for key in primary | secondary if key[0] in out.index and key[1] in counts}
        hidden |= parts_hidden
    if check_choices and choice_needs_whole(spec, out.columns, allowed, requested):
        hidden |= _choice_hidden(spec, out, counts, allowed, requested, k, whole)
    choice_hidden: set = set()
    if check_choices and choice_needs_parts(spec, out.columns, allowed, requested):
        # a place's description goes with its reporters' count (`places`)
        choice_hidden = _choice_hidden_rows(spec, out, counts, allowed, requested, k, parts)
        parts_hidden |= choice_hidden
        hidden |= parts_hidden
    if spec.shown_whole and choice_hidden:   # a count the choices hide, told by the whole less the rows shown
        groups, totals, free = _groups(spec, out, counts, values, closed, left_out)
        primary, secondary = hidden_cells({**values, **totals, **free}, groups, k, exempt | set(totals), free,
                                          short | (hidden - first_primary))
        hidden |= {key for key in primary | secondary if key[0] in out.index and key[1] in counts}
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
                i for i in closed if reporters not in out.columns or not cell(i, reporters) >= k
                or (i, reporters) in parts_hidden)
    for column in spec.single:
        if column in out.columns:
            blank.setdefault(column, set()).update(closed)
    for column, bases in spec.months.items():
        if column in out.columns:
            bases = (bases,) if isinstance(bases, str) else tuple(bases)
            blank.setdefault(column, set()).update(
                i for i in closed if any(b not in out.columns or not cell(i, b) >= k or (i, b) in hidden
                                         for b in bases))
    if spec.whole_by is not None and all(c in out.columns for c in spec.whole_by):
        for _, block in out.loc[closed].groupby(list(spec.whole_by) or (lambda _: 0), dropna=False, sort=False):
            for column in counts:
                if 0 < sum(v for v in (cell(i, column) for i in block.index) if pd.notna(v)) < k:
                    blank.setdefault(column, set()).update(block.index)
    for column, whole in spec.cumulative.items():
        if column in out.columns and whole in out.columns:
            blank.setdefault(column, set()).update(_cumulative_hidden(spec, out, closed, column, whole, hidden, k))
    result = out.copy()
    for column in spec.months:   # the closed rows' dates as their months (those left are blanked below)
        if column in out.columns and closed:
            dates = pd.to_datetime(result[column], errors="coerce")
            result[column] = dates.where(open_rows, dates.dt.to_period("M").dt.to_timestamp())
    for column, rows in blank.items():
        if rows:
            _blanked(result, column, sorted(rows))
    moved = pd.Series(False, index=result.index)   # rows whose place in the list tells a hidden count
    for column in spec.order:
        if blank.get(column):
            moved[sorted(blank[column])] = True
    gone = []
    if spec.min_rows and choice_hidden:   # a listed place (a hexagon) shows its count: else it is left out
        gone = [i for i in result.index if (i, spec.min_rows) in choice_hidden]
    listed = [c for c in spec.listed_for if c in out.columns]
    if spec.min_rows in out.columns and listed:   # listed for a figure it no longer shows
        gone += [i for i in closed if cell(i, spec.min_rows) == 0 and i not in gone
                 and all(i in blank.get(c, ()) for c in listed)]
    if gone:
        result, dropped = result.drop(index=gone).reset_index(drop=True), dropped + len(gone)
        moved = moved.drop(index=gone).reset_index(drop=True)
    result = _reordered(spec, result, moved)
    result.attrs = {**frame.attrs, "hidden": county_hidden + sum(len(rows) for rows in blank.values()),
                    "dropped": dropped, "months": tuple(c for c in spec.months if c in out.columns and closed)}
    return result


def _reordered(spec: Aggregate, result: pd.DataFrame, moved: pd.Series) -> pd.DataFrame:
    """`result` with its `moved` rows (an `order` count hidden) after the rows shown of their block
    (the rows of one `order_within` value, or the whole frame), those in their original order, the moved ones in
    the order of their `rows` key; a `rank` column then counts each such block's rows 1, 2, ..."""
    if not moved.any():
        return result
    keys = [c for c in (spec.rows or ()) if c in result.columns] or \
        [c for c in ("h3_cell", "code") if c in result.columns]
    if spec.order_within and spec.order_within in result.columns:
        group = result[spec.order_within].fillna("").astype(str)
        block = group.map({g: i for i, g in enumerate(dict.fromkeys(group))})
    else:
        block = pd.Series(0, index=result.index)
    texts = [result[c].astype(str) for c in keys]   # joined column by column (a row-wise join: 0.1 s a frame)
    key = texts[0].str.cat(texts[1:], sep="|") if keys else pd.Series("", index=result.index)
    moved = moved.astype(bool)
    sort = pd.DataFrame({"block": block, "moved": moved, "key": key.where(moved, "")})
    order = sort.sort_values(["block", "moved", "key"], kind="stable").index   # stable: the shown keep their order
    out = result.loc[order].reset_index(drop=True)
    if "rank" in out.columns:
        blocks = block.loc[order].reset_index(drop=True)
        renumbered = blocks.isin(set(block[moved]))
        out.loc[renumbered, "rank"] = (blocks.groupby(blocks).cumcount() + 1)[renumbered]
    return out


def _cumulative_hidden(spec: Aggregate, out: pd.DataFrame, closed: list[int], column: str, whole: str,
                       hidden: set, k: int) -> set[int]:
    """The closed rows whose running share `column` of `whole` must be blanked (`Aggregate.cumulative`)."""
    blanked: set[int] = set()
    rows = out.loc[closed]
    keys = rows[spec.authority] if spec.authority in rows.columns else pd.Series(0, index=rows.index)
    for _, block in rows.groupby(keys, sort=False, dropna=False):
        index = block.index.tolist()
        total = _number(block[whole].iloc[0])
        if not total >= k or any((i, whole) in hidden for i in index):
            blanked.update(index)   # the whole is hidden: so is every share of it
            continue
        running = [round(_number(v) * total) for v in block[column].tolist()]
        kept: list[int] = []   # positions in `index` of the points shown
        for n, value in enumerate(running):
            before = running[kept[-1]] if kept else 0
            last = n == len(running) - 1
            while last and kept and 0 < value - before < k:   # the whole: blank points until its step is safe
                blanked.add(index[kept.pop()])
                before = running[kept[-1]] if kept else 0
            if value - before == 0 or value - before >= k or (last and not kept):
                kept.append(n)
            else:
                blanked.add(index[n])
    return blanked


def _blanked(frame: pd.DataFrame, column: str, rows) -> None:
    """Blank `column` in `rows` of `frame` (in place): NaN in a column of numbers, else None."""
    numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
    frame[column] = frame[column].astype("float64" if numeric else object)
    frame.loc[rows, column] = math.nan if numeric else None


def _county(spec: Aggregate, frame: pd.DataFrame, allowed: set, k: int) -> tuple[pd.DataFrame, int]:
    """(the frame with `spec.county` applied, the cells blanked): for a viewer without person-level
    rights over all nine authorities, each county figure, and the columns quoting it, blanked in
    every row where the fewest cases it rests on are below k, and the fewest cases in every row.
    `attrs["hidden"]` of a frame that needs nothing else says so."""
    if not spec.county or set(authorities.CODES) <= allowed:
        return frame, 0
    out, hidden = frame.copy(), 0
    for column, (fewest, quoting) in spec.county.items():
        if column not in out.columns or fewest not in out.columns:
            continue
        rows = out.index[out[column].notna() & ~(out[fewest].map(_number) >= k)]
        for name in (column, *quoting):
            if name in out.columns and len(rows):
                hidden += int(out.loc[rows, name].notna().sum())
                _blanked(out, name, rows)
        _blanked(out, fewest, out.index)
    if hidden:
        out.attrs = {**frame.attrs, "hidden": hidden, "dropped": 0}
    return out, hidden


def _parts(spec: Aggregate, out: pd.DataFrame, counts: list[str], values: dict, others: pd.DataFrame | None,
           own: pd.DataFrame | None, left_out: dict[tuple, float]) -> list[tuple[dict, dict[tuple, float]]]:
    """The cells of a mixed selection's frame as the parts a viewer can tell apart: the others'
    part (`others`, rows matched on `spec.rows`; a row they lack is 0) and the sum less the own
    part (`own`). Without `others`, every count is taken as a part of 1 (all hidden). Each with
    its part of what the rows left out add up to (`Aggregate.shown_whole`: `left_out`, the whole
    frame's)."""
    if others is None:
        return [({key: (1.0 if pd.notna(v) and v != 0 else v) for key, v in values.items()},
                 {key: float(v != 0) for key, v in left_out.items()})]
    theirs = _matched(spec, out, counts, others)
    found = [(theirs, _unmatched(spec, out, others, theirs, left_out))]
    if own is not None:
        mine = _matched(spec, out, counts, own)
        mine_left = _unmatched(spec, out, own, mine, left_out)
        found.append(({key: v - mine[key] if pd.notna(v) else v for key, v in values.items()},
                      {key: v - mine_left[key] for key, v in left_out.items()}))
    return found


def _whole_block(spec: Aggregate, frame: pd.DataFrame) -> list[tuple]:
    """Each row's block of `Aggregate.shown_whole_by` (the values of those columns)."""
    keys = [c for c in spec.shown_whole_by if c in frame.columns]
    return [tuple(r) for r in frame[keys].astype(object).where(frame[keys].notna(), None).itertuples(index=False)]


def _left_out(spec: Aggregate, rows: pd.DataFrame, columns: Iterable[str]) -> dict[tuple, float]:
    """(block, column) -> what `rows` (the rows left out) add up to in that block (`shown_whole_by`)."""
    found: dict[tuple, float] = {}
    blocks = _whole_block(spec, rows)
    for c in columns:
        for block, value in zip(blocks, rows[c].map(_number).tolist(), strict=True):
            found[(block, c)] = found.get((block, c), 0.0) + (value if pd.notna(value) else 0.0)
    return found


def _unmatched(spec: Aggregate, out: pd.DataFrame, part: pd.DataFrame, matched: dict,
               left_out: dict[tuple, float]) -> dict[tuple, float]:
    """What `part` (the same query for some of the authorities) holds beyond the rows `matched` to
    the frame's, per (block, column) of `left_out`: its part of the rows left out."""
    columns = [c for c in dict.fromkeys(c for _, c in left_out) if c in part.columns]
    found = _left_out(spec, part, columns)
    blocks = _whole_block(spec, out)   # `out`'s index is 0..n-1: a row's label is its position
    for (i, c), v in matched.items():
        if c in columns:
            found[(blocks[i], c)] = found.get((blocks[i], c), 0.0) - v
    return {key: found.get(key, 0.0) for key in left_out}


def _matched(spec: Aggregate, out: pd.DataFrame, counts: list[str], part: pd.DataFrame) -> dict:
    """(row, column) of `out` -> the same cell of `part` (the same query for some of the
    authorities), rows matched on `spec.rows` (0 where `part` has no such row)."""
    keys = [c for c in spec.rows or () if c in out.columns and c in part.columns]
    if len(keys) < len(spec.rows or ()) or (not keys and len(out) > 1):
        raise ValueError(f"the rows of this frame are not told apart by {spec.rows!r}")
    columns = [c for c in counts if c in part.columns]
    numbers = part[keys + columns].copy()
    for column in columns:
        numbers[column] = numbers[column].map(_number)
    if keys:
        summed = numbers.groupby(keys, dropna=False, sort=False)[columns].sum(min_count=1).reset_index()
        joined = out[keys].merge(summed, on=keys, how="left")
    else:
        joined = pd.DataFrame([numbers[columns].sum(min_count=1)] * len(out), columns=columns)
    arrays = {c: joined[c].to_numpy() for c in columns}   # read by position: .iloc per cell was most of the time

    def cell(i, c):
        value = arrays[c][i] if c in arrays else None
        return value if value is not None and pd.notna(value) else 0.0

    return {(i, c): cell(i, c) for i in out.index for c in counts}


def crossed_hidden(spec: Aggregate, k: int, allowed: Iterable[str], mine: tuple[pd.DataFrame, pd.DataFrame],
                   theirs: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[set, set]:
    """The cells ({(key, count column)}) of two maps that divide the same incidents two ways
    (`Aggregate.crossed`: an authority's wards and its LSOAs) to hide besides what each hides
    alone, so that a reader who sees both (each as (true frame, shown frame)) tells no hidden count
    of 1..k-1 from them, nor the incidents of one area of the one inside one of the other.

    Each area of either map is the sum of its parts (its incidents inside each area of the other,
    or in none), which neither map shows, and an authority's areas of either map add up to its
    total: where a hidden count follows from the counts shown, more are hidden (the smallest
    count of the authority's areas, or the area itself whose parts tell it), as `hidden_cells`
    does within one map. A ward whose incidents all lie in LSOAs wholly inside it is their sum:
    with the LSOAs' 6, 0 and a hidden one, a ward's 7 told the hidden 1 (the roles audit's S2)."""
    _, _, column, key = spec.crossed
    allowed = set(allowed)
    counts = [c for c in spec.counts if c in mine[0].columns and c in theirs[0].columns]
    values: dict = {}
    groups: list[Group] = []
    exempt: set = set()
    free: set = set()
    forced: set = set()
    sides = {"mine": mine, "theirs": theirs}
    within_of = {side: {code: [(part[key], part) for part in within] for code, within in zip(
                     true[key], true[column], strict=True) if isinstance(within, (list, tuple, np.ndarray))}
                 for side, (true, _) in sides.items()}   # NA: no incident

    def piece(side: str, code, other, c: str):
        """The cell holding `code`'s incidents inside `other` (an area of the other map, or None):
        `other` itself when they are all its incidents (a ward that is one LSOA's part), else `code`
        itself when they are all `code`'s (an LSOA wholly inside one ward), else a part never shown.
        `other` first: an LSOA that is a whole ward is then that ward's count in both groups."""
        other_side = "theirs" if side == "mine" else "mine"
        if other is None:
            return ("in", side, code, None), c
        if len(within_of[other_side].get(other, [])) == 1:
            return (other_side, other), c
        if len(within_of[side].get(code, [])) == 1:
            return (side, code), c
        return ("in", *sorted([(side, code), (other_side, other)])), c

    blank = {side: _blank_cells(shown, key, counts) for side, (_, shown) in sides.items()}   # what each map hides
    for side, (true, _) in sides.items():
        for code, authority, *numbers in true[[key, spec.authority, *counts]].itertuples(index=False):
            for c, number in zip(counts, numbers, strict=True):
                cell = ((side, code), c)
                values[cell] = _number(number)
                if authority in allowed:
                    exempt.add(cell)
                elif (code, c) in blank[side] and not 0 < values[cell] < k:
                    forced.add(cell)   # hidden by the map's own rule
                pieces = []
                for other, part in within_of[side].get(code, []):
                    found = piece(side, code, other, c)
                    if found[0][0] == "in":   # a part never shown: a reader knows it is 0 or more
                        values[found] = float(part[c])
                        free.add(found)
                    pieces.append(found)
                if pieces and pieces != [cell]:
                    groups.append(Group(cell, tuple(dict.fromkeys(pieces))))
    members: dict = {}   # an authority's areas of either map add up to its total
    for side, (true, _) in sides.items():
        for code, a in zip(true[key], true[spec.authority], strict=True):
            for c in counts:
                members.setdefault((("authority", side, a), c), []).append(((side, code), c))
    for total, cells in members.items():
        values[total] = sum(v for v in (values[x] for x in cells) if pd.notna(v))
        exempt.add(total)
        groups.append(Group(total, tuple(cells)))
    primary, secondary = hidden_cells(values, groups, k, exempt, free, forced)
    hidden = (primary | secondary) - exempt - free

    def more(side: str, shown: pd.DataFrame) -> set:   # hidden now, shown by the map alone
        listed = set(shown[key])
        return {(where[1], c) for where, c in hidden if isinstance(where, tuple) and where[0] == side
                and where[1] in listed and (where[1], c) not in blank[side]}

    return more("mine", mine[1]), more("theirs", theirs[1])


def _blank_cells(frame: pd.DataFrame, key: str, counts: list[str]) -> set:
    """(key, column) of the counts `frame` shows blank."""
    return {(code, c) for c in counts for code, value in zip(frame[key], frame[c].isna(), strict=True) if value}


def _groups(spec: Aggregate, out: pd.DataFrame, counts: list[str], values: dict,
            closed: Iterable[int] = (), left_out: dict[tuple, float] | None = None) -> tuple[list[Group], dict, dict]:
    """The lines whose total a reader sees: a total row (authority null) over the rows with the same
    `total_by` values (for a `distinct` column: the rows' sum, a synthetic cell never shown, is the
    total plus the people counted in two rows, another such cell), total columns over their parts,
    `known_total_by` (a total shown elsewhere: a synthetic total cell, always shown, holds the sum)
    and, in the `closed` rows, `differences` (a synthetic cell, never shown, holds larger - smaller:
    larger = smaller + it). Returns (groups, the known totals' cells, the synthetic cells never
    shown), the cells with their values."""
    groups: list[Group] = []
    free: dict = {}
    if spec.total_by is not None and spec.authority in out.columns:
        keys = [c for c in spec.total_by if c in out.columns]
        for _, block in out.groupby(keys or (lambda _: 0), dropna=False, sort=False):
            totals = block.index[block[spec.authority].isna()]
            parts = tuple(block.index[block[spec.authority].notna()])
            for total in totals:
                groups += [Group((total, c), tuple((p, c) for p in parts)) for c in counts if c not in spec.distinct]
                for c in (c for c in counts if c in spec.distinct and pd.notna(values[(total, c)])):
                    # rows' sum = the distinct total + the people counted in two rows (both never shown)
                    summed, overlap = ("distinct sum", total, c), ("distinct overlap", total, c)
                    free[summed] = sum(v for v in (values[(p, c)] for p in parts) if pd.notna(v))
                    free[overlap] = free[summed] - values[(total, c)]
                    groups += [Group(summed, tuple((p, c) for p in parts)), Group(summed, ((total, c), overlap))]
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
    whole = [c for c in spec.shown_whole if c in counts]
    if whole:   # `shown_whole`: the rows of a block, with those left out, add up to a figure shown
        rows: dict[tuple, list] = {}
        for i, block in zip(out.index, _whole_block(spec, out), strict=True):
            rows.setdefault(block, []).append(i)
        for block in sorted({*rows, *(b for b, _ in left_out or {})}, key=repr):   # one order, every run
            for c in whole:
                parts = tuple((i, c) for i in rows.get(block, ()))
                total = ("shown whole", block, c)
                totals[total] = sum(v for v in (values[p] for p in parts) if pd.notna(v))
                if (block, c) in (left_out or {}):   # rows were left out: what they add up to is never shown
                    free[("left out", block, c)] = left_out[(block, c)]
                    totals[total] += left_out[(block, c)]
                    parts += (("left out", block, c),)
                groups.append(Group(total, parts))
    for name, (larger, smaller) in spec.differences.items():
        if larger in counts and smaller in counts:
            for i in closed:
                if pd.notna(values[(i, larger)]) and pd.notna(values[(i, smaller)]):
                    free[(i, name)] = values[(i, larger)] - values[(i, smaller)]
                    groups.append(Group((i, larger), ((i, smaller), (i, name))))
    return groups, totals, free
