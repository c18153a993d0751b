"""Workbooks are prepared ahead in a background thread for every source from the extract's start
(etl/sources/readers.py XlsxAhead): each source gets its own reading of a workbook (two sources
reading two sheets of one file), in its own order, a corrupt workbook is that file's error alone,
and the records are the ones a workbook read on its own gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest
from conftest import INCIDENT_COLUMNS, TEST_KEY, write_inputs

from etl.progress import Progress
from etl.sources import config, extract, readers

TOML = """
[[source]]
slug = "police-sheet"
kind = "incidents"
path = "books/*.xlsx"
sheet = "Police"
authority = "E07000036"

[[source]]
slug = "council-sheet"
kind = "incidents"
path = "books/*.xlsx"
sheet = "Council"
authority = "E07000036"

[[source]]
slug = "csv-between"
kind = "incidents"
path = "csv/*.csv"
authority = "E07000036"
"""


def _rows(prefix: str, n: int) -> list[list]:
    return [[f"{prefix}{i}" if c == "incident_ref" else "council" if c == "agency" else
             f"2025-03-{1 + i % 28:02d}" if c == "reported_date" else "personal" if c == "asb_category" else
             "noise" if c == "asb_type" else f"ECN-{prefix}{i % 7}" if c == "person_ref" else None
             for c in INCIDENT_COLUMNS] for i in range(n)]


def _book(path: Path, sheets: dict[str, list[list]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        ws.append(INCIDENT_COLUMNS)
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


@pytest.fixture()
def inputs(tmp_path):
    folder = write_inputs(tmp_path / "in", TOML, {
        "csv/a.csv": ",".join(INCIDENT_COLUMNS) + "\n" + ",".join(
            v or "" for v in _rows("C", 1)[0]) + "\n",
        "books/zz_corrupt.xlsx": b"PK\x03\x04 not really a workbook"})
    _book(folder / "books" / "a.xlsx", {"Police": _rows("PA", 40), "Council": _rows("CA", 25)})
    _book(folder / "books" / "b.xlsx", {"Police": _rows("PB", 3), "Council": _rows("CB", 7)})
    return folder


def test__workbooks_ahead__each_source_reads_its_own_sheet_once(inputs):
    cfg = config.load(inputs)
    con = duckdb.connect()
    hashes = {p: extract.sha256_file(p) for s in cfg.sources for p in s.files(cfg.inputs)}
    loads = extract.extract(con, cfg, "load", TEST_KEY.encode(), hashes, Progress(enabled=False))
    got = {(x.source.slug, x.path): (x.rows_read, x.error is not None) for x in loads}
    assert got == {("police_sheet", "books/a.xlsx"): (40, False), ("police_sheet", "books/b.xlsx"): (3, False),
                   ("police_sheet", "books/zz_corrupt.xlsx"): (0, True),
                   ("council_sheet", "books/a.xlsx"): (25, False), ("council_sheet", "books/b.xlsx"): (7, False),
                   ("council_sheet", "books/zz_corrupt.xlsx"): (0, True), ("csv_between", "csv/a.csv"): (1, False)}
    police = con.execute("select source_file, source_row, incident_ref from raw_police_sheet__incidents").fetchall()
    assert sorted(police) == sorted([("books/a.xlsx", n + 2, f"PA{n}") for n in range(40)]
                                    + [("books/b.xlsx", n + 2, f"PB{n}") for n in range(3)])
    council = {r[0] for r in con.execute("select incident_ref from raw_council_sheet__incidents").fetchall()}
    assert council == {f"CA{n}" for n in range(25)} | {f"CB{n}" for n in range(7)}
    # the same frame as a workbook prepared on its own, here, in the main thread
    source = next(s for s in cfg.sources if s.slug == "council_sheet")
    alone = readers.prepare_xlsx(inputs / "books" / "a.xlsx", source)
    assert alone.sheet == "Council" and alone.frame.num_rows == 25 and alone.headers == INCIDENT_COLUMNS


def test__workbooks_ahead__a_few_wait_at_a_time(inputs, monkeypatch):
    """At most `ahead` prepared workbooks wait to be taken, whatever their number."""
    cfg = config.load(inputs)
    started = []
    monkeypatch.setattr(readers, "prepare_xlsx", lambda path, source: started.append((path.name, source.slug)))
    items = [(p, s) for s in cfg.sources for p in s.files(cfg.inputs) if p.suffix == ".xlsx"]
    ahead = readers.XlsxAhead(items, ahead=2)
    try:
        assert len(ahead._futures) == 2
        first = ahead.take(items[0][0], items[0][1])
        first.result()
        assert len(ahead._futures) == 2   # one taken, the next started
        # the same file for another source is its own reading (not started yet: the fourth)
        assert items[3][0] == items[0][0] and ahead.take(items[3][0], items[3][1]) is None
    finally:
        ahead.close()
    assert started[0] == (items[0][0].name, items[0][1].slug)
