"""Dataset builder tasks: ids in, the runner does the work; enqueued on commit."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, max_retries=2, default_retry_delay=5, soft_time_limit=120, time_limit=150)
def unit_crop(unit_id: int) -> None:
    """The face-aware 1024² crop of one swapped photo (local work, no provider)."""
    from datasets import runner

    runner.unit_crop(unit_id=unit_id)
