"""A date a person types into the sidebar or the audit log (insight/ui/dates.py `parse_day`): the
ways people in the UK write one are read day first, and anything else is refused with the reason
in words (never echoing the text, which the page would render as Markdown).

    03/03/2026, 3/3/26, 3-3-2026, 3 Mar 2026, 2026-03-03  ->  3 March 2026
    31/02/2026  ->  "Not a date: February 2026 has 28 days"
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insight.ui import dates

D = dt.date


@pytest.mark.parametrize("text, expected", [
    ("03/03/2026", D(2026, 3, 3)),
    ("3/3/2026", D(2026, 3, 3)),
    ("3/3/26", D(2026, 3, 3)),
    ("  03/03/2026  ", D(2026, 3, 3)),             # spaces round it
    ("03 / 03 / 2026", D(2026, 3, 3)),             # and inside
    ("3-3-2026", D(2026, 3, 3)),
    ("3.3.2026", D(2026, 3, 3)),
    ("2026-03-03", D(2026, 3, 3)),                 # ISO: the year first
    ("2026/3/3", D(2026, 3, 3)),
    ("12/01/2026", D(2026, 1, 12)),                # day first, never month first
    ("3 Mar 2026", D(2026, 3, 3)),
    ("3 march 2026", D(2026, 3, 3)),
    ("3rd March 2026", D(2026, 3, 3)),
    ("03-Mar-26", D(2026, 3, 3)),
    ("March 3, 2026", D(2026, 3, 3)),
    ("29/02/2024", D(2024, 2, 29)),                # a leap day
    ("01/01/2000", D(2000, 1, 1)),                 # the first day covered
    ("31/12/2100", D(2100, 12, 31)),               # the last
])
def test__parse_day__reads_the_ways_people_write_a_date(text, expected):
    assert dates.parse_day(text) == expected


@pytest.mark.parametrize("text, reason", [
    ("31/02/2026", "Not a date: February 2026 has 28 days"),
    ("29/02/2025", "Not a date: February 2025 has 28 days"),
    ("31/04/2026", "Not a date: April 2026 has 30 days"),
    ("0/3/2026", "Not a date: March 2026 has 31 days"),
    ("2026-13-01", "Not a date: there is no month 13"),
    ("03/13/2026", "Not a date: there is no month 13"),    # month first is not read
    ("03/00/2026", "Not a date: there is no month 00"),
    ("", "Type a date, e.g. 03/03/2026"),
    ("   ", "Type a date, e.g. 03/03/2026"),
    (None, "Type a date, e.g. 03/03/2026"),
    ("yesterday", "Not a date: type it day first, e.g. 03/03/2026"),
    ("03/03", "Not a date: type it day first, e.g. 03/03/2026"),
    ("03/03/2026/1", "Not a date: type it day first, e.g. 03/03/2026"),
    ("03032026", "Not a date: type it day first, e.g. 03/03/2026"),
    ("3 Ma 2026", "Not a date: type it day first, e.g. 03/03/2026"),
    ("three/3/2026", "Not a date: type it day first, e.g. 03/03/2026"),
    ("003/3/2026", "Not a date: type it day first, e.g. 03/03/2026"),
    ("3/3/226", "Not a date: write the year as 2026 or 26"),
    ("3/3/20260", "Not a date: write the year as 2026 or 26"),
    ("01/01/0000", "Not a date: write the year as 2026 or 26"),     # no year 0 in the calendar
    ("³/3/2026", "Not a date: type it day first, e.g. 03/03/2026"),  # a digit to str.isdigit, not to int()
    ("١/٣/٢٠٢٦", "Not a date: type it day first, e.g. 03/03/2026"),   # digits of another script
    ("[x](https://example.org)/3/2026", "Not a date: type it day first, e.g. 03/03/2026"),
    ("31/12/1999", "31 Dec 1999 is before the dates this covers (1 Jan 2000 to 31 Dec 2100)"),
    ("01/01/2101", "1 Jan 2101 is after the dates this covers (1 Jan 2000 to 31 Dec 2100)"),
])
def test__parse_day__refuses_with_the_reason_in_words(text, reason):
    with pytest.raises(ValueError) as refused:
        dates.parse_day(text)
    assert str(refused.value) == reason


def test__parse_day__within_the_bounds_given():
    first, last = D(2026, 1, 1), D(2026, 12, 31)
    assert dates.parse_day("1/1/26", first, last) == first
    with pytest.raises(ValueError, match="before the dates this covers"):
        dates.parse_day("31/12/2025", first, last)


def test__shown__is_what_parse_day_reads_back():
    for day in (D(2000, 1, 1), D(2026, 3, 3), D(2100, 12, 31)):
        assert dates.parse_day(dates.shown(day)) == day


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=60) | st.from_regex(r"\A[0-9٠-٩²³ ]{1,4}[/.\- ][0-9a-zA-Z ]{1,9}[/.\- ][0-9²]{0,6}\Z"))
def test__parse_day__any_text__a_day_in_bounds_or_a_reason(text):
    """Whatever is typed (any length), the answer is a day within the
    bounds or a ValueError in words, never another exception or a Python message."""
    try:
        day = dates.parse_day(text)
    except ValueError as refused:
        assert str(refused).startswith(("Not a date", "Type a date")) or "the dates this covers" in str(refused)
    else:
        assert dates.EARLIEST_DATE <= day <= dates.LATEST_DATE
