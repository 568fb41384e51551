"""Thin tasks: ids in, a service called."""

from celery import shared_task


# A worker killed mid-run (retry_on_worker_lost) runs it again; the step is done again or found settled.
@shared_task(acks_late=True, soft_time_limit=240, time_limit=300)
def animate_prepare(step_id: int) -> None:
    """An animation's first step: cut the clip, take its first frame, count the faces."""
    from video import animate

    animate.prepare_run(step_id)


@shared_task(acks_late=True)
def step_score(step_id: int) -> None:
    """How much a face-swapped or refined frame looks like the character (0–100)."""
    from video import scoring

    scoring.step_score(step_id)


@shared_task
def prepare_sweep() -> int:
    """Beat: first steps whose task was lost are sent again, or failed if they hang."""
    from video import animate

    return animate.prepare_sweep()
