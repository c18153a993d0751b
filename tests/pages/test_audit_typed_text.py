"""Text typed into a search box never reaches the audit log (probe 2, problem 2).

README: typed search text is never logged; the log's filters hold authority codes, dates and the
person key. The Erewash manager types a full postcode, a name with a phone number and a partner's
reference into the Threshold page's search, and the OPCC analyst a postcode into Data quality's
"Contains" box and the Audit page's own "Contains" box. The views and the downloads are logged
with the text's length in its place ("(typed text, N characters)"), and none of the typed text is
anywhere in the audit database's file.
"""

from __future__ import annotations

import sqlite3

import pytest
from support import open_app

from insight.access import audit
from insight.ui import session as ui_access

TYPED = ["DE7 5RP", "John Smith 07700 900123", "EBC-ASB-2026-00001"]
TYPED_QUALITY = "NG10 9DG"
TYPED_AUDIT = "S40 1LP"


def _entries(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("select action, page, what, filters from audit_log order by seq").fetchall()
    finally:
        con.close()


def _everything(path) -> str:
    """Every value of every table of the audit file, and its raw bytes."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("select name from sqlite_master where type = 'table'")]
        text = "\n".join(str(row) for t in tables for row in con.execute(f'select * from "{t}"'))
    finally:
        con.close()
    return text + path.read_bytes().decode("latin-1")


def test__typed_search_text__is_never_stored_in_the_audit_log(monkeypatch, demo_warehouse, audit_file):
    at = open_app(monkeypatch, demo_warehouse, "app_pages/threshold.py", user="erewash")
    for typed in TYPED:
        at.text_input(key="thr_search").input(typed).run()
        assert not at.exception, [e.value for e in at.exception]
    at = open_app(monkeypatch, demo_warehouse, "app_pages/data_quality.py", user="opcc")
    at.text_input(key="dq_text").input(TYPED_QUALITY).run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page("app_pages/audit.py").run()
    at.text_input(key="au_text").input(TYPED_AUDIT).run()
    assert not at.exception, [e.value for e in at.exception]

    rows = _entries(audit_file)
    searched = [f for action, page, what, f in rows if action == "view" and page == "threshold" and '"search"' in f]
    assert searched, rows  # the searches' views are logged ...
    assert any('"(typed text, 7 characters)"' in f for f in searched), searched  # ... with the length only
    assert any('"(typed text, 23 characters)"' in f for f in searched), searched
    assert any(what == "rejects" and '"(typed text, 8 characters)"' in f for _, _, what, f in rows), rows
    stored = _everything(audit_file)
    for typed in [*TYPED, TYPED_QUALITY, TYPED_AUDIT]:
        for part in {typed, typed.replace(" ", ""), *typed.split()}:
            if len(part) >= 5:
                assert part not in stored, part


@pytest.mark.parametrize("value, expected", [
    ("DE7 5RP", "(typed text, 7 characters)"), ("x", "(typed text, 1 character)"), ("", ""), (None, None)])
def test__logged_arguments__free_text_replaced_by_its_length(value, expected):
    logged = ui_access.logged_arguments({"search": value, "as_of": "2026-10-31", "person_codes": ("E07000036",),
                                         "person_key": "p_0123456789abcdef0123", "kind": "ward"})
    assert logged["search"] == expected
    assert logged["person_codes"] == ("E07000036",) and logged["person_key"] == "p_0123456789abcdef0123"
    assert logged["kind"] == "ward"
    # an argument not known to hold a code is treated as typed text (fail closed)
    assert ui_access.logged_arguments({"note": "John Smith"})["note"] == "(typed text, 10 characters)"
    assert "John" not in audit.filters_json(ui_access.logged_arguments({"text": "John Smith"}))
