"""Free text scrubbed at ingest: names, phone numbers, e-mail addresses, house numbers with their
street, full postcodes, vehicle registrations and dates of birth come out of every free-text value
before anything reads it.

A partner's "Where" field may say "Outside 12 Meadow Close - Jane Doe 07700 900123". The build's
staging step (`etl/build.py` `_stage_all`, before `etl/transform/stage.py` judges any row) scrubs
the free-text columns of every raw table in place, so the raw tables, staging, the rejects' raw
values and the published tables only ever see
"Outside [address] - [name] [phone]". A record the reader could not split (a `malformed_row`
reject) keeps its raw line, scrubbed the same way. What was removed is kept only as a count per
file, column and kind in `etl_scrubbed`, never as text.

What is removed, in this order (each kind is replaced by its placeholder):
- e-mail addresses -> `[email]`;
- phone numbers -> `[phone]`: UK and international numbers found by `phonenumbers` (Google's
  libphonenumber; its metadata ships inside the package) at POSSIBLE leniency, so numbers in
  Ofcom's drama ranges count too, with at least 10 digits (9 after a `+`), never a date;
- full unit postcodes -> their district: `DE1 2AB` and `de12ab` become `DE1`. A unit postcode
  covers about 15 homes; the district is what the published tables keep (`postcode_district`);
- house numbers with their street -> `[address]`: "12 Meadow Close", "12a Meadow Close", "12-14
  Station Road", "Flat 2, 14 Meadow Close", "no. 27 acacia avenue". The street goes too: in a
  short close the street alone points at a few homes, and the place words around it stay; a
  number named as a house number wherever it stands ("Meadow Close (number 14)", "house no 7",
  "#14") goes on its own;
- names -> `[name]`: a title and a name ("Mr Smith", "Mrs J. Patel", "Dr Amina Okafor", "MISS
  SMITH", "PCSO Bloggins"); a
  contact word and the name after it ("neighbour Gary Thompson", "contact: Wojciech Nowak",
  "complainant jane doe - [phone]"); one to three words right before a phone number or e-mail
  ("Kowalski - [phone]"); a common forename followed by a capitalised word ("Jane Doe", "Zoë-Mae
  Smith"); an initial and a common surname ("J. Smith"); a capitalised word and a common surname
  ("Aoife O'Sullivan"); a forename alone that is no common word ("Zoë rang", "outside Siân's").
  The forenames and surnames are `etl/rules/names.toml`.
  A word that is a street or place word (`PLACE_WORDS`) is never taken for a name, so "Victoria
  Street", "Grace Green Park" and "Amber Valley" stay.

Place descriptions stay as they are: "Play area, The Crescent", "Outside Co-op, Market Place",
"Car park behind Tesco". Detection works on the distinct values of a column (a few hundred in the
demo's 180,000 reports), each scrubbed once in Python; the table is updated only where a value
changed.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import phonenumbers

from etl import schema
from etl.transform import plain

# Free-text columns per kind (scrubbed); every other text column of schema.INPUTS is structured
# (a reference, a code, a closed list); tests/unit/test_scrub.py fails on a column that is neither.
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "incidents": ("location_desc",),
    "applications": (),
    "appeals": (),
    "police_uk": ("location", "context"),
    "actions": (),
}
STRUCTURED: dict[str, tuple[str, ...]] = {
    "incidents": ("incident_ref", "authority", "asb_type", "postcode", "case_ref"),
    "applications": ("application_ref", "authority"),
    "appeals": ("appeal_ref", "application_ref", "authority"),
    "police_uk": ("crime_id", "reported_by", "falls_within", "lsoa_code", "lsoa_name", "crime_type",
                  "last_outcome_category"),
    "actions": ("action_ref", "application_ref", "authority"),
}
# Structured columns a file should fill from a short list or a code scheme (police.uk's force,
# crime type, outcome, LSOA code and name), where a partner can still type anything: scrubbed as
# free text is (every real value of 22 Derbyshire months is left as it is,
# tests/unit/test_scrub.py), their distinct values gathered in one scan of the raw table.
SCRUBBED_CODES: dict[str, tuple[str, ...]] = {
    "police_uk": ("reported_by", "falls_within", "lsoa_code", "lsoa_name", "crime_type", "last_outcome_category"),
}
# Text of a staged row that came from raw values other than the free-text columns: a rejected
# row's reason and raw values, a stage date's error ("review_explained_date 'ring Mrs Patel 07700
# 900125' is not a valid date"), and references that are not a record's key (a key stays as sent:
# two keys scrubbed to one placeholder would be one record). Scrubbed after staging (`scrub_staged`).
MESSAGE_COLUMNS = ("reject_reason", "date_errors")
LOOSE_REFERENCES: dict[str, tuple[str, ...]] = {"incidents": ("case_ref",)}
# What makes a reference worth scrubbing (DuckDB regex, before Python sees the distinct values):
# an @, a run of nine digits or more, a space (a reference is one token, a name is not) or a title
# and its dot ("Mr.Pemberton"). A space is any Unicode one (`\pZ`): DuckDB's `\s` is ASCII's, and
# "Mrs Patel" with a non-breaking space (pasted from a web page or a workbook) was left unscrubbed.
# Also (the personal-data audit of 6 December 2026) digits spaced by a slash or an underscore
# ("07700/900335"), a joined title ("Mr_Khan"), an initial and a name ("J.Smith"), a disguised
# e-mail ("jo(at)example.com") and a National Insurance number's shape ("AB123456C").
MAYBE_PERSONAL_SQL = (r"@|\d([\s()./_-]*\d){8,}|\s|\pZ|(?i:\b(mr|mrs|ms|mx|miss|dr)[._])|[A-Z]\.[A-Z][a-z]"
                      r"|(?i:[(\[]at[)\]])|[A-Za-z]{2}\d{6}[A-Da-d]")
KINDS = ("email", "phone", "postcode", "address", "name", "vehicle", "birth_date", "ni_number")
PLACEHOLDER = {"email": "[email]", "phone": "[phone]", "address": "[address]", "name": "[name]",
               "vehicle": "[vehicle]", "birth_date": "[birth date]", "ni_number": "[NI number]"}
# A vehicle registration in the current UK format ("AB12 CDE", "AB12CDE": two letters, the age
# identifier, three letters), as written on the plate: it names the keeper. A postcode's inward code
# starts with a digit ("DE12 3AB"), so the two never meet.
# In capitals with a space or none ("AB12 CDE"), or joined up in any case or with a hyphen ("ab12
# cde", "AB12-CDE": the personal-data audit of 7 December 2026). Not spaced between letters and
# digits: "AT 10 AND" in a note written in capitals is no registration.
VEHICLE = re.compile(r"(?<![\w-])(?:[A-Z]{2}\d{2}[\s-]?[A-Z]{3}|(?i:[a-z]{2}\d{2})[\s-]?(?i:[a-z]{3}))(?![\w-])")
# The older formats, in capitals (8 December 2026): a prefix plate ("R123 ABC", 1983-2001: a year
# letter, one to three digits, three letters) and a suffix plate ("ABC 123D", 1963-1983). Their
# letters are never I, Q or Z, nor is a year letter O or U. A road and a word in capitals has the
# prefix plate's shape ("A38 BUS", "A6 DAY"), so a match whose three letters are a word
# (`PLATE_WORDS`) stays.
OLD_VEHICLE = re.compile(r"(?<![\w-])(?:[A-HJ-NPR-Y]\d{1,3}[ -]?([A-HJ-PR-Y]{3})|([A-HJ-PR-Y]{3})[ -]?\d{1,3}[A-HJ-NPR-Y])"
                         r"(?![\w-])")
PLATE_WORDS = frozenset((
    "AND", "THE", "BUS", "FOR", "NOT", "CAR", "VAN", "WAY", "JCT", "NOW", "YES", "OFF", "OUT", "TWO", "ONE",
    "TEN", "ALL", "ANY", "ARE", "BUT", "CAN", "DAY", "GOT", "HAD", "HAS", "HER", "HOW", "LET", "MAN", "MEN",
    "NEW", "OLD", "OUR", "OWN", "PUB", "RAN", "RED", "SAW", "SAY", "SEE", "SHE", "TOO", "TOP", "WAS", "WHO",
    "WHY", "YOU", "AGO", "AGE", "BOY", "LOT", "HRS", "MPH", "APT", "BAY", "RUN", "SET", "PUT", "GET", "END",
    "FAR", "FEW", "LOW", "BAD", "HOT", "WET", "DRY", "ODD", "PER", "APR", "AUG", "DEC", "FEB", "JAN", "JUN",
    "JUL", "MAR", "MAY", "NOV", "OCT", "SEP", "MON", "TUE", "WED", "THU", "SAT", "SUN", "GMT", "BST", "YRS",
    "NOR", "YET", "TAX", "MOT", "ATM", "ASB", "PCS", "ROW", "BOX", "MOB", "GAS", "DOG", "CAT", "EGG",
    "STN", "RBT", "NTH", "STH", "EST", "NHS", "PCN", "CCT", "LHS", "RHS", "NSL"))
# A date of birth after the words that name one ("DOB 12/03/1985", "d.o.b: 1.3.85", "born 12-03-1985"):
# the date goes, the words stay.
# Written as ISO ("DOB 1985-03-12") or in words ("born 12 March 1985", "dob 3rd Jan 85") too (the
# personal-data audit of 6 December 2026).
_MONTH_WORD = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# After "b." too ("youth b. 12/03/2009": 8 December 2026).
# Its month in words between hyphens or dots ("DOB 12-Mar-2009") or before the day ("DOB: March 12,
# 1985") too (the personal-data audit of 7 December 2026).
BIRTH_DATE = re.compile(r"(?i:\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|born(?:\s+on)?|b\.)\s*[:=-]?\s*)"
                        r"(\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
                        rf"|(?i:\d{{1,2}}(?:st|nd|rd|th)?(?:\s+|[./-]){_MONTH_WORD}(?:\s+|[./-])\d{{2,4}})"
                        rf"|(?i:{_MONTH_WORD}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}}))(?![\d])")
# A National Insurance number ("AB123456C", "ab 12 34 56 c"): two letters (HMRC never issues D, F,
# I, Q, U or V, nor O second), six digits, A to D.
NI_NUMBER = re.compile(r"(?<![\w-])(?i:[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?"
                       r"(?i:[A-D])(?![\w-])")   # spaced, or with dashes ("AB-12-34-56-C"), between any groups
NAMES_FILE = Path(__file__).resolve().parents[1] / "rules" / "names.toml"

STREET_WORDS = (
    "street", "st", "road", "rd", "avenue", "ave", "av", "close", "cl", "lane", "ln", "drive", "dr", "way",
    "court", "ct", "grove", "walk", "row", "crescent", "cres", "place", "pl", "terrace", "terr",
    "gardens", "gdns", "green", "hill", "rise", "mews", "view", "park", "square", "sq", "parade",
    "croft", "fold", "gate", "meadow", "meadows", "vale", "wharf", "yard", "bank", "brow", "chase",
    "end", "side", "top", "nook", "dale", "field", "fields", "boulevard", "approach", "circus",
    "copse", "embankment", "hollow", "lea", "ley", "orchard", "pastures", "quay", "ridge", "wynd",
)
# Words that describe places: never taken for (part of) a person's name.
PLACE_WORDS = frozenset(STREET_WORDS) | frozenset((
    "valley", "peak", "dales", "bridge", "moor", "wood", "woods", "brook", "farm", "estate", "centre",
    "center", "station", "stop", "shop", "shops", "store", "market", "hall", "house", "common",
    "heath", "cross", "bottom", "rec", "recreation", "ground", "pitch", "club", "pub", "inn", "arms",
    "hotel", "church", "chapel", "school", "academy", "college", "library", "surgery", "hospital",
    "garage", "garages", "flats", "flat", "tower", "towers", "memorial", "precinct", "arcade", "quarter",
    "village", "town", "city", "bus", "car", "play", "area", "playground", "co-op", "coop", "tesco",
    "asda", "aldi", "lidl", "morrisons", "sainsbury's", "sainsburys", "spar", "mcdonald's", "post",
    "office", "council", "borough", "district", "county", "derbyshire", "derby", "police", "north",
    "south", "east", "west", "upper", "lower", "old", "new", "great", "little", "saint", "bath",
    "canal", "river", "riverside", "lake", "reservoir", "castle", "abbey", "cathedral", "museum",
    "cemetery", "allotments", "alley", "underpass", "subway", "bypass", "junction", "roundabout",
    "airport", "retail", "industrial", "business", "leisure", "sports", "community", "youth",
    "nursery", "primary", "infant", "junior", "high", "grammar", "medical", "health", "care", "home",
    "lodge", "cottage", "cottages", "barn", "mill", "works", "depot", "marina", "forest",
    "country", "nature", "reserve", "trail", "path", "footpath", "bridleway", "falls", "wells",
    "mount", "head", "heights", "hole", "vine", "edge", "cliff", "tor", "well", "spring", "springs",
    "corner",   # "White Hart Corner" (a real police.uk place)
    # water and land a place is named by ("Willow Stream", a real police.uk place)
    "stream", "pond", "ponds", "pool", "spinney", "plantation", "paddock", "woodland", "dam", "weir", "quarry",
    "dell", "lakes",
))
# Surnames that are also old words for a place (a wood, a bog, a field, a bank: "Cherry Holt",
# "Bickley Moss", "Lowes Wong", "Sunny Banks", real police.uk places): a word before one is no
# forename (`_names` before_surname). After a forename or a title they are still a surname
# ("Kate Moss", "Mr Wong").
PLACE_SURNAMES = frozenset(("holt", "moss", "wong", "banks", "hart", "field", "fields", "wood", "woods", "hill",
                            "green", "brook", "marsh", "heath", "dale", "lane", "ford", "shaw", "bridge",
                            "bush"))   # "Holly Bush" (a pub: the audit of 8 December 2026)
# Short words and counted things that are never a name nor a street's name.
STOP_WORDS = frozenset((
    "the", "a", "an", "and", "or", "of", "on", "at", "in", "to", "by", "for", "from", "with", "near",
    "outside", "behind", "opposite", "rear", "front", "off", "into", "onto", "over", "under", "between",
    "beside", "next", "back", "side", "corner", "entrance", "exit", "around", "along", "across",
    "is", "are", "was", "were", "has", "have", "had", "says", "said", "rang", "called", "call", "ring",
    "tel", "telephone", "phone", "mobile", "mob", "landline", "number", "no", "email", "e-mail", "mail",
    "re", "ref", "reference", "contact", "again", "twice", "daily", "weekly", "nightly", "today",
    "youths", "youth", "kids", "children", "people", "persons", "males", "females", "men", "women",
    "boys", "girls", "lads", "teenagers", "adults", "cars", "vehicles", "bikes", "motorbikes",
    "dogs", "times", "houses", "properties", "homes", "weeks", "days", "months", "hours", "mins",
    "minutes", "pm", "am", "am.", "pm.", "approx", "about", "after", "before", "until", "since",
    "unknown", "anon", "anonymous", "n/a", "na", "none", "not", "known", "same", "as", "above",
    "dob",
))
CONTACT_WORDS = ("contact", "caller", "complainant", "reporter", "reported by", "resident", "tenant",
                 "neighbour", "neighbor", "victim", "witness", "occupant", "occupier", "landlord",
                 "spoke to", "spoken to", "c/o", "name", "named", "client", "customer", "perpetrator",
                 "suspect", "owner",
                 # the police's reporting person, a complaint's maker, a family member (the audit)
                 "rp", "made by", "son", "daughter", "husband", "wife", "mum", "dad", "mother", "father",
                 "brother", "sister", "grandson", "granddaughter", "boyfriend", "girlfriend",
                 # more family words (8 December 2026)
                 "auntie", "aunty", "aunt", "uncle", "nephew", "niece", "cousin", "nan", "nana", "grandma",
                 "grandad", "granddad", "grandmother", "grandfather", "stepson", "stepdaughter", "fiance",
                 "fiancee", "ex-partner", "ex-husband", "ex-wife")
TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Rev", "Revd", "Sir", "Dame", "Lady", "Lord",
          # a boy's, a priest's, an officer's, a councillor's (8 December 2026: "Master Tyler Smith" kept
          # "Smith"; "PCSO Bloggins", "Fr. Murphy")
          "Master", "Mstr", "Fr", "PCSO", "Sgt", "Insp", "Supt", "Cllr", "Councillor")
# Titles in capitals ("MISS SMITH", "DR PATEL": 8 December 2026). Those that are also words or a
# street's abbreviation ("DID NOT MISS WORK", "PARK DR OUTSIDE") take a listed forename or surname
# alone; the others any name word (`_caps_titles`).
TITLES_ALSO_WORDS = frozenset(("MISS", "DR", "LADY", "LORD", "SIR", "DAME", "MASTER", "FR", "REV", "PROF"))
TITLE_CAPS = re.compile(rf"(?<![\w'’-])(?:{'|'.join(t.upper() for t in TITLES if t not in ('Mr', 'Mrs', 'Ms', 'Mx'))})"
                        r"(?:\.\s*|\s+)((?:[A-Z]\.?\s+){0,2})([A-Z][A-Z'’-]*[A-Z])(?![\w'’-])")
_VOWEL = re.compile("[AEIOUY]")   # a word in capitals without one is an abbreviation ("PCSO SNT visit")
_CAPS_WORD_AFTER = re.compile(r"\s+([A-Z][A-Z'’-]*[A-Z])(?![\w'’-])")

# an address starts with a letter, digit, + or - (not the quote a reason puts round a value:
# "latitude 'jane@example.com'" kept its opening quote as "latitude [email]'")
EMAIL = re.compile(r"[\w+-][\w.+'-]*@[\w-]+(?:\.[\w-]+)+")
# EMAIL's matches are found from each '@' (`_emails`): searched for across a text, the pattern tried
# every start in a run of word characters, digits, dots or dashes and scanned the run to its end, so
# one long token took time in the square of its length (a 500 KB field: 9 minutes of a build).
EMAIL_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_LOCAL_CHAR = re.compile(r"[\w.+'-]")   # EMAIL's characters before the '@'
_LOCAL_START = re.compile(r"[\w+-]")    # and those it may start with
PHONE_HINT = re.compile(r"\d(?:[\s()./_-]*\d){8,}")  # nine digits or more, possibly spaced out
# A UK number in its usual groups (0 or +44, then ten digits, one space, dot or hyphen at most
# between two): found on its own as well, since libphonenumber reads a number beside it into the
# same candidate ("07700 900501 2 days ago": twelve digits, no phone) and kept it whole (the
# personal-data audit of 7 December 2026). Not inside a reference (a letter, digit, slash, dot or
# hyphen just before it) nor followed by a letter or digit.
UK_GROUPED = re.compile(r"(?<![\w+/.-])(?:(?:(?:\+|00)44[ ]?(?:\(0\)[ ]?)?|0(?=\d))(?:\d[ .-]?){8,9}\d"
                        r"|\(0\d{2,4}\)[ ]?\d{3,4}[ .-]?\d{3,4})(?![\w])")
# an underscore between digits, read as the space it stands for ("07700_900331"; libphonenumber
# reads a slash as punctuation, not an underscore)
_UNDERSCORE_IN_NUMBER = re.compile(r"(?<=\d)_(?=\d)")
# An e-mail address written to dodge a search ("jo at example dot com", "jo(at)example(dot)com",
# "jo [at] example [dot] co [dot] uk"): at least one "dot" after the "at".
_AT_BRACKETED = r"\s*[(\[{]\s*at\s*[)\]}]\s*"
_DOT = r"(?:\s*[(\[{]\s*dot\s*[)\]}]\s*|\s+dot\s+)"
# Its part before the "at" may be written out too ("jane dot smith at gmail dot com" kept "jane
# dot": 8 December 2026), with three "dot"s at most, so a field of many stays linear; written with
# words alone, its last part is letters ("meet at 5 dot 30" is a time).
OBFUSCATED_EMAIL = re.compile(rf"(?<![\w.+'-])(?i:[\w+-][\w.+'-]*(?:{_DOT}[\w+-][\w.+'-]*){{0,3}}"
                              rf"(?:{_AT_BRACKETED}[\w-]+(?:(?:{_DOT}|\.)[\w-]+)+"
                              rf"|\s+at\s+[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-z]{{2,}}(?![\w-])))")
# An @ written as an HTML entity, URL-encoded or with a space beside it, between an address's
# characters and a domain ("jo&#64;example.org", "jo%40example.org", "jo @ example.org"): read as
# the @ it stands for (the personal-data audit of 7 December 2026: "jo&#64;example.org" became
# "jo&[address];example.org", its "#64" a house number). The domain is looked for over 64
# characters at most, so a long run after many of them stays linear.
_AT_WRITTEN = re.compile(r"(?<=[\w.+-])(?:&#0*64;|&#x0*40;|&commat;|%40|[ \t]@[ \t]?|@[ \t])(?=[\w-]{1,64}\.[\w-])",
                         re.IGNORECASE)
# An e-mail written with " at " and its domain's dots ("kayleigh.b at hotmail.co.uk", "t.smith AT
# btinternet.com": 8 December 2026), ending in a top-level domain people's addresses end in, so
# "at home.Then" stays.
_TLD = r"(?:com|org|net|uk|ie|info|biz|me|io|eu|pl|ro|in|pk|de|fr|es|pt|it|nl|lt|lv|sk|cz|edu|gov)"
SPOKEN_AT_EMAIL = re.compile(rf"(?<![\w.+'-])[\w+-][\w.+'-]{{0,63}}\s+(?i:at)\s+[\w-]{{1,63}}(?:\.[\w-]{{1,63}}){{0,3}}"
                             rf"\.(?i:{_TLD})(?![\w-])")
_DISGUISED = re.compile(rf"(?i)\bdot\b|{_AT_BRACKETED}|\sat\s+[\w-]+\.")
# a date, and a date with its time ("30-03-2025 23:30": never a phone number, the audit of 6 December 2026)
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?:[ T]\d{1,2}(?:[:.]\d{2}){0,2})?$")
POSTCODE = re.compile(r"(?<![\w-])([A-Za-z]{1,2}\d[A-Za-z\d]?)(?:\s*|-)(\d[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2})(?![\w-])")
_STREET = "|".join(sorted(STREET_WORDS, key=len, reverse=True))
_STOP = "|".join(re.escape(w) for w in sorted(STOP_WORDS | {"flat", "unit"}, key=len, reverse=True))
ADDRESS = re.compile(
    r"(?<![\w.:/£$-])"
    r"(?:(?:flat|apartment|apt|unit|room)\s*\d{1,4}[a-z]?\s*,?\s*)?"     # Flat 2,
    r"(?:no\.?\s*|number\s+)?\d{1,4}[a-z]?(?:\s*[-/]\s*\d{1,4}[a-z]?)?"  # 12, 12a, 12-14, no. 12
    r"(?:\s*,)?\s+(?:the\s+)?"                                            # 12 The Crescent, 12 , Meadow Close
    rf"(?:(?!(?:{_STOP})\b)[a-z][\w'’.-]*\s+){{0,3}}"                  # Meadow / St Mary's
    rf"(?:{_STREET})\b\.?",                                              # Close
    re.IGNORECASE)
_UPPER = "".join(c for c in map(chr, range(0x41, 0x250)) if c.isupper())  # Latin letters, accented too
_LOWER = "".join(c for c in map(chr, range(0x61, 0x250)) if c.islower())
_WORD = f"[{_UPPER}][{_LOWER}'’]+(?:-[{_UPPER}][{_LOWER}'’]+)?"
# A name as people type it after a title or a contact word: capitalised, in capitals, or with a
# capital inside (McDonald, MacDonald, O'Brien); after Mr, Mrs, Ms or Mx (never anything else,
# in any case: "mrs patel") in lower case too. Other titles are words too ("miss", "lady", "Dr"
# for Drive), so only their capitalised form is a title.
_CAP_NAME = (f"[{_UPPER}][{_UPPER}{_LOWER}'’]*[{_UPPER}{_LOWER}]"
             f"(?:-[{_UPPER}][{_UPPER}{_LOWER}'’]*[{_UPPER}{_LOWER}])?")
_ANY_NAME = (f"[{_UPPER}{_LOWER}][{_UPPER}{_LOWER}'’]*[{_UPPER}{_LOWER}]"
             f"(?:-[{_UPPER}{_LOWER}][{_UPPER}{_LOWER}'’]*[{_UPPER}{_LOWER}])?")
PLAIN_TITLES = ("Mr", "Mrs", "Ms", "Mx")
_INITIALS = r"(?:[A-Z]\.?\s+){0,2}"
TITLE_NAME = re.compile(   # a title, then a space or a dot ("Mr.Pemberton" too)
    rf"(?:(?<![^\W_])(?i:{'|'.join(PLAIN_TITLES)})(?![^\W_])(?:\.\s*|\s+|_){_INITIALS}{_ANY_NAME}"
    rf"|\b(?:{'|'.join(t for t in TITLES if t not in PLAIN_TITLES)})\b(?:\.\s*|\s+){_INITIALS}{_CAP_NAME})"
    rf"(?:\s+{_CAP_NAME})?")
CONTACT = re.compile(rf"(?i:\b(?:{'|'.join(re.escape(w) for w in CONTACT_WORDS)})\b)\s*[:=-]?\s*"
                     rf"((?:{_CAP_NAME})(?:\s+{_CAP_NAME}){{0,2}})")
FLAT = re.compile(r"(?<![\w.-])(?:flat|apartment|apt)\s*(?:\d{1,4}[a-z]?|(?-i:[A-Z]))\b(?:,?\s+(?:[A-Z][\w'’-]*\s+){0,3}"
                  r"(?:House|Court|Lodge|Mansions|Heights|Buildings|Tower|Towers|Block|Apartments|Cottages?)\b)?",
                  re.IGNORECASE)
# A house number named as one, wherever it stands ("Meadow Close (number 14)", "house no 7", "#14"):
# ADDRESS needs the street after the number.
HOUSE_NUMBER = re.compile(r"(?<![\w.-])(?:(?:(?:house|door)\s+)?(?:no\.?|number|num\.?|#)|house|door)\s*\d{1,4}[a-z]?\b"
                          r"(?!\s*(?:am|pm|[:.]\d))", re.IGNORECASE)
# A house number written after its street ("Meadow Close, 14", "Meadow Close 16 - nightly"): the
# number ends the text or a clause (a word after it is something counted: "London Road 2 youths")
STREET_NUMBER = re.compile(rf"(?<![\w'’-])(?:[A-Z][\w'’.-]*\s+){{1,3}}(?i:{'|'.join(sorted(STREET_WORDS, key=len, reverse=True))})"
                           r"\b\.?,?\s+\d{1,4}[a-z]?(?=\s*(?:$|[,;)–]|-\s))")
# A house's name, which is its address ("Rose Cottage", "Ivy Bungalow"): a capitalised word before
# a word only a home is named by
HOUSE_NAME = re.compile(r"(?<![\w'’-])(?:[A-Z][a-z'’]+\s+){1,2}(?:Cottage|Bungalow|Farmhouse)\b")
_HOME_WORD = re.compile(r"Cottage|Bungalow|Farmhouse")
_FLAT_WORD = re.compile(r"(?i)flat|apartment|apt")
# Where a name word starts and ends: not inside a word, nor inside "O'Brien" or "Smith-Jones", but
# after an opening quote and before a closing one ("'rang Sandra'", "['Cases for Sandra']": every
# message quoting a value kept a name that began or ended it, the personal-data audit of 8 December 2026)
# (a quote doubled too: "reported_date ''Priya told by phone''" quotes a value that began with one)
_WORD_START = r"(?:(?<![\w'’-])|(?<=^['’])|(?<=[^\w'’-]['’])|(?<=^['’]['’])|(?<=[^\w'’-]['’]['’]))"
_WORD_END = r"(?:(?![\w'’-])|(?=['’]+(?![\w'’-])))"
SURNAME_FIRST = re.compile(f"(?<![\\w'’-])({_CAP_NAME})(?=,\\s*\\[name\\])")
# A surname in capitals right before the forename found after it ("WHITTAKER [name]"), not an
# abbreviation a note writes so (`NOT_SURNAMES`); a surname before "family" ("the Thompson family");
# an officer's rank, collar number and surname ("PC 1234 Haworth", "PCSO 6150 Kowalczyk"): the
# personal-data audit of 8 December 2026.
SURNAME_CAPS_FIRST = re.compile(f"{_WORD_START}([{_UPPER}][{_UPPER}'’-]*[{_UPPER}])(?=[ ]+\\[name\\])")
NOT_SURNAMES = frozenset(("ASB", "CCTV", "PCSO", "PC", "DC", "DS", "RP", "NFA", "CPN", "CPW", "CBO", "ABC", "ASBO",
                          "PSPO", "ECINS", "SNT", "OIC", "MP", "CID", "DV", "SMS", "TXT", "TEL", "MOB", "NB", "RE",
                          "FAO", "CC", "BCC", "URGENT", "NOTE", "NOTES", "UPDATE", "INFO", "ACTION", "TO", "FROM"))
FAMILY_NAME = re.compile(f"(?<![\\w'’-])(?<=[Tt]he )({_CAP_NAME})(?=[ ]+(?i:family|families|household)\\b)")
OFFICER = re.compile(f"(?<![\\w'’-])(?:PC|PCSO|DC|DS|DI|DCI|PS|WPC|SC|Sgt|SGT|Insp|INSP)[ ]*\\d{{2,6}}[ ]+({_CAP_NAME})"
                     f"(?![\\w'’-])")
# A house number (1 to 3 digits: "2025 Erewash" is a year) before one capitalised word that ends
# the text or a clause ("outside 14 Oakwood", "14 Oakwood, noise": a street without a street
# word), unless that word is a place or counted word ("2 Youths", "Platform 2 Derby") or the word
# before the number names what it numbers ("Gate 3", "Level 3", "Junction 25", "Mar 12"):
# `_numbered_home`
NUMBERED_WORD = re.compile(r"(?<![\w.:/£$#-])\d{1,3}[a-z]?\s+([A-Z][a-z'’]+)(?=\s*(?:$|[,;.)–]|-\s))")
NUMBERING_WORDS = frozenset(("gate", "level", "unit", "platform", "junction", "bay", "stand", "route", "bus",
                             "page", "block", "floor", "room", "pitch", "court", "number", "no", "no.", "year",
                             "aged", "age", "over", "under", "for", "of", "after", "about", "approx", "around",
                             "top", "service", "exit", "door", "car", "van", "flat", "apartment", "apt",
                             "item", "section", "zone", "area", "field", "lane", "pier", "berth", "stop",
                             # a day after its month ("Mar 12 Erewash")
                             "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
                             "dec", "january", "february", "march", "april", "june", "july", "august",
                             "september", "october", "november", "december"))
NAME_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’](?=[^\W\d_]))*(?:-[^\W\d_](?:[^\W\d_]|['’](?=[^\W\d_]))*)?")
BEFORE_CONTACT = re.compile(r"((?:[^\W\d_][\w'’-]*\s+){0,2}[^\W\d_][\w'’-]*)(\s*[-:,(]?\s*)\[(?:phone|email)\]")
DIGIT = re.compile(r"\d")
IN_REFERENCE = re.compile(r"[^\W_][-/]?$")   # what ends right before digits that belong to a reference
# The digits of a UK number as dialled at home: a mobile (07) or a geographic or non-geographic
# number (01, 02, 03), eleven digits. Joined to letters ("ring07700900123", "Smith07700900123")
# they are still a phone number: a reference's digits are a year, a sequence or zero-padded
# ("HPBC/2024/121574", "INC-20250701-00001", "AB00012345678"), never this shape.
UK_NUMBER = re.compile(r"0[1237]\d{9}")
# (a word that is a street's part as well as a stop word may stand between: "Riley Back Lane")
_STREET_PART = frozenset(("back", "side", "front", "rear"))
_STOP_IN_STREET = "|".join(re.escape(w) for w in sorted(STOP_WORDS - _STREET_PART, key=len, reverse=True))
STREET_AFTER = re.compile(rf"(?:\s+(?!(?i:{_STOP_IN_STREET})\b)[{_UPPER}][\w'’-]*){{0,2}}\s+(?=[{_UPPER}])"
                          rf"(?i:{'|'.join(sorted(PLACE_WORDS, key=len, reverse=True))})\b")
CAPITALISED = re.compile(f"[{_UPPER}][{_LOWER}]+")
IN_CAPITALS = re.compile(f"[{_UPPER}]{{2,}}")
KEYWORD_BEFORE = re.compile(rf"\b(?:{'|'.join(re.escape(w) for w in CONTACT_WORDS)})\s*[:=-]?\s*$", re.IGNORECASE)
LONGEST_KEYWORD = max(len(w) for w in CONTACT_WORDS)
# Where a match of BEFORE_CONTACT may begin (`_before_contact`): the first letter of a run of its
# word characters.
_WORD_RUN = re.compile(r"[\w'’-]+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class _NamePatterns:
    forenames: frozenset[str]   # as listed (capitalised), to tell quickly whether a text may hold one
    pair: re.Pattern            # a forename (hyphenated too: "Zoe-Mae") and a capitalised word
    initial: re.Pattern         # an initial and a surname ("J. Smith")
    lone: re.Pattern            # a forename alone, possessive too ("Zoe rang", "outside Sian's")
    before_surname: re.Pattern  # a name word and a surname ("Aoife O'Sullivan")
    lower_pair: re.Pattern      # a forename and a surname in lower case ("gary thompson's house")
    surnames: frozenset[str] = frozenset()   # as listed (capitalised)
    also_words: frozenset[str] = frozenset()   # forenames that are words too (`forenames_also_words`)


# Words before a forename that make it part of a place's name ("St Helen", "King George", "Prince Albert")
_PLACE_BEFORE = re.compile(r"(?i:\b(?:st|st\.|saint|king|queen|prince|princess|duke|duchess|lady|lord|sir|"
                           r"mount|port|fort|the|ye|olde?|glen|east|west|north|south|upper|lower|great|"
                           r"little|new|old)\s+)$")


@functools.cache
def _names() -> _NamePatterns:
    """The name patterns from etl/rules/names.toml. The surname is written as after a title
    (`_CAP_NAME`): capitalised, in capitals or with a capital inside ("Kyle O'Neil", "Jane
    McDonald", "John SMITH"), and the forename may be in capitals too ("JOHN SMITH": police and
    housing systems write names so). A forename alone is a name only when it is no common word
    (`forenames_also_words`: "Holly Bush", "Rose and Crown" stay)."""
    names = tomllib.loads(NAMES_FILE.read_text(encoding="utf-8"))
    listed = sorted(names["forenames"], key=len, reverse=True)
    forenames = "|".join(listed + [f.upper() for f in listed])
    words = set(names.get("forenames_also_words", ()))
    alone = "|".join(f for f in listed if f not in words) + "|" + "|".join(f.upper() for f in listed if f not in words)
    surnames = "|".join(sorted(names["surnames"], key=len, reverse=True))
    # in lower case, only a forename that is no common word and a surname that is no place word
    lower_forenames = "|".join(f.lower() for f in listed if f not in words)
    lower_surnames = "|".join(n.lower() for n in sorted(names["surnames"], key=len, reverse=True)
                              if n.lower() not in PLACE_WORDS | PLACE_SURNAMES | STOP_WORDS)
    hyphen = f"(?:-{_CAP_NAME})?"
    return _NamePatterns(
        forenames=frozenset(names["forenames"]),
        pair=re.compile(rf"\b(?:{forenames}){hyphen}\s+({_CAP_NAME})\b"),
        # ("J Smith", "J. Smith", "J.Smith"; A and I only with their dot: "A Smith" may be a word)
        # the surname in capitals too ("J. SMITH", "K PATEL": 8 December 2026)
        initial=re.compile(rf"(?<![\w.'’])(?:[B-HJ-Z]\.?\s+|[A-Z]\.\s*)(?:{surnames}|{surnames.upper()})\b(?![\w'’-])"),
        # after an opening quote or before a closing one too ("'rang Sandra'", "['Cases for Sandra']":
        # every message quoting a value so kept a name that began or ended it, 8 December 2026)
        lone=re.compile(rf"{_WORD_START}(?:{alone}){hyphen}(?:['’]s)?{_WORD_END}"),
        before_surname=re.compile(rf"(?<![\w'’-])({_CAP_NAME})\s+(?:{surnames})(?:['’]s)?(?![\w'’-])"),
        lower_pair=re.compile(rf"(?<![\w'’-])(?:{lower_forenames})\s+(?:{lower_surnames})(?:['’]s)?(?![\w'’-])"),
        surnames=frozenset(names["surnames"]), also_words=frozenset(words))


def _not_after_place_word(m: re.Match) -> bool:
    """False for a forename that is part of a place's name by the word before it ("St Helen's",
    "King George")."""
    return _PLACE_BEFORE.search(m.string, max(0, m.start() - 12), m.start()) is None


def _is_name_word(word: str) -> bool:
    low = word.lower()
    return (low not in PLACE_WORDS and low not in STOP_WORDS and low not in CONTACT_WORDS
            and NAME_WORD.fullmatch(word) is not None)


def _numbered_home(m: re.Match) -> bool:
    """Whether a NUMBERED_WORD match is a house number and its street (see there)."""
    word = m.group(1).lower()
    if word in PLACE_WORDS or word in STOP_WORDS or word in CONTACT_WORDS:
        return False
    before = m.string[max(0, m.start() - 20):m.start()].split()
    return not before or before[-1].lower().strip(",:;(") not in NUMBERING_WORDS


# Words that number a place, not a home: a number after one is no house number, whatever street
# or place word follows ("GATE 3 CAR PARK", "Platform 2 Station Road": 8 December 2026).
NUMBERED_PLACES = frozenset(("gate", "level", "platform", "junction", "jct", "bay", "stand", "pitch", "pier", "berth",
                             "exit", "route", "bus", "service", "stop", "page", "zone", "section", "item", "floor"))


def _not_numbered_place(m: re.Match) -> bool:
    """False for an ADDRESS match right after a word that numbers a place (`NUMBERED_PLACES`)."""
    before = m.string[max(0, m.start() - 12):m.start()].split()
    return not before or before[-1].lower().strip(",:;(") not in NUMBERED_PLACES


def _not_a_street(m: re.Match) -> bool:
    """False for a name that is part of a street's or place's name ("John Twells Way", "Lady Mantle
    Close", "Mary Ann Street"): a street or place word follows within two words."""
    return STREET_AFTER.match(m.string, m.end()) is None


def _sub(pattern: re.Pattern, text: str, kind: str, counts: Counter, keep=None) -> str:
    """Replace the matches of `pattern` that `keep(match)` accepts (all by default) by the kind's
    placeholder, counting them."""
    def replace(m: re.Match) -> str:
        if keep is not None and not keep(m):
            return m.group(0)
        counts[kind] += 1
        return PLACEHOLDER[kind]
    return pattern.sub(replace, text)


def _count(counts: Counter, kind: str) -> str:
    """Count one item of `kind` removed; its placeholder."""
    counts[kind] += 1
    return PLACEHOLDER[kind]


def _emails(text: str, counts: Counter) -> str:
    """`_sub(EMAIL, text, "email", counts)` in time linear in the text: each '@' followed by a
    domain takes as its address the run of EMAIL's characters before it, from the first one an
    address may start with, within what the last address left. The run before one '@' ends at the
    one before (an '@' is no such character), so every character is looked at a bounded number of
    times. tests/unit/test_scrub.py holds it to EMAIL, text for text."""
    if "@" not in text:
        return text
    found, done = [], 0
    for m in EMAIL_DOMAIN.finditer(text):
        start = m.start()
        while start > done and _LOCAL_CHAR.match(text, start - 1):
            start -= 1
        first = next((i for i in range(start, m.start()) if _LOCAL_START.match(text, i)), None)
        if first is None:
            continue   # no address before this '@': the characters after it may begin the next one
        found.append((first, m.end(), PLACEHOLDER["email"]))
        done = m.end()
    counts["email"] += len(found)
    return _replaced(text, found)


def _phones(text: str, counts: Counter) -> str:
    if not PHONE_HINT.search(text):
        return text
    spans = []
    # found in a copy with an underscore between digits as a space (the same length: the spans are
    # the text's own)
    read = _UNDERSCORE_IN_NUMBER.sub(" ", text) if "_" in text else text
    for m in phonenumbers.PhoneNumberMatcher(read, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        digits = sum(c.isdigit() for c in m.raw_string)
        if DATE_LIKE.search(m.raw_string) or digits < (9 if m.raw_string.startswith("+") else 10):
            continue
        # (IN_REFERENCE reads the three characters before the digits, all it can match with the
        # newline `$` may stand before: not a copy of all the text before them, which made a field
        # of many numbers quadratic)
        joined = IN_REFERENCE.search(text[max(0, m.start - 3):m.start]) or text[m.end:m.end + 1].isalnum()
        if joined and not UK_NUMBER.fullmatch("".join(c for c in m.raw_string if c.isdigit())):
            continue   # digits joined to letters ("AV-2024-196925", "HPBC/2024/121574"): a reference
        spans.append((m.start, m.end, PLACEHOLDER["phone"]))
    found, i = list(spans), 0   # (in order, not overlapping)
    for m in UK_GROUPED.finditer(read):   # beside another number, which libphonenumber reads into it
        while i < len(found) and found[i][1] <= m.start():
            i += 1
        if i == len(found) or found[i][0] >= m.end():   # overlaps none of libphonenumber's
            spans.append((m.start(), m.end(), PLACEHOLDER["phone"]))
    spans.sort()
    counts["phone"] += len(spans)
    return _replaced(text, spans)


def _replaced(text: str, pieces: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, replacement) of `pieces` (in order, not overlapping) put in
    place of text[start:end], in one pass (replacing them one by one copied the text each time)."""
    parts, done = [], 0
    for start, end, replacement in pieces:
        parts += [text[done:start], replacement]
        done = end
    return "".join(parts) + text[done:]


def _postcodes(text: str, counts: Counter) -> str:
    def district(m: re.Match) -> str:
        whole = m.group(0)
        if whole not in (whole.upper(), whole.lower()):  # "A6 2nd" is a road and an ordinal
            return whole
        counts["postcode"] += 1
        return m.group(1).upper()
    return POSTCODE.sub(district, text)


def _title_name(m: re.Match) -> bool:
    """Whether a TITLE_NAME match is a title and a name: no street's name ("Lady Lane") and every word
    after the title (initials aside) a name word. After a title written with its dot ("Rev. Green",
    "Dr. Wood") a surname that is also a place word (`PLACE_SURNAMES`) is a name too (8 December 2026)."""
    title, *words = m.group(0).split()
    dotted = title.endswith(".") or "." in m.group(0)[:len(title) + 1]
    return _not_a_street(m) and all(
        (_is_name_word(w) or (dotted and w.lower() in PLACE_SURNAMES))
        and not (w.isupper() and (w in NOT_SURNAMES or not _VOWEL.search(w)))   # "PCSO SNT visit"
        for w in (w.rstrip(".") for w in words) if len(w) > 1)


def _caps_titles(text: str, counts: Counter) -> str:
    """TITLE_CAPS's matches replaced: the title and its name, and the word after it when that is a
    listed name too ("MISS JANE SMITH"). A title that is also a word ("MISS", "DR") takes a listed
    forename or surname; any other a name word with a vowel and no abbreviation (`NOT_SURNAMES`);
    none before a street or place word ("SIR JOHN'S PRIMARY SCHOOL")."""
    names = _names()

    def listed(word: str) -> bool:
        word = _folded(re.sub(r"['’]S$", "", word)).capitalize()
        return word in names.forenames or word in names.surnames

    spans, done = [], 0
    for m in TITLE_CAPS.finditer(text):
        title, name = m.group(0).split()[0].rstrip("."), m.group(2)
        if m.start() < done or not (listed(name) or (title not in TITLES_ALSO_WORDS and _is_name_word(name)
                                                     and name not in NOT_SURNAMES and _VOWEL.search(name))):
            continue
        after = _CAPS_WORD_AFTER.match(text, m.end())
        end = after.end() if after and listed(after.group(1)) else m.end()
        if STREET_AFTER.match(text, end):
            continue
        spans.append((m.start(), end, PLACEHOLDER["name"]))
        done = end
    counts["name"] += len(spans)
    return _replaced(text, spans)


def _names_removed(text: str, counts: Counter) -> str:
    if DIGIT.search(text):   # an officer's rank, collar number and surname ("PC 1234 Haworth")
        text = _sub(OFFICER, text, "name", counts, keep=lambda m: _is_name_word(m.group(1)))
    text = _sub(TITLE_NAME, text, "name", counts, keep=_title_name)
    if IN_CAPITALS.search(text):
        text = _caps_titles(text, counts)

    def contact(m: re.Match) -> str:  # the name words after a contact word
        words = list(re.finditer(r"\S+", m.group(1)))
        n = next((i for i, w in enumerate(words) if not _is_name_word(w.group())), len(words))
        # none before a street or place word: a place named after someone ("Nan Gells Hill")
        if n == 0 or STREET_AFTER.match(m.string, m.start(1) + words[n - 1].end()):
            return m.group(0)
        counts["name"] += 1
        offset = m.start(1) - m.start(0)
        return m.group(0)[:offset] + PLACEHOLDER["name"] + m.group(0)[offset + words[n - 1].end():]
    low = text.lower()
    if any(w in low for w in CONTACT_WORDS):
        text = CONTACT.sub(contact, text)

    def before(m: re.Match) -> str:  # the name words right before a phone number or e-mail
        words = list(re.finditer(r"\S+", m.group(1)))
        n = len(words)
        while n > 0 and _is_name_word(words[n - 1].group()):
            n -= 1
        if n == len(words):
            return m.group(0)
        head = m.group(1)[:words[n].start()]
        taken = [w.group() for w in words[n:]]
        if not (any(w[0].isupper() for w in taken) or KEYWORD_BEFORE.search(_tail(text, m.start(0), head))):
            return m.group(0)
        counts["name"] += 1
        return head + PLACEHOLDER["name"] + m.group(0)[len(m.group(1)):]
    if "[phone]" in text or "[email]" in text:
        text = _before_contact(text, before)
    names = _names()
    folded = _folded(text)   # the lists are written without accents: "Zoë" is the listed "Zoe"
    if not (names.forenames.isdisjoint(CAPITALISED.findall(folded))  # most values hold no forename at all
            and names.forenames.isdisjoint(w.capitalize() for w in IN_CAPITALS.findall(folded))):
        # not a forename that is a word too before a surname that is a place word too ("Holly Bush")
        text, folded = _sub_folded(names.pair, text, folded, counts,
                                   keep=lambda m: _is_name_word(m.group(1)) and _not_a_street(m)
                                   and not (m.group(0).split()[0] in names.also_words
                                            and m.group(1).lower() in PLACE_SURNAMES))
        # a forename alone ("Zoë rang [phone]", "outside Siân's", "called by Priya"), unless a
        # street or place word follows ("Victoria Street") or precedes it ("St Helen's")
        text, folded = _sub_folded(names.lone, text, folded, counts,
                                   keep=lambda m: _not_a_street(m) and _not_after_place_word(m))
    text, folded = _sub_folded(names.initial, text, folded, counts, keep=_not_a_street)
    # a name word and a listed surname ("Aoife O'Sullivan", "Piotr Nowak"): not a street's name
    text, folded = _sub_folded(names.before_surname, text, folded, counts,
                               keep=lambda m: _is_name_word(m.group(1)) and _surname(m).lower() not in PLACE_SURNAMES
                               and _is_name_word(_surname(m)) and _not_a_street(m) and _not_after_place_word(m))
    # a surname written before the name found after it ("Smith, [name]": a register's order; in
    # capitals without the comma, as police and housing systems write it: "WHITTAKER [name]")
    if "[name]" in text:
        text = _sub(SURNAME_FIRST, text, "name", counts, keep=lambda m: _is_name_word(m.group(1)))
        text = _sub(SURNAME_CAPS_FIRST, text, "name", counts,
                    keep=lambda m: _is_name_word(m.group(1)) and m.group(1) not in NOT_SURNAMES)
        text = text.replace("[name], [name]", "[name]").replace("[name] [name]", "[name]")
        folded = _folded(text)
    if "amily" in text:   # "the Thompson family"
        text = _sub(FAMILY_NAME, text, "name", counts, keep=lambda m: _is_name_word(m.group(1)))
        folded = _folded(text)
    # a listed forename and surname typed in lower case ("gary thompson's house": the audit)
    return _sub_folded(names.lower_pair, text, folded, counts,
                       keep=lambda m: _not_a_street(m) and _not_after_place_word(m))[0]


def _surname(m: re.Match) -> str:
    """The surname a `before_surname` match ends with, without its possessive ("Field" of
    "Playing Field": a place word, so no name)."""
    return re.sub(r"['’]s$", "", m.group(0).split()[-1])


def _before_contact(text: str, replace) -> str:
    """`BEFORE_CONTACT.sub(replace, text)` in time linear in the text. Searched for across a text,
    the pattern tried every letter of a long run of word characters as a start, and from each
    consumed the run and backed out of it (a 20 KB token then ". jane@example.com": 11 s). A match
    can only begin at the first letter of a run: from any later letter of the same run it would
    also match from that first one, which comes first (and where that one fails, it fails too). So
    only those starts are tried, in order, each match's end the next search's floor, as `sub` does;
    tests/unit/test_scrub.py holds it to the pattern, text for text."""
    found, done = [], 0
    for run in _WORD_RUN.finditer(text):
        if run.start() < done:
            continue
        letter = _LETTER.search(text, run.start(), run.end())
        m = BEFORE_CONTACT.match(text, letter.start()) if letter else None
        if m:
            found.append((m.start(), m.end(), replace(m)))
            done = m.end()
    return _replaced(text, found)


def _tail(text: str, end: int, head: str) -> str:
    """The end of `text[:end] + head` that KEYWORD_BEFORE can match in, without copying the rest
    (each name before a phone number or e-mail copied all the text before it: quadratic in a field
    of many): the whitespace, sign and whitespace it ends with, the longest contact word before them
    and one character more, which decides the word boundary."""
    def char(i: int) -> str:
        return head[i - end] if i >= end else text[i]
    i = end + len(head)
    while i > 0 and char(i - 1).isspace():
        i -= 1
    if i > 0 and char(i - 1) in ":=-":
        i -= 1
    while i > 0 and char(i - 1).isspace():
        i -= 1
    start = max(0, i - LONGEST_KEYWORD - 1)
    return text[start:end] + head if start < end else head[start - end:]


def _folded(text: str) -> str:
    """`text` with each accented letter as its base letter, position for position ("Zoë" -> "Zoe")."""
    if text.isascii():
        return text
    return "".join(unicodedata.normalize("NFKD", ch)[0] if not ch.isascii() else ch for ch in text)


def _sub_folded(pattern: re.Pattern, text: str, folded: str, counts: Counter, keep) -> tuple[str, str]:
    """`_sub` of a name pattern matched on the accent-folded `folded`, replaced in `text` (the two
    are position for position); both texts after the replacement."""
    spans = [(*m.span(), PLACEHOLDER["name"]) for m in pattern.finditer(folded) if keep(m)]
    counts["name"] += len(spans)
    return _replaced(text, spans), _replaced(folded, spans)


def scrub_text(text: str) -> tuple[str, dict[str, int]]:
    """`text` without names, phone numbers, e-mails, house numbers with their street and full
    postcodes, and how many of each kind were removed (kinds with none are left out)."""
    counts: Counter = Counter()
    text = _as_shown(text)
    if "@" in text or "&" in text or "%" in text:
        text = _AT_WRITTEN.sub("@", text)
    text = _emails(text, counts)
    if _DISGUISED.search(text):
        text = _sub(OBFUSCATED_EMAIL, text, "email", counts)
        text = _sub(SPOKEN_AT_EMAIL, text, "email", counts)
    if DIGIT.search(text):   # a date of birth before the phone numbers (its digits are no phone's)
        text = BIRTH_DATE.sub(lambda m: m.group(0)[:m.start(1) - m.start(0)] + _count(counts, "birth_date"), text)
        text = _sub(VEHICLE, text, "vehicle", counts)
        text = _sub(OLD_VEHICLE, text, "vehicle", counts, keep=lambda m: (m.group(1) or m.group(2)) not in PLATE_WORDS)
        text = _sub(NI_NUMBER, text, "ni_number", counts)
    text = _phones(text, counts)
    text = _postcodes(text, counts)
    if DIGIT.search(text):  # a house number, a flat number
        text = _sub(ADDRESS, text, "address", counts, keep=_not_numbered_place)
        text = _sub(STREET_NUMBER, text, "address", counts)
        text = _sub(NUMBERED_WORD, text, "address", counts, keep=_numbered_home)
        text = _sub(HOUSE_NUMBER, text, "address", counts)
    if _FLAT_WORD.search(text):   # a flat by its number or letter ("Flat 2, Cedar House", "Flat A")
        text = _sub(FLAT, text, "address", counts)
    if _HOME_WORD.search(text):
        text = _sub(HOUSE_NAME, text, "address", counts)
    text = _names_removed(text, counts)
    return text, {k: counts[k] for k in KINDS if counts[k]}


# an invisible character between a word and a capital letter: a word break ("Mrs\u200bPatel")
_REPLACED_IN_NUMBER = re.compile("(?<=\\d)\ufffd(?=\\d)")
_INVISIBLE_BREAK = re.compile(f"(?<=[^\\W\\d_])[{re.escape(plain.INVISIBLE)}]+(?=[A-Z])")


# a no-break space or a line break written in HTML (a web-based case system's export: the personal-data
# audit of 8 December 2026 found "call 07700&nbsp;900112" and "Outside 16<br>Larch Way" kept whole)
_HTML_BREAK = re.compile(r"(?i)&nbsp;|&#160;|&#x0*a0;|<br\s*/?>|</?p>")


def _as_shown(text: str) -> str:
    """The text as a reader sees it (`plain.plain`), so that no invisible or full-width character, no
    odd space or dash hides a phone number, an e-mail or a name from the patterns (the partner-file
    audit: "07700 – 900145" and "Mrs\u200bPatel" reached the warehouse); an invisible character
    between a word and a capital letter is the word break it shows as."""
    if "&" in text or "<" in text:   # HTML from a web-based case system: "07700&nbsp;900112", "16<br>Larch Way"
        text = _HTML_BREAK.sub(" ", text)
    if text.isascii():
        return text
    if "\ufffd" in text:   # a byte the file's encoding did not define, between digits: a space in a number
        text = _REPLACED_IN_NUMBER.sub(" ", text)
    return plain.plain(_INVISIBLE_BREAK.sub(" ", text))


def scrub_values(values: Iterable[str | None]) -> dict[str, tuple[str, dict[str, int]]]:
    """Each distinct non-null value scrubbed once: value -> (scrubbed text, counts per kind)."""
    return {v: scrub_text(v) for v in set(values) if v is not None}


def _register_changed(con: duckdb.DuckDBPyConnection, changed: dict, name: str) -> None:
    """The changed values as two temporary tables: `name` (__asb_original -> __asb_cleaned) and
    `name`_counts (__asb_original, __asb_removed: the kind removed, __asb_items: how many). Their
    columns are named `__asb_...`, so that no partner header joined with them is made ambiguous."""
    con.register(f"{name}_frame", pd.DataFrame(
        {"__asb_original": list(changed), "__asb_cleaned": [c for c, _ in changed.values()]}, dtype="object"))
    con.register(f"{name}_counts_frame", pd.DataFrame(
        [(v, kind, n) for v, (_, counts) in changed.items() for kind, n in counts.items()],
        columns=["__asb_original", "__asb_removed", "__asb_items"], dtype="object").astype({"__asb_items": "int64"}))
    con.execute(f"create or replace temp table {name} as select * from {name}_frame")
    con.execute(f"create or replace temp table {name}_counts as select * from {name}_counts_frame")
    con.unregister(f"{name}_frame")
    con.unregister(f"{name}_counts_frame")


def _record(con: duckdb.DuckDBPyConnection, changed: dict, record_sql: str) -> None:
    """Register the changed values (`_register_changed` as `_scrub_map`) and insert the counts
    `record_sql` selects into etl_scrubbed."""
    _register_changed(con, changed, "_scrub_map")
    con.execute(f"insert into etl_scrubbed {record_sql}")


class ReadScrub:
    """The free-text columns of rows being read, scrubbed on the way in (the kinds staged as they
    are read, etl/sources/extract.py `STAGED_ON_READ`, have no raw table for `scrub_raw` to update):
    `prepare` scrubs each column's distinct values (read by the caller, with whatever else it needs,
    in one scan) and registers the changed ones (original -> cleaned); `expr` and `joins` give the
    column's scrubbed value in the reading statement; `record` adds the counts to etl_scrubbed once
    that statement has loaded the rows, as `scrub_raw` does (`_register_changed`'s tables)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, relation: str, columns: dict[str, str]) -> None:
        """`columns`: free-text column -> its SQL over `relation` (the file's or batch's rows)."""
        self.con, self.relation, self.columns = con, relation, columns
        self.changed: dict[str, str] = {}   # column -> the name of its map of changed values

    def prepare(self, values: dict[str, Iterable[str | None]]) -> None:
        """`values`: each column's distinct values in the relation."""
        for n, column in enumerate(self.columns):
            changed = {v: r for v, r in scrub_values(values[column]).items() if r[1]}
            if not changed:
                continue
            name = f"_read_scrub_{n}"
            _register_changed(self.con, changed, name)
            self.changed[column] = name

    def expr(self, column: str, expr: str) -> str:
        """`column`'s value in the reading statement: scrubbed where its text changed."""
        name = self.changed.get(column)
        if name is None:
            return expr
        return f"(case when {name}.__asb_original is not null then {name}.__asb_cleaned else {expr} end)"

    def joins(self) -> str:
        """The joins `expr` reads (each changed column's map, on its value as read)."""
        return "".join(f" left join {name} on {name}.__asb_original = {self.columns[column]}"
                       for column, name in self.changed.items())

    def record(self, load_id: str, source: str, kind: str, file_sql: str) -> None:
        """The counts of the rows read (each file's by `file_sql` over the relation), kept in a
        temporary table until `flush_read` moves them into etl_scrubbed: the caller records them
        in the transaction that stages the rows, and DuckDB lets a transaction write to one attached
        database only (the build's scratch one holds the staged rows, etl_scrubbed is the
        warehouse's), temporary tables aside."""
        quoted = [str(v).replace("'", "''") for v in (load_id, source, kind)]
        self.con.execute(f"create temp table if not exists {READ_COUNTS} as select * from etl_scrubbed limit 0")
        for column, name in self.changed.items():
            self.con.execute(f"""insert into {READ_COUNTS}
                select '{quoted[0]}', '{quoted[1]}', '{quoted[2]}', {file_sql}, '{column}', __asb_c.__asb_removed,
                       sum(__asb_c.__asb_items), count(*)
                from {self.relation} join {name}_counts as __asb_c on __asb_c.__asb_original = {self.columns[column]}
                group by all""")

    def close(self) -> None:
        for name in self.changed.values():
            self.con.execute(f"drop table if exists {name}; drop table if exists {name}_counts")


READ_COUNTS = "_read_scrubbed"   # ReadScrub's counts until `flush_read`


def flush_read(con: duckdb.DuckDBPyConnection) -> None:
    """Move the counts `ReadScrub.record` kept into etl_scrubbed (once the files are read)."""
    if con.execute("select count(*) from duckdb_tables() where temporary and table_name = ?",
                   [READ_COUNTS]).fetchall()[0][0]:
        con.execute(f"insert into etl_scrubbed select * from {READ_COUNTS}; drop table temp.{READ_COUNTS}")


def scrub_raw(con: duckdb.DuckDBPyConnection, sources: Iterable, load_id: str) -> None:
    """Scrub the free-text columns (and SCRUBBED_CODES) of every source's raw table in place
    (`sources`: objects with `table` and `kind`, as etl.sources.config.Source), recording counts
    in etl_scrubbed."""
    for source in sources:
        codes = SCRUBBED_CODES.get(source.kind, ())
        coded = {}
        if codes:   # one scan for every code column: a few thousand distinct values, none changed normally
            listed = ", ".join(codes)
            coded = {v: r for v, r in scrub_values(r[0] for r in con.execute(
                f"select distinct v from (select unnest([{listed}]) as v from {source.table}) "
                "where v is not null").fetchall()).items() if r[1]}
        for column in (*FREE_TEXT.get(source.kind, ()), *(codes if coded else ())):
            if column in codes:
                values = [r[0] for r in con.execute(
                    f"select distinct {column} from {source.table} where {column} = any(?)", [list(coded)]).fetchall()]
                changed = {v: coded[v] for v in values}
            else:
                values = [r[0] for r in con.execute(
                    f"select distinct {column} from {source.table} where {column} is not null").fetchall()]
                changed = {v: r for v, r in scrub_values(values).items() if r[1]}
            if not changed:
                continue
            _record(con, changed, f"""
                select '{load_id}', r.source, '{source.kind}', r.source_file, '{column}', c.__asb_removed,
                       sum(c.__asb_items * coalesce(len(r.source_rows), 1)), sum(coalesce(len(r.source_rows), 1))
                from {source.table} r join _scrub_map_counts c on r.{column} = c.__asb_original group by all""")
            con.execute(f"""update {source.table} set {column} = m.__asb_cleaned from _scrub_map m
                            where {source.table}.{column} = m.__asb_original""")


# Raw values kept as sent in a reject: a police record's Crime ID, the pseudonymised person and the
# postcode (a structured column, not free text) when it has a postcode's shape (`is_postcode`); any
# other text in the postcode column is scrubbed. The record's own reference is scrubbed too: a
# rejected row is found by its file and row, and an export's footer in the reference column
# ("Report run by Gary Thompson on 01/07/2025 09:14") was kept as sent (the personal-data audit of
# 8 December 2026); a reference as partners write it has nothing the scrub removes. A loaded row's
# reference is kept as sent (two scrubbed to one placeholder would be one record), or is a
# `personal_key` reject.
RAW_AS_SENT = ("crime_id", "person_key", "postcode")
POSTCODE_SHAPE = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}")
# the same test in DuckDB, on the column `{}`
POSTCODE_SHAPE_SQL = "regexp_full_match(upper(replace(trim({}), ' ', '')), '[A-Z]{{1,2}}[0-9][A-Z0-9]?[0-9][A-Z]{{2}}')"


def is_postcode(value: str) -> bool:
    """Whether a value has a full unit postcode's shape (`DE7 5RP`, `de75rp`): kept as sent in a
    reject, as the partner wrote it (the scrub would cut it to its district)."""
    return POSTCODE_SHAPE.fullmatch(value.strip().replace(" ", "").upper()) is not None


def _scrub_json(text: str) -> tuple[str, dict[str, int]]:
    """A rejected row's raw values (a JSON object of text): each value scrubbed but those kept as
    sent (RAW_AS_SENT; a postcode only when it has a postcode's shape)."""
    values, counts = json.loads(text), Counter()
    for key, value in values.items():
        if isinstance(value, str) and (key not in RAW_AS_SENT or key == "postcode" and not is_postcode(value)):
            values[key], found = scrub_text(value)
            counts.update(found)
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")), dict(counts)


def personal_key_sql(column: str, prefiltered: bool = True) -> str:
    """Whether a record's own reference (`column`, its text as sent) holds a person's details: an
    e-mail address; a UK phone number (eleven digits from 01, 02, 03 or 07, or +44) in a reference
    with a space, or as the whole reference; a title and a name ("Mrs Patel 07700 900124"); an
    address or a date of birth in a reference with a space; a whole reference that is a National
    Insurance number, a registration or a full postcode. Such a row is a `personal_key` reject
    (etl/transform/stage.py): a reference is the partner's case number, and a key is stored as
    sent. A reference a partner's system writes ("AV 2025 00017", "HP-0123-456789",
    "INC-20250701-00001") is none of these. Cheap tests first: the regular expressions run only on
    the few references with an @, a space, a leading 0 or +, a title's letters, a mobile number's
    07 or a digit second or third (`prefiltered`; False gives the tests alone, which answer the
    same: a property test holds them to it)."""
    phone = "(\\+44\\s?|0)[1237]([\\s-]{0,3}[0-9]){9}"
    spaced = f"(contains({column}, ' ') or contains({column}, chr(160)))"
    # joined up (the personal-data audit of 6 December 2026): a title and a capitalised name
    # ("Mrs.Patel", "Mr_Khan_..."), a mobile number among letters ("AV-07700900201"), with its
    # country code alone ("447700900205"), an internal or disguised e-mail ("patel.s@derby",
    # "jo(at)example.com")
    titled = (f"((contains({column}, 'Mr') or contains({column}, 'Ms') or contains({column}, 'Mx')) and "
              f"regexp_matches({column}, '(^|[^A-Za-z])(Mr|Mrs|Ms|Mx)[._][A-Z][a-z]+'))")
    mobile = f"(contains({column}, '07') and regexp_matches({column}, '(^|[^0-9])07[1-9][0-9]{{8}}([^0-9]|$)'))"
    country = f"(starts_with({column}, '447') and regexp_full_match({column}, '447[0-9]{{9}}'))"
    disguised = f"(contains({column}, '(at)') or contains({column}, '(AT)') or contains({column}, '[at]'))"
    # two to four words of letters alone ("Jane Doe", "OLU ADEYEMI"): a name, never a case number
    words = (f"({spaced} and not regexp_matches({column}, '[0-9]') "
             f"and regexp_full_match({column}, '[A-Za-z''’.-]+([\\s\\xa0]+[A-Za-z''’.-]+){{1,3}}'))")
    # an address, a date of birth, a National Insurance number, a registration or a full postcode
    # (the personal-data audit of 7 December 2026: "Flat 3, 21 Larkspur Crescent", "J Smith DOB
    # 22/03/1985", "JT123456D", "AB12 CDE", "DE7 5HQ" were stored as references)
    streets = "street|st|road|rd|avenue|ave|close|lane|drive|crescent|way|court|grove|place|terrace|gardens|" \
              "green|mews|view|park|square|walk|row|rise|hill"
    # (each regular expression in a CASE, run on the few references its cheap test lets through: in
    # an OR, DuckDB ran them on all ten million, 3 s more)
    address = (f"(case when {spaced} then regexp_matches({column}, '(?i)(^|[\\s,])(flat\\s+[0-9]|[0-9]{{1,3}}[a-z]?,?"
               f"\\s+([a-z''’-]+\\s+){{0,3}}({streets})([^a-z]|$))|(^|[^a-z])(dob|d\\.o\\.b|date of birth)([^a-z]|$)') "
               "else false end)")
    digit_early = f"(substr({column}, 2, 1) between '0' and '9' or substr({column}, 3, 1) between '0' and '9')"
    shaped = (f"(case when length({column}) between 5 and 14 and ({spaced} or {digit_early}) then "
              f"regexp_full_match(upper(trim({column})), "
              "'[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\\s?[0-9]{2}\\s?[0-9]{2}\\s?[0-9]{2}\\s?[A-D]"
              "|[A-Z]{2}[0-9]{2}[\\s-]?[A-Z]{3}|[A-Z]{1,2}[0-9][A-Z0-9]?\\s?[0-9][ABD-HJLNP-UW-Z]{2}') else false end)")
    # every test above starts with a cheap one; a reference none of them lets through (almost all of
    # them) is no personal key without any regular expression run on it (in an OR DuckDB ran each
    # on every record: 5-6 s of CPU for the ten million references of the scale-55 demo)
    cheap = (f"(contains({column}, '@') or {spaced} or starts_with({column}, '0') or starts_with({column}, '+') "
             f"or contains({column}, 'Mr') or contains({column}, 'Ms') or contains({column}, 'Mx') "
             f"or contains({column}, '07') or starts_with({column}, '447') or contains({column}, '(at)') "
             f"or contains({column}, '(AT)') or contains({column}, '[at]') "
             f"or (length({column}) between 5 and 14 and {digit_early}))")
    tests = (f"((contains({column}, '@') and regexp_matches({column}, '[^@\\s]@[^@\\s]+\\.[A-Za-z]{{2,}}|[A-Za-z]@[A-Za-z]'))"
            f" or ({spaced} and (regexp_matches({column}, '(^|[^0-9]){phone}([^0-9]|$)')"
            f" or regexp_matches({column}, '(?i)(^|\\s)(mr|mrs|ms|miss|mx|dr)\\.?\\s+[a-z]')))"
            f" or ((starts_with({column}, '0') or starts_with({column}, '+')) and regexp_full_match({column}, '{phone}'))"
            f" or {titled} or {mobile} or {country} or {disguised} or {words} or {address} or {shaped})")
    return f"(case when {cheap} then {tests} else false end)" if prefiltered else tests


PERSONAL_KEY = "personal_key"   # the reject code of a reference holding a person's details


def scrub_rejects(con: duckdb.DuckDBPyConnection, kind: str, table: str, load_id: str, code: str) -> None:
    """`scrub_staged`'s scrub of the reason and raw values of the rows of `table` marked reject
    `code` after it ran (build.py `_unknown_applications`, whose reasons quote a reference)."""
    where = f"reject_code = '{code}'"
    _scrub_column(con, kind, table, load_id, "reject_reason", scrub_text, f"reject_reason is not null and {where}")
    _scrub_column(con, kind, table, load_id, "raw_values", _scrub_json,
                  f"raw_values is not null and {where}")


def _scrub_key_json(key: str):
    """A `personal_key` reject's raw values with its reference `[personal data]` (RAW_AS_SENT keeps
    a key as sent; this one holds a person's details: scrubbed, "J Quixtonbury DOB 22/03/1985"
    kept the unlisted surname, the personal-data audit of 7 December 2026), the other values as
    `_scrub_json` does; the kinds the scrub finds in it are counted."""
    def scrub(text: str) -> tuple[str, dict[str, int]]:
        values = json.loads(text)
        found: Counter = Counter()
        if isinstance(values.get(key), str):
            found.update(scrub_text(values[key])[1])
            values[key] = "[personal data]"
        rest, counts = _scrub_json(json.dumps(values, ensure_ascii=False, separators=(",", ":")))
        found.update(counts)
        return rest, dict(found)
    return scrub


def scrub_staged(con: duckdb.DuckDBPyConnection, kind: str, table: str, load_id: str) -> None:
    """Scrub, in the staged table `table` of `kind`, the text that quotes raw values outside the
    free-text columns (MESSAGE_COLUMNS, `raw_values`, LOOSE_REFERENCES), recording counts in
    etl_scrubbed as scrub_raw does. Only distinct values are scrubbed: rejected rows and errors are
    few, and a loose reference is looked at only when it could hold personal data at all."""
    columns = {c: scrub_text for c in MESSAGE_COLUMNS}
    columns["raw_values"] = _scrub_json
    columns.update({c: scrub_text for c in LOOSE_REFERENCES.get(kind, ())})
    key = schema.KEYS.get(kind)
    if key:   # first, so that the other raw values are scrubbed once, with it
        _scrub_column(con, kind, table, load_id, "raw_values", _scrub_key_json(key),
                      f"raw_values is not null and reject_code = '{PERSONAL_KEY}'")
    for column, scrubber in columns.items():
        where = f"{column} is not null"
        if column in LOOSE_REFERENCES.get(kind, ()):
            where += f" and regexp_matches({column}, '{MAYBE_PERSONAL_SQL}')"
        if column == "raw_values" and key:
            where += f" and reject_code is distinct from '{PERSONAL_KEY}'"
        _scrub_column(con, kind, table, load_id, column, scrubber, where)


def _scrub_column(con: duckdb.DuckDBPyConnection, kind: str, table: str, load_id: str, column: str, scrubber,
                  where: str) -> None:
    """`scrub_staged` of one column of the rows `where` selects: each distinct value scrubbed once,
    the counts recorded in etl_scrubbed, the changed values updated."""
    values = [r[0] for r in con.execute(f"select distinct {column} from {table} where {where}").fetchall()]
    changed = {v: r for v in values if (r := scrubber(v))[1] or r[0] != v}
    if not changed:
        return
    _record(con, changed, f"""
        select '{load_id}', r.source, '{kind}', r.source_file, '{column}', c.__asb_removed,
               sum(c.__asb_items * coalesce(len(r.source_rows), 1)), sum(coalesce(len(r.source_rows), 1))
        from {table} r join _scrub_map_counts c on r.{column} = c.__asb_original group by all""")
    con.execute(f"update {table} set {column} = m.__asb_cleaned from _scrub_map m "
                f"where {table}.{column} = m.__asb_original")


def line_shape(raw: str | None) -> str | None:
    """What a `malformed_row` reject keeps of a record that could not be split into columns: its
    shape, not its text. Upper-case letters become A, lower-case a, digits 9; separators, quotes
    and spaces stay, so the reason (a stray delimiter, an unclosed quote) can still be seen:
    'ECN-7,"Smith, J",07700 900123' -> 'AAA-9,"Aaaaa, A",99999 999999'. The line cannot be split,
    so its person reference cannot be pseudonymised and its free text cannot be scrubbed field by
    field: nothing of it is kept (the file and row number find it in the partner's file)."""
    if raw is None:
        return None
    return "".join("A" if ch.isupper() else "a" if ch.isalpha() else "9" if ch.isdigit() else ch for ch in raw)
