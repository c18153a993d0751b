"""Extract: every file of every declared source into `raw_<source>__<kind>` with canonical text columns.

Headers are matched to canonical names (ignoring case, spaces and punctuation) or through the
source's column map; value maps and constants apply here; person references are replaced by their
keyed hash before anything is stored. Columns that are neither canonical nor mapped are never read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from etl import cache, schema, sqlfile
from etl.progress import Progress
from etl.sources import config, readers
from etl.sources.config import BuildConfig, Source
from etl.transform import plain, pseudonym, scrub, stage


@dataclass
class FileLoad:
    source: Source
    path: str                    # relative to the inputs folder
    sha256: str | None           # None: the file was refused unopened (a link, outside the folder)
    rows_read: int
    ignored_columns: list[str]
    broken: list[tuple[int, str, str]] = field(default_factory=list)  # (source_row, reason, raw text)
    error: str | None = None     # the file could not be read at all: why
    note: str | None = None      # something to know of a file that loaded (etl_loads.file_note)
    scheme: str | None = None    # its person references keyed otherwise than another source's (`other_scheme_note`)
    # a file refused as a whole once its records were read (`_load_file`): their rows, each a
    # `file_refused` reject (etl/build.py `_reject_broken`), so that every record is accounted for
    refused_rows: list[int] = field(default_factory=list)


# Kinds whose identical records in one file are stored once, with every record number in
# `source_rows` (`source_row` is the first): a police.uk street file gives ASB rows no id, and many
# are identical (same month, snapped point and LSOA; 29% of the 22 Derbyshire months' ASB rows),
# so typing, checking, placing and keying each distinct record once and expanding to one row per
# record only when publishing (etl/transform/publish.py) does the same work on far fewer rows.
# Every other kind keeps one row per record (`source_rows` null).
GROUPED_KINDS = ("police_uk",)

# Kinds staged as they are read: the statement that reads a file's (or a batch's) records puts
# their canonical values straight through `stage.stage_sql` into stg_<kind>, so no raw table holds
# them (writing ten million records' text and reading it back to stage them was a third of the
# extract and staging of the scale-55 demo). Their free text is scrubbed (`scrub.ReadScrub`) and
# their authorities mapped (`stage.add_authorities`) first, from the distinct values read, as
# `scrub.scrub_raw` and the build's maps do for a raw table. police_uk keeps its raw table (its
# identical records grouped, its codes scrubbed in place), and so do the case kinds: they are
# staged against the as-of date the incidents give.
STAGED_ON_READ = ("incidents",)

# The build's scratch database (etl/build.py `_attach_scratch`): a file beside the temporary
# warehouse, deleted with it. The rows staged as read are kept there when it is attached, so
# DuckDB writes them compressed once, instead of holding them uncompressed in the temporary
# catalogue (3.9 GB for the ten million rows of the scale-55 demo, against a 2 GB memory limit)
# and spilling and reading them back. That build, before and after in turn: 96.4/96.8/100.6 s ->
# 99.5/91.7/89.8 s, de-duplication 8.1-9.5 -> 5.1-5.8 s, publishing 16.0-17.6 -> 12.4-14.6 s, the
# extract 2-7 s slower (the compression), peak memory 2.9-3.0 -> 2.4 GiB; every table the same.
# Its name holds a dot, so no database DuckDB names after its file (the name up to the first dot:
# a warehouse called scratch.duckdb is the database "scratch") can be called the same.
SCRATCH = "asb.scratch"


def _staged_target(con: duckdb.DuckDBPyConnection, kind: str) -> str:
    """What `create` makes stg_<kind> as: for a kind of STAGED_ON_READ a table of the build's
    scratch database when the connection has it attached, else (`asb check`, tests, the other
    kinds) a temporary table."""
    attached = kind in STAGED_ON_READ and con.execute(
        "select count(*) from duckdb_databases() where database_name = ?", [SCRATCH]).fetchall()[0][0]
    return f"table {readers.quote_ident(SCRATCH)}.main.stg_{kind}" if attached else f"temp table stg_{kind}"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


_q = sqlfile.literal


_ident = readers.quote_ident


def _value_expr(source: Source, f: schema.Field, header: str | None, normalise: bool = True) -> str:
    """SQL for one canonical column: trimmed text, value map, built-in normalisation, constant.
    Without `normalise`, a closed-list column (`allowed`) is its text after the value map, as
    the raw tables hold it: staging normalises it (`stage.closed_list_sql`) and quotes a value
    outside the list as sent, so that the scrub finds a name or phone in it ("Mrs Gupta", not
    'mrs_gupta')."""
    # A value read once per distinct text (a closed-list column's, `_value_maps`; a person's
    # reference, hashed once per distinct text) is trimmed here of every whitespace character, as
    # a workbook's cell is (`plain.strip_sql`); one read record by record, in the relation the
    # statement reads (`stripped`): DuckDB's trim removes spaces alone.
    if header and _trimmed_in_value(f):
        expr = plain.blank_null_sql(_ident(header))
    elif header:
        expr = f"nullif(trim({_ident(header)}), '')"
    else:
        expr = "null::varchar"
    if header and (f.name.endswith(("_ref", "_date")) or f.name == "postcode"):
        # A reference, a postcode or a date is read as it shows (`plain`: "AV-1" with a zero-width
        # space, or in full-width letters, is AV-1; a date with one pasted in read as no date, its
        # reject quoting a value that looked valid). Excel's text formula ="00123" (written to keep
        # a reference's leading zeros) is the value 00123. Only references and postcodes are
        # unwrapped: on every column of every row the test cost 4-5 s of the extract at ten million rows.
        raw = plain.plain_sql(_ident(header))
        cut = f"trim({raw})"
        expr = f"nullif({cut}, '')"
        if not f.name.endswith("_date"):
            inner = f"nullif(trim(substr({cut}, 3, length({cut}) - 3)), '')"
            expr = (f"(case when starts_with({raw}, '=\"') and ends_with({cut}, '\"') and length({cut}) >= 3 "
                    f"then {inner} else {expr} end)")
    mapping = source.values.get(f.name)
    if mapping:  # matched ignoring case and runs of spaces: "ASBN ", "asbn" and "Asbn" are one label
        cases = " ".join(f"when {_q(normalise_value(k))} then {_q(v)}" for k, v in mapping.items())
        # Most values already match a key but for case: `lower` finds them without the regular
        # expression (the same answer: such a value is its own normalised form), which ran on
        # every row of every mapped column and was most of the extract's time.
        expr = f"(case lower({expr}) {cases} else (case {normalise_value_sql(expr)} {cases} else {expr} end) end)"
    if f.allowed and normalise:
        expr = stage.closed_list_sql(f, expr)
    constant = source.constants.get(f.name)
    if f.name == "authority" and source.authority:
        constant = constant or source.authority
    if constant is not None:
        expr = f"coalesce({expr}, {_q(constant)})"
    return expr


def normalise_value(value: str) -> str:
    """A value-map key as it is compared: lower case, trimmed, inner runs of spaces as one."""
    return " ".join(str(value).lower().split())


def normalise_value_sql(expr: str) -> str:
    """`normalise_value` as a DuckDB expression."""
    return f"lower(trim(regexp_replace({expr}, '\\s+', ' ', 'g')))"


def _match_headers(source: Source, headers: list[str]) -> tuple[dict[str, str | None], list[str]]:
    """Canonical column -> file header (or None), and the headers that will not be read. A header
    declared under [source.columns] is its exact name if the file has it, else the first header
    matching it as a name is matched (case, spaces and punctuation ignored); a column that could be
    several headers is judged by `header_choice`."""
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(readers.normalise_header(h), h)
    mapped: dict[str, str | None] = {}
    for f in schema.INPUTS[source.kind]:
        declared = source.columns.get(f.name)
        if declared is not None:
            mapped[f.name] = declared if declared in headers else by_norm.get(readers.normalise_header(declared))
        else:
            mapped[f.name] = by_norm.get(readers.normalise_header(f.name))
    used = {h for h in mapped.values() if h}
    return mapped, [h for h in headers if h not in used]


_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def header_choice(con: duckdb.DuckDBPyConnection, source: Source, read: readers.FileRead) -> str | None:
    """Judge each column the build reads that the file's header gives more than once ("Date"
    written twice, "Reported Date" beside "reported_date"): the same value in every record reads
    the first, and says so (the file's note, returned); other values refuse the file (ReadError:
    which one is meant is the partner's to say, under [source.columns], by the names `asb check`
    lists, a repeated one's being "Date_1"). A column chosen there by its exact name is read, and
    the note says which of the repeated columns it was."""
    headers, written = read.headers, read.written()
    norm = [readers.normalise_header(h) for h in headers]
    norm_written = [readers.normalise_header(h) for h in written]
    notes = []
    for f in schema.INPUTS[source.kind]:
        declared = source.columns.get(f.name)
        wanted = readers.normalise_header(declared if declared is not None else f.name)
        found = [i for i in range(len(headers)) if wanted in (norm[i], norm_written[i])]
        if declared is not None and declared in headers:   # chosen by its exact name
            i = headers.index(declared)
            peers = [j for j in range(len(headers)) if j != i and (j in found or norm_written[j] == norm_written[i])]
            if peers:
                notes.append(f"{f.name} is read from column {i + 1} ({headers[i]!r}), as sources.toml says; "
                             f"{_columns_named(peers)} the same header")
            continue
        if len(found) < 2:
            continue
        names = [readers.quote_ident(headers[i]) for i in found]
        differ = " or ".join(f"{plain.blank_null_sql(c)} is distinct from {plain.blank_null_sql(names[0])}"
                             for c in names[1:])
        other, records = con.execute(f"select count(*) filter (where {differ}), count(*) from {read.table}"
                                     ).fetchall()[0]
        parts = [f"{written[i]!r} in column {i + 1}" for i in found]
        where = f"{', '.join(parts[:-1])} and {parts[-1]}"
        could = f"its header has {len(found)} columns that could be {f.name} ({where})"
        if not other:
            notes.append(f"{could}, with the same value in every record: read once")
            continue
        choose = ", ".join(f'"{headers[i]}" for the {_ORDINALS[n] if n < len(_ORDINALS) else f"column {i + 1}"}'
                           for n, i in enumerate(found))
        raise readers.ReadError(f"{could}, with other values in {other:,} of {records:,} records: say which one is "
                                f"{f.name} under [source.columns] ({f.name} = {choose})")
    return "; ".join(notes) or None


def header_again(con: duckdb.DuckDBPyConnection, read: readers.FileRead) -> dict[str | None, str]:
    """Judge the records that are the file's header line again (two exports pasted into one
    file): in the same column order each is one record, rejected as staging finds its values
    (a header's names are no dates), and the file's note says which rows they are (returned: the
    note by file, the key the file's path for a batch's `whole` read, else None); in another
    order, or naming other columns, the records below it would be read under the first header's
    names (a person reference stored as a place, a place hashed as one person), so the file is
    refused (ReadError). A record is the header again when at least half of its values (and two)
    are names of the file's columns; only records whose first or last value is one, in any case
    (an export repeats its header as it is, another report of the system in capitals), are
    looked at: one scan, the values of a header's lengths alone lower-cased."""
    written = read.written()
    if len(written) < 2:
        return {}
    names = {readers.normalise_header(h) for h in written}
    # a header written again in another case, or with spaces for underscores ("INCIDENT_REF",
    # "Incident ref"), as another report of the same system writes it: the byte lengths first,
    # so that few values are lower-cased (0.13 s for four million records, 0.08 s as written)
    forms = {v for h in written for s in (h, h.strip()) for v in (s.lower(), s.lower().replace("_", " "),
                                                                  s.lower().replace(" ", "_"))}
    lengths = ", ".join(str(n) for n in sorted({len(v.encode()) for h in written for v in (h, h.strip())}))
    lowered = ", ".join(_q(v) for v in sorted(forms))
    ends = [_ident(read.headers[0]), _ident(read.headers[-1])]
    by_file = "_file_name" if read.batch and read.whole is None else "null"   # a batch's `whole` read
    found = con.execute(
        f"select {by_file}, {read.row_sql}, {', '.join(_ident(h) for h in read.headers)} from {read.table} "
        f"where {' or '.join(f'(strlen({c}) in ({lengths}) and lower({c}) in ({lowered}))' for c in ends)} "
        "order by 1, 2 limit 50").fetchall()
    again: dict[str | None, list[int]] = {}
    for file, row, *values in found:
        matched = sum(1 for v in values if v is not None and readers.normalise_header(v) in names)
        if matched < max(2, (len(written) + 1) // 2):
            continue
        given = [(readers.normalise_header(v or ""), readers.normalise_header(h)) for v, h in zip(values, written, strict=False)]
        if any(v and v != h for v, h in given):   # (a blank cell is no other name: a header's unnamed column)
            raise readers.ReadError(
                f"row {row} is the header again with its columns in another order (two exports pasted into one "
                "file?): the records below it would be read under the first header's names; save each export as "
                "its own file")
        again.setdefault(file, []).append(row)
    return {file: (f"row{'s' if len(rows) > 1 else ''} {', '.join(str(r) for r in rows[:5])}"
                   f"{' ...' if len(rows) > 5 else ''} {'are' if len(rows) > 1 else 'is'} the header again (two "
                   "exports pasted into one file?): rejected, the records around it read as they are")
            for file, rows in again.items()}


def _columns_named(columns: list[int]) -> str:
    """"column 7 has" / "columns 4 and 7 have"."""
    numbers = [str(j + 1) for j in columns]
    if len(numbers) == 1:
        return f"column {numbers[0]} has"
    return f"columns {', '.join(numbers[:-1])} and {numbers[-1]} have"


def _fit(source: Source, headers: list[str]) -> int:
    """How many of the source's canonical columns these headers supply."""
    return sum(1 for h in _match_headers(source, headers)[0].values() if h)


def _misfit(cfg: BuildConfig, source: Source, path: Path, headers: list[str], missing: bool) -> str | None:
    """Why a file is refused as a file, or None: its header fits none of its source's columns, or
    it lacks required ones while another declared source (a file saved in the wrong folder) or
    another kind's template fits better. The message says what would fit, or that the header
    sits a few lines further down (a title row: `skip_rows`)."""
    own = _fit(source, headers)
    others = [(s, _fit(s, headers)) for s in cfg.sources if s.slug != source.slug]
    templates = [(Source("", kind, ""), _fit(Source("", kind, ""), headers)) for kind in schema.INPUTS
                 if kind != source.kind]
    best = max(others + templates, key=lambda x: x[1], default=(None, 0))
    if own and not (missing and best[1] > own):
        return None
    message = (f"{cfg.display_path(path)}: its header fits "
               f"{'none' if not own else f'only {own}'} of the {source.kind} columns of source {source.slug}")
    if best[1] >= 2 and best[1] > own:
        name = f"source {best[0].slug} ({best[0].kind})" if best[0].slug else f"the {best[0].kind} template"
        return f"{message}; it fits {name}: was it saved in the wrong folder?"
    if path.suffix.lower() in (".xlsx", ".xlsm") and not source.sheet:
        sheet = readers.sheet_that_fits(path, source)
        if sheet:
            return f'{message}; sheet {sheet!r} fits: set sheet = "{sheet}" in sources.toml'
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        with open(path, encoding=source.encoding.replace("windows-1252", "cp1252"), errors="replace") as fh:
            lines = [fh.readline() for _ in range(source.skip_rows + 21)][source.skip_rows:]
        rows = [[c.strip().strip('"') for c in line.replace(";", ",").replace("\t", ",").split(",")] for line in lines]
        below = readers.header_below(source, rows)
        if below:
            k = source.skip_rows + below
            return f"{message}; its header looks like line {k + 1}: set skip_rows = {k} in sources.toml"
    # The header names are not repeated here: a file without a header row would put its first
    # record (names, places) on the Data quality page; `asb check` shows them to whoever runs it.
    return (f"{message} ({len(headers)} columns; `asb check --inputs DIR --source {source.slug}` lists them): "
            f"map them under [source.columns]")


def _file_problem(source: Source, mapped: dict[str, str | None]) -> str | None:
    missing = []
    for f in schema.INPUTS[source.kind]:
        has_constant = f.name in source.constants or (f.name == "authority" and source.authority)
        if f.required and mapped[f.name] is None and not has_constant:
            wanted = source.columns.get(f.name, f.name)
            missing.append(f"{f.name} (looked for header {wanted!r})")
    return f"file has no column for {', '.join(missing)}" if missing else None


def _insert_sql(cfg: BuildConfig, source: Source, path: Path, read: readers.FileRead, load_id: str,
                key: bytes, file_sql: str | None = None,
                staged: tuple[duckdb.DuckDBPyConnection, dt.date] | None = None) -> tuple[str, dict, list[str], Read]:
    """The statement and its parameters that append the records of `read` to the source's raw
    table, the headers not read, and what to do once it ran; the file's header is checked first
    (ReadError when it fits another source or none). `file_sql`: SQL naming each record's file in
    `read.table` (a batch of files); else `path`'s. `staged` (the connection and the as-of date):
    a kind of STAGED_ON_READ is appended to stg_<kind> instead, staged."""
    rel = cfg.display_path(path)
    mapped, ignored = _match_headers(source, read.headers)
    problem = _file_problem(source, mapped)
    misfit = _misfit(cfg, source, path, read.headers, problem is not None)
    if misfit:
        raise readers.ReadError(misfit)
    exprs = {f.name: _value_expr(source, f, mapped[f.name], normalise=False) for f in schema.INPUTS[source.kind]}
    read = stripped(read, mapped, source.kind)
    params, keys = {}, ""
    if "person_ref" in exprs:
        # Hashed on the way in: no table ever holds a person reference.
        hashed = pseudonym.person_key_sql(exprs.pop("person_ref"), source.person_ref_pattern)
        params = pseudonym.hmac_pads(key)
        header = mapped["person_ref"]
        if header and source.kind not in GROUPED_KINDS:
            # Each distinct reference is hashed once and joined back: a person reports again and
            # again (2.2 million references, 1.0 million distinct, in the police file of the
            # ten-million demo), and the keyed hash was most of the extract's time per record.
            ref = readers.quote_ident(header)
            keys = (f" left join (select {ref} as __asb_ref, {hashed} as __asb_person_key "
                    f"from (select distinct {ref} from {read.table})) as __asb_keys "
                    f"on __asb_keys.__asb_ref is not distinct from __asb_records.{ref}")
            hashed = "__asb_keys.__asb_person_key"
        exprs["person_key"] = hashed
    file_sql = file_sql or _q(rel)
    done, typed = Read(file_sql), frozenset()
    staging = staged is not None and source.kind in STAGED_ON_READ
    if staging:
        con = staged[0]
        free = {c: exprs[c] for c in scrub.FREE_TEXT[source.kind]}
        done.scrubbed = scrub.ReadScrub(con, read.table, free)
        try:   # the distinct values of the free text and the authority in one scan (two took twice as long)
            wanted = [*free.values(), exprs["authority"]]
            found = [values or [] for values in con.execute(   # no record: null lists
                f"select {', '.join(f'list(distinct {e})' for e in wanted)} from {read.table}").fetchall()[0]]
            done.scrubbed.prepare(dict(zip(free, found, strict=False)))
            stage.add_authorities(con, found[-1])
        except BaseException:
            done.close()
            raise
        exprs.update({c: done.scrubbed.expr(c, e) for c, e in free.items()})
        keys += done.scrubbed.joins()
        typed, joins = _value_maps(source, mapped, exprs, read.table)
        keys += joins
    cols = ", ".join(f"{expr} as {name}" for name, expr in exprs.items())
    head = (f"{_q(load_id)} as load_id, {_q(source.slug)} as source, __asb_file as source_file, "
            f"{_q(problem) if problem else 'null::varchar'} as file_problem")
    if staging:
        records = (f"(select {head}, __asb_row as source_row, null::bigint[] as source_rows, {cols} "
                   f"from (select *, {read.row_sql} as __asb_row, {file_sql} as __asb_file from {read.table}) "
                   f"as __asb_records{keys}) as __asb_raw")
        return (f"insert into stg_{source.kind} by name "
                f"{stage.stage_sql(source.kind, [records], {records: source}, staged[1], pretyped=typed)}",
                params, ignored, done)
    if source.kind in GROUPED_KINDS:
        # Identical records of one file are one row with their record numbers (see GROUPED_KINDS):
        # grouped on the file's own text first, so the value expressions run once per group.
        used = sorted({h for h in mapped.values() if h})
        inner = ", ".join(readers.quote_ident(h) for h in used)
        return (f"""insert into {source.table} by name
            select {head}, first_row as source_row, source_rows, {cols}
            from (select {inner}, {file_sql} as __asb_file, min({read.row_sql}) as first_row,
                         list({read.row_sql}) as source_rows
                  from {read.table} group by all)""", params, ignored, done)
    return (f"""insert into {source.table} by name
        select {head}, __asb_row as source_row, {cols}
        from (select *, {read.row_sql} as __asb_row, {file_sql} as __asb_file from {read.table}) as __asb_records{keys}""",
            params, ignored, done)


def _trimmed_in_value(f: schema.Field) -> bool:
    """Whether `_value_expr` trims a field's text itself: one read once per distinct text (a
    closed list's, `_value_maps`; a person's reference, hashed once per distinct text)."""
    return stage.value_typed(f) or f.name in schema.PERSON_COLUMNS


def stripped(read: readers.FileRead, mapped: dict[str, str | None], kind: str) -> readers.FileRead:
    """`read` with the columns whose fields are read record by record trimmed of every whitespace
    character, as a workbook's cells are (`plain.strip_sql`; the others are by `_value_expr`): a
    tab, CR or LF around a CSV's value ("2025-03-02\\t", an export padding its columns) was part
    of it, a bad date (DuckDB's trim removes spaces alone). Trimmed once, in the relation the
    statement reads, and only in a file that may hold such whitespace (`readers.padded`, from the
    bytes scan every file has): the trim wrapped round each use of a value, nested in the
    expressions of `_value_expr`, made the police batch's staging statement 3-5 s slower, and
    trimming its columns so, 1.6-1.9 s (a new text for every value)."""
    columns = sorted({mapped[f.name] for f in schema.INPUTS[kind] if mapped.get(f.name) and not _trimmed_in_value(f)})
    if not columns or not read.padded:   # a file with no such whitespace (almost every file): nothing to do
        return read
    replaced = ", ".join(f"{plain.strip_sql(_ident(h))} as {_ident(h)}" for h in columns)
    return dataclasses.replace(read, table=f"(select * replace ({replaced}) from {read.table})")


def _value_maps(source: Source, mapped: dict[str, str | None], exprs: dict[str, str],
                table: str) -> tuple[frozenset[str], str]:
    """Each field read from a column whose value is typed from its text alone (a closed list or
    a vocabulary: `stage.value_typed`) mapped once per distinct text of the column, not once per
    record: its value after the value map (`exprs`) and typed, joined back to the records. A
    column holds a few labels in millions of records (the police file of the scale-55 demo: four
    such columns, 3.9 million records), and the per-record lower-casing, value maps and regular
    expressions were a quarter of staging them. `exprs` is updated to read the map; returns the
    fields now typed (their column `stage.PRETYPED`, for `stage.stage_sql`) and the joins."""
    typed, joins = set(), ""
    for n, f in enumerate(schema.INPUTS[source.kind]):
        header = mapped.get(f.name)
        if not header or not stage.value_typed(f):
            continue   # a constant (no column) is typed once per chunk anyway
        column, alias = _ident(header), f"__asb_map{n}"
        joins += (f" left join (select {column} as __asb_text, {exprs[f.name]} as __asb_value, "
                  f"{stage.typed_value_sql(f, exprs[f.name])} as __asb_typed "
                  f"from (select distinct {column} from {table})) as {alias} "
                  f"on {alias}.__asb_text is not distinct from __asb_records.{column}")
        exprs[f.name] = f"{alias}.__asb_value"
        exprs[stage.PRETYPED.format(f.name)] = f"{alias}.__asb_typed"
        typed.add(f.name)
    return frozenset(typed), joins


@dataclass
class Read:
    """What follows the statement of `_insert_sql`: the counts of the text scrubbed as it was read
    (a kind of STAGED_ON_READ), recorded once the statement loaded the records."""
    file_sql: str
    scrubbed: scrub.ReadScrub | None = None

    @property
    def follows(self) -> bool:
        """Whether something is recorded after the statement (it and that are then one transaction)."""
        return self.scrubbed is not None and bool(self.scrubbed.changed)

    def loaded(self, load_id: str, source: Source) -> None:
        if self.scrubbed is not None:
            self.scrubbed.record(load_id, source.slug, source.kind, self.file_sql)

    def close(self) -> None:
        if self.scrubbed is not None:
            self.scrubbed.close()


def _run_insert(con, cfg: BuildConfig, source: Source, path: Path, read: readers.FileRead, load_id: str,
                key: bytes, file_sql: str | None = None, staged=None) -> tuple[list[str], str | None, dict]:
    """`_insert_sql`'s statement run, and what follows it; the headers not read, the note of a
    column the header gives more than once (`header_choice`), and the notes of records that are
    the header again (`header_again`, by file); either may refuse the file."""
    sql, params, ignored, done = _insert_sql(cfg, source, path, read, load_id, key, file_sql, staged)
    try:
        try:
            note, again = header_choice(con, source, read), header_again(con, read)
        except readers.ReadError as exc:
            raise readers.ReadError(f"{cfg.display_path(path)}: {exc}") from None
        if not done.follows:
            con.execute(sql, params)
            return ignored, note, again
        # the records and the scrub's counts of them go in together, or neither (the file's error)
        con.begin()
        try:
            con.execute(sql, params)
            done.loaded(load_id, source)
        except BaseException:
            con.rollback()
            raise
        con.commit()
    finally:
        done.close()
    return ignored, note, again


def _load_file(con, cfg: BuildConfig, source: Source, path: Path, load_id: str, key: bytes,
               sha256: str, read: readers.FileRead | None = None, parsed=None, staged=None) -> FileLoad:
    read = read or readers.read_file(con, path, source, "_file", parsed)
    try:
        ignored, twice, again = _run_insert(con, cfg, source, path, read, load_id, key, staged=staged)
    except readers.ReadError as exc:
        # Refused as a whole (its header fits another source or none, two exports pasted with their
        # columns in another order, a column named twice with other values), but its records were
        # read: each is rejected at its own row, so the file adds up (DESIGN.md: every record in
        # exactly one of the three tables) when its source's unreadable_file gate lets the build
        # publish; a record not split into the header's columns too (that header is not its own).
        # No value is kept: under a header that is not theirs a person's reference could stand as a place.
        rows = [r for (r,) in con.execute(f"select {read.row_sql} from {read.table}").fetchall()]
        return FileLoad(source, cfg.display_path(path), sha256, read.rows_read, [],
                        error=str(exc).replace(str(path), cfg.display_path(path)),
                        refused_rows=sorted(rows + [row for row, _, _ in read.broken]))
    scheme = other_scheme_note(con, cfg, source, read)
    note = "; ".join(filter(None, (read.note, twice, again.get(None), scheme)))
    return FileLoad(source, cfg.display_path(path), sha256, read.rows_read, ignored, read.broken, note=note or None,
                    scheme=scheme)


def other_scheme_note(con, cfg: BuildConfig, source: Source, read: readers.FileRead) -> str | None:
    """A file's note when some of its person references match another source's
    `person_ref_pattern` that its own source does not declare, and that pattern would key them
    otherwise: "ECN-00540" is person 540 in a source declaring `ECN-?0*([0-9]+)` and ECN00540 in
    one that does not, so the same person would count as two (the threshold missed). Checked only
    when the sources' patterns differ; the count of such distinct references is given, never one
    of them (a reference names a person)."""
    others = {s.slug: s.person_ref_pattern for s in cfg.sources
              if s.slug != source.slug and s.person_ref_pattern and s.person_ref_pattern != source.person_ref_pattern
              and any(f.name == "person_ref" for f in schema.INPUTS[s.kind])}
    header = _match_headers(source, read.headers)[0].get("person_ref") if others else None
    if not header:
        return None
    ref = plain.blank_null_sql(_ident(header))
    own = pseudonym.normalise_ref_sql("r", source.person_ref_pattern)
    counts = con.execute(
        "select " + ", ".join(f"count(*) filter (where {pseudonym.normalise_ref_sql('r', p)} is distinct from {own})"
                              for p in others.values())
        + f" from (select distinct {ref} as r from {read.table}) where r is not null").fetchall()[0]
    found = [(slug, n) for slug, n in zip(others, counts, strict=True) if n]
    if not found:
        return None
    slug, n = found[0]
    return (f"{n:,} distinct person reference{'s' if n != 1 else ''} here match{'' if n != 1 else 'es'} the "
            f"person_ref_pattern of source {slug}, which source {source.slug} does not declare: the same reference "
            f"sent by both is keyed as two people; declare person_ref_pattern = {config.toml_string(others[slug])} "
            f"for source {source.slug} too (sources.toml)")


def _load_batches(con, cfg: BuildConfig, source: Source, batch: dict[Path, readers.FileRead], load_id: str,
                  key: bytes, hashes: dict[Path, str], staged=None) -> dict[Path, FileLoad]:
    """The files read together (`readers.read_batch`) loaded with one statement per batch: its
    files share a header line, so one mapping serves them all, and each record takes its file's
    name and number from the batch's table (`readers.FileRead.whole`). Loading file by file
    scanned the whole batch once per file (36 files, 4 million records: 48 s against 10 s).
    A batch whose header is refused is left to the file-by-file loop, which says so per file."""
    loads: dict[Path, FileLoad] = {}
    by_table: dict[str, list[Path]] = {}
    for path, read in batch.items():
        by_table.setdefault(read.batch, []).append(path)
    for paths in by_table.values():
        whole = batch[paths[0]].whole
        names = {str(p): cfg.display_path(p) for p in paths}
        cases = " ".join(f"when {_q(k)} then {_q(v)}" for k, v in names.items())
        try:
            ignored, twice, again = _run_insert(con, cfg, source, paths[0], whole, load_id, key,
                                                file_sql=f"(case _file_name {cases} end)", staged=staged)
        except duckdb.InterruptException:   # Ctrl-C or SIGTERM (etl/cli.py): the build stops
            raise
        except (readers.ReadError, duckdb.Error):  # each file is read again, and fails, on its own
            continue
        for path in paths:
            read = batch[path]
            scheme = other_scheme_note(con, cfg, source, read)
            loads[path] = FileLoad(source, cfg.display_path(path), hashes[path], read.rows_read, ignored, read.broken,
                                   note="; ".join(filter(None, (twice, again.get(str(path)), scheme))) or None,
                                   scheme=scheme)
    return loads


def _duckdb_failure(cfg: BuildConfig, path: Path, exc: duckdb.Error) -> str:
    """A file's error when DuckDB failed while reading or loading it (`etl_loads.file_error`): the
    first line of DuckDB's message, which may quote the file's text, scrubbed and cut short."""
    message = (str(exc).splitlines() or [""])[0].replace(str(path), cfg.display_path(path))[:300]
    return (f"{cfg.display_path(path)}: DuckDB could not read or load it ({type(exc).__name__}: "
            f"{scrub.scrub_text(message)[0]}); the other files are loaded")


def empty_raw(con: duckdb.DuckDBPyConnection, table: str, kind: str) -> None:
    """An empty raw table of a kind (a temporary table: the source files and their hashes are the
    raw record, so the warehouse keeps no copy of their text; rejected rows keep their values)."""
    cols = ", ".join(f"null::varchar as {f.name}" for f in schema.INPUTS[kind])
    con.execute(f"""create or replace temp table {table} as select null::varchar as load_id,
        null::varchar as source, null::varchar as source_file, null::bigint as source_row,
        null::bigint[] as source_rows, null::varchar as file_problem, {cols} limit 0""")
    if any(f.name in schema.PERSON_COLUMNS for f in schema.INPUTS[kind]):
        con.execute(f"alter table {table} rename person_ref to person_key")


# staging's columns and types per version of its SQL (`_staged_columns`): the SQL's hash -> columns
_STAGED_COLUMNS: dict[str, list[tuple[str, str]]] = {}
_COLUMN_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_COLUMN_TYPE = re.compile(r"[A-Z][A-Za-z0-9_ ,()\[\]]*")   # VARCHAR, BIGINT[], STRUCT(code VARCHAR, ...)


def empty_staged(con: duckdb.DuckDBPyConnection, kind: str, as_of: dt.date) -> None:
    """stg_<kind> with no row: staging's columns and types (`_staged_columns`)."""
    columns = ", ".join(f"{readers.quote_ident(name)} {kind_}" for name, kind_ in _staged_columns(con, kind))
    con.execute(f"create {_staged_target(con, kind)} ({columns})")


def _staged_columns(con: duckdb.DuckDBPyConnection, kind: str) -> list[tuple[str, str]]:
    """The columns and types of stage.stage_sql over an empty raw table of `kind`. Binding that SQL
    took 0.1-0.5 s a kind, most of a small build's fixed cost (issue 15), for columns that change
    only with the code: they are kept per version of the SQL (its text and DuckDB's version) in the
    process and in the build's cache (etl/cache.py, as JSON); an entry that is not names and types
    (`_valid_columns`) is made again, so a cache file never puts its text into SQL."""
    sql = stage.stage_sql(kind, ["_empty_raw"], {"_empty_raw": Source("none", kind, "")}, _TYPES_DATE, _TYPES_DATE)
    name = hashlib.sha256(f"{duckdb.__version__}\0{sql}".encode()).hexdigest()
    if name in _STAGED_COLUMNS:
        return _STAGED_COLUMNS[name]
    path = cache.entry("staged-columns", name).with_suffix(".json")
    try:
        columns = _valid_columns(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        columns = None
    if columns is None:
        empty_raw(con, "_empty_raw", kind)
        try:
            columns = [(str(r[0]), str(r[1])) for r in con.execute(f"describe {sql}").fetchall()]
        finally:
            con.execute("drop table if exists _empty_raw")
        made = json.dumps(columns)
        cache.keep(path, lambda tmp: tmp.write_text(made, encoding="utf-8"), suffix=".json")
    _STAGED_COLUMNS[name] = columns
    return columns


_TYPES_DATE = dt.date(2000, 1, 1)   # the as-of and today dates of the SQL whose columns are kept


def _valid_columns(found) -> list[tuple[str, str]] | None:
    """`found` (a cache entry's JSON) as [(name, type)], or None when it is anything else."""
    if not isinstance(found, list) or not found:
        return None
    columns = []
    for item in found:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
                and _COLUMN_NAME.fullmatch(item[0]) and _COLUMN_TYPE.fullmatch(item[1])):
            return None
        columns.append((item[0], item[1]))
    return columns


def extract(con: duckdb.DuckDBPyConnection, cfg: BuildConfig, load_id: str, key: bytes,
            hashes: dict[Path, str], progress: Progress, staged_as_of: dt.date | None = None) -> list[FileLoad]:
    """Read every source's files into raw tables; returns what was read from each file. With
    `staged_as_of`, the kinds of STAGED_ON_READ are staged as of that date as they are read
    (into stg_<kind>, made here, with the lookups it joins: `stage.maps`), not kept raw."""
    loads: list[FileLoad] = []
    staged = None
    if staged_as_of is not None:
        staged = (con, staged_as_of)
        stage.maps(con)
        for kind in STAGED_ON_READ:
            empty_staged(con, kind, staged_as_of)
    # every source's workbooks prepared in the background from the start (`readers.XlsxAhead`): in
    # one thread while DuckDB reads the CSV files (two threads there took longer: 37.0-37.2 s
    # against 36.0-36.5 s for the scale-55 demo's extract), in two when the workbooks are most of
    # the input (calamine's parse lets go of the GIL, so two parse at once)
    files = {s.slug: s.files(cfg.inputs) for s in cfg.sources}   # each source's folder listed once
    books = [(p, s) for s in cfg.sources for p in files[s.slug] if p.suffix.lower() in (".xlsx", ".xlsm")]
    book_bytes = sum(_size(p) for p, _ in books)
    every_byte = sum(_size(p) for listed in files.values() for p in listed)
    ahead = readers.XlsxAhead(books, workers=2 if 2 * book_bytes > every_byte else 1)
    try:
        for source in cfg.sources:
            loads += _extract_source(con, cfg, source, files[source.slug], load_id, key, hashes, progress, ahead,
                                     staged)
    finally:
        ahead.close()
    scrub.flush_read(con)
    return loads


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:   # gone since it was listed: its reading says so
        return 0


def _extract_source(con: duckdb.DuckDBPyConnection, cfg: BuildConfig, source: Source, files: list[Path],
                    load_id: str, key: bytes, hashes: dict[Path, str], progress: Progress,
                    ahead: readers.XlsxAhead, staged=None) -> list[FileLoad]:
    """`extract` of one source: its raw table (or, for a kind staged as read, stg_<kind>) filled
    from each of its `files`, or a reason per file."""
    loads: list[FileLoad] = []
    empty_raw(con, source.table, source.kind)
    if not files:
        progress.say(f"{source.slug}: no files match {source.path!r}")
    batch = readers.read_batch(con, files, source, "_batch")
    done = _load_batches(con, cfg, source, batch, load_id, key, hashes, staged)
    for n, path in enumerate(files, 1):
        try:
            load = done.get(path) or _load_file(con, cfg, source, path, load_id, key, hashes[path],
                                                batch.get(path), ahead.take(path, source), staged)
        except readers.ReadError as exc:  # one unreadable file never stops the others
            load = FileLoad(source, cfg.display_path(path), hashes[path], len(exc.rows), [],
                            error=str(exc).replace(str(path), cfg.display_path(path)), refused_rows=exc.rows)
        except duckdb.InterruptException:   # Ctrl-C or SIGTERM (etl/cli.py): the build stops
            raise
        except duckdb.Error as exc:  # nor does DuckDB failing on one file's reading or loading
            load = FileLoad(source, cfg.display_path(path), hashes[path], 0, [],
                            error=_duckdb_failure(cfg, path, exc))
        if load.error:
            progress.say(f"{source.slug}: {load.error}")
        progress.file_read(source.slug, n, len(files), path.name, load.rows_read)
        if load.note:   # what to know of a file that loaded (also on the Data quality page)
            progress.say(f"{source.slug}: {load.path}: {load.note}")
        loads.append(load)
    for table in {read.batch for read in batch.values()}:
        con.execute(f"drop table {table}; drop table {table}_files")
    for path, why in source.refused(cfg.inputs):  # never opened: recorded, with the reason
        load = FileLoad(source, cfg.display_path(path), None, 0, [], error=why)
        progress.say(f"{source.slug}: {load.path}: {why}")
        loads.append(load)
    return loads
