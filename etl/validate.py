"""Checks every build runs before the warehouse is published; any failure stops the build.

Each check is a query returning offending rows (none = pass): keys unique and not null, foreign
keys resolve, allowed values, row rules, the per-file accounting identity, and privacy (no column
that names personal data, no stored person reference).
"""

from __future__ import annotations

import re

import duckdb

from etl import schema, sqlfile
from etl.rules import authorities
from etl.transform.publish import incidents_in_parts


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


NINE = _in(authorities.CODES)
# Column names that would mean personal data reached the warehouse; place names are allowed.
PERSONAL_COLUMN_PATTERN = r"(^|_)(name|forename|surname|phone|mobile|telephone|email|e_mail|address|dob|birth)($|_)"
PLACE_NAME_COLUMNS = ("authority_name", "lsoa_name", "source_lsoa_name", "ward_name")


REVIEW_DAYS = ("acknowledge_working_days", "decision_working_days", "decision_notice_working_days",
               "review_working_days", "outcome_notice_working_days", "total_working_days",
               "action_plan_working_days")


def _unique(table: str, key: str) -> str:
    """The repeated or null values of `key`: the values whose 64-bit hash repeats are found first
    (`sqlfile.repeated_hashes`), then only those are grouped by the value (ten million ids grouped
    as text took seconds)."""
    return (f"select {key}, count(*) as n from {table} "
            f"where hash({key}) in ({sqlfile.repeated_hashes(key, table)}) "
            f"or {key} is null group by {key} having count(*) > 1 or {key} is null")


# `incidents` stored in two parts (etl/sql/warehouse.sql): its ids are `stored_incidents`' and each
# police copy's `<incident_stem>-<k>`. They are unique when: the stored ids are; a group's copy
# numbers are (publishing numbers them consecutively from the group's first new copy, so sorted
# they must run without a repeat or a gap: 0.7 s at ten million copies, where grouping by
# (gid, k) took 1.8 s); groups sharing a stem (a month downloaded twice) number their copies
# apart; and no police source's incident is among the stored ones. Grouping ten million ids built
# as text would take seconds for the same answer.
_STORED_INCIDENT_IDS = (
    f"{_unique('stored_incidents', 'incident_id')} union all "
    "select 'group ' || gid || ' copies ' || list_sort(list(k))[:5]::varchar, count(*) "
    "from police_incident_copies group by gid having list_sort(list(k)) <> range(min(k), min(k) + count(*)) "
    "union all select g.incident_stem || '-' || c.k, count(*) from police_incident_copies c "
    "join (select gid, incident_stem from police_incident_groups qualify count(*) over "
    "(partition by incident_stem) > 1) g using (gid) group by g.incident_stem, c.k having count(*) > 1 "
    "union all select 'group ' || gid, 1 from police_incident_groups where incident_stem is null "
    "union all select incident_id, 1 from stored_incidents semi join police_incident_groups using (source)")

CHECKS: dict[str, str] = {
    "incidents.incident_id unique, not null": _unique("incidents", "incident_id"),
    "applications.application_ref unique, not null": _unique("applications", "application_ref"),
    "appeals.appeal_ref unique, not null": _unique("appeals", "appeal_ref"),
    "actions.action_ref unique, not null": _unique("actions", "action_ref"),
    "actions.application_ref resolves to an application":
        "select action_ref from actions a anti join applications p using (application_ref)",
    "actions: agency, type and status allowed, due and done on or after agreed":
        f"select action_ref from actions where agency not in ({_in(schema.ACTION_AGENCIES)}) "
        f"or action_type not in ({_in(schema.ACTION_TYPES)}) or status not in ({_in(schema.ACTION_STATUSES)}) "
        "or due_date < agreed_date or completed_date < agreed_date",
    "incidents.authority_code is one of the nine":
        f"select incident_id, authority_code from incidents where authority_code not in ({NINE})",
    "applications.authority_code is one of the nine":
        f"select application_ref from applications where authority_code not in ({NINE})",
    "appeals.application_ref resolves to an application":
        "select appeal_ref from appeals a anti join applications p using (application_ref)",
    # incident_reports is incidents of one report plus incident_merged_reports (warehouse.sql)
    "incident_reports.incident_id resolves to an incident":
        "select report_id from incident_merged_reports r anti join incidents i using (incident_id)",
    "a merged incident has as many reports as its report_count":
        "select incident_id from (select incident_id, report_count from incidents where report_count > 1) i "
        "full join (select incident_id, count(*) as n from incident_merged_reports group by all) m "
        "using (incident_id) where i.report_count is distinct from m.n",
    "incidents.asb_category allowed":
        f"select incident_id from incidents where asb_category not in ({_in(schema.ASB_CATEGORIES)})",
    "incidents.agency allowed": f"select incident_id from incidents where agency not in ({_in(schema.AGENCIES)})",
    "applications.decision allowed":
        f"select application_ref from applications where decision not in ({_in(schema.DECISIONS)})",
    "appeals.outcome allowed":
        f"select appeal_ref from appeals where outcome not in ({_in(schema.APPEAL_OUTCOMES)})",
    "incidents occurred on or before reported, not after the as-of date":
        "select incident_id from incidents, (select max(as_of_date) d from etl_builds) b "
        "where occurred_date > reported_date or reported_date > b.d",
    "applications decided before receipt are listed as data errors":
        "select application_ref from mart_review_turnaround where decision_date < received_date "
        "and coalesce(data_errors, '') not like '%decision_date%'",
    "ref_working_days: one row per day, the index counting the working days before it":
        "select calendar_date from (select *, coalesce(sum(is_working_day::int) over (order by calendar_date "
        "rows between unbounded preceding and 1 preceding), 0) as expected, calendar_date - lag(calendar_date) "
        "over (order by calendar_date) as step from ref_working_days) where working_day_index <> expected "
        "or step <> 1",
    "mart_review_turnaround: one row per application":
        "select application_ref from applications full join mart_review_turnaround t using (application_ref) "
        "where t.application_ref is null or applications.application_ref is null",
    "mart_review_turnaround: no negative working days":
        f"select application_ref from mart_review_turnaround where least({', '.join(REVIEW_DAYS)}) < 0",
    "mart_statutory_returns: applications received add up to the applications":
        "select authority_code from (select authority_code, sum(applications_received) as n "
        "from mart_statutory_returns group by all) r full join (select authority_code, count(*) as n "
        "from applications group by all) a using (authority_code) where coalesce(r.n, 0) <> coalesce(a.n, 0)",
    "every file: read = loaded + rejected + merged":
        "select source_file, rows_read, rows_loaded, rows_rejected, rows_merged from etl_loads "
        "where rows_read <> rows_loaded + rows_rejected + rows_merged",
    "mart_second_reports: one event per incident, after the one earlier report it pairs with":
        "select incident_id from mart_second_reports group by incident_id "
        "having count(*) > 1 or min(first_report_date) > min(second_report_date)",
    "mart_threshold_status: window_expires_date is a day the oldest counted complaint still counts":
        "select person_key from mart_threshold_status where window_expires_date < oldest_complaint_date "
        "or window_expires_date < as_of_date",
    "no column names personal data": f"""select table_name, column_name from information_schema.columns
        where table_catalog <> 'temp' and column_name not in ({_in(PLACE_NAME_COLUMNS)})
          and (regexp_matches(lower(column_name), '{PERSONAL_COLUMN_PATTERN}') or column_name = 'person_ref')""",
}


# Checks of an incident's own values, not of its id or record number: where `incidents` is the
# view of two parts they read each stored row once (`_incident_rows`: a police group stands for
# all its copies and is named by its stem), not ten million copies joined back.
ROW_CHECKS = ("incidents.authority_code is one of the nine", "incidents.asb_category allowed",
              "incidents.agency allowed", "incidents occurred on or before reported, not after the as-of date",
              "a merged incident has as many reports as its report_count")
_INCIDENT_ROWS = """create or replace temp view _incident_rows as
    select * exclude (source_row) from stored_incidents
    union all by name
    select * exclude (gid, incident_stem), incident_stem || '-*' as incident_id from police_incident_groups"""


def run(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Run every check; returns the failures as readable lines (empty when all pass)."""
    failures = []
    checks = dict(CHECKS)
    if incidents_in_parts(con):
        checks["incidents.incident_id unique, not null"] = _STORED_INCIDENT_IDS
        con.execute(_INCIDENT_ROWS)
        for name in ROW_CHECKS:
            checks[name] = re.sub(r"\bfrom incidents\b", "from _incident_rows", checks[name])
            assert "_incident_rows" in checks[name], name
    for name, sql in checks.items():
        rows = con.execute(f"select * from ({sql}) limit 5").fetchall()
        if rows:
            failures.append(f"{name}: e.g. {rows}")
    return failures
