"""A repeated list option adds to the list, as `--authority A B` does: `--authority A --authority B`
used to keep only B, so a return or a pack silently covered one authority of the two asked for."""

from __future__ import annotations

import pytest

from insight import cli

EREWASH, DERBY = "E07000036", "E06000015"


@pytest.mark.parametrize("argv", [
    ["export", "return", "--year", "2025/26", "--out", "x"],
    ["report", "--month", "2026-10", "--out", "pack.pptx"],
])
@pytest.mark.parametrize("given", [["--authority", "Erewash", "--authority", "Derby"],
                                   ["--authority", "Erewash", "Derby"]])
def test__cli__a_repeated_authority_option_adds_to_the_list(argv, given):
    args = cli.parser(argv[0]).parse_args(argv + given)
    assert sorted(args.authority) == sorted([EREWASH, DERBY])


def test__cli__a_repeated_table_option_adds_to_the_list():
    args = cli.parser("export").parse_args(["export", "parquet", "--out", "x", "--table", "mart_appeals",
                                            "--table", "mart_actions"])
    assert args.table == ["mart_appeals", "mart_actions"]
