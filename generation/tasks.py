"""Generation tasks (ids in; enqueued on commit). Provider calls run through ``providers.tasks``."""

from __future__ import annotations

from celery import shared_task

from generation import scoring


@shared_task(acks_late=True, max_retries=2, default_retry_delay=5, soft_time_limit=120, time_limit=150)
def image_score(image_id: int) -> None:
    """Score a delivered image's face against its character (0–100)."""
    scoring.image_score(image_id=image_id)
