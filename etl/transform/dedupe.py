"""The same incident reported to several organisations counts once (DESIGN.md, contract).

Reports are grouped per person and authority, never across people; anonymous reports never
merge. An *organisation* is a (source, agency) pair. Two reports can be one incident only when
they come from different organisations, have the same known `asb_type` (a report of type
`other`, or with no type, matches nothing: when unsure, keep them apart), their `occurred_date`s are at
most `duplicate_days` apart and, when both are located, they lie within `duplicate_distance_m`.

Grouping is **anchored, never chained**: reports are taken in order of (occurred_date,
reported_date, source, ref); each joins the earliest open incident whose first report (its
anchor) it matches and that holds no report from its organisation yet, else it starts a new
incident. So six daily reports alternating police/council are three incidents, not one.

SQL finds the candidate pairs (`sql/intermediate/int_incident_candidates.sql`: the pairs that
could merge at all); only the person-and-authority groups with a candidate pair go through the
sequential pass here, which is small next to the reports. The result is `_root`: one row per
report that joined another report's incident, with that incident's anchor (`root`) and the rule.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from etl import sqlfile

RULE = "cross_agency"
UNMATCHED_TYPE = "other"   # README's type table: it never matches another agency's report


# The candidates' columns the pass reads, in this order; rows come sorted by ORDER. The occurred
# date comes as its day number (days since 1970-01-01): a million Python dates and their
# differences were half of the pass's time at ten million incidents.
COLUMNS = ("report_id, person_key, authority_code, source, agency, asb_type, "
           "occurred_date - date '1970-01-01' as occurred_day, easting, northing")
ORDER = ", ".join(f"{c} nulls last" for c in ("person_key", "authority_code", "occurred_date", "reported_date",
                                               "source", "incident_ref"))


def anchored_groups(rows: list[tuple], days: int, distance_m: float) -> dict[str, str]:
    """report_id -> the report_id of its incident's anchor, for every report that joined an
    incident it did not start. `rows` are (COLUMNS) sorted by ORDER (nulls last in each), so a person and
    authority's reports are one run, by occurred date (an integer day number).

    One pass over plain tuples: at ten million incidents (1.06 M candidate reports in 105,000
    groups) a pandas group and a named tuple per report took 400 s on a busy machine. A report
    without an occurred date neither joins nor takes others (its gap to any anchor is unknown).
    tests/unit/test_dedupe.py holds the pass to a brute-force reading of the rule."""
    limit = distance_m ** 2
    joined: dict[str, str] = {}
    open_incidents: list[tuple[tuple, set]] = []  # (anchor row, organisations in it), oldest first
    current = None
    for row in rows:
        report_id, person, authority, source, agency, asb_type, occurred, east, north = row
        if current is None or (person, authority) != current:
            current, open_incidents = (person, authority), []
        # Reports come by occurred date, so an anchor more than `days` older can take no more.
        open_incidents = [(a, orgs) for a, orgs in open_incidents
                          if occurred is not None and a[6] is not None and occurred - a[6] <= days]
        organisation = (source, agency)
        typed = asb_type is not None and asb_type != UNMATCHED_TYPE
        for anchor, orgs in (open_incidents if typed else ()):
            if organisation in orgs or anchor[5] != asb_type:
                continue
            if anchor[7] is None or east is None or (
                    anchor[8] is not None and north is not None
                    and (anchor[7] - east) ** 2 + (anchor[8] - north) ** 2 <= limit):
                orgs.add(organisation)
                joined[report_id] = anchor[0]
                break
        else:
            open_incidents.append((row, {organisation}))
    return joined


def deduplicate(con: duckdb.DuckDBPyConnection, distance_m: float, days: int) -> None:
    """`_root` (report_id, root, rule) from `_reports`, by the anchored rule above."""
    params = {"distance_m": float(distance_m), "days": int(days)}
    rows = con.execute(f"select {COLUMNS} from ({sqlfile.read('int_incident_candidates')}) "
                       f"order by {ORDER}", params).fetchall()
    joined = anchored_groups(rows, days, distance_m)
    frame = pd.DataFrame({"report_id": list(joined), "root": list(joined.values())}, dtype="object")
    frame["rule"] = RULE
    con.register("_joined", frame)
    con.execute("create or replace temp table _root as select report_id::varchar as report_id, "
                "root::varchar as root, rule::varchar as rule from _joined")
    con.unregister("_joined")
