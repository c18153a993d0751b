"""Date fields a person types into: the sidebar's From, To and As of, and the audit log's dates.

Why not st.date_input alone: in Streamlit 1.67 it is a segmented field (day, month and year parts)
that commits a typed date only when focus leaves the whole widget. Enter does nothing, the first Tab
lands on its own calendar button (still inside the widget, so nothing applies), and a click in the
middle of the field puts the digits typed next into the month and year parts: "03/03/2026" typed
over 01/11/2025 became 01/01/2026 or stayed as it was, silently (tests/browser/test_browser_dates.py).
A manager who types a date and presses Enter expects the page to follow at once. So each field is a
text box (st.text_input commits on Enter and when focus leaves it) that reads the ways people write
a date, day first as in the UK (`parse_day`), with a calendar beside it (a popover holding an
st.date_input, which applies a day picked with the mouse at once) for those who would rather point.

The chosen day lives in session state under the field's key (the calendar's key), as st.date_input
kept it before, so URL seeding, page switches, `at.date_input(key=...)` in tests and code that sets
`st.session_state[key]` keep working; the text box (key + "_typed") is redrawn from it on every run.
A typed text that is not a date is left in the box with the reason under it, and the day stays
what it was, so one slip never moves the page. `parse_day` is not the ETL's date parser
(etl/transform/stage.py `date_sql`): that one reads a file in its declared format, in SQL, and turns
a bad value into a reject; a person's text has no declared format and needs its reason in words.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime

import streamlit as st

from etl.rules import periods

EARLIEST_DATE = date(2000, 1, 1)  # the ETL rejects anything older
LATEST_DATE = date(2100, 12, 31)
SHOWN = "%d/%m/%Y"  # how a field shows its day: 03/03/2026
EXAMPLE = "03/03/2026"
TYPING_HELP = ("Type a date, day first (03/03/2026, 3/3/26, 3 Mar 2026 or 2026-03-03), then press Enter "
               "or Tab; or pick one from the calendar beside it.")

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_SEPARATORS = re.compile(r"[\s/.,\-]+")
_ORDINAL = re.compile(r"^([0-9]{1,2})(st|nd|rd|th)$")


def parse_day(text: str | None, first: date = EARLIEST_DATE, last: date = LATEST_DATE) -> date:
    """The day a person typed, or ValueError with the reason in words (it does not repeat the text).

    Day first, as written in the UK: 03/03/2026, 3/3/26, 3-3-2026, 3.3.2026, 3 Mar 2026, 3rd March
    2026; a year first is ISO (2026-03-03, 2026/3/3); a month name first reads "March 3, 2026". A
    two-digit year is in this century (the data start in 2000). The day must lie within first..last."""
    parts = [p for p in _SEPARATORS.split((text or "").strip().lower()) if p]
    if not parts:
        raise ValueError(f"Type a date, e.g. {EXAMPLE}")
    if len(parts) != 3:
        raise ValueError(f"Not a date: type it day first, e.g. {EXAMPLE}")
    if len(parts[0]) == 4 and _digits(parts[0]):
        year, month, day = parts
    elif not _digits(parts[0]) and _month(parts[0]):
        month, day, year = parts
    else:
        day, month, year = parts
    day_number, month_number, year_number = _number(day), _month(month), _year(year)
    if not month_number:
        # the number named only when it is one a person might mean (not a pasted run of digits)
        raise ValueError(f"Not a date: there is no month {month}" if _digits(month) and len(month) <= 2
                         else f"Not a date: type it day first, e.g. {EXAMPLE}")
    days = calendar.monthrange(year_number, month_number)[1]
    if not 1 <= day_number <= days:
        raise ValueError(f"Not a date: {calendar.month_name[month_number]} {year_number} has {days} days")
    return in_range(date(year_number, month_number, day_number), first, last)


def in_range(day: date, first: date = EARLIEST_DATE, last: date = LATEST_DATE) -> date:
    """`day`, or ValueError saying it lies before `first` or after `last`."""
    if not first <= day <= last:
        edge = "before" if day < first else "after"
        raise ValueError(f"{_words(day)} is {edge} the dates this covers ({_words(first)} to {_words(last)})")
    return day


def link_day(text: str) -> date:
    """A day given in the address (`?start=2026-03-03`), or ValueError with the reason in words.

    What the sidebar writes there is ISO (2026-03-03); a link typed or edited by hand may hold any
    form a person types in the box (`parse_day`: 03/03/2026, 3 Mar 2026), or an ISO timestamp as
    another system writes one (2026-03-03T09:00:00Z), whose day is taken in Europe/London as the
    ETL takes a timestamp's (DESIGN.md). Anything else, or a day outside the dates this covers, is
    refused, so the page can say why it shows another day instead of silently showing it. Invisible
    characters (a zero-width space pasted with a link from a message) are dropped first."""
    text = "".join(c for c in text if unicodedata.category(c) != "Cf").strip()
    for read in (date.fromisoformat, datetime.fromisoformat):
        try:
            parsed = read(text)
        except ValueError:
            continue
        if isinstance(parsed, datetime):   # its own day in range first: year 1 or 9999 cannot be moved
            in_range(parsed.date())
            parsed = (parsed.astimezone(periods.LONDON) if parsed.tzinfo else parsed).date()
        return in_range(parsed)
    return parse_day(text)


def _digits(part: str) -> bool:
    """Only 0-9 (str.isdigit would take ² or other scripts' digits, which int() refuses or misreads)."""
    return part.isascii() and part.isdigit()


def _number(part: str) -> int:
    ordinal = _ORDINAL.match(part)
    part = ordinal.group(1) if ordinal else part
    if not _digits(part) or len(part) > 2:
        raise ValueError(f"Not a date: type it day first, e.g. {EXAMPLE}")
    return int(part)


def _month(part: str) -> int | None:
    """1..12 for a month number or an English month name or its first three letters, else None."""
    if _digits(part):
        return int(part) if len(part) <= 2 and 1 <= int(part) <= 12 else None
    names = [i for i, name in enumerate(_MONTHS, start=1) if len(part) >= 3 and name.startswith(part)]
    return names[0] if names else None


def _year(part: str) -> int:
    if not _digits(part) or len(part) not in (2, 4) or part == "0000":
        raise ValueError("Not a date: write the year as 2026 or 26")
    return 2000 + int(part) if len(part) == 2 else int(part)


def _words(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def shown(day: date) -> str:
    """A day as its field shows it: 03/03/2026."""
    return day.strftime(SHOWN)


def _typed(key: str, label: str, first: date, last: date) -> None:
    """The text box committed (Enter, Tab or a click elsewhere): take the day, or keep the reason."""
    try:
        st.session_state[key] = parse_day(st.session_state[f"{key}_typed"], first, last)
    except ValueError as exc:
        st.session_state[f"{key}_error"] = f"{exc}. {label} stays {_words(st.session_state[key])}."
    else:
        st.session_state.pop(f"{key}_error", None)


def _picked(key: str) -> None:
    """A day was picked in the calendar: it replaces whatever refused text the box held."""
    st.session_state.pop(f"{key}_error", None)


def date_field(label: str, key: str, default: date | None = None, help: str | None = None,
               first: date = EARLIEST_DATE, last: date = LATEST_DATE) -> date:
    """A day typed into a text box (applied on Enter or when the box is left) or picked from the
    calendar beside it; its value is `st.session_state[key]` (seeded with `default` when absent)."""
    if key not in st.session_state:
        st.session_state[key] = default or periods.london_today()
    typed, error = f"{key}_typed", st.session_state.get(f"{key}_error")
    if not error and st.session_state.get(typed) != shown(st.session_state[key]):
        st.session_state[typed] = shown(st.session_state[key])
    box, picker = st.columns([3, 1], gap="small", vertical_alignment="bottom")
    box.text_input(label, key=typed, on_change=_typed, args=(key, label, first, last),
                   placeholder="dd/mm/yyyy", help=f"{help} {TYPING_HELP}" if help else TYPING_HELP,
                   persist_state="session")
    # an emoji, not an icon font: a screen reader names the button "calendar", not "calendar_month icon"
    with picker.popover("", icon="📅", help=f"{label}: pick a day from a calendar",
                        key=f"{key}_calendar"):
        day = st.date_input(f"{label}: pick a day", key=key, min_value=first, max_value=last, format="DD/MM/YYYY",
                            on_change=_picked, args=(key,), persist_state="session")
    if error:
        st.error(error, icon=":material/event_busy:")
    return day


def in_order(start: date, end: date) -> tuple[date, date]:
    """(From, To) the right way round: typed the wrong way, they are swapped, and the page says so."""
    if start <= end:
        return start, end
    st.warning("'From' is after 'To': the dates were swapped.")
    return end, start
