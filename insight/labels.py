"""Words for codes: what a person reads where the warehouse holds `not_met`, `partially_upheld`,
`review_process`, `bad_date`, `decision_notice` or `amber_valley_council`.

The words come from the declarations, never from a parallel list here: the closed lists of the
canonical columns and the build's reject reasons and source kinds (etl/schema.py, `*_LABELS` and
`REJECT_REASONS`), the case review stages (etl/marts/reviews.py STAGES) and statutory checks
(`STATUTORY_CHECKS`). A source is named from its slug in sources.toml (`source_name`), an
authority's part in its own spelling ("Amber Valley council"). `COLUMNS` says which vocabulary a
column of the queries' output holds, wherever it appears.

Applied just before display, not in the queries: `readable(frame)` is what `ui.dataframe` shows and
what `ui.download_csv` writes (so a table and its CSV read the same), and the chart builders and the
board pack word their categories with `word`. The queries keep the codes, which the page filters,
the disclosure rule and the tests compare with the warehouse. A code no declaration knows is shown
with spaces for its underscores, never as it is.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from etl import schema
from etl.marts import actions, reviews
from etl.rules import authorities

VOCABULARIES: dict[str, dict[str, str]] = {
    "decision": schema.DECISION_LABELS,
    "route": schema.ROUTE_LABELS,
    "review_outcome": schema.REVIEW_OUTCOME_LABELS,
    "appeal_outcome": schema.APPEAL_OUTCOME_LABELS,
    # an `outcome` column is an appeal's or an application's review's: the codes do not clash
    "outcome": {**schema.REVIEW_OUTCOME_LABELS, **schema.APPEAL_OUTCOME_LABELS},
    "grounds": schema.GROUNDS_LABELS,
    "appellant": schema.APPELLANT_LABELS,
    "victim_type": schema.VICTIM_TYPE_LABELS,
    "kind": schema.KIND_LABELS,
    "reason_code": schema.REJECT_REASONS,
    "stage": {s.name: s.label for s in reviews.STAGES},
    "check_code": reviews.STATUTORY_CHECKS,
    "review_type": schema.REVIEW_TYPE_LABELS,
    "decision_reviewed": schema.DECISION_REVIEWED_LABELS,
    "referral_result": schema.REFERRAL_RESULT_LABELS,
    "referral_result_source": {"recorded": "The register", "applications": "The applications"},
    "action_agency": schema.ACTION_AGENCY_LABELS,
    "action_type": schema.ACTION_TYPE_LABELS,
    "action_state": actions.ACTION_STATES,
    "retrigger_kind": actions.RETRIGGER_KINDS,
}
# A column of the queries' output -> the vocabulary of its values ("source": a source's name)
COLUMNS: dict[str, str] = {
    "decision": "decision", "application_decision": "decision",
    "threshold_route": "route", "application_route": "route",
    "outcome": "outcome", "application_outcome": "review_outcome",
    "grounds": "grounds", "appellant": "appellant", "victim_type": "victim_type", "kind": "kind",
    "reason_code": "reason_code", "stage": "stage", "open_stage": "stage", "check_code": "check_code",
    "source": "source", "review_type": "review_type", "decision_reviewed": "decision_reviewed",
    "referral_result": "referral_result", "referral_result_source": "referral_result_source",
    "action_agency": "action_agency", "action_type": "action_type", "action_state": "action_state",
    "retrigger_kind": "retrigger_kind", "review_outcome": "review_outcome",
}
_SOURCE_WORDS = {"opcc": "OPCC", "uk": "UK", "asb": "ASB"}
_AUTHORITY_SLUGS = sorted(((n.lower().replace(" ", "_"), n) for n in authorities.NAME_BY_CODE.values()),
                          key=lambda pair: -len(pair[0]))  # "north_east_derbyshire" before "derby"


def word(vocabulary: str, code) -> str:
    """The words for `code` of a vocabulary (a key of VOCABULARIES, or "source"); a missing value
    stays missing, an unknown code is shown with spaces for its underscores."""
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return code
    if vocabulary == "source":
        return source_name(code)
    return VOCABULARIES[vocabulary].get(code) or str(code).replace("_", " ")


@functools.lru_cache(maxsize=1024)
def source_name(slug: str) -> str:
    """A source's name from its slug: 'amber_valley_council' -> 'Amber Valley council',
    'opcc_appeals' -> 'OPCC appeals', 'trent_peak_homes' -> 'Trent peak homes'."""
    text = str(slug)
    for part, name in _AUTHORITY_SLUGS:
        if text == part or text.startswith(part + "_"):
            return name + text[len(part):].replace("_", " ")
    words = [_SOURCE_WORDS.get(w, w) for w in text.split("_")]
    return " ".join(words)[:1].upper() + " ".join(words)[1:]


_REF_SOURCE = re.compile(r"(^|; )([a-z0-9_]+): ")


def partner_refs(text):
    """A list of partners' references ('derby_council: DCC/1; derbyshire_police: INC-2') with each
    source named in words ('Derby council: DCC/1; Derbyshire police: INC-2')."""
    if not isinstance(text, str):
        return text
    return _REF_SOURCE.sub(lambda m: f"{m.group(1)}{source_name(m.group(2))}: ", text)


_RULE_ID = re.compile(r"^(⚠️ )?([A-Z][0-9]{8})@([0-9]{4}-[0-9]{2}-[0-9]{2})$")
RULE_COLUMNS = ("rule_id", "rule")   # a threshold or review rule's id (`rule` may carry ⚠️ first)


def rule_name(text):
    """A rule's id in words: 'E07000036@2014-10-20' -> 'Erewash rule from 20 Oct 2014' (the
    authority and the day the version applies from; etl/rules/settings.py makes the ids), with a
    leading ⚠️ kept. Any other text (another query's `rule` column: the Partnership page's colour
    rule) or a missing value is returned as it is."""
    found = _RULE_ID.match(text) if isinstance(text, str) else None
    if not found:
        return text
    warn, code, day = found.groups()
    year, month, date = map(int, day.split("-"))
    when = pd.Timestamp(year=year, month=month, day=date)
    return f"{warn or ''}{authorities.NAME_BY_CODE.get(code, code)} rule from {when.day} {when:%b %Y}"


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` with every coded column (COLUMNS) in words, the partners' references with
    their sources named and the rule ids in words (`rule_name`); columns, order and index unchanged."""
    coded = [c for c in frame.columns if c in COLUMNS or c == "partner_refs" or c in RULE_COLUMNS]
    if not coded:
        return frame
    out = frame.copy()
    for column in coded:
        if column == "partner_refs":
            out[column] = out[column].map(partner_refs)
        elif column in RULE_COLUMNS:
            out[column] = out[column].map(rule_name)
        else:
            vocabulary = COLUMNS[column]
            out[column] = out[column].map(lambda code, v=vocabulary: word(v, code))
    return out


# A column's header where a page gives it none (ui.dataframe): the queries' names that are not words
HEADERS: dict[str, str] = {
    "authority_name": "authority", "authority_code": "authority code", "asb_category": "category",
    "asb_type": "type", "location_desc": "location", "lsoa_code": "LSOA", "ward_code": "ward",
    "incident_id": "incident", "source_file": "file", "source_row": "row", "reason_code": "reject",
    "is_hate": "hate", "report_count": "reports", "person_key": "person (pseudonymised)",
}


def header(column) -> str:
    """The header of a query's column: HEADERS, else its name with spaces for its underscores
    ("rows_loaded" -> "rows loaded"); a name that is not text, as it is."""
    if not isinstance(column, str):
        return column
    return HEADERS.get(column, column.replace("_", " "))


def listed(items) -> str:
    """'Ashfield', 'Ashfield and Broxtowe', 'Ashfield, Broxtowe and Gedling' ('' for none)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def counted(n: int, one: str, many: str | None = None) -> str:
    """'1 row', '12 rows', '1,234 entries' (`many` when the plural is not `one` + 's')."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def numbered(names: pd.Series) -> pd.Series:
    """Names made unique in their order: a name that repeats gets its place among its namesakes
    ("Alleyway behind Sherwood Street #2"), as the Hotspots page names its hexagons, so two places
    of one name are never one to a reader (the board pack's busiest places)."""
    names = pd.Series(names, dtype=object)
    repeat = names.groupby(names).cumcount()
    return names.where(repeat == 0, names + " #" + (repeat + 1).astype(str))
