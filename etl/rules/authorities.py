"""The nine Derbyshire authorities: the one place in the project that knows their codes and names."""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Authority:
    code: str
    name: str
    kind: str  # "district" or "unitary"


AUTHORITIES: tuple[Authority, ...] = (
    Authority("E07000032", "Amber Valley", "district"),
    Authority("E07000033", "Bolsover", "district"),
    Authority("E07000034", "Chesterfield", "district"),
    Authority("E06000015", "Derby", "unitary"),
    Authority("E07000035", "Derbyshire Dales", "district"),
    Authority("E07000036", "Erewash", "district"),
    Authority("E07000037", "High Peak", "district"),
    Authority("E07000038", "North East Derbyshire", "district"),
    Authority("E07000039", "South Derbyshire", "district"),
)
CODES: tuple[str, ...] = tuple(a.code for a in AUTHORITIES)
NAME_BY_CODE: dict[str, str] = {a.code: a.name for a in AUTHORITIES}

# Every UK local authority district's code and name since 2011 (ONS, via drkane/geo-lookups
# la_all_codes.csv; Open Government Licence): the names of the authorities beyond the nine, which a
# postcode search may name (a district such as NG16 lies partly in Broxtowe).
OTHERS_PATH = Path(__file__).resolve().parents[1] / "reference" / "local_authorities.csv"


@functools.lru_cache(maxsize=1)
def _other_names() -> dict[str, str]:
    with OTHERS_PATH.open(encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


def any_name(code: str) -> str:
    """The name of any UK local authority district by its GSS code (one of the nine's as this module
    names it; another's from OTHERS_PATH); a code it does not know, as it is."""
    return NAME_BY_CODE.get(code) or _other_names().get(code) or code


# Words that partners add around a name in their exports ("Erewash Borough Council").
_NOISE = re.compile(r"\b(borough|district|city|council|of|the|bc|dc|cc)\b")


def _norm(text: str) -> str:
    text = text.lower().replace("&", " and ").replace("n.e.", "north east ")
    text = re.sub(r"\b([a-z])\.", r"\1", text)   # initials: "B.C." is "bc", "N.E.D.D.C." is "neddc"
    text = re.sub(r"[^a-z0-9 ]", " ", text)
    return " ".join(_NOISE.sub(" ", text).split())


_ALIASES: dict[str, str] = {}
for _a in AUTHORITIES:
    _ALIASES[_a.code.lower()] = _a.code
    _ALIASES[_norm(_a.name)] = _a.code
_ALIASES.update({"ned": "E07000038", "ne derbyshire": "E07000038", "north east derbys": "E07000038",
                 "s derbyshire": "E07000039", "south derbys": "E07000039", "derbys dales": "E07000035"})
# Each council's own initials, with or without dots ("N.E.D.D.C."); DCC is left out: it is Derby
# City Council's and Derbyshire County Council's.
_INITIALS = {"avbc": "E07000032", "bdc": "E07000033", "cbc": "E07000034", "dddc": "E07000035",
             "ebc": "E07000036", "hpbc": "E07000037", "neddc": "E07000038", "sddc": "E07000039"}


def resolve(value: str | None) -> str | None:
    """Return the GSS code for a code or a name as partners write it, or None if not one of the nine."""
    if value is None:
        return None
    key = value.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    return _INITIALS.get(re.sub(r"[^a-z]", "", key)) or _ALIASES.get(_norm(value))


def from_lsoa_name(lsoa_name: str | None) -> str | None:
    """District code from an ONS LSOA name ("Amber Valley 001A" -> E07000032)."""
    if not lsoa_name:
        return None
    return resolve(re.sub(r"\s+\d{3}[A-Z]$", "", lsoa_name.strip()))
