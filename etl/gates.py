"""Build gates: whole-build checks that stop a bad build from replacing a good warehouse.

Each gate is "error" (the build fails, the previous warehouse stays byte-identical), "warn" (the
build publishes and its summary says what fired) or "off", set per source in sources.toml
(`[source.gates]`, e.g. `reject_share = "warn"`); the defaults below are errors, because a
published warehouse that silently lost a partner's data is worse than yesterday's warehouse.

- `unreadable_file`: a file of the source could not be read at all (etl_loads.file_error).
- `reject_share`: more than `max_reject_share` (default half) of a file's records were rejected,
  counted only for files of at least MIN_RECORDS records: a wrong encoding or a missing
  `skip_rows` rejects nearly everything. Without `--as-of`, the applications, appeals and actions
  dated after the latest incident date (`future_date` rejects) are not counted: the registers
  being newer than the incident data says nothing about the file (the build names them in a note).
  A file refused as a whole, whose records are all `file_refused` rejects, is left to `unreadable_file`.
- `source_vanished`: the source loaded rows in the previous build and none now.
- `same_file`: the same file (by its SHA-256) is read by this source and another one: a copy
  saved into a second partner's folder would count its records twice.
- `no_incidents` (build-wide): incident or police sources are declared and the warehouse would
  hold no incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

GATES = ("unreadable_file", "reject_share", "source_vanished", "same_file", "no_incidents")
LEVELS = ("error", "warn", "off")
MIN_RECORDS = 10
MAX_REJECT_SHARE = 0.5


@dataclass(frozen=True)
class Fired:
    gate: str
    level: str  # error or warn
    message: str

    def __str__(self) -> str:
        return f"gate {self.gate} ({self.level}): {self.message}"


# what a source delivered: the rows loaded, and a police file's crimes kept for context (counted
# as merged since 6 December 2026, as loaded before: the sum is what it delivered either way)
_DELIVERED = "sum(rows_loaded + rows_context)"


def previous_rows(warehouse: Path) -> dict[str, int]:
    """Rows loaded per source by the build now in `warehouse` (empty when there is none)."""
    if not warehouse.exists():
        return {}
    try:
        con = duckdb.connect(":memory:")
        quoted = str(warehouse).replace("'", "''")
        con.execute(f"attach '{quoted}' as old (read_only)")
        rows = con.execute(f"select source, {_DELIVERED} from old.etl_loads group by 1").fetchall()
        con.close()
    except duckdb.Error:
        return {}
    return {source: int(n) for source, n in rows}


def check(con: duckdb.DuckDBPyConnection, sources, previous: dict[str, int],
          as_of_is_latest_data: bool = False) -> list[Fired]:
    """Every gate that fires on the build in `con` (etl_loads filled), at its source's level;
    `as_of_is_latest_data`: the build had no --as-of (see reject_share)."""
    fired: list[Fired] = []
    uncounted = ("select source, source_file, count(*) as n from etl_rejects where reason_code = 'future_date' "
                 "and kind in ('applications', 'appeals', 'actions') group by all"
                 if as_of_is_latest_data else "select null::varchar as source, null::varchar as source_file, 0 as n")
    files = con.execute(f"""select l.source, l.source_file, l.rows_read - coalesce(u.n, 0),
            l.rows_rejected - coalesce(u.n, 0), l.file_error
        from etl_loads l left join ({uncounted}) u using (source, source_file)
        order by l.source, l.source_file""").fetchall()
    now = dict(con.execute(f"select source, {_DELIVERED} from etl_loads group by 1").fetchall())
    for s in sources:
        level = {g: s.gates.get(g, "error") for g in GATES}
        share = s.max_reject_share
        for source, name, read, rejected, error in files:
            if source != s.slug:
                continue
            if error and level["unreadable_file"] != "off":
                named = error if error.startswith(f"{name}: ") else f"{name}: {error}"   # a refusal names no file
                fired.append(Fired("unreadable_file", level["unreadable_file"], f"{s.slug}: {named}"))
            # a file refused as a whole (its records rejected as file_refused) is the unreadable_file gate's
            if not error and read >= MIN_RECORDS and rejected > share * read and level["reject_share"] != "off":
                fired.append(Fired("reject_share", level["reject_share"],
                                   f"{s.slug}: {name}: {rejected:,} of {read:,} records rejected (more than "
                                   f"{share:.0%}); check its encoding, skip_rows and column map with asb check"))
        for name, other, other_name in con.execute("""select a.source_file, b.source, b.source_file
                from etl_loads a join etl_loads b on a.file_sha256 = b.file_sha256 and a.source < b.source
                where a.source = ? order by all""", [s.slug]).fetchall():
            if level["same_file"] != "off":
                fired.append(Fired("same_file", level["same_file"],
                                   f"{s.slug}: {name} is the same file as {other}: {other_name}"))
        if previous.get(s.slug, 0) > 0 and not now.get(s.slug) and level["source_vanished"] != "off":
            fired.append(Fired("source_vanished", level["source_vanished"],
                               f"{s.slug}: loaded {previous[s.slug]:,} rows last build and none now"))
    incident_sources = [s for s in sources if s.kind in ("incidents", "police_uk")]
    levels = {s.gates.get("no_incidents", "error") for s in incident_sources}
    level = "error" if "error" in levels else "warn" if "warn" in levels else "off"
    if incident_sources and level != "off" and not con.execute("select exists (select 1 from incidents)").fetchall()[0][0]:
        fired.append(Fired("no_incidents", level, "the warehouse would hold no incident" + _why_none(con)))
    return fired


def _why_none(con: duckdb.DuckDBPyConnection) -> str:
    """Why no incident was loaded, for the no_incidents gate: the incident records rejected, by
    reason, with the first one's file, row and reason (a small file whose every record was
    rejected is below reject_share's minimum, and this is then the only message)."""
    rows = con.execute("""select reason_code, count(*) as n,
            arg_min(source_file || ' row ' || source_row || ': ' || reason, (source_file, source_row))
        from etl_rejects where kind in ('incidents', 'police_uk') group by 1 order by n desc, 1""").fetchall()
    if not rows:
        return " (no incident record was read)"
    total = sum(n for _, n, _ in rows)
    by_reason = ", ".join(f"{code} {n:,}" for code, n, _ in rows)
    return (f": {total:,} incident record{'s were' if total != 1 else ' was'} rejected ({by_reason}), "
            f"for example {rows[0][2]}")
