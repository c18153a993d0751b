"""Authorities as partners write them (etl/rules/authorities.py `resolve`): the code, the name with
the words councils add, their own initials, and nothing that could be two of them."""

from __future__ import annotations

import pytest

from etl.rules import authorities


@pytest.mark.parametrize(("value", "code"), [
    ("E07000036", "E07000036"), (" e07000036 ", "E07000036"), ("Erewash", "E07000036"),
    ("Erewash Borough Council", "E07000036"), ("Erewash BC", "E07000036"), ("Erewash B.C.", "E07000036"),
    ("EBC", "E07000036"), ("Derby City Council", "E06000015"), ("City of Derby", "E06000015"),
    ("N.E. Derbyshire", "E07000038"), ("NEDDC", "E07000038"), ("N.E.D.D.C.", "E07000038"),
    ("AVBC", "E07000032"), ("Amber Valley B.C.", "E07000032"), ("BDC", "E07000033"), ("CBC", "E07000034"),
    ("DDDC", "E07000035"), ("Derbyshire Dales D.C.", "E07000035"), ("HPBC", "E07000037"), ("SDDC", "E07000039"),
    # not one of the nine, or two of them: refused, never guessed
    ("DCC", None), ("Derbyshire", None), ("Derbyshire County Council", None), ("Nottingham", None), ("", None),
])
def test__resolve__an_authority_as_partners_write_it(value, code):
    assert authorities.resolve(value) == code
