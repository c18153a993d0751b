"""Words for the board pack: numbers, changes and lists of names as a slide title says them.

A change is called a rise or a fall only when it is significant by the Poisson change rule of
etl.marts.hotspots (|2(sqrt(current) - sqrt(baseline))| > 2); smaller ones are "about the same" or
"within normal variation", so the board is not asked to explain every wiggle.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from etl.marts import hotspots

UP, DOWN = "▲", "▼"


def num(value) -> str:
    """'1,234'; an en dash when missing."""
    return "–" if value is None or pd.isna(value) else f"{value:,.0f}"


def days(value) -> str:
    """A median of working days as the pages print it ('0.5', '3', '12.5': f"{v:g}", as in
    insight.charts.reviews.median_table and app_pages/appeals.py); an en dash when missing. Never
    rounded to a whole day: f"{0.5:.0f}" is '0' and f"{2.5:.0f}" is '2' (half to even)."""
    return "–" if value is None or pd.isna(value) else f"{value:g}"


def pct(change: float, base: float) -> str:
    """'+5%' / '−12%' (a real minus sign); 'new' when the base is zero."""
    if not base:
        return "new" if change else "0%"
    share = change / base
    digits = 1 if 0 < abs(share) < 0.005 else 0  # "−0.2%", never "−0%"
    return f"{'+' if share >= 0 else '−'}{abs(share):.{digits}%}"


def signed(value: float) -> str:
    return f"{'+' if value >= 0 else '−'}{abs(value):,.0f}"


def significance(current: float, baseline: float) -> int:
    """+1 significant rise, -1 significant fall, 0 within normal variation."""
    if not hotspots.is_significant_change(current, baseline):
        return 0
    return 1 if current > baseline else -1


def arrow(direction: int) -> str:
    return UP if direction > 0 else DOWN if direction < 0 else ""


def change_cell(current: float, baseline: float) -> tuple[str, int]:
    """('−785 (−13%) ▼', -1): the change for a table cell, with the arrow when significant."""
    direction = significance(current, baseline)
    text = f"{signed(current - baseline)} ({pct(current - baseline, baseline)})"
    return (f"{text} {arrow(direction)}" if direction else text), direction


def change_phrase(subject: str, current: float, baseline: float, versus: str) -> str:
    """'ASB fell 13% on last month' / 'ASB was about the same as last month (+2%)'."""
    direction = significance(current, baseline)
    if direction == 0:
        return f"{subject} was about the same as {versus} ({pct(current - baseline, baseline)})"
    if not baseline:
        return f"{subject} rose to {num(current)}, from none {'' if versus.startswith('last') else 'in '}{versus}"
    verb = "rose" if direction > 0 else "fell"
    amount = pct(current - baseline, baseline).lstrip("+−")
    preposition = "on" if versus.startswith("last") else "compared with"
    return f"{subject} {verb} {amount} {preposition} {versus}"


def share(value: float) -> str:
    """'0.13%', or 'under 0.01%' for a share too small to print."""
    return "under 0.01%" if 0 < value < 0.0001 else f"{value:.2%}"


def names(items: Sequence[str], most: int = 3, of: int | None = None) -> str:
    """'Derby', 'Derby and Erewash', 'Bolsover, Derby and Erewash', '5 of 9 authorities' or 'all 9
    authorities'."""
    items = list(items)
    if len(items) > most and len(items) == of:
        return f"all {of} authorities"
    if len(items) > most:
        return f"{len(items)} of {of or len(items)} authorities"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 person' / '12 people'."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"
