"""The partnership's canonical ASB types, a closed list read from etl/rules/asb_types.toml.

Each partner's labels are mapped onto these by value maps in sources.toml; a label that is
neither canonical nor mapped is rejected naming the nearest canonical types (`nearest`), so
de-duplication compares like with like. `normalise` is how a label is compared: lower case,
'_' as a space, runs of spaces as one ("Rowdy  Behaviour", "rowdy_behaviour" = "rowdy behaviour").
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path

PATH = Path(__file__).resolve().with_name("asb_types.toml")
CATEGORIES = ("personal", "nuisance", "environmental", "any")


@dataclass(frozen=True)
class AsbType:
    name: str
    category: str
    covers: str


def _load(path: Path = PATH) -> tuple[AsbType, ...]:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for name, entry in doc.get("types", {}).items():
        if normalise(name) != name:
            raise ValueError(f"{path}: type {name!r} must be written as {normalise(name)!r}")
        if entry.get("category") not in CATEGORIES:
            raise ValueError(f"{path}: type {name!r} needs category = one of {CATEGORIES}")
        out.append(AsbType(name, entry["category"], entry.get("covers", "")))
    if not out:
        raise ValueError(f"{path}: no [types.<name>] entries")
    return tuple(out)


def normalise(label: str) -> str:
    """A type label as it is compared: lower case, '_' as a space, runs of spaces as one."""
    return " ".join(str(label).replace("_", " ").lower().split())


def normalise_sql(expr: str) -> str:
    """`normalise` as a DuckDB expression."""
    return f"lower(trim(regexp_replace(replace({expr}, '_', ' '), '\\s+', ' ', 'g')))"


TYPES = _load()
ASB_TYPES: tuple[str, ...] = tuple(t.name for t in TYPES)


def nearest(label: str, n: int = 3) -> list[str]:
    """The canonical types closest to an unmapped label, best first (difflib's ratio; substrings
    such as 'Noise Nuisance' -> 'noise' also count)."""
    value = normalise(label)
    contained = [t for t in ASB_TYPES if t in value or value in t]
    close = difflib.get_close_matches(value, ASB_TYPES, n=n, cutoff=0.4)
    return list(dict.fromkeys(contained + close))[:n]
