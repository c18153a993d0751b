"""Words that mean one thing (issue 16, item 2), on every page as a person sees it.

A walk per role opens every page of the role's navigation on the demo warehouse, every analysis
tab, a selected map area and a selected person on the threshold page, and keeps what is shown:
the tiles (label and help), the tables, the charts and the download buttons. Then:
- every tile is a glossary term: its label the term's name, its help the term's definition
  (insight/glossary.py), and one label always comes with one definition;
- no table cell, column header or chart shows a raw code of a closed vocabulary (`not_met`,
  `partially_upheld`, a reject reason such as `bad_date`, a source such as `amber_valley_council`,
  `load_id`): the words come from insight/labels.py;
- every download button that counts its rows says so in the right number ("1 row", "12 rows").
The walks run once per test module (the OPCC analyst, who sees every page and list, and the board
viewer, who gets the counts under the disclosure rule).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd
import pytest
from support import open_app

from etl import schema
from etl.marts import actions, reviews
from insight import glossary
from insight.access import auth
from insight.access import roles as access

ANALYSIS_TABS = {"app_pages/maps.py": ("analysis", ("Hot spots", "Concentration", "Accuracy", "Near repeats")),
                 "app_pages/turnaround.py": ("rt_analysis", ("Within the limits", "Working days per stage",
                                                             "One stage in detail", "Open cases by age",
                                                             "From application to appeal")),
                 "app_pages/threshold.py": ("thr_analysis", ("By authority", "Explained in time", "Over time",
                                                             "Community route", "Rules"))}
# The codes the issue saw on screen, and every other code of the closed vocabularies that is not
# already a plain word (the reject reasons and sources are read from the warehouse below).
SEEN = {"not_met", "review_process", "partially_upheld", "amber_valley_council", "bad_date", "load_id"}
DECLARED = {c for vocabulary in (schema.DECISIONS, schema.REVIEW_OUTCOMES, schema.GROUNDS, schema.APPEAL_OUTCOMES,
                                 schema.VICTIM_TYPES, tuple(schema.INPUTS), tuple(s.name for s in reviews.STAGES),
                                 schema.ACTION_AGENCIES, schema.ACTION_TYPES, tuple(actions.ACTION_STATES))
            for c in vocabulary if "_" in c}
# Columns of identifiers and references, shown as the systems hold them ("derby_council:DCC/1")
IDENTIFIER = re.compile(r"(_id|_ids|_ref|_key|_file|_cell)$")
# Tables that show a partner's own values as the file held them (the rejected rows, whose reason
# names the codes the file should have sent): only the columns before the reason are ours to word.
RAW_VALUES_FROM = {"source_row": "reason"}
# The audit log records the queries and filters as they ran, for the OPCC analyst.
AS_RECORDED = ("app_pages/audit.py",)


@dataclass
class Seen:
    """What one walk showed: (page, label, help) of each tile, (page, header, frame) of each table,
    (page, spec) of each chart, (page, label) of each download button."""
    tiles: list[tuple[str, str, str]] = field(default_factory=list)
    tables: list[tuple[str, list[str], pd.DataFrame]] = field(default_factory=list)
    charts: list[tuple[str, str]] = field(default_factory=list)
    downloads: list[tuple[str, str]] = field(default_factory=list)


def _pages(user: str) -> list[str]:
    """The pages in this demo user's navigation (insight/access/roles.py PAGES), as script paths."""
    _, _, role, authority, name = auth.DEMO_USERS[user]
    viewer = access.Viewer(user, role, authority, name)
    return [f"app_pages/{url}.py" for url in access.PAGES if url and access.may_open(viewer, url)]


def _headers(element) -> list[str]:
    """The column headers a table shows: the configured label, else the column's own name."""
    config = json.loads(element.proto.columns or "{}")
    frame = element.value
    order = list(element.proto.column_order) or list(frame.columns)
    shown = []
    for name in order:
        column = config.get(f"col:name:{name}") or config.get(name) or {}
        if column.get("hidden") or name not in frame.columns:
            continue
        shown.append(column.get("label") or name)
    return shown


def _keep(seen: Seen, page: str, at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    seen.tiles += [(page, m.label, m.help) for m in at.metric]
    seen.tables += [(page, _headers(d), d.value) for d in at.dataframe]
    seen.charts += [(page, c.proto.spec) for c in at.get("plotly_chart")]
    seen.downloads += [(page, b.proto.label) for b in at.get("download_button")]


def _walk(monkeypatch, warehouse, user: str) -> Seen:
    seen = Seen()
    at = open_app(monkeypatch, warehouse, user=user)
    for page in _pages(user):
        at.switch_page(page).run()
        _keep(seen, page, at)
        if page == "app_pages/maps.py":  # a selected area: its tiles, trend and busiest places
            at.selectbox(key="mp_area_h3_9").select_index(0).run()
            _keep(seen, page, at)
        if page == "app_pages/threshold.py":  # each list's tab, and a selected person's complaints
            for label in ("One complaint short", "Met, no application", "Second reports"):
                at.session_state["thr_list"] = label
                at.run()
                _keep(seen, page, at)
            at.session_state["thr_list"] = "One complaint short"
            at.session_state["thr_worklist"] = {"selection": {"rows": [0]}}
            at.run()
            _keep(seen, page, at)
        if page == "app_pages/data_quality.py" and [w for w in at.multiselect if w.key == "dq_reason"]:
            # one reason with a single rejected row: the download button counts 1 row
            counts = next(d.value for d in at.dataframe if "rows_rejected" in d.value.columns
                          and "reason_code" in d.value.columns and "source" in d.value.columns)
            single = counts.groupby("reason_code")["rows_rejected"].sum()
            single = single[single == 1]
            if len(single):
                options = at.multiselect(key="dq_reason").options
                reason = next(o for o in options if o == single.index[0] or o == _word(single.index[0]))
                at.multiselect(key="dq_reason").set_value([reason]).run()
                _keep(seen, page, at)
        if page in ANALYSIS_TABS:
            key, tabs = ANALYSIS_TABS[page]
            for tab in tabs[1:]:
                at.session_state[key] = tab
                at.run()
                _keep(seen, page, at)
            at.session_state[key] = tabs[0]
    return seen


def _word(code: str) -> str:
    """The words for a reject reason when the labels exist (the options may be codes or words)."""
    try:
        from insight import labels
    except ImportError:
        return code
    return labels.word("reason_code", code)


@pytest.fixture(scope="module")
def walks(demo_warehouse):
    """{user: Seen} for the OPCC analyst and the board viewer."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        return {user: _walk(monkeypatch, demo_warehouse, user) for user in ("opcc", "board")}


@pytest.fixture(scope="module")
def raw_codes(demo_warehouse) -> set[str]:
    """Every code a person must not see: the issue's, the declared vocabularies', and the reject
    reasons and source names this warehouse holds."""
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        found = {r[0] for r in con.execute("select reason_code from etl_rejects union select source from etl_loads")
                 .fetchall()}
    return SEEN | DECLARED | {c for c in found if "_" in c}


def _codes_in(text: str, codes: set[str]) -> set[str]:
    return {t for t in re.split(r"[^A-Za-z0-9_]+", text) if t in codes}


# --- one name and one definition per measure -------------------------------------------------------

@pytest.mark.parametrize("user", ["opcc", "board"])
def test__every_tile__is_a_glossary_term_with_its_definition_as_help(walks, user):
    seen = walks[user].tiles
    assert len({page for page, _, _ in seen}) >= 4, "the walk saw too few pages with tiles"
    by_name = {t.name: t for t in glossary.TERMS.values()}
    wrong = [(page, label) for page, label, _ in seen if label not in by_name]
    assert wrong == [], "tiles whose label is not a glossary name"
    undefined = [(page, label, help_) for page, label, help_ in seen if help_ != by_name[label].definition]
    assert undefined == [], "tiles whose help is not the glossary's definition"


def test__one_label__one_definition_across_pages_and_roles(walks):
    helps: dict[str, set[str]] = {}
    for seen in walks.values():
        for _, label, help_ in seen.tiles:
            helps.setdefault(label, set()).add(help_)
    assert {label: h for label, h in helps.items() if len(h) > 1} == {}


def test__glossary__names_are_distinct_and_fit_a_tile():
    names = [t.name for t in glossary.TERMS.values()]
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    assert [n for n in names if len(n) > glossary.MAX_NAME] == []
    assert all(t.definition.endswith(".") and t.definition[0].isupper() for t in glossary.TERMS.values())
    assert all(key == t.key for key, t in glossary.TERMS.items())


def test__threshold_met__three_measures_three_names():
    """The Overview's decisions, the funnel's applications and the threshold page's people (issue 16)."""
    names = {glossary.name(k) for k in ("threshold_met", "funnel_met", "met_people")}
    assert len(names) == 3 and "Threshold met" not in names


# --- words, not codes -----------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["opcc", "board"])
def test__no_table__shows_a_raw_code(walks, raw_codes, user):
    found = []
    for page, headers, frame in walks[user].tables:
        if page in AS_RECORDED:
            continue
        found += [(page, "header", h) for h in headers if _codes_in(h, raw_codes)]
        columns = list(frame.columns)
        for marker, first in RAW_VALUES_FROM.items():
            if marker in columns and first in columns:
                columns = columns[:columns.index(first)]
        for column in columns:
            if IDENTIFIER.search(str(column)):
                continue
            if frame[column].dtype != object and not pd.api.types.is_string_dtype(frame[column]):
                continue
            for cell in frame[column].dropna().astype(str).unique():
                if codes := _codes_in(cell, raw_codes):
                    found.append((page, column, cell[:80], sorted(codes)))
    found = list({(f[0], f[1]): f for f in found}.values())  # one example per page and column
    assert found == []


@pytest.mark.parametrize("user", ["opcc", "board"])
def test__no_chart__shows_a_raw_code(walks, raw_codes, user):
    found = []
    for page, spec in walks[user].charts:
        figure = json.loads(spec)
        for trace in figure.get("data", []):
            for part in ("x", "y", "name", "text", "labels"):
                values = trace.get(part)
                values = [values] if isinstance(values, str) else values if isinstance(values, list) else []
                found += [(page, part, v) for v in values if isinstance(v, str) and _codes_in(v, raw_codes)]
    found = list({(f[0], f[1]): f for f in found}.values())  # one example per page and part
    assert found == []


# --- downloads count in the right number ----------------------------------------------------------

COUNTED = re.compile(r"^Download ([\d,]+) (\S+)")


@pytest.mark.parametrize("user", ["opcc", "board"])
def test__download_buttons__count_in_the_right_number(walks, user):
    counted = [(page, label, COUNTED.match(label)) for page, label in walks[user].downloads]
    counted = [(page, label, int(m.group(1).replace(",", "")), m.group(2)) for page, label, m in counted if m]
    if user == "opcc":
        assert any(n == 1 for _, _, n, _ in counted), "the walk met no list of one row"
    wrong = [(page, label) for page, label, n, noun in counted
             if (n == 1) == (noun.endswith("s") or noun == "entries")]
    assert wrong == []
