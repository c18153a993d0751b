"""`asb export parquet`: the marts and the incidents table as Hive-partitioned Parquet, for Power BI,
Excel, DuckDB, pandas and any other engine that reads Parquet.

What is written (tables found in the warehouse, not listed here, so a mart added later is exported
too): every `mart_*` table, `incidents` and `authorities` (the names and outlines the other tables'
`authority_code` refers to), or those of them named with `--table` (`exportable`: any other table,
such as `etl_rejects` whose raw partner values hold person references and postcodes, is refused
with the list of what may be exported). Each table is a folder; a table
with an `authority_code` column is split into one folder per authority (`authority_code=E07000036/`)
and `incidents` also per month of `reported_date` (`month=2025-04/`, a text column YYYY-MM that the
export adds: `MONTH_FROM`). The partition columns are also written inside the files, so a tool that
ignores folder names (Power BI's Folder connector, pandas on one file) still has them. An empty
table is one file without partitions (its columns kept). Null partition values sit in DuckDB's
`__HIVE_DEFAULT_PARTITION__` folders and read back as null.

Person keys: every column named like a pseudonymised person (`PERSON_COLUMN`: person_key,
person_id, person_authority_id, ...) is left out unless `--with-person-keys`, which needs both
(1) `--key-file`, the pseudonymisation key file whose key the warehouse was built with (its
fingerprint equals the latest build's `etl_builds.key_fingerprint`): whoever holds it can make
person keys anyway, so the keys give them nothing new, and a copied warehouse alone does not
unlock them; and (2) `--user`, an account of the users file with the OPCC analyst role, the one
role with person-level rights over all nine authorities. Either missing or wrong refuses the
export before anything is written. Even without person keys, some tables hold a row per person,
incident or application (pseudonymised, never names): the export is for the partnership, not for
open publication, its files are readable by their owner only, and every export is written to the
audit log (insight/access/audit.py) with who ran it, the tables and whether keys were included.
Person keys hidden in text are caught too: before anything is written, every text column kept is
searched for a value shaped like a person key (`PERSON_KEY_TEXT`, unless `--with-person-keys`) or a
full postcode (`POSTCODE_TEXT`, always), such as inside JSON, and one found refuses the export,
naming the table and column (never the value).

Writing: into a hidden folder beside `--out`, checked (each table's rows read back and counted),
then renamed into place, so a failed export leaves nothing behind; a folder that exists and is not
empty is refused unless `--force` (then it is replaced whole, never merged). The folder also holds
README.md (how to open it), data_dictionary.csv (every column's meaning, from etl/sql/warehouse.sql)
and manifest.json (the build, the tables, row counts, partitions).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import hmac
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from etl.transform import pseudonym
from insight import db
from insight.access import audit, auth
from insight.access import roles as access
from insight.export import dictionary
from insight.export import folder as outdir

PERSON_COLUMN = re.compile(r"person(_\w+)?_(key|id)")
BASE_TABLES = ("incidents", "authorities")  # besides every mart_* table
# Text shaped like a pseudonymised person key (etl/transform/pseudonym.py: "p_" + 20 hex digits) or a
# full UK postcode, searched for in every text column kept (DuckDB regular expressions, RE2)
PERSON_KEY_TEXT = r"p_[0-9a-f]{20}"
POSTCODE_TEXT = r"(^|[^A-Za-z0-9])[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2}([^A-Za-z0-9]|$)"
TEXT_TYPES = ("VARCHAR", "JSON", "STRUCT", "MAP", "UNION", "[]")  # types whose values may hold text
MONTH_FROM = {"incidents": "reported_date"}  # tables also split by month: the date column it comes from
WHOLE = frozenset({"authorities"})  # one row per authority: never split
PARTITION_AUTHORITY = "authority_code"
COMPRESSION = "snappy"  # read by every Parquet reader, Power BI's included


class ExportRefused(outdir.FolderRefused):
    """The export was refused before anything was written; the message says why."""


@dataclass(frozen=True)
class Table:
    """One table as it is exported: the columns kept (name, DuckDB type), the person columns left
    out, the partition columns and the date column the month comes from."""
    name: str
    columns: tuple[tuple[str, str], ...]
    dropped: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()
    month_from: str | None = None

    def select_sql(self) -> str:
        """The statement whose rows are written (person columns out, the month added)."""
        names = [f'"{c}"' for c, _ in self.columns if c != "month" or not self.month_from]
        if self.month_from:
            names.append(f"strftime(\"{self.month_from}\", '%Y-%m') as month")
        return f'select {", ".join(names)} from "{self.name}"'


@dataclass
class Result:
    out: Path
    tables: list[Table]
    rows: dict[str, int] = field(default_factory=dict)
    audit_seq: int | None = None


def person_columns(columns) -> tuple[str, ...]:
    """The columns whose values identify a person (pseudonymised): PERSON_COLUMN."""
    return tuple(c for c in columns if PERSON_COLUMN.fullmatch(c))


def exportable(found) -> list[str]:
    """What `--table` may name, of the warehouse's (name, type) tables: every mart_* base table,
    then BASE_TABLES (README "asb export parquet")."""
    names = {name for name, _ in found}
    return (sorted(n for n, kind in found if n.startswith("mart_") and kind == "BASE TABLE")
            + [t for t in BASE_TABLES if t in names])


def plan(con, tables: tuple[str, ...] | None = None, with_person_keys: bool = False) -> list[Table]:
    """The tables to export as the warehouse holds them (default: every mart_* base table, then
    BASE_TABLES); ExportRefused names a table asked for that the warehouse lacks, or that is not
    one of those (the build's own tables, the rejected partner rows and the intermediate tables
    hold person references and postcodes in text no column name gives away)."""
    found = con.execute("""select table_name, table_type from information_schema.tables
                           where table_catalog = current_database() and table_schema = 'main'""").fetchall()
    names = {name for name, _ in found}
    allowed = exportable(found)
    if tables:
        unknown = [t for t in tables if t not in names]
        if unknown:
            raise ExportRefused(f"no table {', '.join(unknown)} in the warehouse")
        refused = [t for t in dict.fromkeys(tables) if t not in allowed]
        if refused:
            raise ExportRefused(f"{', '.join(refused)} cannot be exported: --table takes the marts (mart_*), "
                                f"{' and '.join(BASE_TABLES)} only, here: {', '.join(allowed)}")
        chosen = list(dict.fromkeys(tables))
    else:
        chosen = allowed
    return [_table(con, name, with_person_keys) for name in chosen]


def _table(con, name: str, with_person_keys: bool) -> Table:
    columns = con.execute("""select column_name, data_type from information_schema.columns
                             where table_catalog = current_database() and table_schema = 'main'
                               and table_name = ? order by ordinal_position""", [name]).fetchall()
    dropped = () if with_person_keys else person_columns(c for c, _ in columns)
    kept = [(c, t) for c, t in columns if c not in dropped]
    month_from = MONTH_FROM.get(name) if any(c == MONTH_FROM.get(name) for c, _ in kept) else None
    if month_from:
        kept.append(("month", "VARCHAR"))
    partition = () if name in WHOLE else tuple(c for c in (PARTITION_AUTHORITY, "month" if month_from else None)
                                               if c and any(k == c for k, _ in kept))
    return Table(name, tuple(kept), dropped, partition, month_from)


# --- the right to person keys ---------------------------------------------------------------------

def check_person_key_rights(warehouse: Path, key_file: Path | None, user: str | None,
                            users_file: Path | None = None) -> access.Viewer:
    """The OPCC analyst allowed to export person keys (see the module docstring), else ExportRefused."""
    if key_file is None or user is None:
        raise ExportRefused("--with-person-keys needs --key-file (the pseudonymisation key the warehouse was "
                            "built with) and --user (an OPCC analyst in the users file)")
    try:
        key = key_file.read_text(encoding="utf-8").strip().encode("utf-8")
    except OSError as exc:
        raise ExportRefused(f"cannot read the key file {key_file}: {exc.strerror or exc}") from None
    con = db.connect(warehouse)
    try:
        rows = con.execute("select key_fingerprint from etl_builds order by built_at desc limit 1").fetchall()
    finally:
        con.close()
    built_with = rows[0][0] if rows else None
    if not key or not built_with or not hmac.compare_digest(pseudonym.fingerprint(key), built_with):
        raise ExportRefused(f"{key_file} is not the pseudonymisation key this warehouse was built with")
    try:
        account = auth.load_accounts((users_file or auth.users_path()).resolve()).get(user)
    except auth.UsersFileError as exc:
        raise ExportRefused(str(exc)) from None
    if account is None:
        raise ExportRefused(f"no user {user!r} in the users file")
    if account.role != access.OPCC_ANALYST:
        raise ExportRefused(f"{user} is a {access.ROLE_LABELS.get(account.role, account.role)}: person keys "
                            "of all nine authorities are for the OPCC analyst role only")
    return account.viewer()


# --- writing --------------------------------------------------------------------------------------

def _sql_text(value: Path | str) -> str:
    return str(value).replace("'", "''")


def _write_table(con, table: Table, folder: Path) -> None:
    target = folder / table.name
    options = f"format parquet, compression {COMPRESSION}"
    if table.partition_by:
        partitions = ", ".join(table.partition_by)
        con.execute(f"copy ({table.select_sql()}) to '{_sql_text(target)}' "
                    f"({options}, partition_by ({partitions}), write_partition_columns true)")
    else:
        target.mkdir()
        con.execute(f"copy ({table.select_sql()}) to '{_sql_text(target / 'data_0.parquet')}' ({options})")


def read_back_sql(folder: Path, table: Table) -> str:
    """A query of the exported table as it reads back (partition columns from the folder names,
    cast to their text type), the columns in the warehouse's order."""
    path = _sql_text(folder / table.name / "**" / "*.parquet")
    names = ", ".join(f'"{c}"' for c, _ in table.columns)
    hive = ", hive_types = {" + ", ".join(f"'{c}': varchar" for c in table.partition_by) + "}" \
        if table.partition_by else ""
    return f"select {names} from read_parquet('{path}', hive_partitioning = true{hive})"


def _check(con, folder: Path, tables: list[Table], rows: dict[str, int]) -> None:
    for table in tables:
        got = con.execute(f"select count(*) from ({read_back_sql(folder, table)})").fetchone()[0]
        if got != rows[table.name]:
            raise RuntimeError(f"{table.name}: {got} rows read back, {rows[table.name]} in the warehouse")


def _text_columns(table: Table) -> list[str]:
    return [c for c, kind in table.columns if c != "month" and any(t in kind.upper() for t in TEXT_TYPES)]


def refuse_hidden_person_data(con, tables: list[Table], with_person_keys: bool) -> None:
    """ExportRefused when a text column kept holds a value shaped like a person key (unless
    `with_person_keys`) or a full postcode, e.g. inside JSON: a column name alone does not tell."""
    patterns = [("a full postcode", POSTCODE_TEXT)]
    if not with_person_keys:
        patterns.insert(0, ("a pseudonymised person key", PERSON_KEY_TEXT))
    for table in tables:
        for column in _text_columns(table):
            text = f'cast("{column}" as varchar)'
            for what, pattern in patterns:
                hit = con.execute(f'select 1 from "{table.name}" where regexp_matches({text}, ?) limit 1',
                                  [pattern]).fetchone()
                if hit:
                    keys = "" if with_person_keys or what.endswith("postcode") else " without --with-person-keys"
                    raise ExportRefused(f"{table.name}.{column} holds text shaped like {what}: it cannot be "
                                        f"exported{keys} (nothing was written)")


def login() -> str:
    """Who runs the command (the login name), for the audit log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def export(warehouse: Path, out: Path, tables: tuple[str, ...] | None = None, with_person_keys: bool = False,
           viewer: access.Viewer | None = None, force: bool = False) -> Result:
    """Write the export to `out` (see the module docstring); the caller checked the right to person
    keys (`check_person_key_rights`) when `with_person_keys`."""
    out = Path(out).resolve()
    outdir.refuse_existing(out, force)
    con = db.connect(warehouse)
    try:
        chosen = plan(con, tables, with_person_keys)
        refuse_hidden_person_data(con, chosen, with_person_keys)
        build = con.execute("select load_id, as_of_date from etl_builds order by built_at desc limit 1").fetchall()
        rows = {t.name: con.execute(f'select count(*) from "{t.name}"').fetchone()[0] for t in chosen}
        # an empty table is one file (DuckDB writes no file for no partition)
        chosen = [t if rows[t.name] else dataclasses.replace(t, partition_by=()) for t in chosen]
        result = Result(out, chosen, rows)
        with outdir.writing(out, force) as tmp:
            for table in chosen:
                _write_table(con, table, tmp)
            _check(con, tmp, chosen, rows)
            _write_docs(tmp, chosen, rows, build[0] if build else None, with_person_keys)
            # logged before the folder is moved into place: an export the log cannot hold is not
            # released (audit.AuditUnavailable leaves nothing behind: "nothing was exported")
            result.audit_seq = audit.record(
                audit.audit_path(Path(warehouse).resolve()), viewer, "export", "asb export parquet", str(out),
                audit.filters_json({"tables": [t.name for t in chosen], "with_person_keys": with_person_keys,
                                    "login": login()}), sum(rows.values()))
    finally:
        con.close()
    return result


# --- the documents beside the data ----------------------------------------------------------------

def _write_docs(folder: Path, tables: list[Table], rows: dict[str, int], build, with_person_keys: bool) -> None:
    import csv

    with (folder / "data_dictionary.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["table", "column", "type", "is_partition", "description"])
        for table in tables:
            for column, kind in table.columns:
                writer.writerow([table.name, column, kind, column in table.partition_by,
                                 dictionary.column_description(table.name, column)])
    manifest = {
        "exported_at_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_load_id": build[0] if build else None,
        "as_of_date": build[1].isoformat() if build else None,
        "with_person_keys": with_person_keys,
        "tables": [{"name": t.name, "rows": rows[t.name], "partition_by": list(t.partition_by),
                    "month_from": t.month_from, "person_columns_left_out": list(t.dropped),
                    "description": dictionary.table_description(t.name)} for t in tables],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(readme(tables, rows, manifest), encoding="utf-8")


def readme(tables: list[Table], rows: dict[str, int], manifest: dict) -> str:
    """The README.md written into the export folder: what is there and how to open it."""
    lines = [f"| `{t.name}` | {rows[t.name]:,} | {', '.join(t.partition_by) or '-'} | "
             f"{dictionary.table_description(t.name) or ''} |" for t in tables]
    keys = ("Person keys are included (`--with-person-keys`)." if manifest["with_person_keys"] else
            "Person keys (person_key and other pseudonymised person columns) are left out.")
    # as_of_date is the data's date (its latest day), not when the build ran; the build time is
    # named only when the manifest has it in UTC
    built = f", built {manifest['built_at_utc']} (UTC)" if manifest.get("built_at_utc") else ""
    return f"""# ASB warehouse export (Parquet)

Data as of {manifest['as_of_date']} (build {manifest['build_load_id']}{built}), exported {manifest['exported_at_utc']} (UTC).
{keys} Some tables still hold a row per person, incident or application: keep this folder
within the partnership. Every column is described in `data_dictionary.csv`; `manifest.json`
lists the tables, their row counts and partitions.

| table | rows | split by | what it holds |
|---|---:|---|---|
{chr(10).join(lines)}

Each table is a folder of Parquet files. A table split by `authority_code` (and `month`, text
YYYY-MM of `reported_date`, for `incidents`) has one sub-folder per value
(`authority_code=E07000036/month=2025-04/data_0.parquet`, Hive style); those columns are inside
the files too, so each file is whole on its own. A missing value is the folder
`__HIVE_DEFAULT_PARTITION__` (read back as empty).

## Opening it

- **Power BI Desktop**: Get Data > Folder > pick the table's folder (e.g. `incidents`) > Combine &
  Transform; Power Query reads every file with `Parquet.Document` and appends them. For one small
  table, Get Data > Parquet and the file works too. Relate tables on `authority_code`
  (`authorities`), `incident_id`, `application_ref`.
- **Excel** (Microsoft 365): Data > Get Data > From File > From Folder (the table's folder) >
  Combine, as in Power BI; or From Parquet for one file. Mind Excel's 1,048,576-row limit for
  `incidents`: load it to the Data Model instead of a sheet.
- **DuckDB**: `select * from read_parquet('incidents/**/*.parquet', hive_partitioning = true)`;
  a filter on `authority_code` or `month` reads only those folders.
- **pandas**: `pandas.read_parquet('incidents', partitioning=None)`: the partition columns are
  in the files already, so pyarrow must not add them again from the folder names (without
  `partitioning=None` it stops on "Unable to merge: Field authority_code").
- **pyarrow**: `pyarrow.dataset.dataset('incidents', partitioning=None)`, or, to skip folders when
  filtering, `partitioning=pyarrow.dataset.partitioning(pyarrow.schema([('authority_code',
  pyarrow.string()), ('month', pyarrow.string())]), flavor='hive')`.
- Other engines that derive columns from folder names (Spark, R arrow) likewise: turn that off,
  or declare the partition columns as text.
"""
