"""Charts drawn on the server as SVG: no script, no chart library, readable without colour.

The functions here only compute geometry (in SVG user units); the templates draw it, each chart
with a <title> and <desc>, its numbers printed on it and a table of the same figures next to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

# The daily chart's drawing area, in user units (the SVG scales to its container's width).
WIDTH, HEIGHT = 720, 200
LEFT, BOTTOM, TOP = 44, 24, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    value: int

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 2)

    @property
    def label_y(self) -> float:
        """Where its value is printed, just above it."""
        return round(self.y - 6, 2)


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class DayLabel:
    x: float
    day: date
    anchor: str = "middle"  # the last one ends at its bar, so it isn't cut off at the edge


@dataclass(frozen=True)
class DailyChart:
    width: int
    height: int
    left: int
    plot_bottom: float
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[DayLabel]
    total: int
    peak: Bar | None

    @property
    def average(self) -> int:
        return round(self.total / len(self.bars)) if self.bars else 0


def nice_ceiling(value: int) -> int:
    """The round number at or above ``value`` an axis ends at: 1, 2, 5, 10, 20, 50 …"""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def daily_chart(days: list[tuple[date, int]]) -> DailyChart:
    """Vertical bars, one per day, on an axis from 0 to a round number with three gridlines."""
    top = nice_ceiling(max((value for _day, value in days), default=0))
    plot_width, plot_height = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_width / max(len(days), 1)
    gap = min(slot * 0.25, 4)
    bars = []
    for n, (day, value) in enumerate(days):
        height = plot_height * value / top
        bars.append(
            Bar(
                x=round(LEFT + n * slot + gap / 2, 2),
                y=round(TOP + plot_height - height, 2),
                width=round(slot - gap, 2),
                height=round(height, 2),
                day=day,
                value=value,
            )
        )
    ticks = [Tick(round(TOP + plot_height * (1 - share), 2), round(top * share)) for share in (0, 0.5, 1)]
    every = 7 if len(days) <= 31 else 14
    labels = [DayLabel(bar.center, bar.day) for n, bar in enumerate(bars) if (len(bars) - 1 - n) % every == 0]
    if bars:  # the latest day is always labelled; it ends at its bar, so the chart's edge doesn't cut it
        labels[-1] = DayLabel(round(bars[-1].x + bars[-1].width, 2), bars[-1].day, "end")
    peak = max((bar for bar in bars if bar.value), key=lambda bar: bar.value, default=None)
    return DailyChart(WIDTH, HEIGHT, LEFT, TOP + plot_height, bars, ticks, labels, sum(v for _d, v in days), peak)


@dataclass(frozen=True)
class Share:
    """One row of a breakdown with its bar: ``width`` is its share of the largest row (0–100), for
    the bar; ``percent`` its share of the total, printed."""

    row: Any
    width: float
    percent: int


def shares(rows: list, *, value: Callable[[Any], int | Decimal] = lambda row: row.credits) -> list[Share]:
    """Each row (largest first, as given) with its bar width and percentage of ``value``."""
    values = [value(row) for row in rows]
    largest = max(values, default=0) or 1
    total = sum(values) or 1
    return [
        Share(row, round(float(100 * amount / largest), 1), round(float(100 * amount / total)))
        for row, amount in zip(rows, values, strict=True)
    ]
