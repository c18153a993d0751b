"""What a headline measure is: its column, which direction is good, whether it is a share, and its
glossary term (insight/glossary.py), which gives its one name and one definition. The Overview's
and the Partnership page's measures are tuples of these."""

from __future__ import annotations

from dataclasses import dataclass

from insight import glossary


@dataclass(frozen=True)
class Measure:
    column: str
    direction: int  # +1 higher is better, -1 higher is worse, 0 neither is good or bad in itself
    is_share: bool = False
    term: str = ""  # the glossary key, when it is not the column's name

    @property
    def key(self) -> str:
        return self.term or self.column

    @property
    def label(self) -> str:
        return glossary.name(self.key)

    @property
    def definition(self) -> str:
        return glossary.definition(self.key)
