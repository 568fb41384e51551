"""Character pipeline tasks: ids in, the service does the work; enqueued on commit.

The dataset tasks live next to their services in ``characters.dataset`` (registered on import here).
"""

from __future__ import annotations

from celery import shared_task

from characters import dataset  # noqa: F401 -- registers the dataset tasks


@shared_task(acks_late=True, max_retries=2, default_retry_delay=10, soft_time_limit=600, time_limit=660)
def training_prepare(run_id: int) -> None:
    """Zip the run's images and send it to the trainer."""
    from characters import training

    training.training_prepare(run_id=run_id)


@shared_task(acks_late=True, max_retries=2, default_retry_delay=10, soft_time_limit=300, time_limit=360)
def sheet_check(job_id: int) -> None:
    """Check a finished character sheet against the base image's face, then train on it."""
    from characters import wizard

    wizard.sheet_check(job_id=job_id)


@shared_task(acks_late=True, max_retries=2, default_retry_delay=5, soft_time_limit=120, time_limit=150)
def base_reference(character_id: int) -> None:
    """The chosen base image's face becomes the character's identity reference."""
    from characters import wizard

    wizard.base_reference(character_id=character_id)
