"""`asb build`: inputs folder -> validated DuckDB warehouse, published atomically.

The warehouse is built in a temporary file beside the target and moved over it with os.replace
only after validation passes, so a failed or killed build leaves the previous warehouse intact
(readers holding it open keep their snapshot). Re-running on the same inputs and as-of date gives
the same tables and keys: the load id is a hash of the inputs and the as-of date.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from etl import gates, sqlfile, validate
from etl.marts import registry, returns_file, reviews, threshold
from etl.progress import Progress
from etl.rules import authorities, periods, settings
from etl.sources import accounting, config, extract
from etl.sources.readers import quote_ident
from etl.transform import dedupe, geo, locate, private, pseudonym, publish, scrub, stage

TEMP_MARK = ".building-"
SCRATCH_SUFFIX = ".scratch"   # the scratch database beside the temporary warehouse (`_attach_scratch`)


def default_key_file(warehouse: Path) -> Path:
    """Where a build keeps the pseudonymisation key it made when none was configured."""
    return warehouse.parent / "secrets" / "pseudonym.key"


class BuildError(RuntimeError):
    """The build could not produce a valid warehouse; the previous one is untouched."""


@dataclass
class BuildResult:
    warehouse: Path
    load_id: str
    as_of: dt.date
    counts: dict[str, int]
    seconds: float
    stages: list[dict] = field(default_factory=list)
    as_of_is_latest_data: bool = False  # no --as-of: the latest date the incident data covers
    notes: list[str] = field(default_factory=list)  # things the person who ran the build must know
    reject_reasons: dict[str, int] = field(default_factory=dict)  # rejected rows per reason code, most first


def _load_id(cfg: config.BuildConfig, hashes: dict[Path, str], as_of: dt.date | None) -> str:
    digest = hashlib.sha256((cfg.inputs / "sources.toml").read_bytes())
    digest.update(as_of.isoformat().encode() if as_of else b"latest data date")
    # the rules and the frozen returns change the marts, so they are part of the build's identity
    for extra in (settings.settings_path(cfg.settings_path), cfg.published_returns):
        if extra is not None and Path(extra).is_file():
            digest.update(Path(extra).read_bytes())
    for path, sha in sorted(hashes.items()):
        digest.update(f"{cfg.display_path(path)}:{sha}".encode())
    return digest.hexdigest()[:16]


def _remove_stale_temps(warehouse: Path) -> None:
    """Delete temp files of builds that were killed (their process is gone)."""
    own = re.compile(rf"\.{re.escape(warehouse.name)}{re.escape(TEMP_MARK)}(\d+)(\.wal|\.spill|{re.escape(SCRATCH_SUFFIX)}(\.wal)?)?")
    for tmp in warehouse.parent.glob(f".{glob.escape(warehouse.name)}{TEMP_MARK}*"):
        # only the build's own names: the file, its WAL, its spill folder, its scratch database
        match = own.fullmatch(tmp.name)
        if match is None or Path(f"/proc/{match.group(1)}").exists():
            continue
        if tmp.is_dir() and not tmp.is_symlink():  # a spill folder: DuckDB's temp_directory
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def _register_maps(con: duckdb.DuckDBPyConnection, cfg: config.BuildConfig) -> None:
    """Authorities as partners write them, and districts named by LSOA names, resolved in Python,
    for the raw tables (the kinds staged as they are read registered theirs while read)."""
    stage.maps(con)
    for s in cfg.sources:
        col = "lsoa_name" if s.kind == "police_uk" else "authority"
        found = [r[0] for r in con.execute(f"select distinct {col} from {s.table}").fetchall()]
        (stage.add_lsoa_names if s.kind == "police_uk" else stage.add_authorities)(con, found)


# Incidents are staged and published first: without --as-of their latest date is the as-of date,
# and the case records (applications, appeals, action plans) are then staged against that date, as
# an explicit --as-of stages them (a date after it is a `future_date` reject either way).
# A build note that is a warning (DESIGN.md: a rule above the statute "makes every build warn")
STATUTE_WARNING = "rule departs from the statute: "
INCIDENT_KINDS = ("incidents", "police_uk")
CASE_KINDS = ("applications", "appeals", "actions")
assert sorted(INCIDENT_KINDS + CASE_KINDS) == sorted(config.KINDS)


def _stage_all(con, cfg: config.BuildConfig, load_id: str, as_of: dt.date, kinds: tuple[str, ...]) -> None:
    """stg_<kind> for each of `kinds` (every kind of config.KINDS; those staged as they were read,
    extract.STAGED_ON_READ, already are), its rejects in etl_rejects."""
    by_table = {s.table: s for s in cfg.sources}
    for kind in kinds:
        tables = [s.table for s in cfg.sources if s.kind == kind]
        if kind in extract.STAGED_ON_READ:
            pass   # made by the extract
        elif not tables:
            extract.empty_staged(con, kind, as_of)
        else:
            con.execute(f"create temp table stg_{kind} as {stage.stage_sql(kind, tables, by_table, as_of)}")
        stage.explain_unmapped(con, kind)
        scrub.scrub_staged(con, kind, f"stg_{kind}", load_id)   # raw text quoted in reasons, errors, refs
        publish.reject_from(con, load_id, f"'{kind}'", f"stg_{kind} where reject_code is not null",
                            "reject_code", "reject_reason", "raw_values", expand=True)
    _drop(con, [s.table for s in cfg.sources if s.kind in kinds])  # staged: the raw text is no longer read


def _reject_broken(con, loads, load_id: str) -> None:
    """Records that could not be split into the header's columns, of every file; and the records
    of a file refused as a whole (`extract.FileLoad.refused_rows`), with its error, scrubbed as
    etl_loads.file_error is, and no value."""
    broken = [(x.source.slug, x.source.kind, x.path, row, msg, scrub.line_shape(raw))
              for x in loads for row, msg, raw in x.broken]
    if broken:
        con.register("_broken", pd.DataFrame(broken, columns=["source", "kind", "file", "row", "msg", "shape"]))
        con.execute(f"""insert into etl_rejects select '{load_id}', source, kind, file, row,
            'malformed_row', 'the record could not be split into the header''s columns: ' || msg,
            to_json(struct_pack(line_shape := shape))::varchar
            from _broken""")
        con.unregister("_broken")
    for x in loads:
        if x.refused_rows:
            reason = f"the file was refused as a whole, none of its values read: {accounting.error_cause(x)}"
            con.register("_refused", pd.DataFrame({"row": pd.array(x.refused_rows, dtype="int64")}))
            con.execute(f"""insert into etl_rejects select '{load_id}', ?, ?, ?, row, 'file_refused', ?,
                null from _refused""", [x.source.slug, x.source.kind, x.path, reason])
            con.unregister("_refused")


def _reference_tables(con, bounds: geo.Boundaries) -> None:
    outlines = geo.outlines_geojson(bounds.districts, "authority_code", 50.0)
    areas = dict(zip(bounds.districts["authority_code"], bounds.districts.area / 1e6, strict=True))
    _insert(con, "authorities", [(a.code, a.name, a.kind, areas.get(a.code), outlines.get(a.code))
                                 for a in authorities.AUTHORITIES])
    lsoa_geo = geo.outlines_geojson(bounds.lsoa, "lsoa_code", 10.0)
    _insert(con, "ref_lsoa", [(r.lsoa_code, r.lsoa_name, r.authority_code, r.geometry.area / 1e6, lsoa_geo[r.lsoa_code])
                              for r in bounds.lsoa.itertuples()])
    if bounds.wards is not None:
        ward_geo = geo.outlines_geojson(bounds.wards, "ward_code", 10.0)
        _insert(con, "ref_ward", [(r.ward_code, r.ward_name, r.authority_code, r.geometry.area / 1e6,
                                   ward_geo[r.ward_code]) for r in bounds.wards.itertuples()])


def _insert(con, table: str, rows: list[tuple]) -> None:
    """Append rows (code, name, authority or kind, km2, GeoJSON) in one statement: executemany
    took 0.8 s for the 642 LSOAs."""
    con.register("_rows_frame", pd.DataFrame(rows, columns=["a", "b", "c", "d", "e"], dtype="object"))
    con.execute(f"insert into {table} select a, b, c, cast(d as double), e from _rows_frame")
    con.unregister("_rows_frame")


def _transform(con, cfg, bounds, load_id: str, progress: Progress) -> None:
    progress.stage("locate incidents")
    publish.police_rows(con)
    publish.candidates(con)
    publish.police_context(con, load_id)
    locate.locate(con, bounds)
    publish.ref_hashes(con)
    progress.count(con.execute("select coalesce(sum(coalesce(len(source_rows), 1)), 0) from _cand").fetchall()[0][0])
    progress.stage("keys and cross-agency de-duplication")
    publish.keyed_reports(con, load_id)
    dedupe.deduplicate(con, cfg.duplicate_distance_m, cfg.duplicate_days)
    progress.stage("publish incidents")
    publish.publish_incidents(con, load_id)
    progress.count(publish.incident_files(con)[1])
    _drop(con, publish.INCIDENT_WORK)


def _publish_cases(con, load_id: str) -> None:
    """applications, appeals and action plans (staged against the build's as-of date)."""
    publish.publish_cases(con, load_id, "applications", "source, source_file, source_row")
    _unknown_applications(con, load_id, "appeals", "appeal_ref")
    publish.publish_cases(con, load_id, "appeals", "source, source_file, source_row")
    _unknown_applications(con, load_id, "actions", "action_ref")
    publish.publish_cases(con, load_id, "actions", "source, source_file, source_row")


def _drop(con, names) -> None:
    """Drop temporary tables and views a build no longer reads, and the scratch database's tables
    (`_attach_scratch`). At ten million rows each one is gigabytes that would otherwise stay in
    memory (or spill to disk) until the build ends."""
    kinds = dict(con.execute(
        "select table_name, ('table', database_name) from duckdb_tables() where temporary or database_name = ? "
        "union all select view_name, ('view', database_name) from duckdb_views() where temporary",
        [extract.SCRATCH]).fetchall())
    for name in names:
        if name in kinds:
            kind, database = kinds[name]
            con.execute(f"drop {kind} {quote_ident(database)}.main.{name}")


def _attach_scratch(con, tmp: Path) -> None:
    """Attach the build's scratch database (etl/sources/extract.py `SCRATCH`: the rows staged as
    they are read) as a file beside the temporary warehouse, readable by its owner only; the build
    deletes it with its WAL, and `_remove_stale_temps` one a killed build left. Unqualified names
    still find temporary tables first, then the warehouse's (new tables go to the warehouse)."""
    path = Path(f"{tmp}{SCRATCH_SUFFIX}")
    for stale in (path, Path(f"{path}.wal")):
        stale.unlink(missing_ok=True)
    with private.owner_only():
        con.execute(f"attach {sqlfile.literal(path)} as {quote_ident(extract.SCRATCH)}")
    warehouse = con.execute("select current_database()").fetchall()[0][0]
    con.execute(f"set search_path = {sqlfile.literal(quote_ident(warehouse) + ',' + quote_ident(extract.SCRATCH))}")


def _ref_key(expr: str) -> str:
    """A reference with case, spaces and punctuation set aside ("cr 001", "CR–001" -> CR001): what
    `_unknown_applications` compares to name the application a reference likely means."""
    return f"regexp_replace(upper({expr}), '[^A-Z0-9]', '', 'g')"


def _unknown_applications(con, load_id: str, kind: str, key: str) -> None:
    """Rows of stg_<kind> (appeals, actions) whose application is not loaded become
    `unknown_application` rejects; one whose application was itself rejected says so, with that
    row and its reason, not just "not loaded". References are matched exactly (the partnership's
    key: two references that differ are two cases); one written another way ("cr-001" for CR-001)
    is still a reject, whose reason names the one loaded application it likely means, when exactly
    one matches it with case, spaces and punctuation set aside (`_ref_key`)."""
    con.execute(f"""update stg_{kind} set reject_code = 'unknown_application',
            reject_reason = coalesce((select format('application_ref ''{{}}'' was rejected ({{}} row {{}}: {{}})',
                                                    stg_{kind}.application_ref, r.source_file, r.source_row, r.reason)
                                      from etl_rejects r where r.kind = 'applications'
                                        and json_extract_string(r.raw_values, '$.application_ref')
                                            = stg_{kind}.application_ref
                                      order by r.source_file, r.source_row limit 1),
                                     format('application_ref ''{{}}'' is not in any applications file', application_ref)
                                     || coalesce((select format(': did you mean ''{{}}''? (references are matched '
                                                                'exactly, so write it as the register does)',
                                                                min(a.application_ref))
                                                  from applications a
                                                  where {_ref_key("a.application_ref")}
                                                        = {_ref_key(f"stg_{kind}.application_ref")}
                                                  having count(*) = 1), '')),
            raw_values = to_json(struct_pack({key}, application_ref))::varchar
        where reject_code is null and application_ref not in (select application_ref from applications)""")
    scrub.scrub_rejects(con, kind, f"stg_{kind}", load_id, "unknown_application")   # the reason quotes the reference
    publish.reject_from(con, load_id, f"'{kind}'", f"stg_{kind} where reject_code = 'unknown_application'",
                        "reject_code", "reject_reason", "raw_values")


def latest_data_date(con) -> dt.date | None:
    """The latest reported_date loaded: the default as-of date (DESIGN.md "The as-of date"). Every
    loaded report counts, a report merged into an incident reported earlier too, so that
    `--as-of` on this date loads the same reports."""
    return con.execute("""select max(d) from (select max(reported_date) as d from incidents
        union all select max(reported_date) from incident_merged_reports)""").fetchall()[0][0]


def _after_latest_data_note(con, as_of: dt.date) -> str | None:
    """What the build says when case records are rejects because they are dated after the default
    as-of date (the incident data ends earlier than the registers)."""
    rows = con.execute("""select kind, count(*) from etl_rejects where reason_code = 'future_date'
        and kind in ('applications', 'appeals', 'actions') group by 1""").fetchall()
    if not rows:
        return None
    words = {"applications": ("application", "applications"), "appeals": ("appeal", "appeals"),
             "actions": ("action", "actions")}
    listed = ", ".join(f"{n:,} {words[kind][n != 1]}" for kind, n in sorted(rows, key=lambda r: CASE_KINDS.index(r[0])))
    return (f"{listed} dated after the as-of date {as_of.isoformat()} (the latest date the incident data "
            "covers) rejected as future_date; give --as-of to evaluate on a later date")


def _write(con, cfg, tmp: Path, as_of: dt.date | None, key: bytes, hashes, progress: Progress,
           previous: dict[str, int], notes: list[str], rules: settings.Rules | None = None) -> tuple[str, dt.date]:
    """Fill the temporary warehouse; returns the load id and the as-of date used (`as_of`, else
    the latest data date; staging rejects dates after `as_of`, else after today)."""
    load_id = _load_id(cfg, hashes, as_of)
    requested, as_of = as_of, as_of or periods.london_today()
    con.execute(f"begin transaction;\n{sqlfile.read('warehouse')};\ncommit")  # one commit, not one a table (0.1 s)
    progress.stage("extract")
    # the incidents are staged as they are read (extract.STAGED_ON_READ), against `as_of`
    loads = extract.extract(con, cfg, load_id, key, hashes, progress, staged_as_of=as_of)
    # one person keyed as two by two sources' person_ref_pattern: said at the end of the build too
    notes.extend(f"{load.path}: {load.scheme}" for load in loads if load.scheme)
    progress.stage("stage and validate rows")
    _register_maps(con, cfg)
    scrub.scrub_raw(con, cfg.sources, load_id)  # free text without names, phones, addresses (counts kept)
    _reject_broken(con, loads, load_id)
    _stage_all(con, cfg, load_id, as_of, INCIDENT_KINDS)
    progress.count(sum(x.rows_read for x in loads))
    progress.stage("boundaries")
    bounds = geo.load_boundaries(str(cfg.lsoa_path) if cfg.lsoa_path else None,
                                 str(cfg.ward_path or geo.WARDS_PATH))  # the shipped wards by default
    _transform(con, cfg, bounds, load_id, progress)
    if requested is None:
        as_of = latest_data_date(con) or as_of
        progress.say(f"as of {as_of.isoformat()}: the latest date the incident data covers (--as-of to choose)")
    progress.stage("applications and appeals")  # and action plans
    _stage_all(con, cfg, load_id, as_of, CASE_KINDS)
    _publish_cases(con, load_id)
    if requested is None and (note := _after_latest_data_note(con, as_of)):
        notes.append(note)
        progress.say(note)
    progress.stage("threshold engine")
    _reference_tables(con, bounds)
    rules = rules or settings.load(cfg.settings_path)
    for warning in rules.warnings:  # a rule above the statute: said on every build (DESIGN.md)
        note = f"{STATUTE_WARNING}{warning}"
        notes.append(note)
        progress.say(note)
    for note in rules.later_than(as_of):
        notes.append(note)
        progress.say(note)
    threshold.store_rules(con, rules)
    reviews.store_calendar(con)  # working days: second reports (threshold) and turnaround (reviews)
    # the police.uk sources, whose rows carry their month alone (mart_repeat_locations)
    month_only = [s.slug for s in cfg.sources if s.kind == "police_uk"]
    context = registry.Context(as_of, bounds.districts, params={"month_only": month_only})
    registry.build(con, "threshold", context)
    progress.stage("hotspots")
    registry.build(con, "hotspots", context)
    progress.stage("case review performance")
    frozen_note = returns_file.load(con, cfg.published_returns)  # statutory returns as published
    if frozen_note:
        notes.append(frozen_note)
        progress.say(frozen_note)
    registry.build(con, "reviews", context)
    progress.stage("marts, accounting and checks")
    registry.build(con, "quality", context)
    incidents, reports = accounting.record(con, load_id, loads)
    fired = gates.check(con, cfg.sources, previous, as_of_is_latest_data=requested is None)
    errors = [str(f) for f in fired if f.level == "error"]
    if errors:
        raise BuildError("a build gate fired, warehouse not published (the previous one is kept):\n  "
                         + "\n  ".join(errors))
    notes.extend(str(f) for f in fired)
    # built_at in UTC, whatever the server's zone (the Data quality page says so)
    built_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute("insert into etl_builds (load_id, built_at, as_of_date, inputs_path, boundaries, "
                "key_fingerprint) values (?, ?, ?, ?, ?, ?)",
                [load_id, built_at, as_of, config.private_name(str(cfg.inputs)), bounds.name,
                 pseudonym.fingerprint(key)])
    # A demo build (sources.toml [build] demo = true, written by `asb demo` only) lets the demo users
    # sign in (insight/access/auth.py).
    con.execute("update etl_builds set demo = ?", [cfg.demo])
    con.execute("""update etl_builds set incidents = ?, reports = ?, applications = (select count(*) from applications),
        appeals = (select count(*) from appeals), rejects = (select count(*) from etl_rejects),
        actions = (select count(*) from actions)""", [incidents, reports])
    failures = validate.run(con)
    if failures:
        raise BuildError("validation failed, warehouse not published:\n  " + "\n  ".join(failures))
    return load_id, as_of


def preflight(cfg: config.BuildConfig) -> settings.Rules:
    """The files sources.toml names besides the sources, checked before any input is read (by
    `asb build` and `asb check` alike): the rules file (SettingsError) and the published-returns
    file when it exists (ReturnsFileError); the rules, loaded."""
    rules = settings.load(cfg.settings_path)
    if cfg.published_returns is not None and (cfg.published_returns.exists() or cfg.published_returns.is_symlink()):
        returns_file.read(cfg.published_returns)
    return rules


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _refuse_input_as_warehouse(cfg: config.BuildConfig, warehouse: Path) -> None:
    """BuildError when the warehouse (or its temporary file) would replace one of the build's own
    inputs: sources.toml, a file of a source, the rules file, the published-returns file, the key
    file or a boundaries file (`--warehouse inputs/applications.csv` overwrote it with the build)."""
    inputs: list[tuple[Path, str]] = [(cfg.inputs / "sources.toml", "the inputs' sources.toml")]
    inputs += [(path, f"a file of source {s.slug}") for s in cfg.sources for path, _ in s.matches(cfg.inputs)]
    inputs += [(path, what) for path, what in ((settings.settings_path(cfg.settings_path), "the rules file"),
                                               (cfg.published_returns, "the published-returns file"),
                                               (cfg.pseudonym_key_file, "the pseudonymisation key file"),
                                               (cfg.lsoa_path, "the LSOA boundaries file"),
                                               (cfg.ward_path, "the ward boundaries file")) if path is not None]
    tmp = warehouse.with_name(f".{warehouse.name}{TEMP_MARK}{os.getpid()}")
    for path, what in inputs:
        if _same_path(warehouse, path) or _same_path(tmp, path):
            raise BuildError(f"--warehouse {warehouse} is {what}: the build would overwrite it; name another file")
    if warehouse == (cfg.inputs / "secrets" / "pseudonym.key").resolve():
        raise BuildError(f"--warehouse {warehouse} is where the key file is kept: name another file")


def _cannot_write(what: Path, exc: Exception) -> BuildError:
    reason = getattr(exc, "strerror", None) or str(exc).split("\n")[0]
    return BuildError(f"cannot write the warehouse at {what}: {reason} (choose a folder you may write to)")


def _no_files_notes(cfg: config.BuildConfig) -> list[str]:
    """One note per source whose path matches no file (a misspelt folder loads nothing, and on a
    first build no gate can tell)."""
    return [f"source {s.slug}: no file matches path {s.path!r}, so nothing of it was loaded"
            for s in cfg.sources if not s.matches(cfg.inputs)]


def _stamp(path: Path) -> tuple[int, int, int, int] | None:
    """A file's size, modification time, inode and device, or None when it cannot be stat'ed."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev


def _unchanged(cfg: config.BuildConfig, stamps: dict[Path, tuple | None]) -> None:
    """Fail the build (BuildError: the warehouse is not replaced) when a source file changed
    between its hashing and now: the build opens a file several times (its hash, a scan for blank
    lines, its reading), and a partner's upload still being written, or replaced, gave a hash of
    one version, records of another, numbered by a scan of a third (the accounting audit of 6
    December 2026)."""
    changed = [p for p, stamp in stamps.items() if _stamp(p) != stamp]
    if changed:
        names = ", ".join(cfg.display_path(p) for p in changed[:5]) + (" ..." if len(changed) > 5 else "")
        raise BuildError(f"{names} changed while the build read {'them' if len(changed) > 1 else 'it'} (an upload "
                         "still being written, or a file replaced?): the warehouse is not replaced; build again once "
                         "the files are complete")


def build(inputs: Path | str, warehouse: Path | str, as_of: dt.date | None = None,
          progress: Progress | None = None, memory_limit: str = "2GB") -> BuildResult:
    """Build the warehouse from an inputs folder; replace `warehouse` only when the build succeeds."""
    started = time.perf_counter()
    progress = progress or Progress()
    requested_as_of = as_of
    cfg = config.load(inputs)
    rules = preflight(cfg)  # every setting checked before any input is read
    warehouse = Path(warehouse).resolve()
    if warehouse.is_dir():
        raise BuildError(f"--warehouse {warehouse} is a folder: name the file, e.g. {warehouse / 'warehouse.duckdb'}")
    _refuse_input_as_warehouse(cfg, warehouse)
    try:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(warehouse.parent, exc) from None
    if not os.access(warehouse.parent, os.W_OK):
        raise _cannot_write(warehouse.parent, PermissionError(13, "not writable (a read-only folder or no permission)"))
    key, key_note = pseudonym.resolve_key(cfg.pseudonym_key_file, default_key_file(warehouse))
    notes = [key_note] if key_note else []
    if key_note:
        progress.say(key_note)
    for note in _no_files_notes(cfg):
        notes.append(note)
        progress.say(note)
    previous = gates.previous_rows(warehouse)
    _remove_stale_temps(warehouse)
    progress.stage("hash inputs")
    paths = list(dict.fromkeys(p for s in cfg.sources for p in s.files(cfg.inputs)))
    stamps = {p: _stamp(p) for p in paths}   # before hashing: a change from here on fails the build
    # hashlib releases the GIL, so the files are hashed on every core
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        hashes = dict(zip(paths, pool.map(extract.sha256_file, paths), strict=True))
    tmp = warehouse.with_name(f".{warehouse.name}{TEMP_MARK}{os.getpid()}")
    spill = Path(f"{tmp}.spill")
    try:
        tmp.unlink(missing_ok=True)
        with private.owner_only():  # the warehouse, its WAL and spill files: readable by the owner only
            con = duckdb.connect(str(tmp))
            tmp.chmod(private.OWNER_ONLY)
    except (OSError, duckdb.Error) as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise _cannot_write(warehouse, exc) from None
    try:
        # Row order in the published tables carries no meaning (readers sort), and not keeping it
        # lets DuckDB insert in parallel with less memory; the CSV reader asks for it where needed.
        con.execute(f"set memory_limit = '{memory_limit}'; set global preserve_insertion_order = false")
        con.execute(f"set temp_directory = {sqlfile.literal(spill)}")
        _attach_scratch(con, tmp)
        with private.owner_only():
            load_id, as_of = _write(con, cfg, tmp, as_of, key, hashes, progress, previous, notes, rules)
        _unchanged(cfg, stamps)
        seconds = time.perf_counter() - started
        con.execute("update etl_builds set build_seconds = ?", [round(seconds, 2)])
        counts = dict(zip(("incidents", "reports", "applications", "appeals", "rejects", "actions"), con.execute(
            "select incidents, reports, applications, appeals, rejects, actions from etl_builds").fetchall()[0],
            strict=True))
        reasons = dict(con.execute("select reason_code, count(*) from etl_rejects group by 1 "
                                   "order by 2 desc, 1").fetchall())
        con.execute("checkpoint")
        con.close()
        progress.stage("")
        try:
            os.replace(tmp, warehouse)  # atomic on one filesystem: readers see old or new, never half
        except OSError as exc:
            raise _cannot_write(warehouse, exc) from None
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    finally:
        for done in (Path(f"{tmp}.wal"), Path(f"{tmp}{SCRATCH_SUFFIX}"), Path(f"{tmp}{SCRATCH_SUFFIX}.wal")):
            done.unlink(missing_ok=True)
        shutil.rmtree(spill, ignore_errors=True)  # DuckDB's spill folder, when the build spilled
    return BuildResult(warehouse, load_id, as_of, counts, round(time.perf_counter() - started, 2),
                       progress.stages, requested_as_of is None, notes, reasons)
