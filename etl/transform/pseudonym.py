"""Pseudonymise people at ingest: HMAC-SHA256 with a key kept outside the warehouse and git.

The same person_ref gives the same person_key across sources and builds while the key stays the
same, so repeat callers can be counted; without the key nobody can go back to the reference.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from pathlib import Path

from etl.transform import plain, private

ENV_VAR = "ASB_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16


class KeyError_(RuntimeError):
    """No usable pseudonymisation key."""


def load_key(key_file: Path | None) -> bytes:
    """The key from ASB_PSEUDONYM_KEY, else from the configured key file."""
    value = os.environ.get(ENV_VAR)
    origin = f"${ENV_VAR}"
    if not value and key_file is not None:
        if not key_file.exists():
            raise KeyError_(f"pseudonymisation key file {key_file} not found")
        value, origin = key_file.read_text(encoding="utf-8").strip(), str(key_file)
    if not value:
        raise KeyError_(f"no pseudonymisation key: set ${ENV_VAR} or [build] pseudonym_key_file")
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise KeyError_(f"pseudonymisation key from {origin} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def resolve_key(key_file: Path | None, default_file: Path) -> tuple[bytes, str | None]:
    """The key for a build, and a note when one was made: $ASB_PSEUDONYM_KEY, else the configured
    key file, else `default_file` (beside the warehouse, outside the inputs folder), which the
    first build creates (random, readable by the owner only) and later builds reuse."""
    if os.environ.get(ENV_VAR):
        return load_key(key_file), None
    if key_file is not None:
        return load_key(key_file), private.loose(key_file)
    note = private.loose(default_file)
    if not default_file.exists():
        generate_key_file(default_file)
        note = (f"no pseudonymisation key was configured, so a new one was created at {default_file}: "
                "back it up and keep it out of git; builds reuse it, and a new key changes every person_key")
    return load_key(default_file), note


def fingerprint(key: bytes) -> str:
    """A short, non-reversible id of the key, so a build can tell that person keys changed."""
    return hashlib.sha256(b"asb-key-id:" + key).hexdigest()[:12]


# What partners write in a person reference for nobody (after normalisation: upper case, letters
# and digits): an anonymous report, never one person whose reports all count together ("N/A"
# would otherwise meet the threshold, and merge anonymous reports across agencies).
NOT_A_PERSON = ("NA", "NONE", "NULL", "NIL", "UNKNOWN", "UNK", "NK", "NOTKNOWN", "ANON", "ANONYMOUS",
                "TBC", "TBA", "WITHHELD", "NOTGIVEN", "NOTRECORDED", "NOTSTATED", "REFUSED", "NONEGIVEN",
                "NOTPROVIDED", "NOTAVAILABLE", "NOREF", "NOREFERENCE", "NOTAPPLICABLE", "DECLINED",
                # as partners also type them where a reference is asked for (the partner-file audit of
                # 6 December 2026: ten such, each used three times, were ten people at the threshold);
                # a letter alone or repeated (X, XXX, ZZZ, N) is one too (`_one_letter`)
                "NFA", "DK", "DONTKNOW", "NO", "DITTO", "MOP", "CALLER", "PENDING", "AWAITING", "AWAITINGREF",
                "NODETAILS", "NONAME", "NOTASKED", "TOFOLLOW", "REFTOFOLLOW", "SEENOTES", "SEEABOVE",
                "SEEBELOW", "ASABOVE", "SAMEASABOVE", "MEMBEROFPUBLIC", "MEMBEROFTHEPUBLIC", "NOTSUPPLIED",
                "UNDISCLOSED", "NOTDISCLOSED")


# ... and a placeholder written with other words but no digit ("Anonymous caller", "Name withheld",
# "Unknown person"): one of these words, whole, in a reference without a digit (a reference with
# one, "ANON-7", "ECN-UNKNOWN-12", is a partner's code for someone)
PLACEHOLDER_WORDS = ("[^0-9]*\\b(ANON|ANONYMOUS|ANONYMISED|UNKNOWN|WITHHELD|REFUSED|DECLINED|"
                     "NOT[ _-]*(KNOWN|GIVEN|RECORDED|STATED|PROVIDED|AVAILABLE))\\b[^0-9]*")


def normalise_ref(person_ref: str, pattern: str | None = None) -> str | None:
    """A person reference as it is hashed: upper case, letters and digits only ("ecn-00540 " and
    "ECN00540" are one person). With a source's `person_ref_pattern` (a regular expression over
    the upper-cased reference, then, where it does not match, over its letters and digits alone:
    "ecn 540" is ECN540 for `ECN-?0*([0-9]+)`), the text of its capture groups (or of the whole
    match) is normalised instead; a reference the pattern matches neither way is normalised whole.
    A placeholder for nobody (NOT_A_PERSON, or zeros alone) is None: an anonymous report."""
    text = plain.without_accents(plain.plain(person_ref)).upper()
    if re.fullmatch(PLACEHOLDER_WORDS, text):
        return None
    if pattern:
        found = re.search(pattern, text) or re.search(pattern, re.sub(r"[^A-Z0-9]", "", text))
        if found:
            text = "".join(g for g in found.groups() if g) if found.groups() else found.group(0)
    norm = re.sub(r"[^A-Z0-9]", "", text)
    return None if not norm or norm in NOT_A_PERSON or not norm.strip("0") or _one_letter(norm) else norm


def _one_letter(norm: str) -> bool:
    """A normalised reference that is one letter, alone or repeated (X, XXX, ZZZ): nobody's."""
    return norm.isalpha() and norm == norm[0] * len(norm)


def person_key(key: bytes, person_ref: str, pattern: str | None = None) -> str:
    """Keyed hash of one normalised reference ("p_" + 20 hex digits)."""
    norm = normalise_ref(person_ref, pattern) or ""
    return "p_" + hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def normalise_ref_sql(column: str, pattern: str | None = None) -> str:
    """`normalise_ref` as a DuckDB expression (null when nothing is left)."""
    text = f"upper(strip_accents({plain.plain_sql(column)}))"
    if pattern:
        quoted = pattern.replace("'", "''")
        groups = re.compile(pattern).groups
        reduced = f"regexp_replace({text}, '[^A-Z0-9]', '', 'g')"

        def picked(t: str) -> str:
            return (" || ".join(f"coalesce(regexp_extract({t}, '{quoted}', {i}), '')" for i in range(1, groups + 1))
                    if groups else f"regexp_extract({t}, '{quoted}', 0)")
        text = (f"(case when regexp_matches({text}, '{quoted}') then {picked(text)} "
                f"when regexp_matches({reduced}, '{quoted}') then {picked(reduced)} else {text} end)")
    norm = f"regexp_replace({text}, '[^A-Z0-9]', '', 'g')"
    placeholders = ", ".join(f"'{p}'" for p in NOT_A_PERSON)
    # the reduced text bound once (a lambda over a one-item list): written out three times, DuckDB
    # ran the regular expression three times (1.04 against 0.40 CPU seconds for a million references)
    return (f"list_transform([{norm}], lambda n: case when n in ('', {placeholders}) or ltrim(n, '0') = '' "
            # one letter, alone or repeated (`_one_letter`)
            "or (left(n, 1) between 'A' and 'Z' and n = repeat(left(n, 1), length(n))) "
            # a reference ending in a digit holds one: the regular expression only for the others
            f"or (right({column}, 1) not between '0' and '9' "
            f"and regexp_full_match(upper({column}), '{PLACEHOLDER_WORDS}')) then null else n end)[1]")


def person_key_sql(column: str, pattern: str | None = None) -> str:
    """The same HMAC-SHA256 as `person_key`, as a DuckDB expression over `column` (null when the
    reference is empty after normalisation: an anonymous report).

    It takes two BLOB parameters, the key's inner and outer pads (`hmac_pads`), so ten million
    references hash inside the database and the key never appears in SQL text.
    """
    norm = normalise_ref_sql(column, pattern)
    return f"'p_' || left(sha256($opad::blob || unhex(sha256($ipad::blob || encode({norm})))), 20)"


def hmac_pads(key: bytes) -> dict[str, bytes]:
    """RFC 2104 inner and outer pads of a key, the parameters of `person_key_sql`."""
    block = hashlib.sha256(key).digest() if len(key) > 64 else key
    block = block.ljust(64, b"\0")
    return {"ipad": bytes(b ^ 0x36 for b in block), "opad": bytes(b ^ 0x5C for b in block)}


def generate_key_file(path: Path) -> Path:
    """Write a fresh random key unless one exists: created owner-only (0600) in one step, and
    never through a link planted where the key goes (that raises FileExistsError)."""
    import secrets

    if path.is_symlink():
        raise FileExistsError(f"{path} is a symbolic link, not a key file: remove it")
    try:
        private.write(path, secrets.token_hex(32) + "\n")
    except FileExistsError:
        pass  # an existing key is kept
    return path
