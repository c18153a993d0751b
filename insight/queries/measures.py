"""What a headline measure is: its column, its name on screen, its one definition and which
direction is good. The Overview's and the Partnership page's measures are tuples of these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    column: str
    label: str
    definition: str
    direction: int  # +1 higher is better, -1 higher is worse, 0 neither is good or bad in itself
    is_share: bool = False
