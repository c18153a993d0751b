"""A UK phone number written in its usual groups beside another number ("07700 900501 2 days ago",
"ring 07700 900502 07700 900503", "0115 496 0124 2 times") was kept whole: libphonenumber reads
the digits after it as part of one number too long to be a phone (the personal-data audit of
7 December 2026). Each such number is now `[phone]`, whatever stands beside it."""

from __future__ import annotations

import pytest

from etl.transform.scrub import scrub_text

PHONES = ["07700 900501", "07700 900502", "0115 496 0124", "020 7946 0125", "01332 900505", "07700-900506",
          "07700.900507", "+44 7700 900508", "0044 7700 900509", "(01332) 900510", "+44 (0) 7700 900511"]
AROUND = ["call {} 2 days ago", "ring {} 07700 900599", "reported 12/03/2025 {}", "ring {} 12:30",
          "Flat 3 {}", "{} 2 times", "{} 3", "2 {}", "no. 4 {} 5", "{}, 2nd call"]


@pytest.mark.parametrize("phone", PHONES)
@pytest.mark.parametrize("around", AROUND)
def test__scrub__a_phone_number_beside_another_number_is_removed(phone, around):
    cleaned, counts = scrub_text(around.format(phone))
    digits = "".join(c for c in phone if c.isdigit())
    assert digits[-6:] not in "".join(c for c in cleaned if c.isdigit()), cleaned
    assert "[phone]" in cleaned and counts.get("phone", 0) >= 1, (cleaned, counts)


@pytest.mark.parametrize("text", ["AV-2024-196925 2", "HPBC/2024/0121574 3", "ref 2024 0012345 6",
                                  "12/03/2025 10:30", "incident 20250312 0930 4"])
def test__scrub__references_dates_and_decimals_stay(text):
    assert scrub_text(text)[0] == text
