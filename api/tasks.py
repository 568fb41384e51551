from celery import shared_task

from api import webhooks


@shared_task(time_limit=60, soft_time_limit=50)
def deliver_webhook(delivery_id: int) -> None:
    """One attempt; a failed one schedules the next with backoff (api.webhooks.BACKOFF) until
    WEBHOOK_MAX_ATTEMPTS, each recorded in the delivery log."""
    wait = webhooks.delivery_attempt(delivery_id)
    if wait is not None:
        deliver_webhook.apply_async(args=(delivery_id,), countdown=wait)


@shared_task
def sweep_webhook_deliveries() -> dict:
    return webhooks.deliveries_sweep()
