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
    from tools import roto, services

    return services.sweep() + roto.sweep()


# Rotoscoping (tools.roto): the worker's two stages around the matting model's call.
@shared_task(acks_late=True, soft_time_limit=2400, time_limit=2500)
def roto_prepare(job_id: int) -> None:
    """Cut the chosen range and send it to the matting model."""
    from tools import roto

    roto.roto_prepare(job_id)


@shared_task(bind=True, acks_late=True, max_retries=4, default_retry_delay=10, soft_time_limit=2400, time_limit=2500)
def roto_compose(self, job_id: int) -> None:
    """Make the WebM with alpha and the preview from the matte; a transient download error retries."""
    from providers.adapters.base import ProviderError
    from tools import roto

    try:
        roto.roto_compose(job_id, last_attempt=self.request.retries >= self.max_retries)
    except ProviderError as exc:
        raise self.retry(countdown=10 * (self.request.retries + 1)) from exc
