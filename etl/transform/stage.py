"""Staging: cast the raw text to types and give every row that cannot be used one reason.

The checks come from the column declarations in `schema` (required, dates, allowed values) plus
each kind's row rules; the first failing check names the row's reason. The result, `stg_<kind>`,
holds typed columns, `reject_code` and `reject_reason` (null for good rows) and, for rejected
rows only, `raw_values` (the canonical text as read, as JSON).

The raw tables' free-text columns arrive scrubbed (`etl/transform/scrub.py`, run first by the
build's staging step): no name, phone number, e-mail, house number with its street or full
postcode reaches a staged row, a reject's raw values or a published table.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pandas as pd

from etl import schema
from etl.rules import authorities, periods, vocabulary
from etl.sqlfile import literal
from etl.transform import plain, scrub

MIN_DATE = "2000-01-01"

# Row rules per kind: (condition on typed columns, reason code, reason SQL).
ROW_RULES: dict[str, list[tuple[str, str, str]]] = {
    "incidents": [
        ("occurred_date > reported_date", "occurred_after_reported",
         "format('occurred_date {} is after reported_date {}', occurred_date, reported_date)"),
    ],
    # Applications keep their stage dates' problems as data errors (SOFT_DATES, mart_review_turnaround),
    # never as a reason to drop the application from the statutory counts.
    "applications": [],
    "appeals": [
        ("decision_date < received_date", "date_order",
         "format('decision_date {} is before received_date {}', decision_date, received_date)"),
        ("referral_result_date < decision_date", "date_order",
         "format('referral_result_date {} is before the OPCC''s decision_date {}', referral_result_date, "
         "decision_date)"),
    ],
    "police_uk": [],
    # An action plan's dates: due and done on or after the day agreed; the status agrees with the
    # completion date (blank status: completed when a completion date is given, else open).
    "actions": [
        ("due_date < agreed_date", "action_date_order",
         "format('due_date {} is before agreed_date {}', due_date, agreed_date)"),
        ("completed_date < agreed_date", "action_date_order",
         "format('completed_date {} is before agreed_date {}', completed_date, agreed_date)"),
        ("status = 'completed' and completed_date is null", "action_status",
         "'status completed but completed_date is empty'"),
        ("status in ('open', 'cancelled') and completed_date is not null", "action_status",
         "format('status {} but completed_date {} is given', status, completed_date)"),
    ],
}


# Columns whose values must come from a closed list in settings (after the source's value map).
VOCABULARIES = {"asb_type": vocabulary.ASB_TYPES}

# Stage dates of an application (and an incident's review_explained_date): a bad one is a data
# error on that stage (date_errors; the turnaround and data quality pages show them), not a
# reject. Only review_date may lie in the future (a meeting can be booked ahead).
SOFT_DATES = {"applications": ("acknowledged_date", "decision_date", "decision_notified_date", "review_date",
                               "outcome_notified_date", "action_plan_closed_date"),
              # when the case review was explained: a bad one never costs the victim a complaint
              "incidents": ("review_explained_date",)}
BOOKABLE_DATES = ("review_date",)
# Dates that are plans, so may lie after the as-of date: an action's due date.
PLANNED_DATES = {"actions": ("due_date",)}
# Later events of a case that exists on the as-of date (received or agreed by then): an appeal's
# decision and the bodies' result after a referral back, an action's completion. One after the
# as-of date has not happened yet on it (the marts read it so, as they do at any other date), so a
# build as of D holds what the marts evaluated on D from a later build hold; only a date after the
# day of the build is a future_date reject.
LATER_DATES = {"appeals": ("decision_date", "referral_result_date"), "actions": ("completed_date",)}

LOCAL_ZONE = "Europe/London"  # the day a timestamp falls on is the day in England (DESIGN.md contract)
_SERIAL = "^\\d{5}(\\.\\d+)?$"  # an Excel serial day number (1927-2173), as a General cell gives it
# Zones some systems name by abbreviation after the time ('23:30:00 UTC'): read as the offsets
# they stand for, so the timestamp is moved to Europe/London like any other with a zone. BST is
# British Summer Time here (ICU reads it as Bangladesh's), and no other abbreviation is guessed:
# IST is India's to ICU and Ireland's to a partner, EST and CET are a zone's winter half only.
ZONE_WORDS = {"UTC": "+00:00", "GMT": "+00:00", "BST": "+01:00", "Z": "+00:00"}
# An ISO date and time of day with nothing after it: local time, in the source's zone.
_ISO_TIME = "\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}(:\\d{2}([.,]\\d+)?)?"
# A timestamp, then what it names as its zone: Z (either case), an offset, RFC 9557's bracketed
# zone after an offset (the offset wins) or alone (java.time writes '...+01:00[Europe/London]'),
# or a word (an abbreviation or an IANA name such as America/New_York). `zone_suffix_sql` says
# which of them a build knows; a value whose zone it does not know is no date (a reject).
_ZONE_SPLIT = ("^(.*?(\\d|[AaPp][Mm]))\\s*([Zz](\\[[^\\]]*\\])?|[+-]\\d{2}(:?\\d{2})?(\\[[^\\]]*\\])?|\\[[^\\]]+\\]"
               "|[A-Za-z][A-Za-z0-9_/+-]*)$")
_IANA = "[A-Za-z_]+(/[A-Za-z0-9_+-]+)+"
# An offset that can be: -12:00 to +14:59 (the zones' range), minutes 00-59. '+99:99' or '+25:00'
# is no offset (DuckDB's cast read them, 99 hours away: the dates audit of 6 December 2026).
_OFFSET = "[+-](0\\d|1[0-4])(:?[0-5]\\d)?"
# strptime directives that read a time of day, and those that read a zone or offset
_CLOCK = ("%H", "%I", "%M", "%S", "%p", "%X", "%T", "%R", "%c")
_ZONE_DIRECTIVES = ("%z", "%Z")


def _local_day(timestamp_sql: str, zone: str) -> str:
    """The England date of a zone-less timestamp written in `zone`."""
    if zone == LOCAL_ZONE:
        return f"cast({timestamp_sql} as date)"
    return f"cast(timezone('{LOCAL_ZONE}', timezone('{zone}', {timestamp_sql})) as date)"


def zone_suffix_sql(zone: str) -> str:
    """The zone text `zone` (what follows a timestamp's time, `_ZONE_SPLIT`) as DuckDB's timestamptz
    cast reads it after the time: an offset ('+01:00'), or a space and an IANA name; null for a
    zone the build does not know (no such zone is then left to ICU to guess: the cast of an
    unknown name is null too)."""
    words = " ".join(f"when '{w}' then '{o}'" for w, o in ZONE_WORDS.items())
    return (f"(case when regexp_full_match({zone}, '{_OFFSET}(\\[[^\\]]*\\])?') "
            f"then regexp_extract({zone}, '^[+-]\\d{{2}}(:?\\d{{2}})?') "
            f"when regexp_full_match({zone}, '[Zz]\\[[^\\]]*\\]') then '+00:00' "
            f"when regexp_full_match({zone}, '\\[{_IANA}\\]') then ' ' || trim({zone}, '[]') "
            f"when regexp_full_match({zone}, '{_IANA}') then ' ' || {zone} "
            # a word the build knows, or that word in brackets ('...T23:30:00[UTC]', RFC 9557's form)
            f"else (case upper(case when regexp_full_match({zone}, '\\[[A-Za-z]+\\]') then trim({zone}, '[]') "
            f"else {zone} end) {words} end) end)")


def _iso_timestamp(column: str) -> str:
    """An ISO date and time of day with nothing after it (`_ISO_TIME`) as a TIMESTAMP, else null
    (RFC 3339 lets the T be written in lower case, which DuckDB's cast does not read)."""
    return (f"(case when regexp_full_match({column}, '{_ISO_TIME}') "
            f"then try_cast(replace(replace({column}, ',', '.'), 't', 'T') as timestamp) end)")


def iso_sql(column: str, zone: str = LOCAL_ZONE) -> str:
    """ISO dates, and timestamps without a zone, which are in `zone` (the source's `timezone`,
    default Europe/London). A timestamp followed by its zone is `zoned_sql`'s."""
    has_time = f"regexp_matches({column}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}[Tt ]\\d{{2}}:\\d{{2}}')"
    # the year first is unambiguous: 2025-03-31, 2025/03/31 and ISO's basic 20250331
    plain = (f"try_cast(case when regexp_full_match({column}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') then {column} "
             f"when regexp_full_match({column}, '\\d{{4}}/\\d{{2}}/\\d{{2}}') then replace({column}, '/', '-') "
             f"when regexp_full_match({column}, '(20|19)\\d{{6}}') "
             f"then substr({column}, 1, 4) || '-' || substr({column}, 5, 2) || '-' || substr({column}, 7, 2) "
             "end as date)")
    return f"(case when {has_time} then {_local_day(_iso_timestamp(column), zone)} else {plain} end)"


def zoned_sql(column: str, fmt: str) -> str:
    """The England date of a timestamp followed by its zone (`_ZONE_SPLIT`: '2025-03-31T23:30:00Z',
    '... 23:30 UTC', '... America/New_York', '...+01:00[Europe/London]', '31/03/2025 23:30 GMT'):
    the part before the zone read as ISO or by the declared format `fmt` (a day format followed
    by a time, as `_strptime_sql` reads it), placed in the zone, moved to Europe/London (1 April).
    Null when the value names no zone, the part does not read, or the zone is not one the build
    knows (`zone_suffix_sql`). Written once per date (`date_sql`, its last resort): DuckDB computes
    an expression written twice once, for every row, where this one is reached by few."""
    def naive(part: str) -> str:
        if _day_only(fmt):
            formats = _formats(fmt, _DAY_TIMES + _DAY_TIMES_12)
        elif any(d in fmt for d in _CLOCK) and not any(d in fmt for d in _ZONE_DIRECTIVES):
            formats = literal(fmt)
        else:
            return _iso_timestamp(part)
        return f"coalesce(try_strptime({part}, {formats}), {_iso_timestamp(part)})"
    moment = f"strftime({naive('p.b')}, '%Y-%m-%d %H:%M:%S.%f') || {zone_suffix_sql('p.z')}"
    return (f"list_transform([regexp_extract({column}, '{_ZONE_SPLIT}', ['b', 'end', 'z'])], lambda p: "
            f"cast(timezone('{LOCAL_ZONE}', try_cast({moment} as timestamptz)) as date))[1]")


def serial_sql(column: str, zone: str = LOCAL_ZONE) -> str:
    """An Excel serial day number (a General cell holding a date) as a date; a fraction is the time
    of day, in `zone` (the source's), so outside Europe/London it may fall on another day here."""
    serial = f"try_cast({column} as double)"
    day = f"date '1899-12-30' + cast(floor({serial}) as integer)"
    if zone != LOCAL_ZONE:
        moment = f"timestamp '1899-12-30' + to_microseconds(cast(round({serial} * 86400000000) as bigint))"
        day = f"case when {serial} = floor({serial}) then {day} else {_local_day(moment, zone)} end"
    return f"case when {serial} between 1 and 2958465 then {day} end"


# The times of day that may follow a day format ('05/03/2025 9:05'), and those of a twelve-hour
# clock ('... 09:05:00 PM'), tried last, on a value that ends in M (`date_sql`): a format that
# fails costs about a microsecond a value, which every date not in its declared format would pay
_DAY_TIMES = (" %H:%M", " %H:%M:%S")
_DAY_TIMES_12 = (" %I:%M %p", " %I:%M:%S %p")


def _formats(fmt: str, times: tuple[str, ...]) -> str:
    """A DuckDB list of the day format `fmt` followed by each of `times`."""
    return "[" + ", ".join(literal(fmt + t) for t in times) + "]"


def _day_only(fmt: str) -> bool:
    """Whether a declared strptime format reads a day alone (no time of day, no zone)."""
    return fmt not in ("iso", "excel", "month") and not any(d in fmt for d in _CLOCK + _ZONE_DIRECTIVES)


def _strptime_sql(column: str, fmt: str, zone: str) -> str:
    """`column` read with a declared strptime format: a format with an offset (%z) is moved to
    Europe/London, one with a time of day is in `zone`; a format of a day alone also reads the
    day followed by a time (`_DAY_TIMES`), that time in `zone`. A day without a time is
    that day whatever the zone (no midnight to move)."""
    if any(d in fmt for d in _ZONE_DIRECTIVES):
        return f"cast(timezone('{LOCAL_ZONE}', try_strptime({column}, {literal(fmt)})) as date)"
    if any(d in fmt for d in _CLOCK):
        return _local_day(f"try_strptime({column}, {literal(fmt)})", zone)
    timed = _local_day(f"try_strptime({column}, {_formats(fmt, _DAY_TIMES)})", zone)
    return f"coalesce(cast(try_strptime({column}, {literal(fmt)}) as date), {timed})"


# A month's name written longer than strptime's %b reads (three letters): each group keeps them.
# RE2 rewrites name at most nine groups (\1 to \9), so the months go in two passes.
_MONTH_WORDS = "(?i)january|february|march|april|june|july|august|sept|october|november|december"
_MONTH_PASSES = (("(?i)(jan)uary|(feb)ruary|(mar)ch|(apr)il|(jun)e|(jul)y", "\\1\\2\\3\\4\\5\\6"),
                 ("(?i)(aug)ust|(sep)t(?:ember)?|(oct)ober|(nov)ember|(dec)ember", "\\1\\2\\3\\4\\5"))


def _month_abbreviated(column: str) -> str:
    """`column` with each month's whole name (or "Sept") cut to its three letters, as written
    ("JUNE" is "JUN"): strptime's %b reads the three letters in any case."""
    for pattern, groups in _MONTH_PASSES:
        column = f"regexp_replace({column}, '{pattern}', '{groups}', 'g')"
    return column


def date_sql(column: str, fmt: str, zone: str = LOCAL_ZONE) -> str:
    """The one date parser: the declared format first, then ISO (unambiguous), then an Excel serial
    wherever a date is expected, then a timestamp followed by its zone (`zoned_sql`). Whatever
    reads a time of day, the time is in the source's `zone` unless the value names its own; one
    that names a zone the build does not know is no date (a reject whose reason says so). A zone
    name in the declared format (%Z) is read as one written after the time (`zoned_sql`), never
    by strptime, which guesses an abbreviation (IST as India's; README: never guessed)."""
    fmt = re.sub(r"\s*%Z", "", fmt)
    iso = iso_sql(column, zone)
    serial = f"case when regexp_matches({column}, '{_SERIAL}') then {serial_sql(column, zone)} end"
    if fmt == "month":   # police.uk's YYYY-MM; else a date's month: a file re-saved by Excel writes
        # "2025-03" as Mar-25 (or as a date), and one re-saved elsewhere as 2025-03-01
        month = f"try_cast(case when regexp_matches({column}, '^\\d{{4}}-\\d{{2}}$') then {column} || '-01' end as date)"
        named = f"try_strptime({_month_abbreviated(column)}, ['%b-%y', '%b-%Y', '%b %Y', '%d/%m/%Y'])"
        return f"coalesce({month}, cast(date_trunc('month', coalesce({iso}, {named})) as date))"
    zoned = zoned_sql(column, fmt)
    if fmt == "iso":
        return f"coalesce({iso}, {serial}, {zoned})"
    if fmt == "excel":
        return f"coalesce({serial_sql(column, zone)}, {iso}, {zoned})"
    parsed, late = _strptime_sql(column, fmt, zone), [zoned]
    if _day_only(fmt):   # a twelve-hour time after the day ('30/06/2024 11:30 PM'), in the source's zone
        twelve = _local_day(f"try_strptime({column}, {_formats(fmt, _DAY_TIMES_12)})", zone)
        late.insert(0, f"case when lower(right({column}, 1)) = 'm' then {twelve} end")
    if "%b" in fmt:   # a month's whole name ("10-June-25", "5 March 2025"), and September as Windows
        # in English (United Kingdom) now abbreviates it ("10-Sept-25"): read as its three letters
        # every way a date reads (a time, a twelve-hour time, a zone after it), the replaced text
        # bound once (a lambda over a one-item list: DuckDB computes an expression written twice
        # for every row); only a value no earlier way reads gets this far
        ways = [_strptime_sql("s9", fmt, zone), zoned_sql("s9", fmt)]
        if _day_only(fmt):
            ways.insert(1, _local_day(f"try_strptime(s9, {_formats(fmt, _DAY_TIMES_12)})", zone))
        late.insert(0, f"case when regexp_matches({column}, '{_MONTH_WORDS}') then list_transform("
                       f"[{_month_abbreviated(column)}], lambda s9: coalesce({', '.join(ways)}))[1] end")
    if "%y" in fmt:  # a two-digit year is 20yy: strptime's 1969-1999 are before any usable date (MIN_DATE)
        parsed = f"(case when {parsed} < date '{MIN_DATE}' then cast({parsed} + interval 100 year as date) else {parsed} end)"
        late = [f"list_transform([{x}], lambda d: case when d < date '{MIN_DATE}' "
                "then cast(d + interval 100 year as date) else d end)[1]" for x in late]
    return f"coalesce({parsed}, {iso}, {serial}, {', '.join(late)})"


def closed_list_sql(f: schema.Field, expr: str) -> str:
    """A closed-list column's value (`allowed`) in its canonical form: Yes/No/TRUE/1 as Y/N, any
    other list in lower case with '_' for spaces and hyphens ("Not Met" is not_met). The raw
    tables keep the text as sent (after the value map), so a reject quotes it, scrubbed."""
    if f.allowed == schema.YES_NO:
        return (f"(case upper({expr}) when 'YES' then 'Y' when 'NO' then 'N' when 'TRUE' then 'Y' "
                f"when 'FALSE' then 'N' when '1' then 'Y' when '0' then 'N' else upper({expr}) end)")
    return f"replace(replace(lower({expr}), ' ', '_'), '-', '_')"


def value_typed(f: schema.Field) -> bool:
    """Whether a field's typed value depends on its text alone, through a short list of values
    (a closed list or a vocabulary): the extract then types each distinct text once
    (`typed_value_sql`, etl/sources/extract.py) rather than every record's."""
    return f.type == "VARCHAR" and bool(f.allowed or f.name in VOCABULARIES)


def typed_value_sql(f: schema.Field, expr: str) -> str:
    """The typed value of a `value_typed` field from its text `expr` (as `_typed_column` types it)."""
    return vocabulary.normalise_sql(expr) if f.name in VOCABULARIES else closed_list_sql(f, expr)


# The column of a relation staged by `stage_sql` that holds a field's value already typed
# (`pretyped`): the extract's per-value maps (etl/sources/extract.py `_value_maps`).
PRETYPED = "__asb_typed__{}"


def number_sql(f: schema.Field, column: str) -> str:
    """The typed value of a number field (INTEGER or DOUBLE) from its text `column`; null when the
    text is no such number (staging's `bad_value`, and `asb check`'s "not a number")."""
    if f.type == "INTEGER":   # a count: a whole number of 0 or more (Excel's 3.0 is 3; 2.5 and -3 are not)
        number = f"try_cast({column} as double)"
        return (f"case when {number} >= 0 and {number} = floor({number}) and {number} <= 2147483647 "
                f"then cast({number} as integer) end")
    # a minus sign as Word writes it (U+2212, an en dash) is a minus: read as it shows (`plain`)
    # when the value does not read as it is, so a number costs nothing more
    return f"coalesce(try_cast({column} as double), try_cast({plain.plain_sql(column)} as double))"


def typed_column(f: schema.Field, fmt: str, zone: str = LOCAL_ZONE, pretyped: bool = False) -> str:
    """`f`'s typed value from its text column of the same name, as `<expr> as <name>` (staging's,
    and `asb check`'s for the row rules)."""
    if pretyped:
        return f"{PRETYPED.format(f.name)} as {f.name}"
    if f.type == "DATE":
        return f"{date_sql(f.name, fmt, zone)} as {f.name}"
    if f.type in ("INTEGER", "DOUBLE"):
        return f"{number_sql(f, f.name)} as {f.name}"
    if value_typed(f):
        return f"{typed_value_sql(f, f.name)} as {f.name}"
    return f.name


def _typed_select(table: str, source, fields: tuple[schema.Field, ...], pretyped: frozenset[str] = frozenset()) -> str:
    """Typed columns of one raw table; formats are constants, so each source gets its own select.
    A field of `pretyped` is read typed from the table's column PRETYPED."""
    raw = ", ".join(f"{f.name} as raw__{f.name}" for f in fields)
    typed = ", ".join(typed_column(f, source.date_format_for(f.name), source.timezone, f.name in pretyped)
                      for f in fields)
    fmts = ", ".join(f"{literal(source.date_format_for(f.name))} as fmt__{f.name}"
                     for f in fields if f.type == "DATE")
    return (f"select load_id, source, source_file, source_row, source_rows, file_problem, {raw}, {typed}, {fmts} "
            f"from {table}")


def _checks(kind: str, key: str | None) -> list[tuple[str, str, str]]:
    """(condition, code, reason) in the order a row is judged; conditions see raw__ and typed."""
    out = [("file_problem is not null", "missing_column", "file_problem")]
    if key:
        out.append((f"raw__{key} is null", "missing_key", f"'{key} is empty'"))
        out.append((scrub.personal_key_sql(f"raw__{key}"), scrub.PERSONAL_KEY,
                    f"'{key} holds personal data (an e-mail address, a phone number or a title and name): "
                    "a reference must be the partner''s case number, never a person''s details'"))
    for f in stored_fields(kind):
        raw, name = f"raw__{f.name}", f.name
        if f.required and f.name != key:
            out.append((f"{raw} is null", "missing_value", f"'{name} is empty'"))
        if f.type == "DATE" and f.name not in SOFT_DATES.get(kind, ()):
            out.append((f"{raw} is not null and {name} is null", "bad_date",
                        f"format('{name} ''{{}}'' is not a valid date (format {{}})', {raw}, fmt__{name})"
                        f" || {date_hint_sql(raw, f'fmt__{name}')}"))
            if f.name in LATER_DATES.get(kind, ()):
                out.append((f"{name} > today_date", "future_date",
                            f"format('{name} {{}} is in the future (the build ran on {{}})', {name}, today_date)"))
            elif f.name not in PLANNED_DATES.get(kind, ()):
                # without --as-of the incidents are staged against today (the latest data date is
                # known once they are loaded): a date after it is in the future, not "after the
                # as-of date <today>", which is not the as-of date the build then reports
                out.append((f"{name} > as_of_date", "future_date",
                            f"case when as_of_date = today_date "
                            f"then format('{name} {{}} is in the future (the build ran on {{}})', {name}, today_date) "
                            f"else format('{name} {{}} is after the as-of date {{}}', {name}, as_of_date) end"))
            out.append((f"{name} < date '{MIN_DATE}'", "too_old_date", _too_old_sql(name)))
        elif f.type in ("INTEGER", "DOUBLE"):
            what = "a whole number of 0 or more" if f.type == "INTEGER" else "a number"
            out.append((f"{raw} is not null and {name} is null", "bad_value",
                        f"format('{name} ''{{}}'' is not {what}', {raw})"))
        if f.allowed:
            allowed = ", ".join(f"'{v}'" for v in f.allowed)
            out.append((f"{name} is not null and {name} not in ({allowed})", "bad_value",
                        f"format('{name} ''{{}}'' is not one of {'/'.join(f.allowed)}: map it under "
                        f"[source.values.{name}] in sources.toml', {raw})"))
        if f.name in VOCABULARIES:
            listed = ", ".join(f"'{v}'" for v in VOCABULARIES[f.name])
            out.append((f"{name} is not null and {name} not in ({listed})", "unmapped_value",
                        f"format('{name} ''{{}}'' is not one of the partnership''s {name} values "
                        f"(etl/rules/asb_types.toml): map it under [source.values.{name}] in sources.toml', "
                        f"{raw})"))
    if _has_authority(kind):
        out.append(("raw__authority is not null and authority_code is null", "unknown_authority",
                    "format('authority ''{}'' is not one of the nine Derbyshire authorities', raw__authority)"))
    out += ROW_RULES[kind]
    return out


def unknown_zone_sql(column: str) -> str:
    """What follows the time of day in `column` when it is no zone the build knows (`zone_suffix_sql`):
    '2025-03-31 23:30 IST' gives 'IST'; null for any other value. Says why a date did not read."""
    return (f"list_transform([regexp_extract({column}, '{_ZONE_SPLIT}', ['b', 'end', 'z'])], lambda z: case "
            f"when regexp_matches(z.b, '\\d:\\d{{2}}(:\\d{{2}}([.,]\\d+)?)?( ?[AaPp][Mm])?$') and upper(z.z) not in ('AM', 'PM') "
            f"and try_cast('2000-01-01 12:00:00' || {zone_suffix_sql('z.z')} as timestamptz) is null "
            "then z.z end)[1]")


def date_hint_sql(raw: str, fmt: str) -> str:
    """SQL text to add to a bad date's reason: when the value reads as a day-first date with `/`,
    `-` or `.` (25/03/2025, 25.03.25) under a format other than the declared one (`fmt`, a SQL
    expression), the format to declare; else month-first (03/25/2025, a US export); else ''.
    Evaluated only for the rows rejected."""
    parts = (f"regexp_extract({raw}, '^(\\d{{1,2}})([/.-])(\\d{{1,2}})([/.-])(\\d{{4}}|\\d{{2}})(?:$|[ T])', "
             "['d', 's', 'm', 't', 'y'])")
    year = "(case when length(p.y) = 4 then '%Y' else '%y' end)"
    day, month = f"'%d' || p.s || '%m' || p.s || {year}", f"'%m' || p.s || '%d' || p.s || {year}"
    y = "(cast(p.y as integer) + case when length(p.y) = 2 then 2000 else 0 end)"
    reads_day = f"try(make_date({y}, cast(p.m as integer), cast(p.d as integer))) is not null"
    reads_month = f"try(make_date({y}, cast(p.d as integer), cast(p.m as integer))) is not null"
    hint = ("format('; it reads as {{}}: declare date_format = \"{{}}\" for its source in sources.toml', "
            "{}, {})")
    zone = (f"coalesce(format('; ''{{}}'' after the time is not a time zone the build knows: write an "
            f"offset (+01:00), Z, UTC or a zone name (Europe/London)', {unknown_zone_sql(raw)}), '')")
    return f"""list_transform([{parts}], lambda p: case
        when p.s = '' or p.s <> p.t then ''
        when {reads_day} and {day} <> {fmt} then {hint.format("'day/month/year'", day)}
        when not ({reads_day}) and {reads_month} and {month} <> {fmt}
            then {hint.format("'month/day/year'", month)}
        else '' end)[1] || {zone}"""


def _too_old_sql(name: str) -> str:
    """A date before MIN_DATE in words: the value as sent, the date it reads as and the format, and
    the format to declare when it reads as a day-first date with another (`date_hint_sql`): "10/03/25"
    under %d/%m/%Y is the year 25 (the partner-file audit: the reason said only "0025-03-10 is
    before 2000-01-01")."""
    raw = f"raw__{name}"
    two_digit_year = f"regexp_matches({raw}, '^\\d{{1,2}}[/.-]\\d{{1,2}}[/.-]\\d{{2}}(?:$|[ T])')"
    return (f"format('{name} ''{{}}'' reads as {{}} (format {{}}), before {MIN_DATE}', {raw}, {name}, "
            f"fmt__{name}) || (case when {two_digit_year} then {date_hint_sql(raw, f'fmt__{name}')} else '' end)")


def _soft_date_checks(kind: str) -> list[tuple[str, str, str]]:
    """(column, condition, message) for stage dates: the column is nulled when its date is unusable
    (unreadable, before 2000) and the message kept; a future date is kept and reported."""
    out = []
    for name in SOFT_DATES.get(kind, ()):
        raw = f"raw__{name}"
        out += [(name, f"{raw} is not null and {name} is null",
                 f"format('{name} ''{{}}'' is not a valid date (format {{}})', {raw}, fmt__{name})"
                 f" || {date_hint_sql(raw, f'fmt__{name}')}"),
                (name, f"{name} < date '{MIN_DATE}'", _too_old_sql(name))]
        if name not in BOOKABLE_DATES:
            out.append((None, f"{name} > today_date",
                        f"format('{name} {{}} is in the future (the build ran on {{}})', {name}, today_date)"))
    return out


def _has_authority(kind: str) -> bool:
    return any(f.name == "authority" for f in schema.INPUTS[kind])


def stored_fields(kind: str) -> tuple[schema.Field, ...]:
    """The canonical fields as raw tables store them: person_ref is already person_key there."""
    return tuple(replace(f, name="person_key") if f.name in schema.PERSON_COLUMNS else f
                 for f in schema.INPUTS[kind])


def maps(con) -> None:
    """The lookups staging joins, empty: `_authority_map` (an authority as partners write it ->
    its code) and `_lsoa_name_map` (a police.uk LSOA name -> its district's code); the values are
    added as they are read (`add_authorities`, `add_lsoa_names`)."""
    con.execute("create temp table if not exists _authority_map (authority_value varchar, authority_code varchar)")
    con.execute("create temp table if not exists _lsoa_name_map (lsoa_name varchar, authority_code varchar)")


def add_authorities(con, values) -> None:
    """Add the authorities as partners write them (`values`) that `_authority_map` lacks, each
    resolved in Python (etl/rules/authorities.py): one row per value, so the join never repeats a row."""
    _add(con, "_authority_map", "authority_value", values, authorities.resolve)


def add_lsoa_names(con, values) -> None:
    """Add the police.uk LSOA names (`values`) that `_lsoa_name_map` lacks, with their district."""
    _add(con, "_lsoa_name_map", "lsoa_name", values, authorities.from_lsoa_name)


def _add(con, table: str, column: str, values, resolve) -> None:
    known = {r[0] for r in con.execute(f"select {column} from {table}").fetchall()}
    new = sorted({v for v in values if v} - known)
    if new:   # one statement (executemany took 0.8 s for 642 values)
        con.register("_map_frame", pd.DataFrame({"v": new, "code": [resolve(v) for v in new]}, dtype="object"))
        con.execute(f"insert into {table} select v, code from _map_frame")
        con.unregister("_map_frame")


def stage_sql(kind: str, tables: list[str], sources: dict, as_of: dt.date, today: dt.date | None = None,
              pretyped: frozenset[str] = frozenset()) -> str:
    """The SQL that builds stg_<kind> from raw tables of that kind (`sources`: table -> Source);
    `today` (default: the calendar date) judges stage dates, which may lie after an earlier as-of.
    `pretyped`: fields the tables also hold typed (column PRETYPED; `value_typed` fields only)."""
    fields = stored_fields(kind)
    by_table = sources
    union = "\n    union all by name\n    ".join(_typed_select(t, by_table[t], fields, pretyped) for t in tables)
    case = "\n        ".join(f"when {c} then {{'code': '{code}', 'reason': {r}}}"
                             for c, code, r in _checks(kind, schema.KEYS[kind]))
    raw_json = ", ".join(f"{f.name} := raw__{f.name}" for f in fields)
    soft = _soft_date_checks(kind)
    unusable = {}
    for column, condition, _ in soft:
        if column:
            unusable.setdefault(column, []).append(condition)
    columns = ", ".join(f"case when {' or '.join(unusable[f.name])} then null else {f.name} end as {f.name}"
                        if f.name in unusable else f.name for f in fields)
    date_errors = (f"nullif(concat_ws('; ', {', '.join(f'case when {c} then {m} end' for _, c, m in soft)}), '')"
                   if soft else "null::varchar")
    auth_join = ("left join _authority_map am on am.authority_value = typed.raw__authority"
                 if _has_authority(kind) else "")
    auth_col = "am.authority_code" if _has_authority(kind) else "null::varchar as authority_code"
    return f"""
with typed as (
    {union}
),
judged as (
    select typed.*, {auth_col}, date '{as_of.isoformat()}' as as_of_date,
           date '{(today or periods.london_today()).isoformat()}' as today_date
    from typed {auth_join}
),
checked as (
    select *, case
        {case}
    end as reject
    from judged
),
final as (
    select load_id, source, source_file, source_row, source_rows, {columns},
           authority_code, {date_errors} as date_errors, reject.code as reject_code, reject.reason as reject_reason,
           case when reject is not null then to_json(struct_pack({raw_json}))::varchar end as raw_values
    from checked
)
select * from final"""


def explain_unmapped(con, kind: str) -> None:
    """Add the nearest canonical values to each `unmapped_value` reject of stg_<kind> (few
    distinct labels, so they are matched in Python with `vocabulary.nearest`)."""
    for name in VOCABULARIES:
        if name not in {f.name for f in stored_fields(kind)}:
            continue
        labels = [r[0] for r in con.execute(
            f"select distinct json_extract_string(raw_values, '$.{name}') from stg_{kind} "
            f"where reject_code = 'unmapped_value' and starts_with(reject_reason, '{name} ')").fetchall()]
        nearest = {label: vocabulary.nearest(label) for label in labels if label is not None}
        hints = [(label, "; nearest: " + ", ".join(near) if near else "") for label, near in nearest.items()]
        if hints:
            con.executemany(
                f"update stg_{kind} set reject_reason = reject_reason || ? where reject_code = 'unmapped_value' "
                f"and json_extract_string(raw_values, '$.{name}') = ?", [(h, label) for label, h in hints])
