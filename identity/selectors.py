"""Reads for identity pages: a character's likeness over time (the drift chart), keepers runs."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from django.http import Http404

from assets.models import Asset, Likeness
from characters.models import Character, TrainingRun
from core.jobs import JobStatus
from identity.models import KeepersRun
from orgs.models import Organization

# The chart's drawing box (SVG user units); the template draws axes around it.
WIDTH, HEIGHT, LEFT, TOP = 640, 200, 36, 10
MOST_POINTS = 2000


@dataclass
class Bucket:
    start: str  # a date label
    count: int
    median: float
    low: float  # 25th percentile
    high: float  # 75th percentile
    x: float = 0
    y_median: float = 0
    y_low: float = 0
    y_high: float = 0


@dataclass
class Drift:
    buckets: list[Bucket] = field(default_factory=list)
    by: str = "day"
    scored: int = 0
    unscored: dict[str, int] = field(default_factory=dict)  # status label → count
    versions: list[tuple[float, str]] = field(default_factory=list)  # (x, label) of LoRA trainings
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP

    @property
    def line(self) -> str:
        return " ".join(f"{b.x:.1f},{b.y_median:.1f}" for b in self.buckets)

    @property
    def band(self) -> str:
        upper = [f"{b.x:.1f},{b.y_high:.1f}" for b in self.buckets]
        lower = [f"{b.x:.1f},{b.y_low:.1f}" for b in reversed(self.buckets)]
        return " ".join(upper + lower)

    @property
    def gridlines(self) -> list[tuple[int, float]]:
        return [(v, _y(v)) for v in (0, 25, 50, 75, 100)]

    @property
    def threshold_y(self) -> float:
        return _y(50)

    @property
    def bottom(self) -> int:
        return TOP + HEIGHT


def _y(score: float) -> float:
    return TOP + HEIGHT * (1 - score / 100)


def _quantile(values: list[int], q: float) -> float:
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=4, method="inclusive")[int(q * 4) - 1]


def drift(character: Character) -> Drift:
    """The character's likeness distribution by day (or week, over longer spans): median and
    middle half of the scored images and videos, with its LoRA trainings marked."""
    rows = list(
        Asset.objects.filter(character=character, likeness_status=Likeness.SCORED, likeness__isnull=False)
        .order_by("-likeness_scored_at")
        .values_list("created_at", "likeness")[:MOST_POINTS]
    )
    chart = Drift(scored=len(rows))
    labels = dict(Likeness.choices)
    for status in (Likeness.NO_FACE, Likeness.SEVERAL_FACES, Likeness.NOT_SCORED, Likeness.NO_REFERENCE):
        if n := Asset.objects.filter(character=character, likeness_status=status).count():
            chart.unscored[labels[status]] = n
    if not rows:
        return chart
    first, last = min(r[0] for r in rows), max(r[0] for r in rows)
    weekly = (last - first) > timedelta(days=45)
    chart.by = "week" if weekly else "day"
    groups: dict = {}
    for created, score in rows:
        day = created.date()
        key = day - timedelta(days=day.weekday()) if weekly else day
        groups.setdefault(key, []).append(score)
    keys = sorted(groups)
    span = max((keys[-1] - keys[0]).days, 1)
    for key in keys:
        values = sorted(groups[key])
        x = LEFT + (WIDTH * (key - keys[0]).days / span if len(keys) > 1 else WIDTH / 2)
        bucket = Bucket(
            start=key.strftime("%d %b"),
            count=len(values),
            median=float(statistics.median(values)),
            low=_quantile(values, 0.25),
            high=_quantile(values, 0.75),
            x=x,
        )
        bucket.y_median, bucket.y_low, bucket.y_high = _y(bucket.median), _y(bucket.low), _y(bucket.high)
        chart.buckets.append(bucket)
    for finished in TrainingRun.objects.filter(
        character=character, status=JobStatus.SUCCEEDED, finished_at__isnull=False
    ).values_list("finished_at", flat=True):
        assert finished is not None
        day = finished.date()
        if keys[0] <= day <= keys[-1] and len(keys) > 1:
            chart.versions.append((LEFT + WIDTH * (day - keys[0]).days / span, f"LoRA {day:%d %b}"))
    return chart


def keepers_or_404(org: Organization, public_id) -> KeepersRun:
    run = KeepersRun.objects.for_org(org).select_related("character", "created_by").filter(public_id=public_id).first()
    if run is None:
        raise Http404
    return run


def keepers_for_character(character: Character, limit: int = 5) -> list[KeepersRun]:
    return list(KeepersRun.objects.filter(character=character).order_by("-created_at")[:limit])
