"""The figures of the staff dashboards (admin → Product analytics → Dashboards), all read from
``analytics.Event`` over a window of days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Aggregate, Count, FloatField, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from analytics.models import Event

# The funnel: (label, event name). Each step counts the people who signed up in the window and
# went on to do it (in the window too).
FUNNEL = [
    ("Signed up", "signed_up"),
    ("Created a character", "character_created"),
    ("Started a first generation", "generation_started"),
    ("Upgraded their plan", "plan_upgraded"),
]

# Operations: (label, event on success, event on failure, the property holding its duration in ms).
OPERATIONS = [
    ("Studio image", "generation_image_completed", "generation_failed", "duration_ms"),
    ("Studio pack", "generation_pack_completed", None, "total_duration_ms"),
    ("Character sheet", "character_sheet_generation_completed", None, "duration_ms"),
    ("Face model training", "lora_training_completed", "lora_training_failed", "training_duration_ms"),
    ("Inpaint edit", "inpaint_completed", "inpaint_failed", "duration_ms"),
    ("Video", "video_completed", "video_failed", None),
]


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass(frozen=True)
class Window:
    days: int
    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, now: datetime | None = None) -> Window:
        end = now or timezone.now()
        return cls(days=days, start=end - timedelta(days=days), end=end)

    def events(self, *names: str):
        return Event.objects.filter(at__gte=self.start, at__lt=self.end, name__in=names)


@dataclass(frozen=True)
class FunnelStep:
    label: str
    people: int
    of_signups: float | None  # share of the first step, 0–100


def funnel(window: Window) -> list[FunnelStep]:
    signed_up = set(window.events("signed_up").exclude(user=None).values_list("user_id", flat=True))
    steps = [FunnelStep(FUNNEL[0][0], len(signed_up), 100.0 if signed_up else None)]
    remaining = signed_up
    for label, name in FUNNEL[1:]:
        remaining = set(window.events(name).filter(user_id__in=remaining).values_list("user_id", flat=True).distinct())
        share = round(len(remaining) * 100 / len(signed_up), 1) if signed_up else None
        steps.append(FunnelStep(label, len(remaining), share))
    return steps


def daily_active_users(window: Window) -> list[tuple[date, int]]:
    """People who recorded any event, by day (UTC), every day of the window listed."""
    counts = dict(
        Event.objects.filter(at__gte=window.start, at__lt=window.end)
        .exclude(user=None)
        .annotate(day=TruncDate("at"))
        .values_list("day")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("day", "n")
    )
    first = window.start.date()
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0)) for i in range(window.days + 1)]


@dataclass(frozen=True)
class OperationFigures:
    label: str
    succeeded: int
    failed: int | None  # None: this operation records no failure event
    success_rate: float | None  # 0–100
    p50_seconds: float | None
    p95_seconds: float | None

    @property
    def p50_label(self) -> str:
        return duration_label(self.p50_seconds)

    @property
    def p95_label(self) -> str:
        return duration_label(self.p95_seconds)


def duration_label(seconds: float | None) -> str:
    """ "9.8 s", "32 min", "1.5 h"; "—" for no data."""
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 3 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _durations(window: Window, name: str, prop: str) -> tuple[float | None, float | None]:
    ms = Cast(KeyTextTransform(prop, "properties"), FloatField())
    row = (
        window.events(name)
        .filter(**{f"properties__{prop}__isnull": False})
        .aggregate(p50=Percentile(ms, 0.5), p95=Percentile(ms, 0.95))
    )
    return (
        round(row["p50"] / 1000, 1) if row["p50"] is not None else None,
        round(row["p95"] / 1000, 1) if row["p95"] is not None else None,
    )


def operations(window: Window) -> list[OperationFigures]:
    names = [n for _label, ok, bad, _prop in OPERATIONS for n in (ok, bad) if n]
    counts = dict(window.events(*names).values_list("name").annotate(n=Count("id")).values_list("name", "n"))
    rows = []
    for label, ok, bad, prop in OPERATIONS:
        succeeded = counts.get(ok, 0)
        failed = counts.get(bad, 0) if bad else None
        attempts = succeeded + (failed or 0)
        rate = round(succeeded * 100 / attempts, 1) if bad and attempts else None
        p50, p95 = _durations(window, ok, prop) if prop else (None, None)
        rows.append(OperationFigures(label, succeeded, failed, rate, p50, p95))
    return rows


@dataclass(frozen=True)
class LoraTimes:
    runs: int
    p50_minutes: float | None
    p95_minutes: float | None
    buckets: list[tuple[str, int]]  # (label, runs) by completion time


LORA_BUCKETS = [(15, "under 15 min"), (30, "15–30 min"), (45, "30–45 min"), (60, "45–60 min"), (None, "over 60 min")]


def lora_completion_times(window: Window) -> LoraTimes:
    ms = Cast(KeyTextTransform("training_duration_ms", "properties"), FloatField())
    done = window.events("lora_training_completed").filter(properties__training_duration_ms__isnull=False)
    minutes = Cast(KeyTextTransform("training_duration_ms", "properties"), FloatField()) / 60000.0
    lower = 0
    aggregates = {}
    for i, (upper, _label) in enumerate(LORA_BUCKETS):
        condition = Q(m__gte=lower) if upper is None else Q(m__gte=lower, m__lt=upper)
        aggregates[f"b{i}"] = Count("id", filter=condition)
        lower = upper or lower
    row = done.annotate(m=minutes).aggregate(
        runs=Count("id"), p50=Percentile(ms, 0.5), p95=Percentile(ms, 0.95), **aggregates
    )
    return LoraTimes(
        runs=row["runs"],
        p50_minutes=round(row["p50"] / 60000, 1) if row["p50"] is not None else None,
        p95_minutes=round(row["p95"] / 60000, 1) if row["p95"] is not None else None,
        buckets=[(label, row[f"b{i}"]) for i, (_upper, label) in enumerate(LORA_BUCKETS)],
    )


def event_counts(window: Window) -> list[tuple[str, int]]:
    """Every event name seen in the window, most frequent first."""
    return list(
        Event.objects.filter(at__gte=window.start, at__lt=window.end)
        .values_list("name")
        .annotate(n=Count("id"))
        .order_by("-n", "name")
        .values_list("name", "n")
    )
