"""`asb report` (insight/board_pack/cli.py), the board pack's command, on the demo warehouse: one
authority, the files it writes and what it says; the months, authorities and warehouses it
refuses, with the reason; the month arithmetic behind --month.
"""

from __future__ import annotations

import io
import shutil
from datetime import timedelta

import duckdb
import pytest
from pptx import Presentation

from insight import cli
from insight.board_pack import data as report_data
from insight.board_pack import pack as report
from insight.board_pack import slides as report_slides


@pytest.fixture(scope="module")
def month(demo_warehouse) -> report_data.Month:
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        return report_data.default_month(con.execute("select max(as_of_date) from etl_builds").fetchall()[0][0])


def test__cli__report_for_one_authority_with_its_pdf(demo_warehouse, month, tmp_path, capsys):
    if not report.libreoffice():
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-impress)")
    out = tmp_path / "erewash.pptx"
    code = cli.main(["report", "--month", month.key, "--out", str(out), "--warehouse", str(demo_warehouse),
                     "--authority", "Erewash", "--pdf"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert f"board pack for {month.label}, 1 authority:" in printed.out
    assert f"-> {out} and {out.with_suffix('.pdf')} in" in printed.out
    assert out.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    deck = Presentation(str(out))
    chart = next(s.chart for s in deck.slides[2].shapes if s.has_chart)
    assert [c.split(" ")[0] for c in chart.plots[0].categories] == ["Erewash"]
    subtitle = [s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame]
    assert "Monthly board pack for Erewash" in subtitle


@pytest.mark.parametrize("arguments, message", [
    (["--month", "2099-01"], "starts after the warehouse's as-of date"),
    (["--month", "2026-13"], "is not a month"),
    (["--month", "2026-01", "--authority", "Gotham"], "is not one of the nine authorities"),
])
def test__cli__refuses_what_it_cannot_make(demo_warehouse, tmp_path, capsys, arguments, message):
    argv = ["report", "--out", str(tmp_path / "x.pptx"), "--warehouse", str(demo_warehouse), *arguments]
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse refuses a bad value itself
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.pptx").exists()


def test__cli__an_older_warehouse_is_refused_with_a_hint(demo_warehouse, month, tmp_path, capsys):
    old = tmp_path / "old.duckdb"
    shutil.copy(demo_warehouse, old)
    with duckdb.connect(str(old)) as con:
        con.execute("drop table mart_statutory_returns")
    code = cli.main(["report", "--month", month.key, "--out", str(tmp_path / "x.pptx"), "--warehouse", str(old)])
    assert code == 2 and "rebuild it with `asb build`" in capsys.readouterr().err


def test__month__arithmetic_and_financial_year():
    m = report_data.Month.parse("2026-01")
    assert (m.end, m.shift(-1).label, m.shift(-12).key) == (m.start + timedelta(days=30), "December 2025", "2025-01")
    assert m.financial_year_start.isoformat() == "2025-04-01"
    assert report_data.Month.parse("2026-04").financial_year_start.isoformat() == "2026-04-01"
    assert report_data.default_month(m.end).key == "2026-01"
    assert report_data.default_month(m.end - timedelta(days=1)).key == "2025-12"


def test__cli__a_month_before_the_first_incident_is_refused(demo_warehouse, tmp_path, capsys):
    code = cli.main(["report", "--month", "1990-01", "--out", str(tmp_path / "x.pptx"),
                     "--warehouse", str(demo_warehouse)])
    assert code == 2 and "ends before the warehouse's first incident" in capsys.readouterr().err
    assert not (tmp_path / "x.pptx").exists()


def test__cli__a_file_that_is_no_warehouse_is_one_error_line(tmp_path, capsys):
    for content in (b"", b"not a database\n"):
        bad = tmp_path / "bad.duckdb"
        bad.write_bytes(content)
        code = cli.main(["report", "--month", "2026-01", "--out", str(tmp_path / "x.pptx"), "--warehouse", str(bad)])
        assert code == 2 and "cannot be opened as a warehouse" in capsys.readouterr().err


def test__pack__authorities_without_incidents_that_month_make_a_pack_that_says_so(demo_warehouse, month, tmp_path):
    """A partner with nothing in the month (one that joined later, an empty export): every chart of
    its pack is a sentence instead (python-pptx cannot draw a chart of no categories)."""
    copy = tmp_path / "w.duckdb"
    shutil.copy(demo_warehouse, copy)
    erewash = "E07000036"
    with duckdb.connect(str(copy)) as con:
        con.execute("delete from incidents where authority_code = ?", [erewash])
    earlier = month.shift(-2)  # another month than the build's: its marts are evaluated from incidents
    pack = report.make_pack(copy, earlier, (erewash,))
    deck = Presentation(io.BytesIO(pack.pptx))
    said = [s.text_frame.text for slide in deck.slides for s in slide.shapes if s.has_text_frame]
    assert any(report_slides.NO_DATA in text for text in said)
    assert f"No place had ASB in the year to {earlier.end:%-d %b %Y}" in said and not any(" the 0 " in t for t in said)


@pytest.mark.parametrize("case", ["commentary missing", "commentary not text", "out is a folder", "out unwritable",
                                  "out not pptx", "out pdf", "pdf is a folder"])
def test__cli__files_it_cannot_read_or_write_are_one_error_line(demo_warehouse, month, tmp_path, capsys, case):
    out, extra = tmp_path / "x.pptx", []
    if case == "commentary missing":
        extra = ["--commentary-file", str(tmp_path / "absent.txt")]
    elif case == "commentary not text":
        (tmp_path / "notes.txt").write_bytes(b"\xff\xfe\x00 not utf-8 \xc3")
        extra = ["--commentary-file", str(tmp_path / "notes.txt")]
    elif case == "out is a folder":
        out = tmp_path
    elif case == "out not pptx":  # a PowerPoint file under another name: refused before the pack is made
        out = tmp_path / "pack.txt"
    elif case == "out pdf":  # the PDF is asked for with --pdf, beside the pptx
        out = tmp_path / "pack.pdf"
    elif case == "pdf is a folder":   # refused before anything is made or replaced
        (tmp_path / "x.pdf").mkdir()
        extra = ["--pdf"]
    else:
        (tmp_path / "file").write_text("a file, not a folder")
        out = tmp_path / "file" / "x.pptx"
    code = cli.main(["report", "--month", month.key, "--out", str(out), "--warehouse", str(demo_warehouse), *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("asb: error:") and len(err.strip().splitlines()) == 1, err
    assert not list(tmp_path.glob("*.pptx")) and not list(tmp_path.glob("pack.*"))
    if case.startswith("out ") and "folder" not in case and "unwritable" not in case:
        assert "name it with .pptx" in err
    if case == "pdf is a folder":
        assert "x.pdf is a folder" in err


def test__commentary__control_characters_do_not_reach_the_slide(demo_warehouse, month, tmp_path):
    """Text pasted from a terminal or another program can hold control characters (NUL, a vertical
    tab, an ANSI colour code) and bidirectional overrides: python-pptx wrote them as `_x0000_` and
    `_x001B_[31m` on the slide, and an override can make the text read backwards. They are dropped;
    line breaks, tabs, accents and emoji stay."""
    notes = "Line one\x0bwith a tab\there\x00, a \x1b[31mcolour\x1b[0m and \u202eevil\u202c.\n\nCafé ✓ 😀"
    pack = report.make_pack(demo_warehouse, month, ("E07000036",), notes)
    deck = Presentation(io.BytesIO(pack.pptx))
    box = next(s for slide in deck.slides for s in slide.shapes if s.name == "Commentary")
    assert box.text_frame.text == "Line one\nwith a tab\there, a colour and evil.\n\nCafé ✓ 😀"
    # and in the same pack (one authority's): no chart names two of its bars alike; the demo's
    # Erewash has two busiest places of one name (the UX audit of 7 December: "Alleyway behind
    # Sherwood Street, Erewash" twice on the busiest places' slide)
    for slide in deck.slides:
        for chart in (shape.chart for shape in slide.shapes if shape.has_chart):
            categories = [str(c) for c in chart.plots[0].categories]
            assert len(categories) == len(set(categories)), categories


def test__pictures__each_render_returns_its_own_figure_while_the_warm_up_runs():
    """`asb report` warms Chromium up with a tiny figure in a thread while it gathers the figures;
    kaleido's one server then took two renders at once and could hand the warm-up's 25x25 picture
    to the map slide (a blank map in 6 of 17 packs, found by a black-box audit). Renders now take
    turns: each call gets the picture of its own figure."""
    import struct
    import threading

    import plotly.graph_objects as go

    from insight.board_pack import map_slide

    def size(png: bytes) -> tuple[int, int]:
        return struct.unpack(">II", png[16:24])

    got: list = []
    with map_slide.chromium_started():
        threads = [threading.Thread(target=lambda: got.append(("small", size(map_slide.to_png(
            go.Figure(layout={"width": 10, "height": 10}), scale=1))))) for _ in range(3)]
        for thread in threads:
            thread.start()
        for _ in range(3):
            got.append(("large", size(map_slide.to_png(go.Figure(layout={"width": 300, "height": 200}), scale=1))))
        for thread in threads:
            thread.join()
    assert sorted(set(got)) == [("large", (300, 200)), ("small", (10, 10))], got


@pytest.mark.parametrize("command, change", [
    (["export", "return", "--year", "2025/26"], "drop table mart_second_reports"),
    (["export", "parquet"], "drop table etl_builds"),
    (["report", "--month", "2026-03"], "alter table appeals drop column review_type"),
])
def test__cli__a_warehouse_of_an_older_build_is_one_error_line(demo_warehouse, tmp_path, capsys, command, change):
    """A warehouse an older version built lacks a table or a column: each command says so in one
    line with the cure, never a traceback (found by a black-box audit of the exports)."""
    old = tmp_path / "old.duckdb"
    shutil.copy(demo_warehouse, old)
    with duckdb.connect(str(old)) as con:
        con.execute(change)
    out = tmp_path / ("x.pptx" if command[0] == "report" else "out")
    code = cli.main([*command, "--out", str(out), "--warehouse", str(old)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("asb: error:") and "rebuild it with `asb build`" in err, err
    assert not out.exists()


def test__cli__a_map_that_cannot_be_drawn_leaves_a_complete_pack_that_says_so(demo_warehouse, month, tmp_path,
                                                                              capsys, monkeypatch):
    """kaleido's browser stuck for good (tests/unit/test_map_picture.py): `asb report` waited for
    ever. Now each picture is given up after RENDER_SECONDS and tried once more; when that fails
    too, the pack is written with every other slide, the map slide's table and a line where the
    map would be, and the command warns on standard error (exit 0: the figures are right)."""
    import asyncio

    import kaleido

    from insight.board_pack import map_slide

    async def never(self, *args, **kwargs):
        await asyncio.sleep(3600)

    monkeypatch.setattr(kaleido.Kaleido, "calc_fig", never)
    monkeypatch.setattr(map_slide, "RENDER_SECONDS", 3.0, raising=False)
    out = tmp_path / "pack.pptx"
    code = cli.main(["report", "--month", month.key, "--out", str(out), "--warehouse", str(demo_warehouse)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "asb: warning: the hot-spot map was not drawn" in printed.err and "make the pack again" in printed.err
    deck = Presentation(str(out))
    [slide] = [s for s in deck.slides if "hot" in s.shapes.title.text_frame.text.lower()]
    texts = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert "The map could not be drawn" in texts
    assert not [s for s in slide.shapes if s.shape_type == 13]   # no picture
    assert any(s.has_table for s in slide.shapes)
