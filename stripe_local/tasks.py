"""The local Stripe's background work: delivering events, settling delayed bank payments."""

from celery import shared_task

from stripe_local import delivery, payments


@shared_task(bind=True, max_retries=8)
def deliver_events(self) -> int:
    """Send waiting events to the webhook; retried with backoff while the webhook answers errors."""
    delivered = delivery.deliver_pending()
    if delivery.undelivered_count():
        raise self.retry(countdown=min(2 ** (self.request.retries + 1), 60))
    return delivered


@shared_task
def settle_async_payment(session_id: str) -> None:
    """A test-mode bank payment clears a few seconds after checkout."""
    from django.db import transaction

    with transaction.atomic():
        payments.checkout_settle_async(session_id)
