"""The job state machine every domain job shares (edits, generations, training, video).

``queued → running → succeeded | failed | cancelled``. Every transition is a compare-and-set
UPDATE, so a duplicate task, a late webhook or a cancel racing completion changes nothing.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


def transition(model: type[models.Model], pk: int, *, from_: tuple[str, ...], to: str, **fields) -> bool:
    """Move row ``pk`` to ``to`` only if it is in one of ``from_``. True if this call moved it."""
    if to in FINISHED:
        fields.setdefault("finished_at", timezone.now())
    return model._default_manager.filter(pk=pk, status__in=from_).update(status=to, **fields) == 1
