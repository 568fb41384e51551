"""Thin Celery tasks around the gateway: ids in, the gateway does the work."""

from __future__ import annotations

from celery import shared_task

from providers import gateway
from providers.adapters.base import ProviderError


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=gateway.MAX_SUBMIT_ATTEMPTS,
    default_retry_delay=5,
    soft_time_limit=150,
    time_limit=180,
)
def call_submit(self, call_id: int) -> None:
    try:
        gateway.call_submit(call_id)
    except gateway.SubmitLater as later:
        raise self.retry(countdown=later.countdown) from None


@shared_task(acks_late=True, max_retries=2, default_retry_delay=5, soft_time_limit=60, time_limit=90)
def call_poll(call_id: int) -> None:
    gateway.call_poll(call_id)


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=gateway.MAX_FINISH_ATTEMPTS,
    default_retry_delay=5,
    soft_time_limit=600,
    time_limit=660,
)
def call_finish(self, call_id: int) -> None:
    try:
        gateway.call_finish(call_id, attempt=self.request.retries)
    except ProviderError as exc:
        if exc.transient and self.request.retries < gateway.MAX_FINISH_ATTEMPTS - 1:
            raise self.retry(countdown=gateway.backoff(self.request.retries + 1)) from exc
        raise


@shared_task(acks_late=True, soft_time_limit=60, time_limit=90)
def call_cancel_at_provider(call_id: int) -> None:
    gateway.call_cancel_at_provider(call_id)


@shared_task(acks_late=True, expires=14)
def poll_due_calls() -> int:
    """Beat, every 15 s: ask providers about calls whose webhook hasn't come."""
    due = gateway.calls_due_for_poll()
    for call_id in due:
        call_poll.delay(call_id)
    return len(due)


@shared_task(acks_late=True, expires=110)
def sweep_calls() -> dict:
    """Beat, every 2 minutes: move stalled calls on (see gateway.calls_sweep)."""
    return gateway.calls_sweep()


# A worker killed mid-run (retry_on_worker_lost) runs it again a second later, at most twice.
@shared_task(bind=True, acks_late=True, max_retries=2, default_retry_delay=1, soft_time_limit=240, time_limit=300)
def demo_run(self, endpoint_id: str, request_id: str, arguments: dict) -> None:
    """The demo provider's 'GPU': real local work, then the result through the usual status path."""
    from providers.adapters import demo

    demo.run(endpoint_id, request_id, arguments)
