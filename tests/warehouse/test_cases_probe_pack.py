"""The board pack's case review slides against each other, on a hand-made register through the real
build and the real pack (read back with python-pptx).

In a March pack the turnaround slide's 12 months are the financial year of the statutory slide. With
six "not met" decisions in Erewash and one "met" in Derby in 2025/26, the turnaround slide printed 7
threshold decisions and the statutory slide 6 not met: the one met decision (a count of people the
pack hides everywhere else) was 7 - 6 across the two slides. Here Derby also has five "not met"
decisions: 12 decisions, 11 not met, 1 met. (With Derby's one alone, the Turnaround page hides all
nine's decisions from Erewash's manager, who knows Erewash's 6, and so does the pack in any month.)
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from conftest import REGISTERS_TOML, made_pack
from pptx import Presentation

K = 5
HEADER = ("application_ref,authority,person_ref,received_date,acknowledged_date,threshold_route,decision,"
          "decision_date,decision_notified_date")
APPLICATIONS = [f"NM-{n},Erewash,Q{n},2025-{3 + n:02d}-01,2025-{3 + n:02d}-02,victim,not_met,2025-{3 + n:02d}-08,"
                f"2025-{3 + n:02d}-08" for n in range(1, 7)]
APPLICATIONS += [f"NMD-{n},Derby,R{n},2025-{3 + n:02d}-01,2025-{3 + n:02d}-02,victim,not_met,2025-{3 + n:02d}-08,"
                 f"2025-{3 + n:02d}-08" for n in range(1, 6)]
APPLICATIONS += ["MET-1,Derby,Q7,2025-10-01,2025-10-02,victim,met,2025-10-08,2025-10-08"]
APPEALS = "appeal_ref,application_ref,authority,received_date,appellant,grounds,outcome,decision_date\n"
FILES = {"applications.csv": "\n".join([HEADER, *APPLICATIONS]) + "\n", "appeals.csv": APPEALS}


def _table(pptx: bytes, subtitle: str) -> list[list[str]]:
    """The table of the slide whose subtitle starts with `subtitle`, as printed."""
    deck = Presentation(io.BytesIO(pptx))
    slide = next(s for s in deck.slides
                 if any(sh.has_text_frame and sh.text_frame.text.startswith(subtitle) for sh in s.shapes))
    return next([[c.text for c in row.cells] for row in sh.table.rows] for sh in slide.shapes if sh.has_table)


def _row(table: list[list[str]], first: str) -> list[str]:
    return next(r for r in table if r[0] == first)


@pytest.fixture(scope="module")
def march(tmp_path_factory):
    pack, _ = made_pack(tmp_path_factory.mktemp("march"), REGISTERS_TOML, FILES, dt.date(2026, 3, 31), "2026-03", K)
    return pack


def test__pack__march_decisions_less_the_years_not_met_give_no_small_met_count(march):
    turnaround = _table(march.pptx, "Share of case review stages")
    statutory = _table(march.pptx, "The four figures published")
    assert _row(statutory, "All selected")[2] == "11"  # the statutory slide's "not met" is shown...
    assert _row(turnaround, "Threshold decision")[1] == "*"  # ...so 12 decisions beside it would say "1 met"
    assert _row(turnaround, "Threshold decision")[2] == "100%"  # the share alone gives no count away


def test__pack__february_keeps_the_count_its_period_differs_from_the_year(tmp_path_factory):
    pack, _ = made_pack(tmp_path_factory.mktemp("feb"), REGISTERS_TOML, FILES, dt.date(2026, 2, 28), "2026-02", K)
    assert _row(_table(pack.pptx, "Share of case review stages"), "Threshold decision")[1] == "12"
