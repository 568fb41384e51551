"""Recording product events cheaply, without ever breaking what the person was doing.

``track`` keeps the event until the surrounding transaction commits (an action that rolls back
leaves no event behind). Inside a web request the events wait in a per-request buffer that
``AnalyticsBufferMiddleware`` writes with one INSERT after the response is ready; elsewhere (a
Celery task, a shell) they are written on commit. Any failure is logged and swallowed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.models import Event

log = logging.getLogger(__name__)

_buffer: ContextVar[list[Event] | None] = ContextVar("analytics_buffer", default=None)
# Written at once when a request's buffer grows past this (a bulk action in one request).
BUFFER_LIMIT = 200
PRUNE_BATCH = 5000


def track(name: str, *, org=None, user=None, **properties) -> None:
    """Record the event ``name`` for ``org`` and ``user`` (objects or ids; anonymous users count as
    none) with JSON-friendly ``properties`` (others are stored as text), once the transaction commits."""
    try:
        user_id = getattr(user, "pk", user)
        event = Event(
            name=name[:60],
            org_id=getattr(org, "pk", org),
            user_id=user_id if isinstance(user_id, int) else None,
            properties=json.loads(json.dumps(properties, default=str)),
            at=timezone.now(),
        )
        transaction.on_commit(lambda: _keep(event))
    except Exception:  # analytics must never break the product
        log.exception("could not record analytics event %s", name)


def _keep(event: Event) -> None:
    pending = _buffer.get()
    if pending is None:
        _write([event])
        return
    pending.append(event)
    if len(pending) >= BUFFER_LIMIT:
        _write(pending[:])
        pending.clear()


def _write(events: list[Event]) -> None:
    if not events:
        return
    try:
        with transaction.atomic():
            Event.objects.bulk_create(events)
    except Exception:  # analytics must never break the product
        log.exception("could not record %d analytics event(s)", len(events))


@contextmanager
def buffered() -> Iterator[None]:
    """Collect the events recorded inside the block and write them together at its end."""
    token = _buffer.set([])
    try:
        yield
    finally:
        pending = _buffer.get() or []
        _buffer.reset(token)
        _write(pending)


def events_prune(*, now=None) -> int:
    """Delete events older than ANALYTICS_RETENTION_DAYS, in batches (short locks on a big
    table). Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ANALYTICS_RETENTION_DAYS)
    deleted = 0
    while True:
        batch = list(Event.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:PRUNE_BATCH])
        if not batch:
            return deleted
        deleted += Event.objects.filter(pk__in=batch).delete()[0]
