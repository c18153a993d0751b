"""The same incident reported to several organisations counts once (DESIGN.md, contract).

Reports are grouped per person and authority, never across people; anonymous reports never
merge. An *organisation* is a (source, agency) pair. Two reports can be one incident only when
they come from different organisations, have the same `asb_type`, their `occurred_date`s are at
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


def matches(anchor, report, days: int, distance_m: float) -> bool:
    """Whether `report` may join the incident anchored by `anchor` (other than the organisation
    rule): same type, occurred within `days`, within `distance_m` when both are located."""
    if anchor.asb_type != report.asb_type and not (pd.isna(anchor.asb_type) and pd.isna(report.asb_type)):
        return False
    if abs((report.occurred_date - anchor.occurred_date).days) > days:
        return False
    located = not (pd.isna(anchor.easting) or pd.isna(report.easting))
    return not located or ((anchor.easting - report.easting) ** 2
                           + (anchor.northing - report.northing) ** 2) <= distance_m ** 2


def anchored_groups(reports: pd.DataFrame, days: int, distance_m: float) -> dict[str, str]:
    """report_id -> the report_id of its incident's anchor, for every report that joined an
    incident it did not start. `reports` holds report_id, person_key, authority_code, source,
    agency, incident_ref, asb_type, occurred_date, reported_date, easting, northing."""
    joined: dict[str, str] = {}
    ordered = reports.sort_values(["person_key", "authority_code", "occurred_date", "reported_date",
                                   "source", "incident_ref"], kind="stable")
    for _, group in ordered.groupby(["person_key", "authority_code"], sort=False, dropna=False):
        open_incidents: list[tuple[object, set]] = []  # (anchor row, organisations in it), oldest first
        for report in group.itertuples(index=False):
            # Reports come by occurred date, so an anchor more than `days` older can take no more.
            open_incidents = [(a, orgs) for a, orgs in open_incidents
                              if (report.occurred_date - a.occurred_date).days <= days]
            organisation = (report.source, report.agency)
            for anchor, orgs in open_incidents:
                if organisation not in orgs and matches(anchor, report, days, distance_m):
                    orgs.add(organisation)
                    joined[report.report_id] = anchor.report_id
                    break
            else:
                open_incidents.append((report, {organisation}))
    return joined


def deduplicate(con: duckdb.DuckDBPyConnection, distance_m: float, days: int) -> None:
    """`_root` (report_id, root, rule) from `_reports`, by the anchored rule above."""
    params = {"distance_m": float(distance_m), "days": int(days)}
    candidates = con.execute(sqlfile.read("int_incident_candidates"), params).df()
    joined = anchored_groups(candidates, days, distance_m) if len(candidates) else {}
    frame = pd.DataFrame({"report_id": list(joined), "root": list(joined.values())}, dtype="object")
    frame["rule"] = RULE
    con.register("_joined", frame)
    con.execute("create or replace temp table _root as select report_id::varchar as report_id, "
                "root::varchar as root, rule::varchar as rule from _joined")
    con.unregister("_joined")
