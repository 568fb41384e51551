"""Thin tasks: ids in, a service called."""

from celery import shared_task


# A worker killed mid-run (acks_late) runs it again; the job is done again or found settled.
@shared_task(acks_late=True, soft_time_limit=2400, time_limit=2500)
def tool_run(job_id: int) -> None:
    """Run a colour grade or an audio cleanup."""
    from tools import services

    services.tool_run(job_id)


@shared_task
def sweep() -> int:
    """Beat: tool jobs whose task was lost are sent again, or failed if they hang."""
    from tools import services

    return services.sweep()
