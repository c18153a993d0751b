"""The "Board pack" page (app_pages/board_pack.py) in AppTest on the demo warehouse: month chooser
defaulting to the latest whole month, authorities from the sidebar, the commentary box, and after
"Make the pack" the slide previews and the download buttons, whose pptx is the same pack the
command makes (same titles, the commentary in its text box).
"""

from __future__ import annotations

import io

import pytest
from pptx import Presentation
from support import open_app

from insight.board_pack import pack as report

PAGE = "app_pages/board_pack.py"


@pytest.fixture(scope="module")
def made(demo_warehouse):
    mp = pytest.MonkeyPatch()
    at = open_app(mp, demo_warehouse, PAGE, timeout=300, authority="E07000036")
    yield at
    mp.undo()


def test__page__offers_the_latest_whole_month_and_the_sidebar_authorities(made):
    month = made.selectbox(key="bp_month")
    assert month.value.label == "October 2026"
    assert month.options[0] == "October 2026" and "November 2023" in month.options
    assert any("For Erewash" in c.value for c in made.caption)
    assert not made.get("download_button")


def test__page__makes_the_pack_with_previews_and_downloads(made):
    made.text_area(key="bp_commentary").input("Erewash is quiet this month.")
    made.button(key="bp_make").click().run(timeout=300)
    assert not made.exception, [e.value for e in made.exception]
    labels = [b.proto.label for b in made.get("download_button")]
    assert labels == ["Download the pptx", "Download the PDF"] if report.libreoffice() else ["Download the pptx"]
    pack, pages = made.session_state["bp_result"][1:]
    assert made.subheader[0].value == f"October 2026: {len(pack.titles)} slides"
    deck = Presentation(io.BytesIO(pack.pptx))
    assert tuple(s.shapes.title.text_frame.text for s in deck.slides) == pack.titles
    commentary = next(s for s in deck.slides[-1].shapes if s.name == "Commentary")
    assert commentary.text_frame.text == "Erewash is quiet this month."
    chart = next(s.chart for s in deck.slides[2].shapes if s.has_chart)
    assert [c.split(" ")[0] for c in chart.plots[0].categories] == ["Erewash"]
    if report.libreoffice():
        captions = sorted((c for image in made.image for c in image.captions),  # one a row
                          key=lambda c: int(c.split(".")[0]))
        assert len(pages) == len(pack.titles)
        assert captions == [f"{i}. {t}" for i, t in enumerate(pack.titles, start=1)]


def test__page__a_changed_choice_asks_to_make_it_again(made):
    if "bp_result" not in made.session_state:   # a worker of its own (pytest-xdist): the pack made here first
        made.button(key="bp_make").click().run(timeout=300)
    made.text_area(key="bp_commentary").input("Something else.").run()
    assert any("make it again" in w.value for w in made.warning)


def test__page__each_download_of_the_pack_is_an_export_in_the_audit_log(made, monkeypatch, audit_file):
    """The pptx and the PDF leave the dashboard for the board: each download is logged as an export
    (user, page, file name, month and authorities) before the file is served."""
    import sqlite3

    from insight.ui import session as ui_access

    def exports() -> list[dict]:
        if not audit_file.exists():
            return []
        with sqlite3.connect(audit_file) as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("select * from audit_log where action = 'export' order by seq")]

    served = {}
    original = ui_access.export_file

    def capture(data, file_name, arguments, mimetype):
        served[file_name] = original(data, file_name, arguments, mimetype)
        return served[file_name]

    monkeypatch.setattr(ui_access, "export_file", capture)
    made.text_area(key="bp_commentary").input("").run()
    made.button(key="bp_make").click().run(timeout=300)
    assert not made.exception
    assert sorted(served) == sorted(["asb_board_pack_2026-10.pptx"]
                                    + (["asb_board_pack_2026-10.pdf"] if report.libreoffice() else []))
    assert not exports()   # made and shown: nothing has left the dashboard yet
    for make in served.values():
        assert make()[:4] in (b"PK\x03\x04", b"%PDF")   # the file itself
    logged = exports()
    assert sorted(r["what"] for r in logged) == sorted(served)
    assert all(r["user_id"] == "opcc.analyst" and r["page"] == "board_pack" and '"2026-10"' in r["filters"]
               and "E07000036" in r["filters"] for r in logged)


@pytest.mark.parametrize("user, chosen, covered", [
    ("board", "E07000036,E07000032", "all"),          # a board viewer: any choice short of nine is all nine
    ("erewash", "E07000036,E07000035", "all"),        # a manager with another council: all nine
    ("erewash", "E07000036", "E07000036"),             # a manager's own authority alone: as chosen
])
def test__page__a_pack_for_a_choice_outside_the_viewer_s_rights_covers_all_nine(
        demo_warehouse, monkeypatch, user, chosen, covered):
    """Two packs for two choices (all nine, then the other eight) could be subtracted to read the
    counts each hides ("<5"), as two choices on the pages could: a viewer without person-level rights
    over the choice gets the partnership's pack of all nine (access.pack_codes), and is told why."""
    from etl.rules import authorities
    at = open_app(monkeypatch, demo_warehouse, PAGE, user=user, authority=chosen)
    expected = authorities.CODES if covered == "all" else tuple(covered.split(","))
    assert any(("For all nine authorities" if covered == "all" else "For Erewash (") in c.value for c in at.caption)
    told = [i.value for i in at.info if "covers all nine authorities" in i.value]
    assert bool(told) == (covered == "all")
    at.text_area(key="bp_commentary").input(f"{user} {chosen}")   # a choice no earlier test made (cached)
    seen = []
    monkeypatch.setattr(report, "make_pack", lambda path, month, codes, *a, **kw: seen.append(tuple(codes)) or
                        (_ for _ in ()).throw(report.ReportError("stopped here: the codes are what is tested")))
    at.button(key="bp_make").click().run(timeout=300)
    assert seen == [tuple(expected)]


@pytest.mark.parametrize("k, words", [(1, "Every count is shown (the disclosure limit is 1)"),
                                      (5, 'A count of people below 5 but above 0 is shown as "<5"')])
def test__page__says_the_disclosure_limit_in_words_that_fit_it(demo_warehouse, monkeypatch, tmp_path, k, words):
    """A partnership that sets suppress_below = 1 (no disclosure control) reads no "counts of people
    under 1 are shown as <1"."""
    from insight.access import disclosure

    settings = tmp_path / "report.toml"
    settings.write_text(f"[report]\nsuppress_below = {k}\n", encoding="utf-8")
    monkeypatch.setenv(disclosure.SETTINGS_ENV, str(settings))
    at = open_app(monkeypatch, demo_warehouse, PAGE)
    captions = " ".join(c.value for c in at.caption)
    assert words in captions and "<1" not in captions, captions
