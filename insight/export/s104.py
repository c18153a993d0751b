"""The four s.104 figures in the shape councils put on their websites: one row per question (the
field list's labels), the financial year as the column; as CSV rows and as a plain HTML page whose
every text is escaped (no script, no styling for a council's web editor to strip)."""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd

from etl.rules import authorities


def rows(spec, figures: dict[str, int], note: str | None = None) -> list[tuple[str, str]]:
    """(label, figure) of the statutory s.104 fields, in the order of the field list `spec`
    (data_return.Spec), and a last row ("Note", `note`) when there is one (`restated_note`)."""
    found = [(f.label, str(figures[f.measure])) for f in spec.fields if f.measure.startswith("s104.")]
    return found + ([("Note", note)] if note else [])


def restated_note(restatement: str | None, published_date) -> str | None:
    """The words that say a year frozen as published has changed since (mart_statutory_returns
    `restatement`, `published_date`), else None."""
    if not restatement:
        return None
    when = f" on {published_date:%-d %B %Y}" if published_date is not None and not pd.isna(published_date) else ""
    return f"Restated since these figures were published{when}: {restatement}"


def page(spec, code: str, year, figures: dict[str, int], as_of: dt.date, note: str | None = None) -> str:
    """The s.104 table as a plain HTML page: every text escaped, no script, no styling; `note` (a
    restatement) in a paragraph under it."""
    e = html.escape
    name = authorities.NAME_BY_CODE[code]
    restated = f"\n  <p>{e(note)}</p>" if note else ""
    body = "\n".join(f'      <tr><th scope="row">{e(label)}</th><td>{e(value)}</td></tr>'
                     for label, value in rows(spec, figures))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{e(f"ASB Case Review figures {year.text}: {name}")}</title>
</head>
<body>
  <table>
    <caption>{e(f"ASB Case Review (Community Trigger) figures for {name}, "
                f"{year.start:%-d %B %Y} to {min(year.end, as_of):%-d %B %Y}"
                + ("" if year.end <= as_of else f" (the year had not ended: figures as recorded on "
                                                f"{as_of:%-d %B %Y})"))}</caption>
    <thead>
      <tr><th scope="col">Measure</th><th scope="col">{e(year.text)}</th></tr>
    </thead>
    <tbody>
{body}
    </tbody>
  </table>
  <p>{e("Published under section 104 of the Anti-social Behaviour, Crime and Policing Act 2014. "
        f"Figures as recorded on {as_of:%-d %B %Y}.")}</p>{restated}
</body>
</html>
"""
