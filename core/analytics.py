"""Product analytics (PRODUCT.md §11; seed 003 "Analytics Events"): ``track`` records an event
after the current transaction commits, so an action that rolls back leaves no event behind.

Events are rows of ``core.AnalyticsEvent`` (name, org, user, properties), listed and filtered in the
admin. They are written for the people steering the product, never read back by the app.
"""

from __future__ import annotations

import logging

from django.db import transaction

from core.models import AnalyticsEvent

log = logging.getLogger(__name__)


def track(name: str, *, org=None, user=None, **properties) -> None:
    """Record ``name`` with ``properties`` (JSON-serialisable values) once the transaction commits."""
    org_id = getattr(org, "pk", org)
    user_id = getattr(user, "pk", user)

    def write() -> None:
        try:
            AnalyticsEvent.objects.create(name=name, org_id=org_id, user_id=user_id, properties=properties)
        except Exception:  # analytics must never break the product
            log.exception("could not record analytics event %s", name)

    transaction.on_commit(write)
