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


def without_accents(text: str) -> str:
    """`text` with its letters' accents dropped (É is E), as DuckDB's strip_accents drops them."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
