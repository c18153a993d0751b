"""The monthly board pack: one function makes it for `asb report` and for the "Board pack" page.

`make_pack(warehouse, month, codes)` opens the warehouse read-only, gathers the month's figures
(insight.board_pack.data), lays out one slide per idea (insight.board_pack.content, insight.board_pack.people,
insight.board_pack.cases) with native PowerPoint charts and the hotspot map as a picture, and returns
a `Pack`: the pptx bytes, the slide titles and, when asked and LibreOffice is installed, the
same pack as PDF (`libreoffice --headless --convert-to pdf`). `pdf_pages` renders a PDF to PNG
pages with poppler's pdftoppm, for the page's preview and the tests.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from etl.rules import periods
from etl.rules.authorities import CODES
from insight import db
from insight.access import disclosure as report_disclosure
from insight.board_pack import cases as report_cases
from insight.board_pack import content as report_content
from insight.board_pack import data as report_data
from insight.board_pack import people as report_people
from insight.board_pack import slides as rs

SLIDES = (
    report_content.slide_cover, report_content.slide_headline, report_content.slide_authorities,
    report_content.slide_trend, report_content.slide_map, report_content.slide_repeats,
    report_content.slide_concentration, report_people.slide_threshold, report_people.slide_newly_eligible,
    *report_cases.SLIDES, report_people.slide_caveats, report_people.slide_commentary,
)
PDF_TIMEOUT_SECONDS = 180


class ReportError(RuntimeError):
    """The pack cannot be made as asked (no such month in the warehouse, no LibreOffice, ...)."""


@dataclass(frozen=True)
class Pack:
    month: report_data.Month
    codes: tuple[str, ...]
    pptx: bytes
    titles: tuple[str, ...]
    pdf: bytes | None
    suppress_below: int
    seconds: float
    problems: tuple[str, ...] = ()   # what this pack could not do (a map not drawn): said where it is made


def build_deck(con, month: report_data.Month, codes: tuple[str, ...], k: int, commentary: str = "",
               made: dt.date | None = None, problems: list[str] | None = None):
    """The python-pptx Presentation of the pack for `month` and the authorities `codes`; the cover's
    "pack made" is `made`, by default today's date in England (periods.london_today). `problems`
    receives what the pack could not do (a map not drawn)."""
    data = report_data.gather(con, month, codes, report_cases.gather)
    ctx = report_content.Context(data, k, problems if problems is not None else [])
    deck = rs.new_deck()
    for slide in SLIDES:
        if slide is report_content.slide_cover:
            slide(deck, ctx, made or periods.london_today())
        elif slide is report_people.slide_commentary:
            slide(deck, ctx, commentary)
        else:
            slide(deck, ctx)
    # the file's own properties: python-pptx's template says "Steve Canny", 2013 (the audit of 6 December 2026)
    made_on = made or periods.london_today()
    props = deck.core_properties
    props.author = props.last_modified_by = "ASB and Community Trigger analytics, Derbyshire"
    props.title, props.subject = f"ASB board pack: {month.label}", f"ASB and the ASB Case Review, {ctx.scope}"
    props.created = props.modified = dt.datetime(made_on.year, made_on.month, made_on.day)
    props.revision, props.keywords, props.comments, props.category = 1, "", "", ""
    return deck


def titles(deck) -> tuple[str, ...]:
    """Each slide's title, in order."""
    return tuple(s.shapes.title.text_frame.text for s in deck.slides)


def make_pack(warehouse: Path, month: str | report_data.Month, codes: tuple[str, ...] = CODES,
              commentary: str = "", pdf: bool = False, suppress_below: int | None = None) -> Pack:
    """The pack for `month` ('YYYY-MM') from the warehouse file, with the PDF when `pdf`."""
    started = time.perf_counter()
    month = month if isinstance(month, report_data.Month) else report_data.Month.parse(month)
    k = suppress_below or report_disclosure.suppress_below()
    if pdf and not libreoffice():
        raise ReportError("the PDF needs LibreOffice (Debian: apt-get install libreoffice-impress)")
    con = db.connect(warehouse)
    try:
        problems: list[str] = []
        deck = build_deck(con, month, tuple(codes), k, commentary, problems=problems)
    except report_data.PackDataError as exc:
        raise ReportError(str(exc)) from exc
    except db.OLDER_BUILD_ERRORS as exc:
        raise ReportError(db.older_build(warehouse, "the pack", exc)) from exc
    finally:
        con.close()
    out = io.BytesIO()
    deck.save(out)
    pptx = out.getvalue()
    return Pack(month, tuple(codes), pptx, titles(deck), to_pdf(pptx) if pdf else None, k,
                time.perf_counter() - started, tuple(problems))


def libreoffice() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    return shutil.which("libreoffice") or shutil.which("soffice")


def to_pdf(pptx: bytes) -> bytes:
    """The pptx converted by LibreOffice (headless, with a private profile so that runs at the
    same time do not wait for each other's lock)."""
    program = libreoffice()
    if not program:
        raise ReportError("the PDF needs LibreOffice (Debian: apt-get install libreoffice-impress)")
    with tempfile.TemporaryDirectory(prefix="asb-pack-") as tmp:
        folder = Path(tmp)
        (folder / "pack.pptx").write_bytes(pptx)
        command = [program, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                   "--convert-to", "pdf", "--outdir", str(folder), str(folder / "pack.pptx")]
        done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT_SECONDS)
        result = folder / "pack.pdf"
        if not result.exists():
            raise ReportError(f"LibreOffice made no PDF (exit {done.returncode}): {done.stderr.strip()}")
        return result.read_bytes()


def pdf_pages(pdf: bytes, dpi: int = 60) -> list[bytes]:
    """The PDF's pages as PNG images (poppler's pdftoppm), in order."""
    if not shutil.which("pdftoppm"):
        raise ReportError("rendering PDF pages needs pdftoppm (Debian: apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory(prefix="asb-pages-") as tmp:
        folder = Path(tmp)
        (folder / "pack.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(folder / "pack.pdf"), str(folder / "page")],
                       check=True, capture_output=True, timeout=PDF_TIMEOUT_SECONDS)
        return [p.read_bytes() for p in sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))]
