"""`asb check`: what the build would make of each declared file, before anything is loaded.

For every file of every declared source (or of one) the check reads the file with the build's own
reader (`readers.read_file`) and header matching (`extract._match_headers`, `_file_problem`,
`_misfit`) into an in-memory database, and reports, like a validation report:

- how the file was read (format, encoding, delimiter or sheet, header line, records), or the very
  reason the build would refuse it;
- each canonical column: the file header it comes from, a constant, or "missing (required)", and
  the headers that will not be read;
- a few values as the build would see them (`extract._value_expr`; dates through the staging
  parser `stage.date_sql`), never for person references or location text: only counts there;
- what staging would reject per column (unparseable or pre-2000 dates, values outside the allowed
  list, ASB types outside etl/rules/asb_types.toml, unknown authorities, empty required values,
  malformed records) and whether that many rejects would fire the `reject_share` gate;
- sources.toml lines to paste: encoding, skip_rows, column maps for missing columns, date formats
  and value maps (nearest canonical values as guesses to confirm), each one tried on the file
  before it is suggested where that is cheap (encoding, skip_rows, date formats).

Nothing is written: no warehouse, no key, no file in the inputs folder (DuckDB runs in memory and
spills, if it must, to a temporary folder). `check` returns one dict per file (the JSON report);
`render` turns them into text.
"""

from __future__ import annotations

import difflib
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import duckdb

from etl import gates, schema, sqlfile
from etl.rules import authorities, vocabulary
from etl.sources import config, extract, readers
from etl.sources.config import BuildConfig, Source
from etl.transform import plain, pseudonym, scrub, stage

# Columns shown as counts only: references to people, the postcode (it may point at a home), and
# every free-text column of any kind (scrub.FREE_TEXT: an incident's description, a police.uk
# row's location and context), which may name them.
COUNT_ONLY = (*schema.PERSON_COLUMNS, "postcode",
              *sorted({column for columns in scrub.FREE_TEXT.values() for column in columns}))
SAMPLES = 3
EXAMPLES = 5
MAX_LABELS = 25
# Date formats tried on a column that does not parse as declared (day before month first: UK data).
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d-%b-%y", "%d-%b-%Y", "%d %b %Y",
                "%d %B %Y", "%Y/%m/%d", "%m/%d/%Y", "excel")
_UTF8 = ("utf-8", "utf8", "utf-8-sig")
_TABLE = "_check_file"


# --- running the check ---------------------------------------------------------------------------

def check(inputs: Path | str, source: str | None = None, cfg: BuildConfig | None = None) -> list[dict]:
    """One report per file of every declared source (or of source `source`), in declaration order;
    a source whose glob matches no file gets one report with `file` None. `cfg`: the inputs'
    configuration when the caller loaded it already (`asb check` checks its rules file first)."""
    cfg = cfg or config.load(inputs)
    sources = cfg.sources
    if source is not None:
        slug = source.lower().replace("-", "_")
        sources = tuple(s for s in cfg.sources if s.slug == slug)
        if not sources:
            raise config.ConfigError(f"no source {source!r} in {cfg.inputs / 'sources.toml'} "
                                     f"(sources: {', '.join(s.slug for s in cfg.sources)})")
    copies = _same_files(cfg)
    reports = []
    with tempfile.TemporaryDirectory(prefix="asb-check-") as spill, _connect(spill) as con:
        for s in sources:
            files = s.files(cfg.inputs)
            for path, why in s.refused(cfg.inputs):  # never opened
                report = _report(s, cfg.display_path(path))
                _fail(report, "refused", why)
                reports.append(report)
            if not files and not s.refused(cfg.inputs):
                reports.append(_report(s, None) | {
                    "status": "no_files", "notes": [f"no file matches path {s.path!r}"]})
            checked = []
            for path in files:
                report = _check_file(con, cfg, s, path)
                checked.append((path, report))
                for other, other_path in copies.get(path, []):
                    level = min((s, other), key=lambda x: x.slug).gates.get("same_file", "error")
                    if level != "off":
                        report["notes"].append(f"the same file as {cfg.display_path(other_path)} of source "
                                               f"{other.slug}: its records would count twice (gate same_file, "
                                               f"{level})")
                    if level == "error":
                        _fail(report, "same_file")
                reports.append(report)
            _date_fixes_across_files(con, cfg, s, checked)
    return [_scrubbed(r) for r in reports]


def _scrubbed_text(text: str) -> str:
    """`scrub.scrub_text` of a text of a report, its underscores read as spaces too when that finds
    more: a label's normalised value joins its words with them ("visit_mrs_quixtonbury_07700_900453_
    at_17_larkspur_crescent"), which hid the name, number and address (the personal-data audit of
    7 December 2026: printed beside the label scrubbed)."""
    cleaned, found = scrub.scrub_text(text)
    if "_" in text:
        spaced, found_spaced = scrub.scrub_text(text.replace("_", " "))
        if sum(found_spaced.values()) > sum(found.values()):
            return spaced
    return cleaned


# the fields of a report that are the check's own words, never a partner's
_OWN_FIELDS = frozenset(("source", "kind", "status", "column", "type"))


# How a label's value is read from its text (`stage.closed_list_sql`: a closed list's canonical
# form; a yes/no column's in capitals), in Python: a sample's value is shown from its scrubbed text
# by the same reading.
_READINGS = (lambda t: t, str.lower, str.upper, lambda t: t.lower().replace(" ", "_").replace("-", "_"))


def _scrubbed_sample(sample: dict) -> dict:
    """A column's sample (the text as sent, the value the build reads from it) scrubbed: when the
    text holds what the scrub removes, the value is read again from the scrubbed text. Scrubbed on
    its own, a closed-list value ("jane_doe_[phone]" of "Jane Doe 07700 900703") kept the name the
    text lost (the personal-data audit of 8 December 2026)."""
    raw, value = sample["raw"], sample["value"]
    clean = _scrubbed_text(raw) if isinstance(raw, str) else raw
    if clean != raw and isinstance(value, str):
        read = next((r for r in _READINGS if r(raw) == value), None)
        value = read(clean) if read else _scrubbed_text(value)
    else:
        value = _scrubbed(value)
    return {**sample, "raw": clean, "value": value}


def _scrubbed(value, field: str | None = None):
    """A report with every text in it as the build would store it (`scrub.scrub_text`): a sample,
    a label outside its list and the value map line offered for it, a date that would not parse, an
    unread header, a sheet's or file's name. The personal-data audit of 6 December 2026 found names
    and phone numbers printed as sent (a police record's Crime ID, a victim_type), and offered as a
    line to paste into sources.toml."""
    if isinstance(value, str):
        return value if field in _OWN_FIELDS else _scrubbed_text(value)
    if isinstance(value, dict):
        if value.keys() == {"raw", "value"}:
            return _scrubbed_sample(value)
        return {k: _scrubbed(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrubbed(v, field) for v in value)
    return value


def exit_code(reports: list[dict]) -> int:
    """0 when every file would load with no file-level problem, else 1."""
    return 0 if all(r["ok"] for r in reports) else 1


def _report(source: Source, rel: str | None) -> dict:
    return {"source": source.slug, "kind": source.kind, "file": rel, "ok": True, "status": "ok",
            "error": None, "read": None, "columns": [], "ignored_headers": [], "problems": [],
            "rejected_estimate": None, "suggestions": [], "notes": []}


def _fail(report: dict, status: str, error: str | None = None) -> None:
    report["ok"] = False
    if report["status"] == "ok":
        report["status"] = status
    if error and not report["error"]:
        report["error"] = error


def _connect(spill: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"set temp_directory = {sqlfile.literal(spill)}")
    con.execute("set enable_progress_bar = false")
    return con


def _attempt(con, cfg: BuildConfig, source: Source, path: Path):
    """Read a file as `source` declares it into temp table _check_file: (FileRead or None, the
    build's reason or None, mapped columns, file problem). The reason is set when the build would
    refuse the file."""
    try:
        read = readers.read_file(con, path, source, _TABLE)
    except readers.ReadError as exc:
        return None, str(exc).replace(str(path), cfg.display_path(path)), {}, None
    mapped, _ = extract._match_headers(source, read.headers)
    problem = extract._file_problem(source, mapped)
    return read, extract._misfit(cfg, source, path, read.headers, problem is not None), mapped, problem


def _check_file(con, cfg: BuildConfig, source: Source, path: Path) -> dict:
    report = _report(source, cfg.display_path(path))
    read, refused, mapped, problem = _attempt(con, cfg, source, path)
    try:
        if read is not None:
            report["read"] = _read_info(source, path, read)
        if refused:
            _fail(report, "refused", refused)
            report["suggestions"] += _refusal_fixes(con, cfg, source, path, read, refused)
            return report
        try:   # a column the header gives twice, with other values, or the header pasted again in
            # another order: refused, as the build refuses it (`extract._run_insert`)
            twice, again = extract.header_choice(con, source, read), extract.header_again(con, read)
        except readers.ReadError as exc:
            _fail(report, "refused", f"{cfg.display_path(path)}: {exc}")
            return report
        report["notes"] += [note for note in (twice, *again.values()) if note]
        _, ignored = extract._match_headers(source, read.headers)
        report["ignored_headers"] = ignored
        if problem:
            _fail(report, "missing_column", problem)
        _columns(con, source, read, mapped, report)
        if scheme := extract.other_scheme_note(con, cfg, source, read):   # one person keyed as two
            report["notes"].append(scheme)
        return report
    finally:  # the next file starts from an empty database
        for (table,) in con.execute("select table_name from duckdb_tables() where temporary").fetchall():
            con.execute(f"drop table {_ident(table)}")


def _read_info(source: Source, path: Path, read: readers.FileRead) -> dict:
    xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
    encoding, bom = (None, False) if xlsx else readers.encoding_shown(path, source.encoding)
    return {"format": "XLSX" if xlsx else "CSV", "encoding": encoding, "bom": bom, "delimiter": read.delimiter, "sheet": read.sheet,
            "header_line": read.header_line or source.skip_rows + 1, "rows": read.rows_read,
            "broken_records": len(read.broken), "note": read.note}


# --- a refused file: what would make it load ------------------------------------------------------

def _refusal_fixes(con, cfg: BuildConfig, source: Source, path: Path, read, reason: str) -> list[dict]:
    """Settings that make a refused file load, each tried on the file: encoding, then skip_rows
    or the sheet; else where the file belongs, or how to map its headers."""
    fixes: dict[str, object] = {}
    trial = source
    for _ in range(2):
        if read is None and "not valid" in reason and "encoding" not in fixes:
            found = _other_encoding(con, trial, path)
            if not found:
                break
            fixes["encoding"] = found
        elif "skip_rows" not in fixes and (hint := re.search(r"set skip_rows = (\d+)", reason)):
            fixes["skip_rows"] = int(hint.group(1))   # the build's own hint (the readers and _misfit find it)
        elif "sheet" not in fixes and (hint := re.search(r'set sheet = "([^"]+)"', reason)):
            fixes["sheet"] = hint.group(1)            # the sheet behind a cover sheet (_misfit)
        else:
            break
        trial = replace(trial, **fixes)
        read, reason, mapped, problem = _attempt(con, cfg, trial, path)
        if read is not None and not reason:
            break
    reason = reason or ""
    out = []
    if fixes:
        toml = "\n".join(f"{key} = {_toml(value)}" for key, value in fixes.items())
        if read is not None and not reason:
            found = sum(1 for h in mapped.values() if h)
            result = (f"with {' and '.join(f'{k} = {_toml(v)}' for k, v in fixes.items())} the file reads: header on "
                      f"line {trial.skip_rows + 1}, {found} of the {len(mapped)} {source.kind} columns found, "
                      f"{read.rows_read:,} records" + (f"; then: {problem}" if problem else ""))
        else:
            result = f"tried on the file; it is still refused: {reason}"
        out.append({"why": f"{result}. Set in the [[source]] entry of {source.slug} (above its [source.*] "
                           "tables)", "toml": toml})
    if "saved in the wrong folder" in reason:
        out.append(_move(cfg, source, path, read))
    elif reason.endswith("map them under [source.columns]") and not fixes:
        out.append({"why": f"if the file is right, map its headers to the {source.kind} columns under "
                           "[source.columns] (canonical column = header in the file); `asb check` then shows "
                           "the mapping", "toml": ""})
    return [o for o in out if o]


def _other_encoding(con, source: Source, path: Path) -> str | None:
    """The first of utf-8, cp1252, latin-1 (other than the declared one) that the reader accepts."""
    declared = "utf-8" if source.encoding in _UTF8 else source.encoding
    for encoding in ("utf-8", "cp1252", "latin-1"):
        if encoding == declared:
            continue
        try:
            readers.read_file(con, path, replace(source, encoding=encoding), _TABLE)
            return encoding
        except readers.ReadError:
            continue
    return None


def _move(cfg: BuildConfig, source: Source, path: Path, read) -> dict:
    """Where a file saved under the wrong source belongs: the declared source it fits best, or a
    new [[source]] entry of the kind whose template it fits."""
    headers = read.headers if read is not None else []
    rel = cfg.display_path(path)
    others = [(extract._fit(s, headers), s) for s in cfg.sources if s.slug != source.slug]
    fit, best = max(others, key=lambda x: x[0], default=(0, None))
    if best is not None and fit >= 2:
        folder = _folder(best.path)
        return {"why": f"move {rel} into {folder or 'the folder its path matches'} (source {best.slug}, "
                       f"path {best.path!r})", "toml": ""}
    kinds = [(extract._fit(Source("", k, ""), headers), k) for k in schema.INPUTS if k != source.kind]
    fit, kind = max(kinds, default=(0, None))
    if kind is None or fit < 2:
        return {}
    return {"why": f"no declared source reads {kind}: move {rel} to a folder of its own and declare it",
            "toml": f'[[source]]\nslug = "{source.slug}_{kind}"\nkind = "{kind}"\npath = "<folder>/*{path.suffix}"'}


def _folder(glob: str) -> str:
    """The fixed folder part of a source's path glob ("opcc/*.csv" -> "opcc/")."""
    parts = []
    for part in Path(glob).parts[:-1]:
        if any(ch in part for ch in "*?["):
            break
        parts.append(part)
    return "/".join(parts) + "/" if parts else ""


def _same_files(cfg: BuildConfig) -> dict[Path, list[tuple[Source, Path]]]:
    """Files read by two sources with the same bytes (by size first, then SHA-256)."""
    by_size: dict[int, list[tuple[Source, Path]]] = {}
    for s in cfg.sources:
        for p in s.files(cfg.inputs):
            by_size.setdefault(p.stat().st_size, []).append((s, p))
    out: dict[Path, list[tuple[Source, Path]]] = {}
    for group in by_size.values():
        if len({s.slug for s, _ in group}) < 2:
            continue
        by_sha: dict[str, list[tuple[Source, Path]]] = {}
        for s, p in group:
            by_sha.setdefault(extract.sha256_file(p), []).append((s, p))
        for same in by_sha.values():
            for s, p in same:
                out.setdefault(p, []).extend((o, q) for o, q in same if o.slug != s.slug)
    return out


# --- a file that reads: columns, values, what staging would reject --------------------------------

_ident = readers.quote_ident


def _columns(con, source: Source, read: readers.FileRead, mapped: dict, report: dict) -> None:
    fields = list(schema.INPUTS[source.kind])
    exprs = [f"{read.row_sql} as source_row"]
    for f in fields:
        header = mapped[f.name]
        exprs.append(f"{_raw(header)} as {_ident('raw__' + f.name)}")
        exprs.append(f"{extract._value_expr(source, f, header)} as {_ident(f.name)}")
    table = extract.stripped(read, mapped, source.kind).table   # trimmed as the build trims it
    con.execute(f"create or replace temp table _check_values as select {', '.join(exprs)} from {table}")
    present = [f for f in fields if mapped[f.name] is not None or _constant(source, f.name) is not None]
    rejects: list[str] = []      # SQL conditions of the rows staging would reject
    labels = {f.name: _label_problems(con, source, f, report, rejects) for f in present}
    checks = [c for f in present for c in _checks(source, f)]
    rejects += [c["cond"] for c in checks if c["reject"]]
    rule_problems = _row_rules(con, source, fields)
    rejects.append("source_row in (select source_row from _check_rules)")
    rejected = " or ".join(f"({c})" for c in rejects) or "false"
    counts = con.execute("select count(*), " + ", ".join(
        [f"count({_ident(f.name)})" for f in fields] + [f"count(*) filter ({c['cond']})" for c in checks]
        + [f"count(*) filter ({rejected})"]) + " from _check_values").fetchall()[0]
    rows, filled, found = counts[0], counts[1:len(fields) + 1], counts[len(fields) + 1:-1]
    head = _head(con, source, fields)
    report["columns"] = [_column(con, source, f, mapped[f.name], rows, n, head)
                         for f, n in zip(fields, filled, strict=True)]
    by_column: dict[str, list[dict]] = {}
    for c, count in zip(checks, found, strict=True):
        if count:
            problem = {"column": c["column"], "kind": c["kind"], "count": count, "message": c["message"],
                       "examples": c["examples"](con)}
            if c["kind"] == "bad_date" and (better := _date_format(con, source, c["column"])):
                problem["better_format"] = better
            by_column.setdefault(c["column"], []).append(problem)
    for f in fields:
        report["problems"] += by_column.get(f.name, []) + labels.get(f.name, [])
    report["problems"] += rule_problems
    missing = [c["column"] for c in report["columns"] if c["status"] == "missing (required)"]
    report["suggestions"] += _column_fixes(source, missing, report["columns"], report["ignored_headers"])
    report["suggestions"] += _date_fixes(source, report)
    if read.broken:
        report["problems"].append({
            "column": None, "kind": "malformed_record", "count": len(read.broken),
            "message": "records that cannot be split into the header's columns (rejected as malformed_row)",
            "examples": [{"row": n, "reason": why} for n, why, _ in read.broken[:EXAMPLES]]})
    rejected = (rows if report["status"] == "missing_column" else counts[-1]) + len(read.broken)
    report["rejected_estimate"] = rejected
    level = source.gates.get("reject_share", "error")
    if (read.rows_read >= gates.MIN_RECORDS and rejected > source.max_reject_share * read.rows_read
            and level != "off" and report["status"] != "missing_column"):
        report["notes"].append(f"at least {rejected:,} of {read.rows_read:,} records would be rejected (more than "
                               f"{source.max_reject_share:.0%}): the reject_share gate ({level}) would "
                               + ("stop the build" if level == "error" else "warn"))
        if level == "error":
            _fail(report, "reject_share")


def _raw(header: str | None) -> str:
    return plain.blank_null_sql(_ident(header)) if header else "null::varchar"


def _constant(source: Source, name: str) -> str | None:
    constant = source.constants.get(name)
    if name == "authority" and source.authority:
        constant = constant or source.authority
    return constant


def _parsed(source: Source, name: str) -> str:
    """The date staging would make of a column (`stage.date_sql` with the source's format and zone)."""
    return stage.date_sql(_ident(name), source.date_format_for(name), source.timezone)


def _sample_sql(source: Source, f: schema.Field) -> str:
    """A sample of one column: file text and value as the build reads it, or for a date the text
    and the date staging parses from it."""
    if f.type == "DATE":
        return f"{_ident(f.name)}, {_parsed(source, f.name)}::varchar"
    return f"{_ident('raw__' + f.name)}, {_ident(f.name)}"


def _head(con, source: Source, fields) -> dict[str, list[tuple]]:
    """Samples of the first 200 rows per column, never of person references or location text."""
    shown = [f for f in fields if f.name not in COUNT_ONLY]
    rows = con.execute(f"select {', '.join(_sample_sql(source, f) for f in shown)} from _check_values "
                       "order by source_row limit 200").fetchall()
    return {f.name: [r[2 * i:2 * i + 2] for r in rows] for i, f in enumerate(shown)}


def _samples(f: schema.Field, pairs) -> list[dict]:
    """The first distinct (raw, value) pairs of a column whose value is not empty (for a date: whose
    text is not empty)."""
    out: list[dict] = []
    for raw, value in pairs:
        if (raw if f.type == "DATE" else value) is None:
            continue
        sample = {"raw": raw, "value": value}
        if sample not in out:
            out.append(sample)
        if len(out) == SAMPLES:
            break
    return out


def _column(con, source: Source, f: schema.Field, header: str | None, rows: int, filled: int, head) -> dict:
    constant = _constant(source, f.name)
    if header is not None:
        status = "header"
    elif constant is not None:
        status = "constant"
    else:
        status = "missing (required)" if f.required else "not in file"
    col = _ident(f.name)
    out = {"column": f.name, "type": f.type, "required": f.required, "header": header, "constant": constant,
           "status": status, "filled": filled, "empty": rows - filled, "samples": []}
    if f.name in schema.PERSON_COLUMNS and header:
        norm = pseudonym.normalise_ref_sql(col, source.person_ref_pattern)
        distinct, anonymous, no_digit = con.execute(
            f"select count(distinct {norm}), count(*) filter ({col} is not null and {norm} is null), "
            f"count(*) filter ({norm} is not null and not regexp_matches({norm}, '[0-9]')) "
            "from _check_values").fetchall()[0]
        out |= {"people": distinct, "anonymous_after_normalising": anonymous, "without_digits": no_digit}
    if f.name in COUNT_ONLY or filled == 0:
        return out
    pairs = head[f.name]
    if f.name == schema.KEYS.get(source.kind):   # never a reference that holds a person's details
        pairs = con.execute(f"select {_sample_sql(source, f)} from _check_values where {col} is not null "
                            f"and not coalesce({scrub.personal_key_sql(col)}, false) order by source_row limit 50").fetchall()
    out["samples"] = _samples(f, pairs)
    if not out["samples"] and f.name != schema.KEYS.get(source.kind):  # sparse: its first values lie further down
        out["samples"] = _samples(f, con.execute(
            f"select {_sample_sql(source, f)} from _check_values where {col} is not null "
            "order by source_row limit 50").fetchall())
    return out


def _examples(cond: str, col: str):
    """A query for the commonest values where `cond` holds, with their counts and first rows."""
    def run(con) -> list[dict]:
        return [{"value": v, "count": n, "row": r} for v, n, r in con.execute(
            f"""select {col}, count(*), min(source_row) from _check_values where {cond}
                group by 1 order by 2 desc, 3 limit {EXAMPLES}""").fetchall()]
    return run


def _rows(cond: str):
    def run(con) -> list[dict]:
        return [{"row": r} for (r,) in con.execute(
            f"select source_row from _check_values where {cond} order by 1 limit {EXAMPLES}").fetchall()]
    return run


def _checks(source: Source, f: schema.Field) -> list[dict]:
    """Row checks of one column as staging makes them: kind, SQL condition, message, an examples
    query and whether staging rejects the row (dates it keeps as data errors, stage.SOFT_DATES, not)."""
    col, name = _ident(f.name), f.name
    soft = name in getattr(stage, "SOFT_DATES", {}).get(source.kind, ())

    def check(kind: str, cond: str, message: str, examples, reject: bool = True) -> dict:
        return {"column": name, "kind": kind, "cond": cond, "message": message, "examples": examples,
                "reject": reject}

    out = []
    if f.required:
        out.append(check("empty", f"{col} is null", f"{name} is empty (required)", _rows(f"{col} is null")))
    if name == schema.KEYS.get(source.kind):   # its rows by number alone: the value is a person's details
        personal = f"coalesce({scrub.personal_key_sql(col)}, false)"
        out.append(check(scrub.PERSONAL_KEY, personal, "holds personal data (an e-mail address, a phone number "
                         "or a title and name): the build rejects the row; map the partner's case number instead",
                         _rows(personal)))
    if f.type == "DATE":
        fmt = source.date_format_for(name)
        bad = f"{col} is not null and {_parsed(source, name)} is null"
        zone = f"{stage.unknown_zone_sql(col)} is not null"
        old = f"{_parsed(source, name)} < date '{stage.MIN_DATE}'"
        kept = "; the build keeps the row with the date empty" if soft else ""
        out += [check("unknown_zone", f"{bad} and {zone}", "a time zone after the time that the build does not "
                      "know: write an offset (+01:00), Z, UTC or a zone name (Europe/London)" + kept,
                      _examples(f"{bad} and {zone}", col), not soft),
                check("bad_date", f"{bad} and not ({zone})", f"not a date (format {fmt})" + kept,
                      _examples(f"{bad} and not ({zone})", col), not soft),
                check("too_old_date", old, f"before {stage.MIN_DATE}", _examples(old, col), not soft)]
    elif f.type in ("INTEGER", "DOUBLE"):   # as staging reads it (Excel's 3.0 is a count, "−1.5" a number)
        bad = f"{col} is not null and {stage.number_sql(f, col)} is null"
        what = "not a whole number of 0 or more" if f.type == "INTEGER" else "not a number"
        out.append(check("not_a_number", bad, what, _examples(bad, col)))
    return out


def _row_rules(con, source: Source, fields: list[schema.Field]) -> list[dict]:
    """The build's row rules (`stage.ROW_RULES`: occurred after reported, an appeal decided before
    it was received, an action due before it was agreed, ...) on the file's typed values: per rule,
    its rows in the temp table _check_rules (the first rule a row breaks, as staging gives one
    reason) and a problem with its count and first rows. The check ignored them: it said "ok" of a
    file the build then rejected whole (the registers fuzz of 6 December 2026)."""
    rules = stage.ROW_RULES.get(source.kind, [])
    typed = ", ".join(stage.typed_column(f, source.date_format_for(f.name), source.timezone) for f in fields)
    codes = " ".join(f"when {cond} then {sqlfile.literal(code)}" for cond, code, _ in rules)
    reasons = " ".join(f"when {cond} then {reason}" for cond, _, reason in rules)
    con.execute(f"""create or replace temp table _check_rules as
        select source_row, case {codes} end as rule_code, case {reasons} end as rule_reason
        from (select source_row, {typed} from _check_values)
        where case {codes} end is not null""" if rules else
                "create or replace temp table _check_rules as select null::bigint as source_row, "
                "null::varchar as rule_code, null::varchar as rule_reason limit 0")
    return [{"column": None, "kind": code, "count": n,
             "message": f"records the build rejects by its row rule {code}",
             "examples": [{"row": r, "reason": why} for r, why in con.execute(
                 "select source_row, rule_reason from _check_rules where rule_code = ? order by 1 "
                 f"limit {EXAMPLES}", [code]).fetchall()]}
            for code, n in con.execute("select rule_code, count(*) from _check_rules group by 1 "
                                       "order by min(source_row)").fetchall()]


def _labels(con, source: Source, name: str) -> list[tuple[str, str, int, int]]:
    """(label as written, value after the value map, rows, first row) per label, by value-map key."""
    col, raw = _ident(name), _ident("raw__" + name)
    found = con.execute(f"""select {raw}, {col}, count(*), min(source_row) from _check_values
        where {col} is not null group by 1, 2 order by 3 desc, 4""").fetchall()
    merged: dict[tuple, list] = {}
    for label, value, n, first in found:
        key = (extract.normalise_value(label) if label is not None else None, value)
        if key in merged:
            merged[key][2] += n
            merged[key][3] = min(merged[key][3], first)
        else:
            merged[key] = [label, value, n, first]
    return [tuple(v) for v in merged.values()]


def _label_problems(con, source: Source, f: schema.Field, report: dict, rejects: list[str]) -> list[dict]:
    """Values outside a closed list (allowed values, the ASB types, the nine authorities), each
    label with its count and nearest values; adds a value map to the suggestions."""
    name = f.name
    out = []
    if f.allowed:
        bad = [x for x in _labels(con, source, name) if x[1] not in f.allowed]
        out.append(_value_problem(con, source, name, report, rejects, bad, "not_allowed",
                                  f"not one of {'/'.join(f.allowed)}", lambda v: _nearest(v, f.allowed, f.allowed == schema.YES_NO),
                                  choices="/".join(f.allowed)))
    if name == "asb_type":
        # a reject once staging checks the closed list (stage.VOCABULARIES); listed either way
        bad = [x for x in _labels(con, source, name) if vocabulary.normalise(x[1]) not in vocabulary.ASB_TYPES]
        out.append(_value_problem(con, source, name, report, rejects, bad, "unmapped",
                                  "not one of the partnership's types (etl/rules/asb_types.toml)",
                                  vocabulary.nearest, counted=name in getattr(stage, "VOCABULARIES", {}),
                                  choices="a type in etl/rules/asb_types.toml"))
    if name == "authority":
        bad = [x for x in _labels(con, source, name) if authorities.resolve(x[1]) is None]
        names = [a.name for a in authorities.AUTHORITIES]
        out.append(_value_problem(con, source, name, report, rejects, bad, "unknown_authority",
                                  "not one of the nine Derbyshire authorities", lambda v: _nearest_authority(v, names),
                                  choices="an authority's name or GSS code"))
    return [p for p in out if p]


def _value_problem(con, source: Source, name: str, report: dict, rejects: list[str], bad: list,
                   kind: str, message: str, nearest, counted: bool = True, choices: str = "") -> dict | None:
    """The problem for labels `bad` (from `_labels`) with their nearest values, a value map in the
    suggestions, and (when staging rejects them: `counted`) their rows among the rejects."""
    if not bad:
        return None
    mapping = {extract.normalise_value(k) for k in source.values.get(name, {})}
    values = []
    for label, value, n, _ in bad[:MAX_LABELS]:
        entry = {"value": label, "count": n, "nearest": nearest(value)}
        if label is not None and extract.normalise_value(label) in mapping:
            entry["mapped_to"] = value
        values.append(entry)
    if counted:
        table = _ident("_check_bad_" + name)
        con.execute(f"create or replace temp table {table} as select unnest(?::varchar[]) as v",
                    [[x[1] for x in bad]])
        rejects.append(f"{_ident(name)} in (select v from {table})")
    report["suggestions"].append(_value_map(source, name, values, choices))
    return {"column": name, "kind": kind, "count": sum(x[2] for x in bad),
            "message": f"{len(bad)} value{'s' * (len(bad) != 1)} {message}", "values": values,
            "more_values": max(0, len(bad) - MAX_LABELS)}


# What a yes/no column holds for "not known" ("N/A" is not "N"): never a guess of Y or N, which
# would change the hate counts (the partner-source audit of 6 December 2026)
UNKNOWN_WORDS = frozenset(("na", "n/a", "n.a.", "unknown", "not known", "nk", "dk", "don't know", "dont know", "?",
                           "tbc", "tba", "none", "not recorded", "not stated", "unsure", "maybe", "-"))


def _nearest(value: str, allowed, yes_no: bool = False) -> list[str]:
    """Allowed values closest to a value: those it contains or that contain it, then difflib's; for
    a yes/no column (`yes_no`) none for a word that means not known (UNKNOWN_WORDS)."""
    text = str(value).lower()
    if yes_no and " ".join(text.split()) in UNKNOWN_WORDS:
        return []
    contained = [a for a in allowed if len(a) >= 3 and (a.lower() in text or text in a.lower())]
    close = difflib.get_close_matches(text, [a.lower() for a in allowed], n=3, cutoff=0.5)
    return list(dict.fromkeys(contained + [a for a in allowed if a.lower() in close]))[:3]


def _nearest_authority(value: str, names: list[str]) -> list[str]:
    """The authorities a partner's label may mean, never a guess that moves records to another
    authority: "Derby" (the city) is no guess for a label saying Derbyshire ("NE Derbys",
    "Derbyshire Dales DC"), and the county ("Derbyshire County Council", "DCC", "Derbyshire")
    gets none: it covers all nine, so each record's district must come from elsewhere."""
    text = " ".join(re.findall(r"[a-z]+", str(value).lower()))
    county = re.sub(r"\b(county|council|cc|dcc|the|of)\b", " ", text)
    if text in ("dcc", "cc") or " ".join(county.split()) in ("derbyshire", "derbys", ""):
        return []
    words = {"s": "south", "ne": "north east", "n": "north", "e": "east", "derbys": "derbyshire", "dc": "", "bc": "",
             "council": "", "district": "", "borough": "", "city": ""}
    found = _nearest(" ".join(words.get(w, w) for w in text.split()).strip() or value, names)
    if re.search(r"\bderbys", text):
        found = [n for n in found if n != "Derby"] or _nearest(value, [n for n in names if n != "Derby"])
    return found


def _plausible_sql(source: Source, name: str, fmt: str) -> str:
    """SQL true where column `name` parses, under `fmt` with the staging parser, to a plausible
    date (from stage.MIN_DATE to a year ahead): what a suggested date format is judged by."""
    return (f"{stage.date_sql(_ident(name), fmt, source.timezone)} "
            f"between date '{stage.MIN_DATE}' and current_date + 366")


def _date_format(con, source: Source, name: str) -> str | None:
    """The format (of DATE_FORMATS) under which the most of a column's values parse to a plausible
    date, when that is more than under the declared one; tried with the staging parser."""
    def parsed(fmt: str) -> int:
        return con.execute(f"select count(*) from _check_values where {_plausible_sql(source, name, fmt)}"
                           ).fetchall()[0][0]

    best, score = None, parsed(source.date_format_for(name))
    for fmt in DATE_FORMATS:
        n = parsed(fmt)
        if n > score:
            best, score = fmt, n
    return best


def _date_counts(con, cfg: BuildConfig, source: Source, path: Path,
                 wanted: dict[str, set[str]]) -> dict[str, tuple[int, dict[str, int]]]:
    """How many of a file's values of each date column in `wanted` parse to a plausible date under
    the declared format, and under each format of `wanted[column]`: {column: (declared, {format:
    n})}; {} when the file cannot be read. The file is read again, its date columns alone, as the
    build reads them (only for a source whose other file was offered another format)."""
    try:
        read, refused, mapped, _ = _attempt(con, cfg, source, path)
        if read is None or refused:
            return {}
        fields = [schema.field(source.kind, name) for name in wanted if mapped.get(name)]
        if not fields:
            return {}
        table = extract.stripped(read, mapped, source.kind).table   # trimmed as the build trims it
        con.execute("create or replace temp table _check_dates as select " + ", ".join(
            f"{extract._value_expr(source, f, mapped[f.name])} as {_ident(f.name)}" for f in fields) + f" from {table}")
        asked = [(f.name, fmt) for f in fields for fmt in (source.date_format_for(f.name), *sorted(wanted[f.name]))]
        counts = con.execute("select " + ", ".join(
            f"count(*) filter (where {_plausible_sql(source, name, fmt)})" for name, fmt in asked)
            + " from _check_dates").fetchall()[0]
    except (readers.ReadError, duckdb.Error):   # its own report says what is wrong with it
        return {}
    finally:
        for (name,) in con.execute("select table_name from duckdb_tables() where temporary").fetchall():
            con.execute(f"drop table {_ident(name)}")
    out: dict[str, tuple[int, dict[str, int]]] = {}
    position = 0
    for f in fields:
        formats = sorted(wanted[f.name])
        declared, *others = counts[position:position + 1 + len(formats)]
        out[f.name] = (declared, dict(zip(formats, others, strict=True)))
        position += 1 + len(formats)
    return out


def _date_fixes_across_files(con, cfg: BuildConfig, source: Source, checked: list[tuple[Path, dict]]) -> None:
    """A date format suggested by one file of a source (`_date_fixes`), tried on the source's other
    files: the build reads every file of a source in one format per column, so a format that suits
    one export but would stop another's dates parsing (a partner that switched from day-first to
    month-first) is no fix. Its reason then says how many dates of which file it would lose, and
    to split the files into two sources instead. The other files are read again, their date
    columns alone, and only when a file of the source was offered a format."""
    fixes = [(path, report, fix) for path, report in checked for fix in report["suggestions"] if fix.get("formats")]
    if not fixes or len(checked) < 2:
        return
    dated = {c["column"] for _, report in checked for c in report["columns"]
             if c["filled"] and schema.field(source.kind, c["column"]).type == "DATE"}
    wanted: dict[str, set[str]] = {}
    for _, _, fix in fixes:   # a source-wide date_format is every date column's
        for column, fmt in _fix_formats(fix, dated).items():
            wanted.setdefault(column, set()).add(fmt)
    # only the files some other file's suggestion is tried on (not a lone suggesting file itself)
    counts = {path: _date_counts(con, cfg, source, path, wanted) for path, _ in checked
              if any(path != offered for offered, _, _ in fixes)}
    for path, _, fix in fixes:
        lost = []
        for other, other_report in checked:
            if other == path:
                continue
            for column, fmt in _fix_formats(fix, dated).items():
                if column in counts[other]:
                    declared, under = counts[other][column]
                    if declared > under.get(fmt, declared):
                        lost.append(f"{declared - under[fmt]:,} dates of {other_report['file']} ({column})")
        if lost:
            fix["why"] += (f"; but the other files of the source would no longer read under it: "
                           f"{'; '.join(lost[:3])}{' ...' if len(lost) > 3 else ''} parse as declared now. "
                           "The files write dates differently: split them into two sources (one "
                           "[[source]] entry per format, each with the path of its files) rather than "
                           "change the format")


def _fix_formats(fix: dict, dated: set[str]) -> dict[str, str]:
    """The date format a suggestion gives each column: a source-wide `date_format` is every date
    column's (`dated`: those with values in any file of the source)."""
    formats = fix["formats"]
    if fix["toml"].startswith("date_format ="):
        fmt = next(iter(formats.values()))
        return dict.fromkeys(sorted(dated | set(formats)), fmt)
    return formats


# --- suggestions ---------------------------------------------------------------------------------

def _toml(value) -> str:
    """A TOML value: a basic string (JSON's escapes are TOML's) or a number."""
    return str(value) if isinstance(value, int) else config.toml_string(value)


def _block(header: str, lines: list[tuple[str, str]], exists: bool) -> str:
    """A TOML table of `key = value  # comment` lines, aligned; without its header when the source
    already has that table (TOML allows a table once)."""
    width = max((len(k) for k, _ in lines), default=0)
    body = [f"{k.ljust(width)}  {c}".rstrip() if c else k for k, c in lines]
    return "\n".join(body if exists else [header, *body])


def _date_fixes(source: Source, report: dict) -> list[dict]:
    """A date format under which more of a column's dates parse: for the source when every date
    column with values wants it, else per column ([source.date_formats])."""
    better = {p["column"]: p["better_format"] for p in report["problems"] if p.get("better_format")}
    if not better:
        return []
    dated = {c["column"] for c in report["columns"]
             if c["filled"] and schema.field(source.kind, c["column"]).type == "DATE"}
    tried = "tried on the file with the build's date parser"
    if len(set(better.values())) == 1 and set(better) == dated and not source.date_formats:
        return [{"why": f"set in the [[source]] entry of {source.slug} (above its [source.*] tables): more dates "
                        f"parse ({tried})", "toml": f"date_format = {_toml(next(iter(better.values())))}",
                 "formats": better}]
    exists = bool(source.date_formats)
    lines = [(f"{name} = {_toml(fmt)}", "") for name, fmt in better.items()]
    return [{"why": f"dates that parse in another format ({tried}): "
                    f"{'add to its [source.date_formats] table' if exists else 'add'} in the [[source]] entry "
                    f"of {source.slug}",
             "toml": _block("[source.date_formats]", lines, exists), "formats": better}]


def _value_map(source: Source, name: str, values: list[dict], choices: str) -> dict:
    lines = []
    for v in values:
        if v["value"] is None:
            continue
        if v["nearest"]:
            others = f" (or: {', '.join(v['nearest'][1:])})" if len(v["nearest"]) > 1 else ""
            note = "replaces your entry; " if "mapped_to" in v else ""
            lines.append((f"{_toml(v['value'])} = {_toml(v['nearest'][0])}", f"# {note}guess{others}: confirm"))
        else:
            lines.append((f"# {_toml(v['value'])} = \"?\"", f"# no close value: choose {choices}"))
    exists = name in source.values
    where = f"add to its [source.values.{name}] table" if exists else "add"
    return {"why": f"{name} labels the build would not accept: {where} in the [[source]] entry of {source.slug} "
                   "(each value is the nearest canonical one, a guess to confirm)",
            "toml": _block(f"[source.values.{name}]", lines, exists)}


def _column_fixes(source: Source, missing: list[str], columns: list[dict], ignored: list[str]) -> list[dict]:
    """[source.columns] lines for canonical columns the file lacks, when a header that is not read
    looks like them (never a header that names personal data)."""
    free = [h for h in ignored if not any(w in h.lower() for w in schema.PERSONAL_HEADER_WORDS)]
    types = {f.name: f.type for f in schema.INPUTS[source.kind]}
    lines, taken = [], set()
    for c in columns:
        if c["status"] not in ("missing (required)", "not in file"):
            continue
        wanted = [c["column"], *([source.columns[c["column"]]] if c["column"] in source.columns else [])]
        # a header naming a date is offered for a date column only ("Incident Date" is no incident_ref)
        fits = [h for h in free if h not in taken and (types.get(c["column"]) == "DATE" or not _names_a_date(h))]
        scored = sorted(((max(_similarity(w, h) for w in wanted), h) for h in fits), reverse=True)
        cutoff = 0.6 if c["column"] in missing else 0.85
        if scored and scored[0][0] >= cutoff:
            taken.add(scored[0][1])
            lines.append((f"{c['column']} = {_toml(scored[0][1])}",
                          "# " + ("required; " if c["column"] in missing else "") + "looks similar: confirm"))
    out = []
    if lines:
        exists = bool(source.columns)
        out.append({"why": f"columns the file seems to hold under another header: "
                           f"{'add to its [source.columns] table' if exists else 'add'} in the [[source]] entry "
                           f"of {source.slug}",
                    "toml": _block("[source.columns]", lines, exists)})
    unmatched = [m for m in missing if not any(line.startswith(m + " =") for line, _ in lines)]
    if unmatched:
        out.append({"why": f"no header looks like {', '.join(unmatched)}: map one under [source.columns] or set a "
                           f"value for every row under [source.constants] (headers not read: "
                           f"{', '.join(free) or 'none'})", "toml": ""})
    return out


def _names_a_date(header: str) -> bool:
    """Whether a header names a date or time ("Incident Date", "Date Logged", "Time", "DOB")."""
    return bool(re.search(r"\b(date|dated|time|when|dob|day)\b", " ".join(re.findall(r"[a-z]+", header.lower()))))


def _similarity(name: str, header: str) -> float:
    """How alike a canonical column (or declared header) and a file header are: 1 for the same
    words in any order ("reported_date", "Date Reported"), else difflib's ratio."""
    words = set(re.findall(r"[a-z0-9]+", name.lower().replace("_", " ")))
    other = set(re.findall(r"[a-z0-9]+", header.lower().replace("_", " ")))
    if words and words == other:
        return 1.0
    return difflib.SequenceMatcher(None, readers.normalise_header(name), readers.normalise_header(header)).ratio()


# --- text -----------------------------------------------------------------------------------------

def summary(reports: list[dict]) -> str:
    files = [r for r in reports if r["file"] is not None]
    ok = sum(1 for r in files if r["ok"])
    empty = [r["source"] for r in reports if r["file"] is None]
    line = (f"checked {len(files)} file{'s' * (len(files) != 1)} of {len({r['source'] for r in reports})} "
            f"source{'s' * (len({r['source'] for r in reports}) != 1)}: "
            f"{ok} file{'s' * (ok != 1)} ok, {len(files) - ok} with problems")
    return line + (f"; no files for {', '.join(empty)}" if empty else "")


def render(reports: list[dict]) -> str:
    """The report as plain text, one block per file, then the summary line and a warning line per
    source whose path matches no file (the build would load nothing from it, and say so only in a note)."""
    warnings = "".join(f"\nwarning: source {r['source']}: {r['notes'][0] if r['notes'] else 'no file'}: the build "
                       "would load nothing from it (check its path)"
                       for r in reports if r["status"] == "no_files")
    return "\n\n".join(_render_file(r) for r in reports) + "\n\n" + summary(reports) + warnings


def _render_file(r: dict) -> str:
    out = [f"{r['source']} ({r['kind']})  {r['file'] or '(no file)'}"]
    if r["read"]:
        out.append(f"  read      {_read_line(r['read'])}")
    status = {"ok": "ok", "no_files": "no files", "refused": "REFUSED: the build would not read this file",
              "missing_column": "PROBLEM: every row would be rejected (missing_column)",
              "reject_share": "PROBLEM: the build would stop (gate reject_share)",
              "same_file": "PROBLEM: the build would stop (gate same_file)"}[r["status"]]
    if r["ok"] and r["rejected_estimate"]:
        status += f" (at least {r['rejected_estimate']:,} rows would be rejected)"
    out.append(f"  status    {status}")
    if r["error"]:
        out.append(f"  reason    {r['error']}")
    for note in r["notes"]:
        out.append(f"  note      {note}")
    if r["columns"]:
        out.append("  columns   (canonical column, where from, filled rows, values as the build reads them)")
        out += _table([_column_row(c) for c in r["columns"]], indent=4, right=(2,))
        if r["ignored_headers"]:
            names = [h + (" (personal data)" if any(w in h.lower() for w in schema.PERSONAL_HEADER_WORDS) else "")
                     for h in r["ignored_headers"]]
            out.append(f"  not read  {', '.join(names)}")
    if r["problems"]:
        out.append(f"  problems  (at least {r['rejected_estimate']:,} of {r['read']['rows']:,} records would be "
                   "rejected)")
        for p in r["problems"]:
            out += _problem_lines(p)
    if r["suggestions"]:
        out.append("  suggestions (sources.toml lines to paste)")
        for s in r["suggestions"]:
            out.append("    # " + s["why"])
            if s["toml"]:
                out += ["    " + line for line in s["toml"].splitlines()]
            out.append("")
        out.pop()
    return "\n".join(out)


def _read_line(read: dict) -> str:
    parts = [read["format"]]
    if read["encoding"]:
        parts.append(read["encoding"] + (" with BOM" if read["bom"] else ""))
    if read["delimiter"]:
        parts.append(f"delimiter {_toml(read['delimiter'])}")
    if read["sheet"]:
        parts.append(f"sheet {read['sheet']}")
    parts.append(f"header on line {read['header_line']}")
    parts.append(f"{read['rows']:,} record{'s' * (read['rows'] != 1)}"
                 + (f" ({read['broken_records']:,} malformed)" if read["broken_records"] else ""))
    if read.get("note"):
        parts.append(f"note: {read['note']}")
    return ", ".join(parts)


def _column_row(c: dict) -> list[str]:
    if c["header"] is not None:
        where = _toml(c["header"]) + (f", else constant {c['constant']}" if c["constant"] is not None else "")
    elif c["constant"] is not None:
        where = f"constant {c['constant']}"
    else:
        where = c["status"] if c["status"] == "missing (required)" else "-"
    filled = f"{c['filled']:,}" if c["header"] is not None or c["constant"] is not None else ""
    if c["column"] in schema.PERSON_COLUMNS and c["header"] is not None:
        values = (f"(not shown) {c['people']:,} people; {c['anonymous_after_normalising']:,} empty after "
                  f"normalising; {c['without_digits']:,} without a digit")
    elif c["column"] in COUNT_ONLY and c["filled"]:
        values = "(not shown)"
    elif c["header"] is None:
        values = " | ".join(str(s["value"]) for s in c["samples"])
    else:
        values = " | ".join(_sample(s, c["type"] == "DATE") for s in c["samples"])
    return [c["column"], where, filled, values]


def _sample(s: dict, date: bool) -> str:
    if s["raw"] == s["value"] and not date:
        return str(s["value"])
    raw = "(empty)" if s["raw"] is None else s["raw"]
    return f"{raw} -> {s['value'] if s['value'] is not None else '(not a date)'}"


def _table(rows: list[list[str]], indent: int, right: tuple[int, ...] = ()) -> list[str]:
    """Rows of cells as aligned lines: columns `right` right-aligned, the last cell not padded."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    pad = " " * indent
    return [(pad + "  ".join([*(cell.rjust(w) if i in right else cell.ljust(w)
                                for i, (cell, w) in enumerate(zip(r, widths, strict=False))), r[-1]])).rstrip()
            for r in rows]


def _problem_lines(p: dict) -> list[str]:
    head = f"    {(p['column'] or '(records)'):<22}{p['count']:>7,}  {p['message']}"
    out = [head]
    if p.get("better_format"):
        out[-1] += f"; {_toml(p['better_format'])} reads more of them"
    examples = p.get("examples") or []
    shown = []
    for e in examples:
        if "value" in e:
            rows = f", {e['count']:,} rows" if e["count"] > 1 else ""
            shown.append(f"{_toml(e['value'])} (row {e['row']:,}{rows})")
        elif "reason" in e:
            shown.append(f"row {e['row']:,}: {e['reason']}")
        else:
            shown.append(f"row {e['row']:,}")
    if shown:
        out.append(" " * 35 + "e.g. " + "; ".join(shown))
    values = p.get("values") or []
    if values:
        width = min(40, max(len(_toml(v["value"])) for v in values))
        for v in values:
            mapped = f" (mapped to {_toml(v['mapped_to'])})" if "mapped_to" in v else ""
            near = ", ".join(str(n) for n in v["nearest"]) or "none close"
            out.append(f"{' ' * 35}{_toml(v['value']).ljust(width)} {v['count']:>6,}  nearest: {near}{mapped}")
        if p.get("more_values"):
            out.append(f"{' ' * 35}... and {p['more_values']:,} more")
    return out
