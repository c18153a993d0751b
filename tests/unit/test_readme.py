"""The README's "Your own exports" section stays true: every canonical column, every closed list,
every sources.toml option and every canonical ASB type is documented there."""

from __future__ import annotations

import re
from pathlib import Path

from etl import schema
from etl.rules import vocabulary
from etl.sources import config

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Your own exports"):README.index("## What the build does")]


def test_every_canonical_column_is_listed():
    for kind, fields in schema.INPUTS.items():
        row = next(line for line in SECTION.splitlines() if line.startswith(f"| {kind} |"))
        for f in fields:
            assert f"`{f.name}`" in row, (kind, f.name)
            required = row.split("|")[2]
            assert (f"`{f.name}`" in required) == f.required, (kind, f.name, "required?")


def test_every_closed_list_and_type_is_listed():
    for fields in schema.INPUTS.values():
        for f in fields:
            if f.allowed and f.allowed != schema.YES_NO:
                assert "/".join(f.allowed) in SECTION.replace("\n", " "), f.name
    table = {m.group(1) for m in re.finditer(r"^\| ([a-z -]+) \| (?:personal|nuisance|environmental|any) \|",
                                            SECTION, re.M)}
    assert table == set(vocabulary.ASB_TYPES)


def test_every_sources_toml_option_has_an_example():
    for key in config._SOURCE_KEYS:
        assert re.search(rf"^(\[source\.)?{key}\b", SECTION, re.M), key
    for key in ("boundaries", "lsoa_path", "ward_path", "pseudonym_key_file", "duplicate_distance_m",
                "duplicate_days", "settings"):
        assert re.search(rf"^{key} = ", SECTION, re.M), key
