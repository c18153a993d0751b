"""The one date parser (etl/transform/stage.py `date_sql`) in DuckDB: declared formats, ISO with
zones moved to Europe/London before the date is taken (DESIGN.md contract), a source's time zone
for timestamps written without one, and Excel serials wherever a date is expected."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from etl.transform.stage import date_sql, unknown_zone_sql

D = dt.date


def parse(value: str | None, fmt: str = "iso", zone: str = "Europe/London") -> dt.date | None:
    con = duckdb.connect()
    con.execute("create table t (v varchar)")
    con.execute("insert into t values (?)", [value])
    return con.execute(f"select {date_sql('v', fmt, zone)} from t").fetchall()[0][0]


@pytest.mark.parametrize(("value", "expected"), [
    ("2025-03-31", D(2025, 3, 31)),
    ("2025-03-31T23:30:00Z", D(2025, 4, 1)),              # 00:30 BST on 1 April: next month, next year
    ("2025-03-31T22:30:00Z", D(2025, 3, 31)),             # 23:30 BST
    ("2025-03-31T23:30:00-05:00", D(2025, 4, 1)),         # 04:30 UTC = 05:30 BST
    ("2025-03-30T00:30:00Z", D(2025, 3, 30)),             # before the spring change: GMT
    ("2025-03-29T23:30:00+00:00", D(2025, 3, 29)),
    ("2025-10-25T23:30:00Z", D(2025, 10, 26)),            # 00:30 BST on the autumn change day
    ("2025-10-26T23:30:00Z", D(2025, 10, 26)),            # GMT again: 23:30 the same day
    ("2024-09-30T23:30:00Z", D(2024, 10, 1)),             # DESIGN.md's example
    ("2024-12-31T23:59:59+01:00", D(2024, 12, 31)),       # 22:59 GMT
    ("2025-03-31 23:30:00", D(2025, 3, 31)),              # no zone: local time
    ("2025-03-31T23:30", D(2025, 3, 31)),
    ("45747", D(2025, 3, 31)),                            # an Excel serial in a General cell
    ("45747.75", D(2025, 3, 31)),
    # the same instant as other systems write it: a space before the offset, no colon, fractions
    ("2025-03-31 23:30:00 +0000", D(2025, 4, 1)),
    ("2025-03-31 23:30:00+00", D(2025, 4, 1)),
    ("2025-03-31T23:30:00.123456+00:00", D(2025, 4, 1)),
    ("2025-03-31 23:30:00 Z", D(2025, 4, 1)),
    # a zone named by its abbreviation is a zone too, never London time by default
    ("2024-06-30 23:30:00 UTC", D(2024, 7, 1)),
    ("2024-06-30 23:30:00 GMT", D(2024, 7, 1)),
    ("2024-06-30T23:30:00UTC", D(2024, 7, 1)),
    ("2024-06-30 23:30 utc", D(2024, 7, 1)),
    ("2024-06-30 23:30:00 BST", D(2024, 6, 30)),            # British Summer Time: already local
    ("2024-12-31 23:30:00 GMT", D(2024, 12, 31)),
    # the year first is unambiguous, with slashes or in ISO's basic form
    ("2025/03/31", D(2025, 3, 31)),
    ("20250331", D(2025, 3, 31)),
    ("2025/02/30", None),
    ("20251301", None),
    ("31/03/2025", None),                                 # not ISO, and no format declared
    ("2025-02-30", None),
    ("2024-03-01junk", None),                             # a date with more after it is not read as that date
    ("2024-03-01 (approx)", None),
    ("", None),
])
def test__date_sql__iso_with_zones_moved_to_london(value, expected):
    assert parse(value) == expected


@pytest.mark.parametrize(("value", "zone", "expected"), [
    ("2025-03-31 23:30:00", "UTC", D(2025, 4, 1)),
    ("2025-01-15 23:30:00", "UTC", D(2025, 1, 15)),       # GMT = UTC in winter
    ("2025-06-30 20:00:00", "America/New_York", D(2025, 7, 1)),
    ("2025-06-30T20:00:00Z", "America/New_York", D(2025, 6, 30)),  # a zone in the value wins: 21:00 BST
    ("2025-06-30", "UTC", D(2025, 6, 30)),                # a date alone has no time to move
])
def test__date_sql__a_source_time_zone_for_naive_timestamps(value, zone, expected):
    assert parse(value, zone=zone) == expected


@pytest.mark.parametrize(("value", "fmt", "zone", "expected"), [
    # the source's zone applies whatever parsed the time: a declared format ...
    ("30/06/2024 23:30", "%d/%m/%Y", "UTC", D(2024, 7, 1)),
    ("30/06/2024 23:30:15", "%d/%m/%Y", "UTC", D(2024, 7, 1)),
    ("30/06/2024 23:30", "%d/%m/%Y %H:%M", "UTC", D(2024, 7, 1)),
    ("30/06/2024 22:30", "%d/%m/%Y %H:%M", "UTC", D(2024, 6, 30)),
    ("30/06/2024", "%d/%m/%Y", "UTC", D(2024, 6, 30)),            # a day alone stays that day
    ("30/06/2024", "%d/%m/%Y", "Europe/Berlin", D(2024, 6, 30)),  # even east of London
    ("30/06/2024 00:30", "%d/%m/%Y", "Europe/Berlin", D(2024, 6, 29)),
    ("30/06/2024 23:30", "%d/%m/%Y", "Europe/London", D(2024, 6, 30)),
    ("30-Jun-24 23:30", "%d-%b-%y", "UTC", D(2024, 7, 1)),
    # a twelve-hour time after the day, as US-style systems write it
    ("30/06/2024 11:30 PM", "%d/%m/%Y", "UTC", D(2024, 7, 1)),
    ("30/06/2024 11:30:00 AM", "%d/%m/%Y", "UTC", D(2024, 6, 30)),
    ("30/06/2024 12:15 AM", "%d/%m/%Y", "Europe/London", D(2024, 6, 30)),
    ("30/06/2024 11:30:00 PM UTC", "%d/%m/%Y", "Europe/London", D(2024, 7, 1)),
    ("30-Jun-99 11:30 PM", "%d-%b-%y", "UTC", D(2099, 7, 1)),
    ("30/06/2024 23:30 +00:00", "%d/%m/%Y %H:%M %z", "Europe/London", D(2024, 7, 1)),  # an offset in the format
    # ... or an Excel serial with a time of day (45473.979166 = 30 June 2024 23:30)
    ("45473.979166", "excel", "UTC", D(2024, 7, 1)),
    ("45473.979166", "%d/%m/%Y", "UTC", D(2024, 7, 1)),
    ("45473.979166", "iso", "UTC", D(2024, 7, 1)),
    ("45473", "excel", "Europe/Berlin", D(2024, 6, 30)),          # a whole serial is a day
    ("45473.979166", "excel", "Europe/London", D(2024, 6, 30)),
])
def test__date_sql__a_source_time_zone_whatever_parsed_the_time(value, fmt, zone, expected):
    assert parse(value, fmt, zone) == expected


@pytest.mark.parametrize(("value", "fmt", "expected"), [
    ("31/03/2025", "%d/%m/%Y", D(2025, 3, 31)),
    ("31/03/2025 23:30", "%d/%m/%Y", D(2025, 3, 31)),
    ("2025-03-31T23:30:00Z", "%d/%m/%Y", D(2025, 4, 1)),   # ISO still understood, zone honoured
    ("45747", "%d/%m/%Y", D(2025, 3, 31)),                 # a serial among text dates (mixed XLSX)
    ("31-Mar-25", "%d-%b-%y", D(2025, 3, 31)),
    ("45747", "excel", D(2025, 3, 31)),
    ("2025-03-31", "excel", D(2025, 3, 31)),
    ("2025-03", "month", D(2025, 3, 1)),
    ("45747", "month", None),
    # a police.uk month re-saved as a date (the police-file audit: all of a file's records were
    # bad_date rejects): its month, whichever day the date names
    ("2025-03-01", "month", D(2025, 3, 1)),
    ("2025-03-15", "month", D(2025, 3, 1)),
    ("2025-03-01 00:00:00", "month", D(2025, 3, 1)),
    ("2025-03-01T00:00:00", "month", D(2025, 3, 1)),
    ("01/03/2025", "month", D(2025, 3, 1)),                # a day-first date (Excel in English, UK)
    ("Mar-25", "month", D(2025, 3, 1)),                    # Excel shows and saves "2025-03" as mmm-yy
    ("Mar-2025", "month", D(2025, 3, 1)),
    ("March 2025", "month", D(2025, 3, 1)),
    ("Sept-25", "month", D(2025, 9, 1)),
    ("2025-13", "month", None),
    ("2025-02-30", "month", None),
    ("Month", "month", None),
])
def test__date_sql__declared_formats_then_iso_then_serials(value, fmt, expected):
    assert parse(value, fmt) == expected


@pytest.mark.parametrize(("value", "fmt", "expected"), [
    # a zone named in full (IANA) is that zone, never ignored for London time
    ("2024-09-30T23:30:00 America/New_York", "iso", D(2024, 10, 1)),     # 03:30 UTC = 04:30 BST
    ("2024-09-30 20:30 America/New_York", "iso", D(2024, 10, 1)),        # 00:30 UTC = 01:30 BST
    ("2024-10-01T05:30:00 Asia/Tokyo", "iso", D(2024, 9, 30)),           # 20:30 UTC = 21:30 BST
    ("2024-09-30T23:30:00 Europe/London", "iso", D(2024, 9, 30)),
    ("2024-09-30T23:30:00 europe/london", "iso", D(2024, 9, 30)),
    ("2025-01-15T23:30:00 Etc/UTC", "iso", D(2025, 1, 15)),
    # RFC 3339 lets the Z (and the T) be written in lower case
    ("2024-09-30T23:30:00z", "iso", D(2024, 10, 1)),
    ("2024-09-30t23:30:00z", "iso", D(2024, 10, 1)),
    ("2024-09-30t23:30:00+01:00", "iso", D(2024, 9, 30)),
    ("2024-09-30t23:30:00 UTC", "iso", D(2024, 10, 1)),
    ("2024-09-30t23:30:00", "iso", D(2024, 9, 30)),
    # RFC 9557 (java.time's ZonedDateTime): the offset wins, the bracketed name is a note ...
    ("2024-09-30T23:30:00+01:00[Europe/London]", "iso", D(2024, 9, 30)),
    ("2024-09-30T23:30:00Z[UTC]", "iso", D(2024, 10, 1)),
    ("2024-09-30T23:30:00-04:00[America/New_York]", "iso", D(2024, 10, 1)),
    # ... and a bracketed name alone is the zone
    ("2024-09-30T23:30:00[America/New_York]", "iso", D(2024, 10, 1)),
    # ... as is a bracketed zone word the build knows (ZONE_WORDS), alone or after an offset
    ("2024-09-30T23:30:00[UTC]", "iso", D(2024, 10, 1)),
    ("2024-09-30T23:30:00[GMT]", "iso", D(2024, 10, 1)),
    ("2024-09-30T23:30:00[bst]", "iso", D(2024, 9, 30)),
    ("30/09/2024 23:30[UTC]", "%d/%m/%Y", D(2024, 10, 1)),
    ("2024-09-30T23:30:00[IST]", "iso", None),
    # a fraction written with a comma (ISO 8601 allows it)
    ("2024-09-30T23:30:00,250Z", "iso", D(2024, 10, 1)),
    # a declared day-first format followed by a time and its zone
    ("30/09/2024 23:30:00 Z", "%d/%m/%Y", D(2024, 10, 1)),
    ("30/09/2024 23:30 UTC", "%d/%m/%Y", D(2024, 10, 1)),
    ("30/09/2024 23:30:00+01:00", "%d/%m/%Y", D(2024, 9, 30)),
    ("30/09/2024 20:30 America/New_York", "%d/%m/%Y", D(2024, 10, 1)),
    ("30/09/2024 23:30 Z", "%d/%m/%Y %H:%M", D(2024, 10, 1)),
    ("30-Sep-24 23:30 GMT", "%d-%b-%y %H:%M", D(2024, 10, 1)),
    ("30-Sep-99 23:30 UTC", "%d-%b-%y %H:%M", D(2099, 10, 1)),      # a two-digit year is 20yy here too
    ("2024-09-30T23:30:00Z", "excel", D(2024, 10, 1)),
    # a zone the build cannot place is unreadable (a reject with its reason), never London time:
    # no such zone, or an abbreviation that means different zones (IST: India to ICU, Ireland to a
    # partner; BST is read as British Summer Time, ZONE_WORDS), or other words after the time
    ("2024-09-30T23:30:00 Mars/Olympus", "iso", None),
    ("2024-09-30T23:30:00 IST", "iso", None),
    ("2024-09-30T23:30:00 EST", "iso", None),
    ("2024-09-30 23:30:00 approx", "iso", None),
    ("30/09/2024 23:30 IST", "%d/%m/%Y", None),
    ("30/09/2024 23:30 Mars/Olympus", "%d/%m/%Y %H:%M", None),
])
def test__date_sql__a_zone_written_after_the_time_is_honoured_or_the_date_unreadable(value, fmt, expected):
    assert parse(value, fmt) == expected


@pytest.mark.parametrize("zone", ["UTC", "Europe/London", "America/New_York"])
def test__date_sql__a_zone_in_the_value_wins_over_the_sources(zone):
    assert parse("2024-10-01T05:30:00 Asia/Tokyo", zone=zone) == D(2024, 9, 30)
    assert parse("30/09/2024 23:30 UTC", "%d/%m/%Y", zone) == D(2024, 10, 1)


@pytest.mark.parametrize(("value", "named"), [
    ("2024-09-30T23:30:00 IST", "IST"), ("2024-09-30 23:30 Mars/Olympus", "Mars/Olympus"),
    ("30/09/2024 23:30:00 approx", "approx"), ("2024-09-30T23:30:00 America/New_York", None),
    ("2024-09-30T23:30:00Z", None), ("2024-09-30T23:30:00 bst", None), ("2024-09-30T23:30:00+01:00[Europe/London]", None),
    ("2024-03-01junk", None), ("yesterday", None), ("2024-09-30", None),
    ("31/02/2024 11:30 PM", None), ("30/06/2024 11:30 pm IST", "IST"),
])
def test__unknown_zone_sql__names_what_follows_the_time_when_no_zone_is_known(value, named):
    con = duckdb.connect()
    assert con.execute(f"select {unknown_zone_sql('v')} from (select ?::varchar as v)", [value]).fetchall()[0][0] == named


# --- the dates audit of 6 December 2026 ----------------------------------------------------------

@pytest.mark.parametrize(("value", "fmt", "expected"), [
    # %Z in a declared format: DuckDB's strptime guesses an abbreviation (IST as India's); the
    # build reads a zone after the time itself, guessing none (README: IST, EST are rejects)
    ("01/10/2024 03:00 IST", "%d/%m/%Y %H:%M %Z", None),
    ("30/09/2024 23:30 EST", "%d/%m/%Y %H:%M %Z", None),
    ("30/09/2024 23:30 PST", "%d/%m/%Y %H:%M %Z", None),
    ("30/09/2024 23:30 CET", "%d/%m/%Y %H:%M %Z", None),
    ("30/09/2024 23:30 UTC", "%d/%m/%Y %H:%M %Z", D(2024, 10, 1)),
    ("30/09/2024 23:30 BST", "%d/%m/%Y %H:%M %Z", D(2024, 9, 30)),
    ("30/09/2024 23:30 Europe/London", "%d/%m/%Y %H:%M %Z", D(2024, 9, 30)),
    ("30/09/2024 23:30", "%d/%m/%Y %H:%M %Z", D(2024, 9, 30)),   # no zone written: local time
    # offsets that cannot be are no offsets: a reject, never a day moved by 99 hours
    ("2024-09-30T23:30:00+99:99", "iso", None),
    ("2024-09-30T23:30:00+25:00", "iso", None),
    ("2024-09-30T23:30:00-25:00", "iso", None),
    ("2024-09-30T23:30:00+24:00", "iso", None),
    ("2024-09-30T23:30:00+01:60", "iso", None),
    ("2024-09-30T23:30:00+14:00", "iso", D(2024, 9, 30)),
    ("2024-09-30T23:30:00-12:00", "iso", D(2024, 10, 1)),
    ("2024-09-30T23:30:00+05:30", "iso", D(2024, 9, 30)),
    # September's "Sept" under a month-name format, with whatever may follow the time
    ("30-Sept-24 23:30 UTC", "%d-%b-%y", D(2024, 10, 1)),
    ("30-Sept-24 23:30 BST", "%d-%b-%y", D(2024, 9, 30)),
    ("30-Sept-24 23:30 +00:00", "%d-%b-%y", D(2024, 10, 1)),
    ("30-Sept-24 23:30 Europe/London", "%d-%b-%y", D(2024, 9, 30)),
    ("30-Sept-24 11:30 PM", "%d-%b-%y", D(2024, 9, 30)),
    ("30-SEPT-24 11:30 pm UTC", "%d-%b-%y", D(2024, 10, 1)),
    ("30-Sep-24 23:30 UTC", "%d-%b-%y", D(2024, 10, 1)),
    # a month's whole name under a three-letter format, in any case, with what may follow it
    ("30-June-24", "%d-%b-%y", D(2024, 6, 30)),
    ("01-JULY-2024", "%d-%b-%Y", D(2024, 7, 1)),
    ("5 March 2025", "%d %b %Y", D(2025, 3, 5)),
    ("28-february-25", "%d-%b-%y", D(2025, 2, 28)),
    ("30-September-24 23:30 UTC", "%d-%b-%y", D(2024, 10, 1)),
    ("31-December-24 11:30 PM", "%d-%b-%y", D(2024, 12, 31)),
    ("12-January-25", "%d-%b-%y", D(2025, 1, 12)),
    ("12-August-25", "%d-%b-%y", D(2025, 8, 12)),
    ("12-April-25", "%d-%b-%y", D(2025, 4, 12)),
    ("12-October-25", "%d-%b-%y", D(2025, 10, 12)),
    ("12-November-25", "%d-%b-%y", D(2025, 11, 12)),
    ("12-May-25", "%d-%b-%y", D(2025, 5, 12)),
    # not a month's name: no date
    ("12-Junk-25", "%d-%b-%y", None),
    ("12-Juned-25", "%d-%b-%y", None),
    ("31-June-24", "%d-%b-%y", None),        # no such day
    ("12-Smarch-25", "%d-%b-%y", None),
])
def test__date_sql__the_dates_audit(value, fmt, expected):
    assert parse(value, fmt) == expected
