"""Words for codes (insight/labels.py) and download buttons that count in the right number.

Every code of every closed list has words, taken from its declaration (etl/schema.py, the stages and
statutory checks of etl/marts/reviews.py), distinct within the list and never a code themselves;
every reject reason the build can write is declared; a source is named from its slug; a table and
its CSV get the same words, rows and order; and a download button says "1 row" and "12 rows".
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from etl import schema
from etl.marts import reviews
from etl.transform import stage
from insight import labels, ui

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(labels.VOCABULARIES))
def test__every_vocabulary__has_distinct_words_that_are_not_codes(name):
    words = labels.VOCABULARIES[name]
    assert words and all(w and "_" not in w and (w[0].isupper() or w == "police.uk") for w in words.values()), words
    assert len(set(words.values())) == len(words), words


def test__closed_lists__are_the_keys_of_their_words():
    """One declaration: each list of codes is its words' keys, in the same order."""
    for codes, words in ((schema.DECISIONS, schema.DECISION_LABELS), (schema.ROUTES, schema.ROUTE_LABELS),
                         (schema.REVIEW_OUTCOMES, schema.REVIEW_OUTCOME_LABELS),
                         (schema.GROUNDS, schema.GROUNDS_LABELS), (schema.APPEAL_OUTCOMES, schema.APPEAL_OUTCOME_LABELS),
                         (schema.APPELLANTS, schema.APPELLANT_LABELS), (schema.VICTIM_TYPES, schema.VICTIM_TYPE_LABELS)):
        assert codes == tuple(words)
    assert set(schema.KIND_LABELS) == set(schema.INPUTS)
    assert labels.VOCABULARIES["stage"] == {s.name: s.label for s in reviews.STAGES}


def test__every_reject_reason_the_build_writes__is_declared():
    written = {code for kind in schema.INPUTS for _, code, _ in stage._checks(kind, schema.KEYS[kind])}
    for path in ("etl/transform/locate.py", "etl/transform/publish.py", "etl/build.py"):
        text = (ROOT / path).read_text(encoding="utf-8")
        written |= set(re.findall(r"'code': '([a-z_]+)'", text))       # locate: {'code': 'unplaceable', ...}
        written |= set(re.findall(r"\"'([a-z_]+)'\", \"format", text))  # publish: "'duplicate_key'", "format(...)"
        written |= set(re.findall(r"reject_code = '([a-z_]+)'", text))  # build: the appeals of rejected applications
        written |= set(re.findall(r"^\s+'(malformed_row)'", text, re.M))
    assert {"bad_date", "unplaceable", "duplicate_key", "unknown_application", "malformed_row"} <= written
    assert written - set(schema.REJECT_REASONS) == set()


def test__statutory_checks__every_code_the_mart_writes_is_declared():
    sql = (ROOT / "etl/sql/marts/mart_statutory_exceptions.sql").read_text(encoding="utf-8")
    written = set(re.findall(r"'([a-z_]+)'(?: as check_code)?,\s*'(?:contradiction|note)'", sql))
    written |= set(re.findall(r"'([a-z_]+)' as check_code", sql))
    assert written and written == set(reviews.STATUTORY_CHECKS)


@pytest.mark.parametrize("slug, name", [
    ("amber_valley_council", "Amber Valley council"), ("north_east_derbyshire_council", "North East Derbyshire council"),
    ("derbyshire_dales_council", "Derbyshire Dales council"), ("derby_case_reviews", "Derby case reviews"),
    ("derbyshire_police", "Derbyshire police"), ("opcc_appeals", "OPCC appeals"), ("trent_peak_homes", "Trent peak homes"),
    ("derby", "Derby")])
def test__source_name__from_its_slug(slug, name):
    assert labels.source_name(slug) == name


def test__partner_refs__each_source_named_once_not_once_per_reference():
    """Issue 16, item 8: the Threshold page's four lists hold some 30,000 references, each named
    by its source's slug; the slug's words are worked out once per source (they took 0.2-0.3 s
    of every run of the page)."""
    labels.source_name.cache_clear()
    refs = "; ".join(f"derbyshire_police: INC-{i}; amber_valley_council: AVC/{i}" for i in range(500))
    named = labels.partner_refs(refs)
    assert named.count("Derbyshire police: INC-") == named.count("Amber Valley council: AVC/") == 500
    assert labels.source_name.cache_info().misses == 2

def test__readable__words_for_codes_same_rows_same_order():
    frame = pd.DataFrame({
        "appeal_ref": ["A_1", "A_2", "A_3"], "outcome": ["partially_upheld", None, "not_upheld"],
        "grounds": ["review_process", "threshold_decision", "action_plan_delivery"],
        "application_decision": ["not_met", "met", "some_new_code"], "source": ["amber_valley_council"] * 3,
        "partner_refs": ["derby_council: DCC/1; derbyshire_police: INC-2 (case C_1)", None, "x"],
        "stage": ["decision_notice", "total", "review"], "count": [1, 2, 3]}, index=[5, 3, 9])
    out = labels.readable(frame)
    assert list(out.index) == [5, 3, 9] and list(out.columns) == list(frame.columns)
    assert out["outcome"].tolist()[::2] == ["Partially upheld", "Not upheld"] and pd.isna(out["outcome"].iloc[1])
    assert out["grounds"].tolist() == ["Review process", "Threshold decision", "Action plan delivery"]
    assert out["application_decision"].tolist() == ["Not met", "Met", "some new code"]  # unknown: never raw
    assert set(out["source"]) == {"Amber Valley council"}
    assert out["partner_refs"].iloc[0] == "Derby council: DCC/1; Derbyshire police: INC-2 (case C_1)"
    assert out["stage"].tolist() == ["Decision told", "Whole process", "Review meeting"]
    assert out["appeal_ref"].tolist() == ["A_1", "A_2", "A_3"] and out["count"].tolist() == [1, 2, 3]
    assert frame["outcome"].iloc[0] == "partially_upheld"  # the query's frame keeps its codes


def test__csv_download__has_the_words_the_table_shows():
    frame = pd.DataFrame({"decision": ["not_met"], "reason_code": ["bad_date"], "note": ["=1+1"]})
    text = ui.safe_csv(frame).decode("utf-8-sig")
    assert "Not met" in text and "Not a date" in text and "'=1+1" in text and "not_met" not in text


@pytest.mark.parametrize("count, one, many, label", [
    (0, "row", None, "Download 0 rows as CSV"), (1, "row", None, "Download 1 row as CSV"),
    (12, "row", None, "Download 12 rows as CSV"), (1234, "appeal", None, "Download 1,234 appeals as CSV"),
    (1, "entry", "entries", "Download 1 entry as CSV"), (2, "entry", "entries", "Download 2 entries as CSV")])
def test__download_label__counts_in_the_right_number(count, one, many, label):
    assert ui.download_label(count, one, many) == label


def test__every_page__labels_its_downloads_with_the_one_helper():
    """No page writes its own 'Download N rows' label: ui.download_csv counts (ui.download_label)."""
    for page in sorted((ROOT / "app_pages").glob("*.py")):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"Download \{len\(", text), page.name
        assert "st.download_button(" not in text or page.name == "board_pack.py", page.name


def test__numbered__a_repeated_name_gets_its_place_among_its_namesakes():
    import pandas as pd

    from insight.labels import numbered

    got = numbered(pd.Series(["Alley, Erewash", "Park, Erewash", "Alley, Erewash", "Alley, Erewash"]))
    assert got.tolist() == ["Alley, Erewash", "Park, Erewash", "Alley, Erewash #2", "Alley, Erewash #3"]
    assert numbered(pd.Series([], dtype=object)).tolist() == []


@pytest.mark.parametrize("code, words", [
    ("E07000036@2014-10-20", "Erewash rule from 20 Oct 2014"),
    ("⚠️ E06000015@2025-01-01", "⚠️ Derby rule from 1 Jan 2025"),
    ("E09000001@2024-04-01", "E09000001 rule from 1 Apr 2024"),     # not one of the nine: its code
    ("above the county median: green", "above the county median: green"),   # another `rule` column's text
    (None, None),
])
def test__rule_name__a_rule_id_in_words(code, words):
    """Rule ids (`E07000036@2014-10-20`) were shown as they are stored on the Threshold and
    Turnaround pages (the UX audit of 7 December 2026)."""
    assert labels.rule_name(code) == words


def test__readable__rule_columns_in_words_other_rule_texts_unchanged():
    frame = pd.DataFrame({"rule_id": ["E07000036@2014-10-20", None], "rule": ["⚠️ E07000033@2025-06-01", "x"]})
    out = labels.readable(frame)
    assert out["rule_id"].iloc[0] == "Erewash rule from 20 Oct 2014" and pd.isna(out["rule_id"].iloc[1])
    assert list(out["rule"]) == ["⚠️ Bolsover rule from 1 Jun 2025", "x"]
    assert frame["rule_id"].iloc[0] == "E07000036@2014-10-20"   # the query's frame keeps the ids
