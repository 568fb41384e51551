"""Reads about provider calls for staff: how each endpoint is doing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from providers.models import ProviderCall


class _Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass(frozen=True)
class EndpointHealth:
    provider: str
    endpoint_id: str
    calls: int
    finished: int
    errors: int
    p50: timedelta | None
    p95: timedelta | None
    spend_usd: Decimal

    @property
    def p50_seconds(self) -> float | None:
        return None if self.p50 is None else round(self.p50.total_seconds(), 1)

    @property
    def p95_seconds(self) -> float | None:
        return None if self.p95 is None else round(self.p95.total_seconds(), 1)

    @property
    def error_rate(self) -> float | None:
        """Failed calls among finished ones (cancelled ones count as finished, not as errors)."""
        return self.errors / self.finished if self.finished else None


def endpoint_health(*, since: datetime | None = None) -> list[EndpointHealth]:
    """Per provider and endpoint, for calls made since ``since`` (default: the last hour): how many,
    how many failed, the median and 95th percentile time from submit to result, and the spend."""
    since = since or timezone.now() - timedelta(hours=1)
    latency = ExpressionWrapper(F("finished_at") - F("submitted_at"), output_field=DurationField())
    timed = Q(submitted_at__isnull=False, finished_at__isnull=False)
    rows = (
        ProviderCall.objects.filter(created_at__gte=since)
        .values("provider", "endpoint_id")
        .annotate(
            calls=Count("pk"),
            finished=Count("pk", filter=Q(status__in=ProviderCall.FINISHED)),
            errors=Count("pk", filter=Q(status=ProviderCall.Status.FAILED)),
            p50=_Percentile(latency, 0.5, filter=timed),
            p95=_Percentile(latency, 0.95, filter=timed),
            spend=Sum("cost_usd"),
        )
        .order_by("provider", "endpoint_id")
    )
    return [
        EndpointHealth(
            provider=row["provider"],
            endpoint_id=row["endpoint_id"],
            calls=row["calls"],
            finished=row["finished"],
            errors=row["errors"],
            p50=row["p50"],
            p95=row["p95"],
            spend_usd=row["spend"] or Decimal(0),
        )
        for row in rows
    ]
