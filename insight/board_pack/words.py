"""Words for the board pack: numbers, changes and lists of names as a slide title says them.

A change is called a rise or a fall only when it is significant by the Poisson change rule of
etl.marts.hotspots (|2(sqrt(current) - sqrt(baseline))| > 2); smaller ones are "about the same" or
"within normal variation", so the board is not asked to explain every wiggle.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from etl.marts import hotspots
from insight import labels

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
    if share == 0:
        return "0%"
    digits = 1 if 0 < abs(share) < 0.005 else 0  # "−0.2%", never "−0%"
    return f"{'+' if share >= 0 else '−'}{abs(share):.{digits}%}"


def signed(value: float) -> str:
    """'+5' / '−12' (a real minus sign); '0' without a sign."""
    return "0" if value == 0 else f"{'+' if value > 0 else '−'}{abs(value):,.0f}"


def significance(current: float, baseline: float) -> int:
    """+1 significant rise, -1 significant fall, 0 within normal variation."""
    if not hotspots.is_significant_change(current, baseline):
        return 0
    return 1 if current > baseline else -1


def arrow(direction: int) -> str:
    return UP if direction > 0 else DOWN if direction < 0 else ""


NONE_IN_EITHER = "none in either"  # a change between two zeros: no sign, no percentage


def change_cell(current: float, baseline: float, flag: bool = True) -> tuple[str, int]:
    """('−785 (−13%) ▼', -1): the change for a table cell, with the arrow when significant (and
    `flag`: a month whose feeds are incomplete gets no arrow); 'none in either' for 0 against 0."""
    if not current and not baseline:
        return NONE_IN_EITHER, 0
    direction = significance(current, baseline) if flag else 0
    text = f"{signed(current - baseline)} ({pct(current - baseline, baseline)})"
    return (f"{text} {arrow(direction)}" if direction else text), direction


def change_phrase(subject: str, current: float, baseline: float, versus: str) -> str:
    """'ASB fell 13% on last month' / 'ASB was about the same as last month (+2%)' / 'ASB was 0, as
    it was last month'."""
    if not current and not baseline:
        return f"{subject} was 0, as it was {versus if versus.startswith('last') else 'in ' + versus}"
    direction = significance(current, baseline)
    if direction == 0:
        return f"{subject} was about the same as {versus} ({pct(current - baseline, baseline)})"
    if not baseline:
        return f"{subject} rose to {num(current)}, from none {'' if versus.startswith('last') else 'in '}{versus}"
    verb = "rose" if direction > 0 else "fell"
    amount = pct(current - baseline, baseline).lstrip("+−")
    preposition = "on" if versus.startswith("last") else "compared with"
    return f"{subject} {verb} {amount} {preposition} {versus}"


def limit_rule(k: int, what: str = "people", quoted: bool = True) -> str | None:
    """'a count of people below 5 but above 0 is shown as "<5"': the disclosure rule in words, for
    any k (never "from 1 to 0"); None when k = 1 (no count is hidden)."""
    if k <= 1:
        return None
    mark = f'"<{k}"' if quoted else f"<{k}"
    return f"a count of {what} below {k} but above 0 is shown as {mark}"


def marks_key(k: int, what: str, withheld_note: str = "") -> str:
    """The key under a protected table: '<5: fewer than 5 people; *: hidden so that a small count
    cannot be worked out.'; with k = 1 (no disclosure control) no count is hidden, so no marks."""
    if k <= 1:
        return "Every count is shown: the disclosure limit is 1."
    return (f"<{k}: fewer than {k}{' ' + what if what else ''}; *: hidden so that a small count cannot be "
            f"worked out{withheld_note}.")


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
    return labels.listed(items)


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 person' / '12 people'."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"
