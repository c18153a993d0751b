"""Free text the scrub let through, found by probing it with the ways case notes write people
(8 December 2026): a title in capitals ("MISS SMITH", "DR PATEL"), a title the lists lacked
("Master Tyler Smith" kept "Smith", "PCSO", "Fr."), a title with its dot before a name that is also
a place word ("Rev. Green"), an initial and a surname in capitals ("J. SMITH"), a date of birth
after "b.", a registration in the older formats ("R123 ABC", "ABC 123D"), an e-mail address
written out with "dot" before its "at" ("jane dot smith at gmail dot com" kept "jane dot"), and
a name after a family word the lists lacked ("auntie Bloggs"); and what the black-box
personal-data audit of the same day found (tests/warehouse/test_privacy_audit_third.py has the
warehouse's side): a surname in capitals before the forename, a forename next to a quote, an e-mail
with "at" and real dots, HTML's no-break space and line break, an officer's rank and collar
number, the young people's forenames the lists lacked. Each is now removed; the ordinary text a
note holds (roads, capitals, "Lady Lane", "PC World", "Holly Bush") stays."""

from __future__ import annotations

import pytest

from etl.transform.scrub import scrub_text

# (text, the words that must be gone, what it must become)
LEAKS = [
    ("MISS SMITH rang", ["SMITH"], "[name] rang"),
    ("MISS JANE SMITH rang", ["JANE", "SMITH"], "[name] rang"),
    ("LADY JONES complained", ["JONES"], "[name] complained"),
    ("DR PATEL attended", ["PATEL"], "[name] attended"),
    ("DR. PATEL attended", ["PATEL"], "[name] attended"),
    ("SGT KOWALCZYK attended", ["KOWALCZYK"], "[name] attended"),
    ("PCSO BLOGGINS spoke to them", ["BLOGGINS"], "[name] spoke to them"),
    ("Master Tyler Smith on a bike", ["Tyler", "Smith"], "[name] on a bike"),
    ("PCSO Bloggins spoke to them", ["Bloggins"], "[name] spoke to them"),
    ("Fr. Murphy at the church", ["Murphy"], "[name] at the church"),
    ("Rev. Green at the church", ["Green"], "[name] at the church"),
    ("Cllr Okonkwo attended", ["Okonkwo"], "[name] attended"),
    ("J. SMITH rang", ["SMITH"], "[name] rang"),
    ("noise from K PATEL next door", ["PATEL"], "noise from [name] next door"),
    ("youth b. 12/03/2009 on scooter", ["12/03/2009", "2009"], "youth b. [birth date] on scooter"),
    ("youth (b.12-03-2009)", ["2009"], "youth (b.[birth date])"),
    ("blue Fiesta R123 ABC doing doughnuts", ["R123", "ABC"], "blue Fiesta [vehicle] doing doughnuts"),
    ("old Escort ABC 123D on the verge", ["123D"], "old Escort [vehicle] on the verge"),
    ("van P12VBD parked", ["P12VBD"], "van [vehicle] parked"),
    ("email jane dot smith at gmail dot com", ["jane", "smith", "gmail"], "email [email]"),
    ("write to jo.anne dot b at example dot co dot uk please", ["jo.anne", "example"], "write to [email] please"),
    ("her auntie Bloggins lives there", ["Bloggins"], "her auntie [name] lives there"),
    ("his uncle Okonkwo shouting", ["Okonkwo"], "his uncle [name] shouting"),
]
# the personal-data audit of 8 December 2026 (black-box)
LEAKS += [
    ("Nominal THOMPSON Gary seen on bike", ["THOMPSON", "Gary"], "Nominal [name] seen on bike"),
    ("THOMPSON Gary and EVANS Sandra shouting", ["THOMPSON", "EVANS"], "[name] and [name] shouting"),
    ("lad known as 'Gary' on the green", ["Gary"], "lad known as '[name]' on the green"),
    ("decision_notified_date 'letter returned - rang Sandra' is not a valid date",
     ["Sandra"], "decision_notified_date 'letter returned - rang [name]' is not a valid date"),
    ("reported_date ''Priya told by phone'' is not a valid date", ["Priya"],
     "reported_date ''[name] told by phone'' is not a valid date"),
    ("no sheet 'ASB Cases' (sheets: ['THOMPSON Gary', 'Cases for Sandra'])", ["THOMPSON", "Gary", "Sandra"],
     "no sheet 'ASB Cases' (sheets: ['[name]', 'Cases for [name]'])"),
    ("contact kayleigh.b at hotmail.co.uk", ["kayleigh", "hotmail"], "contact [email]"),
    ("t.smith AT btinternet.com rang", ["smith", "btinternet"], "[email] rang"),
    ("call 07700&nbsp;900112", ["900112"], "call [phone]"),
    ("Outside 14&nbsp;Meadow Close", ["14", "Meadow"], "Outside [address]"),
    ("Outside 16<br>Larch Way", ["16", "Larch"], "Outside [address]"),
    ("PC 1234 Haworth attended", ["Haworth", "1234"], "[name] attended"),
    ("PCSO 6150 Kowalczyk spoke to them", ["Kowalczyk"], "[name] spoke to them"),
    ("youths - Tyler (15), Kai (14) and Riley", ["Tyler", "Kai", "Riley"], "youths - [name] (15), [name] (14) and [name]"),
    ("Archie and Logan again", ["Archie", "Logan"], "[name] and [name] again"),
    ("the Whittaker family at it again", ["Whittaker"], "the [name] family at it again"),
    ("NI AB-12-34-56-C on file", ["AB-12"], "NI [NI number] on file"),
    ("NI AB 123456 C on file", ["123456"], "NI [NI number] on file"),   # as HMRC's letters print it
    ("NI AB123456 C on file", ["123456"], "NI [NI number] on file"),
]


@pytest.mark.parametrize(("text", "gone", "becomes"), LEAKS, ids=[t for t, _, _ in LEAKS])
def test__scrub__the_probes_of_8_december_leak_nothing(text, gone, becomes):
    cleaned, counts = scrub_text(text)
    assert not [w for w in gone if w in cleaned], (text, cleaned)
    assert cleaned == becomes, (text, cleaned)
    assert sum(counts.values()) >= 1


@pytest.mark.parametrize("text", [
    "A38 BUS STOP", "ON THE A61 AND A38 JCT", "DID NOT MISS WORK", "PARK DR OUTSIDE THE SHOP",
    "BY THE DR SURGERY", "PC World car park", "Lady Lane", "Lady Lane shops", "born and bred here",
    "Master bedroom window", "BUS 12A STOP", "A6 DAY TRIP", "M1 J28 slip road", "GATE 3 CAR PARK",
    "B5035 NEAR THE PUB", "the dot at the end", "meet at 5 dot 30", "Dr Surgery car park",
    "MISS WORLD bar", "SIR JOHN'S PRIMARY SCHOOL", "uncle and aunt",
    "Fr. Close shops", "Rev. Street corner", "b. 2009", "Flat b", "NEAR A52 OFF SLIP",
    # the audit's
    "Holly Bush pub", "On or near Riley Back Lane", "On or near Willow Stream", "arrived at home.Then left",
    "meet at 5.30", "Fish &amp; Chips", "ASB team visited", "PC 1234 on scene", "O'Gary's", "PCSO SNT visit",
    "OUTSIDE THE SHOP", "the Co-op family store", "Mason Arms pub",
])
def test__scrub__ordinary_text_stays(text):
    assert scrub_text(text) == (text, {}), scrub_text(text)
