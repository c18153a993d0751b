"""Text as a reader sees it: characters that show nothing dropped (a zero-width space, a byte-order
mark or a soft hyphen pasted into a reference), full-width forms as their plain ones ("ＡＶ－１" is
AV-1, as an East Asian input method writes it), the other spaces as a space (non-breaking,
thin, narrow) and hyphens and dashes as a hyphen. Two references that look the same are then the same reference, and a phone number
written with a narrow space is still one (the partner-file audit of 6 December 2026: a repeated
record with a zero-width space in its reference was a second incident).

`plain` in Python and `plain_sql` in DuckDB give the same text; the SQL leaves plain ASCII as it
is without looking further (its bytes and its characters are as many), so it costs little on the
ten million references of a large build.
"""

from __future__ import annotations

import unicodedata

INVISIBLE = ("\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
             "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff")
SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
# hyphens and dashes (Word's en dash in "07700 – 900145", the non-breaking hyphen, the minus sign)
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"
FULL_WIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F))   # ！ to ～
ASCII = "".join(chr(c) for c in range(0x21, 0x7F))             # ! to ~

_FROM = FULL_WIDTH + SPACES + DASHES
_TO = ASCII + " " * len(SPACES) + "-" * len(DASHES)
_TABLE = str.maketrans(_FROM, _TO, INVISIBLE)


def plain(text: str) -> str:
    """`text` with invisible characters dropped, full-width forms and odd spaces made plain."""
    return text.translate(_TABLE)


def plain_sql(expr: str) -> str:
    """`plain` as a DuckDB expression (DuckDB's translate drops the characters of its `from` beyond
    the length of its `to`: the invisible ones)."""
    source = _literal(_FROM + INVISIBLE)
    target = _literal(_TO)
    return f"(case when strlen({expr}) = length({expr}) then {expr} else translate({expr}, {source}, {target}) end)"


# What Python's str.strip() removes (the characters whose str.isspace() is true): a workbook's text
# cells are trimmed of them (etl/sources/readers.py `_texts`), and a CSV's values too (`strip_sql`)
# (tests/warehouse/test_messy_xlsx.py holds the set to str.isspace()).
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
              "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def strip_sql(expr: str) -> str:
    """`expr` trimmed as Python's str.strip() trims it, as a workbook's cell is: a tab, CR, LF or
    non-breaking space around a CSV's value ("ECN-1\\t", an export padding its columns) is no part
    of it (DuckDB's trim removes spaces alone: the reference was a second person, the date a
    reject). Only a value whose first or last character is not printable ASCII is trimmed, so the
    test is the cost: on ten million dates 0.24 s, against 0.47 s for DuckDB's trim and 1.3 s for
    a trim of these characters on every value. `expr` should be a column or a value computed for
    every row anyway (DuckDB computes a repeated expression once)."""
    return (f"(case when ascii({expr}) between 33 and 126 and ascii(right({expr}, 1)) between 33 and 126 "
            f"then {expr} else trim({expr}, {_literal(WHITESPACE)}) end)")


def blank_null_sql(expr: str) -> str:
    """`strip_sql` of `expr`, an empty text null: a value as the build reads it."""
    return f"nullif({strip_sql(expr)}, '')"


def without_accents(text: str) -> str:
    """`text` with its letters' accents dropped (É is E), as DuckDB's strip_accents drops them."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
